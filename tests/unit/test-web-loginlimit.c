/* vmha-web's limit on failed logins per client address: the window slides, addresses are
 * counted apart, the table stays bounded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "loginlimit.h"

static void test_window(void **state)
{
    WebLoginLimit *l = web_login_limit_new(3, 60, 16);

    (void)state;
    /* Three failures at 100, 110, 120: the fourth try waits until 100 + 60. */
    assert_int_equal(web_login_limit_wait(l, "192.0.2.1", 100), 0);
    web_login_limit_failed(l, "192.0.2.1", 100);
    web_login_limit_failed(l, "192.0.2.1", 110);
    assert_int_equal(web_login_limit_wait(l, "192.0.2.1", 115), 0);
    web_login_limit_failed(l, "192.0.2.1", 120);
    assert_int_equal(web_login_limit_wait(l, "192.0.2.1", 121), 39);
    assert_int_equal(web_login_limit_wait(l, "192.0.2.1", 159), 1);
    /* Another address is not held back. */
    assert_int_equal(web_login_limit_wait(l, "192.0.2.2", 121), 0);
    /* At 160 the failure of 100 is out of the window: one more try, which fails again at 160,
     * and the next waits for the failure of 110 to age. */
    assert_int_equal(web_login_limit_wait(l, "192.0.2.1", 160), 0);
    web_login_limit_failed(l, "192.0.2.1", 160);
    assert_int_equal(web_login_limit_wait(l, "192.0.2.1", 161), 9);
    assert_int_equal(web_login_limit_wait(l, "192.0.2.1", 170), 0);
    /* Long after, everything is forgiven. */
    assert_int_equal(web_login_limit_wait(l, "192.0.2.1", 10000), 0);
    web_login_limit_free(l);
}

static void test_bounded(void **state)
{
    WebLoginLimit *l = web_login_limit_new(2, 60, 3);
    char addr[32];

    (void)state;
    /* a, b, c fail twice each (a first): all three are held back. */
    for (int i = 0; i < 3; i++) {
        snprintf(addr, sizeof(addr), "198.51.100.%d", i);
        web_login_limit_failed(l, addr, 100 + i);
        web_login_limit_failed(l, addr, 100 + i);
        assert_int_not_equal(web_login_limit_wait(l, addr, 110), 0);
    }
    assert_int_equal(web_login_limit_size(l), 3);
    /* A fourth address makes the table forget the one whose last failure is oldest (a). */
    web_login_limit_failed(l, "198.51.100.9", 105);
    assert_int_equal(web_login_limit_size(l), 3);
    assert_int_equal(web_login_limit_wait(l, "198.51.100.0", 110), 0);
    assert_int_not_equal(web_login_limit_wait(l, "198.51.100.1", 110), 0);
    assert_int_not_equal(web_login_limit_wait(l, "198.51.100.2", 110), 0);
    web_login_limit_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_window),
            cmocka_unit_test(test_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
