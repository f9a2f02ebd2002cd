#include "config.h"

#include "clientdoc.h"
#include "clusterhealth.h"
#include "incident.h"

static json_object *member(json_object *o, const char *key)
{
    json_object *v = NULL;
    return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static json_object *find_named(json_object *arr, const char *name)
{
    for (size_t i = 0;
         arr && json_object_is_type(arr, json_type_array) && i < json_object_array_length(arr);
         i++) {
        json_object *e = json_object_array_get_idx(arr, i);
        json_object *n = member(e, "name");
        if (n && g_strcmp0(json_object_get_string(n), name) == 0)
            return e;
    }
    return NULL;
}

int vmha_doc_history(json_object *events_answer, VmhaEvent **ret_events, size_t *ret_n)
{
    json_object *list = member(events_answer, "events");

    if (!list || !json_object_is_type(list, json_type_array))
        return -1;
    size_t total = json_object_array_length(list), n = 0;
    VmhaEvent *events = g_new0(VmhaEvent, total + 1);
    for (size_t i = 0; i < total; i++) {
        g_autofree char *why = NULL;
        if (vmha_event_from_json(json_object_array_get_idx(list, i), &events[n], &why) == 0)
            n++;
    }
    *ret_events = events;
    *ret_n = n;
    return 0;
}

void vmha_doc_history_free(VmhaEvent *events, size_t n)
{
    for (size_t i = 0; events && i < n; i++)
        vmha_event_clear(&events[i]);
    g_free(events);
}

bool vmha_doc_status_add_health(json_object *status)
{
    json_object *open = NULL;

    if (!json_object_object_get_ex(status, "open_incidents", &open))
        return false;
    json_object_get(open);
    json_object_object_del(status, "open_incidents");
    json_object_object_add(status, "health", vmha_health_of_open(status, open));
    return true;
}

void vmha_doc_status_add_history(json_object *status, json_object *events_answer)
{
    VmhaEvent *events = NULL;
    size_t n = 0;
    bool have = vmha_doc_history(events_answer, &events, &n) == 0;

    g_autoptr(GPtrArray) incidents = have ? vmha_incidents_find(events, n) : NULL;
    json_object_object_add(status, "health", vmha_health(status, incidents));
    vmha_status_add_last_events(status, events, n);
    vmha_doc_history_free(events, n);
}

json_object *vmha_doc_incidents(const VmhaEvent *events, size_t n, bool with_events)
{
    g_autoptr(GPtrArray) all = vmha_incidents_find(events, n);
    json_object *arr = json_object_new_array();

    for (guint i = 0; i < all->len; i++) {
        const VmhaIncident *inc = g_ptr_array_index(all, i);
        json_object *j = vmha_incident_to_json(inc, with_events ? events : NULL, n);
        g_autofree char *s = vmha_incident_summary(inc);
        json_object_object_add(j, "summary", json_object_new_string(s));
        json_object_array_add(arr, j);
    }
    return arr;
}

static void copy_key(json_object *dst, json_object *src, const char *key, const char *as)
{
    json_object *v = member(src, key);
    json_object_object_add(dst, as ? as : key, v ? json_object_get(v) : NULL);
}

json_object *vmha_doc_vm_why(json_object *status, json_object *vm_list, const VmhaEvent *events,
                             size_t n, const char *name)
{
    json_object *vm = find_named(member(status, "vms"), name);
    json_object *conf = find_named(member(vm_list, "vms"), name);

    if (!vm || !conf)
        return NULL;
    json_object *nodes = member(vm, "nodes");
    const char *node = nodes && json_object_is_type(nodes, json_type_array) &&
                                       json_object_array_length(nodes) == 1
                               ? json_object_get_string(json_object_array_get_idx(nodes, 0))
                               : NULL;
    g_autoptr(GPtrArray) incidents = vmha_incidents_find(events, n);
    json_object *why = vmha_vm_why(events, n, incidents, name, node);
    copy_key(why, vm, "state", NULL);
    copy_key(why, vm, "nodes", NULL);
    copy_key(why, vm, "why", "reason");
    copy_key(why, vm, "planned_node", NULL);
    json_object *rules = json_object_new_object();
    copy_key(rules, vm, "priority", NULL);
    copy_key(rules, conf, "prefer", NULL);
    copy_key(rules, conf, "together_with", NULL);
    copy_key(rules, conf, "apart_from", NULL);
    copy_key(rules, conf, "banned_from", NULL);
    json_object_object_add(why, "rules", rules);
    return why;
}

json_object *vmha_doc_drain_plan(const VmhaModel *m, const VmhaDrainPlan *d, const char *node)
{
    json_object *o = json_object_new_object();
    json_object *moves = json_object_new_array();

    for (size_t i = 0; i < d->n_moves; i++) {
        const VmhaDrainMove *mv = &d->moves[i];
        json_object *e = json_object_new_object();
        json_object_object_add(e, "vm", json_object_new_string(mv->vm));
        json_object_object_add(e, "priority", json_object_new_int(mv->priority));
        json_object_object_add(e, "memory_mib", json_object_new_int64(mv->memory));
        json_object_object_add(e, "target", mv->target ? json_object_new_string(mv->target) : NULL);
        const char *method = vmha_migration_method_to_string(mv->method);
        json_object_object_add(e, "method", method ? json_object_new_string(method) : NULL);
        json_object_object_add(e, "pause_s",
                               mv->target && mv->pause_s >= 0 ? json_object_new_double(mv->pause_s)
                                                              : NULL);
        json_object_object_add(e, "why", mv->why ? json_object_new_string(mv->why) : NULL);
        json_object_array_add(moves, e);
    }
    json_object_object_add(o, "node", json_object_new_string(node));
    json_object_object_add(o, "moves", moves);
    json_object_object_add(o, "unplaced", json_object_new_int64((int64_t)d->n_stuck));
    json_object_object_add(o, "rates_measured", json_object_new_boolean(d->measured));
    json_object_object_add(o, "save_mib_per_s", json_object_new_double(d->save_mib_per_s));
    json_object_object_add(o, "restore_mib_per_s", json_object_new_double(d->restore_mib_per_s));
    json_object *after = json_object_new_array();
    for (size_t n = 0; n < m->n_nodes; n++) {
        json_object *e = json_object_new_object();
        json_object_object_add(e, "name", json_object_new_string(m->nodes[n].name));
        json_object_object_add(e, "free_memory_mib",
                               d->free_after[n] < 0 ? NULL
                                                    : json_object_new_int64(d->free_after[n]));
        json_object_array_add(after, e);
    }
    json_object_object_add(o, "after", after);
    json_object_object_add(o, "biggest_node",
                           d->biggest < 0 ? NULL
                                          : json_object_new_string(m->nodes[d->biggest].name));
    json_object_object_add(o, "absorbs_biggest",
                           d->absorbs_biggest < 0 ? NULL
                                                  : json_object_new_boolean(d->absorbs_biggest));
    return o;
}

ssize_t vmha_doc_running_on(const VmhaModel *m, const VmhaVm *vm)
{
    ssize_t on = -1;
    for (size_t n = 0; n < m->n_nodes; n++) {
        if (vm->state[n] == VMHA_RSC_INACTIVE)
            continue;
        if (on >= 0 || vm->state[n] != VMHA_RSC_ACTIVE)
            return -1;
        on = (ssize_t)n;
    }
    return on;
}

ssize_t vmha_doc_preferred_node(const VmhaVm *vm)
{
    ssize_t best = -1;
    int score = 0;
    for (size_t i = 0; i < vm->n_locations; i++)
        if (vm->locations[i].score > score) {
            score = vm->locations[i].score;
            best = (ssize_t)vm->locations[i].node;
        }
    return best;
}

VmhaMsg *vmha_doc_move_request(const char *vm, const char *from, const char *to,
                               VmhaMigrationMethod method)
{
    g_autoptr(VmhaMsg) req = vmha_msg_new(VMHA_MSG_VM_MOVE);
    g_autofree char *from_kv = g_strdup_printf("from=%s", from);
    g_autofree char *method_kv = g_strdup_printf(
            "method=%s", vmha_migration_method_to_string(method ? method : VMHA_MIGRATION_QUICK));

    if (vmha_msg_add_str(req, VMHA_F_NAME, vm) < 0 ||
        vmha_msg_add_str(req, VMHA_F_KV, from_kv) < 0 ||
        (to && vmha_msg_add_str(req, VMHA_F_NODE, to) < 0) ||
        vmha_msg_add_str(req, VMHA_F_KV, method_kv) < 0)
        return NULL;
    return g_steal_pointer(&req);
}
