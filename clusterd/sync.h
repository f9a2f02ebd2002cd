/* sync.c: replication of the cluster database over CPG in total order; the sync after every
 * membership change; writes and their acknowledgements (docs/clusterd.md, "Replication"). It
 * hears corosync's events and publishes its own: CD_EVENT_SYNCED once this node's copy is in
 * sync with its view, CD_EVENT_APPLIED after each write applied here. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dbsync.h"
#include "vmha/wire.h"

void cd_sync_init(void);
void cd_sync_finalise(void);
bool cd_sync_in_sync(void);
/* The current CPG view, "nodeid:pid,...": actions planned in another view are refused. */
const char *cd_sync_view_key(void);
/* The leader of this view: 0 while out of sync or without quorum. */
uint32_t cd_sync_leader(void);
/* Members of the current CPG view, with their sync flags. */
const VmhaPeerState *cd_sync_members(size_t *ret_n);

typedef void (*CdWriteDone)(void *ctx, int rc, const char *message);
/* Replicates a write request (from vmctl, or a module's own); done is called exactly once (maybe
 * synchronously) with a VMHA_RESULT_* code. */
void cd_sync_submit(const VmhaMsg *request, CdWriteDone done, void *ctx);
/* The client went away: done must not be called for ctx any more. */
void cd_sync_forget(void *ctx);
