/* vmctl node drain|resume and vm move: planned maintenance (docs/vmctl.md).
 *
 * The checks up front (can the others absorb the node? can the VM go there?) run the policy
 * engine on the live database here, as `simulate` does, so that a refused request writes
 * nothing. clusterd then records the drain marks or the move request; the leader's engine does
 * the moving, and --wait follows it through `status`. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "commands.h"
#include "drainplan.h"
#include "vmattr.h"
#include "vmha/migration.h"
#include "wait.h"

typedef struct {
    VmhaMigrationMethod method;
    bool force, dry_run, wait, failback;
    unsigned timeout;
    const char *to;
} MaintOptions;

/* Parses the options of the three commands (each accepts those in `allowed`, a string of the
 * short letters below); returns the index of the one operand, or -1 after printing usage. */
static int parse_options(VmctlOptions *opts, MaintOptions *mo, int argc, char **argv,
                         const char *allowed, const char *usage)
{
    static const struct option long_options[] = {
            {"method", required_argument, NULL, 'm'},
            {"force", no_argument, NULL, 'f'},
            {"dry-run", no_argument, NULL, 'n'},
            {"wait", no_argument, NULL, 'w'},
            {"timeout", required_argument, NULL, 't'},
            {"failback", no_argument, NULL, 'b'},
            {"to", required_argument, NULL, 'o'},
            {"json", no_argument, NULL, 'j'},
            {NULL, 0, NULL, 0},
    };
    int c;

    mo->timeout = 600;
    optind = 0; /* 0, not 1: glibc then re-reads the optstring (main used "+") */
    while ((c = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
        if (c != 'j' && (c == '?' || !strchr(allowed, c)))
            return vmctl_error(opts, VMHA_RESULT_USAGE, "%s", usage), -1;
        switch (c) {
        case 'm':
            if (vmha_migration_method_from_string(optarg, &mo->method) < 0)
                return vmctl_error(opts, VMHA_RESULT_USAGE,
                                   "bad method '%s': " VMHA_MIGRATION_METHODS, optarg),
                       -1;
            break;
        case 'f':
            mo->force = true;
            break;
        case 'n':
            mo->dry_run = true;
            break;
        case 'w':
            mo->wait = true;
            break;
        case 't':
            if (vmctl_parse_timeout(optarg, &mo->timeout) < 0)
                return vmctl_error(opts, VMHA_RESULT_USAGE, "bad timeout '%s': 1..86400 seconds",
                                   optarg),
                       -1;
            break;
        case 'b':
            mo->failback = true;
            break;
        case 'o':
            mo->to = optarg;
            break;
        case 'j':
            opts->json = true;
            break;
        }
    }
    if (argc - optind != 1)
        return vmctl_error(opts, VMHA_RESULT_USAGE, "%s", usage), -1;
    return optind;
}

static double seconds_since(gint64 start_us)
{
    return (double)(g_get_monotonic_time() - start_us) / G_USEC_PER_SEC;
}

/* ---- following the moves (--wait) ----
 *
 * On a terminal one progress line is redrawn (VMs moved / total, the VM moving now, elapsed);
 * every event (a VM starts moving, arrives, stops or fails) is also printed as a line of its
 * own, which is all a script or log sees. */

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

typedef struct {
    const VmctlOptions *opts;
    const char *node; /* drain: the node being drained; move: the node left */
    bool drain;       /* done when the node is drained (else when every VM arrived) */
    GArray *vms;      /* Tracked */
    gint64 start;
    bool tty, progress_shown;
} Watch;

static void watch_print(Watch *w, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void watch_print(Watch *w, const char *fmt, ...)
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
            watch_print(w, "%s: running on %s (%.1f s)", t->vm, on,
                        seconds_since(t->moving_since ? t->moving_since : w->start));
        t->state = TRACK_ARRIVED;
        return;
    }
    /* Still where it was, healthy, and the plan keeps it there (a migration that failed, a
     * node that cannot take it any more): it is not going to move, say why. */
    if (g_strcmp0(state, "running") == 0 && on && strcmp(on, w->node) == 0 &&
        g_strcmp0(planned, w->node) == 0 && !vmctl_json_get(vm, "pending")) {
        if (t->state != TRACK_KEPT)
            watch_print(w, "%s: not moved, still running on %s%s%s", t->vm, on, why ? ": " : "",
                        why ? why : "");
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
            watch_print(w, "%s: %s%s%s", t->vm, state, planned ? " to " : "",
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
        watch_print(w, "%s", event);
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
            watch_print(w, "%s: removed from the cluster", t->vm);
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
        watch_print(w, "%s: %zu/%u VMs moved; not moved: %s", w->node, arrived, w->vms->len,
                    names->str);
        return -1;
    }
    if (w->drain && g_strcmp0(state, "drained") == 0 && unsettled == 0) {
        watch_print(w, "%s: drained (%zu/%u VMs moved, %.1f s)", w->node, arrived, w->vms->len,
                    seconds_since(w->start));
        return 1;
    }
    if (w->drain && state && g_strcmp0(state, "draining") != 0 &&
        g_strcmp0(state, "drained") != 0) {
        watch_print(w, "%s: %s: the drain did not finish", w->node, state);
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

static void watch_add(Watch *w, const char *vm, const char *want)
{
    Tracked t = {.vm = g_strdup(vm), .want = want};
    g_array_append_val(w->vms, t);
}

static void watch_clear(Watch *w)
{
    for (guint i = 0; i < w->vms->len; i++) {
        Tracked *t = &g_array_index(w->vms, Tracked, i);
        g_free(t->vm);
        g_free(t->last_event);
    }
    g_array_unref(w->vms);
}

/* Follows w until done; a VMHA_RESULT_* code with the reason printed. */
static int watch_run(Watch *w, unsigned timeout, const char *what)
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

static Watch watch_new(const VmctlOptions *opts, const char *node, bool drain)
{
    return (Watch){
            .opts = opts,
            .node = node,
            .drain = drain,
            .vms = g_array_new(false, true, sizeof(Tracked)),
            .start = g_get_monotonic_time(),
            .tty = isatty(STDOUT_FILENO),
    };
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
    json_object *o = json_object_new_object();
    json_object *moves = json_object_new_array();
    for (size_t i = 0; i < d->n_moves; i++) {
        const VmhaDrainMove *mv = &d->moves[i];
        json_object *e = json_object_new_object();
        json_object_object_add(e, "vm", json_object_new_string(mv->vm));
        json_object_object_add(e, "priority", json_object_new_int(mv->priority));
        json_object_object_add(e, "memory_mib", json_object_new_int64(mv->memory));
        json_object_object_add(e, "target", mv->target ? json_object_new_string(mv->target) : NULL);
        const char *method = vmha_migration_method_to_string(mv->method);
        json_object_object_add(e, "method", method ? json_object_new_string(method) : NULL);
        json_object_object_add(e, "pause_s",
                               mv->target && mv->pause_s >= 0 ? json_object_new_double(mv->pause_s)
                                                              : NULL);
        json_object_object_add(e, "why", mv->why ? json_object_new_string(mv->why) : NULL);
        json_object_array_add(moves, e);
    }
    json_object_object_add(o, "node", json_object_new_string(node));
    json_object_object_add(o, "moves", moves);
    json_object_object_add(o, "unplaced", json_object_new_int64((int64_t)d->n_stuck));
    json_object_object_add(o, "rates_measured", json_object_new_boolean(d->measured));
    json_object_object_add(o, "save_mib_per_s", json_object_new_double(d->save_mib_per_s));
    json_object_object_add(o, "restore_mib_per_s", json_object_new_double(d->restore_mib_per_s));
    json_object *after = json_object_new_array();
    for (size_t n = 0; n < m->n_nodes; n++) {
        json_object *e = json_object_new_object();
        json_object_object_add(e, "name", json_object_new_string(m->nodes[n].name));
        json_object_object_add(e, "free_memory_mib",
                               d->free_after[n] < 0 ? NULL
                                                    : json_object_new_int64(d->free_after[n]));
        json_object_array_add(after, e);
    }
    json_object_object_add(o, "after", after);
    json_object_object_add(o, "biggest_node",
                           d->biggest < 0 ? NULL
                                          : json_object_new_string(m->nodes[d->biggest].name));
    json_object_object_add(o, "absorbs_biggest",
                           d->absorbs_biggest < 0 ? NULL
                                                  : json_object_new_boolean(d->absorbs_biggest));
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
    MaintOptions mo = {0};
    int first = parse_options(&opts, &mo, argc, argv, "mfnwt", usage);
    if (first < 0)
        return VMHA_RESULT_USAGE;
    const char *node = argv[first];
    if (!vmha_node_name_valid(node))
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "bad node name '%s'", node);

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
        Watch w = watch_new(&opts, node, true);
        for (size_t i = 0; i < plan->n_moves; i++)
            if (plan->moves[i].target)
                watch_add(&w, plan->moves[i].vm, NULL);
        g_autofree char *what = g_strdup_printf("the drain of %s", node);
        rc = watch_run(&w, mo.timeout, what);
        watch_clear(&w);
        if (rc != VMHA_RESULT_OK)
            return rc;
    }
    vmctl_print_ok(&opts, mo.wait ? "drained" : "draining");
    return VMHA_RESULT_OK;
}

/* ---- vm move and node resume --failback: move requests ---- */

/* The node the VM runs on, alone and healthy, or -1. */
static ssize_t running_on(const VmhaModel *m, const VmhaVm *vm)
{
    ssize_t on = -1;
    for (size_t n = 0; n < m->n_nodes; n++) {
        if (vm->state[n] == VMHA_RSC_INACTIVE)
            continue;
        if (on >= 0 || vm->state[n] != VMHA_RSC_ACTIVE)
            return -1;
        on = (ssize_t)n;
    }
    return on;
}

static int send_move(const VmctlOptions *opts, const char *vm, const char *from, const char *to,
                     VmhaMigrationMethod method)
{
    g_autoptr(VmhaMsg) req = vmha_msg_new(VMHA_MSG_VM_MOVE);
    g_autofree char *from_kv = g_strdup_printf("from=%s", from);
    /* Always a method: a move is a migration even for a VM without allow-migrate. */
    g_autofree char *method_kv = g_strdup_printf(
            "method=%s", vmha_migration_method_to_string(method ? method : VMHA_MIGRATION_QUICK));
    if (vmha_msg_add_str(req, VMHA_F_NAME, vm) < 0 ||
        vmha_msg_add_str(req, VMHA_F_KV, from_kv) < 0 ||
        (to && vmha_msg_add_str(req, VMHA_F_NODE, to) < 0) ||
        vmha_msg_add_str(req, VMHA_F_KV, method_kv) < 0)
        return vmctl_error(opts, VMHA_RESULT_USAGE, "request too large");
    return vmctl_call(opts, req, NULL);
}

int vmctl_cmd_vm_move(const VmctlOptions *gopts, int argc, char **argv)
{
    const char *usage = "usage: vmctl vm move NAME [--to NODE] [--method quick|live|cold] "
                        "[--wait [--timeout SECONDS]]";
    VmctlOptions opts = *gopts;
    MaintOptions mo = {0};
    int first = parse_options(&opts, &mo, argc, argv, "omwt", usage);
    if (first < 0)
        return VMHA_RESULT_USAGE;
    const char *name = argv[first];
    if (!vmha_vm_name_valid(name))
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "bad VM name '%s'", name);
    if (mo.to && !vmha_node_name_valid(mo.to))
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "bad node name '%s'", mo.to);

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
    ssize_t from = running_on(model, vm);
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

    rc = send_move(&opts, name, from_name, mo.to, mo.method);
    if (rc != VMHA_RESULT_OK)
        return rc;
    if (!opts.json) {
        printf("%s: moving %s -> %s (%s)\n", name, from_name, model->nodes[target].name,
               vmha_migration_method_to_string(mo.method ? mo.method : VMHA_MIGRATION_QUICK));
        fflush(stdout);
    }
    if (mo.wait) {
        Watch w = watch_new(&opts, from_name, false);
        watch_add(&w, name, mo.to);
        g_autofree char *what = g_strdup_printf("the move of %s", name);
        rc = watch_run(&w, mo.timeout, what);
        watch_clear(&w);
        if (rc != VMHA_RESULT_OK)
            return rc;
    }
    vmctl_print_ok(&opts, mo.wait ? "moved" : "moving");
    return VMHA_RESULT_OK;
}

/* ---- node resume ---- */

/* The node a VM prefers most (its highest positive location score), or -1. */
static ssize_t preferred_node(const VmhaVm *vm)
{
    ssize_t best = -1;
    int score = 0;
    for (size_t i = 0; i < vm->n_locations; i++)
        if (vm->locations[i].score > score) {
            score = vm->locations[i].score;
            best = (ssize_t)vm->locations[i].node;
        }
    return best;
}

int vmctl_cmd_node_resume(const VmctlOptions *gopts, int argc, char **argv)
{
    const char *usage = "usage: vmctl node resume NODE [--failback] [--wait [--timeout SECONDS]]";
    VmctlOptions opts = *gopts;
    MaintOptions mo = {0};
    int first = parse_options(&opts, &mo, argc, argv, "bwt", usage);
    if (first < 0)
        return VMHA_RESULT_USAGE;
    const char *node = argv[first];
    if (!vmha_node_name_valid(node))
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "bad node name '%s'", node);

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
    Watch w = watch_new(&opts, node, false);
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
            if (preferred_node(vm) != idx || g_hash_table_contains(asked, vm->name))
                continue;
            if (vm->pending_op) {
                in_flight++;
                continue;
            }
            ssize_t from = running_on(model, vm);
            if (from < 0 || from == idx)
                continue;
            g_hash_table_add(asked, g_strdup(vm->name));
            ssize_t target = -1;
            g_autofree char *why = NULL;
            if (vmha_move_check(model, v, from, idx, VMHA_MIGRATION_DEFAULT, (int64_t)time(NULL),
                                &target, &why) < 0) {
                watch_print(&w, "%s: stays on %s: %s", vm->name, model->nodes[from].name, why);
                continue;
            }
            if (send_move(&opts, vm->name, model->nodes[from].name, node, VMHA_MIGRATION_DEFAULT) !=
                VMHA_RESULT_OK) {
                failed++;
                continue;
            }
            watch_print(&w, "%s: failing back %s -> %s", vm->name, model->nodes[from].name, node);
            watch_add(&w, vm->name, node);
        }
        if (in_flight == 0 || g_get_monotonic_time() >= deadline)
            break;
        g_usleep(G_USEC_PER_SEC);
    }
    if (rc == VMHA_RESULT_OK && mo.wait && w.vms->len > 0) {
        g_autofree char *what = g_strdup_printf("the failback to %s", node);
        rc = watch_run(&w, mo.timeout, what);
    }
    watch_clear(&w);
    if (rc != VMHA_RESULT_OK)
        return rc;
    if (failed > 0)
        return vmctl_error(&opts, VMHA_RESULT_FAILURE, "%d failback request%s refused", failed,
                           failed == 1 ? "" : "s");
    vmctl_print_ok(&opts, mo.wait ? "failed back" : "resumed");
    return VMHA_RESULT_OK;
}
