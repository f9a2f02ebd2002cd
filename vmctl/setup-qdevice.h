/* `vmctl cluster setup --qdevice HOST`: corosync-qnetd on HOST and the certificates of its TLS
 * (setup-qdevice.c). */
#pragma once

#include <glib.h>

#include "setup-steps.h"

/* The services a node of a cluster with a quorum device starts: START_SERVICES with
 * corosync-qdevice once corosync runs (it needs corosync; clusterd comes after its vote). */
#define START_SERVICES_QDEVICE                                                                     \
    "set -e\nstart_svc libvirtd-tls &\ntls=$!\nstart_svc corosync\nstart_svc "                     \
    "corosync-qdevice\nwait $tls\nstart_svc clusterd\n"

/* The read-only check of the qnetd host (its tools and service). */
char *vmctl_setup_qdevice_probe_script(void);
/* Runs that check on qrun's one host; VMHA_RESULT_OK, _FAILURE or _REFUSED (each reason printed).
 */
int vmctl_setup_qdevice_check(VmctlSetupRun *qrun);
/* qnetd's CA and service on qrun's host, this node's certificate signed by it: *ret_ca and
 * *ret_p12 (base64) for the other nodes. -1 (reported) on failure: undo both runs then. */
int vmctl_setup_qdevice_certs(VmctlSetupRun *run, VmctlSetupRun *qrun, const char *cluster,
                              char **ret_ca, char **ret_p12);
/* Install-step lines of another node: its qdevice database with the CA and the certificate. */
void vmctl_setup_qdevice_add(GString *s, const char *ca, const char *p12);
