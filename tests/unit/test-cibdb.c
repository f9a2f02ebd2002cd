/* Keeping clusterd's database (clusterd/cibdb.c) on real libcib file-backend copies in a
 * temporary directory: durability of cib.xml, determinism (two copies applying the same writes
 * end identical), adopting a copy, recovery from an unreadable file, the signature and its
 * quarantine, databases over 10 MB and the size limit. */
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

#include "cibtest.h"

/* The sequence of writes both copies in test_determinism apply. */
static void run_writes(void)
{
    assert_int_equal(apply(add_msg("web1", "n2,n3")), 0);
    assert_int_equal(apply(add_msg("db1", NULL)), 0);
    assert_int_equal(apply(set_msg("web1", "priority=9", "target-role=Stopped")), 0);
    assert_int_equal(apply(set_msg("db1", "prefer=n1", "memory=1024")), 0);
    assert_int_equal(apply(remove_msg("db1")), 0);
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

/* A fence device with n options of len characters each: bulk data for a big database. Values
 * differ (a counter in each) so that nothing is shared or compressed away in libxml2. */
static VmhaMsg *big_fence_msg(const char *id, int n, size_t len)
{
    VmhaMsg *m = vmha_msg_new(VMHA_MSG_FENCE_ADD);
    assert_int_equal(vmha_msg_add_str(m, VMHA_F_NAME, id), 0);
    assert_int_equal(vmha_msg_add_str(m, VMHA_F_KV, "agent=fence_lab"), 0);
    for (int i = 0; i < n; i++) {
        g_autofree char *fill = g_strnfill(len, 'a' + i % 26);
        g_autofree char *kv = g_strdup_printf("j%d=%s-%d", i, fill, i);
        assert_int_equal(vmha_msg_add_str(m, VMHA_F_KV, kv), 0);
    }
    assert_int_equal(vmha_msg_add_str(m, VMHA_F_NODE, "n3"), 0);
    return m;
}

/* A CIB of about size bytes: one fence device with 4000-byte options, as `fence add` makes them,
 * its last value close to the end of the document. */
static char *big_cib(size_t size)
{
    GString *x = g_string_new("<cib crm_feature_set=\"3.16.1\" validate-with=\"pacemaker-3.9\" "
                              "epoch=\"40\" num_updates=\"2\" admin_epoch=\"0\"><configuration>"
                              "<crm_config/><nodes><node id=\"1\" uname=\"n1\"/><node id=\"2\" "
                              "uname=\"n2\"/><node id=\"3\" uname=\"n3\"/></nodes><resources>"
                              "<primitive id=\"big\" class=\"stonith\" type=\"fence_lab\">"
                              "<instance_attributes id=\"big-ia\">");
    for (int i = 0; x->len < size; i++) {
        g_autofree char *fill = g_strnfill(4000, 'a' + i % 26);
        g_string_append_printf(x, "<nvpair id=\"big-ia-j%d\" name=\"j%d\" value=\"%s\"/>", i, i,
                               fill);
    }
    g_string_append(x, "</instance_attributes></primitive></resources><constraints/>"
                       "</configuration><status/></cib>");
    return g_string_free(x, FALSE);
}

/* A database over 10 MB, where libxml2 stops without XML_PARSE_HUGE ("Huge input lookup", for a
 * document whose last long value is near its end): adopted from a peer, reloaded after a
 * restart (not taken for an unreadable copy and set aside), and written to. */
static void test_big_database(void **state)
{
    g_autofree char *f = g_build_filename(dir, "f", NULL);
    g_autofree char *xml = big_cib(12 * 1000 * 1000);
    VmhaCibVersion v0, v1;
    char d0[VMHA_DIGEST_LEN + 1], d1[VMHA_DIGEST_LEN + 1];

    assert_int_equal(cd_cibdb_init(f), 0);
    assert_int_equal(cd_cibdb_replace(xml), 0);
    cd_cibdb_version(&v0, d0);
    assert_int_equal(v0.epoch, 40);
    assert_int_equal(v0.num_updates, 2);
    cd_cibdb_finalise();

    assert_int_equal(cd_cibdb_init(f), 0);
    cd_cibdb_version(&v1, d1);
    assert_int_equal(vmha_cib_version_compare(&v0, &v1), 0);
    assert_string_equal(d0, d1);
    assert_int_equal(apply(add_msg("web1", NULL)), 0);
    cd_cibdb_version(&v1, d1);
    assert_true(vmha_cib_version_compare(&v1, &v0) > 0);
    cd_cibdb_finalise();
    assert_int_equal(cd_cibdb_init(f), 0);
    g_autofree char *dump = NULL;
    assert_int_equal(cd_cibdb_dump(&dump), 0);
    assert_true(strlen(dump) > 12 * 1000 * 1000);
    assert_non_null(strstr(dump, "id=\"web1\""));
    cd_cibdb_finalise();
}

/* Writes from vmctl stop at the size limit with a clear error and nothing changed. The limit is
 * lowered to 12 MiB here (VMHA_DB_MAX_SIZE is the same code with another number): filling the
 * real one would take minutes of whole-document saves. */
static void test_size_limit(void **state)
{
    g_autofree char *h = g_build_filename(dir, "h", NULL);
    VmhaCibVersion v0, v1;
    char d0[VMHA_DIGEST_LEN + 1], d1[VMHA_DIGEST_LEN + 1];
    int i = 0, rc = 0;

    cd_cibdb_size_limit = 12 * 1024 * 1024;
    open_seeded("h");
    /* 2 MB a write: the limit is crossed after about VMHA_DB_MAX_SIZE / 2 MB writes. */
    for (; i < 20; i++) {
        g_autofree char *id = g_strdup_printf("big%d", i);
        g_autofree char *err = NULL;
        cd_cibdb_version(&v0, d0);
        VmhaMsg *m = big_fence_msg(id, 500, 4000);
        rc = cd_cibwrite_apply(m, members, n_members, &err);
        vmha_msg_free(m);
        if (rc != 0) {
            assert_int_equal(rc, VMHA_RESULT_REFUSED);
            assert_non_null(strstr(err, "over its limit of"));
            assert_non_null(strstr(err, "nothing was changed"));
            break;
        }
    }
    assert_int_equal(rc, VMHA_RESULT_REFUSED);
    assert_true(i >= (int)(cd_cibdb_size_limit / 2100000) - 1);
    assert_true(i <= (int)(cd_cibdb_size_limit / 2000000) + 1);
    /* Refused whole: the version and content are those before the write, in memory and on disk. */
    cd_cibdb_version(&v1, d1);
    assert_int_equal(vmha_cib_version_compare(&v0, &v1), 0);
    assert_string_equal(d0, d1);
    cd_cibdb_finalise();
    assert_int_equal(cd_cibdb_init(h), 0);
    cd_cibdb_version(&v1, d1);
    assert_string_equal(d0, d1);
    /* A write that makes room goes through. */
    VmhaMsg *rm = vmha_msg_new(VMHA_MSG_FENCE_REMOVE);
    assert_int_equal(vmha_msg_add_str(rm, VMHA_F_NAME, "big0"), 0);
    assert_int_equal(apply(rm), 0);
    cd_cibdb_finalise();
    cd_cibdb_size_limit = VMHA_DB_MAX_SIZE;
}

/* Files in sub whose names start with prefix. */
static int count_files(const char *sub, const char *prefix)
{
    g_autofree char *d = g_build_filename(dir, sub, NULL);
    g_autoptr(GDir) gd = g_dir_open(d, 0, NULL);
    int n = 0;
    for (const char *name; gd && (name = g_dir_read_name(gd));)
        n += g_str_has_prefix(name, prefix);
    return n;
}

static void write_sub_file(const char *sub, const char *name, const char *text)
{
    g_autofree char *path = g_build_filename(dir, sub, name, NULL);
    assert_true(g_file_set_contents(path, text, -1, NULL));
}

/* A copy changed behind clusterd's back (issue 11, defect 5: epoch raised and a VM's config path
 * changed on a stopped node) is quarantined and the node starts empty, so it adopts the cluster's
 * copy instead of spreading its own; an untouched copy is loaded as it was saved. */
static void test_signature(void **state)
{
    VmhaCibVersion v, now;
    char d[VMHA_DIGEST_LEN + 1], dn[VMHA_DIGEST_LEN + 1];
    g_autofree char *sub = g_build_filename(dir, "sig", NULL);

    open_seeded("sig");
    assert_int_equal(apply(add_msg("web1", NULL)), 0);
    cd_cibdb_version(&v, d);
    cd_cibdb_finalise();

    /* Untouched: loaded as saved. */
    assert_int_equal(cd_cibdb_init(sub), 0);
    cd_cibdb_version(&now, dn);
    assert_int_equal(vmha_cib_version_compare(&v, &now), 0);
    assert_string_equal(d, dn);
    cd_cibdb_finalise();
    assert_int_equal(count_files("sig", "cib.xml.quarantined-"), 0);

    /* Tampered: a higher epoch and another config path, still a well-formed CIB. */
    g_autofree char *text = file_text("sig");
    g_autofree char *epoch = g_strdup_printf("epoch=\"%" G_GUINT64_FORMAT "\"", v.epoch);
    assert_non_null(strstr(text, epoch));
    assert_non_null(strstr(text, "/shared/vm.xml"));
    GString *evil = g_string_new(text);
    g_string_replace(evil, epoch, "epoch=\"999\"", 1);
    g_string_replace(evil, "/shared/vm.xml", "/tmp/evil.xml", 1);
    g_autofree char *tampered = g_string_free(evil, false);
    write_sub_file("sig", "cib.xml", tampered);
    assert_int_equal(cd_cibdb_init(sub), 0);
    cd_cibdb_version(&now, dn);
    assert_true(now.admin_epoch == 0 && now.epoch == 0 && now.num_updates == 0);
    g_autofree char *fresh = file_text("sig");
    assert_null(strstr(fresh, "web1"));
    cd_cibdb_finalise();
    assert_int_equal(count_files("sig", "cib.xml.quarantined-"), 1);
    assert_int_equal(count_files("sig", "cib.xml.sig.quarantined-"), 1);
    g_autoptr(GDir) gd = g_dir_open(sub, 0, NULL);
    for (const char *name; (name = g_dir_read_name(gd));) {
        if (!g_str_has_prefix(name, "cib.xml.quarantined-"))
            continue;
        g_autofree char *path = g_build_filename(sub, name, NULL), *kept = NULL;
        assert_true(g_file_get_contents(path, &kept, NULL, NULL));
        assert_string_equal(kept, tampered); /* kept for the administrator */
    }
    g_autofree char *sig = NULL;
    g_autofree char *sig_path = g_build_filename(sub, "cib.xml.sig", NULL);
    assert_true(g_file_get_contents(sig_path, &sig, NULL, NULL));
    assert_true(g_str_has_prefix(sig, "sha256 "));
    /* The fresh empty copy is signed: it loads again. */
    assert_int_equal(cd_cibdb_init(sub), 0);
    cd_cibdb_finalise();
    assert_int_equal(count_files("sig", "cib.xml.quarantined-"), 1);

    /* A signature that is not ours counts as a mismatch. */
    write_sub_file("sig", "cib.xml.sig", "0123\n");
    assert_int_equal(cd_cibdb_init(sub), 0);
    cd_cibdb_finalise();
    assert_int_equal(count_files("sig", "cib.xml.quarantined-"), 2);
}

/* A stop between the signature and the file leaves the copy before, which the signature also
 * names; a copy without a signature (written before vmha signed them) is taken and signed. */
static void test_signature_crash_and_upgrade(void **state)
{
    VmhaCibVersion v, now;
    char d[VMHA_DIGEST_LEN + 1], dn[VMHA_DIGEST_LEN + 1];
    g_autofree char *sub = g_build_filename(dir, "sig2", NULL);

    open_seeded("sig2");
    assert_int_equal(apply(add_msg("web1", NULL)), 0);
    cd_cibdb_version(&v, d);
    g_autofree char *before = file_text("sig2");
    assert_int_equal(apply(add_msg("db1", NULL)), 0);
    cd_cibdb_finalise();
    write_sub_file("sig2", "cib.xml", before); /* the file's rename never happened */
    assert_int_equal(cd_cibdb_init(sub), 0);
    cd_cibdb_version(&now, dn);
    assert_int_equal(vmha_cib_version_compare(&v, &now), 0);
    cd_cibdb_finalise();
    assert_int_equal(count_files("sig2", "cib.xml.quarantined-"), 0);

    g_autofree char *sig_path = g_build_filename(sub, "cib.xml.sig", NULL);
    assert_int_equal(unlink(sig_path), 0);
    assert_int_equal(cd_cibdb_init(sub), 0);
    cd_cibdb_version(&now, dn);
    assert_int_equal(vmha_cib_version_compare(&v, &now), 0);
    cd_cibdb_finalise();
    assert_true(g_file_test(sig_path, G_FILE_TEST_EXISTS));
    assert_int_equal(cd_cibdb_init(sub), 0);
    cd_cibdb_version(&now, dn);
    assert_int_equal(vmha_cib_version_compare(&v, &now), 0);
    cd_cibdb_finalise();
    assert_int_equal(count_files("sig2", "cib.xml.quarantined-"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_determinism_and_replace),
            cmocka_unit_test(test_unreadable_file),
            cmocka_unit_test(test_signature),
            cmocka_unit_test(test_signature_crash_and_upgrade),
            cmocka_unit_test(test_big_database),
            cmocka_unit_test(test_size_limit),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
