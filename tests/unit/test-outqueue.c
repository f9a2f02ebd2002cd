/* A client's output queue: bytes handed out in order across buffers, partial writes, the limit,
 * and the stall clock that decides when clusterd drops a peer that does not read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <errno.h>

#include "outqueue.h"

static GBytes *bytes(const char *s)
{
    return g_bytes_new(s, strlen(s));
}

/* Drains q taking at most step bytes a time; returns what came out. */
static char *drain(VmhaOutQueue *q, size_t step, int64_t now)
{
    GString *out = g_string_new(NULL);
    const uint8_t *d;
    size_t n;

    while (vmha_outq_peek(q, &d, &n)) {
        assert_true(n > 0);
        size_t take = MIN(n, step);
        g_string_append_len(out, (const char *)d, (gssize)take);
        vmha_outq_consumed(q, take, now);
    }
    return g_string_free(out, FALSE);
}

static void test_order_and_partial_writes(void **state)
{
    for (size_t step = 1; step <= 12; step++) {
        VmhaOutQueue q;
        g_autoptr(GBytes) a = bytes("hello ");
        g_autoptr(GBytes) b = bytes("");
        g_autoptr(GBytes) c = bytes("world");
        vmha_outq_init(&q);
        assert_int_equal(vmha_outq_push(&q, a, 100, 0), 0);
        assert_int_equal(vmha_outq_push(&q, b, 100, 0), 0);
        assert_int_equal(vmha_outq_push(&q, c, 100, 0), 0);
        assert_int_equal(vmha_outq_queued(&q), 11);
        g_autofree char *out = drain(&q, step, 1);
        assert_string_equal(out, "hello world");
        assert_int_equal(vmha_outq_queued(&q), 0);
        vmha_outq_clear(&q);
    }
}

static void test_limit(void **state)
{
    VmhaOutQueue q;
    g_autoptr(GBytes) six = bytes("123456");
    g_autoptr(GBytes) four = bytes("abcd");

    vmha_outq_init(&q);
    assert_int_equal(vmha_outq_push(&q, six, 10, 0), 0);
    assert_int_equal(vmha_outq_push(&q, four, 10, 0), 0);
    /* Full: refused whole, nothing queued. */
    assert_int_equal(vmha_outq_push(&q, four, 10, 0), -ENOBUFS);
    assert_int_equal(vmha_outq_queued(&q), 10);
    /* What the peer took makes room. */
    vmha_outq_consumed(&q, 5, 0);
    assert_int_equal(vmha_outq_push(&q, four, 10, 0), 0);
    assert_int_equal(vmha_outq_queued(&q), 9);
    /* One buffer larger than the limit never fits. */
    VmhaOutQueue e;
    vmha_outq_init(&e);
    assert_int_equal(vmha_outq_push(&e, six, 5, 0), -ENOBUFS);
    g_autofree char *out = drain(&q, 3, 0);
    assert_string_equal(out, "6abcdabcd");
    vmha_outq_clear(&q);
    /* The data is referenced, not copied: the caller's reference stays valid. */
    assert_int_equal(g_bytes_get_size(six), 6);
}

static void test_stall_clock(void **state)
{
    VmhaOutQueue q;
    const int64_t s = G_USEC_PER_SEC;
    g_autoptr(GBytes) big = g_bytes_new_take(g_malloc0(1000), 1000);

    vmha_outq_init(&q);
    /* Empty: never stalled, however long. */
    assert_false(vmha_outq_stalled(&q, 1000 * s, s));
    /* The clock starts when the queue fills, not at some earlier time. */
    assert_int_equal(vmha_outq_push(&q, big, 10000, 100 * s), 0);
    assert_false(vmha_outq_stalled(&q, 109 * s, 10 * s));
    assert_true(vmha_outq_stalled(&q, 110 * s, 10 * s));
    /* Any progress restarts it; taking nothing does not. */
    vmha_outq_consumed(&q, 0, 109 * s);
    assert_true(vmha_outq_stalled(&q, 110 * s, 10 * s));
    vmha_outq_consumed(&q, 1, 109 * s);
    assert_false(vmha_outq_stalled(&q, 110 * s, 10 * s));
    assert_true(vmha_outq_stalled(&q, 119 * s, 10 * s));
    /* A peer that keeps taking a little is not stalled. */
    for (int64_t t = 120; t < 200; t += 5) {
        vmha_outq_consumed(&q, 10, t * s);
        assert_false(vmha_outq_stalled(&q, (t + 5) * s, 10 * s));
    }
    /* A second push while bytes wait does not restart the clock. */
    assert_int_equal(vmha_outq_push(&q, big, 10000, 300 * s), 0);
    assert_true(vmha_outq_stalled(&q, 300 * s, 10 * s));
    vmha_outq_clear(&q);
    assert_int_equal(vmha_outq_queued(&q), 0);
    assert_false(vmha_outq_stalled(&q, 1000 * s, s));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_order_and_partial_writes),
            cmocka_unit_test(test_limit),
            cmocka_unit_test(test_stall_clock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
