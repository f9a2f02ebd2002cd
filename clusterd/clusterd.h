/* The cluster database's declarations (cibdb.c) and what its writes say, until they move to a
 * header of their own: every other module of clusterd has its own header. */
#pragma once

#include <glib.h>
#include <libxml/tree.h>
#include <stdbool.h>
#include <stdint.h>

#include "cibnodes.h"
#include "dbsync.h"
#include "model.h"
#include "vmha/wire.h"

/* cibdb.c: the local copy of the cluster database, through libcib's file backend. */
/* Writes from vmctl that would take the database over this are refused: VMHA_DB_MAX_SIZE (a
 * unit test makes it small). */
extern size_t cd_cibdb_size_limit;
int cd_cibdb_init(const char *state_dir) G_GNUC_WARN_UNUSED_RESULT;
void cd_cibdb_finalise(void);
/* ret_digest may be NULL: the digest costs a dump of the whole document. */
void cd_cibdb_version(VmhaCibVersion *ret_version, char ret_digest[VMHA_DIGEST_LEN + 1]);
/* Applies one write; returns a VMHA_RESULT_* code, *ret_error set when non-zero. */
int cd_cibdb_apply(const VmhaMsg *write, char **ret_error);
int cd_cibdb_dump(char **ret_xml) G_GNUC_WARN_UNUSED_RESULT;
int cd_cibdb_replace(const char *xml) G_GNUC_WARN_UNUSED_RESULT;
/* epoch + 1, saved: a quorate view starts its writes above anything an earlier view left half
 * applied. */
int cd_cibdb_bump(void) G_GNUC_WARN_UNUSED_RESULT;
xmlNode *cd_cibdb_query(void); /* a copy of the whole CIB; free_xml() it */
/* Adds nodes from cmap missing from the initial CIB (only when it was just created). */
int cd_cibdb_seed_nodes(const GPtrArray *nodes) G_GNUC_WARN_UNUSED_RESULT;
/* A NODES write's list; names point into *ret_names. -EINVAL when malformed. */
int cd_cibdb_nodes_parse(const VmhaMsg *m, GArray **ret_refs,
                         GStrv *ret_names) G_GNUC_WARN_UNUSED_RESULT;
/* Whether a NODES write of this list would change the database (a node gone from the list but
 * with VMs recorded stays, so that alone is no difference). */
bool cd_cibdb_nodes_differ(const VmhaNodeRef *want, size_t n);

/* VMHA_F_KV "writeoff=KEY" of a probe write: the operation with that transition key, recorded
 * in flight on the probing node, died with an earlier clusterd there; the probe result ends it. */
#define VMHA_PROBE_WRITEOFF "writeoff="

/* VMHA_F_KV "fenced=EPOCH" of a RESULT write: the origin node's fence epoch
 * (vmha_lrm_fence_epoch) in the copy the operation began from; applying drops a result whose node
 * was fenced since. */
#define VMHA_RESULT_FENCE_EPOCH "fenced="
