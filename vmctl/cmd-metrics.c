/* vmctl metrics [--textfile PATH]: the cluster in Prometheus' text format, from the local
 * clusterd's status and event history (lib/metrics.h; docs/vmctl.md, "metrics"). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "args.h"
#include "atomicwrite.h"
#include "client.h"
#include "commands.h"
#include "metrics.h"

static int ask(const VmctlOptions *opts, uint16_t type, json_object **ret)
{
    g_autoptr(VmhaMsg) req = vmha_msg_new(type);
    return vmctl_call(opts, req, ret);
}

/* The history as events, oldest first. */
static int read_events(const VmctlOptions *opts, json_object *answer, GArray *events)
{
    json_object *arr = vmctl_json_get(answer, "events");

    if (!arr || !json_object_is_type(arr, json_type_array))
        return vmctl_error(opts, VMHA_RESULT_FAILURE, "malformed answer from clusterd");
    for (size_t i = 0; i < json_object_array_length(arr); i++) {
        VmhaEvent ev;
        g_autofree char *why = NULL;
        if (vmha_event_from_json(json_object_array_get_idx(arr, i), &ev, &why) < 0)
            return vmctl_error(opts, VMHA_RESULT_FAILURE, "malformed event from clusterd: %s", why);
        g_array_append_val(events, ev);
    }
    return VMHA_RESULT_OK;
}

static void clear_event(gpointer p)
{
    vmha_event_clear(p);
}

static int collect(const VmctlOptions *opts, char **ret_text)
{
    json_object *status = NULL, *history = NULL;
    g_autoptr(GArray) events = g_array_new(FALSE, FALSE, sizeof(VmhaEvent));
    VmhaMetricsCounts counts;

    g_array_set_clear_func(events, clear_event);
    int rc = ask(opts, VMHA_MSG_STATUS, &status);
    if (rc == VMHA_RESULT_OK)
        rc = ask(opts, VMHA_MSG_EVENTS, &history);
    if (rc == VMHA_RESULT_OK)
        rc = read_events(opts, history, events);
    if (rc == VMHA_RESULT_OK) {
        vmha_metrics_count((const VmhaEvent *)(void *)events->data, events->len, &counts);
        *ret_text = vmha_metrics_text(status, &counts);
    }
    if (status)
        json_object_put(status);
    if (history)
        json_object_put(history);
    return rc;
}

int vmctl_cmd_metrics(const VmctlOptions *gopts, int argc, char **argv)
{
    const char *usage = "usage: vmctl metrics [--textfile FILE.prom]";
    VmctlOptions opts = *gopts;
    const char *textfile = NULL;
    const VmctlArg args[] = {
            VMCTL_ARG("textfile", VMCTL_ARG_STRING, &textfile),
            VMCTL_ARG_END,
    };
    const VmctlArgSpec cmdline = {
            .usage = usage, .min_operands = 0, .max_operands = 0, .args = args};

    if (vmctl_parse_args(&opts, &cmdline, argc, argv) < 0)
        return VMHA_RESULT_USAGE;
    /* node_exporter's textfile collector reads only *.prom; anything else would be ignored
     * without a word. */
    if (textfile && (!g_str_has_suffix(textfile, ".prom") || !g_path_is_absolute(textfile)))
        return vmctl_error(&opts, VMHA_RESULT_USAGE,
                           "bad --textfile '%s': an absolute path ending in .prom", textfile);

    g_autofree char *text = NULL;
    int rc = collect(&opts, &text);
    if (!textfile) {
        if (rc == VMHA_RESULT_OK && opts.json) {
            json_object *o = json_object_new_object();
            json_object_object_add(o, "metrics", json_object_new_string(text));
            vmctl_print_json(o);
            json_object_put(o);
        } else if (rc == VMHA_RESULT_OK) {
            fputs(text, stdout);
        }
        return rc;
    }
    /* For the collector, clusterd not answering is a value too (vmha_up 0), not a stale file. */
    if (rc != VMHA_RESULT_OK)
        text = vmha_metrics_down_text();
    g_autoptr(GError) error = NULL;
    if (vmha_atomic_write(textfile, text, strlen(text), 0644, VMHA_ATOMIC_WRITE_NO_SYNC, &error) <
        0)
        return vmctl_error(&opts, VMHA_RESULT_FAILURE, "%s", error->message);
    if (rc == VMHA_RESULT_OK && opts.json)
        vmctl_print_ok(&opts, "written");
    return rc;
}
