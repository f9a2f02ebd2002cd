/* The result of a request to clusterd: what clusterd returns in a reply's VMHA_F_RC, and what
 * vmctl exits with (vmctl(8), EXIT STATUS). One list, so that the daemon, the wire and the CLI
 * cannot disagree; the daemon never includes the CLI's headers. */
#pragma once

typedef enum {
    VMHA_RESULT_OK = 0,
    VMHA_RESULT_FAILURE = 1, /* the operation failed */
    VMHA_RESULT_USAGE = 2,   /* bad command line or bad value */
    VMHA_RESULT_NO_QUORUM = 3,
    VMHA_RESULT_NO_DAEMON = 4, /* clusterd is not running or not reachable */
    VMHA_RESULT_DENIED = 5,    /* not allowed for this user */
    VMHA_RESULT_NOT_FOUND = 6, /* unknown VM, node or fence device */
    VMHA_RESULT_REFUSED =
            7, /* not done: unsafe or impossible now (reason given), nothing changed */
} VmhaResult;
