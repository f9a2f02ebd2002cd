#!/usr/bin/env bash
# A two-node cluster from bare hosts survives the loss of either node (issue 12). Two bare lab
# nodes; `vmctl cluster setup` without a fence device is refused (exit 2), with fence_lab it makes
# a cluster with two_node; one guest, the duplicate checker sampling throughout:
#  a. the guest on n1; n1's power cut: n2 alone stays quorate (two_node), fences n1 and restarts
#     the guest, only after the fence;
#  b. n1 back (the fence's reboot powers it on) rejoins, the guest stays on n2; n2's power cut:
#     n1 fences n2 and restarts the guest.
. "$(dirname "$0")/setup-lib.sh" st
RL_VMS="tw"

su_bare 2
rc=0
vmctl_on n1 cluster setup --name pair n1 n2 >"$RL_DIR/out" 2>&1 || rc=$?
[ "$rc" = 2 ] && grep -q "two-node cluster needs a fence device" "$RL_DIR/out" ||
    { cat "$RL_DIR/out"; rl_fail "a two-node setup without a fence device: exit $rc"; }
# shellcheck disable=SC2046
vmctl_on n1 cluster setup --name pair --storage "$RL_SHARED" $(su_fence_args) n1 n2 \
    >"$RL_DIR/setup.out" 2>&1 || { cat "$RL_DIR/setup.out"; rl_fail "cluster setup"; }
grep -qx '    two_node: 1' "$RL_VAR/nodes/n1/etc/corosync/corosync.conf" || rl_fail "no two_node: 1"
for n in n1 n2; do rl_quorate_in_sync "$n" || rl_fail "$n not in sync"; done
rl_log "ok: two nodes set up (two_node, lab-fence)"

rl_make_guests 32
rl_dup_start
vmctl_on n1 vm add tw --config "$(rl_xml tw)" --prefer n1 >/dev/null || rl_fail "vm add tw"
rl_wait 90 "tw on n1" rl_really_on tw n1
rl_wait 60 "tw's guest booted" rl_booted tw 0

# lose NODE: the other one fences it and runs tw.
lose() {
    local dead=$1 alive=$2 t0
    rl_snap_boots
    t0=$(rl_now_ms)
    rl_kill "$dead"
    rl_log "$dead powered off"
    rl_wait 30 "$alive alone quorate" su_quorate "$alive" 1
    rl_wait 90 "tw running on $alive" rl_really_on tw "$alive"
    rl_check_recovered "$t0" "$dead" tw
    "$LAB" status | grep >/dev/null "^$dead: running" || rl_start "$dead"
    rl_wait 90 "$dead back in the cluster" eval "su_quorate n1 2 && su_quorate n2 2"
    rl_wait 90 "both in sync" eval "rl_quorate_in_sync n1 && rl_quorate_in_sync n2"
}
lose n1 n2
rl_log "ok: a. n1 lost: n2 fenced it and runs tw; n1 rejoined"
rl_really_on tw n2 || rl_fail "tw not on n2 any more: $(rl_where_now)"
lose n2 n1
rl_log "ok: b. n2 lost: n1 fenced it and runs tw; n2 rejoined"
rl_dup_stop
rl_log "PASS"
