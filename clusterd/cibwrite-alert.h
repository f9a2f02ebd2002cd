/* cibwrite-alert.c: the writes of vmctl alert add|remove: Pacemaker's <alerts> in the
 * configuration (rows of cibwrite.c's table). */
#pragma once

#include "cibwrite-common.h"

extern const CdWriteType cd_write_alert_add;    /* VMHA_MSG_ALERT_ADD */
extern const CdWriteType cd_write_alert_remove; /* VMHA_MSG_ALERT_REMOVE */
