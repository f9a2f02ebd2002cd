#!/usr/bin/env bash
# The lab's Pacemaker mode still does what bench/pacemaker compares vmha with (issue 18): a 3-node
# lab running Debian's pacemaker (lab up --pacemaker), one tiny guest as an
# ocf:heartbeat:VirtualDomain resource (allow-migrate) on n2; n2's power is cut. Pacemaker must
# fence n2 with the lab's agent (the power controller's log and Pacemaker's fence history both
# say so) and restart the guest on a survivor, only after the fence, exactly once (the duplicate
# checker samples every 100 ms throughout; the guest boots once more and counts).
# shellcheck source=recovery-lib.sh
. "$(dirname "$0")/recovery-lib.sh" "pm$(echo "${VMHA_BUILD_DIR:-$(dirname "$0")/../../build}" | md5sum | cut -c1-4)"
# shellcheck source=pacemaker-lib.sh
. "$(dirname "$0")/pacemaker-lib.sh"

RL_VMS=va
declare -A RL_HOME=([va]=n2)

pm_up
rl_make_guests 32
rl_dup_start
# Location 50 under the stickiness of 100 (tests/lab/pacemaker): once failed over, va stays put
# when n2 comes back from the fence's reboot.
pm_add_vms migrate 50
rl_wait 120 "va running on n2 (crm_mon and qemu)" pm_placed "va=n2"
rl_counters_running va
rl_log "va runs on n2 under Pacemaker"

rl_snap_boots
t0=$(rl_now_ms)
rl_kill n2
rl_log "n2 power cut"
# Corosync's detection (~4 s), the fence (power off, power on) and a start under TCG take
# 10-20 s on an idle machine; the deadline allows a loaded one.
rl_wait 120 "va running on a survivor" rl_really_elsewhere va n2
survivor=$(rl_node_of va)
rl_wait 60 "crm_mon on $survivor reports va started there" pm_mon_check "$survivor" "r.get('va') == ['$survivor']"
rl_check_recovered "$t0" n2 va
rl_wait 30 "Pacemaker's fence history has n2 fenced" pm_fenced_by_pacemaker "$survivor" n2
"$LAB" exec "$survivor" stonith_admin --history n2 | sed 's/^/    /'
rl_log "va failed over to $survivor $(($(rl_now_ms) - t0)) ms after the cut"
rl_dup_stop
echo "ok: Pacemaker fenced n2 with fence_lab and restarted its VirtualDomain guest on $survivor"
