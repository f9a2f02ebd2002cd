/* leader.c: while this node leads, it turns the policy engine's plans into fencing and ACTIONS
 * writes (docs/ARCHITECTURE.md, "Recovery"). It plans on the events that may change the plan
 * (events.h) and on a timer. */
#pragma once

void cd_leader_init(void);
void cd_leader_finalise(void);
