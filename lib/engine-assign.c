/* The policy engine's assignment of one VM (Pacemaker's pcmk__primitive_assign): the primaries
 * it is colocated with first, their scores and the preferences of the VMs that follow it, room
 * for it and what must come along, the best node; and the pre-placement that keeps running VMs
 * where they run. See engine-internal.h. */
#include "engine-internal.h"

/* pcmk__colocated_resources(): the VMs tied to it by INFINITY colocations, both ways,
 * transitively. */
static void collect_colocated(Engine *e, size_t v, size_t orig, GArray *out)
{
    for (guint i = 0; i < out->len; i++)
        if (g_array_index(out, size_t, i) == v)
            return; /* groups are small: a list beats a table */
    g_array_append_val(out, v);
    for (ColocWalk w = coloc_walk(e, v, COLOC_EITHER); coloc_walk_next(&w);) {
        size_t other = (size_t)w.other->vm;
        if (other != orig && w.c->score >= INF)
            collect_colocated(e, other, orig, out);
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

/* Pacemaker's engine_compare_nodes(): weight (an unavailable node counts as -INFINITY), for
 * `balanced` the free capacity, then fewer resources placed so far, then the node it runs on,
 * then the name; `minimal` goes from weight straight to the name. Negative: a first. */
int engine_compare_nodes(const Engine *e, const int *w, ssize_t current, size_t a, size_t b)
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
            (best < 0 || engine_compare_nodes(e, it->w, it->current, n, (size_t)best) < 0))
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

void engine_place(Engine *e, Item *it, ssize_t node)
{
    it->node = node;
    it->placed = true;
    if (node >= 0)
        engine_consume(e, it->vm >= 0 ? &e->m->vms[it->vm] : NULL, (size_t)node);
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
    for (ColocWalk w = coloc_walk(e, (size_t)it->vm, COLOC_AS_DEPENDENT); coloc_walk_next(&w);)
        if (w.c->score >= INF && w.other->node != it->current)
            return false;
    return true;
}

/* pcmk__primitive_assign(). Returns the node, -1 when it runs nowhere or is in a loop. */
ssize_t engine_assign(Engine *e, Item *it)
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
        for (ColocWalk w = coloc_walk(e, v, COLOC_AS_DEPENDENT); coloc_walk_next(&w);) {
            g_autofree int *archive = NULL;
            if (w.c->score < 0 && w.c->score > -INF)
                archive = g_memdup2(it->w, sizeof(int) * e->n);
            engine_assign(e, w.other);
            if (w.other->placed)
                engine_apply_coloc(e, it, w.other, w.c);
            if (archive && !any_available(e, it->w))
                memcpy(it->w, archive, sizeof(int) * e->n);
        }
        /* "with this": the preferences of the VMs that will follow it */
        for (ColocWalk w = coloc_walk(e, v, COLOC_AS_PRIMARY); coloc_walk_next(&w);) {
            if (!has_influence(e, w.c))
                continue;
            float factor = w.c->score / (float)INF;
            g_autofree int *work = g_memdup2(it->w, sizeof(int) * e->n);
            engine_add_colocated(e, w.other, &work, factor, SELECT_ACTIVE);
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
    engine_place(e, it, node);
    if (it->vm >= 0 && it->kind == ITEM_NORMAL)
        engine_set_reason(e, it);
    return node;
}

/* Keeps each healthy running VM on its node where the rules allow (in allocation order, a VM
 * kept together with another after it), before anything else is placed. */
void engine_keep_running(Engine *e)
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
            for (ColocWalk w = coloc_walk(e, v, COLOC_EITHER); ok && coloc_walk_next(&w);) {
                if (w.c->score <= -INF && w.other->node == (ssize_t)n)
                    ok = false;
                if (!w.as_primary && w.c->score >= INF && w.other->node != (ssize_t)n)
                    ok = false;
            }
            if (!ok)
                continue;
            engine_place(e, it, (ssize_t)n);
            /* A primary placed later never avoids its dependents by itself (Pacemaker places
             * it first): keep it off this node. */
            for (ColocWalk w = coloc_walk(e, v, COLOC_AS_DEPENDENT); coloc_walk_next(&w);)
                if (w.c->score <= -INF && !w.other->placed)
                    add_weight(w.other->w, n, -INF);
        }
    }
}
