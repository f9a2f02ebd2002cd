/* clusterd/history.c on the real database code (cibdb.c, cibwrite*.c on libcib) and the real
 * dispatcher: the events a run of writes and views makes, their numbers, the history across a
 * restart and a damaged file, secrets kept out, and two copies fed the same writes agreeing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>

#include "cibtest.h"
#include "clusterhealth.h"
#include "incident.h"
#include "clusterd/events.h"
#include "clusterd/history.h"
#include "clusterd/sync.h"

/* What corosync.c and sync.c would answer: the view the test sets. */
static VmhaPeerState view[3];
static size_t n_view;

const char *cd_node_name(uint32_t nodeid)
{
    static const char *const names[] = {NULL, "n1", "n2", "n3"};
    return nodeid < G_N_ELEMENTS(names) ? names[nodeid] : NULL;
}

const VmhaPeerState *cd_sync_members(size_t *ret_n)
{
    *ret_n = n_view;
    return view;
}

static void publish_applied(VmhaMsg *m)
{
    g_autofree char *err = NULL;
    int rc = cd_cibwrite_apply(m, members, n_members, &err);
    if (rc != 0)
        printf("refused: %s\n", err ? err : "");
    assert_int_equal(rc, 0);
    cd_events_publish(&(CdEvent){.type = CD_EVENT_APPLIED, .msg = m});
    vmha_msg_free(m);
}

/* A quorate view of nodes (ids) formed and bumped the epoch at time t. */
static void quorate_view(const uint32_t *ids, size_t n, uint64_t t)
{
    g_autoptr(VmhaMsg) bump = vmha_msg_new(VMHA_MSG_BUMP);
    for (size_t i = 0; i < n; i++)
        view[i] = (VmhaPeerState){.nodeid = ids[i], .pid = 100 + ids[i], .in_sync = true};
    n_view = n;
    assert_int_equal(vmha_msg_add_u64(bump, VMHA_F_TIME, t), 0);
    assert_int_equal(cd_cibdb_bump(), 0);
    cd_events_publish(&(CdEvent){.type = CD_EVENT_SYNCED, .msg = bump});
}

/* Every time of the story counts from here: now, as the history drops events older than 30
 * days. */
static int64_t T;

/* "PREFIX" followed by T + offset; a new string for each call, kept until the test ends. */
static const char *at(const char *prefix, int64_t offset)
{
    static GPtrArray *strings;
    if (!strings)
        strings = g_ptr_array_new_with_free_func(g_free);
    char *s = g_strdup_printf("%s%" G_GINT64_FORMAT, prefix, T + offset);
    g_ptr_array_add(strings, s);
    return s;
}

static VmhaMsg *from_vmctl(VmhaMsg *m, const char *command, uint64_t t)
{
    assert_int_equal(vmha_msg_add_u64(m, VMHA_F_CALLER_UID, 0), 0);
    assert_int_equal(vmha_msg_add_str(m, VMHA_F_CALLER_USER, "root"), 0);
    assert_int_equal(vmha_msg_add_str(m, VMHA_F_CALLER_COMMAND, command), 0);
    assert_int_equal(vmha_msg_add_u64(m, VMHA_F_ORIGIN_NODE, 1), 0);
    assert_int_equal(vmha_msg_add_u64(m, VMHA_F_TIME, t), 0);
    return m;
}

/* The cluster's story: a view, a VM added, started on n3, n3 lost and fenced, the VM started on
 * n2; a fence device with a password added. Returns the history's answer. */
static char *story(const char *sub)
{
    g_autoptr(GPtrArray) nodes = three_nodes();
    static const uint32_t all[] = {1, 2, 3}, two[] = {1, 2};

    assert_int_equal(cd_cibdb_init(sub), 0);
    assert_int_equal(cd_cibdb_seed_nodes(nodes), 0);
    cd_history_init(sub);

    quorate_view(all, 3, (uint64_t)T);
    publish_applied(from_vmctl(add_msg("web1", NULL), "vmctl vm add web1 --config /shared/vm.xml",
                               (uint64_t)T + 1));
    VmhaMsg *a = vmha_msg_new(VMHA_MSG_ACTIONS);
    assert_int_equal(vmha_msg_add_str(a, VMHA_F_ACTION, "0:1:0:u start web1 n3"), 0);
    assert_int_equal(vmha_msg_add_str(a, VMHA_F_KV, at("time=", 2)), 0);
    publish_applied(a);
    VmhaMsg *r = vmha_msg_new(VMHA_MSG_RESULT);
    assert_int_equal(vmha_msg_add_str(r, VMHA_F_RESULT, at("0:1:0:u start 0 web1 0 0 1500 ", 4)),
                     0);
    assert_int_equal(vmha_msg_add_u64(r, VMHA_F_ORIGIN_NODE, 3), 0);
    publish_applied(r);

    quorate_view(two, 2, (uint64_t)T + 100);
    VmhaMsg *f = vmha_msg_new(VMHA_MSG_FENCED);
    assert_int_equal(vmha_msg_add_str(f, VMHA_F_NODE, "n3"), 0);
    assert_int_equal(vmha_msg_add_u64(f, VMHA_F_RC, 0), 0);
    assert_int_equal(vmha_msg_add_str(f, VMHA_F_KV, at("time=", 104)), 0);
    assert_int_equal(vmha_msg_add_str(f, VMHA_F_KV, "device=lab"), 0);
    assert_int_equal(vmha_msg_add_str(f, VMHA_F_KV, "action=reboot"), 0);
    assert_int_equal(vmha_msg_add_str(f, VMHA_F_KV, "duration_ms=2500"), 0);
    assert_int_equal(vmha_msg_add_str(f, VMHA_F_KV, at("started=", 101)), 0);
    publish_applied(f);
    /* n3's clusterd, back after the fence's reboot, monitored from its pre-fence copy: the
     * database drops that result, and no event says web1 failed. */
    r = vmha_msg_new(VMHA_MSG_RESULT);
    assert_int_equal(vmha_msg_add_str(r, VMHA_F_RESULT,
                                      at("0:0:0:vmha-monitor monitor 2000 web1 7 0 3 ", 104)),
                     0);
    assert_int_equal(vmha_msg_add_str(r, VMHA_F_KV, "fenced=0"), 0);
    assert_int_equal(vmha_msg_add_u64(r, VMHA_F_ORIGIN_NODE, 3), 0);
    publish_applied(r);
    a = vmha_msg_new(VMHA_MSG_ACTIONS);
    assert_int_equal(vmha_msg_add_str(a, VMHA_F_ACTION, "0:2:0:u start web1 n2"), 0);
    assert_int_equal(vmha_msg_add_str(a, VMHA_F_KV, at("time=", 105)), 0);
    publish_applied(a);
    r = vmha_msg_new(VMHA_MSG_RESULT);
    assert_int_equal(vmha_msg_add_str(r, VMHA_F_RESULT, at("0:2:0:u start 0 web1 0 0 900 ", 106)),
                     0);
    assert_int_equal(vmha_msg_add_u64(r, VMHA_F_ORIGIN_NODE, 2), 0);
    publish_applied(r);

    VmhaMsg *fa = vmha_msg_new(VMHA_MSG_FENCE_ADD);
    assert_int_equal(vmha_msg_add_str(fa, VMHA_F_NAME, "pdu"), 0);
    assert_int_equal(vmha_msg_add_str(fa, VMHA_F_KV, "agent=fence_lab"), 0);
    assert_int_equal(vmha_msg_add_str(fa, VMHA_F_KV, "passwd=s3cret"), 0);
    assert_int_equal(vmha_msg_add_str(fa, VMHA_F_NODE, "n1"), 0);
    publish_applied(from_vmctl(fa, "vmctl fence add pdu fence_lab --hosts n1 passwd=s3cret",
                               (uint64_t)T + 200));
    return cd_history_query(&(VmhaEventFilter){0});
}

static void check_story(const char *answer)
{
    static const struct {
        const char *type, *node, *vm, *result;
        int64_t time, duration_ms;
    } want[] = {
            {"membership", NULL, NULL, NULL, 0, -1},
            {"config", NULL, "web1", "ok", 1, -1},
            {"planned", "n3", "web1", "pending", 2, -1},
            {"start", "n3", "web1", "ok", 4, 1500},
            {"membership", NULL, NULL, NULL, 100, -1},
            {"node-lost", "n3", NULL, NULL, 100, -1},
            {"fence-started", "n3", NULL, NULL, 101, -1},
            {"fence-done", "n3", NULL, "ok", 104, 2500},
            {"planned", "n2", "web1", "pending", 105, -1},
            {"start", "n2", "web1", "ok", 106, 900},
            {"config", "n1", "pdu", "ok", 200, -1}, /* n1: the host it covers */
    };
    json_object *doc = json_tokener_parse(answer);
    json_object *events = NULL;

    assert_non_null(doc);
    if (getenv("VMHA_DEBUG"))
        printf("%s\n", answer);
    assert_true(json_object_object_get_ex(doc, "events", &events));
    assert_int_equal(json_object_array_length(events), G_N_ELEMENTS(want));
    uint64_t last = 0;
    for (size_t i = 0; i < G_N_ELEMENTS(want); i++) {
        VmhaEvent ev;
        g_autofree char *error = NULL;
        assert_int_equal(vmha_event_from_json(json_object_array_get_idx(events, i), &ev, &error),
                         0);
        assert_string_equal(vmha_event_type_to_string(ev.type), want[i].type);
        assert_true(g_strcmp0(ev.node, want[i].node) == 0);
        assert_true(g_strcmp0(ev.vm, want[i].vm) == 0);
        assert_true(g_strcmp0(ev.result, want[i].result) == 0);
        assert_true(ev.time == T + want[i].time);
        assert_true(ev.duration_ms == want[i].duration_ms);
        assert_true(ev.seq > last); /* numbered in the order applied */
        last = ev.seq;
        if (i == 1) {
            assert_string_equal(ev.user, "root");
            assert_string_equal(ev.command, "vmctl vm add web1 --config /shared/vm.xml");
        }
        if (i == 10) {
            /* The password is in the database, not in the history anyone may read. */
            assert_null(strstr(ev.details, "s3cret"));
            assert_null(strstr(ev.command, "s3cret"));
            assert_non_null(strstr(ev.details, "passwd=(hidden)"));
            assert_non_null(strstr(ev.command, "passwd=(hidden)"));
        }
        vmha_event_clear(&ev);
    }
    json_object_put(doc);
}

static void test_story_restart_and_damage(void **state)
{
    g_autofree char *sub = g_build_filename(dir, "a", NULL);
    g_autofree char *first = story(sub);
    check_story(first);
    /* The last event is numbered by the version its write produced. */
    VmhaCibVersion v;
    uint64_t seq = 0;
    cd_cibdb_version(&v, NULL);
    assert_true(v.epoch > 0);
    assert_int_equal(vmha_event_seq(v.epoch, v.num_updates, 0, &seq), 0);
    json_object *d = json_tokener_parse(first), *last = NULL;
    assert_true(json_object_object_get_ex(d, "last_seq", &last));
    assert_true((uint64_t)json_object_get_int64(last) == seq);
    json_object_put(d);

    /* A restart reads back the same history. */
    cd_history_finalise();
    cd_history_init(sub);
    g_autofree char *again = cd_history_query(&(VmhaEventFilter){0});
    assert_string_equal(again, first);

    /* A torn last line (a crash in the middle of an append) is skipped, the rest kept. */
    cd_history_finalise();
    g_autofree char *path = g_build_filename(sub, "events.jsonl", NULL);
    FILE *fp = fopen(path, "a");
    assert_non_null(fp);
    fputs("{\"seq\": 99999999999999, \"time\": 1, \"ty", fp);
    fclose(fp);
    cd_history_init(sub);
    g_autofree char *after = cd_history_query(&(VmhaEventFilter){0});
    assert_string_equal(after, first);
    /* and the file was rewritten without it */
    g_autofree char *text = NULL;
    assert_true(g_file_get_contents(path, &text, NULL, NULL));
    assert_null(strstr(text, "\"ty\n"));
    assert_true(g_str_has_suffix(text, "}\n"));

    /* Filters through the query. */
    g_autofree char *n3 = cd_history_query(&(VmhaEventFilter){.node = "n3"});
    json_object *doc = json_tokener_parse(n3), *events = NULL;
    assert_true(json_object_object_get_ex(doc, "events", &events));
    assert_int_equal(json_object_array_length(events), 5);
    json_object_put(doc);
    cd_history_finalise();
    cd_cibdb_finalise();
}

/* Two members fed the same writes in the same order number and time them alike: another copy,
 * another directory, another process clock, the same answer. */
static void test_two_copies_agree(void **state)
{
    g_autofree char *sub_a = g_build_filename(dir, "x", NULL);
    g_autofree char *sub_b = g_build_filename(dir, "y", NULL);
    g_autofree char *a = story(sub_a);
    cd_history_finalise();
    cd_cibdb_finalise();
    g_autofree char *b = story(sub_b);
    cd_history_finalise();
    cd_cibdb_finalise();
    assert_string_equal(a, b);
}

/* What vmctl status computed from a copy of the whole history: the open incidents and each VM's
 * last event, added to doc. */
static void add_from_whole_history(json_object *doc)
{
    g_autofree char *answer = cd_history_query(&(VmhaEventFilter){0});
    json_object *d = json_tokener_parse(answer), *list = NULL;
    assert_true(json_object_object_get_ex(d, "events", &list));
    size_t n = json_object_array_length(list);
    g_autofree VmhaEvent *events = g_new0(VmhaEvent, n + 1);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(vmha_event_from_json(json_object_array_get_idx(list, i), &events[i], NULL),
                         0);
    g_autoptr(GPtrArray) incidents = vmha_incidents_find(events, n);
    json_object_object_add(doc, "open_incidents", vmha_open_incidents(incidents));
    vmha_status_add_last_events(doc, events, n);
    for (size_t i = 0; i < n; i++)
        vmha_event_clear(&events[i]);
    json_object_put(d);
}

static json_object *status_doc(void)
{
    return json_tokener_parse("{\"vms\":[{\"name\":\"web1\"},{\"name\":\"vm7\"},"
                              "{\"name\":\"none\"}]}");
}

/* STATUS carries the history's part of status (cd_history_add_to_status): the same as vmctl
 * derived from a copy of the whole history, and as small with 10,000 events as with ten. */
static void assert_status_part(size_t max_bytes)
{
    json_object *want = status_doc(), *got = status_doc();
    add_from_whole_history(want);
    cd_history_add_to_status(got);
    if (!json_object_equal(got, want))
        fail_msg("status got %s\nwanted %s", json_object_to_json_string(got),
                 json_object_to_json_string(want));
    size_t bytes = strlen(json_object_to_json_string(got));
    if (bytes > max_bytes)
        fail_msg("the status document takes %zu bytes, more than %zu", bytes, max_bytes);
    json_object_put(want);
    json_object_put(got);
}

static void test_status_part_bounded(void **state)
{
    g_autofree char *sub = g_build_filename(dir, "s", NULL);
    g_autofree char *first = story(sub);
    assert_status_part(1024);
    /* A new event changes it (what clusterd keeps is not stale). */
    VmhaMsg *a = vmha_msg_new(VMHA_MSG_ACTIONS);
    assert_int_equal(vmha_msg_add_str(a, VMHA_F_ACTION, "0:3:0:u stop web1 n2"), 0);
    assert_int_equal(vmha_msg_add_str(a, VMHA_F_KV, at("time=", 300)), 0);
    publish_applied(a);
    assert_status_part(1024);
    json_object *doc = status_doc();
    cd_history_add_to_status(doc);
    json_object *web1 = json_object_array_get_idx(json_object_object_get(doc, "vms"), 0);
    assert_string_equal(json_object_get_string(json_object_object_get(
                                json_object_object_get(web1, "last_event"), "type")),
                        "planned");
    json_object_put(doc);

    /* 10,000 events recorded long ago (numbered below the database's, within the age bound):
     * the answer to EVENTS grows to megabytes, status's part stays the same size. */
    cd_history_finalise();
    g_autofree char *path = g_build_filename(sub, "events.jsonl", NULL);
    g_autofree char *old = NULL;
    assert_true(g_file_get_contents(path, &old, NULL, NULL));
    GString *lines = g_string_new(NULL);
    for (int i = 1; i <= 10000; i++)
        g_string_append_printf(lines,
                               "{\"seq\":%d,\"time\":%" G_GINT64_FORMAT ",\"type\":\"%s\","
                               "\"node\":\"n%d\",\"vm\":\"vm%d\",\"user\":null,"
                               "\"command\":null,\"result\":\"ok\",\"duration_ms\":%d,"
                               "\"details\":null}\n",
                               i, T - 20000 + i, i % 2 ? "start" : "stop", 1 + i % 3, i % 500,
                               1000 + i % 700);
    g_string_append(lines, old);
    assert_true(g_file_set_contents(path, lines->str, (gssize)lines->len, NULL));
    g_string_free(lines, TRUE);
    cd_history_init(sub);
    g_autofree char *all = cd_history_query(&(VmhaEventFilter){0});
    assert_true(strlen(all) > 1000000);
    assert_status_part(1024);
    cd_history_finalise();
    cd_cibdb_finalise();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_story_restart_and_damage, setup, teardown),
            cmocka_unit_test_setup_teardown(test_two_copies_agree, setup, teardown),
            cmocka_unit_test_setup_teardown(test_status_part_bounded, setup, teardown),
    };
    int rc;

    T = g_get_real_time() / G_USEC_PER_SEC;
    cd_events_init();
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    cd_events_finalise();
    return rc;
}
