# shellcheck shell=bash disable=SC2034
# Shared by the cluster set-up lab tests (tests/lab/test-cluster-*.sh) and bench/cluster-setup:
# sourced, not run. Bare lab nodes (`lab up --bare`: sshd, libvirtd, no cluster) on which the tests
# run `vmctl cluster setup/join/leave` inside n1 as an administrator would, plus recovery-lib.sh's
# guests, duplicate checker and polling.
#
# Usage: . setup-lib.sh PREFIX   (two letters; the lab is PREFIX + 4 hex digits of the build dir)
_su_prefix=$1
_su_build=${VMHA_BUILD_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build}
# shellcheck source=tests/lab/recovery-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/recovery-lib.sh" "$_su_prefix$(echo "$_su_build" | md5sum | cut -c1-4)"

# su_bare N: N bare nodes.
su_bare() {
    local t0
    t0=$(rl_now_ms)
    "$LAB" up --nodes "$1" --bare >"$RL_DIR/lab-up.log" 2>&1 || { cat "$RL_DIR/lab-up.log"; rl_fail "lab up --bare"; }
    mkdir -p "$RL_SHARED/guests"
    rl_log "$1 bare nodes up in $(($(rl_now_ms) - t0)) ms"
}

# The lab's fence device options for vmctl cluster setup.
su_fence_args() { echo "--fence fence_lab --fence-option lab=$VMHA_LAB"; }

# su_quorate NODE VOTES: NODE's corosync is quorate with VOTES votes.
su_quorate() {
    [ "$("$LAB" exec "$1" corosync-quorumtool -s 2>/dev/null |
        awk '/^Quorate:/ {q=$2} /^Total votes:/ {v=$3} END {print q, v}')" = "Yes $2" ]
}

# su_db_nodes NODE: the node names of NODE's copy of the database (its stored <nodes>), sorted.
su_db_nodes() {
    "$LAB" exec "$1" python3 -c '
import sys, xml.etree.ElementTree as ET
print(" ".join(sorted(n.get("uname") for n in ET.parse("/var/lib/vmha/cib.xml").iter("node"))))'
}
su_db_nodes_are() { [ "$(su_db_nodes "$1")" = "$2" ]; }

# su_state NODE: a fingerprint of everything cluster setup may change on NODE: its files (path,
# mode, checksum) under /etc/corosync, /etc/pki, /etc/vmha, /var/lib/vmha, and which services run.
su_state() {
    "$LAB" exec "$1" sh -c '
        find /etc/corosync /etc/pki /etc/vmha /var/lib/vmha -type f 2>/dev/null | sort |
            while read -r f; do echo "$f $(stat -c %a "$f") $(md5sum <"$f" | cut -c1-32)"; done
        for s in corosync clusterd libvirtd-tls; do
            if /etc/vmha/service-hook is-active $s; then echo "$s running"; fi
            if /etc/vmha/service-hook is-enabled $s; then echo "$s enabled"; fi
        done'
}
