/* The configuration edits of planned maintenance. See maintcib.h. */
#include "maintcib.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "xmledit.h"

/* The element's first set `name` (whatever its id: other tools name theirs), or a new one. */
static xmlNode *set_or_new(xmlNode *parent, const char *name, const char *id)
{
    xmlNode *c = vmha_dom_child(parent, name, NULL);
    if (c)
        return c;
    c = xmlNewChild(parent, NULL, (const xmlChar *)name, NULL);
    xmlSetProp(c, (const xmlChar *)"id", (const xmlChar *)id);
    return c;
}

/* Sets or removes nvpair `name` in set (ids "SETID-NAME" for new pairs). Returns 1 on change. */
static int set_nvpair(xmlNode *set, const char *name, const char *value)
{
    return vmha_dom_nvpair_set(set, name, value, NULL);
}

/* Sets or removes nvpair `name` in node uname's set `tag`, created as "nodes-ID" + id_suffix
 * (crm_attribute's ids, so both tools edit the same pair). */
static int node_nvpair_set(xmlNode *nodes, const char *uname, const char *tag,
                           const char *id_suffix, const char *name, const char *value)
{
    xmlNode *node = vmha_dom_child_where(nodes, "node", "uname", uname);
    if (!node)
        return -1;
    xmlNode *set = vmha_dom_child(node, tag, NULL);
    if (!set && !value)
        return 0;
    if (!set) {
        xmlChar *id = xmlGetProp(node, (const xmlChar *)"id");
        g_autofree char *set_id =
                g_strdup_printf("nodes-%s%s", id ? (const char *)id : uname, id_suffix);
        xmlFree(id);
        set = set_or_new(node, tag, set_id);
    }
    return set_nvpair(set, name, value);
}

int vmha_cib_node_attr_set(xmlNode *nodes, const char *uname, const char *name, const char *value)
{
    return node_nvpair_set(nodes, uname, "instance_attributes", "", name, value);
}

int vmha_cib_property_set(xmlNode *crm_config, const char *name, const char *value)
{
    for (xmlNode *set = crm_config->children; set; set = set->next)
        if (vmha_dom_is(set, "cluster_property_set") &&
            vmha_dom_child_where(set, "nvpair", "name", name))
            return set_nvpair(set, name, value);
    if (!value)
        return 0;
    xmlNode *set = vmha_dom_child(crm_config, "cluster_property_set", "cib-bootstrap-options");
    if (!set) {
        set = xmlNewChild(crm_config, NULL, (const xmlChar *)"cluster_property_set", NULL);
        xmlSetProp(set, (const xmlChar *)"id", (const xmlChar *)"cib-bootstrap-options");
    }
    return set_nvpair(set, name, value);
}

int vmha_cib_node_utilization_set(xmlNode *nodes, const char *uname, const char *name,
                                  const char *value)
{
    return node_nvpair_set(nodes, uname, "utilization", "-utilization", name, value);
}

static xmlNode *find_primitive(xmlNode *configuration, const char *vm)
{
    xmlNode *resources = vmha_dom_child(configuration, "resources", NULL);
    return vmha_dom_child(resources, "primitive", vm);
}

static void add_location(xmlNode *constraints, const char *id, const char *vm, const char *node,
                         const char *score)
{
    xmlNode *loc = xmlNewChild(constraints, NULL, (const xmlChar *)"rsc_location", NULL);
    xmlSetProp(loc, (const xmlChar *)"id", (const xmlChar *)id);
    xmlSetProp(loc, (const xmlChar *)"rsc", (const xmlChar *)vm);
    xmlSetProp(loc, (const xmlChar *)"node", (const xmlChar *)node);
    xmlSetProp(loc, (const xmlChar *)"score", (const xmlChar *)score);
}

/* Removes the move request's parts; returns 1 when there was any. */
static int remove_move(xmlNode *configuration, xmlNode *prim, const char *vm)
{
    xmlNode *constraints = vmha_dom_child(configuration, "constraints", NULL);
    g_autofree char *ban_id = g_strdup_printf("vmha-move-%s", vm);
    g_autofree char *to_id = g_strdup_printf("vmha-move-%s-to", vm);
    const char *ids[] = {ban_id, to_id};
    int changed = 0;

    for (size_t i = 0; i < G_N_ELEMENTS(ids); i++) {
        xmlNode *loc = vmha_dom_child(constraints, "rsc_location", ids[i]);
        if (loc) {
            vmha_dom_remove(loc);
            changed = 1;
        }
    }
    for (xmlNode *set = prim->children; set; set = set->next)
        if (vmha_dom_is(set, "meta_attributes"))
            changed |= set_nvpair(set, "vmha-move-method", NULL);
    return changed;
}

int vmha_cib_move_set(xmlNode *configuration, const char *vm, const char *from, const char *to,
                      VmhaMigrationMethod method)
{
    xmlNode *prim = find_primitive(configuration, vm);
    if (!prim || !from)
        return -1;
    remove_move(configuration, prim, vm);
    xmlNode *constraints = vmha_dom_child(configuration, "constraints", NULL);
    if (!constraints)
        constraints = xmlNewChild(configuration, NULL, (const xmlChar *)"constraints", NULL);
    g_autofree char *ban_id = g_strdup_printf("vmha-move-%s", vm);
    add_location(constraints, ban_id, vm, from, "-INFINITY");
    if (to) {
        g_autofree char *to_id = g_strdup_printf("vmha-move-%s-to", vm);
        add_location(constraints, to_id, vm, to, "INFINITY");
    }
    if (method != VMHA_MIGRATION_DEFAULT) {
        xmlNode *meta = vmha_dom_child(prim, "meta_attributes", NULL);
        if (!meta) {
            g_autofree char *set_id = g_strdup_printf("%s-meta_attributes", vm);
            meta = set_or_new(prim, "meta_attributes", set_id);
        }
        set_nvpair(meta, "vmha-move-method", vmha_migration_method_to_string(method));
    }
    return 1;
}

int vmha_cib_move_clear(xmlNode *configuration, const char *vm, const char *node)
{
    xmlNode *prim = find_primitive(configuration, vm);
    xmlNode *constraints = vmha_dom_child(configuration, "constraints", NULL);
    g_autofree char *ban_id = g_strdup_printf("vmha-move-%s", vm);
    xmlNode *ban = vmha_dom_child(constraints, "rsc_location", ban_id);

    if (!prim || (node && (!ban || vmha_dom_prop_is(ban, "node", node))))
        return 0;
    return remove_move(configuration, prim, vm);
}

int vmha_cib_measure(xmlNode *crm_config, const char *name, double sample)
{
    if (!crm_config || !(sample > 0) || !isfinite(sample))
        return 0;
    xmlNode *set = vmha_dom_child(crm_config, "cluster_property_set", "vmha-measurements");
    if (!set) {
        set = xmlNewChild(crm_config, NULL, (const xmlChar *)"cluster_property_set", NULL);
        xmlSetProp(set, (const xmlChar *)"id", (const xmlChar *)"vmha-measurements");
    }
    xmlNode *nv = vmha_dom_child_where(set, "nvpair", "name", name);
    xmlChar *old_text = nv ? xmlGetProp(nv, (const xmlChar *)"value") : NULL;
    double old = old_text ? g_ascii_strtod((const char *)old_text, NULL) : 0;
    xmlFree(old_text);
    double rate = old > 0 && isfinite(old) ? (3 * old + sample) / 4 : sample;
    char text[G_ASCII_DTOSTR_BUF_SIZE];
    g_ascii_formatd(text, sizeof(text), "%.1f", MAX(rate, 0.1));
    return set_nvpair(set, name, text);
}
