/* corosync.c: CPG, quorum, votequorum and cmap on the main loop; reconnects when corosync
 * restarts. What corosync tells (a CPG view, a message, quorum, the node list, the connection
 * lost) is published as an event (events.h); the state it leaves is read here. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "events.h"
#include "vmha/wire.h"

/* A node of corosync's nodelist (cmap). */
typedef struct {
    uint32_t nodeid;
    char *name;
} CdNode;

/* cpg_group: the CPG group to join (--cpg-group). */
int cd_corosync_init(const char *cpg_group);
void cd_corosync_finalise(void);
bool cd_corosync_connected(void);
uint32_t cd_local_nodeid(void);
bool cd_quorate(void);
uint32_t cd_quorum_needed(void); /* votes needed for quorum (votequorum), or a majority */
/* Nodes a CPG view needs: the votes needed less those of a quorum device (corosync-qdevice) that
 * casts them for this partition now; at least 1. */
uint32_t cd_quorum_nodes_needed(void);
/* Nodes that must have applied a write before it is acknowledged, in a view of members distinct
 * nodes (vmha_write_acks_needed). */
size_t cd_write_acks_needed(size_t members);
uint32_t cd_expected_votes(void);
bool cd_node_in_quorum_view(uint32_t nodeid);
const GPtrArray *cd_nodes(void); /* CdNode*, from cmap's nodelist, reread when it changes */
const char *cd_node_name(uint32_t nodeid);
uint32_t cd_node_id_by_name(const char *name);
/* The current CPG view: the clusterd processes in the group, sorted by node id, then pid. */
const CdCpgMember *cd_cpg_members(size_t *ret_n);
bool cd_cpg_has_node(uint32_t nodeid); /* some clusterd of that node is in the view */
int cd_cpg_send(const VmhaMsg *msg) G_GNUC_WARN_UNUSED_RESULT;
/* The same without waiting out corosync's flow control: -EAGAIN, try again later. */
int cd_cpg_send_nowait(const VmhaMsg *msg) G_GNUC_WARN_UNUSED_RESULT;
