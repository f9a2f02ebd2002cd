/* The policy engine's repair pass: no VM left stopped that could run. See engine-internal.h.
 *
 * Pacemaker's greedy order can leave a VM stopped although a valid placement runs it: a soft
 * preference or a lower-priority primary placed first took the only node it could use. For
 * each VM left stopped (highest priority first) the repair searches for such a placement:
 * the VM on a node its hard constraints allow (bans, failures, capacity, INFINITY and
 * -INFINITY colocations; soft scores yield), moving VMs in its way elsewhere (recursively, up
 * to REPAIR_DEPTH moves deep) and stopping only VMs of lower priority than it. The first
 * placement found in preference order is taken; a bounded number of steps keeps the cost
 * predictable on large clusters (docs/ARCHITECTURE.md, "Where vmha deliberately differs"). */
#include "engine-internal.h"

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
        engine_release(e, vm, (size_t)it->node);
        g_ptr_array_remove_fast(r->on_node[it->node], it);
    }
    it->node = to;
    if (to >= 0) {
        engine_consume(e, vm, (size_t)to);
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

/* It may be stopped for the VM being repaired, and with it every VM that runs only where it
 * does (INFINITY colocations, transitively). */
static bool evictable(const Repair *r, const Item *it)
{
    const Engine *e = r->e;
    if (!r->may_evict || !repairable_kind(it) || r->busy[item_index(e, it)] ||
        it->priority >= r->root_priority || kept_on_drain(e, it))
        return false;
    for (ColocWalk w = coloc_walk(e, (size_t)it->vm, COLOC_AS_PRIMARY); coloc_walk_next(&w);)
        if (w.c->score >= INF && w.other->node >= 0 && !evictable(r, w.other))
            return false;
    return true;
}

static void evict(Repair *r, Item *it)
{
    const Engine *e = r->e;
    if (it->node < 0)
        return;
    move_item(r, it, -1);
    for (ColocWalk w = coloc_walk(e, (size_t)it->vm, COLOC_AS_PRIMARY); coloc_walk_next(&w);)
        if (w.c->score >= INF)
            evict(r, w.other);
}

/* The VMs that must move with x: INFINITY colocations either way, transitively, among the VMs
 * placed (with `stopped_too`, also those left stopped that could come along); x first. */
static void group_add(const Engine *e, Item *x, GPtrArray *g, bool stopped_too)
{
    if (g_ptr_array_find(g, x, NULL))
        return;
    g_ptr_array_add(g, x);
    for (ColocWalk w = coloc_walk(e, (size_t)x->vm, COLOC_EITHER); coloc_walk_next(&w);) {
        Item *o = w.other;
        if (w.c->score >= INF &&
            (o->node >= 0 || (stopped_too && repairable_kind(o) && o->kind == ITEM_NORMAL)))
            group_add(e, o, g, stopped_too);
    }
}

/* One of x's INFINITY primaries cannot run (stopped on purpose, pinned): neither can x. */
static bool misses_primary(const Engine *e, const Item *x)
{
    for (ColocWalk w = coloc_walk(e, (size_t)x->vm, COLOC_AS_DEPENDENT); coloc_walk_next(&w);) {
        const Item *p = w.other;
        if (w.c->score >= INF && p->node < 0 && !(repairable_kind(p) && p->kind == ITEM_NORMAL))
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

/* Every member may run on n, no two of them are kept apart, and each one's INFINITY primaries
 * come along or are there. */
static bool group_ok(const Engine *e, GPtrArray *g, size_t n)
{
    for (guint i = 0; i < g->len; i++) {
        const Item *it = g->pdata[i];
        if (!hard_ok(e, it, n))
            return false;
        for (ColocWalk w = coloc_walk(e, (size_t)it->vm, COLOC_EITHER); coloc_walk_next(&w);) {
            if (w.c->score <= -INF && g_ptr_array_find(g, w.other, NULL))
                return false;
            if (!w.as_primary && w.c->score >= INF && w.other->node != (ssize_t)n &&
                !g_ptr_array_find(g, w.other, NULL))
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
        for (ColocWalk w = coloc_walk(e, (size_t)it->vm, COLOC_EITHER); coloc_walk_next(&w);) {
            Item *o = w.other;
            if (w.c->score <= -INF && o->node == (ssize_t)n && !g_ptr_array_find(g, o, NULL) &&
                !g_ptr_array_find(out, o, NULL))
                g_ptr_array_add(out, o);
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
        for (ColocWalk w = coloc_walk(e, (size_t)x->vm, COLOC_AS_DEPENDENT); coloc_walk_next(&w);)
            if (w.c->score >= INF && w.other->node != (ssize_t)n)
                return false;
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
            for (ColocWalk w = coloc_walk(e, (size_t)m->vm, COLOC_EITHER);
                 !bad && coloc_walk_next(&w);) {
                if (w.c->score <= -INF && g_ptr_array_find(part, w.other, NULL))
                    bad = true;
                if (!w.as_primary && w.c->score >= INF && w.other->node != (ssize_t)n &&
                    !g_ptr_array_find(part, w.other, NULL))
                    bad = true;
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
        for (ColocWalk w = coloc_walk(e, v, COLOC_EITHER); coloc_walk_next(&w);)
            if (w.c->score <= -INF && w.other->node == (ssize_t)n &&
                (g->len == 1 || !g_ptr_array_find(g, w.other, NULL)))
                return true;
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
    return engine_compare_nodes(e, it->w, it->current, a, b);
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
void engine_repair_all(Engine *e)
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
            e->reasons[it->vm] = engine_reason_for(e, it);
    }
    g_array_free(r.journal, true);
    for (size_t n = 0; n < e->n; n++)
        g_ptr_array_free(r.on_node[n], true);
    g_free(r.on_node);
}
