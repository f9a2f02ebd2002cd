/* What a fence device (a stonith primitive, docs/CIB.md) may hold. Pure validation shared by vmctl
 * (early, friendly errors) and clusterd (authoritative, before a write is applied). */
#pragma once

#include <glib.h>
#include <stdbool.h>

/* A device id: the same rules as a VM name (an XML ID usable in CIB ids). */
bool vmha_fence_id_valid(const char *id);

/* A fence agent: a bare name fence_[a-z0-9_]+ (looked up where fence-agents installs them) or an
 * absolute path without whitespace or control characters. */
bool vmha_fence_agent_valid(const char *agent);

/* Checks the device options, each "name=value": names [a-z_][a-z0-9_-]* (at most 64), values on
 * one line (the fencer hands them to the agent as name=value lines), no name twice, none of the
 * names the fencer or vmctl set themselves (action, nodename, pcmk_host_list, agent). On failure
 * returns -EINVAL and a one-line reason in *ret_error (free it). */
int vmha_fence_options_check(const char *const *kvs, char **ret_error) G_GNUC_WARN_UNUSED_RESULT;

/* Splits "n1,n2" into node names (valid, no duplicates); -EINVAL otherwise. */
int vmha_fence_hosts_parse(const char *list, char ***ret_hosts) G_GNUC_WARN_UNUSED_RESULT;

/* Whether an option's value is a secret that listings hide (passwords and the like). */
bool vmha_fence_option_is_secret(const char *name);
