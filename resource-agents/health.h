/* Optional guest health monitoring (vm(8), HEALTH CHECKS): is the guest inside a running domain
 * still alive? Pure: the agent observes (console log size, guest-agent ping, the clock) and keeps
 * the state between monitor runs in its run directory; this module decides.
 *
 * A check arms only once the guest has shown a heartbeat in this run of the domain (a log that
 * grew, a ping answered), as VMware's VM monitoring waits for the first heartbeat: a guest
 * without an agent, or one that never writes to its console, is not restarted over and over for
 * a misconfiguration. Armed, the guest fails when no heartbeat came for the timeout; the clock
 * does not run while the domain is paused on purpose (by a user, a save, a migration). */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    VM_HEALTH_NONE,        /* no check (default) */
    VM_HEALTH_GUEST_AGENT, /* the qemu guest agent answers guest-ping */
    VM_HEALTH_CONSOLE,     /* the guest's serial console log keeps growing */
} VmHealthMode;

#define VM_HEALTH_DEFAULT_TIMEOUT_MS 60000

/* "none", "guest-agent", "console"; -1 for anything else. */
int vm_health_mode_parse(const char *s, VmHealthMode *ret);
const char *vm_health_mode_to_string(VmHealthMode mode);

/* The file the domain's first serial port or console writes to (<serial type='file'> source
 * path, or a <log file=...> of one), NULL when it has none. */
char *vm_health_console_log(const char *domain_xml, size_t len);

/* Whether the domain has the qemu guest agent's channel (org.qemu.guest_agent.0). */
bool vm_health_has_agent_channel(const char *domain_xml, size_t len);

typedef struct {
    char *instance;        /* which run of the domain it is about ("ID UUID") */
    int64_t last_alive_us; /* monotonic time of the last heartbeat (or of the first look) */
    int64_t console_size;  /* console log size at the last look; -1 unknown */
    bool armed;            /* a heartbeat was seen in this run */
    bool failed;           /* the last verdict was a failure: a stop need not be graceful */
} VmHealthState;

void vm_health_state_clear(VmHealthState *s);
char *vm_health_state_format(const VmHealthState *s);
/* -1 on anything not written by vm_health_state_format (then there is no state). */
int vm_health_state_parse(const char *buf, size_t len, VmHealthState *ret);

typedef struct {
    const char *instance;
    int64_t now_us;       /* monotonic */
    bool paused;          /* paused on purpose: no verdict, the clock stops */
    bool agent_answered;  /* guest-agent mode: guest-ping answered */
    int64_t console_size; /* console mode: the log's size now, -1 when it cannot be read */
} VmHealthObservation;

/* Judges one look at the guest. Returns true when it is healthy (or not judged yet), false
 * with a one-line *ret_reason when it failed; *ret_next is the state to keep either way. */
bool vm_health_judge(VmHealthMode mode, const VmHealthState *prev, const VmHealthObservation *obs,
                     int64_t timeout_us, VmHealthState *ret_next, char **ret_reason);
