/* cibdb.c: the local copy of the cluster database, through libcib's file backend: cib.xml and
 * its signature cib.xml.sig on disk (a copy changed behind clusterd's back is quarantined at
 * start), the version and digest sync compares, adopting another node's copy, and the few
 * operations the writes (cibwrite.c) change it with. Every change is saved whole before the
 * caller reports it done.
 *
 * Errors: -errno. Functions that callers report themselves take a GError **error; the others
 * log what failed once (docs/ARCHITECTURE.md, "Conventions"). */
#pragma once

#include <glib.h>
#include <libxml/tree.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dbsync.h"

/* Writes from vmctl that would take the database over this are refused: VMHA_DB_MAX_SIZE (a
 * unit test makes it small). */
extern size_t cd_cibdb_size_limit;

int cd_cibdb_init(const char *state_dir) G_GNUC_WARN_UNUSED_RESULT;
void cd_cibdb_finalise(void);

/* ret_digest may be NULL: the digest costs a dump of the whole document. */
void cd_cibdb_version(VmhaCibVersion *ret_version, char ret_digest[VMHA_DIGEST_LEN + 1]);
int cd_cibdb_dump(char **ret_xml) G_GNUC_WARN_UNUSED_RESULT;
/* Adopts a whole document (a sync copy): -EBADMSG when it is not a CIB. */
int cd_cibdb_replace(const char *xml) G_GNUC_WARN_UNUSED_RESULT;
/* epoch + 1, saved: a quorate view starts its writes above anything an earlier view left half
 * applied. */
int cd_cibdb_bump(void) G_GNUC_WARN_UNUSED_RESULT;
xmlNode *cd_cibdb_query(void); /* a copy of the whole CIB; free_xml() it */
/* The whole CIB as it is now, shared: read it, never change or free it, and never keep it past
 * a change of the database (any write, sync, bump or revert frees it). NULL when not open. */
xmlNode *cd_cibdb_current(void);
/* A copy the caller owns (free_xml() it), for a caller about to change the database: the shared
 * copy when there is one (the change would drop it), so a write costs one copy, not two. */
xmlNode *cd_cibdb_claim(void);
/* Changes with every change of the database (a write, a sync, a bump, a revert): a reader's
 * cache of something derived from it is valid while this stays the same. */
uint64_t cd_cibdb_generation(void);
/* Adds the nodes (CdNode*: cmap's nodelist) to a database nobody has written yet, so that every
 * node seeds the same list. */
int cd_cibdb_seed_nodes(const GPtrArray *nodes) G_GNUC_WARN_UNUSED_RESULT;

/* ---- for the writes (cibwrite.c); changes stay in libcib's copy until cd_cibdb_save ---- */

/* The domain of the errors below: codes are errno values, messages libcib's. */
#define CD_CIBDB_ERROR cd_cibdb_error_quark()
GQuark cd_cibdb_error_quark(void);

/* libcib's create, replace and delete of xml in the section named (XML_CIB_TAG_*): 0, or -errno
 * with *error holding libcib's reason. */
int cd_cibdb_create(const char *section, xmlNode *xml, GError **error) G_GNUC_WARN_UNUSED_RESULT;
int cd_cibdb_replace_section(const char *section, xmlNode *xml,
                             GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* libcib's modify: merges xml into the section (xml names the section or an element in it). */
int cd_cibdb_modify_section(const char *section, xmlNode *xml,
                            GError **error) G_GNUC_WARN_UNUSED_RESULT;
int cd_cibdb_delete(const char *section, xmlNode *xml, GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* The size VMHA_DB_MAX_SIZE bounds: the document as text without the attributes that differ
 * between copies of the same data; the same on every copy. 0 when there is no database. */
size_t cd_cibdb_size(void);
/* Saves libcib's copy as cib.xml (and its signature). */
int cd_cibdb_save(void) G_GNUC_WARN_UNUSED_RESULT;
/* Drops what libcib holds and reads cib.xml again: undoes the changes since the last save. Logs
 * a failure (the database is then closed: every later call fails). */
int cd_cibdb_revert(void);
