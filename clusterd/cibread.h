/* cibread.c: reading a CIB as clusterd's modules need it: a primitive and its settings, a node's
 * status, a cluster property. Pure (an XML tree in, values out; no I/O), unit-tested; the trees
 * come from cd_cibdb_query() or the live view (views.c). */
#pragma once

#include <glib.h>
#include <libxml/tree.h>
#include <stdbool.h>

/* The primitive with that id, or NULL. */
xmlNode *cd_cib_primitive(xmlNode *cib, const char *id);
/* The VM with that id (an ocf:vmha:vm primitive: never a fence device or another agent's
 * resource), or NULL. */
xmlNode *cd_cib_vm(xmlNode *cib, const char *id);
/* Every primitive's id to its primitive: cd_cib_primitive of every id at once, in one pass (a
 * write about thousands of VMs looks each up in O(1), not in a scan of all). Keys and values
 * borrowed from cib. */
GHashTable *cd_cib_primitive_ids(xmlNode *cib);
/* The same of the VMs only: cd_cib_vm of every id at once. */
GHashTable *cd_cib_vm_ids(xmlNode *cib);
/* An ocf:vmha:vm primitive with an id: a VM. */
bool cd_cib_is_vm(xmlNode *prim);
/* A stonith primitive: a fence device. */
bool cd_cib_is_fence_device(xmlNode *prim);
/* The value of the first nvpair NAME in parent's SET_TAG sets (instance_attributes,
 * meta_attributes, utilization), or NULL. */
const char *cd_cib_nvpair(xmlNode *parent, const char *set_tag, const char *name);
/* Calls fn for every nvpair with a name and a value in parent's SET_TAG sets, in document order
 * (nothing for a NULL parent). */
typedef void (*CdCibNvpairFn)(const char *name, const char *value, void *ctx);
void cd_cib_nvpairs_foreach(xmlNode *parent, const char *set_tag, CdCibNvpairFn fn, void *ctx);
/* The primitive's instance attributes as a new table of owned strings (a later nvpair of a name
 * wins); empty for a NULL primitive. */
GHashTable *cd_cib_instance_params(xmlNode *prim);
/* The primitive's <op name=OP> FIELD (interval or timeout: "10s", "2min", "500ms", "30") in ms,
 * else dflt (also for a value that is not a duration, 0, or more than G_MAXUINT ms). */
unsigned cd_cib_op_ms(xmlNode *prim, const char *op, const char *field, unsigned dflt);
/* A cluster property (crm_config), or NULL. */
const char *cd_cib_property(xmlNode *cib, const char *name);
/* The node_state of a node in the status section: by id, else by uname (either may be NULL). */
xmlNode *cd_cib_node_state(xmlNode *status, const char *id, const char *uname);
