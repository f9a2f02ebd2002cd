#!/usr/bin/env bash
# A planned shutdown of clusterd (SIGTERM) on a 3-node lab with six tiny guests, the duplicate
# checker sampling every 100 ms throughout:
#  a. n2 (vc: shutdown-policy migrate, the default; vd: stop): clusterd drains n2 before it
#     exits: vc arrives elsewhere by quick migration (same boot, counter continued), vd is
#     stopped and started elsewhere (one more boot); n2 is shown drained while clusterd is gone;
#  b. n2 (empty, drained by its shutdown) power-cut: shown offline, not fenced; powered on, its
#     clusterd ends its own shutdown drain, n2 is online, nothing moves;
#  c. n3 with every VM on it on freeze: clusterd exits at once, the VMs keep running on n3 and nobody
#     recovers them; clusterd back, nothing moved.
. "$(dirname "$0")/recovery-lib.sh" sd1

CLUSTERD=$VMHA_BUILD_DIR/clusterd/clusterd
# stop_clusterd NODE DEADLINE_S: SIGTERM, then wait until it has exited.
stop_clusterd() {
    "$LAB" exec "$1" sh -c "p=\$(pidof clusterd) && kill -TERM \$p; for i in \$(seq $(($2 * 10))); do pidof clusterd >/dev/null || exit 0; sleep 0.1; done; exit 1"
}
start_clusterd() {
    "$LAB" exec "$1" sh -c "setsid '$CLUSTERD' --fence-agent-dir '$RL_VAR/fence-agents' </dev/null >>/var/log/vmha/clusterd.out 2>&1 &"
}
node_field() { # node_field ASKING_NODE NODE FIELD
    vmctl_on "$1" status --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(next(n for n in d["nodes"] if n["name"] == sys.argv[1]).get(sys.argv[2]))' "$2" "$3"
}

rl_setup_six failback=never
vmctl_on n1 vm set vd shutdown-policy=stop >/dev/null || rl_fail "vm set vd shutdown-policy=stop"

rl_log "--- a. SIGTERM to clusterd on n2 (vc migrate, vd stop)"
rl_snap_boots
vc_before=$(rl_counter vc)
t0=$(rl_now_ms)
stop_clusterd n2 120 || rl_fail "clusterd on n2 did not exit within 120 s"
rl_log "clusterd on n2 exited after $(($(rl_now_ms) - t0)) ms"
! grep -q " n2$" <(rl_real_where) || rl_fail "n2 still runs a VM after its clusterd exited: $(rl_where_now)"
# vd's cold move may still be starting it elsewhere (the stop was all n2 had to do).
for vm in vc vd; do
    rl_wait 60 "$vm running on n1 or n3" eval 'w=$(rl_node_of '"$vm"'); [ "$w" = n1 ] || [ "$w" = n3 ]'
done
[ "$(rl_boots vc)" = "${RL_BOOTS[vc]}" ] || rl_fail "vc rebooted: $(rl_boots vc) boots, ${RL_BOOTS[vc]} before"
[ "$(rl_counter vc)" -ge "$vc_before" ] || rl_fail "vc's counter went back: $(rl_counter vc) < $vc_before"
rl_wait 30 "vd's guest booted once more" eval '[ "$(rl_boots vd)" = $((${RL_BOOTS[vd]} + 1)) ]'
rl_counters_running vc vd
[ "$(node_field n1 n2 state)" = drained ] || rl_fail "n2 is $(node_field n1 n2 state), not drained"
rl_log "n2 empty: vc migrated to $(rl_node_of vc) (same boot, counter $(rl_counter vc)), vd restarted on $(rl_node_of vd)"

rl_log "--- b. n2, empty and drained by its shutdown, loses power: not fenced; it comes back"
before=$(rl_where_now)
rl_kill n2
rl_wait 30 "n2 offline (not unclean)" eval '[ "$(node_field n1 n2 state)" = offline ]'
rl_stable 3
[ -z "$(rl_fence_lines n2)" ] || rl_fail "n2 was fenced although nothing of ours ran there: $(rl_fence_lines n2)"
rl_start n2
rl_wait 90 "n2 quorate and in sync" rl_quorate_in_sync n2
rl_wait 30 "n2 online again (its shutdown drain ended)" eval '[ "$(node_field n1 n2 state)" = online ]'
rl_stable 3
[ "$(rl_where_now)" = "$before" ] || rl_fail "VMs moved: $before -> $(rl_where_now)"
rl_log "n2 online, nothing moved: $(rl_where_now)"

frozen=$(awk '$2 == "n3" {print $1}' <(rl_real_where) | xargs)
rl_log "--- c. SIGTERM to clusterd on n3 (its VMs $frozen on freeze)"
for vm in $frozen; do vmctl_on n1 vm set "$vm" shutdown-policy=freeze >/dev/null || rl_fail "vm set $vm"; done
before=$(rl_where_now)
t0=$(rl_now_ms)
stop_clusterd n3 10 || rl_fail "clusterd on n3 did not exit at once"
rl_log "clusterd on n3 exited after $(($(rl_now_ms) - t0)) ms"
rl_stable 5
[ "$(rl_where_now)" = "$before" ] || rl_fail "VMs moved: $before -> $(rl_where_now)"
# shellcheck disable=SC2086
rl_counters_running $frozen
start_clusterd n3
rl_wait 60 "n3 quorate and in sync" rl_quorate_in_sync n3
rl_stable 3
[ "$(rl_where_now)" = "$before" ] || rl_fail "VMs moved: $before -> $(rl_where_now)"
rl_log "freeze: $frozen kept running on n3 while its clusterd was gone; nothing moved"

rl_dup_stop
rl_log "PASS"
