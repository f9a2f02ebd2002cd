/* The database's transfer during sync: the chosen source cuts its document into slices, each
 * sent as one SYNC_DATA message (zlib-compressed when that makes it smaller); every receiver
 * checks each chunk against the ones before and, at the last one, the whole document's size and
 * SHA-256 digest before anyone may adopt it. Pure: no I/O, no clock. docs/clusterd.md,
 * "Replication", describes the exchange. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmha/wire.h"

/* The sync protocol this code speaks (SYNC_STATE's F_SYNC_PROTOCOL): 2, SYNC_DATA in chunks. */
#define VMHA_SYNC_PROTOCOL 2
/* Bytes of the document per chunk, before compression: a chunk stays far below
 * VMHA_WIRE_MAX_SIZE even when it does not compress. */
#define VMHA_SYNC_SLICE_SIZE (1024u * 1024)
/* The largest document a receiver accepts: a transfer announcing more is refused before any
 * memory is taken for it. */
#define VMHA_SYNC_MAX_SIZE (VMHA_WIRE_MAX_REPLY_SIZE - VMHA_WIRE_MAX_SIZE)

typedef struct VmhaSyncSender VmhaSyncSender;
typedef struct VmhaSyncReceiver VmhaSyncReceiver;

/* A transfer of doc (len bytes, not NUL-terminated necessarily) for the view view_key; doc is
 * copied. -EFBIG when len is over VMHA_SYNC_MAX_SIZE. */
int vmha_sync_sender_new(const char *view_key, const char *doc, size_t len,
                         VmhaSyncSender **ret_sender) G_GNUC_WARN_UNUSED_RESULT;
void vmha_sync_sender_free(VmhaSyncSender *s);
/* How many chunks the transfer has (at least one: an empty document is one empty chunk). */
uint64_t vmha_sync_sender_count(const VmhaSyncSender *s);
/* The next chunk's SYNC_DATA message; -ENOENT after the last one. Each call moves on: a caller
 * that could not send a message keeps it and sends it again. */
int vmha_sync_sender_next(VmhaSyncSender *s, VmhaMsg **ret_msg) G_GNUC_WARN_UNUSED_RESULT;

/* A receiver of one transfer. keep: assemble the document; otherwise (a member whose copy
 * already is the source's) only check that the chunks come whole and in order. */
VmhaSyncReceiver *vmha_sync_receiver_new(bool keep);
void vmha_sync_receiver_free(VmhaSyncReceiver *r);
/* Takes the next SYNC_DATA chunk (any F_MEMBERS check is the caller's). Returns 0 while more
 * chunks are due, 1 after the last one (with keep: the document is complete and its size and
 * digest checked), or -EBADMSG with *ret_error saying why (malformed, out of order, not matching
 * the chunks before, too large, a wrong size or digest): the transfer is then broken and every
 * further chunk is refused too. */
int vmha_sync_receiver_add(VmhaSyncReceiver *r, const VmhaMsg *chunk,
                           char **ret_error) G_GNUC_WARN_UNUSED_RESULT;
/* The checked document after add() returned 1 with keep (NUL-terminated; NULL otherwise). */
const char *vmha_sync_receiver_document(const VmhaSyncReceiver *r, size_t *ret_len);
/* Chunks taken so far. */
uint64_t vmha_sync_receiver_received(const VmhaSyncReceiver *r);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmhaSyncSender, vmha_sync_sender_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmhaSyncReceiver, vmha_sync_receiver_free)
