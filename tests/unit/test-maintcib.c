/* lib/maintcib: drain marks, move requests and measurements in the configuration, read back
 * through lib/model as the engine sees them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <libxml/parser.h>
#include <libxml/xmlsave.h>

#include "engine.h"
#include "maintcib.h"
#include "model.h"
#include "xmledit.h"
#include "testcib.h"

static const char cib_text[] = TESTCIB_START(
        "") "<primitive id=\"web\" class=\"ocf\" provider=\"vmha\" type=\"vm\">"
            "<utilization id=\"web-utilization\"><nvpair id=\"web-u-memory\" name=\"memory\" "
            "value=\"512\"/></utilization></primitive>"
            "</resources><constraints/><rsc_defaults><meta_attributes id=\"rsc-options\">"
            "<nvpair id=\"rsc-options-resource-stickiness\" name=\"resource-stickiness\" "
            "value=\"INFINITY\"/></meta_attributes></rsc_defaults></"
            "configuration><status>" TESTCIB_N1_RUNS_WEB
            "<node_state id=\"3\" uname=\"n3\" " TESTCIB_ONLINE "/></status></cib>";

typedef struct {
    xmlDoc *doc;
    xmlNode *config, *nodes, *crm_config;
} Fix;

static int setup(void **state)
{
    Fix *f = g_new0(Fix, 1);
    f->doc = xmlReadMemory(cib_text, sizeof(cib_text) - 1, NULL, NULL, 0);
    f->config = vmha_dom_child(xmlDocGetRootElement(f->doc), "configuration", NULL);
    f->nodes = vmha_dom_child(f->config, "nodes", NULL);
    f->crm_config = vmha_dom_child(f->config, "crm_config", NULL);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fix *f = *state;
    xmlFreeDoc(f->doc);
    g_free(f);
    return 0;
}

static VmhaModel *model_of(Fix *f)
{
    VmhaModel *m = NULL;
    g_autoptr(GError) error = NULL;
    assert_int_equal(vmha_model_from_xml(xmlDocGetRootElement(f->doc), &m, &error), 0);
    return m;
}

static void test_drain_marks(void **state)
{
    Fix *f = *state;

    assert_int_equal(vmha_cib_node_attr_set(f->nodes, "n1", "vmha-drain", "on"), 1);
    assert_int_equal(vmha_cib_node_attr_set(f->nodes, "n1", "vmha-drain", "on"), 0);
    assert_int_equal(vmha_cib_node_attr_set(f->nodes, "n1", "vmha-drain-method", "cold"), 1);
    assert_int_equal(vmha_cib_node_attr_set(f->nodes, "n9", "vmha-drain", "on"), -1);
    /* Removing what is not there changes nothing. */
    assert_int_equal(vmha_cib_node_attr_set(f->nodes, "n2", "vmha-drain", NULL), 0);
    {
        g_autoptr(VmhaModel) m = model_of(f);
        assert_true(m->nodes[0].drain);
        assert_int_equal(m->nodes[0].drain_method, VMHA_MIGRATION_COLD);
        assert_false(m->nodes[0].drain_force);
        g_autoptr(VmhaPlan) plan = NULL;
        assert_int_equal(vmha_engine_plan(m, 1700000000, &plan), 0);
        assert_int_equal(plan->n_actions, 1);
        assert_int_equal(plan->actions[0].type, VMHA_ACTION_MIGRATE);
        assert_int_equal(plan->actions[0].method, VMHA_MIGRATION_COLD);
    }
    /* crm_attribute's ids, so that `crm_attribute --node n1 --name vmha-drain` finds it. */
    xmlNode *set =
            vmha_dom_child(vmha_dom_child(f->nodes, "node", NULL), "instance_attributes", NULL);
    xmlChar *id = xmlGetProp(set, (const xmlChar *)"id");
    assert_string_equal((const char *)id, "nodes-1");
    xmlFree(id);

    assert_int_equal(vmha_cib_node_attr_set(f->nodes, "n1", "vmha-drain", NULL), 1);
    assert_int_equal(vmha_cib_node_attr_set(f->nodes, "n1", "vmha-drain-method", NULL), 1);
    g_autoptr(VmhaModel) m = model_of(f);
    assert_false(m->nodes[0].drain);
    assert_int_equal(m->nodes[0].drain_method, VMHA_MIGRATION_DEFAULT);
}

static void test_move_request(void **state)
{
    Fix *f = *state;

    assert_int_equal(vmha_cib_move_set(f->config, "nope", "n1", NULL, VMHA_MIGRATION_DEFAULT), -1);
    assert_int_equal(vmha_cib_move_set(f->config, "web", "n1", "n3", VMHA_MIGRATION_QUICK), 1);
    {
        g_autoptr(VmhaModel) m = model_of(f);
        assert_int_equal(m->vms[0].move_method, VMHA_MIGRATION_QUICK);
        g_autoptr(VmhaPlan) plan = NULL;
        assert_int_equal(vmha_engine_plan(m, 1700000000, &plan), 0);
        /* Past INFINITY stickiness, by migration although allow-migrate is off. */
        assert_int_equal(plan->n_actions, 1);
        assert_int_equal(plan->actions[0].type, VMHA_ACTION_MIGRATE);
        assert_int_equal(plan->actions[0].to, 2);
    }
    /* A second request replaces the first: one ban, no stale target. */
    assert_int_equal(vmha_cib_move_set(f->config, "web", "n1", NULL, VMHA_MIGRATION_DEFAULT), 1);
    {
        g_autoptr(VmhaModel) m = model_of(f);
        assert_int_equal(m->vms[0].move_method, VMHA_MIGRATION_DEFAULT);
        assert_int_equal(m->vms[0].n_locations, 1);
        assert_int_equal(m->vms[0].locations[0].node, 0);
    }
    /* Running again on the node it was to leave answers nothing; anywhere else answers it. */
    assert_int_equal(vmha_cib_move_clear(f->config, "web", "n1"), 0);
    assert_int_equal(vmha_cib_move_clear(f->config, "web", "n2"), 1);
    assert_int_equal(vmha_cib_move_clear(f->config, "web", "n2"), 0);
    g_autoptr(VmhaModel) m = model_of(f);
    assert_int_equal(m->vms[0].n_locations, 0);
}

static void test_properties_and_capacity(void **state)
{
    Fix *f = *state;

    assert_int_equal(vmha_cib_measure(f->crm_config, VMHA_MEASURE_SAVE, 50), 1);
    /* Not in the measurements' set, which comes first now. */
    assert_int_equal(vmha_cib_property_set(f->crm_config, "migration-limit", "3"), 1);
    assert_int_equal(vmha_cib_property_set(f->crm_config, "migration-limit", "3"), 0);
    assert_int_equal(vmha_cib_property_set(f->crm_config, "no-quorum-policy", NULL), 0);
    assert_int_equal(vmha_cib_node_utilization_set(f->nodes, "n2", "memory", "2048"), 1);
    assert_int_equal(vmha_cib_node_utilization_set(f->nodes, "n9", "memory", "2048"), -1);
    {
        g_autoptr(VmhaModel) m = model_of(f);
        assert_int_equal(m->migration_limit, 3);
        assert_int_equal(m->nodes[1].memory, 2048);
        assert_int_equal(m->nodes[0].memory, -1);
    }
    xmlNode *set = vmha_dom_child(f->crm_config, "cluster_property_set", NULL);
    xmlChar *id = xmlGetProp(set, (const xmlChar *)"id");
    assert_string_equal((const char *)id, "vmha-measurements");
    xmlFree(id);
    assert_int_equal(vmha_cib_property_set(f->crm_config, "migration-limit", NULL), 1);
    assert_int_equal(vmha_cib_node_utilization_set(f->nodes, "n2", "memory", NULL), 1);
    g_autoptr(VmhaModel) m = model_of(f);
    assert_int_equal(m->migration_limit, 1);
    assert_int_equal(m->nodes[1].memory, -1);
}

static void test_measurements(void **state)
{
    Fix *f = *state;

    assert_int_equal(vmha_cib_measure(f->crm_config, VMHA_MEASURE_SAVE, 100.0), 1);
    assert_int_equal(vmha_cib_measure(f->crm_config, VMHA_MEASURE_SAVE, 200.0), 1);
    assert_int_equal(vmha_cib_measure(f->crm_config, VMHA_MEASURE_RESTORE, 30.04), 1);
    /* Nonsense is not folded in. */
    assert_int_equal(vmha_cib_measure(f->crm_config, VMHA_MEASURE_SAVE, 0), 0);
    assert_int_equal(vmha_cib_measure(f->crm_config, VMHA_MEASURE_SAVE, -5), 0);
    g_autoptr(VmhaModel) m = model_of(f);
    assert_true(m->save_mib_per_s == 125.0);
    assert_true(m->restore_mib_per_s == 30.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_drain_marks, setup, teardown),
            cmocka_unit_test_setup_teardown(test_move_request, setup, teardown),
            cmocka_unit_test_setup_teardown(test_measurements, setup, teardown),
            cmocka_unit_test_setup_teardown(test_properties_and_capacity, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
