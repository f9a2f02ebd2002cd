/* vmctl fence add|remove|set|list: the cluster's fence devices (stonith primitives, docs/CIB.md).
 * Values are checked here for a quick answer and again by clusterd, which is authoritative. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "client.h"
#include "commands.h"
#include "fencedev.h"

/* The request of fence add, remove and set: the device's id, force=on first (where no option
 * can be: the options of fence add follow agent=). A VMHA_RESULT_* code, the reason reported. */
static int fence_request(const VmctlOptions *opts, uint16_t type, const char *id, bool force,
                         VmhaMsg **ret_req)
{
    if (force && geteuid() != 0)
        return vmctl_error(opts, VMHA_RESULT_DENIED,
                           "permission denied: only root may use --force on fence devices");
    g_autoptr(VmhaMsg) req = vmha_msg_new(type);
    if (vmha_msg_add_str(req, VMHA_F_NAME, id) < 0 ||
        (force && vmha_msg_add_str(req, VMHA_F_KV, "force=on") < 0))
        return vmctl_error(opts, VMHA_RESULT_USAGE, "request too large");
    *ret_req = g_steal_pointer(&req);
    return VMHA_RESULT_OK;
}

int vmctl_cmd_fence_add(const VmctlOptions *gopts, int argc, char **argv)
{
    const char *usage =
            "usage: vmctl fence add ID AGENT --hosts NODE[,NODE...] [--force] [NAME=VALUE...]";
    VmctlOptions opts = *gopts;
    const char *hosts = NULL;
    bool force = false;
    const VmctlArg args[] = {
            VMCTL_ARG("hosts", VMCTL_ARG_STRING, &hosts),
            VMCTL_ARG("force", VMCTL_ARG_FLAG, &force),
            VMCTL_ARG_END,
    };
    const VmctlArgSpec cmdline = {
            .usage = usage, .min_operands = 2, .max_operands = -1, .args = args};

    int first = vmctl_parse_args(&opts, &cmdline, argc, argv);
    if (first < 0)
        return VMHA_RESULT_USAGE;
    if (!hosts)
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "%s", usage);
    const char *id = argv[first], *agent = argv[first + 1];
    char **options = argv + first + 2;
    g_auto(GStrv) nodes = NULL;
    g_autofree char *err = NULL;

    if (!vmha_fence_id_valid(id))
        return vmctl_error(&opts, VMHA_RESULT_USAGE,
                           "bad device id '%s': letters, digits, '_', '.', '-' (64 at most)", id);
    if (!vmha_fence_agent_valid(agent))
        return vmctl_error(&opts, VMHA_RESULT_USAGE,
                           "bad fence agent '%s': a name fence_NAME, not a path (clusterd runs "
                           "agents only from its trusted agent directories)",
                           agent);
    if (vmha_fence_hosts_parse(hosts, &nodes) < 0)
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "bad node list '%s': n1,n2,...", hosts);
    if (vmha_fence_options_check((const char *const *)options, &err) < 0)
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "%s", err);

    g_autoptr(VmhaMsg) req = NULL;
    int rc = fence_request(&opts, VMHA_MSG_FENCE_ADD, id, force, &req);
    if (rc != VMHA_RESULT_OK)
        return rc;
    g_autofree char *agent_kv = g_strdup_printf("agent=%s", agent);
    if (vmha_msg_add_str(req, VMHA_F_KV, agent_kv) < 0)
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "request too large");
    for (size_t i = 0; options[i]; i++)
        if (vmha_msg_add_str(req, VMHA_F_KV, options[i]) < 0)
            return vmctl_error(&opts, VMHA_RESULT_USAGE, "request too large");
    for (size_t i = 0; nodes[i]; i++)
        if (vmha_msg_add_str(req, VMHA_F_NODE, nodes[i]) < 0)
            return vmctl_error(&opts, VMHA_RESULT_USAGE, "request too large");
    return vmctl_change(&opts, req, "added");
}

int vmctl_cmd_fence_remove(const VmctlOptions *gopts, int argc, char **argv)
{
    const char *usage = "usage: vmctl fence remove ID [--force]";
    VmctlOptions opts = *gopts;
    bool force = false;
    const VmctlArg args[] = {
            VMCTL_ARG("force", VMCTL_ARG_FLAG, &force),
            VMCTL_ARG_END,
    };

    const char *id = vmctl_parse_operand(&opts, args, usage, VMCTL_WORD_FENCE, argc, argv);
    if (!id)
        return VMHA_RESULT_USAGE;
    g_autoptr(VmhaMsg) req = NULL;
    int rc = fence_request(&opts, VMHA_MSG_FENCE_REMOVE, id, force, &req);
    if (rc != VMHA_RESULT_OK)
        return rc;
    return vmctl_change(&opts, req, "removed");
}

static void print_devices(json_object *answer)
{
    json_object *devices = vmctl_json_get(answer, "devices");

    printf("%-20s %-24s %-20s %s\n", "ID", "AGENT", "HOSTS", "OPTIONS");
    for (size_t i = 0; devices && i < json_object_array_length(devices); i++) {
        json_object *d = json_object_array_get_idx(devices, i), *options = NULL;
        g_autoptr(GString) h = g_string_new(NULL), op = g_string_new(NULL);
        vmctl_json_join(h, d, "hosts", ",");
        json_object_object_get_ex(d, "options", &options);
        if (options) {
            json_object_object_foreach(options, key, val)
            {
                g_string_append_printf(op, "%s%s=%s", op->len ? " " : "", key,
                                       json_object_get_string(val));
            }
        }
        printf("%-20s %-24s %-20s %s\n", vmctl_json_str(d, "id") ?: "-",
               vmctl_json_str(d, "agent") ?: "-", h->len ? h->str : "-", op->len ? op->str : "-");
    }
}

int vmctl_cmd_fence_list(const VmctlOptions *opts, int argc, char **argv)
{
    return vmctl_show(opts, argc, argv, VMHA_MSG_FENCE_LIST, "vmctl fence list [--json]",
                      print_devices);
}

/* vmctl fence set ID --hosts NODE[,NODE...] [--force]: the device's host list becomes exactly
 * these, its agent and options (secrets too) untouched. */
int vmctl_cmd_fence_set(const VmctlOptions *gopts, int argc, char **argv)
{
    const char *usage = "usage: vmctl fence set ID --hosts NODE[,NODE...] [--force]";
    VmctlOptions opts = *gopts;
    const char *hosts = NULL;
    bool force = false;
    const VmctlArg args[] = {
            VMCTL_ARG("hosts", VMCTL_ARG_STRING, &hosts),
            VMCTL_ARG("force", VMCTL_ARG_FLAG, &force),
            VMCTL_ARG_END,
    };

    const char *id = vmctl_parse_operand(&opts, args, usage, VMCTL_WORD_FENCE, argc, argv);
    if (!id)
        return VMHA_RESULT_USAGE;
    if (!hosts)
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "%s", usage);
    g_auto(GStrv) nodes = NULL;
    if (vmha_fence_hosts_parse(hosts, &nodes) < 0)
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "bad node list '%s': n1,n2,...", hosts);

    g_autoptr(VmhaMsg) req = NULL;
    int rc = fence_request(&opts, VMHA_MSG_FENCE_SET, id, force, &req);
    if (rc != VMHA_RESULT_OK)
        return rc;
    for (size_t i = 0; nodes[i]; i++)
        if (vmha_msg_add_str(req, VMHA_F_NODE, nodes[i]) < 0)
            return vmctl_error(&opts, VMHA_RESULT_USAGE, "request too large");
    return vmctl_change(&opts, req, "set");
}
