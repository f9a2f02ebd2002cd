/* clusterd's answer to EVENTS ({"events":[{...},...],"first_seq":N,"last_seq":N}) read and
 * written as text, one event at a time, without a json-c object per event: `vmctl events` over
 * 10,000 events spent two thirds of its CPU building and freeing json-c trees (docs/BENCHMARKS.md,
 * "The event history's cost"). Pure: the caller owns the buffers and does the I/O. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
