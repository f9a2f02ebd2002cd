#!/usr/bin/env bash
# Self-fencing (docs/ARCHITECTURE.md, "Self-fencing and the watchdog"): a 3-node lab without a
# fence device (`up --no-fencing`: every node's clusterd feeds a watchdog stand-in). n3 runs two
# guests and is cut off from the others (`lab partition n3`). n3 loses quorum, stops its guests
# (no-quorum-policy stop), self-fences at vmha-self-fence-timeout (10 s) and stops feeding its
# watchdog, which power-cuts it 5 s later (watchdog.log). The guests must be gone from n3 before
# vmha-fence-watchdog-timeout (20 s) after n1/n2 saw n3 leave, and never run on n1 or n2 while they
# still run on n3; n1/n2 restart them after the 20 s. First, a shorter cut: quorum back in time
# cancels the self-fence.
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

# Two guests the cluster starts on n3 (their preferred node).
for g in sfa sfb; do
    xml=$(mk_guest $g)
    vmctl_on n1 vm add $g --config "$xml" --prefer n3 >/dev/null || fail "vm add $g"
done
for n in n1 n2 n3; do wait_for 90 "$n records sfa and sfb running on n3" running_on_n3 "$n"; done
[ "$(guests_on n3)" = "sfa sfb " ] || fail "guests on n3: '$(guests_on n3)'"
[ -z "$(guests_on n1)$(guests_on n2)" ] || fail "guests also on n1/n2: '$(guests_on n1)$(guests_on n2)'"
ok "sfa and sfb run on n3 and are recorded there"

# The guests on n1 and n2 together, sorted.
both_elsewhere() { echo $(guests_on n1) $(guests_on n2) | tr ' ' '\n' | grep . | sort | tr '\n' ' '; }

t0=$(now_ms)
echo "$(ts) partition n3"
"$LAB" partition n3
# The poll watches what runs where (a guest on n1/n2 while one is still on n3 fails at once); the
# timings come from the daemons' own logs, which say when each thing happened, not when a poll
# round (several seconds under load) noticed it.
gone= fired= elsewhere= lost=
deadline=$((t0 + 90000))
while [ "$(now_ms)" -lt "$deadline" ]; do
    [ -n "$lost" ] || [ "$(quorum_of n1)" != "Yes 2" ] || { lost=1; echo "$(ts) n1 sees n3 gone"; }
    on3=$(guests_on n3)
    [ -n "$gone" ] || [ -n "$on3" ] || { gone=1; echo "$(ts) n3 runs none of the guests"; }
    for n in n1 n2; do
        g=$(guests_on $n)
        [ -n "$g" ] || continue
        # The unforgivable event: a guest on n1/n2 while n3 may still run them.
        [ -n "$gone" ] && [ -z "$(guests_on n3)" ] || fail "guests '$g' run on $n while n3 still runs '$on3'"
        [ -n "$elsewhere" ] || { elsewhere=1; echo "$(ts) guests '$g' run on $n"; }
    done
    if [ -z "$fired" ] && grep -q "n3 power cut done" "$WD_LOG"; then
        fired=1
        echo "$(ts) n3's watchdog fired"
    fi
    [ -n "$fired" ] && [ -n "$gone" ] && [ -n "$lost" ] && [ "$(both_elsewhere)" = "sfa sfb " ] && break
    sleep 0.3
done
[ -n "$lost" ] || fail "n1 never saw n3 leave"
[ -n "$gone" ] || fail "n3 still runs its guests 90 s after the partition: $(guests_on n3)"
[ -n "$fired" ] || fail "n3's watchdog never fired: $(cat "$WD_LOG"); $(tail -n 5 "$log3")"
[ "$(both_elsewhere)" = "sfa sfb " ] || fail "n1/n2 run '$(both_elsewhere)' 90 s after the partition, not both guests once each"

# log_ms REGEX FILE...: the time (ms since the epoch) of the first line after t0 matching REGEX
# in any FILE (clusterd's "2026-...Z" or watchdog.log's "2026-...Z" first field).
log_ms() {
    python3 - "$t0" "$@" <<'PY'
import datetime, re, sys
t0, rx, files = int(sys.argv[1]), re.compile(sys.argv[2]), sys.argv[3:]
best = None
for f in files:
    for line in open(f):
        if not rx.search(line):
            continue
        ts = datetime.datetime.strptime(line.split()[0], "%Y-%m-%dT%H:%M:%S.%fZ")
        ms = int(ts.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000)
        if ms >= t0 and (best is None or ms < best):
            best = ms
if best is not None:
    print(best)
PY
}
logs=/var/lib/vmha-lab/$VMHA_LAB/nodes
log12="$logs/n1/var/log/vmha/clusterd.log $logs/n2/var/log/vmha/clusterd.log"
# When n1/n2 saw n3 leave: the others' 20 s start there.
left_ms=$(log_ms 'CPG membership: .* 1 left' $log12)
# When n3's guests were stopped for good: the later of the two first stops (or destroys) done.
sfa_ms=$(log_ms '(stop|destroy) sfa: done' "$log3")
sfb_ms=$(log_ms '(stop|destroy) sfb: done' "$log3")
fired_ms=$(log_ms 'n3 power cut done rc=0' "$WD_LOG")
start_ms=$(log_ms 'running start sf[ab]' $log12)
[ -n "$left_ms" ] || fail "neither n1 nor n2 logged n3 leaving"
[ -n "$sfa_ms" ] && [ -n "$sfb_ms" ] || fail "n3 did not log both guests stopped: $(grep -E 'sf[ab]' "$log3" | tail -n 6)"
[ -n "$fired_ms" ] || fail "watchdog.log has no successful power cut of n3"
[ -n "$start_ms" ] || fail "neither n1 nor n2 logged starting a guest"
gone_ms=$((sfa_ms > sfb_ms ? sfa_ms : sfb_ms))
echo "from the logs, after the partition: n3 left +$((left_ms - t0)) ms, n3's guests stopped" \
    "+$((gone_ms - t0)) ms, n3 power-cut +$((fired_ms - t0)) ms, first restart +$((start_ms - t0)) ms"
grep -q "no quorum: no-quorum-policy stop: stopping 2 VM(s)" "$log3" || fail "n3 did not stop its guests on quorum loss"
grep -q "critical: SELF-FENCE" "$log3" || fail "n3 did not log its self-fence"
grep -q "n3 fired: starved" "$WD_LOG" || fail "watchdog.log does not say why n3 was cut"
st=$("$LAB" status)
[[ $'\n'$st$'\n' == *$'\n'"n3: off"$'\n'* ]] || fail "n3 is not off after its watchdog fired: $st"
# n1/n2 may restart the guests at vmha-fence-watchdog-timeout (20 s) after they saw n3 leave: n3's
# guests were gone well before that, and n3 itself was reset (at most 10 + 5 s after its loss).
[ $((gone_ms - left_ms)) -lt 20000 ] || fail "n3's guests outlived the 20 s the others wait"
[ $((fired_ms - left_ms)) -lt 20000 ] || fail "n3 was reset only $((fired_ms - left_ms)) ms after it left"
ok "n3: guests stopped $((gone_ms - left_ms)) ms and power cut $((fired_ms - left_ms)) ms after n1/n2 saw it leave"
[ "$start_ms" -gt "$gone_ms" ] || fail "a guest was started on n1/n2 before n3's were stopped"
[ $((start_ms - left_ms)) -ge 20000 ] ||
    fail "guests restarted $((start_ms - left_ms)) ms after n3 left: before the 20 s watchdog timeout"
ok "n1/n2 restarted the guests $((start_ms - left_ms)) ms after n3 left, after n3's were gone"
ok "self-fencing"
