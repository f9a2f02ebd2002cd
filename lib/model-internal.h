/* The model loader's insides, shared by its modules (not part of libvmha's API: model.h is).
 *
 * vmha_model_parse() (model.c) reads the document into a light element tree (xmlread.h) and
 * walks it once, section by section, each in its own file:
 *   model.c            the document, crm_config's properties, the public queries;
 *   model-nodes.c      <nodes> and node attributes;
 *   model-resources.c  <resources> (VMs, fence devices, other agents' primitives, rsc_defaults)
 *                      and <constraints>;
 *   model-status.c     <status>: each node's state, fail counts, and the operation history
 *                      replayed into where each VM runs, with failures that expire;
 *   model-values.c     reading values: errors and warnings naming the element, attribute
 *                      sets, numbers as Pacemaker reads them.
 * The first error stops the walk (loader_fail). */
#pragma once

#include <string.h>

#include "model.h"
#include "xmlread.h"

typedef VmhaXmlElem Elem;

#define NAME_EQ(node, s) ((node)->name[0] == (s)[0] && strcmp((node)->name, (s)) == 0)

/* Loader state: the model under construction and the first error. */
typedef struct {
    VmhaModel *m;
    GError **error;
    Elem *rsc_defaults;      /* merged into every VM's meta attributes, as Pacemaker does */
    GHashTable *warned;      /* nvpair elements warned about already (rsc_defaults apply often) */
    GPtrArray *vm_locations; /* per VM: GArray of VmhaLocation */
    GArray *colocations;
    GHashTable *foreign; /* ids of primitives vmha does not manage */
} Loader;

static inline const char *attr(const Elem *node, const char *name)
{
    return vmha_xml_elem_attr(node, name);
}

/* Calls fn for every nvpair of every set named `set_name` directly under `parent`. Sets with rules
 * or references would need Pacemaker's rule engine: rejected rather than misread. */
typedef int (*NvpairFn)(Loader *l, Elem *nvpair, const char *name, const char *value, void *data);

/* model-values.c */
int loader_fail(Loader *l, VmhaModelError code, Elem *where, const char *fmt, ...)
        G_GNUC_PRINTF(4, 5);
int loader_parse_int64(const char *s, int64_t min, int64_t max, int64_t *ret);
int loader_for_each_nvpair(Loader *l, Elem *parent, const char *set_name, NvpairFn fn, void *data);
int loader_bad_value(Loader *l, Elem *nv, const char *name, const char *value, const char *what);
void loader_warn(Loader *l, Elem *where, const char *name, const char *value, const char *read_as,
                 const char *note);
int loader_attr_score(Loader *l, Elem *nv, const char *name, const char *value);
bool loader_attr_true(Loader *l, Elem *nv, const char *name, const char *value);
int64_t loader_attr_seconds(Loader *l, Elem *nv, const char *name, const char *value);
int64_t loader_utilization(Loader *l, Elem *nv, const char *name, const char *value);

/* model-nodes.c: loader_on_node_attr is an NvpairFn (data: the VmhaNode) */
int loader_on_node_attr(Loader *l, Elem *nv, const char *name, const char *value, void *data);
int loader_load_nodes(Loader *l, Elem *nodes);

/* model-resources.c */
int loader_load_resources(Loader *l, Elem *resources);
int loader_load_constraints(Loader *l, Elem *constraints);

/* model-status.c: the status section, then the failures that expire (VmhaVm.expiries) */
int loader_load_status(Loader *l, Elem *status);
