/* cibwrite-node.c: the writes about the nodes (rows of cibwrite.c's table). */
#pragma once

#include "cibwrite-common.h"

extern const CdWriteType cd_write_node_drain;  /* VMHA_MSG_NODE_DRAIN */
extern const CdWriteType cd_write_node_resume; /* VMHA_MSG_NODE_RESUME */
extern const CdWriteType cd_write_nodes;       /* VMHA_MSG_NODES: corosync's nodelist */
