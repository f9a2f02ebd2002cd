/* The CIB's <nodes>: each node, its attributes (standby, maintenance, drain) and capacity. See
 * model-internal.h. */
#include "model-internal.h"
#include "pcmknum.h"

int loader_on_node_attr(Loader *l, Elem *nv, const char *name, const char *value, void *data)
{
    VmhaNode *n = data;
    bool b;
    if (strcmp(name, "vmha-drain-method") == 0) {
        if (vmha_migration_method_from_string(value, &n->drain_method) < 0)
            return loader_bad_value(l, nv, name, value, VMHA_MIGRATION_METHODS);
        return 0;
    }
    if (strcmp(name, "vmha-self-fence-disarmed") == 0) {
        n->self_fence_disarmed = loader_attr_true(l, nv, name, value);
    } else if (strcmp(name, "standby") == 0) {
        n->standby = loader_attr_true(l, nv, name, value);
    } else if (strcmp(name, "maintenance") == 0) {
        n->maintenance = loader_attr_true(l, nv, name, value);
    } else if (strcmp(name, "vmha-drain") == 0 || strcmp(name, "vmha-drain-force") == 0 ||
               strcmp(name, "vmha-drain-shutdown") == 0) {
        if (vmha_pcmk_boolean(value, &b) < 0)
            return loader_bad_value(l, nv, name, value, "on or off");
        if (strcmp(name, "vmha-drain") == 0)
            n->drain = b;
        else if (strcmp(name, "vmha-drain-force") == 0)
            n->drain_force = b;
        else
            n->drain_shutdown = b;
    }
    return 0;
}

static int on_capacity(Loader *l, Elem *nv, const char *name, const char *value, void *data)
{
    int64_t *caps = data; /* [0] memory, [1] cpu */
    int i = strcmp(name, "memory") == 0 ? 0 : strcmp(name, "cpu") == 0 ? 1 : -1;
    if (i < 0)
        return 0; /* other utilization attributes are not vmha's */
    caps[i] = loader_utilization(l, nv, name, value);
    return 0;
}

int loader_load_nodes(Loader *l, Elem *nodes)
{
    VmhaModel *m = l->m;
    GArray *arr = g_array_new(false, true, sizeof(VmhaNode));
    int r = 0;

    for (Elem *x = nodes ? nodes->children : NULL; x && r == 0; x = x->next) {
        if (!NAME_EQ(x, "node"))
            continue;
        const char *uname = attr(x, "uname");
        const char *id = attr(x, "id");
        const char *type = attr(x, "type");
        if (type && strcmp(type, "member") != 0 && strcmp(type, "normal") != 0) {
            r = loader_fail(l, VMHA_MODEL_ERROR_UNSUPPORTED, x, "node type '%s' is not supported",
                            type);
            break;
        }
        if (!uname || !*uname || !id || !*id) {
            r = loader_fail(l, VMHA_MODEL_ERROR_INVALID, x, "a node needs both id and uname");
            break;
        }
        if (g_hash_table_contains(m->node_index, uname)) {
            r = loader_fail(l, VMHA_MODEL_ERROR_INCONSISTENT, x, "duplicate node '%s'", uname);
            break;
        }
        for (size_t i = 0; i < arr->len; i++) {
            if (strcmp(g_array_index(arr, VmhaNode, i).id, id) == 0) {
                r = loader_fail(l, VMHA_MODEL_ERROR_INCONSISTENT, x, "duplicate node id '%s'", id);
                break;
            }
        }
        if (r < 0)
            break;
        VmhaNode n = {.name = g_strdup(uname), .id = g_strdup(id), .state = VMHA_NODE_ONLINE};
        int64_t caps[2] = {-1, -1};
        g_array_append_val(arr, n);
        g_hash_table_insert(m->node_index, g_strdup(uname), GSIZE_TO_POINTER(arr->len));
        VmhaNode *np = &g_array_index(arr, VmhaNode, arr->len - 1);
        if (loader_for_each_nvpair(l, x, "instance_attributes", loader_on_node_attr, np) < 0 ||
            loader_for_each_nvpair(l, x, "utilization", on_capacity, caps) < 0)
            r = -1;
        np->memory = caps[0];
        np->cpu = caps[1];
    }
    m->n_nodes = arr->len;
    m->nodes = (VmhaNode *)g_array_free(arr, false);
    return r;
}
