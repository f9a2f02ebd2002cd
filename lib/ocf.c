#include "vmha/ocf.h"

const char *vmha_ocf_exit_to_string(int code)
{
    switch (code) {
    case OCF_SUCCESS:
        return "ok";
    case OCF_ERR_GENERIC:
        return "error";
    case OCF_ERR_ARGS:
        return "invalid parameter";
    case OCF_ERR_UNIMPLEMENTED:
        return "unimplemented feature";
    case OCF_ERR_PERM:
        return "insufficient privileges";
    case OCF_ERR_INSTALLED:
        return "not installed";
    case OCF_ERR_CONFIGURED:
        return "not configured";
    case OCF_NOT_RUNNING:
        return "not running";
    case OCF_RUNNING_PROMOTED:
        return "promoted";
    case OCF_FAILED_PROMOTED:
        return "promoted (failed)";
    case OCF_DEGRADED:
        return "OCF_DEGRADED";
    case OCF_DEGRADED_PROMOTED:
        return "promoted (degraded)";
    default:
        return "unknown";
    }
}

VmhaOcfFailureScope vmha_ocf_failure_scope(int code)
{
    switch (code) {
    case OCF_SUCCESS:
    case OCF_NOT_RUNNING:
    case OCF_RUNNING_PROMOTED:
    case OCF_DEGRADED:
    case OCF_DEGRADED_PROMOTED:
        return VMHA_OCF_FAILURE_NONE;
    case OCF_ERR_ARGS:
    case OCF_ERR_UNIMPLEMENTED:
    case OCF_ERR_PERM:
    case OCF_ERR_INSTALLED:
        return VMHA_OCF_FAILURE_HARD_NODE;
    case OCF_ERR_CONFIGURED:
        return VMHA_OCF_FAILURE_HARD_CLUSTER;
    default:
        return VMHA_OCF_FAILURE_SOFT;
    }
}
