/* vmctl node exec NODE [--timeout S] -- COMMAND...: COMMAND runs on NODE through its clusterd
 * (docs/clusterd.md, "Remote exec"); its output is shown here. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "commands.h"
#include "nodeexec.h"
#include "vmattr.h"
#include "wait.h"

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

int vmctl_cmd_node_exec(const VmctlOptions *gopts, int argc, char **argv)
{
    static const struct option long_options[] = {
            {"timeout", required_argument, NULL, 't'},
            {"json", no_argument, NULL, 'j'},
            {NULL, 0, NULL, 0},
    };
    const char *usage = "usage: vmctl node exec NODE [--timeout SECONDS] -- COMMAND...";
    VmctlOptions opts = *gopts;
    unsigned timeout = VMCTL_EXEC_TIMEOUT_S;
    int c;

    /* Options anywhere before "--", everything after it is the command; without "--", options
     * come before NODE and everything after NODE is the command, options and all. */
    int end = argc;
    for (int i = 1; i < argc; i++)
        if (g_str_equal(argv[i], "--")) {
            end = i;
            break;
        }
    optind = 0; /* 0, not 1: glibc then re-reads the optstring (main used "+") */
    while ((c = getopt_long(end, argv, end < argc ? "" : "+", long_options, NULL)) != -1) {
        switch (c) {
        case 't':
            if (vmctl_parse_timeout(optarg, &timeout) < 0 || timeout > VMCTL_EXEC_TIMEOUT_S)
                return vmctl_error(&opts, VMHA_RESULT_USAGE, "bad timeout '%s': 1..%u seconds",
                                   optarg, VMCTL_EXEC_TIMEOUT_S);
            break;
        case 'j':
            opts.json = true;
            break;
        default:
            return vmctl_error(&opts, VMHA_RESULT_USAGE, "%s", usage);
        }
    }
    if (optind >= end)
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "%s", usage);
    const char *node = argv[optind++];
    if (!vmha_node_name_valid(node))
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "bad node name '%s'", node);
    if (end < argc) {
        if (optind != end)
            return vmctl_error(&opts, VMHA_RESULT_USAGE, "%s", usage);
        optind = end + 1;
    }
    if (optind >= argc)
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "%s", usage);
    /* Words are joined with spaces and read by the node's shell, as ssh does. */
    g_autofree char *command = g_strjoinv(" ", argv + optind);
    /* Whether the caller may is clusterd's decision (it checks the peer's credentials). */
    VmctlExecResult res = {0};
    int rc = vmctl_node_exec(&opts, node, command, timeout, &res, NULL);
    if (rc != VMHA_RESULT_OK)
        return rc;
    if (opts.json) {
        g_autofree char *valid = g_utf8_make_valid(res.output, (gssize)res.output_len);
        json_object *o = json_object_new_object();
        json_object_object_add(o, "node", json_object_new_string(node));
        json_object_object_add(o, "command", json_object_new_string(command));
        json_object_object_add(o, "exit_status", json_object_new_int(res.exit_status));
        json_object_object_add(o, "message", json_object_new_string(res.message));
        json_object_object_add(o, "output", json_object_new_string(valid));
        json_object_object_add(o, "duration_ms", json_object_new_int64(res.duration_ms));
        vmctl_print_json(o);
        json_object_put(o);
    } else {
        fwrite(res.output, 1, res.output_len, stdout);
        fflush(stdout);
    }
    int status = res.exit_status;
    g_autofree char *how = g_strdup(res.message);
    vmctl_exec_result_clear(&res);
    if (status != 0)
        return vmctl_fail(VMHA_RESULT_FAILURE, "on %s: %s", node, how);
    return VMHA_RESULT_OK;
}
