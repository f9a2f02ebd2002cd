/* cibwrite-fence.c: the writes about fencing: devices, requests, outcomes (rows of cibwrite.c's
 * table). */
#pragma once

#include "cibwrite-common.h"

extern const CdWriteType cd_write_fence_add;    /* VMHA_MSG_FENCE_ADD */
extern const CdWriteType cd_write_fence_remove; /* VMHA_MSG_FENCE_REMOVE */
extern const CdWriteType cd_write_fence_set;    /* VMHA_MSG_FENCE_SET: a device's hosts */
extern const CdWriteType cd_write_node_fence;   /* VMHA_MSG_NODE_FENCE: a fence request */
extern const CdWriteType cd_write_fenced;       /* VMHA_MSG_FENCED: the leader's outcome */
