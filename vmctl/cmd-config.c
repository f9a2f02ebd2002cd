/* vmctl config set, node set: cluster properties and node capacities (docs/vmctl.md). clusterd
 * checks every value against what the policy engine accepts and applies all pairs or none. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "client.h"
#include "commands.h"
#include "vmattr.h"

/* Sends KEY=VALUE pairs argv[first..] as one CONFIG_SET, for node (or the cluster when NULL). */
static int send_settings(const VmctlOptions *opts, const char *node, int argc, char **argv,
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
    int rc = vmctl_call(opts, req, NULL);
    if (rc == VMHA_RESULT_OK)
        vmctl_print_ok(opts, "set");
    return rc;
}

int vmctl_cmd_config_set(const VmctlOptions *gopts, int argc, char **argv)
{
    VmctlOptions opts = *gopts;
    int first = vmctl_parse_common(&opts, argc, argv, 64);

    if (first < 0 || first >= argc)
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "usage: vmctl config set KEY=VALUE...");
    return send_settings(&opts, NULL, argc, argv, first);
}

int vmctl_cmd_node_set(const VmctlOptions *gopts, int argc, char **argv)
{
    VmctlOptions opts = *gopts;
    int first = vmctl_parse_common(&opts, argc, argv, 64);

    if (first < 0 || argc - first < 2)
        return vmctl_error(&opts, VMHA_RESULT_USAGE,
                           "usage: vmctl node set NODE memory=MIB|cpu=CORES|standby=on|off|"
                           "maintenance=on|off...");
    if (!vmha_node_name_valid(argv[first]))
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "bad node name '%s'", argv[first]);
    return send_settings(&opts, argv[first], argc, argv, first + 1);
}

/* node standby / unstandby / maintenance / unmaintenance NODE: Pacemaker's node attributes. */
static int node_flag(const VmctlOptions *gopts, int argc, char **argv, const char *flag, bool on)
{
    VmctlOptions opts = *gopts;
    int first = vmctl_parse_common(&opts, argc, argv, 1);

    if (first < 0 || first >= argc)
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "usage: vmctl node %s%s NODE", on ? "" : "un",
                           flag);
    if (!vmha_node_name_valid(argv[first]))
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "bad node name '%s'", argv[first]);
    g_autofree char *kv = g_strdup_printf("%s=%s", flag, on ? "on" : "off");
    char *args[] = {kv, NULL};
    return send_settings(&opts, argv[first], 1, args, 0);
}

int vmctl_cmd_node_standby(const VmctlOptions *opts, int argc, char **argv)
{
    return node_flag(opts, argc, argv, "standby", true);
}

int vmctl_cmd_node_unstandby(const VmctlOptions *opts, int argc, char **argv)
{
    return node_flag(opts, argc, argv, "standby", false);
}

int vmctl_cmd_node_maintenance(const VmctlOptions *opts, int argc, char **argv)
{
    return node_flag(opts, argc, argv, "maintenance", true);
}

int vmctl_cmd_node_unmaintenance(const VmctlOptions *opts, int argc, char **argv)
{
    return node_flag(opts, argc, argv, "maintenance", false);
}

/* cluster maintenance on|off: the maintenance-mode property (docs/vmctl.md). */
int vmctl_cmd_cluster_maintenance(const VmctlOptions *gopts, int argc, char **argv)
{
    VmctlOptions opts = *gopts;
    int first = vmctl_parse_common(&opts, argc, argv, 1);

    if (first < 0 || argc - first != 1 ||
        (strcmp(argv[first], "on") != 0 && strcmp(argv[first], "off") != 0))
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "usage: vmctl cluster maintenance on|off");
    char kv[] = "maintenance-mode=true", off[] = "maintenance-mode=";
    char *args[] = {strcmp(argv[first], "on") == 0 ? kv : off, NULL};
    return send_settings(&opts, NULL, 1, args, 0);
}
