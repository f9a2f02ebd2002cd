#!/usr/bin/env bash
# A node's boot survives its services being started while it boots (issue 16, chaos seed 2004).
# After a fence powers a node on, its init starts libvirtd, corosync and clusterd again; an
# administrator (or the chaos runner, or vmctl cluster setup) may run the node's service hook at
# the same time. A daemon that is already running must not cost the node its init: a PID 1 that
# exits is a power cut, and the node stayed off. Three power cycles of n2, each with the hook
# starting libvirtd-tls and corosync the moment the node's own /etc/vmha is mounted (before its
# init reaches them): n2 must boot every time with one libvirtd (listening), one corosync, quorate.
# 2 nodes without clusterd: nothing fences n2 behind the test's back.
set -euo pipefail
. "$(dirname "$0")/lib.sh" br

RUN=/run/vmha-lab/$VMHA_LAB
CONSOLE=/var/lib/vmha-lab/$VMHA_LAB/nodes/n2/console.log

"$LAB" up --nodes 2 --no-clusterd

# count NODE PROGRAM: how many PROGRAM processes run in NODE.
count() { "$LAB" exec "$1" pidof "$2" | wc -w || true; }

for round in 1 2 3; do
    "$LAB" kill n2
    "$LAB" start n2 &
    start_pid=$!
    wait_for 20 "round $round: n2 powered on" test -s "$RUN/n2.pid"
    pid=$(cat "$RUN/n2.pid")
    # In the node's namespaces from its first moments: wait for its own /etc/vmha (its /run is
    # mounted before it), then start through the hook what the init is about to start.
    hook_rc=0
    timeout 60 nsenter --target "$pid" --mount --uts --ipc --net --pid --wd=/ \
        env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
        sh -c 'until [ -x /etc/vmha/service-hook ]; do sleep 0.01; done
               /etc/vmha/service-hook start libvirtd-tls && /etc/vmha/service-hook start corosync' ||
        hook_rc=$?
    start_rc=0
    wait "$start_pid" || start_rc=$?
    [ "$start_rc" = 0 ] ||
        fail "round $round: n2 did not boot (lab start exit $start_rc; console: $(tail -n 3 "$CONSOLE" | tr '\n' ' '))"
    "$LAB" exec n2 true || fail "round $round: n2 is off after its boot"
    wait_for 60 "round $round: n2 libvirtd answers" "$LAB" exec n2 virsh -q version
    wait_for 60 "round $round: n1 and n2 quorate" quorum_is n2 "Yes 2"
    [ "$(count n2 libvirtd)" = 1 ] || fail "round $round: $(count n2 libvirtd) libvirtd processes on n2"
    [ "$(count n2 corosync)" = 1 ] || fail "round $round: $(count n2 corosync) corosync processes on n2"
    "$LAB" exec n2 /etc/vmha/service-hook is-active libvirtd-tls ||
        fail "round $round: n2's libvirtd does not listen (no --listen)"
    ok "round $round: n2 booted with its services started meanwhile (hook exit $hook_rc), one libvirtd, one corosync, quorate"
done
