/* rexec.c: runs root's command on a node through that node's clusterd (`vmctl node exec`,
 * `vmctl cluster update`). The request goes over CPG to the target's clusterd (EXEC_REQUEST),
 * which runs `/bin/sh -c COMMAND` as a child and multicasts the outcome (EXEC_RESULT); the
 * origin answers its waiting client. Nothing of it touches the database. docs/clusterd.md,
 * "Remote exec". */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "child.h"
#include "vmha/wire.h"

#define CD_REXEC_OUTPUT_MAX (64 * 1024)

typedef struct {
    int rc;              /* VMHA_RESULT_*: OK when the command ran, whatever its exit status */
    const char *message; /* how the command ended, or why rc is not OK */
    int exit_status;     /* the command's; 128 + signal when killed; -1 when it did not run */
    const char *output;  /* stdout and stderr as written, the last 64 KiB; may hold any byte */
    size_t output_len;
    int64_t duration_ms;
    bool target_left; /* rc != OK because the target's clusterd left the view first */
} CdRexecResult;

/* Called exactly once per request, maybe synchronously; result valid during the call only. */
typedef void (*CdRexecDone)(void *ctx, const CdRexecResult *result);

/* Subscribes to the CPG view, the connection lost and EXEC_* messages (events.h). */
void cd_rexec_init(void);
void cd_rexec_finalise(void);
/* request: NODE_EXEC from vmctl (F_NODE, F_COMMAND, optional F_KV timeout=S). */
void cd_rexec_submit(const VmhaMsg *request, CdRexecDone done, void *ctx);
/* The client went away: done must not be called for ctx any more. */
void cd_rexec_forget(void *ctx);

/* Pure helpers, exported for the unit tests. */
/* F_KV timeout=S of a request (1..VMHA_EXEC_TIMEOUT_S), else the default; -EINVAL when bad. */
int cd_rexec_parse_timeout(const VmhaMsg *req, unsigned *ret_timeout_s) G_GNUC_WARN_UNUSED_RESULT;
/* The exit status (128 + signal when killed) and a one-line description of how it ended. */
void cd_rexec_describe_end(const CdChildResult *res, unsigned timeout_s, int *ret_exit_status,
                           char **ret_message);
/* The output sent back: stdout then stderr, with a note first when earlier output was dropped. */
char *cd_rexec_output(const CdChildResult *res, size_t *ret_len);
