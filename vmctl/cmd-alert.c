/* vmctl alert add|remove|list: Pacemaker's alerts (<alerts> in the CIB), whose agents clusterd
 * runs for the events of the history (docs/vmctl.md, "alert"). Values are checked here for a
 * quick answer and again by clusterd, which is authoritative. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "alerts.h"
#include "args.h"
#include "client.h"
#include "commands.h"

int vmctl_cmd_alert_add(const VmctlOptions *gopts, int argc, char **argv)
{
    const char *usage = "usage: vmctl alert add ID PATH [--recipient VALUE]... [--timeout "
                        "DURATION] [--timestamp-format FORMAT] [--select KIND[,KIND...]] "
                        "[--option NAME=VALUE]...";
    VmctlOptions opts = *gopts;
    const char *timeout = NULL, *format = NULL, *select = NULL;
    g_autoptr(GPtrArray) recipients = g_ptr_array_new();
    g_autoptr(GPtrArray) options = g_ptr_array_new();
    const VmctlArg args[] = {
            VMCTL_ARG("recipient", VMCTL_ARG_LIST, recipients),
            VMCTL_ARG("timeout", VMCTL_ARG_STRING, &timeout),
            VMCTL_ARG("timestamp-format", VMCTL_ARG_STRING, &format),
            VMCTL_ARG("select", VMCTL_ARG_STRING, &select),
            VMCTL_ARG("option", VMCTL_ARG_LIST, options),
            VMCTL_ARG_END,
    };
    const VmctlArgSpec cmdline = {
            .usage = usage, .min_operands = 2, .max_operands = 2, .args = args};

    int first = vmctl_parse_args(&opts, &cmdline, argc, argv);
    if (first < 0)
        return VMHA_RESULT_USAGE;
    const char *id = argv[first], *path = argv[first + 1];
    if (!vmha_alert_id_valid(id))
        return vmctl_error(&opts, VMHA_RESULT_USAGE,
                           "bad alert id '%s': a letter or '_', then letters, digits, '_', '.', "
                           "'-' (64 at most)",
                           id);
    if (geteuid() != 0)
        return vmctl_error(&opts, VMHA_RESULT_DENIED,
                           "permission denied: only root may change alerts (their agents run as "
                           "root)");

    g_autoptr(GPtrArray) pairs = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(pairs, g_strdup_printf("path=%s", path));
    if (timeout)
        g_ptr_array_add(pairs, g_strdup_printf("timeout=%s", timeout));
    if (format)
        g_ptr_array_add(pairs, g_strdup_printf("timestamp-format=%s", format));
    if (select)
        g_ptr_array_add(pairs, g_strdup_printf("select=%s", select));
    for (guint i = 0; i < recipients->len; i++)
        g_ptr_array_add(pairs,
                        g_strdup_printf("recipient=%s", (char *)g_ptr_array_index(recipients, i)));
    for (guint i = 0; i < options->len; i++)
        g_ptr_array_add(pairs, g_strdup_printf("option=%s", (char *)g_ptr_array_index(options, i)));
    g_ptr_array_add(pairs, NULL);

    VmhaAlertSpec spec;
    g_autofree char *err = NULL;
    if (vmha_alert_spec_parse((char *const *)pairs->pdata, &spec, &err) < 0)
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "%s", err);
    vmha_alert_spec_clear(&spec);
    if (access(path, X_OK) < 0)
        vmctl_warning(&opts,
                      "%s is not executable here; clusterd runs it on every node, so it must be "
                      "there",
                      path);
    g_autoptr(VmhaMsg) req = vmha_msg_new(VMHA_MSG_ALERT_ADD);
    if (vmha_msg_add_str(req, VMHA_F_NAME, id) < 0)
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "request too large");
    for (guint i = 0; pairs->pdata[i]; i++)
        if (vmha_msg_add_str(req, VMHA_F_KV, g_ptr_array_index(pairs, i)) < 0)
            return vmctl_error(&opts, VMHA_RESULT_USAGE, "request too large");
    return vmctl_change(&opts, req, "added");
}

int vmctl_cmd_alert_remove(const VmctlOptions *gopts, int argc, char **argv)
{
    const char *usage = "usage: vmctl alert remove ID";
    VmctlOptions opts = *gopts;
    const VmctlArg args[] = {VMCTL_ARG_END};

    const char *id = vmctl_parse_operand(&opts, args, usage, VMCTL_WORD_TEXT, argc, argv);
    if (!id)
        return VMHA_RESULT_USAGE;
    if (!vmha_alert_id_valid(id))
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "bad alert id '%s'", id);
    if (geteuid() != 0)
        return vmctl_error(&opts, VMHA_RESULT_DENIED,
                           "permission denied: only root may change alerts (their agents run as "
                           "root)");
    g_autoptr(VmhaMsg) req = vmha_msg_new(VMHA_MSG_ALERT_REMOVE);
    if (vmha_msg_add_str(req, VMHA_F_NAME, id) < 0)
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "request too large");
    return vmctl_change(&opts, req, "removed");
}

static void print_alerts(json_object *answer)
{
    json_object *alerts = vmctl_json_get(answer, "alerts");

    printf("%-16s %-44s %-24s %s\n", "ID", "PATH", "KINDS", "RECIPIENTS");
    for (size_t i = 0; alerts && i < json_object_array_length(alerts); i++) {
        json_object *a = json_object_array_get_idx(alerts, i), *recips = NULL;
        g_autoptr(GString) k = g_string_new(NULL), r = g_string_new(NULL);
        vmctl_json_join(k, a, "kinds", ",");
        json_object_object_get_ex(a, "recipients", &recips);
        for (size_t j = 0; recips && j < json_object_array_length(recips); j++)
            g_string_append_printf(r, "%s%s", j ? " " : "",
                                   vmctl_json_str(json_object_array_get_idx(recips, j), "value")
                                           ?: "?");
        json_object *enabled = vmctl_json_get(a, "enabled");
        if (enabled && !json_object_get_boolean(enabled))
            g_string_append(k, " (disabled)");
        printf("%-16s %-44s %-24s %s\n", vmctl_json_str(a, "id") ?: "-",
               vmctl_json_str(a, "path") ?: "-", k->len ? k->str : "-", r->len ? r->str : "-");
    }
}

int vmctl_cmd_alert_list(const VmctlOptions *opts, int argc, char **argv)
{
    return vmctl_show(opts, argc, argv, VMHA_MSG_ALERT_LIST, "vmctl alert list [--json]",
                      print_alerts);
}
