# shellcheck shell=bash disable=SC2034
# Shared by the recovery lab tests (tests/lab/test-recovery-*.sh, test-dupcheck.sh) and
# bench/recovery: sourced, not run. A 3-node lab (tests/lab/lab) with clusterd, six tiny guests
# spread two per node by preference, the duplicate checker (tests/lab/dupcheck) sampling every
# 100 ms for the whole test, and polling with deadlines. Every log line carries a UTC timestamp.
#
# Usage: . recovery-lib.sh LABNAME     (LABNAME: rc1..rc9, this work's own lab names;
#                                        RL_LAB in the environment overrides it)
set -euo pipefail

RL_LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RL_REPO=$(cd "$RL_LAB_DIR/../.." && pwd)
LAB=$RL_LAB_DIR/lab
DUPCHECK=$RL_LAB_DIR/dupcheck
MKGUEST=$RL_REPO/tests/guest/mkguest
COUNTER=$RL_REPO/tests/guest/counter
export VMHA_BUILD_DIR=${VMHA_BUILD_DIR:-$RL_REPO/build}
VMCTL=$VMHA_BUILD_DIR/vmctl/vmctl

if [ "$(id -u)" != 0 ] || ! unshare --net --mount --pid --fork true 2>/dev/null; then
    echo "SKIP: needs root and namespaces"
    exit 77
fi

VMHA_LAB=${RL_LAB:-$1}
export VMHA_LAB
RL_VAR=/var/lib/vmha-lab/$VMHA_LAB
RL_RUN=/run/vmha-lab/$VMHA_LAB
RL_SHARED=$RL_VAR/shared
RL_FENCE_LOG=$RL_RUN/fence.log
RL_DIR=$(mktemp -d "/tmp/vmha-$VMHA_LAB.XXXXXX")
RL_DUP=$RL_DIR/dupcheck
RL_DUP_RUNNING=0
RL_NODES="n1 n2 n3"
# The six guests and their preferences: two per node, the other two nodes in both orders.
RL_VMS="va vb vc vd ve vf"
declare -A RL_PREFER=([va]=n1,n2,n3 [vb]=n1,n3,n2 [vc]=n2,n3,n1 [vd]=n2,n1,n3 [ve]=n3,n1,n2 [vf]=n3,n2,n1)
declare -A RL_HOME=([va]=n1 [vb]=n1 [vc]=n2 [vd]=n2 [ve]=n3 [vf]=n3)

rl_now_ms() { echo $(($(date +%s%N) / 1000000)); }
rl_ts() { date -u +%H:%M:%S.%3N; }
# ms since the epoch -> HH:MM:SS.mmm (UTC)
rl_fmt() { date -u -d "@$(($1 / 1000)).$(printf %03d $(($1 % 1000)))" +%H:%M:%S.%3N; }
rl_log() { echo "[$(rl_ts)] $*"; }

rl_dump() {
    local d f
    echo "--- lab status"
    "$LAB" status 2>&1 || true
    echo "--- fence log"
    cat "$RL_FENCE_LOG" 2>/dev/null || true
    for d in "$RL_VAR"/nodes/n*; do
        f=$d/var/log/vmha/clusterd.log
        [ -f "$f" ] || continue
        echo "--- $(basename "$d"): clusterd.log (last 40 lines)"
        tail -n 40 "$f"
        if [ -f "$d/var/log/corosync/corosync.log" ]; then
            echo "--- $(basename "$d"): corosync.log (last 20 lines)"
            tail -n 20 "$d/var/log/corosync/corosync.log"
        fi
        if [ -s "$d/var/log/vmha/clusterd.out" ]; then
            echo "--- $(basename "$d"): clusterd.out (last 10 lines)"
            tail -n 10 "$d/var/log/vmha/clusterd.out"
        fi
    done
    # What agents, libvirt's children and guests wait on: a hung launch shows here (finding 10).
    for d in "$RL_VAR"/nodes/n*; do
        echo "--- $(basename "$d"): agents, libvirt children, guests"
        "$LAB" exec "$(basename "$d")" ps -eo pid,ppid,stat,etimes,wchan:24,comm,args 2>/dev/null |
            awk 'NR == 1 || $6 ~ /^(vm|rpc-|qemu-system|fence_)/' | cut -c1-140 || true
    done
    if [ -f "$RL_DUP/events" ]; then
        echo "--- dupcheck events (last 40)"
        tail -n 40 "$RL_DUP/events"
    fi
}

rl_cleanup() {
    local rc=$?
    set +e
    if [ "$RL_DUP_RUNNING" = 1 ]; then
        "$DUPCHECK" stop "$RL_DUP" || true
    fi
    if [ $rc -ne 0 ] && [ -d "$RL_VAR" ]; then
        echo "--- test failed (rc=$rc)"
        rl_dump
        "$LAB" down >/dev/null 2>&1
        echo "--- lab $VMHA_LAB left under $RL_VAR for the post-mortem; work dir $RL_DIR"
    elif [ -n "${VMHA_KEEP_LAB:-}" ]; then
        echo "--- kept lab $VMHA_LAB ($RL_VAR) and $RL_DIR"
    else
        "$LAB" down --purge >/dev/null 2>&1
        rm -rf "$RL_DIR"
    fi
    exit $rc
}
trap rl_cleanup EXIT
trap 'exit 130' INT TERM

rl_fail() {
    echo "[$(rl_ts)] FAIL: $*" >&2
    exit 1
}

# rl_wait SECONDS DESCRIPTION CMD...: poll CMD (every 0.2 s) until it succeeds; fail at the deadline.
rl_wait() {
    local secs=$1 what=$2 deadline=$(($(rl_now_ms) + $1 * 1000))
    shift 2
    until "$@" >/dev/null 2>&1; do
        [ "$(rl_now_ms)" -lt "$deadline" ] || rl_fail "timed out after ${secs}s waiting for: $what"
        sleep 0.2
    done
}
# rl_wait_quiet: the same, returns 1 at the deadline instead of failing.
rl_wait_quiet() {
    local deadline=$(($(rl_now_ms) + $1 * 1000))
    shift 2
    until "$@" >/dev/null 2>&1; do
        [ "$(rl_now_ms)" -lt "$deadline" ] || return 1
        sleep 0.2
    done
}

vmctl_on() { # vmctl_on NODE ARGS...
    local n=$1
    shift
    "$LAB" exec "$n" "$VMCTL" "$@"
}

# rl_status_check NODE PYEXPR: PYEXPR holds for d = NODE's `vmctl status --json`.
rl_status_check() {
    vmctl_on "$1" status --json 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
sys.exit(0 if eval(sys.argv[1]) else 1)' "$2"
}
rl_quorate_in_sync() {
    rl_status_check "$1" 'd["quorate"] and d["database"]["in_sync"] and d["leader"] is not None'
}
# The leader's node name as NODE sees it.
rl_leader() {
    vmctl_on "$1" status --json | python3 -c '
import json, sys
l = json.load(sys.stdin)["leader"]
print(l["name"] if l else "")'
}

# rl_vm_check NODE PYEXPR: PYEXPR holds for v = {name: vm} from NODE's `vmctl vm list --json`.
rl_vm_check() {
    vmctl_on "$1" vm list --json 2>/dev/null | python3 -c '
import json, sys
v = {x["name"]: x for x in json.load(sys.stdin)["vms"]}
sys.exit(0 if eval(sys.argv[1]) else 1)' "$2"
}
# "vm node[,node]" per VM from NODE's vmctl (running_on), sorted.
rl_vm_where() {
    vmctl_on "$1" vm list --json | python3 -c '
import json, sys
for x in sorted(json.load(sys.stdin)["vms"], key=lambda x: x["name"]):
    print(x["name"], ",".join(x["running_on"]) or "-")'
}

# --- the lab ----------------------------------------------------------------------------------

# rl_up [lab up options]: a fresh 3-node lab; with clusterd, returns once every node is quorate,
# in sync and has a leader.
rl_up() {
    local t0 n
    t0=$(rl_now_ms)
    "$LAB" up --nodes 3 "$@" >"$RL_DIR/lab-up.log" 2>&1 || { cat "$RL_DIR/lab-up.log"; rl_fail "lab up"; }
    if [[ " $* " != *" --no-clusterd "* ]]; then
        for n in $RL_NODES; do
            rl_wait 60 "$n quorate, in sync, with a leader" rl_quorate_in_sync "$n"
        done
    fi
    mkdir -p "$RL_SHARED/guests"
    rl_log "lab $VMHA_LAB up in $(($(rl_now_ms) - t0)) ms"
}

# Power cut of NODE; returns when no process of the node is left.
rl_kill() { "$LAB" kill "$1"; }
rl_start() { "$LAB" start "$1" >/dev/null; }

# rl_node_rejoined NODE: every running node's clusterd is quorate and in sync with NODE online.
rl_node_online_on() {
    vmctl_on "$1" node list --json 2>/dev/null | python3 -c '
import json, sys
sys.exit(0 if any(n["name"] == sys.argv[1] and n["online"] and n["clusterd"] for n in json.load(sys.stdin)["nodes"]) else 1)' "$2"
}
rl_node_offline_on() {
    vmctl_on "$1" node list --json 2>/dev/null | python3 -c '
import json, sys
sys.exit(0 if any(n["name"] == sys.argv[1] and not n["online"] for n in json.load(sys.stdin)["nodes"]) else 1)' "$2"
}
rl_all_in_sync() {
    local n
    for n in $RL_NODES; do
        rl_quorate_in_sync "$n" || return 1
        rl_status_check "$n" 'len(d["members"]) == 3 and all(m["in_sync"] for m in d["members"])' || return 1
    done
}

# rl_membership_ms NODE SINCE_MS MEMBERS: Unix ms of the first new membership of MEMBERS nodes
# in NODE's corosync.log (`[QUORUM] Members[MEMBERS]`) at or after SINCE_MS; 1 if none.
rl_membership_ms() {
    local line ms
    while read -r line; do
        ms=$(date -u -d "$(cut -c1-19 <<<"$line")" +%s%3N) || continue
        [ "$ms" -ge "$2" ] && { echo "$ms"; return 0; }
    done < <(grep -a "\[QUORUM\] Members\[$3\]" "$RL_VAR/nodes/$1/var/log/corosync/corosync.log")
    return 1
}

# --- fencing ----------------------------------------------------------------------------------

# Lines of the lab's fence log about NODE: "TS fence ACTION NODE by BY [done rc=N]".
rl_fence_lines() { grep -E " fence [a-z]+ $1 by " "$RL_FENCE_LOG" 2>/dev/null || true; }
# Unix ms of the first successful fence of NODE ("... done rc=0") at or after SINCE_MS; 1 if none.
rl_fenced_at() {
    local node=$1 since=$2 line ts ms
    while read -r line; do
        ts=${line%% *}
        ms=$(date -u -d "${ts%Z}" +%s%3N 2>/dev/null) || continue
        if [ "$ms" -ge "$since" ]; then
            echo "$ms"
            return 0
        fi
    done < <(rl_fence_lines "$node" | grep ' done rc=0$' || true)
    return 1
}

# --- guests -----------------------------------------------------------------------------------

rl_xml() { echo "$RL_SHARED/guests/$1/$1.xml"; }
rl_serial() { echo "$RL_SHARED/guests/$1/serial.log"; }
rl_counter() { "$COUNTER" "$(rl_serial "$1")"; }
rl_boots() { "$COUNTER" "$(rl_serial "$1")" --boots 2>/dev/null || echo 0; }

# rl_make_guests [MEMORY_MIB]: the six guests' disks and domain XML on the shared storage.
rl_make_guests() {
    local vm
    for vm in $RL_VMS; do
        "$MKGUEST" "$vm" --dir "$RL_SHARED/guests" --memory "${1:-32}" >/dev/null || rl_fail "mkguest $vm"
    done
}

# rl_add_vms [vm set KEY=VALUE...]: `vmctl vm add` of the six with their preferences, then the
# given settings on each.
rl_add_vms() {
    local vm pids=() p
    # In parallel, one VM per node in turn: each write is replicated in order anyway.
    for vm in $RL_VMS; do
        (
            vmctl_on "${RL_HOME[$vm]}" vm add "$vm" --config "$(rl_xml "$vm")" --prefer "${RL_PREFER[$vm]}" >/dev/null ||
                { echo "vm add $vm failed" >&2; exit 1; }
            if [ $# -gt 0 ]; then
                vmctl_on "${RL_HOME[$vm]}" vm set "$vm" "$@" >/dev/null || { echo "vm set $vm $* failed" >&2; exit 1; }
            fi
        ) &
        pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p" || rl_fail "adding the VMs failed"; done
}

# --- the duplicate checker --------------------------------------------------------------------

rl_dup_start() {
    "$DUPCHECK" start "$RL_DUP" --serial "$RL_SHARED/guests" >/dev/null || rl_fail "dupcheck start"
    RL_DUP_RUNNING=1
    rl_log "dupcheck sampling every 100 ms"
}
# Stops the checker, prints its summary; fails the test on a violation not allowed.
rl_dup_stop() {
    local rc=0
    RL_DUP_RUNNING=0
    "$DUPCHECK" stop "$RL_DUP" || rc=$?
    [ $rc = 0 ] || rl_fail "dupcheck: a VM ran on two nodes at once (see above)"
}
# What really runs (qemu processes), per VM: "vm node[,node]" lines, from the checker's last round.
# (Read directly, not through dupcheck's commands: a python start costs seconds on a loaded machine.)
rl_real_where() { tail -n +2 "$RL_DUP/where"; }
# rl_really_on VM NODE: the checker's last round saw VM on NODE and nowhere else.
rl_really_on() { grep -qx "$1 $2" <(rl_real_where); }
rl_really_nowhere() { ! grep -q "^$1 " <(rl_real_where); }
# Unix ms when VM was first seen on NODE at or after SINCE_MS.
rl_first_seen() {
    awk -v v="$1" -v n="$2" -v t="$3" '$1 >= t && $2 == v && ("," $3 ",") ~ ("," n ",") {print $1; f = 1; exit} END {exit !f}' "$RL_DUP/events"
}
# Unix ms when VM was first seen, at or after SINCE_MS, running on one node other than LOST_NODE:
# rl_first_seen_off VM LOST_NODE SINCE_MS (where it recovered, even if it has moved back since).
rl_first_seen_off() {
    awk -v v="$1" -v n="$2" -v t="$3" '$1 >= t && $2 == v && $3 != "-" && $3 !~ /,/ && $3 != n {print $1; f = 1; exit} END {exit !f}' "$RL_DUP/events"
}
# Unix ms when VM's guest printed a boot line at or after SINCE_MS (its CPU really runs).
rl_booted() { awk -v v="$1" -v t="$2" '$1 >= t && $2 == v {print $1; f = 1; exit} END {exit !f}' "$RL_DUP/boots"; }

# rl_placed "VM=NODE ..." [CHECK_NODE]: every VM runs on its node and nowhere else, in reality
# (the checker's qemu processes) and in CHECK_NODE's vmctl vm list (default n1).
rl_placed() {
    local spec=$1 on=${2:-n1} pair expr=""
    for pair in $spec; do
        rl_really_on "${pair%=*}" "${pair#*=}" || return 1
        expr="$expr and v['${pair%=*}']['running_on'] == ['${pair#*=}']"
    done
    rl_vm_check "$on" "True$expr"
}
# The home placement: every VM on its first preference.
rl_home_spec() {
    local vm s=""
    for vm in $RL_VMS; do s="$s $vm=${RL_HOME[$vm]}"; done
    echo "$s"
}

# rl_where_now: one line "va=n1 vb=n1 ..." of what really runs (each VM on one node, or
# "vm=-" when nowhere, "vm=n1,n2" on two).
rl_where_now() {
    local vm s="" w
    for vm in $RL_VMS; do
        w=$(awk -v v="$vm" '$1 == v {print $2}' <(rl_real_where))
        s="$s $vm=${w:--}"
    done
    echo "${s# }"
}

# rl_counters_running VM...: each guest's counter goes above its current value (it is alive).
rl_counters_running() {
    local vm c
    for vm in "$@"; do
        c=$(rl_counter "$vm" 2>/dev/null || echo 0)
        "$COUNTER" "$(rl_serial "$vm")" --wait-above "$c" --timeout 10 >/dev/null ||
            rl_fail "$vm: its counter does not advance"
    done
}

# rl_setup_six [vm set KEY=VALUE...]: lab up, six guests added and running at home, the checker on.
rl_setup_six() {
    local t0
    rl_up
    rl_fence_ensure
    rl_make_guests 32
    rl_dup_start
    t0=$(rl_now_ms)
    # The tiny guest ignores ACPI: a stop would wait its whole timeout before destroying it.
    rl_add_vms shutdown_timeout=1 "$@"
    rl_log "6 VMs added; waiting for each to run on its preferred node"
    rl_wait 90 "all six VMs running on their preferred nodes" rl_placed "$(rl_home_spec)"
    rl_log "all six running at home ($(rl_where_now)) $(($(rl_now_ms) - t0)) ms after the adds"
    rl_counters_running $RL_VMS
}

# --- recovery helpers ---------------------------------------------------------------------------

# rl_fence_ensure: fence_lab covers every node. `lab up` configures it when it knows how; else
# (older lab) it is added here with `vmctl fence add`.
rl_fence_ensure() {
    local n
    n=$(vmctl_on n1 fence list --json 2>/dev/null |
        python3 -c 'import json,sys; print(len(json.load(sys.stdin)["devices"]))' 2>/dev/null) || n=
    if [ "$n" = 0 ]; then
        vmctl_on n1 fence add lab fence_lab --hosts n1,n2,n3 "lab=$VMHA_LAB" >/dev/null ||
            rl_fail "vmctl fence add"
        rl_log "fence device fence_lab added with vmctl fence add"
    elif [ -z "$n" ]; then
        rl_log "note: vmctl fence list not available; relying on the lab's own fence configuration"
    fi
}

# rl_kill_qemu NODE VM: SIGKILL of VM's qemu inside NODE (a crash of the guest's process).
rl_kill_qemu() {
    "$LAB" exec "$1" sh -c 'kill -9 "$(cat /run/libvirt/qemu/$1.pid)"' sh "$2"
}

# rl_really_elsewhere VM NODE: VM really runs on exactly one node, not NODE.
rl_really_elsewhere() {
    local w
    w=$(awk -v v="$1" '$1 == v {print $2}' <(rl_real_where))
    [ -n "$w" ] && [[ $w != *,* ]] && [ "$w" != "$2" ]
}
# rl_gone_since VM MS: the checker saw VM running nowhere at or after MS.
rl_gone_since() { awk -v v="$1" -v t="$2" '$1 >= t && $2 == v && $3 == "-" {f = 1} END {exit !f}' "$RL_DUP/events"; }
rl_node_of() { awk -v v="$1" '$1 == v {print $2}' <(rl_real_where); }

# rl_plan_empty NODE: the live plan on NODE (vmctl simulate) has no action.
rl_plan_empty() {
    vmctl_on "$1" simulate --json 2>/dev/null |
        python3 -c 'import json,sys; sys.exit(0 if not json.load(sys.stdin)["actions"] else 1)'
}

# rl_stable SECONDS: what really runs does not change for SECONDS (the checker's events).
rl_stable() {
    local n end
    n=$(wc -l <"$RL_DUP/events")
    end=$(($(rl_now_ms) + $1 * 1000))
    while [ "$(rl_now_ms)" -lt "$end" ]; do
        [ "$(wc -l <"$RL_DUP/events")" = "$n" ] || {
            tail -n +$((n + 1)) "$RL_DUP/events"
            rl_fail "VMs moved: $(rl_where_now)"
        }
        sleep 0.2
    done
}

declare -A RL_BOOTS=()
# rl_snap_boots: remember every guest's boot count (rl_check_recovered compares).
rl_snap_boots() {
    local vm
    for vm in $RL_VMS; do RL_BOOTS[$vm]=$(rl_boots "$vm"); done
}

# rl_check_recovered SINCE_MS DEAD_NODE VM...: each VM runs on exactly one survivor and was
# first seen there after DEAD_NODE's fence completed (fence log "done rc=0"); its guest booted
# exactly once more since rl_snap_boots (a restart: the counter starts from zero) and counts.
# Prints per-VM timings.
rl_check_recovered() {
    local since=$1 dead=$2 vm node seen fenced boots booted
    shift 2
    fenced=$(rl_fenced_at "$dead" "$since") || { cat "$RL_FENCE_LOG"; rl_fail "no completed fence of $dead in the fence log"; }
    rl_log "$dead fenced (fence log 'done rc=0') at $(rl_fmt "$fenced"), +$((fenced - since)) ms after the cut:"
    rl_fence_lines "$dead" | sed 's/^/    /'
    for vm in "$@"; do
        node=$(rl_node_of "$vm")
        seen=$(rl_first_seen "$vm" "$node" "$since") || rl_fail "$vm: no start on $node recorded"
        [ "$seen" -gt "$fenced" ] ||
            rl_fail "$vm seen on $node at $(rl_fmt "$seen"), before $dead's fence completed at $(rl_fmt "$fenced")"
        # qemu may be up while the guest (TCG) has not printed its boot line yet
        rl_wait 30 "$vm's guest booted" rl_booted "$vm" "$since"
        boots=$(rl_boots "$vm")
        [ "$boots" = $((${RL_BOOTS[$vm]:-0} + 1)) ] ||
            rl_fail "$vm: $boots boot(s) in its serial log, ${RL_BOOTS[$vm]:-0} before: expected one restart"
        booted=$(rl_booted "$vm" "$since")
        rl_log "  $vm on $node: qemu seen $(rl_fmt "$seen") (+$((seen - since)) ms after the cut," \
            "+$((seen - fenced)) ms after the fence), guest booted +$((booted - since)) ms; boots $boots"
    done
    rl_counters_running "$@"
}
