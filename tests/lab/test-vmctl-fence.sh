#!/usr/bin/env bash
# vmctl fence add|list|remove on a live 2-node cluster: a device added on n1 is listed on n2 with
# its secret hidden, in the same database version on both; refusals (duplicate id, unknown node,
# bad option, non-root) change nothing; remove takes it away everywhere.
. "$(dirname "$0")/clusterd-lib.sh"
cl_skip_unless_possible

FENCE_LAB="$(cd "$(dirname "$0")" && pwd)/fence_lab"

cl_up 2
for n in 1 2; do cl_wait 60 "n$n quorate, in sync, with a leader" cl_quorate_in_sync "$n"; done

# expect_rc RC WHAT NODE ARGS...: vmctl on NODE exits RC.
expect_rc() {
    local want=$1 what=$2 node=$3 rc=0
    shift 3
    vmctl_on "$node" "$@" >"$CL_DIR/out" 2>"$CL_DIR/err" || rc=$?
    [ "$rc" -eq "$want" ] || cl_fail "$what: exit $rc, wanted $want: $(cat "$CL_DIR/err")"
}

expect_rc 0 "fence add" 1 fence add lab "$FENCE_LAB" --hosts n1,n2 "lab=$VMHA_LAB" passwd=s3cret
cl_wait 20 "both copies agree after the add" cl_agree 1 2
vmctl_on 2 fence list --json >"$CL_DIR/list.json" || cl_fail "fence list on n2"
python3 - "$CL_DIR/list.json" "$FENCE_LAB" "$VMHA_LAB" <<'PY' || { cat "$CL_DIR/list.json" >&2; cl_fail "fence list on n2"; }
import json, sys
d = json.load(open(sys.argv[1]))["devices"]
assert len(d) == 1, d
d = d[0]
assert d["id"] == "lab" and d["agent"] == sys.argv[2] and d["hosts"] == ["n1", "n2"], d
assert d["options"] == {"lab": sys.argv[3], "passwd": "(hidden)"}, d
PY
vmctl_on 2 fence list | grep -q "^lab .*n1,n2" || cl_fail "fence list table"
# Pacemaker's tools read the stored copy: the device is a stonith resource there.
cl_exec 2 env CIB_file=/var/lib/vmha/cib.xml cibadmin -Q -o resources | grep -q 'class="stonith"' ||
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
[ "$(vmctl_on 1 fence list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["devices"]))')" = 0 ] ||
    cl_fail "the device is still listed on n1"
cl_log "PASS"
