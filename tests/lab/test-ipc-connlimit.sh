#!/usr/bin/env bash
# Connection exhaustion cannot lock root out (issue 11, defect 4), on n1 of two nodes: a uid that may only
# read (nobody) holds every connection it can get, opening new ones as clusterd closes idle ones;
# meanwhile root's calls all succeed (15 of 15), another uid gets in, and nobody's own call is
# told why it is refused (exit 7).
. "$(dirname "$0")/clusterd-lib.sh"
cl_skip_unless_possible

cl_up 2
cl_wait 60 "n1 quorate, in sync, with a leader" cl_quorate_in_sync 1
SOCK=/run/vmha/clusterd.sock
chmod 755 "$CL_DIR" # the script below runs as nobody
as_nobody() { cl_exec 1 setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }

cat >"$CL_DIR/hog.py" <<'PY'
# hog.py SOCKET SECONDS: opens connections without sending anything, as many as it is given, and
# opens new ones as the daemon closes idle ones; prints what it held and why it was refused.
import select, socket, struct, sys, time
path, secs = sys.argv[1], float(sys.argv[2])

def message(reply):  # the MESSAGE field (tag 9) of a REPLY
    off = 16
    while off + 8 <= len(reply):
        tag, _, n = struct.unpack("<HHI", reply[off:off + 8])
        if tag == 9:
            return reply[off + 8:off + 8 + n].decode("utf-8", "replace")
        off += 8 + n
    return "?"

held, refused, reasons, most = [], 0, set(), 0
end = time.time() + secs
while time.time() < end:
    while len(held) < 300:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
        except OSError:
            s.close()
            break
        held.append(s)
    time.sleep(0.3)
    r, _, _ = select.select(held, [], [], 0)
    for s in r:
        d = s.recv(4096)
        if d:
            refused += 1
            reasons.add(message(d))
        held.remove(s)
        s.close()
    most = max(most, len(held))
print("held at most %d, refused %d" % (most, refused))
for r in sorted(reasons):
    print("reason:", r)
PY
as_nobody python3 "$CL_DIR/hog.py" "$SOCK" 20 >"$CL_DIR/hog.out" 2>&1 &
hog_pid=$!
sleep 2
# While the hog holds its connections (the daemon closes idle ones after 10 s; it refills them).
rc=0
as_nobody "$VMCTL" status >/dev/null 2>"$CL_DIR/nobody.err" || rc=$?
rc_other=0
cl_exec 1 setpriv --reuid=1234 --regid=1234 --clear-groups "$VMCTL" status >/dev/null 2>"$CL_DIR/other.err" || rc_other=$?
ok=0
for i in $(seq 15); do
    if vmctl_on 1 status >/dev/null 2>>"$CL_DIR/root.err"; then ok=$((ok + 1)); fi
    sleep 0.5
done
wait "$hog_pid" || { cat "$CL_DIR/hog.out" >&2; cl_fail "the connection hog"; }
[ $ok -eq 15 ] || cl_fail "only $ok of 15 root calls succeeded while nobody held connections: $(sort -u "$CL_DIR/root.err" | head -n 3)"
[ $rc_other -eq 0 ] || cl_fail "another uid refused while nobody hogged: exit $rc_other $(cat "$CL_DIR/other.err")"
[ $rc -eq 7 ] && grep -q "too many connections from this user" "$CL_DIR/nobody.err" ||
    cl_fail "nobody's own call: exit $rc, $(cat "$CL_DIR/nobody.err")"
grep -q "reason: too many connections from this user" "$CL_DIR/hog.out" || { cat "$CL_DIR/hog.out" >&2; cl_fail "the hog was not told why"; }
cl_log "$(head -n 1 "$CL_DIR/hog.out"); root 15 of 15, uid 1234 served, nobody told why"
cl_log "PASS"
