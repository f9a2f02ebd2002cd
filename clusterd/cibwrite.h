/* cibwrite.c: the cluster database's writes. Every member applies each write in CPG's total order
 * to its own copy (cibdb.h), so every copy goes through the same changes; a write is refused
 * whole, by every member alike, or applied and saved. Each kind of write is a row of a table
 * (cibwrite-common.h): decode its wire fields into a typed struct once, validate it against the
 * database, apply it. The rows live in files by noun: cibwrite-vm.c, cibwrite-node.c,
 * cibwrite-fence.c, cibwrite-config.c, cibwrite-status.c (docs/ARCHITECTURE.md, "Conventions":
 * a request returns a VmhaResult and one message). */
#pragma once

#include <glib.h>
#include <libxml/tree.h>
#include <stdbool.h>
#include <stddef.h>

#include "cibnodes.h"
#include "dbsync.h"
#include "vmha/result.h"
#include "vmha/wire.h"

/* Applies one write delivered in the CPG view `members` (some writes record who was out of the
 * view) and saves the database. VMHA_RESULT_OK, or the reason it was refused in *ret_error
 * (g_free); a write from vmctl (not vmha_msg_type_is_internal) that would take the database over
 * cd_cibdb_size_limit is undone and refused with VMHA_RESULT_REFUSED. */
VmhaResult cd_cibwrite_apply(const VmhaMsg *write, const VmhaPeerState *members, size_t n_members,
                             char **ret_error);

/* A write's decode and validate steps against cib, without changing anything: what
 * cd_cibwrite_apply would refuse before applying (the fuzz target of CPG messages,
 * tests/fuzz/fuzz-cpg.c). */
VmhaResult cd_cibwrite_check(const VmhaMsg *write, xmlNode *cib, const VmhaPeerState *members,
                             size_t n_members, char **ret_error);

/* Whether a NODES write of this list would change the database (a node gone from the list but
 * with VMs recorded stays, so that alone is no difference). */
bool cd_cibwrite_nodes_differ(const VmhaNodeRef *want, size_t n);
