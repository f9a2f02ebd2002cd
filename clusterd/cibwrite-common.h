/* cibwrite-common.c: what the rows of the write table (cibwrite-*.c) share: the row itself,
 * decoding a write's wire fields, looking things up in the database before the write, and
 * changing it. Only the write files use it; other modules use cibwrite.h.
 *
 * A row's three steps, each with the typed struct its decode filled:
 *  - decode: the wire fields into the struct, once, with every check that needs nothing but the
 *    message (a malformed or missing field: VMHA_RESULT_USAGE);
 *  - validate: against the database as it was before the write (unknown names, conflicts);
 *  - apply: the change, through cd_cibdb_*; a refusal found only on the changed copy (the model
 *    does not load) is the apply step's.
 * Each returns VMHA_RESULT_OK or sets *ret_error once (cd_write_fail) and returns the result. */
#pragma once

#include <glib.h>
#include <libxml/tree.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dbsync.h"
#include "vmha/result.h"
#include "vmha/wire.h"

/* Decoding one write: the message, and what the decoded struct points to (freed with it). */
typedef struct {
    const VmhaMsg *msg;
    GPtrArray *owned;
} CdWriteIn;

/* What a write is validated against and applied to. */
typedef struct {
    /* The write's own copy of the whole database before it (freed after the write): validate
     * reads it; apply may change it to build a section it then replaces. */
    xmlNode *cib;
    const VmhaPeerState *members; /* the CPG view the write was delivered in */
    size_t n_members;
} CdWriteCtx;

typedef struct {
    VmhaMsgType type;
    size_t size; /* of the struct decode fills, zeroed before */
    VmhaResult (*decode)(CdWriteIn *in, void *write, char **ret_error);
    VmhaResult (*validate)(const CdWriteCtx *ctx, const void *write,
                           char **ret_error); /* NULL: nothing to check */
    VmhaResult (*apply)(const CdWriteCtx *ctx, const void *write, char **ret_error);
} CdWriteType;

/* Sets *ret_error to the message and returns result. */
VmhaResult cd_write_fail(char **ret_error, VmhaResult result, const char *fmt, ...)
        G_GNUC_PRINTF(3, 4);

/* ---- decoding (the strings stay valid until the write is done) ---- */

/* The string field tag: 0, -ENOENT when there is none, -EBADMSG when it is not text. */
int cd_write_str(CdWriteIn *in, VmhaField tag, const char **ret);
/* Every string field tag, in order: a NULL-terminated vector, empty when there is none; -EBADMSG
 * when one is not text. */
int cd_write_strv(CdWriteIn *in, VmhaField tag, char *const **ret);
/* Keeps p (g_free) or the vector v (g_strfreev) until the write is done; returns it. */
void *cd_write_own(CdWriteIn *in, void *p);
char **cd_write_own_strv(CdWriteIn *in, char **v);
/* The VALUE of the first KEY=VALUE among pairs (NULL-terminated, may be NULL), or NULL. */
const char *cd_write_kv(char *const *pairs, const char *key);
/* The writer's time, F_KV "time=SECONDS": every member records the same time, so that the copies
 * stay identical. -EINVAL when missing or malformed. */
int cd_write_time(CdWriteIn *in, int64_t *ret);

/* F_KV's KEY=VALUE pairs of a settings write (vm set, config set): at least one, else
 * VMHA_RESULT_USAGE "nothing to set". */
VmhaResult cd_write_settings(CdWriteIn *in, char *const **ret_pairs, size_t *ret_n,
                             char **ret_error);

/* ---- the database before the write ---- */

/* VMHA_RESULT_OK, or NOT_FOUND "unknown VM 'NAME'" / "unknown node 'NAME'". */
VmhaResult cd_write_vm_known(xmlNode *cib, const char *name, char **ret_error);
VmhaResult cd_write_node_known(xmlNode *cib, const char *uname, char **ret_error);

/* A primitive, a VM, and their settings: cd_cib_primitive, cd_cib_vm, cd_cib_nvpair (cibread.h). */
/* The id of the node named uname in <nodes>, or NULL. */
const char *cd_write_node_id(xmlNode *cib, const char *uname);
/* The uname of the node with that id in <nodes>, or NULL. */
const char *cd_write_node_uname(xmlNode *cib, const char *id);
/* The node_state with that id in the status section (may be NULL), or NULL. */
xmlNode *cd_write_node_state(xmlNode *status, const char *id);
/* Whether the node has vmha-drain=on. */
bool cd_write_node_draining(xmlNode *cib, const char *uname);
/* Whether some element of the database has that id. */
bool cd_write_id_taken(xmlNode *cib, const char *id);

/* ---- building and changing the database ---- */

/* A set <tag id="OWNER-SUFFIX"> under parent, and an nvpair id="SET_ID-NAME" in it. */
xmlNode *cd_write_add_set(xmlNode *parent, const char *tag, const char *owner, const char *suffix);
void cd_write_add_nvpair(xmlNode *set, const char *name, const char *value);
/* A copy of the status section (an empty one when there is none), to change and replace. */
xmlNode *cd_write_status_copy(xmlNode *cib);
/* Makes the status section copy when changed; frees copy. cib is the write's database before
 * (CdWriteCtx.cib), whose status section must still be libcib's. Through libcib's modify of the
 * entries that changed when a merge gives exactly copy (lib/statusdelta.h), else by replacing
 * the section: the same document either way. On failure *ret_error is "WHAT: libcib's reason". */
VmhaResult cd_write_replace_status(xmlNode *cib, xmlNode *copy, bool changed, const char *what,
                                   char **ret_error);
/* Whether cd_write_replace_status may modify rather than replace (tests compare the two). */
extern bool cd_write_status_delta;
/* How many status writes went through a modify (tests check both paths are taken). */
extern unsigned cd_write_status_modifies;
/* Replaces the configuration section with config (the caller keeps it). */
VmhaResult cd_write_replace_configuration(xmlNode *config, char **ret_error);
/* Replaces one primitive (found by id wherever it is in <resources>) with prim. */
VmhaResult cd_write_replace_primitive(xmlNode *prim, char **ret_error);
/* The result of a cd_cibdb_* call r: VMHA_RESULT_OK, or VMHA_RESULT_FAILURE with *ret_error
 * "WHAT: error's message". */
VmhaResult cd_write_db_result(int r, const GError *error, const char *what, char **ret_error);
/* Removes every constraint naming id (as rsc or with-rsc). */
int cd_write_remove_constraints(xmlNode *cib, const char *id, GError **error);
