#!/usr/bin/env bash
# A database over the 4 MiB one message holds (issue 11, defect 1) on 3 nodes: writes of that
# size are accepted, a clusterd killed with -9 on n3 misses a write and, restarted, gets the
# whole database back in chunks; every node ends in sync at the same version and digest, a leader
# exists, writes still succeed, and vmctl reads the big database (status, simulate).
. "$(dirname "$0")/clusterd-lib.sh"
cl_skip_unless_possible

cl_up 3
for n in 1 2 3; do cl_wait 60 "n$n quorate, in sync, with a leader" cl_quorate_in_sync "$n"; done

# The issue's repro, a little larger: 16 fence devices for n3 with 80 options of 4000 bytes each.
# 16 x 80 x 4 KB = 5.2 MB.
cl_fill_database 1 16 n3
size=$(cl_exec 1 stat -c %s /var/lib/vmha/cib.xml)
[ "$size" -gt $((4 * 1024 * 1024 + 512 * 1024)) ] || cl_fail "the database is only $size bytes"
cl_wait 30 "all agree at $size bytes" cl_agree 1 2 3
cl_log "database filled: $size bytes, every node in sync"

# kill -9 of clusterd on n3, one write, restart: n3's copy differs, the whole database is sent.
cl_kill_clusterd 3
cl_wait 30 "n1 sees n3's clusterd gone" cl_check 1 'len(d["members"]) == 2'
vmctl_on 1 vm add late1 --stopped --config "$(cl_domain_xml late1)" || cl_fail "write with n3's clusterd down"
cl_start_clusterd 3
cl_wait 60 "n3 back in sync" cl_quorate_in_sync 3
cl_wait 30 "all agree after the restart" cl_agree 1 2 3
cl_has_vm 3 late1 || cl_fail "n3 lacks the write it missed"
# The transfer was the chunked one, checked whole before n3 adopted it.
cl_exec 3 grep -q "adopted the database from node" /var/log/vmha/clusterd.log ||
    cl_fail "n3 did not adopt the database"
# The source: the newest copy, lowest node id: n1.
cl_exec 1 grep "sending the database:" /var/log/vmha/clusterd.log | tail -n 1 | grep >/dev/null "chunks" ||
    cl_fail "n1 did not send the database in chunks"
cl_log "n3 restarted and adopted the $size-byte database: $(cl_exec 3 grep 'adopted the database' /var/log/vmha/clusterd.log | tail -n 1 | sed 's/.*adopted/adopted/')"

# The cluster works: a leader, a write from the node that was behind, reads of the big database.
for n in 1 2 3; do cl_quorate_in_sync "$n" || cl_fail "n$n has no leader or is out of sync"; done
vmctl_on 3 vm add late2 --stopped --config "$(cl_domain_xml late2)" || cl_fail "write on n3 after the sync"
cl_wait 30 "all agree after a write" cl_agree 1 2 3
vmctl_on 2 simulate --json >"$CL_DIR/sim.json" || cl_fail "vmctl simulate on the live database"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert "late2" in d["placement"], d' "$CL_DIR/sim.json" ||
    cl_fail "simulate does not show late2"
# Any local user may read it, however large.
cl_exec 2 setpriv --reuid=nobody --regid=nogroup --clear-groups "$VMCTL" simulate --json >/dev/null ||
    cl_fail "nobody cannot read the big database"
cl_log "leader $(cl_status_field 1 'd["leader"]["name"]'), writes and reads work"

# A membership change in the middle of a transfer: n1's clusterd is stopped (SIGSTOP, from inside
# n1, as soon as it logs that it sends the database to the restarted n3), n2's clusterd is killed,
# n1 continues: the view that transfer belonged to is gone, the new view syncs from the start, and
# everyone ends in sync.
cl_kill_clusterd 3
vmctl_on 1 vm add late3 --stopped --config "$(cl_domain_xml late3)" || cl_fail "write with n3 down again"
sends() { cl_exec 1 grep -c "sending the database:" /var/log/vmha/clusterd.log; }
before=$(sends)
# (grep reads tail through a process substitution: it returns at the first match without waiting
# for tail, which ends at n1's next log line.)
cl_exec 1 timeout 60 bash -c 'grep -q -m 1 "sending the database:" < <(exec tail -n 0 -F /var/log/vmha/clusterd.log) &&
    kill -STOP $(pidof clusterd)' &
freezer=$!
sleep 0.5
cl_start_clusterd 3
wait "$freezer" || cl_fail "n1 did not start sending the database"
cl_log "n1's clusterd stopped while sending the database"
views() { cl_exec 3 grep -c "CPG membership" /var/log/vmha/clusterd.log; }
seen=$(views)
new_view() { [ "$(views)" -gt "$seen" ]; }
cl_kill_clusterd 2
cl_wait 30 "n3 sees n2's clusterd gone" new_view
cl_exec 1 sh -c 'kill -CONT $(pidof clusterd)'
cl_start_clusterd 2
for n in 1 2 3; do cl_wait 90 "n$n back in sync after the change" cl_quorate_in_sync "$n"; done
cl_wait 30 "all agree after the change" cl_agree 1 2 3
cl_has_vm 3 late3 || cl_fail "n3 lacks late3"
cl_has_vm 2 late3 || cl_fail "n2 lacks late3"
# n1 logs "sent the database" only for a transfer it finished: the cut one it did not.
fate=$(cl_exec 1 awk -v k=$((before + 1)) '/sending the database:/ { if (++n == k) { f = 1; next } }
    f && /sent the database:|sending the database:/ { print (/sent the/ ? "ended" : "cut"); exit }' \
    /var/log/vmha/clusterd.log)
[ "$fate" = cut ] || cl_fail "the transfer was not cut by the membership change (it $fate)"
cl_exec 3 grep -q "database transfer of this view stops here" /var/log/vmha/clusterd.log ||
    cl_fail "n3 did not drop the cut transfer"
cl_log "a transfer cut by a membership change: dropped, synced again in the new view"
cl_log "PASS"
