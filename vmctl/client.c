#include "config.h"

#include <stdio.h>
#include <string.h>

#include "client.h"
#include "commands.h"
#include "fencedev.h"
#include "ipcclient.h"

/* A write waits for a quorum of nodes; clusterd gives up after 30 s itself. */
#define REPLY_TIMEOUT_MS 60000

int vmctl_request(const VmctlOptions *opts, const VmhaMsg *req, VmhaMsg **ret_reply)
{
    return vmctl_request_timeout(opts, req, REPLY_TIMEOUT_MS, ret_reply);
}

static char *command_line;

void vmctl_set_command_line(int argc, char *const *argv)
{
    GString *line = g_string_new("vmctl");

    for (int i = 1; i < argc; i++) {
        /* A fence device's password stays out of the event history (anyone may read it). */
        const char *eq = strchr(argv[i], '=');
        g_autofree char *key = eq ? g_strndup(argv[i], (size_t)(eq - argv[i])) : NULL;
        g_autofree char *word = key && vmha_fence_option_is_secret(key)
                                        ? g_strdup_printf("%s=(hidden)", key)
                                        : g_strdup(argv[i]);
        bool plain = *word && strspn(word, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                           "0123456789-_=.,:/@%+") == strlen(word);
        g_autofree char *quoted = plain ? NULL : g_shell_quote(word);
        g_string_append_printf(line, " %s", plain ? word : quoted);
    }
    g_free(command_line);
    command_line = g_string_free(line, FALSE);
}

int vmctl_request_any(const VmctlOptions *opts, const VmhaMsg *orig, int timeout_ms,
                      VmhaMsg **ret_reply, int *ret_rc, char **ret_message)
{
    /* A write carries the command line that asked for it: the event history shows it. */
    g_autoptr(VmhaMsg) with_command = NULL;
    const VmhaMsg *req = orig;
    if (command_line && vmha_msg_type_is_write(orig->type) &&
        !vmha_msg_get(orig, VMHA_F_CALLER_COMMAND)) {
        with_command = vmha_msg_new(orig->type);
        if (vmha_msg_copy_fields(with_command, orig) == 0 &&
            vmha_msg_add_str(with_command, VMHA_F_CALLER_COMMAND, command_line) == 0)
            req = with_command;
    }

    g_autofree char *error = NULL;
    switch (vmha_ipc_exchange(opts->socket, req, timeout_ms, ret_reply, ret_rc, ret_message,
                              &error)) {
    case VMHA_IPC_OK:
        return VMHA_RESULT_OK;
    case VMHA_IPC_BAD_REQUEST:
        return vmctl_error(opts, VMHA_RESULT_USAGE, "%s", error);
    case VMHA_IPC_NO_DAEMON:
    case VMHA_IPC_LOST:
        return vmctl_error(opts, VMHA_RESULT_NO_DAEMON, "%s", error);
    case VMHA_IPC_TIMEOUT:
    case VMHA_IPC_MALFORMED:
        break;
    }
    return vmctl_error(opts, VMHA_RESULT_FAILURE, "%s", error);
}

int vmctl_request_timeout(const VmctlOptions *opts, const VmhaMsg *req, int timeout_ms,
                          VmhaMsg **ret_reply)
{
    g_autoptr(VmhaMsg) reply = NULL;
    g_autofree char *message = NULL;
    int rc = 0;
    int r = vmctl_request_any(opts, req, timeout_ms, &reply, &rc, &message);

    if (r != VMHA_RESULT_OK)
        return r;
    if (rc != VMHA_RESULT_OK)
        return vmctl_error(opts, rc, "%s", message);
    *ret_reply = g_steal_pointer(&reply);
    return VMHA_RESULT_OK;
}

int vmctl_call(const VmctlOptions *opts, const VmhaMsg *req, json_object **ret_json)
{
    g_autoptr(VmhaMsg) reply = NULL;
    g_autofree char *json = NULL;
    int rc = vmctl_request(opts, req, &reply);

    if (rc != VMHA_RESULT_OK)
        return rc;
    if (ret_json && vmha_msg_get_str(reply, VMHA_F_JSON, &json) == 0) {
        json_object *o = json_tokener_parse(json);
        if (!o)
            return vmctl_error(opts, VMHA_RESULT_FAILURE, "malformed JSON from clusterd");
        *ret_json = o;
    }
    return VMHA_RESULT_OK;
}

int vmctl_change(const VmctlOptions *opts, const VmhaMsg *req, const char *done)
{
    int rc = vmctl_call(opts, req, NULL);

    if (rc == VMHA_RESULT_OK)
        vmctl_print_ok(opts, done);
    return rc;
}

int vmctl_load_live_model(const VmctlOptions *opts, const char *who, VmhaModel **ret_model)
{
    g_autoptr(VmhaMsg) req = vmha_msg_new(VMHA_MSG_CIB_QUERY);
    g_autoptr(VmhaMsg) reply = NULL;
    g_autoptr(GError) error = NULL;
    int rc = vmctl_request(opts, req, &reply);
    if (rc != VMHA_RESULT_OK)
        return rc;
    const VmhaWireField *cib = vmha_msg_get(reply, VMHA_F_CIB);
    if (!cib)
        return vmctl_error(opts, VMHA_RESULT_FAILURE, "%s: clusterd sent no database", who);
    if (vmha_model_parse((const char *)cib->data, cib->len, ret_model, &error) < 0)
        return vmctl_error(opts, VMHA_RESULT_FAILURE, "%s: the live database: %s", who,
                           error->message);
    return VMHA_RESULT_OK;
}

json_object *vmctl_json_get(json_object *o, const char *key)
{
    json_object *v = NULL;
    return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

const char *vmctl_json_str(json_object *o, const char *key)
{
    json_object *v = vmctl_json_get(o, key);
    return v ? json_object_get_string(v) : NULL;
}

bool vmctl_json_bool(json_object *o, const char *key)
{
    json_object *v = vmctl_json_get(o, key);
    return v && json_object_get_boolean(v);
}

int64_t vmctl_json_int(json_object *o, const char *key)
{
    json_object *v = vmctl_json_get(o, key);
    return v ? json_object_get_int64(v) : 0;
}

void vmctl_json_join(GString *out, json_object *o, const char *key, const char *sep)
{
    json_object *arr = vmctl_json_get(o, key);

    for (size_t i = 0; arr && i < json_object_array_length(arr); i++)
        g_string_append_printf(out, "%s%s", i ? sep : "",
                               json_object_get_string(json_object_array_get_idx(arr, i)));
}

json_object *vmctl_find_named(json_object *arr, const char *name)
{
    for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
        json_object *e = json_object_array_get_idx(arr, i);
        const char *n = vmctl_json_str(e, "name");
        if (n && g_strcmp0(n, name) == 0)
            return e;
    }
    return NULL;
}

int vmctl_show(const VmctlOptions *gopts, int argc, char **argv, uint16_t type, const char *usage,
               void (*table)(json_object *answer))
{
    VmctlOptions opts = *gopts;
    g_autoptr(VmhaMsg) req = vmha_msg_new(type);
    json_object *o = NULL;

    if (vmctl_parse_common(&opts, argc, argv, 0) < 0)
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "usage: %s", usage);
    int rc = vmctl_call(&opts, req, &o);
    if (rc != VMHA_RESULT_OK)
        return rc;
    if (opts.json)
        vmctl_print_json(o);
    else
        table(o);
    json_object_put(o);
    return VMHA_RESULT_OK;
}
