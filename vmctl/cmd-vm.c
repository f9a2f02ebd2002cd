/* vmctl vm add|remove|set|list|start|stop|cleanup|ban|unban|move. Values are checked here for a
 * quick answer and again by clusterd, which is authoritative. A move is checked first with the
 * policy engine on the live database, so that a refused move writes nothing. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <time.h>

#include "args.h"
#include "client.h"
#include "commands.h"
#include "domaindef.h"
#include "drainplan.h"
#include "moves.h"
#include "vmattr.h"
#include "vmbatch.h"
#include "wait.h"

int vmctl_cmd_vm_add(const VmctlOptions *gopts, int argc, char **argv)
{
    const char *usage = "usage: vmctl vm add NAME --config PATH [--priority N] "
                        "[--prefer NODE[,NODE...]] [--stopped]";
    bool stopped = false;
    VmctlOptions opts = *gopts;
    const char *config = NULL, *priority = NULL, *prefer = NULL;
    const char *canon, *err;
    VmhaAttrSection sec;
    const VmctlArg args[] = {
            VMCTL_ARG("config", VMCTL_ARG_STRING, &config),
            VMCTL_ARG("priority", VMCTL_ARG_STRING, &priority),
            VMCTL_ARG("prefer", VMCTL_ARG_STRING, &prefer),
            VMCTL_ARG("stopped", VMCTL_ARG_FLAG, &stopped),
            VMCTL_ARG_END,
    };

    const char *name = vmctl_parse_operand(&opts, args, usage, VMCTL_WORD_TEXT, argc, argv);
    if (!name)
        return VMHA_RESULT_USAGE;
    if (!config)
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "%s", usage);
    if (!vmha_vm_name_valid(name))
        return vmctl_error(&opts, VMHA_RESULT_USAGE,
                           "bad VM name '%s': letters, digits, '_', '.', '-' (64 at most)", name);
    if (vmha_vm_attr_check("config", config, &canon, &sec, &err) < 0)
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "%s", err);
    if (priority && vmha_vm_attr_check("priority", priority, &canon, &sec, &err) < 0)
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "%s", err);
    if (prefer && vmha_vm_attr_check("prefer", prefer, &canon, &sec, &err) < 0)
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "%s", err);

    g_autofree char *dom_name = NULL;
    unsigned long long memory = 0;
    unsigned vcpus = 0;
    int rc = vmctl_read_domain(&opts, config, &dom_name, &memory, &vcpus);
    if (rc != 0)
        return rc;
    if (strcmp(dom_name, name) != 0)
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "%s names the domain '%s', not '%s'", config,
                           dom_name, name);

    g_autoptr(VmhaMsg) req = vmha_msg_new(VMHA_MSG_VM_ADD);
    if (vmha_msg_add_str(req, VMHA_F_NAME, name) < 0 ||
        vmha_msg_add_str(req, VMHA_F_CONFIG, config) < 0 ||
        (priority && vmha_msg_add_str(req, VMHA_F_PRIORITY, priority) < 0) ||
        (prefer && vmha_msg_add_str(req, VMHA_F_PREFER, prefer) < 0) ||
        vmha_msg_add_u64(req, VMHA_F_MEMORY, memory) < 0 ||
        vmha_msg_add_u64(req, VMHA_F_VCPUS, vcpus) < 0 ||
        (stopped && vmha_msg_add_str(req, VMHA_F_KV, "target-role=Stopped") < 0))
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "request too large");
    return vmctl_change(&opts, req, stopped ? "added (stopped)" : "added");
}

/* vm add-many FILE: every line checked and every domain XML read before one request carries them
 * all; any error refuses the whole file, naming its line. */
int vmctl_cmd_vm_add_many(const VmctlOptions *gopts, int argc, char **argv)
{
    VmctlOptions opts = *gopts;
    const char *path = vmctl_parse_operand(&opts, NULL, "usage: vmctl vm add-many FILE",
                                           VMCTL_WORD_TEXT, argc, argv);
    g_autofree char *text = NULL, *error = NULL;
    g_autoptr(GError) gerror = NULL;
    g_autoptr(GPtrArray) defs = NULL;

    if (!path)
        return VMHA_RESULT_USAGE;
    if (!g_file_get_contents(path, &text, NULL, &gerror))
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "cannot read %s: %s", path, gerror->message);
    if (vmha_vmbatch_parse(text, &defs, &error) < 0)
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "%s: %s", path, error);
    for (guint i = 0; i < defs->len; i++) {
        VmhaVmDef *d = defs->pdata[i];
        g_autofree char *buf = NULL;
        g_autoptr(VmhaDomainDef) dom = NULL;
        gsize len = 0;
        g_clear_error(&gerror);
        if (!g_file_get_contents(d->config, &buf, &len, &gerror))
            return vmctl_error(&opts, VMHA_RESULT_USAGE,
                               "%s: line %u: cannot read the domain "
                               "XML: %s",
                               path, d->line, gerror->message);
        if (vmha_domaindef_parse(buf, len, &dom, &gerror) < 0)
            return vmctl_error(&opts, VMHA_RESULT_USAGE, "%s: line %u: %s: invalid domain XML: %s",
                               path, d->line, d->config, gerror->message);
        if (dom->memory_mib == 0 || dom->vcpus == 0)
            return vmctl_error(&opts, VMHA_RESULT_USAGE,
                               "%s: line %u: %s: the domain has no memory or no vCPUs", path,
                               d->line, d->config);
        if (strcmp(dom->name, d->name) != 0)
            return vmctl_error(&opts, VMHA_RESULT_USAGE,
                               "%s: line %u: %s names the domain '%s', not '%s'", path, d->line,
                               d->config, dom->name, d->name);
        d->memory = dom->memory_mib;
        d->vcpus = dom->vcpus;
    }

    g_autofree char *json = vmha_vmbatch_to_json(defs);
    g_autofree char *done = g_strdup_printf("added %u VMs", defs->len);
    g_autoptr(VmhaMsg) req = vmha_msg_new(VMHA_MSG_VM_ADD_MANY);
    if (vmha_msg_add_str(req, VMHA_F_JSON, json) < 0)
        return vmctl_error(&opts, VMHA_RESULT_USAGE,
                           "%s: %u VMs make a request too large; split the file", path, defs->len);
    return vmctl_change(&opts, req, done);
}

/* vm remove / vm cleanup NAME: one request naming the VM. */
static int vm_request(const VmctlOptions *gopts, int argc, char **argv, const char *usage,
                      uint16_t type, const char *done)
{
    VmctlOptions opts = *gopts;
    const char *name = vmctl_parse_operand(&opts, NULL, usage, VMCTL_WORD_VM, argc, argv);

    if (!name)
        return VMHA_RESULT_USAGE;
    g_autoptr(VmhaMsg) req = vmha_msg_new(type);
    if (vmha_msg_add_str(req, VMHA_F_NAME, name) < 0)
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "request too large");
    return vmctl_change(&opts, req, done);
}

int vmctl_cmd_vm_remove(const VmctlOptions *gopts, int argc, char **argv)
{
    return vm_request(gopts, argc, argv, "usage: vmctl vm remove NAME", VMHA_MSG_VM_REMOVE,
                      "removed");
}

int vmctl_cmd_vm_set(const VmctlOptions *gopts, int argc, char **argv)
{
    VmctlOptions opts = *gopts;
    int first = vmctl_parse_common(&opts, argc, argv, 64);

    if (first < 0 || argc - first < 2)
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "usage: vmctl vm set NAME KEY=VALUE...");
    const char *name = argv[first];
    if (!vmha_vm_name_valid(name))
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "bad VM name '%s'", name);
    g_autoptr(VmhaMsg) req = vmha_msg_new(VMHA_MSG_VM_SET);
    if (vmha_msg_add_str(req, VMHA_F_NAME, name) < 0)
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "request too large");
    for (int i = first + 1; i < argc; i++) {
        const char *eq = strchr(argv[i], '=');
        const char *canon, *err;
        VmhaAttrSection sec;
        if (!eq || eq == argv[i])
            return vmctl_error(&opts, VMHA_RESULT_USAGE, "'%s' is not KEY=VALUE", argv[i]);
        g_autofree char *key = g_strndup(argv[i], eq - argv[i]);
        if (vmha_vm_attr_check(key, eq + 1, &canon, &sec, &err) < 0)
            return vmctl_error(&opts, VMHA_RESULT_USAGE, "%s: %s", key, err);
        if (vmha_msg_add_str(req, VMHA_F_KV, argv[i]) < 0)
            return vmctl_error(&opts, VMHA_RESULT_USAGE, "request too large");
    }
    return vmctl_change(&opts, req, "set");
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

static void print_vms(json_object *answer)
{
    json_object *vms = vmctl_json_get(answer, "vms");

    printf("%-20s %-8s %-10s %-6s %-8s %-16s %-16s %s\n", "NAME", "PRIORITY", "MEMORY", "VCPUS",
           "ROLE", "PREFER", "RUNNING ON", "CONFIG");
    for (size_t i = 0; vms && i < json_object_array_length(vms); i++) {
        json_object *vm = json_object_array_get_idx(vms, i);
        g_autoptr(GString) p = g_string_new(NULL);
        vmctl_json_join(p, vm, "prefer", ",");
        g_autofree char *mem = g_strdup_printf("%sMiB", vmctl_json_str(vm, "memory_mib") ?: "-");
        g_autofree char *on = nodes_of(vm);
        printf("%-20s %-8s %-10s %-6s %-8s %-16s %-16s %s\n", vmctl_json_str(vm, "name") ?: "-",
               vmctl_json_str(vm, "priority") ?: "-", mem, vmctl_json_str(vm, "vcpus") ?: "-",
               vmctl_json_str(vm, "target_role") ?: "-", p->len ? p->str : "-", on,
               vmctl_json_str(vm, "config") ?: "-");
    }
}

int vmctl_cmd_vm_list(const VmctlOptions *opts, int argc, char **argv)
{
    return vmctl_show(opts, argc, argv, VMHA_MSG_VM_LIST, "vmctl vm list [--json]", print_vms);
}

typedef struct {
    const char *name;
    bool start;
} VmWait;

/* "web1: running on n2", "web1: recovering on n1 (will stop on n1, then start on n2)". */
static char *vm_line(json_object *vm, const char *name)
{
    json_object *nodes = vmctl_json_get(vm, "nodes"), *why = vmctl_json_get(vm, "why");
    g_autoptr(GString) s = g_string_new(NULL);

    g_string_append_printf(s, "%s: %s", name,
                           json_object_get_string(vmctl_json_get(vm, "state")) ?: "?");
    for (size_t i = 0; nodes && i < json_object_array_length(nodes); i++)
        g_string_append_printf(s, "%s%s", i ? "," : " on ",
                               json_object_get_string(json_object_array_get_idx(nodes, i)));
    if (why)
        g_string_append_printf(s, " (%s)", json_object_get_string(why));
    return g_string_free(g_steal_pointer(&s), false);
}

static int check_vm(json_object *status, void *ctx, char **ret_line)
{
    VmWait *w = ctx;
    json_object *vm = vmctl_find_named(vmctl_json_get(status, "vms"), w->name);

    if (!vm) {
        json_object *err = vmctl_json_get(status, "vms_error");
        *ret_line = g_strdup_printf("%s: not known yet (%s)", w->name,
                                    err ? json_object_get_string(err) : "not in the database");
        return 0;
    }
    *ret_line = vm_line(vm, w->name);
    const char *state = json_object_get_string(vmctl_json_get(vm, "state"));
    json_object *nodes = vmctl_json_get(vm, "nodes");
    size_t n = nodes ? json_object_array_length(nodes) : 0;
    if (w->start && g_strcmp0(state, "running") == 0 && n == 1)
        return 1;
    if (!w->start && g_strcmp0(state, "stopped") == 0 && n == 0)
        return 1;
    if (g_strcmp0(state, "failed") == 0)
        return -1;
    return 0;
}

/* vm start / vm stop: target-role through VM_SET, then optionally wait for it to happen. */
static int vm_start_stop(const VmctlOptions *gopts, int argc, char **argv, bool start)
{
    g_autofree char *usage = g_strdup_printf("usage: vmctl vm %s NAME [--wait [--timeout SECONDS]]",
                                             start ? "start" : "stop");
    VmctlOptions opts = *gopts;
    bool wait = false;
    unsigned timeout = 120;
    const VmctlArg args[] = {
            VMCTL_ARG("wait", VMCTL_ARG_FLAG, &wait),
            VMCTL_ARG("timeout", VMCTL_ARG_TIMEOUT, &timeout),
            VMCTL_ARG_END,
    };

    const char *name = vmctl_parse_operand(&opts, args, usage, VMCTL_WORD_VM, argc, argv);
    if (!name)
        return VMHA_RESULT_USAGE;
    g_autoptr(VmhaMsg) req = vmha_msg_new(VMHA_MSG_VM_SET);
    if (vmha_msg_add_str(req, VMHA_F_NAME, name) < 0 ||
        vmha_msg_add_str(req, VMHA_F_KV, start ? "target-role=Started" : "target-role=Stopped") < 0)
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "request too large");
    int rc = vmctl_call(&opts, req, NULL);
    if (rc != VMHA_RESULT_OK)
        return rc;
    if (wait) {
        VmWait w = {.name = name, .start = start};
        rc = vmctl_wait(&opts, timeout, check_vm, &w);
        if (rc == -ETIMEDOUT)
            return vmctl_error(&opts, VMHA_RESULT_FAILURE, "%s is not %s after %u s", name,
                               start ? "running" : "stopped", timeout);
        if (rc == VMHA_RESULT_FAILURE)
            return vmctl_error(&opts, rc,
                               "%s failed (see 'vmctl status'; 'vmctl vm cleanup %s' "
                               "clears its failures)",
                               name, name);
        if (rc != VMHA_RESULT_OK)
            return rc;
    }
    vmctl_print_ok(&opts, start ? (wait ? "running" : "started") : (wait ? "stopped" : "stopping"));
    return VMHA_RESULT_OK;
}

int vmctl_cmd_vm_start(const VmctlOptions *gopts, int argc, char **argv)
{
    return vm_start_stop(gopts, argc, argv, true);
}

int vmctl_cmd_vm_stop(const VmctlOptions *gopts, int argc, char **argv)
{
    return vm_start_stop(gopts, argc, argv, false);
}

int vmctl_cmd_vm_cleanup(const VmctlOptions *gopts, int argc, char **argv)
{
    return vm_request(gopts, argc, argv, "usage: vmctl vm cleanup NAME", VMHA_MSG_VM_CLEANUP,
                      "cleaned");
}

/* vm ban / unban: a -INFINITY location (cli-ban-VM-on-NODE, crm_resource's) through VM_SET. */
static int vm_ban(const VmctlOptions *gopts, int argc, char **argv, bool ban)
{
    VmctlOptions opts = *gopts;
    int first = vmctl_parse_common(&opts, argc, argv, 2);
    const char *usage = ban ? "usage: vmctl vm ban NAME NODE" : "usage: vmctl vm unban NAME [NODE]";

    if (first < 0 || argc - first < (ban ? 2 : 1))
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "%s", usage);
    const char *name = argv[first], *node = argc - first > 1 ? argv[first + 1] : NULL;
    if (!vmha_vm_name_valid(name))
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "bad VM name '%s'", name);
    if (node && !vmha_node_name_valid(node))
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "bad node name '%s'", node);
    g_autofree char *kv = g_strdup_printf("%s=%s", ban ? "ban" : "unban", node ? node : "");
    g_autoptr(VmhaMsg) req = vmha_msg_new(VMHA_MSG_VM_SET);
    if (vmha_msg_add_str(req, VMHA_F_NAME, name) < 0 || vmha_msg_add_str(req, VMHA_F_KV, kv) < 0)
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "request too large");
    return vmctl_change(&opts, req, ban ? "banned" : "unbanned");
}

int vmctl_cmd_vm_ban(const VmctlOptions *gopts, int argc, char **argv)
{
    return vm_ban(gopts, argc, argv, true);
}

int vmctl_cmd_vm_unban(const VmctlOptions *gopts, int argc, char **argv)
{
    return vm_ban(gopts, argc, argv, false);
}

int vmctl_cmd_vm_move(const VmctlOptions *gopts, int argc, char **argv)
{
    const char *usage = "usage: vmctl vm move NAME [--to NODE] [--method quick|live|cold] "
                        "[--wait [--timeout SECONDS]]";
    VmctlOptions opts = *gopts;
    VmctlMoveOptions mo = {0};
    const char *name = vmctl_move_options_parse(&opts, &mo, argc, argv, "omwt", usage);
    if (!name)
        return VMHA_RESULT_USAGE;

    g_autoptr(VmhaModel) model = NULL;
    int rc = vmctl_load_live_model(&opts, "vm move", &model);
    if (rc != VMHA_RESULT_OK)
        return rc;
    ssize_t v = vmha_model_find_vm(model, name);
    if (v < 0)
        return vmctl_error(&opts, VMHA_RESULT_NOT_FOUND, "unknown VM '%s'", name);
    ssize_t to = mo.to ? vmha_model_find_node(model, mo.to) : -1;
    if (mo.to && to < 0)
        return vmctl_error(&opts, VMHA_RESULT_NOT_FOUND, "unknown node '%s'", mo.to);
    const VmhaVm *vm = &model->vms[v];
    ssize_t from = vmctl_running_on(model, vm);
    if (from < 0)
        return vmctl_error(&opts, VMHA_RESULT_REFUSED,
                           "not moving %s: it is not running on exactly one node (see 'vmctl "
                           "status')",
                           name);
    if (vm->pending_op)
        return vmctl_error(&opts, VMHA_RESULT_REFUSED,
                           "not moving %s: a %s is in flight; try again when it is done", name,
                           vm->pending_op);
    const char *from_name = model->nodes[from].name;
    if (from == to)
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "%s already runs on %s", name, from_name);
    ssize_t target = -1;
    g_autofree char *why = NULL;
    if (vmha_move_check(model, (size_t)v, from, to, mo.method, (int64_t)time(NULL), &target, &why) <
        0)
        return vmctl_error(&opts, VMHA_RESULT_REFUSED, "not moving %s%s%s: %s; nothing changed",
                           name, mo.to ? " to " : "", mo.to ? mo.to : "", why);

    rc = vmctl_send_move(&opts, name, from_name, mo.to, mo.method);
    if (rc != VMHA_RESULT_OK)
        return rc;
    if (!opts.json) {
        printf("%s: moving %s -> %s (%s)\n", name, from_name, model->nodes[target].name,
               vmha_migration_method_to_string(mo.method ? mo.method : VMHA_MIGRATION_QUICK));
        fflush(stdout);
    }
    if (mo.wait) {
        g_autoptr(VmctlMoveWatch) w = vmctl_move_watch_new(&opts, from_name, false);
        vmctl_move_watch_add(w, name, mo.to);
        g_autofree char *what = g_strdup_printf("the move of %s", name);
        rc = vmctl_move_watch_run(w, mo.timeout, what);
        if (rc != VMHA_RESULT_OK)
            return rc;
    }
    vmctl_print_ok(&opts, mo.wait ? "moved" : "moving");
    return VMHA_RESULT_OK;
}
