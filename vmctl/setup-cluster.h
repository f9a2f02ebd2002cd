/* The running cluster as `vmctl cluster setup|join|leave` see and change it (setup-cluster.c). */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "corosyncconf.h"
#include "setup-steps.h"

/* This host's corosync.conf, parsed, with its nodes appended to nodes (VmctlSetupNode*, the
 * local one marked). 0, or a VMHA_RESULT_* code with the reason reported (7: this host is not in
 * a cluster). */
int vmctl_setup_load_cluster(const VmctlOptions *opts, VmhaCsConf **ret_conf, GPtrArray *nodes);
/* 0 when the cluster is quorate here with its database in sync, else a VMHA_RESULT_* code with
 * the reason reported. */
int vmctl_setup_require_quorate(const VmctlOptions *opts);
/* Writes conf on every member (index < n_members of run->nodes), runs `others` (a script body,
 * or NULL) on the rest at the same time, and has corosync reload the file cluster-wide
 * (corosync-cfgtool -R from this host). -1 with the reason reported. */
int vmctl_setup_install_conf(VmctlSetupRun *run, guint n_members, const char *conf,
                             const char *others, const char *what);
/* After an undo of the members' corosync.conf: the old one reloaded everywhere. */
void vmctl_setup_reload_again(VmctlSetupRun *run);
/* Waits (at most run->wait_s) until every node of want (VmctlSetupNode*) is quorate, a member of
 * the CPG group in sync, with a leader, and the database's nodes are exactly want. -1 with the
 * reason reported. */
int vmctl_setup_wait_in_sync(VmctlSetupRun *run, const GPtrArray *want);
/* Adds the fence device AGENT-fence covering every node of run (`vmctl fence add`). */
int vmctl_setup_add_fence_device(VmctlSetupRun *run, const char *agent, GPtrArray *fence_opts);
/* The VMs running or in flight on node per `status`, as "a, b" ("" for none). */
int vmctl_setup_vms_on(const VmctlOptions *opts, const char *node, char **ret_list);
/* Whether a fence device covers every node of left (names): two nodes need one. */
int vmctl_setup_two_left_fenced(const VmctlOptions *opts, GPtrArray *left, bool *ret_ok);
/* The ids of the fence devices that fence every node of members (VmctlSetupNode*) and not node:
 * the shared ones (a PDU, one agent for every host) a joining node is added to. Appended to
 * ret_ids (g_free). A VMHA_RESULT_* code, the reason reported. */
int vmctl_setup_fence_shared(const VmctlOptions *opts, const GPtrArray *members, const char *node,
                             GPtrArray *ret_ids);
/* join, once node is in the database: node added (`fence set`) to every shared device (above);
 * their ids appended to ret_added. What is worth a warning (a device it was not added to; node
 * fenced by no device afterwards, with the command that adds one) is appended to ret_warnings.
 * Progress lines as the other steps. A VMHA_RESULT_* code when the devices cannot be read. */
int vmctl_setup_fence_join(VmctlSetupRun *run, const GPtrArray *members, const char *node,
                           GPtrArray *ret_added, GPtrArray *ret_warnings);
/* leave, once node is out of the cluster: node taken out of every device's hosts (`fence set`),
 * a device that fenced node alone removed (`fence remove --force`: leave runs as root). clusterd
 * does the same when the database forgets the node (lib/cibnodes.h): this finds what is left. */
int vmctl_setup_fence_leave(VmctlSetupRun *run, const char *node, GPtrArray *ret_warnings);
