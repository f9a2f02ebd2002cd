/* vmctl events [--follow] [--since TIME|SEQ] [--vm NAME] [--node NODE] [--json]: the cluster
 * event log as the local clusterd keeps it (docs/vmctl.md, "events"). */
#include "config.h"

#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "commands.h"
#include "eventlog.h"

/* --follow asks again this often: a local read, cheap for clusterd. */
#define FOLLOW_INTERVAL_MS 1000

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
    interrupted = 1;
}

static int add_kv(VmhaMsg *m, const char *key, const char *value)
{
    g_autofree char *kv = g_strdup_printf("%s=%s", key, value);
    return vmha_msg_add_str(m, VMHA_F_KV, kv);
}

/* One request with the filters; since_seq raised to follow. */
static int ask(const VmctlOptions *opts, const VmhaEventFilter *f, json_object **ret)
{
    g_autoptr(VmhaMsg) req = vmha_msg_new(VMHA_MSG_EVENTS);
    g_autofree char *seq = g_strdup_printf("%" PRIu64, f->since_seq);
    g_autofree char *time = g_strdup_printf("%" PRId64, f->since_time);

    if ((f->since_seq && add_kv(req, "since_seq", seq) < 0) ||
        (f->since_time && add_kv(req, "since_time", time) < 0) ||
        (f->vm && add_kv(req, "vm", f->vm) < 0) || (f->node && add_kv(req, "node", f->node) < 0))
        return vmctl_error(opts, VMHA_RESULT_USAGE, "the filters are too long");
    int rc = vmctl_call(opts, req, ret);
    if (rc == VMHA_RESULT_OK && !vmctl_json_get(*ret, "events"))
        rc = vmctl_error(opts, VMHA_RESULT_FAILURE, "malformed answer from clusterd");
    return rc;
}

static const char *or_dash(const char *s)
{
    return s && *s ? s : "-";
}

static void print_header(void)
{
    printf("%-15s %-20s %-15s %-8s %-10s %-9s %9s  %s\n", "SEQ", "TIME (UTC)", "TYPE", "NODE", "VM",
           "RESULT", "DURATION", "DETAILS");
}

static void print_row(json_object *ev)
{
    time_t t = (time_t)vmctl_json_int(ev, "time");
    struct tm tm;
    char when[32] = "?";
    char duration[32] = "-";
    json_object *d = vmctl_json_get(ev, "duration_ms");

    if (gmtime_r(&t, &tm))
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (d)
        snprintf(duration, sizeof(duration), "%.1f s", (double)json_object_get_int64(d) / 1000.0);
    GString *details = g_string_new(vmctl_json_str(ev, "details"));
    const char *user = vmctl_json_str(ev, "user"), *command = vmctl_json_str(ev, "command");
    if (user || command)
        g_string_append_printf(details, "%s[%s%s%s]", details->len ? " " : "", or_dash(user),
                               command ? ": " : "", command ? command : "");
    printf("%-15" PRId64 " %-20s %-15s %-8s %-10s %-9s %9s  %s\n", vmctl_json_int(ev, "seq"), when,
           or_dash(vmctl_json_str(ev, "type")), or_dash(vmctl_json_str(ev, "node")),
           or_dash(vmctl_json_str(ev, "vm")), or_dash(vmctl_json_str(ev, "result")), duration,
           details->str);
    g_string_free(details, TRUE);
}

/* Prints every event of the answer (a table row, or with --json one line each) and returns the
 * last seq clusterd holds, to ask after it next. */
static uint64_t print_events(const VmctlOptions *opts, json_object *answer)
{
    json_object *events = vmctl_json_get(answer, "events");

    for (size_t i = 0; i < json_object_array_length(events); i++) {
        json_object *ev = json_object_array_get_idx(events, i);
        if (opts->json)
            printf("%s\n", json_object_to_json_string_ext(ev, JSON_C_TO_STRING_PLAIN));
        else
            print_row(ev);
    }
    fflush(stdout);
    return (uint64_t)vmctl_json_int(answer, "last_seq");
}

static int follow(const VmctlOptions *opts, VmhaEventFilter *f)
{
    struct sigaction sa = {.sa_handler = on_interrupt};
    bool header = false;

    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    while (!interrupted) {
        json_object *answer = NULL;
        int rc = ask(opts, f, &answer);
        if (rc != VMHA_RESULT_OK)
            return interrupted ? VMHA_RESULT_OK : rc;
        if (!opts->json && !header) {
            print_header();
            header = true;
        }
        uint64_t last = print_events(opts, answer);
        json_object_put(answer);
        /* From here on only what comes after: the filters stay, the start moves on. */
        if (last >= f->since_seq)
            f->since_seq = last + 1;
        for (int i = 0; i < FOLLOW_INTERVAL_MS / 100 && !interrupted; i++)
            usleep(100 * 1000);
    }
    return VMHA_RESULT_OK;
}

int vmctl_cmd_events(const VmctlOptions *gopts, int argc, char **argv)
{
    static const struct option long_options[] = {
            {"json", no_argument, NULL, 'j'},        {"follow", no_argument, NULL, 'f'},
            {"since", required_argument, NULL, 's'}, {"vm", required_argument, NULL, 'v'},
            {"node", required_argument, NULL, 'n'},  {NULL, 0, NULL, 0},
    };
    const char *usage =
            "usage: vmctl events [--follow] [--since TIME|SEQ] [--vm NAME] [--node NODE] [--json]";
    VmctlOptions opts = *gopts;
    VmhaEventFilter filter = {0};
    bool following = false;
    int c;

    optind = 0; /* 0, not 1: glibc then re-reads the optstring (main used "+") */
    while ((c = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
        g_autofree char *error = NULL;
        switch (c) {
        case 'j':
            opts.json = true;
            break;
        case 'f':
            following = true;
            break;
        case 's':
            if (vmha_event_since_parse(optarg, (int64_t)time(NULL), &filter, &error) < 0)
                return vmctl_error(&opts, VMHA_RESULT_USAGE, "bad --since: %s", error);
            break;
        case 'v':
            filter.vm = optarg;
            break;
        case 'n':
            filter.node = optarg;
            break;
        default:
            return vmctl_error(&opts, VMHA_RESULT_USAGE, "%s", usage);
        }
    }
    if (optind != argc)
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "%s", usage);
    if (following)
        return follow(&opts, &filter);

    json_object *answer = NULL;
    int rc = ask(&opts, &filter, &answer);
    if (rc != VMHA_RESULT_OK)
        return rc;
    if (opts.json) {
        vmctl_print_json(answer);
    } else {
        print_header();
        print_events(&opts, answer);
    }
    json_object_put(answer);
    return VMHA_RESULT_OK;
}
