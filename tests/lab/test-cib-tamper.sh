#!/usr/bin/env bash
# A damaged but readable database does not spread (issue 11, defect 5), on a live 3-node cluster:
#  1. n3's clusterd stopped, its cib.xml edited (epoch raised to 999, web1's config path changed):
#     started again, n3 quarantines its copy (moved aside, logged with both digests) and adopts
#     the cluster's; every node agrees on the original, nobody has the edit;
#  2. the documented way to install an edited copy on purpose (admin_epoch raised, the signature
#     removed) spreads it to every node.
. "$(dirname "$0")/clusterd-lib.sh"
cl_skip_unless_possible

cl_up 3
for n in 1 2 3; do cl_wait 60 "n$n quorate, in sync, with a leader" cl_quorate_in_sync "$n"; done
cfg=$(cl_domain_xml web1)
vmctl_on 1 vm add web1 --config "$cfg" --stopped >/dev/null || cl_fail "vm add"
cl_wait 30 "all copies agree after the add" cl_agree 1 2 3
before=$(cl_dbid 1)

# vm_field NODE FIELD: web1's FIELD in NODE's vmctl vm list --json.
vm_field() {
    vmctl_on "$1" vm list --json | python3 -c '
import json, sys
print([v for v in json.load(sys.stdin)["vms"] if v["name"] == "web1"][0][sys.argv[1]])' "$2"
}

# 1. Edited behind clusterd's back.
cl_kill_clusterd 3 || cl_fail "kill clusterd on n3"
cl_exec 3 sed -i -e 's/ epoch="[0-9]*"/ epoch="999"/' -e "s|$cfg|/tmp/evil.xml|" /var/lib/vmha/cib.xml
cl_exec 3 grep -q 'epoch="999"' /var/lib/vmha/cib.xml || cl_fail "the edit did not take"
cl_exec 3 grep -q /tmp/evil.xml /var/lib/vmha/cib.xml || cl_fail "the edit did not take"
cl_start_clusterd 3
cl_wait 60 "n3 back, quorate and in sync" cl_quorate_in_sync 3
cl_wait 30 "all copies agree" cl_agree 1 2 3
for n in 1 2 3; do
    [ "$(vm_field "$n" config)" = "$cfg" ] || cl_fail "n$n has web1's config $(vm_field "$n" config)"
done
case "$(cl_dbid 1)" in 0.999.*) cl_fail "the edited epoch spread: $(cl_dbid 1)" ;; esac
log=$CL_LABVAR/nodes/n3/var/log/vmha/clusterd.log
grep -q "cib.xml does not match its signature (expected sha256 [0-9a-f]*, the file sha256 [0-9a-f]*)" "$log" ||
    cl_fail "n3 did not log the quarantine with both digests"
cl_exec 3 sh -c 'ls /var/lib/vmha/cib.xml.quarantined-* && grep -q /tmp/evil.xml /var/lib/vmha/cib.xml.quarantined-*' >/dev/null ||
    cl_fail "the edited copy was not kept aside"
cl_log "edited copy quarantined on n3; every node has the cluster's copy ($before -> $(cl_dbid 1))"

# 2. Installed on purpose: admin_epoch raised, signature removed.
cl_kill_clusterd 3 || cl_fail "kill clusterd on n3"
cl_exec 3 sh -c 'sed -i -e "s/ admin_epoch=\"[0-9]*\"/ admin_epoch=\"1\"/" -e "s/name=\"priority\" value=\"[0-9]*\"/name=\"priority\" value=\"42\"/" /var/lib/vmha/cib.xml &&
    rm /var/lib/vmha/cib.xml.sig' || cl_fail "the deliberate edit"
cl_start_clusterd 3
cl_wait 60 "n3 back, quorate and in sync" cl_quorate_in_sync 3
cl_wait 30 "all copies agree" cl_agree 1 2 3
for n in 1 2 3; do
    [ "$(vm_field "$n" priority)" = 42 ] || cl_fail "n$n: web1's priority is $(vm_field "$n" priority), not the installed 42"
done
grep -q "has no signature .*: taking it as it is and signing it" "$log" || cl_fail "n3 did not log taking the unsigned copy"
cl_exec 3 test -s /var/lib/vmha/cib.xml.sig || cl_fail "n3's copy not signed again"
cl_log "deliberately installed copy spread: $(cl_dbid 1)"
cl_log "PASS"
