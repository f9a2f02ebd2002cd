/* OCF resource agent API constants shared by the agents and by clusterd, which runs them.
 * Values are those of the OCF Resource Agent API 1.1 and Pacemaker's ocf-returncodes. */
#pragma once

#include <stddef.h>

typedef enum {
    OCF_SUCCESS = 0,
    OCF_ERR_GENERIC = 1,
    OCF_ERR_ARGS = 2,
    OCF_ERR_UNIMPLEMENTED = 3,
    OCF_ERR_PERM = 4,
    OCF_ERR_INSTALLED = 5,
    OCF_ERR_CONFIGURED = 6,
    OCF_NOT_RUNNING = 7,
    OCF_RUNNING_PROMOTED = 8,
    OCF_FAILED_PROMOTED = 9,
    OCF_DEGRADED = 190,
    OCF_DEGRADED_PROMOTED = 191,
} OcfExitCode;

/* Where agents are installed below OCF_ROOT, and our provider's name. */
#define VMHA_OCF_PROVIDER "vmha"
#define VMHA_OCF_AGENT_VM "vm"

const char *vmha_ocf_exit_to_string(int code);
/* Hard errors make a resource ineligible on the node (OCF_ERR_ARGS..OCF_ERR_INSTALLED) or anywhere
 * (OCF_ERR_CONFIGURED); soft ones only count towards migration-threshold. */
typedef enum {
    VMHA_OCF_FAILURE_NONE,
    VMHA_OCF_FAILURE_SOFT,
    VMHA_OCF_FAILURE_HARD_NODE,
    VMHA_OCF_FAILURE_HARD_CLUSTER,
} VmhaOcfFailureScope;
VmhaOcfFailureScope vmha_ocf_failure_scope(int code);

/* An agent's exit reason: the rest of its last stderr line that starts with this tag, as
 * Pacemaker's ocf_exit_reason writes it. */
#define VMHA_OCF_EXIT_REASON_TAG "ocf-exit-reason:"
#define VMHA_OCF_EXIT_REASON_MAX 128
/* The exit reason in an agent's stderr (len bytes, any content): printable ASCII only, at most
 * VMHA_OCF_EXIT_REASON_MAX bytes, spaces stripped; "" when there is none (g_free). */
char *vmha_ocf_exit_reason(const char *err, size_t len);

/* How the vm agent's exit reason starts when it blames a failed start or restore (migrate_from)
 * on shared storage this node cannot reach (the domain's config or a disk): clusterd clears the
 * failure counts such a failure left on the node once the agent's validate-all passes there
 * again (docs/RELIABILITY.md, "Storage loss"). */
#define VMHA_OCF_STORAGE_UNREACHABLE "shared storage unreachable here"
