/* The policy engine. See engine.h, and docs/ARCHITECTURE.md "Policy engine" for the rules. */
#include "engine.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INF         VMHA_SCORE_INFINITY
#define NOT_ALLOWED INT_MIN /* node absent from an asymmetric cluster's allowed list */

/* Why a node could not take a VM; the most telling one becomes the VM's reason. */
typedef enum {
    WHY_NONE = 0,
    WHY_UNAVAILABLE,
    WHY_BANNED,
    WHY_FAILED,
    WHY_ANTI_AFFINITY,
    WHY_CAPACITY,
} Why;

/* Something to place: a VM, or a fence device (Pacemaker places those like resources, so they
 * take part in its count-based tie-breaks; vmha mirrors that and reports nothing for them). */
typedef struct {
    ssize_t vm; /* index, or -1 for a fence device */
    size_t fence;
    int priority;
    size_t position;
    ssize_t current; /* the node it runs on now (first of several), or -1 */
    int *score;      /* [n_nodes] raw weights: locations, bans, stickiness */
    /* The node a VM whose migration from there failed stays on, whatever the preferences, bans
     * or move requests say (its own fail count included); only room for a VM of higher priority,
     * or anti-affinity with one, moves it, by stop and start. Node choice only: the order in
     * which VMs are placed stays Pacemaker's. (A draining node holds such VMs before placement.)
     * -1: none. */
    ssize_t hold;
    bool placed;
    bool allocating;
} Item;

typedef struct {
    const VmhaModel *m;
    int64_t now;
    size_t n;                     /* nodes */
    bool *can_host;               /* [n]: online, not standby/drain/maintenance, not being fenced */
    bool *fencing;                /* [n]: lost (or failed a stop) and not fenced yet */
    int64_t *free_mem, *free_cpu; /* remaining capacity; -1 = not configured */
    int *count;                   /* resources assigned so far (Pacemaker's num_resources) */
    size_t *node_order;           /* nodes sorted once, for the item comparison */
    Item *items;
    size_t n_items;
    ssize_t *item_of_vm; /* [n_vms] -> item index or -1 */
    ssize_t *placement;  /* [n_vms] */
    char **reasons;      /* [n_vms] */
    size_t *coloc_start; /* [n_vms + 1]: a VM's colocations are coloc_index[start[v]..start[v+1]) */
    size_t *coloc_index; /* [2 * n_colocations], document order per VM */
    GArray *actions;
} Engine;

static bool vm_active_on(const VmhaVm *vm, size_t node)
{
    return vm->state[node] == VMHA_RSC_ACTIVE || vm->state[node] == VMHA_RSC_FAILED ||
           vm->state[node] == VMHA_RSC_STOP_FAILED;
}

static int failcount(const Engine *e, const VmhaVm *vm, size_t node)
{
    for (size_t i = 0; i < vm->n_failures; i++) {
        const VmhaFailure *f = &vm->failures[i];
        if (f->node != node || f->count <= 0)
            continue;
        if (vm->failure_timeout > 0 && f->last_failure > 0 &&
            e->now >= f->last_failure + vm->failure_timeout)
            return 0; /* expired */
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

static void item_scores(Engine *e, Item *it)
{
    const VmhaModel *m = e->m;
    it->score = g_new(int, e->n);
    for (size_t n = 0; n < e->n; n++)
        it->score[n] = m->symmetric_cluster ? 0 : NOT_ALLOWED;
    if (it->vm < 0)
        return;
    const VmhaVm *vm = &m->vms[it->vm];
    for (size_t i = 0; i < vm->n_locations; i++) {
        int *s = &it->score[vm->locations[i].node];
        *s = vmha_score_add(*s == NOT_ALLOWED ? 0 : *s, vm->locations[i].score);
    }
    for (size_t n = 0; n < e->n; n++)
        if (banned_by_failures(e, vm, n))
            it->score[n] = -INF;
    /* Stickiness holds only a VM that runs on exactly one node, as in Pacemaker. */
    int stick = effective_stickiness(e, vm);
    size_t running = 0;
    for (size_t n = 0; n < e->n; n++)
        running += vm_active_on(vm, n);
    if (stick > 0 && vm->managed && running == 1 && it->current >= 0 &&
        it->score[it->current] != NOT_ALLOWED)
        it->score[it->current] = vmha_score_add(it->score[it->current], stick);
    if (running == 1 && it->current >= 0 && vm->state[it->current] == VMHA_RSC_ACTIVE &&
        migration_failed(e, vm, (size_t)it->current))
        it->hold = it->current;
}

static int64_t need(const VmhaVm *vm, int attr)
{
    return attr == 0 ? vm->memory : vm->cpu;
}

static int64_t remaining(const Engine *e, size_t node, int attr)
{
    int64_t v = attr == 0 ? e->free_mem[node] : e->free_cpu[node];
    return v < 0 ? 0 : v;
}

static bool fits(const Engine *e, const VmhaVm *vm, size_t node)
{
    if (e->m->placement_strategy == VMHA_STRATEGY_DEFAULT || !vm)
        return true;
    for (int a = 0; a < 2; a++)
        if (need(vm, a) > 0 && remaining(e, node, a) < need(vm, a))
            return false;
    return true;
}

static void consume(Engine *e, const VmhaVm *vm, size_t node)
{
    e->count[node]++;
    if (!vm || e->m->placement_strategy == VMHA_STRATEGY_DEFAULT)
        return;
    /* A node without a capacity for an attribute (-1) never takes a VM that needs it. */
    if (e->free_mem[node] >= 0)
        e->free_mem[node] -= vm->memory;
    if (e->free_cpu[node] >= 0)
        e->free_cpu[node] -= vm->cpu;
}

/* Pacemaker's balanced comparison: one vote per utilization attribute, for the node with more
 * remaining. Negative: a is better. */
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

/* The node order for a placement (Pacemaker's compare_nodes): score, then for `balanced` the
 * free capacity, then fewest resources, then the node the VM runs on, then the name. `minimal`
 * skips straight to the name, which packs VMs onto the first nodes. Negative: a first. */
static int compare_nodes(const Engine *e, const int *score, ssize_t current, size_t a, size_t b)
{
    int sa = score[a], sb = score[b];
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

static int raw(int s)
{
    return s == NOT_ALLOWED ? -INF - 1 : s;
}

/* The allocation order: priority, then (Pacemaker's cmp_resources, used for every strategy but
 * `default`) the score on the node it runs on, then the scores node by node in the sorted node
 * order; last, document order. */
static gint cmp_items(gconstpointer x, gconstpointer y, gpointer data)
{
    const Item *a = x, *b = y;
    const Engine *e = data;
    if (a->priority != b->priority)
        return a->priority > b->priority ? -1 : 1;
    /* Pacemaker sorts by scores only for the utilization-aware strategies. */
    if (e->m->placement_strategy == VMHA_STRATEGY_DEFAULT)
        return (a->position > b->position) - (a->position < b->position);
    int ca = a->current >= 0 ? raw(a->score[a->current]) : -INF - 1;
    int cb = b->current >= 0 ? raw(b->score[b->current]) : -INF - 1;
    if (ca != cb)
        return ca > cb ? -1 : 1;
    for (size_t i = 0; i < e->n; i++) {
        size_t n = e->node_order[i];
        int sa = raw(a->score[n]), sb = raw(b->score[n]);
        if (sa != sb)
            return sa > sb ? -1 : 1;
    }
    return (a->position > b->position) - (a->position < b->position);
}

static char *describe_capacity(const Engine *e, const VmhaVm *vm, const bool *capacity_only)
{
    /* Name the first resource that does not fit on the best remaining node. */
    for (int a = 0; a < 2; a++) {
        if (need(vm, a) <= 0)
            continue;
        int64_t best = -1;
        for (size_t n = 0; n < e->n; n++)
            if (capacity_only[n])
                best = MAX(best, remaining(e, n, a));
        if (best >= 0 && best < need(vm, a))
            return a == 0 ? g_strdup_printf("insufficient memory: needs %" PRId64
                                            " MiB, largest free %" PRId64 " MiB",
                                            vm->memory, best)
                          : g_strdup_printf("insufficient cpu: needs %" PRId64
                                            ", largest free %" PRId64,
                                            vm->cpu, best);
    }
    return g_strdup("insufficient capacity on every eligible node");
}

static void assign_item(Engine *e, size_t idx);

/* Place one item; records a reason when it cannot be placed. */
static void assign_item(Engine *e, size_t idx)
{
    Item *it = &e->items[idx];
    const VmhaModel *m = e->m;
    if (it->placed || it->allocating)
        return;
    it->allocating = true;

    const VmhaVm *vm = it->vm >= 0 ? &m->vms[it->vm] : NULL;
    /* Anti-affinity: Pacemaker places the with-rsc (primary) before its dependent. vmha keeps
     * that order only where it does not let a lower priority go first. */
    if (vm) {
        for (size_t k = e->coloc_start[it->vm]; k < e->coloc_start[it->vm + 1]; k++) {
            const VmhaColocation *col = &m->colocations[e->coloc_index[k]];
            if (col->rsc != (size_t)it->vm)
                continue;
            ssize_t p = e->item_of_vm[col->with_rsc];
            if (p >= 0 && e->items[p].priority >= it->priority)
                assign_item(e, (size_t)p);
        }
    }

    g_autofree int *score = g_memdup2(it->score, sizeof(int) * e->n);
    g_autofree Why *why = g_new0(Why, e->n);
    if (it->hold >= 0)
        score[it->hold] = INF;
    g_autoptr(GString) partners = g_string_new(NULL);
    if (vm) {
        for (size_t k = e->coloc_start[it->vm]; k < e->coloc_start[it->vm + 1]; k++) {
            const VmhaColocation *col = &m->colocations[e->coloc_index[k]];
            size_t other;
            if (col->rsc == (size_t)it->vm)
                other = col->with_rsc;
            else if (col->with_rsc == (size_t)it->vm)
                other = col->rsc;
            else
                continue;
            ssize_t where = e->placement[other];
            ssize_t oi = e->item_of_vm[other];
            if (where < 0 || oi < 0 || !e->items[oi].placed)
                continue;
            if (col->score <= -INF) {
                if (score[where] != NOT_ALLOWED && score[where] >= 0) {
                    why[where] = WHY_ANTI_AFFINITY;
                    g_string_append_printf(partners, "%s%s", partners->len ? ", " : "",
                                           m->vms[other].name);
                }
                score[where] = -INF;
            } else if (score[where] != NOT_ALLOWED) {
                score[where] = vmha_score_add(score[where], col->score);
            }
        }
    }

    ssize_t best = -1;
    for (size_t n = 0; n < e->n; n++) {
        if (!e->can_host[n]) {
            why[n] = WHY_UNAVAILABLE;
            continue;
        }
        if (score[n] == NOT_ALLOWED || score[n] < 0) {
            if (why[n] != WHY_ANTI_AFFINITY)
                why[n] = vm && banned_by_failures(e, vm, n) ? WHY_FAILED : WHY_BANNED;
            continue;
        }
        if (!fits(e, vm, n)) {
            why[n] = WHY_CAPACITY;
            continue;
        }
        if (best < 0 || compare_nodes(e, score, it->current, n, (size_t)best) < 0)
            best = (ssize_t)n;
    }

    it->allocating = false;
    it->placed = true;
    if (best >= 0) {
        consume(e, vm, (size_t)best);
        if (vm)
            e->placement[it->vm] = best;
        return;
    }
    if (!vm)
        return;
    e->placement[it->vm] = -1;

    /* A VM on a draining node that has nowhere to go stays where it is: a drain stops nothing
     * unless forced. */
    if (it->current >= 0 && m->nodes[it->current].drain && !m->nodes[it->current].drain_force &&
        m->nodes[it->current].state == VMHA_NODE_ONLINE && !m->nodes[it->current].standby &&
        !e->fencing[it->current] && vm->state[it->current] == VMHA_RSC_ACTIVE) {
        consume(e, vm, (size_t)it->current);
        e->placement[it->vm] = it->current;
    }

    bool any[WHY_CAPACITY + 1] = {false};
    g_autofree bool *cap = g_new0(bool, e->n);
    for (size_t n = 0; n < e->n; n++) {
        any[why[n]] = true;
        cap[n] = why[n] == WHY_CAPACITY;
    }
    char *reason;
    if (any[WHY_CAPACITY])
        reason = describe_capacity(e, vm, cap);
    else if (any[WHY_ANTI_AFFINITY])
        reason = g_strdup_printf("anti-affinity with %s leaves no node", partners->str);
    else if (any[WHY_FAILED]) {
        g_autoptr(GString) s = g_string_new("failed too often (migration-threshold ");
        g_string_append_printf(s, "%d) on", vm->migration_threshold);
        for (size_t n = 0; n < e->n; n++)
            if (why[n] == WHY_FAILED)
                g_string_append_printf(s, " %s", m->nodes[n].name);
        if (any[WHY_BANNED])
            g_string_append(s, "; banned from the others");
        reason = g_string_free(g_steal_pointer(&s), false);
    } else if (any[WHY_BANNED])
        reason = g_strdup("banned from every online node");
    else
        reason = g_strdup("no node can run VMs (all offline, standby, draining or in maintenance)");
    const char *held = e->placement[it->vm] >= 0 ? "kept on draining node" : NULL;
    if (!held && it->current >= 0 && m->nodes[it->current].drain_force)
        held = "forced drain of";
    if (held) {
        char *r = g_strdup_printf("%s %s: %s", held, m->nodes[it->current].name, reason);
        g_free(reason);
        reason = r;
    }
    e->reasons[it->vm] = reason;
}

static void add_action(Engine *e, VmhaActionType type, ssize_t vm, ssize_t node, ssize_t to,
                       const char *method)
{
    VmhaAction a = {.type = type, .vm = vm, .node = node, .to = to, .method = method};
    g_array_append_val(e->actions, a);
}

static int action_rank(const VmhaActionType t)
{
    return t; /* fence < stop < migrate < start, as the enum is ordered */
}

static gint cmp_actions(gconstpointer x, gconstpointer y, gpointer data)
{
    const VmhaAction *a = x, *b = y;
    const VmhaModel *m = ((const Engine *)data)->m;
    if (a->type != b->type)
        return action_rank(a->type) - action_rank(b->type);
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

int vmha_engine_plan(const VmhaModel *m, int64_t now, VmhaPlan **ret_plan)
{
    Engine e = {.m = m, .now = now, .n = m->n_nodes};
    size_t n = m->n_nodes;

    e.can_host = g_new0(bool, n);
    e.fencing = g_new0(bool, n);
    e.free_mem = g_new(int64_t, n);
    e.free_cpu = g_new(int64_t, n);
    e.count = g_new0(int, n);
    e.node_order = g_new(size_t, n);
    e.item_of_vm = g_new(ssize_t, m->n_vms);
    e.placement = g_new(ssize_t, m->n_vms);
    e.reasons = g_new0(char *, m->n_vms);
    /* Each VM's colocations (either side), so placing costs O(its own constraints). */
    e.coloc_start = g_new0(size_t, m->n_vms + 1);
    e.coloc_index = g_new(size_t, 2 * m->n_colocations + 1);
    for (size_t c = 0; c < m->n_colocations; c++) {
        e.coloc_start[m->colocations[c].rsc + 1]++;
        e.coloc_start[m->colocations[c].with_rsc + 1]++;
    }
    for (size_t v = 0; v < m->n_vms; v++)
        e.coloc_start[v + 1] += e.coloc_start[v];
    {
        g_autofree size_t *fill = g_memdup2(e.coloc_start, sizeof(size_t) * (m->n_vms + 1));
        for (size_t c = 0; c < m->n_colocations; c++) {
            e.coloc_index[fill[m->colocations[c].rsc]++] = c;
            e.coloc_index[fill[m->colocations[c].with_rsc]++] = c;
        }
    }
    e.actions = g_array_new(false, false, sizeof(VmhaAction));

    bool quorate = m->have_quorum || m->no_quorum_policy == VMHA_NO_QUORUM_IGNORE;
    /* self_fenced[n]: lost, but the self-fence deadline has provably passed. */
    g_autofree bool *self_fenced = g_new0(bool, n);
    g_autofree bool *fence_device = g_new0(bool, n);

    for (size_t i = 0; i < n; i++) {
        const VmhaNode *node = &m->nodes[i];
        e.free_mem[i] = node->memory;
        e.free_cpu[i] = node->cpu;
        fence_device[i] = m->stonith_enabled && vmha_model_node_has_fence_device(m, i);
        if (node->state == VMHA_NODE_LOST) {
            if (!fence_device[i] && node->lost_since > 0 &&
                now >= node->lost_since + m->fence_watchdog_timeout)
                self_fenced[i] = true;
            else
                e.fencing[i] = true;
        }
        /* A failed stop leaves the VM possibly running: with fencing, the node is fenced. */
        for (size_t v = 0; node->state == VMHA_NODE_ONLINE && v < m->n_vms; v++)
            if (m->vms[v].state[i] == VMHA_RSC_STOP_FAILED && fence_device[i])
                e.fencing[i] = true;
        e.can_host[i] = node->state == VMHA_NODE_ONLINE && !node->standby && !node->maintenance &&
                        !node->drain && !e.fencing[i];
    }
    for (size_t i = 0; i < n; i++)
        if (e.fencing[i] && fence_device[i] && quorate)
            add_action(&e, VMHA_ACTION_FENCE, -1, (ssize_t)i, -1, NULL);

    /* Decide per VM whether it takes part in placement, or is held where it is. */
    GArray *items = g_array_new(false, true, sizeof(Item));
    g_autofree bool *pinned = g_new0(bool, m->n_vms);
    for (size_t v = 0; v < m->n_vms; v++) {
        const VmhaVm *vm = &m->vms[v];
        e.item_of_vm[v] = -1;
        e.placement[v] = -1;
        ssize_t current = -1, waiting_for = -1, stuck = -1;
        size_t running = 0;
        bool maintenance = false;
        for (size_t i = 0; i < n; i++) {
            if (!vm_active_on(vm, i) || self_fenced[i])
                continue;
            if (e.fencing[i]) {
                if (waiting_for < 0)
                    waiting_for = (ssize_t)i;
                continue;
            }
            if (m->nodes[i].state != VMHA_NODE_ONLINE)
                continue;
            if (vm->state[i] == VMHA_RSC_STOP_FAILED && stuck < 0)
                stuck = (ssize_t)i;
            /* A clusterd shutting down leaves its freeze-policy VMs running as they are. */
            if (m->nodes[i].maintenance || (m->nodes[i].drain_shutdown &&
                                            strcmp(vmha_vm_shutdown_policy(m, vm), "freeze") == 0))
                maintenance = true;
            if (current < 0)
                current = (ssize_t)i;
            running++;
        }
        if (waiting_for >= 0) {
            /* The one unforgivable bug is a VM running twice: never start it elsewhere while
             * the node it ran on may still be running it. */
            const char *how = fence_device[waiting_for] ? "be fenced" : "self-fence";
            e.reasons[v] = g_strdup_printf("waiting for %s to %s", m->nodes[waiting_for].name, how);
            pinned[v] = true;
            continue;
        }
        if (stuck >= 0) {
            e.reasons[v] = g_strdup_printf("stop failed on %s: needs fencing or a manual "
                                           "cleanup before it can run anywhere",
                                           m->nodes[stuck].name);
            pinned[v] = true;
            continue;
        }
        if (!vm->managed || maintenance ||
            (!quorate && m->no_quorum_policy == VMHA_NO_QUORUM_FREEZE)) {
            /* Left exactly as it is. */
            e.placement[v] = running > 0 ? current : -1;
            pinned[v] = true;
            if (running == 0)
                e.reasons[v] = g_strdup(!vm->managed  ? "not managed (is-managed=false)"
                                        : maintenance ? "node in maintenance"
                                                      : "no quorum (no-quorum-policy=freeze)");
            continue;
        }
        if (vm->target_stopped || !quorate) {
            e.reasons[v] = g_strdup(vm->target_stopped ? "target-role is Stopped"
                                                       : "no quorum (no-quorum-policy=stop)");
            continue; /* stays out of placement: stopped wherever it runs */
        }
        /* A failed migration off a draining node never turns into a stop unless asked for: the
         * VM keeps running where it is (Pacemaker would stop and start it). */
        if (running == 1 && m->nodes[current].drain && vm->state[current] == VMHA_RSC_ACTIVE &&
            migration_failed(&e, vm, (size_t)current) && !may_cold_move(m, vm, (size_t)current)) {
            e.placement[v] = current;
            e.reasons[v] = migration_failed_reason(m, vm, (size_t)current);
            pinned[v] = true;
            continue;
        }
        Item it = {.vm = (ssize_t)v,
                   .hold = -1,
                   .priority = vm->priority,
                   .position = vm->position,
                   .current = current};
        g_array_append_val(items, it);
    }
    if (quorate) {
        /* Other primitives are placed by Pacemaker too; they only count, vmha reports nothing. */
        size_t n_other = m->n_fence_devices + m->n_foreign;
        for (size_t f = 0; f < n_other; f++) {
            bool fence = f < m->n_fence_devices;
            const VmhaFenceDevice *d = fence ? &m->fence_devices[f] : NULL;
            const VmhaForeign *o = fence ? NULL : &m->foreign[f - m->n_fence_devices];
            ssize_t on = fence ? d->running_on : o->running_on;
            if (!fence && o->target_stopped)
                continue;
            ssize_t cur =
                    on >= 0 && m->nodes[on].state == VMHA_NODE_ONLINE && !e.fencing[on] ? on : -1;
            Item it = {.vm = -1,
                       .hold = -1,
                       .fence = f,
                       .priority = fence ? d->priority : o->priority,
                       .position = fence ? d->position : o->position,
                       .current = cur};
            g_array_append_val(items, it);
        }
    }
    e.n_items = items->len;
    e.items = (Item *)g_array_free(items, false);

    /* Held VMs keep their capacity before anything else is placed. */
    for (size_t v = 0; v < m->n_vms; v++)
        if (pinned[v] && e.placement[v] >= 0)
            consume(&e, &m->vms[v], (size_t)e.placement[v]);

    for (size_t i = 0; i < e.n_items; i++)
        item_scores(&e, &e.items[i]);
    for (size_t i = 0; i < n; i++)
        e.node_order[i] = i;
    if (n > 0)
        g_qsort_with_data(e.node_order, (gint)n, sizeof(size_t), cmp_node_order, &e);
    if (e.n_items > 0)
        g_qsort_with_data(e.items, (gint)e.n_items, sizeof(Item), cmp_items, &e);
    for (size_t i = 0; i < e.n_items; i++)
        if (e.items[i].vm >= 0)
            e.item_of_vm[e.items[i].vm] = (ssize_t)i;
    for (size_t i = 0; i < e.n_items; i++)
        assign_item(&e, i);

    /* Actions: compare where each VM runs with where it should run. */
    for (size_t v = 0; v < m->n_vms; v++) {
        const VmhaVm *vm = &m->vms[v];
        ssize_t target = e.placement[v];
        if (pinned[v])
            continue;
        ssize_t src = -1;
        size_t running = 0;
        bool healthy = true;
        for (size_t i = 0; i < n; i++) {
            if (!vm_active_on(vm, i) || m->nodes[i].state != VMHA_NODE_ONLINE || self_fenced[i])
                continue;
            running++;
            if (src < 0)
                src = (ssize_t)i;
            if (vm->state[i] != VMHA_RSC_ACTIVE)
                healthy = false;
        }
        if (running == 0) {
            if (target >= 0)
                add_action(&e, VMHA_ACTION_START, (ssize_t)v, target, -1, NULL);
            continue;
        }
        if (running == 1 && src == target && healthy) {
            if (migration_failed(&e, vm, (size_t)src) && !e.reasons[v])
                e.reasons[v] = migration_failed_reason(m, vm, (size_t)src);
            continue;
        }
        const VmhaNode *from = &m->nodes[src];
        if (running == 1 && target >= 0 && healthy && !migration_failed(&e, vm, (size_t)src) &&
            (vm->allow_migrate || from->drain || vm->move_method)) {
            bool cold_stop =
                    from->drain_shutdown && strcmp(vmha_vm_shutdown_policy(m, vm), "stop") == 0;
            const char *method = cold_stop                           ? "cold"
                                 : from->drain && from->drain_method ? from->drain_method
                                 : vm->move_method                   ? vm->move_method
                                 : vm->migration_method              ? vm->migration_method
                                                                     : "quick";
            add_action(&e, VMHA_ACTION_MIGRATE, (ssize_t)v, src, target, method);
            continue;
        }
        /* Running twice with a healthy copy where it belongs: stop the others and leave that one
         * alone. Failed, or not migratable: stop everywhere, start once. */
        bool keep = running > 1 && target >= 0 && vm->state[target] == VMHA_RSC_ACTIVE;
        for (size_t i = 0; i < n; i++)
            if (vm_active_on(vm, i) && m->nodes[i].state == VMHA_NODE_ONLINE && !self_fenced[i] &&
                !(keep && (ssize_t)i == target))
                add_action(&e, VMHA_ACTION_STOP, (ssize_t)v, (ssize_t)i, -1, NULL);
        if (target >= 0 && !keep)
            add_action(&e, VMHA_ACTION_START, (ssize_t)v, target, -1, NULL);
    }
    if (e.actions->len > 0)
        g_qsort_with_data(e.actions->data, (gint)e.actions->len, sizeof(VmhaAction), cmp_actions,
                          &e);

    VmhaPlan *plan = g_new0(VmhaPlan, 1);
    plan->n_vms = m->n_vms;
    plan->placement = g_steal_pointer(&e.placement);
    plan->reasons = g_steal_pointer(&e.reasons);
    plan->n_actions = e.actions->len;
    plan->actions = (VmhaAction *)g_array_free(e.actions, false);

    for (size_t i = 0; i < e.n_items; i++)
        g_free(e.items[i].score);
    g_free(e.items);
    g_free(e.can_host);
    g_free(e.fencing);
    g_free(e.free_mem);
    g_free(e.free_cpu);
    g_free(e.count);
    g_free(e.node_order);
    g_free(e.item_of_vm);
    g_free(e.coloc_start);
    g_free(e.coloc_index);
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
