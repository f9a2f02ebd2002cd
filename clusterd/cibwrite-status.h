/* cibwrite-status.c: the resource history clusterd records in the status section: probes, the
 * leader's actions, their results (rows of cibwrite.c's table), and the F_KV pairs those writes
 * carry besides their lines (lib/lrmstatus.h), which probe.c and jobs.c write. */
#pragma once

#include "cibwrite-common.h"

/* VMHA_F_KV "writeoff=KEY" of a probe write: the operation with that transition key, recorded
 * in flight on the probing node, died with an earlier clusterd there; the probe result ends it. */
#define VMHA_PROBE_WRITEOFF "writeoff="

/* VMHA_F_KV "fenced=EPOCH" of a RESULT write: the origin node's fence epoch
 * (vmha_lrm_fence_epoch) in the copy the operation began from; applying drops a result whose node
 * was fenced since. */
#define VMHA_RESULT_FENCE_EPOCH "fenced="

extern const CdWriteType cd_write_probe;   /* VMHA_MSG_PROBE */
extern const CdWriteType cd_write_actions; /* VMHA_MSG_ACTIONS */
extern const CdWriteType cd_write_result;  /* VMHA_MSG_RESULT */
