/* outbox.c: writes that must be recorded whatever happens (operation results, fencing outcomes):
 * submitted again, a second apart, until the cluster applied them or refused them for good. */
#pragma once

#include "vmha/wire.h"

void cd_outbox_init(void);
/* Writes still waiting are dropped (before sync.c's finalise fails them). */
void cd_outbox_finalise(void);
/* Takes msg (a write) and submits it until it is recorded. */
void cd_outbox_write(VmhaMsg *msg);
