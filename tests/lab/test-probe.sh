#!/usr/bin/env bash
# Probes find where VMs really run and record it in the status section: a guest started by hand
# (virsh) on n2 before it is added shows as running on n2 on every node, the other as stopped;
# the live plan leaves it on n2 instead of starting it again; the records are
# Pacemaker's, so crm_simulate reads them the same; when n2 dies its VM waits (n2 is lost and
# unfenced, and there is no fence device: docs/ARCHITECTURE.md, safety rule 2) while the other
# VM is started on a survivor.
. "$(dirname "$0")/clusterd-lib.sh"
cl_skip_unless_possible

MKGUEST="$(cd "$(dirname "$0")/../guest" && pwd)/mkguest"

cl_up 3
for n in 1 2 3; do cl_wait 60 "n$n quorate, in sync, with a leader" cl_quorate_in_sync "$n"; done

mkdir -p "$CL_LABVAR/shared/guests"
for vm in pra prb; do
    "$MKGUEST" "$vm" --dir "$CL_LABVAR/shared/guests" --memory 16 >/dev/null || cl_fail "mkguest $vm"
done
# pra runs on n2 before vmha knows it; nothing starts VMs yet (no leader actions), so the only
# way vmha can learn of it is a probe.
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
found='v["pra"]["running_on"] == ["n2"] and v["prb"]["running_on"] == [] and v["pra"]["failed_on"] == [] and v["prb"]["failed_on"] == []'
for n in 1 2 3; do
    cl_wait 30 "n$n: pra running on n2, prb stopped, probed everywhere" vm_check "$n" "$probed and $found"
done
cl_wait 20 "all copies agree" cl_agree 1 2 3
vmctl_on 1 vm list | grep -E '^pra +.* n2 +/' >/dev/null || { vmctl_on 1 vm list >&2; cl_fail "vm list table: RUNNING ON"; }
cl_exec 1 xmllint --noout --relaxng /usr/share/pacemaker/pacemaker-3.9.rng /var/lib/vmha/cib.xml 2>/dev/null ||
    cl_fail "the stored CIB with probe results does not validate"
cl_log "probes: pra found on n2, prb stopped, on every node's copy"

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
    'place["pra"] == "n2" and not any(a[1] == "pra" for a in acts) and ("start", "prb", "n2") in acts'
cl_log "simulate: pra placed on n2, not started elsewhere; prb started on n2"

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
grep -Eq "pra.*Started n2" "$CL_DIR/crm_simulate.out" && grep -Eq "prb.*Stopped" "$CL_DIR/crm_simulate.out" &&
    ! grep -Eq "Start +pra" "$CL_DIR/crm_simulate.out" ||
    { cat "$CL_DIR/crm_simulate.out" >&2; cl_fail "crm_simulate reads the probe records differently"; }
cl_log "crm_simulate: pra Started n2, prb Stopped"

# n2 dies with pra on it. The survivors re-probe, find what they found before and write nothing;
# n2's record stays; the plan must not start pra anywhere while n2 is lost and unfenced.
logcount() { cl_exec 1 grep -c "$1" /var/log/vmha/clusterd.log || true; }
before=$(logcount "nothing changed")
recorded=$(logcount "recording")
cl_kill 2
n2_offline() {
    vmctl_on 1 node list --json | python3 -c '
import json,sys; sys.exit(0 if any(n["name"]=="n2" and not n["online"] for n in json.load(sys.stdin)["nodes"]) else 1)'
}
cl_wait 30 "n1 sees n2 offline" n2_offline
cl_wait 30 "n1 quorate and in sync without n2" cl_quorate_in_sync 1
reprobed() { [ "$(logcount "nothing changed")" -gt "$before" ]; }
cl_wait 20 "n1 probes again after the membership change" reprobed
[ "$(logcount "recording")" = "$recorded" ] || cl_fail "n1 wrote unchanged probe results"
cl_wait 20 "n1 and n3 agree" cl_agree 1 3
vm_check 1 "$found" || cl_fail "n2's record of pra is gone or changed"
sim_check "n2 lost: pra waits, prb on a survivor" \
    'place["pra"] in (None, "n2") and not any(a[1] == "pra" and a[0] in ("start", "migrate_from") for a in acts) and "n2" in p["reasons"].get("pra", "") and "fence" in p["reasons"]["pra"] and place["prb"] in ("n1", "n3") and ("start", "prb", place["prb"]) in acts'
cl_log "n2 killed: pra not started elsewhere ($(python3 -c 'import json,sys; p=json.load(open(sys.argv[1])); print(p["reasons"].get("pra", p["placement"]["pra"]))' "$CL_DIR/plan.json")); prb on $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["placement"]["prb"])' "$CL_DIR/plan.json")"
cl_log "PASS"
