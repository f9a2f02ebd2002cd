/* Unit tests of lib/statusdelta.c: the update a libcib modify merges, built only when the merge
 * gives exactly the new status section (test-cibwrite checks the same against libcib itself). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include <glib.h>
#include <libxml/parser.h>

#include "statusdelta.h"

#define OP(rsc, rc)   "<lrm_rsc_op id=\"" rsc "_last_0\" operation=\"monitor\" rc-code=\"" rc "\"/>"
#define RSC(rsc, ops) "<lrm_resource id=\"" rsc "\" type=\"vm\">" ops "</lrm_resource>"
#define NODE(id, rscs)                                                                             \
    "<node_state id=\"" id "\" uname=\"n" id "\"><lrm id=\"" id "\"><lrm_resources>" rscs          \
    "</lrm_resources></lrm></node_state>"

static const char base[] = "<status>" NODE("1", RSC("a", OP("a", "7")) RSC("b", OP("b", "7")))
        NODE("2", RSC("a", OP("a", "0")) RSC("b", OP("b", "7"))) "</status>";

typedef struct {
    xmlDoc *old, *new;
    xmlNode *update;
} Fix;

static int setup(void **state)
{
    *state = g_new0(Fix, 1);
    return 0;
}

static int teardown(void **state)
{
    Fix *f = *state;
    if (f->update)
        xmlFreeNode(f->update);
    xmlFreeDoc(f->old);
    xmlFreeDoc(f->new);
    g_free(f);
    return 0;
}

static xmlDoc *parse(const char *s)
{
    xmlDoc *d = xmlReadMemory(s, (int)strlen(s), "t", NULL, XML_PARSE_NOBLANKS);
    assert_non_null(d);
    return d;
}

/* vmha_status_delta of old and new, the update as text (or NULL) in *ret_text. */
static int delta(Fix *f, const char *old, const char *new, char **ret_text)
{
    f->old = parse(old);
    f->new = parse(new);
    int r = vmha_status_delta(xmlDocGetRootElement(f->old), xmlDocGetRootElement(f->new),
                              &f->update);
    *ret_text = NULL;
    if (f->update) {
        xmlBuffer *b = xmlBufferCreate();
        xmlNodeDump(b, NULL, f->update, 0, 0);
        *ret_text = g_strdup((const char *)xmlBufferContent(b));
        xmlBufferFree(b);
    }
    return r;
}

static void test_equal(void **state)
{
    g_autofree char *u = NULL;
    assert_int_equal(delta(*state, base, base, &u), 0);
    assert_null(u);
}

/* One op's value changed on node 2: the update holds that op and its ancestors, nothing else. */
static void test_one_changed_entry(void **state)
{
    g_autofree char *u = NULL;
    const char *new = "<status>" NODE("1", RSC("a", OP("a", "7")) RSC("b", OP("b", "7")))
            NODE("2", RSC("a", OP("a", "0")) RSC("b", OP("b", "0"))) "</status>";
    assert_int_equal(delta(*state, base, new, &u), 1);
    assert_string_equal(u, "<status>" NODE("2", RSC("b", OP("b", "0"))) "</status>");
}

/* New entries and new attributes are appended, as the merge appends them. */
static void test_appended(void **state)
{
    g_autofree char *u = NULL;
    const char *new = "<status>" NODE("1", RSC("a", OP("a", "7")) RSC("b", OP("b", "7"))) NODE(
            "2",
            RSC("a", OP("a", "0")) RSC("b", OP("b", "7")) RSC(
                    "c",
                    OP("c",
                       "7"))) "<node_state id=\"3\" uname=\"n3\" expected=\"member\"/></status>";
    assert_int_equal(delta(*state, base, new, &u), 1);
    assert_string_equal(
            u, "<status>" NODE(
                       "2", RSC("c", OP("c", "7"))) "<node_state id=\"3\" "
                                                    "uname=\"n3\" expected=\"member\"/></status>");
}

/* What a merge cannot do: remove an attribute or an element, move one. */
static void test_removed_attribute(void **state)
{
    g_autofree char *u = NULL;
    const char *new = "<status>" NODE("1", RSC("a", OP("a", "7")) RSC("b", OP("b", "7")))
            NODE("2", RSC("a", OP("a", "0")) "<lrm_resource id=\"b\">" OP(
                              "b", "7") "</lrm_resource>") "</status>";
    assert_int_equal(delta(*state, base, new, &u), -1);
    assert_null(u);
}

static void test_removed_element(void **state)
{
    g_autofree char *u = NULL;
    const char *new = "<status>" NODE("1", RSC("a", OP("a", "7")) RSC("b", OP("b", "7")))
            NODE("2", RSC("a", OP("a", "0"))) "</status>";
    assert_int_equal(delta(*state, base, new, &u), -1);
}

static void test_moved(void **state)
{
    g_autofree char *u = NULL;
    const char *new = "<status>" NODE("1", RSC("b", OP("b", "7")) RSC("a", OP("a", "7")))
            NODE("2", RSC("a", OP("a", "0")) RSC("b", OP("b", "7"))) "</status>";
    assert_int_equal(delta(*state, base, new, &u), -1);
}

/* An op replaced by another op with the same id moves to the end: not a merge, unless it is
 * last already. */
static void test_replaced_op_position(void **state)
{
    g_autofree char *u = NULL;
    const char *old = "<status>" NODE("1", RSC("a", OP("a", "7") OP("x", "0"))) "</status>";
    const char *new = "<status>" NODE("1", RSC("a", OP("x", "0") OP("a", "0"))) "</status>";
    assert_int_equal(delta(*state, old, new, &u), -1);
}

/* "NAME++" is arithmetic to libcrmcommon's merge: never in an update. */
static void test_plus_plus(void **state)
{
    g_autofree char *u = NULL;
    const char *new = "<status>" NODE("1", RSC("a", OP("a", "7")) RSC("b", OP("b", "rc-code++")))
            NODE("2", RSC("a", OP("a", "0")) RSC("b", OP("b", "7"))) "</status>";
    assert_int_equal(delta(*state, base, new, &u), -1);
}

/* The merge updates the first child with the id: a change to a later one with the same id
 * cannot be merged. */
static void test_duplicate_id(void **state)
{
    g_autofree char *u = NULL;
    const char *old =
            "<status>" NODE("1", RSC("a", OP("a", "7")) RSC("a", OP("a", "7"))) "</status>";
    const char *new =
            "<status>" NODE("1", RSC("a", OP("a", "7")) RSC("a", OP("a", "0"))) "</status>";
    assert_int_equal(delta(*state, old, new, &u), -1);
}

static void test_missing(void **state)
{
    xmlNode *u = NULL;
    assert_int_equal(vmha_status_delta(NULL, NULL, &u), -1);
    assert_null(u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_equal, setup, teardown),
            cmocka_unit_test_setup_teardown(test_one_changed_entry, setup, teardown),
            cmocka_unit_test_setup_teardown(test_appended, setup, teardown),
            cmocka_unit_test_setup_teardown(test_removed_attribute, setup, teardown),
            cmocka_unit_test_setup_teardown(test_removed_element, setup, teardown),
            cmocka_unit_test_setup_teardown(test_moved, setup, teardown),
            cmocka_unit_test_setup_teardown(test_replaced_op_position, setup, teardown),
            cmocka_unit_test_setup_teardown(test_plus_plus, setup, teardown),
            cmocka_unit_test_setup_teardown(test_duplicate_id, setup, teardown),
            cmocka_unit_test(test_missing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
