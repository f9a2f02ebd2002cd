#!/usr/bin/env bash
# vmctl node exec on a 3-node lab with clusterd (no guests): a command runs on the node named, through
# its clusterd, exactly once; its output and exit status come back; only root may; a node whose
# clusterd is not a member is refused at once; a target that leaves while the command runs gives
# an "unknown outcome" error at once; the timeout kills the command.
. "$(dirname "$0")/recovery-lib.sh" "ux$(echo "${VMHA_BUILD_DIR:-}" | md5sum | cut -c1-4)"

rl_up
out=$RL_SHARED/exec-out

# timed NODE ARGS...: vmctl on NODE; sets OUT, ERR, RC and MS.
timed() {
    local t0
    t0=$(rl_now_ms)
    RC=0
    vmctl_on "$@" >"$RL_DIR/out" 2>"$RL_DIR/err" || RC=$?
    MS=$(($(rl_now_ms) - t0))
    OUT=$(cat "$RL_DIR/out")
    ERR=$(cat "$RL_DIR/err")
}

rl_log "--- output, exit status, the node's own shell"
timed n1 node exec n2 -- 'hostname; echo "to stderr" >&2; echo "node=$VMHA_NODE"'
[ "$RC" = 0 ] || rl_fail "node exec n2 hostname: rc $RC ($ERR)"
[ "$OUT" = $'n2\nto stderr\nnode=n2' ] || rl_fail "unexpected output: '$OUT'"
rl_log "n1 -> n2: '$(echo "$OUT" | head -n1)' in $MS ms"

timed n2 node exec n3 -- 'echo failing; exit 4'
[ "$RC" = 1 ] || rl_fail "a command exiting 4: vmctl rc $RC, expected 1"
[ "$OUT" = failing ] || rl_fail "output of the failing command: '$OUT'"
[[ $ERR == *"on n3: exited with status 4"* ]] || rl_fail "no exit status on stderr: '$ERR'"
timed n2 node exec --json n3 -- 'exit 4'
[ "$(echo "$OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["exit_status"])')" = 4 ] ||
    rl_fail "--json exit_status: $OUT"
rl_log "exit status 4 reported (rc 1, --json exit_status 4)"

rl_log "--- exactly once, on the node named"
timed n3 node exec n1 -- "echo \$(hostname) >>$out"
[ "$RC" = 0 ] || rl_fail "append on n1: rc $RC ($ERR)"
[ "$(cat "$out")" = n1 ] || rl_fail "shared file after one exec: '$(cat "$out")'"
timed n1 node exec n1 -- "echo \$(hostname) >>$out"
[ "$(cat "$out")" = $'n1\nn1' ] || rl_fail "shared file after two execs: '$(cat "$out")'"
ok=$(grep -c "exec .* from n3 exited with status 0" "$RL_VAR/nodes/n1/var/log/vmha/clusterd.log" || true)
[ "$ok" = 1 ] || rl_fail "n1's clusterd ran the request from n3 $ok times"
ok=$(grep -c "exec [0-9]*:[0-9]*:[0-9]* from .*>>$out\$" "$RL_VAR/nodes/n1/var/log/vmha/clusterd.log" || true)
[ "$ok" = 2 ] || rl_fail "n1's clusterd started $ok appends, expected 2"
for n in n2 n3; do
    ! grep -q "exec [0-9]*:[0-9]*:[0-9]* from .*>>$out\$" "$RL_VAR/nodes/$n/var/log/vmha/clusterd.log" ||
        rl_fail "$n ran a command meant for n1"
done
rl_log "each request ran once, on n1 only"

rl_log "--- only root"
RC=0
"$LAB" exec n1 setpriv --reuid 65534 --regid 65534 --clear-groups "$VMCTL" node exec n2 -- "touch $out.nobody" \
    >/dev/null 2>"$RL_DIR/err" || RC=$?
[ "$RC" = 5 ] || rl_fail "non-root node exec: rc $RC, expected 5 ($(cat "$RL_DIR/err"))"
[ ! -e "$out.nobody" ] || rl_fail "a non-root request ran"
rl_log "non-root refused by clusterd: $(cat "$RL_DIR/err")"

rl_log "--- timeout"
timed n1 node exec n2 --timeout 2 -- 'echo begun; sleep 60'
[ "$RC" = 1 ] && [[ $ERR == *"timed out after 2 s"* ]] && [ "$OUT" = begun ] ||
    rl_fail "timeout: rc $RC, out '$OUT', err '$ERR'"
[ "$MS" -lt 15000 ] || rl_fail "the timed-out command took $MS ms to answer"
rl_log "killed at its 2 s timeout, answered in $MS ms"

rl_log "--- a node whose clusterd is not a member"
"$LAB" exec n3 sh -c 'kill -9 $(pidof clusterd)'
rl_wait 30 "n3's clusterd gone from n1's view" rl_status_check n1 'len(d["members"]) == 2'
timed n1 node exec n3 -- "touch $out.never"
[ "$RC" = 1 ] && [[ $ERR == *"n3 is not a member of the cluster"* ]] ||
    rl_fail "exec on n3 without clusterd: rc $RC, err '$ERR'"
[ "$MS" -lt 5000 ] || rl_fail "refusal took $MS ms"
[ ! -e "$out.never" ] || rl_fail "the command ran on n3"
rl_log "refused at once ($MS ms): $ERR"
"$LAB" exec n3 sh -c "setsid $VMHA_BUILD_DIR/clusterd/clusterd --fence-agent-dir $RL_VAR/fence-agents </dev/null >>/var/log/vmha/clusterd.out 2>&1 &"
rl_wait 60 "all three in sync again" rl_all_in_sync

rl_log "--- the target leaves while the command runs"
(rc=0
    vmctl_on n1 node exec n3 -- "echo \$\$ >$out.pid; exec sleep 60" >"$RL_DIR/bg.out" 2>"$RL_DIR/bg.err" || rc=$?
    echo $rc >"$RL_DIR/bg.rc") &
rl_wait 30 "the command running on n3" test -s "$out.pid"
t0=$(rl_now_ms)
"$LAB" exec n3 sh -c 'kill -9 $(pidof clusterd)'
rl_wait 20 "vmctl answered" test -s "$RL_DIR/bg.rc"
ms=$(($(rl_now_ms) - t0))
[ "$(cat "$RL_DIR/bg.rc")" = 1 ] && grep -q "n3 left the cluster before answering; the command may or may not have run" "$RL_DIR/bg.err" ||
    rl_fail "target left: rc $(cat "$RL_DIR/bg.rc"), err '$(cat "$RL_DIR/bg.err")'"
rl_log "answered $ms ms after n3's clusterd died: $(cat "$RL_DIR/bg.err")"
"$LAB" exec n3 sh -c "kill \$(cat $out.pid)" || true
wait

rl_log "PASS"
