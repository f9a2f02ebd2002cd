/* The JSON documents `vmctl --json` prints (and vmha-web's API serves), built from clusterd's
 * answers: one builder per document, so that both programs show the same thing. Pure: the caller
 * asks clusterd and hands the answers in. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>

#include "drainplan.h"
#include "vmha/migration.h"
#include "vmha/wire.h"
#include "eventlog.h"
#include "model.h"

/* The events of an EVENTS answer ({"events": [...]}), those that read back as records, in order
 * (*ret_events g_free'd after vmha_event_clear of each). -1 when the answer has no event array. */
int vmha_doc_history(json_object *events_answer, VmhaEvent **ret_events, size_t *ret_n);
void vmha_doc_history_free(VmhaEvent *events, size_t n);

/* `vmctl status --json`: adds the health line and each VM's last event (from events_answer, the
 * EVENTS answer, or NULL when there is none) to clusterd's STATUS answer. */
void vmha_doc_status_add_history(json_object *status, json_object *events_answer);

/* The same from what a current clusterd's STATUS answer carries itself ("open_incidents", each
 * VM's "last_event"): a status then costs O(VMs), not a copy of the whole history. False when
 * the answer has none (an older clusterd): the caller asks for the history and calls
 * vmha_doc_status_add_history. */
bool vmha_doc_status_add_health(json_object *status);

/* `vmctl incident list --json`'s array (with_events: each incident's events too, as `incident
 * show`). */
json_object *vmha_doc_incidents(const VmhaEvent *events, size_t n, bool with_events);

/* `vmctl vm why NAME --json` from the STATUS and VM_LIST answers and the history; NULL when
 * either answer has no VM of that name. */
json_object *vmha_doc_vm_why(json_object *status, json_object *vm_list, const VmhaEvent *events,
                             size_t n, const char *name);

/* `vmctl node drain NODE --dry-run --json`. */
json_object *vmha_doc_drain_plan(const VmhaModel *m, const VmhaDrainPlan *d, const char *node);

/* The node a VM runs on, alone and healthy, or -1 (vm move's source). */
ssize_t vmha_doc_running_on(const VmhaModel *m, const VmhaVm *vm);
/* The node a VM prefers most (its highest positive location score), or -1 (failback). */
ssize_t vmha_doc_preferred_node(const VmhaVm *vm);

/* The VM_MOVE request of `vmctl vm move` and the web console's move: vm from node from (to
 * another node, or NULL to let the policy engine choose) by method (VMHA_MIGRATION_DEFAULT:
 * quick; a move is a migration even for a VM without allow-migrate). NULL when it is too large
 * for the wire. */
VmhaMsg *vmha_doc_move_request(const char *vm, const char *from, const char *to,
                               VmhaMigrationMethod method);
