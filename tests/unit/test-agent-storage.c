/* resource-agents/storage: which disks of a running domain the monitor tries, and what an error
 * reaching one means. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "storage.h"
#include "vmha/ocf.h"

static const VmDisk *disk_at(GPtrArray *disks, guint i)
{
    return g_ptr_array_index(disks, i);
}

static void test_disks_from_live_xml(void **state)
{
    /* Shaped like libvirt's live XML: paths under /run are fine here (no safety check: the
     * domain already runs), network disks have no host path, a cdrom is never written. */
    static const char xml[] =
            "<domain type='qemu' id='3'><name>va</name><devices>"
            "<emulator>/usr/bin/qemu-system-x86_64</emulator>"
            "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
            "<source file='/shared/guests/va/va.qcow2' index='2'/><target dev='vda'/></disk>"
            "<disk type='block' device='disk'><source dev='/dev/mapper/lun7'/>"
            "<readonly/><target dev='vdb'/></disk>"
            "<disk type='network' device='disk'><source protocol='rbd' name='pool/img'/></disk>"
            "<disk type='file' device='cdrom'><source file='/shared/iso/tools.iso'/></disk>"
            "<disk type='dir' device='disk'><source dir='/shared/tree'/></disk>"
            "<disk type='file' device='cdrom'><target dev='hdc'/></disk>"
            "<channel type='unix'><source mode='bind' path='/run/libvirt/qemu/ch'/></channel>"
            "</devices></domain>";
    g_autoptr(GPtrArray) disks = vm_storage_disks_from_xml(xml, strlen(xml));

    assert_non_null(disks);
    assert_int_equal(disks->len, 4);
    assert_string_equal(disk_at(disks, 0)->path, "/shared/guests/va/va.qcow2");
    assert_false(disk_at(disks, 0)->readonly);
    assert_string_equal(disk_at(disks, 1)->path, "/dev/mapper/lun7");
    assert_true(disk_at(disks, 1)->readonly);
    assert_string_equal(disk_at(disks, 2)->path, "/shared/iso/tools.iso");
    assert_true(disk_at(disks, 2)->readonly);
    assert_string_equal(disk_at(disks, 3)->path, "/shared/tree");
    assert_false(disk_at(disks, 3)->readonly);
}

static void test_disks_none_or_not_a_domain(void **state)
{
    static const char diskless[] = "<domain><name>d</name><devices/></domain>";
    g_autoptr(GPtrArray) none = vm_storage_disks_from_xml(diskless, strlen(diskless));

    assert_non_null(none);
    assert_int_equal(none->len, 0);
    assert_null(vm_storage_disks_from_xml("<network/>", 10));
    assert_null(vm_storage_disks_from_xml("<domain>", 8));
    assert_null(vm_storage_disks_from_xml("", 0));
    assert_null(vm_storage_disks_from_xml(NULL, 0));
}

static void test_verdict(void **state)
{
    assert_int_equal(vm_storage_verdict(0), VM_DISK_REACHABLE);
    /* The storage gone, hidden, stale, read-only or refusing: qemu cannot use the disk either. */
    static const int lost[] = {ENOENT, ENOTDIR, EIO,    ESTALE,    ENXIO,
                               ENODEV, EROFS,   EACCES, ETIMEDOUT, ENOTCONN};
    for (size_t i = 0; i < G_N_ELEMENTS(lost); i++)
        assert_int_equal(vm_storage_verdict(lost[i]), VM_DISK_LOST);
    /* The agent's own trouble says nothing about the storage: no VM is failed for it. */
    static const int own[] = {EINTR, EAGAIN, ENOMEM, EMFILE, ENFILE};
    for (size_t i = 0; i < G_N_ELEMENTS(own); i++)
        assert_int_equal(vm_storage_verdict(own[i]), VM_DISK_NO_VERDICT);
}

static void test_problem(void **state)
{
    g_autofree char *gone = vm_storage_problem("/shared/guests/va/va.qcow2", ENOENT, false);
    g_autofree char *ro = vm_storage_problem("/shared/guests/va/va.qcow2", EROFS, true);

    /* The error first: an exit reason is cut at 128 characters. */
    assert_string_equal(gone, "disk unreachable (No such file or directory): "
                              "/shared/guests/va/va.qcow2");
    assert_string_equal(ro, "disk unreachable (not writable: Read-only file system): "
                            "/shared/guests/va/va.qcow2");
}

/* A start's reason begins with what clusterd recognises (storagewatch.c, statusclean.c). */
static void test_start_problem(void **state)
{
    g_autofree char *gone = vm_storage_start_problem("/shared/guests/va/va.xml", ENOENT, false);
    g_autofree char *ro = vm_storage_start_problem("/shared/guests/va/va.qcow2", EROFS, true);

    assert_true(g_str_has_prefix(gone, VMHA_OCF_STORAGE_UNREACHABLE));
    assert_string_equal(gone, "shared storage unreachable here (No such file or directory): "
                              "/shared/guests/va/va.xml");
    assert_string_equal(ro, "shared storage unreachable here (not writable: Read-only file "
                            "system): /shared/guests/va/va.qcow2");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_disks_from_live_xml),
            cmocka_unit_test(test_disks_none_or_not_a_domain),
            cmocka_unit_test(test_verdict),
            cmocka_unit_test(test_problem),
            cmocka_unit_test(test_start_problem),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
