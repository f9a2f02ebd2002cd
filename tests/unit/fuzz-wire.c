/* Fuzz target for the wire codec. With -DVMHA_LIBFUZZER it is a libFuzzer target; otherwise main()
 * runs it over a deterministic stream of mutated valid messages and random bytes (unit suite). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmha/wire.h"

/* Not CHECK(): it must also hold in builds with NDEBUG. */
#define CHECK(x)                                                                                   \
    do {                                                                                           \
        if (!(x))                                                                                  \
            abort();                                                                               \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(VmhaMsg) msg = NULL;
    size_t total = 0;

    if (vmha_msg_peek_length(data, size, &total) == 0)
        CHECK(total >= VMHA_WIRE_HEADER_SIZE && total <= VMHA_WIRE_MAX_SIZE);
    if (vmha_msg_decode(data, size, &msg) < 0)
        return 0;

    /* Whatever decodes re-encodes to the same bytes, and every getter copes with every field. */
    g_autofree uint8_t *again = NULL;
    size_t len = 0;
    CHECK(vmha_msg_encode(msg, &again, &len) == 0);
    CHECK(len == size && memcmp(again, data, size) == 0);
    for (guint i = 0; i < msg->fields->len; i++) {
        const VmhaWireField *f = g_ptr_array_index(msg->fields, i);
        g_autofree char *s = NULL;
        g_auto(GStrv) v = NULL;
        uint64_t u = 0;
        int r = vmha_msg_get_str(msg, f->tag, &s);
        CHECK(r == 0 || r == -EBADMSG);
        r = vmha_msg_get_strv(msg, f->tag, &v);
        CHECK(r == 0 || r == -EBADMSG);
        r = vmha_msg_get_u64(msg, f->tag, &u);
        CHECK(r == 0 || r == -EBADMSG);
    }
    (void)vmha_msg_type_to_str(msg->type);
    return 0;
}

#ifndef VMHA_LIBFUZZER
int main(void)
{
    g_autoptr(GRand) rand = g_rand_new_with_seed(20261125);
    unsigned decoded = 0;

    for (int iter = 0; iter < 20000; iter++) {
        g_autoptr(VmhaMsg) m = vmha_msg_new((uint16_t)g_rand_int_range(rand, 0, 80));
        int nfields = g_rand_int_range(rand, 0, 12);
        for (int i = 0; i < nfields; i++) {
            char buf[64];
            int len = g_rand_int_range(rand, 0, sizeof(buf));
            for (int j = 0; j < len; j++)
                buf[j] = (char)g_rand_int_range(rand, 0, 256);
            if (vmha_msg_add_bytes(m, (uint16_t)g_rand_int_range(rand, 0, 24), buf, (size_t)len) <
                0)
                return 1;
        }
        g_autofree uint8_t *enc = NULL;
        size_t len = 0;
        if (vmha_msg_encode(m, &enc, &len) < 0)
            return 1;
        /* Mutate: flip bytes, truncate, or extend with garbage. */
        int mutation = g_rand_int_range(rand, 0, 4);
        if (mutation == 1) {
            for (int k = g_rand_int_range(rand, 1, 4); k > 0; k--)
                enc[g_rand_int_range(rand, 0, (gint32)len)] ^=
                        (uint8_t)g_rand_int_range(rand, 1, 256);
        } else if (mutation == 2) {
            len = (size_t)g_rand_int_range(rand, 0, (gint32)len);
        } else if (mutation == 3) {
            size_t extra = (size_t)g_rand_int_range(rand, 1, 32);
            enc = g_realloc(enc, len + extra);
            for (size_t k = 0; k < extra; k++)
                enc[len + k] = (uint8_t)g_rand_int_range(rand, 0, 256);
            len += extra;
        }
        g_autoptr(VmhaMsg) d = NULL;
        if (vmha_msg_decode(enc, len, &d) == 0)
            decoded++;
        LLVMFuzzerTestOneInput(enc, len);
    }
    /* The stream must exercise both paths, or this test would prove nothing. */
    printf("fuzz-wire: 20000 inputs, %u decoded\n", decoded);
    return decoded > 1000 && decoded < 19000 ? 0 : 1;
}
#endif
