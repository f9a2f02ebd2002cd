/* The policy engine's actions: what takes the cluster from where each VM runs to where the plan
 * puts it (fence, stop, migrate, start), in the order engine.h promises. See
 * engine-internal.h. */
#include "engine-internal.h"

void engine_add_action(Engine *e, VmhaActionType type, ssize_t vm, ssize_t node, ssize_t to,
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
void engine_plan_actions(Engine *e, const bool *self_fenced)
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
                engine_add_action(e, VMHA_ACTION_START, (ssize_t)v, target, -1,
                                  VMHA_MIGRATION_DEFAULT);
            continue;
        }
        if (running == 1 && src == target && healthy) {
            if (engine_migration_failed(e, vm, (size_t)src) && !e->reasons[v])
                e->reasons[v] = engine_migration_failed_reason(m, vm, (size_t)src);
            continue;
        }
        const VmhaNode *from = &m->nodes[src];
        if (running == 1 && target >= 0 && healthy &&
            !engine_migration_failed(e, vm, (size_t)src) &&
            (vm->allow_migrate || from->drain || vm->move_method)) {
            bool cold_stop =
                    from->drain_shutdown && strcmp(vmha_vm_shutdown_policy(m, vm), "stop") == 0;
            VmhaMigrationMethod method = cold_stop                           ? VMHA_MIGRATION_COLD
                                         : from->drain && from->drain_method ? from->drain_method
                                         : vm->move_method                   ? vm->move_method
                                         : vm->migration_method              ? vm->migration_method
                                                                             : VMHA_MIGRATION_QUICK;
            engine_add_action(e, VMHA_ACTION_MIGRATE, (ssize_t)v, src, target, method);
            continue;
        }
        /* Running twice with a healthy copy where it belongs: stop the others and leave that one
         * alone. Failed, or not migratable: stop everywhere, start once. */
        bool keep = running > 1 && target >= 0 && state_of(e, vm, target) == VMHA_RSC_ACTIVE;
        for (size_t i = 0; i < e->n; i++)
            if (vm_active_on(e, vm, i) && m->nodes[i].state == VMHA_NODE_ONLINE &&
                !self_fenced[i] && !(keep && (ssize_t)i == target))
                engine_add_action(e, VMHA_ACTION_STOP, (ssize_t)v, (ssize_t)i, -1,
                                  VMHA_MIGRATION_DEFAULT);
        if (target >= 0 && !keep)
            engine_add_action(e, VMHA_ACTION_START, (ssize_t)v, target, -1, VMHA_MIGRATION_DEFAULT);
    }
    if (e->actions->len > 0)
        g_qsort_with_data(e->actions->data, (gint)e->actions->len, sizeof(VmhaAction), cmp_actions,
                          e);
}
