/* The rolling update of `vmctl cluster update --exec COMMAND`, one node at a time (docs/vmctl.md).
 *
 * Each node in node id order is drained (`node drain NODE --wait`), runs COMMAND through its
 * clusterd (`node exec`), is awaited back in the cluster, and is resumed with failback (`node
 * resume NODE --failback --wait`): the same code as those commands, called in turn. The first
 * failure stops the update; the node it stopped at is resumed when it is fine, so the cluster is
 * left healthy. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "commands.h"
#include "nodeexec.h"
#include "update.h"
#include "updatecheck.h"
#include "wait.h"

#define REBOOT_COMMAND_TIMEOUT_S 60

typedef enum {
    STEP_PENDING, /* not started */
    STEP_DONE,
    STEP_FAILED,
} StepResult;

typedef struct {
    char *name;
    StepResult result;
    char *what;      /* one line: how it went, or why it stopped there */
    int exit_status; /* the command's; -1 when it did not run (or unknown) */
    char *output;
    double drain_s, command_s, back_s, resume_s; /* < 0: step not reached */
    bool local; /* the node this vmctl runs on: not rebooted by it */
} NodeReport;

typedef struct {
    /* For the steps: never --json (their errors are one line on stderr). With --json the whole
     * update runs with stdout on stderr, and stdout gets the summary document alone. */
    const VmctlOptions *opts;
    bool json;
    const char *command;
    const char *reboot_command; /* NULL: no reboot */
    unsigned timeout;
} Update;

static void progress(const Update *u, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void progress(const Update *u, const char *fmt, ...)
{
    FILE *out = stdout;
    time_t now = time(NULL);
    struct tm tm;
    char ts[16];
    va_list ap;

    strftime(ts, sizeof(ts), "%H:%M:%S", localtime_r(&now, &tm));
    fprintf(out, "%s ", ts);
    va_start(ap, fmt);
    vfprintf(out, fmt, ap);
    va_end(ap);
    fputc('\n', out);
    fflush(out);
}

static double seconds_since(gint64 start_us)
{
    return (double)(g_get_monotonic_time() - start_us) / G_USEC_PER_SEC;
}

/* Runs one of vmctl's own commands (argv[0] its name). */
static int run_command(const Update *u, VmctlCommandFn fn, const char *const *args)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();

    for (size_t i = 0; args[i]; i++)
        g_ptr_array_add(argv, (char *)args[i]);
    g_ptr_array_add(argv, NULL);
    int rc = fn(u->opts, (int)argv->len - 1, (char **)argv->pdata);
    fflush(stdout);
    return rc;
}

static int drain(const Update *u, const char *node)
{
    g_autofree char *t = g_strdup_printf("%u", u->timeout);
    const char *args[] = {"node drain", node, "--wait", "--timeout", t, NULL};
    return run_command(u, vmctl_cmd_node_drain, args);
}

static int resume(const Update *u, const char *node)
{
    g_autofree char *t = g_strdup_printf("%u", u->timeout);
    const char *args[] = {"node resume", node, "--failback", "--wait", "--timeout", t, NULL};
    return run_command(u, vmctl_cmd_node_resume, args);
}

typedef struct {
    const char *node;
    bool rebooted;
    VmctlRebootWatch watch;
} BackWait;

static int check_back(json_object *status, void *ctx, char **ret_line)
{
    BackWait *b = ctx;
    return vmctl_update_node_back(status, b->node, b->rebooted ? &b->watch : NULL, ret_line) ? 1
                                                                                             : 0;
}

static int check_settled(json_object *status, void *ctx, char **ret_line)
{
    return vmctl_update_settled(status, ret_line);
}

/* Waits until every VM has landed (a drain or failback returns once the node is empty, or the
 * moves are requested, while VMs may still be on their way). */
static int settle(const Update *u, const char *node, char **ret_why)
{
    int rc = vmctl_wait(u->opts, u->timeout, check_settled, NULL);
    if (rc == -ETIMEDOUT)
        *ret_why = g_strdup_printf("the VMs did not land within %u s", u->timeout);
    else if (rc == VMHA_RESULT_FAILURE)
        *ret_why = g_strdup("a VM failed (see vmctl status)");
    else if (rc != VMHA_RESULT_OK)
        *ret_why = g_strdup("cannot ask clusterd");
    return rc == VMHA_RESULT_OK ? 0 : -1;
}

/* Whether node is fine right now (online, its clusterd in sync): then it may be resumed. */
static bool node_fine(const Update *u, const char *node)
{
    g_autoptr(VmhaMsg) req = vmha_msg_new(VMHA_MSG_STATUS);
    g_autofree char *line = NULL;
    json_object *status = NULL;

    if (vmctl_call(u->opts, req, &status) != VMHA_RESULT_OK)
        return false;
    bool back = vmctl_update_node_back(status, node, NULL, &line);
    json_object_put(status);
    return back;
}

/* The output of the command, each line prefixed, so it reads apart from the progress lines. */
static void show_output(const Update *u, const char *node, const char *out, size_t len)
{
    FILE *f = stdout;
    const char *p = out, *end = out + len;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        fprintf(f, "    %s| ", node);
        fwrite(p, 1, n, f);
        fputc('\n', f);
        p += n + (nl ? 1 : 0);
    }
    fflush(f);
}

/* After a failure at node: resume it when it is fine, so that the cluster is left as it was
 * (its VMs return); says what was done. */
static char *leave_healthy(const Update *u, const char *node)
{
    if (!node_fine(u, node))
        return g_strdup_printf("%s is not back in the cluster: left drained; check it, then "
                               "`vmctl node resume %s --failback`",
                               node, node);
    progress(u, "%s: resuming it (the update stops here)", node);
    if (resume(u, node) != VMHA_RESULT_OK)
        return g_strdup_printf("resuming %s failed too; see above", node);
    g_autofree char *why = NULL;
    if (settle(u, node, &why) < 0)
        return g_strdup_printf("%s resumed, but %s", node, why);
    return g_strdup_printf("%s resumed, its VMs back", node);
}

/* Asks node to reboot (--reboot-command through its clusterd); *ret_watch gets what the wait
 * for its return compares with. */
static int reboot_node(const Update *u, const char *node, VmctlRebootWatch *ret_watch,
                       char **ret_why)
{
    g_autoptr(VmhaMsg) req = vmha_msg_new(VMHA_MSG_STATUS);
    json_object *status = NULL;
    VmctlExecResult res = {0};

    if (vmctl_call(u->opts, req, &status) != VMHA_RESULT_OK) {
        *ret_why = g_strdup("cannot ask clusterd before the reboot");
        return VMHA_RESULT_FAILURE;
    }
    int64_t pid = vmctl_update_member_pid(status, node);
    int64_t fenced = vmctl_update_fenced(status, node);
    json_object_put(status);
    if (!pid) {
        *ret_why = g_strdup_printf("%s's clusterd is not a member before the reboot", node);
        return VMHA_RESULT_FAILURE;
    }
    progress(u, "%s: rebooting: %s", node, u->reboot_command);
    /* The node may go before it answers: then the answer is "left the cluster before
     * answering", which is what a reboot looks like. */
    bool left = false;
    int rc = vmctl_node_exec(u->opts, node, u->reboot_command, REBOOT_COMMAND_TIMEOUT_S, &res,
                             &left);
    if (rc == VMHA_RESULT_OK && res.exit_status != 0) {
        show_output(u, node, res.output, res.output_len);
        *ret_why = g_strdup_printf("the reboot command %s", res.message);
        vmctl_exec_result_clear(&res);
        return VMHA_RESULT_FAILURE;
    }
    vmctl_exec_result_clear(&res);
    progress(u, "%s: going down; waiting for it to come back", node);
    /* Its clusterd left the view: gone, even when it is back already by now, perhaps with the
     * same pid (a fresh PID namespace). */
    *ret_watch = (VmctlRebootWatch){.old_pid = pid, .fenced_before = fenced, .seen_gone = left};
    return VMHA_RESULT_OK;
}

/* One node's turn; VMHA_RESULT_OK or the code the update ends with (r->what says why). */
static int update_node(const Update *u, NodeReport *r, size_t i, size_t n)
{
    const char *node = r->name;
    gint64 t;
    int rc;

    progress(u, "=== %s (%zu/%zu): draining", node, i + 1, n);
    t = g_get_monotonic_time();
    rc = drain(u, node);
    g_autofree char *why = NULL;
    if (rc == VMHA_RESULT_OK && settle(u, node, &why) < 0)
        rc = VMHA_RESULT_FAILURE;
    r->drain_s = seconds_since(t);
    if (rc != VMHA_RESULT_OK) {
        g_autofree char *after = leave_healthy(u, node);
        if (why)
            r->what = g_strdup_printf("drain: %s; %s", why, after);
        else
            r->what = g_strdup_printf("drain failed (exit %d); %s", rc, after);
        return rc == VMHA_RESULT_REFUSED ? rc : VMHA_RESULT_FAILURE;
    }

    progress(u, "%s: drained in %.1f s; running: %s", node, r->drain_s, u->command);
    VmctlExecResult res = {0};
    t = g_get_monotonic_time();
    rc = vmctl_node_exec(u->opts, node, u->command, MIN(u->timeout, VMHA_EXEC_TIMEOUT_S), &res,
                         NULL);
    r->command_s = seconds_since(t);
    if (rc != VMHA_RESULT_OK) {
        g_autofree char *after = leave_healthy(u, node);
        r->what = g_strdup_printf("the command's outcome is unknown (see above); %s", after);
        return VMHA_RESULT_FAILURE;
    }
    show_output(u, node, res.output, res.output_len);
    r->exit_status = res.exit_status;
    r->output = g_steal_pointer(&res.output);
    g_autofree char *how = g_steal_pointer(&res.message);
    vmctl_exec_result_clear(&res);
    progress(u, "%s: command %s (%.1f s)", node, how, r->command_s);
    if (r->exit_status != 0) {
        g_autofree char *after = leave_healthy(u, node);
        r->what = g_strdup_printf("command %s; %s", how, after);
        return VMHA_RESULT_FAILURE;
    }

    BackWait b = {.node = node};
    t = g_get_monotonic_time();
    if (u->reboot_command && r->local)
        progress(u, "%s: not rebooted: it is the node this vmctl runs on", node);
    if (u->reboot_command && !r->local) {
        rc = reboot_node(u, node, &b.watch, &why);
        b.rebooted = true;
        if (rc != VMHA_RESULT_OK) {
            r->back_s = seconds_since(t);
            g_autofree char *after = leave_healthy(u, node);
            r->what = g_strdup_printf("%s; %s", why, after);
            return rc;
        }
    }
    rc = vmctl_wait(u->opts, u->timeout, check_back, &b);
    r->back_s = seconds_since(t);
    if (rc != VMHA_RESULT_OK) {
        r->what = g_strdup_printf("%s did not come back within %u s; it stays drained", node,
                                  u->timeout);
        return rc == -ETIMEDOUT ? VMHA_RESULT_FAILURE : rc;
    }
    if (u->reboot_command && !r->local)
        progress(u, "%s: rebooted and back in %.1f s", node, r->back_s);

    progress(u, "%s: resuming with failback", node);
    t = g_get_monotonic_time();
    rc = resume(u, node);
    if (rc != VMHA_RESULT_OK) {
        r->resume_s = seconds_since(t);
        r->what = g_strdup_printf("resume with failback failed (exit %d; see above)", rc);
        return VMHA_RESULT_FAILURE;
    }
    if (settle(u, node, &why) < 0) {
        r->resume_s = seconds_since(t);
        r->what = g_strdup_printf("after the resume: %s", why);
        return VMHA_RESULT_FAILURE;
    }
    r->resume_s = seconds_since(t);
    progress(u, "%s: done (drain %.1f s, command %.1f s, resume %.1f s)", node, r->drain_s,
             r->command_s, r->resume_s);
    r->result = STEP_DONE;
    r->what = g_strdup(u->reboot_command && r->local ? "done; not rebooted (this vmctl runs here)"
                                                     : "done");
    return VMHA_RESULT_OK;
}

static const char *result_str(StepResult r)
{
    return r == STEP_DONE ? "done" : r == STEP_FAILED ? "failed" : "not started";
}

static json_object *secs_or_null(double s)
{
    return s >= 0 ? json_object_new_double(s) : NULL;
}

static void print_summary(const Update *u, NodeReport *reports, size_t n, const char *stopped_at)
{
    if (u->json) {
        json_object *o = json_object_new_object();
        json_object *arr = json_object_new_array();
        json_object_object_add(o, "ok", json_object_new_boolean(stopped_at == NULL));
        json_object_object_add(o, "command", json_object_new_string(u->command));
        json_object_object_add(o, "stopped_at",
                               stopped_at ? json_object_new_string(stopped_at) : NULL);
        for (size_t i = 0; i < n; i++) {
            NodeReport *r = &reports[i];
            json_object *no = json_object_new_object();
            json_object_object_add(no, "name", json_object_new_string(r->name));
            json_object_object_add(no, "result", json_object_new_string(result_str(r->result)));
            json_object_object_add(no, "detail", r->what ? json_object_new_string(r->what) : NULL);
            json_object_object_add(no, "exit_status",
                                   r->exit_status >= 0 ? json_object_new_int(r->exit_status)
                                                       : NULL);
            g_autofree char *valid = r->output ? g_utf8_make_valid(r->output, -1) : NULL;
            json_object_object_add(no, "output", valid ? json_object_new_string(valid) : NULL);
            json_object_object_add(no, "drain_s", secs_or_null(r->drain_s));
            json_object_object_add(no, "command_s", secs_or_null(r->command_s));
            json_object_object_add(no, "back_s", secs_or_null(r->back_s));
            json_object_object_add(no, "resume_s", secs_or_null(r->resume_s));
            json_object_array_add(arr, no);
        }
        json_object_object_add(o, "nodes", arr);
        vmctl_print_json(o);
        json_object_put(o);
        return;
    }
    printf("\nRolling update: %s\n", u->command);
    printf("%-12s %-12s %8s %8s %8s %8s  %s\n", "NODE", "RESULT", "DRAIN", "COMMAND", "BACK",
           "RESUME", "DETAIL");
    for (size_t i = 0; i < n; i++) {
        NodeReport *r = &reports[i];
        char d[16] = "-", c[16] = "-", b[16] = "-", s[16] = "-";
        if (r->drain_s >= 0)
            g_snprintf(d, sizeof(d), "%.1f s", r->drain_s);
        if (r->command_s >= 0)
            g_snprintf(c, sizeof(c), "%.1f s", r->command_s);
        if (r->back_s >= 0)
            g_snprintf(b, sizeof(b), "%.1f s", r->back_s);
        if (r->resume_s >= 0)
            g_snprintf(s, sizeof(s), "%.1f s", r->resume_s);
        printf("%-12s %-12s %8s %8s %8s %8s  %s\n", r->name, result_str(r->result), d, c, b, s,
               r->what ? r->what : "");
    }
    fflush(stdout);
}

int vmctl_update_run(const VmctlOptions *opts, const VmctlUpdateSpec *spec, GPtrArray *nodes,
                     const char *local)
{
    VmctlOptions steps = *opts;
    Update u = {.opts = &steps,
                .json = opts->json,
                .command = spec->command,
                .reboot_command = spec->reboot_command,
                .timeout = spec->timeout};
    int rc = VMHA_RESULT_OK;

    steps.json = false;
    if (u.reboot_command)
        vmctl_update_local_last(nodes, local);
    g_autofree NodeReport *reports = g_new0(NodeReport, nodes->len);
    for (guint i = 0; i < nodes->len; i++) {
        reports[i].name = g_strdup(g_ptr_array_index(nodes, i));
        reports[i].local = g_strcmp0(reports[i].name, local) == 0;
        reports[i].exit_status = -1;
        reports[i].drain_s = reports[i].command_s = reports[i].back_s = reports[i].resume_s = -1;
    }
    vmctl_report_progress_to_stderr(opts); /* with --json, until the summary */
    progress(&u, "rolling update of %u nodes, one at a time: %s", nodes->len, u.command);
    const char *stopped_at = NULL;
    const char *stopped_why = NULL;
    for (guint i = 0; i < nodes->len && !stopped_at; i++) {
        rc = update_node(&u, &reports[i], i, nodes->len);
        if (rc != VMHA_RESULT_OK) {
            reports[i].result = STEP_FAILED;
            stopped_at = reports[i].name;
            stopped_why = reports[i].what;
            progress(&u, "stopped at %s (%u/%u): %s", stopped_at, i + 1, nodes->len, stopped_why);
        }
    }
    print_summary(&u, reports, nodes->len, stopped_at);
    if (stopped_at)
        vmctl_error(opts, rc, "the update stopped at %s: %s", stopped_at, stopped_why);
    for (guint i = 0; i < nodes->len; i++) {
        g_free(reports[i].name);
        g_free(reports[i].what);
        g_free(reports[i].output);
    }
    return stopped_at ? rc : VMHA_RESULT_OK;
}
