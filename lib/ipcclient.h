/* One request to the local clusterd over its unix socket and its reply: the exchange vmctl and
 * vmha-web share (docs/clusterd.md, "The local socket"). Does I/O: part of libvmha-io. */
#pragma once

#include "vmha/wire.h"

/* How an exchange failed before clusterd answered. */
typedef enum {
    VMHA_IPC_OK = 0,
    VMHA_IPC_BAD_REQUEST, /* the request does not encode (over its size bound), the path is too long
                           */
    VMHA_IPC_NO_DAEMON,   /* cannot connect: clusterd is not running */
    VMHA_IPC_LOST,        /* the connection ended before a reply */
    VMHA_IPC_TIMEOUT,     /* no whole reply within the timeout */
    VMHA_IPC_MALFORMED,   /* a reply that is not a well-formed REPLY */
} VmhaIpcError;

/* Sends req to the socket at path and waits up to timeout_ms for the reply. VMHA_IPC_OK with
 * *ret_reply, its rc (a VMHA_RESULT_* code) and its message; otherwise the failure, and
 * *ret_error says why in one line (errno text included where there is one). */
VmhaIpcError vmha_ipc_exchange(const char *path, const VmhaMsg *req, int timeout_ms,
                               VmhaMsg **ret_reply, int *ret_rc, char **ret_message,
                               char **ret_error);
