/* Connection limits of the local socket: a user who may only read cannot take the connections
 * root and the admin group need, neither alone nor with others. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <errno.h>

#include "connlimit.h"

static int admit(VmhaConnLimits *l, uint32_t uid, VmhaPeerClass cls, const char **reason)
{
    *reason = NULL;
    return vmha_conn_admit(l, uid, cls, reason);
}

static void test_one_user_cannot_lock_out_root(void **state)
{
    g_autoptr(VmhaConnLimits) l = vmha_conn_limits_new();
    const char *reason = NULL;
    int i;

    /* The attacker: one uid opening as many connections as it can. */
    for (i = 0; i < 1000 && admit(l, 1000, VMHA_PEER_OTHER, &reason) == 0; i++)
        ;
    assert_int_equal(i, VMHA_CONN_MAX_PER_UID);
    assert_string_equal(reason, "too many connections from this user");
    assert_int_equal(vmha_conn_count_uid(l, 1000), VMHA_CONN_MAX_PER_UID);
    /* Root, the admin group and other readers still get in. */
    for (i = 0; i < 15; i++)
        assert_int_equal(admit(l, 0, VMHA_PEER_ROOT, &reason), 0);
    assert_int_equal(admit(l, 500, VMHA_PEER_ADMIN, &reason), 0);
    assert_int_equal(admit(l, 1001, VMHA_PEER_OTHER, &reason), 0);
    /* A connection that ends makes room for its user again. */
    vmha_conn_release(l, 1000, VMHA_PEER_OTHER);
    assert_int_equal(admit(l, 1000, VMHA_PEER_OTHER, &reason), 0);
    assert_int_equal(admit(l, 1000, VMHA_PEER_OTHER, &reason), -EUSERS);
}

static void test_many_users_cannot_lock_out_root(void **state)
{
    g_autoptr(VmhaConnLimits) l = vmha_conn_limits_new();
    const char *reason = NULL;
    int admitted = 0;

    /* Many uids (or one user's many uids) together stop at the readers' share. */
    for (uint32_t uid = 1000; uid < 1100; uid++)
        for (int k = 0; k < VMHA_CONN_MAX_PER_UID; k++)
            admitted += admit(l, uid, VMHA_PEER_OTHER, &reason) == 0;
    assert_int_equal(admitted, VMHA_CONN_MAX_OTHERS);
    assert_string_equal(reason, "too many connections from users outside the admin group");
    /* The admin group is not counted against readers, and several admins stop where root's
     * share begins. */
    admitted = 0;
    for (uint32_t uid = 500; uid < 510; uid++)
        for (int k = 0; k < VMHA_CONN_MAX_PER_ADMIN + 5; k++)
            admitted += admit(l, uid, VMHA_PEER_ADMIN, &reason) == 0;
    assert_int_equal(admitted + VMHA_CONN_MAX_OTHERS, VMHA_CONN_MAX - VMHA_CONN_ROOT_RESERVED);
    /* Root still has its whole share, and nothing beyond the total. */
    for (int k = 0; k < VMHA_CONN_ROOT_RESERVED; k++)
        assert_int_equal(admit(l, 0, VMHA_PEER_ROOT, &reason), 0);
    assert_int_equal(vmha_conn_count(l), VMHA_CONN_MAX);
    assert_int_equal(admit(l, 0, VMHA_PEER_ROOT, &reason), -EUSERS);
    assert_string_equal(reason, "too many connections to clusterd");
}

static void test_admin_per_uid(void **state)
{
    g_autoptr(VmhaConnLimits) l = vmha_conn_limits_new();
    const char *reason = NULL;
    int i;

    for (i = 0; i < 1000 && admit(l, 500, VMHA_PEER_ADMIN, &reason) == 0; i++)
        ;
    assert_int_equal(i, VMHA_CONN_MAX_PER_ADMIN);
    assert_int_equal(admit(l, 501, VMHA_PEER_ADMIN, &reason), 0);
    assert_int_equal(admit(l, 0, VMHA_PEER_ROOT, &reason), 0);
    /* Releasing everything brings the counts back to zero. */
    for (i = 0; i < VMHA_CONN_MAX_PER_ADMIN; i++)
        vmha_conn_release(l, 500, VMHA_PEER_ADMIN);
    vmha_conn_release(l, 501, VMHA_PEER_ADMIN);
    vmha_conn_release(l, 0, VMHA_PEER_ROOT);
    assert_int_equal(vmha_conn_count(l), 0);
    assert_int_equal(vmha_conn_count_uid(l, 500), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_one_user_cannot_lock_out_root),
            cmocka_unit_test(test_many_users_cannot_lock_out_root),
            cmocka_unit_test(test_admin_per_uid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
