/* vmctl status [--watch]: nodes and VMs, quorum, leader and database as the local clusterd sees
 * them (docs/vmctl.md). */
#include "config.h"

#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "clientdoc.h"
#include "commands.h"
#include "incident.h"

/* Appends head (the fixed columns) and then text as the last column, wrapped at word boundaries
 * so that no line exceeds 100 columns; continuation lines are indented to that column. */
static void append_row(GString *out, const char *head, const char *text)
{
    const size_t width = 100, indent = strlen(head);
    size_t col = indent;

    g_string_append(out, head);
    g_auto(GStrv) words = g_strsplit(text, " ", -1);
    for (size_t i = 0; words[i]; i++) {
        size_t len = strlen(words[i]);
        if (col > indent && col + 1 + len > width) {
            g_string_append_printf(out, "\n%*s", (int)indent, "");
            col = indent;
        } else if (col > indent) {
            g_string_append_c(out, ' ');
            col++;
        }
        g_string_append(out, words[i]);
        col += len;
    }
    g_string_append_c(out, '\n');
}

/* The VMS, MEMORY and CPU cells from a node's "load": "3", "1536/4096 MiB", "3/8"; "-" for what
 * is not known (out of sync, an older clusterd) and for a capacity not configured. */
static void format_load(json_object *load, char *vms, size_t vms_len, char *mem, size_t mem_len,
                        char *cpu, size_t cpu_len)
{
    json_object *mem_cap = vmctl_json_get(load, "memory_mib"),
                *cpu_cap = vmctl_json_get(load, "cpu");

    g_strlcpy(vms, "-", vms_len);
    g_strlcpy(mem, "-", mem_len);
    g_strlcpy(cpu, "-", cpu_len);
    if (!load || !json_object_is_type(load, json_type_object))
        return;
    snprintf(vms, vms_len, "%" PRId64, vmctl_json_int(load, "vms"));
    if (mem_cap)
        snprintf(mem, mem_len, "%" PRId64 "/%" PRId64 " MiB",
                 vmctl_json_int(load, "memory_used_mib"), json_object_get_int64(mem_cap));
    if (cpu_cap)
        snprintf(cpu, cpu_len, "%" PRId64 "/%" PRId64, vmctl_json_int(load, "cpu_used"),
                 json_object_get_int64(cpu_cap));
}

static void append_nodes_table(GString *out, json_object *nodes)
{
    g_string_append_printf(out, "%-14s %4s  %-9s %-8s %-12s %3s %-16s %-5s %s\n", "NODE", "ID",
                           "STATE", "CLUSTERD", "ROLE", "VMS", "MEMORY", "CPU", "FENCING");
    for (size_t i = 0; nodes && i < json_object_array_length(nodes); i++) {
        json_object *n = json_object_array_get_idx(nodes, i), *f = vmctl_json_get(n, "fence");
        g_autoptr(GString) role = g_string_new(NULL), fence = g_string_new(NULL);
        if (vmctl_json_bool(n, "leader"))
            g_string_append(role, "leader");
        if (vmctl_json_bool(n, "local"))
            g_string_append_printf(role, "%slocal", role->len ? "," : "");
        int64_t failures = f ? vmctl_json_int(f, "failures") : 0;
        if (f && vmctl_json_int(f, "requested"))
            g_string_append(fence, "requested");
        if (failures)
            g_string_append_printf(fence, "%s%" PRId64 " failed: %s", fence->len ? ", " : "",
                                   failures, vmctl_json_str(f, "last_error") ?: "?");
        else if (f && vmctl_json_int(f, "fenced") &&
                 g_strcmp0(vmctl_json_str(n, "state"), "fenced") == 0) {
            time_t t = (time_t)vmctl_json_int(f, "fenced");
            struct tm tm;
            char when[32];
            strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime_r(&t, &tm));
            g_string_append_printf(fence, "at %s", when);
        }
        /* Without the live model (out of sync) only membership is known. */
        const char *state = vmctl_json_str(n, "state");
        if (!state)
            state = vmctl_json_bool(n, "online") ? "online" : "offline";
        char vms[24], mem[48], cpu[48];
        format_load(vmctl_json_get(n, "load"), vms, sizeof(vms), mem, sizeof(mem), cpu,
                    sizeof(cpu));
        g_autofree char *head =
                g_strdup_printf("%-14s %4" PRId64 "  %-9s %-8s %-12s %3s %-16s %-5s ",
                                vmctl_json_str(n, "name") ?: "?", vmctl_json_int(n, "id"), state,
                                vmctl_json_bool(n, "clusterd") ? "yes" : "no",
                                role->len ? role->str : "-", vms, mem, cpu);
        append_row(out, head, fence->len ? fence->str : "-");
    }
}

/* "10:00:19 start", "2026-12-04 migrate-from failed": the time of day within the last day
 * (local, like the fencing times), else the date. */
static void format_last_event(json_object *ev, time_t now, char *buf, size_t len)
{
    time_t when = (time_t)vmctl_json_int(ev, "time");
    struct tm tm;
    char at[16];

    if (!ev || !localtime_r(&when, &tm) ||
        !strftime(at, sizeof(at), now - when < 24 * 3600 ? "%H:%M:%S" : "%Y-%m-%d", &tm)) {
        g_strlcpy(buf, "-", len);
        return;
    }
    snprintf(buf, len, "%s %s%s", at, vmctl_json_str(ev, "type") ?: "?",
             g_str_has_prefix(vmctl_json_str(ev, "result") ?: "", "failed") ? " failed" : "");
}

static void append_vms_table(GString *out, json_object *status, time_t now)
{
    json_object *vms = vmctl_json_get(status, "vms");

    if (!vms) {
        g_string_append_printf(out, "VMs: unknown (%s)\n",
                               vmctl_json_str(status, "vms_error") ?: "?");
        return;
    }
    g_string_append_printf(out, "%-16s %-10s %-8s %4s %-8s %-22s %s\n", "VM", "STATE", "NODE",
                           "PRIO", "FAILS", "LAST EVENT", "WHY");
    for (size_t i = 0; i < json_object_array_length(vms); i++) {
        json_object *vm = json_object_array_get_idx(vms, i);
        g_autoptr(GString) on = g_string_new(NULL), fails = g_string_new(NULL);
        vmctl_json_join(on, vm, "nodes", ",");
        json_object *fcs = vmctl_json_get(vm, "fail_counts");
        if (fcs && json_object_is_type(fcs, json_type_object)) {
            json_object_object_foreach(fcs, node, fc)
            {
                int64_t c = vmctl_json_int(fc, "count");
                if (c >= 1000000)
                    g_string_append_printf(fails, "%s%s:INF", fails->len ? "," : "", node);
                else
                    g_string_append_printf(fails, "%s%s:%" PRId64, fails->len ? "," : "", node, c);
            }
        }
        char last[48];
        format_last_event(vmctl_json_get(vm, "last_event"), now, last, sizeof(last));
        g_autofree char *head = g_strdup_printf(
                "%-16s %-10s %-8s %4" PRId64 " %-8s %-22s ", vmctl_json_str(vm, "name") ?: "?",
                vmctl_json_str(vm, "state") ?: "?", on->len ? on->str : "-",
                vmctl_json_int(vm, "priority"), fails->len ? fails->str : "-", last);
        append_row(out, head, vmctl_json_str(vm, "why") ?: "-");
    }
}

/* The whole human-readable status. */
static char *render_status(json_object *o)
{
    json_object *local = vmctl_json_get(o, "local_node"), *leader = vmctl_json_get(o, "leader"),
                *db = vmctl_json_get(o, "database");
    g_autoptr(GString) out = g_string_new(NULL);

    append_row(out, "Health:   ", vmctl_json_str(vmctl_json_get(o, "health"), "text") ?: "?");
    g_string_append_printf(out, "Node:     %s (id %" PRId64 ")\n",
                           local ? vmctl_json_str(local, "name") ?: "?" : "?",
                           local ? vmctl_json_int(local, "id") : 0);
    if (vmctl_json_bool(o, "corosync"))
        g_string_append_printf(
                out, "Quorum:   %s (%" PRId64 " votes needed of %" PRId64 " expected)\n",
                vmctl_json_bool(o, "quorate") ? "yes" : "NO", vmctl_json_int(o, "quorum_votes"),
                vmctl_json_int(o, "expected_votes"));
    else
        g_string_append(out, "Quorum:   NO (not connected to corosync)\n");
    g_string_append_printf(out, "Leader:   %s\n",
                           leader ? vmctl_json_str(leader, "name") ?: "?" : "none");
    g_string_append_printf(out,
                           "Database: %s, version %" PRId64 ".%" PRId64 ".%" PRId64
                           ", digest %.12s, %" PRId64 " VMs\n\n",
                           vmctl_json_bool(db, "in_sync") ? "in sync" : "NOT in sync",
                           vmctl_json_int(db, "admin_epoch"), vmctl_json_int(db, "epoch"),
                           vmctl_json_int(db, "num_updates"), vmctl_json_str(db, "digest") ?: "?",
                           vmctl_json_int(o, "vm_count"));
    if (vmctl_json_bool(o, "maintenance_mode"))
        g_string_append(out, "MAINTENANCE MODE: nothing is started, stopped, moved or fenced, and "
                             "nodes without quorum keep their VMs ('vmctl cluster maintenance "
                             "off' ends it)\n\n");
    append_nodes_table(out, vmctl_json_get(o, "nodes"));
    g_string_append_c(out, '\n');
    append_vms_table(out, o, time(NULL));
    return g_string_free(g_steal_pointer(&out), false);
}

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
    interrupted = 1;
}

/* The health line and each VM's last event (lib/clientdoc.h): from clusterd's STATUS answer, or
 * from the history of an older clusterd. Without it (a clusterd that has none, or went away
 * between the two requests) status still shows everything else: the health then says the
 * incidents are unknown. */
static void add_history(json_object *status, const VmctlOptions *opts)
{
    if (vmha_doc_status_add_health(status))
        return;

    g_autoptr(VmhaMsg) req = vmha_msg_new(VMHA_MSG_EVENTS);
    VmctlOptions quiet = *opts;
    json_object *answer = NULL;

    quiet.quiet = true;
    if (vmctl_call(&quiet, req, &answer) != VMHA_RESULT_OK)
        answer = NULL;
    vmha_doc_status_add_history(status, answer);
    json_object_put(answer);
}

/* One snapshot as it would be printed: the JSON document or the tables. */
static int snapshot(const VmctlOptions *opts, char **ret_text)
{
    json_object *o = NULL;
    g_autoptr(VmhaMsg) req = vmha_msg_new(VMHA_MSG_STATUS);
    int rc = vmctl_call(opts, req, &o);

    if (rc != VMHA_RESULT_OK)
        return rc;
    add_history(o, opts);
    *ret_text =
            opts->json ? g_strdup_printf("%s\n", json_object_to_json_string_ext(
                                                         o, JSON_C_TO_STRING_PRETTY |
                                                                    JSON_C_TO_STRING_NOSLASHESCAPE))
                       : render_status(o);
    json_object_put(o);
    return VMHA_RESULT_OK;
}

/* --watch: on a terminal the screen is redrawn every interval; otherwise (a log, a pipe) a new
 * snapshot is printed only when it differs from the last. Ctrl-C ends it with success. */
static int watch(const VmctlOptions *opts, unsigned interval_s)
{
    bool tty = isatty(STDOUT_FILENO);
    g_autofree char *last = NULL;
    struct sigaction sa = {.sa_handler = on_interrupt};

    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    while (!interrupted) {
        g_autofree char *text = NULL;
        int rc = snapshot(opts, &text);
        if (rc != VMHA_RESULT_OK && !interrupted)
            return rc;
        if (text && tty) {
            time_t now = time(NULL);
            struct tm tm;
            char when[32];
            strftime(when, sizeof(when), "%H:%M:%S", localtime_r(&now, &tm));
            printf("\033[H\033[2JEvery %us: vmctl status%*s%s\n\n%s", interval_s, 40, "", when,
                   text);
        } else if (text && g_strcmp0(text, last) != 0) {
            fputs(text, stdout);
            if (!opts->json)
                fputs("\n", stdout);
        }
        fflush(stdout);
        g_free(last);
        last = g_steal_pointer(&text);
        for (unsigned i = 0; i < interval_s * 10 && !interrupted; i++)
            usleep(100 * 1000);
    }
    return VMHA_RESULT_OK;
}

int vmctl_cmd_status(const VmctlOptions *gopts, int argc, char **argv)
{
    static const struct option long_options[] = {
            {"json", no_argument, NULL, 'j'},
            {"watch", optional_argument, NULL, 'w'},
            {NULL, 0, NULL, 0},
    };
    const char *usage = "usage: vmctl status [--json] [--watch [SECONDS]]";
    VmctlOptions opts = *gopts;
    bool watching = false;
    const char *interval = NULL;
    unsigned interval_s = 2;
    int c;

    optind = 0; /* 0, not 1: glibc then re-reads the optstring (main used "+") */
    while ((c = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
        switch (c) {
        case 'j':
            opts.json = true;
            break;
        case 'w':
            watching = true;
            interval = optarg;
            break;
        default:
            return vmctl_error(&opts, VMHA_RESULT_USAGE, "%s", usage);
        }
    }
    /* `--watch 5` as well as `--watch=5`. */
    if (watching && !interval && optind < argc)
        interval = argv[optind++];
    if (optind != argc)
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "%s", usage);
    if (interval) {
        guint64 v = 0;
        if (!g_ascii_string_to_unsigned(interval, 10, 1, 3600, &v, NULL))
            return vmctl_error(&opts, VMHA_RESULT_USAGE,
                               "bad --watch interval '%s': 1..3600 seconds", interval);
        interval_s = (unsigned)v;
    }
    if (watching)
        return watch(&opts, interval_s);

    g_autofree char *text = NULL;
    int rc = snapshot(&opts, &text);
    if (rc != VMHA_RESULT_OK)
        return rc;
    fputs(text, stdout);
    return VMHA_RESULT_OK;
}
