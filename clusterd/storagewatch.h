/* storagewatch.c: a start or restore that failed on this node because the shared storage was
 * unreachable here (the vm agent's exit reason starts with VMHA_OCF_STORAGE_UNREACHABLE) bans the
 * VM from this node with an INFINITY fail count, as any failed start does. Every
 * STORAGE_RECHECK_S this module runs the agent's validate-all for each such VM (it tries the
 * config and the disks, writable ones for writing); once it passes, it asks the cluster to clear
 * those fail counts on this node (VMHA_MSG_VM_CLEANUP with F_NODE and cause=storage-back, an
 * event in the history), so that the policy engine may place the VM here again. It clears
 * counts only: the history, which says where the VM runs, is never touched. */
#pragma once

void cd_storagewatch_init(void);
void cd_storagewatch_finalise(void);
