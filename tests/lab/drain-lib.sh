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

# dl_offline_config SETTING...: writes cluster settings that vmctl has no command for, the way an
# administrator would with the cluster's daemons stopped: clusterd is killed on every node (SIGKILL:
# a SIGTERM would drain the node first, as a planned shutdown), each node's database gets the same
# edit (one epoch more), clusterd is started again and the function returns once every node is
# quorate and in sync. SETTING is PROPERTY=VALUE (crm_config
# cib-bootstrap-options, e.g. migration-limit=2) or NODE:ATTR=VALUE (the node's utilization, e.g.
# n1:memory=2048). Only for the set-up: guests keep running, clusterd probes them when it starts.
dl_offline_config() {
    local n
    for n in $RL_NODES; do
        "$LAB" exec "$n" sh -c 'p=$(pidof clusterd) || exit 0; kill -KILL $p
            for i in $(seq 150); do pidof clusterd >/dev/null || exit 0; sleep 0.1; done; exit 1' ||
            rl_fail "clusterd on $n did not stop"
    done
    for n in $RL_NODES; do
        "$LAB" exec "$n" python3 -c '
import sys, xml.etree.ElementTree as ET
path = "/var/lib/vmha/cib.xml"
tree = ET.parse(path)
cib = tree.getroot()
conf = cib.find("configuration")
def nvset(parent, tag, sid, name, value):
    s = parent.find("%s[@id=\"%s\"]" % (tag, sid))
    if s is None:
        s = ET.SubElement(parent, tag, id=sid)
    nv = s.find("nvpair[@name=\"%s\"]" % name)
    if nv is None:
        nv = ET.SubElement(s, "nvpair", id="%s-%s" % (sid, name), name=name)
    nv.set("value", value)
for arg in sys.argv[1:]:
    key, value = arg.split("=", 1)
    if ":" in key:
        uname, name = key.split(":", 1)
        node = conf.find("nodes/node[@uname=\"%s\"]" % uname)
        nvset(node, "utilization", "nodes-%s-utilization" % node.get("id"), name, value)
    else:
        crm = conf.find("crm_config")
        nvset(crm, "cluster_property_set", "cib-bootstrap-options", key, value)
cib.set("epoch", str(int(cib.get("epoch")) + 1))
cib.set("num_updates", "0")
tree.write(path + ".new")' "$@" && "$LAB" exec "$n" mv /var/lib/vmha/cib.xml.new /var/lib/vmha/cib.xml ||
            rl_fail "editing $n's database"
    done
    for n in $RL_NODES; do
        "$LAB" exec "$n" sh -c "setsid '$CLUSTERD' --fence-agent-dir '$RL_VAR/fence-agents' \
            </dev/null >>/var/log/vmha/clusterd.out 2>&1 &"
    done
    rl_wait 60 "every node quorate and in sync after the restart" rl_all_in_sync
    rl_log "cluster settings written offline: $*"
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
