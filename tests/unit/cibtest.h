/* What the database tests share (test-cibdb.c: keeping the database; test-cibwrite.c: its
 * writes): real libcib file-backend copies in a temporary directory (dir, made by setup), three
 * nodes, the usual write requests, and applying one as clusterd does. */
#pragma once

#include <glib.h>

#include "clusterd/cibdb.h"
#include "clusterd/cibwrite.h"
#include "clusterd/corosync.h"

extern char *dir;
/* The CPG view writes are applied in (empty unless a test sets it). */
extern VmhaPeerState members[3];
extern size_t n_members;

int setup(void **state);
int teardown(void **state);
GPtrArray *three_nodes(void); /* n1, n2, n3 as cmap lists them (CdNode*) */
/* Opens the copy in dir/sub (cd_cibdb_init) and gives it the three nodes. */
void open_seeded(const char *sub);
VmhaMsg *add_msg(const char *name, const char *prefer);
VmhaMsg *set_msg(const char *name, const char *kv1, const char *kv2);
VmhaMsg *remove_msg(const char *name);
/* Applies m in the view above and frees it; VMHA_DEBUG=1 prints refusals. */
int apply(VmhaMsg *m);
/* The saved cib.xml of the copy in dir/sub. */
char *file_text(const char *sub);
