/* Shell scripts run on cluster hosts for `vmctl cluster setup/join/leave`: over SSH as root with
 * the administrator's keys (BatchMode: a host that would ask for a password fails instead), or
 * directly on the host vmctl runs on. One master connection per host (ControlMaster), so every
 * step after the first costs one round trip. A script is read whole before it runs, with its
 * standard input on /dev/null, so nothing it starts can eat the rest of it. */
#pragma once

#include <glib.h>
#include <stdbool.h>

typedef struct {
    char *name;
    char *addr;
    bool local; /* the host vmctl runs on: no SSH */
} VmctlHost;

typedef struct {
    int status; /* the script's exit status; -1 when it could not run or was cut off */
    char *out;
    char *err;
} VmctlRemoteResult;

void vmctl_remote_result_clear(VmctlRemoteResult *r);

typedef struct VmctlRemote VmctlRemote;

VmctlRemote *vmctl_remote_new(void);
/* Closes the master connections and removes their sockets. */
void vmctl_remote_free(VmctlRemote *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmctlRemote, vmctl_remote_free)

/* Runs scripts[i] on hosts[i], all at once, and waits for them; a script still running after
 * timeout_s is cut off (status -1). ret[i] gets each result (clear them). */
void vmctl_remote_run_all(VmctlRemote *r, VmctlHost *const *hosts, const char *const *scripts,
                          size_t n, unsigned timeout_s, VmctlRemoteResult *ret);

/* The last non-empty line of text (an ssh error, a script's reason), or "no output". */
char *vmctl_remote_last_line(const char *text);
