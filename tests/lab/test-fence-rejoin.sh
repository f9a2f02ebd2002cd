#!/usr/bin/env bash
# Operations from before a node's fence are void (issue 11, defect 7). A 3-node lab with
# clusterd, fence_lab and three tiny guests (va on n1, vc and vd on n2) monitored every 2 s; the
# duplicate checker samples every 100 ms throughout.
#  1. `lab kill n2`: the leader fences n2 (fence_lab reboot powers it on again) and restarts vc
#     and vd on n1/n3.
#  2. n2 rejoins: its clusterd may read a copy of the database from before the fence was recorded
#     and monitor vc and vd, which are not running there any more. Those monitors began before the
#     fence: their failures must not be recorded. No fail count appears for vc or vd, on n2 or
#     anywhere, while the cluster settles and for 15 s after (7 monitor intervals).
. "$(dirname "$0")/recovery-lib.sh" fr1

RL_VMS="va vc vd"
rl_setup_six failback=never monitor-interval=2s

# fail_counts: "vm:node:count" of every recorded failure, as NODE's vmctl status shows them.
fail_counts() {
    vmctl_on "$1" status --json | python3 -c '
import json, sys
for v in json.load(sys.stdin)["vms"]:
    for node, f in sorted(v["fail_counts"].items()):
        print("%s:%s:%d" % (v["name"], node, f["count"]))'
}
no_fail_counts() { [ -z "$(fail_counts "$1")" ]; }

no_fail_counts n1 || rl_fail "failures recorded before the power cut: $(fail_counts n1)"
rl_snap_boots
t0=$(rl_now_ms)
rl_kill n2
rl_log "n2 powered off (lab kill) at $(rl_fmt "$t0"); its VMs: vc vd"
for vm in vc vd; do
    rl_wait 60 "$vm running on a survivor" rl_really_elsewhere "$vm" n2
done
rl_check_recovered "$t0" n2 vc vd

# The fence's reboot powered n2 on again (rl_start makes sure, as test-recovery-kill does).
rl_start n2
rl_wait 90 "all three nodes quorate and in sync" rl_all_in_sync
rl_log "n2 back in the cluster (+$(($(rl_now_ms) - t0)) ms after the cut)"
rl_wait 30 "the live plan is empty" rl_plan_empty n1

# Stays true for 15 s: every monitor n2's clusterd may have started from a stale copy has run
# (and any result of it has been applied) several times over by then.
end=$(($(rl_now_ms) + 15000))
while [ "$(rl_now_ms)" -lt "$end" ]; do
    out=$(fail_counts n1) || rl_fail "vmctl status on n1"
    [ -z "$out" ] || {
        grep -h "monitor of .* failed\|ignoring a result" "$RL_VAR"/nodes/n*/var/log/vmha/clusterd.log || true
        rl_fail "failures recorded after n2's fence and rejoin: $out"
    }
    sleep 0.5
done
no_fail_counts n2 || rl_fail "n2 shows failures: $(fail_counts n2)"
grep -q "before n2 was fenced\|before this node was fenced" "$RL_VAR"/nodes/n*/var/log/vmha/clusterd.log &&
    rl_log "stale results dropped: $(grep -h "before n2 was fenced\|before this node was fenced" "$RL_VAR"/nodes/n*/var/log/vmha/clusterd.log | head -n 3)"
rl_log "no failure recorded after n2's power cut, fence and rejoin: $(rl_where_now)"
rl_dup_stop
rl_log "PASS"
