/* The cluster properties vmha reads (docs/CIB.md), each with its documented default: the one list
 * `vmctl config set` accepts and `vmctl config show` fills in. The model (lib/model.c) checks
 * their values. */
#pragma once

#include <stddef.h>

typedef struct {
    const char *name;
    const char *default_value;
} VmhaClusterProperty;

/* NULL when vmha does not read the property. */
const VmhaClusterProperty *vmha_cluster_property(const char *name);

/* The i-th property, i < vmha_cluster_property_count(). */
const VmhaClusterProperty *vmha_cluster_property_at(size_t i);
size_t vmha_cluster_property_count(void);
