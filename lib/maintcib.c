#include "maintcib.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static bool is_element(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

/* The value of attribute name as a string compared without copying. */
static bool prop_equals(xmlNode *n, const char *name, const char *value)
{
    xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
    bool same = v && value && strcmp((const char *)v, value) == 0;
    xmlFree(v);
    return same;
}

/* The first child element `name` whose attribute `attr` is `value` (any when attr is NULL). */
static xmlNode *find_child(xmlNode *parent, const char *name, const char *attr, const char *value)
{
    for (xmlNode *c = parent ? parent->children : NULL; c; c = c->next)
        if (is_element(c, name) && (!attr || prop_equals(c, attr, value)))
            return c;
    return NULL;
}

static xmlNode *child_or_new(xmlNode *parent, const char *name, const char *id)
{
    xmlNode *c = find_child(parent, name, NULL, NULL);
    if (c)
        return c;
    c = xmlNewChild(parent, NULL, (const xmlChar *)name, NULL);
    xmlSetProp(c, (const xmlChar *)"id", (const xmlChar *)id);
    return c;
}

static void unlink_free(xmlNode *n)
{
    xmlUnlinkNode(n);
    xmlFreeNode(n);
}

/* Sets or removes nvpair `name` in set (ids "SETID-NAME" for new pairs). Returns 1 on change. */
static int set_nvpair(xmlNode *set, const char *name, const char *value)
{
    xmlNode *nv = find_child(set, "nvpair", "name", name);

    if (!value) {
        if (!nv)
            return 0;
        unlink_free(nv);
        return 1;
    }
    if (nv && prop_equals(nv, "value", value))
        return 0;
    if (!nv) {
        xmlChar *set_id = xmlGetProp(set, (const xmlChar *)"id");
        g_autofree char *id = g_strdup_printf("%s-%s", set_id ? (const char *)set_id : "", name);
        xmlFree(set_id);
        nv = xmlNewChild(set, NULL, (const xmlChar *)"nvpair", NULL);
        xmlSetProp(nv, (const xmlChar *)"id", (const xmlChar *)id);
        xmlSetProp(nv, (const xmlChar *)"name", (const xmlChar *)name);
    }
    xmlSetProp(nv, (const xmlChar *)"value", (const xmlChar *)value);
    return 1;
}

/* Sets or removes nvpair `name` in node uname's set `tag`, created as "nodes-ID" + id_suffix
 * (crm_attribute's ids, so both tools edit the same pair). */
static int node_nvpair_set(xmlNode *nodes, const char *uname, const char *tag,
                           const char *id_suffix, const char *name, const char *value)
{
    xmlNode *node = find_child(nodes, "node", "uname", uname);
    if (!node)
        return -1;
    xmlNode *set = find_child(node, tag, NULL, NULL);
    if (!set && !value)
        return 0;
    if (!set) {
        xmlChar *id = xmlGetProp(node, (const xmlChar *)"id");
        g_autofree char *set_id =
                g_strdup_printf("nodes-%s%s", id ? (const char *)id : uname, id_suffix);
        xmlFree(id);
        set = child_or_new(node, tag, set_id);
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
        if (is_element(set, "cluster_property_set") && find_child(set, "nvpair", "name", name))
            return set_nvpair(set, name, value);
    if (!value)
        return 0;
    xmlNode *set = find_child(crm_config, "cluster_property_set", "id", "cib-bootstrap-options");
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
    xmlNode *resources = find_child(configuration, "resources", NULL, NULL);
    return find_child(resources, "primitive", "id", vm);
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
    xmlNode *constraints = find_child(configuration, "constraints", NULL, NULL);
    g_autofree char *ban_id = g_strdup_printf("vmha-move-%s", vm);
    g_autofree char *to_id = g_strdup_printf("vmha-move-%s-to", vm);
    const char *ids[] = {ban_id, to_id};
    int changed = 0;

    for (size_t i = 0; i < G_N_ELEMENTS(ids); i++) {
        xmlNode *loc = find_child(constraints, "rsc_location", "id", ids[i]);
        if (loc) {
            unlink_free(loc);
            changed = 1;
        }
    }
    for (xmlNode *set = prim->children; set; set = set->next)
        if (is_element(set, "meta_attributes"))
            changed |= set_nvpair(set, "vmha-move-method", NULL);
    return changed;
}

int vmha_cib_move_set(xmlNode *configuration, const char *vm, const char *from, const char *to,
                      const char *method)
{
    xmlNode *prim = find_primitive(configuration, vm);
    if (!prim || !from)
        return -1;
    remove_move(configuration, prim, vm);
    xmlNode *constraints = find_child(configuration, "constraints", NULL, NULL);
    if (!constraints)
        constraints = xmlNewChild(configuration, NULL, (const xmlChar *)"constraints", NULL);
    g_autofree char *ban_id = g_strdup_printf("vmha-move-%s", vm);
    add_location(constraints, ban_id, vm, from, "-INFINITY");
    if (to) {
        g_autofree char *to_id = g_strdup_printf("vmha-move-%s-to", vm);
        add_location(constraints, to_id, vm, to, "INFINITY");
    }
    if (method) {
        xmlNode *meta = find_child(prim, "meta_attributes", NULL, NULL);
        if (!meta) {
            g_autofree char *set_id = g_strdup_printf("%s-meta_attributes", vm);
            meta = child_or_new(prim, "meta_attributes", set_id);
        }
        set_nvpair(meta, "vmha-move-method", method);
    }
    return 1;
}

int vmha_cib_move_clear(xmlNode *configuration, const char *vm, const char *node)
{
    xmlNode *prim = find_primitive(configuration, vm);
    xmlNode *constraints = find_child(configuration, "constraints", NULL, NULL);
    g_autofree char *ban_id = g_strdup_printf("vmha-move-%s", vm);
    xmlNode *ban = find_child(constraints, "rsc_location", "id", ban_id);

    if (!prim || (node && (!ban || prop_equals(ban, "node", node))))
        return 0;
    return remove_move(configuration, prim, vm);
}

int vmha_cib_measure(xmlNode *crm_config, const char *name, double sample)
{
    if (!crm_config || !(sample > 0) || !isfinite(sample))
        return 0;
    xmlNode *set = find_child(crm_config, "cluster_property_set", "id", "vmha-measurements");
    if (!set) {
        set = xmlNewChild(crm_config, NULL, (const xmlChar *)"cluster_property_set", NULL);
        xmlSetProp(set, (const xmlChar *)"id", (const xmlChar *)"vmha-measurements");
    }
    xmlNode *nv = find_child(set, "nvpair", "name", name);
    xmlChar *old_text = nv ? xmlGetProp(nv, (const xmlChar *)"value") : NULL;
    double old = old_text ? g_ascii_strtod((const char *)old_text, NULL) : 0;
    xmlFree(old_text);
    double rate = old > 0 && isfinite(old) ? (3 * old + sample) / 4 : sample;
    char text[G_ASCII_DTOSTR_BUF_SIZE];
    g_ascii_formatd(text, sizeof(text), "%.1f", MAX(rate, 0.1));
    return set_nvpair(set, name, text);
}
