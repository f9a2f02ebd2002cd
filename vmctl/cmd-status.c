/* vmctl status, node list, config show: read-only views from the local clusterd. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "client.h"
#include "commands.h"

/* Commands take no options of their own but --json, which may also follow the command name. */
int vmctl_parse_common(VmctlOptions *opts, int argc, char **argv, int max_args)
{
    static const struct option long_options[] = {
            {"json", no_argument, NULL, 'j'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
    };
    int c;

    optind = 0; /* 0, not 1: glibc then re-reads the optstring (main used "+") */
    while ((c = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
        if (c == 'j')
            opts->json = true;
        else
            return -1;
    }
    if (argc - optind > max_args)
        return -1;
    return optind;
}

static const char *str(json_object *o, const char *key)
{
    json_object *v = NULL;
    if (!json_object_object_get_ex(o, key, &v) || !v)
        return NULL;
    return json_object_get_string(v);
}

static bool boolean(json_object *o, const char *key)
{
    json_object *v = NULL;
    return json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

static int64_t integer(json_object *o, const char *key)
{
    json_object *v = NULL;
    return json_object_object_get_ex(o, key, &v) && v ? json_object_get_int64(v) : 0;
}

static json_object *get(json_object *o, const char *key)
{
    json_object *v = NULL;
    return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static int simple_call(const VmctlOptions *opts, uint16_t type, json_object **ret)
{
    g_autoptr(VmhaMsg) req = vmha_msg_new(type);
    return vmctl_call(opts, req, ret);
}

static void print_nodes(json_object *nodes)
{
    printf("%-6s %-16s %-8s %-9s %s\n", "ID", "NAME", "ONLINE", "CLUSTERD", "ROLE");
    for (size_t i = 0; nodes && i < json_object_array_length(nodes); i++) {
        json_object *n = json_object_array_get_idx(nodes, i);
        printf("%-6" PRId64 " %-16s %-8s %-9s %s%s\n", integer(n, "id"), str(n, "name"),
               boolean(n, "online") ? "yes" : "no", boolean(n, "clusterd") ? "yes" : "no",
               boolean(n, "leader") ? "leader" : "-", boolean(n, "local") ? " (local)" : "");
    }
}

int vmctl_cmd_status(const VmctlOptions *gopts, int argc, char **argv)
{
    VmctlOptions opts = *gopts;
    json_object *o = NULL;

    if (vmctl_parse_common(&opts, argc, argv, 0) < 0)
        return vmctl_fail(VMCTL_EXIT_USAGE, "usage: vmctl status [--json]");
    int rc = simple_call(&opts, VMHA_MSG_STATUS, &o);
    if (rc != VMCTL_EXIT_OK)
        return rc;
    if (opts.json) {
        vmctl_print_json(o);
        json_object_put(o);
        return VMCTL_EXIT_OK;
    }
    json_object *local = get(o, "local_node"), *leader = get(o, "leader"), *db = get(o, "database");
    printf("Node:     %s (id %" PRId64 ")\n", local ? str(local, "name") : "?",
           local ? integer(local, "id") : 0);
    if (boolean(o, "corosync"))
        printf("Quorum:   %s (%" PRId64 " votes needed of %" PRId64 " expected)\n",
               boolean(o, "quorate") ? "yes" : "NO", integer(o, "quorum_votes"),
               integer(o, "expected_votes"));
    else
        printf("Quorum:   NO (not connected to corosync)\n");
    printf("Leader:   %s\n", leader ? str(leader, "name") : "none");
    printf("Database: %s, version %" PRId64 ".%" PRId64 ".%" PRId64 ", digest %.12s, %" PRId64
           " VMs\n",
           boolean(db, "in_sync") ? "in sync" : "NOT in sync", integer(db, "admin_epoch"),
           integer(db, "epoch"), integer(db, "num_updates"), str(db, "digest"),
           integer(o, "vm_count"));
    printf("\n");
    print_nodes(get(o, "nodes"));
    json_object_put(o);
    return VMCTL_EXIT_OK;
}

int vmctl_cmd_node_list(const VmctlOptions *gopts, int argc, char **argv)
{
    VmctlOptions opts = *gopts;
    json_object *o = NULL;

    if (vmctl_parse_common(&opts, argc, argv, 0) < 0)
        return vmctl_fail(VMCTL_EXIT_USAGE, "usage: vmctl node list [--json]");
    int rc = simple_call(&opts, VMHA_MSG_NODE_LIST, &o);
    if (rc != VMCTL_EXIT_OK)
        return rc;
    if (opts.json)
        vmctl_print_json(o);
    else
        print_nodes(get(o, "nodes"));
    json_object_put(o);
    return VMCTL_EXIT_OK;
}

int vmctl_cmd_config_show(const VmctlOptions *gopts, int argc, char **argv)
{
    VmctlOptions opts = *gopts;
    json_object *o = NULL;

    if (vmctl_parse_common(&opts, argc, argv, 0) < 0)
        return vmctl_fail(VMCTL_EXIT_USAGE, "usage: vmctl config show [--json]");
    int rc = simple_call(&opts, VMHA_MSG_CONFIG_SHOW, &o);
    if (rc != VMCTL_EXIT_OK)
        return rc;
    if (opts.json) {
        vmctl_print_json(o);
        json_object_put(o);
        return VMCTL_EXIT_OK;
    }
    json_object *props = get(o, "properties");
    printf("%-30s %-12s %s\n", "PROPERTY", "VALUE", "SOURCE");
    json_object_object_foreach(props, key, val)
    {
        printf("%-30s %-12s %s\n", key, str(val, "value"),
               boolean(val, "default") ? "default" : "set");
    }
    json_object_put(o);
    return VMCTL_EXIT_OK;
}
