/* vmctl vm add|remove|set|list. Values are checked here for a quick answer and again by clusterd,
 * which is authoritative. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "commands.h"
#include "vmattr.h"

int vmctl_cmd_vm_add(const VmctlOptions *gopts, int argc, char **argv)
{
    static const struct option long_options[] = {
            {"config", required_argument, NULL, 'c'},
            {"priority", required_argument, NULL, 'p'},
            {"prefer", required_argument, NULL, 'P'},
            {"json", no_argument, NULL, 'j'},
            {NULL, 0, NULL, 0},
    };
    const char *usage =
            "usage: vmctl vm add NAME --config PATH [--priority N] [--prefer NODE[,NODE...]]";
    VmctlOptions opts = *gopts;
    const char *config = NULL, *priority = NULL, *prefer = NULL;
    const char *canon, *err;
    VmhaAttrSection sec;
    int c;

    optind = 0; /* 0, not 1: glibc then re-reads the optstring (main used "+") */
    while ((c = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
        switch (c) {
        case 'c':
            config = optarg;
            break;
        case 'p':
            priority = optarg;
            break;
        case 'P':
            prefer = optarg;
            break;
        case 'j':
            opts.json = true;
            break;
        default:
            return vmctl_error(&opts, VMCTL_EXIT_USAGE, "%s", usage);
        }
    }
    if (argc - optind != 1 || !config)
        return vmctl_error(&opts, VMCTL_EXIT_USAGE, "%s", usage);
    const char *name = argv[optind];
    if (!vmha_vm_name_valid(name))
        return vmctl_error(&opts, VMCTL_EXIT_USAGE,
                           "bad VM name '%s': letters, digits, '_', '.', '-' (64 at most)", name);
    if (vmha_vm_attr_check("config", config, &canon, &sec, &err) < 0)
        return vmctl_error(&opts, VMCTL_EXIT_USAGE, "%s", err);
    if (priority && vmha_vm_attr_check("priority", priority, &canon, &sec, &err) < 0)
        return vmctl_error(&opts, VMCTL_EXIT_USAGE, "%s", err);
    if (prefer && vmha_vm_attr_check("prefer", prefer, &canon, &sec, &err) < 0)
        return vmctl_error(&opts, VMCTL_EXIT_USAGE, "%s", err);

    g_autofree char *dom_name = NULL;
    unsigned long long memory = 0;
    unsigned vcpus = 0;
    int rc = vmctl_read_domain(&opts, config, &dom_name, &memory, &vcpus);
    if (rc != 0)
        return rc;
    if (strcmp(dom_name, name) != 0)
        return vmctl_error(&opts, VMCTL_EXIT_USAGE, "%s names the domain '%s', not '%s'", config,
                           dom_name, name);

    g_autoptr(VmhaMsg) req = vmha_msg_new(VMHA_MSG_VM_ADD);
    if (vmha_msg_add_str(req, VMHA_F_NAME, name) < 0 ||
        vmha_msg_add_str(req, VMHA_F_CONFIG, config) < 0 ||
        (priority && vmha_msg_add_str(req, VMHA_F_PRIORITY, priority) < 0) ||
        (prefer && vmha_msg_add_str(req, VMHA_F_PREFER, prefer) < 0) ||
        vmha_msg_add_u64(req, VMHA_F_MEMORY, memory) < 0 ||
        vmha_msg_add_u64(req, VMHA_F_VCPUS, vcpus) < 0)
        return vmctl_error(&opts, VMCTL_EXIT_USAGE, "request too large");
    rc = vmctl_call(&opts, req, NULL);
    if (rc == VMCTL_EXIT_OK)
        vmctl_print_ok(&opts, "added");
    return rc;
}

int vmctl_cmd_vm_remove(const VmctlOptions *gopts, int argc, char **argv)
{
    VmctlOptions opts = *gopts;
    int first = vmctl_parse_common(&opts, argc, argv, 1);

    if (first < 0 || first >= argc)
        return vmctl_error(&opts, VMCTL_EXIT_USAGE, "usage: vmctl vm remove NAME");
    if (!vmha_vm_name_valid(argv[first]))
        return vmctl_error(&opts, VMCTL_EXIT_USAGE, "bad VM name '%s'", argv[first]);
    g_autoptr(VmhaMsg) req = vmha_msg_new(VMHA_MSG_VM_REMOVE);
    if (vmha_msg_add_str(req, VMHA_F_NAME, argv[first]) < 0)
        return vmctl_error(&opts, VMCTL_EXIT_USAGE, "request too large");
    int rc = vmctl_call(&opts, req, NULL);
    if (rc == VMCTL_EXIT_OK)
        vmctl_print_ok(&opts, "removed");
    return rc;
}

int vmctl_cmd_vm_set(const VmctlOptions *gopts, int argc, char **argv)
{
    VmctlOptions opts = *gopts;
    int first = vmctl_parse_common(&opts, argc, argv, 64);

    if (first < 0 || argc - first < 2)
        return vmctl_error(&opts, VMCTL_EXIT_USAGE, "usage: vmctl vm set NAME KEY=VALUE...");
    const char *name = argv[first];
    if (!vmha_vm_name_valid(name))
        return vmctl_error(&opts, VMCTL_EXIT_USAGE, "bad VM name '%s'", name);
    g_autoptr(VmhaMsg) req = vmha_msg_new(VMHA_MSG_VM_SET);
    if (vmha_msg_add_str(req, VMHA_F_NAME, name) < 0)
        return vmctl_error(&opts, VMCTL_EXIT_USAGE, "request too large");
    for (int i = first + 1; i < argc; i++) {
        const char *eq = strchr(argv[i], '=');
        const char *canon, *err;
        VmhaAttrSection sec;
        if (!eq || eq == argv[i])
            return vmctl_error(&opts, VMCTL_EXIT_USAGE, "'%s' is not KEY=VALUE", argv[i]);
        g_autofree char *key = g_strndup(argv[i], eq - argv[i]);
        if (vmha_vm_attr_check(key, eq + 1, &canon, &sec, &err) < 0)
            return vmctl_error(&opts, VMCTL_EXIT_USAGE, "%s: %s", key, err);
        if (vmha_msg_add_str(req, VMHA_F_KV, argv[i]) < 0)
            return vmctl_error(&opts, VMCTL_EXIT_USAGE, "request too large");
    }
    int rc = vmctl_call(&opts, req, NULL);
    if (rc == VMCTL_EXIT_OK)
        vmctl_print_ok(&opts, "set");
    return rc;
}

static const char *field(json_object *o, const char *key)
{
    json_object *v = NULL;
    if (!json_object_object_get_ex(o, key, &v) || !v)
        return "-";
    return json_object_get_string(v);
}

/* "n2", "n1,n3", "n1,n2(failed)" or "-": where the status section says the VM runs. */
static char *nodes_of(json_object *vm)
{
    static const char *const keys[] = {"running_on", "failed_on"};
    g_autoptr(GString) s = g_string_new(NULL);

    for (size_t k = 0; k < G_N_ELEMENTS(keys); k++) {
        json_object *arr = NULL;
        json_object_object_get_ex(vm, keys[k], &arr);
        for (size_t i = 0; arr && i < json_object_array_length(arr); i++)
            g_string_append_printf(s, "%s%s%s", s->len ? "," : "",
                                   json_object_get_string(json_object_array_get_idx(arr, i)),
                                   k ? "(failed)" : "");
    }
    return s->len ? g_strdup(s->str) : g_strdup("-");
}

int vmctl_cmd_vm_list(const VmctlOptions *gopts, int argc, char **argv)
{
    VmctlOptions opts = *gopts;
    json_object *o = NULL, *vms = NULL;

    if (vmctl_parse_common(&opts, argc, argv, 0) < 0)
        return vmctl_error(&opts, VMCTL_EXIT_USAGE, "usage: vmctl vm list [--json]");
    g_autoptr(VmhaMsg) req = vmha_msg_new(VMHA_MSG_VM_LIST);
    int rc = vmctl_call(&opts, req, &o);
    if (rc != VMCTL_EXIT_OK)
        return rc;
    if (opts.json) {
        vmctl_print_json(o);
        json_object_put(o);
        return VMCTL_EXIT_OK;
    }
    json_object_object_get_ex(o, "vms", &vms);
    printf("%-20s %-8s %-10s %-6s %-8s %-16s %-16s %s\n", "NAME", "PRIORITY", "MEMORY", "VCPUS",
           "ROLE", "PREFER", "RUNNING ON", "CONFIG");
    for (size_t i = 0; vms && i < json_object_array_length(vms); i++) {
        json_object *vm = json_object_array_get_idx(vms, i), *prefer = NULL;
        g_autoptr(GString) p = g_string_new(NULL);
        json_object_object_get_ex(vm, "prefer", &prefer);
        for (size_t j = 0; prefer && j < json_object_array_length(prefer); j++)
            g_string_append_printf(p, "%s%s", j ? "," : "",
                                   json_object_get_string(json_object_array_get_idx(prefer, j)));
        g_autofree char *mem = g_strdup_printf("%sMiB", field(vm, "memory_mib"));
        g_autofree char *on = nodes_of(vm);
        printf("%-20s %-8s %-10s %-6s %-8s %-16s %-16s %s\n", field(vm, "name"),
               field(vm, "priority"), mem, field(vm, "vcpus"), field(vm, "target_role"),
               p->len ? p->str : "-", on, field(vm, "config"));
    }
    json_object_put(o);
    return VMCTL_EXIT_OK;
}
