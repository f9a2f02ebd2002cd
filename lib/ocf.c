#include <glib.h>
#include <string.h>

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

/* The last "ocf-exit-reason:" line, reduced to printable ASCII so it can go into the database
 * and logs whatever the agent wrote. */
char *vmha_ocf_exit_reason(const char *err, size_t len)
{
    const char *found = NULL;
    const char *end = err + len;

    for (const char *line = err; line < end;) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        const char *line_end = nl ? nl : end;
        size_t tag = strlen(VMHA_OCF_EXIT_REASON_TAG);
        if ((size_t)(line_end - line) >= tag && memcmp(line, VMHA_OCF_EXIT_REASON_TAG, tag) == 0)
            found = line + tag;
        line = nl ? nl + 1 : end;
    }
    GString *s = g_string_new(NULL);
    for (const char *c = found; c && c < end && *c != '\n' && s->len < VMHA_OCF_EXIT_REASON_MAX;
         c++)
        if (g_ascii_isprint(*c))
            g_string_append_c(s, *c);
    return g_strstrip(g_string_free(s, FALSE));
}
