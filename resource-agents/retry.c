#include <libvirt/virterror.h>

#include "retry.h"

bool vm_retry_libvirt_unreachable(int error_domain, int error_code)
{
    switch (error_code) {
    case VIR_ERR_NO_CONNECT:   /* no driver answered the URI: the daemon is not there */
    case VIR_ERR_INVALID_CONN: /* the connection object was closed under us */
        return true;
    case VIR_ERR_SYSTEM_ERROR: /* connect(2) refused, ENOENT, EOF while reading, ... */
    case VIR_ERR_INTERNAL_ERROR:
    case VIR_ERR_RPC:
        /* Only from the transport: the same codes from the qemu driver are about the VM. */
        return error_domain == VIR_FROM_RPC || error_domain == VIR_FROM_REMOTE;
    default:
        return false;
    }
}

gint64 vm_retry_deadline(gint64 start_us, uint64_t timeout_ms)
{
    if (timeout_ms == 0)
        return start_us + VM_RETRY_DEFAULT_US;
    gint64 timeout_us = (gint64)MIN(timeout_ms, (uint64_t)G_MAXINT64 / 2000) * 1000;
    gint64 margin = CLAMP(timeout_us / 6, 2 * G_USEC_PER_SEC, 10 * G_USEC_PER_SEC);
    return start_us + MAX(timeout_us - margin, 0);
}

gint64 vm_retry_delay_us(unsigned attempt)
{
    gint64 d = 100 * 1000;
    for (unsigned i = 0; i < attempt && d < G_USEC_PER_SEC; i++)
        d *= 2;
    return MIN(d, G_USEC_PER_SEC);
}

bool vm_retry_again(gint64 now_us, gint64 deadline_us, unsigned attempt)
{
    return now_us + vm_retry_delay_us(attempt) < deadline_us;
}
