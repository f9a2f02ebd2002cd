/* The policy engine: where every VM should run, and the actions that get it there.
 *
 * vmha_engine_plan() is a pure function of its inputs: the model (configuration + membership +
 * quorum + drain/standby marks + where VMs run + failures, see model.h) and `now`. It reads no
 * clock, no file, no randomness; the same input gives a byte-identical plan on every node.
 * Semantics follow Pacemaker's scheduler for the same CIB vocabulary; where vmha differs on
 * purpose it is written in docs/ARCHITECTURE.md, section "Policy engine", with the tie-break rules.
 * Cost: O(VMs x nodes) plus sorting.
 */
#pragma once

#include "model.h"

typedef enum {
    VMHA_ACTION_FENCE,
    VMHA_ACTION_STOP,
    VMHA_ACTION_MIGRATE,
    VMHA_ACTION_START,
} VmhaActionType;

typedef struct {
    VmhaActionType type;
    ssize_t vm;                 /* -1 for fence */
    ssize_t node;               /* fence, stop, start: the node; migrate: the source */
    ssize_t to;                 /* migrate: the target; else -1 */
    VmhaMigrationMethod method; /* migrate: never DEFAULT; else DEFAULT */
} VmhaAction;

typedef struct {
    size_t n_vms;
    ssize_t *placement; /* [n_vms]: node index the VM runs on after the plan, -1 = stopped */
    /* [n_vms]: for a VM waiting on a fence, the node whose room is held for it (where the plan
     * after the fence will start it), else -1 */
    ssize_t *held;
    char **reasons; /* [n_vms]: why a VM is stopped, or kept on a draining node; else NULL */
    VmhaAction *actions;
    size_t n_actions;
    /* The actions by VM, so that a caller asking about each VM (`vmctl status`) does not scan
     * every action for each: VM v's are actions[vm_actions[i]] for i from vm_action_start[v] to
     * vm_action_start[v + 1] - 1, in plan order. Both NULL in a plan not made by
     * vmha_engine_plan (a test's); vmha_plan_next_vm_action() then scans. */
    size_t *vm_action_start; /* [n_vms + 1] */
    size_t *vm_actions;      /* [n_actions] */
} VmhaPlan;

/* Plans; returns 0. Actions are ordered: fences (node order), stops (lowest priority first),
 * migrations and starts (highest priority first); ties by VM name. */
int vmha_engine_plan(const VmhaModel *model, int64_t now, VmhaPlan **ret_plan);

void vmha_plan_free(VmhaPlan *plan);

/* Whether a plan of this model may change with `now` alone: a node lost (its self-fence
 * deadline), a failback window, a failed migration's hold that expires (failure-timeout). When
 * not, the same model always gives the same plan, and the leader need not replan on its tick. */
bool vmha_engine_reads_clock(const VmhaModel *model);

/* VM vm's next action in plan order, or NULL after its last: *cursor starts at 0 and is the
 * caller's to keep between calls. O(1) a call with the plan's index. */
const VmhaAction *vmha_plan_next_vm_action(const VmhaPlan *plan, size_t vm, size_t *cursor);

const char *vmha_action_type_to_string(VmhaActionType type);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmhaPlan, vmha_plan_free)
