/* Maps libvirt's (state, reason) of a domain to the OCF monitor result. Pure. */
#pragma once

/* OCF_SUCCESS while the guest runs (also paused by a user or for a save/migration, or suspended by
 * the guest), OCF_NOT_RUNNING when it was shut down, saved or migrated away, OCF_ERR_GENERIC when
 * it crashed or was paused by an error (I/O error, watchdog, panic, ...). */
int vm_state_to_ocf(int state, int reason);
const char *vm_state_to_string(int state);
