/* Reading a CIB (cibread.h): lookups on libcrmcommon's XML helpers, as Pacemaker's own tools
 * read the same elements. */
#include "config.h"

#include <crm/common/xml.h>
#include <crm/msg_xml.h>

#include "cibread.h"
#include "duration.h"

/* Primitives may stand inside a group or a clone (written by Pacemaker's tools): the whole
 * resources section is searched, not only its top level. */
static xmlNode *find_primitive_under(xmlNode *parent, const char *id)
{
    for (xmlNode *c = parent ? parent->children : NULL; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (g_str_equal((const char *)c->name, XML_CIB_TAG_RESOURCE)) {
            if (g_strcmp0(crm_element_value(c, XML_ATTR_ID), id) == 0)
                return c;
        } else {
            xmlNode *p = find_primitive_under(c, id);
            if (p)
                return p;
        }
    }
    return NULL;
}

xmlNode *cd_cib_primitive(xmlNode *cib, const char *id)
{
    return find_primitive_under(cib ? pcmk_find_cib_element(cib, XML_CIB_TAG_RESOURCES) : NULL, id);
}

/* Document order, as find_primitive_under: the first primitive of an id is the one. */
static void collect_primitives(xmlNode *parent, GHashTable *prims)
{
    for (xmlNode *c = parent ? parent->children : NULL; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (!g_str_equal((const char *)c->name, XML_CIB_TAG_RESOURCE)) {
            collect_primitives(c, prims);
            continue;
        }
        const char *id = crm_element_value(c, XML_ATTR_ID);
        if (id && !g_hash_table_contains(prims, id))
            g_hash_table_insert(prims, (gpointer)id, c);
    }
}

GHashTable *cd_cib_primitive_ids(xmlNode *cib)
{
    GHashTable *prims = g_hash_table_new(g_str_hash, g_str_equal);

    collect_primitives(cib ? pcmk_find_cib_element(cib, XML_CIB_TAG_RESOURCES) : NULL, prims);
    return prims;
}

static gboolean not_a_vm(gpointer id, gpointer prim, gpointer unused)
{
    return !cd_cib_is_vm(prim);
}

GHashTable *cd_cib_vm_ids(xmlNode *cib)
{
    GHashTable *vms = cd_cib_primitive_ids(cib);

    g_hash_table_foreach_remove(vms, not_a_vm, NULL);
    return vms;
}

bool cd_cib_is_vm(xmlNode *prim)
{
    return prim && crm_element_value(prim, XML_ATTR_ID) &&
           g_strcmp0(crm_element_value(prim, XML_AGENT_ATTR_CLASS), "ocf") == 0 &&
           g_strcmp0(crm_element_value(prim, XML_AGENT_ATTR_PROVIDER), "vmha") == 0 &&
           g_strcmp0(crm_element_value(prim, XML_ATTR_TYPE), "vm") == 0;
}

xmlNode *cd_cib_vm(xmlNode *cib, const char *id)
{
    xmlNode *prim = cd_cib_primitive(cib, id);
    return cd_cib_is_vm(prim) ? prim : NULL;
}

bool cd_cib_is_fence_device(xmlNode *prim)
{
    return prim && g_strcmp0(crm_element_value(prim, XML_AGENT_ATTR_CLASS), "stonith") == 0;
}

const char *cd_cib_nvpair(xmlNode *parent, const char *set_tag, const char *name)
{
    for (xmlNode *set = parent ? first_named_child(parent, set_tag) : NULL; set;
         set = crm_next_same_xml(set))
        for (xmlNode *nv = first_named_child(set, XML_CIB_TAG_NVPAIR); nv;
             nv = crm_next_same_xml(nv))
            if (g_strcmp0(crm_element_value(nv, XML_NVPAIR_ATTR_NAME), name) == 0)
                return crm_element_value(nv, XML_NVPAIR_ATTR_VALUE);
    return NULL;
}

void cd_cib_nvpairs_foreach(xmlNode *parent, const char *set_tag, CdCibNvpairFn fn, void *ctx)
{
    for (xmlNode *set = parent ? first_named_child(parent, set_tag) : NULL; set;
         set = crm_next_same_xml(set))
        for (xmlNode *nv = first_named_child(set, XML_CIB_TAG_NVPAIR); nv;
             nv = crm_next_same_xml(nv)) {
            const char *name = crm_element_value(nv, XML_NVPAIR_ATTR_NAME);
            const char *value = crm_element_value(nv, XML_NVPAIR_ATTR_VALUE);
            if (name && value)
                fn(name, value, ctx);
        }
}

static void insert_param(const char *name, const char *value, void *table)
{
    g_hash_table_insert(table, g_strdup(name), g_strdup(value));
}

GHashTable *cd_cib_instance_params(xmlNode *prim)
{
    GHashTable *t = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);

    cd_cib_nvpairs_foreach(prim, XML_TAG_ATTR_SETS, insert_param, t);
    return t;
}

unsigned cd_cib_op_ms(xmlNode *prim, const char *op, const char *field, unsigned dflt)
{
    xmlNode *ops = prim ? first_named_child(prim, "operations") : NULL;

    for (xmlNode *o = ops ? first_named_child(ops, "op") : NULL; o; o = crm_next_same_xml(o)) {
        if (g_strcmp0(crm_element_value(o, "name"), op) != 0)
            continue;
        const char *v = crm_element_value(o, field);
        int64_t ms;
        if (vmha_duration_parse(v, VMHA_DURATION_PCMK_MSEC, &ms, NULL) == 0 && ms > 0 &&
            ms <= G_MAXUINT)
            return (unsigned)ms;
    }
    return dflt;
}

const char *cd_cib_property(xmlNode *cib, const char *name)
{
    return cd_cib_nvpair(cib ? pcmk_find_cib_element(cib, XML_CIB_TAG_CRMCONFIG) : NULL,
                         XML_CIB_TAG_PROPSET, name);
}

xmlNode *cd_cib_node_state(xmlNode *status, const char *id, const char *uname)
{
    xmlNode *first = status ? first_named_child(status, XML_CIB_TAG_STATE) : NULL;

    for (xmlNode *ns = first; id && ns; ns = crm_next_same_xml(ns))
        if (g_strcmp0(crm_element_value(ns, XML_ATTR_ID), id) == 0)
            return ns;
    for (xmlNode *ns = first; uname && ns; ns = crm_next_same_xml(ns))
        if (g_strcmp0(crm_element_value(ns, XML_ATTR_UNAME), uname) == 0)
            return ns;
    return NULL;
}
