# shellcheck shell=bash
# Shared by the Pacemaker-mode lab test (tests/lab/test-pacemaker-mode.sh) and bench/pacemaker:
# sourced after recovery-lib.sh, not run. The lab is `lab up --pacemaker` (tests/lab/pacemaker):
# Debian's pacemaker on every node over the same corosync, fence_lab as its stonith device. The
# guests are the same tiny guests as vmha's, as ocf:heartbeat:VirtualDomain resources; what the
# cluster believes comes from Pacemaker's own tools (crm_mon, crm_resource, stonith_admin), what
# really runs from the duplicate checker (recovery-lib.sh).

# pm_up: a fresh 3-node lab running Pacemaker (recovery-lib's rl_up, without clusterd).
pm_up() { rl_up --pacemaker --no-clusterd "$@"; }

# pm_vm_xml VM PREFERRED_NODE SCORE MODE [META=VALUE...]: a VirtualDomain primitive of a tiny guest
# and its location preference, as a <resources> and a <constraints> fragment on two lines. MODE:
#   migrate    allow-migrate=true: a move is virsh migrate --live over the lab's TLS listener;
#   snapshot   VirtualDomain's save/restore mode: a stop saves the RAM to the shared storage
#              (snapshot=DIR), the next start restores it, wherever it runs (quick migration).
# Without snapshot, a stop destroys the guest at once (force_stop): the tiny guest ignores ACPI,
# as vmha's lab runs set shutdown_timeout=1 for the same reason.
pm_vm_xml() {
    local vm=$1 node=$2 score=$3 mode=$4 kv meta="" params
    shift 4
    params="<nvpair id='$vm-config' name='config' value='$(rl_xml "$vm")'/>"
    params+="<nvpair id='$vm-hv' name='hypervisor' value='qemu:///system'/>"
    case "$mode" in
    migrate)
        params+="<nvpair id='$vm-mt' name='migration_transport' value='tls'/>"
        params+="<nvpair id='$vm-fs' name='force_stop' value='true'/>"
        meta="<nvpair id='$vm-am' name='allow-migrate' value='true'/>"
        ;;
    snapshot)
        params+="<nvpair id='$vm-snap' name='snapshot' value='$RL_SHARED/snapshots'/>"
        meta="<nvpair id='$vm-am' name='allow-migrate' value='false'/>"
        ;;
    *) rl_fail "pm_vm_xml: mode '$mode'" ;;
    esac
    for kv in "$@"; do meta+="<nvpair id='$vm-${kv%%=*}' name='${kv%%=*}' value='${kv#*=}'/>"; done
    echo "<primitive id='$vm' class='ocf' provider='heartbeat' type='VirtualDomain'>" \
        "<instance_attributes id='$vm-ia'>$params</instance_attributes>" \
        "<meta_attributes id='$vm-meta'>$meta</meta_attributes>" \
        "<operations><op id='$vm-start' name='start' interval='0' timeout='90s'/>" \
        "<op id='$vm-stop' name='stop' interval='0' timeout='90s'/>" \
        "<op id='$vm-mt-to' name='migrate_to' interval='0' timeout='90s'/>" \
        "<op id='$vm-mt-from' name='migrate_from' interval='0' timeout='90s'/>" \
        "<op id='$vm-monitor' name='monitor' interval='10s' timeout='30s'/></operations></primitive>"
    echo "<rsc_location id='$vm-prefers-$node' rsc='$vm' node='$node' score='$score'/>"
}

# pm_add_xml ON FILE: adds the primitives (odd lines) and constraints (even lines) of pm_vm_xml
# output in FILE to the CIB, one write each section. The sections go through files on the shared
# storage (--xml-file): 490 primitives as one --xml-text argument exceed the kernel's limit of
# 128 KiB per argument (bench/pacemaker run 2: "Argument list too long").
pm_add_xml() {
    local on=$1 file=$2 res=$RL_SHARED/pm-add-resources.xml cons=$RL_SHARED/pm-add-constraints.xml
    mkdir -p "$RL_SHARED/snapshots"
    { echo "<resources>"; sed -n 'p;n' "$file"; echo "</resources>"; } >"$res"
    { echo "<constraints>"; sed -n 'n;p' "$file"; echo "</constraints>"; } >"$cons"
    "$LAB" exec "$on" cibadmin --modify --allow-create --scope resources --xml-file "$res" ||
        rl_fail "cibadmin: cannot add the VirtualDomain resources"
    "$LAB" exec "$on" cibadmin --modify --allow-create --scope constraints --xml-file "$cons" ||
        rl_fail "cibadmin: cannot add the location constraints"
}

# pm_add_vms MODE SCORE [META=VALUE...]: the guests of $RL_VMS, each preferring RL_HOME[vm].
pm_add_vms() {
    local mode=$1 score=$2 vm f=$RL_DIR/pm-vms.xml
    shift 2
    : >"$f"
    for vm in $RL_VMS; do pm_vm_xml "$vm" "${RL_HOME[$vm]}" "$score" "$mode" "$@" >>"$f"; done
    pm_add_xml n1 "$f"
}

# pm_mon_check NODE PYEXPR: PYEXPR holds for r = {resource: [nodes where Pacemaker says it is
# started]} and online = {names of online nodes}, from NODE's crm_mon.
pm_mon_check() {
    "$LAB" exec "$1" crm_mon -1 --output-as=xml 2>/dev/null | python3 -c '
import sys, xml.etree.ElementTree as ET
x = ET.parse(sys.stdin).getroot()
r = {}
for e in x.iter("resource"):
    r.setdefault(e.get("id"), [])
    if e.get("role") == "Started" and e.get("failed") != "true":
        r[e.get("id")] += [n.get("name") for n in e.findall("node")]
online = {n.get("name") for n in x.iter("node") if n.get("online") == "true"}
sys.exit(0 if eval(sys.argv[1]) else 1)' "$2"
}

# pm_placed "VM=NODE ..." [CHECK_NODE]: every VM runs on its node and nowhere else, in reality and
# in CHECK_NODE's crm_mon (default n1).
pm_placed() {
    local spec=$1 on=${2:-n1} pair expr=""
    for pair in $spec; do
        rl_really_on "${pair%=*}" "${pair#*=}" || return 1
        expr="$expr and r.get('${pair%=*}') == ['${pair#*=}']"
    done
    pm_mon_check "$on" "True$expr"
}

# pm_fenced_by_pacemaker NODE TARGET: TARGET's fence history on NODE (stonith_admin) has a
# successful fencing.
pm_fenced_by_pacemaker() {
    "$LAB" exec "$1" stonith_admin --history "$2" --output-as=xml 2>/dev/null | python3 -c '
import sys, xml.etree.ElementTree as ET
x = ET.parse(sys.stdin).getroot()
sys.exit(0 if any(e.get("target") == sys.argv[1] and e.get("status") == "success"
                  for e in x.iter("fence_event")) else 1)' "$2"
}

# pm_settled NODE: Pacemaker has nothing left to do (no transition in progress or pending).
pm_settled() { "$LAB" exec "$1" crm_resource --wait --timeout=1s >/dev/null 2>&1; }
