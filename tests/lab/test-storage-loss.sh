#!/usr/bin/env bash
# Storage loss on one node (the VM Component Protection case) on a 3-node lab with clusterd,
# fence_lab and three tiny guests, monitors every 2 s, the duplicate checker sampling every 100 ms
# throughout. va and vb run on n1, vc on n2. n1 alone loses the shared storage: an empty tmpfs is
# mounted over it inside n1's mount namespace (what a lost NFS/SAN path looks like to the agent:
# the files are gone, while the running qemus keep their open descriptors and go on running, so
# libvirt alone still reports them running and a tiny guest need not pause on an I/O error).
# Expected:
#  - the monitor of va and vb on n1 fails, naming the unreachable disk (in `vmctl events` and as
#    the failure `vmctl status` shows); each is stopped on n1 and started on n2 or n3, its guest
#    boots exactly once more, and never runs on two nodes at once (dupcheck throughout);
#  - vc on n2, which still sees the storage, is left alone (same qemu, no boot);
#  - the storage stays lost for n1 while this is checked: no VM goes back there;
#  - once the storage is back, n1's clusterd clears the failures the starts there left (an event
#    says so), nothing moves by itself, and va can be moved back to n1.
# The lab's name carries a hash of the build directory: two checkouts never share it.
. "$(dirname "$0")/recovery-lib.sh" "sl3$(echo "${VMHA_BUILD_DIR:-}" | md5sum | cut -c1-3)"

RL_VMS="va vb vc"
declare -A RL_PREFER=([va]=n1,n2,n3 [vb]=n1,n3,n2 [vc]=n2,n3,n1)
declare -A RL_HOME=([va]=n1 [vb]=n1 [vc]=n2)
# s from the storage loss to a boot elsewhere: a monitor interval, the failed monitor, a stop, a
# start that fails on n1 (no config there) and one elsewhere, under TCG on a loaded machine.
BOUND=120

rl_setup_six failback=never monitor-interval=2s
rl_wait 30 "the live plan is empty" rl_plan_empty n1
rl_snap_boots
qemu_pid() { "$LAB" exec "$1" cat "/run/libvirt/qemu/$2.pid"; }
c_pid=$(qemu_pid n2 vc)
before=$(vmctl_on n2 events --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["last_seq"])') ||
    rl_fail "vmctl events"

t0=$(rl_now_ms)
"$LAB" exec n1 mount -t tmpfs -o size=64k tmpfs "$RL_SHARED" || rl_fail "hiding the shared storage from n1"
# Only n1 lost it: the host and n2 still see the guests' files.
[ -f "$(rl_xml va)" ] || rl_fail "the mount leaked out of n1's namespace"
"$LAB" exec n2 test -f "$(rl_xml va)" || rl_fail "the mount leaked into n2"
"$LAB" exec n1 test ! -e "$(rl_xml va)" || rl_fail "n1 still sees the shared storage"
rl_log "shared storage hidden from n1 (tmpfs over $RL_SHARED) at $(rl_fmt "$t0")"

for vm in va vb; do
    rl_wait "$BOUND" "$vm running on one node other than n1" rl_really_elsewhere "$vm" n1
    rl_wait 30 "$vm's guest booted again" rl_booted "$vm" "$t0"
    rl_log "$vm on $(rl_node_of "$vm"): qemu seen +$(($(rl_first_seen "$vm" "$(rl_node_of "$vm")" "$t0") - t0)) ms," \
        "its guest booted +$(($(rl_booted "$vm" "$t0") - t0)) ms after the storage loss"
done
for vm in va vb; do
    [ "$(rl_boots "$vm")" = $((RL_BOOTS[$vm] + 1)) ] || rl_fail "$vm: expected exactly one more boot"
done
rl_counters_running va vb vc

# Why, as the operator sees it: the failed monitor on n1 in the event history names the disk.
monitor_failed_shown() {
    vmctl_on "$1" events --json --vm "$2" | python3 -c '
import json, sys
es = [e for e in json.load(sys.stdin)["events"] if e["seq"] > int(sys.argv[1])]
m = [e for e in es if e["type"] == "monitor-failed" and e.get("node") == "n1"]
print(m[0]["details"] if m else "")
sys.exit(0 if m and "unreachable" in (m[0]["details"] or "") and sys.argv[2] in m[0]["details"] else 1)' \
        "$before" "$(dirname "$(rl_xml "$2")")"
}
for vm in va vb; do
    rl_wait 30 "vmctl events shows why $vm's monitor on n1 failed" monitor_failed_shown n2 "$vm"
    rl_log "$vm: monitor-failed on n1: $(monitor_failed_shown n2 "$vm" || true)"
    rl_status_check n2 "[v for v in d['vms'] if v['name'] == '$vm'][0]['last_failure']['node'] == 'n1'" ||
        rl_fail "$vm's last failure in vmctl status is not on n1"
    rl_log "$vm: vmctl status last failure: $(vmctl_on n2 status --json | python3 -c 'import json,sys; print([v["last_failure"]["op"] + ": " + (v["last_failure"]["exit_reason"] or "") for v in json.load(sys.stdin)["vms"] if v["name"] == sys.argv[1]][0])' "$vm")"
done

# vc, on a node that still sees the storage, was left alone.
[ "$(qemu_pid n2 vc)" = "$c_pid" ] || rl_fail "vc's qemu was replaced"
[ "$(rl_boots vc)" = "${RL_BOOTS[vc]}" ] || rl_fail "vc booted again"
# Settled, and nothing goes back to n1 while its storage is lost.
rl_wait 60 "the live plan is empty" rl_plan_empty n2
rl_stable 10
for vm in va vb; do rl_really_elsewhere "$vm" n1 || rl_fail "$vm not on exactly one node other than n1: $(rl_where_now)"; done
fences=$(rl_fence_lines n1)
rl_log "n1 fenced: ${fences:-no (its VMs stopped cleanly there)}"

# The storage comes back. The starts in place on n1 failed while it was gone, which bans va and
# vb from n1 (INFINITY, as any failed start) with the agent blaming the storage; n1's clusterd
# finds the storage reachable again (the agent's validate-all) and clears those failures on n1
# by itself, saying so in the event history; nothing moves by itself (failback=never), and n1
# takes a VM again: va moves there, never on two nodes. Without the storage watch the bans stay
# until `vmctl vm cleanup`, and a VM with nowhere else to go stays down (chaos seeds 2004, 2018).
vm_field() { # vm_field VM PYEXPR-of-v
    vmctl_on n2 status --json | python3 -c '
import json, sys
v = [v for v in json.load(sys.stdin)["vms"] if v["name"] == sys.argv[1]][0]
print(eval(sys.argv[2]))' "$1" "$2"
}
for vm in va vb; do
    rl_status_check n2 "[v for v in d['vms'] if v['name'] == '$vm'][0]['fail_counts'].get('n1', {}).get('count', 0) >= 1000000" ||
        rl_fail "$vm: no start failure counted on n1: $(vm_field "$vm" 'v["fail_counts"]')"
    rl_log "$vm: on n1 before the storage is back: $(vm_field "$vm" 'v["fail_counts"]["n1"]'), last failure $(vm_field "$vm" 'v["last_failure"]["op"] + ": " + (v["last_failure"]["exit_reason"] or "")')"
done
back=$(vmctl_on n2 events --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["last_seq"])') ||
    rl_fail "vmctl events"
t1=$(rl_now_ms)
"$LAB" exec n1 umount -l "$RL_SHARED" || rl_fail "giving n1 its storage back"
"$LAB" exec n1 test -f "$(rl_xml va)" || rl_fail "n1 does not see the shared storage again"
rl_log "shared storage back on n1 at $(rl_fmt "$t1")"
n1_cleared() {
    rl_status_check n2 "all('n1' not in v['fail_counts'] for v in d['vms'] if v['name'] in ('va', 'vb'))"
}
rl_wait 60 "va's and vb's failures on n1 cleared once n1's storage is back" n1_cleared
rl_log "failures of va and vb on n1 cleared +$(($(rl_now_ms) - t1)) ms after the storage came back"
storage_back_shown() {
    vmctl_on n2 events --json --vm "$1" | python3 -c '
import json, sys
es = [e for e in json.load(sys.stdin)["events"] if e["seq"] > int(sys.argv[1])]
m = [e for e in es if e.get("node") == "n1" and "cause=storage-back" in (e["details"] or "")]
print(m[0]["type"] + ": " + m[0]["details"] if m else "")
sys.exit(0 if m else 1)' "$back"
}
for vm in va vb; do
    rl_wait 10 "vmctl events shows $vm's failures on n1 cleared" storage_back_shown "$vm"
    rl_log "$vm: $(storage_back_shown "$vm")"
done
rl_stable 5
for vm in va vb; do rl_really_elsewhere "$vm" n1 || rl_fail "$vm moved by itself: $(rl_where_now)"; done
vmctl_on n2 vm move va --to n1 --wait --timeout 90 || rl_fail "va cannot move back to n1"
rl_wait 30 "va running on n1 alone" rl_really_on va n1
rl_log "va moved back to n1: $(rl_where_now)"
rl_dup_stop
rl_log "PASS"
