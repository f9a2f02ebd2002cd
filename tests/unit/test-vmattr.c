#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "vmattr.h"

/* Every key vmctl vm set documents, with a value it must take and one it must refuse. */
static void test_attr_table(void **state)
{
    static const struct {
        const char *key, *good, *bad, *name;
        VmhaAttrSection section;
    } cases[] = {
            {"config", "/shared/vm1.xml", "relative.xml", "config", VMHA_ATTR_INSTANCE},
            {"migration_method", "quick", "save", "migration_method", VMHA_ATTR_INSTANCE},
            {"migration_method", "cold", "", "migration_method", VMHA_ATTR_INSTANCE},
            {"migration_method", "live", "LIVE", "migration_method", VMHA_ATTR_INSTANCE},
            {"shutdown_timeout", "30", "0", "shutdown_timeout", VMHA_ATTR_INSTANCE},
            {"priority", "-5", "high", "priority", VMHA_ATTR_META},
            {"target-role", "Stopped", "stopped", "target-role", VMHA_ATTR_META},
            {"stickiness", "INFINITY", "sticky", "resource-stickiness", VMHA_ATTR_META},
            {"migration-threshold", "3", "-1", "migration-threshold", VMHA_ATTR_META},
            {"failback", "22:00-06:00", "25:00-06:00", "vmha-failback", VMHA_ATTR_META},
            {"shutdown-policy", "freeze", "hibernate", "vmha-shutdown-policy", VMHA_ATTR_META},
            {"drain-fallback", "stop", "restart", "vmha-drain-fallback", VMHA_ATTR_META},
            {"health-check", "console", "ping", "health_check", VMHA_ATTR_INSTANCE},
            {"health_check", "guest-agent", "", "health_check", VMHA_ATTR_INSTANCE},
            {"health-timeout", "30s", "1s", "health_timeout", VMHA_ATTR_INSTANCE},
            {"health-timeout", "2min", "2h", "health_timeout", VMHA_ATTR_INSTANCE},
            {"require-lock-manager", "false", "no", "require_lock_manager", VMHA_ATTR_INSTANCE},
            {"live-unsafe", "true", "yes", "live_unsafe", VMHA_ATTR_INSTANCE},
            {"live_unsafe", "false", "", "live_unsafe", VMHA_ATTR_INSTANCE},
            {"memory", "4096", "0", "memory", VMHA_ATTR_UTILIZATION},
            {"monitor-interval", "5s", "500ms", "monitor", VMHA_ATTR_OPERATION},
            {"monitor-interval", "2min", "5 s", "monitor", VMHA_ATTR_OPERATION},
            {"monitor-interval", "30", "-5", "monitor", VMHA_ATTR_OPERATION},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *name = NULL, *error = NULL;
        VmhaAttrSection section = VMHA_ATTR_PREFER;

        assert_int_equal(vmha_vm_attr_check(cases[i].key, cases[i].good, &name, &section, &error),
                         0);
        assert_string_equal(name, cases[i].name);
        assert_int_equal(section, cases[i].section);

        error = NULL;
        assert_int_equal(vmha_vm_attr_check(cases[i].key, cases[i].bad, &name, &section, &error),
                         -EINVAL);
        assert_non_null(error);
    }
}

/* The refusal names the values the agent takes (it used to say "save or live", neither of which
 * is all of them and one of which is none). */
static void test_migration_method_error(void **state)
{
    const char *name = NULL, *error = NULL;
    VmhaAttrSection section;

    assert_int_equal(vmha_vm_attr_check("migration_method", "save", &name, &section, &error),
                     -EINVAL);
    assert_string_equal(error, "migration_method must be quick, live or cold");
}

static void test_interval(void **state)
{
    static const struct {
        const char *s;
        int64_t ms; /* -1: refused */
    } cases[] = {{"10", 10000},    {"10s", 10000},  {"1500ms", 1500},  {"2m", 120000},
                 {"2min", 120000}, {"1h", 3600000}, {"24h", 86400000}, {"25h", -1},
                 {"0", -1},        {"", -1},        {"s", -1},         {"+5", -1},
                 {"5x", -1},       {"P5S", -1}};

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t ms = -7;
        int r = vmha_interval_parse(cases[i].s, &ms);
        if (cases[i].ms < 0) {
            assert_int_equal(r, -EINVAL);
            assert_int_equal(ms, -7);
        } else {
            assert_int_equal(r, 0);
            assert_int_equal(ms, cases[i].ms);
        }
    }
}

static void test_unknown_key(void **state)
{
    const char *name = NULL, *error = NULL;
    VmhaAttrSection section;

    assert_int_equal(vmha_vm_attr_check("colour", "blue", &name, &section, &error), -EINVAL);
    assert_non_null(error);
    assert_null(name);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_attr_table),
            cmocka_unit_test(test_migration_method_error),
            cmocka_unit_test(test_unknown_key),
            cmocka_unit_test(test_interval),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
