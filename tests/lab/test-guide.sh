#!/usr/bin/env bash
# docs/GUIDE.md, run: every line of its `sh` blocks, in order, inside n1 of four bare lab nodes,
# with SHARED (the lab's shared storage) and LAB (the lab's name) set; each must exit 0. After the
# lines whose outcome the guide describes, the outcome is checked here (the duplicate checker
# samples throughout: web1 never runs twice):
#   cluster setup: n1..n3 quorate and in sync;   node drain n3: web1 migrated off n3, no boot;
#   node resume n3 --failback: web1 back on n3;  lab kill n3: n3 fenced, web1 restarted elsewhere;
#   cluster join n4: 4 votes, n4 in the database and in lab-fence's hosts;
#   cluster leave n2: n2 out of corosync and database.
. "$(dirname "$0")/setup-lib.sh" sg
RL_VMS="web1"
GUIDE=$RL_REPO/docs/GUIDE.md

su_bare 4
# The guide's commands, one per line, from its ```sh blocks.
mapfile -t lines < <(awk '/^```sh$/ {on = 1; next} /^```/ {on = 0} on && NF' "$GUIDE")
[ "${#lines[@]}" -ge 10 ] || rl_fail "only ${#lines[@]} commands found in $GUIDE"
rl_log "${#lines[@]} commands in docs/GUIDE.md"

checked=0
check_after() {
    case "$1" in
    "vmctl cluster setup "*)
        for n in n1 n2 n3; do
            su_quorate "$n" 3 || rl_fail "$n not quorate with 3 votes"
            rl_quorate_in_sync "$n" || rl_fail "$n not in sync"
        done
        ;;
    "vmctl vm start web1 --wait")
        if [ -n "${fenced_at:-}" ]; then
            rl_wait 60 "web1 on n1 or n2" rl_really_elsewhere web1 n3
            rl_check_recovered "$fenced_at" n3 web1
        else
            rl_wait 30 "web1 on n3" rl_really_on web1 n3
            rl_wait 60 "web1's guest booted" rl_booted web1 0
            rl_snap_boots
        fi
        ;;
    "vmctl node drain n3 --wait")
        rl_really_elsewhere web1 n3 || rl_fail "web1 still on n3 after the drain"
        [ "$(rl_boots web1)" = "${RL_BOOTS[web1]}" ] || rl_fail "web1 rebooted: not migrated"
        ;;
    "vmctl node resume n3 --failback --wait")
        rl_wait 30 "web1 back on n3" rl_really_on web1 n3
        [ "$(rl_boots web1)" = "${RL_BOOTS[web1]}" ] || rl_fail "web1 rebooted on its way back"
        ;;
    "vmctl cluster join n4")
        for n in n1 n2 n3 n4; do rl_wait 30 "$n with 4 votes" su_quorate "$n" 4; done
        rl_wait 30 "n4 in the database" su_db_nodes_are n1 "n1 n2 n3 n4"
        vmctl_on n1 fence list --json | python3 -c '
import json, sys
d = {x["id"]: x["hosts"] for x in json.load(sys.stdin)["devices"]}
sys.exit(0 if sorted(d["lab-fence"]) == ["n1", "n2", "n3", "n4"] else 1)' ||
            rl_fail "join did not add n4 to lab-fence"
        ;;
    "vmctl cluster leave n2")
        for n in n1 n3 n4; do rl_wait 30 "$n with 3 votes" su_quorate "$n" 3; done
        rl_wait 30 "n2 out of the database" su_db_nodes_are n1 "n1 n3 n4"
        ;;
    *) return 0 ;;
    esac
    checked=$((checked + 1))
}

for line in "${lines[@]}"; do
    case "$line" in
    "vmctl vm add web1 "*)
        rl_make_guests 32
        rl_dup_start
        ;;
    "lab kill n3")
        rl_really_on web1 n3 || rl_fail "web1 is not on n3 before its power cut: $(rl_where_now)"
        rl_snap_boots
        fenced_at=$(rl_now_ms)
        ;;
    esac
    rl_log "\$ $line"
    if [[ $line == "lab "* ]]; then
        # The lab's own commands (the power cut) run on the lab's host.
        # shellcheck disable=SC2086
        "$LAB" ${line#lab } || rl_fail "the guide's command failed: $line"
        continue
    fi
    # vmctl from the build, as if installed.
    "$LAB" exec n1 env PATH="$VMHA_BUILD_DIR/vmctl:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
        SHARED="$RL_SHARED" LAB="$VMHA_LAB" sh -c "$line" >"$RL_DIR/out" 2>&1 ||
        { cat "$RL_DIR/out"; rl_fail "the guide's command failed: $line"; }
    sed 's/^/    /' "$RL_DIR/out" | tail -n 12
    check_after "$line"
done
[ "$checked" -ge 7 ] || rl_fail "only $checked of the guide's outcomes checked: did its commands change?"
rl_dup_stop
rl_log "PASS: every command of docs/GUIDE.md ran; $checked outcomes checked"
