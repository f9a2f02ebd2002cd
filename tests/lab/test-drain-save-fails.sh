#!/usr/bin/env bash
# A quick migration whose save fails during a drain (3-node lab, clusterd, fence_lab, six tiny
# guests two per node, failback=never, the duplicate checker sampling every 100 ms throughout):
#  a. ve's save directory made immutable (chattr +i): `vmctl node drain n3 --wait` moves vf with
#     its memory, and keeps ve running on n3 with its memory (no stop, no cold start anywhere);
#     the drain reports ve not moved, with the agent's reason, and exits 1; `vmctl status` shows
#     ve running on n3 with that reason in its WHY; n3 stays `draining`;
#  b. ve's drain fallback set to stop (`vmctl vm set ve drain-fallback=stop`): the drain goes on
#     without it being asked again: ve is stopped on n3 and started elsewhere (its guest boots
#     again: the memory is lost, as asked), n3 ends `drained`.
. "$(dirname "$0")/drain-lib.sh" ha1

rl_setup_six failback=never
savedir=$RL_SHARED/guests/ve/vmha-save
mkdir -p "$savedir"
chattr +i "$savedir" || rl_fail "chattr +i $savedir"
# The lab's teardown must be able to remove it: undone first on any exit (set +e: a trap's
# commands run under errexit, and the status must reach rl_cleanup).
trap 'rc=$?; set +e; chattr -i "$savedir" 2>/dev/null; (exit $rc); rl_cleanup' EXIT

rl_log "--- a. drain n3 with ve's save directory immutable"
dl_snap ve vf
t0=$(rl_now_ms)
dl_run drain 200 n1 node drain n3 --wait --timeout 150
rc=0
dl_wait_run drain 200 || rc=$?
rl_log "drain ended with exit $rc after $(($(rl_now_ms) - t0)) ms: $(rl_where_now)"
[ $rc = 1 ] || rl_fail "vmctl node drain n3 --wait: exit $rc, want 1 (ve could not be saved)"
grep -q '^.* ve: not moved, still running on n3: .*save failed, the domain keeps running here' \
    "$RL_DIR/drain.out" || rl_fail "the drain does not report ve not moved with the agent's reason"
grep -q 'n3: 1/2 VMs moved; not moved: ve' "$RL_DIR/drain.out" || rl_fail "no summary line"
rl_really_on ve n3 || rl_fail "ve does not run on n3 only: $(rl_where_now)"
rl_really_elsewhere vf n3 || rl_fail "vf did not leave n3: $(rl_where_now)"
dl_check_continued ve vf
rl_status_check n2 '([v for v in d["vms"] if v["name"] == "ve"][0]["state"] == "running" and
    "save failed, the domain keeps running here" in [v for v in d["vms"] if v["name"] == "ve"][0]["why"])' ||
    rl_fail "vmctl status does not show ve running with the reason: $(vmctl_on n2 status | grep '^ve')"
vmctl_on n2 status | sed -n '/^VM /,$p' | sed 's/^/    | /'
dl_node_is n2 n3 draining || rl_fail "n3 is $(dl_node_state n2 n3), want draining"
rl_stable 5
rl_log "ve kept on n3 with its memory; the drain said so and failed"

rl_log "--- b. ve's drain fallback: stop"
dl_snap ve
t0=$(rl_now_ms)
vmctl_on n1 vm set ve drain-fallback=stop >/dev/null || rl_fail "vm set ve drain-fallback=stop"
rl_wait 90 "ve running elsewhere" rl_really_elsewhere ve n3
rl_wait 30 "ve's guest booted" rl_booted ve "$t0"
[ "$(rl_boots ve)" = $((RL_BOOTS[ve] + 1)) ] || rl_fail "ve: expected one cold start"
rl_wait 30 "n3 drained" dl_node_is n2 n3 drained
dl_none_on n3 || rl_fail "VMs still on n3: $(dl_vms_on n3)"
rl_counters_running ve
rl_log "ve stopped on n3, cold-started on $(rl_node_of ve) in $(($(rl_now_ms) - t0)) ms; n3 drained"
rl_dup_stop
rl_log "PASS"
