/* lib/fencedev: which fence device ids, agents, options and host lists vmctl fence add and
 * clusterd accept. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "fencedev.h"

/* Agents are names only, looked up in the trusted agent directories (issue 11, defect 3): a path
 * would let whoever writes the database choose what the leader runs as root. */
static void test_agent(void **state)
{
    static const char *const good[] = {"fence_ipmilan", "fence_xvm", "fence_a1_b",
                                       "fence_IPMI",    "fence_lab", "fence_APC_snmp"};
    static const char *const bad[] = {"",
                                      "fence_",
                                      "ipmilan",
                                      "fence_a-b",
                                      "fence_a b",
                                      "relative/x",
                                      "/",
                                      "/a b",
                                      "/a\nb",
                                      "/dir/",
                                      "../fence_x",
                                      "fence_x/y",
                                      "Fence_ipmilan",
                                      "/usr/sbin/fence_ipmilan",
                                      "/opt/lab/fence_lab",
                                      "/tmp/evil.sh",
                                      "fence_x\n",
                                      "fence_../x",
                                      "fence_.",
                                      "fence_x.sh",
                                      "./fence_lab",
                                      " fence_lab"};

    for (size_t i = 0; i < G_N_ELEMENTS(good); i++)
        assert_true(vmha_fence_agent_valid(good[i]));
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
        assert_false(vmha_fence_agent_valid(bad[i]));
    g_autofree char *longest = g_strnfill(VMHA_FENCE_AGENT_NAME_MAX, 'a');
    memcpy(longest, "fence_", 6);
    assert_true(vmha_fence_agent_valid(longest));
    g_autofree char *too_long = g_strnfill(VMHA_FENCE_AGENT_NAME_MAX + 1, 'a');
    memcpy(too_long, "fence_", 6);
    assert_false(vmha_fence_agent_valid(too_long));
    assert_true(vmha_fence_id_valid("ipmi-n1"));
    assert_false(vmha_fence_id_valid("1ipmi"));
    assert_false(vmha_fence_id_valid("a'b"));
}

static void assert_orphans(const VmhaFenceDeviceHosts *d, size_t n, const char *id,
                           const char *expect)
{
    g_auto(GStrv) orphans = vmha_fence_only_device_of(d, n, id);
    g_autofree char *got = g_strjoinv(",", orphans);
    assert_string_equal(got, expect);
}

/* Removing or replacing the only device of a node needs root and --force: which nodes a device
 * is the only one for. */
static void test_only_device(void **state)
{
    const char *const all[] = {"n1", "n2", "n3", NULL};
    const char *const n1[] = {"n1", NULL};
    const char *const n2n3[] = {"n2", "n3", "n2", NULL};
    const char *const none[] = {NULL};
    const VmhaFenceDeviceHosts one[] = {{"ipmi", all}};
    const VmhaFenceDeviceHosts two[] = {{"ipmi", all}, {"pdu", n1}, {"empty", none}};
    const VmhaFenceDeviceHosts split[] = {{"a", n1}, {"b", n2n3}};

    assert_orphans(one, 1, "ipmi", "n1,n2,n3");
    assert_orphans(one, 1, "nosuch", "");
    assert_orphans(two, 3, "ipmi", "n2,n3");
    assert_orphans(two, 3, "pdu", "");
    assert_orphans(two, 3, "empty", "");
    assert_orphans(split, 2, "b", "n2,n3");
    assert_orphans(split, 2, "a", "n1");
    assert_orphans(NULL, 0, "a", "");
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
            cmocka_unit_test(test_only_device),
            cmocka_unit_test(test_options),
            cmocka_unit_test(test_hosts_and_secrets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
