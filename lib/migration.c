#include <errno.h>
#include <glib.h>
#include <string.h>

#include "vmha/migration.h"

static const char *const names[] = {
        [VMHA_MIGRATION_QUICK] = "quick",
        [VMHA_MIGRATION_LIVE] = "live",
        [VMHA_MIGRATION_COLD] = "cold",
};

const char *vmha_migration_method_to_string(VmhaMigrationMethod method)
{
    return (unsigned)method < G_N_ELEMENTS(names) ? names[method] : NULL;
}

int vmha_migration_method_from_string(const char *s, VmhaMigrationMethod *ret)
{
    for (size_t i = 0; s && i < G_N_ELEMENTS(names); i++)
        if (names[i] && strcmp(s, names[i]) == 0) {
            *ret = (VmhaMigrationMethod)i;
            return 0;
        }
    return -EINVAL;
}
