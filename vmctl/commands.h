/* vmctl's command handlers, listed in vmctl.c's table: one file per noun. */
#pragma once

#include "vmctl.h"

/* Parses the options every command shares (--json); returns the index of the first operand or
 * -1 on a usage error (also when more than max_args operands follow). help.c. */
int vmctl_parse_common(VmctlOptions *opts, int argc, char **argv, int max_args);

/* cmd-status.c */
int vmctl_cmd_status(const VmctlOptions *opts, int argc, char **argv);

/* cmd-events.c */
int vmctl_cmd_events(const VmctlOptions *opts, int argc, char **argv);

/* cmd-incident.c */
int vmctl_cmd_incident_list(const VmctlOptions *opts, int argc, char **argv);
int vmctl_cmd_incident_show(const VmctlOptions *opts, int argc, char **argv);
int vmctl_cmd_vm_why(const VmctlOptions *opts, int argc, char **argv);

/* cmd-vm.c */
int vmctl_cmd_vm_add(const VmctlOptions *opts, int argc, char **argv);
int vmctl_cmd_vm_add_many(const VmctlOptions *opts, int argc, char **argv);
int vmctl_cmd_vm_remove(const VmctlOptions *opts, int argc, char **argv);
int vmctl_cmd_vm_set(const VmctlOptions *opts, int argc, char **argv);
int vmctl_cmd_vm_list(const VmctlOptions *opts, int argc, char **argv);
int vmctl_cmd_vm_start(const VmctlOptions *opts, int argc, char **argv);
int vmctl_cmd_vm_stop(const VmctlOptions *opts, int argc, char **argv);
int vmctl_cmd_vm_cleanup(const VmctlOptions *opts, int argc, char **argv);
int vmctl_cmd_vm_ban(const VmctlOptions *opts, int argc, char **argv);
int vmctl_cmd_vm_unban(const VmctlOptions *opts, int argc, char **argv);
int vmctl_cmd_vm_move(const VmctlOptions *opts, int argc, char **argv);

/* cmd-node.c */
int vmctl_cmd_node_list(const VmctlOptions *opts, int argc, char **argv);
int vmctl_cmd_node_drain(const VmctlOptions *opts, int argc, char **argv);
int vmctl_cmd_node_resume(const VmctlOptions *opts, int argc, char **argv);
int vmctl_cmd_node_standby(const VmctlOptions *opts, int argc, char **argv);
int vmctl_cmd_node_unstandby(const VmctlOptions *opts, int argc, char **argv);
int vmctl_cmd_node_maintenance(const VmctlOptions *opts, int argc, char **argv);
int vmctl_cmd_node_unmaintenance(const VmctlOptions *opts, int argc, char **argv);
int vmctl_cmd_node_set(const VmctlOptions *opts, int argc, char **argv);
int vmctl_cmd_node_fence(const VmctlOptions *opts, int argc, char **argv);
int vmctl_cmd_node_exec(const VmctlOptions *opts, int argc, char **argv);

/* cmd-cluster.c */
int vmctl_cmd_cluster_setup(const VmctlOptions *opts, int argc, char **argv);
int vmctl_cmd_cluster_join(const VmctlOptions *opts, int argc, char **argv);
int vmctl_cmd_cluster_leave(const VmctlOptions *opts, int argc, char **argv);
int vmctl_cmd_cluster_maintenance(const VmctlOptions *opts, int argc, char **argv);
int vmctl_cmd_cluster_update(const VmctlOptions *opts, int argc, char **argv);

/* cmd-alert.c */
int vmctl_cmd_alert_add(const VmctlOptions *opts, int argc, char **argv);
int vmctl_cmd_alert_remove(const VmctlOptions *opts, int argc, char **argv);
int vmctl_cmd_alert_list(const VmctlOptions *opts, int argc, char **argv);
/* cmd-metrics.c */
int vmctl_cmd_metrics(const VmctlOptions *opts, int argc, char **argv);
/* cmd-fence.c */
int vmctl_cmd_fence_add(const VmctlOptions *opts, int argc, char **argv);
int vmctl_cmd_fence_remove(const VmctlOptions *opts, int argc, char **argv);
int vmctl_cmd_fence_set(const VmctlOptions *opts, int argc, char **argv);
int vmctl_cmd_fence_list(const VmctlOptions *opts, int argc, char **argv);

/* cmd-config.c */
int vmctl_cmd_config_show(const VmctlOptions *opts, int argc, char **argv);
int vmctl_cmd_config_set(const VmctlOptions *opts, int argc, char **argv);
/* Sends the KEY=VALUE pairs argv[first..argc) as one CONFIG_SET for node (NULL: the cluster's
 * properties); prints {"ok": true, "result": "set"} with --json. node set, standby and the
 * maintenance commands use it too. */
int vmctl_send_settings(const VmctlOptions *opts, const char *node, int argc, char **argv,
                        int first);

/* cmd-simulate.c */
int vmctl_cmd_simulate(const VmctlOptions *opts, int argc, char **argv);
