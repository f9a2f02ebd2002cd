/* Incidents from event fixtures: a node loss and what it caused, a drain and its moves, an
 * incident still open, a node back before its fence; `vm why` (lib/incident.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "incident.h"

#define EV(s, t, ty, n, v, r, d)                                                                   \
    {                                                                                              \
        .seq = (s), .time = (t), .type = VMHA_EVENT_##ty, .node = (char *)(n), .vm = (char *)(v),  \
        .result = (char *)(r), .duration_ms = -1, .details = (char *)(d)                           \
    }

/* n1 had va and vb (vc ran on n2); n1 is lost, lost again in the next view, fenced, va and vb
 * start on n2 (vb's first start on n3 fails), n1 comes back. */
static VmhaEvent loss[] = {
        EV(10, 100, START, "n1", "va", "ok", NULL),
        EV(11, 100, START, "n1", "vb", "ok", NULL),
        EV(12, 100, PROBE, "n2", "vc", "running", NULL),
        EV(20, 200, MEMBERSHIP, NULL, NULL, NULL, "quorate view: n2, n3"),
        EV(21, 200, NODE_LOST, "n1", NULL, NULL, NULL),
        EV(24, 201, MEMBERSHIP, NULL, NULL, NULL, "quorate view: n2, n3"),
        EV(25, 201, NODE_LOST, "n1", NULL, NULL, NULL),
        EV(30, 203, FENCE_STARTED, "n1", NULL, NULL, "lab (reboot)"),
        EV(31, 208, FENCE_DONE, "n1", NULL, "ok", "lab (reboot)"),
        EV(40, 209, PLANNED, "n2", "va", "pending", "start on n2"),
        EV(41, 209, PLANNED, "n3", "vb", "pending", "start on n3"),
        EV(50, 215, START, "n3", "vb", "failed (rc 1, op-status 0)", NULL),
        EV(51, 214, START, "n2", "va", "ok", NULL),
        EV(55, 216, PLANNED, "n2", "vb", "pending", "start on n2"),
        EV(60, 220, START, "n2", "vb", "ok", NULL),
        EV(61, 221, MONITOR_FAILED, "n2", "vc", "failed (rc 7, op-status 0)", NULL),
        EV(70, 300, MEMBERSHIP, NULL, NULL, NULL, "quorate view: n1, n2, n3"),
};

static json_object *phase(json_object *inc, const char *name)
{
    json_object *phases = json_object_object_get(inc, "phases");
    for (size_t i = 0; i < json_object_array_length(phases); i++) {
        json_object *p = json_object_array_get_idx(phases, i);
        if (strcmp(json_object_get_string(json_object_object_get(p, "name")), name) == 0)
            return p;
    }
    fail_msg("no phase %s", name);
    return NULL;
}

static int64_t seconds(json_object *inc, const char *name)
{
    json_object *s = json_object_object_get(phase(inc, name), "seconds");
    return s ? json_object_get_int64(s) : -1;
}

static int64_t get_int(json_object *o, const char *key)
{
    json_object *v = json_object_object_get(o, key);
    return v ? json_object_get_int64(v) : -1;
}

static const char *get_str(json_object *o, const char *key)
{
    return json_object_get_string(json_object_object_get(o, key));
}

static void test_node_loss_timeline(void **state)
{
    g_autoptr(GPtrArray) all = vmha_incidents_find(loss, G_N_ELEMENTS(loss));

    assert_int_equal(all->len, 1);
    const VmhaIncident *inc = g_ptr_array_index(all, 0);
    assert_true(inc->id == 21);
    assert_int_equal(inc->kind, VMHA_INCIDENT_NODE_LOSS);
    assert_string_equal(inc->node, "n1");
    static const uint64_t want[] = {21, 25, 30, 31, 40, 41, 50, 51, 55, 60};
    assert_int_equal(inc->events->len, G_N_ELEMENTS(want));
    for (size_t i = 0; i < G_N_ELEMENTS(want); i++)
        assert_true(g_array_index(inc->events, uint64_t, i) == want[i]);

    json_object *j = vmha_incident_to_json(inc, loss, G_N_ELEMENTS(loss));
    assert_string_equal(get_str(j, "state"), "closed");
    assert_string_equal(get_str(j, "outcome"), "fenced");
    assert_int_equal(get_int(j, "started"), 200);
    assert_int_equal(get_int(j, "ended"), 220);
    assert_int_equal(get_int(j, "duration_s"), 20);
    /* Each phase is the difference of its events' times. */
    assert_int_equal(seconds(j, "detection to fence started"), 3);
    assert_int_equal(seconds(j, "fence"), 5);
    assert_int_equal(seconds(j, "fence done to va up"), 6);
    assert_int_equal(seconds(j, "fence done to vb up"), 12);
    assert_int_equal(seconds(j, "total"), 20);
    json_object *vms = json_object_object_get(j, "vms");
    assert_int_equal(json_object_array_length(vms), 2);
    json_object *vb = json_object_array_get_idx(vms, 1);
    assert_string_equal(get_str(vb, "vm"), "vb");
    assert_string_equal(get_str(vb, "from"), "n1");
    assert_string_equal(get_str(vb, "to"), "n2");
    assert_int_equal(get_int(vb, "up"), 220);
    assert_int_equal(get_int(vb, "failures"), 1);
    assert_int_equal(json_object_array_length(json_object_object_get(j, "events")), 10);
    json_object_put(j);
}

/* Every node holding the same history prints the same incidents. */
static void test_deterministic(void **state)
{
    g_autoptr(GPtrArray) a = vmha_incidents_find(loss, G_N_ELEMENTS(loss));
    g_autoptr(GPtrArray) b = vmha_incidents_find(loss, G_N_ELEMENTS(loss));
    json_object *ja = vmha_incident_to_json(g_ptr_array_index(a, 0), loss, G_N_ELEMENTS(loss));
    json_object *jb = vmha_incident_to_json(g_ptr_array_index(b, 0), loss, G_N_ELEMENTS(loss));

    assert_string_equal(json_object_to_json_string(ja), json_object_to_json_string(jb));
    json_object_put(ja);
    json_object_put(jb);
}

static void test_drain(void **state)
{
    VmhaEvent drain[] = {
            EV(10, 90, START, "n1", "va", "ok", NULL),
            EV(11, 90, MIGRATE_FROM, "n1", "vb", "ok", NULL),
            EV(20, 100, CONFIG, "n1", NULL, "ok", "node-drain n1"),
            EV(21, 100, PLANNED, "n1", "va", "pending", "migrate_to to n2"),
            EV(22, 105, MIGRATE_TO, "n1", "va", "ok", NULL),
            EV(23, 106, MIGRATE_FROM, "n2", "va", "ok", NULL),
            EV(24, 108, STOP, "n1", "vb", "ok", NULL),
            EV(25, 110, START, "n3", "vb", "ok", NULL),
            EV(30, 200, CONFIG, "n1", NULL, "ok", "node-resume n1"),
    };
    g_autoptr(GPtrArray) all = vmha_incidents_find(drain, G_N_ELEMENTS(drain));

    assert_int_equal(all->len, 1);
    json_object *j = vmha_incident_to_json(g_ptr_array_index(all, 0), NULL, 0);
    assert_string_equal(get_str(j, "type"), "drain");
    assert_string_equal(get_str(j, "outcome"), "moved");
    assert_int_equal(get_int(j, "ended"), 110);
    assert_int_equal(seconds(j, "drain to va up"), 6);
    assert_int_equal(seconds(j, "drain to vb up"), 10);
    assert_int_equal(seconds(j, "total"), 10);
    assert_null(json_object_object_get(j, "events"));
    assert_int_equal(get_int(j, "event_count"), 6); /* the resume came after: not of it */
    json_object_put(j);
}

/* The fence failed: still open, waiting; nothing has an end. */
static void test_open_incident(void **state)
{
    VmhaEvent open[] = {
            EV(10, 100, START, "n1", "va", "ok", NULL),
            EV(21, 200, NODE_LOST, "n1", NULL, NULL, NULL),
            EV(30, 203, FENCE_STARTED, "n1", NULL, NULL, "lab (reboot)"),
            EV(31, 260, FENCE_FAILED, "n1", NULL, "failed", "timed out"),
    };
    g_autoptr(GPtrArray) all = vmha_incidents_find(open, G_N_ELEMENTS(open));

    assert_int_equal(all->len, 1);
    json_object *j = vmha_incident_to_json(g_ptr_array_index(all, 0), NULL, 0);
    assert_string_equal(get_str(j, "state"), "open");
    assert_null(json_object_object_get(j, "outcome"));
    assert_null(json_object_object_get(j, "ended"));
    assert_int_equal(get_int(j, "fence_failures"), 1);
    assert_int_equal(seconds(j, "detection to fence started"), 3);
    assert_int_equal(seconds(j, "fence"), -1);
    assert_int_equal(seconds(j, "total"), -1);
    json_object_put(j);
}

/* Back in the membership before any fencing: it rejoined, its VMs never moved. A later loss of
 * the same node is another incident. */
static void test_rejoined(void **state)
{
    VmhaEvent back[] = {
            EV(10, 100, START, "n1", "va", "ok", NULL),
            EV(21, 200, NODE_LOST, "n1", NULL, NULL, NULL),
            EV(30, 202, MEMBERSHIP, NULL, NULL, NULL, "quorate view: n1, n2, n3"),
            EV(40, 300, NODE_LOST, "n1", NULL, NULL, NULL),
    };
    g_autoptr(GPtrArray) all = vmha_incidents_find(back, G_N_ELEMENTS(back));

    assert_int_equal(all->len, 2);
    const VmhaIncident *first = g_ptr_array_index(all, 0);
    assert_string_equal(first->outcome, "rejoined");
    assert_true(first->end_time == 202);
    assert_string_equal(((VmhaIncidentVm *)g_ptr_array_index(first->vms, 0))->to, "n1");
    const VmhaIncident *second = g_ptr_array_index(all, 1);
    assert_true(second->id == 40);
    assert_true(second->end_time == -1);
}

static void test_vm_why(void **state)
{
    g_autoptr(GPtrArray) all = vmha_incidents_find(loss, G_N_ELEMENTS(loss));
    json_object *j = vmha_vm_why(loss, G_N_ELEMENTS(loss), all, "vb", "n2");

    assert_int_equal(get_int(j, "since"), 220);
    assert_int_equal(get_int(j, "incident"), 21);
    assert_int_equal(get_int(json_object_object_get(j, "placed_by"), "seq"), 60);
    /* The node lost, its fencing, vb's plans and starts: none of va's or vc's. */
    static const int64_t want[] = {21, 25, 30, 31, 41, 50, 55, 60};
    json_object *chain = json_object_object_get(j, "chain");
    assert_int_equal(json_object_array_length(chain), G_N_ELEMENTS(want));
    for (size_t i = 0; i < G_N_ELEMENTS(want); i++)
        assert_int_equal(get_int(json_object_array_get_idx(chain, i), "seq"), want[i]);
    json_object_put(j);

    /* n1 back: a probe on n2 that finds vb still running there is not what put it there. */
    VmhaEvent reprobed[G_N_ELEMENTS(loss) + 1];
    memcpy(reprobed, loss, sizeof(loss));
    reprobed[G_N_ELEMENTS(loss)] = (VmhaEvent)EV(71, 301, PROBE, "n2", "vb", "running", NULL);
    g_autoptr(GPtrArray) again = vmha_incidents_find(reprobed, G_N_ELEMENTS(reprobed));
    j = vmha_vm_why(reprobed, G_N_ELEMENTS(reprobed), again, "vb", "n2");
    assert_int_equal(get_int(json_object_object_get(j, "placed_by"), "seq"), 60);
    assert_int_equal(get_int(j, "incident"), 21);
    assert_int_equal(get_int(j, "since"), 220);
    json_object_put(j);

    /* vc was never moved: placed by its probe, no incident; the monitor failure follows. */
    j = vmha_vm_why(loss, G_N_ELEMENTS(loss), all, "vc", "n2");
    assert_int_equal(get_int(j, "since"), 100);
    assert_null(json_object_object_get(j, "incident"));
    assert_int_equal(json_object_array_length(json_object_object_get(j, "chain")), 2);
    json_object_put(j);

    /* Running nowhere: no placement, its last events. */
    j = vmha_vm_why(loss, G_N_ELEMENTS(loss), all, "va", NULL);
    assert_null(json_object_object_get(j, "since"));
    assert_null(json_object_object_get(j, "node"));
    assert_int_equal(json_object_array_length(json_object_object_get(j, "chain")), 3);
    json_object_put(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_node_loss_timeline),
            cmocka_unit_test(test_deterministic),
            cmocka_unit_test(test_drain),
            cmocka_unit_test(test_open_incident),
            cmocka_unit_test(test_rejoined),
            cmocka_unit_test(test_vm_why),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
