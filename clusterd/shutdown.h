/* shutdown.c: a planned shutdown drains this node first (shutdown policies), and the next start
 * ends that drain once this node is in sync again (it subscribes to CD_EVENT_SYNCED). */
#pragma once

#include <glib.h>

/* timeout_s: how long a shutdown waits for this node's VMs to leave (--shutdown-timeout). */
void cd_shutdown_init(GMainLoop *loop, unsigned timeout_s);
void cd_shutdown_finalise(void);
/* On SIGTERM/SIGINT; a second call quits at once. */
void cd_shutdown_begin(void);
