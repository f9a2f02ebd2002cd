/* The policy engine: one plan. See engine.h, and docs/ARCHITECTURE.md "Policy engine" for the
 * rules.
 *
 * Placement mirrors Pacemaker 2.1's scheduler for primitives (pcmk__primitive_assign and what it
 * calls): node weights from locations, stickiness and failures; the allocation order (priority,
 * and for the utilization strategies the weights with colocations folded in); each VM places
 * the primaries it is colocated with first, takes their scores, folds in the preferences of
 * the VMs colocated with it, checks capacity for itself and what must come along, and takes
 * the best node. Then vmha's own steps: room held for VMs waiting on a fence, VMs kept on a
 * draining node, and a repair pass that runs VMs the greedy order left stopped although a
 * valid placement exists (engine.h).
 *
 * This file holds the plan as a whole: who can run where and what waits (engine_new), the two
 * placements and the choice between them, the check against the next plan, the result. Each
 * step is its own module (engine-internal.h lists them). */
#include <stdlib.h>

#include "engine-internal.h"

typedef struct {
    ssize_t *node;  /* [n_items] */
    char **reasons; /* [n_vms] */
} Pass;

/* Whether a VM whose migration off this draining node failed may leave it anyway by stop and
 * start (memory lost): a drain with --force, or the VM's vmha-drain-fallback=stop. */
static bool may_cold_move(const VmhaModel *m, const VmhaVm *vm, size_t node)
{
    const VmhaNode *n = &m->nodes[node];
    return n->drain && (n->drain_force || vm->drain_fallback_stop);
}

/* A VM on a node its own scores refuse (a negative location) runs there only because a
 * positive colocation pulled it there (Pacemaker adds the score). The repair moves VMs by the
 * rules alone; when it took that support away, the VM must be placed again. */
static bool supported(const Engine *e, const Item *it)
{
    size_t n = (size_t)it->node;
    if (it->base[n] >= 0)
        return true;
    int score = it->base[n];
    for (ColocWalk w = coloc_walk(e, (size_t)it->vm, COLOC_AS_DEPENDENT); coloc_walk_next(&w);)
        if (w.c->score > 0 && w.c->score < INF && w.other->node == (ssize_t)n)
            score = vmha_score_add(score, w.c->score);
    return score >= 0;
}

/* Takes it out of the plan, with the VMs that run only where it runs. */
static void unplace_with_dependents(Engine *e, Item *it)
{
    if (it->node < 0 || it->kind == ITEM_PINNED)
        return;
    engine_release(e, &e->m->vms[it->vm], (size_t)it->node);
    it->node = -1;
    size_t v = (size_t)it->vm;
    for (ColocWalk w = coloc_walk(e, v, COLOC_AS_PRIMARY); coloc_walk_next(&w);)
        if (w.c->score >= INF)
            unplace_with_dependents(e, w.other);
    if (it->kind == ITEM_NORMAL) {
        g_free(e->reasons[v]);
        e->reasons[v] = engine_reason_for(e, it);
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
            engine_place(e, &e->items[i], e->items[i].running ? e->items[i].current : -1);
    if (keep)
        engine_keep_running(e);
    for (size_t i = 0; i < e->n_items; i++)
        engine_assign(e, &e->items[e->order[i]]);
    /* What the repair then moves may take away the colocation that held a VM where its own
     * scores refuse it: such a VM (and what runs only with it) is placed again. VMs Pacemaker
     * placed there for reasons beyond that (the scores of VMs that follow them) stay. */
    g_autofree bool *held_by_coloc = g_new0(bool, MAX(m->n_vms, 1));
    for (size_t v = 0; v < m->n_vms; v++) {
        const Item *it = &e->items[v];
        held_by_coloc[v] = it->node >= 0 && it->base[it->node] < 0 && supported(e, it);
    }
    for (int round = 0; round < 3; round++) {
        engine_repair_all(e);
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
            engine_add_action(e, VMHA_ACTION_FENCE, -1, (ssize_t)i, -1, VMHA_MIGRATION_DEFAULT);

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
            engine_migration_failed(e, vm, (size_t)current) &&
            !may_cold_move(m, vm, (size_t)current)) {
            e->reasons[v] = engine_migration_failed_reason(m, vm, (size_t)current);
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
        engine_item_weights(e, it);
        memcpy(it->base, it->w, sizeof(int) * n);
    }
    engine_allocation_order(e);
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

bool vmha_engine_reads_clock(const VmhaModel *m)
{
    for (size_t n = 0; n < m->n_nodes; n++)
        if (m->nodes[n].state == VMHA_NODE_LOST)
            return true;
    for (size_t v = 0; v < m->n_vms; v++) {
        const VmhaVm *vm = &m->vms[v];
        /* Every reader of e->now: vmha_vm_state (the expiries), failcount and
         * engine_migration_failed (failure-timeout), effective_stickiness (failback windows). */
        if (vm->n_expiries > 0)
            return true;
        if (vm->failback && strcmp(vm->failback, "never") != 0 &&
            strcmp(vm->failback, "immediate") != 0)
            return true;
        if (vm->failure_timeout <= 0)
            continue;
        if (vm->n_failures > 0)
            return true;
        for (size_t n = 0; vm->migrate_failed_at && n < m->n_nodes; n++)
            if (vm->migrate_failed_at[n] > 0)
                return true;
    }
    return false;
}

/* The plan's actions by VM (a counting sort, stable: plan order within a VM). */
static void plan_index_by_vm(VmhaPlan *plan)
{
    size_t *start = g_new0(size_t, plan->n_vms + 1);
    size_t *fill = g_new0(size_t, plan->n_vms + 1);

    for (size_t i = 0; i < plan->n_actions; i++)
        if (plan->actions[i].vm >= 0 && (size_t)plan->actions[i].vm < plan->n_vms)
            start[plan->actions[i].vm + 1]++;
    for (size_t v = 0; v < plan->n_vms; v++)
        start[v + 1] += start[v];
    plan->vm_actions = g_new(size_t, MAX(start[plan->n_vms], 1));
    for (size_t i = 0; i < plan->n_actions; i++) {
        ssize_t v = plan->actions[i].vm;
        if (v >= 0 && (size_t)v < plan->n_vms)
            plan->vm_actions[start[v] + fill[v]++] = i;
    }
    g_free(fill);
    plan->vm_action_start = start;
}

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

    engine_plan_actions(e, e->self_fenced);

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
    plan_index_by_vm(plan);
    engine_free(e);
    *ret_plan = plan;
    return 0;
}

const VmhaAction *vmha_plan_next_vm_action(const VmhaPlan *plan, size_t vm, size_t *cursor)
{
    if (plan->vm_action_start) {
        if (vm >= plan->n_vms ||
            plan->vm_action_start[vm] + *cursor >= plan->vm_action_start[vm + 1])
            return NULL;
        size_t i = plan->vm_action_start[vm] + *cursor;
        (*cursor)++;
        return &plan->actions[plan->vm_actions[i]];
    }
    while (*cursor < plan->n_actions) {
        const VmhaAction *a = &plan->actions[(*cursor)++];
        if (a->vm == (ssize_t)vm)
            return a;
    }
    return NULL;
}

void vmha_plan_free(VmhaPlan *plan)
{
    if (!plan)
        return;
    g_free(plan->vm_action_start);
    g_free(plan->vm_actions);
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
