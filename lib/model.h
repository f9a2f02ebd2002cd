/* The cluster model: a Pacemaker-schema CIB document turned into plain structs.
 *
 * The loader is pure: it reads a buffer (or an xmlNode a caller already holds, e.g. from libcib)
 * and never touches files, the clock or the network. The vocabulary it understands is docs/CIB.md.
 * A document that is malformed or inconsistent is rejected as a whole with one message naming the
 * offending element; the loader never crashes on any input (tests/fuzz/fuzz-model.c).
 *
 * Indexes: nodes and VMs keep their document order; everything else refers to them by index into
 * model->nodes / model->vms, so the engine never compares strings in its inner loops.
 */
#pragma once

#include <glib.h>
#include <libxml/tree.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmha/migration.h"

/* Self-fencing (docs/ARCHITECTURE.md, "Self-fencing and the watchdog"): clusterd's fixed watchdog
 * timeout W, and the least vmha-fence-watchdog-timeout - vmha-self-fence-timeout the loader
 * accepts: W + 5 s for the membership change (corosync token + consensus) and a margin. */
#define VMHA_WATCHDOG_TIMEOUT_S  5
#define VMHA_SELF_FENCE_MARGIN_S (VMHA_WATCHDOG_TIMEOUT_S + 5)

/* Pacemaker's INFINITY: scores saturate here, and INFINITY + -INFINITY is -INFINITY. */
#define VMHA_SCORE_INFINITY 1000000

#define VMHA_MODEL_ERROR (vmha_model_error_quark())
GQuark vmha_model_error_quark(void);

typedef enum {
    VMHA_MODEL_ERROR_XML,          /* not well-formed XML */
    VMHA_MODEL_ERROR_INVALID,      /* a value or element vmha cannot accept */
    VMHA_MODEL_ERROR_INCONSISTENT, /* references that do not resolve, duplicates */
    VMHA_MODEL_ERROR_UNSUPPORTED, /* valid Pacemaker, but vmha does not implement it (rules, ...) */
} VmhaModelError;

typedef enum {
    VMHA_NODE_ONLINE,  /* member of the cluster, can run VMs */
    VMHA_NODE_OFFLINE, /* down cleanly, or fenced: nothing runs there */
    VMHA_NODE_LOST,    /* left the membership uncleanly: its VMs may still run until it is fenced */
} VmhaNodeState;

typedef enum {
    VMHA_STRATEGY_DEFAULT,
    VMHA_STRATEGY_UTILIZATION,
    VMHA_STRATEGY_BALANCED,
    VMHA_STRATEGY_MINIMAL,
} VmhaPlacementStrategy;

typedef enum {
    VMHA_NO_QUORUM_STOP, /* also Pacemaker's "suicide" and "demote" */
    VMHA_NO_QUORUM_FREEZE,
    VMHA_NO_QUORUM_IGNORE,
} VmhaNoQuorumPolicy;

/* What the status section says about one VM on one node. */
typedef enum {
    VMHA_RSC_INACTIVE = 0,
    VMHA_RSC_ACTIVE,      /* running, healthy as far as the history tells */
    VMHA_RSC_FAILED,      /* a start or monitor failed: possibly running, needs recovery */
    VMHA_RSC_STOP_FAILED, /* a stop failed: only fencing the node makes the VM safe to start */
} VmhaRscState;

typedef struct {
    char *name;
    char *id;       /* corosync node id as written in the CIB */
    int64_t memory; /* capacity in MiB; -1 when the node has none configured */
    int64_t cpu;    /* capacity in cores; -1 when not configured */
    bool standby;
    bool maintenance;
    bool drain;                       /* vmha-drain=on */
    VmhaMigrationMethod drain_method; /* vmha-drain-method; DEFAULT = each VM's own */
    bool drain_force; /* vmha-drain-force=on: VMs that fit nowhere are stopped, not kept */
    /* vmha-drain-shutdown=on: the drain of a clusterd shutting down; each VM leaves as its
     * shutdown policy says (migrate, stop = cold move, freeze = stays) */
    bool drain_shutdown;
    VmhaNodeState state; /* from node_state; ONLINE when the document has none */
    int64_t lost_since;  /* seconds since the epoch the node was lost; 0 when not known */
    bool has_node_state; /* the status section had a node_state for it */
    /* vmha-self-fence-disarmed: out of the cluster when maintenance mode ended, so its copy
     * may still say maintenance-mode and it does not fence itself when lost */
    bool self_fence_disarmed;
} VmhaNode;

typedef struct {
    size_t node;
    int score; /* -INFINITY..INFINITY */
} VmhaLocation;

/* A VM's failures on one node: the sum of its fail-count-VM#op attributes, the latest last-failure.
 */
typedef struct {
    size_t node;
    int count;            /* saturates at INFINITY */
    int64_t last_failure; /* seconds since the epoch; 0 when not recorded (never expires) */
} VmhaFailure;

/* How a VM's state on a node changes once failures expire (failure-timeout): from `from` on
 * (seconds since the epoch), the history reads as `state`, the failed operations older than the
 * timeout ignored as Pacemaker ignores them. A VM has these only for nodes with such failures,
 * ordered by `from`; the engine takes the last one not after `now`. */
typedef struct {
    size_t node;
    int64_t from;
    VmhaRscState state;
} VmhaExpiry;

/* A VM's latest failed operation (the newest RSC_last_failure_0 record on any node), for people:
 * `vmctl status` shows its exit reason. */
typedef struct {
    ssize_t node;      /* -1: no failure on record */
    char *op;          /* "start", "migrate_to", "monitor", ... */
    int rc;            /* the agent's OCF exit code */
    int op_status;     /* 0 done, 2 timed out, ... (VMHA_OP_STATUS_*) */
    char *exit_reason; /* the agent's ocf-exit-reason; NULL when it gave none */
    int64_t when;      /* last-rc-change, seconds since the epoch */
} VmhaOpFailure;

typedef struct {
    char *name;
    size_t position; /* among all primitives, document order (Pacemaker's last tie-break) */
    char *config;    /* instance attribute: domain XML path, may be NULL */
    VmhaMigrationMethod migration_method; /* instance attribute; DEFAULT = quick */
    int priority;
    bool target_stopped; /* target-role=Stopped */
    bool managed;        /* is-managed (default true), false also for meta maintenance=true */
    bool critical;       /* meta critical (default true): default influence of its colocations */
    int stickiness;      /* resolved: own meta attribute, else rsc_defaults, else 0 */
    int migration_threshold; /* resolved; INFINITY by default; 0 also means never ban */
    int64_t failure_timeout; /* seconds; 0 = failures never expire */
    bool allow_migrate;
    char *failback;        /* vmha-failback, NULL = default */
    char *shutdown_policy; /* vmha-shutdown-policy, NULL = default */
    /* vmha-move-method, set with a move request (`vmctl vm move --method`): the VM migrates by
     * this method even when allow-migrate is off; DEFAULT when none */
    VmhaMigrationMethod move_method;
    /* vmha-drain-fallback=stop: when its migration off a draining node fails, the VM is stopped
     * and started elsewhere (its memory is lost) instead of kept where it runs */
    bool drain_fallback_stop;
    int64_t memory;          /* needs, MiB; 0 when not given */
    int64_t cpu;             /* needs, vCPUs; 0 when not given */
    VmhaLocation *locations; /* rsc_location constraints, document order */
    size_t n_locations;
    VmhaRscState *state; /* [n_nodes]: what the status section says per node */
    /* The operation in flight (recorded pending: op-status -1): "start", "stop", "migrate_to",
     * "migrate_from"; NULL when none. pending_node is its node, else -1. */
    char *pending_op;
    ssize_t pending_node;
    VmhaFailure *failures;
    size_t n_failures;
    VmhaExpiry *expiries;
    size_t n_expiries;
    /* [n_nodes]: when (last-rc-change) a migrate_to from that node failed with the agent done,
     * which leaves the VM running there; 0 = none since it last started, stopped or arrived
     * there. The engine does not migrate it from there again (docs/ARCHITECTURE.md). */
    int64_t *migrate_failed_at;
    VmhaOpFailure last_failure;
} VmhaVm;

/* rsc_colocation between two VMs: `rsc` with `with_rsc` (Pacemaker's dependent and primary):
 * the primary is placed first, the dependent follows it (positive score) or avoids it
 * (negative). INFINITY: only where the primary runs, and not at all when it cannot run;
 * -INFINITY: never on the same node. Other scores are preferences. */
typedef struct {
    char *id;
    size_t rsc;
    size_t with_rsc;
    int score;
    bool influence; /* the dependent's preferences pull the primary (Pacemaker's influence) */
} VmhaColocation;

typedef struct {
    char *name;
    char *agent;        /* fence_xvm, fence_ipmilan, ... */
    size_t position;    /* among all primitives, document order */
    char **hosts;       /* pcmk_host_list split; NULL = can fence any node */
    int priority;       /* placed like a resource by Pacemaker; vmha mirrors that for tie-breaks */
    ssize_t running_on; /* node index or -1 */
} VmhaFenceDevice;

/* A primitive of another agent (not ocf:vmha:vm, not stonith). vmha never plans it, but
 * Pacemaker places it, and it takes part in Pacemaker's count-based tie-breaks. */
typedef struct {
    char *name;
    char *agent; /* class[:provider]:type */
    size_t position;
    int priority;
    bool target_stopped;
    ssize_t running_on;
} VmhaForeign;

typedef struct {
    /* crm_config */
    bool stonith_enabled;
    bool symmetric_cluster;
    VmhaNoQuorumPolicy no_quorum_policy;
    VmhaPlacementStrategy placement_strategy;
    int migration_limit;
    int64_t self_fence_timeout;     /* vmha-self-fence-timeout, seconds */
    int64_t fence_watchdog_timeout; /* vmha-fence-watchdog-timeout, seconds */
    const char *shutdown_policy; /* vmha-shutdown-policy: "migrate" (default), "stop", "freeze" */
    /* Quick migration throughput measured on this cluster (vmha-save-mib-per-s,
     * vmha-restore-mib-per-s); 0 = not measured yet */
    double save_mib_per_s, restore_mib_per_s;
    /* <cib have-quorum=...>; true when absent */
    bool have_quorum;
    /* maintenance-mode=true: nothing is started, stopped, moved or fenced (Pacemaker's
     * maintenance-mode, Proxmox's disarmed HA) */
    bool maintenance_mode;
    bool stop_all; /* stop-all-resources=true */

    VmhaNode *nodes;
    size_t n_nodes;
    VmhaVm *vms;
    size_t n_vms;
    VmhaColocation *colocations;
    size_t n_colocations;
    VmhaFenceDevice *fence_devices;
    size_t n_fence_devices;
    VmhaForeign *foreign; /* primitives of other agents: never planned, see VmhaForeign */
    size_t n_foreign;
    size_t n_foreign_collections; /* groups, clones, bundles: ignored entirely */

    GHashTable *node_index; /* name -> index + 1 */
    GHashTable *vm_index;   /* name -> index + 1 */

    /* Values read differently from how they are written, as Pacemaker reads them ("priority
     * '2.0' read as 2"): one line each, naming the element. Never a reason to refuse. */
    GPtrArray *warnings;
} VmhaModel;

/* Parses a whole CIB document from memory. On failure returns -1, sets *error naming the element,
 * and leaves *ret_model untouched. */
int vmha_model_parse(const char *xml, size_t len, VmhaModel **ret_model,
                     GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* Same from a tree the caller owns (the <cib> element, e.g. from cib->cmds->query). */
int vmha_model_from_xml(xmlNode *cib, VmhaModel **ret_model,
                        GError **error) G_GNUC_WARN_UNUSED_RESULT;

void vmha_model_free(VmhaModel *model);

/* Index of a node/VM by name, or -1. */
ssize_t vmha_model_find_node(const VmhaModel *model, const char *name);
ssize_t vmha_model_find_vm(const VmhaModel *model, const char *name);

/* Events for simulation and for clusterd's membership: */
/* The node dropped out as a power cut would: LOST since `now`, not fenced. */
void vmha_model_fail_node(VmhaModel *model, size_t node, int64_t now);
/* The node was fenced (or left cleanly): OFFLINE, nothing of ours runs there any more. */
void vmha_model_node_down(VmhaModel *model, size_t node);
void vmha_model_set_drain(VmhaModel *model, size_t node, bool drain);

/* A VM's shutdown policy: its own, else the cluster's, else "migrate". */
const char *vmha_vm_shutdown_policy(const VmhaModel *model, const VmhaVm *vm);

/* Whether a fence device can fence this node. */
bool vmha_model_node_has_fence_device(const VmhaModel *model, size_t node);

/* Pacemaker's score arithmetic: saturating, -INFINITY wins over INFINITY. */
int vmha_score_add(int a, int b);
/* A constraint score as the CIB schema allows it: "INFINITY", "+INFINITY", "-INFINITY" or an
 * integer (clamped to +-INFINITY). Returns -1 for anything else, which Pacemaker refuses too.
 * Scores in attribute values (priority, stickiness) are read leniently instead (pcmknum.h). */
int vmha_score_parse(const char *s, int *ret_score) G_GNUC_WARN_UNUSED_RESULT;

/* The state of vm on node at `now`: the status section's, or what it becomes once failures
 * have expired (VmhaExpiry). */
VmhaRscState vmha_vm_state(const VmhaVm *vm, size_t node, int64_t now);

const char *vmha_placement_strategy_to_string(VmhaPlacementStrategy s);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmhaModel, vmha_model_free)
