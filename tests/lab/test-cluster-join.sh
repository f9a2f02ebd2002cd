#!/usr/bin/env bash
# A running cluster grows and shrinks with VMs running (issue 12). Four bare lab nodes; n1..n3 set
# up with vmctl cluster setup, three guests running (sja on n1, sjb and sjc on n2); the duplicate
# checker samples throughout:
#  a. `vmctl cluster join n4`: every node's corosync.conf lists n4 (reloaded, 4 votes), clusterd
#     adds n4 to the database on every copy (corosync's nodelist changed after the database
#     existed), n4 is in sync and has probed every VM; no guest moved or rebooted meanwhile; the
#     shared fence device (lab-fence, fencing n1..n3) now fences n4 too, with its options kept,
#     and join's --json document says so, with no warning;
#  b. `vmctl cluster leave n2`: n2 is drained first (sjb and sjc move by quick migration: their
#     counters go on, no boot), its corosync and clusterd stop, its cluster files are gone; the
#     others' corosync.conf and database no longer list it (3 votes), and the fence device no
#     longer covers it;
#  c. no guest ever ran on two nodes and none was interrupted but by its migration.
. "$(dirname "$0")/setup-lib.sh" sj
RL_VMS="sja sjb sjc"

su_bare 4
# shellcheck disable=SC2046
vmctl_on n1 cluster setup --name grow --storage "$RL_SHARED" $(su_fence_args) n1 n2 n3 \
    >"$RL_DIR/setup.out" 2>&1 || { cat "$RL_DIR/setup.out"; rl_fail "cluster setup"; }
rl_log "n1..n3 set up; n4 bare"
rl_make_guests 32
rl_dup_start
vmctl_on n1 vm add sja --config "$(rl_xml sja)" --prefer n1 >/dev/null || rl_fail "vm add sja"
vmctl_on n1 vm add sjb --config "$(rl_xml sjb)" --prefer n2,n3 >/dev/null || rl_fail "vm add sjb"
vmctl_on n1 vm add sjc --config "$(rl_xml sjc)" --prefer n2,n1 >/dev/null || rl_fail "vm add sjc"
rl_wait 120 "sja on n1, sjb and sjc on n2" rl_placed "sja=n1 sjb=n2 sjc=n2"
for vm in $RL_VMS; do
    rl_wait 60 "$vm counts" eval '[ "$(rl_counter '"$vm"' 2>/dev/null || echo 0)" -gt 0 ]'
done
rl_snap_boots
rl_log "guests running: $(rl_where_now)"

# a. join.
t0=$(rl_now_ms)
vmctl_on n1 cluster join n4 --json >"$RL_DIR/join.json" 2>"$RL_DIR/join.out" ||
    { cat "$RL_DIR/join.out" "$RL_DIR/join.json"; rl_fail "cluster join n4"; }
rl_log "cluster join n4: $(($(rl_now_ms) - t0)) ms"
sed 's/^/    /' "$RL_DIR/join.out"
for n in n1 n2 n3 n4; do
    grep -q '^        name: n4$' "$RL_VAR/nodes/$n/etc/corosync/corosync.conf" || rl_fail "$n: corosync.conf without n4"
    rl_wait 30 "$n quorate with 4 votes" su_quorate "$n" 4
    rl_wait 30 "$n's database lists n4" su_db_nodes_are "$n" "n1 n2 n3 n4"
done
rl_wait 30 "n4 in sync" rl_quorate_in_sync n4
rl_wait 60 "n4 probed every VM" rl_vm_check n1 'all("n4" in x["probed_on"] for x in v.values())'
rl_placed "sja=n1 sjb=n2 sjc=n2" || rl_fail "a guest moved during the join: $(rl_where_now)"
for vm in $RL_VMS; do
    [ "$(rl_boots "$vm")" = "${RL_BOOTS[$vm]}" ] || rl_fail "$vm rebooted during the join"
done
python3 - "$RL_DIR/join.json" <<'PY' || { cat "$RL_DIR/join.json"; rl_fail "join's --json document"; }
import json, sys
d = json.load(open(sys.argv[1]))
assert d["ok"] and d["result"] == "joined", d
assert d["fence_devices"] == ["lab-fence"] and d["warnings"] == [], d
PY
grep -q "adding n4 to fence device lab-fence" "$RL_DIR/join.out" || rl_fail "no progress line for the fence device"
for n in n1 n4; do
    vmctl_on "$n" fence list --json | python3 -c '
import json, sys
d = {x["id"]: x for x in json.load(sys.stdin)["devices"]}
f = d["lab-fence"]
assert sorted(f["hosts"]) == ["n1", "n2", "n3", "n4"], f
assert f["agent"] == "fence_lab" and f["options"] == {"lab": sys.argv[1]}, f' "$VMHA_LAB" ||
        rl_fail "$n: lab-fence does not fence n1..n4 with its option kept"
done
rl_log "ok: a. n4 joined: 4 votes, in every copy of the database, probed, fenced by lab-fence; nothing moved"

# b. leave.
declare -A before
for vm in sjb sjc; do before[$vm]=$(rl_counter "$vm"); done
t0=$(rl_now_ms)
vmctl_on n1 cluster leave n2 >"$RL_DIR/leave.out" 2>&1 || { cat "$RL_DIR/leave.out"; rl_fail "cluster leave n2"; }
rl_log "cluster leave n2: $(($(rl_now_ms) - t0)) ms"
sed 's/^/    /' "$RL_DIR/leave.out"
for vm in sjb sjc; do
    rl_really_elsewhere "$vm" n2 || rl_fail "$vm not moved off n2: $(rl_where_now)"
    [ "$(rl_boots "$vm")" = "${RL_BOOTS[$vm]}" ] || rl_fail "$vm rebooted: it was not migrated"
    rl_wait 30 "$vm's counter goes on" eval '[ "$(rl_counter '"$vm"')" -gt "${before['"$vm"']}" ]'
done
rl_really_on sja n1 || rl_fail "sja moved: $(rl_where_now)"
"$LAB" exec n2 pidof corosync clusterd >/dev/null && rl_fail "n2 still runs corosync or clusterd"
[ ! -e "$RL_VAR/nodes/n2/etc/corosync/corosync.conf" ] || rl_fail "n2 still has a corosync.conf"
[ ! -e "$RL_VAR/nodes/n2/etc/corosync/authkey" ] || rl_fail "n2 still has the authkey"
for n in n1 n3 n4; do
    grep -q '^        name: n2$' "$RL_VAR/nodes/$n/etc/corosync/corosync.conf" && rl_fail "$n: corosync.conf still lists n2"
    rl_wait 30 "$n quorate with 3 votes" su_quorate "$n" 3
    rl_wait 30 "$n's database without n2" su_db_nodes_are "$n" "n1 n3 n4"
done
vmctl_on n1 fence list --json | python3 -c '
import json, sys
d = {x["id"]: x["hosts"] for x in json.load(sys.stdin)["devices"]}
sys.exit(0 if sorted(d["lab-fence"]) == ["n1", "n3", "n4"] else 1)' || rl_fail "lab-fence does not fence exactly n1, n3, n4"
rl_log "ok: b. n2 drained (sjb, sjc migrated, counters continued) and out of corosync and the database"

# c.
for vm in $RL_VMS; do
    [ "$(rl_boots "$vm")" = "${RL_BOOTS[$vm]}" ] || rl_fail "$vm booted again"
done
rl_dup_stop
rl_log "ok: c. no guest ran twice or rebooted"
rl_log "PASS"
