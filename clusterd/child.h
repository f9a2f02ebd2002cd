/* child.c: runs one helper program (a resource agent, a fence agent) as a child process from
 * clusterd's one GLib main loop, with a timeout. The executor and the fencer both use it, so
 * spawning, capturing and killing are written once.
 *
 * The child gets exactly the environment it is given, stdin from /dev/null or from a given
 * buffer, every other fd closed, default signal dispositions and an empty signal mask, and its
 * own process group. stdout and stderr are read without blocking the loop; only the last
 * output_max bytes of each are kept. At its timeout the whole group gets SIGTERM, and SIGKILL
 * when the leader is still there kill_grace_ms later or as soon as the leader exits (leftovers of
 * a timed-out run get no grace). */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    CD_CHILD_EXITED,   /* exited on its own: exit_code */
    CD_CHILD_SIGNALED, /* killed by a signal we did not send: signal */
    CD_CHILD_TIMEOUT,  /* killed by us at its timeout */
} CdChildStatus;

const char *cd_child_status_to_string(CdChildStatus status);

typedef struct {
    char *data; /* NUL-terminated; may hold other NULs and any bytes the child wrote */
    size_t len;
    bool truncated; /* earlier output was dropped */
} CdChildOutput;

typedef struct {
    CdChildStatus status;
    int exit_code; /* CD_CHILD_EXITED */
    int signal;    /* CD_CHILD_SIGNALED, or the signal that ended a timed-out child */
    int64_t duration_ms;
    CdChildOutput out;
    CdChildOutput err;
} CdChildResult;

typedef struct {
    const char *name;        /* for logs */
    const char *const *argv; /* argv[0] is the absolute path that is executed */
    const char *const *envp; /* the child's whole environment */
    const char *stdin_data;  /* NULL: stdin is /dev/null */
    size_t stdin_len;
    unsigned timeout_ms;    /* 0: none */
    unsigned kill_grace_ms; /* 0: CD_CHILD_KILL_GRACE_MS */
    size_t output_max;      /* 0: CD_CHILD_OUTPUT_MAX */
} CdChildSpec;

#define CD_CHILD_KILL_GRACE_MS 5000
#define CD_CHILD_OUTPUT_MAX    4096

typedef struct CdChild CdChild;

/* Called once from the main loop when the child has exited. The result is valid only during the
 * call. */
typedef void (*CdChildDone)(const CdChildResult *result, void *ctx);

/* Starts the child; done is never called synchronously. Returns -errno when it could not be
 * started (nothing is reported then). */
int cd_child_spawn(const CdChildSpec *spec, CdChildDone done, void *ctx,
                   CdChild **ret_child) G_GNUC_WARN_UNUSED_RESULT;

pid_t cd_child_pid(const CdChild *child);

/* Kills the child's whole group with SIGKILL; done will not be called. The child is reaped and
 * freed by the loop later. */
void cd_child_cancel(CdChild *child);

/* Reaps (synchronously) every cancelled child not yet reaped: for a module's _finalise, after it
 * cancelled its children, so none outlives the daemon. */
void cd_child_finalise(void);
