#!/usr/bin/env bash
# vmctl node fence end to end on a live 3-node cluster: the request is recorded, the leader runs
# the fence device (tests/lab/fence_lab, the lab's power controller), and vmctl reports the node
# fenced once the outcome is in the database.
. "$(dirname "$0")/clusterd-lib.sh"
cl_skip_unless_possible

cl_up 3
for n in 1 2 3; do cl_wait 60 "n$n quorate, in sync, with a leader" cl_quorate_in_sync "$n"; done
# tests/lab/lab configures lab-fence (fence_lab) itself; a lab without it gets one here.
if ! vmctl_on 1 fence list --json | grep >/dev/null '"hosts"'; then
    vmctl_on 1 fence add lab fence_lab --hosts n1,n2,n3 "lab=$VMHA_LAB" || cl_fail "fence add"
fi
start=$SECONDS
vmctl_on 1 node fence n3 --yes --timeout 60 >"$CL_DIR/out" 2>"$CL_DIR/err" ||
    cl_fail "node fence n3: $(cat "$CL_DIR/err") $(cat "$CL_DIR/out")"
cat "$CL_DIR/out" >&2
grep -q "n3: fenced" "$CL_DIR/out" || cl_fail "no 'n3: fenced' line: $(cat "$CL_DIR/out")"
grep -q "fence .* n3 by" "/run/vmha-lab/$VMHA_LAB/fence.log" || cl_fail "the power controller never saw a fence of n3"
cl_log "n3 fenced in $((SECONDS - start)) s"
check_n3() {
    vmctl_on 1 status --json | python3 -c '
import json, sys
n3 = [n for n in json.load(sys.stdin)["nodes"] if n["name"] == "n3"][0]
sys.exit(0 if n3["fence"]["fenced"] and n3["fence"]["requested"] is None and n3["state"] in ("fenced", "online") else 1)'
}
cl_wait 20 "status shows n3's fence" check_n3
vmctl_on 1 status >&2
cl_log "PASS"
