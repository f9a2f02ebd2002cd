/* Fuzz target for the database transfer's receiver (lib/dbtransfer.c): during sync every member
 * takes the chosen source's SYNC_DATA chunks from CPG. The input is a stream of wire messages as
 * CPG delivers them (each one encoded, one after the other); the first byte chooses whether the
 * receiver keeps the document. Every chunk is taken or refused with a reason, a refusal breaks
 * the transfer for good, and a document is only ever handed over whole and checked. Never a
 * crash, leak, read out of bounds, or more memory than the announced size allows. */
#include <errno.h>
#include <glib.h>
#include <stdint.h>
#include <string.h>

#include "dbtransfer.h"
#include "vmha/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    g_autoptr(VmhaSyncReceiver) r = vmha_sync_receiver_new(data[0] & 1);
    bool broken = false, done = false;
    size_t off = 1;

    while (off < size) {
        size_t total = 0;
        if (vmha_msg_peek_length(data + off, size - off, &total) < 0 || total > size - off)
            break;
        g_autoptr(VmhaMsg) chunk = NULL;
        if (vmha_msg_decode(data + off, total, &chunk) < 0)
            break;
        off += total;
        g_autofree char *why = NULL;
        uint64_t before = vmha_sync_receiver_received(r);
        int rc = vmha_sync_receiver_add(r, chunk, &why);
        if (rc < 0) {
            if (!why || !*why || rc != -EBADMSG)
                __builtin_trap();
            broken = true;
            continue;
        }
        if (broken || done)
            __builtin_trap(); /* nothing is taken after a refusal or after the last chunk */
        if (vmha_sync_receiver_received(r) != before + 1)
            __builtin_trap();
        if (rc == 1) {
            done = true;
            size_t len = 0;
            const char *doc = vmha_sync_receiver_document(r, &len);
            if ((data[0] & 1) ? !doc || doc[len] != '\0' : doc != NULL)
                __builtin_trap();
        }
    }
    size_t len = 0;
    if (!done && vmha_sync_receiver_document(r, &len))
        __builtin_trap(); /* no document before the last chunk checked */
    return 0;
}
