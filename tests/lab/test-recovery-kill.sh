#!/usr/bin/env bash
# Automatic recovery after power cuts, on a 3-node lab with clusterd, fence_lab as the fence
# device and six tiny guests (two per node by preference, failback=never), the duplicate checker
# sampling every 100 ms throughout:
#  a. `lab kill n2`: n2's two VMs run on n1/n3, restarted (one more boot each), first seen there
#     only after the fence log shows n2's fence completed; the others stay where they were;
#  e. n2 powered on again (by the fence's reboot, or `lab start`): it rejoins and nothing moves;
#  c. the leader's node killed: a new leader fences it and recovers its VMs; it rejoins, nothing moves.
# No VM is ever seen on two nodes.
. "$(dirname "$0")/recovery-lib.sh" rc2

rl_setup_six failback=never

# recover_after_kill NODE: cut NODE's power, check its VMs are recovered elsewhere after its fence.
recover_after_kill() {
    local node=$1 vm victims="" others="" t0 spec
    for vm in $RL_VMS; do
        if [ "$(rl_node_of "$vm")" = "$node" ]; then victims="$victims $vm"; else others="$others $vm=$(rl_node_of "$vm")"; fi
    done
    [ -n "$victims" ] || rl_fail "no VM runs on $node"
    rl_snap_boots
    t0=$(rl_now_ms)
    rl_kill "$node"
    rl_log "$node powered off (lab kill) at $(rl_fmt "$t0"); its VMs:$victims"
    for vm in $victims; do
        rl_wait 60 "$vm running on a survivor" rl_really_elsewhere "$vm" "$node"
    done
    rl_log "all of$victims run elsewhere: $(rl_where_now) (+$(($(rl_now_ms) - t0)) ms)"
    spec=$others
    for vm in $victims; do spec="$spec $vm=$(rl_node_of "$vm")"; done
    local survivor
    for survivor in $RL_NODES; do [ "$survivor" = "$node" ] || break; done
    rl_wait 30 "$survivor's vmctl shows $spec" rl_placed "$spec" "$survivor"
    # shellcheck disable=SC2086
    rl_check_recovered "$t0" "$node" $victims
}

# rejoin NODE: NODE powered on (if the fence's reboot did not already), back in the cluster;
# nothing moves and NODE runs nothing.
rejoin() {
    local node=$1 before t0
    before=$(rl_where_now)
    t0=$(rl_now_ms)
    rl_start "$node"
    rl_wait 90 "all three nodes quorate and in sync" rl_all_in_sync
    rl_log "$node back in the cluster (+$(($(rl_now_ms) - t0)) ms)"
    rl_wait 30 "the live plan is empty" rl_plan_empty n1
    rl_stable 3
    [ "$(rl_where_now)" = "$before" ] || rl_fail "VMs moved: $before -> $(rl_where_now)"
    ! grep -q " $node$" <(rl_real_where) || rl_fail "$node runs a VM after rejoining"
    rl_log "$node rejoined, nothing moved: $(rl_where_now)"
}

rl_log "--- a. power cut of n2"
recover_after_kill n2
rl_log "--- e. n2 back"
rejoin n2

rl_log "--- c. power cut of the leader's node"
leader=$(rl_leader n1)
[ -n "$leader" ] || rl_fail "no leader"
rl_log "leader is $leader"
recover_after_kill "$leader"
# The fence's reboot brings the old leader back quickly, and with the lowest id it may lead again
# by now: the new leader is the node that fenced it.
new_leader=$(rl_fence_lines "$leader" | head -n1 | sed -n 's/.* by \(n[0-9]*\)$/\1/p')
[ -n "$new_leader" ] && [ "$new_leader" != "$leader" ] || rl_fail "$leader not fenced by another node: $(rl_fence_lines "$leader")"
grep -q "leader is node [0-9]* ($new_leader): this node" "$RL_VAR/nodes/$new_leader/var/log/vmha/clusterd.log" ||
    rl_fail "$new_leader fenced $leader but never logged being the leader"
rl_log "new leader $new_leader fenced $leader and recovered its VMs"
rejoin "$leader"

rl_dup_stop
rl_log "PASS"
