#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "vmha/ocf.h"

static void test_failure_scope(void **state)
{
    static const struct {
        int code;
        VmhaOcfFailureScope scope;
    } cases[] = {
            {OCF_SUCCESS, VMHA_OCF_FAILURE_NONE},
            {OCF_NOT_RUNNING, VMHA_OCF_FAILURE_NONE},
            {OCF_ERR_GENERIC, VMHA_OCF_FAILURE_SOFT},
            {OCF_ERR_ARGS, VMHA_OCF_FAILURE_HARD_NODE},
            {OCF_ERR_INSTALLED, VMHA_OCF_FAILURE_HARD_NODE},
            {OCF_ERR_CONFIGURED, VMHA_OCF_FAILURE_HARD_CLUSTER},
            {198, VMHA_OCF_FAILURE_SOFT}, /* a timeout as Pacemaker records it */
            {-1, VMHA_OCF_FAILURE_SOFT},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_int_equal(vmha_ocf_failure_scope(cases[i].code), cases[i].scope);
}

static void test_exit_names(void **state)
{
    assert_string_equal(vmha_ocf_exit_to_string(OCF_NOT_RUNNING), "not running");
    assert_string_equal(vmha_ocf_exit_to_string(OCF_ERR_CONFIGURED), "not configured");
    assert_string_equal(vmha_ocf_exit_to_string(12345), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_failure_scope),
            cmocka_unit_test(test_exit_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
