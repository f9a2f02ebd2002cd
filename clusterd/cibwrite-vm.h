/* cibwrite-vm.c: the writes about one VM (rows of cibwrite.c's table). */
#pragma once

#include "cibwrite-common.h"

extern const CdWriteType cd_write_vm_add;      /* VMHA_MSG_VM_ADD */
extern const CdWriteType cd_write_vm_add_many; /* VMHA_MSG_VM_ADD_MANY */
extern const CdWriteType cd_write_vm_remove;   /* VMHA_MSG_VM_REMOVE */
extern const CdWriteType cd_write_vm_set;      /* VMHA_MSG_VM_SET: vm set, ban, unban */
extern const CdWriteType cd_write_vm_cleanup;  /* VMHA_MSG_VM_CLEANUP */
extern const CdWriteType cd_write_vm_move;     /* VMHA_MSG_VM_MOVE */
