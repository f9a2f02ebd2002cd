/* vmctl cluster update: decisions from a status snapshot (updatecheck.h). */
#include "updatecheck.h"

#include <string.h>

static json_object *get(json_object *o, const char *key)
{
    json_object *v = NULL;
    return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static bool get_bool(json_object *o, const char *key)
{
    json_object *v = get(o, key);
    return v && json_object_get_type(v) == json_type_boolean && json_object_get_boolean(v);
}

static const char *get_str(json_object *o, const char *key)
{
    json_object *v = get(o, key);
    return v && json_object_get_type(v) == json_type_string ? json_object_get_string(v) : NULL;
}

static json_object *array(json_object *o, const char *key)
{
    json_object *v = get(o, key);
    return v && json_object_get_type(v) == json_type_array ? v : NULL;
}

/* The cluster-wide conditions both checks share; NULL when met, else why not. */
static char *cluster_settled(json_object *status)
{
    if (!get_bool(status, "quorate"))
        return g_strdup("the cluster is not quorate");
    if (!get_bool(get(status, "database"), "in_sync"))
        return g_strdup("this node's copy of the database is not in sync");
    if (!get(status, "leader"))
        return g_strdup("the cluster has no leader");
    json_object *members = array(status, "members");
    for (size_t i = 0; members && i < json_object_array_length(members); i++) {
        json_object *m = json_object_array_get_idx(members, i);
        if (!get_bool(m, "in_sync"))
            return g_strdup_printf("%s is not in sync yet", get_str(m, "name") ?: "a member");
    }
    return NULL;
}

int64_t vmctl_update_member_pid(json_object *status, const char *node)
{
    json_object *members = array(status, "members");

    for (size_t i = 0; members && i < json_object_array_length(members); i++) {
        json_object *m = json_object_array_get_idx(members, i);
        if (g_strcmp0(get_str(m, "name"), node) == 0 && get(m, "pid"))
            return json_object_get_int64(get(m, "pid"));
    }
    return 0;
}

static gint by_id(gconstpointer a, gconstpointer b)
{
    int64_t x = json_object_get_int64(get(*(json_object *const *)a, "id"));
    int64_t y = json_object_get_int64(get(*(json_object *const *)b, "id"));
    return x < y ? -1 : x > y;
}

char *vmctl_update_preflight(json_object *status, GPtrArray **ret_nodes)
{
    char *why = cluster_settled(status);
    json_object *nodes = array(status, "nodes");

    if (why)
        return why;
    if (!nodes || json_object_array_length(nodes) < 2)
        return g_strdup("a rolling update needs at least two nodes");
    g_autoptr(GPtrArray) sorted = g_ptr_array_new();
    for (size_t i = 0; i < json_object_array_length(nodes); i++) {
        json_object *n = json_object_array_get_idx(nodes, i);
        const char *name = get_str(n, "name");
        const char *state = get_str(n, "state");
        if (!name)
            return g_strdup("a node without a name in the status");
        if (!get_bool(n, "online"))
            return g_strdup_printf("%s is not online", name);
        if (!get_bool(n, "clusterd"))
            return g_strdup_printf("clusterd on %s is not a member of the cluster", name);
        if (g_strcmp0(state, "online") != 0)
            return g_strdup_printf("%s is %s, not online", name, state ? state : "in no state");
        if (vmctl_update_member_pid(status, name) == 0)
            return g_strdup_printf("clusterd on %s is not a member of the cluster", name);
        g_ptr_array_add(sorted, n);
    }
    if (get(status, "vms_error"))
        return g_strdup_printf("the VMs' state is unknown: %s",
                               get_str(status, "vms_error") ?: "no reason given");
    json_object *vms = array(status, "vms");
    for (size_t i = 0; vms && i < json_object_array_length(vms); i++) {
        json_object *vm = json_object_array_get_idx(vms, i);
        const char *name = get_str(vm, "name") ?: "?";
        const char *state = get_str(vm, "state") ?: "unknown";
        if (g_str_equal(state, "failed"))
            return g_strdup_printf("VM %s has failed (see vmctl status; vm cleanup once fixed)",
                                   name);
        if (!g_str_equal(state, "running") && !g_str_equal(state, "stopped"))
            return g_strdup_printf("VM %s is %s: wait until the cluster is settled", name, state);
    }
    g_ptr_array_sort(sorted, by_id);
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < sorted->len; i++)
        g_ptr_array_add(names, g_strdup(get_str(g_ptr_array_index(sorted, i), "name")));
    *ret_nodes = names;
    return NULL;
}

static json_object *find_node(json_object *status, const char *node)
{
    json_object *nodes = array(status, "nodes");

    for (size_t i = 0; nodes && i < json_object_array_length(nodes); i++)
        if (g_strcmp0(get_str(json_object_array_get_idx(nodes, i), "name"), node) == 0)
            return json_object_array_get_idx(nodes, i);
    return NULL;
}

int64_t vmctl_update_fenced(json_object *status, const char *node)
{
    json_object *f = get(get(find_node(status, node), "fence"), "fenced");
    return f && json_object_get_type(f) == json_type_int ? json_object_get_int64(f) : 0;
}

bool vmctl_update_node_back(json_object *status, const char *node, VmctlRebootWatch *w,
                            char **ret_line)
{
    json_object *n = find_node(status, node);

    if (!n) {
        *ret_line = g_strdup_printf("%s: not in the status", node);
        return false;
    }
    if (!get_bool(n, "online")) {
        if (w)
            w->seen_gone = true;
        *ret_line = g_strdup_printf("%s: offline", node);
        return false;
    }
    int64_t pid = vmctl_update_member_pid(status, node);
    if (!get_bool(n, "clusterd") || pid == 0) {
        if (w)
            w->seen_gone = true;
        *ret_line = g_strdup_printf("%s: online, clusterd not a member yet", node);
        return false;
    }
    if (w && !w->seen_gone && pid == w->old_pid &&
        vmctl_update_fenced(status, node) == w->fenced_before) {
        *ret_line = g_strdup_printf("%s: still the clusterd from before the reboot", node);
        return false;
    }
    g_autofree char *why = cluster_settled(status);
    if (why) {
        *ret_line = g_strdup_printf("%s: online, waiting: %s", node, why);
        return false;
    }
    *ret_line = g_strdup_printf("%s: back (quorate, in sync)", node);
    return true;
}

int vmctl_update_settled(json_object *status, char **ret_line)
{
    json_object *vms = array(status, "vms");
    g_autoptr(GString) busy = g_string_new(NULL);

    if (get(status, "vms_error")) {
        *ret_line = g_strdup_printf("VMs unknown: %s", get_str(status, "vms_error") ?: "?");
        return 0;
    }
    for (size_t i = 0; vms && i < json_object_array_length(vms); i++) {
        json_object *vm = json_object_array_get_idx(vms, i);
        const char *name = get_str(vm, "name") ?: "?";
        const char *state = get_str(vm, "state") ?: "unknown";
        if (g_str_equal(state, "failed")) {
            *ret_line = g_strdup_printf("VM %s failed", name);
            return -1;
        }
        if (!g_str_equal(state, "running") && !g_str_equal(state, "stopped"))
            g_string_append_printf(busy, "%s%s %s", busy->len ? ", " : "", name, state);
    }
    if (busy->len) {
        *ret_line = g_strdup_printf("waiting for the VMs to land: %s", busy->str);
        return 0;
    }
    *ret_line = g_strdup("every VM running or stopped");
    return 1;
}

void vmctl_update_local_last(GPtrArray *nodes, const char *local)
{
    for (guint i = 0; local && i < nodes->len; i++)
        if (g_strcmp0(g_ptr_array_index(nodes, i), local) == 0) {
            gpointer p = g_ptr_array_steal_index(nodes, i);
            g_ptr_array_add(nodes, p);
            return;
        }
}

const char *vmctl_update_local_node(json_object *status)
{
    return get_str(get(status, "local_node"), "name");
}
