/* Fuzz target for the event log reader (lib/eventlog.c): clusterd reads its history file
 * (events.jsonl) back at start, line by line, and vmctl reads the same JSON in `vmctl events`.
 * The input is such a file: any line either reads into an event or is refused with a reason;
 * an event read writes out to a line that reads back to the same event; the ring and the
 * filters take whatever was read. The first line is also tried as `--since`. Never a crash,
 * leak or read out of bounds. */
#include <glib.h>
#include <stdint.h>
#include <string.h>

#include "eventlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same(const char *a, const char *b)
{
    return g_strcmp0(a, b) == 0;
}

static void check_roundtrip(const VmhaEvent *ev)
{
    g_autofree char *line = vmha_event_to_line(ev);
    g_autofree char *why = NULL;
    VmhaEvent back = {0};

    if (!line || strchr(line, '\n'))
        __builtin_trap(); /* one event, one line */
    if (vmha_event_from_line(line, &back, &why) < 0)
        __builtin_trap(); /* what we write, we read */
    if (back.seq != ev->seq || back.time != ev->time || back.type != ev->type ||
        back.duration_ms != ev->duration_ms || !same(back.node, ev->node) ||
        !same(back.vm, ev->vm) || !same(back.user, ev->user) || !same(back.command, ev->command) ||
        !same(back.result, ev->result) || !same(back.details, ev->details))
        __builtin_trap();
    vmha_event_clear(&back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *text = g_strndup((const char *)data, size);
    g_auto(GStrv) lines = g_strsplit(text, "\n", 200);
    g_autoptr(VmhaEventLog) log = vmha_eventlog_new(64, 3600);
    const int64_t now = 1780000000;

    for (size_t i = 0; lines[i]; i++) {
        VmhaEvent ev = {0};
        g_autofree char *why = NULL;
        if (vmha_event_from_line(lines[i], &ev, &why) < 0) {
            if (!why || !*why)
                __builtin_trap(); /* every refusal says why */
            continue;
        }
        check_roundtrip(&ev);
        (void)vmha_eventlog_add(log, &ev, now);
        vmha_event_clear(&ev);
    }

    VmhaEventFilter filter = {0};
    g_autofree char *why = NULL;
    if (lines[0] && vmha_event_since_parse(lines[0], now, &filter, &why) < 0 && (!why || !*why))
        __builtin_trap();
    filter.vm = lines[0] && lines[1] ? lines[1] : NULL;
    json_object *all = vmha_eventlog_select(log, &(VmhaEventFilter){0});
    json_object *some = vmha_eventlog_select(log, &filter);
    if (json_object_array_length(some) > json_object_array_length(all))
        __builtin_trap();
    (void)json_object_to_json_string(some);
    json_object_put(all);
    json_object_put(some);
    /* Age: whatever order the times come in (each node's clock stamps its own events), nothing
     * older than the bound stays after an expiry, and everything goes once time passes the
     * newest. */
    int64_t latest = INT64_MIN;
    for (size_t i = 0; i < vmha_eventlog_count(log); i++)
        latest = MAX(latest, vmha_eventlog_get(log, i)->time);
    (void)vmha_eventlog_expire(log, now + 1800);
    for (size_t i = 0; i < vmha_eventlog_count(log); i++)
        if (vmha_eventlog_get(log, i)->time < now + 1800 - 3600)
            __builtin_trap();
    if (latest < INT64_MAX - 3601) {
        (void)vmha_eventlog_expire(log, MAX(latest, now) + 3601);
        if (vmha_eventlog_count(log) != 0)
            __builtin_trap();
    }
    return 0;
}
