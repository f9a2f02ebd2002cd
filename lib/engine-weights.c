/* The policy engine's node weights: where each VM starts from (locations, stickiness, failures,
 * a failed migration's hold), the capacity a placement uses up, and colocations folded into
 * weights as Pacemaker does (pcmk__apply_coloc_to_weights, pcmk__add_colocated_node_scores).
 * See engine-internal.h. */
#include <stdio.h>

#include "engine-internal.h"

/* Whether a migration of the VM off this node failed and left it running there (the agent gives
 * up a quick or live migration before its timeout and keeps the VM running), and that failure has
 * not expired (failure-timeout). Such a VM is not migrated from there again until a cleanup. */
bool engine_migration_failed(const Engine *e, const VmhaVm *vm, size_t node)
{
    int64_t at = vm->migrate_failed_at[node];

    if (at <= 0)
        return false;
    return !(vm->failure_timeout > 0 && e->now >= at + vm->failure_timeout);
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

/* Pacemaker's starting weights: locations, stickiness on the one node a managed VM runs on,
 * -INFINITY where failures reached migration-threshold (apply_node_criteria). */
void engine_item_weights(Engine *e, Item *it)
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
        engine_migration_failed(e, vm, (size_t)it->current))
        it->hold = it->current;
}

void engine_consume(Engine *e, const VmhaVm *vm, size_t node)
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

void engine_release(Engine *e, const VmhaVm *vm, size_t node)
{
    e->count[node]--;
    if (!vm || !uses_capacity(e))
        return;
    if (e->m->nodes[node].memory >= 0)
        e->free_mem[node] += vm->memory;
    if (e->m->nodes[node].cpu >= 0)
        e->free_cpu[node] += vm->cpu;
}

/* pcmk__apply_coloc_to_weights(): the dependent follows (or avoids) where the primary went. */
void engine_apply_coloc(Engine *e, Item *dep, const Item *prim, const VmhaColocation *c)
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

/* pcmk__add_colocated_node_scores(): folds `other`'s scores (times factor) into *nodes, then
 * follows other's own colocations (its primaries for SELECT_THIS_WITH, else the VMs colocated
 * with it), each at its own score. With SELECT_ACTIVE, a merge that leaves no node available is
 * rolled back. *nodes NULL: start from other's own weights (the allocation order). */
void engine_add_colocated(Engine *e, Item *other, int **nodes, float factor, int flags)
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
        ColocSides sides = this_with ? COLOC_AS_DEPENDENT : COLOC_AS_PRIMARY;
        for (ColocWalk w = coloc_walk(e, (size_t)other->vm, sides); coloc_walk_next(&w);) {
            if (!this_with && !has_influence(e, w.c))
                continue;
            float f = multiplier * w.c->score / (float)INF;
            engine_add_colocated(e, w.other, &work, f, flags | SELECT_ACTIVE);
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
