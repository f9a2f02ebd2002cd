/* Reading XML fast: a light, read-only element tree for loading large CIBs (the model loader).
 * Editing a document is xmledit.h's job.
 *
 * libxml2's DOM costs several allocations per attribute; a 5,000-VM CIB took over half a second
 * to parse here, against ~40 ms for a streaming pass. This module parses with libxml2's SAX2
 * interface into elements and attribute arrays carved from one arena, so loading is a few tens
 * of ms. Only elements and attributes are kept (no text, comments or namespaces): all the CIB
 * vocabulary lives in them. */
#pragma once

#include <glib.h>
#include <libxml/tree.h>

typedef struct VmhaXmlElem VmhaXmlElem;
struct VmhaXmlElem {
    const char *name;
    const char **attrs; /* name, value, name, value, ..., NULL */
    VmhaXmlElem *children;
    VmhaXmlElem *next;
    long line;
};

typedef struct VmhaXmlTree VmhaXmlTree;

/* Parses a document; on failure returns -1 with *ret_error set to a one-line message.
 * skip (NULL-terminated, or NULL): attribute names not kept on any element (bulky ones the
 * reader never looks at: a CIB's status section is mostly operation digests and keys). */
int vmha_xml_tree_parse(const char *buf, size_t len, const char *const *skip,
                        VmhaXmlTree **ret_tree, char **ret_error) G_GNUC_WARN_UNUSED_RESULT;
/* Copies an existing DOM element (and what is under it), skipping as above. */
VmhaXmlTree *vmha_xml_tree_from_node(xmlNode *root, const char *const *skip);
VmhaXmlElem *vmha_xml_tree_root(VmhaXmlTree *tree);
void vmha_xml_tree_free(VmhaXmlTree *tree);

const char *vmha_xml_elem_attr(const VmhaXmlElem *elem, const char *name);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmhaXmlTree, vmha_xml_tree_free)
