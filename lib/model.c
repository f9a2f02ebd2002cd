/* CIB document -> VmhaModel. See model.h and docs/CIB.md; the sections are read by the modules
 * model-internal.h lists. This file: the document as a whole, crm_config's properties, and the
 * model's public queries. */
#include <libxml/parser.h>

#include "duration.h"
#include "model-internal.h"
#include "pcmknum.h"

G_DEFINE_QUARK(vmha - model - error - quark, vmha_model_error)

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

/* vmha's own durations in whole seconds (ms rounded up): "90", "90s", "2min", "1h", "500ms". Only
 * text read as written (VMHA_DURATION_EXACT): these values decide when a lost node's VMs may
 * start elsewhere. */
static int parse_seconds(const char *s, int64_t *ret)
{
    int64_t ms;
    if (vmha_duration_parse(s, VMHA_DURATION_EXACT, &ms, NULL) < 0 ||
        ms > (int64_t)G_MAXINT32 * 1000)
        return -1;
    *ret = (ms + 999) / 1000;
    return 0;
}

const char *vmha_vm_shutdown_policy(const VmhaModel *m, const VmhaVm *vm)
{
    return vm->shutdown_policy  ? vm->shutdown_policy
           : m->shutdown_policy ? m->shutdown_policy
                                : "migrate";
}

static int on_property(Loader *l, Elem *nv, const char *name, const char *value, void *data)
{
    VmhaModel *m = l->m;
    int64_t v;

    if (strcmp(name, "stonith-enabled") == 0) {
        if (vmha_pcmk_boolean(value, &m->stonith_enabled) < 0)
            return loader_bad_value(l, nv, name, value, "a boolean");
    } else if (strcmp(name, "symmetric-cluster") == 0) {
        if (vmha_pcmk_boolean(value, &m->symmetric_cluster) < 0)
            return loader_bad_value(l, nv, name, value, "a boolean");
    } else if (strcmp(name, "no-quorum-policy") == 0) {
        if (strcmp(value, "stop") == 0 || strcmp(value, "suicide") == 0 ||
            strcmp(value, "demote") == 0)
            m->no_quorum_policy = VMHA_NO_QUORUM_STOP;
        else if (strcmp(value, "freeze") == 0)
            m->no_quorum_policy = VMHA_NO_QUORUM_FREEZE;
        else if (strcmp(value, "ignore") == 0)
            m->no_quorum_policy = VMHA_NO_QUORUM_IGNORE;
        else
            return loader_bad_value(l, nv, name, value, "stop, freeze or ignore");
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
            return loader_bad_value(l, nv, name, value,
                                    "default, utilization, balanced or minimal");
    } else if (strcmp(name, "maintenance-mode") == 0) {
        if (vmha_pcmk_boolean(value, &m->maintenance_mode) < 0)
            return loader_bad_value(l, nv, name, value, "a boolean");
    } else if (strcmp(name, "stop-all-resources") == 0) {
        if (vmha_pcmk_boolean(value, &m->stop_all) < 0)
            return loader_bad_value(l, nv, name, value, "a boolean");
    } else if (strcmp(name, "stonith-action") == 0) {
        /* poweroff: Pacemaker's older name for off */
        if (strcmp(value, "reboot") != 0 && strcmp(value, "off") != 0 &&
            strcmp(value, "poweroff") != 0)
            return loader_bad_value(l, nv, name, value, "reboot or off");
    } else if (strcmp(name, "node-action-limit") == 0) {
        v = vmha_pcmk_scan_ll(value, -1, NULL);
        if (v < 0 || v > 10000)
            return loader_bad_value(l, nv, name, value, "an integer from 0 to 10000");
    } else if (strcmp(name, "migration-limit") == 0) {
        VmhaPcmkNote note = NULL;
        v = vmha_pcmk_scan_ll(value, -1, &note);
        /* Pacemaker reads text without digits as the default; refused here, so that `config
         * set` never writes it. */
        if (v < -1 || v > 10000 || (note && g_str_has_prefix(note, "no digits")))
            return loader_bad_value(l, nv, name, value, "an integer from -1 to 10000");
        if (note) {
            g_autofree char *as = g_strdup_printf("%" G_GINT64_FORMAT, v);
            loader_warn(l, nv, name, value, as, note);
        }
        m->migration_limit = (int)v;
    } else if (strcmp(name, "vmha-save-mib-per-s") == 0 ||
               strcmp(name, "vmha-restore-mib-per-s") == 0) {
        char *end = NULL;
        double rate = g_ascii_strtod(value, &end);
        if (!end || *end || !(rate > 0 && rate < 1e9))
            return loader_bad_value(l, nv, name, value, "a positive rate");
        *(name[5] == 's' ? &m->save_mib_per_s : &m->restore_mib_per_s) = rate;
    } else if (strcmp(name, "vmha-shutdown-policy") == 0) {
        static const char *const policies[] = {"migrate", "stop", "freeze"};
        m->shutdown_policy = NULL;
        for (size_t i = 0; i < G_N_ELEMENTS(policies); i++)
            if (strcmp(value, policies[i]) == 0)
                m->shutdown_policy = policies[i];
        if (!m->shutdown_policy)
            return loader_bad_value(l, nv, name, value, "migrate, stop or freeze");
    } else if (strcmp(name, "vmha-self-fence-timeout") == 0) {
        if (parse_seconds(value, &m->self_fence_timeout) < 0)
            return loader_bad_value(l, nv, name, value, "a duration");
    } else if (strcmp(name, "vmha-fence-watchdog-timeout") == 0) {
        if (parse_seconds(value, &m->fence_watchdog_timeout) < 0)
            return loader_bad_value(l, nv, name, value, "a duration");
    }
    /* Every other property (cluster-name, dc-version, ...) means nothing to placement. */
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
    return loader_for_each_nvpair(l, crm_config, set, fn, NULL);
}

static int load_tree(Elem *cib, VmhaModel **ret_model, GError **error)
{
    g_autoptr(VmhaModel) m = g_new0(VmhaModel, 1);
    Loader l = {
            .m = m,
            .error = error,
            .warned = g_hash_table_new(NULL, NULL),
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
        loader_fail(&l, VMHA_MODEL_ERROR_INVALID, NULL, "the document's root element is not <cib>");
        goto out;
    }
    const char *q = attr(cib, "have-quorum");
    if (q && vmha_pcmk_boolean(q, &m->have_quorum) < 0) {
        loader_fail(&l, VMHA_MODEL_ERROR_INVALID, cib, "have-quorum='%s' is not a boolean", q);
        goto out;
    }
    Elem *conf = child(cib, "configuration");
    if (!conf) {
        loader_fail(&l, VMHA_MODEL_ERROR_INVALID, cib, "no <configuration>");
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
        loader_fail(&l, VMHA_MODEL_ERROR_INVALID, crm_config,
                    "vmha-fence-watchdog-timeout (%" G_GINT64_FORMAT
                    " s) must be at least vmha-self-fence-timeout (%" G_GINT64_FORMAT
                    " s) + %d s (watchdog %d s, membership and margin %d s)",
                    m->fence_watchdog_timeout, m->self_fence_timeout, VMHA_SELF_FENCE_MARGIN_S,
                    VMHA_WATCHDOG_TIMEOUT_S, VMHA_SELF_FENCE_MARGIN_S - VMHA_WATCHDOG_TIMEOUT_S);
        goto out;
    }
    l.rsc_defaults = child(conf, "rsc_defaults");
    if (loader_load_nodes(&l, child(conf, "nodes")) < 0)
        goto out;
    if (loader_load_resources(&l, child(conf, "resources")) < 0)
        goto out;
    if (loader_load_constraints(&l, child(conf, "constraints")) < 0)
        goto out;
    if (loader_load_status(&l, child(cib, "status")) < 0)
        goto out;

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
