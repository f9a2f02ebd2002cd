/* One fencing of one node, step by step (pure; clusterd/leader.c runs the steps).
 *
 * What counts for recovery is that the node is OFF: its VMs may start elsewhere from the moment
 * the fence device confirmed that, and not one moment before. A `reboot` (stonith-action's
 * default) is therefore run as fence-agents' own reboot runs it (`--method onoff`): `off`, which
 * returns once the device reports the node off, then `on`. The outcome is recorded (FENCED)
 * right after the `off`, so recovery does not wait for the power-on; the `on` runs only once that
 * record is in the database, so a node that comes back always finds its history erased. A failed
 * `on` leaves a fenced node off: logged, never retried, never a reason to fence again.
 * `stonith-action=off` (or Pacemaker's older `poweroff`) runs `off` alone. A device whose
 * pcmk_reboot_action names another action (Pacemaker's option, e.g. a device that cannot power on)
 * runs that action whole. */
#pragma once

#include <stdbool.h>

typedef enum {
    VMHA_FENCE_RUN_IDLE,      /* nothing running: (next) attempt to come */
    VMHA_FENCE_RUN_FENCING,   /* the agent's off (or its reboot action) is running */
    VMHA_FENCE_RUN_RECORDING, /* confirmed off; the FENCED record is being written */
    VMHA_FENCE_RUN_POWER_ON,  /* recorded; the agent's on is running */
    VMHA_FENCE_RUN_DONE,      /* recorded (and powered on, or the on failed) */
} VmhaFenceRunState;

typedef enum {
    VMHA_FENCE_EV_START,     /* the plan wants the node fenced */
    VMHA_FENCE_EV_AGENT_OK,  /* the running agent exited 0 */
    VMHA_FENCE_EV_AGENT_ERR, /* the running agent failed, timed out, could not run */
    VMHA_FENCE_EV_RECORDED,  /* the FENCED write is in the database (or refused for good) */
} VmhaFenceRunEvent;

/* What the caller must do after a step. */
typedef enum {
    VMHA_FENCE_DO_NOTHING,
    VMHA_FENCE_DO_RUN_FENCE,      /* run the agent with the fence action */
    VMHA_FENCE_DO_RECORD_FENCED,  /* write FENCED rc=0 */
    VMHA_FENCE_DO_RECORD_FAILURE, /* write FENCED with the failure; retry later */
    VMHA_FENCE_DO_POWER_ON,       /* run the agent with "on" */
} VmhaFenceDo;

typedef struct {
    VmhaFenceRunState state;
    const char *fence_action; /* "off", "reboot" or the device's pcmk_reboot_action */
    bool power_on_after;      /* a reboot run as off, then on */
} VmhaFenceRun;

/* Starts a run: stonith_action is the cluster property (NULL or anything but "off" and
 * "poweroff": "reboot"), reboot_action the device's pcmk_reboot_action (NULL or "reboot": off,
 * then on). The strings must outlive the run (static ones are returned in fence_action). */
void vmha_fence_run_init(VmhaFenceRun *run, const char *stonith_action, const char *reboot_action);

/* Feeds one event; returns what to do. An event that does not fit the state does nothing. */
VmhaFenceDo vmha_fence_run_step(VmhaFenceRun *run, VmhaFenceRunEvent event);

/* Whether the node counts as fenced: its OFF was confirmed (the record may still be on its way). */
bool vmha_fence_run_confirmed(const VmhaFenceRun *run);
/* Whether an agent of this run is running now. */
bool vmha_fence_run_busy(const VmhaFenceRun *run);
