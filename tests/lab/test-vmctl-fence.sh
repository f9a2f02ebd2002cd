#!/usr/bin/env bash
# vmctl fence add|list|remove on a live 2-node cluster: a device added on n1 is listed on n2 with
# its secret hidden, in the same database version on both; refusals (duplicate id, unknown node,
# bad option, non-root) change nothing; remove takes it away everywhere. Who may do what with
# fence devices (issue 11, defect 3): an agent is a name from the trusted agent directories, never
# a path, for root and the admin group alike, also in a request that bypasses vmctl; the only
# device of a node goes, or loses that node (fence set), only by root's --force; fence set keeps
# the device's options. Then the other writes
# of vmctl against the live cluster: vm cleanup, vm stop --wait, node fence (request recorded on
# the node, root only, confirmation), and vmctl status (table, --json, --watch).
. "$(dirname "$0")/clusterd-lib.sh"
cl_skip_unless_possible

cl_up 2
for n in 1 2; do cl_wait 60 "n$n quorate, in sync, with a leader" cl_quorate_in_sync "$n"; done
# tests/lab/lab may have configured its own device (lab-fence): this test looks at its own only.

# expect_rc RC WHAT NODE ARGS...: vmctl on NODE exits RC.
expect_rc() {
    local want=$1 what=$2 node=$3 rc=0
    shift 3
    vmctl_on "$node" "$@" >"$CL_DIR/out" 2>"$CL_DIR/err" || rc=$?
    [ "$rc" -eq "$want" ] || cl_fail "$what: exit $rc, wanted $want: $(cat "$CL_DIR/err") $(cat "$CL_DIR/out")"
}

expect_rc 0 "fence add" 1 fence add lab fence_lab --hosts n1,n2 "lab=$VMHA_LAB" passwd=s3cret
cl_wait 20 "both copies agree after the add" cl_agree 1 2
vmctl_on 2 fence list --json >"$CL_DIR/list.json" || cl_fail "fence list on n2"
python3 - "$CL_DIR/list.json" fence_lab "$VMHA_LAB" <<'PY' || { cat "$CL_DIR/list.json" >&2; cl_fail "fence list on n2"; }
import json, sys
d = [d for d in json.load(open(sys.argv[1]))["devices"] if d["id"] == "lab"]
assert len(d) == 1, d
d = d[0]
assert d["id"] == "lab" and d["agent"] == sys.argv[2] and d["hosts"] == ["n1", "n2"], d
assert d["options"] == {"lab": sys.argv[3], "passwd": "(hidden)"}, d
PY
vmctl_on 2 fence list | grep >/dev/null "^lab .*n1,n2" || cl_fail "fence list table"
# Pacemaker's tools read the stored copy: the device is a stonith resource there.
cl_exec 2 env CIB_file=/var/lib/vmha/cib.xml cibadmin -Q -o resources | grep >/dev/null 'class="stonith"' ||
    cl_fail "cibadmin does not see the device"
cl_log "added on n1, listed on n2"

dbid=$(cl_dbid 1)
expect_rc 1 "duplicate id" 2 fence add lab fence_ipmilan --hosts n1
expect_rc 6 "unknown node" 1 fence add other fence_ipmilan --hosts n1,n7
expect_rc 2 "multi-line option" 1 fence add other fence_ipmilan --hosts n1 $'ip=1\nplug=n2'
expect_rc 2 "reserved option" 1 fence add other fence_ipmilan --hosts n1 action=off
expect_rc 6 "remove unknown" 1 fence remove nosuch
rc=0
cl_exec 1 setpriv --reuid=nobody --regid=nogroup --clear-groups "$VMCTL" fence remove lab 2>/dev/null || rc=$?
[ $rc -eq 5 ] || cl_fail "nobody's fence remove: exit $rc, wanted 5"
[ "$(cl_dbid 1)" = "$dbid" ] || cl_fail "a refused request changed the database"
cl_log "refusals changed nothing"

expect_rc 0 "fence remove" 2 fence remove lab
cl_wait 20 "both copies agree after the remove" cl_agree 1 2
[ "$(vmctl_on 1 fence list --json | python3 -c 'import json,sys; print(sum(d["id"] == "lab" for d in json.load(sys.stdin)["devices"]))')" = 0 ] ||
    cl_fail "the device is still listed on n1"

# vm cleanup forgets the probe records; every node probes again and records them anew.
cfg=$(cl_domain_xml vmx)
expect_rc 0 "vm add" 1 vm add vmx --config "$cfg"
probed() {
    vmctl_on 1 vm list --json | python3 -c '
import json, sys
sys.exit(0 if all(sorted(v["probed_on"]) == ["n1", "n2"] for v in json.load(sys.stdin)["vms"]) else 1)'
}
cl_wait 30 "vmx probed on both nodes" probed
dbid=$(cl_dbid 1)
expect_rc 0 "vm cleanup" 2 vm cleanup vmx
expect_rc 6 "vm cleanup of an unknown VM" 2 vm cleanup nosuch
cl_wait 30 "vmx probed again after the cleanup" probed
[ "$(cl_dbid 1)" != "$dbid" ] || cl_fail "vm cleanup changed nothing"
cl_wait 20 "both copies agree after the cleanup" cl_agree 1 2
cl_log "vm cleanup: history forgotten and probed again"

# vm start --wait: the leader starts it (it may have done so already); then vm stop --wait.
expect_rc 0 "vm start --wait" 1 vm start vmx --wait --timeout 60
grep -q "vmx: running on n" "$CL_DIR/out" || cl_fail "vm start --wait printed no progress: $(cat "$CL_DIR/out")"
# The test guest boots nothing that would answer an ACPI shutdown: let the agent destroy it
# after 1 s instead of its default grace period.
expect_rc 0 "vm set shutdown_timeout" 1 vm set vmx shutdown_timeout=1
expect_rc 0 "vm stop --wait" 1 vm stop vmx --wait --timeout 60
grep -q "vmx: stopping on n" "$CL_DIR/out" || cl_fail "vm stop --wait did not show it stopping: $(cat "$CL_DIR/out")"
grep -q "vmx: stopped" "$CL_DIR/out" || cl_fail "vm stop --wait printed no progress: $(cat "$CL_DIR/out")"
[ "$(vmctl_on 1 vm list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["vms"][0]["target_role"])')" = Stopped ] ||
    cl_fail "target-role not Stopped"

expect_rc 0 "vm set monitor-interval" 2 vm set vmx monitor-interval=5s
[ "$(vmctl_on 1 vm list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["vms"][0]["monitor_interval"])')" = 5s ] ||
    cl_fail "monitor_interval not 5s in vm list"

# vmctl status: every node and VM with its state.
vmctl_on 2 status --json >"$CL_DIR/status.json" || cl_fail "status --json"
python3 - "$CL_DIR/status.json" <<'PY' || { cat "$CL_DIR/status.json" >&2; cl_fail "status --json"; }
import json, sys
d = json.load(open(sys.argv[1]))
assert [n["state"] for n in d["nodes"]] == ["online", "online"], d["nodes"]
vm = [v for v in d["vms"] if v["name"] == "vmx"][0]
assert vm["state"] == "stopped" and vm["nodes"] == [] and vm["why"] == "target-role is Stopped", vm
PY
vmctl_on 2 status >"$CL_DIR/status.txt" || cl_fail "status"
cat "$CL_DIR/status.txt" >&2
grep -Eq "^vmx +stopped +- " "$CL_DIR/status.txt" || cl_fail "status table: $(cat "$CL_DIR/status.txt")"
awk 'length > 100 { exit 1 }' "$CL_DIR/status.txt" || cl_fail "status table wider than 100 columns"
# --watch without a terminal prints a snapshot once, not again while nothing changes; Ctrl-C
# ends it with success.
cl_exec 1 sh -c "'$VMCTL' status --watch 1 >/tmp/watch.$$ 2>&1 & p=\$!; sleep 2.5; kill -INT \$p; wait \$p" ||
    cl_fail "status --watch did not end with success on SIGINT"
[ "$(grep -c '^Leader:' /tmp/watch.$$)" = 1 ] || cl_fail "status --watch repeated an unchanged snapshot: $(cat /tmp/watch.$$)"
rm -f /tmp/watch.$$
cl_log "status table, --json and --watch"

# node fence: root only; no terminal and no --yes is refused; an unknown node is refused. None of
# them records a request. (A real fence: test-vmctl-node-fence, 3 nodes; a 2-node cluster would
# lose quorum with it.)
dbid=$(cl_dbid 1)
rc=0
cl_exec 1 setpriv --reuid=nobody --regid=nogroup --clear-groups "$VMCTL" node fence n2 --yes --no-wait 2>/dev/null || rc=$?
[ $rc -eq 5 ] || cl_fail "nobody's node fence: exit $rc, wanted 5"
expect_rc 2 "node fence without a terminal or --yes" 1 node fence n2 </dev/null
expect_rc 6 "node fence of an unknown node" 1 node fence n9 --yes --no-wait
[ "$(cl_dbid 1)" = "$dbid" ] || cl_fail "a refused fence request changed the database"
cl_log "node fence refusals"

# --- fence devices: who may do what (issue 11, defect 3) ---
# A script anyone could write: it must never be taken as a fence agent.
evil=/tmp/vmha-evil-$$.sh
printf '#!/bin/sh\ntouch %s.ran\n' "$evil" >"$evil"
chmod 755 "$evil"
trap 'rm -f "$evil" "$evil.ran"; cl_down' EXIT
# n1's clusterd with an admin group that user nobody can be in (the lab's default group, vmha,
# may not exist on this machine).
cl_kill_clusterd 1 || cl_fail "kill clusterd on n1"
cl_start_clusterd 1 --admin-group nogroup
cl_wait 60 "n1 back, quorate and in sync" cl_quorate_in_sync 1
admin_rc() { # admin_rc RC WHAT ARGS...: vmctl on n1 as nobody:nogroup (admin group) exits RC
    local want=$1 what=$2 rc=0
    shift 2
    cl_exec 1 setpriv --reuid=nobody --regid=nogroup --clear-groups "$VMCTL" "$@" >"$CL_DIR/out" 2>"$CL_DIR/err" || rc=$?
    [ "$rc" -eq "$want" ] || cl_fail "admin $what: exit $rc, wanted $want: $(cat "$CL_DIR/err")"
}
# raw_rc RC TYPE KV...: a FENCE_ADD (22, id x, hosts n1), FENCE_REMOVE (23, id lab-fence) or
# FENCE_SET (7, id lab-fence, hosts n1) sent to n1's socket as nobody:nogroup without vmctl's own
# checks; clusterd answers RC.
raw_rc() {
    local want=$1 got
    shift
    got=$(cl_exec 1 setpriv --reuid=nobody --regid=nogroup --clear-groups python3 -c '
import socket, struct, sys
def field(tag, v): return struct.pack("<HHI", tag, 0, len(v)) + v
t = int(sys.argv[1])
fields = [field(1, b"x" if t == 22 else b"lab-fence")]
fields += [field(7, kv.encode()) for kv in sys.argv[2:]]
if t in (22, 7): fields.append(field(20, b"n1"))
body = b"".join(fields)
s = socket.socket(socket.AF_UNIX); s.connect("/run/vmha/clusterd.sock")
s.sendall(struct.pack("<IHHHHI", 0x41484d56, 1, t, len(fields), 0, len(body)) + body)
buf = b""
while True:
    d = s.recv(65536)
    if not d: break
    buf += d
off, rc = 16, None
for _ in range(struct.unpack_from("<H", buf, 8)[0]):
    tag, _, n = struct.unpack_from("<HHI", buf, off)
    if tag == 8: rc = struct.unpack_from("<Q", buf, off + 8)[0]
    off += 8 + n
print(rc)' "$@") || cl_fail "raw request $*"
    [ "$got" = "$want" ] || cl_fail "raw request $*: rc $got, wanted $want"
}
dbid=$(cl_dbid 1)
expect_rc 2 "root: a path as the agent" 1 fence add x "$evil" --hosts n1
expect_rc 6 "root: an agent not installed" 1 fence add x fence_nosuchagent --hosts n1
admin_rc 2 "a path as the agent" fence add x "$evil" --hosts n1
raw_rc 2 22 "agent=$evil"
raw_rc 2 22 "agent=fence_lab/../../../$evil"
raw_rc 6 22 agent=fence_nosuchagent
raw_rc 5 22 force=on agent=fence_lab
# lab-fence (tests/lab/lab) is now the only device of n1 and n2.
admin_rc 7 "removing the only device" fence remove lab-fence
grep -q "only one fencing n1, n2" "$CL_DIR/err" || cl_fail "admin remove: $(cat "$CL_DIR/err")"
admin_rc 5 "--force" fence remove lab-fence --force
raw_rc 5 23 force=on
admin_rc 1 "replacing a device" fence add lab-fence fence_lab --hosts n1,n2 "lab=$VMHA_LAB"
admin_rc 5 "replacing a device with --force" fence add lab-fence fence_lab --hosts n1,n2 --force
# fence set: taking a node out of its only device is the same decision as removing it.
admin_rc 7 "taking n2 out of its only device" fence set lab-fence --hosts n1
grep -q "'lab-fence' is the only one fencing n2" "$CL_DIR/err" || cl_fail "admin set: $(cat "$CL_DIR/err")"
admin_rc 5 "fence set --force" fence set lab-fence --hosts n1 --force
raw_rc 5 7 force=on
expect_rc 7 "root: taking n2 out of its only device without --force" 2 fence set lab-fence --hosts n1
expect_rc 6 "fence set: an unknown node" 1 fence set lab-fence --hosts n1,n2,n7
expect_rc 6 "fence set: an unknown device" 1 fence set nosuch --hosts n1
expect_rc 2 "fence set: a node twice" 1 fence set lab-fence --hosts n1,n1
expect_rc 7 "root: removing the only device without --force" 2 fence remove lab-fence
[ "$(cl_dbid 1)" = "$dbid" ] || cl_fail "a refused fence request changed the database"
# The admin group may add and remove devices by name while another one covers the nodes.
admin_rc 0 "adding a second device" fence add lab2 fence_lab --hosts n1,n2 "lab=$VMHA_LAB"
admin_rc 0 "taking n2 out of a device another one backs up" fence set lab2 --hosts n1
vmctl_on 2 fence list | grep >/dev/null "^lab2 .* n1 " || cl_fail "lab2 does not fence n1 alone: $(vmctl_on 2 fence list)"
admin_rc 0 "removing the second device" fence remove lab2
# Root replaces the device in place with --force, and may remove it.
expect_rc 0 "root: replacing with --force" 2 fence add lab-fence fence_lab --force --hosts n1,n2 "lab=$VMHA_LAB" power_timeout=20
vmctl_on 1 fence list | grep >/dev/null "^lab-fence .*power_timeout=20" || cl_fail "lab-fence not replaced: $(vmctl_on 1 fence list)"
# Root takes n2 out with --force and puts it back; the options (the lab's name) stay untouched.
expect_rc 0 "root: fence set --force" 2 fence set lab-fence --hosts n1 --force
vmctl_on 1 fence list | grep >/dev/null "^lab-fence .* n1 .*power_timeout=20" || cl_fail "lab-fence after set: $(vmctl_on 1 fence list)"
expect_rc 0 "root: n2 back in lab-fence" 1 fence set lab-fence --hosts n1,n2
vmctl_on 1 fence list --json | python3 -c '
import json, sys
f = [d for d in json.load(sys.stdin)["devices"] if d["id"] == "lab-fence"][0]
assert f["hosts"] == ["n1", "n2"] and f["options"] == {"lab": sys.argv[1], "power_timeout": "20"}, f' "$VMHA_LAB" ||
    cl_fail "lab-fence's hosts or options after fence set"
expect_rc 0 "root: removing the only device with --force" 1 fence remove lab-fence --force
expect_rc 0 "root: adding it back" 1 fence add lab-fence fence_lab --hosts n1,n2 "lab=$VMHA_LAB"
cl_wait 20 "both copies agree after the fence changes" cl_agree 1 2
[ ! -e "$evil.ran" ] || cl_fail "$evil ran"
cl_log "fence agents by name only; the only device goes (or loses a node) by root's --force alone"
cl_log "PASS"
