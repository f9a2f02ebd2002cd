#!/usr/bin/env bash
# Self-fencing (docs/ARCHITECTURE.md, "Self-fencing and the watchdog"): a 3-node lab without a
# fence device (`up --no-fencing`: every node's clusterd feeds a watchdog stand-in). n3 runs two
# guests and is cut off from the others (`lab partition n3`). n3 loses quorum, stops its guests
# (no-quorum-policy stop), self-fences at vmha-self-fence-timeout (10 s) and stops feeding its
# watchdog, which power-cuts it 5 s later (watchdog.log). The guests must be gone from n3 before
# vmha-fence-watchdog-timeout (20 s) after n1/n2 saw n3 leave, and never run on n1 or n2 while they
# still run on n3. First, a shorter cut: quorum back in time cancels the self-fence. When clusterd has its controller (issue 6), n1/n2 must restart them, after that.
set -euo pipefail
. "$(dirname "$0")/lib.sh" sf

VMCTL=$VMHA_BUILD_DIR/vmctl/vmctl
WD_LOG=/run/vmha-lab/$VMHA_LAB/watchdog.log
vmctl_on() { "$LAB" exec "$1" "$VMCTL" "${@:2}"; }
ts() { date -u +%T.%3N; }
# Our guests running on NODE (virsh inside it), space-separated; empty when none or NODE is off.
guests_on() {
    "$LAB" exec "$1" virsh list --name 2>/dev/null | grep -E '^sf[ab]$' | sort | tr '\n' ' ' || true
}
in_sync() {
    vmctl_on "$1" status --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
sys.exit(0 if d["quorate"] and d["database"]["in_sync"] and d["leader"] is not None else 1)'
}
running_on_n3() {
    vmctl_on "$1" vm list --json | python3 -c '
import json, sys
v = {x["name"]: x for x in json.load(sys.stdin)["vms"]}
sys.exit(0 if all(v.get(n, {}).get("running_on") == ["n3"] for n in ("sfa", "sfb")) else 1)'
}

"$LAB" up --nodes 3 --no-fencing
for n in n1 n2 n3; do wait_for 60 "clusterd on $n quorate and in sync" in_sync "$n"; done
for n in n1 n2 n3; do
    grep -q "$n armed" "$WD_LOG" || fail "$n's watchdog stand-in was not armed: $(cat "$WD_LOG")"
done
ok "3 nodes, every clusterd feeds its watchdog"

# A short cut: quorum back before the self-fence deadline cancels it; n3 stays up.
log3=/var/lib/vmha-lab/$VMHA_LAB/nodes/n3/var/log/vmha/clusterd.log
"$LAB" partition n3
wait_for 20 "n3 counts down to its self-fence" grep -q "self-fences in" "$log3"
t_loss=$(now_ms)
"$LAB" heal
wait_for 20 "n3 quorate again" quorum_is n3 "Yes 3"
wait_for 10 "n3 cancels its self-fence" grep -q "quorum is back: self-fence cancelled" "$log3"
# Watch past the deadline it had (10 s) plus the watchdog's 5 s: no power cut, no self-fence.
while [ $(($(now_ms) - t_loss)) -lt 17000 ]; do
    ! grep -q "n3 fired" "$WD_LOG" || fail "n3 was power-cut after quorum came back"
    sleep 0.5
done
# No "cmd | grep -q" under pipefail: grep's early exit can fail the pipeline with SIGPIPE.
st=$("$LAB" status)
[[ $'\n'$st$'\n' == *$'\n'"n3: running, quorate, votes 3"$'\n'* ]] || fail "n3 not up and quorate: $st"
! grep -q "SELF-FENCE" "$log3" || fail "n3 self-fenced although quorum came back"
ok "quorum back within the self-fence timeout: cancelled, n3 stays up"
wait_for 60 "clusterd on n3 quorate and in sync" in_sync n3

# Two guests on n3, started there before vmha knows them: the probes record them on n3.
for g in sfa sfb; do
    xml=$(mk_guest $g)
    "$LAB" exec n3 virsh create "$xml" >/dev/null || fail "virsh create $g on n3"
    vmctl_on n1 vm add $g --config "$xml" >/dev/null || fail "vm add $g"
done
for n in n1 n2 n3; do wait_for 60 "$n records sfa and sfb running on n3" running_on_n3 "$n"; done
[ "$(guests_on n3)" = "sfa sfb " ] || fail "guests on n3: '$(guests_on n3)'"
ok "sfa and sfb run on n3 and are recorded there"

# A controller (issue 6) restarts lost VMs elsewhere; without it, only n3's side can be checked.
have_controller=0
[ ! -f "$REPO/clusterd/controller.c" ] || have_controller=1

t0=$(now_ms)
echo "$(ts) partition n3"
"$LAB" partition n3
gone_ms= fired_ms= elsewhere_ms= lost_ms=
deadline=$((t0 + 90000))
while [ "$(now_ms)" -lt "$deadline" ]; do
    now=$(now_ms)
    if [ -z "$lost_ms" ] && [ "$(quorum_of n1)" = "Yes 2" ]; then
        lost_ms=$now
        echo "$(ts) n1 sees n3 gone (+$((now - t0)) ms)"
    fi
    on3=$(guests_on n3)
    if [ -z "$gone_ms" ] && [ -z "$on3" ]; then
        gone_ms=$now
        echo "$(ts) n3 runs none of the guests (+$((now - t0)) ms)"
    fi
    for n in n1 n2; do
        g=$(guests_on $n)
        [ -n "$g" ] || continue
        # The unforgivable event: a guest on n1/n2 while n3 may still run them.
        [ -n "$gone_ms" ] || fail "guests '$g' run on $n while n3 still runs '$on3'"
        if [ -z "$elsewhere_ms" ]; then
            elsewhere_ms=$now
            echo "$(ts) guests '$g' run on $n (+$((now - t0)) ms)"
        fi
    done
    if [ -z "$fired_ms" ] && grep -q "n3 power cut done" "$WD_LOG"; then
        fired_ms=$now
        echo "$(ts) n3's watchdog fired (+$((now - t0)) ms)"
    fi
    if [ -n "$fired_ms" ] && [ -n "$gone_ms" ] && [ -n "$lost_ms" ]; then
        [ $have_controller = 0 ] || [ -n "$elsewhere_ms" ] || { sleep 0.3; continue; }
        break
    fi
    sleep 0.3
done
[ -n "$lost_ms" ] || fail "n1 never saw n3 leave"
# The poll above sees n3 leave late by up to a round; n1's clusterd logs the membership change
# when corosync delivers it: the moment the others' 20 s start from.
left_ms=$(python3 - /var/lib/vmha-lab/"$VMHA_LAB"/nodes/n1/var/log/vmha/clusterd.log "$t0" <<'PY'
import datetime, sys
t0 = int(sys.argv[2])
for line in open(sys.argv[1]):
    if "CPG membership" not in line or "1 left" not in line:
        continue
    ts = datetime.datetime.strptime(line.split()[0], "%Y-%m-%dT%H:%M:%S.%fZ")
    ms = int(ts.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000)
    if ms >= t0:
        print(ms)
        break
PY
)
[ -n "$left_ms" ] || fail "n1's clusterd did not log n3 leaving"
echo "n1's clusterd saw n3 leave at +$((left_ms - t0)) ms"
[ "$left_ms" -le "$lost_ms" ] || fail "n1's log time is after the poll saw it"
lost_ms=$left_ms
[ -n "$gone_ms" ] || fail "n3 still runs its guests 90 s after the partition: $(guests_on n3)"
[ -n "$fired_ms" ] || fail "n3's watchdog never fired: $(cat "$WD_LOG"); $(tail -n 5 "$log3")"
grep -q "no quorum: no-quorum-policy stop: stopping 2 VM(s)" "$log3" || fail "n3 did not stop its guests on quorum loss"
grep -q "critical: SELF-FENCE" "$log3" || fail "n3 did not log its self-fence"
grep -q "n3 fired: starved" "$WD_LOG" || fail "watchdog.log does not say why n3 was cut"
st=$("$LAB" status)
[[ $'\n'$st$'\n' == *$'\n'"n3: off"$'\n'* ]] || fail "n3 is not off after its watchdog fired: $st"
# n1/n2 may restart the guests at vmha-fence-watchdog-timeout (20 s) after they saw n3 leave: n3's
# guests were gone well before that, and n3 itself was reset (at most 10 + 5 s after its loss).
[ $((gone_ms - lost_ms)) -lt 20000 ] || fail "n3's guests outlived the 20 s the others wait"
[ $((fired_ms - lost_ms)) -lt 20000 ] || fail "n3 was reset only $((fired_ms - lost_ms)) ms after n1 saw it leave"
ok "n3: guests gone $((gone_ms - lost_ms)) ms and power cut $((fired_ms - lost_ms)) ms after n1 saw it leave"

if [ $have_controller = 1 ]; then
    [ -n "$elsewhere_ms" ] || fail "n1/n2 did not restart the guests within 90 s"
    [ $((elsewhere_ms - lost_ms)) -ge 20000 ] ||
        fail "guests restarted $((elsewhere_ms - lost_ms)) ms after n3 left: before the 20 s watchdog timeout"
    ok "n1/n2 restarted the guests $((elsewhere_ms - lost_ms)) ms after n3 left, after n3's were gone"
else
    [ -z "$elsewhere_ms" ] || fail "guests started on n1/n2 without a controller?"
    echo "note: clusterd has no controller yet: restarting on n1/n2 not checked"
fi
ok "self-fencing"
