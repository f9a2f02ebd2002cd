#include "dispatch.h"

#include <string.h>

#include "pcmknum.h"

static bool leaving(const char *op)
{
    return op && (strcmp(op, "stop") == 0 || strcmp(op, "migrate_to") == 0);
}

static bool migrating(const char *op)
{
    return op && (strcmp(op, "migrate_to") == 0 || strcmp(op, "migrate_from") == 0);
}

static gint cmp_index(gconstpointer a, gconstpointer b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

GArray *vmha_dispatch_select(const VmhaDispatchInput *in)
{
    const VmhaModel *m = in->model;
    const VmhaPlan *plan = in->plan;
    GArray *out = g_array_new(false, false, sizeof(size_t));
    g_autofree bool *busy_vm = g_new0(bool, MAX(m->n_vms, 1));
    g_autofree bool *vacating = g_new0(bool, MAX(m->n_nodes, 1));
    int migrations = 0;

    for (size_t v = 0; v < m->n_vms; v++) {
        const VmhaVm *vm = &m->vms[v];
        if (vm->pending_op) {
            busy_vm[v] = true;
            if (leaving(vm->pending_op) && vm->pending_node >= 0)
                vacating[vm->pending_node] = true;
            if (migrating(vm->pending_op))
                migrations++;
        }
        if ((in->dispatched && g_hash_table_contains(in->dispatched, vm->name)) ||
            (in->hold && g_hash_table_contains(in->hold, vm->name)))
            busy_vm[v] = true;
    }
    /* Written but not applied yet, so not pending in the model: the plan still holds the same
     * action for the VM, and it counts as if in flight. */
    for (size_t i = 0; in->dispatched && i < plan->n_actions; i++) {
        const VmhaAction *a = &plan->actions[i];
        if (a->vm < 0 || m->vms[a->vm].pending_op ||
            !g_hash_table_contains(in->dispatched, m->vms[a->vm].name))
            continue;
        if (a->type == VMHA_ACTION_MIGRATE)
            migrations++;
        if (a->type == VMHA_ACTION_MIGRATE || a->type == VMHA_ACTION_STOP)
            vacating[a->node] = true;
    }
    /* Stops and migrations away first, so that the starts below see every node being vacated. */
    for (size_t i = 0; i < plan->n_actions; i++) {
        const VmhaAction *a = &plan->actions[i];
        if (a->type != VMHA_ACTION_STOP || busy_vm[a->vm])
            continue;
        busy_vm[a->vm] = true;
        vacating[a->node] = true;
        g_array_append_val(out, i);
    }
    for (size_t i = 0; i < plan->n_actions; i++) {
        const VmhaAction *a = &plan->actions[i];
        if (a->type != VMHA_ACTION_MIGRATE || busy_vm[a->vm])
            continue;
        if (m->migration_limit > 0 && migrations >= m->migration_limit)
            break;
        if (vacating[a->to])
            continue;
        busy_vm[a->vm] = true;
        vacating[a->node] = true;
        migrations++;
        g_array_append_val(out, i);
    }
    for (size_t i = 0; i < plan->n_actions; i++) {
        const VmhaAction *a = &plan->actions[i];
        if (a->type != VMHA_ACTION_START || busy_vm[a->vm] || vacating[a->node])
            continue;
        busy_vm[a->vm] = true;
        g_array_append_val(out, i);
    }
    /* Back in the engine's order (priority first), which is the order they are written in. */
    g_array_sort(out, cmp_index);
    return out;
}

unsigned vmha_node_action_limit(const char *property, unsigned cores)
{
    long long n = property ? vmha_pcmk_scan_ll(property, 0, NULL) : 0;

    if (n > 0)
        return (unsigned)MIN(n, (long long)G_MAXUINT);
    return 2 * MAX(cores, 1u);
}
