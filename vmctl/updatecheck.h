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

/* Evidence that a node really rebooted: in a fresh PID namespace (a container, the lab) the new
 * clusterd may well get the old one's pid, so a new pid alone is not required. */
typedef struct {
    int64_t old_pid;       /* its clusterd's pid before the reboot */
    int64_t fenced_before; /* its fence record's "fenced" before (0: none) */
    bool seen_gone;        /* set once it was seen offline or without its clusterd */
} VmctlRebootWatch;

/* Whether node is back in the cluster after its command (or reboot): quorate with a leader, in
 * sync, node online and its clusterd a member in sync; with w (after a reboot) also gone since,
 * or another clusterd process, or fenced since. *ret_line says what is still missing, or "NODE:
 * back". */
bool vmctl_update_node_back(json_object *status, const char *node, VmctlRebootWatch *w,
                            char **ret_line);

/* The "fenced" time of node's fence record, 0 when none. */
int64_t vmctl_update_fenced(json_object *status, const char *node);

/* The pid of node's clusterd in the current CPG view, or 0. */
int64_t vmctl_update_member_pid(json_object *status, const char *node);

/* Whether every VM has landed: 1 when each is running or stopped, -1 when one failed (*ret_line
 * names it), 0 while some are in flight (starting, migrating, recovering, stopping: *ret_line
 * names them). The shape of a VmctlWaitFn. */
int vmctl_update_settled(json_object *status, char **ret_line);

/* With --reboot the node vmctl runs on cannot be rebooted by it (that would end vmctl): it goes
 * last, keeping the others' order. No-op when local is NULL or not in nodes. */
void vmctl_update_local_last(GPtrArray *nodes, const char *local);

/* The name of the node the snapshot comes from (local_node), or NULL. */
const char *vmctl_update_local_node(json_object *status);
