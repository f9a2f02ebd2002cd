/* Which of the engine's actions the leader may start now (pure; clusterd/leader.c sends them).
 *
 * The engine says where every VM should be; this says what may run at once without stepping on
 * an operation already in flight:
 *  - a VM some online node has not probed yet gets nothing: it may run there (Pacemaker, too,
 *    orders every action of a resource after its probes);
 *  - a VM with an operation in flight (recorded pending in the status section, or written by this
 *    leader and not yet acknowledged) gets nothing new;
 *  - one operation per VM at a time, in the engine's order: a VM to be stopped on one node and
 *    started on another is stopped first, and its start is planned again once the stop is done;
 *  - nothing is started on (or migrated to) a node a VM is leaving at that moment, so a start
 *    never counts on memory that is not free yet;
 *  - at most migration-limit migrations at once (0 or below: no limit, Pacemaker's -1).
 * Fencing is not dispatched: the leader runs it itself. */
#pragma once

#include "engine.h"

typedef struct {
    const VmhaModel *model;
    const VmhaPlan *plan;
    GHashTable *dispatched; /* VM names written but not yet acknowledged; may be NULL */
    GHashTable *hold;       /* VM names to leave alone for now (not yet probed everywhere) */
} VmhaDispatchInput;

/* Indexes into plan->actions (size_t), in plan order. */
GArray *vmha_dispatch_select(const VmhaDispatchInput *in);

/* How many operations (start, stop, migration) a node runs at once: Pacemaker's cluster
 * property node-action-limit, whose default (unset, 0 or below, or not a number) is twice the
 * node's cores. The leader dispatches every action it may; each node runs up to this many and
 * queues the rest, so a power cut's restarts run in parallel without drowning a small host. */
unsigned vmha_node_action_limit(const char *property, unsigned cores);
