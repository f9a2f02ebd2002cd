#!/usr/bin/env bash
# cluster join while a member is outside corosync's membership. The cluster-wide reload of
# corosync.conf (corosync-cfgtool -R) reaches the sender's membership only: a member outside it at
# that moment (in test-guide, n3 rejoining after its fence) kept its old nodelist, could not hear
# the new node, and the ring never formed with it (corosync refused every send for two minutes and
# the join was undone). Four bare lab nodes, n1..n3 set up; n3's corosync traffic dropped
# (iptables in n3: UDP), so that n3's corosync runs alone; `vmctl cluster join n4` from n1; n3's
# traffic let through once n4's corosync runs. The join's check of every member's running nodelist
# has n3 reload its corosync.conf: the join succeeds, n3's corosync runs with n4, and all four
# nodes are quorate with 4 votes.
. "$(dirname "$0")/setup-lib.sh" sr

# nodelist_has NODE NAME: NODE's running corosync (cmap) lists NAME.
nodelist_has() {
    "$LAB" exec "$1" corosync-cmapctl -b nodelist.node 2>/dev/null | grep -q "[.]name (str) = $2\$"
}
n3_drops() { "$LAB" exec n3 iptables "$1" "$2" -p udp -j DROP; }

su_bare 4
# shellcheck disable=SC2046
vmctl_on n1 cluster setup --name reload --storage "$RL_SHARED" $(su_fence_args) n1 n2 n3 \
    >"$RL_DIR/setup.out" 2>&1 || { cat "$RL_DIR/setup.out"; rl_fail "cluster setup"; }
for n in n1 n2 n3; do rl_wait 30 "$n with 3 votes" su_quorate "$n" 3; done
{ n3_drops -A INPUT && n3_drops -A OUTPUT; } || rl_fail "iptables in n3"
rl_wait 30 "n1 and n2 without n3 (2 votes)" su_quorate n1 2
rl_wait 60 "n1 in sync with a leader" rl_quorate_in_sync n1
rl_log "n3's corosync runs outside the membership"

t0=$(rl_now_ms)
vmctl_on n1 cluster join n4 >"$RL_DIR/join.out" 2>&1 &
join=$!
rl_wait 60 "n4's corosync running" "$LAB" exec n4 pidof corosync
{ n3_drops -D INPUT && n3_drops -D OUTPUT; } || rl_fail "iptables in n3"
rl_log "n3's traffic let through $(($(rl_now_ms) - t0)) ms into the join"
wait "$join" || { sed 's/^/    /' "$RL_DIR/join.out"; rl_fail "cluster join n4"; }
sed 's/^/    /' "$RL_DIR/join.out"
nodelist_has n3 n4 || rl_fail "n3's corosync runs without n4"
for n in n1 n2 n3 n4; do rl_wait 30 "$n with 4 votes" su_quorate "$n" 4; done
rl_log "joined in $(($(rl_now_ms) - t0)) ms; every node quorate with 4 votes"
rl_log "PASS"
