/* The cluster event log (eventlog.h). */
#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "eventlog.h"
#include "eventtext.h"

static const char *const type_names[VMHA_EVENT_TYPE_COUNT] = {
        [VMHA_EVENT_MEMBERSHIP] = "membership",
        [VMHA_EVENT_NODE_LOST] = "node-lost",
        [VMHA_EVENT_NODES] = "nodes",
        [VMHA_EVENT_CONFIG] = "config",
        [VMHA_EVENT_FENCE_REQUESTED] = "fence-requested",
        [VMHA_EVENT_FENCE_STARTED] = "fence-started",
        [VMHA_EVENT_FENCE_DONE] = "fence-done",
        [VMHA_EVENT_FENCE_FAILED] = "fence-failed",
        [VMHA_EVENT_SELF_FENCED] = "self-fenced",
        [VMHA_EVENT_PLANNED] = "planned",
        [VMHA_EVENT_START] = "start",
        [VMHA_EVENT_STOP] = "stop",
        [VMHA_EVENT_MIGRATE_TO] = "migrate-to",
        [VMHA_EVENT_MIGRATE_FROM] = "migrate-from",
        [VMHA_EVENT_MONITOR_FAILED] = "monitor-failed",
        [VMHA_EVENT_PROBE] = "probe",
};

const char *vmha_event_type_to_string(VmhaEventType type)
{
    return (unsigned)type < VMHA_EVENT_TYPE_COUNT ? type_names[type] : "unknown";
}

int vmha_event_type_from_string(const char *s, VmhaEventType *ret)
{
    for (size_t i = 0; s && i < VMHA_EVENT_TYPE_COUNT; i++)
        if (strcmp(s, type_names[i]) == 0) {
            *ret = (VmhaEventType)i;
            return 0;
        }
    return -EINVAL;
}

void vmha_event_clear(VmhaEvent *ev)
{
    g_free(ev->node);
    g_free(ev->vm);
    g_free(ev->user);
    g_free(ev->command);
    g_free(ev->result);
    g_free(ev->details);
    memset(ev, 0, sizeof(*ev));
}

void vmha_event_copy(VmhaEvent *dst, const VmhaEvent *src)
{
    *dst = *src;
    dst->node = g_strdup(src->node);
    dst->vm = g_strdup(src->vm);
    dst->user = g_strdup(src->user);
    dst->command = g_strdup(src->command);
    dst->result = g_strdup(src->result);
    dst->details = g_strdup(src->details);
}

int vmha_event_seq(uint64_t epoch, uint64_t num_updates, unsigned index, uint64_t *ret_seq)
{
    if (epoch >= (UINT64_C(1) << 24) || num_updates >= (UINT64_C(1) << 32) || index >= 256)
        return -ERANGE;
    *ret_seq = epoch << 40 | num_updates << 8 | index;
    return 0;
}

static void add_str(json_object *o, const char *key, const char *value)
{
    json_object_object_add(o, key, value ? json_object_new_string(value) : NULL);
}

json_object *vmha_event_to_json(const VmhaEvent *ev)
{
    json_object *o = json_object_new_object();

    json_object_object_add(o, "seq", json_object_new_uint64(ev->seq));
    json_object_object_add(o, "time", json_object_new_int64(ev->time));
    add_str(o, "type", vmha_event_type_to_string(ev->type));
    add_str(o, "node", ev->node);
    add_str(o, "vm", ev->vm);
    add_str(o, "user", ev->user);
    add_str(o, "command", ev->command);
    add_str(o, "result", ev->result);
    json_object_object_add(o, "duration_ms",
                           ev->duration_ms >= 0 ? json_object_new_int64(ev->duration_ms) : NULL);
    add_str(o, "details", ev->details);
    return o;
}

char *vmha_event_to_line(const VmhaEvent *ev)
{
    json_object *o = vmha_event_to_json(ev);
    char *line = g_strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));

    json_object_put(o);
    return line;
}

static int fail(char **ret_error, const char *what)
{
    if (ret_error)
        *ret_error = g_strdup(what);
    return -EBADMSG;
}

/* A string or null; -1 for any other JSON type. */
static int get_str(json_object *obj, const char *key, char **ret)
{
    json_object *v = NULL;

    *ret = NULL;
    if (!json_object_object_get_ex(obj, key, &v) || !v)
        return 0;
    if (!json_object_is_type(v, json_type_string))
        return -1;
    *ret = g_strdup(json_object_get_string(v));
    return 0;
}

int vmha_event_from_json(json_object *obj, VmhaEvent *ret, char **ret_error)
{
    json_object *seq = NULL, *time = NULL, *dur = NULL;
    g_autofree char *type = NULL;
    VmhaEvent ev = {.duration_ms = -1};

    memset(ret, 0, sizeof(*ret));
    if (!obj || !json_object_is_type(obj, json_type_object))
        return fail(ret_error, "not a JSON object");
    if (!json_object_object_get_ex(obj, "seq", &seq) || !json_object_is_type(seq, json_type_int) ||
        json_object_get_int64(seq) <= 0)
        return fail(ret_error, "no positive seq");
    if (!json_object_object_get_ex(obj, "time", &time) || !json_object_is_type(time, json_type_int))
        return fail(ret_error, "no time");
    if (get_str(obj, "type", &type) < 0 || vmha_event_type_from_string(type, &ev.type) < 0)
        return fail(ret_error, "no known type");
    ev.seq = json_object_get_uint64(seq);
    ev.time = json_object_get_int64(time);
    if (json_object_object_get_ex(obj, "duration_ms", &dur) && dur) {
        if (!json_object_is_type(dur, json_type_int) || json_object_get_int64(dur) < 0)
            return fail(ret_error, "duration_ms is not a count");
        ev.duration_ms = json_object_get_int64(dur);
    }
    if (get_str(obj, "node", &ev.node) < 0 || get_str(obj, "vm", &ev.vm) < 0 ||
        get_str(obj, "user", &ev.user) < 0 || get_str(obj, "command", &ev.command) < 0 ||
        get_str(obj, "result", &ev.result) < 0 || get_str(obj, "details", &ev.details) < 0) {
        vmha_event_clear(&ev);
        return fail(ret_error, "a text field holds something else");
    }
    *ret = ev;
    return 0;
}

int vmha_event_from_line(const char *line, VmhaEvent *ret, char **ret_error)
{
    json_tokener *tok = json_tokener_new();
    size_t len = strlen(line);
    json_object *obj = json_tokener_parse_ex(tok, line, (int)len);
    /* A torn last line parses as an incomplete object: refused like any other damage. */
    bool whole = obj && json_tokener_get_error(tok) == json_tokener_success &&
                 json_tokener_get_parse_end(tok) == len;

    json_tokener_free(tok);
    if (!whole) {
        json_object_put(obj);
        memset(ret, 0, sizeof(*ret));
        return fail(ret_error, "not one whole JSON object");
    }
    int r = vmha_event_from_json(obj, ret, ret_error);
    json_object_put(obj);
    return r;
}

/* ---- the ring ---- */

struct VmhaEventLog {
    VmhaEvent *slots; /* max_count of them, a circular buffer */
    size_t max_count;
    int64_t max_age_s;
    size_t head; /* the oldest */
    size_t count;
    uint64_t generation; /* bumped by every change */
    /* At most the oldest time held (it may stay below once that event is gone): while it is
     * within the age bound nothing can expire, and an add looks at no other event. */
    int64_t min_time;
};

VmhaEventLog *vmha_eventlog_new(size_t max_count, int64_t max_age_s)
{
    VmhaEventLog *log = g_new0(VmhaEventLog, 1);

    log->max_count = MAX(max_count, 1);
    log->max_age_s = MAX(max_age_s, 0);
    log->slots = g_new0(VmhaEvent, log->max_count);
    log->min_time = INT64_MAX;
    return log;
}

void vmha_eventlog_free(VmhaEventLog *log)
{
    if (!log)
        return;
    for (size_t i = 0; i < log->count; i++)
        vmha_event_clear(&log->slots[(log->head + i) % log->max_count]);
    g_free(log->slots);
    g_free(log);
}

static void drop_oldest(VmhaEventLog *log)
{
    vmha_event_clear(&log->slots[log->head]);
    log->head = (log->head + 1) % log->max_count;
    log->count--;
}

/* Events are in seq order, not time order: each node stamps its own events with its own clock, and
 * a clock can be stepped back. So every event is looked at, not only the oldest; the ones kept move
 * up, in order. */
size_t vmha_eventlog_expire(VmhaEventLog *log, int64_t now)
{
    size_t kept = 0;
    size_t count = log->count;
    int64_t min_time = INT64_MAX;

    if (!log->max_age_s || log->min_time >= now - log->max_age_s)
        return 0;
    for (size_t i = 0; i < count; i++) {
        VmhaEvent *ev = &log->slots[(log->head + i) % log->max_count];
        if (ev->time < now - log->max_age_s) {
            vmha_event_clear(ev);
            continue;
        }
        min_time = MIN(min_time, ev->time);
        if (kept != i) {
            log->slots[(log->head + kept) % log->max_count] = *ev;
            memset(ev, 0, sizeof(*ev));
        }
        kept++;
    }
    log->count = kept;
    log->min_time = min_time;
    if (kept != count)
        log->generation++;
    return count - kept;
}

int vmha_eventlog_add(VmhaEventLog *log, const VmhaEvent *ev, int64_t now)
{
    if (log->count && ev->seq <= vmha_eventlog_last_seq(log))
        return -EEXIST;
    if (log->count == log->max_count)
        drop_oldest(log);
    vmha_event_copy(&log->slots[(log->head + log->count) % log->max_count], ev);
    log->count++;
    log->generation++;
    log->min_time = MIN(log->min_time, ev->time);
    vmha_eventlog_expire(log, now);
    return 0;
}

/* The index of the first event with a seq at or above seq (count when none). */
static size_t lower_bound(const VmhaEventLog *log, uint64_t seq)
{
    size_t lo = 0, hi = log->count;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (vmha_eventlog_get(log, mid)->seq < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int vmha_eventlog_insert(VmhaEventLog *log, const VmhaEvent *ev, int64_t now)
{
    if (!log->count || ev->seq > vmha_eventlog_last_seq(log))
        return vmha_eventlog_add(log, ev, now);
    size_t at = lower_bound(log, ev->seq);
    if (vmha_eventlog_get(log, at)->seq == ev->seq)
        return -EEXIST;
    if (log->count == log->max_count) {
        if (at == 0)
            return -ENOSPC; /* older than everything the bound keeps */
        drop_oldest(log);
        at--;
    }
    /* Moves the newer events one slot up (the structs, not their strings). */
    for (size_t i = log->count; i > at; i--)
        log->slots[(log->head + i) % log->max_count] =
                log->slots[(log->head + i - 1) % log->max_count];
    vmha_event_copy(&log->slots[(log->head + at) % log->max_count], ev);
    log->count++;
    log->generation++;
    log->min_time = MIN(log->min_time, ev->time);
    vmha_eventlog_expire(log, now);
    return 0;
}

bool vmha_history_catchup_plan(const uint64_t *last, size_t n, size_t *ret_sender,
                               uint64_t *ret_from)
{
    size_t sender = 0;
    uint64_t lowest = UINT64_MAX;

    for (size_t i = 0; i < n; i++) {
        if (last[i] > last[sender])
            sender = i;
        lowest = MIN(lowest, last[i]);
    }
    if (n == 0 || lowest == last[sender])
        return false;
    *ret_sender = sender;
    *ret_from = lowest;
    return true;
}

uint64_t vmha_eventlog_generation(const VmhaEventLog *log)
{
    return log->generation;
}

size_t vmha_eventlog_count(const VmhaEventLog *log)
{
    return log->count;
}

const VmhaEvent *vmha_eventlog_get(const VmhaEventLog *log, size_t i)
{
    return i < log->count ? &log->slots[(log->head + i) % log->max_count] : NULL;
}

uint64_t vmha_eventlog_last_seq(const VmhaEventLog *log)
{
    return log->count ? vmha_eventlog_get(log, log->count - 1)->seq : 0;
}

/* ---- filters ---- */

bool vmha_event_matches(const VmhaEvent *ev, const VmhaEventFilter *filter)
{
    return ev->seq >= filter->since_seq && ev->time >= filter->since_time &&
           (!filter->vm || g_strcmp0(ev->vm, filter->vm) == 0) &&
           (!filter->node || g_strcmp0(ev->node, filter->node) == 0);
}

json_object *vmha_eventlog_select(const VmhaEventLog *log, const VmhaEventFilter *filter)
{
    json_object *array = json_object_new_array();

    for (size_t i = 0; i < log->count; i++) {
        const VmhaEvent *ev = vmha_eventlog_get(log, i);
        if (vmha_event_matches(ev, filter))
            json_object_array_add(array, vmha_event_to_json(ev));
    }
    return array;
}

/* ,"key":value with the value's plain runs appended whole: a printf per field, or an append per
 * byte, was most of the cost of answering 10,000 events (bench/events-bench). */
static void text_str(GString *out, const char *key, const char *value)
{
    vmha_text_puts(out, key);
    if (!value) {
        vmha_text_puts(out, "null");
        return;
    }
    vmha_text_put_json_string(out, value, false);
}

void vmha_eventlog_select_text(const VmhaEventLog *log, const VmhaEventFilter *filter, GString *out)
{
    bool first = true;

    vmha_text_putc(out, '[');
    for (size_t i = 0; i < log->count; i++) {
        const VmhaEvent *ev = vmha_eventlog_get(log, i);
        if (!vmha_event_matches(ev, filter))
            continue;
        vmha_text_puts(out, first ? "{\"seq\":" : ",{\"seq\":");
        vmha_text_put_u64(out, ev->seq);
        vmha_text_puts(out, ",\"time\":");
        vmha_text_put_i64(out, ev->time);
        first = false;
        text_str(out, ",\"type\":", vmha_event_type_to_string(ev->type));
        text_str(out, ",\"node\":", ev->node);
        text_str(out, ",\"vm\":", ev->vm);
        text_str(out, ",\"user\":", ev->user);
        text_str(out, ",\"command\":", ev->command);
        text_str(out, ",\"result\":", ev->result);
        vmha_text_puts(out, ",\"duration_ms\":");
        if (ev->duration_ms >= 0)
            vmha_text_put_i64(out, ev->duration_ms);
        else
            vmha_text_puts(out, "null");
        text_str(out, ",\"details\":", ev->details);
        vmha_text_putc(out, '}');
    }
    vmha_text_putc(out, ']');
}

static int since_fail(char **ret_error, const char *s)
{
    if (ret_error)
        *ret_error = g_strdup_printf("'%s' is neither a sequence number, a time "
                                     "(YYYY-MM-DDTHH:MM[:SS][Z], @SECONDS) nor an age (30s, 10m, "
                                     "2h, 1d)",
                                     s);
    return -EINVAL;
}

static bool all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!g_ascii_isdigit(*s))
            return false;
    return true;
}

int vmha_event_since_parse(const char *s, int64_t now, VmhaEventFilter *filter, char **ret_error)
{
    guint64 n = 0;
    size_t len = s ? strlen(s) : 0;

    if (!len || len > 64)
        return since_fail(ret_error, s ? s : "");
    if (all_digits(s)) {
        if (!g_ascii_string_to_unsigned(s, 10, 1, G_MAXUINT64, &n, NULL))
            return since_fail(ret_error, s);
        filter->since_seq = n;
        return 0;
    }
    if (s[0] == '@' && all_digits(s + 1)) {
        if (!g_ascii_string_to_unsigned(s + 1, 10, 0, G_MAXINT64, &n, NULL))
            return since_fail(ret_error, s);
        filter->since_time = (int64_t)n;
        return 0;
    }
    /* An age: digits and one unit. */
    static const struct {
        char unit;
        int64_t seconds;
    } units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}};
    g_autofree char *digits = g_strndup(s, len - 1);
    for (size_t i = 0; i < G_N_ELEMENTS(units); i++) {
        if (s[len - 1] != units[i].unit || !all_digits(digits))
            continue;
        if (!g_ascii_string_to_unsigned(digits, 10, 0, G_MAXINT64 / units[i].seconds, &n, NULL))
            return since_fail(ret_error, s);
        filter->since_time = MAX(now - (int64_t)n * units[i].seconds, 0);
        return 0;
    }
    /* A time in UTC. */
    int y, mo, d, h, mi, sec = 0;
    char z[2] = "";
    int got = sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%1s", &y, &mo, &d, &h, &mi, &sec, z);
    if (got < 6) {
        sec = 0;
        z[0] = '\0';
        got = sscanf(s, "%4d-%2d-%2dT%2d:%2d%1s", &y, &mo, &d, &h, &mi, z);
        if (got < 5)
            return since_fail(ret_error, s);
    }
    if (z[0] && strcmp(z, "Z") != 0)
        return since_fail(ret_error, s);
    /* sscanf takes a trailing Z but also garbage after it: the text must end there. */
    if (z[0] && s[len - 1] != 'Z')
        return since_fail(ret_error, s);
    if (!z[0] && !g_ascii_isdigit(s[len - 1]))
        return since_fail(ret_error, s);
    GDateTime *t = g_date_time_new_utc(y, mo, d, h, mi, sec);
    if (!t)
        return since_fail(ret_error, s);
    filter->since_time = g_date_time_to_unix(t);
    g_date_time_unref(t);
    return 0;
}
