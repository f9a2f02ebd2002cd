/* Whether a running VM can still reach its disks on this host (the VM Component Protection check
 * of the recurring monitor). Pure: the agent reads the domain's XML and tries each disk; this
 * module says which disks to try and what the agent saw means.
 *
 * A host that loses the shared storage (an NFS server or SAN path gone, the mount hidden or
 * read-only) keeps its qemus running on descriptors they opened earlier, so libvirt reports them
 * running while their disks are unreachable; a guest that does no disk I/O is not even paused by
 * an I/O error. The monitor fails such a VM so that the cluster stops it here and starts it where
 * the storage is reachable. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char *path;    /* source file, block device or directory */
    bool readonly; /* <readonly/>, or a cdrom/floppy: the guest never writes it */
} VmDisk;

void vm_disk_free(VmDisk *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmDisk, vm_disk_free)

/* The local disks of the domain XML in @xml (@len bytes): a GPtrArray of VmDisk, empty when there
 * are none; NULL when @xml is not a domain definition. Network disks (no host path) are left out.
 */
GPtrArray *vm_storage_disks_from_xml(const char *xml, size_t len);

typedef enum {
    VM_DISK_REACHABLE,
    VM_DISK_LOST,       /* the storage says no: the VM cannot go on using it */
    VM_DISK_NO_VERDICT, /* the agent's own trouble (out of memory or descriptors, interrupted) */
} VmDiskVerdict;

/* What errno @err of opening (or fstat of) a disk, or of asking whether a writable disk can be
 * written (access W_OK), means; 0 is reachable. */
VmDiskVerdict vm_storage_verdict(int err);

/* The monitor's exit reason for @disk lost with @err: the error first (the reason is cut at 128
 * characters), then the path. */
char *vm_storage_problem(const char *disk, int err, bool write_check);

/* The exit reason of a start, restore or validate-all that found @path (the config or a disk)
 * unreachable with @err: VMHA_OCF_STORAGE_UNREACHABLE first, which clusterd recognises. */
char *vm_storage_start_problem(const char *path, int err, bool write_check);
