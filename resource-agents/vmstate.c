#include <libvirt/libvirt.h>

#include "vmha/ocf.h"
#include "vmstate.h"

int vm_state_to_ocf(int state, int reason)
{
    switch (state) {
    case VIR_DOMAIN_RUNNING:
    case VIR_DOMAIN_BLOCKED:
    case VIR_DOMAIN_PMSUSPENDED:
    case VIR_DOMAIN_SHUTDOWN: /* shutting down: still running until it is off */
        return OCF_SUCCESS;
    case VIR_DOMAIN_PAUSED:
        switch (reason) {
        case VIR_DOMAIN_PAUSED_IOERROR:
        case VIR_DOMAIN_PAUSED_WATCHDOG:
        case VIR_DOMAIN_PAUSED_CRASHED:
        case VIR_DOMAIN_PAUSED_SHUTTING_DOWN:
        case VIR_DOMAIN_PAUSED_POSTCOPY_FAILED:
            return OCF_ERR_GENERIC;
        default:
            return OCF_SUCCESS;
        }
    case VIR_DOMAIN_SHUTOFF:
        switch (reason) {
        case VIR_DOMAIN_SHUTOFF_CRASHED:
        case VIR_DOMAIN_SHUTOFF_FAILED:
            return OCF_ERR_GENERIC;
        default:
            return OCF_NOT_RUNNING;
        }
    case VIR_DOMAIN_CRASHED:
    default:
        return OCF_ERR_GENERIC;
    }
}

const char *vm_state_to_string(int state)
{
    switch (state) {
    case VIR_DOMAIN_NOSTATE:
        return "no state";
    case VIR_DOMAIN_RUNNING:
        return "running";
    case VIR_DOMAIN_BLOCKED:
        return "blocked";
    case VIR_DOMAIN_PAUSED:
        return "paused";
    case VIR_DOMAIN_SHUTDOWN:
        return "shutting down";
    case VIR_DOMAIN_SHUTOFF:
        return "shut off";
    case VIR_DOMAIN_CRASHED:
        return "crashed";
    case VIR_DOMAIN_PMSUSPENDED:
        return "suspended by guest";
    default:
        return "unknown";
    }
}
