/* outbox.c: writes that must be recorded whatever happens (operation results, fencing outcomes):
 * submitted again, a second apart, until the cluster applied them or refused them for good. */
#pragma once

#include <glib.h>

#include "vmha/wire.h"

void cd_outbox_init(void);
/* Writes still waiting are dropped (before sync.c's finalise fails them). */
void cd_outbox_finalise(void);
/* Takes msg (a write) and submits it until it is recorded. */
void cd_outbox_write(VmhaMsg *msg);
/* Called once the write is recorded, or refused for good (rc, a VMHA_RESULT_*); not after
 * cd_outbox_finalise. */
typedef void (*CdOutboxDone)(void *ctx, int rc);
/* The same, calling done(ctx, rc) at the end; ctx_free (may be NULL) frees ctx after it, or when
 * the write is dropped at cd_outbox_finalise. */
void cd_outbox_write_full(VmhaMsg *msg, CdOutboxDone done, void *ctx, GDestroyNotify ctx_free);
