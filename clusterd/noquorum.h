/* noquorum.c: the pure decisions of a node without quorum (no I/O, no clock: the caller passes
 * the times). selffence.c carries them out. See docs/ARCHITECTURE.md, "Self-fencing and the
 * watchdog". */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "model.h"

/* What this node knows of its quorum, on its monotonic clock (milliseconds). */
typedef struct {
    bool quorate;
    bool seen_quorum;   /* quorate at least once since this host booted (this clusterd or one
                         * before it): only then does the self-fence clock run */
    int64_t lost_at_ms; /* when quorum was lost; meaningful when seen_quorum && !quorate */
} CdQuorumHistory;

typedef struct {
    bool stop_vms;       /* no-quorum-policy=stop: stop every VM now */
    bool self_fence;     /* self-fencing applies to this node (no fence device covers it) */
    int64_t deadline_ms; /* when to self-fence; -1: not (quorate, or the clock does not run) */
    int64_t timeout_s;   /* vmha-self-fence-timeout used */
} CdNoQuorumPlan;

/* model: the local copy of the CIB, or NULL when it cannot be read (then the defaults apply and
 * self-fencing is assumed: the quorate side may have a valid configuration). node: this node's
 * name. With maintenance-mode on, neither stops nor self-fences. */
void cd_noquorum_plan(const VmhaModel *model, const char *node, const CdQuorumHistory *history,
                      CdNoQuorumPlan *ret_plan);

/* The graceful shutdown a no-quorum stop may take, in seconds: when a self-fence deadline is
 * coming, it must end (destroying the domain) 2 s before it, so that the self-fence's own
 * destroy is not refused by the executor (one action per VM at a time). configured_s: the VM's
 * shutdown_timeout, 0 for the agent's default (default_s). */
unsigned cd_noquorum_shutdown_s(const CdNoQuorumPlan *plan, int64_t now_ms, unsigned configured_s,
                                unsigned default_s);

/* The state a clusterd leaves for the next one of the same boot (a file on a tmpfs, so a reboot
 * forgets it): "quorate\n" or "lost MS\n" (monotonic ms). */
char *cd_noquorum_state_format(const CdQuorumHistory *history);
/* Reads it back at start-up (now_ms, watchdog_s: this start's clock and the watchdog timeout).
 * A clusterd that left "quorate" was quorate until it died; quorum may have gone right after,
 * unseen. It died at most watchdog_s ago (else the watchdog would have reset the host), so the
 * clock is taken to have started watchdog_s before now. Returns -1 on text it cannot read (then
 * *ret_history is untouched). */
int cd_noquorum_state_parse(const char *text, int64_t now_ms, unsigned watchdog_s,
                            CdQuorumHistory *ret_history) G_GNUC_WARN_UNUSED_RESULT;
