/* How a VM moves from one node to another. The one list of methods and their spellings, which
 * cross every boundary: the vm agent's migration_method parameter, a VM's vmha-move-method and a
 * node's vmha-drain-method in the CIB, the method= pair of a drain or move request, the METHOD of
 * an action line and a pending migration's vmha-migration-method, vmctl's --method and its JSON. */
#pragma once

typedef enum {
    /* Not given: the next rule decides (a drain's method, then the VM's move method, then its
     * migration_method), in the end quick. Never written anywhere. */
    VMHA_MIGRATION_DEFAULT = 0,
    VMHA_MIGRATION_QUICK, /* "quick": memory saved to shared storage, restored on the target */
    VMHA_MIGRATION_LIVE,  /* "live": libvirt's live migration */
    VMHA_MIGRATION_COLD,  /* "cold": stopped here, started there (memory lost) */
} VmhaMigrationMethod;

/* The values a user may give, for error messages. */
#define VMHA_MIGRATION_METHODS "quick, live or cold"

/* "quick", "live" or "cold"; NULL for VMHA_MIGRATION_DEFAULT or anything else. */
const char *vmha_migration_method_to_string(VmhaMigrationMethod method);
/* The method s spells (exactly, as written above); -EINVAL for NULL or anything else, *ret then
 * untouched. */
int vmha_migration_method_from_string(const char *s, VmhaMigrationMethod *ret);
