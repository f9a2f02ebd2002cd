/* The resource history of the CIB status section, as Pacemaker's controller records it:
 * node_state > lrm > lrm_resources > lrm_resource > lrm_rsc_op. Pure: works on a DOM the caller
 * owns, so every member of the cluster applying the same result to the same copy gets the same
 * document. */
#pragma once

#include <glib.h>
#include <libxml/tree.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmha/migration.h"
#include "vmha/wire.h"

/* Pacemaker's op-status values (PCMK_EXEC_*) that vmha records. */
#define VMHA_OP_STATUS_DONE          0
#define VMHA_OP_STATUS_TIMEOUT       2
#define VMHA_OP_STATUS_ERROR         4
#define VMHA_OP_STATUS_NOT_INSTALLED 7

typedef struct {
    const char *rsc; /* the VM's id; class ocf, provider vmha, type vm */
    int rc;          /* OCF exit code */
    int op_status;   /* VMHA_OP_STATUS_* */
    int64_t exec_ms;
    int64_t when; /* seconds since the epoch: last-run, and last-rc-change when rc changes */
} VmhaProbeResult;

/* Whether NODE's last recorded non-recurring operation of rsc is a probe with this rc and
 * op-status already: recording it again would change nothing worth a write. */
bool vmha_lrm_probe_unchanged(xmlNode *status, const char *node_id, const VmhaProbeResult *r);

/* Records a probe (monitor, interval 0) on node node_id/node_uname as "RSC_last_0", replacing
 * the older last-operation record of that resource on that node, creating node_state, lrm,
 * lrm_resources and lrm_resource as needed. call-id is one above the highest on that node, so
 * it orders after everything already recorded there. Returns 1 when the document changed, 0 when
 * it already said the same (vmha_lrm_probe_unchanged), -1 on bad arguments. */
int vmha_lrm_record_probe(xmlNode *status, const char *node_id, const char *node_uname,
                          const VmhaProbeResult *r);

/* One node's history with its resources indexed by id, for a round or a write that looks up
 * every VM on one node (a probe round, the leader's check that each node probed each VM): each
 * lookup O(1), where the functions above scan the node's history, so thousands of VMs cost
 * thousands of lookups and not their square. Valid while the node's history is changed only
 * through it (the calls below) and the document lives. */
typedef struct VmhaLrmIndex VmhaLrmIndex;
VmhaLrmIndex *vmha_lrm_index_new(xmlNode *status, const char *node_id);
void vmha_lrm_index_free(VmhaLrmIndex *idx);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmhaLrmIndex, vmha_lrm_index_free)
/* As vmha_lrm_probe_unchanged, vmha_lrm_has_history, vmha_lrm_pending_op and
 * vmha_lrm_record_probe on the index's node: the same answers, the same document. */
bool vmha_lrm_index_probe_unchanged(const VmhaLrmIndex *idx, const VmhaProbeResult *r);
bool vmha_lrm_index_has_history(const VmhaLrmIndex *idx, const char *rsc);
xmlNode *vmha_lrm_index_pending_op(const VmhaLrmIndex *idx, const char *rsc);
int vmha_lrm_index_record_probe(VmhaLrmIndex *idx, const char *node_uname,
                                const VmhaProbeResult *r);
/* Every node_state of status indexed, in document order (free with g_ptr_array_unref). */
GPtrArray *vmha_lrm_index_all(xmlNode *status);
/* The node_state indexed, or NULL while the node has none. */
xmlNode *vmha_lrm_index_node_state(const VmhaLrmIndex *idx);

typedef enum {
    VMHA_LRM_UNKNOWN, /* nothing recorded on that node */
    VMHA_LRM_STOPPED, /* not running there */
    VMHA_LRM_RUNNING, /* running there */
    VMHA_LRM_FAILED,  /* the last operation failed: it may run there */
} VmhaLrmState;

/* What the history of rsc on the node with this node_state says, read like lib/model.c: the
 * last completed operation by call-id decides. */
VmhaLrmState vmha_lrm_state(xmlNode *node_state, const char *rsc);

/* Unames of the nodes whose history says rsc runs there (VMHA_LRM_RUNNING), in document order;
 * when with_failed, nodes where it failed (and so may run) too. Free with g_strfreev. */
char **vmha_lrm_running_on(xmlNode *status, const char *rsc, bool with_failed);
/* The same two on indexes (vmha_lrm_index_all's for running_on): the same answers. */
VmhaLrmState vmha_lrm_index_state(const VmhaLrmIndex *idx, const char *rsc);
char **vmha_lrm_index_running_on(const GPtrArray *all, const char *rsc, bool with_failed);

/* The writes (VMHA_MSG_PROBE) that carry a round's changed results: lines[i] (VMHA_F_PROBE) and
 * with it writeoffs[i] (the VMHA_F_KV that ends its VM's orphaned operation, or NULL), in order,
 * in as few messages as hold them, each with room left for `reserve` more fields of up to 64
 * bytes (what clusterd's sync adds: origin, request id, time) within VMHA_WIRE_MAX_FIELDS and
 * VMHA_WIRE_MAX_SIZE. One message cannot hold a round of every VM beyond a few hundred VMs; a
 * result never travels without its writeoff. NULL when a single result does not fit. */
GPtrArray *vmha_probe_messages(char *const *lines, char *const *writeoffs, size_t n,
                               size_t reserve);

/* The wire form of one result (VMHA_F_PROBE): "VM RC OP_STATUS EXEC_MS WHEN". */
char *vmha_probe_result_format(const VmhaProbeResult *r);
/* Parses it; ret->rsc points into *ret_buf (freed by the caller). -1 when malformed. */
int vmha_probe_result_parse(const char *s, VmhaProbeResult *ret, char **ret_buf);

/* ---- actions and their results (clusterd's leader and executing nodes, issue 6) ----
 *
 * The leader's action for one VM travels as "KEY OP VM NODE [TARGET [METHOD]]" (VMHA_F_ACTION):
 * KEY is the transition key Pacemaker writes as transition-key ("ACTION:TRANSITION:0:UUID", no
 * spaces), OP is start, stop or migrate (NODE the source, TARGET the target, METHOD quick, live
 * or cold when not the VM's own). Applying it records a pending operation (op-status -1, rc 193)
 * on NODE, which its clusterd then runs. */
typedef struct {
    const char *key;
    const char *op; /* "start", "stop", "migrate" */
    const char *rsc;
    const char *node;           /* uname */
    const char *target;         /* migrate: uname; else NULL */
    VmhaMigrationMethod method; /* migrate: the method for this migration, DEFAULT = the VM's own */
} VmhaActionSpec;

char *vmha_action_format(const VmhaActionSpec *a);
/* Parses; the strings of *ret point into *ret_parts (g_strfreev it). -1 when malformed. */
int vmha_action_parse(const char *s, VmhaActionSpec *ret, char ***ret_parts);

/* An operation's outcome, "KEY OP INTERVAL_MS VM RC OP_STATUS EXEC_MS WHEN" (VMHA_F_RESULT).
 * OP is the agent action: start, stop, migrate_to, migrate_from, or monitor (interval > 0). */
typedef struct {
    const char *key;
    const char *op;
    int64_t interval_ms;
    const char *rsc;
    int rc;
    int op_status;
    int64_t exec_ms;
    int64_t when;
    const char *exit_reason; /* may be NULL */
    /* The node's fence epoch (vmha_lrm_fence_epoch) in the copy of the database the operation
     * (a recurring monitor: the series) was started from; unknown unless has_fence_epoch, and
     * then the result is taken as it is. */
    bool has_fence_epoch;
    int64_t fence_epoch;
} VmhaOpResult;

char *vmha_op_result_format(const VmhaOpResult *r);
int vmha_op_result_parse(const char *s, VmhaOpResult *ret, char ***ret_parts);

/* The pending operation of rsc on this node (its RSC_last_0 record with op-status -1), or NULL. */
xmlNode *vmha_lrm_pending_op(xmlNode *node_state, const char *rsc);
/* Whether the node has any record of rsc (a probe at least). */
bool vmha_lrm_has_history(xmlNode *node_state, const char *rsc);
/* A node whose history shows nothing of ours running, failed or in flight gets expected="down":
 * losing it then needs no fencing (clusterd/views.c shows it offline, not unclean), as Pacemaker
 * treats a node that shut down cleanly. Called for drained nodes. Any later pending operation, or
 * a probe finding a VM there, sets expected="member" again. Returns whether it changed. */
bool vmha_lrm_mark_down_if_idle(xmlNode *status, const char *node_id);

/* Whether rsc has an operation pending on any node. */
bool vmha_lrm_pending_anywhere(xmlNode *status, const char *rsc);

/* Records `op` (start, stop, migrate_to, migrate_from) of rsc pending on node: RSC_last_0 with
 * op-status -1, rc-code 193 and transition-key key; migrate_source/migrate_target as Pacemaker
 * writes them on migration records (NULL otherwise), and the method of a migration that does not
 * use the VM's own as vmha-migration-method (VMHA_LRM_METHOD; DEFAULT otherwise). The node_state is
 * marked expected="member": from now on the node may run the VM, so losing it means fencing it.
 * Returns 1, or 0 without changing anything when rsc already has an operation pending anywhere (one
 * at a time, whoever asks), -1 on bad arguments. */
int vmha_lrm_record_pending(xmlNode *status, const char *node_id, const char *node_uname,
                            const char *rsc, const char *op, const char *key,
                            const char *migrate_source, const char *migrate_target,
                            VmhaMigrationMethod method, int64_t when);

#define VMHA_LRM_METHOD "vmha-migration-method"

/* The node's fence epoch: its vmha-fenced (the time of its last recorded fence, the fencing
 * leader's clock) or 0 when it was never fenced. Every copy of the database says the same, so it
 * orders an operation against the node's fences without comparing clocks. */
int64_t vmha_lrm_fence_epoch(xmlNode *node_state);

/* Whether the result is void because its node was fenced after the operation began (the node's
 * fence epoch now is above the one the operation carries): a node that rejoins after a power cut
 * may monitor from the copy it had before, and what those monitors find (nothing running) says
 * nothing about the VMs the cluster restarted since (issue 11, defect 7). */
bool vmha_lrm_result_predates_fence(xmlNode *node_state, const VmhaOpResult *r);

/* Records a result from node. A result that predates the node's last fence
 * (vmha_lrm_result_predates_fence) is ignored (returns 0). An interval-0 result replaces the
 * pending record it answers (same transition key and operation) and is ignored (returns 0) when
 * there is none: it answers an action that fencing, a cleanup or a restarted clusterd already wrote
 * off. A recurring monitor's result replaces RSC_monitor_INTERVAL. A failure also writes
 * RSC_last_failure_0 and raises fail-count-RSC#OP_INTERVAL (to INFINITY for start, migrate_from and
 * stop, as Pacemaker's start-failure-is-fatal and failed stops do) and last-failure-RSC#OP_INTERVAL
 * in the node's transient attributes. The result keeps the pending record's migrate_source,
 * migrate_target and vmha-migration-method. For a successful migrate_to, *ret_migrate_target (when
 * not NULL) is set to the target recorded on the pending record (g_free it), else NULL. Returns 1
 * when recorded, 0 when ignored, -1 on bad arguments. */
int vmha_lrm_record_result(xmlNode *status, const char *node_id, const char *node_uname,
                           const VmhaOpResult *r, char **ret_migrate_target);

/* Whether a result is a failure (not the expected rc 0, or not completed). */
bool vmha_op_result_failed(const VmhaOpResult *r);

/* The node was fenced at `when`: its resource history and transient attributes are erased (it
 * runs nothing now), its node_state says down and expected="down", and vmha-fenced=when. */
void vmha_lrm_node_fenced(xmlNode *status, const char *node_id, const char *node_uname,
                          int64_t when);
/* A fencing attempt failed: vmha-fence-failures + 1, vmha-fence-last-error, -last-attempt; a
 * pending vmha-fence-requested is cleared (a request is answered by one attempt). */
void vmha_lrm_fence_failed(xmlNode *status, const char *node_id, const char *node_uname,
                           int64_t when, const char *error);
/* A transient attribute of the node (vmha-fenced, fail-count-..., ...), or NULL. */
char *vmha_lrm_node_attr(xmlNode *node_state, const char *name); /* g_free */

/* The transient mark "vmha-self-fence-disarmed" of a node that did not see maintenance mode
 * end (docs/ARCHITECTURE.md, "Maintenance mode"): set (disarmed) or removed. Returns whether
 * the status changed. */
#define VMHA_LRM_DISARMED "vmha-self-fence-disarmed"
bool vmha_lrm_node_disarmed(xmlNode *status, const char *node_id, const char *node_uname,
                            bool disarmed);
