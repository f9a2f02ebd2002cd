/* A client's output queue: pure accounting, no I/O. */
#include "outqueue.h"

#include <errno.h>

void vmha_outq_init(VmhaOutQueue *q)
{
    g_queue_init(&q->bufs);
    q->head_off = 0;
    q->queued = 0;
    q->last_progress_us = 0;
}

void vmha_outq_clear(VmhaOutQueue *q)
{
    GBytes *b;

    while ((b = g_queue_pop_head(&q->bufs)))
        g_bytes_unref(b);
    q->head_off = 0;
    q->queued = 0;
}

int vmha_outq_push(VmhaOutQueue *q, GBytes *data, size_t limit, int64_t now_us)
{
    size_t n = g_bytes_get_size(data);

    if (n > limit || q->queued > limit - n)
        return -ENOBUFS;
    if (n == 0)
        return 0;
    if (q->queued == 0)
        q->last_progress_us = now_us;
    g_queue_push_tail(&q->bufs, g_bytes_ref(data));
    q->queued += n;
    return 0;
}

bool vmha_outq_peek(const VmhaOutQueue *q, const uint8_t **ret_data, size_t *ret_len)
{
    GBytes *head = q->bufs.head ? q->bufs.head->data : NULL;
    size_t size = 0;

    if (!head)
        return false;
    const uint8_t *d = g_bytes_get_data(head, &size);
    *ret_data = d + q->head_off;
    *ret_len = size - q->head_off;
    return true;
}

void vmha_outq_consumed(VmhaOutQueue *q, size_t n, int64_t now_us)
{
    if (n == 0)
        return;
    q->last_progress_us = now_us;
    while (n > 0) {
        GBytes *head = g_queue_peek_head(&q->bufs);
        g_assert(head);
        size_t left = g_bytes_get_size(head) - q->head_off;
        size_t take = MIN(n, left);
        q->head_off += take;
        q->queued -= take;
        n -= take;
        if (q->head_off == g_bytes_get_size(head)) {
            g_bytes_unref(g_queue_pop_head(&q->bufs));
            q->head_off = 0;
        }
    }
}

size_t vmha_outq_queued(const VmhaOutQueue *q)
{
    return q->queued;
}

bool vmha_outq_stalled(const VmhaOutQueue *q, int64_t now_us, int64_t timeout_us)
{
    return q->queued > 0 && now_us - q->last_progress_us >= timeout_us;
}
