/* What may be set on a VM and where it lives in the CIB (docs/CIB.md). Pure validation shared by
 * vmctl (early, friendly errors) and clusterd (authoritative, before a write is replicated). */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum {
    VMHA_ATTR_INSTANCE,    /* instance_attributes: the agent's parameters */
    VMHA_ATTR_META,        /* meta_attributes */
    VMHA_ATTR_UTILIZATION, /* utilization */
    VMHA_ATTR_PREFER,      /* rsc_location preferences */
    VMHA_ATTR_OPERATION,   /* an <op> of the primitive's <operations>: name = the op's name */
    VMHA_ATTR_COLOCATION,  /* rsc_colocation constraints: name "together" or "apart" */
    VMHA_ATTR_BAN,         /* a -INFINITY rsc_location: name "ban" (add) or "unban" (remove) */
} VmhaAttrSection;

/* A VM name is an XML ID usable in CIB ids: [A-Za-z_][A-Za-z0-9_.-]*, at most 64 characters. */
bool vmha_vm_name_valid(const char *name);

/* A node name as corosync and Pacemaker accept it. */
bool vmha_node_name_valid(const char *name);

/* Checks KEY=VALUE; on success stores the canonical CIB name and its section. On failure returns
 * -EINVAL and a static one-line reason in *ret_error. */
int vmha_vm_attr_check(const char *key, const char *value, const char **ret_name,
                       VmhaAttrSection *ret_section,
                       const char **ret_error) G_GNUC_WARN_UNUSED_RESULT;

/* Splits "a,b,c" into node names; -EINVAL on an empty or invalid name or a duplicate. */
int vmha_prefer_parse(const char *list, char ***ret_nodes) G_GNUC_WARN_UNUSED_RESULT;

/* An interval or timeout a VM attribute sets: a duration as written (duration.h,
 * VMHA_DURATION_EXACT: "30", "30s", "1500ms", "2min", "1h") without blanks, stored in ms.
 * -EINVAL for anything else, zero, or more than a day. */
int vmha_interval_parse(const char *s, int64_t *ret_ms) G_GNUC_WARN_UNUSED_RESULT;

/* "VM[:SCORE],..." for together-with / apart-from: VM names (not `self`, no duplicates) with an
 * optional positive score, INFINITY when none ("db", "db:500", "db:INFINITY"). For apart-from
 * the scores are returned negated. An empty list is valid (no VM). -EINVAL otherwise. */
int vmha_coloc_list_parse(const char *list, const char *self, bool together, char ***ret_vms,
                          int **ret_scores) G_GNUC_WARN_UNUSED_RESULT;

/* Score of the i-th preferred node: 100, 90, ... never below 1. */
int vmha_prefer_score(unsigned i);
