/* lib/fencedev: which fence device ids, agents, options and host lists vmctl fence add and
 * clusterd accept. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "fencedev.h"

static void test_agent(void **state)
{
    static const char *const good[] = {"fence_ipmilan", "fence_xvm", "fence_a1_b", "/usr/sbin/x",
                                       "/opt/lab/fence_lab"};
    static const char *const bad[] = {
            "",  "fence_", "ipmilan", "fence_IPMI", "fence_a-b",  "fence_a b", "relative/x",
            "/", "/a b",   "/a\nb",   "/dir/",      "../fence_x", "fence_x/y", "Fence_ipmilan"};

    for (size_t i = 0; i < G_N_ELEMENTS(good); i++)
        assert_true(vmha_fence_agent_valid(good[i]));
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
        assert_false(vmha_fence_agent_valid(bad[i]));
    assert_true(vmha_fence_id_valid("ipmi-n1"));
    assert_false(vmha_fence_id_valid("1ipmi"));
    assert_false(vmha_fence_id_valid("a'b"));
}

static void check_options(const char *const *kvs, int expect, const char *in_error)
{
    g_autofree char *err = NULL;

    assert_int_equal(vmha_fence_options_check(kvs, &err), expect);
    if (expect == 0) {
        assert_null(err);
        return;
    }
    assert_non_null(err);
    assert_non_null(strstr(err, in_error));
}

static void test_options(void **state)
{
    check_options((const char *const[]){"ip=10.0.0.1", "username=admin", "lanplus=1", NULL}, 0,
                  NULL);
    check_options((const char *const[]){"ssh_options=-t -o x=y", "empty=", "_x-y=1", NULL}, 0,
                  NULL);
    check_options(NULL, 0, NULL);
    check_options((const char *const[]){NULL}, 0, NULL);
    check_options((const char *const[]){"noequals", NULL}, -EINVAL, "NAME=VALUE");
    check_options((const char *const[]){"=v", NULL}, -EINVAL, "bad option name");
    check_options((const char *const[]){"IP=1", NULL}, -EINVAL, "bad option name");
    check_options((const char *const[]){"1ip=1", NULL}, -EINVAL, "bad option name");
    check_options((const char *const[]){"a.b=1", NULL}, -EINVAL, "bad option name");
    check_options((const char *const[]){"ip=1\nplug=n3", NULL}, -EINVAL, "one line");
    check_options((const char *const[]){"ip=1\r", NULL}, -EINVAL, "one line");
    check_options((const char *const[]){"ip=1", "ip=2", NULL}, -EINVAL, "twice");
    check_options((const char *const[]){"action=off", NULL}, -EINVAL, "stonith-action");
    check_options((const char *const[]){"pcmk_host_list=n1", NULL}, -EINVAL, "--hosts");
    check_options((const char *const[]){"agent=fence_x", NULL}, -EINVAL, "cannot be set");
    check_options((const char *const[]){"nodename=n1", NULL}, -EINVAL, "cannot be set");
}

static void test_hosts_and_secrets(void **state)
{
    g_auto(GStrv) hosts = NULL;
    char **untouched = (char **)0x1;

    assert_int_equal(vmha_fence_hosts_parse("n1,n2", &hosts), 0);
    assert_int_equal(g_strv_length(hosts), 2);
    assert_string_equal(hosts[1], "n2");
    assert_int_equal(vmha_fence_hosts_parse("n1,n1", &untouched), -EINVAL);
    assert_int_equal(vmha_fence_hosts_parse("", &untouched), -EINVAL);
    assert_int_equal(vmha_fence_hosts_parse("n1,,n2", &untouched), -EINVAL);
    assert_int_equal(vmha_fence_hosts_parse("n1 n2", &untouched), -EINVAL);
    assert_ptr_equal(untouched, (char **)0x1);

    assert_true(vmha_fence_option_is_secret("passwd"));
    assert_true(vmha_fence_option_is_secret("password"));
    assert_true(vmha_fence_option_is_secret("snmp_priv_passwd"));
    assert_true(vmha_fence_option_is_secret("community"));
    assert_false(vmha_fence_option_is_secret("ip"));
    assert_false(vmha_fence_option_is_secret("username"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_agent),
            cmocka_unit_test(test_options),
            cmocka_unit_test(test_hosts_and_secrets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
