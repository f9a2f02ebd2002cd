/* catchup.c: a node that was away gets the history of the writes it missed (docs/ARCHITECTURE.md,
 * "Event history", "A node that was away"). After each quorate view's epoch bump every member
 * says over CPG how far its history goes (VMHA_MSG_HISTORY); once all have, the member with the
 * longest sends the missing range in batches, in the total order, and the others put what they
 * lack in its place (history.c). */
#pragma once

void cd_catchup_init(void);
void cd_catchup_finalise(void);
