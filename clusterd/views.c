/* JSON answers to vmctl's read requests. The schemas are documented in docs/vmctl.md; change
 * them only additively. */
#include "config.h"

#include <crm/cib.h>
#include <crm/common/xml.h>
#include <crm/msg_xml.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "cibdb.h"
#include "cibread.h"
#include "corosync.h"
#include "engine.h"
#include "alerts.h"
#include "clusterprops.h"
#include "fencedev.h"
#include "history.h"
#include "lrmstatus.h"
#include "model.h"
#include "options.h"
#include "statusclean.h"
#include "statusview.h"
#include "sync.h"
#include "views.h"

static json_object *node_ref(uint32_t nodeid)
{
    if (!nodeid)
        return NULL;
    json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_int64(nodeid));
    const char *name = cd_node_name(nodeid);
    json_object_object_add(o, "name", name ? json_object_new_string(name) : NULL);
    return o;
}

static json_object *database_json(void)
{
    VmhaCibVersion v;
    char digest[VMHA_DIGEST_LEN + 1];
    json_object *o = json_object_new_object();

    cd_cibdb_version(&v, digest);
    json_object_object_add(o, "admin_epoch", json_object_new_int64((int64_t)v.admin_epoch));
    json_object_object_add(o, "epoch", json_object_new_int64((int64_t)v.epoch));
    json_object_object_add(o, "num_updates", json_object_new_int64((int64_t)v.num_updates));
    json_object_object_add(o, "digest", json_object_new_string(digest));
    json_object_object_add(o, "in_sync", json_object_new_boolean(cd_sync_in_sync()));
    return o;
}

static char *finish_json(json_object *o)
{
    char *s = g_strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
                                                                 JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
    return s;
}

static json_object *nodes_json(void)
{
    const GPtrArray *nodes = cd_nodes();
    uint32_t leader = cd_sync_leader();
    json_object *arr = json_object_new_array();

    for (guint i = 0; nodes && i < nodes->len; i++) {
        const CdNode *n = g_ptr_array_index(nodes, i);
        json_object *o = json_object_new_object();
        json_object_object_add(o, "id", json_object_new_int64(n->nodeid));
        json_object_object_add(o, "name", json_object_new_string(n->name));
        json_object_object_add(o, "online",
                               json_object_new_boolean(cd_node_in_quorum_view(n->nodeid)));
        json_object_object_add(o, "clusterd", json_object_new_boolean(cd_cpg_has_node(n->nodeid)));
        json_object_object_add(o, "leader", json_object_new_boolean(leader == n->nodeid));
        json_object_object_add(o, "local", json_object_new_boolean(n->nodeid == cd_local_nodeid()));
        json_object_array_add(arr, o);
    }
    return arr;
}

static void add_string(const char *name, const char *value, void *o)
{
    json_object_object_add(o, name, json_object_new_string(value));
}

static json_object *set_json(xmlNode *prim, const char *set_tag)
{
    json_object *o = json_object_new_object();

    cd_cib_nvpairs_foreach(prim, set_tag, add_string, o);
    return o;
}

/* A cluster property as config show reports it: its value, not a default. */
static void add_property(const char *name, const char *value, void *props)
{
    json_object *p = json_object_new_object();
    json_object_object_add(p, "value", json_object_new_string(value));
    json_object_object_add(p, "default", json_object_new_boolean(false));
    json_object_object_add(props, name, p);
}

static json_object *int_or_null(const char *s)
{
    char *end = NULL;
    if (!s)
        return NULL;
    long long v = strtoll(s, &end, 10);
    if (*s && end && *end == '\0')
        return json_object_new_int64(v);
    return json_object_new_string(s);
}

static int count_vms(xmlNode *cib)
{
    xmlNode *res = cib ? pcmk_find_cib_element(cib, XML_CIB_TAG_RESOURCES) : NULL;
    int n = 0;

    for (xmlNode *p = res ? first_named_child(res, XML_CIB_TAG_RESOURCE) : NULL; p;
         p = crm_next_same_xml(p))
        n += cd_cib_is_vm(p);
    return n;
}

static int64_t attr_int(xmlNode *ns, const char *name)
{
    const char *v = ns ? vmha_status_node_attr(ns, name) : NULL;
    gint64 r = 0;
    if (!v || !g_ascii_string_to_signed(v, 10, 0, G_MAXINT64, &r, NULL))
        return 0;
    return r;
}

static json_object *time_or_null(int64_t t)
{
    return t > 0 ? json_object_new_int64(t) : NULL;
}

/* A node's VMs and their utilization against its capacity (docs/vmctl.md). */
static json_object *load_json(const VmhaModel *model, size_t node)
{
    VmhaNodeLoad l;
    json_object *o = json_object_new_object();

    vmha_show_node_load(model, node, &l);
    json_object_object_add(o, "vms", json_object_new_int64((int64_t)l.vms));
    json_object_object_add(o, "memory_used_mib", json_object_new_int64(l.memory_used));
    json_object_object_add(o, "memory_mib", l.memory >= 0 ? json_object_new_int64(l.memory) : NULL);
    json_object_object_add(o, "cpu_used", json_object_new_int64(l.cpu_used));
    json_object_object_add(o, "cpu", l.cpu >= 0 ? json_object_new_int64(l.cpu) : NULL);
    return o;
}

/* Adds state, standby, drain, fence and load to each node of `vmctl status` (docs/vmctl.md). */
static void add_node_states(json_object *nodes, const VmhaModel *model, xmlNode *status)
{
    for (size_t i = 0; i < json_object_array_length(nodes); i++) {
        json_object *o = json_object_array_get_idx(nodes, i), *name = NULL;
        json_object_object_get_ex(o, "name", &name);
        ssize_t idx =
                model && name ? vmha_model_find_node(model, json_object_get_string(name)) : -1;
        if (idx < 0) {
            json_object_object_add(o, "state", NULL);
            json_object_object_add(o, "load", NULL);
            continue;
        }
        const VmhaNode *n = &model->nodes[idx];
        xmlNode *ns = cd_cib_node_state(status, n->id, n->name);
        VmhaNodeFence f = {
                .requested = attr_int(ns, "vmha-fence-requested"),
                .fenced = attr_int(ns, "vmha-fenced"),
                .failures = attr_int(ns, "vmha-fence-failures"),
                .last_attempt = attr_int(ns, "vmha-fence-last-attempt"),
                .last_error = ns ? vmha_status_node_attr(ns, "vmha-fence-last-error") : NULL,
        };
        json_object_object_add(
                o, "state",
                json_object_new_string(vmha_show_model_node_state(model, (size_t)idx, &f)));
        json_object_object_add(o, "standby", json_object_new_boolean(n->standby));
        json_object_object_add(o, "maintenance", json_object_new_boolean(n->maintenance));
        json_object_object_add(o, "drain", json_object_new_boolean(n->drain));
        json_object *fo = json_object_new_object();
        json_object_object_add(fo, "requested", time_or_null(f.requested));
        json_object_object_add(fo, "fenced", time_or_null(f.fenced));
        json_object_object_add(fo, "failures", json_object_new_int64(f.failures));
        json_object_object_add(fo, "last_attempt", time_or_null(f.last_attempt));
        json_object_object_add(fo, "last_error",
                               f.last_error ? json_object_new_string(f.last_error) : NULL);
        json_object_object_add(o, "fence", fo);
        json_object_object_add(o, "load", load_json(model, (size_t)idx));
    }
}

/* Every VM with its state, nodes, why and failures, from the live model and its plan. */
static json_object *vms_json(const VmhaModel *model, const VmhaPlan *plan)
{
    json_object *arr = json_object_new_array();

    for (size_t v = 0; v < model->n_vms; v++) {
        const VmhaVm *vm = &model->vms[v];
        VmhaShowVm show;
        VmhaShowPending pending = {.op = vm->pending_op,
                                   .node = vm->pending_op ? vm->pending_node : -1};
        vmha_show_vm(model, plan, v, pending.node >= 0 ? &pending : NULL, &show);
        json_object *o = json_object_new_object();
        json_object_object_add(o, "name", json_object_new_string(vm->name));
        json_object_object_add(o, "state",
                               json_object_new_string(vmha_show_vm_state_to_string(show.state)));
        json_object *nodes = json_object_new_array();
        for (size_t i = 0; show.nodes[i]; i++)
            json_object_array_add(nodes, json_object_new_string(show.nodes[i]));
        json_object_object_add(o, "nodes", nodes);
        json_object_object_add(o, "why", show.why ? json_object_new_string(show.why) : NULL);
        json_object *po = NULL;
        if (pending.node >= 0) {
            po = json_object_new_object();
            json_object_object_add(po, "op", json_object_new_string(pending.op));
            json_object_object_add(po, "node",
                                   json_object_new_string(model->nodes[pending.node].name));
        }
        json_object_object_add(o, "pending", po);
        ssize_t to = plan->placement[v];
        json_object_object_add(o, "planned_node",
                               to >= 0 ? json_object_new_string(model->nodes[to].name) : NULL);
        json_object_object_add(o, "target_role",
                               json_object_new_string(vm->target_stopped ? "Stopped" : "Started"));
        json_object_object_add(o, "priority", json_object_new_int(vm->priority));
        json_object *fails = json_object_new_object();
        for (size_t i = 0; i < vm->n_failures; i++) {
            const VmhaFailure *f = &vm->failures[i];
            if (f->count <= 0)
                continue;
            json_object *fo = json_object_new_object();
            json_object_object_add(fo, "count", json_object_new_int(f->count));
            json_object_object_add(fo, "last_failure", time_or_null(f->last_failure));
            json_object_object_add(fails, model->nodes[f->node].name, fo);
        }
        json_object_object_add(o, "fail_counts", fails);
        const VmhaOpFailure *lf = &vm->last_failure;
        json_object *lfo = NULL;
        if (lf->node >= 0) {
            lfo = json_object_new_object();
            json_object_object_add(lfo, "node",
                                   json_object_new_string(model->nodes[lf->node].name));
            json_object_object_add(lfo, "op", json_object_new_string(lf->op));
            json_object_object_add(lfo, "rc", json_object_new_int(lf->rc));
            json_object_object_add(lfo, "op_status", json_object_new_int(lf->op_status));
            json_object_object_add(lfo, "exit_reason",
                                   lf->exit_reason ? json_object_new_string(lf->exit_reason)
                                                   : NULL);
            json_object_object_add(lfo, "when", time_or_null(lf->when));
        }
        json_object_object_add(o, "last_failure", lfo);
        json_object_object_add(o, "migration_threshold",
                               json_object_new_int(vm->migration_threshold));
        json_object_array_add(arr, o);
        vmha_show_vm_clear(&show);
    }
    return arr;
}

/* The live model and plan of the last STATUS. A page or `status --watch` asks again and again
 * while nothing changes, and reading the live CIB (a copy, printed, parsed again) is most of an
 * answer's cost. The model stays valid while the database and the live facts cd_view_cib adds
 * to it (quorum, each node's id and membership) do; the plan also depends on the second. */
static struct {
    uint64_t generation;
    char *facts;
    VmhaModel *model;
    int64_t now;
    VmhaPlan *plan;
} status_cache;

char *cd_view_live_facts(void)
{
    const GPtrArray *nodes = cd_nodes();
    GString *s = g_string_new(cd_quorate() ? "quorate" : "inquorate");

    for (guint i = 0; nodes && i < nodes->len; i++) {
        const CdNode *n = g_ptr_array_index(nodes, i);
        g_string_append_printf(s, " %s=%u:%d", n->name, n->nodeid,
                               cd_node_in_quorum_view(n->nodeid));
    }
    return g_string_free(s, FALSE);
}

static void status_cache_clear(void)
{
    g_clear_pointer(&status_cache.facts, g_free);
    g_clear_pointer(&status_cache.model, vmha_model_free);
    g_clear_pointer(&status_cache.plan, vmha_plan_free);
}

void cd_views_finalise(void)
{
    status_cache_clear();
}

/* The live model and its plan for `vmctl status`, owned by the cache; NULL (with the reason)
 * while out of sync or when the database holds something the model refuses. */
static const VmhaModel *live_model(const VmhaPlan **ret_plan, char **ret_error)
{
    g_autofree char *xml = NULL;
    g_autoptr(GError) error = NULL;
    int64_t now = g_get_real_time() / G_USEC_PER_SEC;

    g_autofree char *facts = cd_view_live_facts();
    /* Out of sync, cd_view_cib refuses and says why. */
    if (!cd_sync_in_sync() || !status_cache.model ||
        status_cache.generation != cd_cibdb_generation() ||
        g_strcmp0(status_cache.facts, facts) != 0) {
        status_cache_clear();
        if (cd_view_cib(&xml, ret_error) < 0)
            return NULL;
        if (vmha_model_parse(xml, strlen(xml), &status_cache.model, &error) < 0) {
            *ret_error = g_strdup(error->message);
            return NULL;
        }
        status_cache.generation = cd_cibdb_generation();
        status_cache.facts = g_steal_pointer(&facts);
    }
    if (!status_cache.plan || status_cache.now != now) {
        g_clear_pointer(&status_cache.plan, vmha_plan_free);
        if (vmha_engine_plan(status_cache.model, now, &status_cache.plan) < 0) {
            *ret_error = g_strdup("the policy engine failed");
            return NULL;
        }
        status_cache.now = now;
    }
    *ret_plan = status_cache.plan;
    return status_cache.model;
}

char *cd_view_status(void)
{
    json_object *o = json_object_new_object();
    xmlNode *cib = cd_cibdb_current();
    size_t n = 0;
    const VmhaPeerState *m = cd_sync_members(&n);

    json_object_object_add(o, "local_node", node_ref(cd_local_nodeid()));
    json_object_object_add(o, "corosync", json_object_new_boolean(cd_corosync_connected()));
    json_object_object_add(o, "quorate", json_object_new_boolean(cd_quorate()));
    json_object_object_add(o, "expected_votes", json_object_new_int64(cd_expected_votes()));
    json_object_object_add(o, "quorum_votes", json_object_new_int64(cd_quorum_needed()));
    json_object_object_add(o, "leader", node_ref(cd_sync_leader()));
    json_object *members = json_object_new_array();
    for (size_t i = 0; i < n; i++) {
        json_object *mo = json_object_new_object();
        json_object_object_add(mo, "id", json_object_new_int64(m[i].nodeid));
        const char *name = cd_node_name(m[i].nodeid);
        json_object_object_add(mo, "name", name ? json_object_new_string(name) : NULL);
        json_object_object_add(mo, "pid", json_object_new_int64(m[i].pid));
        json_object_object_add(mo, "in_sync", json_object_new_boolean(m[i].in_sync));
        json_object_array_add(members, mo);
    }
    json_object_object_add(o, "members", members);
    g_autofree char *model_error = NULL;
    const VmhaPlan *plan = NULL;
    const VmhaModel *model = live_model(&plan, &model_error);
    json_object *nodes = nodes_json();
    add_node_states(nodes, model, cib ? pcmk_find_cib_element(cib, XML_CIB_TAG_STATUS) : NULL);
    json_object_object_add(o, "nodes", nodes);
    json_object_object_add(o, "database", database_json());
    json_object_object_add(o, "vm_count", json_object_new_int(count_vms(cib)));
    json_object_object_add(o, "maintenance_mode",
                           json_object_new_boolean(model && model->maintenance_mode));
    json_object_object_add(o, "vms", model ? vms_json(model, plan) : NULL);
    json_object_object_add(o, "vms_error",
                           model_error ? json_object_new_string(model_error) : NULL);
    cd_history_add_to_status(o);
    return finish_json(o);
}

char *cd_view_nodes(void)
{
    json_object *o = json_object_new_object();

    json_object_object_add(o, "nodes", nodes_json());
    return finish_json(o);
}

/* A VM's own placement rules, as `vm set` / `vm ban` write them: "together_with" and
 * "apart_from" ("db", or "db:500" for a preference), "banned_from" (nodes). */
static void add_rules(json_object *vm, xmlNode *cons, const char *name)
{
    json_object *with = json_object_new_array(), *apart = json_object_new_array();
    json_object *banned = json_object_new_array();
    for (xmlNode *c = cons ? cons->children : NULL; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || g_strcmp0(crm_element_value(c, "rsc"), name) != 0)
            continue;
        const char *score = crm_element_value(c, XML_RULE_ATTR_SCORE);
        const char *other = crm_element_value(c, "with-rsc");
        const char *node = crm_element_value(c, "node");
        if (!score)
            continue;
        bool negative = score[0] == '-';
        const char *magnitude = negative || score[0] == '+' ? score + 1 : score;
        if (other && strcmp((const char *)c->name, XML_CONS_TAG_RSC_DEPEND) == 0) {
            g_autofree char *entry = strcmp(magnitude, "INFINITY") == 0
                                             ? g_strdup(other)
                                             : g_strdup_printf("%s:%s", other, magnitude);
            json_object_array_add(negative ? apart : with, json_object_new_string(entry));
        } else if (node && strcmp(score, "-INFINITY") == 0 &&
                   strcmp((const char *)c->name, XML_CONS_TAG_RSC_LOCATION) == 0) {
            json_object_array_add(banned, json_object_new_string(node));
        }
    }
    json_object_object_add(vm, "together_with", with);
    json_object_object_add(vm, "apart_from", apart);
    json_object_object_add(vm, "banned_from", banned);
}

char *cd_view_vms(void)
{
    json_object *o = json_object_new_object();
    json_object *arr = json_object_new_array();
    xmlNode *cib = cd_cibdb_current();
    xmlNode *res = cib ? pcmk_find_cib_element(cib, XML_CIB_TAG_RESOURCES) : NULL;
    xmlNode *cons = cib ? pcmk_find_cib_element(cib, XML_CIB_TAG_CONSTRAINTS) : NULL;
    xmlNode *status = cib ? pcmk_find_cib_element(cib, XML_CIB_TAG_STATUS) : NULL;
    /* Every VM's history on every node: indexed, not a scan of each node's for each VM. */
    g_autoptr(GPtrArray) history = vmha_lrm_index_all(status);

    for (xmlNode *p = res ? first_named_child(res, XML_CIB_TAG_RESOURCE) : NULL; p;
         p = crm_next_same_xml(p)) {
        if (!cd_cib_is_vm(p))
            continue;
        const char *name = crm_element_value(p, XML_ATTR_ID);
        json_object *vm = json_object_new_object();
        json_object_object_add(vm, "name", json_object_new_string(name));
        const char *config = cd_cib_nvpair(p, XML_TAG_ATTR_SETS, "config");
        json_object_object_add(vm, "config", config ? json_object_new_string(config) : NULL);
        json_object_object_add(vm, "priority",
                               int_or_null(cd_cib_nvpair(p, XML_TAG_META_SETS, "priority")));
        json_object_object_add(vm, "memory_mib",
                               int_or_null(cd_cib_nvpair(p, XML_TAG_UTILIZATION, "memory")));
        json_object_object_add(vm, "vcpus",
                               int_or_null(cd_cib_nvpair(p, XML_TAG_UTILIZATION, "cpu")));
        const char *role = cd_cib_nvpair(p, XML_TAG_META_SETS, "target-role");
        json_object_object_add(vm, "target_role", json_object_new_string(role ? role : "Started"));

        /* Preferences in score order (highest first). */
        json_object *prefer = json_object_new_array();
        GPtrArray *locs = g_ptr_array_new();
        for (xmlNode *c = cons ? first_named_child(cons, XML_CONS_TAG_RSC_LOCATION) : NULL; c;
             c = crm_next_same_xml(c))
            if (g_strcmp0(crm_element_value(c, "rsc"), name) == 0 && crm_element_value(c, "node") &&
                atoi(crm_element_value(c, XML_RULE_ATTR_SCORE) ?: "0") > 0)
                g_ptr_array_add(locs, c);
        while (locs->len) {
            guint best = 0;
            for (guint i = 1; i < locs->len; i++)
                if (atoi(crm_element_value(g_ptr_array_index(locs, i), XML_RULE_ATTR_SCORE)) >
                    atoi(crm_element_value(g_ptr_array_index(locs, best), XML_RULE_ATTR_SCORE)))
                    best = i;
            json_object_array_add(prefer, json_object_new_string(crm_element_value(
                                                  g_ptr_array_index(locs, best), "node")));
            g_ptr_array_remove_index(locs, best);
        }
        g_ptr_array_free(locs, TRUE);
        json_object_object_add(vm, "prefer", prefer);
        add_rules(vm, cons, name);
        /* From the status section: where probes (and later actions) last found it. */
        g_auto(GStrv) running = vmha_lrm_index_running_on(history, name, false);
        g_auto(GStrv) maybe = vmha_lrm_index_running_on(history, name, true);
        json_object *ron = json_object_new_array(), *fon = json_object_new_array();
        for (size_t i = 0; maybe[i]; i++)
            json_object_array_add(g_strv_contains((const char *const *)running, maybe[i]) ? ron
                                                                                          : fon,
                                  json_object_new_string(maybe[i]));
        json_object_object_add(vm, "running_on", ron);
        json_object_object_add(vm, "failed_on", fon);
        json_object *pon = json_object_new_array();
        for (guint i = 0; i < history->len; i++) {
            const VmhaLrmIndex *node = g_ptr_array_index(history, i);
            if (vmha_lrm_index_state(node, name) != VMHA_LRM_UNKNOWN)
                json_object_array_add(
                        pon,
                        json_object_new_string(
                                crm_element_value(vmha_lrm_index_node_state(node), XML_ATTR_UNAME)
                                        ?: "?"));
        }
        json_object_object_add(vm, "probed_on", pon);
        json_object_object_add(vm, "instance_attributes", set_json(p, XML_TAG_ATTR_SETS));
        json_object_object_add(vm, "meta_attributes", set_json(p, XML_TAG_META_SETS));
        json_object_object_add(vm, "utilization", set_json(p, XML_TAG_UTILIZATION));
        /* `vm set NAME monitor-interval=`; null: clusterd's default. */
        const char *interval = NULL;
        xmlNode *ops = first_named_child(p, "operations");
        for (xmlNode *op = ops ? first_named_child(ops, "op") : NULL; op && !interval;
             op = crm_next_same_xml(op))
            if (g_strcmp0(crm_element_value(op, "name"), "monitor") == 0)
                interval = crm_element_value(op, "interval");
        json_object_object_add(vm, "monitor_interval",
                               interval ? json_object_new_string(interval) : NULL);
        json_object_array_add(arr, vm);
    }
    json_object_object_add(o, "vms", arr);
    return finish_json(o);
}

char *cd_view_fences(void)
{
    json_object *o = json_object_new_object();
    json_object *arr = json_object_new_array();
    xmlNode *cib = cd_cibdb_current();
    xmlNode *res = cib ? pcmk_find_cib_element(cib, XML_CIB_TAG_RESOURCES) : NULL;

    for (xmlNode *p = res ? first_named_child(res, XML_CIB_TAG_RESOURCE) : NULL; p;
         p = crm_next_same_xml(p)) {
        if (!cd_cib_is_fence_device(p))
            continue;
        json_object *d = json_object_new_object();
        json_object_object_add(d, "id", json_object_new_string(crm_element_value(p, XML_ATTR_ID)));
        const char *agent = crm_element_value(p, XML_ATTR_TYPE);
        json_object_object_add(d, "agent", agent ? json_object_new_string(agent) : NULL);
        /* Split as lib/model.c and the fencer read pcmk_host_list. */
        json_object *hosts = json_object_new_array();
        const char *list = cd_cib_nvpair(p, XML_TAG_ATTR_SETS, "pcmk_host_list");
        g_auto(GStrv) split = g_strsplit_set(list ? list : "", " ,;\t", -1);
        for (size_t i = 0; split[i]; i++)
            if (*split[i])
                json_object_array_add(hosts, json_object_new_string(split[i]));
        json_object_object_add(d, "hosts", hosts);
        json_object *opts = set_json(p, XML_TAG_ATTR_SETS);
        json_object_object_del(opts, "pcmk_host_list");
        /* Anyone may read: credentials for the power controllers stay in the database. */
        json_object_object_foreach(opts, key, val)
        {
            (void)val;
            if (vmha_fence_option_is_secret(key))
                json_object_object_add(opts, key, json_object_new_string("(hidden)"));
        }
        json_object_object_add(d, "options", opts);
        json_object_object_add(d, "meta_attributes", set_json(p, XML_TAG_META_SETS));
        json_object_array_add(arr, d);
    }
    json_object_object_add(o, "devices", arr);
    return finish_json(o);
}

char *cd_view_config(void)
{
    json_object *o = json_object_new_object();
    json_object *props = json_object_new_object();
    xmlNode *cib = cd_cibdb_current();
    xmlNode *crm = cib ? pcmk_find_cib_element(cib, XML_CIB_TAG_CRMCONFIG) : NULL;

    /* Defaults from docs/CIB.md: shown when the property is not set. */
    for (size_t i = 0; i < vmha_cluster_property_count(); i++) {
        const VmhaClusterProperty *prop = vmha_cluster_property_at(i);
        json_object *p = json_object_new_object();
        json_object_object_add(p, "value", json_object_new_string(prop->default_value));
        json_object_object_add(p, "default", json_object_new_boolean(true));
        json_object_object_add(props, prop->name, p);
    }
    cd_cib_nvpairs_foreach(crm, XML_CIB_TAG_PROPSET, add_property, props);
    json_object_object_add(o, "properties", props);
    json_object_object_add(o, "database", database_json());
    json_object_object_add(o, "state_dir", json_object_new_string(cd_config.state_dir));
    json_object_object_add(o, "socket", json_object_new_string(cd_config.socket_path));
    json_object_object_add(o, "admin_group",
                           cd_config.admin_group ? json_object_new_string(cd_config.admin_group)
                                                 : NULL);
    return finish_json(o);
}

int cd_view_cib(char **ret_xml, char **ret_error)
{
    /* Between a membership change and the end of its sync this copy may be older than the
     * cluster's: a plan made from it would be about a cluster that no longer exists. */
    if (!cd_sync_in_sync()) {
        *ret_error = g_strdup("this node's copy of the database is not in sync with the cluster; "
                              "try again in a moment");
        return -EAGAIN;
    }
    /* A copy: the live facts below never go into the stored database, whose copies must stay
     * identical on every node. */
    xmlNode *cib = cd_cibdb_query();
    if (!cib) {
        *ret_error = g_strdup("cannot read the database");
        return -EIO;
    }
    crm_xml_add(cib, XML_ATTR_HAVE_QUORUM, cd_quorate() ? "1" : "0");
    xmlNode *nodes = pcmk_find_cib_element(cib, XML_CIB_TAG_NODES);
    xmlNode *status = pcmk_find_cib_element(cib, XML_CIB_TAG_STATUS);
    if (!status)
        status = create_xml_node(cib, XML_CIB_TAG_STATUS);
    for (xmlNode *n = nodes ? first_named_child(nodes, XML_CIB_TAG_NODE) : NULL; n;
         n = crm_next_same_xml(n)) {
        const char *id = crm_element_value(n, XML_ATTR_ID);
        const char *uname = crm_element_value(n, XML_ATTR_UNAME);
        uint32_t nodeid = uname ? cd_node_id_by_name(uname) : 0;
        bool online = nodeid && cd_node_in_quorum_view(nodeid);
        /* Matched as lib/model.c matches it: by id, then by uname. */
        xmlNode *ns = cd_cib_node_state(status, id, uname);
        /* The stored node_state says expected="member" from the first time anything was recorded
         * about the node (a probe, an action) until it is fenced. Outside the membership such a
         * node may still run VMs: Pacemaker's "unclean", which waits for fencing before its VMs
         * move. A node never recorded, or fenced since, runs nothing of ours: "offline". */
        bool may_run = ns && g_strcmp0(crm_element_value(ns, XML_NODE_EXPECTED), "down") != 0;
        if (!ns) {
            ns = create_xml_node(status, XML_CIB_TAG_STATE);
            crm_xml_add(ns, XML_ATTR_ID, id);
            crm_xml_add(ns, XML_ATTR_UNAME, uname);
        }
        crm_xml_add(ns, XML_NODE_IN_CLUSTER, online ? XML_BOOLEAN_TRUE : XML_BOOLEAN_FALSE);
        crm_xml_add(ns, XML_NODE_IS_PEER, online ? "online" : "offline");
        crm_xml_add(ns, XML_NODE_JOIN_STATE, online ? "member" : "down");
        crm_xml_add(ns, XML_NODE_EXPECTED, online || may_run ? "member" : "down");
    }
    *ret_xml = dump_xml_unformatted(cib);
    free_xml(cib);
    return 0;
}

int cd_view_cib_redacted(char **ret_xml, char **ret_error)
{
    g_autofree char *xml = NULL;
    int r = cd_view_cib(&xml, ret_error);

    if (r < 0)
        return r;
    xmlNode *cib = string2xml(xml);
    if (!cib) {
        *ret_error = g_strdup("cannot read the database");
        return -EIO;
    }
    xmlNode *res = pcmk_find_cib_element(cib, XML_CIB_TAG_RESOURCES);
    for (xmlNode *p = res ? first_named_child(res, XML_CIB_TAG_RESOURCE) : NULL; p;
         p = crm_next_same_xml(p)) {
        if (!cd_cib_is_fence_device(p))
            continue;
        for (xmlNode *set = first_named_child(p, XML_TAG_ATTR_SETS); set;
             set = crm_next_same_xml(set))
            for (xmlNode *nv = first_named_child(set, XML_CIB_TAG_NVPAIR); nv;
                 nv = crm_next_same_xml(nv))
                if (vmha_fence_option_is_secret(crm_element_value(nv, XML_NVPAIR_ATTR_NAME)))
                    crm_xml_add(nv, XML_NVPAIR_ATTR_VALUE, "(hidden)");
    }
    *ret_xml = dump_xml_unformatted(cib);
    free_xml(cib);
    return 0;
}

static json_object *options_json(char *const *attrs)
{
    json_object *o = json_object_new_object();

    for (size_t i = 0; attrs && attrs[i]; i++) {
        const char *eq = strchr(attrs[i], '=');
        g_autofree char *name = g_strndup(attrs[i], (size_t)(eq - attrs[i]));
        /* Anyone may read: an SMTP password or SNMP community stays in the database. */
        json_object_object_add(
                o, name,
                json_object_new_string(vmha_fence_option_is_secret(name) ? "(hidden)" : eq + 1));
    }
    return o;
}

char *cd_view_alerts(void)
{
    json_object *o = json_object_new_object();
    json_object *arr = json_object_new_array();
    xmlNode *cib = cd_cibdb_query();
    g_autoptr(GPtrArray) alerts = vmha_alerts_read(cib, NULL);

    for (guint i = 0; i < alerts->len; i++) {
        const VmhaAlert *a = g_ptr_array_index(alerts, i);
        json_object *j = json_object_new_object(), *kinds = json_object_new_array(),
                    *recipients = json_object_new_array();
        json_object_object_add(j, "id", json_object_new_string(a->id));
        json_object_object_add(j, "path", json_object_new_string(a->path));
        json_object_object_add(j, "timeout_ms", json_object_new_int64(a->timeout_ms));
        json_object_object_add(j, "timestamp_format", json_object_new_string(a->timestamp_format));
        json_object_object_add(j, "enabled", json_object_new_boolean(a->enabled));
        for (unsigned k = VMHA_ALERT_NODE; k & VMHA_ALERT_ALL; k <<= 1)
            if (a->kinds & k)
                json_object_array_add(
                        kinds, json_object_new_string(vmha_alert_kind_to_string((VmhaAlertKind)k)));
        json_object_object_add(j, "kinds", kinds);
        json_object_object_add(j, "options", options_json(a->attrs));
        for (guint r = 0; r < a->recipients->len; r++) {
            const VmhaAlertRecipient *rec = g_ptr_array_index(a->recipients, r);
            json_object *rj = json_object_new_object();
            json_object_object_add(rj, "id", rec->id ? json_object_new_string(rec->id) : NULL);
            json_object_object_add(rj, "value", json_object_new_string(rec->value));
            json_object_array_add(recipients, rj);
        }
        json_object_object_add(j, "recipients", recipients);
        json_object_array_add(arr, j);
    }
    if (cib)
        free_xml(cib);
    json_object_object_add(o, "alerts", arr);
    return finish_json(o);
}
