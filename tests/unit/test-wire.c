/* The wire codec: round trips, and every kind of malformed or oversized input is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <errno.h>

#include "vmha/wire.h"

static VmhaMsg *sample(void)
{
    VmhaMsg *m = vmha_msg_new(VMHA_MSG_VM_SET);
    assert_int_equal(vmha_msg_add_str(m, VMHA_F_NAME, "web1"), 0);
    assert_int_equal(vmha_msg_add_str(m, VMHA_F_KV, "priority=5"), 0);
    assert_int_equal(vmha_msg_add_str(m, VMHA_F_KV, "target-role=Stopped"), 0);
    assert_int_equal(vmha_msg_add_u64(m, VMHA_F_MEMORY, 0x0102030405060708ull), 0);
    assert_int_equal(vmha_msg_add_str(m, VMHA_F_MESSAGE, ""), 0);
    return m;
}

static void test_roundtrip(void **state)
{
    g_autoptr(VmhaMsg) m = sample();
    g_autoptr(VmhaMsg) d = NULL;
    g_autofree uint8_t *buf = NULL;
    g_autofree char *name = NULL, *empty = NULL;
    g_auto(GStrv) kv = NULL;
    size_t len = 0, total = 0;
    uint64_t mem = 0;

    assert_int_equal(vmha_msg_encode(m, &buf, &len), 0);
    assert_int_equal(vmha_msg_peek_length(buf, len, &total), 0);
    assert_int_equal(total, len);
    assert_int_equal(vmha_msg_decode(buf, len, &d), 0);
    assert_int_equal(d->type, VMHA_MSG_VM_SET);
    assert_int_equal(vmha_msg_get_str(d, VMHA_F_NAME, &name), 0);
    assert_string_equal(name, "web1");
    assert_int_equal(vmha_msg_get_strv(d, VMHA_F_KV, &kv), 0);
    assert_int_equal(g_strv_length(kv), 2);
    assert_string_equal(kv[1], "target-role=Stopped");
    assert_int_equal(vmha_msg_get_u64(d, VMHA_F_MEMORY, &mem), 0);
    assert_true(mem == 0x0102030405060708ull);
    assert_int_equal(vmha_msg_get_str(d, VMHA_F_MESSAGE, &empty), 0);
    assert_string_equal(empty, "");
    assert_int_equal(vmha_msg_get_str(d, VMHA_F_CIB, &name), -ENOENT);
    /* A string field is not an integer. */
    assert_int_equal(vmha_msg_get_u64(d, VMHA_F_NAME, &mem), -EBADMSG);
    assert_true(vmha_msg_type_is_write(d->type));
    assert_false(vmha_msg_type_is_write(VMHA_MSG_STATUS));
}

static void test_truncated_and_garbage(void **state)
{
    g_autoptr(VmhaMsg) m = sample();
    g_autofree uint8_t *buf = NULL;
    size_t len = 0;

    assert_int_equal(vmha_msg_encode(m, &buf, &len), 0);
    /* Every strict prefix and every longer buffer is refused. */
    for (size_t i = 0; i < len; i++) {
        VmhaMsg *d = NULL;
        assert_int_equal(vmha_msg_decode(buf, i, &d), -EBADMSG);
        assert_null(d);
    }
    g_autofree uint8_t *longer = g_malloc0(len + 1);
    memcpy(longer, buf, len);
    VmhaMsg *d = NULL;
    assert_int_equal(vmha_msg_decode(longer, len + 1, &d), -EBADMSG);

    /* Bad magic, bad version, non-zero reserved bits. */
    for (size_t off = 0; off < 12; off++) {
        if (off >= 6 && off < 10)
            continue; /* type and field count: checked below */
        g_autofree uint8_t *bad = g_memdup2(buf, len);
        bad[off] ^= 0x5a;
        assert_int_not_equal(vmha_msg_decode(bad, len, &d), 0);
    }
    /* A field count larger than the fields present. */
    g_autofree uint8_t *more = g_memdup2(buf, len);
    more[8]++;
    assert_int_equal(vmha_msg_decode(more, len, &d), -EBADMSG);
    /* A field length running past the end. */
    g_autofree uint8_t *flen = g_memdup2(buf, len);
    flen[VMHA_WIRE_HEADER_SIZE + 4] = 0xff;
    assert_int_equal(vmha_msg_decode(flen, len, &d), -EBADMSG);
    /* A random flip anywhere never crashes; the result either decodes or is refused. */
    for (size_t i = 0; i < len * 8; i++) {
        g_autofree uint8_t *flip = g_memdup2(buf, len);
        flip[i / 8] ^= (uint8_t)(1u << (i % 8));
        VmhaMsg *x = NULL;
        if (vmha_msg_decode(flip, len, &x) == 0)
            vmha_msg_free(x);
    }
}

static void test_oversized(void **state)
{
    g_autoptr(VmhaMsg) m = vmha_msg_new(VMHA_MSG_SYNC_DATA);
    g_autofree char *big = g_malloc(VMHA_WIRE_MAX_SIZE + 1);
    uint8_t hdr[VMHA_WIRE_HEADER_SIZE] = {'V', 'M', 'H', 'A', 1,    0,    65,   0,
                                          1,   0,   0,   0,   0xff, 0xff, 0xff, 0x7f};
    size_t total = 0;
    VmhaMsg *d = NULL;

    memset(big, 'x', VMHA_WIRE_MAX_SIZE);
    big[VMHA_WIRE_MAX_SIZE] = '\0';
    assert_int_equal(vmha_msg_add_str(m, VMHA_F_CIB, big), -E2BIG);
    big[VMHA_WIRE_MAX_SIZE - 40] = '\0';
    assert_int_equal(vmha_msg_add_str(m, VMHA_F_CIB, big), 0);
    assert_int_equal(vmha_msg_add_str(m, VMHA_F_CIB, "more than fits in what is left"), -E2BIG);
    /* A header announcing 2 GiB is refused before anything is read. */
    assert_int_equal(vmha_msg_peek_length(hdr, sizeof(hdr), &total), -E2BIG);
    assert_int_equal(vmha_msg_decode(hdr, sizeof(hdr), &d), -E2BIG);
    /* Too many fields. */
    g_autoptr(VmhaMsg) many = vmha_msg_new(VMHA_MSG_VM_SET);
    for (int i = 0; i < VMHA_WIRE_MAX_FIELDS; i++)
        assert_int_equal(vmha_msg_add_str(many, VMHA_F_KV, "a=b"), 0);
    assert_int_equal(vmha_msg_add_str(many, VMHA_F_KV, "a=b"), -E2BIG);
}

static void test_bad_strings(void **state)
{
    g_autoptr(VmhaMsg) m = vmha_msg_new(VMHA_MSG_VM_ADD);
    char *s = NULL;
    char **v = NULL;

    assert_int_equal(vmha_msg_add_bytes(m, VMHA_F_NAME, "we\0b", 4), 0);
    assert_int_equal(vmha_msg_add_bytes(m, VMHA_F_CONFIG, "\xff\xfe", 2), 0);
    assert_int_equal(vmha_msg_get_str(m, VMHA_F_NAME, &s), -EBADMSG);
    assert_int_equal(vmha_msg_get_str(m, VMHA_F_CONFIG, &s), -EBADMSG);
    assert_int_equal(vmha_msg_get_strv(m, VMHA_F_NAME, &v), -EBADMSG);
    assert_null(s);
    assert_null(v);
}

/* CIB_QUERY: an empty read request; its reply carries the whole CIB in VMHA_F_CIB. */
static void test_cib_query(void **state)
{
    static const char cib[] = "<cib have-quorum=\"1\"><configuration/><status>"
                              "<node_state id=\"1\" uname=\"n1\" in_ccm=\"true\"/>"
                              "</status></cib>";
    g_autoptr(VmhaMsg) req = vmha_msg_new(VMHA_MSG_CIB_QUERY);
    g_autoptr(VmhaMsg) reply = vmha_msg_new(VMHA_MSG_REPLY);
    g_autoptr(VmhaMsg) d = NULL, dr = NULL;
    g_autofree uint8_t *buf = NULL, *rbuf = NULL;
    g_autofree char *got = NULL;
    size_t len = 0, rlen = 0;
    uint64_t rc = 1;

    assert_string_equal(vmha_msg_type_to_str(VMHA_MSG_CIB_QUERY), "cib-query");
    assert_false(vmha_msg_type_is_write(VMHA_MSG_CIB_QUERY));
    assert_int_equal(vmha_msg_encode(req, &buf, &len), 0);
    assert_int_equal(len, VMHA_WIRE_HEADER_SIZE);
    assert_int_equal(vmha_msg_decode(buf, len, &d), 0);
    assert_int_equal(d->type, VMHA_MSG_CIB_QUERY);
    assert_int_equal(d->fields->len, 0);

    assert_int_equal(vmha_msg_add_u64(reply, VMHA_F_RC, 0), 0);
    assert_int_equal(vmha_msg_add_str(reply, VMHA_F_MESSAGE, "ok"), 0);
    assert_int_equal(vmha_msg_add_str(reply, VMHA_F_CIB, cib), 0);
    assert_int_equal(vmha_msg_encode(reply, &rbuf, &rlen), 0);
    assert_int_equal(vmha_msg_decode(rbuf, rlen, &dr), 0);
    assert_int_equal(dr->type, VMHA_MSG_REPLY);
    assert_int_equal(vmha_msg_get_u64(dr, VMHA_F_RC, &rc), 0);
    assert_true(rc == 0);
    assert_int_equal(vmha_msg_get_str(dr, VMHA_F_CIB, &got), 0);
    assert_string_equal(got, cib);
    const VmhaWireField *f = vmha_msg_get(dr, VMHA_F_CIB);
    assert_non_null(f);
    assert_int_equal(f->len, strlen(cib));
    assert_int_equal(f->data[f->len], '\0'); /* the loader parses it in place */

    /* A truncated reply is refused, never half a CIB. */
    VmhaMsg *x = NULL;
    assert_int_equal(vmha_msg_decode(rbuf, rlen - 1, &x), -EBADMSG);
    assert_null(x);

    /* A CIB that does not fit beside the reply's other fields is refused when added. */
    g_autoptr(VmhaMsg) big_reply = vmha_msg_new(VMHA_MSG_REPLY);
    g_autofree char *big = g_malloc(VMHA_WIRE_MAX_SIZE);
    memset(big, 'x', VMHA_WIRE_MAX_SIZE - 1);
    big[VMHA_WIRE_MAX_SIZE - 1] = '\0';
    assert_int_equal(vmha_msg_add_u64(big_reply, VMHA_F_RC, 0), 0);
    assert_int_equal(vmha_msg_add_str(big_reply, VMHA_F_MESSAGE, "ok"), 0);
    assert_int_equal(vmha_msg_add_str(big_reply, VMHA_F_CIB, big), -E2BIG);
}

/* A reply may carry a database larger than any other message: it is built and read with the
 * larger bound, and still refused where the ordinary bound applies (CPG, requests). */
static void test_bounded_reply(void **state)
{
    size_t n = 3 * (size_t)VMHA_WIRE_MAX_SIZE;
    g_autofree char *big = g_malloc(n + 1);
    g_autofree uint8_t *buf = NULL;
    size_t len = 0, total = 0;
    VmhaMsg *d = NULL;

    memset(big, 'c', n);
    big[n] = '\0';
    g_autoptr(VmhaMsg) small = vmha_msg_new(VMHA_MSG_REPLY);
    assert_int_equal(vmha_msg_add_str(small, VMHA_F_CIB, big), -E2BIG);
    g_autoptr(VmhaMsg) m = vmha_msg_new_bounded(VMHA_MSG_REPLY, VMHA_WIRE_MAX_REPLY_SIZE);
    assert_int_equal(vmha_msg_add_u64(m, VMHA_F_RC, 0), 0);
    assert_int_equal(vmha_msg_add_str(m, VMHA_F_CIB, big), 0);
    assert_int_equal(vmha_msg_encode(m, &buf, &len), 0);
    assert_int_equal(vmha_msg_peek_length(buf, len, &total), -E2BIG);
    assert_int_equal(vmha_msg_decode(buf, len, &d), -E2BIG);
    assert_int_equal(vmha_msg_peek_length_bounded(buf, len, VMHA_WIRE_MAX_REPLY_SIZE, &total), 0);
    assert_int_equal(total, len);
    assert_int_equal(vmha_msg_decode_bounded(buf, len, VMHA_WIRE_MAX_REPLY_SIZE, &d), 0);
    assert_int_equal(vmha_msg_get(d, VMHA_F_CIB)->len, n);
    vmha_msg_free(d);
    d = NULL;
    /* Truncated: refused whole. */
    assert_int_equal(vmha_msg_decode_bounded(buf, len - 1, VMHA_WIRE_MAX_REPLY_SIZE, &d), -EBADMSG);
    assert_null(d);
    /* The larger bound has a bound too: a header announcing more is refused before reading. */
    uint8_t hdr[VMHA_WIRE_HEADER_SIZE] = {'V', 'M', 'H', 'A', 1,    0,    32,   0,
                                          1,   0,   0,   0,   0xff, 0xff, 0xff, 0x7f};
    assert_int_equal(
            vmha_msg_peek_length_bounded(hdr, sizeof(hdr), VMHA_WIRE_MAX_REPLY_SIZE, &total),
            -E2BIG);
    /* Bounds are clamped to [VMHA_WIRE_MAX_SIZE, VMHA_WIRE_MAX_REPLY_SIZE]. */
    g_autoptr(VmhaMsg) tiny = vmha_msg_new_bounded(VMHA_MSG_REPLY, 10);
    assert_int_equal(tiny->max_size, VMHA_WIRE_MAX_SIZE);
    g_autoptr(VmhaMsg) huge = vmha_msg_new_bounded(VMHA_MSG_REPLY, G_MAXSIZE);
    assert_int_equal(huge->max_size, VMHA_WIRE_MAX_REPLY_SIZE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_roundtrip), cmocka_unit_test(test_truncated_and_garbage),
            cmocka_unit_test(test_oversized), cmocka_unit_test(test_bad_strings),
            cmocka_unit_test(test_cib_query), cmocka_unit_test(test_bounded_reply),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
