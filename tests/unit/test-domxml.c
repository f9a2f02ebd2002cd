#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "domxml.h"

static const char good_xml[] =
        "<domain type='qemu'>\n"
        "  <name>web1</name>\n"
        "  <uuid>6B29FC40-CA47-1067-B31D-00DD010662DA</uuid>\n"
        "  <memory unit='MiB'>64</memory>\n"
        "  <vcpu placement='static' current='2'>4</vcpu>\n"
        "  <devices>\n"
        "    <disk type='file' device='disk'><source file='/shared/web1.qcow2'/></disk>\n"
        "    <disk type='block' device='disk'><source dev='/dev/mapper/lun7'/></disk>\n"
        "    <disk type='network' device='disk'><source protocol='rbd' name='p/i'/></disk>\n"
        "  </devices>\n"
        "</domain>\n";

static VmhaDomXml *parse_ok(const char *xml)
{
    VmhaDomXml *dom = NULL;
    g_autoptr(GError) err = NULL;

    if (vmha_domxml_parse(xml, strlen(xml), &dom, &err) < 0)
        fail_msg("parse failed: %s", err->message);
    return dom;
}

static void parse_fails(const char *xml, int code, const char *needle)
{
    VmhaDomXml *dom = (VmhaDomXml *)0x1;
    g_autoptr(GError) err = NULL;

    assert_int_equal(vmha_domxml_parse(xml, strlen(xml), &dom, &err), -1);
    assert_ptr_equal(dom, (VmhaDomXml *)0x1); /* untouched on failure */
    assert_non_null(err);
    assert_true(g_error_matches(err, VMHA_DOMXML_ERROR, code));
    if (!strstr(err->message, needle))
        fail_msg("error '%s' lacks '%s'", err->message, needle);
}

static void test_well_formed(void **state)
{
    g_autoptr(VmhaDomXml) dom = parse_ok(good_xml);

    assert_string_equal(dom->name, "web1");
    assert_string_equal(dom->uuid, "6b29fc40-ca47-1067-b31d-00dd010662da");
    assert_string_equal(dom->type, "qemu");
    assert_int_equal(dom->memory_mib, 64);
    assert_int_equal(dom->vcpus, 2);
    assert_int_equal(dom->disks->len, 2);
    assert_string_equal(g_ptr_array_index(dom->disks, 0), "/shared/web1.qcow2");
    assert_string_equal(g_ptr_array_index(dom->disks, 1), "/dev/mapper/lun7");
    assert_true(g_str_has_prefix(dom->digest, "sha256:"));
    assert_int_equal(strlen(dom->digest), strlen("sha256:") + 64);
}

static void test_minimal_defaults(void **state)
{
    g_autoptr(VmhaDomXml) dom =
            parse_ok("<domain type='kvm'><name>a</name><memory>65536</memory></domain>");

    assert_null(dom->uuid);
    assert_int_equal(dom->memory_mib, 64); /* unit absent means KiB */
    assert_int_equal(dom->vcpus, 1);
    assert_int_equal(dom->disks->len, 0);
}

static void test_malformed(void **state)
{
    parse_fails("<domain type='qemu'><name>a</name>", VMHA_DOMXML_ERROR_MALFORMED, "well-formed");
    parse_fails("", VMHA_DOMXML_ERROR_MALFORMED, "well-formed");
    parse_fails("<network><name>a</name></network>", VMHA_DOMXML_ERROR_MALFORMED, "<domain>");
}

static void test_invalid(void **state)
{
    parse_fails("<domain type='qemu'><memory>1</memory></domain>", VMHA_DOMXML_ERROR_INVALID,
                "no <name>");
    parse_fails("<domain type='qemu'><name>  </name><memory>1</memory></domain>",
                VMHA_DOMXML_ERROR_INVALID, "no <name>");
    parse_fails("<domain type='qemu'><name>a/b</name><memory>1</memory></domain>",
                VMHA_DOMXML_ERROR_INVALID, "'/'");
    parse_fails("<domain type='qemu'><name>a</name></domain>", VMHA_DOMXML_ERROR_INVALID,
                "no <memory>");
    parse_fails("<domain><name>a</name><memory>1</memory></domain>", VMHA_DOMXML_ERROR_INVALID,
                "type");
    parse_fails("<domain type='qemu'><name>a</name><uuid>xyz</uuid><memory>1</memory></domain>",
                VMHA_DOMXML_ERROR_INVALID, "uuid");
    parse_fails("<domain type='qemu'><name>a</name><memory>-5</memory></domain>",
                VMHA_DOMXML_ERROR_INVALID, "memory");
    parse_fails("<domain type='qemu'><name>a</name><memory unit='furlong'>5</memory></domain>",
                VMHA_DOMXML_ERROR_INVALID, "furlong");
    parse_fails("<domain type='qemu'><name>a</name><memory>5</memory><vcpu>0</vcpu></domain>",
                VMHA_DOMXML_ERROR_INVALID, "vcpu");
    parse_fails("<domain type='qemu'><name>a</name><memory>5</memory><vcpu>two</vcpu></domain>",
                VMHA_DOMXML_ERROR_INVALID, "vcpu");
}

static void test_memory_units(void **state)
{
    static const struct {
        const char *unit;
        const char *value;
        uint64_t mib;
    } cases[] = {
            {NULL, "1048576", 1024}, {"KiB", "65536", 64},
            {"k", "65536", 64},      {"KB", "1048576", 1000}, /* 10^3-based: 1048576000 bytes */
            {"MiB", "512", 512},     {"M", "512", 512},
            {"MB", "1000", 954}, /* 10^9 bytes = 953.67 MiB, rounded up */
            {"GiB", "2", 2048},      {"G", "1", 1024},
            {"gib", "1", 1024},      {"TiB", "1", 1024 * 1024},
            {"b", "1048576", 1},     {"bytes", "1048577", 2}, /* a partial MiB counts as one */
            {"KiB", " 2048 ", 2},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *xml = g_strdup_printf(
                "<domain type='qemu'><name>a</name><memory%s%s%s>%s</memory></domain>",
                cases[i].unit ? " unit='" : "", cases[i].unit ? cases[i].unit : "",
                cases[i].unit ? "'" : "", cases[i].value);
        g_autoptr(VmhaDomXml) dom = parse_ok(xml);
        if (dom->memory_mib != cases[i].mib)
            fail_msg("%s %s: got %" G_GUINT64_FORMAT " MiB, want %" G_GUINT64_FORMAT,
                     cases[i].value, cases[i].unit ? cases[i].unit : "(none)", dom->memory_mib,
                     cases[i].mib);
    }
}

static void test_scale_overflow(void **state)
{
    uint64_t b = 42;

    assert_int_equal(vmha_domxml_scale_to_bytes(UINT64_MAX / 2, "GiB", &b), -1);
    assert_int_equal(b, 42);
    assert_int_equal(vmha_domxml_scale_to_bytes(1, "EiB", &b), 0);
    assert_int_equal(b, 1ULL << 60);
    assert_int_equal(vmha_domxml_scale_to_bytes(1, "", &b), 0);
    assert_int_equal(b, 1024);
    assert_int_equal(vmha_domxml_scale_to_bytes(1, "KiBB", &b), -1);
}

static void test_digest(void **state)
{
    g_autoptr(VmhaDomXml) a = parse_ok(good_xml);
    /* Same definition, other formatting, quoting and a comment: same digest. */
    g_autoptr(VmhaDomXml) b = parse_ok(
            "<?xml version='1.0'?><!-- copied --><domain type=\"qemu\"><name>web1</name>"
            "<uuid>6B29FC40-CA47-1067-B31D-00DD010662DA</uuid><memory unit=\"MiB\">64</memory>"
            "<vcpu placement=\"static\" current=\"2\">4</vcpu><devices>"
            "<disk type='file' device='disk'><source file='/shared/web1.qcow2'/></disk>"
            "<disk type='block' device='disk'><source dev='/dev/mapper/lun7'/></disk>"
            "<disk type='network' device='disk'><source protocol='rbd' name='p/i'/></disk>"
            "</devices></domain>");
    g_autofree char *changed_xml = g_strdup(good_xml);
    g_autoptr(VmhaDomXml) c = NULL;

    memcpy(strstr(changed_xml, ">64<"), ">65<", 4);
    c = parse_ok(changed_xml);
    assert_string_equal(a->digest, b->digest);
    assert_string_not_equal(a->digest, c->digest);
}

/* What the admin group may write must not run code as root on the hosts: the agent (root) would
 * define it. Each entry: a fragment inside <devices> or at the domain's top, the error's words. */
static void test_host_safety(void **state)
{
    static const struct {
        const char *top, *devices, *needle;
    } refused[] = {
            {"<qemu:commandline xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>"
             "<qemu:arg value='-set'/></qemu:commandline>",
             "", "qemu:commandline"},
            {"<qemu:capabilities xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'/>", "",
             "qemu:capabilities"},
            {"", "<emulator>/shared/evil</emulator>", "emulator"},
            {"", "<emulator>/usr/bin/qemu-system-x86_64/../../../tmp/x</emulator>", "emulator"},
            {"", "<interface type='ethernet'><script path='/shared/up.sh'/></interface>", "script"},
            {"", "<interface type='ethernet'><downscript path='/x'/></interface>", "downscript"},
            {"", "<disk type='file' device='disk'><source file='/etc/shadow'/></disk>",
             "/etc/shadow"},
            {"", "<serial type='file'><source path='/root/.ssh/authorized_keys'/></serial>",
             "/root/.ssh/authorized_keys"},
            {"", "<disk type='file' device='disk'><source file='/var/lib/vmha/cib.xml'/></disk>",
             "/var/lib/vmha/cib.xml"},
            {"<os><type>hvm</type><kernel>/boot/vmlinuz</kernel></os>", "", "/boot/vmlinuz"},
            {"", "<disk type='file' device='disk'><source file='/shared/../etc/passwd'/></disk>",
             "/shared/../etc/passwd"},
    };
    static const struct {
        const char *top, *devices;
    } accepted[] = {
            {"", "<emulator>/usr/bin/qemu-system-x86_64</emulator>"},
            {"", "<emulator>/usr/bin/kvm</emulator>"},
            {"<os><type>hvm</type><loader>/usr/share/OVMF/OVMF_CODE.fd</loader></os>", ""},
            {"",
             "<disk type='file' device='disk'><source file='/var/lib/vmha-lab/x/d.img'/></disk>"},
            {"", "<interface type='network'><source network='default'/></interface>"},
    };

    for (size_t i = 0; i < G_N_ELEMENTS(refused); i++) {
        g_autofree char *xml = g_strdup_printf("<domain type='qemu'><name>v</name>"
                                               "<memory unit='MiB'>64</memory>%s"
                                               "<devices>%s</devices></domain>",
                                               refused[i].top, refused[i].devices);
        parse_fails(xml, VMHA_DOMXML_ERROR_UNSAFE, refused[i].needle);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(accepted); i++) {
        g_autofree char *xml = g_strdup_printf("<domain type='qemu'><name>v</name>"
                                               "<memory unit='MiB'>64</memory>%s"
                                               "<devices>%s</devices></domain>",
                                               accepted[i].top, accepted[i].devices);
        g_autoptr(VmhaDomXml) dom = parse_ok(xml);
        assert_string_equal(dom->name, "v");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_well_formed),  cmocka_unit_test(test_minimal_defaults),
            cmocka_unit_test(test_malformed),    cmocka_unit_test(test_invalid),
            cmocka_unit_test(test_memory_units), cmocka_unit_test(test_scale_overflow),
            cmocka_unit_test(test_digest),       cmocka_unit_test(test_host_safety),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
