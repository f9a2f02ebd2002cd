/* lib/drainplan: what `vmctl node drain` checks up front and prints with --dry-run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "drainplan.h"

#define UP "in_ccm=\"true\" crmd=\"online\" join=\"member\" expected=\"member\""
#define NODE(id, mem)                                                                              \
    "<node id=\"" id "\" uname=\"n" id "\"><utilization id=\"n" id "-u\"><nvpair id=\"n" id        \
    "-um\" name=\"memory\" value=\"" mem "\"/></utilization></node>"
#define VM(id, mem, prio)                                                                          \
    "<primitive id=\"" id                                                                          \
    "\" class=\"ocf\" provider=\"vmha\" type=\"vm\"><meta_attributes id=\"" id                     \
    "-m\"><nvpair id=\"" id "-mp\" name=\"priority\" value=\"" prio "\"/></meta_attributes>"       \
    "<utilization id=\"" id "-u\"><nvpair id=\"" id "-um\" name=\"memory\" value=\"" mem           \
    "\"/></utilization></primitive>"
#define RUNS(rsc, call)                                                                            \
    "<lrm_resource id=\"" rsc                                                                      \
    "\" type=\"vm\" class=\"ocf\" provider=\"vmha\"><lrm_rsc_op id=\"" rsc                         \
    "_last_0\" operation_key=\"" rsc "_start_0\" operation=\"start\" interval=\"0\" "              \
    "rc-code=\"0\" op-status=\"0\" call-id=\"" call "\"/></lrm_resource>"

static const char cib[] =
        "<cib crm_feature_set=\"3.16.1\" validate-with=\"pacemaker-3.9\" epoch=\"1\" "
        "num_updates=\"0\" admin_epoch=\"0\" have-quorum=\"1\"><configuration><crm_config>"
        "<cluster_property_set id=\"o\"><nvpair id=\"o1\" name=\"placement-strategy\" "
        "value=\"utilization\"/><nvpair id=\"o2\" name=\"stonith-enabled\" value=\"false\"/>"
        "</cluster_property_set>%s</crm_config><nodes>" NODE("1", "1024") NODE("2", "2048") NODE(
                "3", "1024") "</nodes><resources>" VM("x", "600", "0") VM("a", "512",
                                                                          "10") VM("b", "256", "0")
                VM("c", "700",
                   "0") "</resources><constraints/></configuration><status>"
                        "<node_state id=\"1\" uname=\"n1\" " UP
                        "><lrm id=\"1\"><lrm_resources>" RUNS(
                                "x", "1") "</lrm_resources></lrm></node_state>"
                                          "<node_state id=\"2\" uname=\"n2\" " UP
                                          "><lrm id=\"2\"><lrm_resources>" RUNS("a", "1")
                                                  RUNS("b", "2")
                                                          RUNS("c", "3") "</lrm_resources></lrm></"
                                                                         "node_state>"
                                                                         "<node_state id=\"3\" "
                                                                         "uname=\"n3\" " UP
                                                                         "/></status></cib>";

static VmhaModel *load(const char *crm_extra)
{
    g_autofree char *text = g_strdup_printf(cib, crm_extra);
    VmhaModel *m = NULL;
    g_autoptr(GError) error = NULL;
    if (vmha_model_parse(text, strlen(text), &m, &error) < 0)
        fail_msg("%s", error->message);
    return m;
}

static void test_plan(void **state)
{
    (void)state;
    g_autoptr(VmhaModel) m = load("<cluster_property_set id=\"vmha-measurements\"><nvpair "
                                  "id=\"s\" name=\"vmha-save-mib-per-s\" value=\"100\"/><nvpair "
                                  "id=\"r\" name=\"vmha-restore-mib-per-s\" value=\"200\"/>"
                                  "</cluster_property_set>");
    g_autoptr(VmhaDrainPlan) d = NULL;

    assert_int_equal(vmha_drain_plan(m, 7, VMHA_MIGRATION_DEFAULT, 1000, &d), -1);
    assert_int_equal(vmha_drain_plan(m, 1, VMHA_MIGRATION_DEFAULT, 1000, &d), 0);
    assert_false(m->nodes[1].drain); /* the model is left as it was */
    assert_true(d->measured);
    assert_int_equal(d->n_moves, 3);
    /* Highest priority first, then by name. */
    assert_string_equal(d->moves[0].vm, "a");
    assert_string_equal(d->moves[1].vm, "b");
    assert_string_equal(d->moves[2].vm, "c");
    assert_non_null(d->moves[0].target);
    /* a drain migrates even without allow-migrate */
    assert_int_equal(d->moves[0].method, VMHA_MIGRATION_QUICK);
    assert_true(d->moves[0].pause_s > 7.67 && d->moves[0].pause_s < 7.69); /* 512/100 + 512/200 */
    /* 600 + 512 + 256 + 700 MiB cannot fit in 2 x 1024: c, the last placed, stays. */
    assert_int_equal(d->n_stuck, 1);
    assert_null(d->moves[2].target);
    assert_non_null(strstr(d->moves[2].why, "insufficient memory"));
    /* What is left: n1 and n3 share 2048 MiB minus x, a and b. */
    assert_int_equal(d->free_after[0] + d->free_after[2], 2048 - 600 - 512 - 256);
    assert_true(d->biggest == 0 || d->biggest == 2);
    assert_int_equal(d->absorbs_biggest, 0);
}

static void test_method_and_defaults(void **state)
{
    (void)state;
    g_autoptr(VmhaModel) m = load("");
    g_autoptr(VmhaDrainPlan) d = NULL;

    assert_int_equal(vmha_drain_plan(m, 1, VMHA_MIGRATION_COLD, 1000, &d), 0);
    assert_false(d->measured);
    assert_true(d->save_mib_per_s == VMHA_DEFAULT_SAVE_MIB_PER_S);
    assert_int_equal(d->moves[0].method, VMHA_MIGRATION_COLD);
    assert_true(d->moves[0].pause_s < 0); /* a restart, no pause to predict */
    g_autoptr(VmhaDrainPlan) live = NULL;
    assert_int_equal(vmha_drain_plan(m, 1, VMHA_MIGRATION_LIVE, 1000, &live), 0);
    assert_int_equal(live->moves[0].method, VMHA_MIGRATION_LIVE);
    assert_true(live->moves[0].pause_s == 0);
    /* Draining the empty node moves nothing and the cluster stays as able as it was. */
    g_autoptr(VmhaDrainPlan) empty = NULL;
    assert_int_equal(vmha_drain_plan(m, 2, VMHA_MIGRATION_DEFAULT, 1000, &empty), 0);
    assert_int_equal(empty->n_moves, 0);
    assert_int_equal(empty->n_stuck, 0);
    assert_int_equal(empty->biggest, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_plan),
            cmocka_unit_test(test_method_and_defaults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
