/* clusterd's database operations on real libcib file-backend copies in a temporary directory:
 * writes, their errors, durability of cib.xml, determinism (two copies applying the same writes
 * end identical), adopting a copy, and recovery from an unreadable file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <crm/common/xml.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <stdlib.h>

#include "clusterd/clusterd.h"
#include "vmctl/vmctl.h"

static char *dir;

static int setup(void **state)
{
    dir = g_dir_make_tmp("vmha-test-cibdb-XXXXXX", NULL);
    assert_non_null(dir);
    return 0;
}

static int teardown(void **state)
{
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    g_free(dir);
    return 0;
}

static GPtrArray *three_nodes(void)
{
    GPtrArray *nodes = g_ptr_array_new();
    static CdNode n[] = {{1, (char *)"n1"}, {2, (char *)"n2"}, {3, (char *)"n3"}};
    for (size_t i = 0; i < G_N_ELEMENTS(n); i++)
        g_ptr_array_add(nodes, &n[i]);
    return nodes;
}

static VmhaMsg *add_msg(const char *name, const char *prefer)
{
    VmhaMsg *m = vmha_msg_new(VMHA_MSG_VM_ADD);
    assert_int_equal(vmha_msg_add_str(m, VMHA_F_NAME, name), 0);
    assert_int_equal(vmha_msg_add_str(m, VMHA_F_CONFIG, "/shared/vm.xml"), 0);
    assert_int_equal(vmha_msg_add_str(m, VMHA_F_PRIORITY, "7"), 0);
    assert_int_equal(vmha_msg_add_u64(m, VMHA_F_MEMORY, 512), 0);
    assert_int_equal(vmha_msg_add_u64(m, VMHA_F_VCPUS, 2), 0);
    if (prefer)
        assert_int_equal(vmha_msg_add_str(m, VMHA_F_PREFER, prefer), 0);
    return m;
}

static VmhaMsg *set_msg(const char *name, const char *kv1, const char *kv2)
{
    VmhaMsg *m = vmha_msg_new(VMHA_MSG_VM_SET);
    assert_int_equal(vmha_msg_add_str(m, VMHA_F_NAME, name), 0);
    assert_int_equal(vmha_msg_add_str(m, VMHA_F_KV, kv1), 0);
    if (kv2)
        assert_int_equal(vmha_msg_add_str(m, VMHA_F_KV, kv2), 0);
    return m;
}

static VmhaMsg *remove_msg(const char *name)
{
    VmhaMsg *m = vmha_msg_new(VMHA_MSG_VM_REMOVE);
    assert_int_equal(vmha_msg_add_str(m, VMHA_F_NAME, name), 0);
    return m;
}

static int apply(VmhaMsg *m)
{
    g_autofree char *err = NULL;
    int rc = cd_cibdb_apply(m, &err);
    vmha_msg_free(m);
    return rc;
}

static char *file_text(const char *sub)
{
    g_autofree char *path = g_build_filename(dir, sub, "cib.xml", NULL);
    char *s = NULL;
    assert_true(g_file_get_contents(path, &s, NULL, NULL));
    return s;
}

/* The sequence of writes both copies in test_determinism apply. */
static void run_writes(void)
{
    assert_int_equal(apply(add_msg("web1", "n2,n3")), 0);
    assert_int_equal(apply(add_msg("db1", NULL)), 0);
    assert_int_equal(apply(set_msg("web1", "priority=9", "target-role=Stopped")), 0);
    assert_int_equal(apply(set_msg("db1", "prefer=n1", "memory=1024")), 0);
    assert_int_equal(apply(remove_msg("db1")), 0);
}

static void test_writes_and_errors(void **state)
{
    g_autofree char *sub = g_build_filename(dir, "a", NULL);
    g_autoptr(GPtrArray) nodes = three_nodes();
    VmhaCibVersion v0, v1;
    char d0[VMHA_DIGEST_LEN + 1], d1[VMHA_DIGEST_LEN + 1];

    assert_int_equal(cd_cibdb_init(sub), 0);
    assert_int_equal(cd_cibdb_seed_nodes(nodes), 0);
    cd_cibdb_version(&v0, d0);
    assert_int_equal(strlen(d0), VMHA_DIGEST_LEN);

    assert_int_equal(apply(add_msg("web1", "n2,n3")), 0);
    cd_cibdb_version(&v1, d1);
    assert_true(vmha_cib_version_compare(&v1, &v0) > 0);
    assert_string_not_equal(d0, d1);

    /* Saved before apply returns: cib.xml holds the VM and its preferences. */
    g_autofree char *text = file_text("a");
    assert_non_null(
            strstr(text, "<primitive id=\"web1\" class=\"ocf\" provider=\"vmha\" type=\"vm\""));
    assert_non_null(strstr(text, "name=\"memory\" value=\"512\""));
    assert_non_null(strstr(text, "id=\"prefer-web1-n2\" rsc=\"web1\" node=\"n2\" score=\"100\""));
    assert_non_null(strstr(text, "id=\"prefer-web1-n3\" rsc=\"web1\" node=\"n3\" score=\"90\""));

    /* Errors change nothing. */
    assert_int_equal(apply(add_msg("web1", NULL)), VMCTL_EXIT_FAILURE);
    assert_int_equal(apply(add_msg("web2", "n9")), VMCTL_EXIT_NOT_FOUND);
    assert_int_equal(apply(set_msg("nosuch", "priority=1", NULL)), VMCTL_EXIT_NOT_FOUND);
    assert_int_equal(apply(set_msg("web1", "priority=1", "priority=high")), VMCTL_EXIT_USAGE);
    assert_int_equal(apply(set_msg("web1", "bogus=1", NULL)), VMCTL_EXIT_USAGE);
    assert_int_equal(apply(remove_msg("nosuch")), VMCTL_EXIT_NOT_FOUND);
    VmhaCibVersion v2;
    char d2[VMHA_DIGEST_LEN + 1];
    cd_cibdb_version(&v2, d2);
    assert_int_equal(vmha_cib_version_compare(&v1, &v2), 0);
    assert_string_equal(d1, d2);

    /* set: an existing nvpair changes in place; prefer replaces the preferences. */
    assert_int_equal(apply(set_msg("web1", "priority=3", "prefer=n1")), 0);
    g_free(text);
    text = file_text("a");
    assert_non_null(strstr(text, "name=\"priority\" value=\"3\""));
    assert_null(strstr(text, "value=\"7\""));
    assert_null(strstr(text, "prefer-web1-n2"));
    assert_non_null(strstr(text, "id=\"prefer-web1-n1\""));

    /* A bump raises the epoch and nothing else, durably. */
    VmhaCibVersion vb1, vb2;
    char db1[VMHA_DIGEST_LEN + 1], db2[VMHA_DIGEST_LEN + 1];
    cd_cibdb_version(&vb1, db1);
    assert_int_equal(cd_cibdb_bump(), 0);
    cd_cibdb_version(&vb2, db2);
    assert_true(vb2.epoch == vb1.epoch + 1 && vb2.admin_epoch == vb1.admin_epoch);
    assert_string_not_equal(db1, db2);
    g_free(text);
    text = file_text("a");
    g_autofree char *epoch_attr = g_strdup_printf("epoch=\"%" G_GUINT64_FORMAT "\"", vb2.epoch);
    assert_non_null(strstr(text, epoch_attr));

    assert_int_equal(apply(remove_msg("web1")), 0);
    g_free(text);
    text = file_text("a");
    assert_null(strstr(text, "web1"));
    cd_cibdb_finalise();
}

static void test_determinism_and_replace(void **state)
{
    g_autofree char *b = g_build_filename(dir, "b", NULL);
    g_autofree char *c = g_build_filename(dir, "c", NULL);
    g_autoptr(GPtrArray) nodes = three_nodes();
    VmhaCibVersion vb, vc;
    char db[VMHA_DIGEST_LEN + 1], dc[VMHA_DIGEST_LEN + 1];
    g_autofree char *xml = NULL;

    assert_int_equal(cd_cibdb_init(b), 0);
    assert_int_equal(cd_cibdb_seed_nodes(nodes), 0);
    run_writes();
    cd_cibdb_version(&vb, db);
    assert_int_equal(cd_cibdb_dump(&xml), 0);
    cd_cibdb_finalise();

    assert_int_equal(cd_cibdb_init(c), 0);
    assert_int_equal(cd_cibdb_seed_nodes(nodes), 0);
    run_writes();
    cd_cibdb_version(&vc, dc);
    assert_int_equal(vmha_cib_version_compare(&vb, &vc), 0);
    assert_string_equal(db, dc);
    cd_cibdb_finalise();

    /* Reopening finds the same database (it was saved, not only held by libcib). */
    assert_int_equal(cd_cibdb_init(b), 0);
    cd_cibdb_version(&vc, dc);
    assert_string_equal(db, dc);
    cd_cibdb_finalise();

    /* A fresh copy adopts another's document and then reports the same version and digest. */
    g_autofree char *d = g_build_filename(dir, "d", NULL);
    assert_int_equal(cd_cibdb_init(d), 0);
    assert_int_equal(cd_cibdb_replace(xml), 0);
    cd_cibdb_version(&vc, dc);
    assert_int_equal(vmha_cib_version_compare(&vb, &vc), 0);
    assert_string_equal(db, dc);
    assert_int_equal(cd_cibdb_replace("<not-a-cib/>"), -EBADMSG);
    assert_int_equal(cd_cibdb_replace("garbage <"), -EBADMSG);
    cd_cibdb_version(&vc, dc);
    assert_string_equal(db, dc);
    cd_cibdb_finalise();
}

static VmhaMsg *probe_msg(uint64_t origin, const char *r1, const char *r2)
{
    VmhaMsg *m = vmha_msg_new(VMHA_MSG_PROBE);
    if (r1)
        assert_int_equal(vmha_msg_add_str(m, VMHA_F_PROBE, r1), 0);
    if (r2)
        assert_int_equal(vmha_msg_add_str(m, VMHA_F_PROBE, r2), 0);
    if (origin)
        assert_int_equal(vmha_msg_add_u64(m, VMHA_F_ORIGIN_NODE, origin), 0);
    return m;
}

/* A probe write goes into the origin's node_state through libcib, the same on every copy;
 * an unchanged result changes nothing, not even the version. */
static void test_probe_write(void **state)
{
    g_autofree char *sub = g_build_filename(dir, "p", NULL);
    g_autoptr(GPtrArray) nodes = three_nodes();
    VmhaCibVersion v0, v1;
    char d0[VMHA_DIGEST_LEN + 1], d1[VMHA_DIGEST_LEN + 1];

    assert_int_equal(cd_cibdb_init(sub), 0);
    assert_int_equal(cd_cibdb_seed_nodes(nodes), 0);
    assert_int_equal(apply(add_msg("web1", NULL)), 0);
    cd_cibdb_version(&v0, d0);
    /* A VM removed meanwhile ("gone") is skipped, not an error. */
    assert_int_equal(apply(probe_msg(2, "web1 0 0 10 100", "gone 7 0 1 100")), 0);
    cd_cibdb_version(&v1, d1);
    assert_true(vmha_cib_version_compare(&v1, &v0) > 0);
    g_autofree char *text = file_text("p");
    assert_non_null(strstr(text, "<node_state id=\"2\" uname=\"n2\">"));
    assert_non_null(strstr(text, "id=\"web1_last_0\""));
    assert_non_null(strstr(text, "on_node=\"n2\""));
    assert_null(strstr(text, "gone"));

    /* The same again: nothing to record. */
    assert_int_equal(apply(probe_msg(2, "web1 0 0 12 200", NULL)), 0);
    cd_cibdb_version(&v0, d0);
    assert_int_equal(vmha_cib_version_compare(&v1, &v0), 0);
    assert_string_equal(d0, d1);

    /* Refused, changing nothing: unknown origin node, no origin, malformed entries. */
    assert_int_equal(apply(probe_msg(9, "web1 7 0 1 300", NULL)), VMCTL_EXIT_NOT_FOUND);
    assert_int_equal(apply(probe_msg(0, "web1 7 0 1 300", NULL)), VMCTL_EXIT_USAGE);
    assert_int_equal(apply(probe_msg(2, "web1 7 0 1 300", "web1 x")), VMCTL_EXIT_USAGE);
    assert_int_equal(apply(probe_msg(2, NULL, NULL)), VMCTL_EXIT_USAGE);
    cd_cibdb_version(&v0, d0);
    assert_int_equal(vmha_cib_version_compare(&v1, &v0), 0);
    assert_string_equal(d0, d1);

    /* A changed result replaces the record. */
    assert_int_equal(apply(probe_msg(2, "web1 7 0 1 300", NULL)), 0);
    g_autofree char *after = file_text("p");
    assert_non_null(strstr(after, "rc-code=\"7\""));
    assert_null(strstr(after, "rc-code=\"0\""));
    cd_cibdb_finalise();
}

static void test_unreadable_file(void **state)
{
    g_autofree char *e = g_build_filename(dir, "e", NULL);
    g_autofree char *path = g_build_filename(e, "cib.xml", NULL);
    VmhaCibVersion v;
    char d[VMHA_DIGEST_LEN + 1];

    assert_int_equal(g_mkdir_with_parents(e, 0700), 0);
    assert_true(g_file_set_contents(path, "<cib epoch=\"5\"><configuration>", -1, NULL));
    assert_int_equal(cd_cibdb_init(e), 0);
    cd_cibdb_version(&v, d);
    assert_true(v.epoch == 0 && v.admin_epoch == 0 && v.num_updates == 0);
    cd_cibdb_finalise();
    g_autoptr(GDir) gd = g_dir_open(e, 0, NULL);
    bool aside = false;
    for (const char *n; (n = g_dir_read_name(gd));)
        aside = aside || g_str_has_prefix(n, "cib.xml.bad-");
    assert_true(aside);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_writes_and_errors),
            cmocka_unit_test(test_determinism_and_replace),
            cmocka_unit_test(test_unreadable_file),
            cmocka_unit_test(test_probe_write),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
