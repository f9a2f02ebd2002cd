/* vmctl cluster update: the decisions taken from one `vmctl status --json` snapshot. Pure: no
 * I/O, no clock; unit-tested in tests/unit/test-updatecheck.c. */
#pragma once

#include <glib.h>
#include <json-c/json.h>
#include <stdbool.h>

/* Whether a rolling update may start: the cluster quorate and in sync with a leader, every node
 * online with its clusterd a member in sync and neither draining, drained nor in standby, no VM
 * failed or in flight. Returns NULL and sets *ret_nodes (node names in node id order) when it
 * may; else the reason (free it), *ret_nodes untouched. */
char *vmctl_update_preflight(json_object *status, GPtrArray **ret_nodes);

/* Whether node is back in the cluster after its command (or reboot): quorate with a leader, in
 * sync, node online and its clusterd a member in sync; with old_pid != 0 a clusterd other than
 * that one (it was restarted). *ret_line says what is still missing, or "NODE: back". */
bool vmctl_update_node_back(json_object *status, const char *node, int64_t old_pid,
                            char **ret_line);

/* The pid of node's clusterd in the current CPG view, or 0. */
int64_t vmctl_update_member_pid(json_object *status, const char *node);

/* Whether every VM has landed: 1 when each is running or stopped, -1 when one failed (*ret_line
 * names it), 0 while some are in flight (starting, migrating, recovering, stopping: *ret_line
 * names them). The shape of a VmctlWaitFn. */
int vmctl_update_settled(json_object *status, char **ret_line);
