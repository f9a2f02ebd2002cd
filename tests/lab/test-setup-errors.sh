#!/usr/bin/env bash
# vmctl cluster setup refuses bad input with one line and its documented exit code, and changes no
# host (issue 12). Three bare lab nodes; before and after each case every node's fingerprint (its
# cluster files with modes and checksums, which services run and are enabled) is the same:
#   invalid host name            exit 2
#   duplicate address            exit 2
#   two nodes, no fence device   exit 2
#   an unreachable host          exit 1 (checks first: nothing installed anywhere)
#   a host in another cluster    exit 7 (its corosync.conf names another cluster)
#   a host whose services fail to start after every host was configured: exit 1, and every host
#   undoes what it did, each saying what (the one case that gets past the checks).
. "$(dirname "$0")/setup-lib.sh" se

su_bare 3
fence=$(su_fence_args)

snapshot() {
    local n
    for n in n1 n2 n3; do
        echo "== $n"
        su_state "$n"
    done
}

# expect CODE TEXT ARGS...: vmctl cluster setup ARGS exits CODE, says TEXT, and no node changed.
expect() {
    local code=$1 text=$2 rc=0 before after
    shift 2
    before=$(snapshot)
    vmctl_on n1 cluster setup "$@" >"$RL_DIR/out" 2>"$RL_DIR/err" || rc=$?
    after=$(snapshot)
    [ "$rc" = "$code" ] || { cat "$RL_DIR/out" "$RL_DIR/err"; rl_fail "setup $*: exit $rc, expected $code"; }
    grep -qF -- "$text" "$RL_DIR/err" || { cat "$RL_DIR/err"; rl_fail "setup $*: no '$text' on stderr"; }
    if [ "$before" != "$after" ]; then
        diff <(echo "$before") <(echo "$after") || true
        rl_fail "setup $*: a node changed"
    fi
    rl_log "ok: exit $code: $(grep -F -- "$text" "$RL_DIR/err" | head -n1)"
}

# shellcheck disable=SC2086
{
    expect 2 "'n_2' is not a valid host name" --name t $fence n1 n_2=169.254.77.12 n3
    expect 2 "have the same address 169.254.77.12" --name t $fence n1 n2 n3=169.254.77.12
    expect 2 "a two-node cluster needs a fence device" --name t n1 n2
    [ "$(wc -l <"$RL_DIR/err")" = 1 ] || rl_fail "more than one line for a refused two-node setup"
    # 169.254.77.19: a lab address no node has.
    expect 1 "n9: the check failed" --name t $fence n1 n2 n9=169.254.77.19
    # A host already configured for another cluster.
    "$LAB" exec n3 sh -c 'printf "totem {\n    cluster_name: other\n}\n" >/etc/corosync/corosync.conf'
    expect 7 "n3 is already in cluster 'other'" --name t $fence n1 n2 n3
    "$LAB" exec n3 rm /etc/corosync/corosync.conf
}

# A failure after every host was configured: n3's clusterd does not start. Everything is undone.
hook=$RL_VAR/nodes/n3/etc/vmha/service-hook
cp "$hook" "$RL_DIR/hook"
cat >"$hook.fail" <<EOF
#!/bin/sh
if [ "\$1 \$2" = "start clusterd" ]; then echo "clusterd would not start (test)" >&2; exit 1; fi
exec '$RL_DIR/hook' "\$@"
EOF
chmod 755 "$hook.fail"
mv "$hook.fail" "$hook"
before=$(snapshot)
rc=0
# shellcheck disable=SC2086
vmctl_on n1 cluster setup --name t --storage "$RL_SHARED" $fence n1 n2 n3 >"$RL_DIR/out" 2>"$RL_DIR/err" || rc=$?
after=$(snapshot)
cat "$RL_DIR/out" "$RL_DIR/err" | sed 's/^/    /'
[ "$rc" = 1 ] || rl_fail "setup with n3 failing to start clusterd: exit $rc, expected 1"
grep -q "^vmctl: n3: starting the services failed: clusterd would not start (test)" "$RL_DIR/err" ||
    rl_fail "setup does not say that n3 failed and why"
for n in n1 n2 n3; do
    grep -q "^vmctl: $n: undone: .*removed /etc/corosync/corosync.conf" "$RL_DIR/err" ||
        rl_fail "setup does not say what it undid on $n"
done
grep -q "^vmctl: n1: undone: stopped clusterd, " "$RL_DIR/err" || rl_fail "n1's clusterd not stopped by the undo"
if [ "$before" != "$after" ]; then
    diff <(echo "$before") <(echo "$after") || true
    rl_fail "a node is left half-configured after the failed setup"
fi
for n in n1 n2 n3; do
    "$LAB" exec "$n" pidof corosync clusterd >/dev/null && rl_fail "$n: corosync or clusterd left running"
done
rl_log "ok: exit 1: n3's clusterd failed; every node undid its part and is as before"

# The same hosts, the hook fixed: setup works (nothing was left in the way).
cp "$RL_DIR/hook" "$hook"
# shellcheck disable=SC2086
vmctl_on n1 cluster setup --name t --storage "$RL_SHARED" $fence n1 n2 n3 >"$RL_DIR/out" 2>&1 ||
    { cat "$RL_DIR/out"; rl_fail "setup after the failed one"; }
for n in n1 n2 n3; do rl_quorate_in_sync "$n" || rl_fail "$n not in sync after the second setup"; done
rl_log "ok: the same hosts set up afterwards"
# A second setup over a running cluster is refused without --force.
expect 7 "n1 is already in cluster 't'" --name u $fence n1 n2 n3
rl_log "PASS"
