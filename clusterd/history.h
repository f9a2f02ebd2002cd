/* history.c: the cluster event log on this node (docs/ARCHITECTURE.md, "Event history"). Events
 * are derived from what every member applies in CPG's total order: each write (CD_EVENT_APPLIED:
 * who asked, what changed, agents' results and durations, fencing outcomes) and each quorate
 * view's epoch bump (CD_EVENT_SYNCED with its BUMP: the membership, the nodes lost). Their
 * sequence numbers come from the database version the write produced, their times from the
 * write's origin, so every member records the same events under the same numbers. Kept in a ring
 * (lib/eventlog.h) and in STATE_DIR/events.jsonl, one JSON line per event, appended. */
#pragma once

#include "eventlog.h"

/* At most this many events, none older than this. */
#define CD_HISTORY_MAX_EVENTS 10000
#define CD_HISTORY_MAX_AGE_S  (30 * 24 * 3600)

/* Loads state_dir/events.jsonl (a damaged line is skipped and logged) and subscribes. A history
 * that cannot be read or written is logged, and events are then kept in memory only. */
void cd_history_init(const char *state_dir);
void cd_history_finalise(void);

/* The reply to VMHA_MSG_EVENTS: {"events": [...], "first_seq": N, "last_seq": N}. */
char *cd_history_query(const VmhaEventFilter *filter);
/* Adds to a STATUS document what it shows of the history: "open_incidents" (for the health
 * line, vmha_health_of_open) and each VM's "last_event" (lib/clusterhealth.h). Derived from the
 * whole history once per change of it, so a status costs O(VMs) here and over the socket. */
void cd_history_add_to_status(json_object *status);

/* ---- the catch-up of a node that was away (clusterd/catchup.c) ---- */

/* The last event numbered below until (0: none). */
uint64_t cd_history_last_before(uint64_t until);
/* At most max events numbered after < seq < before, oldest first, as a JSON array (new
 * reference); *ret_last is the last one's seq (after when none). */
json_object *cd_history_range(uint64_t after, uint64_t before, size_t max, uint64_t *ret_last);
/* Puts the events of a JSON array (as cd_history_range makes it) numbered below before and
 * below this node's last event in their places, those it lacks; returns how many. */
size_t cd_history_insert(json_object *events, uint64_t before);
