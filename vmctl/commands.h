/* vmctl command handlers, listed in vmctl.c's table. */
#pragma once

#include "vmctl.h"

/* Parses the options every command shares (--json); returns the index of the first operand or
 * -1 on a usage error (also when more than max_args operands follow). */
int vmctl_parse_common(VmctlOptions *opts, int argc, char **argv, int max_args);

int vmctl_cmd_status(const VmctlOptions *opts, int argc, char **argv);
int vmctl_cmd_node_list(const VmctlOptions *opts, int argc, char **argv);
int vmctl_cmd_config_show(const VmctlOptions *opts, int argc, char **argv);
int vmctl_cmd_vm_add(const VmctlOptions *opts, int argc, char **argv);
int vmctl_cmd_vm_remove(const VmctlOptions *opts, int argc, char **argv);
int vmctl_cmd_vm_set(const VmctlOptions *opts, int argc, char **argv);
int vmctl_cmd_vm_list(const VmctlOptions *opts, int argc, char **argv);
int vmctl_cmd_fence_add(const VmctlOptions *opts, int argc, char **argv);
int vmctl_cmd_fence_remove(const VmctlOptions *opts, int argc, char **argv);
int vmctl_cmd_fence_list(const VmctlOptions *opts, int argc, char **argv);
int vmctl_cmd_vm_start(const VmctlOptions *opts, int argc, char **argv);
int vmctl_cmd_vm_stop(const VmctlOptions *opts, int argc, char **argv);
int vmctl_cmd_vm_cleanup(const VmctlOptions *opts, int argc, char **argv);
int vmctl_cmd_node_fence(const VmctlOptions *opts, int argc, char **argv);
int vmctl_cmd_node_drain(const VmctlOptions *opts, int argc, char **argv);
int vmctl_cmd_node_resume(const VmctlOptions *opts, int argc, char **argv);
int vmctl_cmd_vm_move(const VmctlOptions *opts, int argc, char **argv);
int vmctl_cmd_config_set(const VmctlOptions *opts, int argc, char **argv);
int vmctl_cmd_node_set(const VmctlOptions *opts, int argc, char **argv);
int vmctl_cmd_node_exec(const VmctlOptions *opts, int argc, char **argv); /* cmd-exec.c */
/* cmd-cluster.c */
int vmctl_cmd_cluster_update(const VmctlOptions *opts, int argc, char **argv);
/* cmd-setup.c */
int vmctl_cmd_cluster_setup(const VmctlOptions *opts, int argc, char **argv);
int vmctl_cmd_cluster_join(const VmctlOptions *opts, int argc, char **argv);
int vmctl_cmd_cluster_leave(const VmctlOptions *opts, int argc, char **argv);
