#include "statusview.h"

#include <string.h>

const char *vmha_show_node_state(const VmhaNode *node, const VmhaNodeFence *fence)
{
    bool asked = fence && (fence->requested > 0 || fence->failures > 0);

    switch (node->state) {
    case VMHA_NODE_ONLINE:
        /* A fence request for a node that is still up: the leader is on it. */
        if (fence && fence->requested > 0)
            return "fencing";
        if (node->maintenance)
            return "maintenance";
        if (node->standby)
            return "standby";
        if (node->drain)
            return "draining";
        return "online";
    case VMHA_NODE_LOST:
        return asked ? "fencing" : "unclean";
    case VMHA_NODE_OFFLINE:
        return fence && fence->fenced > 0 ? "fenced" : "offline";
    }
    return "unknown";
}

/* The VM runs or may run on node, or has an operation in flight there. */
static bool vm_holds_node(const VmhaVm *vm, size_t node)
{
    return vm->state[node] != VMHA_RSC_INACTIVE ||
           (vm->pending_op && vm->pending_node == (ssize_t)node);
}

const char *vmha_show_model_node_state(const VmhaModel *model, size_t node,
                                       const VmhaNodeFence *fence)
{
    const char *state = vmha_show_node_state(&model->nodes[node], fence);

    if (strcmp(state, "draining") != 0)
        return state;
    for (size_t v = 0; v < model->n_vms; v++)
        if (vm_holds_node(&model->vms[v], node))
            return state;
    return "drained";
}

void vmha_show_node_load(const VmhaModel *model, size_t node, VmhaNodeLoad *ret)
{
    *ret = (VmhaNodeLoad){.memory = model->nodes[node].memory, .cpu = model->nodes[node].cpu};
    for (size_t v = 0; v < model->n_vms; v++) {
        const VmhaVm *vm = &model->vms[v];
        if (!vm_holds_node(vm, node))
            continue;
        ret->vms++;
        ret->memory_used += MAX(vm->memory, 0);
        ret->cpu_used += MAX(vm->cpu, 0);
    }
}

const char *vmha_show_vm_state_to_string(VmhaShowVmState state)
{
    static const char *const names[] = {
            [VMHA_SHOW_RUNNING] = "running",   [VMHA_SHOW_STARTING] = "starting",
            [VMHA_SHOW_STOPPING] = "stopping", [VMHA_SHOW_MIGRATING] = "migrating",
            [VMHA_SHOW_STOPPED] = "stopped",   [VMHA_SHOW_RECOVERING] = "recovering",
            [VMHA_SHOW_FAILED] = "failed",
    };
    return (size_t)state < G_N_ELEMENTS(names) ? names[state] : "unknown";
}

/* "stop on n1, then start on n2", from the plan's actions for this VM (in plan order). */
static char *describe_actions(const VmhaModel *m, const VmhaPlan *p, size_t vm)
{
    g_autoptr(GString) s = g_string_new(NULL);
    size_t cursor = 0;

    for (const VmhaAction *a; (a = vmha_plan_next_vm_action(p, vm, &cursor));) {
        g_string_append(s, s->len ? ", then " : "will ");
        switch (a->type) {
        case VMHA_ACTION_STOP:
            g_string_append_printf(s, "stop on %s", m->nodes[a->node].name);
            break;
        case VMHA_ACTION_START:
            g_string_append_printf(s, "start on %s", m->nodes[a->node].name);
            break;
        case VMHA_ACTION_MIGRATE:
            g_string_append_printf(
                    s, "migrate (%s) from %s to %s",
                    vmha_migration_method_to_string(a->method ? a->method : VMHA_MIGRATION_QUICK),
                    m->nodes[a->node].name, m->nodes[a->to].name);
            break;
        case VMHA_ACTION_FENCE:
            break;
        }
    }
    return s->len ? g_strdup(s->str) : NULL;
}

void vmha_show_vm(const VmhaModel *m, const VmhaPlan *p, size_t v, const VmhaShowPending *pending,
                  VmhaShowVm *ret)
{
    const VmhaVm *vm = &m->vms[v];
    g_autoptr(GPtrArray) nodes = g_ptr_array_new();
    bool failed_somewhere = false, stop_failed = false, on_lost = false;
    size_t active = 0;
    const char *reason = p->reasons[v];
    size_t cursor = 0;
    bool has_actions = vmha_plan_next_vm_action(p, v, &cursor) != NULL;

    for (size_t n = 0; n < m->n_nodes; n++) {
        if (vm->state[n] == VMHA_RSC_INACTIVE)
            continue;
        g_ptr_array_add(nodes, g_strdup(m->nodes[n].name));
        active++;
        failed_somewhere = failed_somewhere || vm->state[n] == VMHA_RSC_FAILED;
        stop_failed = stop_failed || vm->state[n] == VMHA_RSC_STOP_FAILED;
        on_lost = on_lost || m->nodes[n].state == VMHA_NODE_LOST;
    }

    memset(ret, 0, sizeof(*ret));
    if (pending && pending->op && pending->node >= 0 && (size_t)pending->node < m->n_nodes) {
        const char *where = m->nodes[pending->node].name;
        if (strcmp(pending->op, "start") == 0)
            ret->state = VMHA_SHOW_STARTING;
        else if (strcmp(pending->op, "stop") == 0)
            ret->state = VMHA_SHOW_STOPPING;
        else
            ret->state = VMHA_SHOW_MIGRATING;
        ret->why = g_strdup_printf("%s on %s in progress", pending->op, where);
        bool listed = false;
        for (guint i = 0; i < nodes->len; i++)
            listed = listed || strcmp(g_ptr_array_index(nodes, i), where) == 0;
        if (!listed)
            g_ptr_array_add(nodes, g_strdup(where));
    } else if (stop_failed || (active == 0 && p->placement[v] < 0 && reason &&
                               g_str_has_prefix(reason, "failed too often"))) {
        ret->state = VMHA_SHOW_FAILED;
        ret->why = g_strdup(reason);
    } else if (has_actions || failed_somewhere || on_lost) {
        ret->state = VMHA_SHOW_RECOVERING;
        /* Waiting (for a fence) says more than the actions, which then are none for this VM. */
        ret->why = reason && p->placement[v] < 0 ? g_strdup(reason) : describe_actions(m, p, v);
        if (!ret->why && reason)
            ret->why = g_strdup(reason);
    } else if (active > 0) {
        ret->state = VMHA_SHOW_RUNNING;
        ret->why = g_strdup(reason); /* e.g. kept on a draining node */
    } else {
        ret->state = VMHA_SHOW_STOPPED;
        ret->why = g_strdup(reason);
    }
    /* What the agent said when it last failed, as long as the VM is not simply running: the
     * why of a recovery, a ban or a stop lies there. */
    const VmhaOpFailure *f = &vm->last_failure;
    if (ret->state != VMHA_SHOW_RUNNING && ret->state != VMHA_SHOW_STARTING &&
        ret->state != VMHA_SHOW_STOPPING && ret->state != VMHA_SHOW_MIGRATING && f->node >= 0 &&
        (size_t)f->node < m->n_nodes && f->exit_reason &&
        !(ret->why && strstr(ret->why, f->exit_reason))) {
        g_autofree char *before = g_steal_pointer(&ret->why);
        ret->why =
                g_strdup_printf("%s%slast failure: %s on %s: %s", before ? before : "",
                                before ? "; " : "", f->op, m->nodes[f->node].name, f->exit_reason);
    }
    g_ptr_array_add(nodes, NULL);
    ret->nodes = (char **)g_ptr_array_free(g_steal_pointer(&nodes), false);
}

void vmha_show_vm_clear(VmhaShowVm *v)
{
    g_clear_pointer(&v->nodes, g_strfreev);
    g_clear_pointer(&v->why, g_free);
}
