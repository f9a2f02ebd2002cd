#include "lrmstatus.h"

#include "model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmledit.h"

/* Feature set written on each operation: Pacemaker compares it to decide how to read the
 * record; Debian 12's Pacemaker refuses newer ones. */
#define LRM_FEATURE_SET "3.16.1"
/* A transition key names the transition that asked for an action. Probes of vmha are not part
 * of a Pacemaker transition: action 0 of transition 0 of an all-zero graph UUID, expecting 7
 * (not running) as Pacemaker's probes do. */
#define PROBE_GRAPH_UUID "00000000-0000-0000-0000-000000000000"

static int64_t prop_int(xmlNode *n, const char *name, int64_t dflt)
{
    xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
    int64_t r = dflt;

    if (v) {
        char *end = NULL;
        long long x = strtoll((const char *)v, &end, 10);
        if (*v && end && *end == '\0')
            r = x;
    }
    xmlFree(v);
    return r;
}

static void set_int(xmlNode *n, const char *name, int64_t value)
{
    char buf[32];

    snprintf(buf, sizeof(buf), "%lld", (long long)value);
    xmlSetProp(n, (const xmlChar *)name, (const xmlChar *)buf);
}

static void set_str(xmlNode *n, const char *name, const char *value)
{
    xmlSetProp(n, (const xmlChar *)name, (const xmlChar *)value);
}

static xmlNode *find_node_state(xmlNode *status, const char *node_id)
{
    return vmha_dom_child(status, "node_state", node_id);
}

static xmlNode *find_rsc(xmlNode *node_state, const char *rsc)
{
    xmlNode *lrm = vmha_dom_child(node_state, "lrm", NULL);
    xmlNode *rscs = vmha_dom_child(lrm, "lrm_resources", NULL);

    return vmha_dom_child(rscs, "lrm_resource", rsc);
}

static bool op_is_probe_of(xmlNode *lr, const VmhaProbeResult *r)
{
    g_autofree char *op_id = g_strdup_printf("%s_last_0", r->rsc);
    xmlNode *op = vmha_dom_child(lr, "lrm_rsc_op", op_id);

    return op && vmha_dom_prop_is(op, "operation", "monitor") &&
           prop_int(op, "interval", -1) == 0 && prop_int(op, "rc-code", -1) == r->rc &&
           prop_int(op, "op-status", -1) == r->op_status;
}

bool vmha_lrm_probe_unchanged(xmlNode *status, const char *node_id, const VmhaProbeResult *r)
{
    return op_is_probe_of(find_rsc(find_node_state(status, node_id), r->rsc), r);
}

static int64_t max_call_id(xmlNode *node_state)
{
    xmlNode *lrm = vmha_dom_child(node_state, "lrm", NULL);
    xmlNode *rscs = vmha_dom_child(lrm, "lrm_resources", NULL);
    int64_t max = 0;

    for (xmlNode *lr = rscs ? rscs->children : NULL; lr; lr = lr->next)
        for (xmlNode *op = vmha_dom_is(lr, "lrm_resource") ? lr->children : NULL; op; op = op->next)
            if (vmha_dom_is(op, "lrm_rsc_op"))
                max = MAX(max, prop_int(op, "call-id", 0));
    return max;
}

struct VmhaLrmIndex {
    xmlNode *status;
    char *node_id;
    xmlNode *ns;       /* the node's node_state, NULL until there is one */
    GHashTable *by_id; /* resource id -> the first lrm_resource of that id (find_rsc's) */
    int64_t max_call_id;
};

static VmhaLrmIndex *index_of(xmlNode *status, const char *node_id, xmlNode *ns)
{
    VmhaLrmIndex *idx = g_new0(VmhaLrmIndex, 1);

    idx->status = status;
    idx->node_id = g_strdup(node_id);
    idx->ns = ns;
    idx->by_id = g_hash_table_new_full(g_str_hash, g_str_equal, xmlFree, NULL);
    idx->max_call_id = max_call_id(ns);
    xmlNode *lrm = vmha_dom_child(ns, "lrm", NULL);
    xmlNode *rscs = vmha_dom_child(lrm, "lrm_resources", NULL);
    for (xmlNode *lr = rscs ? rscs->children : NULL; lr; lr = lr->next) {
        if (!vmha_dom_is(lr, "lrm_resource"))
            continue;
        xmlChar *id = xmlGetProp(lr, (const xmlChar *)"id");
        if (id && !g_hash_table_contains(idx->by_id, id))
            g_hash_table_insert(idx->by_id, id, lr);
        else
            xmlFree(id);
    }
    return idx;
}

VmhaLrmIndex *vmha_lrm_index_new(xmlNode *status, const char *node_id)
{
    return index_of(status, node_id, find_node_state(status, node_id));
}

GPtrArray *vmha_lrm_index_all(xmlNode *status)
{
    GPtrArray *all = g_ptr_array_new_with_free_func((GDestroyNotify)vmha_lrm_index_free);

    for (xmlNode *ns = status ? status->children : NULL; ns; ns = ns->next) {
        if (!vmha_dom_is(ns, "node_state"))
            continue;
        xmlChar *id = xmlGetProp(ns, (const xmlChar *)"id");
        g_ptr_array_add(all, index_of(status, (const char *)id, ns));
        xmlFree(id);
    }
    return all;
}

void vmha_lrm_index_free(VmhaLrmIndex *idx)
{
    if (!idx)
        return;
    g_hash_table_unref(idx->by_id);
    g_free(idx->node_id);
    g_free(idx);
}

static xmlNode *index_find(const VmhaLrmIndex *idx, const char *rsc)
{
    return rsc ? g_hash_table_lookup(idx->by_id, rsc) : NULL;
}

bool vmha_lrm_index_probe_unchanged(const VmhaLrmIndex *idx, const VmhaProbeResult *r)
{
    return op_is_probe_of(index_find(idx, r->rsc), r);
}

bool vmha_lrm_index_has_history(const VmhaLrmIndex *idx, const char *rsc)
{
    return index_find(idx, rsc) != NULL;
}

xmlNode *vmha_lrm_index_pending_op(const VmhaLrmIndex *idx, const char *rsc)
{
    g_autofree char *op_id = g_strdup_printf("%s_last_0", rsc);
    xmlNode *op = vmha_dom_child(index_find(idx, rsc), "lrm_rsc_op", op_id);

    return op && prop_int(op, "op-status", 0) == -1 ? op : NULL;
}

int vmha_lrm_index_record_probe(VmhaLrmIndex *idx, const char *node_uname, const VmhaProbeResult *r)
{
    if (!idx->status || !idx->node_id || !node_uname || !r || !r->rsc || r->rc < 0 || r->rc > 255)
        return -1;
    if (vmha_lrm_index_probe_unchanged(idx, r))
        return 0;

    if (!idx->ns) {
        idx->ns = vmha_dom_child_or_new(idx->status, "node_state", idx->node_id);
        set_str(idx->ns, "uname", node_uname);
    }
    xmlNode *ns = idx->ns;
    /* Anything but "not running" means losing the node needs fencing again. */
    if (r->rc != 7)
        set_str(ns, "expected", "member");
    /* One above the highest on the node: the new record then is the highest. */
    int64_t call_id = ++idx->max_call_id;
    xmlNode *lrm = vmha_dom_child(ns, "lrm", NULL);
    if (!lrm)
        lrm = vmha_dom_child_or_new(ns, "lrm", idx->node_id);
    xmlNode *rscs = vmha_dom_child_or_new(lrm, "lrm_resources", NULL);
    xmlNode *lr = index_find(idx, r->rsc);
    if (!lr) {
        lr = xmlNewChild(rscs, NULL, (const xmlChar *)"lrm_resource", NULL);
        set_str(lr, "id", r->rsc);
        g_hash_table_insert(idx->by_id, xmlStrdup((const xmlChar *)r->rsc), lr);
    }
    set_str(lr, "type", "vm");
    set_str(lr, "class", "ocf");
    set_str(lr, "provider", "vmha");

    g_autofree char *op_id = g_strdup_printf("%s_last_0", r->rsc);
    xmlNode *old = vmha_dom_child(lr, "lrm_rsc_op", op_id);
    /* last-rc-change stays when only the op-status or the call changed, as Pacemaker keeps it. */
    int64_t rc_change = old && prop_int(old, "rc-code", -1) == r->rc
                                ? prop_int(old, "last-rc-change", r->when)
                                : r->when;
    if (old) {
        xmlUnlinkNode(old);
        xmlFreeNode(old);
    }
    xmlNode *op = xmlNewChild(lr, NULL, (const xmlChar *)"lrm_rsc_op", NULL);
    g_autofree char *key = g_strdup_printf("0:0:7:%s", PROBE_GRAPH_UUID);
    g_autofree char *magic = g_strdup_printf("%d:%d;%s", r->op_status, r->rc, key);
    g_autofree char *op_key = g_strdup_printf("%s_monitor_0", r->rsc);
    set_str(op, "id", op_id);
    set_str(op, "operation_key", op_key);
    set_str(op, "operation", "monitor");
    set_str(op, "crm-debug-origin", "vmha-probe");
    set_str(op, "crm_feature_set", LRM_FEATURE_SET);
    set_str(op, "transition-key", key);
    set_str(op, "transition-magic", magic);
    set_str(op, "exit-reason", "");
    set_str(op, "on_node", node_uname);
    set_int(op, "call-id", call_id);
    set_int(op, "rc-code", r->rc);
    set_int(op, "op-status", r->op_status);
    set_int(op, "interval", 0);
    set_int(op, "last-rc-change", rc_change);
    set_int(op, "last-run", r->when);
    set_int(op, "exec-time", MAX(r->exec_ms, 0));
    set_int(op, "queue-time", 0);
    return 1;
}

int vmha_lrm_record_probe(xmlNode *status, const char *node_id, const char *node_uname,
                          const VmhaProbeResult *r)
{
    if (!status || !node_id || !node_uname || !r || !r->rsc || r->rc < 0 || r->rc > 255)
        return -1;
    g_autoptr(VmhaLrmIndex) idx = vmha_lrm_index_new(status, node_id);
    return vmha_lrm_index_record_probe(idx, node_uname, r);
}

static VmhaLrmState state_of(xmlNode *lr)
{
    xmlNode *last = NULL;
    int64_t last_id = -1;

    if (!lr)
        return VMHA_LRM_UNKNOWN;
    for (xmlNode *op = lr->children; op; op = op->next) {
        if (!vmha_dom_is(op, "lrm_rsc_op"))
            continue;
        int64_t id = prop_int(op, "call-id", -1);
        if (id < 0 || prop_int(op, "op-status", 0) == -1)
            continue; /* pending */
        if (id > last_id) {
            last_id = id;
            last = op;
        }
    }
    if (!last)
        return VMHA_LRM_UNKNOWN;
    xmlChar *task = xmlGetProp(last, (const xmlChar *)"operation");
    int64_t rc = prop_int(last, "rc-code", 1), st = prop_int(last, "op-status", 0);
    bool ok = st == 0 && (rc == 0 || rc == 8);
    bool stop = task && strcmp((const char *)task, "stop") == 0;
    bool migrated_away = task && strcmp((const char *)task, "migrate_to") == 0;
    xmlFree(task);
    /* A migrate_to that the agent finished with a failure left the VM running here, as the
     * policy engine reads it (lib/model.c); a timed-out one is unknown: failed. */
    if (migrated_away && !ok && (st == 0 || st == VMHA_OP_STATUS_NOT_INSTALLED))
        return VMHA_LRM_RUNNING;
    if (stop || migrated_away)
        return ok ? VMHA_LRM_STOPPED : VMHA_LRM_FAILED;
    if (st == 0 && rc == 7)
        return VMHA_LRM_STOPPED;
    return ok ? VMHA_LRM_RUNNING : VMHA_LRM_FAILED;
}

VmhaLrmState vmha_lrm_state(xmlNode *node_state, const char *rsc)
{
    return state_of(find_rsc(node_state, rsc));
}

static void add_uname(GPtrArray *out, xmlNode *ns)
{
    xmlChar *uname = xmlGetProp(ns, (const xmlChar *)"uname");
    if (!uname)
        uname = xmlGetProp(ns, (const xmlChar *)"id");
    g_ptr_array_add(out, g_strdup(uname ? (const char *)uname : "?"));
    xmlFree(uname);
}

static bool counts(VmhaLrmState st, bool with_failed)
{
    return st == VMHA_LRM_RUNNING || (with_failed && st == VMHA_LRM_FAILED);
}

char **vmha_lrm_running_on(xmlNode *status, const char *rsc, bool with_failed)
{
    GPtrArray *out = g_ptr_array_new();

    for (xmlNode *ns = status ? status->children : NULL; ns; ns = ns->next)
        if (vmha_dom_is(ns, "node_state") && counts(vmha_lrm_state(ns, rsc), with_failed))
            add_uname(out, ns);
    g_ptr_array_add(out, NULL);
    return (char **)g_ptr_array_free(out, FALSE);
}

xmlNode *vmha_lrm_index_node_state(const VmhaLrmIndex *idx)
{
    return idx->ns;
}

VmhaLrmState vmha_lrm_index_state(const VmhaLrmIndex *idx, const char *rsc)
{
    return state_of(index_find(idx, rsc));
}

char **vmha_lrm_index_running_on(const GPtrArray *all, const char *rsc, bool with_failed)
{
    GPtrArray *out = g_ptr_array_new();

    for (guint i = 0; i < all->len; i++) {
        const VmhaLrmIndex *idx = g_ptr_array_index(all, i);
        if (counts(vmha_lrm_index_state(idx, rsc), with_failed))
            add_uname(out, idx->ns);
    }
    g_ptr_array_add(out, NULL);
    return (char **)g_ptr_array_free(out, FALSE);
}

static bool msg_has_room(const VmhaMsg *m, size_t fields, size_t bytes)
{
    return m->fields->len + fields <= VMHA_WIRE_MAX_FIELDS &&
           m->size + fields * VMHA_WIRE_FIELD_HEADER_SIZE + bytes <= m->max_size;
}

GPtrArray *vmha_probe_messages(char *const *lines, char *const *writeoffs, size_t n, size_t reserve)
{
    g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func((GDestroyNotify)vmha_msg_free);
    VmhaMsg *m = NULL;

    for (size_t i = 0; i < n; i++) {
        const char *wo = writeoffs ? writeoffs[i] : NULL;
        size_t fields = 1 + (wo != NULL) + reserve;
        size_t bytes = strlen(lines[i]) + (wo ? strlen(wo) : 0) + reserve * 64;
        if (!m || !msg_has_room(m, fields, bytes)) {
            m = vmha_msg_new(VMHA_MSG_PROBE);
            g_ptr_array_add(out, m);
            if (!msg_has_room(m, fields, bytes))
                return NULL;
        }
        if (vmha_msg_add_str(m, VMHA_F_PROBE, lines[i]) < 0 ||
            (wo && vmha_msg_add_str(m, VMHA_F_KV, wo) < 0))
            return NULL;
    }
    return g_steal_pointer(&out);
}

char *vmha_probe_result_format(const VmhaProbeResult *r)
{
    return g_strdup_printf("%s %d %d %" G_GINT64_FORMAT " %" G_GINT64_FORMAT, r->rsc, r->rc,
                           r->op_status, r->exec_ms, r->when);
}

int vmha_probe_result_parse(const char *s, VmhaProbeResult *ret, char **ret_buf)
{
    g_auto(GStrv) parts = g_strsplit(s, " ", -1);
    int64_t v[4];

    if (g_strv_length(parts) != 5 || !*parts[0])
        return -1;
    for (size_t i = 0; i < 4; i++) {
        char *end = NULL;
        long long x = strtoll(parts[i + 1], &end, 10);
        if (!*parts[i + 1] || !end || *end || x < 0)
            return -1;
        v[i] = x;
    }
    if (v[0] > 255 || v[1] > 255)
        return -1;
    *ret_buf = g_strdup(parts[0]);
    *ret = (VmhaProbeResult){*ret_buf, (int)v[0], (int)v[1], v[2], v[3]};
    return 0;
}

/* ---- actions and results ---- */

static bool word_ok(const char *s)
{
    return s && *s && !strpbrk(s, " \t\r\n");
}

char *vmha_action_format(const VmhaActionSpec *a)
{
    const char *method = a->target ? vmha_migration_method_to_string(a->method) : NULL;
    return g_strdup_printf("%s %s %s %s%s%s%s%s", a->key, a->op, a->rsc, a->node,
                           a->target ? " " : "", a->target ? a->target : "", method ? " " : "",
                           method ? method : "");
}

int vmha_action_parse(const char *s, VmhaActionSpec *ret, char ***ret_parts)
{
    g_auto(GStrv) p = g_strsplit(s, " ", -1);
    guint n = g_strv_length(p);

    if (n < 4 || n > 6)
        return -1;
    for (guint i = 0; i < n; i++)
        if (!word_ok(p[i]))
            return -1;
    bool migrate = strcmp(p[1], "migrate") == 0;
    if (migrate != (n >= 5) ||
        (!migrate && strcmp(p[1], "start") != 0 && strcmp(p[1], "stop") != 0))
        return -1;
    VmhaMigrationMethod method = VMHA_MIGRATION_DEFAULT;
    if (n == 6 && vmha_migration_method_from_string(p[5], &method) < 0)
        return -1;
    *ret = (VmhaActionSpec){p[0], p[1], p[2], p[3], n >= 5 ? p[4] : NULL, method};
    *ret_parts = g_steal_pointer(&p);
    return 0;
}

char *vmha_op_result_format(const VmhaOpResult *r)
{
    return g_strdup_printf(
            "%s %s %" G_GINT64_FORMAT " %s %d %d %" G_GINT64_FORMAT " %" G_GINT64_FORMAT, r->key,
            r->op, r->interval_ms, r->rsc, r->rc, r->op_status, r->exec_ms, r->when);
}

static bool parse_nonneg(const char *s, int64_t max, int64_t *ret)
{
    char *end = NULL;
    long long x;

    if (!s || !g_ascii_isdigit(*s))
        return false;
    x = strtoll(s, &end, 10);
    if (!end || *end || x < 0 || x > max)
        return false;
    *ret = x;
    return true;
}

static bool op_known(const char *op)
{
    static const char *const ops[] = {"start", "stop", "migrate_to", "migrate_from", "monitor"};
    for (size_t i = 0; i < G_N_ELEMENTS(ops); i++)
        if (strcmp(op, ops[i]) == 0)
            return true;
    return false;
}

int vmha_op_result_parse(const char *s, VmhaOpResult *ret, char ***ret_parts)
{
    g_auto(GStrv) p = g_strsplit(s, " ", -1);
    int64_t interval, rc, st, exec, when;

    if (g_strv_length(p) != 8)
        return -1;
    for (guint i = 0; i < 8; i++)
        if (!word_ok(p[i]))
            return -1;
    if (!op_known(p[1]) || !parse_nonneg(p[2], G_MAXINT32, &interval) ||
        !parse_nonneg(p[4], 255, &rc) || !parse_nonneg(p[5], 255, &st) ||
        !parse_nonneg(p[6], INT64_MAX, &exec) || !parse_nonneg(p[7], INT64_MAX, &when))
        return -1;
    if ((interval > 0) != (strcmp(p[1], "monitor") == 0))
        return -1; /* a probe is recorded by VMHA_MSG_PROBE, other actions never recur */
    *ret = (VmhaOpResult){p[0], p[1], interval, p[3], (int)rc, (int)st, exec, when, NULL, false, 0};
    *ret_parts = g_steal_pointer(&p);
    return 0;
}

bool vmha_op_result_failed(const VmhaOpResult *r)
{
    return r->op_status != VMHA_OP_STATUS_DONE || r->rc != 0;
}

xmlNode *vmha_lrm_pending_op(xmlNode *node_state, const char *rsc)
{
    g_autofree char *op_id = g_strdup_printf("%s_last_0", rsc);
    xmlNode *op = vmha_dom_child(find_rsc(node_state, rsc), "lrm_rsc_op", op_id);

    return op && prop_int(op, "op-status", 0) == -1 ? op : NULL;
}

bool vmha_lrm_has_history(xmlNode *node_state, const char *rsc)
{
    return find_rsc(node_state, rsc) != NULL;
}

bool vmha_lrm_mark_down_if_idle(xmlNode *status, const char *node_id)
{
    xmlNode *ns = find_node_state(status, node_id);
    xmlNode *lrm = ns ? vmha_dom_child(ns, "lrm", NULL) : NULL;
    xmlNode *rscs = lrm ? vmha_dom_child(lrm, "lrm_resources", NULL) : NULL;

    if (!ns || vmha_dom_prop_is(ns, "expected", "down"))
        return false;
    for (xmlNode *lr = rscs ? rscs->children : NULL; lr; lr = lr->next) {
        if (!vmha_dom_is(lr, "lrm_resource"))
            continue;
        xmlChar *rsc = xmlGetProp(lr, (const xmlChar *)"id");
        VmhaLrmState st = rsc ? vmha_lrm_state(ns, (const char *)rsc) : VMHA_LRM_UNKNOWN;
        bool pending = rsc && vmha_lrm_pending_op(ns, (const char *)rsc);
        xmlFree(rsc);
        if (pending || st == VMHA_LRM_RUNNING || st == VMHA_LRM_FAILED)
            return false;
    }
    set_str(ns, "expected", "down");
    return true;
}

bool vmha_lrm_pending_anywhere(xmlNode *status, const char *rsc)
{
    for (xmlNode *ns = status ? status->children : NULL; ns; ns = ns->next)
        if (vmha_dom_is(ns, "node_state") && vmha_lrm_pending_op(ns, rsc))
            return true;
    return false;
}

static xmlNode *node_state_or_new(xmlNode *status, const char *node_id, const char *node_uname)
{
    xmlNode *ns = find_node_state(status, node_id);

    if (!ns) {
        ns = vmha_dom_child_or_new(status, "node_state", node_id);
        set_str(ns, "uname", node_uname);
    }
    return ns;
}

static xmlNode *lrm_resource_or_new(xmlNode *ns, const char *node_id, const char *rsc)
{
    xmlNode *lrm = vmha_dom_child(ns, "lrm", NULL);
    if (!lrm)
        lrm = vmha_dom_child_or_new(ns, "lrm", node_id);
    xmlNode *rscs = vmha_dom_child_or_new(lrm, "lrm_resources", NULL);
    xmlNode *lr = vmha_dom_child_or_new(rscs, "lrm_resource", rsc);
    set_str(lr, "type", "vm");
    set_str(lr, "class", "ocf");
    set_str(lr, "provider", "vmha");
    return lr;
}

static void remove_child(xmlNode *parent, const char *name, const char *id)
{
    xmlNode *old = vmha_dom_child(parent, name, id);

    if (old) {
        xmlUnlinkNode(old);
        xmlFreeNode(old);
    }
}

/* Writes one lrm_rsc_op record (replacing the one with the same id). */
static xmlNode *write_op(xmlNode *lr, const char *op_id, const char *rsc, const char *op,
                         int64_t interval_ms, const char *key, int rc, int op_status,
                         int64_t call_id, int64_t when, int64_t exec_ms, const char *exit_reason,
                         const char *node_uname)
{
    remove_child(lr, "lrm_rsc_op", op_id);
    xmlNode *o = xmlNewChild(lr, NULL, (const xmlChar *)"lrm_rsc_op", NULL);
    g_autofree char *magic = g_strdup_printf("%d:%d;%s", op_status, rc, key);
    g_autofree char *op_key = g_strdup_printf("%s_%s_%" G_GINT64_FORMAT, rsc, op, interval_ms);
    set_str(o, "id", op_id);
    set_str(o, "operation_key", op_key);
    set_str(o, "operation", op);
    set_str(o, "crm-debug-origin", "vmha");
    set_str(o, "crm_feature_set", LRM_FEATURE_SET);
    set_str(o, "transition-key", key);
    set_str(o, "transition-magic", magic);
    set_str(o, "exit-reason", exit_reason ? exit_reason : "");
    set_str(o, "on_node", node_uname);
    set_int(o, "call-id", call_id);
    set_int(o, "rc-code", rc);
    set_int(o, "op-status", op_status);
    set_int(o, "interval", interval_ms);
    set_int(o, "last-rc-change", when);
    set_int(o, "last-run", when);
    set_int(o, "exec-time", MAX(exec_ms, 0));
    set_int(o, "queue-time", 0);
    return o;
}

int vmha_lrm_record_pending(xmlNode *status, const char *node_id, const char *node_uname,
                            const char *rsc, const char *op, const char *key,
                            const char *migrate_source, const char *migrate_target,
                            VmhaMigrationMethod method, int64_t when)
{
    if (!status || !node_id || !node_uname || !rsc || !op || !key)
        return -1;
    if (vmha_lrm_pending_anywhere(status, rsc))
        return 0;
    xmlNode *ns = node_state_or_new(status, node_id, node_uname);
    set_str(ns, "expected", "member");
    int64_t call_id = max_call_id(ns) + 1;
    xmlNode *lr = lrm_resource_or_new(ns, node_id, rsc);
    g_autofree char *op_id = g_strdup_printf("%s_last_0", rsc);
    /* rc 193 and op-status -1: Pacemaker's PCMK_OCF_UNKNOWN and PCMK_EXEC_PENDING. */
    xmlNode *o = write_op(lr, op_id, rsc, op, 0, key, 193, -1, call_id, when, 0, NULL, node_uname);
    if (migrate_source)
        set_str(o, "migrate_source", migrate_source);
    if (migrate_target)
        set_str(o, "migrate_target", migrate_target);
    if (method != VMHA_MIGRATION_DEFAULT)
        set_str(o, VMHA_LRM_METHOD, vmha_migration_method_to_string(method));
    return 1;
}

static xmlNode *transient_set(xmlNode *ns, const char *node_id)
{
    xmlNode *ta = vmha_dom_child_or_new(ns, "transient_attributes", node_id);
    g_autofree char *set_id = g_strdup_printf("status-%s", node_id);
    return vmha_dom_child_or_new(ta, "instance_attributes", set_id);
}

static void set_attr(xmlNode *ns, const char *node_id, const char *name, const char *value)
{
    /* Pacemaker's attribute ids: '#' is not allowed in an XML id. */
    g_autofree char *id = g_strdup_printf("status-%s-%s", node_id, name);
    g_strdelimit(id, "#", '.');
    vmha_dom_nvpair_set(transient_set(ns, node_id), name, value, id);
}

char *vmha_lrm_node_attr(xmlNode *node_state, const char *name)
{
    xmlNode *ta = vmha_dom_child(node_state, "transient_attributes", NULL);

    for (xmlNode *set = ta ? ta->children : NULL; set; set = set->next) {
        xmlNode *nv = vmha_dom_is(set, "instance_attributes")
                              ? vmha_dom_child_where(set, "nvpair", "name", name)
                              : NULL;
        if (nv) {
            xmlChar *v = xmlGetProp(nv, (const xmlChar *)"value");
            char *r = g_strdup((const char *)v);
            xmlFree(v);
            return r;
        }
    }
    return NULL;
}

static void set_attr_int(xmlNode *ns, const char *node_id, const char *name, int64_t value)
{
    g_autofree char *v = g_strdup_printf("%" G_GINT64_FORMAT, value);
    set_attr(ns, node_id, name, v);
}

static void count_failure(xmlNode *ns, const char *node_id, const VmhaOpResult *r)
{
    g_autofree char *suffix =
            g_strdup_printf("%s#%s_%" G_GINT64_FORMAT, r->rsc, r->op, r->interval_ms);
    g_autofree char *count_name = g_strdup_printf("fail-count-%s", suffix);
    g_autofree char *last_name = g_strdup_printf("last-failure-%s", suffix);
    g_autofree char *old = vmha_lrm_node_attr(ns, count_name);
    /* A failed restore (migrate_from) is a failed start on that node: the next try goes
     * elsewhere. */
    bool fatal = strcmp(r->op, "start") == 0 || strcmp(r->op, "stop") == 0 ||
                 strcmp(r->op, "migrate_from") == 0;
    int64_t count = 0;

    if (old && strcmp(old, "INFINITY") != 0)
        parse_nonneg(old, G_MAXINT32, &count);
    if (fatal || (old && strcmp(old, "INFINITY") == 0))
        set_attr(ns, node_id, count_name, "INFINITY");
    else
        set_attr_int(ns, node_id, count_name, MIN(count + 1, 1000000));
    set_attr_int(ns, node_id, last_name, r->when);
}

int64_t vmha_lrm_fence_epoch(xmlNode *node_state)
{
    g_autofree char *v = node_state ? vmha_lrm_node_attr(node_state, "vmha-fenced") : NULL;
    int64_t epoch = 0;

    if (v && !parse_nonneg(v, INT64_MAX, &epoch))
        epoch = 0;
    return epoch;
}

bool vmha_lrm_result_predates_fence(xmlNode *node_state, const VmhaOpResult *r)
{
    return r->has_fence_epoch && vmha_lrm_fence_epoch(node_state) > r->fence_epoch;
}

int vmha_lrm_record_result(xmlNode *status, const char *node_id, const char *node_uname,
                           const VmhaOpResult *r, char **ret_migrate_target)
{
    if (ret_migrate_target)
        *ret_migrate_target = NULL;
    if (!status || !node_id || !node_uname || !r || !r->rsc || !r->op || !r->key)
        return -1;
    static const char *const kept[] = {"migrate_source", "migrate_target", VMHA_LRM_METHOD};
    char *kept_value[G_N_ELEMENTS(kept)] = {NULL};
    xmlNode *ns = find_node_state(status, node_id);
    g_autofree char *target = NULL;
    g_autofree char *op_id = NULL;
    if (vmha_lrm_result_predates_fence(ns, r))
        return 0;
    if (r->interval_ms == 0) {
        xmlNode *pending = ns ? vmha_lrm_pending_op(ns, r->rsc) : NULL;
        if (!pending || !vmha_dom_prop_is(pending, "transition-key", r->key) ||
            !vmha_dom_prop_is(pending, "operation", r->op))
            return 0;
        for (size_t i = 0; i < G_N_ELEMENTS(kept); i++) {
            xmlChar *v = xmlGetProp(pending, (const xmlChar *)kept[i]);
            kept_value[i] = g_strdup((const char *)v);
            xmlFree(v);
        }
        target = g_strdup(kept_value[1]);
        op_id = g_strdup_printf("%s_last_0", r->rsc);
    } else {
        op_id = g_strdup_printf("%s_monitor_%" G_GINT64_FORMAT, r->rsc, r->interval_ms);
    }
    ns = node_state_or_new(status, node_id, node_uname);
    set_str(ns, "expected", "member");
    int64_t call_id = max_call_id(ns) + 1;
    xmlNode *lr = lrm_resource_or_new(ns, node_id, r->rsc);
    xmlNode *o = write_op(lr, op_id, r->rsc, r->op, r->interval_ms, r->key, r->rc, r->op_status,
                          call_id, r->when, r->exec_ms, r->exit_reason, node_uname);
    for (size_t i = 0; i < G_N_ELEMENTS(kept); i++) {
        if (kept_value[i])
            set_str(o, kept[i], kept_value[i]);
        g_free(kept_value[i]);
    }
    if (vmha_op_result_failed(r)) {
        g_autofree char *fail_id = g_strdup_printf("%s_last_failure_0", r->rsc);
        write_op(lr, fail_id, r->rsc, r->op, r->interval_ms, r->key, r->rc, r->op_status, call_id,
                 r->when, r->exec_ms, r->exit_reason, node_uname);
        count_failure(ns, node_id, r);
    } else if (ret_migrate_target && strcmp(r->op, "migrate_to") == 0) {
        *ret_migrate_target = g_steal_pointer(&target);
    }
    return 1;
}

void vmha_lrm_node_fenced(xmlNode *status, const char *node_id, const char *node_uname,
                          int64_t when)
{
    xmlNode *ns = node_state_or_new(status, node_id, node_uname);

    remove_child(ns, "lrm", NULL);
    remove_child(ns, "transient_attributes", NULL);
    set_str(ns, "in_ccm", "false");
    set_str(ns, "crmd", "offline");
    set_str(ns, "join", "down");
    set_str(ns, "expected", "down");
    set_attr_int(ns, node_id, "vmha-fenced", when);
}

bool vmha_lrm_node_disarmed(xmlNode *status, const char *node_id, const char *node_uname,
                            bool disarmed)
{
    xmlNode *ns = disarmed ? node_state_or_new(status, node_id, node_uname)
                           : find_node_state(status, node_id);
    g_autofree char *old = ns ? vmha_lrm_node_attr(ns, VMHA_LRM_DISARMED) : NULL;

    if ((old != NULL) == disarmed)
        return false;
    set_attr(ns, node_id, VMHA_LRM_DISARMED, disarmed ? "true" : NULL);
    return true;
}

void vmha_lrm_fence_failed(xmlNode *status, const char *node_id, const char *node_uname,
                           int64_t when, const char *error)
{
    xmlNode *ns = node_state_or_new(status, node_id, node_uname);
    g_autofree char *old = vmha_lrm_node_attr(ns, "vmha-fence-failures");
    int64_t failures = 0;

    if (old)
        parse_nonneg(old, G_MAXINT32, &failures);
    set_attr_int(ns, node_id, "vmha-fence-failures", failures + 1);
    set_attr(ns, node_id, "vmha-fence-last-error", error ? error : "failed");
    set_attr_int(ns, node_id, "vmha-fence-last-attempt", when);
    set_attr(ns, node_id, "vmha-fence-requested", NULL);
}
