/* lib/statusview: the node and VM states and node loads `vmctl status` shows, from a CIB through
 * lib/model and the policy engine, as clusterd computes them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "statusview.h"

#define UP   "in_ccm=\"true\" crmd=\"online\" join=\"member\" expected=\"member\""
#define LOST "in_ccm=\"false\" crmd=\"offline\" join=\"down\" expected=\"member\""
#define VM(id, meta)                                                                               \
    "<primitive id=\"" id "\" class=\"ocf\" provider=\"vmha\" type=\"vm\">" meta "</primitive>"
#define OP(rsc, op, rc, call)                                                                      \
    "<lrm_resource id=\"" rsc                                                                      \
    "\" type=\"vm\" class=\"ocf\" provider=\"vmha\"><lrm_rsc_op id=\"" rsc                         \
    "_last_0\" operation_key=\"" rsc "_" op "_0\" operation=\"" op                                 \
    "\" interval=\"0\" rc-code=\"" rc "\" op-status=\"0\" call-id=\"" call "\"/></lrm_resource>"
#define INF_FAILS(node, rsc)                                                                       \
    "<nvpair id=\"f" node rsc "\" name=\"fail-count-" rsc "#start_0\" value=\"INFINITY\"/>"

static const char cib[] =
        "<cib crm_feature_set=\"3.16.1\" validate-with=\"pacemaker-3.9\" epoch=\"1\" "
        "num_updates=\"0\" admin_epoch=\"0\" have-quorum=\"1\"><configuration><crm_config/>"
        "<nodes><node id=\"1\" uname=\"n1\"/><node id=\"2\" uname=\"n2\"/>"
        "<node id=\"3\" uname=\"n3\"/></nodes><resources>"
        "<primitive id=\"fence\" class=\"stonith\" type=\"fence_lab\"><instance_attributes "
        "id=\"fi\"><nvpair id=\"fh\" name=\"pcmk_host_list\" value=\"n1 n2 n3\"/>"
        "</instance_attributes></primitive>" VM("web", "") VM(
                "db",
                "<meta_attributes id=\"dbm\"><nvpair id=\"dbt\" name=\"target-role\" "
                "value=\"Stopped\"/></meta_attributes>") VM("app", "") VM("old", "") VM("stuck", "")
                VM("flaky",
                   "") "</resources><constraints/></configuration><status>"
                       "<node_state id=\"1\" uname=\"n1\" " UP "><transient_attributes id=\"1\">"
                       "<instance_attributes id=\"status-1\">" INF_FAILS(
                               "1",
                               "flaky") "</instance_attributes>"
                                        "</transient_attributes><lrm id=\"1\"><lrm_resources>" OP(
                                                "web", "monitor", "0",
                                                "1") "</lrm_resources></lrm></node_state>"
                                                     "<node_state id=\"2\" uname=\"n2\" " UP
                                                     "><transient_attributes id=\"2\">"
                                                     "<instance_attributes "
                                                     "id=\"status-2\">" INF_FAILS(
                                                             "2",
                                                             "flaky") "</instance_attributes>"
                                                                      "</transient_attributes><lrm "
                                                                      "id=\"2\"><lrm_resources>" OP(
                                                                              "stuck", "stop", "1",
                                                                              "2") "</"
                                                                                   "lrm_resources><"
                                                                                   "/lrm></"
                                                                                   "node_state>"
                                                                                   "<node_state "
                                                                                   "id=\"3\" "
                                                                                   "uname="
                                                                                   "\"n3\" " LOST
                                                                                   "><transient_"
                                                                                   "attributes "
                                                                                   "id=\"3\">"
                                                                                   "<instance_"
                                                                                   "attributes "
                                                                                   "id=\"status-"
                                                                                   "3\">" INF_FAILS(
                                                                                           "3",
                                                                                           "flaky") "</instance_attributes>"
                                                                                                    "</transient_attributes><lrm id=\"3\"><lrm_resources>" OP(
                                                                                                            "old",
                                                                                                            "start",
                                                                                                            "0",
                                                                                                            "3") "</lrm_resources></lrm></node_state>"
                                                                                                                 "</status></cib>";

/* A draining node is drained once nothing of ours is on it or on its way there. */
static void test_drained(void **state)
{
    g_autoptr(VmhaModel) m = NULL;
    g_autoptr(GError) error = NULL;
    VmhaNodeFence none = {0};

    if (vmha_model_parse(cib, sizeof(cib) - 1, &m, &error) < 0)
        fail_msg("%s", error->message);
    size_t web = (size_t)vmha_model_find_vm(m, "web"), app = (size_t)vmha_model_find_vm(m, "app");
    vmha_model_set_drain(m, 0, true);
    assert_string_equal(vmha_show_model_node_state(m, 0, &none), "draining");
    m->vms[web].state[0] = VMHA_RSC_INACTIVE;
    assert_string_equal(vmha_show_model_node_state(m, 0, &none), "drained");
    m->vms[app].pending_op = g_strdup("migrate_from");
    m->vms[app].pending_node = 0;
    assert_string_equal(vmha_show_model_node_state(m, 0, &none), "draining");
    m->vms[app].pending_node = 1;
    assert_string_equal(vmha_show_model_node_state(m, 0, &none), "drained");
    /* Not draining: online whatever it holds. */
    assert_string_equal(vmha_show_model_node_state(m, 2, &none), "unclean");
}

static void expect_vm(const VmhaModel *m, const VmhaPlan *p, const char *name,
                      VmhaShowVmState state, const char *nodes, const char *why_prefix)
{
    VmhaShowVm v;
    ssize_t i = vmha_model_find_vm(m, name);

    assert_true(i >= 0);
    vmha_show_vm(m, p, (size_t)i, NULL, &v);
    if (v.state != state)
        fail_msg("%s: %s, wanted %s (%s)", name, vmha_show_vm_state_to_string(v.state),
                 vmha_show_vm_state_to_string(state), v.why ? v.why : "-");
    g_autofree char *joined = g_strjoinv(",", v.nodes);
    assert_string_equal(joined, nodes);
    if (!why_prefix)
        assert_null(v.why);
    else if (!v.why || !g_str_has_prefix(v.why, why_prefix))
        fail_msg("%s: why '%s', wanted '%s...'", name, v.why ? v.why : "(null)", why_prefix);
    vmha_show_vm_clear(&v);
}

static void test_vm_states(void **state)
{
    g_autoptr(VmhaModel) m = NULL;
    g_autoptr(VmhaPlan) p = NULL;
    g_autoptr(GError) error = NULL;

    if (vmha_model_parse(cib, sizeof(cib) - 1, &m, &error) < 0)
        fail_msg("%s", error->message);
    assert_int_equal(vmha_engine_plan(m, 1000, &p), 0);
    expect_vm(m, p, "web", VMHA_SHOW_RUNNING, "n1", NULL);
    expect_vm(m, p, "db", VMHA_SHOW_STOPPED, "", "target-role is Stopped");
    expect_vm(m, p, "app", VMHA_SHOW_RECOVERING, "", "will start on n");
    expect_vm(m, p, "old", VMHA_SHOW_RECOVERING, "n3", "waiting for n3 to be fenced");
    expect_vm(m, p, "stuck", VMHA_SHOW_FAILED, "n2", "waiting for n2 to be fenced");
    expect_vm(m, p, "flaky", VMHA_SHOW_FAILED, "", "failed too often");
}

/* An operation in flight decides over everything else the history says. */
static void test_pending(void **state)
{
    g_autoptr(VmhaModel) m = NULL;
    g_autoptr(VmhaPlan) p = NULL;
    VmhaShowVm v;

    assert_int_equal(vmha_model_parse(cib, sizeof(cib) - 1, &m, NULL), 0);
    assert_int_equal(vmha_engine_plan(m, 1000, &p), 0);
    static const struct {
        const char *vm, *op;
        size_t node;
        VmhaShowVmState state;
        const char *nodes, *why;
    } cases[] = {
            {"app", "start", 1, VMHA_SHOW_STARTING, "n2", "start on n2 in progress"},
            {"web", "stop", 0, VMHA_SHOW_STOPPING, "n1", "stop on n1 in progress"},
            {"web", "migrate_to", 0, VMHA_SHOW_MIGRATING, "n1", "migrate_to on n1 in progress"},
            {"web", "migrate_from", 1, VMHA_SHOW_MIGRATING, "n1,n2",
             "migrate_from on n2 in progress"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        VmhaShowPending pending = {.op = cases[i].op, .node = (ssize_t)cases[i].node};
        vmha_show_vm(m, p, (size_t)vmha_model_find_vm(m, cases[i].vm), &pending, &v);
        assert_int_equal(v.state, cases[i].state);
        g_autofree char *joined = g_strjoinv(",", v.nodes);
        assert_string_equal(joined, cases[i].nodes);
        assert_string_equal(v.why, cases[i].why);
        vmha_show_vm_clear(&v);
    }
}

/* The agent's exit reason of the last failure reaches the why of a VM that is not running. */
static void test_last_failure_reason(void **state)
{
    static const char failed_cib[] =
            "<cib crm_feature_set=\"3.16.1\" validate-with=\"pacemaker-3.9\" epoch=\"1\" "
            "num_updates=\"0\" admin_epoch=\"0\" have-quorum=\"1\"><configuration><crm_config>"
            "<cluster_property_set id=\"o\"><nvpair id=\"o1\" name=\"stonith-enabled\" "
            "value=\"false\"/></cluster_property_set></crm_config>"
            "<nodes><node id=\"1\" uname=\"n1\"/><node id=\"2\" uname=\"n2\"/></nodes>"
            "<resources>" VM("pinned", "") VM(
                    "fine",
                    "") "</resources><constraints>"
                        "<rsc_location id=\"l\" rsc=\"pinned\" node=\"n2\" score=\"-INFINITY\"/>"
                        "</constraints></configuration><status>"
                        "<node_state id=\"1\" uname=\"n1\" " UP "><transient_attributes id=\"1\">"
                        "<instance_attributes id=\"status-1\">" INF_FAILS(
                                "1",
                                "pinned") "</instance_attributes></transient_attributes><lrm "
                                          "id=\"1\"><lrm_resources>"
                                          "<lrm_resource id=\"pinned\" type=\"vm\" class=\"ocf\" "
                                          "provider=\"vmha\">"
                                          "<lrm_rsc_op id=\"pinned_last_0\" "
                                          "operation_key=\"pinned_start_0\" "
                                          "operation=\"start\" interval=\"0\" rc-code=\"1\" "
                                          "op-status=\"0\" call-id=\"3\" "
                                          "last-rc-change=\"900\" exit-reason=\"no lock manager\"/>"
                                          "<lrm_rsc_op id=\"pinned_last_failure_0\" "
                                          "operation_key=\"pinned_start_0\" "
                                          "operation=\"start\" interval=\"0\" rc-code=\"1\" "
                                          "op-status=\"0\" call-id=\"3\" "
                                          "last-rc-change=\"900\" exit-reason=\"no lock "
                                          "manager\"/></lrm_resource>" OP(
                                                  "fine", "start", "0",
                                                  "4") "</lrm_resources></lrm></node_state>"
                                                       "<node_state id=\"2\" uname=\"n2\" " UP
                                                       "/></status></cib>";
    g_autoptr(VmhaModel) m = NULL;
    g_autoptr(VmhaPlan) p = NULL;
    g_autoptr(GError) error = NULL;

    if (vmha_model_parse(failed_cib, sizeof(failed_cib) - 1, &m, &error) < 0)
        fail_msg("%s", error->message);
    assert_int_equal(vmha_engine_plan(m, 1000, &p), 0);
    VmhaShowVm v;
    vmha_show_vm(m, p, (size_t)vmha_model_find_vm(m, "pinned"), NULL, &v);
    assert_string_equal(v.why, "failed too often (migration-threshold 1000000) on n1; banned from "
                               "the others; last failure: start on n1: no lock manager");
    vmha_show_vm_clear(&v);
    expect_vm(m, p, "fine", VMHA_SHOW_RUNNING, "n1", NULL);
}

static void test_node_states(void **state)
{
    VmhaNode n = {.name = (char *)"n1", .state = VMHA_NODE_ONLINE};
    VmhaNodeFence none = {0}, requested = {.requested = 100}, failing = {.failures = 2},
                  fenced = {.fenced = 100};

    assert_string_equal(vmha_show_node_state(&n, &none), "online");
    assert_string_equal(vmha_show_node_state(&n, NULL), "online");
    assert_string_equal(vmha_show_node_state(&n, &requested), "fencing");
    n.drain = true;
    assert_string_equal(vmha_show_node_state(&n, &none), "draining");
    n.standby = true;
    assert_string_equal(vmha_show_node_state(&n, &none), "standby");
    n.state = VMHA_NODE_LOST;
    assert_string_equal(vmha_show_node_state(&n, &none), "unclean");
    assert_string_equal(vmha_show_node_state(&n, &failing), "fencing");
    assert_string_equal(vmha_show_node_state(&n, &requested), "fencing");
    /* A fence long ago says nothing about a node lost now. */
    assert_string_equal(vmha_show_node_state(&n, &fenced), "unclean");
    n.state = VMHA_NODE_OFFLINE;
    assert_string_equal(vmha_show_node_state(&n, &none), "offline");
    assert_string_equal(vmha_show_node_state(&n, &fenced), "fenced");
}

/* A node's load: the VMs there or on their way there, what they need against its capacity. */
static void test_node_load(void **state)
{
    static const char load_cib[] =
            "<cib crm_feature_set=\"3.16.1\" validate-with=\"pacemaker-3.9\" epoch=\"1\" "
            "num_updates=\"0\" admin_epoch=\"0\" have-quorum=\"1\"><configuration><crm_config/>"
            "<nodes><node id=\"1\" uname=\"n1\"><utilization id=\"n1u\">"
            "<nvpair id=\"n1m\" name=\"memory\" value=\"4096\"/>"
            "<nvpair id=\"n1c\" name=\"cpu\" value=\"8\"/></utilization></node>"
            "<node id=\"2\" uname=\"n2\"><utilization id=\"n2u\">"
            "<nvpair id=\"n2m\" name=\"memory\" value=\"2048\"/></utilization></node>"
            "<node id=\"3\" uname=\"n3\"/></nodes><resources>"
            "<primitive id=\"a\" class=\"ocf\" provider=\"vmha\" type=\"vm\">"
            "<utilization id=\"au\"><nvpair id=\"am\" name=\"memory\" value=\"1024\"/>"
            "<nvpair id=\"ac\" name=\"cpu\" value=\"2\"/></utilization></primitive>"
            "<primitive id=\"b\" class=\"ocf\" provider=\"vmha\" type=\"vm\">"
            "<utilization id=\"bu\"><nvpair id=\"bm\" name=\"memory\" value=\"512\"/>"
            "<nvpair id=\"bc\" name=\"cpu\" value=\"1\"/></utilization></primitive>"
            "<primitive id=\"c\" class=\"ocf\" provider=\"vmha\" type=\"vm\">"
            "<utilization id=\"cu\"><nvpair id=\"cm\" name=\"memory\" value=\"256\"/>"
            "<nvpair id=\"cc\" name=\"cpu\" value=\"4\"/></utilization></primitive>"
            "<primitive id=\"d\" class=\"ocf\" provider=\"vmha\" type=\"vm\"/>"
            "</resources><constraints/></configuration><status/></cib>";
    g_autoptr(VmhaModel) m = NULL;
    g_autoptr(GError) error = NULL;
    VmhaNodeLoad l;

    if (vmha_model_parse(load_cib, sizeof(load_cib) - 1, &m, &error) < 0)
        fail_msg("%s", error->message);
    size_t a = (size_t)vmha_model_find_vm(m, "a"), b = (size_t)vmha_model_find_vm(m, "b"),
           c = (size_t)vmha_model_find_vm(m, "c"), d = (size_t)vmha_model_find_vm(m, "d");

    /* Nothing runs: nothing used, the capacities as configured (-1: none). */
    vmha_show_node_load(m, 0, &l);
    assert_true(l.vms == 0 && l.memory_used == 0 && l.cpu_used == 0);
    assert_true(l.memory == 4096 && l.cpu == 8);
    vmha_show_node_load(m, 1, &l);
    assert_true(l.memory == 2048 && l.cpu == -1);
    vmha_show_node_load(m, 2, &l);
    assert_true(l.memory == -1 && l.cpu == -1);

    /* a runs on n1, b failed there (it may still run: its memory is held), d (no utilization)
     * too; c is stopped and counts nowhere. */
    m->vms[a].state[0] = VMHA_RSC_ACTIVE;
    m->vms[b].state[0] = VMHA_RSC_FAILED;
    m->vms[d].state[0] = VMHA_RSC_ACTIVE;
    vmha_show_node_load(m, 0, &l);
    assert_int_equal(l.vms, 3);
    assert_int_equal(l.memory_used, 1536);
    assert_int_equal(l.cpu_used, 3);
    vmha_show_node_load(m, 1, &l);
    assert_true(l.vms == 0 && l.memory_used == 0);

    /* a migrating to n2: it holds memory on both until it has landed. */
    m->vms[a].pending_op = g_strdup("migrate_from");
    m->vms[a].pending_node = 1;
    vmha_show_node_load(m, 1, &l);
    assert_true(l.vms == 1 && l.memory_used == 1024 && l.cpu_used == 2 && l.memory == 2048);
    vmha_show_node_load(m, 0, &l);
    assert_true(l.vms == 3 && l.memory_used == 1536);

    /* A stop that failed on n3 (no capacity): counted, against no capacity. */
    m->vms[c].state[2] = VMHA_RSC_STOP_FAILED;
    vmha_show_node_load(m, 2, &l);
    assert_true(l.vms == 1 && l.memory_used == 256 && l.cpu_used == 4 && l.memory == -1);
}

/* A cluster where VMs have several actions each (n1 in standby: VMs active on two nodes are
 * stopped on both and started elsewhere, others move), and some none. */
static char *many_actions_cib(void)
{
    GString *x = g_string_new("<cib have-quorum=\"1\" epoch=\"1\" num_updates=\"0\" "
                              "admin_epoch=\"0\"><configuration><crm_config>"
                              "<cluster_property_set id=\"o\"><nvpair id=\"o1\" "
                              "name=\"stonith-enabled\" value=\"false\"/></cluster_property_set>"
                              "</crm_config><nodes>");
    for (int n = 1; n <= 3; n++)
        g_string_append_printf(x,
                               "<node id=\"%d\" uname=\"n%d\"><instance_attributes id=\"a%d\">"
                               "<nvpair id=\"s%d\" name=\"standby\" value=\"%s\"/>"
                               "</instance_attributes></node>",
                               n, n, n, n, n == 1 ? "on" : "off");
    g_string_append(x, "</nodes><resources>");
    for (int v = 0; v < 12; v++)
        g_string_append_printf(x, VM("v%02d", ""), v);
    g_string_append(x, "</resources><constraints/></configuration><status>");
    for (int n = 1; n <= 3; n++) {
        g_string_append_printf(x,
                               "<node_state id=\"%d\" uname=\"n%d\" " UP "><lrm id=\"%d\">"
                               "<lrm_resources>",
                               n, n, n);
        for (int v = 0; v < 12; v++) {
            /* v00-v03 on n1 and n2, v04-v07 on n1, v08-v11 stopped (started by the plan). */
            bool here = (n == 1 && v < 8) || (n == 2 && v < 4);
            if (here)
                g_string_append_printf(
                        x,
                        "<lrm_resource id=\"v%02d\" type=\"vm\" class=\"ocf\" provider=\"vmha\">"
                        "<lrm_rsc_op id=\"v%02d_last_0\" operation_key=\"v%02d_monitor_0\" "
                        "operation=\"monitor\" interval=\"0\" rc-code=\"0\" op-status=\"0\" "
                        "call-id=\"%d\"/></lrm_resource>",
                        v, v, v, v + 1);
        }
        g_string_append(x, "</lrm_resources></lrm></node_state>");
    }
    g_string_append(x, "</status></cib>");
    return g_string_free(x, false);
}

/* The plan's index by VM lists each VM's actions in plan order, as a scan of all actions does,
 * and `vmctl status` shows the same with it as without (a plan built by hand has none). */
static void test_actions_by_vm(void **state)
{
    g_autofree char *xml = many_actions_cib();
    g_autoptr(VmhaModel) m = NULL;
    g_autoptr(VmhaPlan) p = NULL;
    g_autoptr(GError) error = NULL;
    size_t most = 0;

    if (vmha_model_parse(xml, strlen(xml), &m, &error) < 0)
        fail_msg("%s", error->message);
    assert_int_equal(vmha_engine_plan(m, 1000, &p), 0);
    assert_non_null(p->vm_action_start);
    VmhaPlan bare = *p;
    bare.vm_action_start = NULL;
    bare.vm_actions = NULL;
    for (size_t v = 0; v < m->n_vms; v++) {
        size_t cursor = 0, n = 0, scanned = 0;
        while (vmha_plan_next_vm_action(p, v, &cursor))
            n++;
        for (size_t i = 0; i < p->n_actions; i++)
            scanned += p->actions[i].vm == (ssize_t)v;
        assert_int_equal(n, scanned);
        /* Without the index (a scan): the same actions, the same order. */
        size_t c_index = 0, c_scan = 0;
        const VmhaAction *x, *y;
        do {
            x = vmha_plan_next_vm_action(p, v, &c_index);
            y = vmha_plan_next_vm_action(&bare, v, &c_scan);
            assert_ptr_equal(x, y);
        } while (x);
        most = MAX(most, n);

        VmhaShowVm with, without;
        vmha_show_vm(m, p, v, NULL, &with);
        vmha_show_vm(m, &bare, v, NULL, &without);
        assert_int_equal(with.state, without.state);
        assert_string_equal(with.why ? with.why : "-", without.why ? without.why : "-");
        g_autofree char *on_with = g_strjoinv(",", with.nodes);
        g_autofree char *on_without = g_strjoinv(",", without.nodes);
        assert_string_equal(on_with, on_without);
        vmha_show_vm_clear(&with);
        vmha_show_vm_clear(&without);
    }
    /* Not vacuous: some VM has more than one action ("stop on n1, then ..."). */
    assert_true(most >= 2);
    assert_null(vmha_plan_next_vm_action(p, m->n_vms, &(size_t){0}));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_vm_states),     cmocka_unit_test(test_node_states),
            cmocka_unit_test(test_drained),       cmocka_unit_test(test_node_load),
            cmocka_unit_test(test_pending),       cmocka_unit_test(test_last_failure_reason),
            cmocka_unit_test(test_actions_by_vm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
