/* The update a libcib modify merges to turn one status section into another (statusdelta.h). */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "statusdelta.h"

typedef enum {
    DELTA_SAME,
    DELTA_CHANGED,
    DELTA_INEXPRESSIBLE,
} Delta;

/* An attribute's value, allocated (xmlFree). */
static xmlChar *attr_value(const xmlAttr *a)
{
    return xmlNodeListGetString(a->doc, a->children, 1);
}

/* A single-text attribute's value without a copy, or NULL (then attr_value). */
static const xmlChar *attr_text(const xmlAttr *a)
{
    const xmlNode *t = a->children;
    return t && !t->next && t->type == XML_TEXT_NODE && t->content ? t->content : NULL;
}

static bool attr_values_equal(const xmlAttr *a, const xmlAttr *b)
{
    const xmlChar *ta = attr_text(a), *tb = attr_text(b);
    if (ta && tb)
        return xmlStrEqual(ta, tb);
    xmlChar *va = attr_value(a), *vb = attr_value(b);
    bool equal = xmlStrEqual(va, vb);
    xmlFree(va);
    xmlFree(vb);
    return equal;
}

/* Whether a merge sets every attribute of n as written: a value "NAME+..." of attribute NAME is
 * arithmetic to libcrmcommon (expand_plus_plus). */
static bool attrs_plain(const xmlNode *n)
{
    for (const xmlAttr *a = n->properties; a; a = a->next) {
        xmlChar *v = attr_value(a);
        size_t len = strlen((const char *)a->name);
        bool arithmetic =
                v && strncmp((const char *)v, (const char *)a->name, len) == 0 && v[len] == '+';
        xmlFree(v);
        if (arithmetic)
            return false;
    }
    return true;
}

/* Whether the merge's lookup for update element u would pick c: the same name and, when u has
 * an id (else an id-ref), the same value of that attribute in c. Called for every sibling
 * before a changed entry: no allocation when the values are plain text. */
static bool merge_matches(const xmlNode *c, const xmlNode *u)
{
    if (c->type != XML_ELEMENT_NODE || !xmlStrEqual(c->name, u->name))
        return false;
    const xmlAttr *want = xmlHasProp(u, (const xmlChar *)"id");
    if (!want)
        want = xmlHasProp(u, (const xmlChar *)"id-ref");
    if (!want)
        return true;
    const xmlAttr *have = xmlHasProp(c, want->name);
    return have && attr_values_equal(want, have);
}

/* The first of the children from first on that the merge would pick for u, or NULL. */
static xmlNode *merge_lookup(xmlNode *first, const xmlNode *u)
{
    for (xmlNode *c = first; c; c = c->next)
        if (merge_matches(c, u))
            return c;
    return NULL;
}

static bool elements_only(const xmlNode *n)
{
    for (const xmlNode *c = n->children; c; c = c->next)
        if (c->type != XML_ELEMENT_NODE)
            return false;
    return true;
}

/* Whether a merge creating n (it matches nothing) rebuilds it exactly: each child matches none
 * of the siblings created before it, and every value is set as written. */
static bool creatable(const xmlNode *n)
{
    if (!elements_only(n) || !attrs_plain(n))
        return false;
    for (xmlNode *c = n->children; c; c = c->next) {
        for (xmlNode *before = n->children; before != c; before = before->next)
            if (merge_matches(before, c))
                return false;
        if (!creatable(c))
            return false;
    }
    return true;
}

/* Compares the attributes in order: the old ones must stay where they are (a merge neither
 * removes nor moves one); new ones may follow. */
static Delta attrs_delta(const xmlNode *old, const xmlNode *new)
{
    const xmlAttr *a = old->properties, *b = new->properties;
    Delta d = DELTA_SAME;

    for (; a; a = a->next, b = b->next) {
        if (!b || !xmlStrEqual(a->name, b->name))
            return DELTA_INEXPRESSIBLE;
        if (!attr_values_equal(a, b))
            d = DELTA_CHANGED;
    }
    return b ? DELTA_CHANGED : d;
}

/* old and new are the same element (the merge matched them). On DELTA_CHANGED, *ret_update is
 * the element to merge: new's attributes and the updates of its changed or new children. */
static Delta element_delta(xmlNode *old, xmlNode *new, xmlNode **ret_update)
{
    *ret_update = NULL;
    if (!xmlStrEqual(old->name, new->name) || !elements_only(old) || !elements_only(new))
        return DELTA_INEXPRESSIBLE;
    Delta d = attrs_delta(old, new);
    if (d == DELTA_INEXPRESSIBLE)
        return d;
    xmlNode *children = NULL; /* a list of child updates, in order, under a scratch element */
    xmlNode *oc = old->children, *nc = new->children;

    for (; oc; oc = oc->next, nc = nc->next) {
        xmlNode *child_update = NULL;
        Delta cd = nc ? element_delta(oc, nc, &child_update) : DELTA_INEXPRESSIBLE;
        /* The merge finds the first child matching; an earlier one would take the update. */
        if (cd == DELTA_CHANGED && merge_lookup(old->children, nc) != oc)
            cd = DELTA_INEXPRESSIBLE;
        if (cd == DELTA_INEXPRESSIBLE) {
            xmlFreeNode(child_update);
            xmlFreeNode(children);
            return cd;
        }
        if (cd == DELTA_CHANGED) {
            if (!children)
                children = xmlNewNode(NULL, (const xmlChar *)"children");
            xmlAddChild(children, child_update);
        }
    }
    /* The rest is new: the merge appends each, in order, when it matches nothing there. */
    for (xmlNode *created = nc; created; created = created->next) {
        bool taken = merge_lookup(old->children, created) != NULL;
        for (xmlNode *before = nc; before != created && !taken; before = before->next)
            taken = merge_matches(before, created);
        if (taken || !creatable(created)) {
            xmlFreeNode(children);
            return DELTA_INEXPRESSIBLE;
        }
        if (!children)
            children = xmlNewNode(NULL, (const xmlChar *)"children");
        xmlAddChild(children, xmlCopyNode(created, 1));
    }
    if (d == DELTA_SAME && !children)
        return DELTA_SAME;
    /* Every attribute goes in the update: the merge needs the id to match and sets the others
     * to the values they have, in place. */
    if (!attrs_plain(new)) {
        xmlFreeNode(children);
        return DELTA_INEXPRESSIBLE;
    }
    xmlNode *update = xmlNewNode(NULL, new->name);
    update->properties = xmlCopyPropList(update, new->properties);
    while (children && children->children) {
        xmlNode *c = children->children;
        xmlUnlinkNode(c);
        xmlAddChild(update, c);
    }
    xmlFreeNode(children);
    *ret_update = update;
    return DELTA_CHANGED;
}

int vmha_status_delta(xmlNode *old_status, xmlNode *new_status, xmlNode **ret_update)
{
    *ret_update = NULL;
    if (!old_status || !new_status || old_status->properties || new_status->properties)
        return -1;
    switch (element_delta(old_status, new_status, ret_update)) {
    case DELTA_SAME:
        return 0;
    case DELTA_CHANGED:
        return 1;
    default:
        return -1;
    }
}
