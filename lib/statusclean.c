#include "statusclean.h"

#include <string.h>

#include "vmha/ocf.h"
#include "xmledit.h"

static const char *prop_in_doc(xmlNode *n, const char *name)
{
    const xmlAttr *a = xmlHasProp(n, (const xmlChar *)name);
    return a && a->children ? (const char *)a->children->content : NULL;
}

/* fail-count-RSC, fail-count-RSC#OP_INTERVAL, and the same for last-failure-. */
static bool is_failure_attr(const char *attr, const char *rsc)
{
    static const char *const prefixes[] = {"fail-count-", "last-failure-"};

    for (size_t i = 0; i < G_N_ELEMENTS(prefixes); i++) {
        size_t pl = strlen(prefixes[i]), rl = strlen(rsc);
        if (strncmp(attr, prefixes[i], pl) != 0 || strncmp(attr + pl, rsc, rl) != 0)
            continue;
        if (attr[pl + rl] == '\0' || attr[pl + rl] == '#')
            return true;
    }
    return false;
}

/* rsc's failure attributes in node_state ns whose names start with prefix (NULL: all), in order. */
static GPtrArray *failure_attrs(xmlNode *ns, const char *rsc, const char *prefix)
{
    GPtrArray *found = g_ptr_array_new();

    for (xmlNode *ta = ns->children; ta; ta = ta->next) {
        if (!vmha_dom_is(ta, "transient_attributes"))
            continue;
        for (xmlNode *set = ta->children; set; set = set->next) {
            if (!vmha_dom_is(set, "instance_attributes"))
                continue;
            for (xmlNode *nv = set->children; nv; nv = nv->next) {
                const char *name = vmha_dom_is(nv, "nvpair") ? prop_in_doc(nv, "name") : NULL;
                if (name && is_failure_attr(name, rsc) &&
                    (!prefix || g_str_has_prefix(name, prefix)))
                    g_ptr_array_add(found, nv);
            }
        }
    }
    return found;
}

/* Removes rsc's failure attributes from node_state ns; returns how many. */
static int remove_failure_attrs(xmlNode *ns, const char *rsc)
{
    g_autoptr(GPtrArray) found = failure_attrs(ns, rsc, NULL);

    for (guint i = 0; i < found->len; i++)
        vmha_dom_remove(g_ptr_array_index(found, i));
    return (int)found->len;
}

static bool has_fail_count(xmlNode *ns, const char *rsc)
{
    g_autoptr(GPtrArray) found = failure_attrs(ns, rsc, "fail-count-");
    return found->len > 0;
}

int vmha_status_cleanup_vm(xmlNode *status, const char *rsc)
{
    int removed = 0;

    for (xmlNode *ns = status ? status->children : NULL; ns; ns = ns->next) {
        if (!vmha_dom_is(ns, "node_state"))
            continue;
        for (xmlNode *lrm = vmha_dom_child(ns, "lrm", NULL); lrm; lrm = NULL) {
            xmlNode *rs = vmha_dom_child(lrm, "lrm_resources", NULL);
            xmlNode *next = NULL;
            for (xmlNode *r = rs ? rs->children : NULL; r; r = next) {
                next = r->next;
                if (vmha_dom_is(r, "lrm_resource") && vmha_dom_prop_is(r, "id", rsc)) {
                    vmha_dom_remove(r);
                    removed++;
                }
            }
        }
        removed += remove_failure_attrs(ns, rsc);
    }
    return removed;
}

bool vmha_status_vm_pending(xmlNode *status, const char *rsc, const char **ret_node)
{
    return vmha_status_vm_pending_op(status, rsc, ret_node, NULL);
}

bool vmha_status_vm_pending_op(xmlNode *status, const char *rsc, const char **ret_node,
                               const char **ret_op)
{
    for (xmlNode *ns = status ? status->children : NULL; ns; ns = ns->next) {
        if (!vmha_dom_is(ns, "node_state"))
            continue;
        xmlNode *rs = vmha_dom_child(vmha_dom_child(ns, "lrm", NULL), "lrm_resources", NULL);
        xmlNode *r = vmha_dom_child(rs, "lrm_resource", rsc);
        for (xmlNode *op = r ? r->children : NULL; op; op = op->next) {
            if (!vmha_dom_is(op, "lrm_rsc_op") || !vmha_dom_prop_is(op, "op-status", "-1"))
                continue;
            if (ret_node) {
                *ret_node = prop_in_doc(ns, "uname") ?: prop_in_doc(ns, "id");
                if (!*ret_node)
                    *ret_node = "?";
            }
            if (ret_op)
                *ret_op = prop_in_doc(op, "operation") ?: "?";
            return true;
        }
    }
    return false;
}

int vmha_status_set_node_attr(xmlNode *status, const char *node_id, const char *node_uname,
                              const char *name, const char *value)
{
    g_autofree char *set_id = g_strdup_printf("status-%s", node_id);
    g_autofree char *nv_id = g_strdup_printf("status-%s-%s", node_id, name);
    xmlNode *ns = vmha_dom_child(status, "node_state", node_id);

    if (!ns) {
        ns = vmha_dom_child_or_new(status, "node_state", node_id);
        if (node_uname)
            xmlSetProp(ns, (const xmlChar *)"uname", (const xmlChar *)node_uname);
    }
    xmlNode *ta = vmha_dom_child_or_new(ns, "transient_attributes", node_id);
    xmlNode *set = vmha_dom_child_or_new(ta, "instance_attributes", set_id);
    for (xmlNode *nv = set->children; nv; nv = nv->next) {
        if (!vmha_dom_is(nv, "nvpair") || !vmha_dom_prop_is(nv, "name", name))
            continue;
        if (vmha_dom_prop_is(nv, "value", value))
            return 0;
        xmlSetProp(nv, (const xmlChar *)"value", (const xmlChar *)value);
        return 1;
    }
    xmlNode *nv = xmlNewChild(set, NULL, (const xmlChar *)"nvpair", NULL);
    xmlSetProp(nv, (const xmlChar *)"id", (const xmlChar *)nv_id);
    xmlSetProp(nv, (const xmlChar *)"name", (const xmlChar *)name);
    xmlSetProp(nv, (const xmlChar *)"value", (const xmlChar *)value);
    return 1;
}

const char *vmha_status_node_attr(xmlNode *node_state, const char *name)
{
    for (xmlNode *ta = node_state ? node_state->children : NULL; ta; ta = ta->next) {
        if (!vmha_dom_is(ta, "transient_attributes"))
            continue;
        for (xmlNode *set = ta->children; set; set = set->next) {
            if (!vmha_dom_is(set, "instance_attributes"))
                continue;
            for (xmlNode *nv = set->children; nv; nv = nv->next) {
                if (!vmha_dom_is(nv, "nvpair") || !vmha_dom_prop_is(nv, "name", name))
                    continue;
                const xmlAttr *a = xmlHasProp(nv, (const xmlChar *)"value");
                return a && a->children ? (const char *)a->children->content : "";
            }
        }
    }
    return NULL;
}

bool vmha_status_storage_failure(xmlNode *node_state, const char *rsc)
{
    xmlNode *lrm = node_state ? vmha_dom_child(node_state, "lrm", NULL) : NULL;
    xmlNode *rs = lrm ? vmha_dom_child(lrm, "lrm_resources", NULL) : NULL;
    xmlNode *r = rs && rsc ? vmha_dom_child(rs, "lrm_resource", rsc) : NULL;
    g_autofree char *fail_id = g_strdup_printf("%s_last_failure_0", rsc ? rsc : "");
    xmlNode *op = r ? vmha_dom_child(r, "lrm_rsc_op", fail_id) : NULL;
    bool blamed = false;

    if (!op || !(vmha_dom_prop_is(op, "operation", "start") ||
                 vmha_dom_prop_is(op, "operation", "migrate_from")))
        return false;
    xmlChar *reason = xmlGetProp(op, (const xmlChar *)"exit-reason");
    blamed = reason && g_str_has_prefix((const char *)reason, VMHA_OCF_STORAGE_UNREACHABLE);
    xmlFree(reason);
    return blamed && has_fail_count(node_state, rsc);
}

char **vmha_status_storage_failures(xmlNode *node_state)
{
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    xmlNode *lrm = node_state ? vmha_dom_child(node_state, "lrm", NULL) : NULL;
    xmlNode *rs = lrm ? vmha_dom_child(lrm, "lrm_resources", NULL) : NULL;

    for (xmlNode *r = rs ? rs->children : NULL; r; r = r->next) {
        if (!vmha_dom_is(r, "lrm_resource"))
            continue;
        xmlChar *id = xmlGetProp(r, (const xmlChar *)"id");
        if (id && vmha_status_storage_failure(node_state, (const char *)id))
            g_ptr_array_add(names, g_strdup((const char *)id));
        xmlFree(id);
    }
    g_ptr_array_add(names, NULL);
    return (char **)g_ptr_array_free(g_steal_pointer(&names), FALSE);
}

int vmha_status_clear_node_failures(xmlNode *node_state, const char *rsc)
{
    return node_state && rsc ? remove_failure_attrs(node_state, rsc) : 0;
}
