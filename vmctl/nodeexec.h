/* vmctl node exec: run a command on a node through its clusterd (root only). Also used by
 * `vmctl cluster update`. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmctl.h"

typedef struct {
    int exit_status; /* the command's; 128 + signal when killed */
    char *message;   /* how it ended, e.g. "exited with status 0" */
    char *output;    /* stdout and stderr as written (the last 64 KiB), NUL-terminated */
    size_t output_len;
    int64_t duration_ms;
} VmctlExecResult;

void vmctl_exec_result_clear(VmctlExecResult *r);

/* Runs command on node and waits for it (timeout_s: the command's timeout on the node). Returns
 * VMHA_RESULT_OK when the command ran, whatever its exit status (*ret filled); else a VMHA_RESULT_*
 * code with the reason printed (it did not run, or whether it ran is unknown), and
 * *ret_target_left (may be NULL) set when node's clusterd left the cluster before answering. */
int vmctl_node_exec(const VmctlOptions *opts, const char *node, const char *command,
                    unsigned timeout_s, VmctlExecResult *ret, bool *ret_target_left);
