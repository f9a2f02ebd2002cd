/* lib/cibnodes: the database's <nodes> following corosync's nodelist (cluster join/leave). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <libxml/parser.h>
#include <libxml/xmlsave.h>

#include "cibnodes.h"
#include "model.h"
#include "testcib.h"

/* n1 runs web; web prefers n3 then n1; fence-a covers n1 and n3, fence-b only n3 (with a
 * location constraint of its own). */
static const char cib_text[] = TESTCIB_START(
        "") "<primitive id=\"web\" class=\"ocf\" provider=\"vmha\" type=\"vm\"/>"
            "<primitive id=\"fence-a\" class=\"stonith\" type=\"fence_lab\">"
            "<instance_attributes id=\"fence-a-ia\"><nvpair id=\"fence-a-hosts\" "
            "name=\"pcmk_host_list\" value=\"n1,n3\"/></instance_attributes></primitive>"
            "<primitive id=\"fence-b\" class=\"stonith\" type=\"fence_lab\">"
            "<instance_attributes id=\"fence-b-ia\"><nvpair id=\"fence-b-hosts\" "
            "name=\"pcmk_host_list\" value=\"n3\"/></instance_attributes></primitive>"
            "</resources><constraints>"
            "<rsc_location id=\"prefer-web-n3\" rsc=\"web\" node=\"n3\" score=\"100\"/>"
            "<rsc_location id=\"prefer-web-n1\" rsc=\"web\" node=\"n1\" score=\"90\"/>"
            "<rsc_location id=\"fence-b-avoid\" rsc=\"fence-b\" node=\"n1\" score=\"-INFINITY\"/>"
            "</constraints></configuration><status>" TESTCIB_N1_RUNS_WEB
            "<node_state id=\"3\" uname=\"n3\" " TESTCIB_ONLINE "><lrm id=\"3\"><lrm_resources>"
            "<lrm_resource id=\"web\" type=\"vm\" class=\"ocf\" provider=\"vmha\">"
            "<lrm_rsc_op id=\"web_last_0\" operation_key=\"web_stop_0\" operation=\"stop\" "
            "interval=\"0\" rc-code=\"0\" op-status=\"0\" call-id=\"5\"/></lrm_resource>"
            "</lrm_resources></lrm></node_state></status></cib>";

static char *dump(xmlDoc *doc)
{
    xmlChar *buf = NULL;
    int len = 0;
    xmlDocDumpMemory(doc, &buf, &len);
    char *s = g_strdup((const char *)buf);
    xmlFree(buf);
    return s;
}

static void loads(xmlDoc *doc)
{
    g_autoptr(VmhaModel) m = NULL;
    g_autoptr(GError) error = NULL;
    if (vmha_model_from_xml(xmlDocGetRootElement(doc), &m, &error) < 0)
        fail_msg("the edited CIB does not load: %s", error->message);
}

static void test_join(void **state)
{
    xmlDoc *doc = xmlReadMemory(cib_text, sizeof(cib_text) - 1, NULL, NULL, 0);
    xmlNode *cib = xmlDocGetRootElement(doc);
    const VmhaNodeRef three[] = {{1, "n1"}, {2, "n2"}, {3, "n3"}};
    const VmhaNodeRef four[] = {{1, "n1"}, {2, "n2"}, {3, "n3"}, {4, "n4"}};

    assert_true(vmha_cib_nodes_match(cib, three, 3));
    assert_false(vmha_cib_nodes_match(cib, four, 4));
    assert_int_equal(vmha_cib_nodes_follow(cib, three, 3, NULL), 0);
    assert_int_equal(vmha_cib_nodes_follow(cib, four, 4, NULL), 1);
    assert_true(vmha_cib_nodes_match(cib, four, 4));
    g_autofree char *s = dump(doc);
    assert_non_null(
            strstr(s, "<node id=\"3\" uname=\"n3\"/><node id=\"4\" uname=\"n4\"/></nodes>"));
    /* Nothing else changed. */
    assert_non_null(strstr(s, "prefer-web-n3"));
    assert_non_null(strstr(s, "value=\"n1,n3\""));
    assert_int_equal(vmha_cib_nodes_follow(cib, four, 4, NULL), 0);
    loads(doc);
    xmlFreeDoc(doc);
}

static void test_leave(void **state)
{
    xmlDoc *doc = xmlReadMemory(cib_text, sizeof(cib_text) - 1, NULL, NULL, 0);
    xmlNode *cib = xmlDocGetRootElement(doc);
    const VmhaNodeRef two[] = {{1, "n1"}, {2, "n2"}};
    g_autoptr(GPtrArray) kept = g_ptr_array_new_with_free_func(g_free);

    /* n3 only stopped web: not busy. */
    xmlNode *status = NULL;
    for (xmlNode *c = cib->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, "status") == 0)
            status = c;
    assert_false(vmha_cib_node_busy(status, "3"));
    assert_true(vmha_cib_node_busy(status, "1"));
    assert_false(vmha_cib_node_busy(status, "2"));

    assert_int_equal(vmha_cib_nodes_follow(cib, two, 2, kept), 1);
    assert_int_equal(kept->len, 0);
    assert_true(vmha_cib_nodes_match(cib, two, 2));
    g_autofree char *s = dump(doc);
    assert_null(strstr(s, "uname=\"n3\""));      /* <node> and node_state */
    assert_null(strstr(s, "prefer-web-n3"));     /* its location constraint */
    assert_non_null(strstr(s, "prefer-web-n1")); /* not the others' */
    assert_non_null(strstr(s, "value=\"n1\""));  /* fence-a covers n1 alone now */
    assert_null(strstr(s, "id=\"fence-b\""));    /* fence-b covered n3 alone: gone */
    assert_null(strstr(s, "fence-b-avoid"));     /* with its constraint */
    loads(doc);

    /* n1 runs web: it stays, whatever corosync says, until web was moved or recovered. */
    const VmhaNodeRef one[] = {{2, "n2"}};
    assert_int_equal(vmha_cib_nodes_follow(cib, one, 1, kept), 0);
    assert_int_equal(kept->len, 1);
    assert_string_equal(g_ptr_array_index(kept, 0), "n1");
    g_autofree char *s2 = dump(doc);
    assert_non_null(strstr(s2, "uname=\"n1\""));
    xmlFreeDoc(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_join),
            cmocka_unit_test(test_leave),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
