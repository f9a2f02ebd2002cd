/* The health line and each VM's last event (health.h).
 *
 * One verdict from what the STATUS document already says, so that the line never disagrees with
 * the tables under it: a VM counts as blocked when it is wanted (target-role not Stopped), does
 * not run, has nothing in flight, the plan puts it nowhere and it is not waiting for a fence (a
 * node of its unclean or fencing: that is "waiting for a fence", said once per node). */
#include <string.h>

#include "clusterhealth.h"
#include "incident.h"

static json_object *get(json_object *o, const char *key)
{
    json_object *v = NULL;

    return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static const char *get_str(json_object *o, const char *key)
{
    json_object *v = get(o, key);

    return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static bool get_bool(json_object *o, const char *key)
{
    json_object *v = get(o, key);

    return v && json_object_get_boolean(v);
}

static size_t length(json_object *a)
{
    return a && json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
}

static bool one_of(const char *s, const char *const *set)
{
    for (; s && *set; set++)
        if (strcmp(s, *set) == 0)
            return true;
    return false;
}

static void append_names(GString *text, const char *label, json_object *names)
{
    if (!length(names))
        return;
    g_string_append_printf(text, "; %s: ", label);
    for (size_t i = 0; i < length(names); i++)
        g_string_append_printf(text, "%s%s", i ? ", " : "",
                               json_object_get_string(json_object_array_get_idx(names, i)));
}

static bool node_listed(json_object *names, const char *node)
{
    for (size_t i = 0; node && i < length(names); i++)
        if (strcmp(json_object_get_string(json_object_array_get_idx(names, i)), node) == 0)
            return true;
    return false;
}

json_object *vmha_open_incidents(const GPtrArray *incidents)
{
    json_object *open = json_object_new_array();

    for (guint i = 0; i < incidents->len; i++) {
        const VmhaIncident *inc = g_ptr_array_index(incidents, i);
        if (inc->end_time >= 0)
            continue;
        g_autofree char *summary = vmha_incident_summary(inc);
        json_object *o = json_object_new_object();
        json_object_object_add(o, "id", json_object_new_uint64(inc->id));
        json_object_object_add(o, "type",
                               json_object_new_string(vmha_incident_kind_to_string(inc->kind)));
        json_object_object_add(o, "node", inc->node ? json_object_new_string(inc->node) : NULL);
        json_object_object_add(o, "summary", json_object_new_string(summary));
        json_object_array_add(open, o);
    }
    return open;
}

json_object *vmha_health(json_object *status, const GPtrArray *incidents)
{
    return vmha_health_of_open(status, incidents ? vmha_open_incidents(incidents) : NULL);
}

json_object *vmha_health_of_open(json_object *status, json_object *open)
{
    static const char *const up_states[] = {"running", "migrating", NULL};
    static const char *const busy_states[] = {"running",  "migrating", "starting",
                                              "stopping", "failed",    NULL};
    static const char *const fence_states[] = {"unclean", "fencing", NULL};
    json_object *h = json_object_new_object();
    json_object *nodes = get(status, "nodes"), *vms = get(status, "vms");
    json_object *waiting = json_object_new_array();
    bool quorate = get_bool(status, "quorate");
    size_t up = 0, running = 0, wanted = 0;
    bool degraded = false;

    for (size_t i = 0; i < length(nodes); i++) {
        json_object *n = json_object_array_get_idx(nodes, i);
        up += get_bool(n, "online");
        if (one_of(get_str(n, "state"), fence_states) && get_str(n, "name"))
            json_object_array_add(waiting, json_object_new_string(get_str(n, "name")));
    }
    degraded = up < length(nodes) || length(waiting) > 0;

    json_object *failed = NULL, *blocked = NULL;
    bool vms_known = vms && json_object_is_type(vms, json_type_array);
    if (vms_known) {
        failed = json_object_new_array();
        blocked = json_object_new_array();
        for (size_t i = 0; i < length(vms); i++) {
            json_object *vm = json_object_array_get_idx(vms, i), *on = get(vm, "nodes");
            const char *name = get_str(vm, "name"), *state = get_str(vm, "state");
            bool is_wanted = g_strcmp0(get_str(vm, "target_role"), "Stopped") != 0;
            bool for_fence = false;
            for (size_t j = 0; j < length(on); j++)
                for_fence = for_fence ||
                            node_listed(waiting,
                                        json_object_get_string(json_object_array_get_idx(on, j)));
            wanted += is_wanted;
            running += is_wanted && one_of(state, up_states);
            if (g_strcmp0(state, "failed") == 0 && name)
                json_object_array_add(failed, json_object_new_string(name));
            else if (is_wanted && name && !one_of(state, busy_states) && !for_fence &&
                     !get_str(vm, "planned_node"))
                json_object_array_add(blocked, json_object_new_string(name));
        }
        degraded = degraded || running < wanted || length(failed) || length(blocked);
    } else {
        degraded = true;
    }

    if (open)
        degraded = degraded || length(open) > 0;
    const char *verdict = !quorate ? "no-quorum" : degraded ? "degraded" : "ok";
    g_autoptr(GString) text = g_string_new(NULL);
    g_string_append_printf(text, "%s: %s, %zu of %zu nodes up",
                           !quorate   ? "NO QUORUM"
                           : degraded ? "DEGRADED"
                                      : "OK",
                           !get_bool(status, "corosync") ? "not connected to corosync"
                           : quorate                     ? "quorate"
                                                         : "no quorum",
                           up, length(nodes));
    if (vms_known)
        g_string_append_printf(text, ", %zu of %zu wanted VMs running", running, wanted);
    else
        g_string_append_printf(text, ", VMs unknown (%s)",
                               get_str(status, "vms_error") ? get_str(status, "vms_error")
                                                            : "no VM list");
    append_names(text, "failed", failed);
    append_names(text, "blocked", blocked);
    append_names(text, "waiting for a fence", waiting);
    for (size_t i = 0; i < length(open); i++) {
        json_object *o = json_object_array_get_idx(open, i);
        g_string_append_printf(text, "; open incident %s (%s)",
                               json_object_to_json_string(get(o, "id")), get_str(o, "summary"));
    }
    if (!open)
        g_string_append(text, "; incidents unknown (no event history)");

    json_object_object_add(h, "state", json_object_new_string(verdict));
    json_object_object_add(h, "quorate", json_object_new_boolean(quorate));
    json_object_object_add(h, "nodes_up", json_object_new_int64((int64_t)up));
    json_object_object_add(h, "nodes", json_object_new_int64((int64_t)length(nodes)));
    json_object_object_add(h, "vms_running",
                           vms_known ? json_object_new_int64((int64_t)running) : NULL);
    json_object_object_add(h, "vms_wanted",
                           vms_known ? json_object_new_int64((int64_t)wanted) : NULL);
    json_object_object_add(h, "failed", failed);
    json_object_object_add(h, "blocked", blocked);
    json_object_object_add(h, "waiting_for_fence", waiting);
    json_object_object_add(h, "open_incidents", open);
    json_object_object_add(h, "text", json_object_new_string(text->str));
    return h;
}

static void add_str_or_null(json_object *o, const char *key, const char *v)
{
    json_object_object_add(o, key, v ? json_object_new_string(v) : NULL);
}

static void put_json(gpointer o)
{
    json_object_put(o);
}

GHashTable *vmha_last_events(const VmhaEvent *events, size_t n)
{
    g_autoptr(GHashTable) newest = g_hash_table_new(g_str_hash, g_str_equal);
    GHashTable *last = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, put_json);
    GHashTableIter it;
    gpointer name, value;

    for (size_t i = 0; i < n; i++)
        if (events[i].vm)
            g_hash_table_insert(newest, events[i].vm, (gpointer)&events[i]);
    g_hash_table_iter_init(&it, newest);
    while (g_hash_table_iter_next(&it, &name, &value)) {
        const VmhaEvent *ev = value;
        json_object *o = json_object_new_object();
        json_object_object_add(o, "seq", json_object_new_uint64(ev->seq));
        json_object_object_add(o, "time", json_object_new_int64(ev->time));
        add_str_or_null(o, "type", vmha_event_type_to_string(ev->type));
        add_str_or_null(o, "node", ev->node);
        add_str_or_null(o, "result", ev->result);
        g_hash_table_insert(last, g_strdup(name), o);
    }
    return last;
}

void vmha_status_add_last_events_of(json_object *status, GHashTable *last)
{
    json_object *vms = get(status, "vms");

    for (size_t i = 0; i < length(vms); i++) {
        json_object *vm = json_object_array_get_idx(vms, i);
        const char *name = get_str(vm, "name");
        json_object *o = name ? g_hash_table_lookup(last, name) : NULL;
        json_object_object_add(vm, "last_event", o ? json_object_get(o) : NULL);
    }
}

void vmha_status_add_last_events(json_object *status, const VmhaEvent *events, size_t n)
{
    g_autoptr(GHashTable) last = vmha_last_events(events, n);

    vmha_status_add_last_events_of(status, last);
}
