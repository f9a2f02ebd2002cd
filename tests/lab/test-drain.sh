#!/usr/bin/env bash
# Planned maintenance on a 3-node lab with clusterd, fence_lab and six tiny guests that all prefer
# n1 (then n2 or n3), placement-strategy utilization with n1 2048 MiB and n2, n3 512 MiB each,
# failback=never, the duplicate checker sampling every 100 ms throughout:
#  a. `vmctl node drain n1 --wait`: all six run on n2/n3, each guest's counter went on without a
#     boot (quick migration kept its memory), n1 is `drained` in `vmctl status --json` and gets
#     nothing while drained;
#  b. `vmctl node resume n1 --failback --wait`: all six back on n1, counters still going on,
#     n1 `online` again;
#  c. va's memory set to 600 MiB (fits only n1): `vmctl node drain n1` is refused with exit 7 and
#     one line naming va; nothing moves and n1 stays `online`.
# No VM is ever seen on two nodes.
. "$(dirname "$0")/drain-lib.sh" dl1

declare -A RL_PREFER=([va]=n1,n2,n3 [vb]=n1,n3,n2 [vc]=n1,n2,n3 [vd]=n1,n3,n2 [ve]=n1,n2,n3 [vf]=n1,n3,n2)
declare -A RL_HOME=([va]=n1 [vb]=n1 [vc]=n1 [vd]=n1 [ve]=n1 [vf]=n1)

rl_up
dl_config placement-strategy=utilization n1:memory=2048 n1:cpu=16 \
    n2:memory=512 n2:cpu=8 n3:memory=512 n3:cpu=8
rl_fence_ensure
rl_make_guests 32
rl_dup_start
rl_add_vms shutdown_timeout=1 failback=never
rl_wait 120 "all six VMs running on n1" rl_placed "$(rl_home_spec)"
rl_counters_running $RL_VMS
rl_log "all six on n1"

rl_log "--- a. drain n1"
dl_snap $RL_VMS
t0=$(rl_now_ms)
dl_run drain 150 n2 node drain n1 --wait --timeout 120
rl_wait 60 "n1 draining or drained" eval 'dl_node_is n2 n1 draining || dl_node_is n2 n1 drained'
rc=0
dl_wait_run drain 160 || rc=$?
[ $rc = 0 ] || rl_fail "vmctl node drain n1 --wait: exit $rc"
t1=$(rl_now_ms)
rl_log "drain of n1 done in $((t1 - t0)) ms; pauses (qemu nowhere):$(dl_pauses "$t0" $RL_VMS)"
dl_none_on n1 || rl_fail "VMs still on n1 after the drain: $(dl_vms_on n1)"
for vm in $RL_VMS; do rl_really_elsewhere "$vm" n1 || rl_fail "$vm does not run on one node other than n1"; done
spec=""
for vm in $RL_VMS; do spec="$spec $vm=$(rl_node_of "$vm")"; done
rl_wait 30 "vmctl shows$spec" rl_placed "$spec" n3
for n in n1 n2 n3; do
    rl_wait 15 "n1 drained as $n sees it" dl_node_is "$n" n1 drained
done
rl_log "n1 drained; $(rl_where_now)"
dl_check_continued $RL_VMS
grep -q "n1: drained" "$RL_DIR/drain.out" || rl_fail "vmctl node drain --wait did not report n1 drained"
rl_stable 3
rl_log "nothing moves to the drained n1"

rl_log "--- b. resume n1 with failback"
dl_snap $RL_VMS
t0=$(rl_now_ms)
dl_run resume 150 n3 node resume n1 --failback --wait --timeout 120
rc=0
dl_wait_run resume 160 || rc=$?
[ $rc = 0 ] || rl_fail "vmctl node resume n1 --failback --wait: exit $rc"
rl_wait 30 "all six back on n1" rl_placed "$(rl_home_spec)" n2
rl_log "all six back on n1 in $(($(rl_now_ms) - t0)) ms; pauses:$(dl_pauses "$t0" $RL_VMS)"
dl_check_continued $RL_VMS
rl_wait 15 "n1 online again" dl_node_is n1 n1 online
rl_wait 30 "the live plan is empty" rl_plan_empty n1
rl_stable 3

rl_log "--- c. a drain the others cannot absorb"
vmctl_on n1 vm set va memory=600 >/dev/null || rl_fail "vm set va memory=600"
rl_wait 30 "the live plan is empty" rl_plan_empty n1
before=$(rl_where_now)
events=$(wc -l <"$RL_DUP/events")
rc=0
out=$(vmctl_on n2 node drain n1 2>&1) || rc=$?
echo "    | $out"
[ $rc = 7 ] || rl_fail "vmctl node drain n1 with va fitting nowhere else: exit $rc, expected 7 (refused)"
[ "$(printf '%s\n' "$out" | wc -l)" = 1 ] || rl_fail "the refusal is not one line"
[[ $out == *va* ]] || rl_fail "the refusal does not name va"
rl_stable 3
[ "$(rl_where_now)" = "$before" ] || rl_fail "VMs moved after a refused drain: $before -> $(rl_where_now)"
[ "$(wc -l <"$RL_DUP/events")" = "$events" ] || rl_fail "VMs moved after a refused drain"
dl_node_is n3 n1 online || rl_fail "n1 is $(dl_node_state n3 n1) after a refused drain, expected online"
rl_status_check n1 '[n for n in d["nodes"] if n["name"] == "n1"][0]["drain"] is False' ||
    rl_fail "a refused drain left n1 marked for draining"
rl_log "refused (exit 7), nothing written, nothing moved: $(rl_where_now)"

rl_dup_stop
rl_log "PASS"
