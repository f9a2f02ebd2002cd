/* clusterd's CIB lookups (clusterd/cibread.c) on one hand-written CIB: primitives and what they
 * are, their attribute sets and operations, cluster properties, node states. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <crm/common/xml.h>
#include <crm/msg_xml.h>

#include "clusterd/cibread.h"

static const char cib_text[] =
        "<cib admin_epoch='0' epoch='1' num_updates='0'>"
        " <configuration>"
        "  <crm_config>"
        "   <cluster_property_set id='a'>"
        "    <nvpair id='a-1' name='no-quorum-policy' value='freeze'/>"
        "   </cluster_property_set>"
        "   <cluster_property_set id='b'>"
        "    <nvpair id='b-1' name='stonith-action' value='off'/>"
        "    <nvpair id='b-2' name='no-quorum-policy' value='stop'/>"
        "   </cluster_property_set>"
        "  </crm_config>"
        "  <nodes/>"
        "  <resources>"
        "   <primitive id='web' class='ocf' provider='vmha' type='vm'>"
        "    <instance_attributes id='web-i'>"
        "     <nvpair id='web-i-1' name='config' value='/shared/web.xml'/>"
        "     <nvpair id='web-i-2' name='health_check' value='console'/>"
        "    </instance_attributes>"
        "    <instance_attributes id='web-j'>"
        "     <nvpair id='web-j-1' name='health_check' value='guest-agent'/>"
        "     <nvpair id='web-j-2' name='novalue'/>"
        "    </instance_attributes>"
        "    <meta_attributes id='web-m'>"
        "     <nvpair id='web-m-1' name='priority' value='5'/>"
        "    </meta_attributes>"
        "    <operations>"
        "     <op id='web-o-1' name='start' interval='0' timeout='2min'/>"
        "     <op id='web-o-2' name='monitor' interval='bogus' timeout='0'/>"
        "     <op id='web-o-3' name='monitor' interval='15s' timeout='500ms'/>"
        "     <op id='web-o-4' name='stop' interval='0' timeout='30'/>"
        "    </operations>"
        "   </primitive>"
        "   <primitive id='db' class='ocf' provider='heartbeat' type='VirtualDomain'/>"
        "   <primitive id='novm' class='lsb' provider='vmha' type='vm'/>"
        "   <primitive class='ocf' provider='vmha' type='vm'/>"
        "   <group id='app'>"
        "    <primitive id='grouped' class='ocf' provider='vmha' type='vm'/>"
        "   </group>"
        "   <primitive id='ipmi' class='stonith' type='fence_ipmilan'>"
        "    <instance_attributes id='ipmi-i'>"
        "     <nvpair id='ipmi-i-1' name='pcmk_host_list' value='n1 n2'/>"
        "    </instance_attributes>"
        "   </primitive>"
        "  </resources>"
        "  <constraints/>"
        " </configuration>"
        " <status>"
        "  <node_state id='1' uname='n1'/>"
        "  <node_state id='7' uname='n2'/>"
        "  <node_state id='2' uname='n7'/>"
        " </status>"
        "</cib>";

static int setup(void **state)
{
    *state = string2xml(cib_text);
    return *state ? 0 : -1;
}

static int teardown(void **state)
{
    free_xml(*state);
    return 0;
}

static void test_primitives(void **state)
{
    xmlNode *cib = *state;

    assert_string_equal(crm_element_value(cd_cib_primitive(cib, "web"), XML_ATTR_TYPE), "vm");
    assert_non_null(cd_cib_primitive(cib, "ipmi"));
    assert_null(cd_cib_primitive(cib, "ghost"));
    assert_null(cd_cib_primitive(NULL, "web"));
    /* Also inside a group (Pacemaker's tools may put one there); the group is no primitive. */
    assert_non_null(cd_cib_vm(cib, "grouped"));
    assert_null(cd_cib_primitive(cib, "app"));

    /* A VM is ocf:vmha:vm with an id; a fence device is class stonith. */
    assert_true(cd_cib_is_vm(cd_cib_primitive(cib, "web")));
    assert_false(cd_cib_is_vm(cd_cib_primitive(cib, "db")));
    assert_false(cd_cib_is_vm(cd_cib_primitive(cib, "novm")));
    assert_false(cd_cib_is_vm(cd_cib_primitive(cib, "ipmi")));
    assert_false(cd_cib_is_vm(NULL));
    /* The VM by its id: never another kind of primitive of that name. */
    assert_ptr_equal(cd_cib_vm(cib, "web"), cd_cib_primitive(cib, "web"));
    assert_null(cd_cib_vm(cib, "db"));
    assert_null(cd_cib_vm(cib, "ipmi"));
    assert_null(cd_cib_vm(cib, "ghost"));
    assert_null(cd_cib_vm(NULL, "web"));
    xmlNode *res = pcmk_find_cib_element(cib, XML_CIB_TAG_RESOURCES);
    unsigned vms = 0, devices = 0;
    for (xmlNode *p = first_named_child(res, XML_CIB_TAG_RESOURCE); p; p = crm_next_same_xml(p)) {
        vms += cd_cib_is_vm(p);
        devices += cd_cib_is_fence_device(p);
    }
    assert_int_equal(vms, 1); /* the primitive without an id is none */
    assert_int_equal(devices, 1);
}

static void append_pair(const char *name, const char *value, void *s)
{
    g_string_append_printf(s, "%s=%s;", name, value);
}

static void test_attributes(void **state)
{
    xmlNode *cib = *state;
    xmlNode *web = cd_cib_primitive(cib, "web");

    /* The first value of a name wins for a single lookup... */
    assert_string_equal(cd_cib_nvpair(web, XML_TAG_ATTR_SETS, "health_check"), "console");
    assert_string_equal(cd_cib_nvpair(web, XML_TAG_META_SETS, "priority"), "5");
    assert_null(cd_cib_nvpair(web, XML_TAG_META_SETS, "config"));
    assert_null(cd_cib_nvpair(web, XML_TAG_ATTR_SETS, "novalue"));
    assert_null(cd_cib_nvpair(NULL, XML_TAG_ATTR_SETS, "config"));

    /* ...while the agent's parameters take the last, as a table of copies (nothing without a
     * value). */
    GHashTable *params = cd_cib_instance_params(web);
    assert_int_equal(g_hash_table_size(params), 2);
    assert_string_equal(g_hash_table_lookup(params, "config"), "/shared/web.xml");
    assert_string_equal(g_hash_table_lookup(params, "health_check"), "guest-agent");
    g_hash_table_unref(params);
    params = cd_cib_instance_params(NULL);
    assert_int_equal(g_hash_table_size(params), 0);
    g_hash_table_unref(params);

    /* Every pair with a value, set after set, in the document's order. */
    g_autoptr(GString) pairs = g_string_new(NULL);
    cd_cib_nvpairs_foreach(web, XML_TAG_ATTR_SETS, append_pair, pairs);
    assert_string_equal(pairs->str,
                        "config=/shared/web.xml;health_check=console;health_check=guest-agent;");
    g_string_truncate(pairs, 0);
    cd_cib_nvpairs_foreach(NULL, XML_TAG_ATTR_SETS, append_pair, pairs);
    assert_string_equal(pairs->str, "");
}

static void test_operations(void **state)
{
    xmlNode *web = cd_cib_primitive(*state, "web");

    assert_int_equal(cd_cib_op_ms(web, "start", "timeout", 1), 120000);
    assert_int_equal(cd_cib_op_ms(web, "stop", "timeout", 1), 30000); /* bare seconds */
    /* An op whose value is no duration (or 0) does not count: the next op of the name does. */
    assert_int_equal(cd_cib_op_ms(web, "monitor", "interval", 1), 15000);
    assert_int_equal(cd_cib_op_ms(web, "monitor", "timeout", 1), 500);
    assert_int_equal(cd_cib_op_ms(web, "start", "interval", 7), 7); /* interval 0: the default */
    assert_int_equal(cd_cib_op_ms(web, "migrate_to", "timeout", 9), 9);
    assert_int_equal(cd_cib_op_ms(NULL, "start", "timeout", 3), 3);
}

static void test_properties(void **state)
{
    xmlNode *cib = *state;

    assert_string_equal(cd_cib_property(cib, "no-quorum-policy"), "freeze"); /* first set */
    assert_string_equal(cd_cib_property(cib, "stonith-action"), "off");
    assert_null(cd_cib_property(cib, "stonith-enabled"));
    assert_null(cd_cib_property(NULL, "stonith-action"));
}

static void test_node_states(void **state)
{
    xmlNode *status = pcmk_find_cib_element(*state, XML_CIB_TAG_STATUS);

    assert_string_equal(crm_element_value(cd_cib_node_state(status, "2", NULL), XML_ATTR_UNAME),
                        "n7");
    /* By id first: id 2 is n7 even when asked with uname n2... */
    assert_string_equal(crm_element_value(cd_cib_node_state(status, "2", "n2"), XML_ATTR_UNAME),
                        "n7");
    /* ...then by uname, as lib/model.c matches them. */
    assert_string_equal(crm_element_value(cd_cib_node_state(status, "3", "n2"), XML_ATTR_ID), "7");
    assert_null(cd_cib_node_state(status, "3", NULL));
    assert_null(cd_cib_node_state(status, NULL, "n3"));
    assert_null(cd_cib_node_state(NULL, "1", "n1"));
}

/* All VM ids at once: what cd_cib_vm says of each id, the first primitive of an id deciding. */
static void test_vm_ids(void **state)
{
    xmlNode *cib = *state;
    g_autoptr(GHashTable) ids = cd_cib_vm_ids(cib);

    assert_int_equal(g_hash_table_size(ids), 2);
    assert_ptr_equal(g_hash_table_lookup(ids, "web"), cd_cib_vm(cib, "web"));
    assert_ptr_equal(g_hash_table_lookup(ids, "grouped"), cd_cib_vm(cib, "grouped"));
    for (const char *const *id = (const char *const[]){"db", "novm", "ipmi", "app", "ghost", NULL};
         *id; id++)
        assert_false(g_hash_table_contains(ids, *id));
    g_autoptr(GHashTable) none = cd_cib_vm_ids(NULL);
    assert_int_equal(g_hash_table_size(none), 0);

    /* A later VM of a name taken by a fence device is no VM (cd_cib_vm finds the device). */
    xmlNode *twice = string2xml("<cib><configuration><resources>"
                                "<primitive id='x' class='stonith' type='fence_lab'/>"
                                "<primitive id='x' class='ocf' provider='vmha' type='vm'/>"
                                "<primitive id='y' class='ocf' provider='vmha' type='vm'/>"
                                "<group id='g'><primitive id='y' class='stonith' type='f'/></group>"
                                "</resources></configuration></cib>");
    g_autoptr(GHashTable) both = cd_cib_vm_ids(twice);
    g_autoptr(GHashTable) prims = cd_cib_primitive_ids(twice);
    assert_int_equal(g_hash_table_size(prims), 2);
    assert_ptr_equal(g_hash_table_lookup(prims, "x"), cd_cib_primitive(twice, "x"));
    assert_ptr_equal(g_hash_table_lookup(prims, "y"), cd_cib_primitive(twice, "y"));
    assert_null(cd_cib_vm(twice, "x"));
    assert_false(g_hash_table_contains(both, "x"));
    assert_ptr_equal(g_hash_table_lookup(both, "y"), cd_cib_vm(twice, "y"));
    assert_non_null(cd_cib_vm(twice, "y"));
    g_clear_pointer(&both, g_hash_table_unref);
    g_clear_pointer(&prims, g_hash_table_unref);
    free_xml(twice);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_primitives),  cmocka_unit_test(test_attributes),
            cmocka_unit_test(test_operations),  cmocka_unit_test(test_properties),
            cmocka_unit_test(test_node_states), cmocka_unit_test(test_vm_ids),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
