/* Running a command on a node through its clusterd (docs/clusterd.md, "Remote exec"): for
 * `vmctl node exec` and `vmctl cluster update`. */
#include "config.h"

#include <string.h>

#include "client.h"
#include "nodeexec.h"

/* clusterd answers at the latest 35 s after the command's timeout; this is only a backstop. */
#define EXEC_REPLY_SLACK_S 60

void vmctl_exec_result_clear(VmctlExecResult *r)
{
    g_clear_pointer(&r->message, g_free);
    g_clear_pointer(&r->output, g_free);
    r->output_len = 0;
}

int vmctl_node_exec(const VmctlOptions *opts, const char *node, const char *command,
                    unsigned timeout_s, VmctlExecResult *ret, bool *ret_target_left)
{
    g_autoptr(VmhaMsg) req = vmha_msg_new(VMHA_MSG_NODE_EXEC);
    g_autoptr(VmhaMsg) reply = NULL;
    g_autofree char *kv = g_strdup_printf("timeout=%u", timeout_s);
    g_autofree char *message = NULL;
    g_auto(GStrv) kvs = NULL;
    uint64_t status = 0;

    if (vmha_msg_add_str(req, VMHA_F_NODE, node) < 0 ||
        vmha_msg_add_str(req, VMHA_F_COMMAND, command) < 0 ||
        vmha_msg_add_str(req, VMHA_F_KV, kv) < 0)
        return vmctl_error(opts, VMHA_RESULT_USAGE, "the command is too long");
    int answer = 0;
    int rc = vmctl_request_any(opts, req, (int)(timeout_s + EXEC_REPLY_SLACK_S) * 1000, &reply,
                               &answer, &message);
    if (rc != VMHA_RESULT_OK)
        return rc;
    if (answer != VMHA_RESULT_OK) {
        if (ret_target_left && vmha_msg_get(reply, VMHA_F_KV) &&
            vmha_msg_get_strv(reply, VMHA_F_KV, &kvs) == 0 &&
            g_strv_contains((const char *const *)kvs, "target=left"))
            *ret_target_left = true;
        return vmctl_error(opts, answer, "%s", message);
    }
    g_clear_pointer(&message, g_free);
    const VmhaWireField *out = vmha_msg_get(reply, VMHA_F_OUTPUT);
    if (vmha_msg_get_u64(reply, VMHA_F_EXIT_STATUS, &status) < 0 || !out ||
        vmha_msg_get_str(reply, VMHA_F_MESSAGE, &message) < 0)
        return vmctl_error(opts, VMHA_RESULT_FAILURE,
                           "malformed answer from clusterd; the command may have run on %s", node);
    ret->exit_status = (int)(int64_t)status;
    ret->message = g_steal_pointer(&message);
    ret->output = g_memdup2(out->data, (gsize)out->len + 1); /* the codec adds the NUL */
    ret->output_len = out->len;
    ret->duration_ms = 0;
    if (vmha_msg_get(reply, VMHA_F_KV) && vmha_msg_get_strv(reply, VMHA_F_KV, &kvs) == 0)
        for (size_t i = 0; kvs[i]; i++)
            if (g_str_has_prefix(kvs[i], "duration_ms="))
                ret->duration_ms = g_ascii_strtoll(kvs[i] + strlen("duration_ms="), NULL, 10);
    return VMHA_RESULT_OK;
}
