/* fencer.c: runs a standard fence agent (Debian's fence-agents conventions) against one node,
 * through child.c, and reports what happened. Retrying, and choosing among several devices, is
 * the caller's policy. Contract in docs/executor.md. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "vmha/wire.h"

typedef struct {
    const char *id;    /* the stonith primitive's id, for logs */
    const char *agent; /* "fence_ipmilan": looked up in the trusted agent directories only */
    /* The device's instance attributes, name -> value, passed as name=value lines on stdin.
     * Pacemaker's own pcmk_* options are not passed; pcmk_host_list and pcmk_host_argument are
     * honoured. May be NULL. */
    GHashTable *options;
    unsigned timeout_ms;    /* required */
    unsigned kill_grace_ms; /* 0: CD_CHILD_KILL_GRACE_MS */
} CdFenceDevice;

typedef enum {
    CD_FENCE_OK,            /* the agent exited 0 */
    CD_FENCE_FAILED,        /* the agent exited non-zero: exit_code */
    CD_FENCE_TIMEOUT,       /* killed at the timeout */
    CD_FENCE_SIGNALED,      /* the agent was killed by a signal */
    CD_FENCE_NOT_INSTALLED, /* no such agent, or not executable */
    CD_FENCE_ERROR,         /* could not be started */
} CdFenceStatus;

const char *cd_fence_status_to_string(CdFenceStatus status);

typedef struct {
    const char *device;
    const char *node;
    const char *action;
    CdFenceStatus status;
    int exit_code;
    int signal;
    int64_t duration_ms;
    const char *out; /* tails of the agent's stdout and stderr, NUL-terminated */
    const char *err;
} CdFenceResult;

typedef void (*CdFenceDone)(const CdFenceResult *result, void *ctx);

/* The trusted agent directories: agent_dir (clusterd --fence-agent-dir; NULL: none), then
 * /usr/sbin, where fence-agents installs them. */
int cd_fencer_init(const char *agent_dir) G_GNUC_WARN_UNUSED_RESULT;

/* Where agent (a name, vmha_fence_agent_valid) is installed among the trusted directories: an
 * executable regular file. -EINVAL for anything but a fence agent name (a path above all),
 * -ENOENT when none has it. */
int cd_fencer_agent_path(const char *agent, char **ret_path) G_GNUC_WARN_UNUSED_RESULT;

/* F_KV "force=on", first of a FENCE_ADD's, FENCE_REMOVE's or FENCE_SET's pairs: replace an
 * existing device (add), or leave nodes without a device (remove, set). Root only. */
#define CD_FENCE_FORCE "force=on"

/* The submitting node's checks of a vmctl fence add/remove/set before it is replicated, which need
 * this node (the caller, the installed agents): --force from root only, the agent a name
 * installed in a trusted directory. 0, or a VMHA_RESULT_* code and *ret_error. Every other rule
 * is checked when the write is applied, on every node alike. */
int cd_fencer_check_request(const VmhaMsg *req, uid_t uid,
                            char **ret_error) G_GNUC_WARN_UNUSED_RESULT;
/* Kills running agents; their done is not called. */
void cd_fencer_finalise(void);

/* Whether dev covers node: it is in pcmk_host_list (space, comma or semicolon separated). A
 * device without pcmk_host_list covers no node: we never guess. */
bool cd_fence_device_covers(const CdFenceDevice *dev, const char *node);

/* Runs dev's agent with action (off, reboot, on, status...) on node. Returns 0 (done will be
 * called from the loop, never from inside this call), -EINVAL (bad device or node, dev does not
 * cover node, or its agent is not a fence agent name: a path is never run). An agent missing from
 * the trusted directories is reported as CD_FENCE_NOT_INSTALLED. */
int cd_fencer_fence(const CdFenceDevice *dev, const char *node, const char *action,
                    CdFenceDone done, void *ctx) G_GNUC_WARN_UNUSED_RESULT;

/* Exposed for tests: the stdin text given to the agent. */
char *cd_fence_stdin(const CdFenceDevice *dev, const char *node, const char *action);
