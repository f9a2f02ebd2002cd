#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <libvirt/libvirt.h>

#include "params.h"
#include "saveimage.h"
#include "vmha/ocf.h"
#include "vmstate.h"

static const char xml[] = "<domain type='qemu'><name>web1</name>"
                          "<uuid>6b29fc40-ca47-1067-b31d-00dd010662da</uuid>"
                          "<memory unit='MiB'>64</memory></domain>";

static VmhaDomainDef *domain(const char *text)
{
    VmhaDomainDef *dom = NULL;
    g_autoptr(GError) err = NULL;

    if (vmha_domaindef_parse(text, strlen(text), &dom, &err) < 0)
        fail_msg("%s", err->message);
    return dom;
}

static VmSaveMeta *meta_for(const VmhaDomainDef *dom)
{
    VmSaveMeta *m = g_new0(VmSaveMeta, 1);

    m->name = g_strdup(dom->name);
    m->uuid = g_strdup(dom->uuid);
    m->digest = g_strdup(dom->digest);
    m->saved_at_us = 2000;
    m->image_size = 4096;
    m->saved_on = g_strdup("n1");
    return m;
}

static void test_roundtrip(void **state)
{
    g_autoptr(VmhaDomainDef) dom = domain(xml);
    g_autoptr(VmSaveMeta) m = meta_for(dom);
    g_autoptr(VmSaveMeta) back = NULL;
    g_autofree char *text = vm_save_meta_format(m);
    g_autofree char *error = NULL;

    assert_int_equal(vm_save_meta_parse(text, strlen(text), &back, &error), 0);
    assert_string_equal(back->name, "web1");
    assert_string_equal(back->uuid, m->uuid);
    assert_string_equal(back->digest, m->digest);
    assert_int_equal(back->saved_at_us, 2000);
    assert_int_equal(back->image_size, 4096);
    assert_string_equal(back->saved_on, "n1");
}

static void test_parse_rejects(void **state)
{
    static const char *bad[] = {
            "",
            "garbage without group",
            "[vmha-save-image]\nversion=2\nname=a\nconfig-digest=d\nsaved-at-us=1\nimage-size=1\n",
            "[vmha-save-image]\nversion=1\nconfig-digest=d\nsaved-at-us=1\nimage-size=1\n",
            "[vmha-save-image]\nversion=1\nname=a\nsaved-at-us=1\nimage-size=1\n",
            "[vmha-save-image]\nversion=1\nname=a\nconfig-digest=d\nsaved-at-us=x\nimage-size=1\n",
            "[vmha-save-image]\nversion=1\nname=a\nconfig-digest=d\nsaved-at-us=1\nimage-size=-1\n",
            "[vmha-save-image]\nversion=1\nname=a\nconfig-digest=d\nsaved-at-us=1\n",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        VmSaveMeta *m = (VmSaveMeta *)0x1;
        g_autofree char *error = NULL;
        if (vm_save_meta_parse(bad[i], strlen(bad[i]), &m, &error) != -1)
            fail_msg("accepted: %s", bad[i]);
        assert_ptr_equal(m, (VmSaveMeta *)0x1);
        assert_non_null(error);
    }
}

static void expect_reject(const VmSaveMeta *m, const VmhaDomainDef *dom, int64_t mtime,
                          uint64_t size, const char *needle)
{
    g_autofree char *reason = NULL;

    assert_false(vm_save_meta_matches(m, dom, mtime, size, &reason));
    if (!reason || !strstr(reason, needle))
        fail_msg("reason '%s' lacks '%s'", reason ? reason : "(null)", needle);
}

static void test_rule(void **state)
{
    g_autoptr(VmhaDomainDef) dom = domain(xml);
    g_autoptr(VmSaveMeta) m = meta_for(dom);
    g_autofree char *reason = NULL;

    assert_true(vm_save_meta_matches(m, dom, 1999, 4096, &reason));
    assert_null(reason);
    assert_true(vm_save_meta_matches(m, dom, 2000, 4096, &reason));

    expect_reject(m, dom, 2001, 4096, "older than the domain definition");
    expect_reject(m, dom, 1000, 4095, "4095 bytes");

    g_free(m->digest);
    m->digest = g_strdup("sha256:00");
    expect_reject(m, dom, 1000, 4096, "definition changed");
    g_free(m->digest);
    m->digest = g_strdup(dom->digest);

    g_free(m->uuid);
    m->uuid = g_strdup("00000000-0000-0000-0000-000000000000");
    expect_reject(m, dom, 1000, 4096, "UUID");

    g_free(m->name);
    m->name = g_strdup("web2");
    expect_reject(m, dom, 1000, 4096, "web2");
}

static void test_rule_definition_without_uuid(void **state)
{
    /* libvirt invents a UUID per start then: the image's UUID cannot be compared, the digest is. */
    g_autoptr(VmhaDomainDef) dom =
            domain("<domain type='qemu'><name>web1</name><memory>65536</memory></domain>");
    g_autoptr(VmSaveMeta) m = meta_for(dom);
    g_autofree char *reason = NULL;

    g_free(m->uuid);
    m->uuid = g_strdup("11111111-2222-3333-4444-555555555555");
    assert_true(vm_save_meta_matches(m, dom, 0, 4096, &reason));
}

static void test_state_mapping(void **state)
{
    static const struct {
        int state, reason, ocf;
    } cases[] = {
            {VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_BOOTED, OCF_SUCCESS},
            {VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_RESTORED, OCF_SUCCESS},
            {VIR_DOMAIN_BLOCKED, 0, OCF_SUCCESS},
            {VIR_DOMAIN_PAUSED, VIR_DOMAIN_PAUSED_USER, OCF_SUCCESS},
            {VIR_DOMAIN_PAUSED, VIR_DOMAIN_PAUSED_SAVE, OCF_SUCCESS},
            {VIR_DOMAIN_PAUSED, VIR_DOMAIN_PAUSED_MIGRATION, OCF_SUCCESS},
            {VIR_DOMAIN_PAUSED, VIR_DOMAIN_PAUSED_IOERROR, OCF_ERR_GENERIC},
            {VIR_DOMAIN_PAUSED, VIR_DOMAIN_PAUSED_CRASHED, OCF_ERR_GENERIC},
            {VIR_DOMAIN_PAUSED, VIR_DOMAIN_PAUSED_WATCHDOG, OCF_ERR_GENERIC},
            {VIR_DOMAIN_SHUTDOWN, 0, OCF_SUCCESS},
            {VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_SHUTDOWN, OCF_NOT_RUNNING},
            {VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_SAVED, OCF_NOT_RUNNING},
            {VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_MIGRATED, OCF_NOT_RUNNING},
            {VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_CRASHED, OCF_ERR_GENERIC},
            {VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_FAILED, OCF_ERR_GENERIC},
            {VIR_DOMAIN_CRASHED, 0, OCF_ERR_GENERIC},
            {VIR_DOMAIN_NOSTATE, 0, OCF_ERR_GENERIC},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
        if (vm_state_to_ocf(cases[i].state, cases[i].reason) != cases[i].ocf)
            fail_msg("state %d reason %d: got %d want %d", cases[i].state, cases[i].reason,
                     vm_state_to_ocf(cases[i].state, cases[i].reason), cases[i].ocf);
}

static void clear_env(void)
{
    static const char *keys[] = {
            "OCF_RESKEY_config",           "OCF_RESKEY_hypervisor",
            "OCF_RESKEY_state_dir",        "OCF_RESKEY_shutdown_timeout",
            "OCF_RESKEY_migration_method", "OCF_RESKEY_migration_uri",
            "OCF_RESKEY_shared_dirs",      "OCF_RESKEY_live_unsafe",
            "OCF_RESKEY_sync_image",       "OCF_RESKEY_CRM_meta_interval",
            "OCF_RESKEY_CRM_meta_timeout", "OCF_RESKEY_CRM_meta_migrate_target",
            "OCF_RESOURCE_INSTANCE"};
    for (size_t i = 0; i < G_N_ELEMENTS(keys); i++)
        unsetenv(keys[i]);
}

static void test_params(void **state)
{
    g_autoptr(VmParams) p = NULL;
    g_autofree char *error = NULL, *uri = NULL;

    clear_env();
    setenv("OCF_RESKEY_config", "/shared/vms/web1.xml", 1);
    setenv("OCF_RESKEY_CRM_meta_interval", "10000", 1);
    setenv("OCF_RESKEY_live_unsafe", "true", 1);
    setenv("OCF_RESKEY_sync_image", "no", 1);
    setenv("OCF_RESKEY_shared_dirs", "/a:/b", 1);
    assert_int_equal(vm_params_load(&p, &error), 0);
    assert_string_equal(p->hypervisor, "qemu:///system");
    assert_string_equal(p->state_dir, "/shared/vms/vmha-save");
    assert_int_equal(p->migration_method, VMHA_MIGRATION_QUICK);
    assert_int_equal(p->interval_ms, 10000);
    assert_true(p->live_unsafe);
    assert_false(p->sync_image);
    assert_int_equal(g_strv_length(p->shared_dirs), 2);
    uri = vm_params_migration_uri(p, "n2");
    assert_string_equal(uri, "qemu+tls://n2/system");
}

static void test_params_reject(void **state)
{
    static const char *bad[][2] = {
            {"OCF_RESKEY_migration_method", "teleport"}, {"OCF_RESKEY_shutdown_timeout", "-1"},
            {"OCF_RESKEY_CRM_meta_interval", "soon"},    {"OCF_RESKEY_live_unsafe", "maybe"},
            {"OCF_RESKEY_state_dir", "relative/dir"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        VmParams *p = (VmParams *)0x1;
        g_autofree char *error = NULL;

        clear_env();
        setenv(bad[i][0], bad[i][1], 1);
        if (vm_params_load(&p, &error) != -1)
            fail_msg("accepted %s=%s", bad[i][0], bad[i][1]);
        assert_ptr_equal(p, (VmParams *)0x1);
        assert_non_null(error);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_roundtrip),
            cmocka_unit_test(test_parse_rejects),
            cmocka_unit_test(test_rule),
            cmocka_unit_test(test_rule_definition_without_uuid),
            cmocka_unit_test(test_state_mapping),
            cmocka_unit_test(test_params),
            cmocka_unit_test(test_params_reject),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
