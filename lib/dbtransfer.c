/* The database's transfer during sync, in chunks: pure encoding and strictly checked
 * reassembly. */
#include "dbtransfer.h"

#include <errno.h>
#include <gio/gio.h>
#include <string.h>

#include "dbsync.h"

#define ENCODING_ZLIB     "zlib"
#define ENCODING_IDENTITY "identity"
/* zlib's fastest level: a chunk is compressed on clusterd's main loop, and what the network
 * gains from the slower levels is small against what the CPU loses. */
#define ZLIB_LEVEL 1

struct VmhaSyncSender {
    char *key;
    uint8_t *doc;
    size_t len;
    uint64_t count, next;
    char digest[VMHA_DIGEST_LEN + 1];
};

struct VmhaSyncReceiver {
    bool keep, broken, complete;
    uint64_t received, count, size;
    char digest[VMHA_DIGEST_LEN + 1];
    GByteArray *doc;
};

/* Runs a whole input through a zlib converter into out (appended), producing at most limit
 * bytes: -EFBIG when the output would be larger, -EBADMSG when the input is not a complete zlib
 * stream or has bytes after its end. */
static int zlib_run(GConverter *conv, const uint8_t *in, size_t in_len, size_t limit,
                    GByteArray *out)
{
    size_t in_off = 0, produced = 0;

    for (;;) {
        /* One byte beyond the limit: output that reaches it is detected, not cut. */
        size_t room = MIN((size_t)64 * 1024, limit + 1 - produced);
        guint old = out->len;
        gsize nread = 0, nwritten = 0;
        g_autoptr(GError) error = NULL;

        g_byte_array_set_size(out, old + (guint)room);
        GConverterResult res =
                g_converter_convert(conv, in + in_off, in_len - in_off, out->data + old, room,
                                    G_CONVERTER_INPUT_AT_END, &nread, &nwritten, &error);
        g_byte_array_set_size(out, old + (guint)nwritten);
        in_off += nread;
        produced += nwritten;
        if (produced > limit)
            return -EFBIG;
        if (res == G_CONVERTER_ERROR)
            return g_error_matches(error, G_IO_ERROR, G_IO_ERROR_NO_SPACE) ? -EFBIG : -EBADMSG;
        if (res == G_CONVERTER_FINISHED)
            return in_off == in_len ? 0 : -EBADMSG;
    }
}

static void sha256_hex(const uint8_t *data, size_t len, char ret[VMHA_DIGEST_LEN + 1])
{
    g_autofree char *d = g_compute_checksum_for_data(G_CHECKSUM_SHA256, data, len);
    g_strlcpy(ret, d, VMHA_DIGEST_LEN + 1);
}

int vmha_sync_sender_new(const char *view_key, const char *doc, size_t len,
                         VmhaSyncSender **ret_sender)
{
    if (len > VMHA_SYNC_MAX_SIZE)
        return -EFBIG;
    VmhaSyncSender *s = g_new0(VmhaSyncSender, 1);
    s->key = g_strdup(view_key);
    s->doc = g_memdup2(doc, MAX(len, 1));
    s->len = len;
    s->count = MAX((len + VMHA_SYNC_SLICE_SIZE - 1) / VMHA_SYNC_SLICE_SIZE, 1);
    sha256_hex(s->doc, len, s->digest);
    *ret_sender = s;
    return 0;
}

void vmha_sync_sender_free(VmhaSyncSender *s)
{
    if (!s)
        return;
    g_free(s->key);
    g_free(s->doc);
    g_free(s);
}

uint64_t vmha_sync_sender_count(const VmhaSyncSender *s)
{
    return s->count;
}

int vmha_sync_sender_next(VmhaSyncSender *s, VmhaMsg **ret_msg)
{
    if (s->next >= s->count)
        return -ENOENT;
    size_t off = (size_t)s->next * VMHA_SYNC_SLICE_SIZE;
    size_t n = MIN(VMHA_SYNC_SLICE_SIZE, s->len - off);
    g_autoptr(GByteArray) packed = g_byte_array_new();
    g_autoptr(GZlibCompressor) z = g_zlib_compressor_new(G_ZLIB_COMPRESSOR_FORMAT_ZLIB, ZLIB_LEVEL);
    /* Compressed only when that saves something; a slice that does not shrink goes as it is. */
    bool compressed = n > 0 && zlib_run(G_CONVERTER(z), s->doc + off, n, n - 1, packed) == 0;
    g_autoptr(VmhaMsg) m = vmha_msg_new(VMHA_MSG_SYNC_DATA);

    if (vmha_msg_add_str(m, VMHA_F_MEMBERS, s->key) < 0 ||
        vmha_msg_add_u64(m, VMHA_F_CHUNK_INDEX, s->next) < 0 ||
        vmha_msg_add_u64(m, VMHA_F_CHUNK_COUNT, s->count) < 0 ||
        vmha_msg_add_u64(m, VMHA_F_SIZE, s->len) < 0 ||
        vmha_msg_add_str(m, VMHA_F_DIGEST, s->digest) < 0 ||
        vmha_msg_add_str(m, VMHA_F_ENCODING, compressed ? ENCODING_ZLIB : ENCODING_IDENTITY) < 0 ||
        vmha_msg_add_bytes(m, VMHA_F_CHUNK, compressed ? packed->data : s->doc + off,
                           compressed ? packed->len : n) < 0)
        return -E2BIG;
    s->next++;
    *ret_msg = g_steal_pointer(&m);
    return 0;
}

VmhaSyncReceiver *vmha_sync_receiver_new(bool keep)
{
    VmhaSyncReceiver *r = g_new0(VmhaSyncReceiver, 1);
    r->keep = keep;
    r->doc = g_byte_array_new();
    return r;
}

void vmha_sync_receiver_free(VmhaSyncReceiver *r)
{
    if (!r)
        return;
    g_byte_array_unref(r->doc);
    g_free(r);
}

static int broken(VmhaSyncReceiver *r, char **ret_error, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static int broken(VmhaSyncReceiver *r, char **ret_error, const char *fmt, ...)
{
    va_list ap;

    r->broken = true;
    g_byte_array_set_size(r->doc, 0);
    va_start(ap, fmt);
    *ret_error = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    return -EBADMSG;
}

static bool digest_valid(const char *d)
{
    if (strlen(d) != VMHA_DIGEST_LEN)
        return false;
    for (const char *p = d; *p; p++)
        if (!g_ascii_isxdigit(*p) || g_ascii_isupper(*p))
            return false;
    return true;
}

int vmha_sync_receiver_add(VmhaSyncReceiver *r, const VmhaMsg *chunk, char **ret_error)
{
    uint64_t index = 0, count = 0, size = 0;
    g_autofree char *digest = NULL, *encoding = NULL;
    const VmhaWireField *data = vmha_msg_get(chunk, VMHA_F_CHUNK);

    if (r->broken)
        return broken(r, ret_error, "an earlier chunk of this transfer was refused");
    if (r->complete)
        return broken(r, ret_error, "a chunk after the last one");
    if (chunk->type != VMHA_MSG_SYNC_DATA || !data ||
        vmha_msg_get_u64(chunk, VMHA_F_CHUNK_INDEX, &index) < 0 ||
        vmha_msg_get_u64(chunk, VMHA_F_CHUNK_COUNT, &count) < 0 ||
        vmha_msg_get_u64(chunk, VMHA_F_SIZE, &size) < 0 ||
        vmha_msg_get_str(chunk, VMHA_F_DIGEST, &digest) < 0 || !digest_valid(digest) ||
        vmha_msg_get_str(chunk, VMHA_F_ENCODING, &encoding) < 0)
        return broken(r, ret_error, "a malformed chunk");
    if (index != r->received)
        return broken(r, ret_error,
                      "chunk %" G_GUINT64_FORMAT " where %" G_GUINT64_FORMAT " was due", index,
                      r->received);
    if (index == 0) {
        if (size > VMHA_SYNC_MAX_SIZE)
            return broken(r, ret_error,
                          "a document of %" G_GUINT64_FORMAT " bytes, more than the %u accepted",
                          size, (unsigned)VMHA_SYNC_MAX_SIZE);
        if (count == 0 || count > size + 1)
            return broken(r, ret_error,
                          "%" G_GUINT64_FORMAT " chunks for %" G_GUINT64_FORMAT " bytes", count,
                          size);
        r->count = count;
        r->size = size;
        g_strlcpy(r->digest, digest, sizeof(r->digest));
    } else if (count != r->count || size != r->size || strcmp(digest, r->digest) != 0) {
        return broken(r, ret_error, "chunk %" G_GUINT64_FORMAT " belongs to another transfer",
                      index);
    }
    bool zlib = strcmp(encoding, ENCODING_ZLIB) == 0;
    if (!zlib && strcmp(encoding, ENCODING_IDENTITY) != 0)
        return broken(r, ret_error, "unknown encoding '%s'", encoding);
    if (r->keep) {
        size_t room = (size_t)(r->size - r->doc->len);
        if (zlib) {
            g_autoptr(GZlibDecompressor) z = g_zlib_decompressor_new(G_ZLIB_COMPRESSOR_FORMAT_ZLIB);
            int e = zlib_run(G_CONVERTER(z), data->data, data->len, room, r->doc);
            if (e < 0)
                return broken(r, ret_error, "chunk %" G_GUINT64_FORMAT " %s", index,
                              e == -EFBIG ? "holds more than the announced size"
                                          : "is not a valid zlib stream");
        } else {
            if (data->len > room)
                return broken(r, ret_error,
                              "chunk %" G_GUINT64_FORMAT " holds more than the announced size",
                              index);
            g_byte_array_append(r->doc, data->data, data->len);
        }
    }
    r->received++;
    if (r->received < r->count)
        return 0;
    if (r->keep) {
        char got[VMHA_DIGEST_LEN + 1];
        if (r->doc->len != r->size)
            return broken(r, ret_error, "%u bytes where %" G_GUINT64_FORMAT " were announced",
                          r->doc->len, r->size);
        sha256_hex(r->doc->data, r->doc->len, got);
        if (strcmp(got, r->digest) != 0)
            return broken(r, ret_error, "the document's digest does not match");
        if (r->doc->len > 0 && memchr(r->doc->data, '\0', r->doc->len))
            return broken(r, ret_error, "the document holds a NUL byte");
        g_byte_array_append(r->doc, (const uint8_t *)"", 1);
    }
    r->complete = true;
    return 1;
}

const char *vmha_sync_receiver_document(const VmhaSyncReceiver *r, size_t *ret_len)
{
    if (!r->complete || !r->keep) {
        *ret_len = 0;
        return NULL;
    }
    *ret_len = r->doc->len - 1;
    return (const char *)r->doc->data;
}

uint64_t vmha_sync_receiver_received(const VmhaSyncReceiver *r)
{
    return r->received;
}
