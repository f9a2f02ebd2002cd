/* vmctl config show|set: the cluster's properties (docs/vmctl.md), and the request that sets them
 * and node capacities. clusterd checks every value against what the policy engine accepts and
 * applies all pairs or none. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "client.h"
#include "commands.h"

int vmctl_send_settings(const VmctlOptions *opts, const char *node, int argc, char **argv,
                        int first)
{
    g_autoptr(VmhaMsg) req = vmha_msg_new(VMHA_MSG_CONFIG_SET);

    if (node && vmha_msg_add_str(req, VMHA_F_NODE, node) < 0)
        return vmctl_error(opts, VMHA_RESULT_USAGE, "request too large");
    for (int i = first; i < argc; i++) {
        const char *eq = strchr(argv[i], '=');
        if (!eq || eq == argv[i])
            return vmctl_error(opts, VMHA_RESULT_USAGE, "'%s' is not KEY=VALUE", argv[i]);
        if (vmha_msg_add_str(req, VMHA_F_KV, argv[i]) < 0)
            return vmctl_error(opts, VMHA_RESULT_USAGE, "request too large");
    }
    return vmctl_change(opts, req, "set");
}

static void print_properties(json_object *answer)
{
    json_object *props = vmctl_json_get(answer, "properties");

    printf("%-30s %-12s %s\n", "PROPERTY", "VALUE", "SOURCE");
    json_object_object_foreach(props, key, val)
    {
        printf("%-30s %-12s %s\n", key, vmctl_json_str(val, "value"),
               vmctl_json_bool(val, "default") ? "default" : "set");
    }
}

int vmctl_cmd_config_show(const VmctlOptions *opts, int argc, char **argv)
{
    return vmctl_show(opts, argc, argv, VMHA_MSG_CONFIG_SHOW, "vmctl config show [--json]",
                      print_properties);
}

int vmctl_cmd_config_set(const VmctlOptions *gopts, int argc, char **argv)
{
    VmctlOptions opts = *gopts;
    int first = vmctl_parse_common(&opts, argc, argv, 64);

    if (first < 0 || first >= argc)
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "usage: vmctl config set KEY=VALUE...");
    return vmctl_send_settings(&opts, NULL, argc, argv, first);
}
