/* Moving VMs: the options of node drain, node resume and vm move, the move request, and
 * following the moves through `status` until they land (--wait). */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "client.h"
#include "clientdoc.h"
#include "moves.h"
#include "vmattr.h"
#include "wait.h"

static int parse_method(const VmctlOptions *opts, const char *value, void *ret)
{
    if (vmha_migration_method_from_string(value, ret) < 0)
        return vmctl_error(opts, VMHA_RESULT_USAGE, "bad method '%s': " VMHA_MIGRATION_METHODS,
                           value),
               -1;
    return 0;
}

const char *vmctl_move_options_parse(VmctlOptions *opts, VmctlMoveOptions *mo, int argc,
                                     char **argv, const char *allowed, const char *usage)
{
    /* Each with its letter in `allowed`. */
    const struct {
        char letter;
        VmctlArg arg;
    } all[] = {
            {'m', VMCTL_ARG_PARSED("method", parse_method, &mo->method)},
            {'f', VMCTL_ARG("force", VMCTL_ARG_FLAG, &mo->force)},
            {'n', VMCTL_ARG("dry-run", VMCTL_ARG_FLAG, &mo->dry_run)},
            {'w', VMCTL_ARG("wait", VMCTL_ARG_FLAG, &mo->wait)},
            {'t', VMCTL_ARG("timeout", VMCTL_ARG_TIMEOUT, &mo->timeout)},
            {'b', VMCTL_ARG("failback", VMCTL_ARG_FLAG, &mo->failback)},
            {'o', VMCTL_ARG("to", VMCTL_ARG_STRING, &mo->to)},
    };
    VmctlArg args[G_N_ELEMENTS(all) + 1] = {VMCTL_ARG_END};
    size_t n = 0;

    for (size_t i = 0; i < G_N_ELEMENTS(all); i++)
        if (strchr(allowed, all[i].letter))
            args[n++] = all[i].arg;
    args[n] = (VmctlArg)VMCTL_ARG_END;
    mo->timeout = 600;
    /* `vm move` names a VM, the others a node. */
    VmctlWord what = strchr(allowed, 'o') ? VMCTL_WORD_VM : VMCTL_WORD_NODE;
    const char *name = vmctl_parse_operand(opts, args, usage, what, argc, argv);
    if (!name)
        return NULL;
    if (mo->to && !vmha_node_name_valid(mo->to))
        return vmctl_error(opts, VMHA_RESULT_USAGE, "bad node name '%s'", mo->to), NULL;
    return name;
}

static double seconds_since(gint64 start_us)
{
    return (double)(g_get_monotonic_time() - start_us) / G_USEC_PER_SEC;
}

/* ---- following the moves (--wait) ----
 *
 * On a terminal one progress line is redrawn (VMs moved / total, the VM moving now, elapsed). */

typedef enum {
    TRACK_WAITING,
    TRACK_MOVING,
    TRACK_ARRIVED,
    TRACK_STOPPED,
    TRACK_FAILED,
    TRACK_KEPT, /* runs on the node it should leave and the plan keeps it there: not moved */
} TrackState;

typedef struct {
    char *vm;
    const char *want; /* the node it must reach; NULL: anywhere but Watch.node */
    TrackState state;
    gint64 moving_since;
    char *last_event;
} Tracked;

struct VmctlMoveWatch {
    const VmctlOptions *opts;
    const char *node; /* drain: the node being drained; move: the node left */
    bool drain;       /* done when the node is drained (else when every VM arrived) */
    GArray *vms;      /* Tracked */
    gint64 start;
    bool tty, progress_shown;
};
typedef VmctlMoveWatch Watch;

void vmctl_move_watch_print(Watch *w, const char *fmt, ...)
{
    va_list ap;
    time_t now = time(NULL);
    struct tm tm;
    char ts[16];

    if (w->opts->json)
        return;
    strftime(ts, sizeof(ts), "%H:%M:%S", localtime_r(&now, &tm));
    if (w->progress_shown)
        fputs("\r\033[K", stdout);
    w->progress_shown = false;
    printf("%s ", ts);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

static const char *first_node(json_object *vm)
{
    json_object *nodes = vmctl_json_get(vm, "nodes");
    if (!nodes || json_object_array_length(nodes) != 1)
        return NULL;
    return json_object_get_string(json_object_array_get_idx(nodes, 0));
}

/* Moves one tracked VM forward from its entry in status; prints what changed. */
static void track(Watch *w, Tracked *t, json_object *vm)
{
    const char *state = json_object_get_string(vmctl_json_get(vm, "state"));
    const char *on = first_node(vm);
    const char *why = json_object_get_string(vmctl_json_get(vm, "why"));
    const char *planned = json_object_get_string(vmctl_json_get(vm, "planned_node"));
    bool arrived = g_strcmp0(state, "running") == 0 && on &&
                   (t->want ? strcmp(on, t->want) == 0 : strcmp(on, w->node) != 0);

    if (arrived) {
        if (t->state != TRACK_ARRIVED)
            vmctl_move_watch_print(w, "%s: running on %s (%.1f s)", t->vm, on,
                                   seconds_since(t->moving_since ? t->moving_since : w->start));
        t->state = TRACK_ARRIVED;
        return;
    }
    /* Still where it was, healthy, and the plan keeps it there (a migration that failed, a
     * node that cannot take it any more): it is not going to move, say why. */
    if (g_strcmp0(state, "running") == 0 && on && strcmp(on, w->node) == 0 &&
        g_strcmp0(planned, w->node) == 0 && !vmctl_json_get(vm, "pending")) {
        if (t->state != TRACK_KEPT)
            vmctl_move_watch_print(w, "%s: not moved, still running on %s%s%s", t->vm, on,
                                   why ? ": " : "", why ? why : "");
        t->state = TRACK_KEPT;
        return;
    }
    /* "recovering" is the plan's word for a VM about to move: it has not started moving yet. */
    if (g_strcmp0(state, "recovering") == 0 && t->state == TRACK_WAITING)
        return;
    if (g_strcmp0(state, "migrating") == 0 || g_strcmp0(state, "starting") == 0 ||
        g_strcmp0(state, "stopping") == 0 || g_strcmp0(state, "recovering") == 0) {
        if (t->state != TRACK_MOVING) {
            t->moving_since = g_get_monotonic_time();
            vmctl_move_watch_print(w, "%s: %s%s%s", t->vm, state, planned ? " to " : "",
                                   planned ? planned : "");
        }
        t->state = TRACK_MOVING;
        return;
    }
    /* Stopped or failed: said once per distinct reason, never silently. */
    TrackState s = g_strcmp0(state, "failed") == 0    ? TRACK_FAILED
                   : g_strcmp0(state, "stopped") == 0 ? TRACK_STOPPED
                                                      : t->state;
    g_autofree char *event = g_strdup_printf("%s: %s%s%s", t->vm, state ? state : "unknown",
                                             why ? ": " : "", why ? why : "");
    if ((s == TRACK_FAILED || s == TRACK_STOPPED) && g_strcmp0(event, t->last_event) != 0) {
        vmctl_move_watch_print(w, "%s", event);
        g_free(t->last_event);
        t->last_event = g_steal_pointer(&event);
    }
    t->state = s;
}

static int check_watch(json_object *status, void *ctx, char **ret_line)
{
    Watch *w = ctx;
    size_t arrived = 0, unsettled = 0, kept = 0;
    const char *current = NULL;

    /* No VM list, or one from a database being synced (e.g. while the leader changes): a VM
     * missing there is not removed. Ask again. */
    json_object *in_sync = vmctl_json_get(vmctl_json_get(status, "database"), "in_sync");
    if (!json_object_is_type(vmctl_json_get(status, "vms"), json_type_array) ||
        !json_object_get_boolean(in_sync)) {
        *ret_line = NULL;
        return 0;
    }

    for (guint i = 0; i < w->vms->len; i++) {
        Tracked *t = &g_array_index(w->vms, Tracked, i);
        json_object *vm = vmctl_find_named(vmctl_json_get(status, "vms"), t->vm);
        if (!vm) {
            vmctl_move_watch_print(w, "%s: removed from the cluster", t->vm);
            t->state = TRACK_ARRIVED;
        } else {
            track(w, t, vm);
        }
        arrived += t->state == TRACK_ARRIVED;
        kept += t->state == TRACK_KEPT;
        unsettled += t->state == TRACK_WAITING || t->state == TRACK_MOVING;
        if (t->state == TRACK_MOVING && !current)
            current = t->vm;
    }
    json_object *node = vmctl_find_named(vmctl_json_get(status, "nodes"), w->node);
    const char *state = json_object_get_string(vmctl_json_get(node, "state"));
    /* Drained once the node holds nothing and every VM that left it has arrived (or stopped,
     * said above): a migrate_from still running elsewhere is part of the drain. */
    if (unsettled == 0 && kept > 0) {
        g_autoptr(GString) names = g_string_new(NULL);
        for (guint i = 0; i < w->vms->len; i++) {
            Tracked *t = &g_array_index(w->vms, Tracked, i);
            if (t->state == TRACK_KEPT)
                g_string_append_printf(names, "%s%s", names->len ? ", " : "", t->vm);
        }
        vmctl_move_watch_print(w, "%s: %zu/%u VMs moved; not moved: %s", w->node, arrived,
                               w->vms->len, names->str);
        return -1;
    }
    if (w->drain && g_strcmp0(state, "drained") == 0 && unsettled == 0) {
        vmctl_move_watch_print(w, "%s: drained (%zu/%u VMs moved, %.1f s)", w->node, arrived,
                               w->vms->len, seconds_since(w->start));
        return 1;
    }
    if (w->drain && state && g_strcmp0(state, "draining") != 0 &&
        g_strcmp0(state, "drained") != 0) {
        vmctl_move_watch_print(w, "%s: %s: the drain did not finish", w->node, state);
        return -1;
    }
    if (!w->drain && arrived == w->vms->len)
        return 1;
    if (w->tty && !w->opts->json) {
        printf("\r\033[K%zu/%u moved%s%s, %.0f s", arrived, w->vms->len, current ? ", moving " : "",
               current ? current : "", seconds_since(w->start));
        fflush(stdout);
        w->progress_shown = true;
    }
    *ret_line = NULL;
    return 0;
}

void vmctl_move_watch_add(Watch *w, const char *vm, const char *want)
{
    Tracked t = {.vm = g_strdup(vm), .want = want};
    g_array_append_val(w->vms, t);
}

size_t vmctl_move_watch_size(const Watch *w)
{
    return w->vms->len;
}

void vmctl_move_watch_free(Watch *w)
{
    if (!w)
        return;
    for (guint i = 0; i < w->vms->len; i++) {
        Tracked *t = &g_array_index(w->vms, Tracked, i);
        g_free(t->vm);
        g_free(t->last_event);
    }
    g_array_unref(w->vms);
    g_free(w);
}

int vmctl_move_watch_run(Watch *w, unsigned timeout, const char *what)
{
    int rc = vmctl_wait(w->opts, timeout, check_watch, w);
    if (w->progress_shown)
        fputs("\r\033[K", stdout);
    if (rc == -ETIMEDOUT)
        return vmctl_error(w->opts, VMHA_RESULT_FAILURE,
                           "%s not done after %u s; it goes on (see 'vmctl status')", what,
                           timeout);
    if (rc == VMHA_RESULT_FAILURE)
        return vmctl_error(w->opts, rc, "%s did not finish (see 'vmctl status')", what);
    return rc;
}

Watch *vmctl_move_watch_new(const VmctlOptions *opts, const char *node, bool drain)
{
    Watch *w = g_new0(Watch, 1);
    *w = (Watch){
            .opts = opts,
            .node = node,
            .drain = drain,
            .vms = g_array_new(false, true, sizeof(Tracked)),
            .start = g_get_monotonic_time(),
            .tty = isatty(STDOUT_FILENO),
    };
    return w;
}

/* ---- move requests (vm move, node resume --failback) ---- */

ssize_t vmctl_running_on(const VmhaModel *m, const VmhaVm *vm)
{
    return vmha_doc_running_on(m, vm);
}

int vmctl_send_move(const VmctlOptions *opts, const char *vm, const char *from, const char *to,
                    VmhaMigrationMethod method)
{
    g_autoptr(VmhaMsg) req = vmha_doc_move_request(vm, from, to, method);
    if (!req)
        return vmctl_error(opts, VMHA_RESULT_USAGE, "request too large");
    return vmctl_call(opts, req, NULL);
}
