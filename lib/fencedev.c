#include "fencedev.h"

#include <errno.h>
#include <string.h>

#include "vmattr.h"

#define OPTION_NAME_MAX  64
#define OPTION_VALUE_MAX 4096

bool vmha_fence_id_valid(const char *id)
{
    return vmha_vm_name_valid(id);
}

bool vmha_fence_agent_valid(const char *agent)
{
    size_t len = agent ? strlen(agent) : 0;

    /* A name only: the fencer runs it as root from a trusted directory, so a path (or anything
     * that could become one) would let whoever writes the database choose what root runs. */
    if (!g_str_has_prefix(agent ? agent : "", VMHA_FENCE_AGENT_PREFIX) ||
        len == strlen(VMHA_FENCE_AGENT_PREFIX) || len > VMHA_FENCE_AGENT_NAME_MAX)
        return false;
    for (size_t i = strlen(VMHA_FENCE_AGENT_PREFIX); i < len; i++)
        if (!g_ascii_isalnum(agent[i]) && agent[i] != '_')
            return false;
    return true;
}

static bool device_covers(const VmhaFenceDeviceHosts *d, const char *node)
{
    for (size_t i = 0; d->hosts && d->hosts[i]; i++)
        if (strcmp(d->hosts[i], node) == 0)
            return true;
    return false;
}

char **vmha_fence_only_device_of(const VmhaFenceDeviceHosts *devices, size_t n_devices,
                                 const char *id)
{
    GPtrArray *out = g_ptr_array_new();

    for (size_t d = 0; d < n_devices; d++) {
        if (strcmp(devices[d].id, id) != 0)
            continue;
        for (size_t h = 0; devices[d].hosts && devices[d].hosts[h]; h++) {
            const char *node = devices[d].hosts[h];
            bool other = false;
            for (size_t o = 0; o < n_devices && !other; o++)
                other = strcmp(devices[o].id, id) != 0 && device_covers(&devices[o], node);
            bool listed = false;
            for (guint k = 0; k < out->len && !listed; k++)
                listed = strcmp(g_ptr_array_index(out, k), node) == 0;
            if (!other && !listed)
                g_ptr_array_add(out, g_strdup(node));
        }
    }
    g_ptr_array_add(out, NULL);
    return (char **)g_ptr_array_free(out, false);
}

static bool option_name_valid(const char *name, size_t len)
{
    if (len == 0 || len > OPTION_NAME_MAX)
        return false;
    if (!g_ascii_islower(name[0]) && name[0] != '_')
        return false;
    for (size_t i = 1; i < len; i++)
        if (!g_ascii_islower(name[i]) && !g_ascii_isdigit(name[i]) && name[i] != '_' &&
            name[i] != '-')
            return false;
    return true;
}

/* Set by the fencer for each request, or by vmctl from --hosts and the agent argument. */
static const char *const reserved[][2] = {
        {"action", "the fence action comes from the cluster property stonith-action"},
        {"nodename", "the fencer passes the node to fence itself"},
        {"pcmk_host_list", "give the nodes with --hosts"},
        {"agent", "give the agent as the second argument"},
};

int vmha_fence_options_check(const char *const *kvs, char **ret_error)
{
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

    for (size_t i = 0; kvs && kvs[i]; i++) {
        const char *eq = strchr(kvs[i], '=');
        if (!eq) {
            *ret_error = g_strdup_printf("'%s' is not NAME=VALUE", kvs[i]);
            return -EINVAL;
        }
        g_autofree char *name = g_strndup(kvs[i], eq - kvs[i]);
        if (!option_name_valid(name, strlen(name))) {
            *ret_error = g_strdup_printf("bad option name '%s': [a-z_][a-z0-9_-]*", name);
            return -EINVAL;
        }
        for (size_t r = 0; r < G_N_ELEMENTS(reserved); r++) {
            if (strcmp(name, reserved[r][0]) == 0) {
                *ret_error = g_strdup_printf("option '%s' cannot be set: %s", name, reserved[r][1]);
                return -EINVAL;
            }
        }
        const char *value = eq + 1;
        if (strchr(value, '\n') || strchr(value, '\r') || strlen(value) > OPTION_VALUE_MAX ||
            !g_utf8_validate(value, -1, NULL)) {
            *ret_error = g_strdup_printf("option '%s': the value must be one line of text", name);
            return -EINVAL;
        }
        if (!g_hash_table_add(seen, g_steal_pointer(&name))) {
            *ret_error = g_strdup_printf("option '%.*s' given twice", (int)(eq - kvs[i]), kvs[i]);
            return -EINVAL;
        }
    }
    return 0;
}

int vmha_fence_hosts_parse(const char *list, char ***ret_hosts)
{
    /* The same rules as a preference list: valid node names, none twice. */
    return vmha_prefer_parse(list, ret_hosts);
}

bool vmha_fence_option_is_secret(const char *name)
{
    return strstr(name, "passw") || strstr(name, "secret") || strstr(name, "community") ||
           strcmp(name, "key") == 0 || g_str_has_suffix(name, "_key") || strstr(name, "token");
}
