/* The policy engine. See engine.h, and docs/ARCHITECTURE.md "Policy engine" for the rules.
 *
 * Placement mirrors Pacemaker 2.1's scheduler for primitives (pcmk__primitive_assign and what it
 * calls): node weights from locations, stickiness and failures; the allocation order (priority,
 * and for the utilization strategies the weights with colocations folded in); each VM places
 * the primaries it is colocated with first, takes their scores, folds in the preferences of
 * the VMs colocated with it, checks capacity for itself and what must come along, and takes
 * the best node. Then vmha's own steps: room held for VMs waiting on a fence, VMs kept on a
 * draining node, and a repair pass that runs VMs the greedy order left stopped although a
 * valid placement exists (engine.h). */
#include "engine.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INF         VMHA_SCORE_INFINITY
#define NOT_ALLOWED INT_MIN /* node absent from a VM's allowed nodes (asymmetric cluster) */

/* Why a node could not take a VM; the most telling one becomes the VM's reason. */
typedef enum {
    WHY_NONE = 0,
    WHY_UNAVAILABLE,
    WHY_SOFT,
    WHY_BANNED,
    WHY_FAILED,
    WHY_TOGETHER,
    WHY_ANTI_AFFINITY,
    WHY_CAPACITY,
    WHY_MAX,
} Why;

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

/* ---- small helpers ---- */

static VmhaRscState state_of(const Engine *e, const VmhaVm *vm, size_t node)
{
    if (e->assume)
        return e->assume[vm - e->m->vms] == (ssize_t)node ? VMHA_RSC_ACTIVE : VMHA_RSC_INACTIVE;
    return vmha_vm_state(vm, node, e->now);
}

static bool vm_active_on(const Engine *e, const VmhaVm *vm, size_t node)
{
    VmhaRscState s = state_of(e, vm, node);
    return s == VMHA_RSC_ACTIVE || s == VMHA_RSC_FAILED || s == VMHA_RSC_STOP_FAILED;
}

static int failcount(const Engine *e, const VmhaVm *vm, size_t node)
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

static bool banned_by_failures(const Engine *e, const VmhaVm *vm, size_t node)
{
    int fc = failcount(e, vm, node);
    return vm->migration_threshold > 0 && fc > 0 && fc >= vm->migration_threshold;
}

/* Whether a migration of the VM off this node failed and left it running there (the agent gives
 * up a quick or live migration before its timeout and keeps the VM running), and that failure has
 * not expired (failure-timeout). Such a VM is not migrated from there again until a cleanup. */
static bool migration_failed(const Engine *e, const VmhaVm *vm, size_t node)
{
    int64_t at = vm->migrate_failed_at[node];

    if (at <= 0)
        return false;
    return !(vm->failure_timeout > 0 && e->now >= at + vm->failure_timeout);
}

/* Whether a VM whose migration off this draining node failed may leave it anyway by stop and
 * start (memory lost): a drain with --force, or the VM's vmha-drain-fallback=stop. */
static bool may_cold_move(const VmhaModel *m, const VmhaVm *vm, size_t node)
{
    const VmhaNode *n = &m->nodes[node];
    return n->drain && (n->drain_force || vm->drain_fallback_stop);
}

static char *migration_failed_reason(const VmhaModel *m, const VmhaVm *vm, size_t node)
{
    const VmhaOpFailure *f = &vm->last_failure;
    const char *where = m->nodes[node].drain ? "kept on draining node" : "kept on";
    g_autofree char *detail =
            f->node == (ssize_t)node && g_strcmp0(f->op, "migrate_to") == 0
                    ? (f->exit_reason ? g_strdup(f->exit_reason) : g_strdup_printf("rc %d", f->rc))
                    : NULL;

    return g_strdup_printf("%s %s: its migration failed%s%s%s; a cleanup lets it try again", where,
                           m->nodes[node].name, detail ? " (" : "", detail ? detail : "",
                           detail ? ")" : "");
}

/* Minutes since midnight UTC of `now` inside "HH:MM-HH:MM" (wrapping past midnight allowed). */
static bool in_window(const char *spec, int64_t now)
{
    unsigned h1, m1, h2, m2;
    if (sscanf(spec, "%u:%u-%u:%u", &h1, &m1, &h2, &m2) != 4 || h1 > 23 || h2 > 23 || m1 > 59 ||
        m2 > 59)
        return false;
    int64_t t = ((now % 86400) + 86400) % 86400 / 60;
    int64_t a = h1 * 60 + m1, b = h2 * 60 + m2;
    return a <= b ? (t >= a && t < b) : (t >= a || t < b);
}

static int effective_stickiness(const Engine *e, const VmhaVm *vm)
{
    if (vm->failback) {
        if (strcmp(vm->failback, "never") == 0)
            return INF;
        if (strcmp(vm->failback, "immediate") == 0)
            return 0;
        return in_window(vm->failback, e->now) ? 0 : INF;
    }
    return vm->stickiness;
}

static bool allowed(const int *w, size_t n)
{
    return w[n] != NOT_ALLOWED;
}

/* Pacemaker's resource_location(): a node absent from the table joins it. */
static void add_weight(int *w, size_t n, int score)
{
    w[n] = vmha_score_add(w[n] == NOT_ALLOWED ? 0 : w[n], score);
}

/* pcmk__node_available(node, consider_score, ...) for a node of an allowed-node table. */
static bool available(const Engine *e, const int *w, size_t n, bool consider_score)
{
    return allowed(w, n) && e->can_host[n] && (!consider_score || w[n] >= 0);
}

static bool any_available(const Engine *e, const int *w)
{
    for (size_t n = 0; n < e->n; n++)
        if (available(e, w, n, true))
            return true;
    return false;
}

/* Pacemaker's starting weights: locations, stickiness on the one node a managed VM runs on,
 * -INFINITY where failures reached migration-threshold (apply_node_criteria). */
static void item_weights(Engine *e, Item *it)
{
    const VmhaModel *m = e->m;
    for (size_t n = 0; n < e->n; n++)
        it->w[n] = m->symmetric_cluster ? 0 : NOT_ALLOWED;
    if (it->vm < 0)
        return;
    const VmhaVm *vm = &m->vms[it->vm];
    for (size_t i = 0; i < vm->n_locations; i++)
        add_weight(it->w, vm->locations[i].node, vm->locations[i].score);
    int stick = effective_stickiness(e, vm);
    size_t running = 0;
    for (size_t n = 0; n < e->n; n++)
        running += vm_active_on(e, vm, n);
    if (stick > 0 && vm->managed && running == 1 && it->current >= 0 &&
        allowed(it->w, (size_t)it->current))
        add_weight(it->w, (size_t)it->current, stick);
    for (size_t n = 0; n < e->n; n++)
        if (banned_by_failures(e, vm, n))
            add_weight(it->w, n, -INF);
    if (running == 1 && it->current >= 0 &&
        state_of(e, vm, (size_t)it->current) == VMHA_RSC_ACTIVE &&
        migration_failed(e, vm, (size_t)it->current))
        it->hold = it->current;
}

/* ---- capacity ---- */

static int64_t need(const VmhaVm *vm, int attr)
{
    return attr == 0 ? vm->memory : vm->cpu;
}

static int64_t remaining(const Engine *e, size_t node, int attr)
{
    int64_t v = attr == 0 ? e->free_mem[node] : e->free_cpu[node];
    return v < 0 ? 0 : v;
}

static bool uses_capacity(const Engine *e)
{
    return e->m->placement_strategy != VMHA_STRATEGY_DEFAULT;
}

static bool fits_amount(const Engine *e, size_t node, int64_t mem, int64_t cpu)
{
    return (mem <= 0 || remaining(e, node, 0) >= mem) && (cpu <= 0 || remaining(e, node, 1) >= cpu);
}

static bool fits(const Engine *e, const VmhaVm *vm, size_t node)
{
    return !uses_capacity(e) || !vm || fits_amount(e, node, vm->memory, vm->cpu);
}

static void consume(Engine *e, const VmhaVm *vm, size_t node)
{
    e->count[node]++;
    if (!vm || !uses_capacity(e))
        return;
    /* A node without a capacity for an attribute (-1) never takes a VM that needs it. */
    if (e->m->nodes[node].memory >= 0)
        e->free_mem[node] -= vm->memory;
    if (e->m->nodes[node].cpu >= 0)
        e->free_cpu[node] -= vm->cpu;
}

static void release(Engine *e, const VmhaVm *vm, size_t node)
{
    e->count[node]--;
    if (!vm || !uses_capacity(e))
        return;
    if (e->m->nodes[node].memory >= 0)
        e->free_mem[node] += vm->memory;
    if (e->m->nodes[node].cpu >= 0)
        e->free_cpu[node] += vm->cpu;
}

/* Pacemaker's pcmk__compare_node_capacities(): one vote per utilization attribute, for the
 * node with more remaining. Negative: a is better. */
static int compare_capacity(const Engine *e, size_t a, size_t b)
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

/* ---- colocations ---- */

static const VmhaColocation *coloc(const Engine *e, size_t k)
{
    return &e->m->colocations[k];
}

static Item *item_of(const Engine *e, size_t vm)
{
    return &e->items[e->item_of_vm[vm]];
}

/* Whether the dependent's preferences pull the primary (pcmk__colocation_has_influence). */
static bool has_influence(const Engine *e, const VmhaColocation *c)
{
    return c->influence || !item_of(e, c->with_rsc)->running;
}

/* pcmk__apply_coloc_to_weights(): the dependent follows (or avoids) where the primary went. */
static void apply_coloc_to_weights(Engine *e, Item *dep, const Item *prim, const VmhaColocation *c)
{
    if (prim->node < 0 && c->score < 0)
        return; /* anti-colocation with something that does not run */
    g_autofree int *work = g_memdup2(dep->w, sizeof(int) * e->n);
    for (size_t n = 0; n < e->n; n++) {
        if (!allowed(work, n))
            continue;
        if (prim->node < 0)
            work[n] = vmha_score_add(-c->score, work[n]);
        else if ((ssize_t)n == prim->node) {
            if (c->score < INF)
                work[n] = vmha_score_add(c->score, work[n]);
        } else if (c->score >= INF) {
            work[n] = vmha_score_add(-c->score, work[n]);
        }
    }
    if (c->score <= -INF || c->score >= INF || any_available(e, work))
        memcpy(dep->w, work, sizeof(int) * e->n);
}

/* best_node_score_matching_attr() by node name: other's weight on n if it may run there. */
static int best_score_on(const Engine *e, const Item *other, size_t n)
{
    if (!available(e, other->w, n, false) || other->w[n] <= -INF)
        return -INF;
    return other->w[n];
}

/* add_node_scores_matching_attr(): other's scores, times factor, into work. Pacemaker computes
 * in single precision and rounds half away from zero; a non-zero score never rounds to 0. */
static void add_scores_matching(const Engine *e, int *work, const Item *other, float factor)
{
    for (size_t n = 0; n < e->n; n++) {
        if (!allowed(work, n))
            continue;
        int score = best_score_on(e, other, n);
        if (factor < 0 && score < 0)
            continue; /* a double negative does not become a preference */
        float weight_f = factor * score;
        int weight = (int)((weight_f < 0) ? (weight_f - 0.5) : (weight_f + 0.5));
        if (weight == 0 && score != 0)
            weight = factor > 0.0f ? 1 : factor < 0.0f ? -1 : 0;
        work[n] = vmha_score_add(weight, work[n]);
    }
}

enum { SELECT_THIS_WITH = 1, SELECT_ACTIVE = 2 };

/* pcmk__add_colocated_node_scores(): folds `other`'s scores (times factor) into *nodes, then
 * follows other's own colocations (its primaries for SELECT_THIS_WITH, else the VMs colocated
 * with it), each at its own score. With SELECT_ACTIVE, a merge that leaves no node available is
 * rolled back. *nodes NULL: start from other's own weights (the allocation order). */
static void add_colocated(Engine *e, Item *other, int **nodes, float factor, int flags)
{
    if (other->merging)
        return;
    other->merging = true;
    int *work;
    if (!*nodes) {
        work = g_memdup2(other->w, sizeof(int) * e->n);
    } else {
        work = g_memdup2(*nodes, sizeof(int) * e->n);
        add_scores_matching(e, work, other, factor);
    }
    if (any_available(e, work)) {
        float multiplier = (factor < 0.0f) ? -1.0f : 1.0f;
        bool this_with = flags & SELECT_THIS_WITH;
        size_t v = (size_t)other->vm;
        const size_t *start = this_with ? e->tw_start : e->wt_start;
        const size_t *list = this_with ? e->tw : e->wt;
        for (size_t k = start[v]; k < start[v + 1]; k++) {
            const VmhaColocation *c = coloc(e, list[k]);
            if (!this_with && !has_influence(e, c))
                continue;
            Item *next = item_of(e, this_with ? c->with_rsc : c->rsc);
            float f = multiplier * c->score / (float)INF;
            add_colocated(e, next, &work, f, flags | SELECT_ACTIVE);
        }
    } else if (flags & SELECT_ACTIVE) {
        g_free(work);
        other->merging = false;
        return;
    }
    g_free(*nodes);
    *nodes = work;
    other->merging = false;
}

/* ---- the allocation order ---- */

static gint cmp_node_order(gconstpointer x, gconstpointer y, gpointer data)
{
    size_t a = *(const size_t *)x, b = *(const size_t *)y;
    const Engine *e = data;
    int sa = e->can_host[a] ? 0 : -INF, sb = e->can_host[b] ? 0 : -INF;
    if (sa != sb)
        return sa > sb ? -1 : 1;
    if (e->m->placement_strategy == VMHA_STRATEGY_BALANCED) {
        int c = compare_capacity(e, a, b);
        if (c != 0)
            return c;
    }
    return strcmp(e->m->nodes[a].name, e->m->nodes[b].name);
}

static int weight_in(const int *w, ssize_t n)
{
    return n < 0 || w[n] == NOT_ALLOWED ? -INF : w[n];
}

/* One item's weights as cmp_resources compares them: on the node it runs on, then node by node
 * in the sorted node order. */
static void weight_key(const Engine *e, const Item *it, int *key)
{
    key[0] = weight_in(it->merged, it->current);
    for (size_t i = 0; i < e->n; i++)
        key[i + 1] = weight_in(it->merged, (ssize_t)e->node_order[i]);
}

typedef struct {
    const int *keys;
    size_t len;
} Keys;

static gint cmp_keys(gconstpointer x, gconstpointer y, gpointer data)
{
    const Keys *k = data;
    const int *a = k->keys + *(const size_t *)x * k->len,
              *b = k->keys + *(const size_t *)y * k->len;
    for (size_t i = 0; i < k->len; i++)
        if (a[i] != b[i])
            return a[i] > b[i] ? -1 : 1;
    return 0;
}

/* Ranks the items' weight vectors, highest first: equal vectors share a rank. Most VMs have
 * one of a few vectors (the same scores on the same nodes), so the vectors are told apart
 * once, by hashing, and the allocation order then compares integers. */
static void rank_weights(Engine *e)
{
    size_t ni = e->n_items, len = e->n + 1;
    g_autofree int *keys = g_new(int, MAX(ni, 1) * len);
    g_autofree size_t *uniq = g_new(size_t, MAX(ni, 1)); /* class -> its first item */
    g_autofree size_t *cls = g_new(size_t, MAX(ni, 1));
    size_t cap = 16;
    while (cap < 2 * ni)
        cap *= 2;
    g_autofree ssize_t *slot = g_new(ssize_t, cap);
    memset(slot, -1, sizeof(ssize_t) * cap);
    size_t nu = 0;
    for (size_t i = 0; i < ni; i++) {
        int *key = keys + i * len;
        weight_key(e, &e->items[i], key);
        guint32 h = 2166136261u;
        for (size_t k = 0; k < len; k++)
            h = (h ^ (guint32)key[k]) * 16777619u;
        for (size_t j = h & (cap - 1);; j = (j + 1) & (cap - 1)) {
            if (slot[j] < 0) {
                slot[j] = (ssize_t)nu;
                uniq[nu] = i;
                cls[i] = nu++;
                break;
            }
            if (memcmp(keys + uniq[slot[j]] * len, key, sizeof(int) * len) == 0) {
                cls[i] = (size_t)slot[j];
                break;
            }
        }
    }
    /* Sort the classes' first items by their vectors; a class's rank is its place. */
    g_autofree size_t *sorted = g_memdup2(uniq, sizeof(size_t) * MAX(nu, 1));
    Keys k = {.keys = keys, .len = len};
    if (nu > 1)
        g_qsort_with_data(sorted, (gint)nu, sizeof(size_t), cmp_keys, &k);
    g_autofree size_t *rank_of = g_new(size_t, MAX(nu, 1));
    for (size_t j = 0; j < nu; j++)
        rank_of[cls[sorted[j]]] = j;
    for (size_t i = 0; i < ni; i++)
        e->items[i].rank = rank_of[cls[i]];
}

/* Pacemaker's order: priority, then (cmp_resources, for every strategy but `default`) the
 * weight on the node it runs on, then the weights node by node in the sorted node order (the
 * rank of those weights, rank_weights()); last, document order. */
static gint cmp_items(gconstpointer x, gconstpointer y, gpointer data)
{
    const Engine *e = data;
    const Item *a = &e->items[*(const size_t *)x], *b = &e->items[*(const size_t *)y];
    if (a->priority != b->priority)
        return a->priority > b->priority ? -1 : 1;
    if (a->rank != b->rank)
        return a->rank < b->rank ? -1 : 1;
    return (a->position > b->position) - (a->position < b->position);
}

/* ---- assignment ---- */

/* pcmk__colocated_resources(): the VMs tied to it by INFINITY colocations, both ways,
 * transitively. */
static void collect_colocated(Engine *e, size_t v, size_t orig, GArray *out)
{
    for (guint i = 0; i < out->len; i++)
        if (g_array_index(out, size_t, i) == v)
            return; /* groups are small: a list beats a table */
    g_array_append_val(out, v);
    for (size_t k = e->tw_start[v]; k < e->tw_start[v + 1]; k++) {
        const VmhaColocation *c = coloc(e, e->tw[k]);
        if (c->with_rsc != orig && c->score >= INF)
            collect_colocated(e, c->with_rsc, orig, out);
    }
    for (size_t k = e->wt_start[v]; k < e->wt_start[v + 1]; k++) {
        const VmhaColocation *c = coloc(e, e->wt[k]);
        if (c->rsc != orig && c->score >= INF)
            collect_colocated(e, c->rsc, orig, out);
    }
}

/* pcmk__ban_insufficient_capacity(): when some node has room for the VM and every VM that must
 * come along and is not placed yet, nodes without that room are banned; otherwise nodes
 * without room for the VM alone. Returns the node with the most free capacity when no node
 * has room for all of them, else -1. */
static ssize_t ban_insufficient_capacity(Engine *e, Item *it)
{
    if (!uses_capacity(e) || it->vm < 0)
        return -1;
    size_t v = (size_t)it->vm;
    const VmhaVm *vm = &e->m->vms[v];
    int64_t mem = MAX(vm->memory, 0), cpu = MAX(vm->cpu, 0);
    if (e->tw_start[v] != e->tw_start[v + 1] || e->wt_start[v] != e->wt_start[v + 1]) {
        g_autoptr(GArray) group = g_array_new(false, false, sizeof(size_t));
        collect_colocated(e, v, v, group);
        mem = cpu = 0;
        for (guint i = 0; i < group->len; i++) {
            size_t g = g_array_index(group, size_t, i);
            if (item_of(e, g)->placed)
                continue;
            mem += MAX(e->m->vms[g].memory, 0);
            cpu += MAX(e->m->vms[g].cpu, 0);
        }
    }
    bool any_capable = false;
    for (size_t n = 0; n < e->n && !any_capable; n++)
        any_capable = available(e, it->w, n, true) && fits_amount(e, n, mem, cpu);
    ssize_t most = -1;
    for (size_t n = 0; n < e->n; n++) {
        if (!available(e, it->w, n, true))
            continue;
        if (!any_capable && (most < 0 || compare_capacity(e, n, (size_t)most) < 0))
            most = (ssize_t)n;
        bool enough =
                any_capable ? fits_amount(e, n, mem, cpu) : fits_amount(e, n, vm->memory, vm->cpu);
        if (!enough)
            add_weight(it->w, n, -INF);
    }
    return any_capable ? -1 : most;
}

/* Pacemaker's compare_nodes(): weight (an unavailable node counts as -INFINITY), for
 * `balanced` the free capacity, then fewer resources placed so far, then the node it runs on,
 * then the name; `minimal` goes from weight straight to the name. Negative: a first. */
static int compare_nodes(const Engine *e, const int *w, ssize_t current, size_t a, size_t b)
{
    int sa = e->can_host[a] ? w[a] : -INF, sb = e->can_host[b] ? w[b] : -INF;
    if (sa != sb)
        return sa > sb ? -1 : 1;
    VmhaPlacementStrategy st = e->m->placement_strategy;
    if (st != VMHA_STRATEGY_MINIMAL) {
        if (st == VMHA_STRATEGY_BALANCED) {
            int c = compare_capacity(e, a, b);
            if (c != 0)
                return c;
        }
        if (e->count[a] != e->count[b])
            return e->count[a] < e->count[b] ? -1 : 1;
        if (current >= 0 && (size_t)current == a)
            return -1;
        if (current >= 0 && (size_t)current == b)
            return 1;
    }
    return strcmp(e->m->nodes[a].name, e->m->nodes[b].name);
}

/* assign_best_node(): the best allowed node, the node it runs on when that is as good, or the
 * node with the most free capacity when nothing has room for all that must come along. */
static ssize_t choose_node(Engine *e, Item *it)
{
    ssize_t most_free = ban_insufficient_capacity(e, it);
    ssize_t best = -1;
    for (size_t n = 0; n < e->n; n++)
        if (allowed(it->w, n) &&
            (best < 0 || compare_nodes(e, it->w, it->current, n, (size_t)best) < 0))
            best = (ssize_t)n;
    if (best < 0)
        return -1;
    ssize_t chosen = -1;
    if (most_free >= 0 && it->w[most_free] >= it->w[best] &&
        available(e, it->w, (size_t)most_free, true))
        chosen = most_free;
    if (chosen < 0) {
        chosen = best;
        ssize_t cur = it->current;
        if (it->w[chosen] > 0 && e->can_host[chosen] && cur >= 0 && e->can_host[cur] &&
            allowed(it->w, (size_t)cur) && it->w[cur] == it->w[chosen])
            chosen = cur;
    }
    if (it->w[chosen] < 0 || !e->can_host[chosen])
        return -1;
    return chosen;
}

static void place(Engine *e, Item *it, ssize_t node)
{
    it->node = node;
    it->placed = true;
    if (node >= 0)
        consume(e, it->vm >= 0 ? &e->m->vms[it->vm] : NULL, (size_t)node);
}

/* A VM on a draining node that has nowhere to go stays where it is: a drain stops nothing
 * unless forced. */
static bool keep_on_drain(Engine *e, const Item *it)
{
    if (it->vm < 0 || it->current < 0)
        return false;
    const VmhaNode *from = &e->m->nodes[it->current];
    if (!from->drain || from->drain_force || from->state != VMHA_NODE_ONLINE || from->standby ||
        e->fencing[it->current] ||
        state_of(e, &e->m->vms[it->vm], (size_t)it->current) != VMHA_RSC_ACTIVE)
        return false;
    /* Not away from what it must run with. */
    size_t v = (size_t)it->vm;
    for (size_t k = e->tw_start[v]; k < e->tw_start[v + 1]; k++) {
        const VmhaColocation *c = coloc(e, e->tw[k]);
        if (c->score >= INF && item_of(e, c->with_rsc)->node != it->current)
            return false;
    }
    return true;
}

static void set_reason(Engine *e, Item *it);

/* pcmk__primitive_assign(). Returns the node, -1 when it runs nowhere or is in a loop. */
static ssize_t assign(Engine *e, Item *it)
{
    if (it->placed)
        return it->node;
    if (it->allocating)
        return -1;
    it->allocating = true;
    /* Before the colocations: anti-affinity with a VM placed first still moves it. */
    if (it->hold >= 0 && it->kind == ITEM_NORMAL)
        it->w[it->hold] = INF;
    if (it->vm >= 0) {
        size_t v = (size_t)it->vm;
        /* "this with": place each primary first, then follow or avoid it */
        for (size_t k = e->tw_start[v]; k < e->tw_start[v + 1]; k++) {
            const VmhaColocation *c = coloc(e, e->tw[k]);
            Item *prim = item_of(e, c->with_rsc);
            g_autofree int *archive = NULL;
            if (c->score < 0 && c->score > -INF)
                archive = g_memdup2(it->w, sizeof(int) * e->n);
            assign(e, prim);
            if (prim->placed)
                apply_coloc_to_weights(e, it, prim, c);
            if (archive && !any_available(e, it->w))
                memcpy(it->w, archive, sizeof(int) * e->n);
        }
        /* "with this": the preferences of the VMs that will follow it */
        for (size_t k = e->wt_start[v]; k < e->wt_start[v + 1]; k++) {
            const VmhaColocation *c = coloc(e, e->wt[k]);
            if (!has_influence(e, c))
                continue;
            float factor = c->score / (float)INF;
            g_autofree int *work = g_memdup2(it->w, sizeof(int) * e->n);
            add_colocated(e, item_of(e, c->rsc), &work, factor, SELECT_ACTIVE);
            memcpy(it->w, work, sizeof(int) * e->n);
        }
    }
    ssize_t node = -1;
    if (it->kind == ITEM_NORMAL || it->kind == ITEM_WAITING) {
        if (!it->stopped_role)
            node = choose_node(e, it);
    }
    if (node < 0 && it->kind == ITEM_NORMAL && keep_on_drain(e, it))
        node = it->current;
    it->allocating = false;
    place(e, it, node);
    if (it->vm >= 0 && it->kind == ITEM_NORMAL)
        set_reason(e, it);
    return node;
}

/* ---- reasons ---- */

static char *describe_capacity(const Engine *e, const VmhaVm *vm, const Why *why)
{
    /* Name the first resource that does not fit on the best remaining node. */
    for (int a = 0; a < 2; a++) {
        if (need(vm, a) <= 0)
            continue;
        int64_t best = -1;
        for (size_t n = 0; n < e->n; n++)
            if (why[n] == WHY_CAPACITY)
                best = MAX(best, remaining(e, n, a));
        if (best >= 0 && best < need(vm, a))
            return a == 0 ? g_strdup_printf("insufficient memory: needs %" PRId64
                                            " MiB, largest free %" PRId64 " MiB",
                                            vm->memory, best)
                          : g_strdup_printf("insufficient cpu: needs %" PRId64
                                            ", largest free %" PRId64,
                                            vm->cpu, best);
    }
    return g_strdup("insufficient capacity for it and the VMs kept together with it");
}

/* Why node n cannot take vm (it runs nowhere); partners collects the anti-affine VMs met. */
static Why why_not(const Engine *e, const Item *it, size_t n, GString *partners,
                   ssize_t *ret_together)
{
    const VmhaVm *vm = &e->m->vms[it->vm];
    size_t v = (size_t)it->vm;
    if (!e->can_host[n])
        return WHY_UNAVAILABLE;
    if (!allowed(it->base, n) || it->base[n] < 0)
        return banned_by_failures(e, vm, n) ? WHY_FAILED : WHY_BANNED;
    Why why = WHY_NONE;
    const size_t *lists[2][2] = {{e->tw_start, e->tw}, {e->wt_start, e->wt}};
    for (int side = 0; side < 2; side++) {
        for (size_t k = lists[side][0][v]; k < lists[side][0][v + 1]; k++) {
            const VmhaColocation *c = coloc(e, lists[side][1][k]);
            size_t other = side == 0 ? c->with_rsc : c->rsc;
            const Item *o = item_of(e, other);
            if (c->score <= -INF && o->node == (ssize_t)n) {
                const char *name = e->m->vms[other].name;
                if (partners && !strstr(partners->str, name))
                    g_string_append_printf(partners, "%s%s", partners->len ? ", " : "", name);
                why = WHY_ANTI_AFFINITY;
            } else if (side == 0 && c->score >= INF && o->node != (ssize_t)n &&
                       why != WHY_ANTI_AFFINITY) {
                if (ret_together)
                    *ret_together = (ssize_t)other;
                why = WHY_TOGETHER;
            }
        }
    }
    if (why != WHY_NONE)
        return why;
    if (!fits(e, vm, n) || it->w[n] <= -INF)
        return WHY_CAPACITY;
    return WHY_SOFT;
}

static char *reason_for(const Engine *e, const Item *it)
{
    const VmhaVm *vm = &e->m->vms[it->vm];
    g_autofree Why *why = g_new0(Why, e->n);
    g_autoptr(GString) partners = g_string_new(NULL);
    ssize_t together = -1;
    bool any[WHY_MAX] = {false};
    for (size_t n = 0; n < e->n; n++) {
        why[n] = why_not(e, it, n, partners, &together);
        any[why[n]] = true;
    }
    if (any[WHY_CAPACITY])
        return describe_capacity(e, vm, why);
    if (any[WHY_ANTI_AFFINITY])
        return g_strdup_printf("anti-affinity with %s leaves no node", partners->str);
    if (any[WHY_TOGETHER]) {
        const Item *p = item_of(e, (size_t)together);
        const char *name = e->m->vms[together].name;
        if (p->node < 0)
            return g_strdup_printf("kept together with %s, which does not run", name);
        return g_strdup_printf("kept together with %s, whose node %s cannot take it", name,
                               e->m->nodes[p->node].name);
    }
    if (any[WHY_FAILED]) {
        g_autoptr(GString) s = g_string_new("failed too often (migration-threshold ");
        g_string_append_printf(s, "%d) on", vm->migration_threshold);
        for (size_t n = 0; n < e->n; n++)
            if (why[n] == WHY_FAILED)
                g_string_append_printf(s, " %s", e->m->nodes[n].name);
        if (any[WHY_BANNED])
            g_string_append(s, "; banned from the others");
        return g_string_free(g_steal_pointer(&s), false);
    }
    if (any[WHY_BANNED])
        return g_strdup("banned from every online node");
    if (any[WHY_SOFT])
        return g_strdup("no node with a non-negative score (preferences and colocations)");
    return g_strdup("no node can run VMs (all offline, standby, draining or in maintenance)");
}

/* The reason of a VM the engine placed (ITEM_NORMAL): none when it runs, why when it does not,
 * and what keeps it on a draining node. */
static void set_reason(Engine *e, Item *it)
{
    size_t v = (size_t)it->vm;
    const VmhaNode *from = it->current >= 0 ? &e->m->nodes[it->current] : NULL;
    bool kept = it->node >= 0 && it->node == it->current && from->drain && !from->drain_force &&
                !e->can_host[it->current];
    g_clear_pointer(&e->reasons[v], g_free);
    if (it->node >= 0 && !kept)
        return;
    char *reason = reason_for(e, it);
    const char *held = kept ? "kept on draining node" : NULL;
    if (!held && from && from->drain_force)
        held = "forced drain of";
    if (held) {
        char *r = g_strdup_printf("%s %s: %s", held, from->name, reason);
        g_free(reason);
        reason = r;
    }
    e->reasons[v] = reason;
}

/* ---- repair: no VM left stopped that could run ----
 *
 * Pacemaker's greedy order can leave a VM stopped although a valid placement runs it: a soft
 * preference or a lower-priority primary placed first took the only node it could use. For
 * each VM left stopped (highest priority first) the repair searches for such a placement:
 * the VM on a node its hard constraints allow (bans, failures, capacity, INFINITY and
 * -INFINITY colocations; soft scores yield), moving VMs in its way elsewhere (recursively, up
 * to REPAIR_DEPTH moves deep) and stopping only VMs of lower priority than it. The first
 * placement found in preference order is taken; a bounded number of steps keeps the cost
 * predictable on large clusters (docs/ARCHITECTURE.md, "Where vmha deliberately differs"). */

#define REPAIR_DEPTH  4
#define REPAIR_BUDGET 2000 /* search steps per stopped VM */

typedef struct {
    Item *it;
    ssize_t from;
} Move;

typedef struct {
    Engine *e;
    int root_priority; /* VMs below it may be stopped */
    bool may_evict;
    GArray *journal;     /* Move, for undo */
    long budget;         /* search steps left for this VM */
    long work;           /* elementary operations left for the whole plan: bounds the cost */
    bool *busy;          /* [n_items]: on the current search path */
    GPtrArray **on_node; /* [n]: the VMs placed on each node */
} Repair;

static size_t item_index(const Engine *e, const Item *it)
{
    return (size_t)(it - e->items);
}

static void set_node(Repair *r, Item *it, ssize_t to)
{
    Engine *e = r->e;
    const VmhaVm *vm = &e->m->vms[it->vm];
    if (it->node >= 0) {
        release(e, vm, (size_t)it->node);
        g_ptr_array_remove_fast(r->on_node[it->node], it);
    }
    it->node = to;
    if (to >= 0) {
        consume(e, vm, (size_t)to);
        g_ptr_array_add(r->on_node[to], it);
    }
}

static void move_item(Repair *r, Item *it, ssize_t to)
{
    Move mv = {it, it->node};
    g_array_append_val(r->journal, mv);
    set_node(r, it, to);
}

static void undo_to(Repair *r, guint mark)
{
    while (r->journal->len > mark) {
        Move mv = g_array_index(r->journal, Move, r->journal->len - 1);
        g_array_set_size(r->journal, r->journal->len - 1);
        set_node(r, mv.it, mv.from);
    }
}

static bool repairable_kind(const Item *it)
{
    return it->vm >= 0 && (it->kind == ITEM_NORMAL || it->kind == ITEM_WAITING) &&
           !it->stopped_role;
}

/* Kept on a draining node because nothing had room: it should leave when it can. */
static bool kept_on_drain(const Engine *e, const Item *it)
{
    return it->node >= 0 && !e->can_host[it->node];
}

/* It may be stopped for the VM being repaired, and with it every VM that runs only where it
 * does (INFINITY colocations, transitively). */
static bool evictable(const Repair *r, const Item *it)
{
    const Engine *e = r->e;
    if (!r->may_evict || !repairable_kind(it) || r->busy[item_index(e, it)] ||
        it->priority >= r->root_priority || kept_on_drain(e, it))
        return false;
    size_t v = (size_t)it->vm;
    for (size_t k = e->wt_start[v]; k < e->wt_start[v + 1]; k++) {
        const VmhaColocation *c = coloc(e, e->wt[k]);
        const Item *d = item_of(e, c->rsc);
        if (c->score >= INF && d->node >= 0 && !evictable(r, d))
            return false;
    }
    return true;
}

static void evict(Repair *r, Item *it)
{
    const Engine *e = r->e;
    if (it->node < 0)
        return;
    move_item(r, it, -1);
    size_t v = (size_t)it->vm;
    for (size_t k = e->wt_start[v]; k < e->wt_start[v + 1]; k++) {
        const VmhaColocation *c = coloc(e, e->wt[k]);
        if (c->score >= INF)
            evict(r, item_of(e, c->rsc));
    }
}

/* The VMs that must move with x: INFINITY colocations either way, transitively, among the VMs
 * placed (with `stopped_too`, also those left stopped that could come along); x first. */
static void group_add(const Engine *e, Item *x, GPtrArray *g, bool stopped_too)
{
    if (g_ptr_array_find(g, x, NULL))
        return;
    g_ptr_array_add(g, x);
    size_t v = (size_t)x->vm;
    for (int side = 0; side < 2; side++) {
        const size_t *start = side ? e->wt_start : e->tw_start;
        const size_t *list = side ? e->wt : e->tw;
        for (size_t k = start[v]; k < start[v + 1]; k++) {
            const VmhaColocation *c = coloc(e, list[k]);
            Item *o = item_of(e, side ? c->rsc : c->with_rsc);
            if (c->score >= INF &&
                (o->node >= 0 || (stopped_too && repairable_kind(o) && o->kind == ITEM_NORMAL)))
                group_add(e, o, g, stopped_too);
        }
    }
}

/* One of x's INFINITY primaries cannot run (stopped on purpose, pinned): neither can x. */
static bool misses_primary(const Engine *e, const Item *x)
{
    size_t v = (size_t)x->vm;
    for (size_t k = e->tw_start[v]; k < e->tw_start[v + 1]; k++) {
        const VmhaColocation *c = coloc(e, e->tw[k]);
        const Item *p = item_of(e, c->with_rsc);
        if (c->score >= INF && p->node < 0 && !(repairable_kind(p) && p->kind == ITEM_NORMAL))
            return true;
    }
    return false;
}

static bool group_movable(const Repair *r, const GPtrArray *g)
{
    for (guint i = 0; i < g->len; i++) {
        const Item *m = g->pdata[i];
        if (!repairable_kind(m) || r->busy[item_index(r->e, m)] || kept_on_drain(r->e, m) ||
            (m->hold >= 0 && m->node == m->hold))
            return false;
    }
    return true;
}

/* Where a VM may run whatever else runs: the node takes VMs, no ban, no failure limit, a
 * non-negative score of its own (soft colocations yield). */
static bool hard_ok(const Engine *e, const Item *it, size_t n)
{
    return e->can_host[n] && allowed(it->base, n) && it->base[n] >= 0;
}

/* Every member may run on n, no two of them are kept apart, and each one's INFINITY primaries
 * come along or are there. */
static bool group_ok(const Engine *e, GPtrArray *g, size_t n)
{
    for (guint i = 0; i < g->len; i++) {
        const Item *it = g->pdata[i];
        if (!hard_ok(e, it, n))
            return false;
        size_t v = (size_t)it->vm;
        for (int side = 0; side < 2; side++) {
            const size_t *start = side ? e->wt_start : e->tw_start;
            const size_t *list = side ? e->wt : e->tw;
            for (size_t k = start[v]; k < start[v + 1]; k++) {
                const VmhaColocation *c = coloc(e, list[k]);
                Item *o = item_of(e, side ? c->rsc : c->with_rsc);
                if (c->score <= -INF && g_ptr_array_find(g, o, NULL))
                    return false;
            }
        }
        for (size_t k = e->tw_start[v]; k < e->tw_start[v + 1]; k++) {
            const VmhaColocation *c = coloc(e, e->tw[k]);
            Item *p = item_of(e, c->with_rsc);
            if (c->score >= INF && p->node != (ssize_t)n && !g_ptr_array_find(g, p, NULL))
                return false;
        }
    }
    return true;
}

/* The VMs on n that may not share it with the group (-INFINITY colocations, either way). */
static void group_conflicts(const Engine *e, GPtrArray *g, size_t n, GPtrArray *out)
{
    for (guint i = 0; i < g->len; i++) {
        const Item *it = g->pdata[i];
        size_t v = (size_t)it->vm;
        for (int side = 0; side < 2; side++) {
            const size_t *start = side ? e->wt_start : e->tw_start;
            const size_t *list = side ? e->wt : e->tw;
            for (size_t k = start[v]; k < start[v + 1]; k++) {
                const VmhaColocation *c = coloc(e, list[k]);
                Item *o = item_of(e, side ? c->rsc : c->with_rsc);
                if (c->score <= -INF && o->node == (ssize_t)n && !g_ptr_array_find(g, o, NULL) &&
                    !g_ptr_array_find(out, o, NULL))
                    g_ptr_array_add(out, o);
            }
        }
    }
}

/* The part of group g that can go to n: every member allowed there, none kept apart from
 * another, each one's INFINITY primaries along or there. Members that cannot may be left
 * behind (stopped) when their priority allows; the first member never. False when no such
 * part exists. */
static bool group_part(const Repair *r, GPtrArray *g, size_t n, GPtrArray *part)
{
    const Engine *e = r->e;
    if (g->len == 1 && part->len == 1 && part->pdata[0] == g->pdata[0]) {
        /* the common case, a VM alone: no copy */
        const Item *x = g->pdata[0];
        if (!hard_ok(e, x, n))
            return false;
        size_t v = (size_t)x->vm;
        for (size_t k = e->tw_start[v]; k < e->tw_start[v + 1]; k++) {
            const VmhaColocation *c = coloc(e, e->tw[k]);
            if (c->score >= INF && item_of(e, c->with_rsc)->node != (ssize_t)n)
                return false;
        }
        return true;
    }
    g_ptr_array_set_size(part, 0);
    for (guint i = 0; i < g->len; i++)
        g_ptr_array_add(part, g->pdata[i]);
    for (bool changed = true; changed;) {
        changed = false;
        for (guint i = 0; i < part->len && !changed; i++) {
            Item *m = part->pdata[i];
            bool bad = !hard_ok(e, m, n);
            size_t v = (size_t)m->vm;
            for (int side = 0; side < 2 && !bad; side++) {
                const size_t *start = side ? e->wt_start : e->tw_start;
                const size_t *list = side ? e->wt : e->tw;
                for (size_t k = start[v]; k < start[v + 1] && !bad; k++) {
                    const VmhaColocation *c = coloc(e, list[k]);
                    Item *o = item_of(e, side ? c->rsc : c->with_rsc);
                    if (c->score <= -INF && g_ptr_array_find(part, o, NULL))
                        bad = true;
                    if (side == 0 && c->score >= INF && o->node != (ssize_t)n &&
                        !g_ptr_array_find(part, o, NULL))
                        bad = true;
                }
            }
            if (!bad)
                continue;
            bool droppable = i > 0 && r->may_evict && repairable_kind(m) &&
                             m->priority < r->root_priority && !kept_on_drain(e, m);
            if (!droppable)
                return false;
            g_ptr_array_remove_index(part, i);
            changed = true;
        }
    }
    return true;
}

static bool group_fits(const Engine *e, const GPtrArray *g, size_t n)
{
    int64_t mem = 0, cpu = 0;
    for (guint i = 0; i < g->len; i++) {
        const Item *m = g->pdata[i];
        if (m->node == (ssize_t)n)
            continue;
        mem += MAX(e->m->vms[m->vm].memory, 0);
        cpu += MAX(e->m->vms[m->vm].cpu, 0);
    }
    return !uses_capacity(e) || fits_amount(e, n, mem, cpu);
}

/* Some VM on n may not share it with the group. */
static bool group_conflicts_any(const Engine *e, GPtrArray *g, size_t n)
{
    for (guint i = 0; i < g->len; i++) {
        size_t v = (size_t)((const Item *)g->pdata[i])->vm;
        for (int side = 0; side < 2; side++) {
            const size_t *start = side ? e->wt_start : e->tw_start;
            const size_t *list = side ? e->wt : e->tw;
            for (size_t k = start[v]; k < start[v + 1]; k++) {
                const VmhaColocation *c = coloc(e, list[k]);
                Item *o = item_of(e, side ? c->rsc : c->with_rsc);
                if (c->score <= -INF && o->node == (ssize_t)n &&
                    (g->len == 1 || !g_ptr_array_find(g, o, NULL)))
                    return true;
            }
        }
    }
    return false;
}

static bool group_placeable(const Engine *e, GPtrArray *g, size_t n)
{
    return group_fits(e, g, n) && !group_conflicts_any(e, g, n) && group_ok(e, g, n);
}

static void group_move(Repair *r, const GPtrArray *g, ssize_t n)
{
    for (guint i = 0; i < g->len; i++)
        if (((Item *)g->pdata[i])->node != n)
            move_item(r, g->pdata[i], n);
}

static bool try_place(Repair *r, GPtrArray *g, int depth, ssize_t away_from);

/* Gets b off its node: elsewhere (with the VMs it is kept together with) if they can go,
 * else b alone stopped if its priority allows. */
static bool clear_blocker(Repair *r, Item *b, int depth)
{
    g_autoptr(GPtrArray) g = g_ptr_array_new();
    group_add(r->e, b, g, false);
    guint mark = r->journal->len;
    if (depth > 0 && group_movable(r, g) && try_place(r, g, depth - 1, b->node))
        return true;
    undo_to(r, mark);
    if (!evictable(r, b))
        return false;
    evict(r, b);
    return true;
}

/* Candidate nodes: the node it runs on first (staying is the least disruptive), then its own
 * preference, then Pacemaker's node order. */
static gint cmp_candidates(gconstpointer x, gconstpointer y, gpointer data)
{
    const Item *it = ((const void **)data)[0];
    const Engine *e = ((const void **)data)[1];
    size_t a = *(const size_t *)x, b = *(const size_t *)y;
    if (it->current >= 0 && ((ssize_t)a == it->current) != ((ssize_t)b == it->current))
        return (ssize_t)a == it->current ? -1 : 1;
    int wa = weight_in(it->w, (ssize_t)a), wb = weight_in(it->w, (ssize_t)b);
    if (wa != wb)
        return wa > wb ? -1 : 1;
    return compare_nodes(e, it->w, it->current, a, b);
}

/* Capacity blockers on node n: first VMs the plan is moving there anyway (they lose nothing by
 * going elsewhere), then the lowest priority, then the largest (fewest moves). */
static gint cmp_blockers(gconstpointer x, gconstpointer y, gpointer data)
{
    const Engine *e = data;
    const Item *a = *(Item *const *)x, *b = *(Item *const *)y;
    bool na = a->current != a->node, nb = b->current != b->node;
    if (na != nb)
        return na ? -1 : 1;
    if (a->priority != b->priority)
        return a->priority < b->priority ? -1 : 1;
    int64_t ma = e->m->vms[a->vm].memory, mb = e->m->vms[b->vm].memory;
    if (ma != mb)
        return ma > mb ? -1 : 1;
    return (a->position > b->position) - (a->position < b->position);
}

/* A cheap bound before a search: what is free on n, plus what the VMs there that could leave
 * (moved when depth allows, else only stopped) use, covers the part's need. */
static bool could_make_room(Repair *r, GPtrArray *part, size_t n, int depth)
{
    Engine *e = r->e;
    if (!uses_capacity(e))
        return true;
    int64_t want[2] = {0, 0}, room[2] = {remaining(e, n, 0), remaining(e, n, 1)};
    for (guint i = 0; i < part->len; i++) {
        const Item *m = part->pdata[i];
        if (m->node != (ssize_t)n)
            for (int a = 0; a < 2; a++)
                want[a] += MAX(need(&e->m->vms[m->vm], a), 0);
    }
    r->work -= r->on_node[n]->len;
    for (guint k = 0; k < r->on_node[n]->len && (room[0] < want[0] || room[1] < want[1]); k++) {
        Item *o = r->on_node[n]->pdata[k];
        if (g_ptr_array_find(part, o, NULL) ||
            !((depth > 0 && repairable_kind(o) && !r->busy[item_index(e, o)]) || evictable(r, o)))
            continue;
        for (int a = 0; a < 2; a++)
            room[a] += MAX(need(&e->m->vms[o->vm], a), 0);
    }
    const VmhaNode *node = &e->m->nodes[n];
    return (want[0] <= 0 || node->memory < 0 || room[0] >= want[0]) &&
           (want[1] <= 0 || node->cpu < 0 || room[1] >= want[1]);
}

/* Node n holds more than it can. */
static bool overcommitted(const Engine *e, size_t n)
{
    const VmhaNode *node = &e->m->nodes[n];
    return uses_capacity(e) &&
           ((node->memory >= 0 && e->free_mem[n] < 0) || (node->cpu >= 0 && e->free_cpu[n] < 0));
}

/* Whether n could take the group at all, everything else gone. */
static bool group_could_fit(const Engine *e, const GPtrArray *g, size_t n)
{
    if (!uses_capacity(e))
        return true;
    const VmhaNode *node = &e->m->nodes[n];
    int64_t mem = 0, cpu = 0;
    for (guint i = 0; i < g->len; i++) {
        const Item *m = g->pdata[i];
        mem += MAX(e->m->vms[m->vm].memory, 0);
        cpu += MAX(e->m->vms[m->vm].cpu, 0);
    }
    return (mem <= 0 || node->memory >= mem) && (cpu <= 0 || node->cpu >= cpu);
}

/* The group sits on n over its capacity: moves (or, when allowed, stops) VMs there until it
 * fits. While n is over capacity nothing else can move in, so the room made stays its. */
static bool make_room(Repair *r, GPtrArray *g, size_t n, int depth)
{
    Engine *e = r->e;
    if (!overcommitted(e, n))
        return true;
    g_autoptr(GPtrArray) cands = g_ptr_array_new();
    r->work -= r->on_node[n]->len;
    for (guint k = 0; k < r->on_node[n]->len; k++) {
        Item *o = r->on_node[n]->pdata[k];
        if (!r->busy[item_index(e, o)] && repairable_kind(o) && !g_ptr_array_find(g, o, NULL))
            g_ptr_array_add(cands, o);
    }
    g_ptr_array_sort_with_data(cands, cmp_blockers, e);
    /* Again while it helps: stopping one VM may free another kept for it. */
    for (bool progress = true; progress && overcommitted(e, n);) {
        progress = false;
        for (guint i = 0; i < cands->len && overcommitted(e, n); i++) {
            Item *o = cands->pdata[i];
            if (o->node == (ssize_t)n && clear_blocker(r, o, depth))
                progress = true;
        }
    }
    return !overcommitted(e, n);
}

/* Stops the members of g left out of part. */
static void drop_rest(Repair *r, GPtrArray *g, GPtrArray *part)
{
    for (guint i = 0; i < g->len; i++)
        if (!g_ptr_array_find(part, g->pdata[i], NULL) && ((Item *)g->pdata[i])->node >= 0)
            move_item(r, g->pdata[i], -1);
}

/* Places the group (g->pdata[0] and the VMs kept with it) on one node other than away_from,
 * making room as described above; on failure everything it changed is undone. */
static bool try_place(Repair *r, GPtrArray *g, int depth, ssize_t away_from)
{
    Engine *e = r->e;
    Item *x = g->pdata[0];
    if (--r->budget < 0 || r->work < 0)
        return false;
    r->work -= (long)e->n * g->len;
    for (guint i = 0; i < g->len; i++)
        r->busy[item_index(e, g->pdata[i])] = true;
    g_autofree size_t *cands = g_new(size_t, e->n);
    g_autofree bool *whole = g_new(bool, e->n); /* the whole group can go there */
    g_autoptr(GPtrArray) part = g_ptr_array_new();
    size_t nc = 0;
    for (size_t n = 0; n < e->n; n++) {
        if ((ssize_t)n != away_from && group_part(r, g, n, part) && group_could_fit(e, part, n)) {
            whole[n] = part->len == g->len;
            cands[nc++] = n;
        }
    }
    const void *ctx[2] = {x, e};
    if (nc > 1)
        g_qsort_with_data(cands, (gint)nc, sizeof(size_t), cmp_candidates, ctx);
    g_autoptr(GPtrArray) blockers = g_ptr_array_new();
    bool done = false;
    /* First a node where it fits as things are, then nodes where others must make room. */
    for (size_t i = 0; i < nc && !done; i++) {
        size_t n = cands[i];
        if (whole[n] && group_placeable(e, g, n)) {
            group_move(r, g, (ssize_t)n);
            done = true;
        }
    }
    for (size_t i = 0; i < nc && !done && r->budget > 0; i++) {
        size_t n = cands[i];
        guint mark = r->journal->len;
        if (!group_part(r, g, n, part) || !could_make_room(r, part, n, depth))
            continue;
        /* Moved there first, over capacity if need be: what it leaves behind can take VMs moved
         * out of its way, and what moves next sees it there. */
        drop_rest(r, g, part);
        group_move(r, part, (ssize_t)n);
        g_ptr_array_set_size(blockers, 0);
        group_conflicts(e, part, n, blockers);
        bool ok = true;
        for (guint b = 0; b < blockers->len && ok; b++)
            ok = clear_blocker(r, blockers->pdata[b], depth);
        ok = ok && make_room(r, part, n, depth);
        g_ptr_array_set_size(blockers, 0);
        group_conflicts(e, part, n, blockers);
        if (ok && blockers->len == 0 && !overcommitted(e, n) && group_ok(e, part, n))
            done = true;
        else
            undo_to(r, mark);
    }
    for (guint i = 0; i < g->len; i++)
        r->busy[item_index(e, g->pdata[i])] = false;
    return done;
}

#define REPAIR_TOTAL 20000  /* search steps for the whole plan */
#define REPAIR_WORK  400000 /* elementary operations (nodes and VMs looked at) per stage */

/* A cheap necessary condition: the free room of every node that takes VMs, plus what VMs of
 * lower priority than `priority` use (when they may be stopped), covers what the group needs.
 * Overcommitted clusters leave many VMs stopped; most fail here without a search. */
static bool room_anywhere(const Repair *r, const GPtrArray *g, int priority, bool may_evict)
{
    const Engine *e = r->e;
    if (!uses_capacity(e))
        return true;
    int64_t want[2] = {0, 0}, room[2] = {0, 0};
    for (guint i = 0; i < g->len; i++) {
        const Item *m = g->pdata[i];
        for (int a = 0; a < 2; a++)
            if (m->node < 0)
                want[a] += MAX(need(&e->m->vms[m->vm], a), 0);
    }
    for (size_t n = 0; n < e->n; n++)
        if (e->can_host[n])
            for (int a = 0; a < 2; a++)
                room[a] += remaining(e, n, a);
    for (size_t v = 0; may_evict && v < e->m->n_vms; v++) {
        const Item *it = item_of(e, v);
        if (it->node >= 0 && e->can_host[it->node] && repairable_kind(it) &&
            it->priority < priority)
            for (int a = 0; a < 2; a++)
                room[a] += MAX(need(&e->m->vms[v], a), 0);
    }
    return want[0] <= room[0] && want[1] <= room[1];
}

/* Runs the repair for every VM left stopped (or kept on a draining node), in allocation order. */
static void repair_all(Engine *e)
{
    Repair r = {.e = e, .journal = g_array_new(false, false, sizeof(Move))};
    g_autofree bool *busy = g_new0(bool, MAX(e->n_items, 1));
    long total = REPAIR_TOTAL;
    r.busy = busy;
    r.work = REPAIR_WORK;
    r.on_node = g_new(GPtrArray *, MAX(e->n, 1));
    for (size_t n = 0; n < e->n; n++)
        r.on_node[n] = g_ptr_array_new();
    for (size_t v = 0; v < e->m->n_vms; v++)
        if (e->items[v].node >= 0)
            g_ptr_array_add(r.on_node[e->items[v].node], &e->items[v]);
    /* Rounds until nothing more runs: a VM placed late may have taken room a VM of higher
     * priority, tried before, can have by stopping it. */
    for (bool progress = true; progress && total > 0 && r.work > 0;) {
        progress = false;
        for (size_t i = 0; i < e->n_items && total > 0; i++) {
            Item *it = &e->items[e->order[i]];
            if (!repairable_kind(it))
                continue;
            bool kept = kept_on_drain(e, it);
            if (it->node >= 0 && !kept)
                continue;
            r.root_priority = it->priority;
            if (misses_primary(e, it))
                continue; /* kept together with a VM that runs nowhere */
            /* With the VMs left stopped that must run with it if they can, else without them;
             * moving others is preferred to stopping any; a drain never stops others. */
            g_autoptr(GPtrArray) all = g_ptr_array_new();
            g_autoptr(GPtrArray) placed = g_ptr_array_new();
            group_add(e, it, all, true);
            group_add(e, it, placed, false);
            GPtrArray *groups[2] = {all, placed};
            if (!room_anywhere(&r, placed, it->priority, !kept))
                continue; /* not enough room in the whole cluster, whatever moves */
            bool ok = false;
            for (int phase = 0; phase < (kept ? 2 : 4) && !ok && total > 0; phase++) {
                GPtrArray *g = groups[phase % 2];
                if (phase % 2 == 1 && g->len == all->len)
                    continue;
                r.may_evict = phase >= 2;
                r.budget = MIN(REPAIR_BUDGET, total);
                long before = r.budget;
                g_array_set_size(r.journal, 0);
                ok = try_place(&r, g, REPAIR_DEPTH, kept ? it->node : -1);
                if (!ok)
                    undo_to(&r, 0);
                total -= before - r.budget;
            }
            if (!ok)
                continue;
            progress = true;
            /* VMs stopped to make room: their turn to be repaired comes later (lower priority). */
            for (guint k = 0; k < r.journal->len; k++) {
                Move *mv = &g_array_index(r.journal, Move, k);
                if (mv->it->node >= 0 || mv->it->kind != ITEM_NORMAL || mv->from < 0)
                    continue;
                size_t v = (size_t)mv->it->vm;
                g_free(e->reasons[v]);
                e->reasons[v] = g_strdup_printf("its room is taken by %s (priority %d)",
                                                e->m->vms[it->vm].name, it->priority);
            }
        }
    }
    /* Whatever the budget left: every VM still stopped that fits somewhere as things are, or
     * once VMs of lower priority there are stopped. */
    r.may_evict = true;
    r.work = REPAIR_WORK;
    for (size_t i = 0; i < e->n_items; i++) {
        Item *it = &e->items[e->order[i]];
        if (!repairable_kind(it) || it->node >= 0 || misses_primary(e, it))
            continue;
        g_autoptr(GPtrArray) g = g_ptr_array_new();
        group_add(e, it, g, false);
        r.root_priority = it->priority;
        r.budget = 2; /* this call only: at depth 0 nothing recurses */
        g_array_set_size(r.journal, 0);
        if (!try_place(&r, g, 0, -1))
            undo_to(&r, 0);
    }
    for (size_t i = 0; i < e->n_items; i++) {
        Item *it = &e->items[i];
        if (it->vm < 0 || it->kind != ITEM_NORMAL)
            continue;
        if (it->node >= 0 && !kept_on_drain(e, it))
            g_clear_pointer(&e->reasons[it->vm], g_free);
        else if (it->node < 0 && !e->reasons[it->vm])
            e->reasons[it->vm] = reason_for(e, it);
    }
    g_array_free(r.journal, true);
    for (size_t n = 0; n < e->n; n++)
        g_ptr_array_free(r.on_node[n], true);
    g_free(r.on_node);
}

/* ---- two placements ---- */

typedef struct {
    ssize_t *node;  /* [n_items] */
    char **reasons; /* [n_vms] */
} Pass;

/* Keeps each healthy running VM on its node where the rules allow (in allocation order, a VM
 * kept together with another after it), before anything else is placed. */
static void keep_running(Engine *e)
{
    for (int round = 0; round < 2; round++) {
        for (size_t i = 0; i < e->n_items; i++) {
            Item *it = &e->items[e->order[i]];
            if (it->vm < 0 || it->kind != ITEM_NORMAL || it->placed || it->current < 0)
                continue;
            size_t n = (size_t)it->current;
            const VmhaVm *vm = &e->m->vms[it->vm];
            if (state_of(e, vm, n) != VMHA_RSC_ACTIVE || !hard_ok(e, it, n) || !fits(e, vm, n))
                continue;
            bool ok = true;
            size_t v = (size_t)it->vm;
            for (int side = 0; side < 2 && ok; side++) {
                const size_t *start = side ? e->wt_start : e->tw_start;
                const size_t *list = side ? e->wt : e->tw;
                for (size_t k = start[v]; k < start[v + 1] && ok; k++) {
                    const VmhaColocation *c = coloc(e, list[k]);
                    const Item *o = item_of(e, side ? c->rsc : c->with_rsc);
                    if (c->score <= -INF && o->node == (ssize_t)n)
                        ok = false;
                    if (side == 0 && c->score >= INF && o->node != (ssize_t)n)
                        ok = false;
                }
            }
            if (!ok)
                continue;
            place(e, it, (ssize_t)n);
            /* A primary placed later never avoids its dependents by itself (Pacemaker places
             * it first): keep it off this node. */
            for (size_t k = e->tw_start[v]; k < e->tw_start[v + 1]; k++) {
                const VmhaColocation *c = coloc(e, e->tw[k]);
                Item *p = item_of(e, c->with_rsc);
                if (c->score <= -INF && !p->placed)
                    add_weight(p->w, n, -INF);
            }
        }
    }
}

/* A VM on a node its own scores refuse (a negative location) runs there only because a
 * positive colocation pulled it there (Pacemaker adds the score). The repair moves VMs by the
 * rules alone; when it took that support away, the VM must be placed again. */
static bool supported(const Engine *e, const Item *it)
{
    size_t n = (size_t)it->node;
    if (it->base[n] >= 0)
        return true;
    int w = it->base[n];
    size_t v = (size_t)it->vm;
    for (size_t k = e->tw_start[v]; k < e->tw_start[v + 1]; k++) {
        const VmhaColocation *c = coloc(e, e->tw[k]);
        if (c->score > 0 && c->score < INF && item_of(e, c->with_rsc)->node == (ssize_t)n)
            w = vmha_score_add(w, c->score);
    }
    return w >= 0;
}

/* Takes it out of the plan, with the VMs that run only where it runs. */
static void unplace_with_dependents(Engine *e, Item *it)
{
    if (it->node < 0 || it->kind == ITEM_PINNED)
        return;
    release(e, &e->m->vms[it->vm], (size_t)it->node);
    it->node = -1;
    size_t v = (size_t)it->vm;
    for (size_t k = e->wt_start[v]; k < e->wt_start[v + 1]; k++) {
        const VmhaColocation *c = coloc(e, e->wt[k]);
        if (c->score >= INF)
            unplace_with_dependents(e, item_of(e, c->rsc));
    }
    if (it->kind == ITEM_NORMAL) {
        g_free(e->reasons[v]);
        e->reasons[v] = reason_for(e, it);
    }
}

static void run_pass(Engine *e, bool keep, Pass *ret)
{
    const VmhaModel *m = e->m;
    for (size_t i = 0; i < e->n; i++) {
        e->free_mem[i] = m->nodes[i].memory;
        e->free_cpu[i] = m->nodes[i].cpu;
        e->count[i] = 0;
    }
    e->reasons = g_new0(char *, MAX(m->n_vms, 1));
    for (size_t v = 0; v < m->n_vms; v++)
        e->reasons[v] = g_strdup(e->fixed_reasons[v]);
    for (size_t i = 0; i < e->n_items; i++) {
        Item *it = &e->items[i];
        memcpy(it->w, it->base, sizeof(int) * e->n);
        it->node = -1;
        it->placed = it->allocating = it->merging = false;
    }
    /* Held VMs keep their capacity before anything else is placed. */
    for (size_t i = 0; i < e->n_items; i++)
        if (e->items[i].kind == ITEM_PINNED)
            place(e, &e->items[i], e->items[i].running ? e->items[i].current : -1);
    if (keep)
        keep_running(e);
    for (size_t i = 0; i < e->n_items; i++)
        assign(e, &e->items[e->order[i]]);
    /* What the repair then moves may take away the colocation that held a VM where its own
     * scores refuse it: such a VM (and what runs only with it) is placed again. VMs Pacemaker
     * placed there for reasons beyond that (the scores of VMs that follow them) stay. */
    g_autofree bool *held_by_coloc = g_new0(bool, MAX(m->n_vms, 1));
    for (size_t v = 0; v < m->n_vms; v++) {
        const Item *it = &e->items[v];
        held_by_coloc[v] = it->node >= 0 && it->base[it->node] < 0 && supported(e, it);
    }
    for (int round = 0; round < 3; round++) {
        repair_all(e);
        bool again = false;
        for (size_t v = 0; v < m->n_vms; v++) {
            Item *it = &e->items[v];
            if (!held_by_coloc[v] || !repairable_kind(it) || it->node < 0 || kept_on_drain(e, it) ||
                supported(e, it))
                continue;
            unplace_with_dependents(e, it);
            again = true;
        }
        if (!again)
            break;
    }
    ret->node = g_new(ssize_t, MAX(e->n_items, 1));
    for (size_t i = 0; i < e->n_items; i++)
        ret->node[i] = e->items[i].node;
    ret->reasons = g_steal_pointer(&e->reasons);
}

static void pass_clear(const Engine *e, Pass *p)
{
    for (size_t v = 0; p->reasons && v < e->m->n_vms; v++)
        g_free(p->reasons[v]);
    g_free(p->reasons);
    g_free(p->node);
}

static gint cmp_int_desc(gconstpointer a, gconstpointer b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x < y) - (x > y);
}

/* Whether a is the better placement: at the highest priority where they differ, the one that
 * keeps more of the VMs running now (a running VM is never stopped to start others of its
 * priority: the next plan would want them back), then the one that runs more (room held
 * counts). */
static bool better(const Engine *e, const Pass *a, const Pass *b)
{
    size_t nv = e->m->n_vms;
    g_autofree int *prios = g_new(int, MAX(nv, 1));
    for (size_t v = 0; v < nv; v++)
        prios[v] = e->m->vms[v].priority;
    qsort(prios, nv, sizeof(int), cmp_int_desc);
    for (size_t i = 0; i < nv; i++) {
        if (i > 0 && prios[i] == prios[i - 1])
            continue;
        int ca = 0, cb = 0, ka = 0, kb = 0;
        for (size_t v = 0; v < nv; v++) {
            if (e->m->vms[v].priority != prios[i])
                continue;
            ca += a->node[v] >= 0;
            cb += b->node[v] >= 0;
            if (e->items[v].running && e->items[v].current >= 0) {
                ka += a->node[v] >= 0;
                kb += b->node[v] >= 0;
            }
        }
        if (ka != kb)
            return ka > kb;
        if (ca != cb)
            return ca > cb;
    }
    return false;
}

/* Whether p runs every VM that may run: then no placement is better (nor, on a tie, chosen). */
static bool runs_all(const Engine *e, const Pass *p)
{
    for (size_t v = 0; v < e->m->n_vms; v++) {
        ItemKind k = e->items[v].kind;
        if ((k == ITEM_NORMAL || k == ITEM_WAITING) && p->node[v] < 0)
            return false;
    }
    return true;
}

/* ---- actions ---- */

static void add_action(Engine *e, VmhaActionType type, ssize_t vm, ssize_t node, ssize_t to,
                       VmhaMigrationMethod method)
{
    VmhaAction a = {.type = type, .vm = vm, .node = node, .to = to, .method = method};
    g_array_append_val(e->actions, a);
}

static gint cmp_actions(gconstpointer x, gconstpointer y, gpointer data)
{
    const VmhaAction *a = x, *b = y;
    const VmhaModel *m = ((const Engine *)data)->m;
    if (a->type != b->type)
        return (int)a->type - (int)b->type; /* fence < stop < migrate < start */
    if (a->type == VMHA_ACTION_FENCE)
        return (a->node > b->node) - (a->node < b->node);
    int pa = m->vms[a->vm].priority, pb = m->vms[b->vm].priority;
    if (pa != pb) {
        /* Stops free capacity: least important first. Everything else: most important first. */
        bool asc = a->type == VMHA_ACTION_STOP;
        return (pa < pb) == asc ? -1 : 1;
    }
    int c = strcmp(m->vms[a->vm].name, m->vms[b->vm].name);
    if (c != 0)
        return c;
    return strcmp(m->nodes[a->node].name, m->nodes[b->node].name);
}

/* Compares where each VM runs with where it should run. */
static void plan_actions(Engine *e, const bool *self_fenced)
{
    const VmhaModel *m = e->m;
    for (size_t v = 0; v < m->n_vms; v++) {
        const VmhaVm *vm = &m->vms[v];
        const Item *it = item_of(e, v);
        if (it->kind == ITEM_PINNED || it->kind == ITEM_WAITING)
            continue;
        ssize_t target = it->node;
        ssize_t src = -1;
        size_t running = 0;
        bool healthy = true;
        for (size_t i = 0; i < e->n; i++) {
            if (!vm_active_on(e, vm, i) || m->nodes[i].state != VMHA_NODE_ONLINE || self_fenced[i])
                continue;
            running++;
            if (src < 0)
                src = (ssize_t)i;
            if (state_of(e, vm, i) != VMHA_RSC_ACTIVE)
                healthy = false;
        }
        if (running == 0) {
            if (target >= 0)
                add_action(e, VMHA_ACTION_START, (ssize_t)v, target, -1, VMHA_MIGRATION_DEFAULT);
            continue;
        }
        if (running == 1 && src == target && healthy) {
            if (migration_failed(e, vm, (size_t)src) && !e->reasons[v])
                e->reasons[v] = migration_failed_reason(m, vm, (size_t)src);
            continue;
        }
        const VmhaNode *from = &m->nodes[src];
        if (running == 1 && target >= 0 && healthy && !migration_failed(e, vm, (size_t)src) &&
            (vm->allow_migrate || from->drain || vm->move_method)) {
            bool cold_stop =
                    from->drain_shutdown && strcmp(vmha_vm_shutdown_policy(m, vm), "stop") == 0;
            VmhaMigrationMethod method = cold_stop                           ? VMHA_MIGRATION_COLD
                                         : from->drain && from->drain_method ? from->drain_method
                                         : vm->move_method                   ? vm->move_method
                                         : vm->migration_method              ? vm->migration_method
                                                                             : VMHA_MIGRATION_QUICK;
            add_action(e, VMHA_ACTION_MIGRATE, (ssize_t)v, src, target, method);
            continue;
        }
        /* Running twice with a healthy copy where it belongs: stop the others and leave that one
         * alone. Failed, or not migratable: stop everywhere, start once. */
        bool keep = running > 1 && target >= 0 && state_of(e, vm, target) == VMHA_RSC_ACTIVE;
        for (size_t i = 0; i < e->n; i++)
            if (vm_active_on(e, vm, i) && m->nodes[i].state == VMHA_NODE_ONLINE &&
                !self_fenced[i] && !(keep && (ssize_t)i == target))
                add_action(e, VMHA_ACTION_STOP, (ssize_t)v, (ssize_t)i, -1, VMHA_MIGRATION_DEFAULT);
        if (target >= 0 && !keep)
            add_action(e, VMHA_ACTION_START, (ssize_t)v, target, -1, VMHA_MIGRATION_DEFAULT);
    }
}

/* ---- the plan ---- */

static gint cmp_this_with(gconstpointer x, gconstpointer y, gpointer data)
{
    const VmhaModel *m = data;
    const VmhaColocation *a = &m->colocations[*(const size_t *)x];
    const VmhaColocation *b = &m->colocations[*(const size_t *)y];
    const VmhaVm *pa = &m->vms[a->with_rsc], *pb = &m->vms[b->with_rsc];
    if (pa->priority != pb->priority)
        return pa->priority > pb->priority ? -1 : 1;
    int c = strcmp(pa->name, pb->name);
    if (c != 0)
        return c;
    /* GLib's insert_sorted puts a later constraint before an equal one */
    return (a < b) - (a > b);
}

static gint cmp_with_this(gconstpointer x, gconstpointer y, gpointer data)
{
    const VmhaModel *m = data;
    const VmhaColocation *a = &m->colocations[*(const size_t *)x];
    const VmhaColocation *b = &m->colocations[*(const size_t *)y];
    const VmhaVm *da = &m->vms[a->rsc], *db = &m->vms[b->rsc];
    if (da->priority != db->priority)
        return da->priority > db->priority ? -1 : 1;
    int c = strcmp(da->name, db->name);
    if (c != 0)
        return c;
    return (a < b) - (a > b);
}

/* Each VM's colocations as Pacemaker keeps them: lists sorted once, so placing costs O(its own
 * constraints). */
static void index_colocations(Engine *e)
{
    const VmhaModel *m = e->m;
    size_t nv = m->n_vms, nc = m->n_colocations;
    e->tw_start = g_new0(size_t, nv + 1);
    e->wt_start = g_new0(size_t, nv + 1);
    e->tw = g_new(size_t, nc + 1);
    e->wt = g_new(size_t, nc + 1);
    for (size_t c = 0; c < nc; c++) {
        e->tw_start[m->colocations[c].rsc + 1]++;
        e->wt_start[m->colocations[c].with_rsc + 1]++;
    }
    for (size_t v = 0; v < nv; v++) {
        e->tw_start[v + 1] += e->tw_start[v];
        e->wt_start[v + 1] += e->wt_start[v];
    }
    g_autofree size_t *ftw = g_memdup2(e->tw_start, sizeof(size_t) * (nv + 1));
    g_autofree size_t *fwt = g_memdup2(e->wt_start, sizeof(size_t) * (nv + 1));
    for (size_t c = 0; c < nc; c++) {
        e->tw[ftw[m->colocations[c].rsc]++] = c;
        e->wt[fwt[m->colocations[c].with_rsc]++] = c;
    }
    for (size_t v = 0; v < nv; v++) {
        size_t a = e->tw_start[v], b = e->tw_start[v + 1];
        if (b - a > 1)
            g_qsort_with_data(e->tw + a, (gint)(b - a), sizeof(size_t), cmp_this_with, (gpointer)m);
        a = e->wt_start[v], b = e->wt_start[v + 1];
        if (b - a > 1)
            g_qsort_with_data(e->wt + a, (gint)(b - a), sizeof(size_t), cmp_with_this, (gpointer)m);
    }
}

/* Places everything: the setup (who can run where, what waits, what is held), both passes and
 * the choice between them. With `assume`, the status section is replaced by a plan carried
 * out: every pending fence done, each VM running healthy on assume[v] (-1: nowhere). */
static Engine *engine_new(const VmhaModel *m, int64_t now, const ssize_t *assume)
{
    Engine *e = g_new0(Engine, 1);
    *e = (Engine){.m = m, .now = now, .n = m->n_nodes, .assume = assume};
    size_t n = m->n_nodes;

    e->can_host = g_new0(bool, n);
    e->fencing = g_new0(bool, n);
    e->free_mem = g_new(int64_t, n);
    e->free_cpu = g_new(int64_t, n);
    e->count = g_new0(int, n);
    e->node_order = g_new(size_t, n);
    e->item_of_vm = g_new(ssize_t, m->n_vms);
    e->reasons = g_new0(char *, m->n_vms);
    e->actions = g_array_new(false, false, sizeof(VmhaAction));
    index_colocations(e);

    bool quorate = m->have_quorum || m->no_quorum_policy == VMHA_NO_QUORUM_IGNORE;
    /* self_fenced[n]: lost, but the self-fence deadline has provably passed. */
    bool *self_fenced = e->self_fenced = g_new0(bool, n);
    g_autofree bool *fence_device = g_new0(bool, n);

    for (size_t i = 0; i < n; i++) {
        const VmhaNode *node = &m->nodes[i];
        e->free_mem[i] = node->memory;
        e->free_cpu[i] = node->cpu;
        fence_device[i] = m->stonith_enabled && vmha_model_node_has_fence_device(m, i);
        if (node->state == VMHA_NODE_LOST && assume) {
            self_fenced[i] = true; /* the plan carried out: its fences are done */
        } else if (node->state == VMHA_NODE_LOST) {
            if (!fence_device[i] && node->lost_since > 0 &&
                now >= node->lost_since + m->fence_watchdog_timeout && !m->maintenance_mode &&
                !node->self_fence_disarmed)
                self_fenced[i] = true;
            else
                e->fencing[i] = true;
        }
        /* A failed stop leaves the VM possibly running: with fencing, the node is fenced. */
        for (size_t v = 0; node->state == VMHA_NODE_ONLINE && v < m->n_vms; v++)
            if (state_of(e, &m->vms[v], i) == VMHA_RSC_STOP_FAILED && fence_device[i])
                e->fencing[i] = true;
        e->can_host[i] = node->state == VMHA_NODE_ONLINE && !node->standby && !node->maintenance &&
                         !node->drain && !e->fencing[i];
    }
    /* In maintenance mode nobody is fenced (Pacemaker: no managed resource, no fencing). */
    for (size_t i = 0; i < n && !assume; i++)
        if (e->fencing[i] && fence_device[i] && quorate && !m->maintenance_mode)
            add_action(e, VMHA_ACTION_FENCE, -1, (ssize_t)i, -1, VMHA_MIGRATION_DEFAULT);

    /* Items: every VM, and (with quorum) the other primitives Pacemaker places. */
    size_t n_other = quorate ? m->n_fence_devices + m->n_foreign : 0;
    e->n_items = m->n_vms + n_other;
    e->items = g_new0(Item, e->n_items);
    int *weights = e->weights = g_new(int, 3 * MAX(e->n_items, 1) * MAX(n, 1));
    for (size_t v = 0; v < m->n_vms; v++) {
        const VmhaVm *vm = &m->vms[v];
        Item *it = &e->items[v];
        e->item_of_vm[v] = (ssize_t)v;
        *it = (Item){.vm = (ssize_t)v,
                     .priority = vm->priority,
                     .position = vm->position,
                     .current = -1,
                     .node = -1,
                     .hold = -1};
        ssize_t current = -1, waiting_for = -1, stuck = -1;
        size_t running = 0;
        bool maintenance = false;
        for (size_t i = 0; i < n; i++) {
            if (!vm_active_on(e, vm, i) || self_fenced[i])
                continue;
            if (e->fencing[i]) {
                if (waiting_for < 0)
                    waiting_for = (ssize_t)i;
                continue;
            }
            if (m->nodes[i].state != VMHA_NODE_ONLINE)
                continue;
            if (state_of(e, vm, i) == VMHA_RSC_STOP_FAILED && stuck < 0)
                stuck = (ssize_t)i;
            /* A clusterd shutting down leaves its freeze-policy VMs running as they are. */
            if (m->nodes[i].maintenance || (m->nodes[i].drain_shutdown &&
                                            strcmp(vmha_vm_shutdown_policy(m, vm), "freeze") == 0))
                maintenance = true;
            if (current < 0)
                current = (ssize_t)i;
            running++;
        }
        bool stopped_role = vm->target_stopped || !quorate || m->stop_all;
        if (m->maintenance_mode) {
            it->kind = ITEM_PINNED;
            it->current = current;
            it->running = running > 0;
            if (waiting_for >= 0)
                e->reasons[v] = g_strdup_printf("maintenance mode: %s is lost and not fenced; "
                                                "nothing is moved",
                                                m->nodes[waiting_for].name);
            else
                e->reasons[v] = g_strdup(running > 0 ? "cluster in maintenance mode: left as it is"
                                                     : "cluster in maintenance mode "
                                                       "(maintenance-mode=true)");
            continue;
        }
        if (waiting_for >= 0) {
            /* The one unforgivable bug is a VM running twice: never start it elsewhere while
             * the node it ran on may still be running it. Its room is held meanwhile: it is
             * placed as the plan after the fence will place it. */
            const VmhaNode *lost = &m->nodes[waiting_for];
            if (fence_device[waiting_for])
                e->reasons[v] = g_strdup_printf("waiting for %s to be fenced", lost->name);
            else if (lost->self_fence_disarmed)
                e->reasons[v] = g_strdup_printf(
                        "waiting for %s: it was out of the cluster when maintenance mode "
                        "ended and does not fence itself; bring it back or fence it",
                        lost->name);
            else
                e->reasons[v] = g_strdup_printf("waiting for %s to self-fence", lost->name);
            it->kind = quorate ? ITEM_WAITING : ITEM_PINNED;
            it->stopped_role = stopped_role;
            continue;
        }
        it->current = current;
        it->running = running > 0;
        if (stuck >= 0) {
            e->reasons[v] = g_strdup_printf("stop failed on %s: needs fencing or a manual "
                                            "cleanup before it can run anywhere",
                                            m->nodes[stuck].name);
            it->kind = ITEM_PINNED;
            it->current = -1; /* not counted anywhere */
            continue;
        }
        if (!vm->managed || maintenance ||
            (!quorate && m->no_quorum_policy == VMHA_NO_QUORUM_FREEZE)) {
            it->kind = ITEM_PINNED;
            if (running == 0)
                e->reasons[v] = g_strdup(!vm->managed  ? "not managed (is-managed=false)"
                                         : maintenance ? "node in maintenance"
                                                       : "no quorum (no-quorum-policy=freeze)");
            continue;
        }
        if (stopped_role) {
            e->reasons[v] = g_strdup(vm->target_stopped ? "target-role is Stopped"
                                     : m->stop_all      ? "stop-all-resources is set"
                                                        : "no quorum (no-quorum-policy=stop)");
            it->kind = ITEM_STOPPED;
            continue;
        }
        /* A failed migration off a draining node never turns into a stop unless asked for: the
         * VM keeps running where it is (Pacemaker would stop and start it). */
        if (running == 1 && m->nodes[current].drain &&
            state_of(e, vm, (size_t)current) == VMHA_RSC_ACTIVE &&
            migration_failed(e, vm, (size_t)current) && !may_cold_move(m, vm, (size_t)current)) {
            e->reasons[v] = migration_failed_reason(m, vm, (size_t)current);
            it->kind = ITEM_PINNED;
            continue;
        }
        it->kind = ITEM_NORMAL;
    }
    for (size_t f = 0; f < n_other; f++) {
        bool fence = f < m->n_fence_devices;
        const VmhaFenceDevice *d = fence ? &m->fence_devices[f] : NULL;
        const VmhaForeign *o = fence ? NULL : &m->foreign[f - m->n_fence_devices];
        ssize_t on = fence ? d->running_on : o->running_on;
        ssize_t cur =
                on >= 0 && m->nodes[on].state == VMHA_NODE_ONLINE && !e->fencing[on] ? on : -1;
        e->items[m->n_vms + f] = (Item){
                .vm = -1,
                .other = f,
                .kind = !fence && o->target_stopped ? ITEM_STOPPED : ITEM_NORMAL,
                .priority = fence ? d->priority : o->priority,
                .position = fence ? d->position : o->position,
                .current = cur,
                .running = cur >= 0,
                .node = -1,
                .hold = -1,
        };
    }
    for (size_t i = 0; i < e->n_items; i++) {
        Item *it = &e->items[i];
        it->w = weights + (3 * i) * n;
        it->base = weights + (3 * i + 1) * n;
        it->merged = weights + (3 * i + 2) * n;
        item_weights(e, it);
        memcpy(it->base, it->w, sizeof(int) * n);
    }
    for (size_t i = 0; i < n; i++)
        e->node_order[i] = i;
    if (n > 0)
        g_qsort_with_data(e->node_order, (gint)n, sizeof(size_t), cmp_node_order, e);
    if (m->placement_strategy != VMHA_STRATEGY_DEFAULT) {
        for (size_t i = 0; i < e->n_items; i++) {
            Item *it = &e->items[i];
            g_autofree int *merged = NULL;
            if (it->vm >= 0)
                add_colocated(e, it, &merged, 1.0f, SELECT_THIS_WITH);
            memcpy(it->merged, merged ? merged : it->w, sizeof(int) * n);
        }
    }
    if (m->placement_strategy != VMHA_STRATEGY_DEFAULT)
        rank_weights(e);
    e->order = g_new(size_t, MAX(e->n_items, 1));
    for (size_t i = 0; i < e->n_items; i++)
        e->order[i] = i;
    if (e->n_items > 0)
        g_qsort_with_data(e->order, (gint)e->n_items, sizeof(size_t), cmp_items, e);
    /* Two placements: Pacemaker's, and one that first keeps every running VM where it runs;
     * the better by what runs (highest priorities first) wins, Pacemaker's on a tie. */
    e->fixed_reasons = e->reasons;
    Pass passes[2];
    int n_passes = 1;
    run_pass(e, false, &passes[0]);
    if (!runs_all(e, &passes[0]))
        run_pass(e, true, &passes[n_passes++]);
    int chosen = n_passes > 1 && better(e, &passes[1], &passes[0]) ? 1 : 0;
    for (size_t i = 0; i < e->n_items; i++)
        e->items[i].node = passes[chosen].node[i];
    e->reasons = g_steal_pointer(&passes[chosen].reasons);
    for (int k = 0; k < n_passes; k++)
        pass_clear(e, &passes[k]);
    for (size_t v = 0; v < m->n_vms; v++)
        g_free(e->fixed_reasons[v]);
    g_free(e->fixed_reasons);

    return e;
}

static void engine_free(Engine *e)
{
    if (!e)
        return;
    for (size_t v = 0; e->reasons && v < e->m->n_vms; v++)
        g_free(e->reasons[v]);
    g_free(e->reasons);
    if (e->actions)
        g_array_free(e->actions, true);
    g_free(e->items);
    g_free(e->weights);
    g_free(e->order);
    g_free(e->can_host);
    g_free(e->fencing);
    g_free(e->self_fenced);
    g_free(e->free_mem);
    g_free(e->free_cpu);
    g_free(e->count);
    g_free(e->node_order);
    g_free(e->item_of_vm);
    g_free(e->tw_start);
    g_free(e->tw);
    g_free(e->wt_start);
    g_free(e->wt);
    g_free(e);
}

#define NEXT_PLAN_CHECKS 8

/* Plans, then checks the plan against the one that will follow it: the plan carried out
 * (fences done, VMs where it puts them) is planned again, and when that one would stop a VM
 * this one starts or keeps (or holds room for), its placement is taken instead, up to
 * NEXT_PLAN_CHECKS times. A VM is then never started only to be stopped by the next plan,
 * which a greedy order alone does not promise. */
int vmha_engine_plan(const VmhaModel *m, int64_t now, VmhaPlan **ret_plan)
{
    Engine *e = engine_new(m, now, NULL);
    g_autofree ssize_t *on = g_new(ssize_t, MAX(m->n_vms, 1));
    for (int check = 0; check < NEXT_PLAN_CHECKS; check++) {
        for (size_t v = 0; v < m->n_vms; v++)
            on[v] = e->items[v].kind == ITEM_WAITING ? -1 : e->items[v].node;
        Engine *next = engine_new(m, now, on);
        bool stops = false;
        for (size_t v = 0; v < m->n_vms; v++) {
            ItemKind k = e->items[v].kind;
            if ((k == ITEM_NORMAL || k == ITEM_WAITING) && e->items[v].node >= 0 &&
                next->items[v].node < 0)
                stops = true;
        }
        if (stops) {
            for (size_t v = 0; v < m->n_vms; v++) {
                ItemKind k = e->items[v].kind;
                if (k != ITEM_NORMAL && k != ITEM_WAITING)
                    continue;
                e->items[v].node = next->items[v].node;
                if (k == ITEM_NORMAL) {
                    g_free(e->reasons[v]);
                    e->reasons[v] = g_strdup(next->reasons[v]);
                }
            }
        }
        engine_free(next);
        if (!stops)
            break;
    }

    plan_actions(e, e->self_fenced);
    if (e->actions->len > 0)
        g_qsort_with_data(e->actions->data, (gint)e->actions->len, sizeof(VmhaAction), cmp_actions,
                          e);

    VmhaPlan *plan = g_new0(VmhaPlan, 1);
    plan->n_vms = m->n_vms;
    plan->placement = g_new(ssize_t, MAX(m->n_vms, 1));
    plan->held = g_new(ssize_t, MAX(m->n_vms, 1));
    for (size_t v = 0; v < m->n_vms; v++) {
        const Item *it = &e->items[v];
        plan->placement[v] = it->kind == ITEM_WAITING ? -1 : it->node;
        plan->held[v] = it->kind == ITEM_WAITING ? it->node : -1;
    }
    plan->reasons = g_steal_pointer(&e->reasons);
    plan->n_actions = e->actions->len;
    plan->actions = (VmhaAction *)g_array_free(g_steal_pointer(&e->actions), false);
    engine_free(e);
    *ret_plan = plan;
    return 0;
}

void vmha_plan_free(VmhaPlan *plan)
{
    if (!plan)
        return;
    for (size_t i = 0; i < plan->n_vms; i++)
        g_free(plan->reasons[i]);
    g_free(plan->reasons);
    g_free(plan->placement);
    g_free(plan->held);
    g_free(plan->actions);
    g_free(plan);
}

const char *vmha_action_type_to_string(VmhaActionType type)
{
    switch (type) {
    case VMHA_ACTION_FENCE:
        return "fence";
    case VMHA_ACTION_STOP:
        return "stop";
    case VMHA_ACTION_MIGRATE:
        return "migrate";
    case VMHA_ACTION_START:
        return "start";
    }
    return "unknown";
}
