#!/usr/bin/env bash
# A two-node cluster with a quorum device survives the loss of either node (issue 12). Three bare
# lab nodes: n1 and n2 the cluster, n3 the quorum device's host (Debian's corosync-qnetd; it never
# runs corosync). `vmctl cluster setup --qdevice n3` sets up qnetd's CA and the cluster's
# certificate (corosync-qnetd-certutil, corosync-qdevice-net-certutil) and corosync.conf with a
# `device { model: net ... algorithm: ffsplit }` and no two_node; 3 votes (n1, n2, qdevice). One
# guest, the duplicate checker sampling throughout:
#  a. the guest on n1; n1's power cut: n2 stays quorate with the qdevice's vote (2 of 3), fences
#     n1 and restarts the guest, only after the fence;
#  b. n1 back (the fence's reboot powers it on, its corosync-qdevice with it) rejoins with 3 votes;
#     n2's power cut: n1 fences n2 and restarts the guest.
. "$(dirname "$0")/setup-lib.sh" sq
RL_VMS="tq"

command -v corosync-qnetd >/dev/null && command -v corosync-qdevice >/dev/null ||
    rl_fail "corosync-qnetd and corosync-qdevice are not installed (scripts/install-deps)"
su_bare 3
# shellcheck disable=SC2046
vmctl_on n1 cluster setup --name qpair --storage "$RL_SHARED" --qdevice n3 $(su_fence_args) n1 n2 \
    >"$RL_DIR/setup.out" 2>&1 || { cat "$RL_DIR/setup.out"; rl_fail "cluster setup --qdevice"; }
cat "$RL_DIR/setup.out"
for n in n1 n2; do
    conf=$RL_VAR/nodes/$n/etc/corosync/corosync.conf
    ! grep -q "two_node:" "$conf" || rl_fail "$n: two_node with a quorum device"
    grep -qx '        model: net' "$conf" && grep -qx '            algorithm: ffsplit' "$conf" &&
        grep -qx '            host: 169.254.77.13' "$conf" || { cat "$conf"; rl_fail "$n: no quorum device"; }
    [ -e "$RL_VAR/nodes/$n/etc/corosync/qdevice/net/nssdb/cert9.db" ] || rl_fail "$n: no qdevice database"
done
rl_wait 60 "3 votes on n1 and n2 (the qdevice's counted)" eval "su_quorate n1 3 && su_quorate n2 3"
"$LAB" exec n1 corosync-quorumtool -s | grep -E "Qdevice|Flags" || true
for n in n1 n2; do rl_quorate_in_sync "$n" || rl_fail "$n not in sync"; done
rl_log "ok: two nodes and a quorum device on n3 set up"

rl_make_guests 32
rl_dup_start
vmctl_on n1 vm add tq --config "$(rl_xml tq)" --prefer n1 >/dev/null || rl_fail "vm add tq"
rl_wait 90 "tq on n1" rl_really_on tq n1
rl_wait 60 "tq's guest booted" rl_booted tq 0

# lose NODE: the other one stays quorate with the qdevice's vote, fences it and runs tq.
lose() {
    local dead=$1 alive=$2 t0
    rl_snap_boots
    t0=$(rl_now_ms)
    rl_kill "$dead"
    rl_log "$dead powered off"
    rl_wait 30 "$alive quorate with the qdevice's vote (2 of 3)" su_quorate "$alive" 2
    rl_wait 90 "tq running on $alive" rl_really_on tq "$alive"
    rl_check_recovered "$t0" "$dead" tq
    "$LAB" status | grep >/dev/null "^$dead: running" || rl_start "$dead"
    rl_wait 90 "$dead back with its qdevice vote" eval "su_quorate n1 3 && su_quorate n2 3"
    rl_wait 90 "both in sync" eval "rl_quorate_in_sync n1 && rl_quorate_in_sync n2"
}
lose n1 n2
rl_log "ok: a. n1 lost: n2 quorate with the qdevice, fenced n1 and runs tq; n1 rejoined"
rl_really_on tq n2 || rl_fail "tq not on n2 any more: $(rl_where_now)"
lose n2 n1
rl_log "ok: b. n2 lost: n1 quorate with the qdevice, fenced n2 and runs tq; n2 rejoined"
rl_dup_stop
rl_log "PASS"
