/* nodelist.c: the database's nodes follow corosync's nodelist. The leader compares them whenever
 * corosync's list changed (CD_EVENT_NODELIST) and every few seconds, and writes NODES when they
 * differ. */
#pragma once

void cd_nodelist_init(void);
void cd_nodelist_finalise(void);
