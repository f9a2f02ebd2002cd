#include "lrmstatus.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Feature set written on each operation: Pacemaker compares it to decide how to read the
 * record; Debian 12's Pacemaker refuses newer ones. */
#define LRM_FEATURE_SET "3.16.1"
/* A transition key names the transition that asked for an action. Probes of vmha are not part
 * of a Pacemaker transition: action 0 of transition 0 of an all-zero graph UUID, expecting 7
 * (not running) as Pacemaker's probes do. */
#define PROBE_GRAPH_UUID "00000000-0000-0000-0000-000000000000"

static bool name_is(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static bool prop_is(xmlNode *n, const char *name, const char *value)
{
    xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
    bool eq = v && value && strcmp((const char *)v, value) == 0;
    xmlFree(v);
    return eq;
}

static xmlNode *child_named(xmlNode *parent, const char *name, const char *id)
{
    for (xmlNode *c = parent ? parent->children : NULL; c; c = c->next)
        if (name_is(c, name) && (!id || prop_is(c, "id", id)))
            return c;
    return NULL;
}

static xmlNode *child_or_new(xmlNode *parent, const char *name, const char *id)
{
    xmlNode *c = child_named(parent, name, id);

    if (c)
        return c;
    c = xmlNewChild(parent, NULL, (const xmlChar *)name, NULL);
    if (id)
        xmlSetProp(c, (const xmlChar *)"id", (const xmlChar *)id);
    return c;
}

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
    return child_named(status, "node_state", node_id);
}

static xmlNode *find_rsc(xmlNode *node_state, const char *rsc)
{
    xmlNode *lrm = child_named(node_state, "lrm", NULL);
    xmlNode *rscs = child_named(lrm, "lrm_resources", NULL);

    return child_named(rscs, "lrm_resource", rsc);
}

bool vmha_lrm_probe_unchanged(xmlNode *status, const char *node_id, const VmhaProbeResult *r)
{
    xmlNode *lr = find_rsc(find_node_state(status, node_id), r->rsc);
    g_autofree char *op_id = g_strdup_printf("%s_last_0", r->rsc);
    xmlNode *op = child_named(lr, "lrm_rsc_op", op_id);

    return op && prop_is(op, "operation", "monitor") && prop_int(op, "interval", -1) == 0 &&
           prop_int(op, "rc-code", -1) == r->rc && prop_int(op, "op-status", -1) == r->op_status;
}

static int64_t max_call_id(xmlNode *node_state)
{
    xmlNode *lrm = child_named(node_state, "lrm", NULL);
    xmlNode *rscs = child_named(lrm, "lrm_resources", NULL);
    int64_t max = 0;

    for (xmlNode *lr = rscs ? rscs->children : NULL; lr; lr = lr->next)
        for (xmlNode *op = name_is(lr, "lrm_resource") ? lr->children : NULL; op; op = op->next)
            if (name_is(op, "lrm_rsc_op"))
                max = MAX(max, prop_int(op, "call-id", 0));
    return max;
}

int vmha_lrm_record_probe(xmlNode *status, const char *node_id, const char *node_uname,
                          const VmhaProbeResult *r)
{
    if (!status || !node_id || !node_uname || !r || !r->rsc || r->rc < 0 || r->rc > 255)
        return -1;
    if (vmha_lrm_probe_unchanged(status, node_id, r))
        return 0;

    xmlNode *ns = find_node_state(status, node_id);
    if (!ns) {
        ns = child_or_new(status, "node_state", node_id);
        set_str(ns, "uname", node_uname);
    }
    int64_t call_id = max_call_id(ns) + 1;
    xmlNode *lrm = child_named(ns, "lrm", NULL);
    if (!lrm)
        lrm = child_or_new(ns, "lrm", node_id);
    xmlNode *rscs = child_or_new(lrm, "lrm_resources", NULL);
    xmlNode *lr = child_or_new(rscs, "lrm_resource", r->rsc);
    set_str(lr, "type", "vm");
    set_str(lr, "class", "ocf");
    set_str(lr, "provider", "vmha");

    g_autofree char *op_id = g_strdup_printf("%s_last_0", r->rsc);
    xmlNode *old = child_named(lr, "lrm_rsc_op", op_id);
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

VmhaLrmState vmha_lrm_state(xmlNode *node_state, const char *rsc)
{
    xmlNode *lr = find_rsc(node_state, rsc);
    xmlNode *last = NULL;
    int64_t last_id = -1;

    if (!lr)
        return VMHA_LRM_UNKNOWN;
    for (xmlNode *op = lr->children; op; op = op->next) {
        if (!name_is(op, "lrm_rsc_op"))
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
    if (stop || migrated_away)
        return ok ? VMHA_LRM_STOPPED : VMHA_LRM_FAILED;
    if (st == 0 && rc == 7)
        return VMHA_LRM_STOPPED;
    return ok ? VMHA_LRM_RUNNING : VMHA_LRM_FAILED;
}

char **vmha_lrm_running_on(xmlNode *status, const char *rsc, bool with_failed)
{
    GPtrArray *out = g_ptr_array_new();

    for (xmlNode *ns = status ? status->children : NULL; ns; ns = ns->next) {
        if (!name_is(ns, "node_state"))
            continue;
        VmhaLrmState st = vmha_lrm_state(ns, rsc);
        if (st != VMHA_LRM_RUNNING && !(with_failed && st == VMHA_LRM_FAILED))
            continue;
        xmlChar *uname = xmlGetProp(ns, (const xmlChar *)"uname");
        if (!uname)
            uname = xmlGetProp(ns, (const xmlChar *)"id");
        g_ptr_array_add(out, g_strdup(uname ? (const char *)uname : "?"));
        xmlFree(uname);
    }
    g_ptr_array_add(out, NULL);
    return (char **)g_ptr_array_free(out, FALSE);
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
