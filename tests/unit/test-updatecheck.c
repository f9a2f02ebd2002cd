/* Unit tests of vmctl cluster update's decisions (vmctl/updatecheck.c) on status snapshots in
 * the schema of `vmctl status --json` (docs/vmctl.md). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glib.h>
#include <json-c/json.h>
#include <string.h>

#include "vmctl/updatecheck.h"

/* A healthy 3-node cluster listed out of id order, two VMs running, one stopped. */
static const char healthy[] =
        "{\"quorate\": true, \"leader\": {\"id\": 1, \"name\": \"n1\"},"
        " \"database\": {\"in_sync\": true},"
        " \"members\": [{\"id\": 1, \"name\": \"n1\", \"pid\": 71, \"in_sync\": true},"
        "               {\"id\": 2, \"name\": \"n2\", \"pid\": 72, \"in_sync\": true},"
        "               {\"id\": 10, \"name\": \"n10\", \"pid\": 73, \"in_sync\": true}],"
        " \"nodes\": [{\"id\": 10, \"name\": \"n10\", \"online\": true, \"clusterd\": true,"
        "              \"state\": \"online\"},"
        "             {\"id\": 1, \"name\": \"n1\", \"online\": true, \"clusterd\": true,"
        "              \"state\": \"online\"},"
        "             {\"id\": 2, \"name\": \"n2\", \"online\": true, \"clusterd\": true,"
        "              \"state\": \"online\"}],"
        " \"vms_error\": null,"
        " \"vms\": [{\"name\": \"va\", \"state\": \"running\"}, {\"name\": \"vb\", \"state\": "
        "\"running\"}, {\"name\": \"vc\", \"state\": \"stopped\"}]}";

static json_object *snapshot(void)
{
    json_object *o = json_tokener_parse(healthy);
    assert_non_null(o);
    return o;
}

static json_object *at(json_object *o, const char *key, int idx)
{
    json_object *v = NULL;
    assert_true(json_object_object_get_ex(o, key, &v));
    return idx >= 0 ? json_object_array_get_idx(v, (size_t)idx) : v;
}

static void set_str(json_object *o, const char *key, const char *value)
{
    json_object_object_add(o, key, value ? json_object_new_string(value) : NULL);
}

static void set_bool(json_object *o, const char *key, bool value)
{
    json_object_object_add(o, key, json_object_new_boolean(value));
}

/* The preflight refuses with a reason containing want. */
static void expect_refused(json_object *o, const char *want)
{
    GPtrArray *nodes = (GPtrArray *)0x1; /* untouched on refusal */
    g_autofree char *why = vmctl_update_preflight(o, &nodes);
    assert_non_null(why);
    if (!strstr(why, want))
        fail_msg("reason '%s' does not mention '%s'", why, want);
    assert_ptr_equal(nodes, (GPtrArray *)0x1);
    json_object_put(o);
}

static void test_preflight_ok_in_id_order(void **state)
{
    json_object *o = snapshot();
    g_autoptr(GPtrArray) nodes = NULL;
    g_autofree char *why = vmctl_update_preflight(o, &nodes);

    assert_null(why);
    assert_int_equal(nodes->len, 3);
    assert_string_equal(g_ptr_array_index(nodes, 0), "n1");
    assert_string_equal(g_ptr_array_index(nodes, 1), "n2");
    assert_string_equal(g_ptr_array_index(nodes, 2), "n10");
    json_object_put(o);
}

static void test_preflight_refusals(void **state)
{
    json_object *o;

    o = snapshot();
    set_bool(o, "quorate", false);
    expect_refused(o, "not quorate");

    o = snapshot();
    set_bool(at(o, "database", -1), "in_sync", false);
    expect_refused(o, "not in sync");

    o = snapshot();
    json_object_object_add(o, "leader", NULL);
    expect_refused(o, "no leader");

    o = snapshot();
    set_bool(at(o, "members", 1), "in_sync", false);
    expect_refused(o, "n2 is not in sync");

    o = snapshot();
    set_bool(at(o, "nodes", 2), "online", false);
    expect_refused(o, "n2 is not online");

    o = snapshot();
    set_bool(at(o, "nodes", 0), "clusterd", false);
    expect_refused(o, "clusterd on n10 is not a member");

    const char *states[] = {"draining", "drained", "standby", "fencing", "maintenance"};
    for (size_t i = 0; i < G_N_ELEMENTS(states); i++) {
        o = snapshot();
        set_str(at(o, "nodes", 1), "state", states[i]);
        g_autofree char *want = g_strdup_printf("n1 is %s", states[i]);
        expect_refused(o, want);
    }
    o = snapshot();
    set_str(at(o, "nodes", 1), "state", NULL);
    expect_refused(o, "n1 is in no state");

    o = snapshot();
    set_str(at(o, "vms", 1), "state", "failed");
    expect_refused(o, "VM vb has failed");

    const char *busy[] = {"migrating", "starting", "stopping", "recovering"};
    for (size_t i = 0; i < G_N_ELEMENTS(busy); i++) {
        o = snapshot();
        set_str(at(o, "vms", 0), "state", busy[i]);
        g_autofree char *want = g_strdup_printf("VM va is %s", busy[i]);
        expect_refused(o, want);
    }

    o = snapshot();
    set_str(o, "vms_error", "not in sync");
    expect_refused(o, "state is unknown");

    o = snapshot();
    json_object_array_del_idx(at(o, "nodes", -1), 0, 2);
    expect_refused(o, "at least two nodes");

    /* Listed as a node but its clusterd missing from the CPG view. */
    o = snapshot();
    json_object_array_del_idx(at(o, "members", -1), 2, 1);
    expect_refused(o, "clusterd on n10 is not a member");
}

static void test_node_back(void **state)
{
    json_object *o = snapshot();
    g_autofree char *line = NULL;

    assert_true(vmctl_update_node_back(o, "n2", NULL, &line));
    assert_string_equal(line, "n2: back (quorate, in sync)");
    g_clear_pointer(&line, g_free);

    /* After a reboot: the same clusterd process, not seen gone, not fenced since: not back
     * yet. Back once seen gone (even with the same pid: a fresh PID namespace), or another
     * process, or fenced since. */
    VmctlRebootWatch w = {.old_pid = 72, .fenced_before = 0};
    assert_false(vmctl_update_node_back(o, "n2", &w, &line));
    assert_non_null(strstr(line, "still the clusterd from before"));
    g_clear_pointer(&line, g_free);
    w.old_pid = 99;
    assert_true(vmctl_update_node_back(o, "n2", &w, &line));
    g_clear_pointer(&line, g_free);
    w.old_pid = 72;
    json_object *fence = json_object_new_object();
    json_object_object_add(fence, "fenced", json_object_new_int64(1764000000));
    json_object_object_add(at(o, "nodes", 2), "fence", fence);
    assert_int_equal(vmctl_update_fenced(o, "n2"), 1764000000);
    assert_true(vmctl_update_node_back(o, "n2", &w, &line));
    g_clear_pointer(&line, g_free);
    w.fenced_before = 1764000000;
    assert_false(vmctl_update_node_back(o, "n2", &w, &line));
    g_clear_pointer(&line, g_free);
    set_bool(at(o, "nodes", 2), "online", false);
    assert_false(vmctl_update_node_back(o, "n2", &w, &line));
    assert_true(w.seen_gone);
    g_clear_pointer(&line, g_free);
    set_bool(at(o, "nodes", 2), "online", true);
    assert_true(vmctl_update_node_back(o, "n2", &w, &line));
    g_clear_pointer(&line, g_free);

    /* A drained node counts as back: resume comes after. */
    set_str(at(o, "nodes", 2), "state", "drained");
    assert_true(vmctl_update_node_back(o, "n2", NULL, &line));
    g_clear_pointer(&line, g_free);

    set_bool(at(o, "members", 2), "in_sync", false);
    assert_false(vmctl_update_node_back(o, "n2", NULL, &line));
    assert_string_equal(line, "n2: online, waiting: n10 is not in sync yet");
    g_clear_pointer(&line, g_free);
    set_bool(at(o, "members", 2), "in_sync", true);

    set_bool(at(o, "nodes", 2), "clusterd", false);
    assert_false(vmctl_update_node_back(o, "n2", NULL, &line));
    assert_string_equal(line, "n2: online, clusterd not a member yet");
    g_clear_pointer(&line, g_free);

    set_bool(at(o, "nodes", 2), "online", false);
    assert_false(vmctl_update_node_back(o, "n2", NULL, &line));
    assert_string_equal(line, "n2: offline");
    g_clear_pointer(&line, g_free);

    assert_false(vmctl_update_node_back(o, "n7", NULL, &line));
    assert_string_equal(line, "n7: not in the status");
    g_clear_pointer(&line, g_free);

    set_bool(o, "quorate", false);
    assert_false(vmctl_update_node_back(o, "n1", NULL, &line));
    assert_string_equal(line, "n1: online, waiting: the cluster is not quorate");
    json_object_put(o);
}

static void test_settled(void **state)
{
    json_object *o = snapshot();
    g_autofree char *line = NULL;

    assert_int_equal(vmctl_update_settled(o, &line), 1);
    g_clear_pointer(&line, g_free);
    set_str(at(o, "vms", 0), "state", "migrating");
    set_str(at(o, "vms", 2), "state", "starting");
    assert_int_equal(vmctl_update_settled(o, &line), 0);
    assert_string_equal(line, "waiting for the VMs to land: va migrating, vc starting");
    g_clear_pointer(&line, g_free);
    set_str(at(o, "vms", 1), "state", "failed");
    assert_int_equal(vmctl_update_settled(o, &line), -1);
    assert_string_equal(line, "VM vb failed");
    g_clear_pointer(&line, g_free);
    set_str(o, "vms_error", "not in sync");
    assert_int_equal(vmctl_update_settled(o, &line), 0);
    json_object_put(o);
}

static void test_local_last(void **state)
{
    json_object *o = snapshot();
    g_autoptr(GPtrArray) nodes = NULL;
    g_autofree char *why = vmctl_update_preflight(o, &nodes);

    assert_null(why);
    assert_null(vmctl_update_local_node(o));
    json_object *local = json_object_new_object();
    json_object_object_add(local, "id", json_object_new_int(2));
    json_object_object_add(local, "name", json_object_new_string("n2"));
    json_object_object_add(o, "local_node", local);
    assert_string_equal(vmctl_update_local_node(o), "n2");

    vmctl_update_local_last(nodes, "n2");
    assert_string_equal(g_ptr_array_index(nodes, 0), "n1");
    assert_string_equal(g_ptr_array_index(nodes, 1), "n10");
    assert_string_equal(g_ptr_array_index(nodes, 2), "n2");
    vmctl_update_local_last(nodes, "n7");
    vmctl_update_local_last(nodes, NULL);
    assert_int_equal(nodes->len, 3);
    assert_string_equal(g_ptr_array_index(nodes, 2), "n2");
    json_object_put(o);
}

static void test_member_pid(void **state)
{
    json_object *o = snapshot();

    assert_int_equal(vmctl_update_member_pid(o, "n10"), 73);
    assert_int_equal(vmctl_update_member_pid(o, "n3"), 0);
    json_object_put(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_preflight_ok_in_id_order),
            cmocka_unit_test(test_preflight_refusals),
            cmocka_unit_test(test_node_back),
            cmocka_unit_test(test_settled),
            cmocka_unit_test(test_local_last),
            cmocka_unit_test(test_member_pid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
