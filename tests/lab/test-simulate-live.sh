#!/usr/bin/env bash
# vmctl simulate without --cib plans from the live database through clusterd: the CIB plus the
# membership and quorum clusterd sees now. Two VMs preferring n2 and n3 are planned there; with
# --fail n2 the n2 VM goes elsewhere; after n3 really dies n1's plan keeps everything off n3; a
# non-root user may simulate; simulating changes nothing in the stored database; without
# clusterd it is exit 4.
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
cl_wait 20 "all agree after the adds" cl_agree 1 2 3

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

# 1. Everyone up: each VM is started on its preferred node, nothing else.
sim_check "all up: vmb on n2, vmc on n3" \
    'place == {"vmb": "n2", "vmc": "n3"} and acts == {("start", "vmb", "n2"), ("start", "vmc", "n3")}'
cl_log "1: live plan starts vmb on n2, vmc on n3"

# 2. --fail n2: n2 is lost and cannot host. The database knows of no run of vmb on n2 (nothing
# started it yet), so nothing waits for n2's fencing and vmb starts on a survivor; no fence action
# because the database has no fence device (vmha then waits for self-fence, and only for VMs that
# ran there: docs/ARCHITECTURE.md, "No fence device").
sim_check "--fail n2: vmb on a survivor" \
    'place["vmb"] in ("n1", "n3") and ("start", "vmb", place["vmb"]) in acts and place["vmc"] == "n3" and not any(a[2] == "n2" for a in acts)' \
    --fail n2
cl_log "2: --fail n2 moves vmb to $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["placement"]["vmb"])' "$CL_DIR/plan.json")"

# Simulating touched nothing: same version and digest (compared before the membership changes,
# which bumps the epoch), and the live facts never reached the file (its node_state elements
# hold the probes' resource history only).
[ "$(cl_dbid 1)" = "$dbid_before" ] || cl_fail "the database changed: $dbid_before -> $(cl_dbid 1)"
cl_exec 1 grep -q -e in_ccm -e crmd= -e have-quorum /var/lib/vmha/cib.xml && cl_fail "live facts in n1's cib.xml"
cl_log "database unchanged by simulate"

# A minority plans nothing: cut off, n3 has no quorum, and with the default no-quorum-policy
# (stop) its plan starts nothing. (sim_check asks n1; this one asks n3.)
cl_partition 3
cl_wait 30 "n3 loses quorum, in sync with itself" cl_check 3 'not d["quorate"] and d["database"]["in_sync"]'
vmctl_on 3 simulate --json >"$CL_DIR/minority.json" || cl_fail "simulate on the minority"
python3 -c '
import json, sys
p = json.load(open(sys.argv[1]))
sys.exit(0 if p["actions"] == [] and all(v is None for v in p["placement"].values())
         and all("no quorum" in r for r in p["reasons"].values()) and len(p["reasons"]) == 2 else 1)' \
    "$CL_DIR/minority.json" || { cat "$CL_DIR/minority.json" >&2; cl_fail "minority plan"; }
cl_heal
for n in 1 2 3; do cl_wait 60 "n$n quorate and in sync after heal" cl_quorate_in_sync "$n"; done
cl_log "minority n3 plans nothing (no quorum)"

# 3. n3 really dies: once n1 sees it offline, the live plan keeps everything off n3 while the
# two survivors stay quorate.
cl_kill 3
n3_offline() {
    vmctl_on 1 node list --json | python3 -c '
import json,sys; sys.exit(0 if any(n["name"]=="n3" and not n["online"] for n in json.load(sys.stdin)["nodes"]) else 1)'
}
cl_wait 30 "n1 sees n3 offline" n3_offline
cl_wait 30 "n1 quorate and in sync without n3" cl_quorate_in_sync 1
sim_check "n3 lost: vmc off n3" \
    'place["vmb"] == "n2" and place["vmc"] in ("n1", "n2") and ("start", "vmc", place["vmc"]) in acts and not any(a[2] == "n3" for a in acts)'
cl_log "3: n3 killed; live plan puts vmc on $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["placement"]["vmc"])' "$CL_DIR/plan.json")"

# The live CIB itself, fetched with CIB_QUERY by a client of our own (the wire format of
# include/vmha/wire.h): valid for Pacemaker's schema, and Pacemaker's scheduler reads the node
# states as we do (n3 unclean, so it waits for fencing; n1 and n2 online).
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
grep -q "Node n3: UNCLEAN (offline)" "$CL_DIR/crm_simulate.out" && grep -q "Online: \[ n1 n2 \]" "$CL_DIR/crm_simulate.out" ||
    { cat "$CL_DIR/crm_simulate.out" >&2; cl_fail "crm_simulate reads other node states"; }
cl_log "live CIB: valid, crm_simulate sees n3 unclean, n1 n2 online"

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
