# Shared helpers for tests/lab/test-clusterd-*.sh and bench/clusterd-bench: a small N-node cluster
# on the project's lab (tests/lab/lab: each node has its own network, mount and PID namespaces,
# corosync, libvirtd and clusterd; addresses 169.254.77.0/24 only).
set -euo pipefail

: "${VMHA_BUILD_DIR:?VMHA_BUILD_DIR must name the build directory}"
export VMHA_BUILD_DIR
CL_LAB_TOOL="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lab"
[ -x "$CL_LAB_TOOL" ] || { echo "clusterd-lib: $CL_LAB_TOOL missing" >&2; exit 1; }
# One lab per build directory and test: several checkouts, and several tests of one suite, can
# run at once.
VMHA_LAB="cd$(echo "$VMHA_BUILD_DIR/$(basename "$0")" | md5sum | cut -c1-4)"
export VMHA_LAB
CL_LABVAR=/var/lib/vmha-lab/$VMHA_LAB
CL_DIR="$(mktemp -d "/tmp/vmha-cdlab-${VMHA_LAB}.XXXXXX")"
CL_N=0
CLUSTERD="$VMHA_BUILD_DIR/clusterd/clusterd"
VMCTL="$VMHA_BUILD_DIR/vmctl/vmctl"

cl_log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }
cl_fail() {
    cl_log "FAIL: $*"
    for d in "$CL_LABVAR"/nodes/n*; do
        [ -f "$d/var/log/vmha/clusterd.log" ] && { echo "--- $(basename "$d") clusterd.log" >&2; tail -n 30 "$d/var/log/vmha/clusterd.log" >&2; }
    done
    exit 1
}

cl_skip_unless_possible() {
    if [ "$(id -u)" -ne 0 ] || ! unshare --net --mount --pid --fork true 2>/dev/null; then
        echo "SKIP: need root and namespaces" >&2
        exit 77
    fi
}

cl_up() {
    CL_N=$1
    trap cl_down EXIT
    trap 'exit 1' INT TERM
    "$CL_LAB_TOOL" up --nodes "$1" >"$CL_DIR/lab-up.log" 2>&1 || { cat "$CL_DIR/lab-up.log" >&2; cl_fail "lab up"; }
}

cl_down() {
    set +e
    if [ -n "${VMHA_KEEP_LAB:-}" ]; then
        cl_log "kept lab $VMHA_LAB ($CL_LABVAR) and $CL_DIR"
        return
    fi
    "$CL_LAB_TOOL" down --purge >/dev/null 2>&1
    rm -rf "$CL_DIR"
}

# cl_exec NODE CMD...: runs CMD inside lab node nNODE.
cl_exec() {
    local n=$1
    shift
    "$CL_LAB_TOOL" exec "n$n" "$@"
}

# cl_kill NODE: power cut of the node; cl_start NODE: power on.
cl_kill() { "$CL_LAB_TOOL" kill "n$1"; }
cl_start() { "$CL_LAB_TOOL" start "n$1"; }
# Inside the node's PID namespace, so pidof sees that node's daemon only.
cl_kill_clusterd() {
    cl_exec "$1" sh -c 'p=$(pidof clusterd) && kill -9 $p; for i in $(seq 50); do pidof clusterd >/dev/null || exit 0; sleep 0.1; done; exit 1'
}
# cl_start_clusterd NODE [OPTION...]: as the lab starts it (fence agents by name from the lab's
# agent directory), plus the options.
cl_start_clusterd() {
    local n=$1
    shift
    cl_exec "$n" sh -c "setsid '$CLUSTERD' --fence-agent-dir '$CL_LABVAR/fence-agents' $* </dev/null >>/var/log/vmha/clusterd.out 2>&1 &"
}
cl_kill_corosync() {
    cl_exec "$1" sh -c 'p=$(pidof corosync) && kill -9 $p; for i in $(seq 50); do pidof corosync >/dev/null || exit 0; sleep 0.1; done; exit 1'
}
cl_start_corosync() { cl_exec "$1" corosync; }
cl_partition() { for n in "$@"; do "$CL_LAB_TOOL" partition "n$n"; done; }
cl_heal() { "$CL_LAB_TOOL" heal; }

# cl_wait SECONDS WHAT CMD...: polls CMD until it succeeds or the deadline passes.
cl_wait() {
    local secs=$1 what=$2
    shift 2
    local deadline=$((SECONDS + secs))
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt $deadline ] || cl_fail "timed out after ${secs}s waiting for: $what"
        sleep 0.2
    done
}

vmctl_on() { # vmctl_on NODE ARGS...
    local n=$1
    shift
    cl_exec "$n" "$VMCTL" "$@"
}

# Database identity of a node: "admin_epoch.epoch.num_updates digest", from vmctl status --json.
cl_dbid() {
    vmctl_on "$1" status --json | python3 -c '
import json,sys; d=json.load(sys.stdin)["database"]
print("%d.%d.%d %s %s" % (d["admin_epoch"], d["epoch"], d["num_updates"], d["digest"], d["in_sync"]))'
}

cl_status_field() { # cl_status_field NODE PYEXPR(d)
    vmctl_on "$1" status --json | python3 -c "import json,sys; d=json.load(sys.stdin); print($2)"
}

# cl_check NODE PYEXPR: true when PYEXPR holds for d = NODE's `vmctl status --json`.
cl_check() { [ "$(cl_status_field "$1" "bool($2)")" = True ]; }

cl_quorate_in_sync() {
    [ "$(cl_status_field "$1" 'd["quorate"] and d["database"]["in_sync"] and d["leader"] is not None')" = True ]
}

# All given nodes report the same version and digest, and are in sync.
cl_agree() {
    local first="" id
    for n in "$@"; do
        id=$(cl_dbid "$n") || return 1
        case "$id" in *True) ;; *) return 1 ;; esac
        [ -z "$first" ] && first=$id
        [ "$id" = "$first" ] || return 1
    done
}

cl_has_vm() { vmctl_on "$1" vm list --json | python3 -c "import json,sys; sys.exit(0 if any(v['name']=='$2' for v in json.load(sys.stdin)['vms']) else 1)"; }

# A domain XML on "shared storage" (the same path inside every node: /tmp is not private).
cl_domain_xml() {
    local name=$1 f="$CL_DIR/$1.xml"
    cat >"$f" <<XML
<domain type='qemu'><name>$name</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
<os><type arch='x86_64'>hvm</type></os></domain>
XML
    echo "$f"
}

# cl_fill_database NODE DEVICES HOSTS: a database far over what a socket buffers or one message
# holds, written through vmctl on node NODE: DEVICES fence devices big0, big1, ... covering HOSTS,
# each with 80 options of 4000 bytes (random text: base64 of random bytes, which compresses to
# about 3/4), so about DEVICES x 330 KB. Fails the test when a write is refused.
cl_fill_database() {
    local node=$1 devices=$2 hosts=$3
    python3 - "$VMCTL" "$VMHA_LAB" "$devices" "$hosts" >"$CL_DIR/fill.sh" <<'PY'
import base64, os, shlex, sys
vmctl, lab, devices, hosts = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
for i in range(devices):
    opts = ["j%d=%s" % (j, base64.b64encode(os.urandom(3000)).decode()[:4000]) for j in range(1, 81)]
    print(" ".join(shlex.quote(a) for a in
                   [vmctl, "fence", "add", "big%d" % i, "fence_lab", "--hosts", hosts, "lab=" + lab] + opts),
          "|| exit 1")
PY
    cl_exec "$node" sh "$CL_DIR/fill.sh" >"$CL_DIR/fill.out" 2>&1 || { cat "$CL_DIR/fill.out" >&2; cl_fail "filling the database"; }
}
