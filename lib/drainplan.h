/* What draining a node would do, before anything moves (`vmctl node drain` checks it up front and
 * prints it with --dry-run). Pure: the engine's plan for the model with the node marked draining,
 * read per VM, plus the capacity left afterwards. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "model.h"

/* Throughput assumed before any quick migration was measured on this cluster (stated as such). */
#define VMHA_DEFAULT_SAVE_MIB_PER_S    200.0
#define VMHA_DEFAULT_RESTORE_MIB_PER_S 400.0

typedef struct {
    const char *vm; /* the model's name */
    int priority;
    int64_t memory;             /* MiB, 0 when not given */
    const char *target;         /* node it goes to; NULL when no node can take it */
    VmhaMigrationMethod method; /* DEFAULT without a target */
    double pause_s; /* predicted pause: quick = memory/save + memory/restore; live 0; cold -1 */
    char *why;      /* without a target: the engine's reason */
} VmhaDrainMove;

typedef struct {
    VmhaDrainMove *moves; /* the VMs running on the node, in the order the engine moves them */
    size_t n_moves;
    size_t n_stuck; /* moves without a target */
    bool measured;  /* the rates below come from this cluster's migrations */
    double save_mib_per_s, restore_mib_per_s;
    /* Afterwards: [n_nodes] free memory (MiB) per node, -1 = no capacity configured */
    int64_t *free_after;
    /* The remaining node with the most VM memory on it afterwards (-1: none) and whether the
     * others' free memory could take all of it: 1 yes, 0 no, -1 unknown (no capacities). */
    ssize_t biggest;
    int absorbs_biggest;
} VmhaDrainPlan;

/* Plans draining `node` (by `method`, DEFAULT = each VM's own) at `now`. The model is used as it is
 * (the node need not be marked draining yet) and left unchanged. Returns 0, -1 for a bad node. */
int vmha_drain_plan(VmhaModel *model, size_t node, VmhaMigrationMethod method, int64_t now,
                    VmhaDrainPlan **ret_plan);

void vmha_drain_plan_free(VmhaDrainPlan *plan);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmhaDrainPlan, vmha_drain_plan_free)

/* Where VM vm would go if asked to leave the node it runs on (`vmctl vm move`): to `to` when not
 * -1. Sets *ret_target (node index) and, when it could not go there, *ret_why (g_free) and
 * returns -1; returns 0 when the engine places it there. The model is left unchanged. */
int vmha_move_check(VmhaModel *model, size_t vm, ssize_t from, ssize_t to,
                    VmhaMigrationMethod method, int64_t now, ssize_t *ret_target, char **ret_why);
