#!/usr/bin/env bash
# vmctl fence add|list|remove on a live 2-node cluster: a device added on n1 is listed on n2 with
# its secret hidden, in the same database version on both; refusals (duplicate id, unknown node,
# bad option, non-root) change nothing; remove takes it away everywhere. Then the other writes
# of vmctl against the live cluster: vm cleanup, vm stop --wait, node fence (request recorded on
# the node, root only, confirmation), and vmctl status (table, --json, --watch).
. "$(dirname "$0")/clusterd-lib.sh"
cl_skip_unless_possible

FENCE_LAB="$(cd "$(dirname "$0")" && pwd)/fence_lab"

cl_up 2
for n in 1 2; do cl_wait 60 "n$n quorate, in sync, with a leader" cl_quorate_in_sync "$n"; done

# expect_rc RC WHAT NODE ARGS...: vmctl on NODE exits RC.
expect_rc() {
    local want=$1 what=$2 node=$3 rc=0
    shift 3
    vmctl_on "$node" "$@" >"$CL_DIR/out" 2>"$CL_DIR/err" || rc=$?
    [ "$rc" -eq "$want" ] || cl_fail "$what: exit $rc, wanted $want: $(cat "$CL_DIR/err")"
}

expect_rc 0 "fence add" 1 fence add lab "$FENCE_LAB" --hosts n1,n2 "lab=$VMHA_LAB" passwd=s3cret
cl_wait 20 "both copies agree after the add" cl_agree 1 2
vmctl_on 2 fence list --json >"$CL_DIR/list.json" || cl_fail "fence list on n2"
python3 - "$CL_DIR/list.json" "$FENCE_LAB" "$VMHA_LAB" <<'PY' || { cat "$CL_DIR/list.json" >&2; cl_fail "fence list on n2"; }
import json, sys
d = json.load(open(sys.argv[1]))["devices"]
assert len(d) == 1, d
d = d[0]
assert d["id"] == "lab" and d["agent"] == sys.argv[2] and d["hosts"] == ["n1", "n2"], d
assert d["options"] == {"lab": sys.argv[3], "passwd": "(hidden)"}, d
PY
vmctl_on 2 fence list | grep -q "^lab .*n1,n2" || cl_fail "fence list table"
# Pacemaker's tools read the stored copy: the device is a stonith resource there.
cl_exec 2 env CIB_file=/var/lib/vmha/cib.xml cibadmin -Q -o resources | grep -q 'class="stonith"' ||
    cl_fail "cibadmin does not see the device"
cl_log "added on n1, listed on n2"

dbid=$(cl_dbid 1)
expect_rc 1 "duplicate id" 2 fence add lab fence_ipmilan --hosts n1
expect_rc 6 "unknown node" 1 fence add other fence_ipmilan --hosts n1,n7
expect_rc 2 "multi-line option" 1 fence add other fence_ipmilan --hosts n1 $'ip=1\nplug=n2'
expect_rc 2 "reserved option" 1 fence add other fence_ipmilan --hosts n1 action=off
expect_rc 6 "remove unknown" 1 fence remove nosuch
rc=0
cl_exec 1 setpriv --reuid=nobody --regid=nogroup --clear-groups "$VMCTL" fence remove lab 2>/dev/null || rc=$?
[ $rc -eq 5 ] || cl_fail "nobody's fence remove: exit $rc, wanted 5"
[ "$(cl_dbid 1)" = "$dbid" ] || cl_fail "a refused request changed the database"
cl_log "refusals changed nothing"

expect_rc 0 "fence remove" 2 fence remove lab
cl_wait 20 "both copies agree after the remove" cl_agree 1 2
[ "$(vmctl_on 1 fence list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["devices"]))')" = 0 ] ||
    cl_fail "the device is still listed on n1"

# vm cleanup forgets the probe records; every node probes again and records them anew.
cfg=$(cl_domain_xml vmx)
expect_rc 0 "vm add" 1 vm add vmx --config "$cfg"
probed() {
    vmctl_on 1 vm list --json | python3 -c '
import json, sys
sys.exit(0 if all(sorted(v["probed_on"]) == ["n1", "n2"] for v in json.load(sys.stdin)["vms"]) else 1)'
}
cl_wait 30 "vmx probed on both nodes" probed
dbid=$(cl_dbid 1)
expect_rc 0 "vm cleanup" 2 vm cleanup vmx
expect_rc 6 "vm cleanup of an unknown VM" 2 vm cleanup nosuch
cl_wait 30 "vmx probed again after the cleanup" probed
[ "$(cl_dbid 1)" != "$dbid" ] || cl_fail "vm cleanup changed nothing"
cl_wait 20 "both copies agree after the cleanup" cl_agree 1 2
cl_log "vm cleanup: history forgotten and probed again"

# vm stop --wait: the VM is not running, so it is stopped as soon as the write is in.
expect_rc 0 "vm stop --wait" 1 vm stop vmx --wait --timeout 20
grep -q "vmx: stopped" "$CL_DIR/out" || cl_fail "vm stop --wait printed no progress: $(cat "$CL_DIR/out")"
[ "$(vmctl_on 1 vm list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["vms"][0]["target_role"])')" = Stopped ] ||
    cl_fail "target-role not Stopped"

expect_rc 0 "vm set monitor-interval" 2 vm set vmx monitor-interval=5s
[ "$(vmctl_on 1 vm list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["vms"][0]["monitor_interval"])')" = 5s ] ||
    cl_fail "monitor_interval not 5s in vm list"

# vmctl status: every node and VM with its state.
vmctl_on 2 status --json >"$CL_DIR/status.json" || cl_fail "status --json"
python3 - "$CL_DIR/status.json" <<'PY' || { cat "$CL_DIR/status.json" >&2; cl_fail "status --json"; }
import json, sys
d = json.load(open(sys.argv[1]))
assert [n["state"] for n in d["nodes"]] == ["online", "online"], d["nodes"]
vm = [v for v in d["vms"] if v["name"] == "vmx"][0]
assert vm["state"] == "stopped" and vm["nodes"] == [] and vm["why"] == "target-role is Stopped", vm
PY
vmctl_on 2 status >"$CL_DIR/status.txt" || cl_fail "status"
cat "$CL_DIR/status.txt" >&2
grep -Eq "^vmx +stopped +- " "$CL_DIR/status.txt" || cl_fail "status table: $(cat "$CL_DIR/status.txt")"
awk 'length > 100 { exit 1 }' "$CL_DIR/status.txt" || cl_fail "status table wider than 100 columns"
# --watch without a terminal prints a snapshot once, not again while nothing changes; Ctrl-C
# ends it with success.
cl_exec 1 sh -c "'$VMCTL' status --watch 1 >/tmp/watch.$$ 2>&1 & p=\$!; sleep 2.5; kill -INT \$p; wait \$p" ||
    cl_fail "status --watch did not end with success on SIGINT"
[ "$(grep -c '^Leader:' /tmp/watch.$$)" = 1 ] || cl_fail "status --watch repeated an unchanged snapshot: $(cat /tmp/watch.$$)"
rm -f /tmp/watch.$$
cl_log "status table, --json and --watch"

# node fence: root only; no terminal and no --yes is refused; the request lands on the node.
# (No fence device is left, so nobody can carry it out.)
rc=0
cl_exec 1 setpriv --reuid=nobody --regid=nogroup --clear-groups "$VMCTL" node fence n2 --yes --no-wait 2>/dev/null || rc=$?
[ $rc -eq 5 ] || cl_fail "nobody's node fence: exit $rc, wanted 5"
expect_rc 2 "node fence without a terminal or --yes" 1 node fence n2 </dev/null
expect_rc 6 "node fence of an unknown node" 1 node fence n9 --yes --no-wait
expect_rc 0 "node fence" 1 node fence n2 --yes --no-wait
vmctl_on 1 status --json >"$CL_DIR/status.json" || cl_fail "status --json"
python3 - "$CL_DIR/status.json" <<'PY' || { cat "$CL_DIR/status.json" >&2; cl_fail "fence request not shown"; }
import json, sys, time
n2 = [n for n in json.load(open(sys.argv[1]))["nodes"] if n["name"] == "n2"][0]
assert n2["state"] == "fencing" and abs(n2["fence"]["requested"] - time.time()) < 30, n2
PY
# --timeout ends the wait when nobody fences.
expect_rc 1 "node fence --timeout with nobody to fence" 1 node fence n2 --yes --timeout 2
grep -q "not fenced after 2 s" "$CL_DIR/err" || cl_fail "node fence timeout message: $(cat "$CL_DIR/err")"
cl_log "node fence request recorded"
cl_log "PASS"
