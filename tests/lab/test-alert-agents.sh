#!/usr/bin/env bash
# Pacemaker's alerts (docs/ARCHITECTURE.md, "Alerts") on a 3-node lab with clusterd, fence_lab and
# three tiny guests (va, vb on n1, ve on n3): Pacemaker's own sample agent alert_file.sh.sample,
# unchanged, configured through `vmctl alert add` with a recipient file in each node's own
# /var/lib/vmha. n1, the leader's node, loses power; then on both survivors the file says, in
# this order and with the configured timestamp: node n1 lost, n1 fenced (OK); and the node that
# started va (and vb) has its "Resource operation 'start' ... ok" line, the other node none (a
# resource alert runs where the operation ran, as Pacemaker runs it).
. "$(dirname "$0")/recovery-lib.sh" al1

SAMPLE=/usr/share/pacemaker/alerts/alert_file.sh.sample
LOG=/var/lib/vmha/alerts.log
[ -x "$SAMPLE" ] || { echo "SKIP: $SAMPLE missing (package pacemaker)"; exit 77; }

# shellcheck disable=SC2034 # read by recovery-lib.sh
RL_VMS="va vb ve"
rl_setup_six failback=never

rl_log "--- vmctl alert add, list"
vmctl_on n2 alert add file "$SAMPLE" --recipient "$LOG" \
    --timestamp-format '%Y-%m-%d %H:%M:%S.%06N' --timeout 20s ||
    rl_fail "vmctl alert add failed"
list=$(vmctl_on n3 alert list --json) || rl_fail "vmctl alert list failed"
python3 - "$list" "$SAMPLE" "$LOG" <<'PY' || rl_fail "alert list on n3: $list"
import json, sys
a = json.loads(sys.argv[1])["alerts"]
ok = len(a) == 1 and a[0]["id"] == "file" and a[0]["path"] == sys.argv[2] and \
     a[0]["timeout_ms"] == 20000 and [r["value"] for r in a[0]["recipients"]] == [sys.argv[3]]
sys.exit(0 if ok else 1)
PY
# The CIB holds it as Pacemaker's schema has it: cibadmin reads the same alert (from a copy, in
# the node's private /run: libcib's file backend may write to the file it is given).
"$LAB" exec n2 sh -c 'cp /var/lib/vmha/cib.xml /run/alerts-check.xml &&
    CIB_file=/run/alerts-check.xml cibadmin -Q -o alerts; rm -f /run/alerts-check.xml' |
    grep 'recipient id="file-recipient-1"' >/dev/null || rl_fail "cibadmin does not show the alert"
if vmctl_on n2 alert add bad relative.sh 2>/dev/null; then rl_fail "a relative path was taken"; fi
for n in n1 n2 n3; do "$LAB" exec "$n" rm -f "$LOG"; done

rl_log "--- power cut of the leader's node n1"
[ "$(rl_leader n2)" = n1 ] || rl_fail "n1 does not lead"
rl_snap_boots
t0=$(rl_now_ms)
rl_kill n1
for vm in va vb; do
    rl_wait 90 "$vm running on a survivor" rl_really_elsewhere "$vm" n1
done
rl_check_recovered "$t0" n1 va vb

# alerts_ok NODE: NODE's alert file has n1 lost, then n1 fenced, then the starts of the VMs that
# run on NODE (and no start of a VM that runs on the other survivor), each line timestamped.
alerts_ok() {
    local node=$1 here="" there="" vm
    for vm in va vb; do
        if rl_really_on "$vm" "$node"; then here="$here $vm"; else there="$there $vm"; fi
    done
    "$LAB" exec "$node" cat "$LOG" 2>/dev/null | python3 -c '
import re, sys
here, there = sys.argv[1].split(), sys.argv[2].split()
lines = sys.stdin.read().splitlines()
ts = r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}: "
def first(pattern):
    for i, l in enumerate(lines):
        if re.search(ts + pattern, l):
            return i
    return None
lost = first(r"Node .n1. is now .lost.$")
fenced = first(r"Fencing Operation (reboot|off) of n1 by \S+: OK$")
starts = [first(r"Resource operation .start. for .%s. on .%s.: ok$" % (v, sys.argv[3])) for v in here]
wrong = [v for v in there if first(r"Resource operation .start. for .%s. " % v) is not None]
ok = lost is not None and fenced is not None and lost < fenced and \
     all(s is not None and s > fenced for s in starts) and not wrong
if not ok:
    print("lost", lost, "fenced", fenced, "starts", starts, "wrong", wrong)
    print("\n".join(lines))
sys.exit(0 if ok else 1)
' "$here" "$there" "$node"
}
for n in n2 n3; do
    rl_wait 60 "$n's alert file shows n1 lost, fenced and its starts" alerts_ok "$n"
done
for n in n2 n3; do
    rl_log "$n's $LOG (Pacemaker's alert_file.sh.sample):"
    "$LAB" exec "$n" cat "$LOG" | sed 's/^/    /'
done

rl_log "--- vmctl metrics after the power cut"
# The same history on both survivors: one loss, one fencing that worked, va and vb recovered
# (ve never left n3), nothing waiting; and the --textfile file node_exporter would read.
metrics_ok() {
    vmctl_on "$1" metrics --textfile /run/vmha-test.prom || return 1
    "$LAB" exec "$1" cat /run/vmha-test.prom | python3 -c '
import re, sys
m = {}
for line in sys.stdin:
    if line.startswith("#"):
        continue
    name, value = line.rsplit(" ", 1)
    m[name] = float(value)
want = {"vmha_up": 1, "vmha_quorate": 1, "vmha_node_losses_total": 1,
        "vmha_fence_operations_total{result=\"ok\"}": 1,
        "vmha_recovery_duration_seconds_count": 2, "vmha_recoveries_waiting": 0}
bad = {k: m.get(k) for k, v in want.items() if m.get(k) != v}
# Each recovery took under the 90 s the test waits for it.
s = m.get("vmha_recovery_duration_seconds_sum", -1)
if bad or not 0 <= s <= 180:
    print("metrics: unexpected", bad, "recovery seconds", s)
    sys.exit(1)
'
}
for n in n2 n3; do
    rl_wait 30 "$n's metrics count the loss, the fencing and two recoveries" metrics_ok "$n"
done
for n in n2 n3; do "$LAB" exec "$n" rm -f /run/vmha-test.prom; done
vmctl_on n2 metrics | grep -E '^vmha_(recovery|fence|node_losses|vms_by)' | sed 's/^/    /'

rl_log "--- vmctl alert remove"
vmctl_on n3 alert remove file || rl_fail "vmctl alert remove failed"
# vmctl's answer comes once n3 applied the write; n2 applies it in the same order, soon after.
no_alerts() {
    vmctl_on "$1" alert list --json |
        python3 -c 'import json, sys; sys.exit(0 if json.load(sys.stdin)["alerts"] == [] else 1)'
}
no_alerts n3 || rl_fail "the alert is still listed on n3, which removed it"
rl_wait 10 "the alert gone from n2's list" no_alerts n2

rl_dup_stop
rl_log "PASS"
