/* vmctl status, node list, config show: read-only views from the local clusterd. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

static void append_nodes_table(GString *out, json_object *nodes)
{
    g_string_append_printf(out, "%-14s %4s  %-9s %-8s %-14s %s\n", "NODE", "ID", "STATE",
                           "CLUSTERD", "ROLE", "FENCING");
    for (size_t i = 0; nodes && i < json_object_array_length(nodes); i++) {
        json_object *n = json_object_array_get_idx(nodes, i), *f = get(n, "fence");
        g_autoptr(GString) role = g_string_new(NULL), fence = g_string_new(NULL);
        if (boolean(n, "leader"))
            g_string_append(role, "leader");
        if (boolean(n, "local"))
            g_string_append_printf(role, "%slocal", role->len ? "," : "");
        int64_t failures = f ? integer(f, "failures") : 0;
        if (f && integer(f, "requested"))
            g_string_append(fence, "requested");
        if (failures)
            g_string_append_printf(fence, "%s%" PRId64 " failed: %s", fence->len ? ", " : "",
                                   failures, str(f, "last_error") ?: "?");
        else if (f && integer(f, "fenced") && g_strcmp0(str(n, "state"), "fenced") == 0) {
            time_t t = (time_t)integer(f, "fenced");
            struct tm tm;
            char when[32];
            strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime_r(&t, &tm));
            g_string_append_printf(fence, "at %s", when);
        }
        /* Without the live model (out of sync) only membership is known. */
        const char *state = str(n, "state");
        if (!state)
            state = boolean(n, "online") ? "online" : "offline";
        g_autofree char *head = g_strdup_printf(
                "%-14s %4" PRId64 "  %-9s %-8s %-14s ", str(n, "name") ?: "?", integer(n, "id"),
                state, boolean(n, "clusterd") ? "yes" : "no", role->len ? role->str : "-");
        append_row(out, head, fence->len ? fence->str : "-");
    }
}

static void append_vms_table(GString *out, json_object *status)
{
    json_object *vms = get(status, "vms");

    if (!vms) {
        g_string_append_printf(out, "VMs: unknown (%s)\n", str(status, "vms_error") ?: "?");
        return;
    }
    g_string_append_printf(out, "%-20s %-10s %-12s %5s %-10s %s\n", "VM", "STATE", "NODE", "PRIO",
                           "FAILS", "WHY");
    for (size_t i = 0; i < json_object_array_length(vms); i++) {
        json_object *vm = json_object_array_get_idx(vms, i), *nodes = get(vm, "nodes");
        g_autoptr(GString) on = g_string_new(NULL), fails = g_string_new(NULL);
        for (size_t j = 0; nodes && j < json_object_array_length(nodes); j++)
            g_string_append_printf(on, "%s%s", j ? "," : "",
                                   json_object_get_string(json_object_array_get_idx(nodes, j)));
        json_object *fcs = get(vm, "fail_counts");
        if (fcs && json_object_is_type(fcs, json_type_object)) {
            json_object_object_foreach(fcs, node, fc)
            {
                int64_t c = integer(fc, "count");
                if (c >= 1000000)
                    g_string_append_printf(fails, "%s%s:INF", fails->len ? "," : "", node);
                else
                    g_string_append_printf(fails, "%s%s:%" PRId64, fails->len ? "," : "", node, c);
            }
        }
        g_autofree char *head =
                g_strdup_printf("%-20s %-10s %-12s %5" PRId64 " %-10s ", str(vm, "name") ?: "?",
                                str(vm, "state") ?: "?", on->len ? on->str : "-",
                                integer(vm, "priority"), fails->len ? fails->str : "-");
        append_row(out, head, str(vm, "why") ?: "-");
    }
}

/* The whole human-readable status. */
static char *render_status(json_object *o)
{
    json_object *local = get(o, "local_node"), *leader = get(o, "leader"), *db = get(o, "database");
    g_autoptr(GString) out = g_string_new(NULL);

    g_string_append_printf(out, "Node:     %s (id %" PRId64 ")\n",
                           local ? str(local, "name") ?: "?" : "?",
                           local ? integer(local, "id") : 0);
    if (boolean(o, "corosync"))
        g_string_append_printf(out,
                               "Quorum:   %s (%" PRId64 " votes needed of %" PRId64 " expected)\n",
                               boolean(o, "quorate") ? "yes" : "NO", integer(o, "quorum_votes"),
                               integer(o, "expected_votes"));
    else
        g_string_append(out, "Quorum:   NO (not connected to corosync)\n");
    g_string_append_printf(out, "Leader:   %s\n", leader ? str(leader, "name") ?: "?" : "none");
    g_string_append_printf(out,
                           "Database: %s, version %" PRId64 ".%" PRId64 ".%" PRId64
                           ", digest %.12s, %" PRId64 " VMs\n\n",
                           boolean(db, "in_sync") ? "in sync" : "NOT in sync",
                           integer(db, "admin_epoch"), integer(db, "epoch"),
                           integer(db, "num_updates"), str(db, "digest") ?: "?",
                           integer(o, "vm_count"));
    if (boolean(o, "maintenance_mode"))
        g_string_append(out, "MAINTENANCE MODE: nothing is started, stopped, moved or fenced, and "
                             "nodes without quorum keep their VMs ('vmctl cluster maintenance "
                             "off' ends it)\n\n");
    append_nodes_table(out, get(o, "nodes"));
    g_string_append_c(out, '\n');
    append_vms_table(out, o);
    return g_string_free(g_steal_pointer(&out), false);
}

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
    interrupted = 1;
}

/* One snapshot as it would be printed: the JSON document or the tables. */
static int snapshot(const VmctlOptions *opts, char **ret_text)
{
    json_object *o = NULL;
    int rc = simple_call(opts, VMHA_MSG_STATUS, &o);

    if (rc != VMHA_RESULT_OK)
        return rc;
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
            return vmctl_fail(VMHA_RESULT_USAGE, "%s", usage);
        }
    }
    /* `--watch 5` as well as `--watch=5`. */
    if (watching && !interval && optind < argc)
        interval = argv[optind++];
    if (optind != argc)
        return vmctl_fail(VMHA_RESULT_USAGE, "%s", usage);
    if (interval) {
        guint64 v = 0;
        if (!g_ascii_string_to_unsigned(interval, 10, 1, 3600, &v, NULL))
            return vmctl_fail(VMHA_RESULT_USAGE, "bad --watch interval '%s': 1..3600 seconds",
                              interval);
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

int vmctl_cmd_node_list(const VmctlOptions *gopts, int argc, char **argv)
{
    VmctlOptions opts = *gopts;
    json_object *o = NULL;

    if (vmctl_parse_common(&opts, argc, argv, 0) < 0)
        return vmctl_fail(VMHA_RESULT_USAGE, "usage: vmctl node list [--json]");
    int rc = simple_call(&opts, VMHA_MSG_NODE_LIST, &o);
    if (rc != VMHA_RESULT_OK)
        return rc;
    if (opts.json)
        vmctl_print_json(o);
    else
        print_nodes(get(o, "nodes"));
    json_object_put(o);
    return VMHA_RESULT_OK;
}

int vmctl_cmd_config_show(const VmctlOptions *gopts, int argc, char **argv)
{
    VmctlOptions opts = *gopts;
    json_object *o = NULL;

    if (vmctl_parse_common(&opts, argc, argv, 0) < 0)
        return vmctl_fail(VMHA_RESULT_USAGE, "usage: vmctl config show [--json]");
    int rc = simple_call(&opts, VMHA_MSG_CONFIG_SHOW, &o);
    if (rc != VMHA_RESULT_OK)
        return rc;
    if (opts.json) {
        vmctl_print_json(o);
        json_object_put(o);
        return VMHA_RESULT_OK;
    }
    json_object *props = get(o, "properties");
    printf("%-30s %-12s %s\n", "PROPERTY", "VALUE", "SOURCE");
    json_object_object_foreach(props, key, val)
    {
        printf("%-30s %-12s %s\n", key, str(val, "value"),
               boolean(val, "default") ? "default" : "set");
    }
    json_object_put(o);
    return VMHA_RESULT_OK;
}
