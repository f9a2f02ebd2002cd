/* resource-agents/lockconf: reading libvirt's lock manager configuration, and when the vm agent
 * refuses a start for want of disk leases on shared storage. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lockconf.h"

/* The problem with qemu.conf @qemu and the manager's file @mgr, the lease dir shared or not;
 * NULL when none. */
static char *problem(const char *qemu, const char *mgr, bool shared, VmLockConfig *ret)
{
    VmLockConfig c = {0};

    vm_lock_config_from_qemu_conf(qemu, &c);
    vm_lock_config_from_manager_conf(mgr, &c);
    char *p = vm_lock_config_problem(&c, shared);
    if (ret)
        *ret = c;
    else
        vm_lock_config_clear(&c);
    return p;
}

static void test_value(void **state)
{
    static const char conf[] = "# lock_manager = \"sanlock\"\n"
                               "  lock_manager   =  \"lockd\"   # the lab's\n"
                               "lock_manager_extra = \"x\"\n"
                               "auto_disk_leases = 0\n"
                               "file_lockspace_dir = '/shared/lockspace'\n"
                               "file_lockspace_dir = \"/shared/.lockspace\"\n";
    g_autofree char *m = vm_lock_conf_value(conf, "lock_manager");
    g_autofree char *a = vm_lock_conf_value(conf, "auto_disk_leases");
    g_autofree char *d = vm_lock_conf_value(conf, "file_lockspace_dir");
    assert_string_equal(m, "lockd");
    assert_string_equal(a, "0");
    assert_string_equal(d, "/shared/.lockspace"); /* the last one wins */
    assert_null(vm_lock_conf_value(conf, "disk_lease_dir"));
    assert_null(vm_lock_conf_value(NULL, "lock_manager"));
}

static void test_lockd(void **state)
{
    static const char qemu[] = "user = \"root\"\nlock_manager = \"lockd\"\n";
    static const char lab[] = "auto_disk_leases = 1\nrequire_lease_for_disks = 1\n"
                              "file_lockspace_dir = \"/var/lib/vmha-lab/x/shared/.lockspace\"\n";
    VmLockConfig c;
    char *p = problem(qemu, lab, true, &c);
    assert_null(p);
    assert_int_equal(c.manager, VM_LOCK_LOCKD);
    assert_true(c.auto_disk_leases);
    assert_string_equal(c.lease_dir, "/var/lib/vmha-lab/x/shared/.lockspace");
    vm_lock_config_clear(&c);
    /* Automatic leases are libvirt's default for lockd. */
    g_autofree char *p1 = problem(qemu, "file_lockspace_dir = \"/s/l\"\n", true, NULL);
    assert_null(p1);

    g_autofree char *local = problem(qemu, lab, false, NULL);
    assert_string_equal(local, "qemu-lockd.conf keeps the leases in "
                               "/var/lib/vmha-lab/x/shared/.lockspace, which is not on shared "
                               "storage");
    g_autofree char *direct = problem(qemu, "auto_disk_leases = 1\n", true, NULL);
    assert_non_null(strstr(direct, "sets no file_lockspace_dir"));
    g_autofree char *nofile = problem(qemu, NULL, true, NULL);
    assert_non_null(strstr(nofile, "sets no file_lockspace_dir"));
    g_autofree char *off =
            problem(qemu, "auto_disk_leases = 0\nfile_lockspace_dir = \"/s/l\"\n", true, NULL);
    assert_string_equal(off, "qemu-lockd.conf: auto_disk_leases is off, the disks are not leased");
}

static void test_none(void **state)
{
    g_autofree char *unset = problem("user = \"root\"\n", NULL, true, NULL);
    assert_non_null(strstr(unset, "libvirt has no lock manager"));
    g_autofree char *nofile = problem(NULL, NULL, true, NULL);
    assert_non_null(strstr(nofile, "libvirt has no lock manager"));
    g_autofree char *nop = problem("lock_manager = \"nop\"\n", NULL, true, NULL);
    assert_non_null(strstr(nop, "libvirt has no lock manager"));
    g_autofree char *commented = problem("#lock_manager = \"lockd\"\n", NULL, true, NULL);
    assert_non_null(strstr(commented, "libvirt has no lock manager"));
    g_autofree char *other = problem("lock_manager = \"mine\"\n", NULL, true, NULL);
    assert_non_null(strstr(other, "'mine'"));
    /* The exit reason holds it whole (clusterd keeps 128 characters). */
    assert_true(strlen(unset) + strlen(" (override: require_lock_manager=false)") <= 128);
}

static void test_sanlock(void **state)
{
    static const char qemu[] = "lock_manager = \"sanlock\"\n";
    VmLockConfig c;

    /* sanlock leases nothing automatically by default. */
    g_autofree char *dflt = problem(qemu, "host_id = 1\n", true, NULL);
    assert_non_null(strstr(dflt, "auto_disk_leases is off"));
    char *p = problem(qemu, "auto_disk_leases = 1\nhost_id = 1\n", true, &c);
    assert_null(p);
    assert_string_equal(c.lease_dir, "/var/lib/libvirt/sanlock");
    vm_lock_config_clear(&c);
    g_autofree char *local = problem(
            qemu, "auto_disk_leases = 1\ndisk_lease_dir = \"/local/sanlock\"\n", false, NULL);
    assert_non_null(strstr(local, "not on shared storage"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_value),
            cmocka_unit_test(test_lockd),
            cmocka_unit_test(test_none),
            cmocka_unit_test(test_sanlock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
