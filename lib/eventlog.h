/* The cluster event log (docs/ARCHITECTURE.md, "Event history"): the event record, its JSON form
 * (one line per event on disk and in `vmctl events --json`), a ring bounded by count and age, and
 * the filters of `vmctl events`. Pure: the caller passes the time and does the I/O
 * (clusterd/history.c). */
#pragma once

#include <glib.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    VMHA_EVENT_MEMBERSHIP,      /* a quorate view synced: details = its nodes */
    VMHA_EVENT_NODE_LOST,       /* node: out of that view while the cluster expects it */
    VMHA_EVENT_NODES,           /* corosync's node list written into the database */
    VMHA_EVENT_CONFIG,          /* a change asked for through vmctl: details = the request */
    VMHA_EVENT_FENCE_REQUESTED, /* vmctl node fence */
    VMHA_EVENT_FENCE_STARTED,   /* the leader ran a fence device against node */
    VMHA_EVENT_FENCE_DONE,      /* node fenced (result ok) */
    VMHA_EVENT_FENCE_FAILED,    /* a fence attempt failed: details = why */
    VMHA_EVENT_SELF_FENCED,     /* node without a device recorded fenced after its deadline */
    VMHA_EVENT_PLANNED,         /* the leader's action: details = "start on n2" ... */
    VMHA_EVENT_START,           /* vm started on node: result, duration */
    VMHA_EVENT_STOP,
    VMHA_EVENT_MIGRATE_TO,   /* the source's half of a migration */
    VMHA_EVENT_MIGRATE_FROM, /* the target's half */
    VMHA_EVENT_MONITOR_FAILED,
    VMHA_EVENT_PROBE, /* a probe found vm running (result "running") or not ("stopped") */
    VMHA_EVENT_TYPE_COUNT,
} VmhaEventType;

typedef struct {
    uint64_t seq;        /* cluster-wide: vmha_event_seq() of the write it comes from */
    int64_t time;        /* seconds since the epoch, by the clock of the node that wrote it */
    VmhaEventType type;  /* */
    char *node;          /* NULL when the event is about no node */
    char *vm;            /* NULL when about no VM */
    char *user;          /* who asked: a user name (or "uid N"); NULL for clusterd's own */
    char *command;       /* the vmctl command line, as vmctl sent it */
    char *result;        /* "ok", "failed", "pending", "running", ...; NULL when none */
    int64_t duration_ms; /* -1 when none */
    char *details;       /* free text, NULL when none */
} VmhaEvent;

const char *vmha_event_type_to_string(VmhaEventType type);
int vmha_event_type_from_string(const char *s, VmhaEventType *ret);

/* Frees the strings of ev (not ev itself) and zeroes it. */
void vmha_event_clear(VmhaEvent *ev);
void vmha_event_copy(VmhaEvent *dst, const VmhaEvent *src);

/* The sequence number of the index-th event (0..255) derived from the write that took the
 * database to version epoch.num_updates: (epoch << 40) | (num_updates << 8) | index. Versions only
 * grow, and every copy passes through the same versions, so the same write gives the same number
 * on every node. -ERANGE when epoch >= 2^24, num_updates >= 2^32 or index >= 256. */
int vmha_event_seq(uint64_t epoch, uint64_t num_updates, unsigned index, uint64_t *ret_seq);

/* The JSON object of ev: every field, null for the absent ones. */
json_object *vmha_event_to_json(const VmhaEvent *ev);
/* One line without its newline (the file format of clusterd's history). */
char *vmha_event_to_line(const VmhaEvent *ev);
/* Reads an object made by vmha_event_to_json into *ret (vmha_event_clear it). -EBADMSG, with
 * *ret_error saying why, for anything else. */
int vmha_event_from_json(json_object *obj, VmhaEvent *ret, char **ret_error);
int vmha_event_from_line(const char *line, VmhaEvent *ret, char **ret_error);

/* ---- the ring ---- */

typedef struct VmhaEventLog VmhaEventLog;

/* At most max_count events, none older than max_age_s (0: no age bound). */
VmhaEventLog *vmha_eventlog_new(size_t max_count, int64_t max_age_s);
void vmha_eventlog_free(VmhaEventLog *log);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmhaEventLog, vmha_eventlog_free)

/* Appends a copy of ev, dropping the oldest events beyond the count bound and those older than
 * max_age_s before now. -EEXIST (nothing added) when ev's seq is not above the last one: history
 * only grows, so a replayed event is never recorded twice. */
int vmha_eventlog_add(VmhaEventLog *log, const VmhaEvent *ev, int64_t now);
/* Drops events older than max_age_s before now; returns how many. */
size_t vmha_eventlog_expire(VmhaEventLog *log, int64_t now);
/* Puts a copy of ev in its place by seq: a node catching up receives events older than its
 * last (docs/ARCHITECTURE.md, "Event history", "A node that was away"). -EEXIST when an event
 * with that seq is there already (nothing changes), -ENOSPC when the log is full and ev is older
 * than all it holds. */
int vmha_eventlog_insert(VmhaEventLog *log, const VmhaEvent *ev, int64_t now);
size_t vmha_eventlog_count(const VmhaEventLog *log);
/* A number that changes whenever the events held do (an add, an insert, an expiry): what is
 * derived from the whole log can be kept until it moves. */
uint64_t vmha_eventlog_generation(const VmhaEventLog *log);
/* The i-th event, oldest first (i < count). */
const VmhaEvent *vmha_eventlog_get(const VmhaEventLog *log, size_t i);
/* The last event's seq, 0 when empty. */
uint64_t vmha_eventlog_last_seq(const VmhaEventLog *log);

/* The catch-up after a quorate view's sync: last[i] is the last seq member i had before the
 * view (in the view's member order). false when all are equal (nothing to send); otherwise the
 * member with the longest history sends (the first such in the order, so every member picks the
 * same one) every event above the lowest last (*ret_from) up to the view's own events. */
bool vmha_history_catchup_plan(const uint64_t *last, size_t n, size_t *ret_sender,
                               uint64_t *ret_from);

/* ---- filters ---- */

typedef struct {
    uint64_t since_seq; /* events with seq >= since_seq (0: any) */
    int64_t since_time; /* events with time >= since_time (0: any) */
    const char *vm;     /* only events about this VM (NULL: any) */
    const char *node;   /* only events about this node (NULL: any) */
} VmhaEventFilter;

bool vmha_event_matches(const VmhaEvent *ev, const VmhaEventFilter *filter);
/* The events that match, oldest first, as a JSON array (new reference). */
json_object *vmha_eventlog_select(const VmhaEventLog *log, const VmhaEventFilter *filter);
/* The same array as JSON text appended to out, written directly (no json-c object per event:
 * 10,000 events cost a few milliseconds instead of a hundred). Strings escaped as RFC 8259 asks,
 * bytes >= 0x80 passed through as json-c passes them. */
void vmha_eventlog_select_text(const VmhaEventLog *log, const VmhaEventFilter *filter,
                               GString *out);

/* `--since`: a sequence number (digits only), a time (YYYY-MM-DDTHH:MM[:SS] in UTC, with an
 * optional Z, or @SECONDS since the epoch) or an age before now (a number with a unit: 30s, 10m,
 * 2h, 1d). Sets since_seq or since_time of *filter. -EINVAL with *ret_error for anything else. */
int vmha_event_since_parse(const char *s, int64_t now, VmhaEventFilter *filter, char **ret_error);
