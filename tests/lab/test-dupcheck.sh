#!/usr/bin/env bash
# The duplicate checker (tests/lab/dupcheck) really sees a VM on two nodes: on a 3-node lab without
# clusterd, guests started by hand with virsh. dx runs on n1, then a second dx (same name, its own
# disk and serial log: qemu's image lock and virtlockd would refuse the same disk, and to the
# checker the guest's identity is its name) on n2 while an allow window covers dx: reported as
# allowed; a second such window is not (an allow covers one window): a violation, and
# `dupcheck stop` exits 1.
# dy on n3, then n3 powered off: the checker goes on without it. The sampling period is reported
# and must stay near its 100 ms target.
. "$(dirname "$0")/recovery-lib.sh" rc1

rl_up --no-clusterd
"$MKGUEST" dx --dir "$RL_SHARED/a" --memory 16 >/dev/null
"$MKGUEST" dx --dir "$RL_SHARED/b" --memory 16 >/dev/null
"$MKGUEST" dy --dir "$RL_SHARED/a" --memory 16 >/dev/null

rl_dup_start
"$LAB" exec n1 virsh -q create "$RL_SHARED/a/dx/dx.xml" >/dev/null
"$LAB" exec n3 virsh -q create "$RL_SHARED/a/dy/dy.xml" >/dev/null
rl_wait 30 "dx seen on n1, dy on n3" eval 'rl_really_on dx n1 && rl_really_on dy n3'
[ -z "$("$DUPCHECK" windows "$RL_DUP")" ] || rl_fail "a violation reported with every VM on one node"
"$DUPCHECK" once >"$RL_DIR/once"
grep -qx "dx n1" "$RL_DIR/once" || rl_fail "dupcheck once does not see dx on n1"
rl_log "dx on n1, dy on n3: no violation"

# An expected window: allowed, reported as such.
"$DUPCHECK" allow "$RL_DUP" dx 60
"$LAB" exec n2 virsh -q create "$RL_SHARED/b/dx/dx.xml" >/dev/null
rl_wait 20 "dx seen on n1 and n2" grep -q "start dx n1,n2 allowed" "$RL_DUP/violations"
"$LAB" exec n2 virsh -q destroy dx >/dev/null
rl_wait 20 "dx's window closed" grep -q " end dx .* allowed" "$RL_DUP/violations"
rl_log "dx on n1 and n2 in an allowed window: $(grep " end dx" "$RL_DUP/violations")"

# A second window of dx, about a second long, inside the allow's time: not allowed (an allow
# covers one window), a violation.
"$LAB" exec n2 virsh -q create "$RL_SHARED/b/dx/dx.xml" >/dev/null
rl_wait 20 "dx seen on n1 and n2 again" grep -q "start dx n1,n2$" "$RL_DUP/violations"
"$LAB" exec n2 virsh -q destroy dx >/dev/null
rl_wait 20 "dx's second window closed" eval '[ "$(grep -c " end dx " "$RL_DUP/violations")" = 2 ]'
rl_log "dx on n1 and n2 again: $(grep " end dx " "$RL_DUP/violations" | tail -n1)"

# A node powered off takes its guests with it; the checker goes on.
rl_kill n3
rl_wait 10 "dy gone with n3" rl_really_nowhere dy
t=$(rl_now_ms)
rl_wait 10 "the checker still samples" eval '[ "$(head -n1 "$RL_DUP/where")" -gt "$t" ]'
rl_log "n3 powered off: dy gone, sampling goes on"

RL_DUP_RUNNING=0
rc=0
out=$("$DUPCHECK" stop "$RL_DUP") || rc=$?
echo "$out"
[ $rc = 1 ] || rl_fail "dupcheck stop exited $rc after a violation (expected 1)"
grep -q "violations: 1, allowed: 1" <<<"$out" || rl_fail "expected one violation and one allowed"
period=$(sed -n 's/.*achieved period \([0-9]*\) ms.*/\1/p' <<<"$out")
[ -n "$period" ] && [ "$period" -le 200 ] || rl_fail "sampling period ${period:-?} ms, far above the 100 ms target"
grep -Eq "^[0-9]+ dy -$" "$RL_DUP/events" || rl_fail "dy's disappearance was not recorded"

# Without violations, stop exits 0.
"$DUPCHECK" start "$RL_DUP" >/dev/null
"$DUPCHECK" stop "$RL_DUP" >/dev/null || rl_fail "dupcheck stop exited non-zero with no violation"
rl_log "PASS (sampling period ${period} ms)"
