/* The database's transfer during sync: chunks through the wire codec and back, and every way a
 * transfer can be broken (order, mixing, size, digest, encoding) refused before adoption. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <errno.h>
#include <gio/gio.h>

#include "dbtransfer.h"

#define KEY "1:100,2:200"

/* Printable text of len bytes: compressible (a repeated phrase) or not (pseudo-random). */
static char *make_doc(size_t len, bool compressible, uint32_t seed)
{
    char *d = g_malloc(len + 1);
    GRand *rand = g_rand_new_with_seed(seed);

    for (size_t i = 0; i < len; i++)
        d[i] = compressible ? "<nvpair id=\"a\" value=\"b\"/>\n"[i % 27]
                            : (char)g_rand_int_range(rand, 33, 127);
    d[len] = '\0';
    g_rand_free(rand);
    return d;
}

/* All of a sender's messages, each through encode and decode as CPG would carry it. */
static GPtrArray *all_chunks(VmhaSyncSender *s)
{
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)vmha_msg_free);
    VmhaMsg *m = NULL;

    while (vmha_sync_sender_next(s, &m) == 0) {
        g_autofree uint8_t *buf = NULL;
        size_t len = 0;
        VmhaMsg *d = NULL;
        assert_int_equal(vmha_msg_encode(m, &buf, &len), 0);
        assert_true(len <= VMHA_WIRE_MAX_SIZE);
        assert_int_equal(vmha_msg_decode(buf, len, &d), 0);
        vmha_msg_free(m);
        g_ptr_array_add(out, d);
    }
    assert_int_equal(out->len, vmha_sync_sender_count(s));
    return out;
}

static GPtrArray *chunks_of(const char *doc, size_t len)
{
    g_autoptr(VmhaSyncSender) s = NULL;

    assert_int_equal(vmha_sync_sender_new(KEY, doc, len, &s), 0);
    return all_chunks(s);
}

static const char *encoding_of(const VmhaMsg *m)
{
    const VmhaWireField *f = vmha_msg_get(m, VMHA_F_ENCODING);
    assert_non_null(f);
    return (const char *)f->data;
}

/* Feeds every chunk to a new receiver; returns the last add()'s result. */
static int feed(GPtrArray *chunks, bool keep, VmhaSyncReceiver **ret_r, char **ret_error)
{
    VmhaSyncReceiver *r = vmha_sync_receiver_new(keep);
    int rc = 0;

    *ret_error = NULL;
    for (guint i = 0; i < chunks->len; i++) {
        g_clear_pointer(ret_error, g_free);
        rc = vmha_sync_receiver_add(r, g_ptr_array_index(chunks, i), ret_error);
        if (i + 1 < chunks->len && rc != 0)
            break;
    }
    *ret_r = r;
    return rc;
}

static void roundtrip(size_t len, bool compressible, uint64_t want_chunks)
{
    g_autofree char *doc = make_doc(len, compressible, (uint32_t)len);
    g_autoptr(GPtrArray) chunks = chunks_of(doc, len);
    g_autoptr(VmhaSyncReceiver) r = NULL;
    g_autofree char *error = NULL;
    size_t got_len = 0;

    assert_int_equal(chunks->len, want_chunks);
    assert_int_equal(feed(chunks, true, &r, &error), 1);
    assert_null(error);
    const char *got = vmha_sync_receiver_document(r, &got_len);
    assert_non_null(got);
    assert_int_equal(got_len, len);
    assert_memory_equal(got, doc, len);
    assert_int_equal(got[len], '\0');
    assert_int_equal(vmha_sync_receiver_received(r), want_chunks);
}

static void test_roundtrip(void **state)
{
    roundtrip(0, true, 1); /* an empty document is one empty chunk */
    roundtrip(1, false, 1);
    roundtrip(5000, true, 1);
    roundtrip(VMHA_SYNC_SLICE_SIZE, false, 1);
    roundtrip(VMHA_SYNC_SLICE_SIZE + 1, false, 2);
    /* Over the 4 MiB a single message can carry, the old limit of sync. */
    roundtrip(7 * VMHA_SYNC_SLICE_SIZE / 2, true, 4);
    roundtrip(9 * VMHA_SYNC_SLICE_SIZE / 2, false, 5);
}

static void test_encoding_choice(void **state)
{
    g_autofree char *text = make_doc(3 * VMHA_SYNC_SLICE_SIZE, true, 1);
    g_autofree char *noise = make_doc(2 * VMHA_SYNC_SLICE_SIZE, false, 2);
    g_autoptr(GPtrArray) a = chunks_of(text, strlen(text));
    g_autoptr(GPtrArray) b = chunks_of(noise, strlen(noise));
    size_t wire = 0;

    /* Text shrinks: compressed, and much smaller than the slice. */
    for (guint i = 0; i < a->len; i++) {
        assert_string_equal(encoding_of(g_ptr_array_index(a, i)), "zlib");
        wire += vmha_msg_get(g_ptr_array_index(a, i), VMHA_F_CHUNK)->len;
    }
    assert_true(wire < strlen(text) / 10);
    /* 94 printable characters at random compress a little (6.6 of 8 bits); pure noise would
     * not: either way no chunk is ever larger than its slice. */
    for (guint i = 0; i < b->len; i++)
        assert_true(vmha_msg_get(g_ptr_array_index(b, i), VMHA_F_CHUNK)->len <=
                    VMHA_SYNC_SLICE_SIZE);
    /* A slice that does not shrink at all goes as it is. */
    g_autofree uint8_t *rnd = g_malloc(VMHA_SYNC_SLICE_SIZE);
    GRand *rand = g_rand_new_with_seed(3);
    for (size_t i = 0; i < VMHA_SYNC_SLICE_SIZE; i++)
        rnd[i] = (uint8_t)g_rand_int_range(rand, 1, 256);
    g_rand_free(rand);
    g_autoptr(GPtrArray) c = chunks_of((const char *)rnd, VMHA_SYNC_SLICE_SIZE);
    assert_string_equal(encoding_of(g_ptr_array_index(c, 0)), "identity");
    assert_int_equal(vmha_msg_get(g_ptr_array_index(c, 0), VMHA_F_CHUNK)->len,
                     VMHA_SYNC_SLICE_SIZE);
}

static void test_fields(void **state)
{
    g_autofree char *doc = make_doc(VMHA_SYNC_SLICE_SIZE + 10, true, 4);
    g_autoptr(GPtrArray) chunks = chunks_of(doc, strlen(doc));
    g_autofree char *want = g_compute_checksum_for_string(G_CHECKSUM_SHA256, doc, -1);

    for (guint i = 0; i < chunks->len; i++) {
        const VmhaMsg *m = g_ptr_array_index(chunks, i);
        g_autofree char *key = NULL, *digest = NULL;
        uint64_t index, count, size;
        assert_int_equal(m->type, VMHA_MSG_SYNC_DATA);
        assert_int_equal(vmha_msg_get_str(m, VMHA_F_MEMBERS, &key), 0);
        assert_string_equal(key, KEY);
        assert_int_equal(vmha_msg_get_u64(m, VMHA_F_CHUNK_INDEX, &index), 0);
        assert_int_equal(vmha_msg_get_u64(m, VMHA_F_CHUNK_COUNT, &count), 0);
        assert_int_equal(vmha_msg_get_u64(m, VMHA_F_SIZE, &size), 0);
        assert_int_equal(vmha_msg_get_str(m, VMHA_F_DIGEST, &digest), 0);
        assert_int_equal(index, i);
        assert_int_equal(count, 2);
        assert_int_equal(size, strlen(doc));
        assert_string_equal(digest, want);
    }
}

/* A copy of m with field tag's data replaced (or removed when data is NULL). */
static VmhaMsg *with_field(const VmhaMsg *m, uint16_t tag, const void *data, size_t len)
{
    VmhaMsg *c = vmha_msg_new(m->type);
    for (guint i = 0; i < m->fields->len; i++) {
        const VmhaWireField *f = g_ptr_array_index(m->fields, i);
        if (f->tag != tag)
            assert_int_equal(vmha_msg_add_bytes(c, f->tag, f->data, f->len), 0);
        else if (data)
            assert_int_equal(vmha_msg_add_bytes(c, tag, data, len), 0);
    }
    return c;
}

/* m sent as it is ("identity") with data instead. */
static VmhaMsg *with_plain(const VmhaMsg *m, const void *data, size_t len)
{
    g_autoptr(VmhaMsg) plain = with_field(m, VMHA_F_ENCODING, "identity", 8);
    return with_field(plain, VMHA_F_CHUNK, data, len);
}

static VmhaMsg *with_u64(const VmhaMsg *m, uint16_t tag, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    return with_field(m, tag, b, sizeof(b));
}

/* Feeds chunks 0..n-1 of chunks, then bad; returns bad's result. */
static int feed_then(GPtrArray *chunks, guint n, VmhaMsg *bad, bool keep, char **ret_error)
{
    g_autoptr(VmhaSyncReceiver) r = vmha_sync_receiver_new(keep);
    g_autoptr(VmhaMsg) owned = bad;

    for (guint i = 0; i < n; i++) {
        g_autofree char *e = NULL;
        assert_int_equal(vmha_sync_receiver_add(r, g_ptr_array_index(chunks, i), &e), 0);
    }
    int rc = vmha_sync_receiver_add(r, bad, ret_error);
    if (rc < 0) {
        /* Broken for good: not even the right next chunk is taken now. */
        g_autofree char *again = NULL;
        assert_int_equal(vmha_sync_receiver_add(r, g_ptr_array_index(chunks, n), &again), -EBADMSG);
        assert_null(vmha_sync_receiver_document(r, &(size_t){0}));
    }
    return rc;
}

#define COPY(i) with_field(g_ptr_array_index(chunks, i), 0, NULL, 0)

/* rc and *error after a refusal (error is read after rc was computed: not an argument). */
static void expect_refused(int rc, char **error, const char *words)
{
    assert_int_equal(rc, -EBADMSG);
    assert_non_null(*error);
    assert_non_null(strstr(*error, words));
    g_clear_pointer(error, g_free);
}

static void test_order_and_mixing(void **state)
{
    g_autofree char *doc = make_doc(3 * VMHA_SYNC_SLICE_SIZE, true, 5);
    g_autofree char *other = make_doc(3 * VMHA_SYNC_SLICE_SIZE, true, 6);
    g_autoptr(GPtrArray) chunks = chunks_of(doc, strlen(doc));
    g_autoptr(GPtrArray) others = chunks_of(other, strlen(other) - 1);
    char *error = NULL;

    assert_int_equal(chunks->len, 3);
    /* A chunk skipped, a chunk twice, a transfer starting in the middle. */
    expect_refused(feed_then(chunks, 1, COPY(2), true, &error), &error, "was due");
    expect_refused(feed_then(chunks, 1, COPY(0), true, &error), &error, "was due");
    expect_refused(feed_then(chunks, 0, COPY(1), false, &error), &error, "was due");
    /* A chunk of another transfer (another document, or another size or count). */
    expect_refused(feed_then(chunks, 1, with_field(g_ptr_array_index(others, 1), 0, NULL, 0), true,
                             &error),
                   &error, "another transfer");
    expect_refused(feed_then(chunks, 1, with_u64(g_ptr_array_index(chunks, 1), VMHA_F_SIZE, 7),
                             false, &error),
                   &error, "another transfer");
    expect_refused(feed_then(chunks, 2,
                             with_u64(g_ptr_array_index(chunks, 2), VMHA_F_CHUNK_COUNT, 4), true,
                             &error),
                   &error, "another transfer");
    /* Malformed: a field missing, a digest that is not one. */
    expect_refused(feed_then(chunks, 1,
                             with_field(g_ptr_array_index(chunks, 1), VMHA_F_CHUNK, NULL, 0), true,
                             &error),
                   &error, "malformed");
    expect_refused(feed_then(chunks, 0,
                             with_field(g_ptr_array_index(chunks, 0), VMHA_F_DIGEST, "abc", 3),
                             true, &error),
                   &error, "malformed");
    /* Nothing after the last chunk. */
    g_autoptr(VmhaSyncReceiver) r = NULL;
    assert_int_equal(feed(chunks, false, &r, &error), 1);
    g_clear_pointer(&error, g_free);
    assert_null(vmha_sync_receiver_document(r, &(size_t){0})); /* not kept */
    assert_int_equal(vmha_sync_receiver_add(r, g_ptr_array_index(chunks, 2), &error), -EBADMSG);
    g_free(error);
}

static void test_content_checks(void **state)
{
    g_autofree char *doc = make_doc(2 * VMHA_SYNC_SLICE_SIZE + 100, true, 7);
    g_autoptr(GPtrArray) chunks = chunks_of(doc, strlen(doc));
    char *error = NULL;

    /* One byte changed in the last chunk's data: it still inflates, to the wrong text. */
    const VmhaMsg *last = g_ptr_array_index(chunks, 2);
    g_autofree char *tail = g_strndup(doc + 2 * VMHA_SYNC_SLICE_SIZE, 100);
    tail[50] ^= 1;
    expect_refused(feed_then(chunks, 2, with_plain(last, tail, 100), true, &error), &error,
                   "digest");
    /* Fewer bytes than announced, and more. */
    expect_refused(feed_then(chunks, 2, with_plain(last, tail, 99), true, &error), &error,
                   "announced");
    g_autofree char *longer = g_strnfill(101, 'x');
    expect_refused(feed_then(chunks, 2, with_plain(last, longer, 101), true, &error), &error,
                   "more than the announced size");
    /* A zlib stream that inflates beyond the announced size (a bomb), or is cut short. */
    g_autofree char *zeros = g_strnfill(4 * VMHA_SYNC_SLICE_SIZE, 'a');
    g_autoptr(GZlibCompressor) z = g_zlib_compressor_new(G_ZLIB_COMPRESSOR_FORMAT_ZLIB, 9);
    gsize nread = 0, nwritten = 0;
    g_autofree uint8_t *bomb = g_malloc(VMHA_SYNC_SLICE_SIZE);
    assert_int_equal(g_converter_convert(G_CONVERTER(z), zeros, strlen(zeros), bomb,
                                         VMHA_SYNC_SLICE_SIZE, G_CONVERTER_INPUT_AT_END, &nread,
                                         &nwritten, NULL),
                     G_CONVERTER_FINISHED);
    expect_refused(
            feed_then(chunks, 2, with_field(last, VMHA_F_CHUNK, bomb, nwritten), true, &error),
            &error, "more than the announced size");
    const VmhaWireField *f = vmha_msg_get(last, VMHA_F_CHUNK);
    expect_refused(
            feed_then(chunks, 2, with_field(last, VMHA_F_CHUNK, f->data, f->len - 3), true, &error),
            &error, "not a valid zlib stream");
    expect_refused(feed_then(chunks, 2, with_field(last, VMHA_F_ENCODING, "gzip", 4), true, &error),
                   &error, "unknown encoding");
    /* A size no receiver takes memory for. */
    expect_refused(feed_then(chunks, 0,
                             with_u64(g_ptr_array_index(chunks, 0), VMHA_F_SIZE,
                                      (uint64_t)VMHA_SYNC_MAX_SIZE + 1),
                             true, &error),
                   &error, "more than the");
    /* A NUL byte inside: not a document clusterd can hand to libcib. */
    char nul[] = "<cib>\0</cib>";
    g_autoptr(GPtrArray) with_nul = chunks_of(nul, sizeof(nul) - 1);
    g_autoptr(VmhaSyncReceiver) rn = NULL;
    expect_refused(feed(with_nul, true, &rn, &error), &error, "NUL");
}

static void test_sender_limits(void **state)
{
    VmhaSyncSender *s = NULL;

    assert_int_equal(vmha_sync_sender_new(KEY, "x", (size_t)VMHA_SYNC_MAX_SIZE + 1, &s), -EFBIG);
    assert_null(s);
    assert_int_equal(vmha_sync_sender_new(KEY, "<cib/>", 6, &s), 0);
    VmhaMsg *m = NULL;
    assert_int_equal(vmha_sync_sender_next(s, &m), 0);
    vmha_msg_free(m);
    assert_int_equal(vmha_sync_sender_next(s, &m), -ENOENT);
    vmha_sync_sender_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_roundtrip),      cmocka_unit_test(test_encoding_choice),
            cmocka_unit_test(test_fields),         cmocka_unit_test(test_order_and_mixing),
            cmocka_unit_test(test_content_checks), cmocka_unit_test(test_sender_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
