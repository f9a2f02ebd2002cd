#!/usr/bin/env bash
# The web console (issue 17) on a 3-node lab with clusterd, fence_lab and six tiny guests, vmha-web
# on n3 with a token file, headless Chromium inside n3 driven over the DevTools protocol
# (tests/lab/webdrive.py), the duplicate checker sampling every 100 ms throughout:
#  a. the page lists the three nodes and the six VMs (admin login: buttons; a POST without the
#     CSRF token is refused 403);
#  b. power cut of n1: without a reload the page shows n1 not online, then every VM running on
#     n2 or n3;
#  c. drain of n2 from the page (its plan shown first, then confirmed): the page shows n2 drained,
#     every VM elsewhere and the drain's progress done;
#  d. resume of n2 with failback from the page: its progress shows until the two VMs that prefer
#     n2 are back there, and so does the cluster itself;
#  e. a read-only login sees no buttons; its forged POSTs (with and without the CSRF token) get 403.
# WEB_SCREENSHOTS=DIR keeps the page's screenshots (healthy, recovery, drain, failback).
. "$(dirname "$0")/recovery-lib.sh" wb1

command -v chromium >/dev/null || { echo "SKIP: no chromium (scripts/install-deps)"; exit 77; }
WEB=$VMHA_BUILD_DIR/web/vmha-web
[ -x "$WEB" ] || rl_fail "no $WEB"

rl_setup_six failback=never

WEB_PORT=9443
WEB_ADDR=169.254.77.13
admin_token=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
reader_token=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
printf 'ops admin %s\nwatch reader %s\n' "$admin_token" "$reader_token" >"$RL_DIR/web-tokens"
chmod 600 "$RL_DIR/web-tokens"
"$LAB" exec n3 "$WEB" --address "$WEB_ADDR" --port "$WEB_PORT" --no-pam \
    --token-file "$RL_DIR/web-tokens" --state-dir "$RL_DIR/web-state" \
    --static-dir "$RL_REPO/web/static" >"$RL_DIR/web.log" 2>&1 &
web_up() { grep -q "listening on" "$RL_DIR/web.log"; }
rl_wait 20 "vmha-web listening on n3" web_up
rl_log "$(cat "$RL_DIR/web.log")"

failback_vms=""
for vm in $RL_VMS; do
    [ "${RL_HOME[$vm]}" = n2 ] && failback_vms="$failback_vms $vm"
done

rc=0
WEB_FAILBACK_VMS=$failback_vms LAB=$LAB WEB_NODE=n3 WEB_URL="https://$WEB_ADDR:$WEB_PORT/" WEB_ADMIN_TOKEN=$admin_token \
    WEB_READER_TOKEN=$reader_token WEB_PROFILE="$RL_DIR/chromium" RL_VMS="$RL_VMS" \
    WEB_CUT_NODE=n1 WEB_DRAIN_NODE=n2 WEB_SCREENSHOTS=${WEB_SCREENSHOTS:-} \
    python3 "$RL_LAB_DIR/webdrive.py" || rc=$?
if [ $rc != 0 ]; then
    echo "--- vmha-web's log"; tail -n 30 "$RL_DIR/web.log"
    echo "--- chromium's log"; tail -n 30 "$RL_DIR/chromium.log" 2>/dev/null
    rl_fail "the page did not show what it should (webdrive.py exit $rc)"
fi

# What the page showed is what the cluster did: the VMs that prefer n2 back there, the others
# each on one node (n1, fenced by fence_lab's off and on, may be back and take VMs).
spec=""
for vm in $RL_VMS; do
    if [[ " $failback_vms " == *" $vm "* ]]; then
        rl_wait 30 "$vm running on n2 again" rl_really_on "$vm" n2
    else
        rl_wait 30 "$vm running on one node" rl_really_elsewhere "$vm" ""
    fi
    spec="$spec $vm=$(rl_node_of "$vm")"
done
rl_wait 30 "n3's vmctl shows$spec" rl_placed "$spec" n3
events=$(vmctl_on n3 events --json)
grep "vmha-web (ops): node drain n2" <<<"$events" >/dev/null ||
    rl_fail "the event history does not show the page's drain as ops's"
grep "vmha-web (ops): node resume n2 --failback" <<<"$events" >/dev/null ||
    rl_fail "the event history does not show the page's failback as ops's"
grep "watch (reader): POST" "$RL_DIR/web.log" >/dev/null && rl_fail "a read-only login's write reached the API"
rl_log "the cluster agrees: $(rl_where_now); the drain is in the history as vmha-web (ops)"
