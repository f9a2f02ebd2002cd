/* What `vmctl status` shows for each node and VM, derived from the live model (lib/model.h) and
 * the policy engine's plan for it. Pure: no clock (the caller passes the plan made for `now`),
 * no I/O. */
#pragma once

#include <glib.h>
#include <stdint.h>

#include "engine.h"
#include "model.h"

/* The fencing record of a node: its transient attributes vmha-fence-* (docs/CIB.md). */
typedef struct {
    int64_t requested;      /* vmha-fence-requested: seconds since the epoch, 0 = none */
    int64_t fenced;         /* vmha-fenced: last successful fence, 0 = never */
    int64_t failures;       /* vmha-fence-failures: consecutive failed attempts */
    int64_t last_attempt;   /* vmha-fence-last-attempt */
    const char *last_error; /* vmha-fence-last-error, NULL = none */
} VmhaNodeFence;

/* "online", "maintenance", "standby", "draining", "offline", "unclean" (lost, not fenced yet),
 * "fencing" (lost or asked to be fenced, with a request or failed attempts on record) or "fenced"
 * (offline after a fence). */
const char *vmha_show_node_state(const VmhaNode *node, const VmhaNodeFence *fence);

/* The same for node index `node` of model, where a draining node that holds no VM any more (none
 * runs or may run there, none has an operation in flight there) is "drained". */
const char *vmha_show_model_node_state(const VmhaModel *model, size_t node,
                                       const VmhaNodeFence *fence);

/* What a node carries: the VMs there and the utilization they ask for (their `memory` and
 * `cpu`), against the node's own (its capacity). A VM counts on every node where it runs or may
 * run (active, failed, a stop that failed) and where an operation of it is in flight, the VMs a
 * draining node must lose before it is "drained": a VM whose migrate_from runs on its target
 * counts on both nodes, as it holds memory on both until it has landed. */
typedef struct {
    size_t vms;
    int64_t memory_used; /* MiB */
    int64_t memory;      /* capacity, MiB; -1 when the node has none configured */
    int64_t cpu_used;    /* vCPUs */
    int64_t cpu;         /* capacity, cores; -1 when not configured */
} VmhaNodeLoad;

/* The load of node index `node` of model. */
void vmha_show_node_load(const VmhaModel *model, size_t node, VmhaNodeLoad *ret);

typedef enum {
    VMHA_SHOW_RUNNING,
    VMHA_SHOW_STARTING,
    VMHA_SHOW_STOPPING,
    VMHA_SHOW_MIGRATING,
    VMHA_SHOW_STOPPED,
    VMHA_SHOW_RECOVERING,
    VMHA_SHOW_FAILED,
} VmhaShowVmState;

typedef struct {
    VmhaShowVmState state;
    char **nodes; /* where it runs or may run (active, failed, in flight), model order */
    char *why;    /* one line, or NULL: the engine's reason, or what the plan will do */
} VmhaShowVm;

/* An operation in flight: the status section's pending record (op-status -1), as the leader's
 * ACTIONS write records it. */
typedef struct {
    const char *op; /* "start", "stop", "migrate_to", "migrate_from" */
    ssize_t node;   /* where it runs, index into model->nodes */
} VmhaShowPending;

/* Describes VM vm of model as plan (vmha_engine_plan of the same model) sees it, with its
 * operation in flight (NULL: none). Fills *ret; release with vmha_show_vm_clear. */
void vmha_show_vm(const VmhaModel *model, const VmhaPlan *plan, size_t vm,
                  const VmhaShowPending *pending, VmhaShowVm *ret);
void vmha_show_vm_clear(VmhaShowVm *v);

const char *vmha_show_vm_state_to_string(VmhaShowVmState state);
