/* clusterd's answer to EVENTS ({"events":[{...},...],"first_seq":N,"last_seq":N}) read and
 * written as text, one event at a time, without a json-c object per event: `vmctl events` over
 * 10,000 events spent two thirds of its CPU building and freeing json-c trees (docs/BENCHMARKS.md,
 * "The event history's cost"). Pure: the caller owns the buffers and does the I/O. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Appends n bytes of s to out; the common case (room left) inline: 10,000 events printed make
 * some 200,000 appends, and g_string_append_len's call was a fifth of vmctl's CPU. */
static inline void vmha_text_put(GString *out, const char *s, size_t n)
{
    if (out->len + n < out->allocated_len) {
        memcpy(out->str + out->len, s, n);
        out->len += n;
        out->str[out->len] = '\0';
    } else {
        g_string_append_len(out, s, (gssize)n);
    }
}

static inline void vmha_text_puts(GString *out, const char *s)
{
    vmha_text_put(out, s, strlen(s));
}

static inline void vmha_text_putc(GString *out, char c)
{
    vmha_text_put(out, &c, 1);
}

/* value as a JSON string, escaped as json-c's json_escape_str does: the short escapes, \u00xx for
 * other control characters, '/' only when escape_slash; everything else (bytes >= 0x80 too) as
 * it is. */
void vmha_text_put_json_string(GString *out, const char *value, bool escape_slash);

/* A number in decimal, as printf's %" PRIu64 " and %" PRId64 " write it. */
void vmha_text_put_u64(GString *out, uint64_t v);
void vmha_text_put_i64(GString *out, int64_t v);

/* One event of the answer as clusterd wrote it. The strings point into the scanned buffer (NULL
 * for a JSON null or an absent field) and live as long as it. */
typedef struct {
    uint64_t seq;
    int64_t time;
    const char *type;
    const char *node;
    const char *vm;
    const char *user;
    const char *command;
    const char *result;
    bool has_duration; /* false: "duration_ms" null or absent */
    int64_t duration_ms;
    const char *details;
} VmhaEventText;

/* Called for each event in order; a negative return stops the scan and is returned. */
typedef int (*VmhaEventTextFn)(const VmhaEventText *ev, void *ctx);

typedef struct {
    size_t events;      /* how many events the answer held */
    uint64_t first_seq; /* 0 when absent */
    uint64_t last_seq;  /* 0 when absent */
} VmhaEventAnswer;

/* Scans the answer in text (len bytes, modified in place: strings are unescaped where they
 * stand), calling fn for every event. The answer's keys may come in any order; keys it does not
 * know, in the answer or in an event, are skipped when their values are scalars. -EBADMSG with
 * *ret_error for text that is not such an answer (fn may have seen events before that). */
int vmha_event_answer_scan(char *text, size_t len, VmhaEventTextFn fn, void *ctx,
                           VmhaEventAnswer *ret_answer, char **ret_error);

/* The event as json-c writes the object clusterd sent (its ten fields in clusterd's order):
 * level < 0: json_object_to_json_string_ext(JSON_C_TO_STRING_PLAIN), which escapes '/';
 * level >= 0: nested that deep in JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE,
 * vmctl's --json documents (two spaces a level). Appended to out. */
void vmha_event_text_append_json(GString *out, const VmhaEventText *ev, int level);

/* The whole answer pretty, in pieces so that it can be printed as it is scanned: the head, each
 * event (index = its position), and the tail with the answer's numbers; the same bytes as
 * JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE of the parsed answer, without the
 * final newline. */
void vmha_event_answer_append_head(GString *out);
void vmha_event_answer_append_event(GString *out, const VmhaEventText *ev, size_t index);
void vmha_event_answer_append_tail(GString *out, const VmhaEventAnswer *answer);

/* A duration as `vmctl events` shows it: snprintf's "%.1f s" of ms / 1000.0, byte for byte, mostly
 * without snprintf (a tenth of the table's CPU over 10,000 events). */
void vmha_event_duration_format(char *buf, size_t len, int64_t ms);
