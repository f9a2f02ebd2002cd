/* The health line and each VM's last event of `vmctl status` (lib/clusterhealth.h), on STATUS
 * documents as clusterd answers them and event fixtures. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "clusterhealth.h"
#include "incident.h"

#define EV(s, t, ty, n, v, r)                                                                      \
    {                                                                                              \
        .seq = (s), .time = (t), .type = VMHA_EVENT_##ty, .node = (char *)(n), .vm = (char *)(v),  \
        .result = (char *)(r), .duration_ms = -1                                                   \
    }

#define NODE(name, online, state)                                                                  \
    "{\"name\": \"" name "\", \"online\": " online ", \"state\": \"" state "\"}"

static json_object *parse(const char *text)
{
    json_object *o = json_tokener_parse(text);
    assert_non_null(o);
    return o;
}

static const char *str(json_object *o, const char *key)
{
    json_object *v = json_object_object_get(o, key);
    return v ? json_object_get_string(v) : NULL;
}

/* names: the JSON array's strings joined with ",", or "null". */
static char *names(json_object *o, const char *key)
{
    json_object *a = json_object_object_get(o, key);
    if (!a)
        return g_strdup("null");
    GString *s = g_string_new(NULL);
    for (size_t i = 0; i < json_object_array_length(a); i++)
        g_string_append_printf(s, "%s%s", i ? "," : "",
                               json_object_get_string(json_object_array_get_idx(a, i)));
    return g_string_free(s, false);
}

static void everything_fine(void **state)
{
    (void)state;
    json_object *status = parse("{\"corosync\": true, \"quorate\": true, \"nodes\": [" NODE(
            "n1", "true",
            "online") "," NODE("n2", "true",
                               "maintenance") "," NODE("n3", "true",
                                                       "standby") "], \"vms\": ["
                                                                  "{\"name\": \"web1\", \"state\": "
                                                                  "\"running\", \"nodes\": "
                                                                  "[\"n1\"], \"planned_node\": "
                                                                  "\"n1\", \"target_role\": "
                                                                  "\"Started\"},"
                                                                  "{\"name\": \"web2\", \"state\": "
                                                                  "\"migrating\", \"nodes\": "
                                                                  "[\"n1\", \"n3\"], "
                                                                  "\"planned_node\": \"n3\", "
                                                                  "\"target_role\": null},"
                                                                  "{\"name\": \"off\", \"state\": "
                                                                  "\"stopped\", \"nodes\": [], "
                                                                  "\"planned_node\": null, "
                                                                  "\"target_role\": "
                                                                  "\"Stopped\"}]}");
    g_autoptr(GPtrArray) none = g_ptr_array_new();
    json_object *h = vmha_health(status, none);

    assert_string_equal(str(h, "state"), "ok");
    assert_string_equal(str(h, "text"), "OK: quorate, 3 of 3 nodes up, 2 of 2 wanted VMs running");
    assert_int_equal(json_object_get_int(json_object_object_get(h, "vms_wanted")), 2);
    g_autofree char *f = names(h, "failed"), *b = names(h, "blocked"),
                    *w = names(h, "waiting_for_fence");
    assert_string_equal(f, "");
    assert_string_equal(b, "");
    assert_string_equal(w, "");
    assert_int_equal(json_object_array_length(json_object_object_get(h, "open_incidents")), 0);
    json_object_put(h);
    json_object_put(status);
}

/* n3 lost with db1 on it, fencing; web2 has nowhere to go; vm3 failed; n3's loss is open. */
static void power_cut(void **state)
{
    (void)state;
    json_object *status = parse("{\"corosync\": true, \"quorate\": true, \"nodes\": [" NODE(
            "n1", "true",
            "online") "," NODE("n2", "true",
                               "online") "," NODE("n3", "false",
                                                  "fencing") "], \"vms\": ["
                                                             "{\"name\": \"web1\", \"state\": "
                                                             "\"running\", \"nodes\": [\"n1\"], "
                                                             "\"planned_node\": "
                                                             "\"n1\", \"target_role\": "
                                                             "\"Started\"},"
                                                             "{\"name\": \"db1\", \"state\": "
                                                             "\"recovering\", \"nodes\": [\"n3\"], "
                                                             "\"planned_node\": null, "
                                                             "\"target_role\": \"Started\"},"
                                                             "{\"name\": \"web2\", \"state\": "
                                                             "\"stopped\", \"nodes\": [], "
                                                             "\"planned_node\": null, "
                                                             "\"target_role\": \"Started\"},"
                                                             "{\"name\": \"vm3\", \"state\": "
                                                             "\"failed\", \"nodes\": [\"n2\"], "
                                                             "\"planned_node\": "
                                                             "null, \"target_role\": \"Started\"},"
                                                             "{\"name\": \"vm4\", \"state\": "
                                                             "\"recovering\", \"nodes\": [], "
                                                             "\"planned_node\": "
                                                             "\"n2\", \"target_role\": "
                                                             "\"Started\"}]}");
    VmhaEvent events[] = {
            EV(10, 100, START, "n3", "db1", "ok"),
            EV(20, 200, NODE_LOST, "n3", NULL, NULL),
            EV(21, 201, FENCE_STARTED, "n3", NULL, NULL),
    };
    g_autoptr(GPtrArray) incidents = vmha_incidents_find(events, G_N_ELEMENTS(events));
    json_object *h = vmha_health(status, incidents);

    assert_string_equal(str(h, "state"), "degraded");
    assert_string_equal(str(h, "text"),
                        "DEGRADED: quorate, 2 of 3 nodes up, 1 of 5 wanted VMs running; failed: "
                        "vm3; blocked: web2; waiting for a fence: n3; open incident 20 (n3 lost, "
                        "fencing; 0 of 1 VMs up again)");
    g_autofree char *f = names(h, "failed"), *b = names(h, "blocked"),
                    *w = names(h, "waiting_for_fence");
    assert_string_equal(f, "vm3");
    assert_string_equal(b, "web2"); /* db1 waits for n3's fence; vm4 is on its way */
    assert_string_equal(w, "n3");
    json_object *open = json_object_object_get(h, "open_incidents");
    assert_int_equal(json_object_array_length(open), 1);
    assert_string_equal(str(json_object_array_get_idx(open, 0), "node"), "n3");
    json_object_put(h);
    json_object_put(status);
}

/* Even with everything running, a closed incident is not news but an open one is. */
static void open_incident_alone_degrades(void **state)
{
    (void)state;
    json_object *status = parse("{\"corosync\": true, \"quorate\": true, \"nodes\": [" NODE(
            "n1", "true", "draining") "], \"vms\": [{\"name\": \"a\", \"state\": \"running\", "
                                      "\"nodes\": [\"n1\"], "
                                      "\"planned_node\": \"n1\", \"target_role\": \"Started\"}]}");
    VmhaEvent drained[] = {
            EV(10, 100, START, "n1", "a", "ok"),
            {.seq = 20,
             .time = 200,
             .type = VMHA_EVENT_CONFIG,
             .node = "n1",
             .duration_ms = -1,
             .details = "node-drain n1"},
    };
    g_autoptr(GPtrArray) incidents = vmha_incidents_find(drained, G_N_ELEMENTS(drained));
    json_object *h = vmha_health(status, incidents);
    assert_string_equal(str(h, "text"), "DEGRADED: quorate, 1 of 1 nodes up, 1 of 1 wanted VMs "
                                        "running; open incident 20 (drain of n1: 0 of 1 VMs "
                                        "moved)");
    json_object_put(h);

    g_autoptr(GPtrArray) closed = vmha_incidents_find(drained, 1);
    h = vmha_health(status, closed);
    assert_string_equal(str(h, "state"), "ok");
    json_object_put(h);
    json_object_put(status);
}

static void no_quorum_and_unknowns(void **state)
{
    (void)state;
    json_object *status = parse("{\"corosync\": true, \"quorate\": false, \"nodes\": [" NODE(
            "n1", "true", "online") "," NODE("n2", "false", "offline") "], \"vms\": "
                                                                       "null, "
                                                                       "\"vms_error\": "
                                                                       "\"out of "
                                                                       "sync\"}");
    json_object *h = vmha_health(status, NULL);

    assert_string_equal(str(h, "state"), "no-quorum");
    assert_string_equal(str(h, "text"), "NO QUORUM: no quorum, 1 of 2 nodes up, VMs unknown (out "
                                        "of sync); incidents unknown (no event history)");
    assert_null(json_object_object_get(h, "vms_running"));
    assert_null(json_object_object_get(h, "failed"));
    assert_null(json_object_object_get(h, "open_incidents"));
    json_object_put(h);
    json_object_put(status);

    status = parse("{\"corosync\": false, \"quorate\": false, \"nodes\": [], \"vms\": []}");
    h = vmha_health(status, NULL);
    assert_true(g_str_has_prefix(str(h, "text"), "NO QUORUM: not connected to corosync, 0 of 0"));
    json_object_put(h);
    json_object_put(status);
}

static void last_events(void **state)
{
    (void)state;
    json_object *status = parse("{\"vms\": [{\"name\": \"a\"}, {\"name\": \"b\"}, {\"name\": "
                                "\"quiet\"}]}");
    VmhaEvent events[] = {
            EV(10, 100, START, "n1", "a", "ok"),
            EV(11, 101, START, "n1", "b", "ok"),
            EV(20, 200, NODE_LOST, "n1", NULL, NULL),
            EV(30, 210, START, "n2", "a", "failed (rc 1, op-status 0)"),
    };
    vmha_status_add_last_events(status, events, G_N_ELEMENTS(events));
    json_object *vms = json_object_object_get(status, "vms");
    json_object *a = json_object_object_get(json_object_array_get_idx(vms, 0), "last_event");
    json_object *b = json_object_object_get(json_object_array_get_idx(vms, 1), "last_event");
    json_object *q = NULL;

    assert_true(json_object_object_get_ex(json_object_array_get_idx(vms, 2), "last_event", &q));
    assert_null(q);
    assert_int_equal(json_object_get_int64(json_object_object_get(a, "seq")), 30);
    assert_int_equal(json_object_get_int64(json_object_object_get(a, "time")), 210);
    assert_string_equal(str(a, "type"), "start");
    assert_string_equal(str(a, "node"), "n2");
    assert_string_equal(str(a, "result"), "failed (rc 1, op-status 0)");
    assert_int_equal(json_object_get_int64(json_object_object_get(b, "seq")), 11);
    json_object_put(status);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(everything_fine),
            cmocka_unit_test(power_cut),
            cmocka_unit_test(open_incident_alone_degrades),
            cmocka_unit_test(no_quorum_and_unknowns),
            cmocka_unit_test(last_events),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
