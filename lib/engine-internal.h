/* The policy engine's insides, shared by its modules (not part of libvmha's API: engine.h is).
 *
 * One plan (engine.c) goes through these steps, each in its own file:
 *   engine-weights.c  each VM's starting node weights (locations, stickiness, failures), capacity
 *                     accounting, and colocation scores folded into weights (Pacemaker's
 *                     pcmk__add_colocated_node_scores and friends);
 *   engine-order.c    the allocation order: priority, then the merged weights, then position;
 *   engine-assign.c   placing one VM (pcmk__primitive_assign: primaries first, capacity, the
 *                     best node), and the keep-running pre-placement;
 *   engine-repair.c   the repair pass: runs VMs the greedy order left stopped;
 *   engine-reasons.c  why a VM does not run, or is kept on a draining node;
 *   engine-actions.c  the actions that take the cluster from where VMs run to the plan.
 * Everything is pure: no I/O, no clock (engine.h). The small helpers below are inline because
 * the placement loops call them per VM and node. */
#pragma once

#include <limits.h>
#include <string.h>

#include "engine.h"

#define INF         VMHA_SCORE_INFINITY
#define NOT_ALLOWED INT_MIN /* node absent from a VM's allowed nodes (asymmetric cluster) */

typedef enum {
    ITEM_NORMAL,  /* placed by the engine */
    ITEM_STOPPED, /* target-role Stopped, no quorum, stop-all-resources: placed nowhere */
    ITEM_PINNED,  /* left exactly as it is (unmanaged, maintenance, freeze, failed stop) */
    ITEM_WAITING, /* on a node not fenced yet: placed as it will be after the fence (room held),
                   * but no action until then */
} ItemKind;

/* Something to place: a VM, or a fence device or another agent's primitive (Pacemaker places
 * those like resources, so they take part in its count-based tie-breaks; vmha mirrors that
 * and reports nothing for them). */
typedef struct {
    ssize_t vm; /* index, or -1 for a fence device / foreign primitive */
    size_t other;
    ItemKind kind;
    bool stopped_role; /* a waiting VM that will stay stopped */
    int priority;
    size_t position;
    ssize_t current; /* the node it runs on (first of several), -1; waiting VMs: -1 */
    bool running;    /* active somewhere (Pacemaker's running_on), as after pending fences */
    int *w;          /* [n] node weights (Pacemaker's allowed_nodes), NOT_ALLOWED when absent */
    int *base;       /* [n] weights before colocations and capacity */
    int *merged;     /* [n] weights with colocations folded in, for the allocation order */
    ssize_t node;    /* where it is placed, -1 */
    bool placed;     /* assignment done (Pacemaker: no longer provisional) */
    bool allocating; /* in assignment: a colocation loop stops here */
    bool merging;    /* in a colocated-score merge: a loop stops here */
    size_t rank;     /* of its merged weights in the allocation order (rank_weights()) */
    /* The node a VM whose migration from there failed stays on, whatever the preferences, bans
     * or move requests say (its own fail count included); only room for a VM of higher priority,
     * or anti-affinity with one, moves it, by stop and start. Node choice only: the order in
     * which VMs are placed stays Pacemaker's. (A draining node holds such VMs before placement.)
     * -1: none. */
    ssize_t hold;
} Item;

typedef struct {
    const VmhaModel *m;
    int64_t now;
    size_t n;                     /* nodes */
    const ssize_t *assume;        /* [n_vms] or NULL: see engine_new() */
    bool *can_host;               /* [n]: online, not standby/drain/maintenance/being fenced */
    bool *self_fenced;            /* [n]: lost, its self-fence provably done */
    int *weights;                 /* the items' weight arrays, one block */
    bool *fencing;                /* [n]: lost (or failed a stop) and not fenced yet */
    int64_t *free_mem, *free_cpu; /* remaining capacity; -1 = not configured */
    int *count;                   /* resources assigned so far (Pacemaker's num_resources) */
    size_t *node_order;           /* nodes sorted once, for the allocation order */
    Item *items;
    size_t n_items;
    size_t *order;        /* item indexes in allocation order */
    ssize_t *item_of_vm;  /* [n_vms] -> item index */
    char **reasons;       /* [n_vms] */
    char **fixed_reasons; /* [n_vms]: reasons known before placement (waiting, stopped, ...) */
    /* A VM's colocations, Pacemaker's sorted lists: this_with (it is the dependent, by the
     * primary's priority then name) and with_this (it is the primary, by the dependent's). */
    size_t *tw_start, *tw; /* tw[tw_start[v]..tw_start[v+1]) */
    size_t *wt_start, *wt;
    GArray *actions;
} Engine;

static inline VmhaRscState state_of(const Engine *e, const VmhaVm *vm, size_t node)
{
    if (e->assume)
        return e->assume[vm - e->m->vms] == (ssize_t)node ? VMHA_RSC_ACTIVE : VMHA_RSC_INACTIVE;
    return vmha_vm_state(vm, node, e->now);
}

static inline bool vm_active_on(const Engine *e, const VmhaVm *vm, size_t node)
{
    VmhaRscState s = state_of(e, vm, node);
    return s == VMHA_RSC_ACTIVE || s == VMHA_RSC_FAILED || s == VMHA_RSC_STOP_FAILED;
}

static inline bool allowed(const int *w, size_t n)
{
    return w[n] != NOT_ALLOWED;
}

/* Pacemaker's resource_location(): a node absent from the table joins it. */
static inline void add_weight(int *w, size_t n, int score)
{
    w[n] = vmha_score_add(w[n] == NOT_ALLOWED ? 0 : w[n], score);
}

/* pcmk__node_available(node, consider_score, ...) for a node of an allowed-node table. */
static inline bool available(const Engine *e, const int *w, size_t n, bool consider_score)
{
    return allowed(w, n) && e->can_host[n] && (!consider_score || w[n] >= 0);
}

static inline bool any_available(const Engine *e, const int *w)
{
    for (size_t n = 0; n < e->n; n++)
        if (available(e, w, n, true))
            return true;
    return false;
}

static inline int64_t need(const VmhaVm *vm, int attr)
{
    return attr == 0 ? vm->memory : vm->cpu;
}

static inline int64_t remaining(const Engine *e, size_t node, int attr)
{
    int64_t v = attr == 0 ? e->free_mem[node] : e->free_cpu[node];
    return v < 0 ? 0 : v;
}

static inline bool uses_capacity(const Engine *e)
{
    return e->m->placement_strategy != VMHA_STRATEGY_DEFAULT;
}

static inline bool fits_amount(const Engine *e, size_t node, int64_t mem, int64_t cpu)
{
    return (mem <= 0 || remaining(e, node, 0) >= mem) && (cpu <= 0 || remaining(e, node, 1) >= cpu);
}

static inline bool fits(const Engine *e, const VmhaVm *vm, size_t node)
{
    return !uses_capacity(e) || !vm || fits_amount(e, node, vm->memory, vm->cpu);
}

/* Pacemaker's pcmk__compare_node_capacities(): one vote per utilization attribute, for the
 * node with more remaining. Negative: a is better. */
static inline int compare_capacity(const Engine *e, size_t a, size_t b)
{
    const VmhaNode *na = &e->m->nodes[a], *nb = &e->m->nodes[b];
    int r = 0;
    if (na->memory >= 0 || nb->memory >= 0) {
        int64_t x = remaining(e, a, 0), y = remaining(e, b, 0);
        r += (x < y) - (x > y);
    }
    if (na->cpu >= 0 || nb->cpu >= 0) {
        int64_t x = remaining(e, a, 1), y = remaining(e, b, 1);
        r += (x < y) - (x > y);
    }
    return r;
}

static inline const VmhaColocation *coloc(const Engine *e, size_t k)
{
    return &e->m->colocations[k];
}

static inline Item *item_of(const Engine *e, size_t vm)
{
    return &e->items[e->item_of_vm[vm]];
}

/* Which of a VM's colocations a walk visits: those where it is the dependent (`rsc`), those
 * where it is the primary (`with-rsc`), or both, the dependent's first. */
typedef enum {
    COLOC_AS_DEPENDENT = 1,
    COLOC_AS_PRIMARY = 2,
    COLOC_EITHER = COLOC_AS_DEPENDENT | COLOC_AS_PRIMARY,
} ColocSides;

/* for (ColocWalk w = coloc_walk(e, v, sides); coloc_walk_next(&w);) visits w.c, with w.other
 * the VM at its other end and w.as_primary the side v is on. */
typedef struct {
    const Engine *e;
    size_t v, k, end;
    bool as_primary;
    bool primary_next; /* the primary side follows the dependent's */
    const VmhaColocation *c;
    Item *other;
} ColocWalk;

static inline ColocWalk coloc_walk(const Engine *e, size_t v, ColocSides sides)
{
    bool dependent = sides & COLOC_AS_DEPENDENT;
    const size_t *start = dependent ? e->tw_start : e->wt_start;
    return (ColocWalk){.e = e,
                       .v = v,
                       .k = start[v],
                       .end = start[v + 1],
                       .as_primary = !dependent,
                       .primary_next = dependent && (sides & COLOC_AS_PRIMARY)};
}

static inline bool coloc_walk_next(ColocWalk *w)
{
    if (w->k == w->end) {
        if (!w->primary_next)
            return false;
        w->primary_next = false;
        w->as_primary = true;
        w->k = w->e->wt_start[w->v];
        w->end = w->e->wt_start[w->v + 1];
        if (w->k == w->end)
            return false;
    }
    w->c = coloc(w->e, (w->as_primary ? w->e->wt : w->e->tw)[w->k++]);
    w->other = item_of(w->e, w->as_primary ? w->c->rsc : w->c->with_rsc);
    return true;
}

/* Whether the dependent's preferences pull the primary (pcmk__colocation_has_influence). */
static inline bool has_influence(const Engine *e, const VmhaColocation *c)
{
    return c->influence || !item_of(e, c->with_rsc)->running;
}

static inline int weight_in(const int *w, ssize_t n)
{
    return n < 0 || w[n] == NOT_ALLOWED ? -INF : w[n];
}

static inline bool repairable_kind(const Item *it)
{
    return it->vm >= 0 && (it->kind == ITEM_NORMAL || it->kind == ITEM_WAITING) &&
           !it->stopped_role;
}

/* Kept on a draining node because nothing had room: it should leave when it can. */
static inline bool kept_on_drain(const Engine *e, const Item *it)
{
    return it->node >= 0 && !e->can_host[it->node];
}

/* Where a VM may run whatever else runs: the node takes VMs, no ban, no failure limit, a
 * non-negative score of its own (soft colocations yield). */
static inline bool hard_ok(const Engine *e, const Item *it, size_t n)
{
    return e->can_host[n] && allowed(it->base, n) && it->base[n] >= 0;
}

/* The VM's fail count on node at e->now: 0 once failure-timeout has expired it. */
static inline int failcount(const Engine *e, const VmhaVm *vm, size_t node)
{
    for (size_t i = 0; i < vm->n_failures; i++) {
        const VmhaFailure *f = &vm->failures[i];
        if (f->node != node || f->count <= 0)
            continue;
        /* Pacemaker: expired once now is past last-failure + failure-timeout. */
        if (vm->failure_timeout > 0 && f->last_failure > 0 &&
            e->now > f->last_failure + vm->failure_timeout)
            return 0;
        return f->count;
    }
    return 0;
}

/* Its failures there reached migration-threshold: the node is -INFINITY for it. */
static inline bool banned_by_failures(const Engine *e, const VmhaVm *vm, size_t node)
{
    int fc = failcount(e, vm, node);
    return vm->migration_threshold > 0 && fc > 0 && fc >= vm->migration_threshold;
}

/* Folding a colocated VM's scores into weights (engine_add_colocated's flags). */
enum { SELECT_THIS_WITH = 1, SELECT_ACTIVE = 2 };

/* engine-weights.c */
bool engine_migration_failed(const Engine *e, const VmhaVm *vm, size_t node);
void engine_item_weights(Engine *e, Item *it);
void engine_consume(Engine *e, const VmhaVm *vm, size_t node);
void engine_release(Engine *e, const VmhaVm *vm, size_t node);
void engine_apply_coloc(Engine *e, Item *dep, const Item *prim, const VmhaColocation *c);
void engine_add_colocated(Engine *e, Item *other, int **nodes, float factor, int flags);

/* engine-order.c: sorts e->node_order, and e->order (the items in allocation order). */
void engine_allocation_order(Engine *e);

/* engine-assign.c */
int engine_compare_nodes(const Engine *e, const int *w, ssize_t current, size_t a, size_t b);
void engine_place(Engine *e, Item *it, ssize_t node);
ssize_t engine_assign(Engine *e, Item *it);
void engine_keep_running(Engine *e);

/* engine-reasons.c */
char *engine_migration_failed_reason(const VmhaModel *m, const VmhaVm *vm, size_t node);
char *engine_reason_for(const Engine *e, const Item *it);
void engine_set_reason(Engine *e, Item *it);

/* engine-repair.c */
void engine_repair_all(Engine *e);

/* engine-actions.c: appends to e->actions; engine_plan_actions also sorts them. */
void engine_add_action(Engine *e, VmhaActionType type, ssize_t vm, ssize_t node, ssize_t to,
                       VmhaMigrationMethod method);
void engine_plan_actions(Engine *e, const bool *self_fenced);
