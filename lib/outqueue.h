/* A client's output queue on clusterd's local socket: what is still to be written, how far the
 * peer has taken it, and since when it took nothing. clusterd writes only what the socket takes
 * without blocking and drops a peer that stalls (docs/clusterd.md, "The local socket"). Pure: the
 * caller passes the time and does the I/O. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    GQueue bufs;              /* GBytes*, oldest first */
    size_t head_off;          /* bytes of the oldest buffer already written */
    size_t queued;            /* bytes still to write */
    int64_t last_progress_us; /* when the peer last took bytes, or the queue last filled */
} VmhaOutQueue;

void vmha_outq_init(VmhaOutQueue *q);
void vmha_outq_clear(VmhaOutQueue *q);
/* Queues data (a reference is taken) unless the queue would then hold more than limit bytes:
 * -ENOBUFS, nothing queued. now_us starts the stall clock when the queue was empty. */
int vmha_outq_push(VmhaOutQueue *q, GBytes *data, size_t limit,
                   int64_t now_us) G_GNUC_WARN_UNUSED_RESULT;
/* The next bytes to write (a part of one buffer); false when the queue is empty. */
bool vmha_outq_peek(const VmhaOutQueue *q, const uint8_t **ret_data, size_t *ret_len);
/* The peer took n bytes of what peek gave (n > 0 restarts the stall clock). */
void vmha_outq_consumed(VmhaOutQueue *q, size_t n, int64_t now_us);
size_t vmha_outq_queued(const VmhaOutQueue *q);
/* Bytes are waiting and the peer took none of them for timeout_us. */
bool vmha_outq_stalled(const VmhaOutQueue *q, int64_t now_us, int64_t timeout_us);
