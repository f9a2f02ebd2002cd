/* vmctl cluster update: the rolling update itself (update.c); its decisions from status
 * snapshots are pure, in updatecheck.h. */
#pragma once

#include <glib.h>

#include "vmctl.h"

/* A clean reboot through the init system; the node's clusterd answers before it goes, or does
 * not (both are fine). */
#define VMCTL_UPDATE_REBOOT_COMMAND "shutdown -r now"

typedef struct {
    const char *command;        /* run on each node in turn */
    const char *reboot_command; /* NULL: no reboot */
    unsigned timeout;           /* bounds each step on each node */
} VmctlUpdateSpec;

/* Updates nodes (node names, in the order of the update; with a reboot the local node goes
 * last), local being the node vmctl runs on (NULL when unknown): drain, COMMAND, back, resume with
 * failback, each in turn; the first failure stops it with that node resumed when it is fine.
 * Prints the summary (with --json one document, progress on stderr). Returns VMHA_RESULT_OK, or
 * the code the update stopped with, the reason reported. */
int vmctl_update_run(const VmctlOptions *opts, const VmctlUpdateSpec *spec, GPtrArray *nodes,
                     const char *local);
