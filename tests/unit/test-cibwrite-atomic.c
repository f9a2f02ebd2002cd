/* A change from vmctl is all or none (clusterd/cibwrite.c): a write whose apply fails after some of
 * its libcib requests went through leaves the database as it was, in libcib and on disk. No
 * request of ours fails there by itself once validate passed it, so the test makes libcib's create
 * fail on a chosen call: the executable is linked with -Wl,--wrap=cd_cibdb_create. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <errno.h>

#include "cibtest.h"

int __real_cd_cibdb_create(const char *section, xmlNode *xml, GError **error);
int __wrap_cd_cibdb_create(const char *section, xmlNode *xml, GError **error);

static unsigned creates; /* calls since the test reset it */
static unsigned fail_at; /* fail this call (1-based); 0: none */

int __wrap_cd_cibdb_create(const char *section, xmlNode *xml, GError **error)
{
    if (++creates == fail_at) {
        g_set_error_literal(error, CD_CIBDB_ERROR, EINVAL, "refused by the test");
        return -EINVAL;
    }
    return __real_cd_cibdb_create(section, xml, error);
}

static void fail_create(unsigned call)
{
    creates = 0;
    fail_at = call;
}

static VmhaMsg *many_msg(const char *json)
{
    VmhaMsg *m = vmha_msg_new(VMHA_MSG_VM_ADD_MANY);
    assert_int_equal(vmha_msg_add_str(m, VMHA_F_JSON, json), 0);
    return m;
}

/* The database as libcib holds it now, and cib.xml, are what they were in `before` and `file`. */
static void assert_as_before(const char *sub, const char *before, const char *file)
{
    g_autofree char *now = NULL;
    assert_int_equal(cd_cibdb_dump(&now), 0);
    assert_string_equal(now, before);
    g_autofree char *file_now = file_text(sub);
    assert_string_equal(file_now, file);
}

static void test_vm_add_preference_fails(void **state)
{
    g_autofree char *before = NULL, *file = NULL;

    (void)state;
    open_seeded("add");
    assert_int_equal(apply(add_msg("web1", NULL)), 0);
    assert_int_equal(cd_cibdb_dump(&before), 0);
    file = file_text("add");

    /* The primitive goes in (call 1), the first preference does not (call 2). */
    fail_create(2);
    assert_int_equal(apply(add_msg("web2", "n2,n3")), VMHA_RESULT_FAILURE);
    assert_int_equal(creates, 2);
    assert_as_before("add", before, file);

    /* Still open and writable: the same request now goes through whole. */
    fail_create(0);
    assert_int_equal(apply(add_msg("web2", "n2,n3")), 0);
    g_autofree char *after = file_text("add");
    assert_non_null(strstr(after, "<primitive id=\"web2\""));
    assert_non_null(strstr(after, "prefer-web2-n3"));
    cd_cibdb_finalise();
}

static void test_add_many_preferences_fail(void **state)
{
    g_autofree char *before = NULL, *file = NULL;
    const char *batch = "[{\"name\":\"web2\",\"config\":\"/shared/vm.xml\",\"memory\":512,"
                        "\"vcpus\":2,\"prefer\":\"n2\"},"
                        "{\"name\":\"web3\",\"config\":\"/shared/vm.xml\",\"memory\":512,"
                        "\"vcpus\":2,\"prefer\":\"n1\"}]";

    (void)state;
    open_seeded("many");
    assert_int_equal(apply(add_msg("web1", NULL)), 0);
    assert_int_equal(cd_cibdb_dump(&before), 0);
    file = file_text("many");

    /* One create of both VMs (call 1), one of both preferences (call 2): refused. */
    fail_create(2);
    assert_int_equal(apply(many_msg(batch)), VMHA_RESULT_FAILURE);
    assert_int_equal(creates, 2);
    assert_as_before("many", before, file);

    fail_create(0);
    assert_int_equal(apply(many_msg(batch)), 0);
    g_autofree char *after = file_text("many");
    assert_non_null(strstr(after, "<primitive id=\"web3\""));
    assert_non_null(strstr(after, "prefer-web3-n1"));
    cd_cibdb_finalise();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_vm_add_preference_fails),
            cmocka_unit_test(test_add_many_preferences_fail),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
