/* What a fence device (a stonith primitive, docs/CIB.md) may hold. Pure validation shared by vmctl
 * (early, friendly errors) and clusterd (authoritative, before a write is applied). */
#pragma once

#include <glib.h>
#include <stdbool.h>

/* A device id: the same rules as a VM name (an XML ID usable in CIB ids). */
bool vmha_fence_id_valid(const char *id);

#define VMHA_FENCE_AGENT_PREFIX   "fence_"
#define VMHA_FENCE_AGENT_NAME_MAX 128

/* A fence agent: a name fence_[A-Za-z0-9_]+ (at most 128 characters), never a path. clusterd
 * looks it up in its trusted agent directories only (clusterd --fence-agent-dir, /usr/sbin), as
 * Pacemaker's fencer does: whoever may write the database must not choose what root runs. */
bool vmha_fence_agent_valid(const char *agent);

/* A fence device as the "only device" rule sees it: its id and the nodes it fences. */
typedef struct {
    const char *id;
    const char *const *hosts; /* NULL-terminated */
} VmhaFenceDeviceHosts;

/* The nodes that device `id` fences and no other device of `devices` does: removing or replacing
 * it would leave them without a fence device (NULL-terminated, possibly empty; g_strfreev). */
char **vmha_fence_only_device_of(const VmhaFenceDeviceHosts *devices, size_t n_devices,
                                 const char *id);

/* Checks the device options, each "name=value": names [a-z_][a-z0-9_-]* (at most 64), values on
 * one line (the fencer hands them to the agent as name=value lines), no name twice, none of the
 * names the fencer or vmctl set themselves (action, nodename, pcmk_host_list, agent). On failure
 * returns -EINVAL and a one-line reason in *ret_error (free it). */
int vmha_fence_options_check(const char *const *kvs, char **ret_error) G_GNUC_WARN_UNUSED_RESULT;

/* Splits "n1,n2" into node names (valid, no duplicates); -EINVAL otherwise. */
int vmha_fence_hosts_parse(const char *list, char ***ret_hosts) G_GNUC_WARN_UNUSED_RESULT;

/* Whether an option's value is a secret that listings hide (passwords and the like). */
bool vmha_fence_option_is_secret(const char *name);
