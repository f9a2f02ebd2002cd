/* Finding, adding and removing elements of a libxml2 document. See xmledit.h. */
#include "xmledit.h"

#include <glib.h>
#include <string.h>

bool vmha_dom_is(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

bool vmha_dom_prop_is(xmlNode *n, const char *name, const char *value)
{
    xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
    bool eq = v && value && strcmp((const char *)v, value) == 0;
    xmlFree(v);
    return eq;
}

xmlNode *vmha_dom_child_where(xmlNode *parent, const char *name, const char *attr,
                              const char *value)
{
    for (xmlNode *c = parent ? parent->children : NULL; c; c = c->next)
        if (vmha_dom_is(c, name) && (!attr || vmha_dom_prop_is(c, attr, value)))
            return c;
    return NULL;
}

xmlNode *vmha_dom_child(xmlNode *parent, const char *name, const char *id)
{
    return vmha_dom_child_where(parent, name, id ? "id" : NULL, id);
}

xmlNode *vmha_dom_child_or_new(xmlNode *parent, const char *name, const char *id)
{
    xmlNode *c = vmha_dom_child(parent, name, id);

    if (c)
        return c;
    c = xmlNewChild(parent, NULL, (const xmlChar *)name, NULL);
    if (id)
        xmlSetProp(c, (const xmlChar *)"id", (const xmlChar *)id);
    return c;
}

int vmha_dom_nvpair_set(xmlNode *set, const char *name, const char *value, const char *id)
{
    xmlNode *nv = vmha_dom_child_where(set, "nvpair", "name", name);

    if (!value) {
        if (!nv)
            return 0;
        vmha_dom_remove(nv);
        return 1;
    }
    if (nv && vmha_dom_prop_is(nv, "value", value))
        return 0;
    if (!nv) {
        xmlChar *set_id = id ? NULL : xmlGetProp(set, (const xmlChar *)"id");
        g_autofree char *made =
                id ? NULL : g_strdup_printf("%s-%s", set_id ? (const char *)set_id : "", name);
        xmlFree(set_id);
        nv = xmlNewChild(set, NULL, (const xmlChar *)"nvpair", NULL);
        xmlSetProp(nv, (const xmlChar *)"id", (const xmlChar *)(id ? id : made));
        xmlSetProp(nv, (const xmlChar *)"name", (const xmlChar *)name);
    }
    xmlSetProp(nv, (const xmlChar *)"value", (const xmlChar *)value);
    return 1;
}

void vmha_dom_remove(xmlNode *n)
{
    xmlUnlinkNode(n);
    xmlFreeNode(n);
}
