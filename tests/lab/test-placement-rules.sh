#!/usr/bin/env bash
# Placement rules and maintenance mode on a 3-node lab (clusterd, fence_lab, six tiny guests,
# the duplicate checker sampling every 100 ms throughout):
#  a. `vm set vb together-with=va` (both at home on n1) and `vm set vd apart-from=vc` (both at
#     home on n2): one of vc and vd leaves n2, and from then on they never share a node;
#  b. the node of va and vb powered off: after its fence both restart, on the same node; vc and
#     vd never share a node, before, during or after;
#  c. `cluster maintenance on`, then a node with VMs powered off: nothing is fenced, nothing
#     is started or moved, and `vmctl status` says why (banner, node unclean, each VM's reason);
#     `cluster maintenance off`: now the node is fenced and its VMs recovered, which shows that
#     only maintenance mode held them.
. "$(dirname "$0")/recovery-lib.sh" pr1

# apart_ok: vc and vd do not run on one node (what really runs, the checker's last round).
apart_ok() {
    local c d
    c=$(rl_node_of vc)
    d=$(rl_node_of vd)
    [ -z "$c" ] || [ -z "$d" ] || [ "$c" != "$d" ]
}
# rl_wait with the apart rule checked at every poll: CMD must come true while it never breaks.
wait_apart() {
    local secs=$1 what=$2 deadline=$(($(rl_now_ms) + $1 * 1000))
    shift 2
    until "$@" >/dev/null 2>&1; do
        apart_ok || rl_fail "vc and vd both on $(rl_node_of vc): $(rl_where_now)"
        [ "$(rl_now_ms)" -lt "$deadline" ] || rl_fail "timed out after ${secs}s waiting for: $what"
        sleep 0.2
    done
    apart_ok || rl_fail "vc and vd both on $(rl_node_of vc): $(rl_where_now)"
}
together_on() { # together_on NODE: va and vb both run on NODE (and nowhere else)
    rl_really_on va "$1" && rl_really_on vb "$1"
}
together_off_n1() { together_on n2 || together_on n3; }
# The events of the checker never showed vc and vd on one node since SINCE_MS: replayed from
# the "MS VM NODES" lines, so a moment between two polls of this script is covered too.
apart_throughout() {
    awk -v t="$1" '$1 >= t && ($2 == "vc" || $2 == "vd") {
        w[$2] = $3
        if (w["vc"] != "" && w["vc"] != "-" && w["vc"] == w["vd"]) { print $1, w["vc"]; bad = 1 }
    } END { exit bad }' "$RL_DUP/events" || rl_fail "the checker saw vc and vd on one node (above)"
}

rl_setup_six failback=never

rl_log "--- a. together-with and apart-from on running VMs"
vmctl_on n1 vm set vb together-with=va >/dev/null || rl_fail "vm set vb together-with=va"
vmctl_on n2 vm set vd apart-from=vc >/dev/null || rl_fail "vm set vd apart-from=vc"
rl_vm_check n3 'v["vb"]["together_with"] == ["va"] and v["vd"]["apart_from"] == ["vc"]' ||
    rl_fail "vm list does not show the rules"
both_running() { [ -n "$(rl_node_of vc)" ] && [ -n "$(rl_node_of vd)" ]; }
apart_running() { both_running && apart_ok; }
rl_wait 60 "vc and vd running on two nodes" apart_running
t_apart=$(rl_now_ms)
wait_apart 30 "the live plan is empty" rl_plan_empty n1
together_on n1 || rl_fail "va and vb are not together on n1: $(rl_where_now)"
rl_log "vc and vd apart: $(rl_where_now)"

rl_log "--- b. the node of va and vb powered off"
rl_snap_boots
t0=$(rl_now_ms)
rl_kill n1
rl_log "n1 powered off at $(rl_fmt "$t0")"
wait_apart 90 "va and vb running together on a survivor" together_off_n1
node=$(rl_node_of va)
rl_log "va and vb restarted together on $node: $(rl_where_now) (+$(($(rl_now_ms) - t0)) ms)"
rl_check_recovered "$t0" n1 va vb
wait_apart 90 "all three nodes quorate and in sync" rl_all_in_sync
wait_apart 30 "the live plan is empty" rl_plan_empty n2
apart_ok || rl_fail "vc and vd share a node: $(rl_where_now)"
together_on "$(rl_node_of va)" || rl_fail "va and vb apart: $(rl_where_now)"
apart_throughout "$t_apart"
rl_log "after the loss: $(rl_where_now); vc and vd never shared a node"

rl_log "--- c. maintenance mode, then a node with VMs powered off"
vmctl_on n2 cluster maintenance on >/dev/null || rl_fail "cluster maintenance on"
rl_wait 30 "every node sees maintenance mode" rl_status_check n3 'd["maintenance_mode"]'
victim=$(rl_node_of vd)
[ "$victim" != n1 ] || victim=n3
victims=$(rl_real_where | awk -v n="$victim" '$2 == n {print $1}' | tr '\n' ' ')
[ -n "$victims" ] || rl_fail "no VM on $victim: $(rl_where_now)"
witness=n1
[ "$victim" != n1 ] || witness=n2
before=$(rl_where_now)
fences_before=$(rl_fence_lines "$victim" | wc -l)
t0=$(rl_now_ms)
rl_kill "$victim"
rl_log "$victim (running $victims) powered off at $(rl_fmt "$t0") in maintenance mode"
for vm in $victims; do
    rl_wait 60 "$witness's status gives $vm's reason" rl_status_check "$witness" \
        "any(v['name'] == '$vm' and 'maintenance mode: $victim is lost and not fenced' in (v['why'] or '') for v in d['vms'])"
done
rl_status_check "$witness" "any(n['name'] == '$victim' and n['state'] == 'unclean' for n in d['nodes'])" ||
    rl_fail "$victim is not shown unclean"
vmctl_on "$witness" status | grep >/dev/null "^MAINTENANCE MODE: nothing is started, stopped, moved or fenced" ||
    rl_fail "vmctl status has no maintenance mode banner"
vmctl_on "$witness" status | sed 's/^/    /'
# The leader has planned since the loss (the status above is its engine's view too); now the
# evidence that nothing happened: no fence of the victim, its VMs nowhere, the others in place.
[ "$(rl_fence_lines "$victim" | wc -l)" = "$fences_before" ] || {
    rl_fence_lines "$victim"
    rl_fail "$victim fenced in maintenance mode"
}
for vm in $victims; do rl_really_nowhere "$vm" || rl_fail "$vm started elsewhere: $(rl_where_now)"; done
for pair in $before; do
    vm=${pair%=*}
    [[ " $victims " == *" $vm "* ]] || [ "$(rl_node_of "$vm")" = "${pair#*=}" ] ||
        rl_fail "$vm moved in maintenance mode: $before -> $(rl_where_now)"
done
held_ms=$(($(rl_now_ms) - t0))
rl_log "maintenance mode held for $held_ms ms: $victim not fenced, nothing moved ($(rl_where_now))"

rl_log "--- maintenance mode off: the fence and the recovery follow"
rl_snap_boots
t1=$(rl_now_ms)
vmctl_on "$witness" cluster maintenance off >/dev/null || rl_fail "cluster maintenance off"
# shellcheck disable=SC2086
for vm in $victims; do
    wait_apart 90 "$vm recovered on a survivor" rl_really_elsewhere "$vm" "$victim"
done
fenced=$(rl_fenced_at "$victim" "$t0") || rl_fail "$victim never fenced after maintenance mode ended"
[ "$fenced" -ge "$t1" ] || rl_fail "$victim fenced at $(rl_fmt "$fenced"), before maintenance mode ended"
# shellcheck disable=SC2086
rl_check_recovered "$t1" "$victim" $victims
apart_throughout "$t_apart"
rl_log "fenced at $(rl_fmt "$fenced") (+$((fenced - t1)) ms after maintenance off): $(rl_where_now)"

rl_dup_stop
rl_log "PASS"
