#!/usr/bin/env bash
# vmctl cluster update on a 3-node lab with clusterd and three tiny guests (one per node by
# preference), the duplicate checker sampling every 100 ms throughout:
#  a. `cluster update --exec 'echo $(hostname) >>FILE'` (FILE on the shared storage): exit 0, the
#     file lists n1, n2, n3 once each in that order, every guest runs at home again, none was
#     restarted (its boot count unchanged, its counter continued), per-node summary printed;
#  b. a command that fails on n2: n1 done, stopped at n2 with n2 resumed, n3 not started, exit 1,
#     the cluster left healthy (every node online, every guest at home);
#  c. refusals that change nothing: not root, a bad command line, a node drained;
#  d. --json: one document on stdout (stopped at n1, its exit status and output), progress on
#     stderr;
#  e. --reboot: n2 and n3 rebooted (tests/lab/lab-reboot: a power cycle by the lab's power
#     controller) and back before their failback, n1 (where vmctl runs) last and not rebooted; guests never
#     restarted.
# No VM is ever seen on two nodes.
. "$(dirname "$0")/recovery-lib.sh" "uu$(echo "${VMHA_BUILD_DIR:-}" | md5sum | cut -c1-4)"

RL_VMS="va vc ve"
# allow-migrate: `node resume --failback` moves a VM back by migration only then (else stop +
# start, a restart; see /work/wt/BUGS.md). The drain migrates either way.
rl_setup_six allow-migrate=true
ran=$RL_SHARED/update-ran

declare -A COUNT=()
snap_counters() {
    local vm
    rl_snap_boots
    for vm in $RL_VMS; do COUNT[$vm]=$(rl_counter "$vm"); done
}
# Every guest at home, booted no more often than before (quick migration restores, it does not
# restart) and counting on from where it was.
check_continued() {
    local vm boots c
    rl_wait 60 "every guest at home" rl_placed "$(rl_home_spec)"
    for vm in $RL_VMS; do
        boots=$(rl_boots "$vm")
        [ "$boots" = "${RL_BOOTS[$vm]}" ] || rl_fail "$vm booted again: $boots boots, ${RL_BOOTS[$vm]} before"
        "$COUNTER" "$(rl_serial "$vm")" --wait-above "${COUNT[$vm]}" --timeout 10 >/dev/null ||
            rl_fail "$vm: its counter did not go on from ${COUNT[$vm]}"
        c=$(rl_counter "$vm")
        rl_log "  $vm on ${RL_HOME[$vm]}: counter ${COUNT[$vm]} -> $c, boots $boots"
    done
}
all_nodes_online() {
    rl_status_check n1 'all(n["state"] == "online" for n in d["nodes"])'
}
# Migration pauses seen by the checker: the times each VM was running nowhere.
show_pauses() {
    awk -v t="$1" '$1 >= t' "$RL_DUP/events" | sed 's/^/    /'
}

rl_log "--- a. rolling update across the three nodes"
snap_counters
t0=$(rl_now_ms)
rc=0
vmctl_on n2 cluster update --exec "echo \$(hostname) >>$ran" --timeout 120 >"$RL_DIR/a.out" 2>&1 || rc=$?
ms=$(($(rl_now_ms) - t0))
sed 's/^/    /' "$RL_DIR/a.out"
[ $rc = 0 ] || rl_fail "cluster update: exit $rc"
[ "$(cat "$ran")" = $'n1\nn2\nn3' ] || rl_fail "the command ran: '$(tr '\n' ' ' <"$ran")', expected n1 n2 n3 once each"
for n in n1 n2 n3; do
    grep -Eq "^$n +done " "$RL_DIR/a.out" || rl_fail "no 'done' summary line for $n"
    grep -q "    $n| $n\$" "$RL_DIR/a.out" && rl_fail "the command printed nothing, yet '$n| $n' appears"
done
rl_log "update of 3 nodes done in $ms ms; the command ran once on each node, in node order"
rl_log "VM events (checker) during the update:"
show_pauses "$t0"
check_continued
rl_wait 30 "every node online (resumed)" all_nodes_online

rl_log "--- b. a command failing on n2 stops the update there"
snap_counters
: >"$ran"
t0=$(rl_now_ms)
rc=0
vmctl_on n3 cluster update --exec "echo \$(hostname) >>$ran; echo checking \$(hostname); test \$(hostname) != n2" \
    --timeout 120 >"$RL_DIR/b.out" 2>&1 || rc=$?
ms=$(($(rl_now_ms) - t0))
sed 's/^/    /' "$RL_DIR/b.out"
[ $rc = 1 ] || rl_fail "a failing command: exit $rc, expected 1"
[ "$(cat "$ran")" = $'n1\nn2' ] || rl_fail "the command ran: '$(tr '\n' ' ' <"$ran")', expected n1 n2"
grep -Eq "^n1 +done " "$RL_DIR/b.out" || rl_fail "n1 not done in the summary"
grep -Eq "^n2 +failed .*command exited with status 1; n2 resumed" "$RL_DIR/b.out" || rl_fail "n2 not reported failed and resumed"
grep -Eq "^n3 +not started" "$RL_DIR/b.out" || rl_fail "n3 not reported 'not started'"
grep -q "    n2| checking n2" "$RL_DIR/b.out" || rl_fail "the command's output on n2 not shown"
grep -q "vmctl: the update stopped at n2: command exited with status 1" "$RL_DIR/b.out" || rl_fail "no final error line"
rl_log "stopped at n2 after $ms ms, n2 resumed, n3 untouched"
check_continued
rl_wait 30 "every node online" all_nodes_online

rl_log "--- c. refusals"
rc=0
"$LAB" exec n1 setpriv --reuid 65534 --regid 65534 --clear-groups "$VMCTL" cluster update --exec true \
    >/dev/null 2>"$RL_DIR/c.err" || rc=$?
[ $rc = 5 ] || rl_fail "non-root: exit $rc ($(cat "$RL_DIR/c.err"))"
rc=0
vmctl_on n1 cluster update --exec true --reboot-command true >/dev/null 2>"$RL_DIR/c.err" || rc=$?
[ $rc = 2 ] || rl_fail "--reboot-command without --reboot: exit $rc ($(cat "$RL_DIR/c.err"))"
vmctl_on n1 node drain n3 --wait --timeout 120 >/dev/null || rl_fail "node drain n3"
# The drain returns once n3 is empty; its VM may still be on its way (failback skips it then).
rl_wait 60 "every VM landed" rl_status_check n1 'all(v["state"] == "running" for v in d["vms"])'
rc=0
vmctl_on n1 cluster update --exec "echo \$(hostname) >>$ran.c" >/dev/null 2>"$RL_DIR/c.err" || rc=$?
[ $rc = 7 ] && grep -q "n3 is drained" "$RL_DIR/c.err" || rl_fail "with n3 drained: exit $rc ($(cat "$RL_DIR/c.err"))"
[ ! -e "$ran.c" ] || rl_fail "a refused update ran the command"
rl_log "refused: $(cat "$RL_DIR/c.err")"
vmctl_on n1 node resume n3 --failback --wait --timeout 120 >/dev/null || rl_fail "node resume n3"
rl_wait 60 "every guest at home" rl_placed "$(rl_home_spec)"

rl_log "--- d. --json: stdout holds one document, progress goes to stderr"
rc=0
vmctl_on n1 cluster update --json --exec 'echo json on $(hostname); exit 3' --timeout 120 \
    >"$RL_DIR/d.json" 2>"$RL_DIR/d.err" || rc=$?
[ $rc = 1 ] || rl_fail "--json with a failing command: exit $rc"
python3 - "$RL_DIR/d.json" <<'PY' || rl_fail "--json document: $(cat "$RL_DIR/d.json")"
import json, sys
d = json.load(open(sys.argv[1]))
n = {x["name"]: x for x in d["nodes"]}
assert d["ok"] is False and d["stopped_at"] == "n1", d
assert n["n1"]["result"] == "failed" and n["n1"]["exit_status"] == 3, n["n1"]
assert n["n1"]["output"] == "json on n1\n", n["n1"]
assert n["n2"]["result"] == "not started" and n["n2"]["exit_status"] is None, n["n2"]
assert n["n1"]["drain_s"] > 0 and n["n1"]["resume_s"] is None, n["n1"]
PY
grep -q "n1: drained in" "$RL_DIR/d.err" || rl_fail "no progress on stderr: $(cat "$RL_DIR/d.err")"
rl_wait 60 "every guest at home" rl_placed "$(rl_home_spec)"
rl_wait 30 "every node online" all_nodes_online
rl_log "--json: stopped at n1 (exit status 3), n1 resumed"

rl_log "--- e. --reboot: n2 and n3 rebooted and back, n1 (where vmctl runs) last, not rebooted"
# A lab node reboots as a host does with `reboot -f` (tests/lab/lab-reboot: the lab's power
# controller power-cycles it).
snap_counters
: >"$ran"
declare -A ON=()
for n in n1 n2 n3; do ON[$n]=$(grep -c "power on" "$RL_VAR/nodes/$n/console.log" || true); done
t0=$(rl_now_ms)
rc=0
vmctl_on n1 cluster update --exec "echo \$(hostname) >>$ran" --reboot \
    --reboot-command "$RL_LAB_DIR/lab-reboot $VMHA_LAB" --timeout 180 >"$RL_DIR/e.out" 2>&1 || rc=$?
ms=$(($(rl_now_ms) - t0))
sed 's/^/    /' "$RL_DIR/e.out"
[ $rc = 0 ] || rl_fail "cluster update --reboot: exit $rc"
[ "$(cat "$ran")" = $'n2\nn3\nn1' ] || rl_fail "the command ran: '$(tr '\n' ' ' <"$ran")', expected n2 n3 n1"
for n in n2 n3; do
    [ "$(grep -c "power on" "$RL_VAR/nodes/$n/console.log")" = $((${ON[$n]} + 1)) ] ||
        rl_fail "$n was not powered on exactly once more"
    grep -q "$n: rebooted and back in" "$RL_DIR/e.out" || rl_fail "no 'rebooted and back' for $n"
    grep -q " fence reboot $n by $n done rc=0\$" "$RL_FENCE_LOG" || rl_fail "$n did not reboot itself"
    grep -Eq "^$n +done +.* done\$" "$RL_DIR/e.out" || rl_fail "$n not done in the summary"
done
[ "$(grep -c "power on" "$RL_VAR/nodes/n1/console.log")" = "${ON[n1]}" ] || rl_fail "n1 was rebooted"
grep -Eq "^n1 +done .*not rebooted" "$RL_DIR/e.out" || rl_fail "n1 not reported done, not rebooted"
rl_log "power controller log (a drained node's own reboot needs no fencing):"
sed 's/^/    /' "$RL_FENCE_LOG"
rl_log "update with reboots done in $ms ms"
check_continued
rl_wait 30 "every node online" all_nodes_online

rl_dup_stop
rl_log "PASS"
