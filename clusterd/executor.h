/* executor.c: runs OCF resource agent actions on this node, asynchronously, from the main loop
 * (contract in docs/executor.md).
 *
 * One action per resource at a time: cd_executor_run refuses (-EBUSY) a second action for a
 * resource while one requested by a caller is still running. A recurring monitor never stands
 * in a caller's way: a caller's action for the resource cancels the monitor run in flight (its
 * result is dropped) and monitor ticks that fall while a caller's action runs are skipped. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct {
    const char *rsc; /* resource id: OCF_RESOURCE_INSTANCE; may be NULL for meta-data */
    const char
            *agent_path;  /* absolute path of the agent; NULL: OCF root/resource.d/provider/type */
    const char *provider; /* e.g. "vmha" */
    const char *type;     /* e.g. "vm" */
    const char *action;   /* start stop monitor migrate_to migrate_from meta-data validate-all */
    GHashTable *params;   /* instance attributes, name -> value: OCF_RESKEY_<name>; may be NULL */
    GHashTable *meta;     /* meta attributes, name -> value: OCF_RESKEY_CRM_meta_<name> with
                           * '-' as '_' (migrate_target, migrate_source, ...); may be NULL */
    unsigned timeout_ms;  /* required; also CRM_meta_timeout */
    unsigned interval_ms; /* CRM_meta_interval (recurring monitors set it themselves) */
    unsigned kill_grace_ms; /* 0: CD_CHILD_KILL_GRACE_MS */
    size_t output_max;      /* bytes of stdout/stderr kept (the tail); 0: 4 KiB, 1 MiB meta-data */
} CdAgentAction;

typedef enum {
    CD_EXEC_DONE,          /* the agent exited; rc is its exit code */
    CD_EXEC_TIMEOUT,       /* killed at its timeout; rc is OCF_ERR_GENERIC */
    CD_EXEC_SIGNALED,      /* killed by a signal; rc is OCF_ERR_GENERIC */
    CD_EXEC_NOT_INSTALLED, /* no such agent, or not executable; rc is OCF_ERR_INSTALLED */
    CD_EXEC_ERROR,         /* could not be started (resources); rc is OCF_ERR_GENERIC */
} CdExecStatus;

const char *cd_exec_status_to_string(CdExecStatus status);
/* The op-status the CIB records for an agent run that ended so (VMHA_OP_STATUS_*, Pacemaker's
 * PCMK_EXEC_*): an agent that could not run, or was killed, is an error. */
int cd_exec_op_status(CdExecStatus status);

typedef struct {
    const char *rsc;
    const char *action;
    unsigned interval_ms;
    CdExecStatus status;
    int rc;     /* the OCF code to record */
    int signal; /* CD_EXEC_SIGNALED, CD_EXEC_TIMEOUT: the signal that ended it */
    int64_t duration_ms;
    const char *out; /* tail of stdout, NUL-terminated, any bytes */
    size_t out_len;
    const char *err; /* tail of stderr */
    size_t err_len;
    /* The agent's last "ocf-exit-reason:" line on stderr, printable ASCII only, at most 128
     * characters; "" when none. */
    const char *exit_reason;
} CdExecResult;

/* Called once, from the main loop, never from inside cd_executor_run. Valid during the call. */
typedef void (*CdAgentDone)(const CdExecResult *result, void *ctx);

/* ocf_root: NULL for VMHA_OCF_ROOT. */
int cd_executor_init(const char *ocf_root) G_GNUC_WARN_UNUSED_RESULT;
/* Kills every running agent (their done is not called) and cancels every monitor. */
void cd_executor_finalise(void);

/* Returns 0 (done will be called), -EBUSY (another action for the resource is running),
 * -EINVAL (unknown action, bad provider/type/parameter name, no timeout). */
int cd_executor_run(const CdAgentAction *action, CdAgentDone done,
                    void *ctx) G_GNUC_WARN_UNUSED_RESULT;
bool cd_executor_busy(const char *rsc);

/* Runs "monitor" on action->rsc every interval_ms (the interval counts from the end of one run
 * to the start of the next), the first run at once. report is called for the first result, for
 * every change of (status, rc), and for every result that is not expected_rc. A resource has at
 * most one recurring monitor: starting another replaces it. */
int cd_executor_monitor_start(const CdAgentAction *action, unsigned interval_ms, int expected_rc,
                              CdAgentDone report, void *ctx) G_GNUC_WARN_UNUSED_RESULT;
/* Stops the recurring monitor of rsc, killing a run in flight; report is not called again.
 * Returns whether there was one. */
bool cd_executor_monitor_cancel(const char *rsc);
