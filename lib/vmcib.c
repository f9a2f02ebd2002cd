/* Configuration edits of a VM's settings and placement rules. See vmcib.h. */
#include "vmcib.h"

#include <stdio.h>
#include <string.h>

#include "xmledit.h"

static xmlNode *section_of(xmlNode *configuration, const char *name)
{
    return vmha_dom_child_or_new(configuration, name, NULL);
}

static xmlNode *find_vm(xmlNode *configuration, const char *vm)
{
    xmlNode *resources = vmha_dom_child(configuration, "resources", NULL);
    return vmha_dom_child_where(resources, "primitive", "id", vm);
}

static char *prop(xmlNode *n, const char *name)
{
    xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
    char *s = v ? g_strdup((const char *)v) : NULL;
    xmlFree(v);
    return s;
}

static void set_prop(xmlNode *n, const char *name, const char *value)
{
    xmlSetProp(n, (const xmlChar *)name, (const xmlChar *)value);
}

static int set_nvpair(xmlNode *set, const char *name, const char *value)
{
    return vmha_dom_nvpair_set(set, name, value, NULL);
}

static int op_set(xmlNode *prim, const char *vm, const char *op, const char *interval)
{
    xmlNode *ops = vmha_dom_child_or_new(prim, "operations", NULL);
    xmlNode *o = vmha_dom_child_where(ops, "op", "name", op);

    if (!interval) {
        if (!o)
            return 0;
        vmha_dom_remove(o);
        return 1;
    }
    if (o && vmha_dom_prop_is(o, "interval", interval))
        return 0;
    bool fresh = !o;
    if (fresh) {
        g_autofree char *id = g_strdup_printf("%s-%s", vm, op);
        o = xmlNewChild(ops, NULL, (const xmlChar *)"op", NULL);
        set_prop(o, "id", id);
        set_prop(o, "name", op);
    }
    set_prop(o, "interval", interval);
    if (fresh)
        set_prop(o, "timeout", "30s");
    return 1;
}

int vmha_cib_vm_attr_set(xmlNode *configuration, const char *vm, VmhaAttrSection section,
                         const char *name, const char *value)
{
    static const char *const tags[] = {[VMHA_ATTR_INSTANCE] = "instance_attributes",
                                       [VMHA_ATTR_META] = "meta_attributes",
                                       [VMHA_ATTR_UTILIZATION] = "utilization"};
    xmlNode *prim = find_vm(configuration, vm);

    if (!prim)
        return -1;
    if (section == VMHA_ATTR_OPERATION)
        return op_set(prim, vm, name, value);
    if (section > VMHA_ATTR_UTILIZATION)
        return -1;
    /* An existing set keeps its id: a VM written by another tool may use other ids. */
    xmlNode *set = vmha_dom_child(prim, tags[section], NULL);
    if (!set && !value)
        return 0;
    if (!set) {
        g_autofree char *id = g_strdup_printf("%s-%s", vm, tags[section]);
        set = vmha_dom_child_or_new(prim, tags[section], id);
    }
    return set_nvpair(set, name, value);
}

/* Removes the constraints `tag` of rsc=vm whose id starts with prefix. Returns how many. */
static int remove_constraints(xmlNode *constraints, const char *tag, const char *vm,
                              const char *prefix)
{
    int removed = 0;
    for (xmlNode *c = constraints->children, *next; c; c = next) {
        next = c->next;
        g_autofree char *id = vmha_dom_is(c, tag) ? prop(c, "id") : NULL;
        if (id && g_str_has_prefix(id, prefix) && vmha_dom_prop_is(c, "rsc", vm)) {
            vmha_dom_remove(c);
            removed++;
        }
    }
    return removed;
}

/* Canonical text of the constraints `tag` of vm with that id prefix, to tell a change. */
static char *constraints_text(xmlNode *constraints, const char *tag, const char *vm,
                              const char *prefix)
{
    GString *s = g_string_new(NULL);
    for (xmlNode *c = constraints->children; c; c = c->next) {
        g_autofree char *id = vmha_dom_is(c, tag) ? prop(c, "id") : NULL;
        if (!id || !g_str_has_prefix(id, prefix) || !vmha_dom_prop_is(c, "rsc", vm))
            continue;
        g_autofree char *node = prop(c, "node"), *with = prop(c, "with-rsc");
        g_autofree char *score = prop(c, "score");
        g_string_append_printf(s, "%s %s %s %s;", id, node ? node : "", with ? with : "",
                               score ? score : "");
    }
    return g_string_free(s, false);
}

int vmha_cib_vm_prefer_set(xmlNode *configuration, const char *vm, char **nodes)
{
    if (!find_vm(configuration, vm))
        return -1;
    xmlNode *cons = section_of(configuration, "constraints");
    g_autofree char *prefix = g_strdup_printf("prefer-%s-", vm);
    g_autofree char *before = constraints_text(cons, "rsc_location", vm, prefix);
    remove_constraints(cons, "rsc_location", vm, prefix);
    for (size_t i = 0; nodes && nodes[i]; i++) {
        g_autofree char *id = g_strdup_printf("prefer-%s-%s", vm, nodes[i]);
        g_autofree char *score = g_strdup_printf("%d", vmha_prefer_score((unsigned)i));
        xmlNode *loc = xmlNewChild(cons, NULL, (const xmlChar *)"rsc_location", NULL);
        set_prop(loc, "id", id);
        set_prop(loc, "rsc", vm);
        set_prop(loc, "node", nodes[i]);
        set_prop(loc, "score", score);
    }
    g_autofree char *after = constraints_text(cons, "rsc_location", vm, prefix);
    return strcmp(before, after) != 0;
}

static const char *score_text(int score, char *buf, size_t len)
{
    if (score >= 1000000)
        return "INFINITY";
    if (score <= -1000000)
        return "-INFINITY";
    snprintf(buf, len, "%d", score);
    return buf;
}

int vmha_cib_vm_coloc_set(xmlNode *configuration, const char *vm, bool together, char **others,
                          const int *scores)
{
    if (!find_vm(configuration, vm))
        return -1;
    xmlNode *cons = section_of(configuration, "constraints");
    const char *kind = together ? "together" : "apart";
    g_autofree char *prefix = g_strdup_printf("%s-%s-", kind, vm);
    g_autofree char *before = constraints_text(cons, "rsc_colocation", vm, prefix);
    remove_constraints(cons, "rsc_colocation", vm, prefix);
    for (size_t i = 0; others && others[i]; i++) {
        char buf[16];
        g_autofree char *id = g_strdup_printf("%s%s", prefix, others[i]);
        xmlNode *c = xmlNewChild(cons, NULL, (const xmlChar *)"rsc_colocation", NULL);
        set_prop(c, "id", id);
        set_prop(c, "rsc", vm);
        set_prop(c, "with-rsc", others[i]);
        set_prop(c, "score", score_text(scores[i], buf, sizeof(buf)));
    }
    g_autofree char *after = constraints_text(cons, "rsc_colocation", vm, prefix);
    return strcmp(before, after) != 0;
}

int vmha_cib_vm_ban(xmlNode *configuration, const char *vm, const char *node, bool ban)
{
    if (!find_vm(configuration, vm))
        return -1;
    xmlNode *cons = section_of(configuration, "constraints");
    g_autofree char *prefix = node ? g_strdup_printf("cli-ban-%s-on-%s", vm, node)
                                   : g_strdup_printf("cli-ban-%s-on-", vm);
    xmlNode *existing = node ? vmha_dom_child(cons, "rsc_location", prefix) : NULL;
    if (!ban && !node)
        return remove_constraints(cons, "rsc_location", vm, prefix) > 0;
    if (!ban) {
        if (!existing)
            return 0;
        vmha_dom_remove(existing);
        return 1;
    }
    if (existing)
        return 0;
    xmlNode *loc = xmlNewChild(cons, NULL, (const xmlChar *)"rsc_location", NULL);
    set_prop(loc, "id", prefix);
    set_prop(loc, "rsc", vm);
    set_prop(loc, "node", node);
    set_prop(loc, "score", "-INFINITY");
    return 1;
}

bool vmha_cib_vm_coloc_conflict(xmlNode *configuration, const char *vm, char **ret_other)
{
    xmlNode *cons = vmha_dom_child(configuration, "constraints", NULL);
    for (xmlNode *a = cons ? cons->children : NULL; a; a = a->next) {
        if (!vmha_dom_is(a, "rsc_colocation"))
            continue;
        g_autofree char *ra = prop(a, "rsc"), *wa = prop(a, "with-rsc"), *sa = prop(a, "score");
        if (!ra || !wa || !sa || (strcmp(ra, vm) != 0 && strcmp(wa, vm) != 0) || sa[0] == '-')
            continue;
        for (xmlNode *b = cons->children; b; b = b->next) {
            if (!vmha_dom_is(b, "rsc_colocation"))
                continue;
            g_autofree char *rb = prop(b, "rsc"), *wb = prop(b, "with-rsc");
            g_autofree char *sb = prop(b, "score");
            if (!rb || !wb || !sb || sb[0] != '-')
                continue;
            if ((strcmp(ra, rb) == 0 && strcmp(wa, wb) == 0) ||
                (strcmp(ra, wb) == 0 && strcmp(wa, rb) == 0)) {
                if (ret_other)
                    *ret_other = g_strdup(strcmp(ra, vm) == 0 ? wa : ra);
                return true;
            }
        }
    }
    return false;
}
