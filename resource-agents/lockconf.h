/* The second guard against a double start (vm(8), LOCKING): is libvirt's lock manager configured
 * to hold leases on shared storage? Pure: reads the text of libvirt's configuration files; the
 * caller reads them and checks where the lease directory lies.
 *
 * Accepted: lock_manager = "lockd" in qemu.conf with automatic disk leases kept in a
 * file_lockspace_dir (indirect leases: every disk, file or block device, is leased by the hash of
 * its path in that directory), or lock_manager = "sanlock" with auto_disk_leases = 1 and its
 * disk_lease_dir; the directory must be on shared storage, so that every host's lock daemon sees
 * the other hosts' leases. Direct leases (virtlockd locking the disk files themselves) are not
 * accepted: whether they conflict across hosts depends on the file system's locking, which the
 * agent cannot verify, and a block device's lock never leaves its host. */
#pragma once

#include <glib.h>
#include <stdbool.h>

typedef enum {
    VM_LOCK_NONE,    /* unset or "nop": libvirt takes no leases */
    VM_LOCK_LOCKD,   /* virtlockd */
    VM_LOCK_SANLOCK, /* sanlock */
    VM_LOCK_OTHER,   /* a plugin the agent does not know */
} VmLockManager;

typedef struct {
    VmLockManager manager;
    char *manager_name;    /* as qemu.conf spells it, NULL when unset */
    bool auto_disk_leases; /* leases on every disk without <lease> elements in the domain */
    char *lease_dir;       /* lockd: file_lockspace_dir; sanlock: disk_lease_dir */
} VmLockConfig;

void vm_lock_config_clear(VmLockConfig *c);

/* The value of setting @key in libvirt's configuration syntax (`key = "string"` or
 * `key = 123`, comments with #), NULL when the text does not set it. */
char *vm_lock_conf_value(const char *text, const char *key);

/* From qemu.conf's text (NULL: no file): which lock manager libvirt loads. */
void vm_lock_config_from_qemu_conf(const char *text, VmLockConfig *ret);

/* Then from that manager's own file (qemu-lockd.conf or qemu-sanlock.conf; NULL: no file):
 * its leases and where they are kept, with libvirt's defaults. */
void vm_lock_config_from_manager_conf(const char *text, VmLockConfig *ret);

/* The manager's file name in libvirt's configuration directory, NULL for none. */
const char *vm_lock_manager_conf_name(VmLockManager m);

/* NULL when the configuration guards the VM's disks with leases on shared storage
 * (@lease_dir_shared: the caller found c->lease_dir on shared storage); else one line saying
 * what is missing. */
char *vm_lock_config_problem(const VmLockConfig *c, bool lease_dir_shared);
