/* watchdog.c: the host's watchdog device (or the lab's stand-in); see docs/ARCHITECTURE.md,
 * "Self-fencing and the watchdog". */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "model.h"

#define CD_WATCHDOG_TIMEOUT_S VMHA_WATCHDOG_TIMEOUT_S /* W: the model's validation assumes it */

/* path NULL: no watchdog (returns 0). Opens and arms it, sets its timeout (character devices
 * only), feeds it once. */
int cd_watchdog_init(const char *path, unsigned timeout_s) G_GNUC_WARN_UNUSED_RESULT;
/* disarm: magic close ('V', then close); else closed armed, so the host is reset. */
void cd_watchdog_finalise(bool disarm);
int cd_watchdog_feed(void);
bool cd_watchdog_enabled(void);
unsigned cd_watchdog_timeout(void); /* seconds; 0 without a watchdog */
