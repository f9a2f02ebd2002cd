#include <stdlib.h>
#include <string.h>

#include "lockconf.h"

void vm_lock_config_clear(VmLockConfig *c)
{
    g_clear_pointer(&c->manager_name, g_free);
    g_clear_pointer(&c->lease_dir, g_free);
}

/* One line's value with comments and surrounding blanks gone, quotes removed from a string. */
static char *parse_value(const char *v)
{
    while (*v == ' ' || *v == '\t')
        v++;
    if (*v == '"' || *v == '\'') {
        const char *end = strchr(v + 1, *v);
        return end ? g_strndup(v + 1, (size_t)(end - v - 1)) : NULL;
    }
    size_t n = strcspn(v, "# \t\r");
    return n > 0 ? g_strndup(v, n) : NULL;
}

char *vm_lock_conf_value(const char *text, const char *key)
{
    g_auto(GStrv) lines = g_strsplit(text ? text : "", "\n", -1);
    size_t klen = strlen(key);
    char *found = NULL;

    /* The last setting wins, as in libvirt's parser. */
    for (size_t i = 0; lines[i]; i++) {
        const char *l = lines[i];
        while (*l == ' ' || *l == '\t')
            l++;
        if (strncmp(l, key, klen) != 0)
            continue;
        l += klen;
        while (*l == ' ' || *l == '\t')
            l++;
        if (*l != '=')
            continue;
        g_free(found);
        found = parse_value(l + 1);
    }
    return found;
}

void vm_lock_config_from_qemu_conf(const char *text, VmLockConfig *ret)
{
    vm_lock_config_clear(ret);
    *ret = (VmLockConfig){.manager_name = vm_lock_conf_value(text, "lock_manager")};
    const char *m = ret->manager_name;
    if (!m || !*m || strcmp(m, "nop") == 0)
        ret->manager = VM_LOCK_NONE;
    else if (strcmp(m, "lockd") == 0)
        ret->manager = VM_LOCK_LOCKD;
    else if (strcmp(m, "sanlock") == 0)
        ret->manager = VM_LOCK_SANLOCK;
    else
        ret->manager = VM_LOCK_OTHER;
}

const char *vm_lock_manager_conf_name(VmLockManager m)
{
    switch (m) {
    case VM_LOCK_LOCKD:
        return "qemu-lockd.conf";
    case VM_LOCK_SANLOCK:
        return "qemu-sanlock.conf";
    case VM_LOCK_NONE:
    case VM_LOCK_OTHER:
        break;
    }
    return NULL;
}

void vm_lock_config_from_manager_conf(const char *text, VmLockConfig *ret)
{
    g_autofree char *auto_leases = vm_lock_conf_value(text, "auto_disk_leases");

    g_clear_pointer(&ret->lease_dir, g_free);
    switch (ret->manager) {
    case VM_LOCK_LOCKD:
        /* libvirt's defaults: automatic leases on, no lockspace (direct leases). */
        ret->auto_disk_leases = !auto_leases || strcmp(auto_leases, "0") != 0;
        ret->lease_dir = vm_lock_conf_value(text, "file_lockspace_dir");
        break;
    case VM_LOCK_SANLOCK:
        /* libvirt's defaults: automatic leases off, kept in /var/lib/libvirt/sanlock. */
        ret->auto_disk_leases = auto_leases && strcmp(auto_leases, "0") != 0;
        ret->lease_dir = vm_lock_conf_value(text, "disk_lease_dir");
        if (!ret->lease_dir)
            ret->lease_dir = g_strdup("/var/lib/libvirt/sanlock");
        break;
    case VM_LOCK_NONE:
    case VM_LOCK_OTHER:
        ret->auto_disk_leases = false;
        break;
    }
    if (ret->lease_dir && !*ret->lease_dir)
        g_clear_pointer(&ret->lease_dir, g_free);
}

char *vm_lock_config_problem(const VmLockConfig *c, bool lease_dir_shared)
{
    const char *file = vm_lock_manager_conf_name(c->manager);

    switch (c->manager) {
    case VM_LOCK_NONE:
        return g_strdup("libvirt has no lock manager (qemu.conf lock_manager): nothing leases "
                        "the disks");
    case VM_LOCK_OTHER:
        return g_strdup_printf("libvirt's lock manager '%s' is not one the agent can check "
                               "(lockd or sanlock)",
                               c->manager_name);
    case VM_LOCK_LOCKD:
    case VM_LOCK_SANLOCK:
        break;
    }
    if (!c->auto_disk_leases)
        return g_strdup_printf("%s: auto_disk_leases is off, the disks are not leased", file);
    if (!c->lease_dir)
        return g_strdup_printf("%s sets no file_lockspace_dir: the leases would be direct locks "
                               "that may not reach other hosts",
                               file);
    if (!lease_dir_shared)
        return g_strdup_printf("%s keeps the leases in %s, which is not on shared storage", file,
                               c->lease_dir);
    return NULL;
}
