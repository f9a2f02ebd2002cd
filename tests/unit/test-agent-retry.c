/* resource-agents/retry: when the vm agent waits for a libvirtd that went away, and until when. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <libvirt/virterror.h>

#include "retry.h"

#define S G_USEC_PER_SEC

static void test_unreachable(void **state)
{
    /* The daemon not there, the socket closed, the connection object gone. */
    assert_true(vm_retry_libvirt_unreachable(VIR_FROM_RPC, VIR_ERR_SYSTEM_ERROR));
    assert_true(vm_retry_libvirt_unreachable(VIR_FROM_RPC, VIR_ERR_INTERNAL_ERROR));
    assert_true(vm_retry_libvirt_unreachable(VIR_FROM_REMOTE, VIR_ERR_RPC));
    assert_true(vm_retry_libvirt_unreachable(VIR_FROM_NONE, VIR_ERR_NO_CONNECT));
    assert_true(vm_retry_libvirt_unreachable(VIR_FROM_NONE, VIR_ERR_INVALID_CONN));
    /* Answers about the domain are final. */
    assert_false(vm_retry_libvirt_unreachable(VIR_FROM_QEMU, VIR_ERR_NO_DOMAIN));
    assert_false(vm_retry_libvirt_unreachable(VIR_FROM_QEMU, VIR_ERR_INTERNAL_ERROR));
    assert_false(vm_retry_libvirt_unreachable(VIR_FROM_QEMU, VIR_ERR_SYSTEM_ERROR));
    assert_false(vm_retry_libvirt_unreachable(VIR_FROM_QEMU, VIR_ERR_OPERATION_FAILED));
    assert_false(vm_retry_libvirt_unreachable(VIR_FROM_LOCKING, VIR_ERR_RESOURCE_BUSY));
}

static void test_deadline(void **state)
{
    /* A sixth of the timeout before it, between 2 and 10 s. */
    assert_int_equal(vm_retry_deadline(100 * S, 30000), 100 * S + 25 * S);
    assert_int_equal(vm_retry_deadline(0, 120000), 110 * S);
    assert_int_equal(vm_retry_deadline(0, 6000), 4 * S);
    assert_int_equal(vm_retry_deadline(0, 1000), 0); /* no time to wait at all */
    assert_int_equal(vm_retry_deadline(7, 0), 7 + VM_RETRY_DEFAULT_US);
    assert_true(vm_retry_deadline(0, UINT64_MAX) > 0);
}

static void test_again(void **state)
{
    assert_int_equal(vm_retry_delay_us(0), S / 10);
    assert_int_equal(vm_retry_delay_us(1), S / 5);
    assert_int_equal(vm_retry_delay_us(3), 8 * S / 10);
    assert_int_equal(vm_retry_delay_us(4), S);
    assert_int_equal(vm_retry_delay_us(1000), S);
    /* The last pause must end before the deadline. */
    assert_true(vm_retry_again(0, S, 0));
    assert_false(vm_retry_again(0, S / 10, 0));
    assert_false(vm_retry_again(10 * S, 10 * S + S / 2, 4));
    assert_true(vm_retry_again(10 * S, 12 * S, 4));
    /* A libvirtd back within a second is caught: the pauses add up slowly at first. */
    gint64 t = 0;
    unsigned n = 0;
    while (t < S)
        t += vm_retry_delay_us(n++);
    assert_true(n <= 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_unreachable),
            cmocka_unit_test(test_deadline),
            cmocka_unit_test(test_again),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
