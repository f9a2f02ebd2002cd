/* The resource history of the CIB status section, as Pacemaker's controller records it:
 * node_state > lrm > lrm_resources > lrm_resource > lrm_rsc_op. Pure: works on a DOM the caller
 * owns, so every member of the cluster applying the same result to the same copy gets the same
 * document. */
#pragma once

#include <glib.h>
#include <libxml/tree.h>
#include <stdbool.h>
#include <stdint.h>

/* Pacemaker's op-status values (PCMK_EXEC_*) that vmha records. */
#define VMHA_OP_STATUS_DONE          0
#define VMHA_OP_STATUS_TIMEOUT       2
#define VMHA_OP_STATUS_ERROR         4
#define VMHA_OP_STATUS_NOT_INSTALLED 7

typedef struct {
    const char *rsc; /* the VM's id; class ocf, provider vmha, type vm */
    int rc;          /* OCF exit code */
    int op_status;   /* VMHA_OP_STATUS_* */
    int64_t exec_ms;
    int64_t when; /* seconds since the epoch: last-run, and last-rc-change when rc changes */
} VmhaProbeResult;

/* Whether NODE's last recorded non-recurring operation of rsc is a probe with this rc and
 * op-status already: recording it again would change nothing worth a write. */
bool vmha_lrm_probe_unchanged(xmlNode *status, const char *node_id, const VmhaProbeResult *r);

/* Records a probe (monitor, interval 0) on node node_id/node_uname as "RSC_last_0", replacing
 * the older last-operation record of that resource on that node, creating node_state, lrm,
 * lrm_resources and lrm_resource as needed. call-id is one above the highest on that node, so
 * it orders after everything already recorded there. Returns 1 when the document changed, 0 when
 * it already said the same (vmha_lrm_probe_unchanged), -1 on bad arguments. */
int vmha_lrm_record_probe(xmlNode *status, const char *node_id, const char *node_uname,
                          const VmhaProbeResult *r);

typedef enum {
    VMHA_LRM_UNKNOWN, /* nothing recorded on that node */
    VMHA_LRM_STOPPED, /* not running there */
    VMHA_LRM_RUNNING, /* running there */
    VMHA_LRM_FAILED,  /* the last operation failed: it may run there */
} VmhaLrmState;

/* What the history of rsc on the node with this node_state says, read like lib/model.c: the
 * last completed operation by call-id decides. */
VmhaLrmState vmha_lrm_state(xmlNode *node_state, const char *rsc);

/* Unames of the nodes whose history says rsc runs there (VMHA_LRM_RUNNING), in document order;
 * when with_failed, nodes where it failed (and so may run) too. Free with g_strfreev. */
char **vmha_lrm_running_on(xmlNode *status, const char *rsc, bool with_failed);

/* The wire form of one result (VMHA_F_PROBE): "VM RC OP_STATUS EXEC_MS WHEN". */
char *vmha_probe_result_format(const VmhaProbeResult *r);
/* Parses it; ret->rsc points into *ret_buf (freed by the caller). -1 when malformed. */
int vmha_probe_result_parse(const char *s, VmhaProbeResult *ret, char **ret_buf);
