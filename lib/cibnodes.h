/* The database's <nodes> follow corosync's nodelist (issue 12: `vmctl cluster join/leave`): a node
 * added to corosync.conf and reloaded gets its <node>; a node removed from it loses it, with
 * everything that names it. Pure DOM edits on a whole CIB the caller owns, so that every member
 * applying the same write to the same copy gets the same document. */
#pragma once

#include <glib.h>
#include <libxml/tree.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct {
    uint32_t id; /* corosync node id */
    const char *name;
} VmhaNodeRef;

/* Whether the history of the node with this id holds anything of ours running, failed or in
 * flight: such a node must not be forgotten (its VMs could then start elsewhere). */
bool vmha_cib_node_busy(xmlNode *status, const char *node_id);

/* Whether <nodes> lists exactly want (ids and names, in any order). */
bool vmha_cib_nodes_match(xmlNode *cib, const VmhaNodeRef *want, size_t n);

/* Makes <nodes> list want: missing nodes are appended (<node id uname>); a node no longer wanted
 * is removed together with its node_state, the rsc_location constraints naming it and its place in
 * fence devices' pcmk_host_list (a device left with no host goes, with its constraints), unless
 * vmha_cib_node_busy: then it stays and its name is added to kept (when not NULL). Returns 1 when
 * the document changed, else 0. */
int vmha_cib_nodes_follow(xmlNode *cib, const VmhaNodeRef *want, size_t n, GPtrArray *kept);
