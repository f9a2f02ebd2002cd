/* cibwrite-config.c: the cluster's and the nodes' settings (a row of cibwrite.c's table). */
#pragma once

#include "cibwrite-common.h"

extern const CdWriteType cd_write_config_set; /* VMHA_MSG_CONFIG_SET: config set, node set */
