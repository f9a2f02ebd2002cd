#!/usr/bin/env bash
# Probes find where VMs really run and record it in the status section: a guest started by hand
# (virsh) on n2 before it is added shows as running on n2 on every node and is left there (never
# started a second time); the other is started by the leader on its preferred node once every
# node has probed it; the records are Pacemaker's, so crm_simulate reads them the same.
. "$(dirname "$0")/clusterd-lib.sh"
cl_skip_unless_possible

MKGUEST="$(cd "$(dirname "$0")/../guest" && pwd)/mkguest"

cl_up 3
for n in 1 2 3; do cl_wait 60 "n$n quorate, in sync, with a leader" cl_quorate_in_sync "$n"; done

mkdir -p "$CL_LABVAR/shared/guests"
for vm in pra prb; do
    "$MKGUEST" "$vm" --dir "$CL_LABVAR/shared/guests" --memory 16 >/dev/null || cl_fail "mkguest $vm"
done
# pra runs on n2 before vmha knows it: the only way vmha can learn of it is a probe, and until
# every node has probed it the leader starts it nowhere.
cl_exec 2 virsh create "$CL_LABVAR/shared/guests/pra/pra.xml" >/dev/null || cl_fail "virsh create pra on n2"
vmctl_on 1 vm add pra --config "$CL_LABVAR/shared/guests/pra/pra.xml" || cl_fail "vm add pra"
vmctl_on 1 vm add prb --config "$CL_LABVAR/shared/guests/prb/prb.xml" --prefer n2 || cl_fail "vm add prb"

# vm_check NODE PYEXPR: PYEXPR holds for v = {name: vm} from `vmctl vm list --json` on NODE.
vm_check() {
    vmctl_on "$1" vm list --json | python3 -c '
import json, sys
v = {x["name"]: x for x in json.load(sys.stdin)["vms"]}
sys.exit(0 if eval(sys.argv[1]) else 1)' "$2"
}
probed='sorted(v["pra"]["probed_on"]) == ["n1", "n2", "n3"] and sorted(v["prb"]["probed_on"]) == ["n1", "n2", "n3"]'
found='v["pra"]["running_on"] == ["n2"] and v["pra"]["failed_on"] == [] and v["prb"]["failed_on"] == []'
for n in 1 2 3; do
    cl_wait 30 "n$n: pra running on n2 only, probed everywhere" vm_check "$n" "$probed and $found"
done
cl_wait 20 "all copies agree" cl_agree 1 2 3
vmctl_on 1 vm list | grep -E '^pra +.* n2 +/' >/dev/null || { vmctl_on 1 vm list >&2; cl_fail "vm list table: RUNNING ON"; }
cl_exec 1 xmllint --noout --relaxng /usr/share/pacemaker/pacemaker-3.9.rng /var/lib/vmha/cib.xml 2>/dev/null ||
    cl_fail "the stored CIB with probe results does not validate"
cl_log "probes: pra found on n2, on every node's copy"
started='v["prb"]["running_on"] == ["n2"] and v["pra"]["running_on"] == ["n2"]'
cl_wait 60 "the leader started prb on n2; pra still only on n2" vm_check 1 "$started"
for n in 1 3; do
    cl_exec "$n" virsh list --name | grep >/dev/null -x pra && cl_fail "pra started a second time, on n$n"
done
cl_log "prb started on n2 by the leader; pra never started again"

# sim_check NAME PYEXPR: PYEXPR holds for the JSON plan from n1 (acts, place, p).
sim_check() {
    local what=$1 expr=$2
    vmctl_on 1 simulate --json >"$CL_DIR/plan.json" || cl_fail "$what: vmctl simulate failed"
    python3 - "$CL_DIR/plan.json" "$expr" <<'PY' || { cat "$CL_DIR/plan.json" >&2; cl_fail "$what"; }
import json, sys
p = json.load(open(sys.argv[1]))
acts = {(a["action"], a.get("vm"), a.get("node")) for a in p["actions"]}
place = p["placement"]
sys.exit(0 if eval(sys.argv[2]) else 1)
PY
}
# pra (no preference) runs on n2: the plan leaves it there. Had the probe not found it, the plan
# would start it on some node while it runs on n2.
sim_check "pra stays on n2" \
    'place["pra"] == "n2" and place["prb"] == "n2" and not acts'
cl_log "simulate: pra and prb stay on n2, nothing to do"

# Pacemaker's scheduler reads our records the same way.
cl_exec 1 cat /var/lib/vmha/cib.xml >"$CL_DIR/stored.xml"
python3 - "$CL_DIR/stored.xml" >"$CL_DIR/live.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
t = ET.parse(sys.argv[1]); r = t.getroot(); r.set("have-quorum", "1")
for ns in r.iter("node_state"):
    ns.attrib.update({"in_ccm": "true", "crmd": "online", "join": "member", "expected": "member"})
sys.stdout.write(ET.tostring(r, encoding="unicode"))
PY
crm_simulate -x "$CL_DIR/live.xml" -S >"$CL_DIR/crm_simulate.out" 2>&1 || cl_fail "crm_simulate"
grep -Eq "pra.*Started n2" "$CL_DIR/crm_simulate.out" && grep -Eq "prb.*Started n2" "$CL_DIR/crm_simulate.out" &&
    ! grep -Eq "Start +pra" "$CL_DIR/crm_simulate.out" ||
    { cat "$CL_DIR/crm_simulate.out" >&2; cl_fail "crm_simulate reads the probe records differently"; }
cl_log "crm_simulate: pra and prb Started n2"

cl_log "PASS"
