/* alertrun.c: runs the CIB's alert agents (Pacemaker's <alerts>, lib/alerts.h) for the events of
 * the history as they are recorded (docs/ARCHITECTURE.md, "Alerts"). Each agent runs as a child
 * process with its timeout (child.c), never in clusterd's loop; the alerts of one recipient run
 * one at a time, in the order of the events.
 *
 * Which node runs them: a resource alert runs on the node the operation ran on, a node or
 * fencing alert on every member that records the event, as Pacemaker runs them (its controller
 * and fencer on every node raise node and fencing alerts). */
#pragma once

#include <stdbool.h>

void cd_alerts_init(void);
/* Cancels running agents (killed, not waited for beyond child.c's reaping) and drops queued
 * ones. */
void cd_alerts_finalise(void);
