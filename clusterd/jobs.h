/* jobs.c: every node runs the operations the database records pending on it and keeps recurring
 * monitors on its VMs; results go back as RESULT writes (docs/ARCHITECTURE.md, "Recovery"). It
 * acts on CD_EVENT_SYNCED and CD_EVENT_APPLIED (events.h). */
#pragma once

void cd_jobs_init(void);
void cd_jobs_finalise(void);
