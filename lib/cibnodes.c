/* <nodes> following corosync's nodelist; see cibnodes.h. */
#include "cibnodes.h"

#include <stdio.h>
#include <string.h>

#include "lrmstatus.h"
#include "xmledit.h"

static xmlNode *section(xmlNode *cib, const char *name)
{
    if (g_str_equal(name, "status"))
        return vmha_dom_child(cib, "status", NULL);
    return vmha_dom_child(vmha_dom_child(cib, "configuration", NULL), name, NULL);
}

static char *prop(xmlNode *n, const char *name)
{
    xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
    char *s = g_strdup((const char *)v);
    xmlFree(v);
    return s;
}

bool vmha_cib_node_busy(xmlNode *status, const char *node_id)
{
    xmlNode *ns = vmha_dom_child(status, "node_state", node_id);
    xmlNode *resources = vmha_dom_child(vmha_dom_child(ns, "lrm", NULL), "lrm_resources", NULL);

    for (xmlNode *r = resources ? resources->children : NULL; r; r = r->next) {
        if (!vmha_dom_is(r, "lrm_resource"))
            continue;
        g_autofree char *rsc = prop(r, "id");
        if (!rsc)
            continue;
        if (vmha_lrm_state(ns, rsc) != VMHA_LRM_STOPPED || vmha_lrm_pending_op(ns, rsc))
            return true;
    }
    return false;
}

static const VmhaNodeRef *wanted(const VmhaNodeRef *want, size_t n, xmlNode *node)
{
    g_autofree char *id = prop(node, "id"), *uname = prop(node, "uname");
    for (size_t i = 0; i < n; i++) {
        char buf[16];
        snprintf(buf, sizeof(buf), "%u", want[i].id);
        if (g_strcmp0(id, buf) == 0 && g_strcmp0(uname, want[i].name) == 0)
            return &want[i];
    }
    return NULL;
}

bool vmha_cib_nodes_match(xmlNode *cib, const VmhaNodeRef *want, size_t n)
{
    xmlNode *nodes = section(cib, "nodes");
    size_t seen = 0;

    for (xmlNode *c = nodes ? nodes->children : NULL; c; c = c->next) {
        if (!vmha_dom_is(c, "node"))
            continue;
        if (!wanted(want, n, c))
            return false;
        seen++;
    }
    return seen == n;
}

/* Removes the rsc_location constraints with node=uname, or rsc=rsc when uname is NULL. */
static void remove_locations(xmlNode *cib, const char *uname, const char *rsc)
{
    xmlNode *constraints = section(cib, "constraints"), *next = NULL;

    for (xmlNode *c = constraints ? constraints->children : NULL; c; c = next) {
        next = c->next;
        if (vmha_dom_is(c, "rsc_location") &&
            (uname ? vmha_dom_prop_is(c, "node", uname) : vmha_dom_prop_is(c, "rsc", rsc)))
            vmha_dom_remove(c);
    }
}

/* Takes uname out of every stonith device's pcmk_host_list; a device left with none goes. */
static void remove_from_fence_devices(xmlNode *cib, const char *uname)
{
    xmlNode *resources = section(cib, "resources"), *next = NULL;

    for (xmlNode *p = resources ? resources->children : NULL; p; p = next) {
        next = p->next;
        if (!vmha_dom_is(p, "primitive") || !vmha_dom_prop_is(p, "class", "stonith"))
            continue;
        for (xmlNode *set = p->children; set; set = set->next) {
            if (!vmha_dom_is(set, "instance_attributes"))
                continue;
            xmlNode *nv = vmha_dom_child_where(set, "nvpair", "name", "pcmk_host_list");
            if (!nv)
                continue;
            g_autofree char *list = prop(nv, "value");
            g_auto(GStrv) hosts = g_strsplit_set(list ? list : "", ", ", -1);
            g_autoptr(GString) left = g_string_new(NULL);
            bool had = false;
            for (size_t i = 0; hosts[i]; i++) {
                if (!*hosts[i])
                    continue;
                if (g_str_equal(hosts[i], uname)) {
                    had = true;
                    continue;
                }
                g_string_append_printf(left, "%s%s", left->len ? " " : "", hosts[i]);
            }
            if (!had)
                continue;
            if (left->len == 0) {
                g_autofree char *id = prop(p, "id");
                remove_locations(cib, NULL, id);
                vmha_dom_remove(p);
                break;
            }
            xmlSetProp(nv, (const xmlChar *)"value", (const xmlChar *)left->str);
        }
    }
}

int vmha_cib_nodes_follow(xmlNode *cib, const VmhaNodeRef *want, size_t n, GPtrArray *kept)
{
    xmlNode *configuration = vmha_dom_child(cib, "configuration", NULL);
    xmlNode *nodes = section(cib, "nodes"), *status = section(cib, "status"), *next = NULL;
    int changed = 0;

    if (!configuration)
        return 0;
    if (!nodes) {
        nodes = xmlNewChild(configuration, NULL, (const xmlChar *)"nodes", NULL);
        changed = 1;
    }
    for (xmlNode *c = nodes->children; c; c = next) {
        next = c->next;
        if (!vmha_dom_is(c, "node") || wanted(want, n, c))
            continue;
        g_autofree char *id = prop(c, "id"), *uname = prop(c, "uname");
        if (id && status && vmha_cib_node_busy(status, id)) {
            if (kept)
                g_ptr_array_add(kept, g_strdup(uname ? uname : id));
            continue;
        }
        if (uname) {
            remove_locations(cib, uname, NULL);
            remove_from_fence_devices(cib, uname);
        }
        xmlNode *ns = id ? vmha_dom_child(status, "node_state", id) : NULL;
        if (ns)
            vmha_dom_remove(ns);
        vmha_dom_remove(c);
        changed = 1;
    }
    for (size_t i = 0; i < n; i++) {
        char id[16];
        snprintf(id, sizeof(id), "%u", want[i].id);
        bool present = false;
        for (xmlNode *c = nodes->children; c && !present; c = c->next)
            present = vmha_dom_is(c, "node") &&
                      (vmha_dom_prop_is(c, "id", id) || vmha_dom_prop_is(c, "uname", want[i].name));
        if (present)
            continue; /* wanted, or kept (busy) under the same id or name */
        xmlNode *node = xmlNewChild(nodes, NULL, (const xmlChar *)"node", NULL);
        xmlSetProp(node, (const xmlChar *)"id", (const xmlChar *)id);
        xmlSetProp(node, (const xmlChar *)"uname", (const xmlChar *)want[i].name);
        changed = 1;
    }
    return changed;
}
