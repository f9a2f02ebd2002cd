#!/usr/bin/env bash
# The second guard against a double start, on a 3-node lab with clusterd and fence_lab (the lab's
# libvirt: lock_manager = "lockd", virtlockd's leases in a file_lockspace_dir on the shared
# storage), the duplicate checker sampling every 100 ms throughout:
#  a. n3's libvirtd restarted without a lock manager; n1 and n2 drained, so that only n3 may take
#     a VM: the agent refuses to start vx there (exit 5) and `vmctl status` shows vx failed with
#     the agent's exit reason in its WHY column;
#  b. n1 resumed: vx starts there; n1's virtlockd holds the lease of vx's disk in the lockspace on
#     the shared storage;
#  c. the same domain started by hand (`virsh create`) on n2 while vx runs on n1: libvirt refuses
#     (in the lab, where every node shares one kernel, qemu's own image lock refuses even before
#     the lease is asked for); again with a decoy file bound over the disk's path in n2, so that
#     only the lease can refuse: "Lockspace resource '...' is locked"; vx keeps running on n1.
# The lab's name carries a hash of the build directory: two checkouts never share it.
. "$(dirname "$0")/recovery-lib.sh" "ha4$(echo "${VMHA_BUILD_DIR:-}" | md5sum | cut -c1-3)"

RL_VMS="vx"
rl_up
rl_fence_ensure
rl_dup_start

rl_log "--- a. a node whose libvirt has no lock manager refuses the start"
conf=$RL_VAR/nodes/n3/etc/libvirt/qemu.conf
sed -i '/^lock_manager/d' "$conf"
! grep -q lock_manager "$conf" || rl_fail "lock_manager still in n3's qemu.conf"
"$LAB" exec n3 sh -c 'kill "$(cat /run/libvirtd.pid)"' || rl_fail "stop n3's libvirtd"
rl_wait 30 "n3's libvirtd gone" eval '! "$LAB" exec n3 virsh -q version'
"$LAB" exec n3 sh -c 'rm -f /run/libvirtd.pid; libvirtd -d --listen' || rl_fail "start n3's libvirtd"
rl_wait 60 "n3's libvirtd answers" "$LAB" exec n3 virsh -q version
rl_log "n3's libvirtd runs without a lock manager"
for n in n1 n2; do
    vmctl_on n1 node drain "$n" --wait --timeout 60 >/dev/null || rl_fail "drain $n"
done
"$MKGUEST" vx --dir "$RL_SHARED/guests" --memory 32 >/dev/null || rl_fail "mkguest vx"
xml=$(rl_xml vx)
vmctl_on n1 vm add vx --config "$xml" --prefer n3 >/dev/null || rl_fail "vm add vx"
vmctl_on n1 vm set vx shutdown_timeout=1 >/dev/null || rl_fail "vm set vx"
why_has() {
    rl_status_check n1 "([v for v in d['vms'] if v['name'] == 'vx'][0]['state'] == 'failed' and
        'libvirt has no lock manager' in ([v for v in d['vms'] if v['name'] == 'vx'][0]['why'] or ''))"
}
rl_wait 60 "vx failed on n3 with the agent's reason" why_has
table=$(vmctl_on n2 status)
printf '%s\n' "$table" | sed -n '/^VM /,$p' | sed 's/^/    | /'
# The WHY column wraps under itself: join the lines before looking for the reason.
tr -s ' \n' ' ' <<<"$table" | grep >/dev/null 'last failure: start on n3: libvirt has no lock manager' ||
    rl_fail "vmctl status does not show the exit reason in vx's WHY"
rl_really_nowhere vx || rl_fail "vx runs somewhere: $(rl_where_now)"
rl_log "vx refused on n3; vmctl status shows why"

rl_log "--- b. n1 resumed: vx starts there, leased on the shared storage"
vmctl_on n1 node resume n1 >/dev/null || rl_fail "resume n1"
rl_wait 60 "vx running on n1" rl_placed "vx=n1" n2
disk=$RL_SHARED/guests/vx/disk.img
lease=$RL_SHARED/.lockspace/$(printf %s "$disk" | sha256sum | cut -d' ' -f1)
[ -f "$lease" ] || rl_fail "no lease file $lease for vx's disk in the shared lockspace"
ino=$(stat -c %i "$lease")
holders=$(awk -v ino="$ino" '$2 == "POSIX" && $4 == "WRITE" && $6 ~ (":" ino "$") {print $5}' /proc/locks)
[ -n "$holders" ] && ps -o comm= -p $holders | grep >/dev/null -x virtlockd ||
    rl_fail "no virtlockd holds the lease on $lease (holders: '$holders')"
n1_lockd=$("$LAB" exec n1 pidof virtlockd)
rl_log "the lease $lease is held by virtlockd (host pid $holders; n1's virtlockd is pid $n1_lockd in n1)"

rl_log "--- c. the same domain started by hand on n2"
# A qemu launched for the manual start exists for a moment (it fails before the guest runs):
# the checker may see it (one allowed window per try).
"$DUPCHECK" allow "$RL_DUP" vx 20 >/dev/null
rc=0
out=$("$LAB" exec n2 virsh create "$xml" 2>&1) || rc=$?
echo "    | virsh create on n2: exit $rc"
printf '%s\n' "$out" | sed 's/^/    | /'
[ $rc != 0 ] || rl_fail "virsh create of vx on n2 succeeded while vx runs on n1"
grep -qi 'lock' <<<"$out" || rl_fail "the refusal does not name a lock: $out"
[ -z "$("$LAB" exec n2 virsh -q list --name)" ] || rl_fail "a domain runs on n2: $("$LAB" exec n2 virsh -q list)"
# Every lab node shares one kernel, so qemu's own image lock refused before the lease was asked
# for. With a different file bound over the disk's path in n2's mount namespace, n2's qemu can lock
# its image, and only the lease (named after the path, held by n1's virtlockd) is left to refuse.
cp "$disk" "$RL_DIR/decoy.img"
"$LAB" exec n2 mount --bind "$RL_DIR/decoy.img" "$disk" || rl_fail "bind the decoy in n2"
"$DUPCHECK" allow "$RL_DUP" vx 20 >/dev/null
rc=0
out=$("$LAB" exec n2 virsh create "$xml" 2>&1) || rc=$?
"$LAB" exec n2 umount "$disk" || rl_fail "umount the decoy in n2"
echo "    | virsh create on n2, qemu's image lock out of the way: exit $rc"
printf '%s\n' "$out" | sed 's/^/    | /'
[ $rc != 0 ] || rl_fail "virtlockd let n2 start vx while n1 holds its lease"
grep -Eq "Lockspace resource '[0-9a-f]+' is locked" <<<"$out" ||
    rl_fail "the second start failed, but not on the virtlockd lease: $out"
[ -z "$("$LAB" exec n2 virsh -q list --name)" ] || rl_fail "a domain runs on n2: $("$LAB" exec n2 virsh -q list)"
rl_stable 3
rl_really_on vx n1 || rl_fail "vx is not on n1 only: $(rl_where_now)"
rl_counters_running vx
"$DUPCHECK" windows "$RL_DUP" vx | sed 's/^/    | dupcheck: /'
rl_dup_stop
rl_log "PASS"
