/* Edits of the CIB status section that vmctl asks for: forgetting a VM's history and failures
 * (`vmctl vm cleanup`), and the per-node transient attributes (`vmctl node fence` sets
 * vmha-fence-requested). Pure: works on a DOM the caller owns, so every member applying the same
 * write to the same copy gets the same document. */
#pragma once

#include <glib.h>
#include <libxml/tree.h>
#include <stdbool.h>
#include <stdint.h>

/* Removes rsc's resource history (lrm_resource id=rsc) from every node_state, and its
 * fail-count-RSC#... / last-failure-RSC#... transient attributes (also the old forms without
 * "#op_interval"). Returns the number of elements removed (0: nothing to forget). */
int vmha_status_cleanup_vm(xmlNode *status, const char *rsc);

/* Whether the latest failure of rsc on node_state (RSC_last_failure_0) is a start or restore
 * (migrate_from) that the vm agent blamed on unreachable shared storage (its exit reason starts
 * with VMHA_OCF_STORAGE_UNREACHABLE) and rsc still has a fail count there: a failure that
 * clusterd's storage watch on that node clears once the storage is back. */
bool vmha_status_storage_failure(xmlNode *node_state, const char *rsc);
/* The resources of node_state for which vmha_status_storage_failure holds, in document order;
 * NULL-terminated (g_strfreev). */
char **vmha_status_storage_failures(xmlNode *node_state);
/* Removes rsc's fail-count-RSC... and last-failure-RSC... attributes from node_state alone (one
 * node's failures, as `crm_resource --cleanup --node` clears them); its resource history stays,
 * since that says where rsc runs. Returns the number removed. */
int vmha_status_clear_node_failures(xmlNode *node_state, const char *rsc);

/* Whether some node records an operation of rsc in flight (op-status -1, Pacemaker's pending):
 * its history must not be forgotten under it. Stores that node's uname (or id) and the
 * operation's name when asked (pointers into the document). */
bool vmha_status_vm_pending(xmlNode *status, const char *rsc, const char **ret_node);
bool vmha_status_vm_pending_op(xmlNode *status, const char *rsc, const char **ret_node,
                               const char **ret_op);

/* Sets the transient attribute name=value of node node_id (uname written when the node_state is
 * created): node_state id=NODEID > transient_attributes id=NODEID > instance_attributes
 * id="status-NODEID" > nvpair id="status-NODEID-NAME", as Pacemaker's attribute manager writes
 * it. Returns 1 when the document changed, 0 when it held that value already. */
int vmha_status_set_node_attr(xmlNode *status, const char *node_id, const char *node_uname,
                              const char *name, const char *value);

/* The value of a transient attribute of node_state ns, or NULL. Points into the document. */
const char *vmha_status_node_attr(xmlNode *node_state, const char *name);
