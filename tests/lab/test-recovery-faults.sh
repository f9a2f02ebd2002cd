#!/usr/bin/env bash
# Automatic recovery from a partition, from guest crashes and from a VM started behind the
# cluster's back, on a 3-node lab with clusterd, fence_lab and six tiny guests (two per node,
# failback=never), the duplicate checker sampling every 100 ms throughout:
#  b. `lab partition n3`: the majority fences n3 and restarts its VMs after the fence; n3 alone
#     (no quorum, no-quorum-policy stop) runs nothing; `lab heal`: one cluster again, nothing moves;
#  d. a guest's qemu killed (SIGKILL inside its node) with migration-threshold=2: the monitor
#     finds it and restarts it in place; killed again: it moves to another node;
#  f. a copy of a VM started by hand (virsh) on a second node: a probe finds it and the cluster
#     leaves one copy running. The checker allows exactly this one window for that VM.
# Apart from that window, no VM is ever seen on two nodes.
. "$(dirname "$0")/recovery-lib.sh" rc3

rl_setup_six failback=never

rl_log "--- b. partition of n3"
victims=""
for vm in $RL_VMS; do [ "$(rl_node_of "$vm")" != n3 ] || victims="$victims $vm"; done
rl_snap_boots
t0=$(rl_now_ms)
"$LAB" partition n3
rl_log "n3 partitioned at $(rl_fmt "$t0"); its VMs:$victims"
for vm in $victims; do
    rl_wait 60 "$vm running on n1 or n2" rl_really_elsewhere "$vm" n3
done
rl_log "all of$victims run on the majority: $(rl_where_now) (+$(($(rl_now_ms) - t0)) ms)"
# shellcheck disable=SC2086
rl_check_recovered "$t0" n3 $victims
fence_req=$(rl_fence_lines n3 | head -n1 | cut -d' ' -f1)
fence_req_ms=$(date -u -d "${fence_req%Z}" +%s%3N)
for vm in $victims; do
    gone=$(awk -v v="$vm" -v t="$t0" '$1 >= t && $2 == v && $3 == "-" {print $1; exit}' "$RL_DUP/events")
    if [ -n "$gone" ] && [ "$gone" -lt "$fence_req_ms" ]; then
        rl_log "  $vm: stopped by n3 itself at $(rl_fmt "$gone"), before the fence request ($fence_req)"
    else
        rl_log "  $vm: gone from n3 at $(rl_fmt "${gone:-0}"), with the fence (request $fence_req): n3 had not stopped it yet"
    fi
done
# The fence (reboot) powered n3 on again, still cut off: alone it has no quorum and starts nothing.
"$LAB" status | grep >/dev/null "^n3: running" || rl_start n3
rl_wait 60 "n3 running, not quorate" eval '"$LAB" status | grep >/dev/null "^n3: running, not quorate"'
rl_stable 3
! grep -q " n3$" <(rl_real_where) || rl_fail "n3 runs a VM without quorum"
rl_log "n3 up again behind the partition, without quorum, runs nothing"
t0=$(rl_now_ms)
"$LAB" heal
rl_wait 90 "one cluster of three, in sync" rl_all_in_sync
rl_log "healed: one cluster (+$(($(rl_now_ms) - t0)) ms)"
before=$(rl_where_now)
rl_wait 30 "the live plan is empty" rl_plan_empty n1
rl_stable 3
[ "$(rl_where_now)" = "$before" ] || rl_fail "VMs moved after the heal: $before -> $(rl_where_now)"
rl_log "nothing moved: $(rl_where_now)"

rl_log "--- d. a guest's qemu killed, migration-threshold=2"
vm=va
vmctl_on n1 vm set "$vm" migration-threshold=2 >/dev/null || rl_fail "vm set migration-threshold"
mon=10
if vmctl_on n1 vm set "$vm" monitor-interval=2s >/dev/null 2>&1; then
    mon=2
else
    rl_log "note: vm set monitor-interval not available; the default monitor interval (10 s) applies"
fi
home=$(rl_node_of "$vm")
for round in 1 2; do
    rl_snap_boots
    t0=$(rl_now_ms)
    rl_kill_qemu "$home" "$vm"
    rl_wait 10 "$vm's qemu gone" rl_gone_since "$vm" "$t0"
    rl_log "kill $round: $vm's qemu on $home killed at $(rl_fmt "$t0")"
    if [ $round = 1 ]; then
        rl_wait $((mon + 40)) "$vm restarted on $home" rl_really_on "$vm" "$home"
        where=$home
    else
        rl_wait $((mon + 40)) "$vm started on another node" rl_really_elsewhere "$vm" "$home"
        where=$(rl_node_of "$vm")
    fi
    seen=$(rl_first_seen "$vm" "$where" "$t0")
    rl_wait 30 "$vm's guest booted" rl_booted "$vm" "$t0"
    [ "$(rl_boots "$vm")" = $((RL_BOOTS[$vm] + 1)) ] || rl_fail "$vm: expected exactly one more boot"
    rl_counters_running "$vm"
    rl_log "  $vm running again on $where at $(rl_fmt "$seen") (+$((seen - t0)) ms)"
done
rl_wait 30 "vmctl shows $vm on $where" rl_placed "$vm=$where"

rl_log "--- f. a second copy started by hand"
vm=vb
home=$(rl_node_of "$vm")
for other in $RL_NODES; do [ "$other" = "$home" ] || break; done
"$MKGUEST" "$vm" --dir "$RL_SHARED/rogue" --memory 32 >/dev/null
"$DUPCHECK" allow "$RL_DUP" "$vm" 120
t0=$(rl_now_ms)
"$LAB" exec "$other" virsh -q create "$RL_SHARED/rogue/$vm/$vm.xml" >/dev/null ||
    rl_fail "virsh create of a second $vm on $other"
rl_wait 20 "$vm seen on $home and $other" grep -q " start $vm .* allowed" "$RL_DUP/violations"
rl_log "$vm started by hand on $other while the cluster runs it on $home"
rc=0
vmctl_on n1 vm cleanup "$vm" >/dev/null 2>&1 || rc=$?
if [ $rc = 0 ]; then
    rl_log "vmctl vm cleanup $vm: probes again"
else
    rl_log "vmctl vm cleanup not available (exit $rc): restarting clusterd on $other, whose start-up probes"
    "$LAB" exec "$other" sh -c 'p=$(pidof clusterd) && kill -TERM $p; for i in $(seq 100); do pidof clusterd >/dev/null || exit 0; sleep 0.1; done; exit 1' ||
        rl_fail "clusterd on $other did not stop"
    "$LAB" exec "$other" sh -c "setsid '$VMHA_BUILD_DIR/clusterd/clusterd' </dev/null >>/var/log/vmha/clusterd.out 2>&1 &"
fi
rl_wait 60 "only one copy of $vm left" grep -q " end $vm .* allowed" "$RL_DUP/violations"
rl_wait 60 "$vm running on one node" eval 'w=$(rl_node_of '"$vm"'); [ -n "$w" ] && [[ $w != *,* ]]'
where=$(rl_node_of "$vm")
rl_wait 30 "vmctl shows $vm on $where" rl_placed "$vm=$where"
[ "$(grep -c " start $vm " "$RL_DUP/violations")" = 1 ] || rl_fail "more than one window of $vm on two nodes"
rl_log "one copy of $vm left, on $where: $(grep " end $vm " "$RL_DUP/violations" | cut -d' ' -f2-)" \
    "(+$(($(rl_now_ms) - t0)) ms after the hand start)"
rl_stable 3

rl_dup_stop
rl_log "PASS"
