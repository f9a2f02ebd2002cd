/* Unit tests of the CIB loader (lib/model.c): what it reads, and what it refuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include <libxml/parser.h>

#include "engine.h"
#include "model.h"
#include "pcmknum.h"

static const char good[] =
        "<cib have-quorum=\"0\" crm_feature_set=\"3.16.1\">"
        "<configuration><crm_config><cluster_property_set id=\"cib-bootstrap-options\">"
        "<nvpair id=\"a\" name=\"stonith-enabled\" value=\"false\"/>"
        "<nvpair id=\"b\" name=\"no-quorum-policy\" value=\"freeze\"/>"
        "<nvpair id=\"c\" name=\"placement-strategy\" value=\"balanced\"/>"
        "<nvpair id=\"d\" name=\"vmha-fence-watchdog-timeout\" value=\"1min\"/>"
        "<nvpair id=\"e\" name=\"cluster-name\" value=\"lab\"/>"
        "</cluster_property_set></crm_config>"
        "<nodes>"
        "<node id=\"1\" uname=\"n1\"><instance_attributes id=\"n1-ia\">"
        "<nvpair id=\"n1-s\" name=\"standby\" value=\"on\"/>"
        "<nvpair id=\"n1-d\" name=\"vmha-drain\" value=\"off\"/></instance_attributes>"
        "<utilization id=\"n1-u\"><nvpair id=\"n1-m\" name=\"memory\" value=\"8192\"/>"
        "<nvpair id=\"n1-c\" name=\"cpu\" value=\"4\"/></utilization></node>"
        "<node id=\"2\" uname=\"n2\"/>"
        "</nodes>"
        "<resources>"
        "<primitive id=\"fence\" class=\"stonith\" type=\"fence_ipmilan\">"
        "<instance_attributes id=\"f-ia\"><nvpair id=\"f-h\" name=\"pcmk_host_list\" "
        "value=\"n1,n2\"/></instance_attributes></primitive>"
        "<primitive id=\"web\" class=\"ocf\" provider=\"vmha\" type=\"vm\">"
        "<instance_attributes id=\"web-ia\"><nvpair id=\"w1\" name=\"config\" "
        "value=\"/shared/web.xml\"/><nvpair id=\"w2\" name=\"migration_method\" value=\"live\"/>"
        "</instance_attributes>"
        "<meta_attributes id=\"web-ma\"><nvpair id=\"w3\" name=\"priority\" value=\"10\"/>"
        "<nvpair id=\"w4\" name=\"target-role\" value=\"Stopped\"/>"
        "<nvpair id=\"w5\" name=\"failure-timeout\" value=\"10min\"/>"
        "<nvpair id=\"w6\" name=\"allow-migrate\" value=\"true\"/>"
        "<nvpair id=\"w7\" name=\"some-future-knob\" value=\"x\"/></meta_attributes>"
        "<utilization id=\"web-u\"><nvpair id=\"w8\" name=\"memory\" value=\"2048\"/>"
        "</utilization></primitive>"
        "<primitive id=\"db\" class=\"ocf\" provider=\"vmha\" type=\"vm\"/>"
        "<primitive id=\"other\" class=\"ocf\" provider=\"heartbeat\" type=\"Dummy\"/>"
        "</resources>"
        "<rsc_defaults><meta_attributes id=\"rd\"><nvpair id=\"rd1\" "
        "name=\"resource-stickiness\" value=\"100\"/><nvpair id=\"rd2\" "
        "name=\"migration-threshold\" value=\"3\"/></meta_attributes></rsc_defaults>"
        "<constraints>"
        "<rsc_location id=\"l1\" rsc=\"web\" node=\"n2\" score=\"INFINITY\"/>"
        "<rsc_location id=\"l2\" rsc=\"db\" node=\"n1\" score=\"-INFINITY\"/>"
        "<rsc_location id=\"l3\" rsc=\"other\" node=\"n1\" score=\"5\"/>"
        "<rsc_colocation id=\"c1\" rsc=\"db\" with-rsc=\"web\" score=\"-INFINITY\"/>"
        "<rsc_order id=\"o1\" first=\"db\" then=\"web\"/>"
        "</constraints></configuration>"
        "<status>"
        "<node_state id=\"1\" uname=\"n1\" in_ccm=\"true\" crmd=\"online\" join=\"member\" "
        "expected=\"member\"><transient_attributes id=\"1\"><instance_attributes id=\"s1\">"
        "<nvpair id=\"t1\" name=\"fail-count-db#monitor_10000\" value=\"2\"/>"
        "<nvpair id=\"t2\" name=\"fail-count-db#start_0\" value=\"1\"/>"
        "<nvpair id=\"t3\" name=\"last-failure-db#monitor_10000\" value=\"1699999000\"/>"
        "</instance_attributes></transient_attributes>"
        "<lrm id=\"1\"><lrm_resources><lrm_resource id=\"web\" class=\"ocf\" "
        "provider=\"vmha\" type=\"vm\">"
        "<lrm_rsc_op id=\"x2\" operation=\"monitor\" call-id=\"7\" rc-code=\"1\" op-status=\"0\" "
        "interval=\"10000\"/>"
        "<lrm_rsc_op id=\"x1\" operation=\"start\" call-id=\"5\" rc-code=\"0\" op-status=\"0\" "
        "interval=\"0\"/></lrm_resource>"
        "<lrm_resource id=\"gone\" class=\"ocf\" provider=\"vmha\" type=\"vm\">"
        "<lrm_rsc_op id=\"g\" operation=\"start\" call-id=\"3\" rc-code=\"0\"/></lrm_resource>"
        "</lrm_resources></lrm></node_state>"
        "<node_state id=\"2\" uname=\"n2\" in_ccm=\"false\" crmd=\"offline\" join=\"down\" "
        "expected=\"member\"><lrm id=\"2\"><lrm_resources><lrm_resource id=\"db\">"
        "<lrm_rsc_op id=\"d1\" operation=\"start\" call-id=\"4\" rc-code=\"0\"/>"
        "</lrm_resource></lrm_resources></lrm></node_state>"
        "</status></cib>";

static VmhaModel *load_ok(const char *xml)
{
    VmhaModel *m = NULL;
    g_autoptr(GError) error = NULL;
    if (vmha_model_parse(xml, strlen(xml), &m, &error) < 0)
        fail_msg("rejected: %s", error->message);
    return m;
}

static void test_load_everything(void **state)
{
    g_autoptr(VmhaModel) m = load_ok(good);

    assert_false(m->have_quorum);
    assert_false(m->stonith_enabled);
    assert_int_equal(m->no_quorum_policy, VMHA_NO_QUORUM_FREEZE);
    assert_int_equal(m->placement_strategy, VMHA_STRATEGY_BALANCED);
    assert_int_equal(m->fence_watchdog_timeout, 60);

    assert_int_equal(m->n_nodes, 2);
    assert_string_equal(m->nodes[0].name, "n1");
    assert_true(m->nodes[0].standby);
    assert_false(m->nodes[0].drain);
    assert_int_equal(m->nodes[0].memory, 8192);
    assert_int_equal(m->nodes[0].cpu, 4);
    assert_int_equal(m->nodes[1].memory, -1);
    assert_int_equal(m->nodes[0].state, VMHA_NODE_ONLINE);
    assert_int_equal(m->nodes[1].state, VMHA_NODE_LOST); /* left, expected member: unclean */

    assert_int_equal(m->n_vms, 2);
    assert_int_equal(m->n_foreign, 1);
    assert_int_equal(m->n_fence_devices, 1);
    assert_string_equal(m->fence_devices[0].hosts[1], "n2");
    assert_true(vmha_model_node_has_fence_device(m, 1));

    const VmhaVm *web = &m->vms[vmha_model_find_vm(m, "web")];
    assert_string_equal(web->config, "/shared/web.xml");
    assert_int_equal(web->migration_method, VMHA_MIGRATION_LIVE);
    assert_int_equal(web->priority, 10);
    assert_true(web->target_stopped);
    assert_true(web->allow_migrate);
    assert_int_equal(web->failure_timeout, 600);
    assert_int_equal(web->stickiness, 100);        /* from rsc_defaults */
    assert_int_equal(web->migration_threshold, 3); /* from rsc_defaults */
    assert_int_equal(web->memory, 2048);
    assert_int_equal(web->n_locations, 1);
    assert_int_equal(web->locations[0].score, VMHA_SCORE_INFINITY);
    /* history replayed in call-id order: start, then the failed monitor */
    assert_int_equal(web->state[0], VMHA_RSC_FAILED);

    const VmhaVm *db = &m->vms[vmha_model_find_vm(m, "db")];
    assert_int_equal(db->locations[0].score, -VMHA_SCORE_INFINITY);
    assert_int_equal(db->n_failures, 1);
    assert_int_equal(db->failures[0].count, 3);
    assert_int_equal(db->failures[0].last_failure, 1699999000);
    assert_int_equal(db->state[1], VMHA_RSC_ACTIVE); /* on the lost node: maybe still running */

    assert_int_equal(m->n_colocations, 1);
    assert_int_equal(m->colocations[0].rsc, vmha_model_find_vm(m, "db"));
    assert_int_equal(m->colocations[0].score, -VMHA_SCORE_INFINITY);
    assert_int_equal(vmha_model_find_node(m, "nope"), -1);
}

/* clusterd holds the CIB as a libxml2 tree (from libcib): the same document, the same model. */
static void test_from_dom(void **state)
{
    xmlDocPtr doc = xmlReadMemory(good, (int)strlen(good), "good.xml", NULL, XML_PARSE_NONET);
    assert_non_null(doc);
    g_autoptr(VmhaModel) m = NULL;
    g_autoptr(GError) error = NULL;
    assert_int_equal(vmha_model_from_xml(xmlDocGetRootElement(doc), &m, &error), 0);
    g_autoptr(VmhaModel) ref = load_ok(good);
    assert_int_equal(m->n_nodes, ref->n_nodes);
    assert_int_equal(m->n_vms, ref->n_vms);
    assert_int_equal(m->vms[0].priority, ref->vms[0].priority);
    assert_int_equal(m->vms[0].state[0], ref->vms[0].state[0]);
    assert_int_equal(m->nodes[1].state, ref->nodes[1].state);
    xmlFreeDoc(doc);

    g_autoptr(GError) error2 = NULL;
    VmhaModel *none = NULL;
    assert_int_equal(vmha_model_from_xml(NULL, &none, &error2), -1);
    assert_null(none);
}

static void test_events(void **state)
{
    g_autoptr(VmhaModel) m = load_ok(good);
    vmha_model_fail_node(m, 0, 1234);
    assert_int_equal(m->nodes[0].state, VMHA_NODE_LOST);
    assert_int_equal(m->nodes[0].lost_since, 1234);
    vmha_model_node_down(m, 1);
    assert_int_equal(m->nodes[1].state, VMHA_NODE_OFFLINE);
    assert_int_equal(m->vms[vmha_model_find_vm(m, "db")].state[1], VMHA_RSC_INACTIVE);
    vmha_model_set_drain(m, 1, true);
    assert_true(m->nodes[1].drain);
    vmha_model_set_drain(m, 99, true); /* out of range: ignored */
}

static void test_scores(void **state)
{
    int s = 0;
    assert_int_equal(vmha_score_parse("-INFINITY", &s), 0);
    assert_int_equal(s, -VMHA_SCORE_INFINITY);
    assert_int_equal(vmha_score_parse("+INFINITY", &s), 0);
    assert_int_equal(s, VMHA_SCORE_INFINITY);
    assert_int_equal(vmha_score_parse("99999999999", &s), 0);
    assert_int_equal(s, VMHA_SCORE_INFINITY);
    assert_int_equal(vmha_score_parse("-42", &s), 0);
    assert_int_equal(s, -42);
    assert_int_equal(vmha_score_parse("4x", &s), -1);
    assert_int_equal(vmha_score_parse("", &s), -1);
    assert_int_equal(vmha_score_add(VMHA_SCORE_INFINITY, -VMHA_SCORE_INFINITY),
                     -VMHA_SCORE_INFINITY);
    assert_int_equal(vmha_score_add(900000, 900000), VMHA_SCORE_INFINITY);
    assert_int_equal(vmha_score_add(-5, 7), 2);
}

/* Numbers as Pacemaker 2.1.5 reads them (char2score, pcmk__scan_ll, ...): what
 * crm_simulate plans with, whatever the text looks like. */
static void test_pacemaker_numbers(void **state)
{
    VmhaPcmkNote note = NULL;
    assert_int_equal(vmha_pcmk_score("2.0", &note), 2);
    assert_non_null(note); /* characters left over */
    assert_int_equal(vmha_pcmk_score("-inf", &note), 0);
    assert_non_null(note);                                  /* no digits */
    assert_int_equal(vmha_pcmk_score("infinity", NULL), 0); /* case-sensitive */
    assert_int_equal(vmha_pcmk_score("+INFINITY", &note), VMHA_SCORE_INFINITY);
    assert_null(note);
    assert_int_equal(vmha_pcmk_score("-INFINITY", NULL), -VMHA_SCORE_INFINITY);
    assert_int_equal(vmha_pcmk_score("5000000", NULL), VMHA_SCORE_INFINITY);
    assert_int_equal(vmha_pcmk_score("99999999999999999999", NULL), 0); /* overflow: default */
    assert_int_equal(vmha_pcmk_score(" 42", NULL), 42);
    assert_int_equal(vmha_pcmk_score(NULL, NULL), 0);
    assert_int_equal(vmha_pcmk_score("red", NULL), 0);
    assert_int_equal(vmha_pcmk_utilization("2048.5", NULL), 2048);
    assert_int_equal(vmha_pcmk_utilization("lots", NULL), 0);
    /* Durations (crm_get_msec, crm_parse_interval_spec): test-duration.c. */
    bool b = false;
    assert_int_equal(vmha_pcmk_boolean("Yes", &b), 0);
    assert_true(b);
    assert_int_equal(vmha_pcmk_boolean("maybe", &b), -1);
    assert_true(vmha_pcmk_score_valid("+5"));
    assert_true(vmha_pcmk_score_valid("-INFINITY"));
    assert_false(vmha_pcmk_score_valid("2.0"));
    assert_false(vmha_pcmk_score_valid("-inf"));
    assert_false(vmha_pcmk_score_valid(""));

    /* In a CIB: read as Pacemaker reads them, each with a warning naming the element. */
    static const char xml[] =
            "<cib><configuration><nodes><node id=\"1\" uname=\"n1\"><utilization id=\"u\">"
            "<nvpair id=\"um\" name=\"memory\" value=\"4096.0\"/></utilization></node></nodes>"
            "<resources><primitive id=\"v\" class=\"ocf\" provider=\"vmha\" type=\"vm\">"
            "<meta_attributes id=\"m\"><nvpair id=\"p\" name=\"priority\" value=\"2.0\"/>"
            "<nvpair id=\"s\" name=\"resource-stickiness\" value=\"-inf\"/>"
            "<nvpair id=\"t\" name=\"migration-threshold\" value=\"-3\"/>"
            "<nvpair id=\"f\" name=\"failure-timeout\" value=\"PT2M\"/>"
            "<nvpair id=\"a\" name=\"allow-migrate\" value=\"sure\"/></meta_attributes>"
            "</primitive><primitive id=\"w\" class=\"ocf\" provider=\"vmha\" type=\"vm\">"
            "<meta_attributes id=\"wm\"><nvpair id=\"wc\" name=\"critical\" value=\"false\"/>"
            "<nvpair id=\"wd\" name=\"resource-stickiness\" value=\"default\"/>"
            "<nvpair id=\"wf\" name=\"failure-timeout\" value=\"soon\"/>"
            "</meta_attributes></primitive></resources>"
            "<rsc_defaults><meta_attributes id=\"rd\"><nvpair id=\"rd1\" "
            "name=\"resource-stickiness\" value=\"100\"/><nvpair id=\"rd2\" name=\"priority\" "
            "value=\"7\"/></meta_attributes></rsc_defaults>"
            "<constraints><rsc_colocation id=\"c\" rsc=\"w\" with-rsc=\"v\" score=\"+INFINITY\"/>"
            /* crm_resource --ban writes role="Started": Pacemaker applies it to every role */
            "<rsc_location id=\"cli-ban-v-on-n1\" rsc=\"v\" node=\"n1\" score=\"-INFINITY\" "
            "role=\"Started\"/>"
            "<rsc_colocation id=\"d\" rsc=\"v\" with-rsc=\"w\" score=\"-500\" "
            "influence=\"true\"/></constraints></configuration></cib>";
    g_autoptr(VmhaModel) m = NULL;
    g_autoptr(GError) error = NULL;
    if (vmha_model_parse(xml, strlen(xml), &m, &error) < 0)
        fail_msg("refused: %s", error->message);
    const VmhaVm *v = &m->vms[0], *w = &m->vms[1];
    assert_int_equal(m->nodes[0].memory, 4096);
    assert_int_equal(v->priority, 2);
    assert_int_equal(v->stickiness, 0);
    assert_int_equal(v->migration_threshold, 1);
    assert_int_equal(v->failure_timeout, 120);
    assert_false(v->allow_migrate);
    assert_int_equal(w->priority, 7);   /* from rsc_defaults */
    assert_int_equal(w->stickiness, 0); /* "default": unset, not rsc_defaults' 100 */
    assert_int_equal(m->n_colocations, 2);
    assert_int_equal(m->colocations[0].score, VMHA_SCORE_INFINITY);
    assert_false(m->colocations[0].influence); /* w is not critical */
    assert_true(m->colocations[1].influence);
    assert_int_equal(v->n_locations, 1);
    assert_int_equal(v->locations[0].score, -VMHA_SCORE_INFINITY);
    bool warned_priority = false;
    for (guint i = 0; i < m->warnings->len; i++)
        warned_priority |= strstr(m->warnings->pdata[i], "'priority' = '2.0' read as 2") != NULL;
    assert_true(warned_priority);
    /* crm_parse_interval_spec() reads what is not a duration as 0, with a warning */
    assert_int_equal(w->failure_timeout, 0);
    bool warned_timeout = false;
    for (guint i = 0; i < m->warnings->len; i++)
        warned_timeout |= strstr(m->warnings->pdata[i], "'failure-timeout' = 'soon' read as 0 s "
                                                        "(not a duration (read as 0))") != NULL;
    assert_true(warned_timeout);
    assert_true(m->warnings->len >= 5);
}

/* Each malformed or inconsistent document, and a piece of the message that must name the cause. */
static void test_rejects(void **state)
{
    static const struct {
        const char *xml;
        int code;
        const char *message;
    } cases[] = {
            {"", VMHA_MODEL_ERROR_XML, "not well-formed"},
            {"<cib><configuration>", VMHA_MODEL_ERROR_XML, "not well-formed"},
            {"<notcib/>", VMHA_MODEL_ERROR_INVALID, "root element is not <cib>"},
            {"<!DOCTYPE cib [<!ENTITY a \"aaaa\">]><cib>&a;</cib>", VMHA_MODEL_ERROR_XML,
             "DOCTYPE"},
            {"<cib/>", VMHA_MODEL_ERROR_INVALID, "no <configuration>"},
            {"<cib have-quorum=\"maybe\"><configuration/></cib>", VMHA_MODEL_ERROR_INVALID,
             "have-quorum='maybe'"},
            {"<cib><configuration><crm_config><cluster_property_set id=\"o\"><nvpair id=\"x\" "
             "name=\"placement-strategy\" value=\"fastest\"/></cluster_property_set>"
             "</crm_config></configuration></cib>",
             VMHA_MODEL_ERROR_INVALID, "<nvpair id=\"x\"> (line 1): 'placement-strategy'"},
            {"<cib><configuration><nodes><node id=\"1\"/></nodes></configuration></cib>",
             VMHA_MODEL_ERROR_INVALID, "<node id=\"1\">"},
            {"<cib><configuration><nodes><node id=\"1\" uname=\"a\"/><node id=\"2\" "
             "uname=\"a\"/></nodes></configuration></cib>",
             VMHA_MODEL_ERROR_INCONSISTENT, "duplicate node 'a'"},
            {"<cib><configuration><nodes><node id=\"1\" uname=\"a\"/><node id=\"1\" "
             "uname=\"b\"/></nodes></configuration></cib>",
             VMHA_MODEL_ERROR_INCONSISTENT, "duplicate node id '1'"},
            {"<cib><configuration><resources><primitive id=\"v\" class=\"ocf\" "
             "provider=\"vmha\" type=\"vm\"/><primitive id=\"v\" class=\"ocf\" provider=\"vmha\" "
             "type=\"vm\"/></resources></configuration></cib>",
             VMHA_MODEL_ERROR_INCONSISTENT, "duplicate resource id 'v'"},
            {"<cib><configuration><resources><primitive id=\"v\" class=\"ocf\" "
             "provider=\"vmha\" type=\"vm\"><meta_attributes id=\"m\"><rule id=\"r\"/>"
             "</meta_attributes></primitive></resources></configuration></cib>",
             VMHA_MODEL_ERROR_UNSUPPORTED, "rules"},
            {"<cib><configuration><resources><group id=\"g\"><primitive id=\"v\" class=\"ocf\" "
             "provider=\"vmha\" type=\"vm\"/></group></resources></configuration></cib>",
             VMHA_MODEL_ERROR_UNSUPPORTED, "inside a group"},
            {"<cib><configuration><nodes><node id=\"1\" uname=\"a\"/></nodes><constraints>"
             "<rsc_location id=\"l\" rsc=\"ghost\" node=\"a\" score=\"1\"/></constraints>"
             "</configuration></cib>",
             VMHA_MODEL_ERROR_INCONSISTENT,
             "<rsc_location id=\"l\"> (line 1): 'rsc' refers to "
             "unknown resource 'ghost'"},
            {"<cib><configuration><resources><primitive id=\"v\" class=\"ocf\" "
             "provider=\"vmha\" type=\"vm\"/></resources><constraints><rsc_location id=\"l\" "
             "rsc=\"v\" node=\"ghost\" score=\"1\"/></constraints></configuration></cib>",
             VMHA_MODEL_ERROR_INCONSISTENT, "unknown node 'ghost'"},
            {"<cib><configuration><nodes><node id=\"1\" uname=\"a\"/></nodes><resources>"
             "<primitive id=\"v\" class=\"ocf\" provider=\"vmha\" type=\"vm\"/></resources>"
             "<constraints><rsc_location id=\"l\" rsc=\"v\" node=\"a\" score=\"lots\"/>"
             "</constraints></configuration></cib>",
             VMHA_MODEL_ERROR_INVALID, "invalid 'score'"},
            {"<cib><configuration><resources><primitive id=\"v\" class=\"ocf\" "
             "provider=\"vmha\" type=\"vm\"/><primitive id=\"w\" class=\"ocf\" provider=\"vmha\" "
             "type=\"vm\"/></resources><constraints><rsc_colocation id=\"c\" rsc=\"v\" "
             "with-rsc=\"w\" score=\"INFINITY\" node-attribute=\"rack\"/></constraints>"
             "</configuration></cib>",
             VMHA_MODEL_ERROR_UNSUPPORTED, "only rsc/with-rsc/score/influence colocations"},
            /* A location for the promoted role only: vmha has no promotable VMs. */
            {"<cib><configuration><nodes><node id=\"1\" uname=\"a\"/></nodes><resources>"
             "<primitive id=\"v\" class=\"ocf\" provider=\"vmha\" type=\"vm\"/></resources>"
             "<constraints><rsc_location id=\"l\" rsc=\"v\" node=\"a\" score=\"1\" "
             "role=\"Promoted\"/></constraints></configuration></cib>",
             VMHA_MODEL_ERROR_UNSUPPORTED, "only rsc/node/score locations"},
            /* Pacemaker would place the VM with the other agent's resource: vmha cannot. */
            {"<cib><configuration><resources><primitive id=\"v\" class=\"ocf\" "
             "provider=\"vmha\" type=\"vm\"/><primitive id=\"d\" class=\"ocf\" "
             "provider=\"heartbeat\" type=\"Dummy\"/></resources><constraints><rsc_colocation "
             "id=\"c\" rsc=\"v\" with-rsc=\"d\" score=\"INFINITY\"/></constraints>"
             "</configuration></cib>",
             VMHA_MODEL_ERROR_UNSUPPORTED, "a resource vmha does not plan (d)"},
            /* Constraint scores are schema-validated: Pacemaker refuses these documents too. */
            {"<cib><configuration><resources><primitive id=\"v\" class=\"ocf\" "
             "provider=\"vmha\" type=\"vm\"/><primitive id=\"w\" class=\"ocf\" provider=\"vmha\" "
             "type=\"vm\"/></resources><constraints><rsc_colocation id=\"c\" rsc=\"v\" "
             "with-rsc=\"w\" score=\"2.0\"/></constraints></configuration></cib>",
             VMHA_MODEL_ERROR_INVALID, "invalid 'score'"},
            {"<cib><configuration><nodes><node id=\"1\" uname=\"a\"/></nodes></configuration>"
             "<status><node_state id=\"7\" uname=\"z\"/></status></cib>",
             VMHA_MODEL_ERROR_INCONSISTENT, "<node_state id=\"7\">"},
            {"<cib><configuration><nodes><node id=\"1\" uname=\"a\"/></nodes><resources>"
             "<primitive id=\"v\" class=\"ocf\" provider=\"vmha\" type=\"vm\"/></resources>"
             "</configuration><status><node_state id=\"1\"><lrm id=\"1\"><lrm_resources>"
             "<lrm_resource id=\"v\"><lrm_rsc_op id=\"o\" operation=\"start\" call-id=\"x\"/>"
             "</lrm_resource></lrm_resources></lrm></node_state></status></cib>",
             VMHA_MODEL_ERROR_INVALID, "invalid call-id 'x'"},
            /* The quorate side would restart VMs before the lost node is provably reset. */
            {"<cib><configuration><crm_config><cluster_property_set id=\"o\"><nvpair id=\"w\" "
             "name=\"vmha-fence-watchdog-timeout\" value=\"19\"/></cluster_property_set>"
             "</crm_config></configuration></cib>",
             VMHA_MODEL_ERROR_INVALID,
             "<crm_config> (line 1): vmha-fence-watchdog-timeout (19 s) must be at least "
             "vmha-self-fence-timeout (10 s) + 10 s"},
            {"<cib><configuration><crm_config><cluster_property_set id=\"o\"><nvpair id=\"s\" "
             "name=\"vmha-self-fence-timeout\" value=\"1min\"/><nvpair id=\"w\" "
             "name=\"vmha-fence-watchdog-timeout\" value=\"65\"/></cluster_property_set>"
             "</crm_config></configuration></cib>",
             VMHA_MODEL_ERROR_INVALID, "(65 s) must be at least vmha-self-fence-timeout (60 s)"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        VmhaModel *m = (VmhaModel *)0x1; /* untouched on failure */
        g_autoptr(GError) error = NULL;
        if (vmha_model_parse(cases[i].xml, strlen(cases[i].xml), &m, &error) == 0)
            fail_msg("case %zu accepted: %s", i, cases[i].xml);
        assert_ptr_equal(m, (VmhaModel *)0x1);
        assert_non_null(error);
        if (error->code != cases[i].code || !strstr(error->message, cases[i].message))
            fail_msg("case %zu: got [%d] %s; wanted [%d] ...%s...", i, error->code, error->message,
                     cases[i].code, cases[i].message);
    }
}

/* The self-fence timeouts: the defaults and the least accepted gap load; without fencing
 * (stonith-enabled=false) neither is used and any values load. */
static void test_self_fence_timeouts(void **state)
{
    static const struct {
        const char *props;
        int64_t self_fence, watchdog;
    } cases[] = {
            {"", 10, 20},
            {"<nvpair id=\"s\" name=\"vmha-self-fence-timeout\" value=\"30\"/>"
             "<nvpair id=\"w\" name=\"vmha-fence-watchdog-timeout\" value=\"40s\"/>",
             30, 40},
            {"<nvpair id=\"e\" name=\"stonith-enabled\" value=\"false\"/>"
             "<nvpair id=\"w\" name=\"vmha-fence-watchdog-timeout\" value=\"5\"/>",
             10, 5},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *xml =
                g_strdup_printf("<cib><configuration><crm_config><cluster_property_set id=\"o\">%s"
                                "</cluster_property_set></crm_config></configuration></cib>",
                                cases[i].props);
        g_autoptr(VmhaModel) m = NULL;
        g_autoptr(GError) error = NULL;
        if (vmha_model_parse(xml, strlen(xml), &m, &error) < 0)
            fail_msg("case %zu refused: %s", i, error->message);
        assert_int_equal(m->self_fence_timeout, cases[i].self_fence);
        assert_int_equal(m->fence_watchdog_timeout, cases[i].watchdog);
    }
}

/* The engine on the loaded example: the lost node n2 must be fenced (stonith off here: so it
 * self-fences) and db waits; web is target-role Stopped and failed: stopped. */
static void test_plan_on_example(void **state)
{
    g_autoptr(VmhaModel) m = load_ok(good);
    m->have_quorum = true;
    g_autoptr(VmhaPlan) p = NULL;
    assert_int_equal(vmha_engine_plan(m, 1700000000, &p), 0);
    ssize_t web = vmha_model_find_vm(m, "web"), db = vmha_model_find_vm(m, "db");
    assert_int_equal(p->placement[web], -1);
    assert_string_equal(p->reasons[web], "target-role is Stopped");
    assert_int_equal(p->placement[db], -1);
    assert_string_equal(p->reasons[db], "waiting for n2 to self-fence");
    assert_int_equal(p->n_actions, 1);
    assert_int_equal(p->actions[0].type, VMHA_ACTION_STOP);
    assert_int_equal(p->actions[0].vm, web);

    /* The self-fence deadline passed (lost_since known, 60 s watchdog): db may run elsewhere,
     * but n1 is standby and n2 is gone, so it stays stopped for a new reason. */
    m->nodes[1].lost_since = 1700000000 - 61;
    g_autoptr(VmhaPlan) p2 = NULL;
    assert_int_equal(vmha_engine_plan(m, 1700000000, &p2), 0);
    assert_string_equal(p2->reasons[db],
                        "no node can run VMs (all offline, standby, draining or in maintenance)");
    /* ... unless n2 was out of the cluster when maintenance mode ended: its watchdog was
     * disarmed then, so the deadline proves nothing and db waits for n2 or a fence. */
    m->nodes[0].standby = false;
    m->nodes[1].self_fence_disarmed = true;
    g_autoptr(VmhaPlan) p2b = NULL;
    assert_int_equal(vmha_engine_plan(m, 1700000000, &p2b), 0);
    assert_int_equal(p2b->placement[db], -1);
    assert_non_null(strstr(p2b->reasons[db], "waiting for n2: it was out of the cluster when "
                                             "maintenance mode ended"));
    m->nodes[1].self_fence_disarmed = false;
    g_autoptr(VmhaPlan) p3 = NULL;
    assert_int_equal(vmha_engine_plan(m, 1700000000, &p3), 0);
    /* n1 bans db, and db's 3 failures there reach migration-threshold 3: the failures are named */
    assert_string_equal(p3->reasons[db], "failed too often (migration-threshold 3) on n1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_load_everything),
            cmocka_unit_test(test_from_dom),
            cmocka_unit_test(test_events),
            cmocka_unit_test(test_scores),
            cmocka_unit_test(test_pacemaker_numbers),
            cmocka_unit_test(test_rejects),
            cmocka_unit_test(test_plan_on_example),
            cmocka_unit_test(test_self_fence_timeouts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
