/* `vmctl cluster setup|join|leave`: the hosts taking part and the steps run on them, each
 * recorded for undo first (setup-steps.c). */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "remote.h"
#include "vmctl.h"

#define COROSYNC_CONF    "/etc/corosync/corosync.conf"
#define COROSYNC_AUTHKEY "/etc/corosync/authkey"
#define VMHA_PKI_DIR     "/etc/vmha/pki"
#define CA_CERT          "/etc/pki/CA/cacert.pem"
#define DEFAULT_WAIT_S   120
/* The database a new member starts from: none (clusterd makes an empty one and adopts the
 * cluster's, and its event history with it); whatever was there is set aside, and what clusterd
 * writes goes on undo. */
#define FRESH_DATABASE                                                                             \
    "fresh " VMHA_STATE_DIR "/cib.xml\nfresh " VMHA_STATE_DIR                                      \
    "/cib.xml.sig\nfresh " VMHA_STATE_DIR "/cib.work.xml\nfresh " VMHA_STATE_DIR "/events.jsonl\n"

/* The services a new member starts, after its files are in place: libvirtd's TLS listener (a
 * restart of libvirtd) at the same time as corosync, and clusterd once both are up (it needs
 * libvirtd; a failure of either fails the step). */
#define START_SERVICES                                                                             \
    "set -e\nstart_svc libvirtd-tls &\ntls=$!\nstart_svc corosync\nwait $tls\nstart_svc "          \
    "clusterd\n"

typedef struct {
    VmctlHost h;
    uint32_t nodeid;
    /* what the probe found */
    char *cluster;    /* the cluster it is configured for ("" when unnamed), NULL when none */
    bool interrupted; /* an earlier run left its undo record */
    bool touched;     /* a changing step ran: undo on failure */
} VmctlSetupNode;

void vmctl_setup_node_free(VmctlSetupNode *n);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmctlSetupNode, vmctl_setup_node_free)

typedef struct {
    const char *verb; /* "setup", "join", "leave" */
    bool dry_run;
    bool force;
    unsigned wait_s;
    const char *storage;
    bool qdevice; /* the nodes need corosync-qdevice (setup --qdevice) */
    VmctlRemote *remote;
    GPtrArray *nodes; /* VmctlSetupNode* */
    gint64 start_us;
    const VmctlOptions *opts;
} VmctlSetupRun;

/* A progress line, "[  2.3s] ...", seconds since run->start_us. */
void vmctl_setup_progress(const VmctlSetupRun *run, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* Whether addr is one of this host's own addresses. */
bool vmctl_setup_is_local_addr(const char *addr);
/* NODE[=ADDR] into a node, its address resolved when not given. 0, or a VMHA_RESULT_* code with
 * the reason reported. */
int vmctl_setup_node_from_arg(const VmctlOptions *opts, const char *arg, VmctlSetupNode **ret);

/* A step script: the shell functions every step needs (`svc`), and those of a changing step
 * (begin, put, aside, fresh, start_svc, stop_svc: each records its undo first) when changes. */
char *vmctl_setup_script(const char *body, bool changes);
/* Runs scripts[i] on run->nodes[i] (NULL skips the node), all at once; changes: they change the
 * hosts (undo on failure). Returns the number of failures, each reported as "NODE: WHAT failed:
 * REASON". ret (may be NULL) gets each node's result (clear them). */
int vmctl_setup_run_step(VmctlSetupRun *run, const char *what, char **scripts, bool changes,
                         VmctlRemoteResult *ret);
/* Every touched node undoes its record; reports what each undid. */
void vmctl_setup_undo_all(VmctlSetupRun *run);
/* vmctl_setup_undo_all, then code (for `return vmctl_setup_fail_undo(run, code)`). */
int vmctl_setup_fail_undo(VmctlSetupRun *run, int code);
/* Every touched node drops its undo record: the change stays. */
bool vmctl_setup_commit_all(VmctlSetupRun *run);

/* Checks every node (tools and services present, clock, shared storage, not in a cluster, no
 * interrupted run); reports one line per problem. Returns VMHA_RESULT_OK, VMHA_RESULT_FAILURE (a
 * host unreachable or not ready) or VMHA_RESULT_REFUSED (a host in a cluster, no --force).
 * configured_ok: nodes that may be in a cluster already (join/leave: the members). */
int vmctl_setup_probe_all(VmctlSetupRun *run, const bool *configured_ok);
/* --force: undo what an interrupted earlier run left, first; -1 when that failed. */
int vmctl_setup_undo_interrupted(VmctlSetupRun *run);
