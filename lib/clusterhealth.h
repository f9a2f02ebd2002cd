/* What `vmctl status` shows first and last (docs/vmctl.md, "status"): the health line, one
 * verdict over quorum, nodes, VMs, fencing and open incidents, and each VM's last event. Pure:
 * built from the STATUS document and the event history (lib/eventlog.h, lib/incident.h); every
 * node holding the same database and history says the same. */
#pragma once

#include <glib.h>
#include <json-c/json.h>
#include <stddef.h>

#include "eventlog.h"

/* The health of the cluster as the STATUS document status says it, with the incidents of the
 * history (vmha_incidents_find), or NULL when the history is not known (then
 * "open_incidents" is null): {"state": "ok" | "degraded" | "no-quorum", "quorate",
 * "nodes_up", "nodes", "vms_running", "vms_wanted", "failed", "blocked", "waiting_for_fence",
 * "open_incidents": [{"id", "type", "node", "summary"}], "text"}. "text" is the line status
 * prints: "OK: quorate, 3 of 3 nodes up, 3 of 3 wanted VMs running". */
json_object *vmha_health(json_object *status, const GPtrArray *incidents);
/* The same from the open incidents as "open_incidents" lists them (vmha_open_incidents; the
 * reference is taken), NULL when the history is not known: what clusterd's STATUS answer
 * carries, so that status needs no copy of the history. */
json_object *vmha_health_of_open(json_object *status, json_object *open);
/* The open incidents of vmha_incidents_find's list: [{"id", "type", "node", "summary"}]. */
json_object *vmha_open_incidents(const GPtrArray *incidents);

/* Adds "last_event" to every VM of status's "vms": {"seq", "time", "type", "node", "result"}
 * of the newest of events[0..n) (oldest first) about it, or null. */
void vmha_status_add_last_events(json_object *status, const VmhaEvent *events, size_t n);
/* The same in two steps: each VM's last event of events[0..n) (a table of VM name -> that
 * object, one per VM named by an event), and "last_event" added from such a table. */
GHashTable *vmha_last_events(const VmhaEvent *events, size_t n);
void vmha_status_add_last_events_of(json_object *status, GHashTable *last);
