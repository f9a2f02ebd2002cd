/* The cluster properties vmha reads, with their defaults (clusterprops.h). */
#include "clusterprops.h"

#include <glib.h>
#include <string.h>

static const VmhaClusterProperty properties[] = {
        {"stonith-enabled", "true"},
        {"stonith-action", "reboot"},
        {"symmetric-cluster", "true"},
        {"no-quorum-policy", "stop"},
        {"placement-strategy", "default"},
        {"migration-limit", "1"},
        /* 0: twice the node's cores (clusterd/jobs.c) */
        {"node-action-limit", "0"},
        {"maintenance-mode", "false"},
        {"stop-all-resources", "false"},
        {"vmha-self-fence-timeout", "10"},
        {"vmha-fence-watchdog-timeout", "20"},
        {"vmha-shutdown-policy", "migrate"},
};

const VmhaClusterProperty *vmha_cluster_property(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(properties); i++)
        if (strcmp(name, properties[i].name) == 0)
            return &properties[i];
    return NULL;
}

const VmhaClusterProperty *vmha_cluster_property_at(size_t i)
{
    return i < G_N_ELEMENTS(properties) ? &properties[i] : NULL;
}

size_t vmha_cluster_property_count(void)
{
    return G_N_ELEMENTS(properties);
}
