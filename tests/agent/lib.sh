# Shared helpers of the agent's tests (sourced). Expects $A (the agent), $log (the guest's serial log).
step() { echo "$(date +%T.%3N) $*"; }
fail() {
    echo "FAIL: $*" >&2
    [ -n "${log:-}" ] && [ -f "$log" ] && tail -n 3 "$log" >&2
    exit 1
}
# exit_reasons CODE ERROUT: a failure (any code but 0, and 7 "not running") says why in exactly
# one OCF exit reason line on stderr ("ocf-exit-reason:..."), which clusterd records; a success
# says none. Prints the reason.
exit_reasons() {
    local n
    n=$(printf '%s\n' "$2" | grep -c '^ocf-exit-reason:.' || true)
    case $1 in
    0) [ "$n" = 0 ] || fail "a success printed an exit reason: $2" ;;
    7) [ "$n" -le 1 ] || fail "more than one exit reason: $2" ;;
    *) [ "$n" = 1 ] || fail "exit $1 with $n exit reason lines, want 1: $2" ;;
    esac
    printf '%s\n' "$2" | sed -n 's/^ocf-exit-reason://p'
}
# expect CODE ACTION [VAR=VALUE...]: runs the agent, checks its exit code and exit reason, keeps
# stderr in $errout and the exit reason in $reason.
expect() {
    local want=$1 action=$2 rc=0
    shift 2
    errout=$(env "$@" "$A" "$action" 2>&1 >/dev/null) || rc=$?
    [ "$rc" -eq "$want" ] || fail "$action $*: exit $rc, want $want (stderr: $errout)"
    reason=$(exit_reasons "$rc" "$errout")
    [ -z "$errout" ] || echo "  $action stderr: $errout"
}
mark() { stat -c %s "$log" 2>/dev/null || echo 0; }
since() { tail -c +$(($1 + 1)) "$log"; }
# first_tick MARK: the first tick the guest wrote after byte MARK of its log, with a deadline.
# The last line may still be being written ("vmha-guest tick " without its number yet): only
# lines followed by another count.
first_tick() {
    local deadline=$((SECONDS + 30)) line
    while ((SECONDS < deadline)); do
        line=$(since "$1" | head -n -1 | grep -a -m1 -o 'vmha-guest tick [0-9][0-9]*$' || true)
        if [ -n "$line" ]; then
            echo "${line##* }"
            return 0
        fi
        sleep 0.1
    done
    fail "no tick after byte $1 within 30 s"
}
# continues SAVED MARK: the guest went on counting from SAVED without rebooting.
continues() {
    local next
    next=$(first_tick "$2")
    [ "$next" -eq $(($1 + 1)) ] || fail "after restore the counter went on at $next, not $(($1 + 1))"
    since "$2" | grep -a -q 'vmha-guest boot' && fail "the guest rebooted instead of resuming"
    "$counter" "$log" --wait-above $(($1 + 2)) --timeout 30 >/dev/null || fail "counter stuck"
    echo "$next"
}
# rebooted MARK: the guest booted afresh after MARK (counter from 0).
rebooted() {
    [ "$(first_tick "$1")" = 0 ] || fail "expected a cold boot (tick 0) after byte $1"
}
