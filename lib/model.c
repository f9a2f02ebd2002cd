/* CIB document -> VmhaModel. See model.h and docs/CIB.md. */
#include "model.h"
#include "pcmknum.h"
#include "xmltree.h"

#include <errno.h>
#include <libxml/parser.h>
#include <stdlib.h>
#include <string.h>

G_DEFINE_QUARK(vmha - model - error - quark, vmha_model_error)

#define NAME_EQ(node, s) ((node)->name[0] == (s)[0] && strcmp((node)->name, (s)) == 0)

typedef VmhaXmlElem Elem;

/* Loader state: the model under construction and the first error. */
typedef struct {
    VmhaModel *m;
    GError **error;
    Elem *rsc_defaults;      /* merged into every VM's meta attributes, as Pacemaker does */
    GArray *deferred;        /* Deferred: histories with failures that may expire */
    GHashTable *warned;      /* nvpair elements warned about already (rsc_defaults apply often) */
    GPtrArray *vm_locations; /* per VM: GArray of VmhaLocation */
    GArray *colocations;
    GHashTable *foreign; /* ids of primitives vmha does not manage */
} Loader;

static const char *attr(const Elem *node, const char *name)
{
    return vmha_xml_elem_attr(node, name);
}

static int fail(Loader *l, VmhaModelError code, Elem *where, const char *fmt, ...)
        G_GNUC_PRINTF(4, 5);
static int fail(Loader *l, VmhaModelError code, Elem *where, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *msg = NULL;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (where) {
        const char *id = attr(where, "id");
        g_set_error(l->error, VMHA_MODEL_ERROR, code, "<%s%s%s%s> (line %ld): %s", where->name,
                    id ? " id=\"" : "", id ? id : "", id ? "\"" : "", where->line, msg);
    } else {
        g_set_error_literal(l->error, VMHA_MODEL_ERROR, code, msg);
    }
    return -1;
}

int vmha_score_add(int a, int b)
{
    if (a <= -VMHA_SCORE_INFINITY || b <= -VMHA_SCORE_INFINITY)
        return -VMHA_SCORE_INFINITY;
    if (a >= VMHA_SCORE_INFINITY || b >= VMHA_SCORE_INFINITY)
        return VMHA_SCORE_INFINITY;
    long sum = (long)a + b;
    if (sum >= VMHA_SCORE_INFINITY)
        return VMHA_SCORE_INFINITY;
    if (sum <= -VMHA_SCORE_INFINITY)
        return -VMHA_SCORE_INFINITY;
    return (int)sum;
}

int vmha_score_parse(const char *s, int *ret_score)
{
    if (!vmha_pcmk_score_valid(s))
        return -1;
    /* An integer beyond a long long is 0 to char2score(); the schema allows it, so do we. */
    *ret_score = vmha_pcmk_score(s, NULL);
    return 0;
}

static int parse_int64(const char *s, int64_t min, int64_t max, int64_t *ret)
{
    char *end = NULL;
    if (!s || !*s)
        return -1;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end != '\0' || errno == ERANGE || v < min || v > max)
        return -1;
    *ret = v;
    return 0;
}

/* Pacemaker's crm_is_true / crm_str_to_boolean. */
static int parse_bool(const char *s, bool *ret)
{
    static const char *const yes[] = {"true", "on", "yes", "y", "1"};
    static const char *const no[] = {"false", "off", "no", "n", "0"};
    if (!s)
        return -1;
    for (size_t i = 0; i < G_N_ELEMENTS(yes); i++) {
        if (g_ascii_strcasecmp(s, yes[i]) == 0) {
            *ret = true;
            return 0;
        }
        if (g_ascii_strcasecmp(s, no[i]) == 0) {
            *ret = false;
            return 0;
        }
    }
    return -1;
}

/* A duration in seconds: "90", "90s", "2min", "2m", "1h", "500ms" (rounded up), "PT1M" is not. */
static int parse_duration(const char *s, int64_t *ret)
{
    char *end = NULL;
    if (!s || !*s)
        return -1;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || v < 0 || errno == ERANGE || v > G_MAXINT32)
        return -1;
    while (*end == ' ')
        end++;
    if (*end == '\0' || g_ascii_strcasecmp(end, "s") == 0 || g_ascii_strcasecmp(end, "sec") == 0)
        *ret = v;
    else if (g_ascii_strcasecmp(end, "ms") == 0 || g_ascii_strcasecmp(end, "msec") == 0)
        *ret = (v + 999) / 1000;
    else if (g_ascii_strcasecmp(end, "m") == 0 || g_ascii_strcasecmp(end, "min") == 0)
        *ret = v * 60;
    else if (g_ascii_strcasecmp(end, "h") == 0 || g_ascii_strcasecmp(end, "hr") == 0)
        *ret = v * 3600;
    else
        return -1;
    return 0;
}

/* Calls fn for every nvpair of every set named `set_name` directly under `parent`. Sets with rules
 * or references would need Pacemaker's rule engine: rejected rather than misread. */
typedef int (*NvpairFn)(Loader *l, Elem *nvpair, const char *name, const char *value, void *data);

static int for_each_nvpair(Loader *l, Elem *parent, const char *set_name, NvpairFn fn, void *data)
{
    for (Elem *set = parent->children; set; set = set->next) {
        if (!NAME_EQ(set, set_name))
            continue;
        if (attr(set, "id-ref"))
            return fail(l, VMHA_MODEL_ERROR_UNSUPPORTED, set, "id-ref sets are not supported");
        for (Elem *nv = set->children; nv; nv = nv->next) {
            if (NAME_EQ(nv, "rule"))
                return fail(l, VMHA_MODEL_ERROR_UNSUPPORTED, set,
                            "rules in attribute sets are not supported");
            if (!NAME_EQ(nv, "nvpair"))
                continue;
            const char *name = attr(nv, "name");
            const char *value = attr(nv, "value");
            if (!name)
                return fail(l, VMHA_MODEL_ERROR_INVALID, nv, "nvpair without a name");
            if (!value)
                value = "";
            if (fn(l, nv, name, value, data) < 0)
                return -1;
        }
    }
    return 0;
}

static int bad_value(Loader *l, Elem *nv, const char *name, const char *value, const char *what)
{
    return fail(l, VMHA_MODEL_ERROR_INVALID, nv, "'%s' = '%s' is not %s", name, value, what);
}

/* A value read as Pacemaker reads it, which is not what its text says: kept as a warning. */
static void warn(Loader *l, Elem *where, const char *name, const char *value, const char *read_as,
                 const char *note)
{
    const char *id = attr(where, "id");
    if (!g_hash_table_add(l->warned, where))
        return;
    g_ptr_array_add(l->m->warnings,
                    g_strdup_printf("<%s%s%s%s> (line %ld): '%s' = '%s' read as %s (%s), as "
                                    "Pacemaker reads it",
                                    where->name, id ? " id=\"" : "", id ? id : "", id ? "\"" : "",
                                    where->line, name, value, read_as, note));
}

/* An attribute score (priority, stickiness, fail counts): Pacemaker's char2score(). */
static int attr_score(Loader *l, Elem *nv, const char *name, const char *value)
{
    VmhaPcmkNote note = NULL;
    int v = vmha_pcmk_score(value, &note);
    if (note) {
        g_autofree char *as = g_strdup_printf("%d", v);
        warn(l, nv, name, value, as, note);
    }
    return v;
}

/* An attribute boolean: Pacemaker's crm_is_true(), anything unknown is false. */
static bool attr_true(Loader *l, Elem *nv, const char *name, const char *value)
{
    bool b = false;
    if (vmha_pcmk_boolean(value, &b) < 0)
        warn(l, nv, name, value, "false", "not a boolean");
    return b;
}

/* A duration attribute in seconds (failure-timeout): crm_parse_interval_spec() / 1000. */
static int64_t attr_seconds(Loader *l, Elem *nv, const char *name, const char *value)
{
    VmhaPcmkNote note = NULL;
    int64_t s = vmha_pcmk_interval_ms(value, &note) / 1000;
    if (note) {
        g_autofree char *as = g_strdup_printf("%" G_GINT64_FORMAT " s", s);
        warn(l, nv, name, value, as, note);
    }
    return s;
}

const char *vmha_vm_shutdown_policy(const VmhaModel *m, const VmhaVm *vm)
{
    return vm->shutdown_policy  ? vm->shutdown_policy
           : m->shutdown_policy ? m->shutdown_policy
                                : "migrate";
}

/* ---- crm_config and rsc_defaults ---- */

static int on_property(Loader *l, Elem *nv, const char *name, const char *value, void *data)
{
    VmhaModel *m = l->m;
    int64_t v;

    if (strcmp(name, "stonith-enabled") == 0) {
        if (parse_bool(value, &m->stonith_enabled) < 0)
            return bad_value(l, nv, name, value, "a boolean");
    } else if (strcmp(name, "symmetric-cluster") == 0) {
        if (parse_bool(value, &m->symmetric_cluster) < 0)
            return bad_value(l, nv, name, value, "a boolean");
    } else if (strcmp(name, "no-quorum-policy") == 0) {
        if (strcmp(value, "stop") == 0 || strcmp(value, "suicide") == 0 ||
            strcmp(value, "demote") == 0)
            m->no_quorum_policy = VMHA_NO_QUORUM_STOP;
        else if (strcmp(value, "freeze") == 0)
            m->no_quorum_policy = VMHA_NO_QUORUM_FREEZE;
        else if (strcmp(value, "ignore") == 0)
            m->no_quorum_policy = VMHA_NO_QUORUM_IGNORE;
        else
            return bad_value(l, nv, name, value, "stop, freeze or ignore");
    } else if (strcmp(name, "placement-strategy") == 0) {
        if (strcmp(value, "default") == 0)
            m->placement_strategy = VMHA_STRATEGY_DEFAULT;
        else if (strcmp(value, "utilization") == 0)
            m->placement_strategy = VMHA_STRATEGY_UTILIZATION;
        else if (strcmp(value, "balanced") == 0)
            m->placement_strategy = VMHA_STRATEGY_BALANCED;
        else if (strcmp(value, "minimal") == 0)
            m->placement_strategy = VMHA_STRATEGY_MINIMAL;
        else
            return bad_value(l, nv, name, value, "default, utilization, balanced or minimal");
    } else if (strcmp(name, "maintenance-mode") == 0) {
        if (parse_bool(value, &m->maintenance_mode) < 0)
            return bad_value(l, nv, name, value, "a boolean");
    } else if (strcmp(name, "stop-all-resources") == 0) {
        if (parse_bool(value, &m->stop_all) < 0)
            return bad_value(l, nv, name, value, "a boolean");
    } else if (strcmp(name, "migration-limit") == 0) {
        VmhaPcmkNote note = NULL;
        v = vmha_pcmk_scan_ll(value, -1, &note);
        if (v < -1 || v > 10000)
            return bad_value(l, nv, name, value, "an integer from -1 to 10000");
        if (note) {
            g_autofree char *as = g_strdup_printf("%" G_GINT64_FORMAT, v);
            warn(l, nv, name, value, as, note);
        }
        m->migration_limit = (int)v;
    } else if (strcmp(name, "vmha-save-mib-per-s") == 0 ||
               strcmp(name, "vmha-restore-mib-per-s") == 0) {
        char *end = NULL;
        double rate = g_ascii_strtod(value, &end);
        if (!end || *end || !(rate > 0 && rate < 1e9))
            return bad_value(l, nv, name, value, "a positive rate");
        *(name[5] == 's' ? &m->save_mib_per_s : &m->restore_mib_per_s) = rate;
    } else if (strcmp(name, "vmha-shutdown-policy") == 0) {
        static const char *const policies[] = {"migrate", "stop", "freeze"};
        m->shutdown_policy = NULL;
        for (size_t i = 0; i < G_N_ELEMENTS(policies); i++)
            if (strcmp(value, policies[i]) == 0)
                m->shutdown_policy = policies[i];
        if (!m->shutdown_policy)
            return bad_value(l, nv, name, value, "migrate, stop or freeze");
    } else if (strcmp(name, "vmha-self-fence-timeout") == 0) {
        if (parse_duration(value, &m->self_fence_timeout) < 0)
            return bad_value(l, nv, name, value, "a duration");
    } else if (strcmp(name, "vmha-fence-watchdog-timeout") == 0) {
        if (parse_duration(value, &m->fence_watchdog_timeout) < 0)
            return bad_value(l, nv, name, value, "a duration");
    }
    /* Every other property (cluster-name, dc-version, ...) means nothing to placement. */
    return 0;
}

/* migration-threshold: a score; a negative one is 1 (Pacemaker's compatibility rule). */
static int threshold_of(Loader *l, Elem *nv, const char *name, const char *value)
{
    int t = attr_score(l, nv, name, value);
    if (t < 0) {
        warn(l, nv, name, value, "1", "negative");
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

/* ---- nodes ---- */

static int on_node_attr(Loader *l, Elem *nv, const char *name, const char *value, void *data)
{
    VmhaNode *n = data;
    bool b;
    if (strcmp(name, "vmha-drain-method") == 0) {
        if (vmha_migration_method_from_string(value, &n->drain_method) < 0)
            return bad_value(l, nv, name, value, VMHA_MIGRATION_METHODS);
        return 0;
    }
    if (strcmp(name, "vmha-self-fence-disarmed") == 0) {
        n->self_fence_disarmed = attr_true(l, nv, name, value);
    } else if (strcmp(name, "standby") == 0) {
        n->standby = attr_true(l, nv, name, value);
    } else if (strcmp(name, "maintenance") == 0) {
        n->maintenance = attr_true(l, nv, name, value);
    } else if (strcmp(name, "vmha-drain") == 0 || strcmp(name, "vmha-drain-force") == 0 ||
               strcmp(name, "vmha-drain-shutdown") == 0) {
        if (parse_bool(value, &b) < 0)
            return bad_value(l, nv, name, value, "on or off");
        if (strcmp(name, "vmha-drain") == 0)
            n->drain = b;
        else if (strcmp(name, "vmha-drain-force") == 0)
            n->drain_force = b;
        else
            n->drain_shutdown = b;
    }
    return 0;
}

/* A utilization value (memory, cpu) as Pacemaker's utilization_value() reads it. Negative
 * amounts mean nothing to vmha's capacity arithmetic: read as 0, with a warning. */
static int64_t utilization_of(Loader *l, Elem *nv, const char *name, const char *value)
{
    VmhaPcmkNote note = NULL;
    int64_t v = vmha_pcmk_utilization(value, &note);
    if (v < 0) {
        note = "negative";
        v = 0;
    }
    if (note) {
        g_autofree char *as = g_strdup_printf("%" G_GINT64_FORMAT, v);
        warn(l, nv, name, value, as, note);
    }
    return v;
}

static int on_capacity(Loader *l, Elem *nv, const char *name, const char *value, void *data)
{
    int64_t *caps = data; /* [0] memory, [1] cpu */
    int i = strcmp(name, "memory") == 0 ? 0 : strcmp(name, "cpu") == 0 ? 1 : -1;
    if (i < 0)
        return 0; /* other utilization attributes are not vmha's */
    caps[i] = utilization_of(l, nv, name, value);
    return 0;
}

static int load_nodes(Loader *l, Elem *nodes)
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
            r = fail(l, VMHA_MODEL_ERROR_UNSUPPORTED, x, "node type '%s' is not supported", type);
            break;
        }
        if (!uname || !*uname || !id || !*id) {
            r = fail(l, VMHA_MODEL_ERROR_INVALID, x, "a node needs both id and uname");
            break;
        }
        if (g_hash_table_contains(m->node_index, uname)) {
            r = fail(l, VMHA_MODEL_ERROR_INCONSISTENT, x, "duplicate node '%s'", uname);
            break;
        }
        for (size_t i = 0; i < arr->len; i++) {
            if (strcmp(g_array_index(arr, VmhaNode, i).id, id) == 0) {
                r = fail(l, VMHA_MODEL_ERROR_INCONSISTENT, x, "duplicate node id '%s'", id);
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
        if (for_each_nvpair(l, x, "instance_attributes", on_node_attr, np) < 0 ||
            for_each_nvpair(l, x, "utilization", on_capacity, caps) < 0)
            r = -1;
        np->memory = caps[0];
        np->cpu = caps[1];
    }
    m->n_nodes = arr->len;
    m->nodes = (VmhaNode *)g_array_free(arr, false);
    return r;
}

/* ---- resources ---- */

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
            return bad_value(l, nv, name, value, VMHA_MIGRATION_METHODS);
    }
    return 0;
}

static int on_vm_meta(Loader *l, Elem *nv, const char *name, const char *value, void *data)
{
    VmAttrs *a = data;
    VmhaVm *vm = a->vm;

    if (strcmp(name, "priority") == 0) {
        vm->priority = attr_score(l, nv, name, value);
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
            return bad_value(l, nv, name, value, "Started or Stopped");
    } else if (strcmp(name, "is-managed") == 0) {
        if (!is_default(value))
            a->managed = attr_true(l, nv, name, value);
    } else if (strcmp(name, "maintenance") == 0) {
        a->maintenance = attr_true(l, nv, name, value);
    } else if (strcmp(name, "critical") == 0) {
        vm->critical = attr_true(l, nv, name, value);
    } else if (strcmp(name, "resource-stickiness") == 0 || strcmp(name, "stickiness") == 0) {
        if (!is_default(value))
            vm->stickiness = attr_score(l, nv, name, value);
    } else if (strcmp(name, "migration-threshold") == 0) {
        if (!is_default(value))
            vm->migration_threshold = threshold_of(l, nv, name, value);
    } else if (strcmp(name, "failure-timeout") == 0) {
        vm->failure_timeout = attr_seconds(l, nv, name, value);
    } else if (strcmp(name, "allow-migrate") == 0) {
        vm->allow_migrate = attr_true(l, nv, name, value);
    } else if (strcmp(name, "vmha-failback") == 0) {
        g_free(vm->failback);
        vm->failback = g_strdup(value);
    } else if (strcmp(name, "vmha-shutdown-policy") == 0) {
        if (strcmp(value, "migrate") != 0 && strcmp(value, "stop") != 0 &&
            strcmp(value, "freeze") != 0)
            return bad_value(l, nv, name, value, "migrate, stop or freeze");
        g_free(vm->shutdown_policy);
        vm->shutdown_policy = g_strdup(value);
    } else if (strcmp(name, "vmha-drain-fallback") == 0) {
        if (strcmp(value, "keep") != 0 && strcmp(value, "stop") != 0)
            return bad_value(l, nv, name, value, "keep or stop");
        vm->drain_fallback_stop = strcmp(value, "stop") == 0;
    } else if (strcmp(name, "vmha-move-method") == 0) {
        if (vmha_migration_method_from_string(value, &vm->move_method) < 0)
            return bad_value(l, nv, name, value, VMHA_MIGRATION_METHODS);
    }
    return 0;
}

static int on_vm_utilization(Loader *l, Elem *nv, const char *name, const char *value, void *data)
{
    VmhaVm *vm = data;
    if (strcmp(name, "memory") != 0 && strcmp(name, "cpu") != 0)
        return 0;
    int64_t v = utilization_of(l, nv, name, value);
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
        d->priority = attr_score(l, nv, name, value);
    return 0;
}

static int on_foreign_meta(Loader *l, Elem *nv, const char *name, const char *value, void *data)
{
    VmhaForeign *f = data;
    if (strcmp(name, "priority") == 0)
        f->priority = attr_score(l, nv, name, value);
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

static void vm_clear(VmhaVm *vm)
{
    g_free(vm->name);
    g_free(vm->config);
    g_free(vm->failback);
    g_free(vm->shutdown_policy);
    g_free(vm->locations);
    g_free(vm->state);
    g_free(vm->pending_op);
    g_free(vm->failures);
    g_free(vm->expiries);
    g_free(vm->migrate_failed_at);
    g_free(vm->last_failure.op);
    g_free(vm->last_failure.exit_reason);
}

static void fence_clear(VmhaFenceDevice *d)
{
    g_free(d->name);
    g_free(d->agent);
    g_strfreev(d->hosts);
}

static int load_resources(Loader *l, Elem *resources)
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
        for_each_nvpair(l, l->rsc_defaults, "meta_attributes", collect_meta, defaults) < 0)
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
                        r = fail(l, VMHA_MODEL_ERROR_UNSUPPORTED, x,
                                 "vmha VMs cannot be inside a %s", x->name);
                        break;
                    }
                }
                m->n_foreign_collections++;
            }
            continue;
        }
        if (!id || !*id) {
            r = fail(l, VMHA_MODEL_ERROR_INVALID, x, "a primitive needs an id");
            break;
        }
        if (g_hash_table_contains(m->vm_index, id) || g_hash_table_contains(l->foreign, id)) {
            r = fail(l, VMHA_MODEL_ERROR_INCONSISTENT, x, "duplicate resource id '%s'", id);
            break;
        }
        const char *cls = attr(x, "class");
        if (!cls) {
            r = fail(l, VMHA_MODEL_ERROR_INVALID, x, "a primitive needs a class");
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
            if (for_each_nvpair(l, x, "instance_attributes", on_fence_attr, dp) < 0 ||
                for_each_nvpair(l, x, "meta_attributes", on_fence_meta, dp) < 0)
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
            if (for_each_nvpair(l, x, "meta_attributes", on_foreign_meta,
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
        if (for_each_nvpair(l, x, "instance_attributes", on_vm_instance, &a) < 0 ||
            for_each_nvpair(l, x, "meta_attributes", collect_meta, meta) < 0 ||
            for_each_nvpair(l, x, "utilization", on_vm_utilization, a.vm) < 0) {
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

/* ---- constraints ---- */

/* Resolves a resource reference: 1 = a VM (index in *ret), 0 = a resource vmha ignores. */
static int resolve_rsc(Loader *l, Elem *x, const char *attr_name, size_t *ret)
{
    const char *id = attr(x, attr_name);
    if (!id || !*id)
        return fail(l, VMHA_MODEL_ERROR_INVALID, x, "missing '%s'", attr_name);
    gpointer v = g_hash_table_lookup(l->m->vm_index, id);
    if (v) {
        *ret = GPOINTER_TO_SIZE(v) - 1;
        return 1;
    }
    if (g_hash_table_contains(l->foreign, id))
        return 0;
    return fail(l, VMHA_MODEL_ERROR_INCONSISTENT, x, "'%s' refers to unknown resource '%s'",
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

static int load_constraints(Loader *l, Elem *constraints)
{
    VmhaModel *m = l->m;
    for (Elem *x = constraints ? constraints->children : NULL; x; x = x->next) {
        if (!attr(x, "id"))
            return fail(l, VMHA_MODEL_ERROR_INVALID, x, "a constraint needs an id");
        bool has_set = false;
        for (Elem *c = x->children; c; c = c->next)
            if ((NAME_EQ(c, "resource_set") || NAME_EQ(c, "rule")))
                has_set = true;
        if (NAME_EQ(x, "rsc_location")) {
            size_t vm;
            int score, r;
            if (has_set || attr(x, "rsc-pattern") || location_role_limited(attr(x, "role")))
                return fail(l, VMHA_MODEL_ERROR_UNSUPPORTED, x,
                            "only rsc/node/score locations are supported");
            if ((r = resolve_rsc(l, x, "rsc", &vm)) < 0)
                return -1;
            const char *node = attr(x, "node");
            const char *s = attr(x, "score");
            if (!node)
                return fail(l, VMHA_MODEL_ERROR_INVALID, x, "missing 'node'");
            if (!s || vmha_score_parse(s, &score) < 0)
                return fail(l, VMHA_MODEL_ERROR_INVALID, x, "missing or invalid 'score'");
            ssize_t n = vmha_model_find_node(m, node);
            if (n < 0)
                return fail(l, VMHA_MODEL_ERROR_INCONSISTENT, x, "unknown node '%s'", node);
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
                return fail(l, VMHA_MODEL_ERROR_UNSUPPORTED, x,
                            "only rsc/with-rsc/score/influence colocations are supported");
            if ((ra = resolve_rsc(l, x, "rsc", &a)) < 0 ||
                (rb = resolve_rsc(l, x, "with-rsc", &b)) < 0)
                return -1;
            const char *s = attr(x, "score");
            if (!s || vmha_score_parse(s, &score) < 0)
                return fail(l, VMHA_MODEL_ERROR_INVALID, x, "missing or invalid 'score'");
            if (ra == 0 && rb == 0)
                continue; /* between resources vmha does not plan */
            if (ra == 0 || rb == 0)
                return fail(l, VMHA_MODEL_ERROR_UNSUPPORTED, x,
                            "a colocation between a VM and a resource vmha does not plan (%s) "
                            "is not supported",
                            attr(x, ra == 0 ? "rsc" : "with-rsc"));
            if (score == 0)
                continue; /* Pacemaker ignores it too */
            if (a == b)
                return fail(l, VMHA_MODEL_ERROR_INCONSISTENT, x, "a VM colocated with itself");
            /* Pacemaker's influence: the attribute, else the dependent's `critical`. */
            const char *inf = attr(x, "influence");
            bool influence = m->vms[a].critical;
            if (inf && vmha_pcmk_boolean(inf, &influence) < 0) {
                influence = m->vms[a].critical;
                warn(l, x, "influence", inf, influence ? "true" : "false",
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

/* ---- status ---- */

static bool is_true_or_stamp(const char *s)
{
    bool b;
    int64_t v;
    if (!s)
        return false;
    if (parse_bool(s, &b) == 0)
        return b;
    return parse_int64(s, 1, INT64_MAX, &v) == 0; /* newer Pacemaker writes a timestamp */
}

typedef struct {
    int call_id;
    const char *op;
    int rc;
    int status;
    int64_t interval;
    int64_t last_run; /* last-rc-change, -1 when absent */
    bool failure;     /* an unexpected result: what failure-timeout can expire */
    int64_t expires;  /* a failure: ignored from then on (load_expiries); else INT64_MAX */
    const char *exit_reason;
    bool last_failure; /* the RSC_last_failure_0 record */
} OpRecord;

/* What one node's history of a VM says besides its state. */
typedef struct {
    const char *pending;       /* the operation in flight, or NULL */
    int64_t migrate_failed_at; /* see VmhaVm.migrate_failed_at */
    const OpRecord *failure;   /* the last-failure record, or NULL */
} HistoryFacts;

static gint cmp_ops(gconstpointer a, gconstpointer b)
{
    const OpRecord *x = a, *y = b;
    return (x->call_id > y->call_id) - (x->call_id < y->call_id);
}

/* The expected rc of an operation: the third field of its transition-key
 * ("ACTION:TRANSITION:TARGET_RC:UUID"), as Pacemaker's pe__target_rc_from_xml() reads it. */
static int target_rc_of(const char *key, int fallback)
{
    /* sscanf "%d:%d:%d:%1s" without sscanf's cost (one call per recorded operation) */
    const char *p = key;
    long field[3];
    for (int i = 0; p && i < 3; i++) {
        char *end;
        field[i] = strtol(p, &end, 10);
        p = end != p && *end == ':' ? end + 1 : NULL;
    }
    while (p && g_ascii_isspace(*p))
        p++;
    return p && *p ? (int)field[2] : fallback;
}

static int parse_ops(Loader *l, Elem *lrm_rsc, GArray *ops)
{
    for (Elem *op = lrm_rsc->children; op; op = op->next) {
        if (!NAME_EQ(op, "lrm_rsc_op"))
            continue;
        int64_t call_id = -1, rc = 0, status = 0, interval = 0, last_run = -1;
        const char *name = attr(op, "operation");
        const char *s;
        if (!name)
            return fail(l, VMHA_MODEL_ERROR_INVALID, op, "missing 'operation'");
        if ((s = attr(op, "call-id")) && parse_int64(s, -1, G_MAXINT32, &call_id) < 0)
            return fail(l, VMHA_MODEL_ERROR_INVALID, op, "invalid call-id '%s'", s);
        if ((s = attr(op, "rc-code")) && parse_int64(s, -1, 255, &rc) < 0)
            return fail(l, VMHA_MODEL_ERROR_INVALID, op, "invalid rc-code '%s'", s);
        if ((s = attr(op, "op-status")) && parse_int64(s, -1, 255, &status) < 0)
            return fail(l, VMHA_MODEL_ERROR_INVALID, op, "invalid op-status '%s'", s);
        if ((s = attr(op, "interval")) && parse_int64(s, 0, INT64_MAX, &interval) < 0)
            return fail(l, VMHA_MODEL_ERROR_INVALID, op, "invalid interval '%s'", s);
        if ((s = attr(op, "last-rc-change")) && parse_int64(s, 0, INT64_MAX, &last_run) < 0)
            last_run = -1;
        bool pending = call_id < 0 || status == -1;
        bool probe = strcmp(name, "monitor") == 0 && interval == 0;
        /* A probe expects "not running" but may find anything; its usual answers are never
         * failures (and Pacemaker never expires them). */
        bool usual_probe = probe && status == 0 && (rc == 0 || rc == 7 || rc == 8);
        const char *id = attr(op, "id");
        int target = target_rc_of(attr(op, "transition-key"), 0);
        OpRecord rec = {
                .call_id = (int)call_id,
                .op = name,
                .rc = (int)rc,
                .status = (int)status,
                .interval = interval,
                .last_run = last_run,
                .failure = !pending && !usual_probe && (status != 0 || rc != target),
                .expires = INT64_MAX,
                .exit_reason = attr(op, "exit-reason"),
                .last_failure = id && g_str_has_suffix(id, "_last_failure_0"),
        };
        g_array_append_val(ops, rec);
    }
    g_array_sort(ops, cmp_ops);
    return 0;
}

/* Replays one resource's history on one node in call order, as Pacemaker's unpacker does, at
 * `now`: failures expired by then are ignored as Pacemaker ignores them. */
static void replay(const GArray *ops, int64_t now, bool node_online, VmhaRscState *ret,
                   HistoryFacts *ret_facts)
{
    VmhaRscState st = VMHA_RSC_INACTIVE;
    HistoryFacts facts = {0};
    for (size_t i = 0; i < ops->len; i++) {
        const OpRecord *o = &g_array_index(ops, OpRecord, i);
        /* An expired recurring monitor failure is ignored only on a node that is up. A failed
         * migrate_to the agent finished left the VM running there: expired, it still says so. */
        if (o->failure && o->expires <= now && (o->interval == 0 || node_online)) {
            if (strcmp(o->op, "migrate_to") == 0 && (o->status == 0 || o->status == 7) &&
                st != VMHA_RSC_FAILED) {
                st = VMHA_RSC_ACTIVE;
                facts.migrate_failed_at = 0;
            }
            continue;
        }
        bool pending = o->call_id < 0 || o->status == -1;
        facts.pending = pending && o->interval == 0 ? o->op : NULL;
        bool ok = !pending && o->status == 0 && (o->rc == 0 || o->rc == 8);
        bool not_running = !pending && o->status == 0 && o->rc == 7;
        if (o->last_failure)
            facts.failure = o;
        if (strcmp(o->op, "stop") == 0) {
            if (pending)
                continue;
            st = ok ? VMHA_RSC_INACTIVE : VMHA_RSC_STOP_FAILED;
            facts.migrate_failed_at = 0;
        } else if (strcmp(o->op, "start") == 0 || strcmp(o->op, "migrate_from") == 0 ||
                   strcmp(o->op, "promote") == 0 || strcmp(o->op, "demote") == 0) {
            st = pending || ok ? VMHA_RSC_ACTIVE : VMHA_RSC_FAILED;
            facts.migrate_failed_at = 0;
        } else if (strcmp(o->op, "monitor") == 0) {
            if (pending)
                continue;
            if (not_running)
                st = o->interval > 0 && st != VMHA_RSC_INACTIVE ? VMHA_RSC_FAILED
                                                                : VMHA_RSC_INACTIVE;
            else
                st = ok ? (st == VMHA_RSC_FAILED && o->interval > 0 ? st : VMHA_RSC_ACTIVE)
                        : VMHA_RSC_FAILED;
        } else if (strcmp(o->op, "migrate_to") == 0) {
            if (pending)
                continue;
            /* A completed migrate_to hands the VM to the target, whose migrate_from says so. A
             * failed one that the agent finished (or that never ran) left the VM running here:
             * vmha's agent gives up a save or live migration before its timeout and resumes the
             * VM, and a restore failing after that shows up in the next monitor. Only a timeout
             * or a killed agent leaves its state unknown: failed, stopped and started again.
             * (Pacemaker recovers every failed migrate_to by stop and start.) */
            if (ok) {
                st = VMHA_RSC_INACTIVE;
                facts.migrate_failed_at = 0;
            } else if (o->status == 0 || o->status == 7) {
                st = st == VMHA_RSC_FAILED ? st : VMHA_RSC_ACTIVE;
                facts.migrate_failed_at = MAX(o->last_run, 1);
            } else {
                st = VMHA_RSC_FAILED;
                facts.migrate_failed_at = 0;
            }
        }
        if (st == VMHA_RSC_INACTIVE)
            facts.migrate_failed_at = 0;
        if (st == VMHA_RSC_STOP_FAILED)
            break; /* nothing but fencing clears a failed stop */
    }
    *ret = st;
    *ret_facts = facts;
}

/* A history with failures that failure-timeout may expire: replayed again once the fail counts
 * of its node are known (load_expiries). */
typedef struct {
    size_t vm, node;
    bool node_online;
    GArray *ops; /* OpRecord; op names point into the element tree */
} Deferred;

static void deferred_clear(gpointer p)
{
    g_array_unref(((Deferred *)p)->ops);
}

static gint cmp_int64(gconstpointer a, gconstpointer b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Pacemaker ignores a failed operation at `now` when now >= its last-rc-change + failure-timeout
 * and the VM's fail count on the node has expired too (now > last-failure + failure-timeout),
 * or there is none. The state as a function of now is a step function: one step per failed
 * operation, from max(its expiry, the fail count's). */
static void load_expiries(Loader *l)
{
    VmhaModel *m = l->m;
    for (guint d = 0; d < l->deferred->len; d++) {
        const Deferred *def = &g_array_index(l->deferred, Deferred, d);
        VmhaVm *vm = &m->vms[def->vm];
        int64_t t = vm->failure_timeout, fc_from = INT64_MIN;
        for (size_t i = 0; i < vm->n_failures; i++) {
            const VmhaFailure *f = &vm->failures[i];
            if (f->node != def->node || f->count <= 0)
                continue;
            fc_from = f->last_failure > 0 ? f->last_failure + t + 1 : INT64_MAX;
        }
        g_autoptr(GArray) steps = g_array_new(false, false, sizeof(int64_t));
        for (guint i = 0; i < def->ops->len; i++) {
            OpRecord *o = &g_array_index(def->ops, OpRecord, i);
            if (!o->failure || o->last_run < 0 || fc_from == INT64_MAX)
                continue;
            o->expires = MAX(o->last_run + t, fc_from);
            g_array_append_val(steps, o->expires);
        }
        g_array_sort(steps, cmp_int64);
        for (guint i = 0; i < steps->len; i++) {
            int64_t from = g_array_index(steps, int64_t, i);
            if (i > 0 && from == g_array_index(steps, int64_t, i - 1))
                continue;
            VmhaRscState st;
            HistoryFacts facts;
            replay(def->ops, from, def->node_online, &st, &facts);
            vm->expiries = g_renew(VmhaExpiry, vm->expiries, vm->n_expiries + 1);
            vm->expiries[vm->n_expiries++] = (VmhaExpiry){def->node, from, st};
        }
    }
}

VmhaRscState vmha_vm_state(const VmhaVm *vm, size_t node, int64_t now)
{
    VmhaRscState st = vm->state[node];
    for (size_t i = 0; i < vm->n_expiries; i++)
        if (vm->expiries[i].node == node && vm->expiries[i].from <= now)
            st = vm->expiries[i].state;
    return st;
}

typedef struct {
    size_t node;
    GHashTable *counts; /* vm index+1 -> (count, last) accumulated in failure arrays */
} FailCtx;

static int on_transient(Loader *l, Elem *nv, const char *name, const char *value, void *data)
{
    FailCtx *fc = data;
    bool is_count = g_str_has_prefix(name, "fail-count-");
    bool is_last = g_str_has_prefix(name, "last-failure-");
    if (!is_count && !is_last)
        return 0;
    const char *rsc = name + (is_count ? strlen("fail-count-") : strlen("last-failure-"));
    g_autofree char *id = g_strndup(rsc, strcspn(rsc, "#"));
    gpointer v = g_hash_table_lookup(l->m->vm_index, id);
    if (!v)
        return 0;
    VmhaVm *vm = &l->m->vms[GPOINTER_TO_SIZE(v) - 1];
    VmhaFailure *f = NULL;
    for (size_t i = 0; i < vm->n_failures; i++)
        if (vm->failures[i].node == fc->node)
            f = &vm->failures[i];
    if (!f) {
        vm->failures = g_renew(VmhaFailure, vm->failures, vm->n_failures + 1);
        f = &vm->failures[vm->n_failures++];
        *f = (VmhaFailure){.node = fc->node};
    }
    if (is_count) {
        f->count = vmha_score_add(f->count, attr_score(l, nv, name, value));
    } else {
        /* Pacemaker skips a last-failure it cannot read. */
        VmhaPcmkNote note = NULL;
        long long t = vmha_pcmk_scan_ll(value, 0, &note);
        if (!note || strncmp(note, "characters", 10) == 0)
            f->last_failure = MAX(f->last_failure, (int64_t)t);
        else
            warn(l, nv, name, value, "nothing", note);
    }
    return 0;
}

/* Keeps the newest failure record of a VM across its nodes (ties: the first node). */
static void note_failure(VmhaVm *vm, size_t node, const OpRecord *o)
{
    VmhaOpFailure *f = &vm->last_failure;

    if (!o || (o->status == 0 && (o->rc == 0 || o->rc == 8)) || o->status == -1)
        return;
    if (f->node >= 0 && f->when >= o->last_run)
        return;
    g_free(f->op);
    g_free(f->exit_reason);
    *f = (VmhaOpFailure){
            .node = (ssize_t)node,
            .op = g_strdup(o->op),
            .rc = o->rc,
            .op_status = o->status,
            .exit_reason = o->exit_reason && *o->exit_reason ? g_strdup(o->exit_reason) : NULL,
            .when = MAX(o->last_run, 0),
    };
}

static int load_status(Loader *l, Elem *status)
{
    VmhaModel *m = l->m;
    for (Elem *ns = status ? status->children : NULL; ns; ns = ns->next) {
        if (!NAME_EQ(ns, "node_state"))
            continue;
        const char *id = attr(ns, "id"), *uname = attr(ns, "uname");
        ssize_t idx = -1;
        for (size_t i = 0; id && i < m->n_nodes; i++)
            if (strcmp(m->nodes[i].id, id) == 0)
                idx = (ssize_t)i;
        if (idx < 0 && uname)
            idx = vmha_model_find_node(m, uname);
        if (idx < 0)
            return fail(l, VMHA_MODEL_ERROR_INCONSISTENT, ns,
                        "node_state for a node not in <nodes>");
        VmhaNode *n = &m->nodes[idx];
        if (n->has_node_state)
            return fail(l, VMHA_MODEL_ERROR_INCONSISTENT, ns, "second node_state for '%s'",
                        n->name);
        n->has_node_state = true;

        bool in_ccm = is_true_or_stamp(attr(ns, "in_ccm"));
        const char *crmd = attr(ns, "crmd");
        bool crmd_online = crmd && (strcmp(crmd, "online") == 0 || is_true_or_stamp(crmd));
        const char *join = attr(ns, "join");
        const char *expected = attr(ns, "expected");
        if (in_ccm && crmd_online && (!join || strcmp(join, "member") == 0))
            n->state = VMHA_NODE_ONLINE;
        else if (!in_ccm && expected && strcmp(expected, "member") == 0)
            n->state = VMHA_NODE_LOST; /* left without saying goodbye: unclean */
        else
            n->state = VMHA_NODE_OFFLINE;

        for (Elem *c = ns->children; c; c = c->next) {
            if (NAME_EQ(c, "transient_attributes")) {
                FailCtx fc = {.node = (size_t)idx};
                if (for_each_nvpair(l, c, "instance_attributes", on_transient, &fc) < 0)
                    return -1;
                /* standby can be transient too (crm_standby --lifetime reboot) */
                if (for_each_nvpair(l, c, "instance_attributes", on_node_attr, n) < 0)
                    return -1;
            } else if (NAME_EQ(c, "lrm")) {
                for (Elem *rs = c->children; rs; rs = rs->next) {
                    if (!NAME_EQ(rs, "lrm_resources"))
                        continue;
                    for (Elem *r = rs->children; r; r = r->next) {
                        if (!NAME_EQ(r, "lrm_resource"))
                            continue;
                        const char *rid = attr(r, "id");
                        if (!rid)
                            return fail(l, VMHA_MODEL_ERROR_INVALID, r, "missing 'id'");
                        VmhaRscState st = VMHA_RSC_INACTIVE;
                        HistoryFacts facts = {0};
                        GArray *ops = g_array_new(false, false, sizeof(OpRecord));
                        if (parse_ops(l, r, ops) < 0) {
                            g_array_unref(ops);
                            return -1;
                        }
                        replay(ops, INT64_MIN, n->state == VMHA_NODE_ONLINE, &st, &facts);
                        gpointer v = g_hash_table_lookup(m->vm_index, rid);
                        size_t vi = v ? GPOINTER_TO_SIZE(v) - 1 : 0;
                        bool expirable = false;
                        for (guint k = 0; v && m->vms[vi].failure_timeout > 0 && k < ops->len; k++)
                            expirable |= g_array_index(ops, OpRecord, k).failure;
                        if (v) {
                            VmhaVm *vm = &m->vms[vi];
                            vm->state[idx] = st;
                            vm->migrate_failed_at[idx] = facts.migrate_failed_at;
                            if (facts.pending && !vm->pending_op) {
                                vm->pending_op = g_strdup(facts.pending);
                                vm->pending_node = idx;
                            }
                            note_failure(vm, idx, facts.failure); /* points into ops */
                        }
                        if (expirable) {
                            Deferred def = {vi, (size_t)idx, n->state == VMHA_NODE_ONLINE, ops};
                            g_array_append_val(l->deferred, def);
                        } else {
                            g_array_unref(ops);
                        }
                        if (v)
                            continue;
                        for (size_t f = 0; f < m->n_fence_devices; f++)
                            if (strcmp(m->fence_devices[f].name, rid) == 0 && st == VMHA_RSC_ACTIVE)
                                m->fence_devices[f].running_on = idx;
                        /* History of a deleted resource (an orphan) plans nothing. */
                    }
                }
            }
        }
    }
    /* A node down cleanly runs nothing, whatever its last history says. */
    for (size_t i = 0; i < m->n_nodes; i++) {
        if (m->nodes[i].state != VMHA_NODE_OFFLINE)
            continue;
        for (size_t v = 0; v < m->n_vms; v++) {
            m->vms[v].state[i] = VMHA_RSC_INACTIVE;
            m->vms[v].migrate_failed_at[i] = 0;
            if (m->vms[v].pending_node == (ssize_t)i) {
                g_clear_pointer(&m->vms[v].pending_op, g_free);
                m->vms[v].pending_node = -1;
            }
        }
        for (size_t f = 0; f < m->n_fence_devices; f++)
            if (m->fence_devices[f].running_on == (ssize_t)i)
                m->fence_devices[f].running_on = -1;
        for (size_t f = 0; f < m->n_foreign; f++)
            if (m->foreign[f].running_on == (ssize_t)i)
                m->foreign[f].running_on = -1;
    }
    return 0;
}

static Elem *child(Elem *parent, const char *name)
{
    for (Elem *c = parent ? parent->children : NULL; c; c = c->next)
        if (NAME_EQ(c, name))
            return c;
    return NULL;
}

static int load_config_sets(Loader *l, Elem *crm_config, const char *set, NvpairFn fn)
{
    if (!crm_config)
        return 0;
    return for_each_nvpair(l, crm_config, set, fn, NULL);
}

static int load_tree(Elem *cib, VmhaModel **ret_model, GError **error)
{
    g_autoptr(VmhaModel) m = g_new0(VmhaModel, 1);
    Loader l = {
            .m = m,
            .error = error,
            .warned = g_hash_table_new(NULL, NULL),
            .deferred = g_array_new(false, false, sizeof(Deferred)),
            .vm_locations = g_ptr_array_new_with_free_func((GDestroyNotify)g_array_unref),
            .colocations = g_array_new(false, true, sizeof(VmhaColocation)),
            .foreign = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
    };
    int r = -1;

    m->stonith_enabled = true;
    m->symmetric_cluster = true;
    m->no_quorum_policy = VMHA_NO_QUORUM_STOP;
    m->placement_strategy = VMHA_STRATEGY_DEFAULT;
    m->migration_limit = 1;
    m->self_fence_timeout = 10;
    m->fence_watchdog_timeout = 20;
    m->have_quorum = true;
    m->warnings = g_ptr_array_new_with_free_func(g_free);
    m->node_index = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    m->vm_index = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

    if (!cib || !NAME_EQ(cib, "cib")) {
        fail(&l, VMHA_MODEL_ERROR_INVALID, NULL, "the document's root element is not <cib>");
        goto out;
    }
    const char *q = attr(cib, "have-quorum");
    if (q && parse_bool(q, &m->have_quorum) < 0) {
        fail(&l, VMHA_MODEL_ERROR_INVALID, cib, "have-quorum='%s' is not a boolean", q);
        goto out;
    }
    Elem *conf = child(cib, "configuration");
    if (!conf) {
        fail(&l, VMHA_MODEL_ERROR_INVALID, cib, "no <configuration>");
        goto out;
    }
    Elem *crm_config = child(conf, "crm_config");
    if (load_config_sets(&l, crm_config, "cluster_property_set", on_property) < 0)
        goto out;
    /* The quorate side restarts a lost node's VMs vmha-fence-watchdog-timeout after it saw the
     * node go; the node destroys them vmha-self-fence-timeout after losing quorum and its
     * watchdog resets it at most VMHA_WATCHDOG_TIMEOUT_S later: docs/ARCHITECTURE.md,
     * "Self-fencing and the watchdog". A shorter wait could start a VM twice. */
    if (m->stonith_enabled &&
        m->fence_watchdog_timeout < m->self_fence_timeout + VMHA_SELF_FENCE_MARGIN_S) {
        fail(&l, VMHA_MODEL_ERROR_INVALID, crm_config,
             "vmha-fence-watchdog-timeout (%" G_GINT64_FORMAT
             " s) must be at least vmha-self-fence-timeout (%" G_GINT64_FORMAT
             " s) + %d s (watchdog %d s, membership and margin %d s)",
             m->fence_watchdog_timeout, m->self_fence_timeout, VMHA_SELF_FENCE_MARGIN_S,
             VMHA_WATCHDOG_TIMEOUT_S, VMHA_SELF_FENCE_MARGIN_S - VMHA_WATCHDOG_TIMEOUT_S);
        goto out;
    }
    l.rsc_defaults = child(conf, "rsc_defaults");
    if (load_nodes(&l, child(conf, "nodes")) < 0)
        goto out;
    if (load_resources(&l, child(conf, "resources")) < 0)
        goto out;
    if (load_constraints(&l, child(conf, "constraints")) < 0)
        goto out;
    if (load_status(&l, child(cib, "status")) < 0)
        goto out;
    load_expiries(&l);

    for (size_t i = 0; i < m->n_vms; i++) {
        gsize len = 0;
        m->vms[i].locations = g_array_steal(l.vm_locations->pdata[i], &len);
        m->vms[i].n_locations = len;
    }
    m->n_colocations = l.colocations->len;
    m->colocations = (VmhaColocation *)g_array_free(l.colocations, false);
    l.colocations = NULL;
    *ret_model = g_steal_pointer(&m);
    r = 0;
out:
    if (l.colocations) {
        for (size_t i = 0; i < l.colocations->len; i++)
            g_free(g_array_index(l.colocations, VmhaColocation, i).id);
        g_array_free(l.colocations, true);
    }
    g_ptr_array_free(l.vm_locations, true);
    g_hash_table_destroy(l.foreign);
    g_hash_table_destroy(l.warned);
    g_array_set_clear_func(l.deferred, deferred_clear);
    g_array_unref(l.deferred);
    return r;
}

/* Attributes the loader never reads, dropped while parsing: in a large CIB they are most of
 * the status section (each recorded operation carries keys, digests and timings). An attribute
 * listed here reads as absent: take it off the list before reading it. */
static const char *const unread_attrs[] = {
        "transition-magic", "op-digest",        "op-restart-digest", "op-secure-digest",
        "op-secure-params", "op-force-restart", "crm-debug-origin",  "crm_feature_set",
        "operation_key",    "exec-time",        "queue-time",        NULL,
};

int vmha_model_from_xml(xmlNode *cib, VmhaModel **ret_model, GError **error)
{
    g_autoptr(VmhaXmlTree) tree = vmha_xml_tree_from_node(cib, unread_attrs);
    return load_tree(vmha_xml_tree_root(tree), ret_model, error);
}

int vmha_model_parse(const char *xml, size_t len, VmhaModel **ret_model, GError **error)
{
    g_autoptr(VmhaXmlTree) tree = NULL;
    g_autofree char *msg = NULL;

    if (!xml) {
        g_set_error_literal(error, VMHA_MODEL_ERROR, VMHA_MODEL_ERROR_XML, "no document");
        return -1;
    }
    if (vmha_xml_tree_parse(xml, len, unread_attrs, &tree, &msg) < 0) {
        g_set_error_literal(error, VMHA_MODEL_ERROR, VMHA_MODEL_ERROR_XML, msg);
        return -1;
    }
    return load_tree(vmha_xml_tree_root(tree), ret_model, error);
}

void vmha_model_free(VmhaModel *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n_nodes; i++) {
        g_free(m->nodes[i].name);
        g_free(m->nodes[i].id);
    }
    g_free(m->nodes);
    for (size_t i = 0; i < m->n_vms; i++)
        vm_clear(&m->vms[i]);
    g_free(m->vms);
    for (size_t i = 0; i < m->n_colocations; i++)
        g_free(m->colocations[i].id);
    g_free(m->colocations);
    for (size_t i = 0; i < m->n_fence_devices; i++)
        fence_clear(&m->fence_devices[i]);
    g_free(m->fence_devices);
    for (size_t i = 0; i < m->n_foreign; i++) {
        g_free(m->foreign[i].name);
        g_free(m->foreign[i].agent);
    }
    g_free(m->foreign);
    if (m->node_index)
        g_hash_table_destroy(m->node_index);
    if (m->vm_index)
        g_hash_table_destroy(m->vm_index);
    if (m->warnings)
        g_ptr_array_unref(m->warnings);
    g_free(m);
}

ssize_t vmha_model_find_node(const VmhaModel *m, const char *name)
{
    gpointer v = name ? g_hash_table_lookup(m->node_index, name) : NULL;
    return v ? (ssize_t)GPOINTER_TO_SIZE(v) - 1 : -1;
}

ssize_t vmha_model_find_vm(const VmhaModel *m, const char *name)
{
    gpointer v = name ? g_hash_table_lookup(m->vm_index, name) : NULL;
    return v ? (ssize_t)GPOINTER_TO_SIZE(v) - 1 : -1;
}

void vmha_model_fail_node(VmhaModel *m, size_t node, int64_t now)
{
    if (node >= m->n_nodes)
        return;
    m->nodes[node].state = VMHA_NODE_LOST;
    m->nodes[node].lost_since = now;
}

void vmha_model_node_down(VmhaModel *m, size_t node)
{
    if (node >= m->n_nodes)
        return;
    m->nodes[node].state = VMHA_NODE_OFFLINE;
    for (size_t v = 0; v < m->n_vms; v++)
        m->vms[v].state[node] = VMHA_RSC_INACTIVE;
}

void vmha_model_set_drain(VmhaModel *m, size_t node, bool drain)
{
    if (node < m->n_nodes)
        m->nodes[node].drain = drain;
}

bool vmha_model_node_has_fence_device(const VmhaModel *m, size_t node)
{
    for (size_t i = 0; i < m->n_fence_devices; i++) {
        char **hosts = m->fence_devices[i].hosts;
        if (!hosts)
            return true;
        for (size_t h = 0; hosts[h]; h++)
            if (strcmp(hosts[h], m->nodes[node].name) == 0)
                return true;
    }
    return false;
}

const char *vmha_placement_strategy_to_string(VmhaPlacementStrategy s)
{
    switch (s) {
    case VMHA_STRATEGY_UTILIZATION:
        return "utilization";
    case VMHA_STRATEGY_BALANCED:
        return "balanced";
    case VMHA_STRATEGY_MINIMAL:
        return "minimal";
    case VMHA_STRATEGY_DEFAULT:
    default:
        return "default";
    }
}
