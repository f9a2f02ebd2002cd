/* clusterd's modules and how they call each other. Each module has an _init and a _finalise,
 * called by main.c in dependency order. */
#pragma once

#include <glib.h>
#include <libxml/tree.h>
#include <stdbool.h>
#include <stdint.h>

#include "cibnodes.h"
#include "dbsync.h"
#include "model.h"
#include "vmha/wire.h"

typedef struct {
    uint32_t nodeid;
    char *name;
} CdNode;

typedef struct {
    char *state_dir;
    char *socket_path;
    char *admin_group; /* members may write; NULL: root only */
    char *cpg_group;
    char *watchdog;        /* watchdog device; NULL: none */
    char *fence_agent_dir; /* fence agents named without a path; NULL: /usr/sbin */
} CdConfig;

extern CdConfig cd_config;

/* corosync.c: CPG, quorum, votequorum and cmap on the main loop; reconnects when corosync
 * restarts. */
int cd_corosync_init(void);
void cd_corosync_finalise(void);
bool cd_corosync_connected(void);
uint32_t cd_local_nodeid(void);
bool cd_quorate(void);
uint32_t cd_quorum_needed(void); /* votes needed for quorum (votequorum), or a majority */
uint32_t cd_expected_votes(void);
bool cd_node_in_quorum_view(uint32_t nodeid);
const GPtrArray *cd_nodes(void); /* CdNode*, from cmap's nodelist, reread when it changes */
const char *cd_node_name(uint32_t nodeid);
uint32_t cd_node_id_by_name(const char *name);
int cd_cpg_send(const VmhaMsg *msg) G_GNUC_WARN_UNUSED_RESULT;
/* The same without waiting out corosync's flow control: -EAGAIN, try again later. */
int cd_cpg_send_nowait(const VmhaMsg *msg) G_GNUC_WARN_UNUSED_RESULT;

/* cibdb.h: the local copy of the cluster database; cibwrite.h: its writes. */

/* nodelist.c: the database's nodes follow corosync's nodelist. The leader compares them whenever
 * either may have changed and writes NODES when they differ. */
void cd_nodelist_init(void);
void cd_nodelist_finalise(void);
void cd_nodelist_check(void);

/* sync.c: replication over CPG in total order; sync on membership changes; writes. */
void cd_sync_init(void);
void cd_sync_finalise(void);
void cd_sync_on_confchg(const VmhaPeerState *members, size_t n);
void cd_sync_on_deliver(uint32_t nodeid, uint32_t pid, const VmhaMsg *msg);
void cd_sync_on_disconnect(void);
void cd_sync_on_quorum(void);
bool cd_sync_in_sync(void);
/* The current CPG view, "nodeid:pid,...": actions planned in another view are refused. */
const char *cd_sync_view_key(void);
uint32_t cd_sync_leader(void);
/* Members of the current CPG view, with their sync flags. */
const VmhaPeerState *cd_sync_members(size_t *ret_n);

typedef void (*CdWriteDone)(void *ctx, int rc, const char *message);
/* Replicates a write request from vmctl; done is called exactly once (maybe synchronously). */
void cd_sync_submit(const VmhaMsg *request, CdWriteDone done, void *ctx);
/* The client went away: done must not be called for ctx any more. */
void cd_sync_forget(void *ctx);

/* views.c: JSON answers for read requests. */
char *cd_view_status(void);
char *cd_view_nodes(void);
char *cd_view_vms(void);
char *cd_view_config(void);
char *cd_view_fences(void); /* stonith primitives; secret option values hidden */
/* The CIB as the policy engine reads it here and now: the stored copy with have-quorum and a
 * node_state per configured node from the current membership. -EAGAIN while out of sync;
 * *ret_error says why on failure. */
int cd_view_cib(char **ret_xml, char **ret_error) G_GNUC_WARN_UNUSED_RESULT;
/* The same for readers outside clusterd (any local user): fence device secrets hidden. */
int cd_view_cib_redacted(char **ret_xml, char **ret_error) G_GNUC_WARN_UNUSED_RESULT;

/* probe.c: probes every VM on this node once in sync with a quorate cluster (start-up,
 * membership and quorum changes) and records the results in the status section through a
 * replicated write. */
void cd_probe_init(void);
void cd_probe_finalise(void);
/* Asks for a probe round (run from the main loop; ignored while out of sync or not quorate). */
void cd_probe_trigger(void);
/* Asks for a probe of one VM (added, or its settings changed). */
void cd_probe_trigger_vm(const char *name);
/* After a probe write was applied: the leader logs any VM recorded running on two nodes. */
void cd_probe_check_duplicates(void);

/* controller.c: the leader turns plans into agent runs and fencing; every node runs what is
 * recorded pending on it and records the results (docs/ARCHITECTURE.md, "Recovery"). */
void cd_controller_init(void);
void cd_controller_finalise(void);
/* After a write was applied here (NULL: after a sync). */
void cd_controller_on_applied(const VmhaMsg *write);
/* After this node got in sync with a view. */
void cd_controller_on_sync(void);
/* After a membership or quorum change. */
void cd_controller_on_membership(void);
/* Whether an operation recorded pending here (by its transition key) was left by an earlier
 * clusterd process: it died with that process, and this node's probe may write it off. */
bool cd_controller_orphaned(const char *key);
/* Something else changed: the leader plans again. */
void cd_controller_trigger(void);

/* ipc.c: the local socket for vmctl. */
int cd_ipc_init(const char *path) G_GNUC_WARN_UNUSED_RESULT;
void cd_ipc_finalise(void);

/* watchdog.c: the host's watchdog device (or the lab's stand-in); see docs/ARCHITECTURE.md,
 * "Self-fencing and the watchdog". */
#define CD_WATCHDOG_TIMEOUT_S VMHA_WATCHDOG_TIMEOUT_S /* W: the model's validation assumes it */
/* path NULL: no watchdog (returns 0). Opens and arms it, sets its timeout (character devices
 * only), feeds it once. */
int cd_watchdog_init(const char *path, unsigned timeout_s) G_GNUC_WARN_UNUSED_RESULT;
/* disarm: magic close ('V', then close); else closed armed, so the host is reset. */
void cd_watchdog_finalise(bool disarm);
int cd_watchdog_feed(void);
bool cd_watchdog_enabled(void);
unsigned cd_watchdog_timeout(void); /* seconds; 0 without a watchdog */

/* selffence.c: what a node does without quorum (no-quorum-policy, self-fencing). */
void cd_selffence_init(void);
void cd_selffence_finalise(void);
/* Quorum may have changed (corosync's notification, or the connection to corosync lost). */
void cd_selffence_on_quorum(void);
/* Whether the watchdog may be fed: false once this node self-fenced. */
bool cd_selffence_may_feed(void);
/* Whether a clean exit may disarm the watchdog: not while VMs may run here without quorum. */
bool cd_selffence_may_disarm(void);

/* shutdown.c: a planned shutdown drains this node first (shutdown policies). */
extern unsigned cd_shutdown_timeout_s;   /* --shutdown-timeout */
void cd_shutdown_begin(GMainLoop *loop); /* on SIGTERM/SIGINT; a second call quits at once */
bool cd_shutdown_in_progress(void);
void cd_shutdown_on_sync(void); /* in sync: end the drain this node's last shutdown left */
