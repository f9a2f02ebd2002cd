/* selffence.c: what a node does without quorum (no-quorum-policy, self-fencing; decisions in
 * noquorum.c). It hears quorum changes and a lost corosync connection as events (events.h). */
#pragma once

#include <stdbool.h>

/* run_dir: where selffence.state is kept (a tmpfs: a reboot forgets it). */
void cd_selffence_init(const char *run_dir);
void cd_selffence_finalise(void);
/* Whether the watchdog may be fed: false once this node self-fenced. */
bool cd_selffence_may_feed(void);
/* Whether a clean exit may disarm the watchdog: not while VMs may run here without quorum. */
bool cd_selffence_may_disarm(void);
