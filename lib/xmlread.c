/* SAX2 -> arena element tree. See xmlread.h. */
#include "xmlread.h"

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <stdbool.h>
#include <string.h>

#define BLOCK_SIZE (256 * 1024)
#define CHUNK      (64 * 1024)

struct VmhaXmlTree {
    GSList *blocks; /* arena blocks, freed together */
    char *cur;
    size_t left;
    GStringChunk *strings;
    xmlDictPtr dict; /* the parser's: element and attribute names point into it */
    const char *const *skip;
    const xmlChar **skip_interned; /* skip's names in dict: compared by address */
    size_t n_skip;
    VmhaXmlElem *root;
    /* while parsing */
    GPtrArray *stack; /* open elements */
    GPtrArray *last;  /* last child of each open element */
    xmlParserCtxtPtr ctxt;
    bool has_dtd;
};

static void *arena_alloc(VmhaXmlTree *t, size_t size)
{
    size = (size + 15) & ~(size_t)15;
    if (size > t->left) {
        size_t block = MAX(size, BLOCK_SIZE);
        t->cur = g_malloc(block);
        t->blocks = g_slist_prepend(t->blocks, t->cur);
        t->left = block;
    }
    void *p = t->cur;
    t->cur += size;
    t->left -= size;
    return p;
}

static VmhaXmlTree *tree_new(void)
{
    VmhaXmlTree *t = g_new0(VmhaXmlTree, 1);
    t->strings = g_string_chunk_new(BLOCK_SIZE);
    t->stack = g_ptr_array_new();
    t->last = g_ptr_array_new();
    return t;
}

/* name: a string that lives as long as the tree (interned in strings or in dict). */
static VmhaXmlElem *add_elem(VmhaXmlTree *t, const char *name, size_t n_attrs, long line)
{
    VmhaXmlElem *e = arena_alloc(t, sizeof(VmhaXmlElem));
    *e = (VmhaXmlElem){.name = name, .line = line};
    e->attrs = arena_alloc(t, sizeof(char *) * (2 * n_attrs + 1));
    e->attrs[2 * n_attrs] = NULL;
    if (t->stack->len == 0) {
        if (!t->root)
            t->root = e;
    } else {
        guint top = t->stack->len - 1;
        VmhaXmlElem *parent = t->stack->pdata[top];
        VmhaXmlElem *prev = t->last->pdata[top];
        if (prev)
            prev->next = e;
        else
            parent->children = e;
        t->last->pdata[top] = e;
    }
    g_ptr_array_add(t->stack, e);
    g_ptr_array_add(t->last, NULL);
    return e;
}

static void pop_elem(VmhaXmlTree *t)
{
    if (t->stack->len == 0)
        return;
    g_ptr_array_set_size(t->stack, t->stack->len - 1);
    g_ptr_array_set_size(t->last, t->last->len - 1);
}

static bool skipped(const VmhaXmlTree *t, const xmlChar *name)
{
    for (size_t k = 0; k < t->n_skip; k++)
        if (name == t->skip_interned[k])
            return true;
    return false;
}

static void on_start(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri,
                     int nb_namespaces, const xmlChar **namespaces, int nb_attributes,
                     int nb_defaulted, const xmlChar **attributes)
{
    VmhaXmlTree *t = ctx;
    size_t kept = 0;
    for (int i = 0; i < nb_attributes; i++)
        kept += !skipped(t, attributes[5 * i]);
    VmhaXmlElem *e =
            add_elem(t, (const char *)localname, kept, (long)xmlSAX2GetLineNumber(t->ctxt));
    /* Each attribute is (localname, prefix, URI, value, end); the value is not terminated. */
    size_t j = 0;
    for (int i = 0; i < nb_attributes; i++) {
        const xmlChar **a = attributes + 5 * i;
        if (skipped(t, a[0]))
            continue;
        e->attrs[2 * j] = (const char *)a[0]; /* in the parser's dictionary */
        e->attrs[2 * j + 1] =
                g_string_chunk_insert_len(t->strings, (const char *)a[3], (gssize)(a[4] - a[3]));
        j++;
    }
}

/* A CIB never has a document type; refusing one keeps entity expansion out of the loader. */
static void on_internal_subset(void *ctx, const xmlChar *name, const xmlChar *external_id,
                               const xmlChar *system_id)
{
    VmhaXmlTree *t = ctx;
    t->has_dtd = true;
    xmlStopParser(t->ctxt);
}

static void on_end(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri)
{
    pop_elem(ctx);
}

int vmha_xml_tree_parse(const char *buf, size_t len, const char *const *skip,
                        VmhaXmlTree **ret_tree, char **ret_error)
{
    xmlSAXHandler sax;
    memset(&sax, 0, sizeof(sax));
    sax.initialized = XML_SAX2_MAGIC;
    sax.startElementNs = on_start;
    sax.endElementNs = on_end;
    sax.internalSubset = on_internal_subset;

    if (len > G_MAXINT) {
        *ret_error = g_strdup("document too large");
        return -1;
    }
    g_autoptr(VmhaXmlTree) t = tree_new();
    t->ctxt = xmlCreatePushParserCtxt(&sax, t, NULL, 0, "cib.xml");
    if (!t->ctxt) {
        *ret_error = g_strdup("out of memory");
        return -1;
    }
    t->dict = t->ctxt->dict;
    xmlDictReference(t->dict);
    for (; skip && skip[t->n_skip]; t->n_skip++)
        ;
    t->skip_interned = g_new(const xmlChar *, MAX(t->n_skip, 1));
    for (size_t k = 0; k < t->n_skip; k++)
        t->skip_interned[k] = xmlDictLookup(t->dict, (const xmlChar *)skip[k], -1);
    /* XML_PARSE_HUGE: a CIB of more than about 12,000 VMs is over libxml2's 10 MB default
     * limits; a DOCTYPE is refused below, so no entity can blow it up. */
    xmlCtxtUseOptions(t->ctxt,
                      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_HUGE);
    /* Fed in pieces: the parser's buffer then stays small instead of a copy of the whole
     * document (megabytes of fresh memory for a large CIB). */
    int rc = 0;
    size_t off = 0;
    while (rc == 0 && len - off > CHUNK && !t->has_dtd) {
        rc = xmlParseChunk(t->ctxt, buf + off, CHUNK, 0);
        off += CHUNK;
    }
    if (rc == 0 && !t->has_dtd)
        rc = xmlParseChunk(t->ctxt, buf + off, (int)(len - off), 1);
    if (t->has_dtd) {
        *ret_error = g_strdup("a document type declaration (DOCTYPE) is not accepted in a CIB");
        return -1;
    }
    if (rc != 0 || !t->ctxt->wellFormed || !t->root) {
        const xmlError *e = xmlCtxtGetLastError(t->ctxt);
        g_autofree char *msg = g_strdup(e && e->message ? e->message : "no root element");
        g_strchomp(msg);
        *ret_error = g_strdup_printf("not well-formed XML: %s (line %d)", msg, e ? e->line : 0);
        return -1;
    }
    if (t->ctxt->myDoc)
        xmlFreeDoc(t->ctxt->myDoc);
    xmlFreeParserCtxt(t->ctxt);
    t->ctxt = NULL;
    *ret_tree = g_steal_pointer(&t);
    return 0;
}

static bool skipped_name(const VmhaXmlTree *t, const xmlChar *name)
{
    for (size_t k = 0; t->skip && t->skip[k]; k++)
        if (strcmp((const char *)name, t->skip[k]) == 0)
            return true;
    return false;
}

static void copy_node(VmhaXmlTree *t, xmlNode *n)
{
    size_t n_attrs = 0;
    for (xmlAttr *a = n->properties; a; a = a->next)
        n_attrs += !skipped_name(t, a->name);
    VmhaXmlElem *e = add_elem(t, g_string_chunk_insert_const(t->strings, (const char *)n->name),
                              n_attrs, xmlGetLineNo(n));
    size_t i = 0;
    for (xmlAttr *a = n->properties; a; a = a->next) {
        if (skipped_name(t, a->name))
            continue;
        xmlChar *v = xmlNodeListGetString(n->doc, a->children, 1);
        e->attrs[2 * i] = g_string_chunk_insert_const(t->strings, (const char *)a->name);
        e->attrs[2 * i + 1] = g_string_chunk_insert(t->strings, v ? (const char *)v : "");
        xmlFree(v);
        i++;
    }
    for (xmlNode *c = n->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            copy_node(t, c);
    pop_elem(t);
}

VmhaXmlTree *vmha_xml_tree_from_node(xmlNode *root, const char *const *skip)
{
    VmhaXmlTree *t = tree_new();
    t->skip = skip;
    if (root && root->type == XML_ELEMENT_NODE)
        copy_node(t, root);
    t->skip = NULL;
    return t;
}

VmhaXmlElem *vmha_xml_tree_root(VmhaXmlTree *t)
{
    return t->root;
}

void vmha_xml_tree_free(VmhaXmlTree *t)
{
    if (!t)
        return;
    if (t->ctxt) {
        /* The parser may have started a document (a DTD does); it is ours to free. */
        if (t->ctxt->myDoc)
            xmlFreeDoc(t->ctxt->myDoc);
        xmlFreeParserCtxt(t->ctxt);
    }
    g_slist_free_full(t->blocks, g_free);
    g_string_chunk_free(t->strings);
    if (t->dict)
        xmlDictFree(t->dict);
    g_free(t->skip_interned);
    g_ptr_array_free(t->stack, true);
    g_ptr_array_free(t->last, true);
    g_free(t);
}

const char *vmha_xml_elem_attr(const VmhaXmlElem *e, const char *name)
{
    for (const char **a = e->attrs; *a; a += 2)
        if (a[0][0] == name[0] && strcmp(a[0], name) == 0)
            return a[1];
    return NULL;
}
