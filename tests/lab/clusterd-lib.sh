# Shared helpers for tests/lab/test-clusterd-*.sh: a small N-node cluster on this host, each node
# in its own network + mount namespace (private /run, /var/lib/vmha, /etc/corosync, ...), linked
# through a bridge in a namespace of its own, addresses 169.254.77.0/24 only.
# By default the tests drive the project's lab (tests/lab/lab: nodes with their own PID namespace,
# corosync, libvirtd and clusterd); CLUSTERD_LAB=own selects the small built-in cluster below,
# which needs nothing but corosync.
set -euo pipefail

: "${VMHA_BUILD_DIR:?VMHA_BUILD_DIR must name the build directory}"
CL_ID="${VMHA_LAB:-cd$$}"
CL_DIR="$(mktemp -d "/tmp/vmha-cdlab-${CL_ID}.XXXXXX")"
CL_BR="vmha-${CL_ID}-br"
CL_N=0
CLUSTERD="$VMHA_BUILD_DIR/clusterd/clusterd"
VMCTL="$VMHA_BUILD_DIR/vmctl/vmctl"

cl_log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }
cl_fail() {
    cl_log "FAIL: $*"
    for d in "$CL_DIR"/n*; do
        [ -f "$d/log/clusterd.log" ] && { echo "--- $(basename "$d") clusterd.log" >&2; tail -n 30 "$d/log/clusterd.log" >&2; }
    done
    exit 1
}

cl_skip_unless_possible() {
    if [ "$(id -u)" -ne 0 ] || ! command -v corosync >/dev/null || ! ip netns add "vmha-${CL_ID}-probe" 2>/dev/null; then
        echo "SKIP: need root, corosync and network namespaces" >&2
        exit 77
    fi
    ip netns del "vmha-${CL_ID}-probe"
}

cl_holder() { cat "$CL_DIR/n$1/holder.pid"; }
# cl_exec NODE CMD...: runs CMD inside node NODE's namespaces.
cl_exec() {
    local n=$1
    shift
    nsenter -t "$(cl_holder "$n")" -m -n -- "$@"
}

cl_corosync_conf() {
    local n=$1 i
    {
        printf 'totem {\n version: 2\n cluster_name: vmha-%s\n transport: knet\n token: 1000\n crypto_cipher: none\n crypto_hash: none\n}\n' "$CL_ID"
        printf 'nodelist {\n'
        for i in $(seq 1 "$CL_N"); do
            printf ' node {\n  ring0_addr: 169.254.77.%d\n  name: n%d\n  nodeid: %d\n }\n' $((10 + i)) "$i" "$i"
        done
        printf '}\nquorum {\n provider: corosync_votequorum\n}\n'
        printf 'logging {\n to_stderr: no\n to_logfile: yes\n logfile: /var/log/vmha/corosync.log\n to_syslog: no\n timestamp: on\n}\n'
        printf 'system {\n state_dir: /var/lib/corosync\n}\n'
    } >"$CL_DIR/n$n/etc-corosync/corosync.conf"
}

cl_up() {
    CL_N=$1
    ip netns add "$CL_BR"
    ip -n "$CL_BR" link add br0 type bridge
    ip -n "$CL_BR" link set br0 up
    ip -n "$CL_BR" link set lo up
    for i in $(seq 1 "$CL_N"); do
        local d="$CL_DIR/n$i"
        mkdir -p "$d"/{etc-corosync,var-lib-corosync,var-lib-vmha,log,run}
        ip netns add "vmha-${CL_ID}-n$i"
        ip link add "vcl${CL_ID}n$i" type veth peer name eth0 netns "vmha-${CL_ID}-n$i"
        ip link set "vcl${CL_ID}n$i" netns "$CL_BR"
        ip -n "$CL_BR" link set "vcl${CL_ID}n$i" master br0 up
        ip -n "vmha-${CL_ID}-n$i" addr add "169.254.77.$((10 + i))/24" dev eth0
        ip -n "vmha-${CL_ID}-n$i" link set eth0 up
        ip -n "vmha-${CL_ID}-n$i" link set lo up
        # A holder process keeps the node's mount namespace alive; everything enters it.
        ip netns exec "vmha-${CL_ID}-n$i" unshare --mount --propagation private --fork sh -c "
            mount -t tmpfs tmpfs /run && mount -t tmpfs tmpfs /dev/shm &&
            mount --bind '$d/etc-corosync' /etc/corosync &&
            mkdir -p /var/lib/vmha /var/log/vmha /var/lib/corosync &&
            mount --bind '$d/var-lib-vmha' /var/lib/vmha &&
            mount --bind '$d/log' /var/log/vmha &&
            mount --bind '$d/var-lib-corosync' /var/lib/corosync &&
            exec sleep infinity" </dev/null >/dev/null 2>&1 &
        echo $! >"$d/unshare.pid"
    done
    for i in $(seq 1 "$CL_N"); do
        cl_wait 10 "holder of n$i" cl_find_holder "$i"
        cl_corosync_conf "$i"
        cl_start "$i"
    done
    trap cl_down EXIT
    trap 'exit 1' INT TERM
}

cl_find_holder() {
    local d="$CL_DIR/n$1" pid
    pid=$(pgrep -P "$(cat "$d/unshare.pid")" -x sleep || true)
    [ -n "$pid" ] || return 1
    # Wait until the private mounts are in place (the sleep is exec'd last).
    echo "$pid" >"$d/holder.pid"
}

cl_start_corosync() {
    local n=$1
    # nsenter itself (not a function's subshell) in the background, so $! is the daemon's pid.
    nsenter -t "$(cl_holder "$n")" -m -n -- corosync -f </dev/null >>"$CL_DIR/n$n/log/corosync.out" 2>&1 &
    echo $! >"$CL_DIR/n$n/corosync.pid"
}

cl_start_clusterd() {
    local n=$1
    nsenter -t "$(cl_holder "$n")" -m -n -- "$CLUSTERD" </dev/null >>"$CL_DIR/n$n/log/clusterd.out" 2>&1 &
    echo $! >"$CL_DIR/n$n/clusterd.pid"
}

cl_start() {
    cl_start_corosync "$1"
    cl_start_clusterd "$1"
}

cl_stop_pidfile() {
    local f=$1 sig=${2:-TERM} pid
    [ -f "$f" ] || return 0
    pid=$(cat "$f")
    kill -"$sig" "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    rm -f "$f"
}

# cl_kill NODE: the node dies (clusterd and corosync killed hard).
cl_kill() {
    cl_stop_pidfile "$CL_DIR/n$1/clusterd.pid" KILL
    cl_stop_pidfile "$CL_DIR/n$1/corosync.pid" KILL
}

cl_kill_clusterd() { cl_stop_pidfile "$CL_DIR/n$1/clusterd.pid" KILL; }
cl_kill_corosync() { cl_stop_pidfile "$CL_DIR/n$1/corosync.pid" KILL; }

cl_partition() { # cl_partition NODE...: cut these nodes off the bridge
    for n in "$@"; do ip -n "$CL_BR" link set "vcl${CL_ID}n$n" down; done
}
cl_heal() {
    for i in $(seq 1 "$CL_N"); do ip -n "$CL_BR" link set "vcl${CL_ID}n$i" up; done
}

cl_down() {
    set +e
    for i in $(seq 1 "$CL_N"); do
        cl_stop_pidfile "$CL_DIR/n$i/clusterd.pid" TERM
        cl_stop_pidfile "$CL_DIR/n$i/corosync.pid" TERM
        [ -f "$CL_DIR/n$i/unshare.pid" ] && kill "$(cat "$CL_DIR/n$i/unshare.pid")" 2>/dev/null
        [ -f "$CL_DIR/n$i/holder.pid" ] && kill "$(cat "$CL_DIR/n$i/holder.pid")" 2>/dev/null
        ip netns del "vmha-${CL_ID}-n$i" 2>/dev/null
    done
    ip netns del "$CL_BR" 2>/dev/null
    if [ -z "${VMHA_KEEP_LAB:-}" ]; then rm -rf "$CL_DIR"; else cl_log "kept $CL_DIR"; fi
}

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

# ---- the project's lab as backend ----------------------------------------------------------------
CL_LAB_TOOL="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lab"
if [ "${CLUSTERD_LAB:-lab}" = lab ] && [ -x "$CL_LAB_TOOL" ]; then
    export VMHA_BUILD_DIR
    VMHA_LAB="cd$(echo "$VMHA_BUILD_DIR" | md5sum | cut -c1-4)"
    export VMHA_LAB
    CL_LABVAR=/var/lib/vmha-lab/$VMHA_LAB

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
    cl_exec() {
        local n=$1
        shift
        "$CL_LAB_TOOL" exec "n$n" "$@"
    }
    cl_kill() { "$CL_LAB_TOOL" kill "n$1"; }
    cl_start() { "$CL_LAB_TOOL" start "n$1"; }
    # Inside the node's PID namespace, so pidof sees that node's daemon only.
    cl_kill_clusterd() {
        cl_exec "$1" sh -c 'p=$(pidof clusterd) && kill -9 $p; for i in $(seq 50); do pidof clusterd >/dev/null || exit 0; sleep 0.1; done; exit 1'
    }
    cl_start_clusterd() {
        cl_exec "$1" sh -c "setsid '$CLUSTERD' </dev/null >>/var/log/vmha/clusterd.out 2>&1 &"
    }
    cl_kill_corosync() {
        cl_exec "$1" sh -c 'p=$(pidof corosync) && kill -9 $p; for i in $(seq 50); do pidof corosync >/dev/null || exit 0; sleep 0.1; done; exit 1'
    }
    cl_start_corosync() { cl_exec "$1" corosync; }
    cl_partition() { for n in "$@"; do "$CL_LAB_TOOL" partition "n$n"; done; }
    cl_heal() { "$CL_LAB_TOOL" heal; }
    cl_down() {
        set +e
        if [ -n "${VMHA_KEEP_LAB:-}" ]; then
            cl_log "kept lab $VMHA_LAB ($CL_LABVAR) and $CL_DIR"
            return
        fi
        "$CL_LAB_TOOL" down --purge >/dev/null 2>&1
        rm -rf "$CL_DIR"
    }
    cl_fail() {
        cl_log "FAIL: $*"
        for d in "$CL_LABVAR"/nodes/n*; do
            [ -f "$d/var/log/vmha/clusterd.log" ] && { echo "--- $(basename "$d") clusterd.log" >&2; tail -n 30 "$d/var/log/vmha/clusterd.log" >&2; }
        done
        exit 1
    }
fi
