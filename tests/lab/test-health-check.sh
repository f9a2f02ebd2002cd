#!/usr/bin/env bash
# Guest health monitoring (vm agent health_check=console: the guest's serial console log must keep
# growing) on a 3-node lab with clusterd, fence_lab and three tiny guests, monitors every 2 s, the
# duplicate checker sampling every 100 ms throughout. Each guest's qemu is stopped with SIGSTOP
# (a hung guest: the domain still "runs" for libvirt):
#  - va (n1, health-timeout=10s): the monitor fails and the VM is restarted in place (fail count 1,
#    migration-threshold INFINITY), its guest boots again; `vmctl status` showed the reason;
#  - vc (n2, health-timeout=10s, migration-threshold=1): restarted on another node;
#  - vb (n1, no health check): nothing happens while it is stopped; after SIGCONT it counts on from
#    where it was, without a boot.
# The lab's name carries a hash of the build directory: two checkouts never share it.
. "$(dirname "$0")/recovery-lib.sh" "ha3$(echo "${VMHA_BUILD_DIR:-}" | md5sum | cut -c1-3)"

RL_VMS="va vb vc"
declare -A RL_PREFER=([va]=n1,n2,n3 [vb]=n1,n3,n2 [vc]=n2,n3,n1)
declare -A RL_HOME=([va]=n1 [vb]=n1 [vc]=n2)
BOUND=60 # s from SIGSTOP to a new boot: timeout 10 s + a monitor interval + stop + start (TCG)

rl_setup_six failback=never monitor-interval=2s
for vm in va vc; do
    vmctl_on n1 vm set "$vm" health-check=console health-timeout=10s >/dev/null ||
        rl_fail "vm set $vm health-check"
done
vmctl_on n1 vm set vc migration-threshold=1 >/dev/null || rl_fail "vm set vc migration-threshold"
# Armed once a monitor saw the log grow (a couple of 2 s intervals after the change).
rl_wait 30 "the live plan is empty" rl_plan_empty n1
rl_counters_running $RL_VMS
# The check arms once a monitor saw the guest's log grow (its state in the agent's run dir).
armed() { "$LAB" exec "$1" grep -qx 'armed=true' "/run/vmha/vm/$2.health"; }
rl_wait 30 "va's health check armed" armed n1 va
rl_wait 30 "vc's health check armed" armed n2 vc

rl_snap_boots
b_count=$(rl_counter vb)
qemu_pid() { "$LAB" exec "$1" cat "/run/libvirt/qemu/$2.pid"; }
b_pid=$(qemu_pid n1 vb)
t0=$(rl_now_ms)
for vm in va vb; do "$LAB" exec n1 sh -c 'kill -STOP "$(cat /run/libvirt/qemu/$1.pid)"' sh "$vm"; done
"$LAB" exec n2 sh -c 'kill -STOP "$(cat /run/libvirt/qemu/vc.pid)"'
rl_log "qemu of va, vb (n1) and vc (n2) stopped (SIGSTOP) at $(rl_fmt "$t0")"

rl_wait "$BOUND" "va's guest booted again" rl_booted va "$t0"
ta=$(rl_booted va "$t0")
rl_wait 30 "va running on n1" rl_really_on va n1
rl_wait "$BOUND" "vc's guest booted again" rl_booted vc "$t0"
tc=$(rl_booted vc "$t0")
rl_wait 30 "vc running on one node other than n2" rl_really_elsewhere vc n2
rl_log "va restarted on n1, its guest booted +$((ta - t0)) ms after SIGSTOP"
rl_log "vc restarted on $(rl_node_of vc), its guest booted +$((tc - t0)) ms after SIGSTOP"
for vm in va vc; do
    [ "$(rl_boots "$vm")" = $((RL_BOOTS[$vm] + 1)) ] || rl_fail "$vm: expected exactly one more boot"
done
rl_status_check n1 '[v for v in d["vms"] if v["name"] == "va"][0]["last_failure"]["exit_reason"].startswith("guest hung: its console log has not grown")' ||
    rl_fail "va's last failure in vmctl status is not the health check's: $(vmctl_on n1 status --json | python3 -c 'import json,sys; print([v["last_failure"] for v in json.load(sys.stdin)["vms"] if v["name"] == "va"])')"
rl_counters_running va vc

# vb, without health checking, was left alone all this time: same qemu, still stopped, not booted.
[ "$(qemu_pid n1 vb)" = "$b_pid" ] || rl_fail "vb's qemu was replaced"
rl_really_on vb n1 || rl_fail "vb not on n1: $(rl_where_now)"
[ "$(rl_boots vb)" = "${RL_BOOTS[vb]}" ] || rl_fail "vb booted again"
rl_status_check n1 '[v for v in d["vms"] if v["name"] == "vb"][0]["state"] == "running"' ||
    rl_fail "vb is not shown running"
"$LAB" exec n1 kill -CONT "$b_pid"
"$COUNTER" "$(rl_serial vb)" --wait-above "$b_count" --timeout 15 >/dev/null || rl_fail "vb does not count on after SIGCONT"
[ "$(rl_boots vb)" = "${RL_BOOTS[vb]}" ] || rl_fail "vb booted again"
rl_log "vb (no health check) stopped $(($(rl_now_ms) - t0)) ms, left alone, counts on: $b_count -> $(rl_counter vb)"
rl_dup_stop
rl_log "PASS"
