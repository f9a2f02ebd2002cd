/* The migration method's one list of spellings (include/vmha/migration.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "vmha/migration.h"

static void test_spellings(void **state)
{
    static const struct {
        VmhaMigrationMethod method;
        const char *text;
    } known[] = {
            {VMHA_MIGRATION_QUICK, "quick"},
            {VMHA_MIGRATION_LIVE, "live"},
            {VMHA_MIGRATION_COLD, "cold"},
    };
    VmhaMigrationMethod m;

    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        assert_string_equal(vmha_migration_method_to_string(known[i].method), known[i].text);
        m = VMHA_MIGRATION_DEFAULT;
        assert_int_equal(vmha_migration_method_from_string(known[i].text, &m), 0);
        assert_int_equal(m, known[i].method);
    }
    /* "Not given" is never written, and nothing else is read. */
    assert_null(vmha_migration_method_to_string(VMHA_MIGRATION_DEFAULT));
    assert_null(vmha_migration_method_to_string((VmhaMigrationMethod)99));
    static const char *const bad[] = {"", "save", "LIVE", "Quick", "cold ", "quick,live"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        m = VMHA_MIGRATION_LIVE;
        assert_int_equal(vmha_migration_method_from_string(bad[i], &m), -EINVAL);
        assert_int_equal(m, VMHA_MIGRATION_LIVE); /* untouched */
    }
    assert_int_equal(vmha_migration_method_from_string(NULL, &m), -EINVAL);
    assert_non_null(strstr(VMHA_MIGRATION_METHODS, "quick"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_spellings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
