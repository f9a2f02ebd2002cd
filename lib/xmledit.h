/* Finding, adding and removing elements of a libxml2 document (its DOM, hence vmha_dom_*): the
 * helpers shared by the pure CIB editors, nvpairs included (lrmstatus, statusclean, maintcib,
 * vmcib, cibnodes). Reading a whole CIB fast is xmlread.h's job. */
#pragma once

#include <libxml/tree.h>
#include <stdbool.h>

/* n is an element named name. */
bool vmha_dom_is(const xmlNode *n, const char *name);
/* n's attribute name equals value (false when either is missing). */
bool vmha_dom_prop_is(xmlNode *n, const char *name, const char *value);
/* The first child element `name` whose id is id (any id when NULL); NULL when none or no parent. */
xmlNode *vmha_dom_child(xmlNode *parent, const char *name, const char *id);
/* The first child element `name` whose attribute attr equals value. */
xmlNode *vmha_dom_child_where(xmlNode *parent, const char *name, const char *attr,
                              const char *value);
/* vmha_dom_child, or a new child element with that id (none when NULL). */
xmlNode *vmha_dom_child_or_new(xmlNode *parent, const char *name, const char *id);
/* Sets nvpair `name` of set to value, or removes it when value is NULL; a new pair gets the id id,
 * or "SETID-NAME" when id is NULL. Returns 1 when the document changed, else 0. */
int vmha_dom_nvpair_set(xmlNode *set, const char *name, const char *value, const char *id);
/* Unlinks and frees n. */
void vmha_dom_remove(xmlNode *n);
