/* The configuration edits of planned maintenance (issue 7), on a DOM the caller owns: the drain
 * marks of a node, a VM's move request, the measured throughput of quick migrations. Pure, so
 * that every member applying the same write to the same copy gets the same document.
 *
 * Vocabulary (docs/CIB.md):
 *  - node instance attributes vmha-drain=on, vmha-drain-method, vmha-drain-force=on;
 *  - a move request of VM: rsc_location vmha-move-VM (score -INFINITY on the node it leaves),
 *    with a target also vmha-move-VM-to (INFINITY on the target), and the meta attribute
 *    vmha-move-method when a method was asked for;
 *  - crm_config cluster_property_set vmha-measurements: vmha-save-mib-per-s,
 *    vmha-restore-mib-per-s. */
#pragma once

#include <glib.h>
#include <libxml/tree.h>
#include <stdbool.h>

#include "vmha/migration.h"

#define VMHA_MEASURE_SAVE    "vmha-save-mib-per-s"
#define VMHA_MEASURE_RESTORE "vmha-restore-mib-per-s"

/* Sets (value) or removes (NULL) nvpair `name` in the instance_attributes of node `uname` in
 * <nodes>. Returns 1 when the document changed, 0 when it already said so, -1 for an unknown
 * node. */
int vmha_cib_node_attr_set(xmlNode *nodes, const char *uname, const char *name, const char *value);

/* Sets (value) or removes (NULL) a cluster property in crm_config's cib-bootstrap-options (an
 * existing pair of that name in any set is changed in place). Returns 1 when changed, else 0. */
int vmha_cib_property_set(xmlNode *crm_config, const char *name, const char *value);

/* Sets (value) or removes (NULL) the utilization nvpair `name` (memory, cpu) of node `uname`.
 * Returns 1 when changed, 0 when not, -1 for an unknown node. */
int vmha_cib_node_utilization_set(xmlNode *nodes, const char *uname, const char *name,
                                  const char *value);

/* Records a move request of vm in <configuration>: away from `from`, to `to` when not NULL, by
 * `method` when not DEFAULT; an earlier request of the same VM is replaced. -1 when the VM is
 * unknown. */
int vmha_cib_move_set(xmlNode *configuration, const char *vm, const char *from, const char *to,
                      VmhaMigrationMethod method);

/* Removes vm's move request when vm running on `node` answers it (node is not the one it was to
 * leave), or always when node is NULL. Returns 1 when the document changed, else 0. */
int vmha_cib_move_clear(xmlNode *configuration, const char *vm, const char *node);

/* Folds one measured rate (MiB/s) into the measurement `name` of <crm_config>: the first sample
 * as it is, then new = (3 * old + sample) / 4, written with one decimal so every member writes
 * the same text. Returns 1 when the document changed, else 0. */
int vmha_cib_measure(xmlNode *crm_config, const char *name, double sample);
