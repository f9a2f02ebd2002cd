/* Incidents: the events that belong together, grouped, with a timeline (docs/vmctl.md,
 * "incident"). A node loss and everything it caused (node lost, its fencing, each of its VMs up
 * again), a drain and its moves. Pure: built from an event history (lib/eventlog.h) oldest first,
 * as `vmctl events --json` gives it; every node that holds the same history finds the same
 * incidents under the same ids. */
#pragma once

#include <glib.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "eventlog.h"

typedef enum {
    VMHA_INCIDENT_NODE_LOSS, /* a node-lost (or a fence request) until its VMs are up again */
    VMHA_INCIDENT_DRAIN,     /* `node drain` until every VM it had runs elsewhere */
} VmhaIncidentKind;

typedef struct {
    char *vm;
    char *from;      /* the node it ran on when the incident began */
    char *to;        /* where it came up again; NULL while it has not */
    int64_t up_time; /* when (the start's or migration's end), -1 while not */
    unsigned failures;
} VmhaIncidentVm;

typedef struct {
    uint64_t id; /* the seq of its first event */
    VmhaIncidentKind kind;
    char *node;
    int64_t start_time;
    int64_t end_time; /* -1 while open */
    /* Node loss: the first fence attempt's start, the fencing's end (-1 when none). */
    int64_t fence_started;
    int64_t fence_done;
    int64_t fence_ms; /* the device's own duration, -1 when none */
    char *outcome;    /* "fenced", "self-fenced", "rejoined", "resumed", "moved"; NULL open */
    unsigned fence_failures;
    GPtrArray *vms; /* VmhaIncidentVm*, in the order they were first seen on the node */
    GArray *events; /* uint64_t: the seq of each event in it, in order */
} VmhaIncident;

const char *vmha_incident_kind_to_string(VmhaIncidentKind kind);

/* The incidents of events[0..n) (oldest first), oldest first: a GPtrArray of VmhaIncident*
 * that frees them. Where VMs run is followed through the events themselves (a start, a
 * migration's end, a probe finding it running), so an incident knows the VMs a node had. */
GPtrArray *vmha_incidents_find(const VmhaEvent *events, size_t n);

/* One line: "n1 lost, fenced; 2 of 2 VMs up again", "drain of n1: 1 of 2 VMs moved". */
char *vmha_incident_summary(const VmhaIncident *inc);

/* The incident as JSON: id, type, node, state, times, outcome, its phases (name, from, to,
 * seconds) and its VMs; with events (non-NULL) also every event of it, as objects. */
json_object *vmha_incident_to_json(const VmhaIncident *inc, const VmhaEvent *events, size_t n);

/* Why VM is where it is, from the history: {"vm", "node", "since", "placed_by" (the event that
 * put it there, or null), "incident" (the id of the incident that event belongs to, or null),
 * "chain" (the VM's events from the one that began that incident, or the last few before its
 * placement, up to now)}. node: where it runs now (status), NULL when it runs nowhere. */
json_object *vmha_vm_why(const VmhaEvent *events, size_t n, const GPtrArray *incidents,
                         const char *vm, const char *node);
