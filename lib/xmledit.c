#include "xmledit.h"

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

void vmha_dom_remove(xmlNode *n)
{
    xmlUnlinkNode(n);
    xmlFreeNode(n);
}
