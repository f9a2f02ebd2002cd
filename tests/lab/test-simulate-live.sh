#!/usr/bin/env bash
# vmctl simulate without --cib plans from the live database through clusterd: the CIB plus the
# membership and quorum clusterd sees now. Two VMs preferring n2 and n3 run there (the leader
# started them) and the plan has nothing to do; with --fail n2 the n2 VM waits for n2's fencing
# (the lab's fence device); a non-root user may simulate; simulating changes nothing in the
# stored database; Pacemaker reads the live CIB the same; without clusterd it is exit 4.
# (Real failures, partitions and recovery: test-recovery-*, test-selffence.)
. "$(dirname "$0")/clusterd-lib.sh"
cl_skip_unless_possible

MKGUEST="$(cd "$(dirname "$0")/../guest" && pwd)/mkguest"

cl_up 3
for n in 1 2 3; do cl_wait 60 "n$n quorate, in sync, with a leader" cl_quorate_in_sync "$n"; done

# Domain XML on the lab's shared storage, the same path on every node.
mkdir -p "$CL_LABVAR/shared/guests"
for vm in vmb vmc; do
    "$MKGUEST" "$vm" --dir "$CL_LABVAR/shared/guests" --memory 16 >/dev/null || cl_fail "mkguest $vm"
done
vmctl_on 1 vm add vmb --config "$CL_LABVAR/shared/guests/vmb/vmb.xml" --prefer n2 || cl_fail "vm add vmb"
vmctl_on 1 vm add vmc --config "$CL_LABVAR/shared/guests/vmc/vmc.xml" --prefer n3 || cl_fail "vm add vmc"
# The adds make every node probe both VMs (docs/clusterd.md, probes); wait for their records.
probed() {
    vmctl_on 1 vm list --json | python3 -c '
import json, sys
sys.exit(0 if all(sorted(v["probed_on"]) == ["n1", "n2", "n3"] for v in json.load(sys.stdin)["vms"]) else 1)'
}
cl_wait 30 "both VMs probed on every node" probed
running() {
    vmctl_on 1 vm list --json | python3 -c '
import json, sys
v = {x["name"]: x for x in json.load(sys.stdin)["vms"]}
sys.exit(0 if v["vmb"]["running_on"] == ["n2"] and v["vmc"]["running_on"] == ["n3"] else 1)'
}
cl_wait 60 "the leader started vmb on n2, vmc on n3" running
cl_wait 20 "all agree after the starts" cl_agree 1 2 3

# sim_check NAME PYEXPR [vmctl simulate args]: PYEXPR holds for p = the JSON plan from n1, where
# acts is the set of (action, vm, node) and place the placement. On failure the plan is shown.
sim_check() {
    local what=$1 expr=$2
    shift 2
    vmctl_on 1 simulate --json "$@" >"$CL_DIR/plan.json" || cl_fail "$what: vmctl simulate $* failed"
    python3 - "$CL_DIR/plan.json" "$expr" <<'PY' || { cat "$CL_DIR/plan.json" >&2; cl_fail "$what"; }
import json, sys
p = json.load(open(sys.argv[1]))
acts = {(a["action"], a.get("vm"), a.get("node")) for a in p["actions"]}
place = p["placement"]
sys.exit(0 if eval(sys.argv[2]) else 1)
PY
}

dbid_before=$(cl_dbid 1)

# 1. Everyone up, each VM on its preferred node: nothing to do.
sim_check "all up: vmb on n2, vmc on n3" 'place == {"vmb": "n2", "vmc": "n3"} and not acts'
cl_log "1: live plan keeps vmb on n2, vmc on n3, nothing to do"

# 2. --fail n2: n2 is lost while vmb runs there: the plan fences n2 (the lab's fence device
# covers it) and vmb waits for that; vmc stays.
sim_check "--fail n2: fence n2, vmb waits" \
    '("fence", None, "n2") in acts and place["vmb"] is None and "n2" in p["reasons"]["vmb"] and "fenced" in p["reasons"]["vmb"] and place["vmc"] == "n3" and not any(a[0] == "start" for a in acts)' \
    --fail n2
cl_log "2: --fail n2 fences n2, vmb waits ($(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["reasons"]["vmb"])' "$CL_DIR/plan.json"))"

# Simulating touched nothing: same version and digest (compared before the membership changes,
# which bumps the epoch), and the live facts never reached the file (its node_state elements
# hold the probes' resource history only).
[ "$(cl_dbid 1)" = "$dbid_before" ] || cl_fail "the database changed: $dbid_before -> $(cl_dbid 1)"
cl_exec 1 grep -q -e in_ccm -e crmd= -e have-quorum /var/lib/vmha/cib.xml && cl_fail "live facts in n1's cib.xml"
cl_log "database unchanged by simulate"

# The live CIB itself, fetched with CIB_QUERY by a client of our own (the wire format of
# include/vmha/wire.h): valid for Pacemaker's schema, and Pacemaker's scheduler reads the node
# states and the VMs' history as we do.
cl_exec 1 python3 - >"$CL_DIR/live.xml" <<'PY' || cl_fail "CIB_QUERY by hand"
import socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect("/run/vmha/clusterd.sock")
s.sendall(struct.pack("<IHHHHI", 0x41484d56, 1, 5, 0, 0, 0))
buf = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    buf += d
magic, ver, typ, nf, _, plen = struct.unpack_from("<IHHHHI", buf)
assert magic == 0x41484d56 and typ == 32 and len(buf) == 16 + plen, "bad reply"
off, fields = 16, {}
for _ in range(nf):
    tag, _, ln = struct.unpack_from("<HHI", buf, off)
    fields[tag] = buf[off + 8:off + 8 + ln]
    off += 8 + ln
assert struct.unpack("<Q", fields[8])[0] == 0, fields[9]
sys.stdout.write(fields[19].decode())
PY
xmllint --noout --relaxng /usr/share/pacemaker/pacemaker-3.9.rng "$CL_DIR/live.xml" 2>/dev/null ||
    cl_fail "the live CIB does not validate against Pacemaker's schema"
grep -q 'have-quorum="1"' "$CL_DIR/live.xml" || cl_fail "live CIB without have-quorum=1"
crm_simulate -x "$CL_DIR/live.xml" -S >"$CL_DIR/crm_simulate.out" 2>&1 || cl_fail "crm_simulate on the live CIB"
grep -q "Online: \[ n1 n2 n3 \]" "$CL_DIR/crm_simulate.out" &&
    grep -Eq "vmb.*Started n2" "$CL_DIR/crm_simulate.out" && grep -Eq "vmc.*Started n3" "$CL_DIR/crm_simulate.out" ||
    { cat "$CL_DIR/crm_simulate.out" >&2; cl_fail "crm_simulate reads other node states"; }
cl_log "live CIB: valid, crm_simulate sees n1 n2 n3 online, vmb on n2, vmc on n3"

# 4. A non-root user may simulate (a read), with the same plan.
cp "$CL_DIR/plan.json" "$CL_DIR/plan-root.json"
cl_exec 1 setpriv --reuid=nobody --regid=nogroup --clear-groups "$VMCTL" simulate --json \
    >"$CL_DIR/plan-nobody.json" || cl_fail "nobody cannot simulate"
cmp -s "$CL_DIR/plan-root.json" "$CL_DIR/plan-nobody.json" || cl_fail "nobody's plan differs from root's"
cl_log "4: non-root simulates"

# Without clusterd: exit 4, one line.
cl_kill_clusterd 1
set +e
vmctl_on 1 simulate 2>"$CL_DIR/nodaemon.err" >/dev/null; rc=$?
set -e
[ $rc -eq 4 ] && [ "$(wc -l <"$CL_DIR/nodaemon.err")" -eq 1 ] || cl_fail "no clusterd: rc $rc $(cat "$CL_DIR/nodaemon.err")"
cl_log "PASS"
