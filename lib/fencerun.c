/* One fencing of one node, step by step (fencerun.h): a table of (state, event) -> (state, do). */
#include "fencerun.h"

#include <string.h>

void vmha_fence_run_init(VmhaFenceRun *run, const char *stonith_action, const char *reboot_action)
{
    bool reboot = !stonith_action ||
                  (strcmp(stonith_action, "off") != 0 && strcmp(stonith_action, "poweroff") != 0);

    *run = (VmhaFenceRun){.state = VMHA_FENCE_RUN_IDLE, .fence_action = "off"};
    if (reboot && reboot_action && *reboot_action && strcmp(reboot_action, "reboot") != 0)
        run->fence_action = reboot_action; /* the device's own way: run whole */
    else
        run->power_on_after = reboot;
}

typedef struct {
    VmhaFenceRunState from;
    VmhaFenceRunEvent event;
    VmhaFenceRunState to;
    VmhaFenceDo action;
} Transition;

/* RECORDING -> POWER_ON or DONE depends on power_on_after: POWER_ON here, DONE below. */
static const Transition transitions[] = {
        {VMHA_FENCE_RUN_IDLE, VMHA_FENCE_EV_START, VMHA_FENCE_RUN_FENCING, VMHA_FENCE_DO_RUN_FENCE},
        {VMHA_FENCE_RUN_FENCING, VMHA_FENCE_EV_AGENT_OK, VMHA_FENCE_RUN_RECORDING,
         VMHA_FENCE_DO_RECORD_FENCED},
        {VMHA_FENCE_RUN_FENCING, VMHA_FENCE_EV_AGENT_ERR, VMHA_FENCE_RUN_IDLE,
         VMHA_FENCE_DO_RECORD_FAILURE},
        {VMHA_FENCE_RUN_RECORDING, VMHA_FENCE_EV_RECORDED, VMHA_FENCE_RUN_POWER_ON,
         VMHA_FENCE_DO_POWER_ON},
        {VMHA_FENCE_RUN_POWER_ON, VMHA_FENCE_EV_AGENT_OK, VMHA_FENCE_RUN_DONE,
         VMHA_FENCE_DO_NOTHING},
        {VMHA_FENCE_RUN_POWER_ON, VMHA_FENCE_EV_AGENT_ERR, VMHA_FENCE_RUN_DONE,
         VMHA_FENCE_DO_NOTHING},
};

VmhaFenceDo vmha_fence_run_step(VmhaFenceRun *run, VmhaFenceRunEvent event)
{
    for (size_t i = 0; i < sizeof(transitions) / sizeof(transitions[0]); i++) {
        const Transition *t = &transitions[i];
        if (t->from != run->state || t->event != event)
            continue;
        if (t->action == VMHA_FENCE_DO_POWER_ON && !run->power_on_after) {
            run->state = VMHA_FENCE_RUN_DONE;
            return VMHA_FENCE_DO_NOTHING;
        }
        run->state = t->to;
        return t->action;
    }
    return VMHA_FENCE_DO_NOTHING;
}

bool vmha_fence_run_confirmed(const VmhaFenceRun *run)
{
    return run->state == VMHA_FENCE_RUN_RECORDING || run->state == VMHA_FENCE_RUN_POWER_ON ||
           run->state == VMHA_FENCE_RUN_DONE;
}

bool vmha_fence_run_busy(const VmhaFenceRun *run)
{
    return run->state == VMHA_FENCE_RUN_FENCING || run->state == VMHA_FENCE_RUN_POWER_ON;
}
