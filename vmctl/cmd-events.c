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
#include "eventtext.h"
#include "report.h"

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

/* One request with the filters; since_seq raised to follow. *ret_text: the answer's JSON. */
static int ask(const VmctlOptions *opts, const VmhaEventFilter *f, char **ret_text)
{
    g_autoptr(VmhaMsg) req = vmha_msg_new(VMHA_MSG_EVENTS);
    g_autoptr(VmhaMsg) reply = NULL;
    g_autofree char *seq = g_strdup_printf("%" PRIu64, f->since_seq);
    g_autofree char *time = g_strdup_printf("%" PRId64, f->since_time);

    if ((f->since_seq && add_kv(req, "since_seq", seq) < 0) ||
        (f->since_time && add_kv(req, "since_time", time) < 0) ||
        (f->vm && add_kv(req, "vm", f->vm) < 0) || (f->node && add_kv(req, "node", f->node) < 0))
        return vmctl_error(opts, VMHA_RESULT_USAGE, "the filters are too long");
    int rc = vmctl_request(opts, req, &reply);
    if (rc != VMHA_RESULT_OK)
        return rc;
    if (vmha_msg_get_str(reply, VMHA_F_JSON, ret_text) < 0)
        return vmctl_error(opts, VMHA_RESULT_FAILURE, "malformed answer from clusterd");
    return VMHA_RESULT_OK;
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

/* s left-justified in width columns and a space, as printf's "%-Ns ". */
static void append_column(GString *out, const char *s, size_t width)
{
    size_t len = strlen(s);

    vmha_text_put(out, s, len);
    for (; len < width; len++)
        vmha_text_putc(out, ' ');
    vmha_text_putc(out, ' ');
}

static void append_2digits(GString *out, int v, char sep)
{
    char two[] = {(char)('0' + v / 10 % 10), (char)('0' + v % 10), sep};
    vmha_text_put(out, two, sep ? 3 : 2);
}

/* A table row, formatted by hand: printf and strftime were a third of the table's CPU over
 * 10,000 events. */
static void append_row(GString *out, const VmhaEventText *ev)
{
    time_t t = (time_t)ev->time;
    struct tm tm;
    char seq[24], duration[32] = "-";

    char *p = seq + sizeof(seq);
    uint64_t v = ev->seq;
    *--p = '\0';
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    append_column(out, p, 15);
    if (gmtime_r(&t, &tm) && tm.tm_year + 1900 >= 0 && tm.tm_year + 1900 <= 9999) {
        int year = tm.tm_year + 1900;
        append_2digits(out, year / 100, 0);
        append_2digits(out, year % 100, '-');
        append_2digits(out, tm.tm_mon + 1, '-');
        append_2digits(out, tm.tm_mday, 'T');
        append_2digits(out, tm.tm_hour, ':');
        append_2digits(out, tm.tm_min, ':');
        append_2digits(out, tm.tm_sec, 'Z');
        vmha_text_putc(out, ' ');
    } else {
        append_column(out, "?", 20);
    }
    append_column(out, or_dash(ev->type), 15);
    append_column(out, or_dash(ev->node), 8);
    append_column(out, or_dash(ev->vm), 10);
    append_column(out, or_dash(ev->result), 9);
    if (ev->has_duration)
        vmha_event_duration_format(duration, sizeof(duration), ev->duration_ms);
    for (size_t len = strlen(duration); len < 9; len++)
        vmha_text_putc(out, ' ');
    vmha_text_puts(out, duration);
    vmha_text_puts(out, "  ");
    if (ev->details)
        vmha_text_puts(out, ev->details);
    if (ev->user || ev->command)
        g_string_append_printf(out, "%s[%s%s%s]", ev->details && *ev->details ? " " : "",
                               or_dash(ev->user), ev->command ? ": " : "",
                               ev->command ? ev->command : "");
    vmha_text_putc(out, '\n');
}

static int collect(const VmhaEventText *ev, void *ctx)
{
    g_array_append_val((GArray *)ctx, *ev);
    return 0;
}

/* Out in pieces of this size: the answer printed as it is formatted, never held twice. */
#define PRINT_CHUNK 65536

static void flush_out(GString *out)
{
    fwrite(out->str, 1, out->len, stdout);
    g_string_truncate(out, 0);
}

/* Prints every event of the answer (a table row, with --json one line each, or with document the
 * whole --json document), after the table's header with header, and returns in *ret_last the last
 * seq clusterd holds, to ask after it next. The answer is read whole before anything is printed:
 * a malformed one prints nothing. */
static int print_events(const VmctlOptions *opts, char *text, bool document, bool header,
                        uint64_t *ret_last)
{
    g_autoptr(GArray) events = g_array_sized_new(FALSE, FALSE, sizeof(VmhaEventText), 1024);
    VmhaEventAnswer answer = {0};
    g_autofree char *error = NULL;

    if (vmha_event_answer_scan(text, strlen(text), collect, events, &answer, &error) < 0)
        return vmctl_error(opts, VMHA_RESULT_FAILURE, "malformed answer from clusterd: %s", error);

    if (header)
        print_header();
    g_autoptr(GString) out = g_string_sized_new(PRINT_CHUNK + 4096);
    if (document) {
        vmctl_print_json_start();
        vmha_event_answer_append_head(out);
    }
    for (guint i = 0; i < events->len; i++) {
        const VmhaEventText *ev = &g_array_index(events, VmhaEventText, i);
        if (document) {
            vmha_event_answer_append_event(out, ev, i);
        } else if (opts->json) {
            vmha_event_text_append_json(out, ev, -1);
            vmha_text_putc(out, '\n');
        } else {
            append_row(out, ev);
        }
        if (out->len >= PRINT_CHUNK)
            flush_out(out);
    }
    if (document) {
        vmha_event_answer_append_tail(out, &answer);
        vmha_text_putc(out, '\n');
    }
    flush_out(out);
    fflush(stdout);
    *ret_last = answer.last_seq;
    return VMHA_RESULT_OK;
}

static int follow(const VmctlOptions *opts, VmhaEventFilter *f)
{
    struct sigaction sa = {.sa_handler = on_interrupt};
    bool header = false;

    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    while (!interrupted) {
        g_autofree char *answer = NULL;
        uint64_t last = 0;
        int rc = ask(opts, f, &answer);
        if (rc != VMHA_RESULT_OK)
            return interrupted ? VMHA_RESULT_OK : rc;
        if ((rc = print_events(opts, answer, false, !opts->json && !header, &last)) !=
            VMHA_RESULT_OK)
            return rc;
        header = true;
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

    g_autofree char *answer = NULL;
    uint64_t last = 0;
    int rc = ask(&opts, &filter, &answer);
    if (rc != VMHA_RESULT_OK)
        return rc;
    return print_events(&opts, answer, opts.json, !opts.json, &last);
}
