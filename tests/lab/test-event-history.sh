#!/usr/bin/env bash
# The cluster event history (docs/ARCHITECTURE.md, "Event history") on a 3-node lab with clusterd,
# fence_lab and three tiny guests (va, vb on n1, ve on n3):
#  a. the leader's node n1 loses power: on both survivors `vmctl events --json` holds the same
#     events under the same numbers (every field equal where their histories overlap), and after
#     the cut, in this order with non-decreasing times: n1 lost, fence started, fence done, va and
#     vb each started on a survivor; the writes of the setup carry who asked and the command;
#     Once n1 is back (its fence rebooted it), the history catch-up (clusterd/catchup.c) gives it
#     the events it missed: its whole history equals n2's, the recovery included;
#     `vmctl incident show` of n1's loss, the same document on all three nodes, gives the
#     timeline with phase durations that are the differences of those events' times; `vmctl
#     status` says DEGRADED while n1 is away (2 of 3 nodes up; once recovered: every VM running,
#     no incident open), each VM's last event is the history's, and OK once n1 is back; `vmctl
#     vm why` of va and vb names the start that put each where it runs and n1's loss, also
#     after n1 is back and has probed them;
#  b. clusterd on n3 is killed and started again: its history afterwards still holds every event
#     it had before, unchanged, and it catches up on what was written meanwhile (no gap).
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

# same_history A B: where the two histories overlap, the events are identical, field by field
# (a gap on one side is a difference).
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

# incident_ok NODE EVENTS SEQ: NODE's `vmctl incident list/show --json` has one node-loss incident
# of n1 after SEQ whose times and phases are those of the events in the EVENTS file; prints its
# document (sorted keys) for comparison between nodes.
incident_ok() {
    local node=$1 list id doc
    list=$RL_DIR/incidents-$node.json
    vmctl_on "$node" incident list --json >"$list" || { echo "incident list on $node failed" >&2; return 1; }
    id=$(python3 - "$list" "$3" <<'EOF'
import json, sys
ids = [i["id"] for i in json.load(open(sys.argv[1]))["incidents"]
       if i["id"] > int(sys.argv[2]) and i["type"] == "node-loss" and i["node"] == "n1"]
if len(ids) != 1:
    sys.exit("%d node-loss incidents of n1 after the cut" % len(ids))
print(ids[0])
EOF
) || return 1
    doc=$RL_DIR/incident-$node.json
    vmctl_on "$node" incident show "$id" --json >"$doc" || { echo "incident show $id on $node failed" >&2; return 1; }
    python3 - "$doc" "$2" <<'EOF'
import json, sys
inc = json.load(open(sys.argv[1]))
events = {e["seq"]: e for e in json.load(open(sys.argv[2]))["events"]}
def fail(why):
    print(why, json.dumps(inc, indent=1), file=sys.stderr)
    sys.exit(1)
if inc["state"] != "closed" or inc["outcome"] != "fenced":
    fail("not closed as fenced")
# Its events are the history's, in order.
seqs = [e["seq"] for e in inc["events"]]
if seqs != sorted(seqs) or any(events.get(e["seq"]) != e for e in inc["events"]):
    fail("its events are not the history's")
first = lambda t, **kw: next(e for e in inc["events"] if e["type"] == t and
                             all(e[k] == v for k, v in kw.items()))
lost = events[inc["id"]]
if lost["type"] != "node-lost" or lost["node"] != "n1" or inc["started"] != lost["time"]:
    fail("does not begin with n1's node-lost")
started, done = first("fence-started", node="n1"), first("fence-done", node="n1")
if (inc["fence_started"], inc["fence_done"], inc["fence_ms"]) != \
        (started["time"], done["time"], done["duration_ms"]):
    fail("fence times are not the fence events'")
ups = {}
for vm in ("va", "vb"):
    up = [e for e in inc["events"] if e["vm"] == vm and e["type"] in ("start", "migrate-from")
          and e["result"] == "ok"]
    if not up:
        fail("no start of %s in it" % vm)
    ups[vm] = up[0]
vms = {v["vm"]: v for v in inc["vms"]}
if sorted(vms) != ["va", "vb"]:
    fail("its VMs are not va and vb")
for vm, e in ups.items():
    if (vms[vm]["from"], vms[vm]["to"], vms[vm]["up"]) != ("n1", e["node"], e["time"]):
        fail("%s: not from n1 to where its start ran, when it ended" % vm)
end = max([done["time"]] + [e["time"] for e in ups.values()])
want = [("detection to fence started", lost["time"], started["time"]),
        ("fence", started["time"], done["time"])] + \
       [("fence done to %s up" % vm, done["time"], ups[vm]["time"]) for vm in ("va", "vb")] + \
       [("total", lost["time"], end)]
got = [(p["name"], p["from"], p["to"]) for p in inc["phases"]]
if got != want or any(p["seconds"] != p["to"] - p["from"] for p in inc["phases"]):
    fail("phases are not the events' times: want %s" % want)
if inc["ended"] != end or inc["duration_s"] != end - lost["time"]:
    fail("ended/duration_s are not the last VM's start")
print(json.dumps(inc, sort_keys=True))
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
# While n1 is away (from its loss until its fence's reboot brings it back, seconds at least), a
# status on n2 that shows n1 down says so in its health: DEGRADED (NO QUORUM if it had none),
# 2 of 3 nodes up, and the only incident it may show open is n1's loss.
n1_down_status() {
    vmctl_on n2 status --json >"$RL_DIR/status-outage.json" 2>/dev/null &&
        python3 - "$RL_DIR/status-outage.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if any(n["name"] == "n1" and not n["online"] for n in d["nodes"]) else 1)
EOF
}
rl_wait 60 "n2's status shows n1 down" n1_down_status
python3 - "$RL_DIR/status-outage.json" <<'EOF' || rl_fail "n2's health while n1 is down"
import json, sys
d = json.load(open(sys.argv[1]))
h = d["health"]
print("    n2 while n1 is down: %s" % h["text"])
want = "degraded" if d["quorate"] else "no-quorum"
word = {"degraded": "DEGRADED: quorate", "no-quorum": "NO QUORUM: no quorum"}[want]
if h["state"] != want or h["nodes_up"] != 2 or h["nodes"] != 3 or \
        not h["text"].startswith("%s, 2 of 3 nodes up" % word):
    sys.exit("health: %s" % h)
if any((i["type"], i["node"]) != ("node-loss", "n1") for i in h["open_incidents"]):
    sys.exit("open incidents other than n1's loss: %s" % h["open_incidents"])
EOF
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
inc2=$(incident_ok n2 "$ev2" "$before") || rl_fail "n2's incident show of n1's loss"
inc3=$(incident_ok n3 "$ev3" "$before") || rl_fail "n3's incident show of n1's loss"
[ "$inc2" = "$inc3" ] || rl_fail "n2 and n3 show n1's loss differently: $inc2 / $inc3"
id=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["id"])' "$inc2")
rl_log "incident $id, the same on n2 and n3:"
vmctl_on n2 incident show "$id" | sed 's/^/    | /'
# why_ok NODE INCIDENT: NODE's `vmctl vm why` of va and vb: where each runs, placed by its start
# there (the incident's VM row: to, up), that start in n1's loss, whose node-lost begins the chain.
why_ok() {
    local vm
    for vm in va vb; do
        vmctl_on "$1" vm why "$vm" --json >"$RL_DIR/why-$vm-$1.json" || return 1
        python3 - "$RL_DIR/why-$vm-$1.json" "$2" "$vm" <<'EOF' || return 1
import json, sys
w, inc, vm = json.load(open(sys.argv[1])), json.loads(sys.argv[2]), sys.argv[3]
row = [v for v in inc["vms"] if v["vm"] == vm][0]
p = w["placed_by"] or {}
if not (w["node"] == row["to"] and w["nodes"] == [row["to"]] and w["incident"] == inc["id"] and
        p.get("type") == "start" and p.get("node") == row["to"] and p.get("time") == row["up"] and
        w["since"] == row["up"] and w["chain"][0]["seq"] == inc["id"] and p in w["chain"]):
    sys.exit("%s: vm why %s" % (vm, json.dumps(w)))
EOF
    done
}
why_ok n2 "$inc2" || rl_fail "vm why on n2"
vmctl_on n2 vm why va | sed 's/^/    | /'

# status_ok NODE EVENTS WANT: NODE's `vmctl status --json` health is WANT: "degraded" while n1
# is away (2 of 3 nodes up; n1 may come back from its fence's reboot meanwhile: then the health
# must be "ok"), "ok" (n1 back); in both every VM wanted runs, no incident is open, and each
# VM's last event is the newest about it in the EVENTS file (or a later one: the status is
# read after the file).
status_ok() {
    local out=$RL_DIR/status-$1.json
    vmctl_on "$1" status --json >"$out" 2>/dev/null || return 1
    python3 - "$out" "$2" "$3" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
events = json.load(open(sys.argv[2]))["events"]
h, want = d["health"], sys.argv[3]
if any(n["name"] == "n1" and n["online"] for n in d["nodes"]):
    want = "ok"
up = 3 if want == "ok" else 2
if (h["state"], h["nodes_up"], h["nodes"], h["vms_running"], h["vms_wanted"], h["failed"],
        h["blocked"], h["waiting_for_fence"], h["open_incidents"]) != \
        (want, up, 3, 3, 3, [], [], [], []):
    sys.exit("health: %s" % h)
word = {"ok": "OK", "degraded": "DEGRADED"}[want]
if h["text"] != "%s: quorate, %d of 3 nodes up, 3 of 3 wanted VMs running" % (word, up):
    sys.exit("health text: %s" % h["text"])
for vm in d["vms"]:
    last = [e for e in events if e["vm"] == vm["name"]][-1]
    got = vm["last_event"]
    if got["seq"] < last["seq"] or (got["seq"] == last["seq"] and got != {
            k: last[k] for k in ("seq", "time", "type", "node", "result")}):
        sys.exit("%s's last event %s, the history's %s" % (vm["name"], got, last))
EOF
}
status_ok n2 "$(events_json n2)" degraded || rl_fail "n2's status while n1 is away (or back)"
vmctl_on n2 status | sed 's/^/    | /'
awk 'length > 100 { exit 1 }' <(vmctl_on n2 status) || rl_fail "status wider than 100 columns"

rl_log "--- n1 back after its fence's reboot: it catches up on the history it missed"
rl_wait 120 "n1 quorate and in sync again" rl_quorate_in_sync n1
# same_as_n2 NODE: NODE's whole history (up to the newer of the two lasts) equals n2's.
same_as_n2() {
    local a b
    a=$(events_json n2) && b=$(events_json "$1") && same_history "$a" "$b" >/dev/null &&
        python3 - "$a" "$b" <<'EOF'
import json, sys
a, b = (json.load(open(p))["events"] for p in sys.argv[1:3])
sys.exit(0 if a[0]["seq"] == b[0]["seq"] else 1)
EOF
}
rl_wait 60 "n1's history the same as n2's, the events of its absence included" same_as_n2 n1
ev1=$(events_json n1)
after_cut_ok "$ev1" "$before" || rl_fail "n1's history lacks its own recovery"
same_history "$(events_json n2)" "$ev1" || rl_fail "n1 and n2 differ"
inc1=$(incident_ok n1 "$ev1" "$before") || rl_fail "n1's incident show of its own loss"
[ "$inc1" = "$inc2" ] || rl_fail "n1 shows its loss differently from n2: $inc1 / $inc2"
rl_log "n1 shows incident $id as n2 and n3 do"
why_ok n1 "$inc2" || rl_fail "vm why on n1, after its probes"
status_ok_on() { status_ok "$1" "$(events_json "$1")" ok; }
rl_wait 60 "n1's and n2's status say OK" eval 'status_ok_on n1 && status_ok_on n2'
vmctl_on n1 status | sed 's/^/    | /'

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
# While n3's clusterd was away, n1 and n2 may have written what n3 never applied: the catch-up
# brings those events to n3 (no gap in its numbers).
rl_wait 60 "n3's history the same as n2's after its restart" same_as_n2 n3
same_history "$(events_json n2)" "$(events_json n3)" || rl_fail "n2 and n3 differ"

rl_dup_stop
rl_log "PASS"
