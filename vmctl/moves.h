/* Moving VMs for `node drain`, `node resume --failback` and `vm move` (docs/vmctl.md): their
 * shared options, the move request, and following the moves until they land (--wait). */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <sys/types.h>

#include "model.h"
#include "vmctl.h"

typedef struct {
    VmhaMigrationMethod method; /* DEFAULT when not given */
    bool force, dry_run, wait, failback;
    unsigned timeout;
    const char *to;
} VmctlMoveOptions;

/* Parses the options of the three commands (each accepts those in `allowed`, a string of the
 * short letters in moves.c: 'o', --to, is vm move's) and checks their one operand, a VM's name
 * for vm move, else a node's; returns it, or NULL after reporting the usage error. */
const char *vmctl_move_options_parse(VmctlOptions *opts, VmctlMoveOptions *mo, int argc,
                                     char **argv, const char *allowed, const char *usage);

/* The node the VM runs on, alone and healthy, or -1. */
ssize_t vmctl_running_on(const VmhaModel *m, const VmhaVm *vm);

/* Asks clusterd to move vm from `from` to `to` (NULL: where the engine puts it) by method (DEFAULT:
 * quick). A VMHA_RESULT_* code, the reason reported. */
int vmctl_send_move(const VmctlOptions *opts, const char *vm, const char *from, const char *to,
                    VmhaMigrationMethod method);

/* Follows VMs through `status` until they landed. On a terminal one progress line is redrawn;
 * every event (a VM starts moving, arrives, stops or fails) is also a line of its own, which is
 * all a script or log sees. */
typedef struct VmctlMoveWatch VmctlMoveWatch;

/* node: the node being drained (drain) or left; drain: done once the node is drained, else once
 * every VM added arrived. */
VmctlMoveWatch *vmctl_move_watch_new(const VmctlOptions *opts, const char *node, bool drain);
void vmctl_move_watch_free(VmctlMoveWatch *w);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmctlMoveWatch, vmctl_move_watch_free)

/* Follow vm; want: the node it must reach, NULL for anywhere but the watch's node. */
void vmctl_move_watch_add(VmctlMoveWatch *w, const char *vm, const char *want);
size_t vmctl_move_watch_size(const VmctlMoveWatch *w);
/* An event line, time-stamped (nothing with --json). */
void vmctl_move_watch_print(VmctlMoveWatch *w, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* Follows until done; a VMHA_RESULT_* code with the reason reported (what: "the drain of n1"). */
int vmctl_move_watch_run(VmctlMoveWatch *w, unsigned timeout, const char *what);
