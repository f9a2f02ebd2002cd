/* clusterd's events: the one dispatcher between the modules that learn what happened (corosync.c:
 * CPG, quorum, cmap; sync.c: the replicated database) and the modules that act on it (probes,
 * jobs, the leader, self-fencing, remote exec, ...). A publisher never names its subscribers, so
 * calls run one way: from the modules that react down to the modules that know.
 *
 * Each module subscribes at its init and unsubscribes at its finalise. Handlers run at once,
 * inside cd_events_publish, in the order they subscribed: main.c initialises the lower layers
 * first, so a module's own state is up to date before the modules that read it hear of the same
 * event. A handler that needs the main loop (planning, probing) schedules that itself. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "eventlog.h"
#include "vmha/wire.h"

typedef enum {
    CD_EVENT_CPG_VIEW,     /* corosync.c: the CPG membership changed (.members, .n_members) */
    CD_EVENT_NODELIST,     /* corosync.c: corosync's configured node list changed (cmap) */
    CD_EVENT_QUORUM,       /* corosync.c: a quorum notification */
    CD_EVENT_DISCONNECTED, /* corosync.c: the connection to corosync was lost */
    CD_EVENT_MESSAGE,      /* corosync.c: a CPG message (.msg) from .nodeid/.pid, by its type */
    CD_EVENT_SYNCED,       /* sync.c: this node's copy of the database is in sync with its view
                            * (.msg: the BUMP that completed a quorate view's sync, else NULL) */
    CD_EVENT_APPLIED,      /* sync.c: a write (.msg) was applied to this node's copy */
    CD_EVENT_RECORDED,     /* history.c: an event (.history) was added to the history as it
                            * happened (not one loaded from disk) */
} CdEventType;

/* One clusterd process in the CPG group. */
typedef struct {
    uint32_t nodeid;
    uint32_t pid;
} CdCpgMember;

typedef struct {
    CdEventType type;
    const CdCpgMember *members; /* CPG_VIEW: the new view, sorted by node id, then pid */
    size_t n_members;
    const VmhaMsg *msg; /* MESSAGE: as delivered; APPLIED: the write; SYNCED: the BUMP or NULL */
    uint32_t nodeid;    /* MESSAGE: its sender */
    uint32_t pid;
    const VmhaEvent *history; /* RECORDED */
} CdEvent;

/* The event is valid during the call only. */
typedef void (*CdEventHandler)(const CdEvent *event, void *user_data);

void cd_events_init(void);
/* Every module has unsubscribed by then; what is left is a module that forgot. */
void cd_events_finalise(void);

/* Not CD_EVENT_MESSAGE: messages are subscribed to by their type. */
void cd_events_subscribe(CdEventType type, CdEventHandler handler, void *user_data);
/* CD_EVENT_MESSAGE of one message type. */
void cd_events_subscribe_message(uint16_t msg_type, CdEventHandler handler, void *user_data);
/* CD_EVENT_MESSAGE of every message type accepts() takes (vmha_msg_type_is_write, say). */
void cd_events_subscribe_messages(bool (*accepts)(uint16_t msg_type), CdEventHandler handler,
                                  void *user_data);
/* Removes every subscription of handler (at the module's finalise, never from a handler). */
void cd_events_unsubscribe(CdEventHandler handler);

/* Calls the event's subscribers; a message nobody takes is logged and dropped. */
void cd_events_publish(const CdEvent *event);
