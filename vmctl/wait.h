/* --wait for vmctl commands: poll clusterd's status until done. */
#pragma once

#include <json-c/json.h>

#include "client.h"

/* Looks at one `status --json` snapshot: returns 1 when done, -1 when it failed for good, 0 to
 * keep waiting; *ret_line is a progress line (printed when it differs from the last one). */
typedef int (*VmctlWaitFn)(json_object *status, void *ctx, char **ret_line);

/* Polls until check says done (VMHA_RESULT_OK) or failed (VMHA_RESULT_FAILURE); -ETIMEDOUT at the
 * deadline; another VMHA_RESULT_* when clusterd cannot be asked (reason printed). */
int vmctl_wait(const VmctlOptions *opts, unsigned timeout_s, VmctlWaitFn check, void *ctx);

/* Seconds, 1..86400. */
int vmctl_parse_timeout(const char *s, unsigned *ret);
