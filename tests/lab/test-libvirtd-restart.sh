#!/usr/bin/env bash
# libvirtd killed (SIGKILL) and restarted under running guests, on a 3-node lab with clusterd,
# fence_lab and three tiny guests (va, vb on n1, vc on n2; monitors every 2 s), the duplicate
# checker sampling every 100 ms throughout: libvirtd on n1 stays away for 5 s, so that several
# monitors of va and vb meet it gone; they wait for it (the agent retries within the monitor's
# timeout) instead of failing. No failure is recorded, nothing is stopped, moved or fenced, and the
# guests count on without a boot.
# The lab's name carries a hash of the build directory: two checkouts never share it.
. "$(dirname "$0")/recovery-lib.sh" "ha2$(echo "${VMHA_BUILD_DIR:-}" | md5sum | cut -c1-3)"

RL_VMS="va vb vc"
declare -A RL_PREFER=([va]=n1,n2,n3 [vb]=n1,n3,n2 [vc]=n2,n3,n1)
declare -A RL_HOME=([va]=n1 [vb]=n1 [vc]=n2)

rl_setup_six failback=never monitor-interval=2s
# The monitors recorded from here on: none may fail.
n1log=$RL_VAR/nodes/n1/var/log/vmha/clusterd.log
lines=$(wc -l <"$n1log")
fences=$(wc -l <"$RL_FENCE_LOG" 2>/dev/null || echo 0)
rl_snap_boots
declare -A before=()
for vm in $RL_VMS; do before[$vm]=$(rl_counter "$vm"); done

rl_log "--- libvirtd on n1 killed, back after 5 s"
"$LAB" exec n1 sh -c 'kill -9 "$(cat /run/libvirtd.pid)"' || rl_fail "kill -9 libvirtd on n1"
t0=$(rl_now_ms)
rl_wait 10 "n1's libvirtd gone" eval '! "$LAB" exec n1 virsh -q version'
sleep 5 # the outage itself: what the monitors must ride out (not a wait for a condition)
"$LAB" exec n1 sh -c 'rm -f /run/libvirtd.pid; libvirtd -d --listen' || rl_fail "libvirtd on n1 did not start again"
rl_log "libvirtd on n1 started again $(($(rl_now_ms) - t0)) ms after the kill"
rl_wait 60 "n1's libvirtd answers" "$LAB" exec n1 virsh -q version
# Monitors met the outage and waited (the agent's note, logged by clusterd), and succeeded after.
rl_wait 30 "a monitor on n1 that waited for libvirtd" \
    eval "tail -n +$((lines + 1)) '$n1log' | grep >/dev/null 'libvirtd unreachable'"
tail -n +"$((lines + 1))" "$n1log" | grep 'libvirtd' | sed 's/^/    | /'
rl_stable 15
if tail -n +"$((lines + 1))" "$n1log" | grep -E 'monitor of v[a-c] failed|running stop'; then
    rl_fail "a monitor failed or a VM was stopped on n1 across the libvirtd restart"
fi
[ "$(wc -l <"$RL_FENCE_LOG" 2>/dev/null || echo 0)" = "$fences" ] || rl_fail "fencing: $(tail -n 3 "$RL_FENCE_LOG")"
rl_status_check n1 'all(not v["fail_counts"] for v in d["vms"])' ||
    rl_fail "failures recorded: $(vmctl_on n1 status --json | python3 -c 'import json,sys; print({v["name"]: v["fail_counts"] for v in json.load(sys.stdin)["vms"]})')"
rl_placed "$(rl_home_spec)" n2 || rl_fail "the VMs are not where they were: $(rl_where_now)"
for vm in $RL_VMS; do
    "$COUNTER" "$(rl_serial "$vm")" --wait-above $((before[$vm] + 4)) --timeout 15 >/dev/null ||
        rl_fail "$vm: its counter does not go on"
    [ "$(rl_boots "$vm")" = "${RL_BOOTS[$vm]}" ] || rl_fail "$vm booted again"
done
rl_log "no failure, no stop, no fence; counters went on:$(for vm in $RL_VMS; do printf ' %s %s->%s' "$vm" "${before[$vm]}" "$(rl_counter "$vm")"; done)"
rl_dup_stop
rl_log "PASS"
