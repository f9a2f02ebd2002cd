/* cibwrite-status.c: the resource history clusterd records in the status section: probes, the
 * leader's actions, their results (rows of cibwrite.c's table). */
#pragma once

#include "cibwrite-impl.h"

extern const CdWriteType cd_write_probe;   /* VMHA_MSG_PROBE */
extern const CdWriteType cd_write_actions; /* VMHA_MSG_ACTIONS */
extern const CdWriteType cd_write_result;  /* VMHA_MSG_RESULT */
