/* clusterd's EVENTS answer read and written as text (lib/eventtext.h): the bytes vmctl printed
 * through json-c, without json-c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <json-c/json.h>
#include <string.h>

#include "eventlog.h"
#include "eventtext.h"

#define PRETTY (JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE)

/* An answer as clusterd writes it (clusterd/history.c, cd_history_query). */
static char *answer_of(const VmhaEventLog *log)
{
    GString *doc = g_string_new("{\"events\":");
    VmhaEventFilter all = {0};

    vmha_eventlog_select_text(log, &all, doc);
    g_string_append_printf(
            doc, ",\"first_seq\":%" G_GUINT64_FORMAT ",\"last_seq\":%" G_GUINT64_FORMAT "}",
            vmha_eventlog_count(log) ? vmha_eventlog_get(log, 0)->seq : 0,
            vmha_eventlog_last_seq(log));
    return g_string_free(doc, FALSE);
}

typedef struct {
    GString *pretty;
    GString *plain; /* one line per event */
    size_t n;
} Printed;

static int print_one(const VmhaEventText *ev, void *ctx)
{
    Printed *p = ctx;

    vmha_event_answer_append_event(p->pretty, ev, p->n++);
    vmha_event_text_append_json(p->plain, ev, -1);
    g_string_append_c(p->plain, '\n');
    return 0;
}

/* The answer scanned and printed by us equals json-c's parse and print of it, pretty and plain. */
static void assert_prints_as_json_c(const char *answer)
{
    json_object *o = json_tokener_parse(answer);
    assert_non_null(o);
    GString *want_plain = g_string_new(NULL);
    json_object *events = json_object_object_get(o, "events");
    for (size_t i = 0; i < json_object_array_length(events); i++)
        g_string_append_printf(want_plain, "%s\n",
                               json_object_to_json_string_ext(json_object_array_get_idx(events, i),
                                                              JSON_C_TO_STRING_PLAIN));

    char *text = g_strdup(answer);
    Printed p = {g_string_new(NULL), g_string_new(NULL), 0};
    VmhaEventAnswer a;
    char *error = NULL;
    vmha_event_answer_append_head(p.pretty);
    assert_int_equal(vmha_event_answer_scan(text, strlen(text), print_one, &p, &a, &error), 0);
    vmha_event_answer_append_tail(p.pretty, &a);
    assert_int_equal(a.events, json_object_array_length(events));
    assert_int_equal(a.last_seq, json_object_get_uint64(json_object_object_get(o, "last_seq")));
    assert_string_equal(p.pretty->str, json_object_to_json_string_ext(o, PRETTY));
    assert_string_equal(p.plain->str, want_plain->str);
    g_string_free(p.pretty, TRUE);
    g_string_free(p.plain, TRUE);
    g_string_free(want_plain, TRUE);
    g_free(text);
    json_object_put(o);
}

static void test_same_as_json_c(void **state)
{
    g_autoptr(VmhaEventLog) log = vmha_eventlog_new(1000, 0);
    char every_byte[256];

    for (int i = 1; i < 256; i++)
        every_byte[i - 1] = (char)i;
    every_byte[255] = '\0';
    const VmhaEvent events[] = {
            {.seq = 1,
             .time = 100,
             .type = VMHA_EVENT_START,
             .node = "n1",
             .vm = "vm1",
             .result = "ok",
             .duration_ms = 1500},
            {.seq = 2,
             .time = -5,
             .type = VMHA_EVENT_CONFIG,
             .user = "root",
             .command = "vmctl vm add v --config /etc/a b/\"q\"\\",
             .duration_ms = -1,
             .details = "tab\there\nnew line\r\b\f\x01\x1f\x7f / é 😀"},
            {.seq = 3,
             .time = 0,
             .type = VMHA_EVENT_PLANNED,
             .duration_ms = 0,
             .details = every_byte},
            {.seq = UINT64_MAX,
             .time = INT64_MAX,
             .type = VMHA_EVENT_PROBE,
             .node = "",
             .vm = "x",
             .result = "running",
             .duration_ms = INT64_MAX},
    };

    assert_prints_as_json_c("{\"events\":[],\"first_seq\":0,\"last_seq\":0}");
    for (size_t i = 0; i < G_N_ELEMENTS(events); i++) {
        assert_int_equal(vmha_eventlog_add(log, &events[i], 200), 0);
        g_autofree char *answer = answer_of(log);
        assert_prints_as_json_c(answer);
    }
}

/* Escapes clusterd does not write but JSON allows (and json-c reads) read the same. */
static void test_escapes(void **state)
{
    const char *answer =
            "{ \"last_seq\" : 7 , \"events\" : [ { \"seq\":7, \"time\":1, \"type\":\"stop\","
            "\"details\":\"a\\/b\\u00e9\\ud83d\\ude00\\u0041\\ud800x\", \"new_field\": true,"
            "\"other\": -1.5e3, \"duration_ms\": null } ], \"first_seq\": 7, \"more\": \"x\" }\n";
    assert_prints_as_json_c(
            "{\"events\":[{\"seq\":7,\"time\":1,\"type\":\"stop\",\"node\":null,"
            "\"vm\":null,\"user\":null,\"command\":null,\"result\":null,"
            "\"duration_ms\":null,\"details\":\"a\\/b\\u00e9\\ud83d\\ude00\\u0041\"}"
            "],\"first_seq\":7,\"last_seq\":7}");
    g_autofree char *text = g_strdup(answer);
    Printed p = {g_string_new(NULL), g_string_new(NULL), 0};
    VmhaEventAnswer a;
    assert_int_equal(vmha_event_answer_scan(text, strlen(text), print_one, &p, &a, NULL), 0);
    assert_int_equal(a.events, 1);
    assert_int_equal(a.first_seq, 7);
    assert_int_equal(a.last_seq, 7);
    assert_string_equal(p.plain->str,
                        "{\"seq\":7,\"time\":1,\"type\":\"stop\",\"node\":null,\"vm\":null,"
                        "\"user\":null,\"command\":null,\"result\":null,\"duration_ms\":null,"
                        "\"details\":\"a\\/bé😀A\xef\xbf\xbdx\"}\n");
    g_string_free(p.pretty, TRUE);
    g_string_free(p.plain, TRUE);
}

static int count_one(const VmhaEventText *ev, void *ctx)
{
    (*(size_t *)ctx)++;
    return ev->seq == 13 ? -EINTR : 0;
}

static void test_malformed(void **state)
{
    static const char *bad[] = {
            "",
            "[]",
            "{}",
            "{\"first_seq\":1}",
            "{\"events\":[}",
            "{\"events\":[{\"seq\":-1}]}",
            "{\"events\":[{\"seq\":18446744073709551616}]}",
            "{\"events\":[{\"time\":9223372036854775808}]}",
            "{\"events\":[{\"time\":1.5}]}",
            "{\"events\":[{\"vm\":\"a\\u0000b\"}]}",
            "{\"events\":[{\"vm\":\"a\\x\"}]}",
            "{\"events\":[{\"vm\":\"a\nb\"}]}",
            "{\"events\":[{\"vm\":\"ab}]}",
            "{\"events\":[{\"vm\":\"\\u12\"}]}",
            "{\"events\":[{\"vm\":\"\\ud800\\uzzzz\"}]}",
            "{\"events\":[{\"vm\":{}}]}",
            "{\"events\":[{\"x\":[1]}]}",
            "{\"events\":[] \"last_seq\":1}",
            "{\"events\":[]} x",
            "{\"events\":[{\"seq\":1}{\"seq\":2}]}",
            "{\"events\":[],\"last_seq\":nul}",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autofree char *text = g_strdup(bad[i]);
        g_autofree char *error = NULL;
        VmhaEventAnswer a = {.events = 99};
        if (vmha_event_answer_scan(text, strlen(text), NULL, NULL, &a, &error) != -EBADMSG)
            fail_msg("accepted: %s", bad[i]);
        assert_non_null(error);
        assert_int_equal(a.events, 99); /* untouched */
    }
    /* The callback's own error stops the scan and comes back as it is. */
    g_autofree char *text = g_strdup("{\"events\":[{\"seq\":12},{\"seq\":13},{\"seq\":14}]}");
    size_t seen = 0;
    assert_int_equal(vmha_event_answer_scan(text, strlen(text), count_one, &seen, NULL, NULL),
                     -EINTR);
    assert_int_equal(seen, 2);
    /* len, not the NUL, ends the text. */
    g_autofree char *cut = g_strdup("{\"events\":[]}garbage");
    assert_int_equal(vmha_event_answer_scan(cut, 13, NULL, NULL, NULL, NULL), 0);
}

static void check_duration(int64_t ms)
{
    char got[64], want[64];

    vmha_event_duration_format(got, sizeof(got), ms);
    snprintf(want, sizeof(want), "%.1f s", (double)ms / 1000.0);
    if (strcmp(got, want) != 0)
        fail_msg("%" PRId64 " ms: %s, not %s", ms, got, want);
}

static void test_duration_as_printf(void **state)
{
    for (int64_t ms = -2000; ms <= 2000000; ms++)
        check_duration(ms);
    for (int64_t ms = INT64_C(999999990000); ms <= INT64_C(1000000010000); ms += 7)
        check_duration(ms);
    check_duration(INT64_MAX);
    check_duration(INT64_MIN);
}

static void test_numbers_as_printf(void **state)
{
    static const int64_t values[] = {0, 1, -1, 9, 10, -10, 1234567890123, INT64_MAX, INT64_MIN};
    for (size_t i = 0; i < G_N_ELEMENTS(values); i++) {
        g_autoptr(GString) got = g_string_new(NULL);
        g_autofree char *want =
                g_strdup_printf("%" PRId64 " %" PRIu64, values[i], (uint64_t)values[i]);
        vmha_text_put_i64(got, values[i]);
        vmha_text_putc(got, ' ');
        vmha_text_put_u64(got, (uint64_t)values[i]);
        assert_string_equal(got->str, want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_same_as_json_c),    cmocka_unit_test(test_escapes),
            cmocka_unit_test(test_malformed),         cmocka_unit_test(test_duration_as_printf),
            cmocka_unit_test(test_numbers_as_printf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
