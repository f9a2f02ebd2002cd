/* The configuration edits of `vmctl vm set`, `vm ban` and `vm unban` on a <configuration> DOM
 * the caller owns (clusterd applies them to a copy, loads the copy with lib/model, and only
 * then replaces the configuration: a write is applied whole or not at all). Pure, so that
 * every member applying the same write gets the same document.
 *
 * Vocabulary (docs/CIB.md):
 *  - a VM's settings: nvpairs of its first instance_attributes / meta_attributes / utilization
 *    set (a new set is "VM-instance_attributes", ...), its monitor <op>;
 *  - preferences: rsc_location id="prefer-VM-NODE" score 100, 90, ...;
 *  - kept together / apart: rsc_colocation id="together-VM-OTHER" / "apart-VM-OTHER" with
 *    rsc="VM" with-rsc="OTHER": VM follows (or avoids) OTHER, which is placed first;
 *  - bans: rsc_location id="cli-ban-VM-on-NODE" score -INFINITY, the id crm_resource --ban
 *    uses, so that crm_resource --clear removes vmha's bans and vmctl vm unban Pacemaker's.
 * Each returns 1 when the document changed, 0 when it already said so, -1 for an unknown VM. */
#pragma once

#include <libxml/tree.h>
#include <stdbool.h>

#include "vmattr.h"

/* Sets (value) or removes (NULL) nvpair `name` of a set of the VM (INSTANCE, META,
 * UTILIZATION), or the interval of its <op name=name> (OPERATION; timeout 30s when new). */
int vmha_cib_vm_attr_set(xmlNode *configuration, const char *vm, VmhaAttrSection section,
                         const char *name, const char *value);

/* Replaces the VM's preferences by nodes (NULL-terminated, first preferred; empty: none). */
int vmha_cib_vm_prefer_set(xmlNode *configuration, const char *vm, char **nodes);

/* Replaces the VMs the VM is kept together with (together) or apart from, with their scores
 * (vmha_coloc_list_parse()). Constraints written by other tools are left alone. */
int vmha_cib_vm_coloc_set(xmlNode *configuration, const char *vm, bool together, char **others,
                          const int *scores);

/* Bans the VM from node (ban), or lifts the ban (node NULL with !ban: every ban of the VM,
 * vmha's or crm_resource's). */
int vmha_cib_vm_ban(xmlNode *configuration, const char *vm, const char *node, bool ban);

/* Whether constraints keep vm both together with and apart from other (contradictory). */
bool vmha_cib_vm_coloc_conflict(xmlNode *configuration, const char *vm, char **ret_other);
