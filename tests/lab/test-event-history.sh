#!/usr/bin/env bash
# The cluster event history (docs/ARCHITECTURE.md, "Event history") on a 3-node lab with clusterd,
# fence_lab and three tiny guests (va, vb on n1, ve on n3):
#  a. the leader's node n1 loses power: on both survivors `vmctl events --json` holds the same
#     events under the same numbers (every field equal where their histories overlap), and after
#     the cut, in this order with non-decreasing times: n1 lost, fence started, fence done, va and
#     vb each started on a survivor; the writes of the setup carry who asked and the command;
#  b. clusterd on n3 is killed and started again: its history afterwards still holds every event
#     it had before, unchanged.
. "$(dirname "$0")/recovery-lib.sh" ev1

# shellcheck disable=SC2034 # read by recovery-lib.sh
RL_VMS="va vb ve"
rl_setup_six failback=never

# events_json NODE [ARGS]: NODE's `vmctl events --json` document into a file; prints its path.
events_json() {
    local node=$1 out
    shift
    out=$RL_DIR/events-$node-$(rl_now_ms).json
    vmctl_on "$node" events --json "$@" >"$out" || rl_fail "vmctl events on $node failed"
    echo "$out"
}

# after_cut_ok FILE SEQ: FILE's events after SEQ show the recovery of n1's VMs in order.
after_cut_ok() {
    python3 - "$1" "$2" <<'EOF'
import json, sys
events = [e for e in json.load(open(sys.argv[1]))["events"] if e["seq"] > int(sys.argv[2])]
want = [("node-lost", "n1", None), ("fence-started", "n1", None), ("fence-done", "n1", None),
        ("start", None, "va"), ("start", None, "vb")]
found = {}
for w in want:
    for i, e in enumerate(events):
        if e["type"] == w[0] and (w[1] is None or e["node"] == w[1]) and \
           (w[2] is None or e["vm"] == w[2]) and (w[0] != "start" or e["result"] == "ok"):
            found[w] = (i, e)
            break
    else:
        print("missing:", w)
        sys.exit(1)
order = [found[w] for w in want[:3]]
for a, b in zip(order, order[1:]):
    if not (a[0] < b[0] and a[1]["seq"] < b[1]["seq"] and a[1]["time"] <= b[1]["time"]):
        print("out of order:", a[1], b[1])
        sys.exit(1)
fenced = found[want[2]][1]
for w in want[3:]:
    e = found[w][1]
    if not (e["seq"] > fenced["seq"] and e["time"] >= fenced["time"] and e["node"] in ("n2", "n3")
            and e["duration_ms"] is not None):
        print("not started on a survivor after the fence:", e, fenced)
        sys.exit(1)
EOF
}

# same_history A B: where the two histories overlap, the events are identical, field by field.
same_history() {
    python3 - "$1" "$2" <<'EOF'
import json, sys
a, b = (json.load(open(p))["events"] for p in sys.argv[1:3])
lo = max(a[0]["seq"], b[0]["seq"])
hi = min(a[-1]["seq"], b[-1]["seq"])
ra = [e for e in a if lo <= e["seq"] <= hi]
rb = [e for e in b if lo <= e["seq"] <= hi]
if ra != rb:
    for x, y in zip(ra, rb):
        if x != y:
            print("first difference:", x, y, sep="\n  ")
            break
    print(len(ra), "events against", len(rb))
    sys.exit(1)
print(len(ra), "events identical, seq", lo, "..", hi)
EOF
}

rl_log "--- setup writes carry who asked"
ev=$(events_json n1 --vm va)
python3 - "$ev" <<'EOF' || rl_fail "no config event with user and command for vm add va: $(cat "$ev")"
import json, sys
es = json.load(open(sys.argv[1]))["events"]
sys.exit(0 if any(e["type"] == "config" and e["user"] == "root" and
                  (e["command"] or "").startswith("vmctl vm add va ") for e in es) else 1)
EOF

rl_log "--- a. power cut of the leader's node n1"
[ "$(rl_leader n2)" = n1 ] || rl_fail "n1 does not lead"
before=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["last_seq"])' "$(events_json n2)")
rl_snap_boots
t0=$(rl_now_ms)
rl_kill n1
rl_log "n1 powered off at $(rl_fmt "$t0"); events after seq $before follow"
for vm in va vb; do
    rl_wait 90 "$vm running on a survivor" rl_really_elsewhere "$vm" n1
done
rl_check_recovered "$t0" n1 va vb
# The start results are written once the agents finish: poll for them on both survivors.
after_cut_ok_on() { after_cut_ok "$(events_json "$1")" "$before"; }
for n in n2 n3; do
    rl_wait 60 "$n's events show n1 lost, fenced, va and vb started, in order" after_cut_ok_on "$n"
done
ev2=$(events_json n2)
ev3=$(events_json n3)
after_cut_ok "$ev2" "$before" || rl_fail "n2's history"
same_history "$ev2" "$ev3" || rl_fail "n2 and n3 differ"
rl_log "n2 and n3 hold the same history:"
python3 - "$ev2" "$before" <<'EOF'
import json, sys, time
for e in json.load(open(sys.argv[1]))["events"]:
    if e["seq"] > int(sys.argv[2]) and e["type"] != "probe":
        print("    %s %s %-13s %-3s %-3s %-8s %s" % (e["seq"], time.strftime("%H:%M:%S", time.gmtime(e["time"])),
              e["type"], e["node"] or "-", e["vm"] or "-", e["result"] or "-",
              "%d ms" % e["duration_ms"] if e["duration_ms"] is not None else ""))
EOF

rl_log "--- b. clusterd on n3 killed and started again"
pre=$(events_json n3)
"$LAB" exec n3 sh -c 'p=$(pidof clusterd) && kill -9 $p; for i in $(seq 50); do pidof clusterd >/dev/null || exit 0; sleep 0.1; done; exit 1' ||
    rl_fail "cannot kill n3's clusterd"
"$LAB" exec n3 /etc/vmha/service-hook start clusterd || rl_fail "cannot start n3's clusterd"
rl_wait 60 "n3 quorate and in sync again" rl_quorate_in_sync n3
post=$(events_json n3)
python3 - "$pre" "$post" <<'EOF' || rl_fail "n3's history changed across its clusterd restart"
import json, sys
pre, post = (json.load(open(p))["events"] for p in sys.argv[1:3])
kept = [e for e in post if e["seq"] <= pre[-1]["seq"]]
if kept != pre:
    print(len(pre), "events before,", len(kept), "of them after")
    sys.exit(1)
print(len(pre), "events kept across the restart;", len(post) - len(kept), "new since")
EOF
# While n3's clusterd was away, n1 (back from its fence's reboot) and n2 may have written what n3
# never applied: a gap in n3's numbers. Every event n3 has, n2 has the same.
python3 - "$(events_json n2)" "$post" <<'EOF' || rl_fail "the restarted n3 holds events n2 does not"
import json, sys
a, b = (json.load(open(p))["events"] for p in sys.argv[1:3])
by_seq = {e["seq"]: e for e in a}
lo = a[0]["seq"]
missing = [e for e in b if e["seq"] >= lo and by_seq.get(e["seq"]) != e]
if missing:
    print("n3's events not in n2's history as they are:", missing[:3])
    sys.exit(1)
print(len([e for e in b if e["seq"] >= lo]), "events of n3 found in n2's history")
EOF

rl_dup_stop
rl_log "PASS"
