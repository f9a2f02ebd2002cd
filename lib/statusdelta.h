/* The smallest update that turns one status section into another through libcib's modify
 * (issue 18): replacing the whole status section makes libcrmcommon compare the old and the new
 * copy child by child, matching each by id among all its siblings (O(VMs²) per node), although a
 * write changes one or a few lrm_resource entries. A modify merges an update into the document
 * instead, touching only the elements the update names.
 *
 * A merge cannot do everything a replace does (remove an element or an attribute, move an
 * element), so the update is built only when merging it gives exactly the new section, element
 * for element and attribute for attribute in the same order: every node applying the same write,
 * by either path, then holds the same document. Otherwise the caller replaces the section.
 *
 * The merge modelled is libcrmcommon's (Pacemaker 2.1, pcmk__xml_update): an element of the
 * update matches the first child of the same name with the same id (or, without an id, the first
 * child of that name); its attributes are set in order (an existing one changes in place, a new
 * one is appended); an element matching none is appended. A value "NAME++" or "NAME+=N" of
 * attribute NAME is arithmetic to that merge, so an update holding one is never built. */
#pragma once

#include <libxml/tree.h>

/* Compares old_status with new_status (two <status> elements). Returns 1 and sets *ret_update
 * to a <status> element (free with xmlFreeNode) that libcib's modify of the status section merges
 * into old_status giving exactly new_status; 0 when they are equal; -1 when no merge gives
 * new_status (something was removed or moved) or either is missing. */
int vmha_status_delta(xmlNode *old_status, xmlNode *new_status, xmlNode **ret_update);
