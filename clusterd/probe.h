/* probe.c: probes every VM on this node once in sync with a quorate cluster (start-up, membership
 * and quorum changes) and records the results in the status section through a replicated write
 * (VMHA_MSG_PROBE). It subscribes to the events that call for a probe (events.h). */
#pragma once

void cd_probe_init(void);
void cd_probe_finalise(void);
/* Asks for a probe of one VM (run from the main loop; ignored while out of sync or not quorate). */
void cd_probe_trigger_vm(const char *name);
/* The operation recorded pending here under this transition key will not be run by this process
 * (an earlier clusterd's, or one a partition without quorum may not start): the next probe of its
 * VM writes it off (VMHA_PROBE_WRITEOFF). */
void cd_probe_write_off(const char *key);
