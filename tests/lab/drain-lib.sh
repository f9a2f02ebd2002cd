# shellcheck shell=bash disable=SC2034
# Shared by the planned-maintenance lab tests (tests/lab/test-drain*.sh) and bench/drain: sourced,
# not run. Builds on recovery-lib.sh (the 3-node lab, six tiny guests, the duplicate checker
# sampling every 100 ms throughout, polling with deadlines) and adds what a drain needs: cluster
# settings vmctl has no command for, the node states of `vmctl status --json`, vmctl runs whose
# output and exit status are kept, and the check that a moved guest kept its memory (its counter
# goes on, no boot line since).
#
# Usage: . drain-lib.sh LABNAME     (LABNAME: dl1..dl9; the lab is LABNAME plus three hex digits of
#                                    the build directory's hash, so that two checkouts running the
#                                    same test at once do not share a lab; RL_LAB overrides)

DL_BUILD=${VMHA_BUILD_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build}
# shellcheck source=recovery-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/recovery-lib.sh" "$1$(echo "$DL_BUILD" | md5sum | cut -c1-3)"

CLUSTERD=$VMHA_BUILD_DIR/clusterd/clusterd

# dl_config SETTING...: cluster settings through vmctl, one checked write each kind. SETTING is
# PROPERTY=VALUE (`vmctl config set`, e.g. migration-limit=2) or NODE:ATTR=VALUE (`vmctl node set`,
# the node's capacity, e.g. n1:memory=2048).
dl_config() {
    local arg props=() node
    declare -A caps=()
    for arg in "$@"; do
        if [[ ${arg%%=*} == *:* ]]; then
            node=${arg%%:*}
            caps[$node]="${caps[$node]:-} ${arg#*:}"
        else
            props+=("$arg")
        fi
    done
    if [ ${#props[@]} -gt 0 ]; then
        vmctl_on n1 config set "${props[@]}" >/dev/null || rl_fail "vmctl config set ${props[*]}"
    fi
    for node in "${!caps[@]}"; do
        # shellcheck disable=SC2086
        vmctl_on n1 node set "$node" ${caps[$node]} >/dev/null || rl_fail "vmctl node set $node${caps[$node]}"
    done
    rl_log "cluster settings: $*"
}

# dl_node_state ON NODE: NODE's state (online, draining, drained, ...) in ON's `vmctl status --json`.
dl_node_state() {
    vmctl_on "$1" status --json | python3 -c '
import json, sys
print([n["state"] for n in json.load(sys.stdin)["nodes"] if n["name"] == sys.argv[1]][0])' "$2"
}
dl_node_is() { [ "$(dl_node_state "$1" "$2" 2>/dev/null)" = "$3" ]; }

# dl_run NAME TIMEOUT_S ON ARGS...: runs `vmctl ARGS` on node ON in the background, its output in
# $RL_DIR/NAME.out, its exit status in $RL_DIR/NAME.rc once it ends; `timeout` guards the vmctl.
dl_run() {
    local name=$1 secs=$2 on=$3
    shift 3
    rm -f "$RL_DIR/$name.rc"
    (
        rc=0
        timeout "$secs" "$LAB" exec "$on" "$VMCTL" "$@" >"$RL_DIR/$name.out" 2>&1 || rc=$?
        echo "$rc" >"$RL_DIR/$name.rc"
    ) &
}
dl_done() { [ -s "$RL_DIR/$1.rc" ]; }
# dl_wait_run NAME SECONDS: waits for a dl_run to end; prints its output (indented) and returns
# its exit status.
dl_wait_run() {
    rl_wait "$2" "vmctl $1 to end" dl_done "$1"
    sed 's/^/    | /' "$RL_DIR/$1.out"
    return "$(cat "$RL_DIR/$1.rc")"
}

declare -A DL_COUNT=()
# dl_snap VM...: remembers the guests' counters and boot counts.
dl_snap() {
    local vm
    for vm in "$@"; do
        DL_COUNT[$vm]=$(rl_counter "$vm" 2>/dev/null || echo 0)
        RL_BOOTS[$vm]=$(rl_boots "$vm")
    done
}
# dl_check_continued VM...: each guest went on counting from where it was at dl_snap, without a
# boot: its memory came along (a cold start prints a boot line and counts from 0 again).
dl_check_continued() {
    local vm now
    for vm in "$@"; do
        "$COUNTER" "$(rl_serial "$vm")" --wait-above "${DL_COUNT[$vm]}" --timeout 15 >/dev/null ||
            rl_fail "$vm: its counter does not go above ${DL_COUNT[$vm]}"
        now=$(rl_boots "$vm")
        [ "$now" = "${RL_BOOTS[$vm]}" ] ||
            rl_fail "$vm booted again ($now boot lines, ${RL_BOOTS[$vm]} before): its memory state was lost"
    done
    rl_log "counters continued without a boot:$(for vm in "$@"; do printf ' %s %s->%s' "$vm" "${DL_COUNT[$vm]}" "$(rl_counter "$vm")"; done)"
}

# dl_vms_on NODE: the VMs that really run on NODE (the checker's last round), space separated.
dl_vms_on() { awk -v n="$1" '$2 == n {printf "%s ", $1}' <(rl_real_where); }
# dl_none_on NODE: no VM really runs on NODE.
dl_none_on() { ! grep -q " $1$" <(rl_real_where); }
# dl_moves_since MS: the checker's events since MS (one line per change of where a VM runs).
dl_moves_since() { awk -v t="$1" '$1 >= t' "$RL_DUP/events"; }

# dl_pauses SINCE_MS VM...: per VM, how long it ran nowhere since SINCE_MS (the checker's events,
# 100 ms rounds: qemu gone on the source until qemu up on the target), for the log.
dl_pauses() {
    local since=$1 vm
    shift
    for vm in "$@"; do
        awk -v v="$vm" -v t="$since" '$1 >= t && $2 == v {
            if ($3 == "-") gone = $1; else if (gone) { printf " %s %d ms", v, $1 - gone; gone = 0 } }' \
            "$RL_DUP/events"
    done
}
