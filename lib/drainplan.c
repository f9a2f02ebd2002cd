#include "drainplan.h"

#include <string.h>

#include "engine.h"

static bool runs_on(const VmhaVm *vm, size_t node)
{
    return vm->state[node] == VMHA_RSC_ACTIVE || vm->state[node] == VMHA_RSC_FAILED;
}

static int cmp_moves(const void *a, const void *b)
{
    const VmhaDrainMove *x = a, *y = b;
    if (x->priority != y->priority)
        return x->priority > y->priority ? -1 : 1;
    return strcmp(x->vm, y->vm);
}

static VmhaMigrationMethod migration_method(const VmhaPlan *plan, size_t vm)
{
    for (size_t i = 0; i < plan->n_actions; i++)
        if (plan->actions[i].type == VMHA_ACTION_MIGRATE && plan->actions[i].vm == (ssize_t)vm)
            return plan->actions[i].method;
    return VMHA_MIGRATION_COLD; /* stopped here, started there */
}

static bool can_host(const VmhaNode *n)
{
    return n->state == VMHA_NODE_ONLINE && !n->standby && !n->maintenance && !n->drain;
}

/* Memory placed on each node by the plan, and what remains of its capacity. */
static void capacity_after(const VmhaModel *m, const VmhaPlan *plan, VmhaDrainPlan *d,
                           int64_t *used)
{
    for (size_t v = 0; v < m->n_vms; v++)
        if (plan->placement[v] >= 0)
            used[plan->placement[v]] += m->vms[v].memory;
    for (size_t n = 0; n < m->n_nodes; n++)
        d->free_after[n] = m->nodes[n].memory < 0 ? -1 : m->nodes[n].memory - used[n];
}

static void biggest_loss(const VmhaModel *m, size_t drained, const int64_t *used, VmhaDrainPlan *d)
{
    d->biggest = -1;
    d->absorbs_biggest = -1;
    for (size_t n = 0; n < m->n_nodes; n++)
        if (n != drained && can_host(&m->nodes[n]) &&
            (d->biggest < 0 || used[n] > used[d->biggest]))
            d->biggest = (ssize_t)n;
    if (d->biggest < 0)
        return;
    int64_t room = 0;
    for (size_t n = 0; n < m->n_nodes; n++) {
        if (n == drained || (ssize_t)n == d->biggest || !can_host(&m->nodes[n]))
            continue;
        if (d->free_after[n] < 0)
            return; /* a node without a capacity: unknown */
        room += MAX(d->free_after[n], 0);
    }
    if (m->nodes[d->biggest].memory < 0)
        return;
    d->absorbs_biggest = room >= used[d->biggest];
}

int vmha_drain_plan(VmhaModel *m, size_t node, VmhaMigrationMethod method, int64_t now,
                    VmhaDrainPlan **ret_plan)
{
    if (node >= m->n_nodes)
        return -1;
    VmhaNode *n = &m->nodes[node];
    VmhaNode saved = *n;
    n->drain = true;
    n->drain_force = false;
    n->drain_method = method;
    g_autoptr(VmhaPlan) plan = NULL;
    vmha_engine_plan(m, now, &plan);
    *n = saved;

    VmhaDrainPlan *d = g_new0(VmhaDrainPlan, 1);
    d->measured = m->save_mib_per_s > 0 && m->restore_mib_per_s > 0;
    d->save_mib_per_s = d->measured ? m->save_mib_per_s : VMHA_DEFAULT_SAVE_MIB_PER_S;
    d->restore_mib_per_s = d->measured ? m->restore_mib_per_s : VMHA_DEFAULT_RESTORE_MIB_PER_S;
    d->moves = g_new0(VmhaDrainMove, m->n_vms);
    for (size_t v = 0; v < m->n_vms; v++) {
        const VmhaVm *vm = &m->vms[v];
        if (!runs_on(vm, node))
            continue;
        VmhaDrainMove *mv = &d->moves[d->n_moves++];
        mv->vm = vm->name;
        mv->priority = vm->priority;
        mv->memory = vm->memory;
        mv->pause_s = -1;
        ssize_t to = plan->placement[v];
        if (to < 0 || (size_t)to == node) {
            const char *why = plan->reasons[v];
            const char *colon = why ? strstr(why, ": ") : NULL;
            /* "kept on draining node nX: REASON" says more than needed here */
            mv->why = g_strdup(colon && g_str_has_prefix(why, "kept on draining node") ? colon + 2
                               : why                                                   ? why
                                     : "no node can take it");
            d->n_stuck++;
            continue;
        }
        mv->target = m->nodes[to].name;
        mv->method = migration_method(plan, v);
        if (mv->method == VMHA_MIGRATION_LIVE)
            mv->pause_s = 0;
        else if (mv->method == VMHA_MIGRATION_QUICK && vm->memory > 0)
            mv->pause_s = (double)vm->memory / d->save_mib_per_s +
                          (double)vm->memory / d->restore_mib_per_s;
    }
    qsort(d->moves, d->n_moves, sizeof(*d->moves), cmp_moves);

    g_autofree int64_t *used = g_new0(int64_t, m->n_nodes);
    d->free_after = g_new0(int64_t, m->n_nodes);
    capacity_after(m, plan, d, used);
    biggest_loss(m, node, used, d);
    *ret_plan = d;
    return 0;
}

void vmha_drain_plan_free(VmhaDrainPlan *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n_moves; i++)
        g_free(d->moves[i].why);
    g_free(d->moves);
    g_free(d->free_after);
    g_free(d);
}

int vmha_move_check(VmhaModel *m, size_t v, ssize_t from, ssize_t to, VmhaMigrationMethod method,
                    int64_t now, ssize_t *ret_target, char **ret_why)
{
    VmhaVm *vm = &m->vms[v];
    size_t n_saved = vm->n_locations;
    VmhaMigrationMethod method_saved = vm->move_method;

    /* The move request as clusterd will write it (lib/maintcib), on top of the VM's own. */
    vm->locations = g_renew(VmhaLocation, vm->locations, n_saved + 2);
    vm->locations[vm->n_locations++] = (VmhaLocation){(size_t)from, -VMHA_SCORE_INFINITY};
    if (to >= 0)
        vm->locations[vm->n_locations++] = (VmhaLocation){(size_t)to, VMHA_SCORE_INFINITY};
    vm->move_method = method ? method : VMHA_MIGRATION_QUICK;
    g_autoptr(VmhaPlan) plan = NULL;
    vmha_engine_plan(m, now, &plan);
    vm->n_locations = n_saved;
    vm->move_method = method_saved;

    ssize_t target = plan->placement[v];
    *ret_target = target;
    if (target >= 0 && (to < 0 || target == to))
        return 0;
    if (target >= 0 && target == from && plan->reasons[v])
        *ret_why = g_strdup(plan->reasons[v]); /* held where it is, e.g. a failed migration */
    else if (target >= 0)
        *ret_why = g_strdup_printf("it would go to %s instead", m->nodes[target].name);
    else
        *ret_why = g_strdup(plan->reasons[v] ? plan->reasons[v] : "no node can take it");
    return -1;
}
