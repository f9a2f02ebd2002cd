/* vmctl node list|drain|resume|standby|unstandby|maintenance|unmaintenance|set|fence|exec: the
 * nodes of the cluster (docs/vmctl.md).
 *
 * A drain is planned first with the policy engine on the live database here, as `simulate`
 * does, so that a refused drain writes nothing; clusterd then records the drain marks, the
 * leader's engine does the moving, and --wait follows it through `status` (moves.c). A fence is
 * asked of the leader through the database and followed the same way. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "client.h"
#include "clientdoc.h"
#include "commands.h"
#include "drainplan.h"
#include "moves.h"
#include "nodeexec.h"
#include "vmattr.h"
#include "wait.h"

/* ---- node list ---- */

static void print_nodes(json_object *answer)
{
    json_object *nodes = vmctl_json_get(answer, "nodes");

    printf("%-6s %-16s %-8s %-9s %s\n", "ID", "NAME", "ONLINE", "CLUSTERD", "ROLE");
    for (size_t i = 0; nodes && i < json_object_array_length(nodes); i++) {
        json_object *n = json_object_array_get_idx(nodes, i);
        printf("%-6" PRId64 " %-16s %-8s %-9s %s%s\n", vmctl_json_int(n, "id"),
               vmctl_json_str(n, "name"), vmctl_json_bool(n, "online") ? "yes" : "no",
               vmctl_json_bool(n, "clusterd") ? "yes" : "no",
               vmctl_json_bool(n, "leader") ? "leader" : "-",
               vmctl_json_bool(n, "local") ? " (local)" : "");
    }
}

int vmctl_cmd_node_list(const VmctlOptions *opts, int argc, char **argv)
{
    return vmctl_show(opts, argc, argv, VMHA_MSG_NODE_LIST, "vmctl node list [--json]",
                      print_nodes);
}

/* ---- node drain ---- */

static void format_pause(const VmhaDrainMove *mv, char *buf, size_t len)
{
    if (mv->method == VMHA_MIGRATION_COLD)
        g_strlcpy(buf, "restart", len);
    else if (mv->pause_s < 0)
        g_strlcpy(buf, "unknown", len);
    else if (mv->method == VMHA_MIGRATION_LIVE)
        g_strlcpy(buf, "<1 s", len);
    else
        snprintf(buf, len, "%.1f s", mv->pause_s);
}

static const char *absorbs_text(int absorbs)
{
    return absorbs > 0 ? "yes" : absorbs == 0 ? "no" : "unknown (no node capacities configured)";
}

static void print_plan_json(const VmhaModel *m, const VmhaDrainPlan *d, const char *node)
{
    json_object *o = vmha_doc_drain_plan(m, d, node);
    vmctl_print_json(o);
    json_object_put(o);
}

static void print_plan(const VmhaModel *m, const VmhaDrainPlan *d, const char *node,
                       VmhaMigrationMethod method)
{
    printf("Drain of %s (%s): %zu VM%s, %zu without a place\n\n", node,
           method ? vmha_migration_method_to_string(method) : "each VM's own migration method",
           d->n_moves, d->n_moves == 1 ? "" : "s", d->n_stuck);
    if (d->n_moves > 0) {
        printf("%-20s %8s %10s  %-8s %-7s %s\n", "VM", "PRIORITY", "MEMORY", "TARGET", "METHOD",
               "PAUSE");
        for (size_t i = 0; i < d->n_moves; i++) {
            const VmhaDrainMove *mv = &d->moves[i];
            char mem[32], pause[32];
            snprintf(mem, sizeof(mem), "%" G_GINT64_FORMAT " MiB", mv->memory);
            if (!mv->target) {
                printf("%-20s %8d %10s  %-8s %-7s cannot move: %s\n", mv->vm, mv->priority, mem,
                       "-", "-", mv->why);
                continue;
            }
            format_pause(mv, pause, sizeof(pause));
            printf("%-20s %8d %10s  %-8s %-7s %s\n", mv->vm, mv->priority, mem, mv->target,
                   vmha_migration_method_to_string(mv->method), pause);
        }
        if (d->measured)
            printf("\nPauses from this cluster's quick migrations: save %.1f MiB/s, restore "
                   "%.1f MiB/s.\n",
                   d->save_mib_per_s, d->restore_mib_per_s);
        else
            printf("\nNo quick migration measured on this cluster yet: pauses assume save "
                   "%.0f MiB/s, restore %.0f MiB/s.\n",
                   d->save_mib_per_s, d->restore_mib_per_s);
    }
    printf("\nAfterwards:\n%-20s %s\n", "NODE", "FREE MEMORY");
    for (size_t n = 0; n < m->n_nodes; n++) {
        if (d->free_after[n] < 0)
            printf("%-20s %s\n", m->nodes[n].name, "no capacity configured");
        else
            printf("%-20s %" G_GINT64_FORMAT " MiB\n", m->nodes[n].name, d->free_after[n]);
    }
    if (d->biggest >= 0)
        printf("Could the others absorb the loss of %s (the most VM memory) then? %s\n",
               m->nodes[d->biggest].name, absorbs_text(d->absorbs_biggest));
}

/* "c (insufficient memory ...), d (...)" */
static char *list_stuck(const VmhaDrainPlan *d)
{
    GString *s = g_string_new(NULL);
    for (size_t i = 0; i < d->n_moves; i++)
        if (!d->moves[i].target)
            g_string_append_printf(s, "%s%s (%s)", s->len ? ", " : "", d->moves[i].vm,
                                   d->moves[i].why);
    return g_string_free(s, false);
}

int vmctl_cmd_node_drain(const VmctlOptions *gopts, int argc, char **argv)
{
    const char *usage = "usage: vmctl node drain NODE [--method quick|live|cold] [--force] "
                        "[--dry-run] [--wait [--timeout SECONDS]]";
    VmctlOptions opts = *gopts;
    VmctlMoveOptions mo = {0};
    const char *node = vmctl_move_options_parse(&opts, &mo, argc, argv, "mfnwt", usage);
    if (!node)
        return VMHA_RESULT_USAGE;

    g_autoptr(VmhaModel) model = NULL;
    int rc = vmctl_load_live_model(&opts, "node drain", &model);
    if (rc != VMHA_RESULT_OK)
        return rc;
    ssize_t idx = vmha_model_find_node(model, node);
    if (idx < 0)
        return vmctl_error(&opts, VMHA_RESULT_NOT_FOUND, "unknown node '%s'", node);
    g_autoptr(VmhaDrainPlan) plan = NULL;
    vmha_drain_plan(model, (size_t)idx, mo.method, (int64_t)time(NULL), &plan);
    if (mo.dry_run) {
        if (opts.json)
            print_plan_json(model, plan, node);
        else
            print_plan(model, plan, node, mo.method);
        return VMHA_RESULT_OK;
    }
    g_autofree char *stuck = list_stuck(plan);
    if (plan->n_stuck > 0 && !mo.force)
        return vmctl_error(&opts, VMHA_RESULT_REFUSED,
                           "not draining %s: the other nodes cannot take %s; nothing changed "
                           "(--force stops those VMs instead)",
                           node, stuck);

    g_autoptr(VmhaMsg) req = vmha_msg_new(VMHA_MSG_NODE_DRAIN);
    g_autofree char *method_kv =
            mo.method ? g_strdup_printf("method=%s", vmha_migration_method_to_string(mo.method))
                      : NULL;
    if (vmha_msg_add_str(req, VMHA_F_NODE, node) < 0 ||
        (method_kv && vmha_msg_add_str(req, VMHA_F_KV, method_kv) < 0) ||
        (mo.force && vmha_msg_add_str(req, VMHA_F_KV, "force=on") < 0))
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "request too large");
    rc = vmctl_call(&opts, req, NULL);
    if (rc != VMHA_RESULT_OK)
        return rc;
    if (!opts.json) {
        printf("%s: draining, %zu VM%s to move\n", node, plan->n_moves - plan->n_stuck,
               plan->n_moves - plan->n_stuck == 1 ? "" : "s");
        if (plan->n_stuck > 0)
            printf("%s: forced: stopping %s\n", node, stuck);
        fflush(stdout);
    }
    if (mo.wait) {
        g_autoptr(VmctlMoveWatch) w = vmctl_move_watch_new(&opts, node, true);
        for (size_t i = 0; i < plan->n_moves; i++)
            if (plan->moves[i].target)
                vmctl_move_watch_add(w, plan->moves[i].vm, NULL);
        g_autofree char *what = g_strdup_printf("the drain of %s", node);
        rc = vmctl_move_watch_run(w, mo.timeout, what);
        if (rc != VMHA_RESULT_OK)
            return rc;
    }
    vmctl_print_ok(&opts, mo.wait ? "drained" : "draining");
    return VMHA_RESULT_OK;
}

/* ---- node resume ---- */

int vmctl_cmd_node_resume(const VmctlOptions *gopts, int argc, char **argv)
{
    const char *usage = "usage: vmctl node resume NODE [--failback] [--wait [--timeout SECONDS]]";
    VmctlOptions opts = *gopts;
    VmctlMoveOptions mo = {0};
    const char *node = vmctl_move_options_parse(&opts, &mo, argc, argv, "bwt", usage);
    if (!node)
        return VMHA_RESULT_USAGE;

    g_autoptr(VmhaMsg) req = vmha_msg_new(VMHA_MSG_NODE_RESUME);
    if (vmha_msg_add_str(req, VMHA_F_NODE, node) < 0)
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "request too large");
    int rc = vmctl_call(&opts, req, NULL);
    if (rc != VMHA_RESULT_OK)
        return rc;
    if (!opts.json) {
        printf("%s: resumed, takes VMs again\n", node);
        fflush(stdout);
    }
    if (!mo.failback) {
        vmctl_print_ok(&opts, "resumed");
        return VMHA_RESULT_OK;
    }

    /* Failback: every VM that prefers this node most and runs elsewhere is asked to come back.
     * Read after the resume was applied, so the check sees the node taking VMs again. A VM
     * still on its way somewhere (a drain without --wait) is asked once it has landed. */
    g_autoptr(VmctlMoveWatch) w = vmctl_move_watch_new(&opts, node, false);
    g_autoptr(GHashTable) asked = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    gint64 deadline = g_get_monotonic_time() + (gint64)mo.timeout * G_USEC_PER_SEC;
    int failed = 0;
    for (;;) {
        g_autoptr(VmhaModel) model = NULL;
        rc = vmctl_load_live_model(&opts, "node resume", &model);
        if (rc != VMHA_RESULT_OK)
            break;
        ssize_t idx = vmha_model_find_node(model, node);
        if (idx < 0) {
            rc = vmctl_error(&opts, VMHA_RESULT_NOT_FOUND, "unknown node '%s'", node);
            break;
        }
        size_t in_flight = 0;
        for (size_t v = 0; v < model->n_vms; v++) {
            const VmhaVm *vm = &model->vms[v];
            if (vmha_doc_preferred_node(vm) != idx || g_hash_table_contains(asked, vm->name))
                continue;
            if (vm->pending_op) {
                in_flight++;
                continue;
            }
            ssize_t from = vmctl_running_on(model, vm);
            if (from < 0 || from == idx)
                continue;
            g_hash_table_add(asked, g_strdup(vm->name));
            ssize_t target = -1;
            g_autofree char *why = NULL;
            if (vmha_move_check(model, v, from, idx, VMHA_MIGRATION_DEFAULT, (int64_t)time(NULL),
                                &target, &why) < 0) {
                vmctl_move_watch_print(w, "%s: stays on %s: %s", vm->name, model->nodes[from].name,
                                       why);
                continue;
            }
            if (vmctl_send_move(&opts, vm->name, model->nodes[from].name, node,
                                VMHA_MIGRATION_DEFAULT) != VMHA_RESULT_OK) {
                failed++;
                continue;
            }
            vmctl_move_watch_print(w, "%s: failing back %s -> %s", vm->name,
                                   model->nodes[from].name, node);
            vmctl_move_watch_add(w, vm->name, node);
        }
        if (in_flight == 0 || g_get_monotonic_time() >= deadline)
            break;
        g_usleep(G_USEC_PER_SEC);
    }
    if (rc == VMHA_RESULT_OK && mo.wait && vmctl_move_watch_size(w) > 0) {
        g_autofree char *what = g_strdup_printf("the failback to %s", node);
        rc = vmctl_move_watch_run(w, mo.timeout, what);
    }
    if (rc != VMHA_RESULT_OK)
        return rc;
    if (failed > 0)
        return vmctl_error(&opts, VMHA_RESULT_FAILURE, "%d failback request%s refused", failed,
                           failed == 1 ? "" : "s");
    vmctl_print_ok(&opts, mo.wait ? "failed back" : "resumed");
    return VMHA_RESULT_OK;
}

/* ---- standby, maintenance, capacities ---- */

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
    return vmctl_send_settings(&opts, argv[first], 1, args, 0);
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
    return vmctl_send_settings(&opts, argv[first], argc, argv, first + 1);
}

/* ---- node fence ---- */

typedef struct {
    const char *node;
    /* The node's record before the request: only a newer outcome answers it. Compared for
     * change rather than against our clock, since the leader's clock writes them. */
    int64_t fenced_before, attempt_before;
} FenceWait;

static int check_fence(json_object *status, void *ctx, char **ret_line)
{
    FenceWait *w = ctx;
    json_object *n = vmctl_find_named(vmctl_json_get(status, "nodes"), w->node);
    json_object *f = vmctl_json_get(n, "fence");
    const char *state = json_object_get_string(vmctl_json_get(n, "state"));
    int64_t failures = vmctl_json_int(f, "failures");
    json_object *err = vmctl_json_get(f, "last_error");

    if (vmctl_json_int(f, "fenced") > 0 && vmctl_json_int(f, "fenced") != w->fenced_before) {
        *ret_line = g_strdup_printf("%s: fenced", w->node);
        return 1;
    }
    if (failures > 0 && vmctl_json_int(f, "last_attempt") != w->attempt_before) {
        *ret_line =
                g_strdup_printf("%s: fencing failed (attempt %" G_GINT64_FORMAT "): %s", w->node,
                                failures, err ? json_object_get_string(err) : "no reason given");
        return -1;
    }
    *ret_line = g_strdup_printf("%s: %s", w->node, state ? state : "unknown");
    return 0;
}

/* Asks "Fence node NODE? ..." on the terminal; true for y or yes. */
static bool confirm(const char *node)
{
    char answer[16] = "";

    printf("Fence node %s? This powers it off. [y/N] ", node);
    fflush(stdout);
    if (!fgets(answer, sizeof(answer), stdin))
        return false;
    g_strstrip(answer);
    return g_ascii_strcasecmp(answer, "y") == 0 || g_ascii_strcasecmp(answer, "yes") == 0;
}

int vmctl_cmd_node_fence(const VmctlOptions *gopts, int argc, char **argv)
{
    const char *usage = "usage: vmctl node fence NODE [--yes] [--timeout SECONDS] [--no-wait]";
    VmctlOptions opts = *gopts;
    bool yes = false, wait = true;
    unsigned timeout = 120;
    const VmctlArg args[] = {
            VMCTL_ARG("yes", VMCTL_ARG_FLAG, &yes),
            VMCTL_ARG("timeout", VMCTL_ARG_TIMEOUT, &timeout),
            VMCTL_ARG("no-wait", VMCTL_ARG_UNFLAG, &wait),
            VMCTL_ARG_END,
    };

    const char *node = vmctl_parse_operand(&opts, args, usage, VMCTL_WORD_NODE, argc, argv);
    if (!node)
        return VMHA_RESULT_USAGE;
    if (!yes) {
        /* Powering off a host is not something a script should do by accident. */
        if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
            return vmctl_error(&opts, VMHA_RESULT_USAGE,
                               "not fencing %s: no terminal to confirm on; add --yes", node);
        if (!confirm(node))
            return vmctl_error(&opts, VMHA_RESULT_USAGE, "not fencing %s", node);
    }

    FenceWait w = {.node = node};
    json_object *before = NULL;
    g_autoptr(VmhaMsg) sreq = vmha_msg_new(VMHA_MSG_STATUS);
    int rc = vmctl_call(&opts, sreq, &before);
    if (rc != VMHA_RESULT_OK)
        return rc;
    json_object *bf =
            vmctl_json_get(vmctl_find_named(vmctl_json_get(before, "nodes"), node), "fence");
    w.fenced_before = vmctl_json_int(bf, "fenced");
    w.attempt_before = vmctl_json_int(bf, "last_attempt");
    json_object_put(before);

    g_autoptr(VmhaMsg) req = vmha_msg_new(VMHA_MSG_NODE_FENCE);
    if (vmha_msg_add_str(req, VMHA_F_NODE, node) < 0)
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "request too large");
    rc = vmctl_call(&opts, req, NULL);
    if (rc != VMHA_RESULT_OK)
        return rc;
    if (wait) {
        rc = vmctl_wait(&opts, timeout, check_fence, &w);
        if (rc == -ETIMEDOUT)
            return vmctl_error(&opts, VMHA_RESULT_FAILURE,
                               "%s is not fenced after %u s (the request stays: the leader keeps "
                               "trying)",
                               node, timeout);
        if (rc == VMHA_RESULT_FAILURE)
            return vmctl_error(&opts, rc, "fencing %s failed; the leader retries", node);
        if (rc != VMHA_RESULT_OK)
            return rc;
    }
    vmctl_print_ok(&opts, wait ? "fenced" : "requested");
    return VMHA_RESULT_OK;
}

/* ---- node exec ---- */

int vmctl_cmd_node_exec(const VmctlOptions *gopts, int argc, char **argv)
{
    const char *usage = "usage: vmctl node exec NODE [--timeout SECONDS] -- COMMAND...";
    VmctlOptions opts = *gopts;
    unsigned timeout = VMHA_EXEC_TIMEOUT_S;
    const VmctlArg args[] = {
            VMCTL_ARG_TIMEOUT_UPTO("timeout", &timeout, VMHA_EXEC_TIMEOUT_S),
            VMCTL_ARG_END,
    };

    /* Options anywhere before "--", everything after it is the command; without "--", options
     * come before NODE and everything after NODE is the command, options and all. */
    int end = argc;
    for (int i = 1; i < argc; i++)
        if (g_str_equal(argv[i], "--")) {
            end = i;
            break;
        }
    const VmctlArgSpec cmdline = {.usage = usage,
                                  .min_operands = 1,
                                  .max_operands = -1,
                                  .options_first = end == argc,
                                  .args = args};
    int next = vmctl_parse_args(&opts, &cmdline, end, argv);
    if (next < 0)
        return VMHA_RESULT_USAGE;
    const char *node = argv[next++];
    if (!vmha_node_name_valid(node))
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "bad node name '%s'", node);
    if (end < argc) {
        if (next != end)
            return vmctl_error(&opts, VMHA_RESULT_USAGE, "%s", usage);
        next = end + 1;
    }
    if (next >= argc)
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "%s", usage);
    /* Words are joined with spaces and read by the node's shell, as ssh does. */
    g_autofree char *command = g_strjoinv(" ", argv + next);
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
        return vmctl_error(&opts, VMHA_RESULT_FAILURE, "on %s: %s", node, how);
    return VMHA_RESULT_OK;
}
