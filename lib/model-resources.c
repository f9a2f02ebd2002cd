/* The CIB's <resources> (VMs with their meta attributes merged over rsc_defaults, fence
 * devices, other agents' primitives) and <constraints> (locations, colocations). See
 * model-internal.h. */
#include "model-internal.h"
#include "pcmknum.h"

/* migration-threshold: a score; a negative one is 1 (Pacemaker's compatibility rule). */
static int threshold_of(Loader *l, Elem *nv, const char *name, const char *value)
{
    int t = loader_attr_score(l, nv, name, value);
    if (t < 0) {
        loader_warn(l, nv, name, value, "1", "negative");
        t = 1;
    }
    return t;
}

/* The value "default" of stickiness, is-managed or migration-threshold means unset. */
static bool is_default(const char *value)
{
    return g_ascii_strcasecmp(value, "default") == 0;
}

/* Pacemaker merges rsc_defaults and a resource's own meta attributes into one table, the
 * resource's own value winning: collected here by name, then read once each. */
typedef struct {
    Elem *nv;
    const char *name;
    const char *value;
} MetaPair;

static int collect_meta(Loader *l, Elem *nv, const char *name, const char *value, void *data)
{
    GArray *pairs = data;
    for (guint i = 0; i < pairs->len; i++) {
        MetaPair *p = &g_array_index(pairs, MetaPair, i);
        if (strcmp(p->name, name) == 0) {
            *p = (MetaPair){nv, name, value};
            return 0;
        }
    }
    MetaPair p = {nv, name, value};
    g_array_append_val(pairs, p);
    return 0;
}

typedef struct {
    VmhaVm *vm;
    bool managed, maintenance; /* is-managed, maintenance: unmanaged when either says so */
} VmAttrs;

static int on_vm_instance(Loader *l, Elem *nv, const char *name, const char *value, void *data)
{
    VmAttrs *a = data;
    if (strcmp(name, "config") == 0) {
        g_free(a->vm->config);
        a->vm->config = g_strdup(value);
    } else if (strcmp(name, "migration_method") == 0) {
        if (vmha_migration_method_from_string(value, &a->vm->migration_method) < 0)
            return loader_bad_value(l, nv, name, value, VMHA_MIGRATION_METHODS);
    }
    return 0;
}

static int on_vm_meta(Loader *l, Elem *nv, const char *name, const char *value, void *data)
{
    VmAttrs *a = data;
    VmhaVm *vm = a->vm;

    if (strcmp(name, "priority") == 0) {
        vm->priority = loader_attr_score(l, nv, name, value);
    } else if (strcmp(name, "target-role") == 0) {
        if (g_ascii_strcasecmp(value, "Stopped") == 0)
            vm->target_stopped = true;
        else if (g_ascii_strcasecmp(value, "Started") == 0 ||
                 g_ascii_strcasecmp(value, "Unpromoted") == 0 ||
                 g_ascii_strcasecmp(value, "Promoted") == 0 ||
                 g_ascii_strcasecmp(value, "Slave") == 0 ||
                 g_ascii_strcasecmp(value, "Master") == 0)
            vm->target_stopped = false;
        else
            return loader_bad_value(l, nv, name, value, "Started or Stopped");
    } else if (strcmp(name, "is-managed") == 0) {
        if (!is_default(value))
            a->managed = loader_attr_true(l, nv, name, value);
    } else if (strcmp(name, "maintenance") == 0) {
        a->maintenance = loader_attr_true(l, nv, name, value);
    } else if (strcmp(name, "critical") == 0) {
        vm->critical = loader_attr_true(l, nv, name, value);
    } else if (strcmp(name, "resource-stickiness") == 0 || strcmp(name, "stickiness") == 0) {
        if (!is_default(value))
            vm->stickiness = loader_attr_score(l, nv, name, value);
    } else if (strcmp(name, "migration-threshold") == 0) {
        if (!is_default(value))
            vm->migration_threshold = threshold_of(l, nv, name, value);
    } else if (strcmp(name, "failure-timeout") == 0) {
        vm->failure_timeout = loader_attr_seconds(l, nv, name, value);
    } else if (strcmp(name, "allow-migrate") == 0) {
        vm->allow_migrate = loader_attr_true(l, nv, name, value);
    } else if (strcmp(name, "vmha-failback") == 0) {
        g_free(vm->failback);
        vm->failback = g_strdup(value);
    } else if (strcmp(name, "vmha-shutdown-policy") == 0) {
        if (strcmp(value, "migrate") != 0 && strcmp(value, "stop") != 0 &&
            strcmp(value, "freeze") != 0)
            return loader_bad_value(l, nv, name, value, "migrate, stop or freeze");
        g_free(vm->shutdown_policy);
        vm->shutdown_policy = g_strdup(value);
    } else if (strcmp(name, "vmha-drain-fallback") == 0) {
        if (strcmp(value, "keep") != 0 && strcmp(value, "stop") != 0)
            return loader_bad_value(l, nv, name, value, "keep or stop");
        vm->drain_fallback_stop = strcmp(value, "stop") == 0;
    } else if (strcmp(name, "vmha-move-method") == 0) {
        if (vmha_migration_method_from_string(value, &vm->move_method) < 0)
            return loader_bad_value(l, nv, name, value, VMHA_MIGRATION_METHODS);
    }
    return 0;
}

static int on_vm_utilization(Loader *l, Elem *nv, const char *name, const char *value, void *data)
{
    VmhaVm *vm = data;
    if (strcmp(name, "memory") != 0 && strcmp(name, "cpu") != 0)
        return 0;
    int64_t v = loader_utilization(l, nv, name, value);
    if (name[0] == 'm')
        vm->memory = v;
    else
        vm->cpu = v;
    return 0;
}

static int on_fence_attr(Loader *l, Elem *nv, const char *name, const char *value, void *data)
{
    VmhaFenceDevice *d = data;
    if (strcmp(name, "pcmk_host_list") == 0) {
        g_strfreev(d->hosts);
        d->hosts = g_strsplit_set(value, " ,;:", -1);
    }
    return 0;
}

static int on_fence_meta(Loader *l, Elem *nv, const char *name, const char *value, void *data)
{
    VmhaFenceDevice *d = data;
    if (strcmp(name, "priority") == 0)
        d->priority = loader_attr_score(l, nv, name, value);
    return 0;
}

static int on_foreign_meta(Loader *l, Elem *nv, const char *name, const char *value, void *data)
{
    VmhaForeign *f = data;
    if (strcmp(name, "priority") == 0)
        f->priority = loader_attr_score(l, nv, name, value);
    if (strcmp(name, "target-role") == 0)
        f->target_stopped = g_ascii_strcasecmp(value, "Stopped") == 0;
    return 0;
}

static bool is_vm_primitive(Elem *x)
{
    const char *cls = attr(x, "class"), *prov = attr(x, "provider"), *type = attr(x, "type");
    return cls && prov && type && strcmp(cls, "ocf") == 0 && strcmp(prov, "vmha") == 0 &&
           strcmp(type, "vm") == 0;
}

int loader_load_resources(Loader *l, Elem *resources)
{
    VmhaModel *m = l->m;
    guint n_children = 0;
    for (Elem *x = resources ? resources->children : NULL; x; x = x->next)
        n_children++;
    /* sized once: growing an array of thousands of VMs copies it over and over */
    GArray *vms = g_array_sized_new(false, true, sizeof(VmhaVm), n_children);
    GArray *fence = g_array_new(false, true, sizeof(VmhaFenceDevice));
    GArray *foreign = g_array_new(false, true, sizeof(VmhaForeign));
    g_autoptr(GArray) defaults = g_array_new(false, false, sizeof(MetaPair));
    g_autoptr(GArray) meta = g_array_new(false, false, sizeof(MetaPair));
    size_t position = 0;
    int r = 0;

    if (l->rsc_defaults &&
        loader_for_each_nvpair(l, l->rsc_defaults, "meta_attributes", collect_meta, defaults) < 0)
        r = -1;

    for (Elem *x = resources ? resources->children : NULL; x && r == 0; x = x->next) {
        const char *id = attr(x, "id");
        if (!NAME_EQ(x, "primitive")) {
            /* group, clone, bundle: Pacemaker's, never vmha's. Kept out of planning. */
            if (NAME_EQ(x, "group") || NAME_EQ(x, "clone") || NAME_EQ(x, "bundle") ||
                NAME_EQ(x, "master")) {
                if (id)
                    g_hash_table_add(l->foreign, g_strdup(id));
                for (Elem *c = x->children; c; c = c->next) {
                    if (NAME_EQ(c, "primitive") && is_vm_primitive(c)) {
                        r = loader_fail(l, VMHA_MODEL_ERROR_UNSUPPORTED, x,
                                        "vmha VMs cannot be inside a %s", x->name);
                        break;
                    }
                }
                m->n_foreign_collections++;
            }
            continue;
        }
        if (!id || !*id) {
            r = loader_fail(l, VMHA_MODEL_ERROR_INVALID, x, "a primitive needs an id");
            break;
        }
        if (g_hash_table_contains(m->vm_index, id) || g_hash_table_contains(l->foreign, id)) {
            r = loader_fail(l, VMHA_MODEL_ERROR_INCONSISTENT, x, "duplicate resource id '%s'", id);
            break;
        }
        const char *cls = attr(x, "class");
        if (!cls) {
            r = loader_fail(l, VMHA_MODEL_ERROR_INVALID, x, "a primitive needs a class");
            break;
        }
        if (strcmp(cls, "stonith") == 0) {
            VmhaFenceDevice d = {.name = g_strdup(id),
                                 .agent = g_strdup(attr(x, "type")),
                                 .running_on = -1,
                                 .position = position++};
            g_array_append_val(fence, d);
            g_hash_table_add(l->foreign, g_strdup(id));
            VmhaFenceDevice *dp = &g_array_index(fence, VmhaFenceDevice, fence->len - 1);
            if (loader_for_each_nvpair(l, x, "instance_attributes", on_fence_attr, dp) < 0 ||
                loader_for_each_nvpair(l, x, "meta_attributes", on_fence_meta, dp) < 0)
                r = -1;
            continue;
        }
        if (!is_vm_primitive(x)) {
            /* Another agent's resource: the CIB may hold them, vmha does not plan them. */
            const char *prov = attr(x, "provider");
            VmhaForeign f = {.name = g_strdup(id),
                             .agent = g_strdup_printf("%s%s%s:%s", cls, prov ? ":" : "",
                                                      prov ? prov : "", attr(x, "type") ?: ""),
                             .position = position++,
                             .running_on = -1};
            g_array_append_val(foreign, f);
            g_hash_table_add(l->foreign, g_strdup(id));
            if (loader_for_each_nvpair(l, x, "meta_attributes", on_foreign_meta,
                                       &g_array_index(foreign, VmhaForeign, foreign->len - 1)) < 0)
                r = -1;
            continue;
        }
        VmhaVm vm = {
                .name = g_strdup(id),
                .position = position++,
                .managed = true,
                .critical = true,
                .migration_threshold = VMHA_SCORE_INFINITY,
                .state = g_new0(VmhaRscState, MAX(m->n_nodes, 1)),
                .pending_node = -1,
                .migrate_failed_at = g_new0(int64_t, MAX(m->n_nodes, 1)),
                .last_failure = {.node = -1},
        };
        g_array_append_val(vms, vm);
        g_hash_table_insert(m->vm_index, g_strdup(id), GSIZE_TO_POINTER(vms->len));
        VmAttrs a = {.vm = &g_array_index(vms, VmhaVm, vms->len - 1), .managed = true};
        g_array_set_size(meta, 0);
        g_array_append_vals(meta, defaults->data, defaults->len);
        if (loader_for_each_nvpair(l, x, "instance_attributes", on_vm_instance, &a) < 0 ||
            loader_for_each_nvpair(l, x, "meta_attributes", collect_meta, meta) < 0 ||
            loader_for_each_nvpair(l, x, "utilization", on_vm_utilization, a.vm) < 0) {
            r = -1;
            break;
        }
        for (guint i = 0; i < meta->len && r == 0; i++) {
            const MetaPair *p = &g_array_index(meta, MetaPair, i);
            r = on_vm_meta(l, p->nv, p->name, p->value, &a);
        }
        if (r < 0)
            break;
        a.vm->managed = a.managed && !a.maintenance;
    }
    m->n_vms = vms->len;
    m->vms = (VmhaVm *)g_array_free(vms, false);
    m->n_fence_devices = fence->len;
    m->fence_devices = (VmhaFenceDevice *)g_array_free(fence, false);
    m->n_foreign = foreign->len;
    m->foreign = (VmhaForeign *)g_array_free(foreign, false);
    for (size_t i = 0; i < m->n_vms; i++)
        g_ptr_array_add(l->vm_locations, g_array_new(false, false, sizeof(VmhaLocation)));
    return r;
}

/* Resolves a resource reference: 1 = a VM (index in *ret), 0 = a resource vmha ignores. */
static int resolve_rsc(Loader *l, Elem *x, const char *attr_name, size_t *ret)
{
    const char *id = attr(x, attr_name);
    if (!id || !*id)
        return loader_fail(l, VMHA_MODEL_ERROR_INVALID, x, "missing '%s'", attr_name);
    gpointer v = g_hash_table_lookup(l->m->vm_index, id);
    if (v) {
        *ret = GPOINTER_TO_SIZE(v) - 1;
        return 1;
    }
    if (g_hash_table_contains(l->foreign, id))
        return 0;
    return loader_fail(l, VMHA_MODEL_ERROR_INCONSISTENT, x, "'%s' refers to unknown resource '%s'",
                       attr_name, id);
}

/* A role in a colocation: "Started" (or none) is every VM's role; others limit it. */
static bool role_limited(const char *role)
{
    return role && g_ascii_strcasecmp(role, "Started") != 0;
}

/* A role in a location: Pacemaker applies "Started" and "Unpromoted" (old name "Slave") to
 * every role, as if no role were given (`crm_resource --ban` writes role="Started"). */
static bool location_role_limited(const char *role)
{
    return role && g_ascii_strcasecmp(role, "Started") != 0 &&
           g_ascii_strcasecmp(role, "Unpromoted") != 0 && g_ascii_strcasecmp(role, "Slave") != 0;
}

int loader_load_constraints(Loader *l, Elem *constraints)
{
    VmhaModel *m = l->m;
    for (Elem *x = constraints ? constraints->children : NULL; x; x = x->next) {
        if (!attr(x, "id"))
            return loader_fail(l, VMHA_MODEL_ERROR_INVALID, x, "a constraint needs an id");
        bool has_set = false;
        for (Elem *c = x->children; c; c = c->next)
            if ((NAME_EQ(c, "resource_set") || NAME_EQ(c, "rule")))
                has_set = true;
        if (NAME_EQ(x, "rsc_location")) {
            size_t vm;
            int score, r;
            if (has_set || attr(x, "rsc-pattern") || location_role_limited(attr(x, "role")))
                return loader_fail(l, VMHA_MODEL_ERROR_UNSUPPORTED, x,
                                   "only rsc/node/score locations are supported");
            if ((r = resolve_rsc(l, x, "rsc", &vm)) < 0)
                return -1;
            const char *node = attr(x, "node");
            const char *s = attr(x, "score");
            if (!node)
                return loader_fail(l, VMHA_MODEL_ERROR_INVALID, x, "missing 'node'");
            if (!s || vmha_score_parse(s, &score) < 0)
                return loader_fail(l, VMHA_MODEL_ERROR_INVALID, x, "missing or invalid 'score'");
            ssize_t n = vmha_model_find_node(m, node);
            if (n < 0)
                return loader_fail(l, VMHA_MODEL_ERROR_INCONSISTENT, x, "unknown node '%s'", node);
            if (r == 0)
                continue;
            VmhaLocation loc = {.node = (size_t)n, .score = score};
            g_array_append_val((GArray *)l->vm_locations->pdata[vm], loc);
        } else if (NAME_EQ(x, "rsc_colocation")) {
            size_t a, b;
            int score, ra, rb;
            if (has_set || attr(x, "node-attribute") || role_limited(attr(x, "rsc-role")) ||
                role_limited(attr(x, "with-rsc-role")) || attr(x, "rsc-instance") ||
                attr(x, "with-rsc-instance"))
                return loader_fail(l, VMHA_MODEL_ERROR_UNSUPPORTED, x,
                                   "only rsc/with-rsc/score/influence colocations are supported");
            if ((ra = resolve_rsc(l, x, "rsc", &a)) < 0 ||
                (rb = resolve_rsc(l, x, "with-rsc", &b)) < 0)
                return -1;
            const char *s = attr(x, "score");
            if (!s || vmha_score_parse(s, &score) < 0)
                return loader_fail(l, VMHA_MODEL_ERROR_INVALID, x, "missing or invalid 'score'");
            if (ra == 0 && rb == 0)
                continue; /* between resources vmha does not plan */
            if (ra == 0 || rb == 0)
                return loader_fail(
                        l, VMHA_MODEL_ERROR_UNSUPPORTED, x,
                        "a colocation between a VM and a resource vmha does not plan (%s) "
                        "is not supported",
                        attr(x, ra == 0 ? "rsc" : "with-rsc"));
            if (score == 0)
                continue; /* Pacemaker ignores it too */
            if (a == b)
                return loader_fail(l, VMHA_MODEL_ERROR_INCONSISTENT, x,
                                   "a VM colocated with itself");
            /* Pacemaker's influence: the attribute, else the dependent's `critical`. */
            const char *inf = attr(x, "influence");
            bool influence = m->vms[a].critical;
            if (inf && vmha_pcmk_boolean(inf, &influence) < 0) {
                influence = m->vms[a].critical;
                loader_warn(l, x, "influence", inf, influence ? "true" : "false",
                            "not a boolean: the dependent's critical");
            }
            VmhaColocation c = {.id = g_strdup(attr(x, "id")),
                                .rsc = a,
                                .with_rsc = b,
                                .score = score,
                                .influence = influence};
            g_array_append_val(l->colocations, c);
        }
        /* rsc_order, rsc_ticket: ordering is the executor's business, not placement's. */
    }
    return 0;
}
