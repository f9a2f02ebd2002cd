#!/usr/bin/env bash
# A start hung inside libvirt before qemu's exec, as libvirt's fork deadlock leaves it
# (resource-agents/launchguard.h), on a 3-node lab with clusterd and one tiny guest, va (home n1),
# the duplicate checker sampling every 100 ms: n1's virtlockd is frozen and va added, so that
# libvirt's child for va waits for its disk lease before the exec; the test freezes that child for
# good (SIGSTOP, as the deadlocked child never goes on) and thaws virtlockd. The agent's guard kills
# the frozen child and launches again: va runs on n1 within 30 s (the start's timeout is 120 s;
# without the guard the start hangs past it), the agent's note is in n1's log, the frozen child is
# gone and n1's libvirtd lists its domains again.
. "$(dirname "$0")/recovery-lib.sh" "lg$(echo "${VMHA_BUILD_DIR:-}" | md5sum | cut -c1-3)"

RL_VMS="va"
declare -A RL_PREFER=([va]=n1,n2,n3)
declare -A RL_HOME=([va]=n1)

# prexec_child: the pid in va's pid file on n1 while it is still libvirtd, not yet qemu.
prexec_child() {
    "$LAB" exec n1 sh -c 'p=$(cat /run/libvirt/qemu/va.pid 2>/dev/null) &&
        [ "$(readlink "/proc/$p/exe")" = "$(readlink "/proc/$(cat /run/libvirtd.pid)/exe")" ] && echo "$p"'
}

rl_up
rl_fence_ensure
rl_make_guests 32
rl_dup_start
n1log=$RL_VAR/nodes/n1/var/log/vmha/clusterd.log
"$LAB" exec n1 sh -c 'kill -STOP "$(pidof virtlockd)"' || rl_fail "freezing virtlockd on n1"
rl_add_vms shutdown_timeout=1
rl_wait 30 "libvirt's child for va waiting for virtlockd on n1" prexec_child
child=$(prexec_child)
"$LAB" exec n1 kill -STOP "$child" || rl_fail "freezing the child"
"$LAB" exec n1 sh -c 'kill -CONT "$(pidof virtlockd)"' || rl_fail "thawing virtlockd on n1"
t0=$(rl_now_ms)
rl_log "libvirt's child for va (pid $child in n1) frozen before its exec; virtlockd thawed"
rl_wait 30 "va running on n1" rl_really_on va n1
rl_log "va runs on n1 $(($(rl_now_ms) - t0)) ms after the freeze"
note='start va: agent: .* hung for [0-9]* s before starting qemu; killed it; launching again'
rl_wait 10 "the agent's note of the hung launch in n1's log" grep -q "$note" "$n1log"
grep "$note" "$n1log" | sed 's/^/    | /'
"$LAB" exec n1 sh -c "! kill -0 $child 2>/dev/null" || rl_fail "the frozen child $child is still there"
"$LAB" exec n1 timeout 10 virsh -q list >/dev/null || rl_fail "n1's libvirtd does not list its domains"
rl_counters_running va
rl_dup_stop
rl_log "PASS"
