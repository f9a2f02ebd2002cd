# Shared by the lab tests: sourced, not run. Gives each test its own lab instance, a trap that takes
# the lab down on any exit, and polling with deadlines.
# Usage: . lib.sh PREFIX    (PREFIX: two letters naming the test; the lab is PREFIX + 4 hex digits)

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$LAB_DIR/../.." && pwd)
LAB=$LAB_DIR/lab
FENCE_LAB=$LAB_DIR/fence_lab
GUEST_DIR=$REPO/tests/guest
export VMHA_BUILD_DIR=${VMHA_BUILD_DIR:-$REPO/build}

if [ "$(id -u)" != 0 ] || ! unshare --net --mount --pid --fork true 2>/dev/null; then
    echo "SKIP: needs root and namespaces"
    exit 77
fi

# Unique per test and per build tree, so that several checkouts can run their lab suites at once.
VMHA_LAB=$1$(echo "$VMHA_BUILD_DIR" | md5sum | cut -c1-4)
export VMHA_LAB

lab_cleanup() {
    local rc=$?
    if [ $rc -ne 0 ] && [ -d "/var/lib/vmha-lab/$VMHA_LAB" ]; then
        echo "--- test failed (rc=$rc); lab status and node logs:"
        "$LAB" status 2>&1 || true
        for f in /var/lib/vmha-lab/"$VMHA_LAB"/nodes/*/console.log; do
            echo "--- $f"
            tail -n 20 "$f" || true
        done
        "$LAB" down || true
    else
        "$LAB" down --purge || true
    fi
    exit $rc
}
trap lab_cleanup EXIT
trap 'exit 130' INT TERM

fail() {
    echo "FAIL: $*" >&2
    exit 1
}
ok() { echo "ok: $*"; }

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# wait_for SECONDS DESCRIPTION CMD...: poll CMD (every 0.2 s) until it succeeds; fail at the deadline.
wait_for() {
    local deadline=$(($(now_ms) + $1 * 1000)) what=$2
    shift 2
    until "$@" >/dev/null 2>&1; do
        [ "$(now_ms)" -lt "$deadline" ] || fail "timed out after ${deadline}ms deadline waiting for: $what"
        sleep 0.2
    done
}

# "Yes 3" / "No 1": QUORATE and TOTAL_VOTES as NODE's corosync sees them.
quorum_of() {
    "$LAB" exec "$1" corosync-quorumtool -s 2>/dev/null |
        awk '/^Quorate:/ {q=$2} /^Total votes:/ {v=$3} END {if (q != "") print q, v}'
}
quorum_is() { [ "$(quorum_of "$1")" = "$2" ]; }

# Host PIDs of every process in NODE's network namespace (its init and everything under it).
node_pids() { ip netns pids "$VMHA_LAB-$1" 2>/dev/null || true; }

# mk_guest NAME [mkguest options]: a tiny guest on the shared storage; prints its XML path.
mk_guest() {
    local shared
    shared=$("$LAB" status | awk '/^shared:/ {print $2}')
    "$GUEST_DIR/mkguest" "$1" --dir "$shared/guests" --memory 16 "${@:2}"
}
