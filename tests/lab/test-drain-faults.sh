#!/usr/bin/env bash
# Planned maintenance under faults, on a 3-node lab with clusterd, fence_lab and six tiny guests
# (va, vb prefer n1; vc..vf prefer n3, then n2, then n1; failback=never), the duplicate checker
# sampling every 100 ms throughout:
#  a. the leader's clusterd killed (SIGKILL) in the middle of `vmctl node drain n3 --wait` (run on
#     n2): a new leader completes the drain, every guest of n3 runs elsewhere with its memory;
#     then n1's clusterd is started again and the cluster is in sync;
#  b. `vmctl node resume n3 --failback --wait` brings vc..vf back; then qemu is made unstartable on
#     n2 (inside n2's mount namespace, /bin/false bound over the qemu binary: a real, node-local
#     failure) and n3 is drained again: the VMs the drain sends to n2 fail to restore there and are
#     retried on n1 with their memory; n3 ends drained, nothing runs on n2.
# No VM is ever seen on two nodes.
. "$(dirname "$0")/drain-lib.sh" dl2

# vc..vf all prefer n2 to n1 after n3: a drain of n3 sends them to n2, never to the leader n1.
# (A restore running on n1 when its clusterd is killed stays pending until that clusterd is
# back: BUGS.md. Here the leader's death hits only the controller.)
declare -A RL_PREFER=([va]=n1,n2,n3 [vb]=n1,n3,n2 [vc]=n3,n2,n1 [vd]=n3,n2,n1 [ve]=n3,n2,n1 [vf]=n3,n2,n1)
declare -A RL_HOME=([va]=n1 [vb]=n1 [vc]=n3 [vd]=n3 [ve]=n3 [vf]=n3)
MOVERS="vc vd ve vf"
QEMU=/usr/bin/qemu-system-x86_64

rl_setup_six failback=never
leader=$(rl_leader n2)
[ "$leader" = n1 ] || rl_fail "the leader is '$leader'; this test kills the leader while n3 drains and expects n1"

rl_log "--- a. the leader's clusterd killed during a drain of n3"
dl_snap $MOVERS
t0=$(rl_now_ms)
dl_run drain 200 n2 node drain n3 --wait --timeout 180
# In the middle: once the first guest has left n3 and before the last one has.
rl_wait 60 "a first VM gone from n3" eval '[ "$(dl_vms_on n3 | wc -w)" -lt 4 ]'
left=$(dl_vms_on n3)
[ -n "$left" ] || rl_fail "the drain ended before the leader could be killed"
"$LAB" exec n1 sh -c 'kill -9 "$(pidof clusterd)"' || rl_fail "kill clusterd on n1"
tk=$(rl_now_ms)
rl_log "n1's clusterd (the leader) killed at +$((tk - t0)) ms; still on n3: $left"
rc=0
dl_wait_run drain 200 || rc=$?
[ $rc = 0 ] || rl_fail "vmctl node drain n3 --wait across the leader's death: exit $rc"
rl_log "drain of n3 done at +$(($(rl_now_ms) - t0)) ms; pauses:$(dl_pauses "$t0" $MOVERS)"
new_leader=$(rl_leader n2)
[ -n "$new_leader" ] && [ "$new_leader" != n1 ] || rl_fail "no new leader ('$new_leader')"
dl_none_on n3 || rl_fail "VMs still on n3: $(dl_vms_on n3)"
for vm in $MOVERS; do rl_really_elsewhere "$vm" n3 || rl_fail "$vm does not run on one node other than n3"; done
rl_wait 15 "n3 drained as n2 sees it" dl_node_is n2 n3 drained
dl_check_continued $MOVERS
rl_log "new leader $new_leader completed the drain: $(rl_where_now)"
"$LAB" exec n1 sh -c "setsid '$CLUSTERD' --fence-agent-dir '$RL_VAR/fence-agents' </dev/null >>/var/log/vmha/clusterd.out 2>&1 &"
rl_wait 60 "n1's clusterd back, all in sync" rl_all_in_sync
spec=""
for vm in $RL_VMS; do spec="$spec $vm=$(rl_node_of "$vm")"; done
rl_wait 30 "vmctl shows$spec" rl_placed "$spec" n1
rl_log "n1's clusterd back in the cluster, nothing moved"

rl_log "--- b. a restore that fails on its target"
dl_run resume 150 n1 node resume n3 --failback --wait --timeout 120
rc=0
dl_wait_run resume 160 || rc=$?
[ $rc = 0 ] || rl_fail "vmctl node resume n3 --failback --wait: exit $rc"
rl_wait 30 "all six at home" rl_placed "$(rl_home_spec)" n2
"$LAB" exec n2 mount --bind /bin/false "$QEMU" || rl_fail "cannot bind /bin/false over $QEMU in n2"
"$LAB" exec n2 sh -c "! '$QEMU' -version >/dev/null 2>&1" || rl_fail "qemu still runs in n2"
rl_log "qemu made unstartable on n2 ($QEMU is /bin/false there)"
dl_snap $MOVERS
n2log=$RL_VAR/nodes/n2/var/log/vmha/clusterd.log
n2lines=$(wc -l <"$n2log")
t0=$(rl_now_ms)
dl_run drain2 200 n1 node drain n3 --wait --timeout 180
rc=0
dl_wait_run drain2 200 || rc=$?
"$LAB" exec n2 umount "$QEMU" || rl_fail "umount $QEMU in n2"
[ $rc = 0 ] || rl_fail "vmctl node drain n3 --wait with n2 unable to restore: exit $rc"
rl_log "drain of n3 done in $(($(rl_now_ms) - t0)) ms; pauses:$(dl_pauses "$t0" $MOVERS)"
dl_none_on n3 || rl_fail "VMs still on n3: $(dl_vms_on n3)"
dl_none_on n2 || rl_fail "VMs on n2, where qemu cannot start: $(dl_vms_on n2)"
for vm in $MOVERS; do rl_really_on "$vm" n1 || rl_fail "$vm is not on n1: $(rl_where_now)"; done
rl_wait 15 "n3 drained as n1 sees it" dl_node_is n1 n3 drained
# The drain really sent some of them to n2, whose clusterd reported the restore failing there.
failed=$(tail -n +"$((n2lines + 1))" "$n2log" | sed -n 's/.*: migrate_from \(v[a-f]\): done, rc [1-9].*/\1/p' | sort -u | xargs)
[ -n "$failed" ] || rl_fail "no restore (migrate_from) failed on n2: the drain did not try n2"
rl_log "restores that failed on n2: $failed; all of $MOVERS on n1: $(rl_where_now)"
dl_check_continued $MOVERS

rl_dup_stop
rl_log "PASS"
