/* lib/statusclean: forgetting a VM's history and failures, pending operations, transient node
 * attributes; and lib/model reading the result. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <libxml/parser.h>

#include "model.h"
#include "statusclean.h"
#include "testcib.h"

static const char cib_text[] =
        "<cib crm_feature_set=\"3.16.1\" validate-with=\"pacemaker-3.9\" epoch=\"1\" "
        "num_updates=\"0\" admin_epoch=\"0\"><configuration><crm_config/>"
        "<nodes><node id=\"1\" uname=\"n1\"/><node id=\"2\" uname=\"n2\"/></nodes><resources>"
        "<primitive id=\"web\" class=\"ocf\" provider=\"vmha\" type=\"vm\"/>"
        "<primitive id=\"web2\" class=\"ocf\" provider=\"vmha\" type=\"vm\"/>"
        "</resources><constraints/></configuration><status>"
        "<node_state id=\"1\" uname=\"n1\" " TESTCIB_ONLINE "><transient_attributes id=\"1\">"
        "<instance_attributes id=\"status-1\">"
        "<nvpair id=\"a\" name=\"fail-count-web#monitor_10000\" value=\"3\"/>"
        "<nvpair id=\"b\" name=\"last-failure-web#monitor_10000\" value=\"100\"/>"
        "<nvpair id=\"c\" name=\"fail-count-web2#start_0\" value=\"INFINITY\"/>"
        "<nvpair id=\"d\" name=\"fail-count-web\" value=\"1\"/>"
        "<nvpair id=\"e\" name=\"fail-count-webx#start_0\" value=\"1\"/>"
        "</instance_attributes></transient_attributes>"
        "<lrm id=\"1\"><lrm_resources>"
        "<lrm_resource id=\"web\" type=\"vm\" class=\"ocf\" provider=\"vmha\">"
        "<lrm_rsc_op id=\"web_last_0\" operation_key=\"web_start_0\" operation=\"start\" "
        "interval=\"0\" rc-code=\"1\" op-status=\"0\" call-id=\"3\"/></lrm_resource>"
        "<lrm_resource id=\"web2\" type=\"vm\" class=\"ocf\" provider=\"vmha\">"
        "<lrm_rsc_op id=\"web2_last_0\" operation_key=\"web2_start_0\" operation=\"start\" "
        "interval=\"0\" rc-code=\"193\" op-status=\"-1\" call-id=\"4\"/></lrm_resource>"
        "</lrm_resources></lrm></node_state>"
        "<node_state id=\"2\" uname=\"n2\" " TESTCIB_ONLINE "><lrm id=\"2\"><lrm_resources>"
        "<lrm_resource id=\"web\" type=\"vm\" class=\"ocf\" provider=\"vmha\">"
        "<lrm_rsc_op id=\"web_last_0\" operation_key=\"web_monitor_0\" operation=\"monitor\" "
        "interval=\"0\" rc-code=\"0\" op-status=\"0\" call-id=\"2\"/></lrm_resource>"
        "</lrm_resources></lrm></node_state></status></cib>";

static void test_cleanup(void **state)
{
    xmlDoc *doc = xmlReadMemory(cib_text, sizeof(cib_text) - 1, "cib", NULL, XML_PARSE_NONET);
    xmlNode *status = testcib_status(doc);
    const char *busy = NULL;

    /* Before: web failed on n1 (3 failures) and runs on n2. */
    g_autoptr(VmhaModel) before = NULL;
    assert_int_equal(vmha_model_from_xml(xmlDocGetRootElement(doc), &before, NULL), 0);
    assert_int_equal(before->vms[0].state[0], VMHA_RSC_FAILED);
    assert_int_equal(before->vms[0].state[1], VMHA_RSC_ACTIVE);
    assert_true(before->vms[0].n_failures > 0);

    assert_false(vmha_status_vm_pending(status, "web", &busy));
    assert_true(vmha_status_vm_pending(status, "web2", &busy));
    assert_string_equal(busy, "n1");
    const char *op = NULL;
    assert_true(vmha_status_vm_pending_op(status, "web2", NULL, &op));
    assert_string_equal(op, "start");

    /* Two lrm_resources and three attributes (both forms); web2's and webx's stay. */
    assert_int_equal(vmha_status_cleanup_vm(status, "web"), 5);
    assert_int_equal(vmha_status_cleanup_vm(status, "web"), 0);
    g_autofree char *text = testcib_dump(doc);
    assert_null(strstr(text, "fail-count-web#"));
    assert_null(strstr(text, "\"fail-count-web\""));
    assert_null(strstr(text, "last-failure-web#"));
    assert_null(strstr(text, "web_last_0"));
    assert_non_null(strstr(text, "fail-count-web2#start_0"));
    assert_non_null(strstr(text, "fail-count-webx#start_0"));
    assert_non_null(strstr(text, "web2_last_0"));

    g_autoptr(VmhaModel) after = NULL;
    assert_int_equal(vmha_model_from_xml(xmlDocGetRootElement(doc), &after, NULL), 0);
    assert_int_equal(after->vms[0].state[0], VMHA_RSC_INACTIVE);
    assert_int_equal(after->vms[0].state[1], VMHA_RSC_INACTIVE);
    for (size_t i = 0; i < after->vms[0].n_failures; i++)
        assert_int_equal(after->vms[0].failures[i].count, 0);
    xmlFreeDoc(doc);
}

static void test_node_attr(void **state)
{
    xmlDoc *doc = xmlReadMemory(cib_text, sizeof(cib_text) - 1, "cib", NULL, XML_PARSE_NONET);
    xmlNode *status = testcib_status(doc);

    /* n2 has a node_state but no transient attributes yet; node 3 has no node_state at all. */
    assert_int_equal(vmha_status_set_node_attr(status, "2", "n2", "vmha-fence-requested", "100"),
                     1);
    assert_int_equal(vmha_status_set_node_attr(status, "2", "n2", "vmha-fence-requested", "100"),
                     0);
    assert_int_equal(vmha_status_set_node_attr(status, "2", "n2", "vmha-fence-requested", "200"),
                     1);
    assert_int_equal(vmha_status_set_node_attr(status, "3", "n3", "vmha-fence-requested", "5"), 1);
    g_autofree char *text = testcib_dump(doc);
    assert_non_null(
            strstr(text, "<node_state id=\"2\" uname=\"n2\" " TESTCIB_ONLINE "><lrm id=\"2\">"));
    assert_non_null(strstr(text, "<transient_attributes id=\"2\"><instance_attributes "
                                 "id=\"status-2\"><nvpair id=\"status-2-vmha-fence-requested\" "
                                 "name=\"vmha-fence-requested\" value=\"200\"/>"));
    assert_non_null(strstr(text, "<node_state id=\"3\" uname=\"n3\"><transient_attributes"));

    xmlNode *n2 = NULL;
    for (xmlNode *c = status->children; c; c = c->next) {
        xmlChar *id = c->type == XML_ELEMENT_NODE ? xmlGetNoNsProp(c, BAD_CAST "id") : NULL;
        if (id && xmlStrEqual(id, BAD_CAST "2"))
            n2 = c;
        xmlFree(id);
    }
    assert_non_null(n2);
    assert_string_equal(vmha_status_node_attr(n2, "vmha-fence-requested"), "200");
    assert_null(vmha_status_node_attr(n2, "vmha-fenced"));
    xmlFreeDoc(doc);
}

/* n1: va's start failed because n1 could not reach the shared storage (after that, its stop
 * succeeded); vb's start failed for another reason; vc's monitor failed on a lost disk (a
 * monitor, not a start: its count is below the threshold and restarts are the policy's);
 * vd's storage failure was cleared already. n2: va ran on there. */
#define STORAGE_REASON "shared storage unreachable here (No such file or directory): /s/va.xml"
#define LRM_OP(id, op, rc, reason)                                                                 \
    "<lrm_rsc_op id=\"" id "\" operation_key=\"x_" op "_0\" operation=\"" op "\" interval=\"0\" "  \
    "rc-code=\"" rc "\" op-status=\"0\" call-id=\"3\" exit-reason=\"" reason "\"/>"
static const char storage_cib_text[] =
        "<cib crm_feature_set=\"3.16.1\" validate-with=\"pacemaker-3.9\" epoch=\"1\" "
        "num_updates=\"0\" admin_epoch=\"0\"><configuration><crm_config/>"
        "<nodes><node id=\"1\" uname=\"n1\"/><node id=\"2\" uname=\"n2\"/></nodes><resources>"
        "<primitive id=\"va\" class=\"ocf\" provider=\"vmha\" type=\"vm\"/>"
        "<primitive id=\"vb\" class=\"ocf\" provider=\"vmha\" type=\"vm\"/>"
        "<primitive id=\"vc\" class=\"ocf\" provider=\"vmha\" type=\"vm\"/>"
        "<primitive id=\"vd\" class=\"ocf\" provider=\"vmha\" type=\"vm\"/>"
        "</resources><constraints/></configuration><status>"
        "<node_state id=\"1\" uname=\"n1\" " TESTCIB_ONLINE "><transient_attributes id=\"1\">"
        "<instance_attributes id=\"status-1\">"
        "<nvpair id=\"a\" name=\"fail-count-va#start_0\" value=\"INFINITY\"/>"
        "<nvpair id=\"b\" name=\"last-failure-va#start_0\" value=\"100\"/>"
        "<nvpair id=\"c\" name=\"fail-count-va#monitor_2000\" value=\"1\"/>"
        "<nvpair id=\"d\" name=\"fail-count-vb#start_0\" value=\"INFINITY\"/>"
        "<nvpair id=\"e\" name=\"fail-count-vc#monitor_2000\" value=\"1\"/>"
        "<nvpair id=\"f\" name=\"fail-count-vab#start_0\" value=\"INFINITY\"/>"
        "</instance_attributes></transient_attributes>"
        "<lrm id=\"1\"><lrm_resources>"
        "<lrm_resource id=\"va\" type=\"vm\" class=\"ocf\" provider=\"vmha\">" LRM_OP("va_last_0", "stop", "0", "") LRM_OP(
                "va_last_failure_0", "start", "5",
                STORAGE_REASON) "</lrm_resource>"
                                "<lrm_resource id=\"vb\" type=\"vm\" class=\"ocf\" "
                                "provider=\"vmha\">" LRM_OP("vb_last_0", "stop", "0", "") LRM_OP(
                                        "vb_last_failure_0", "start", "1",
                                        "Unable to start") "</lrm_resource>"
                                                           "<lrm_resource id=\"vc\" type=\"vm\" "
                                                           "class=\"ocf\" "
                                                           "provider=\"vmha\">" LRM_OP("vc_last_0", "start", "0", "") LRM_OP(
                                                                   "vc_last_failure_0",
                                                                   "monitor",
                                                                   "1",
                                                                   STORAGE_REASON) "</lrm_resource>"
                                                                                   "<lrm_resource "
                                                                                   "id=\"vd\" "
                                                                                   "type=\"vm\" "
                                                                                   "class=\"ocf\" "
                                                                                   "provider="
                                                                                   "\"vmha\""
                                                                                   ">" LRM_OP(
                                                                                           "vd_"
                                                                                           "last_0",
                                                                                           "stop",
                                                                                           "0", "")
                                                                                           LRM_OP("vd_last_failure_0",
                                                                                                  "migrate_from",
                                                                                                  "5",
                                                                                                  STORAGE_REASON) "</lrm_resource>"
                                                                                                                  "</lrm_resources></lrm></node_state>"
                                                                                                                  "<node_state id=\"2\" uname=\"n2\" " TESTCIB_ONLINE
                                                                                                                  "><lrm id=\"2\"><lrm_resources>"
                                                                                                                  "<lrm_resource id=\"va\" type=\"vm\" class=\"ocf\" provider=\"vmha\">" LRM_OP(
                                                                                                                          "va_last_0",
                                                                                                                          "start",
                                                                                                                          "0",
                                                                                                                          "") "</lrm_resource>"
                                                                                                                              "</lrm_resources></lrm></node_state></status></cib>";

static xmlNode *node_state_of(xmlNode *status, const char *id)
{
    for (xmlNode *c = status->children; c; c = c->next) {
        xmlChar *v = c->type == XML_ELEMENT_NODE ? xmlGetNoNsProp(c, BAD_CAST "id") : NULL;
        bool hit = v && xmlStrEqual(v, BAD_CAST id);
        xmlFree(v);
        if (hit)
            return c;
    }
    return NULL;
}

static int failcount(const VmhaModel *m, size_t vm, size_t node)
{
    int total = 0;
    for (size_t i = 0; i < m->vms[vm].n_failures; i++)
        if (m->vms[vm].failures[i].node == node)
            total += m->vms[vm].failures[i].count;
    return total;
}

static void test_storage_failures(void **state)
{
    xmlDoc *doc = xmlReadMemory(storage_cib_text, sizeof(storage_cib_text) - 1, "cib", NULL,
                                XML_PARSE_NONET);
    xmlNode *status = testcib_status(doc);
    xmlNode *n1 = node_state_of(status, "1"), *n2 = node_state_of(status, "2");

    /* Only va: vb's failure is not the storage's, vc's is a monitor, vd has no count left. */
    g_auto(GStrv) found = vmha_status_storage_failures(n1);
    assert_int_equal(g_strv_length(found), 1);
    assert_string_equal(found[0], "va");
    assert_true(vmha_status_storage_failure(n1, "va"));
    assert_false(vmha_status_storage_failure(n1, "vb"));
    assert_false(vmha_status_storage_failure(n1, "vc"));
    assert_false(vmha_status_storage_failure(n1, "vd"));
    assert_false(vmha_status_storage_failure(n2, "va"));
    g_auto(GStrv) none = vmha_status_storage_failures(n2);
    assert_int_equal(g_strv_length(none), 0);

    g_autoptr(VmhaModel) before = NULL;
    assert_int_equal(vmha_model_from_xml(xmlDocGetRootElement(doc), &before, NULL), 0);
    assert_true(failcount(before, 0, 0) >= 1000000); /* INFINITY: banned from n1 */

    /* va's three attributes on n1 go; vb's, vc's, vab's stay, and every history stays. */
    assert_int_equal(vmha_status_clear_node_failures(n1, "va"), 3);
    assert_int_equal(vmha_status_clear_node_failures(n1, "va"), 0);
    assert_false(vmha_status_storage_failure(n1, "va"));
    g_autofree char *text = testcib_dump(doc);
    assert_null(strstr(text, "fail-count-va#"));
    assert_null(strstr(text, "last-failure-va#"));
    assert_non_null(strstr(text, "fail-count-vb#start_0"));
    assert_non_null(strstr(text, "fail-count-vc#monitor_2000"));
    assert_non_null(strstr(text, "fail-count-vab#start_0"));
    assert_non_null(strstr(text, "va_last_failure_0"));

    g_autoptr(VmhaModel) after = NULL;
    assert_int_equal(vmha_model_from_xml(xmlDocGetRootElement(doc), &after, NULL), 0);
    assert_int_equal(failcount(after, 0, 0), 0);
    assert_int_equal(after->vms[0].state[0], before->vms[0].state[0]);
    assert_int_equal(after->vms[0].state[1], VMHA_RSC_ACTIVE);
    assert_true(failcount(after, 1, 0) >= 1000000);
    xmlFreeDoc(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_cleanup),
            cmocka_unit_test(test_node_attr),
            cmocka_unit_test(test_storage_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
