/* lib/metrics.c: what the history counts (recoveries and their durations, migration pauses,
 * fencing outcomes) and the text Prometheus reads. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "metrics.h"

#define EV(t, s, ty, n, v, r, d)                                                                   \
    {                                                                                              \
        .seq = (s), .time = (t), .type = (ty), .node = (char *)(n), .vm = (char *)(v),             \
        .result = (char *)(r), .duration_ms = (d)                                                  \
    }

/* A power cut of n1 (va, vb ran there; vc on n2), one VM back 7 s after the loss, one 40 s, a
 * fence that failed once then worked, a quick migration of vc (3 s save, 2 s restore), a failed
 * monitor; a second loss (n2) whose VM is not back. */
static const VmhaEvent history[] = {
        EV(100, 1, VMHA_EVENT_START, "n1", "va", "ok", 900),
        EV(100, 2, VMHA_EVENT_START, "n1", "vb", "ok", 800),
        EV(101, 3, VMHA_EVENT_PROBE, "n2", "vc", "running", -1),
        EV(110, 4, VMHA_EVENT_NODE_LOST, "n1", NULL, NULL, -1),
        EV(112, 5, VMHA_EVENT_FENCE_FAILED, "n1", NULL, "failed", 2000),
        EV(114, 6, VMHA_EVENT_FENCE_DONE, "n1", NULL, "ok", 1000),
        EV(116, 7, VMHA_EVENT_START, "n3", "va", "failed (rc 1, op-status 0)", 500),
        EV(117, 8, VMHA_EVENT_START, "n2", "va", "ok", 700),
        EV(150, 9, VMHA_EVENT_START, "n3", "vb", "ok", 600),
        EV(200, 10, VMHA_EVENT_MIGRATE_TO, "n2", "vc", "ok", 3000),
        EV(202, 11, VMHA_EVENT_MIGRATE_FROM, "n3", "vc", "ok", 2000),
        EV(210, 12, VMHA_EVENT_MONITOR_FAILED, "n3", "vb", "failed (rc 7, op-status 0)", 10),
        EV(220, 13, VMHA_EVENT_NODE_LOST, "n3", NULL, NULL, -1),
        EV(221, 14, VMHA_EVENT_SELF_FENCED, "n3", NULL, "ok", -1),
};

static void test_count(void **state)
{
    VmhaMetricsCounts c;

    vmha_metrics_count(history, G_N_ELEMENTS(history), &c);
    assert_int_equal(c.events, G_N_ELEMENTS(history));
    assert_int_equal(c.last_seq, 14);
    assert_int_equal(c.oldest_time, 100);
    assert_int_equal(c.node_losses, 2);
    assert_int_equal(c.fence_ok, 1);
    assert_int_equal(c.fence_failed, 1);
    assert_int_equal(c.self_fences, 1);
    /* va: 117 - 110 = 7 s; vb: 150 - 110 = 40 s. vc was never on n1. */
    assert_int_equal(c.recoveries, 2);
    assert_true(c.recovery_seconds_sum == 47.0);
    const size_t recovery[] = {0, 1, 1, 1, 2, 2, 2, 2}; /* le 5, 10, 15, 30, 60, ... */
    assert_memory_equal(c.recovery_buckets, recovery, sizeof(recovery));
    /* n3's loss: vb (back there at 150) and vc (migrated there at 202) wait. */
    assert_int_equal(c.recoveries_waiting, 2);
    assert_int_equal(c.migrations_ok, 1);
    assert_int_equal(c.migrations_failed, 0);
    assert_int_equal(c.pauses, 1);
    assert_true(c.pause_seconds_sum == 5.0);
    const size_t pause[] = {0, 0, 0, 1, 1, 1, 1, 1}; /* le 0.5, 1, 2, 5, ... */
    assert_memory_equal(c.pause_buckets, pause, sizeof(pause));
    assert_int_equal(c.monitor_failures, 1);

    /* Nothing: zeros. */
    vmha_metrics_count(NULL, 0, &c);
    assert_int_equal(c.events + c.recoveries + c.last_seq + (size_t)c.oldest_time, 0);
}

/* A migration whose migrate-to left the history counts, without a pause; a failed half counts
 * failed; a VM lost twice before it is back is one recovery from the first loss. */
static void test_edges(void **state)
{
    static const VmhaEvent h[] = {
            EV(10, 1, VMHA_EVENT_MIGRATE_FROM, "n2", "va", "ok", 1000),
            EV(11, 2, VMHA_EVENT_MIGRATE_TO, "n2", "vb", "failed (rc 1, op-status 0)", 1000),
            EV(12, 3, VMHA_EVENT_START, "n1", "vc", "ok", 100),
            EV(20, 4, VMHA_EVENT_NODE_LOST, "n1", NULL, NULL, -1),
            EV(30, 5, VMHA_EVENT_NODE_LOST, "n1", NULL, NULL, -1),
            EV(32, 6, VMHA_EVENT_START, "n3", "vc", "ok", 100),
            EV(40, 7, VMHA_EVENT_STOP, "n3", "vc", "ok", 100),
            EV(50, 8, VMHA_EVENT_NODE_LOST, "n3", NULL, NULL, -1),
    };
    VmhaMetricsCounts c;

    vmha_metrics_count(h, G_N_ELEMENTS(h), &c);
    assert_int_equal(c.migrations_ok, 1);
    assert_int_equal(c.pauses, 0);
    assert_int_equal(c.migrations_failed, 1);
    assert_int_equal(c.recoveries, 1);
    assert_true(c.recovery_seconds_sum == 12.0);
    assert_int_equal(c.recoveries_waiting, 0); /* vc was stopped before n3 was lost */
}

static const char *status_text =
        "{\"quorate\": true, \"corosync\": true, \"database\": {\"in_sync\": true},"
        " \"nodes\": [{\"name\": \"n1\", \"online\": false, \"state\": \"fenced\"},"
        "            {\"name\": \"n2\", \"online\": true, \"state\": \"online\"},"
        "            {\"name\": \"n3\", \"online\": true, \"state\": \"standby\"}],"
        " \"vms\": [{\"name\": \"va\", \"state\": \"running\"},"
        "          {\"name\": \"vb\", \"state\": \"running\"},"
        "          {\"name\": \"vc\", \"state\": \"stopped\"}]}";

static void assert_line(const char *text, const char *line)
{
    g_autofree char *needle = g_strdup_printf("\n%s\n", line);
    g_autofree char *hay = g_strdup_printf("\n%s", text);
    if (!strstr(hay, needle))
        fail_msg("no line '%s' in:\n%s", line, text);
}

static void test_text(void **state)
{
    VmhaMetricsCounts c;
    json_object *status = json_tokener_parse(status_text);

    vmha_metrics_count(history, G_N_ELEMENTS(history), &c);
    g_autofree char *text = vmha_metrics_text(status, &c);
    json_object_put(status);
    assert_line(text, "vmha_up 1");
    assert_line(text, "vmha_quorate 1");
    assert_line(text, "vmha_nodes 3");
    assert_line(text, "vmha_nodes_up 2");
    assert_line(text, "vmha_nodes_by_state{state=\"fenced\"} 1");
    assert_line(text, "vmha_nodes_by_state{state=\"unclean\"} 0");
    assert_line(text, "vmha_vms_by_state{state=\"running\"} 2");
    assert_line(text, "vmha_vms_by_state{state=\"failed\"} 0");
    assert_line(text, "vmha_fence_operations_total{result=\"ok\"} 1");
    assert_line(text, "vmha_fence_operations_total{result=\"failed\"} 1");
    assert_line(text, "vmha_recovery_duration_seconds_bucket{le=\"10\"} 1");
    assert_line(text, "vmha_recovery_duration_seconds_bucket{le=\"+Inf\"} 2");
    assert_line(text, "vmha_recovery_duration_seconds_sum 47");
    assert_line(text, "vmha_recovery_duration_seconds_count 2");
    assert_line(text, "vmha_migration_pause_seconds_bucket{le=\"0.5\"} 0");
    assert_line(text, "vmha_migration_pause_seconds_sum 5");
    assert_line(text, "# TYPE vmha_migration_pause_seconds histogram");
    assert_line(text, "vmha_history_last_seq 14");

    /* Every line a comment or `name{labels} value` once, each name's TYPE before its samples. */
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    g_autoptr(GHashTable) typed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GRegex) sample = g_regex_new(
            "^([a-z_]+?)(_bucket|_sum|_count)?(\\{[a-z]+=\"[^\"]*\"\\})? [0-9.e+-]+$", 0, 0, NULL);
    for (size_t i = 0; lines[i] && *lines[i]; i++) {
        if (g_str_has_prefix(lines[i], "# TYPE ")) {
            g_auto(GStrv) w = g_strsplit(lines[i], " ", -1);
            g_hash_table_add(typed, g_strdup(w[2]));
            continue;
        }
        if (g_str_has_prefix(lines[i], "# HELP "))
            continue;
        g_autoptr(GMatchInfo) m = NULL;
        if (!g_regex_match(sample, lines[i], 0, &m))
            fail_msg("not a sample: '%s'", lines[i]);
        g_autofree char *base = g_match_info_fetch(m, 1);
        g_autofree char *suffix = g_match_info_fetch(m, 2);
        g_autofree char *whole = g_strconcat(base, suffix, NULL);
        if (!g_hash_table_contains(typed, base) && !g_hash_table_contains(typed, whole))
            fail_msg("no TYPE before '%s'", lines[i]);
        if (!g_hash_table_add(seen, lines[i]))
            fail_msg("twice: '%s'", lines[i]);
    }
    assert_true(g_str_has_suffix(text, "\n"));

    g_autofree char *down = vmha_metrics_down_text();
    assert_line(down, "vmha_up 0");
    assert_null(strstr(down, "vmha_quorate"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_count),
            cmocka_unit_test(test_edges),
            cmocka_unit_test(test_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
