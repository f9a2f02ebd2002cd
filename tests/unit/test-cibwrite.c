/* clusterd's database writes (clusterd/cibwrite*.c) on real libcib file-backend copies in a
 * temporary directory: each kind of write, its refusals (which change nothing), and the saved
 * file as Pacemaker's schema and crm_verify read it. */
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

#include <libxml/relaxng.h>

#include "cibtest.h"
#include "alerts.h"
#include "model.h"
#include "clusterd/cibwrite-common.h"

static void test_writes_and_errors(void **state)
{
    VmhaCibVersion v0, v1;
    char d0[VMHA_DIGEST_LEN + 1], d1[VMHA_DIGEST_LEN + 1];

    open_seeded("a");
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
    assert_int_equal(apply(add_msg("web1", NULL)), VMHA_RESULT_FAILURE);
    assert_int_equal(apply(add_msg("web2", "n9")), VMHA_RESULT_NOT_FOUND);
    assert_int_equal(apply(set_msg("nosuch", "priority=1", NULL)), VMHA_RESULT_NOT_FOUND);
    assert_int_equal(apply(set_msg("web1", "priority=1", "priority=high")), VMHA_RESULT_USAGE);
    assert_int_equal(apply(set_msg("web1", "bogus=1", NULL)), VMHA_RESULT_USAGE);
    assert_int_equal(apply(remove_msg("nosuch")), VMHA_RESULT_NOT_FOUND);
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

    /* The VM's own settings alone replace only its primitive: the file differs in those two
     * nvpairs and the version on the root element, nothing else. */
    g_autofree char *before = g_steal_pointer(&text);
    assert_int_equal(apply(set_msg("web1", "priority=4", "memory=1024")), 0);
    text = file_text("a");
    g_auto(GStrv) old_lines = g_strsplit(before, "\n", -1), new_lines = g_strsplit(text, "\n", -1);
    assert_int_equal(g_strv_length(old_lines), g_strv_length(new_lines));
    guint differ = 0;
    for (guint i = 0; old_lines[i]; i++)
        differ += strcmp(old_lines[i], new_lines[i]) != 0;
    assert_int_equal(differ, 3);
    assert_non_null(strstr(text, "name=\"priority\" value=\"4\""));
    assert_non_null(strstr(text, "name=\"memory\" value=\"1024\""));
    assert_true(g_str_has_prefix(new_lines[0], "<cib ") && strcmp(old_lines[0], new_lines[0]));

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

/* vm remove of a VM that runs (or may run) somewhere is refused, changing nothing: removed, it
 * would run on unmanaged (a chaos run: g02 still ran on n2 minutes after its removal was
 * acknowledged). Once it is stopped everywhere, the remove goes through. */
static void test_remove_running_refused(void **state)
{
    VmhaCibVersion v0, v1;
    char d0[VMHA_DIGEST_LEN + 1], d1[VMHA_DIGEST_LEN + 1];

    open_seeded("rm");
    assert_int_equal(apply(add_msg("web1", NULL)), 0);
    assert_int_equal(apply(probe_msg(2, "web1 0 0 10 100", NULL)), 0); /* runs on n2 */
    cd_cibdb_version(&v0, d0);
    g_autofree char *error = NULL;
    VmhaMsg *m = remove_msg("web1");
    assert_int_equal(cd_cibwrite_apply(m, members, n_members, &error), VMHA_RESULT_REFUSED);
    vmha_msg_free(m);
    assert_non_null(strstr(error, "may run on n2"));
    cd_cibdb_version(&v1, d1);
    assert_int_equal(vmha_cib_version_compare(&v0, &v1), 0);
    assert_string_equal(d0, d1);
    g_autofree char *text = file_text("rm");
    assert_non_null(strstr(text, "<primitive id=\"web1\""));

    /* A failed probe: it may run there, refused too. */
    assert_int_equal(apply(probe_msg(2, "web1 1 0 10 150", NULL)), 0);
    assert_int_equal(apply(remove_msg("web1")), VMHA_RESULT_REFUSED);

    /* Stopped there (the probe finds it not running): removed. */
    assert_int_equal(apply(probe_msg(2, "web1 7 0 1 200", NULL)), 0);
    assert_int_equal(apply(remove_msg("web1")), 0);
    g_free(text);
    text = file_text("rm");
    assert_null(strstr(text, "<primitive id=\"web1\""));
    cd_cibdb_finalise();
}

/* A probe write goes into the origin's node_state through libcib, the same on every copy;
 * an unchanged result changes nothing, not even the version. */
static void test_probe_write(void **state)
{
    VmhaCibVersion v0, v1;
    char d0[VMHA_DIGEST_LEN + 1], d1[VMHA_DIGEST_LEN + 1];

    open_seeded("p");
    assert_int_equal(apply(add_msg("web1", NULL)), 0);
    cd_cibdb_version(&v0, d0);
    /* A VM removed meanwhile ("gone") is skipped, not an error. */
    assert_int_equal(apply(probe_msg(2, "web1 0 0 10 100", "gone 7 0 1 100")), 0);
    cd_cibdb_version(&v1, d1);
    assert_true(vmha_cib_version_compare(&v1, &v0) > 0);
    g_autofree char *text = file_text("p");
    /* A VM found running there: losing n2 needs fencing. */
    assert_non_null(strstr(text, "<node_state id=\"2\" uname=\"n2\" expected=\"member\">"));
    assert_non_null(strstr(text, "id=\"web1_last_0\""));
    assert_non_null(strstr(text, "on_node=\"n2\""));
    assert_null(strstr(text, "gone"));

    /* The same again: nothing to record. */
    assert_int_equal(apply(probe_msg(2, "web1 0 0 12 200", NULL)), 0);
    cd_cibdb_version(&v0, d0);
    assert_int_equal(vmha_cib_version_compare(&v1, &v0), 0);
    assert_string_equal(d0, d1);

    /* Refused, changing nothing: unknown origin node, no origin, malformed entries. */
    assert_int_equal(apply(probe_msg(9, "web1 7 0 1 300", NULL)), VMHA_RESULT_NOT_FOUND);
    assert_int_equal(apply(probe_msg(0, "web1 7 0 1 300", NULL)), VMHA_RESULT_USAGE);
    assert_int_equal(apply(probe_msg(2, "web1 7 0 1 300", "web1 x")), VMHA_RESULT_USAGE);
    assert_int_equal(apply(probe_msg(2, NULL, NULL)), VMHA_RESULT_USAGE);
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

static VmhaMsg *fence_add_msg(const char *id, const char *agent, const char *hosts,
                              const char *opt1, const char *opt2)
{
    VmhaMsg *m = vmha_msg_new(VMHA_MSG_FENCE_ADD);
    assert_int_equal(vmha_msg_add_str(m, VMHA_F_NAME, id), 0);
    if (agent) {
        g_autofree char *kv = g_strdup_printf("agent=%s", agent);
        assert_int_equal(vmha_msg_add_str(m, VMHA_F_KV, kv), 0);
    }
    if (opt1)
        assert_int_equal(vmha_msg_add_str(m, VMHA_F_KV, opt1), 0);
    if (opt2)
        assert_int_equal(vmha_msg_add_str(m, VMHA_F_KV, opt2), 0);
    g_auto(GStrv) h = g_strsplit(hosts ? hosts : "", ",", -1);
    for (size_t i = 0; h[i]; i++)
        assert_int_equal(vmha_msg_add_str(m, VMHA_F_NODE, h[i]), 0);
    return m;
}

static VmhaMsg *fence_remove_msg(const char *id)
{
    VmhaMsg *m = vmha_msg_new(VMHA_MSG_FENCE_REMOVE);
    assert_int_equal(vmha_msg_add_str(m, VMHA_F_NAME, id), 0);
    return m;
}

/* The same request with force=on first among its pairs, as vmctl --force sends it. */
static VmhaMsg *fence_force_msg(VmhaMsg *m)
{
    VmhaMsg *forced = vmha_msg_new(m->type);
    for (guint i = 0; i < m->fields->len; i++) {
        const VmhaWireField *f = g_ptr_array_index(m->fields, i);
        if (f->tag == VMHA_F_KV && !vmha_msg_get(forced, VMHA_F_KV))
            assert_int_equal(vmha_msg_add_str(forced, VMHA_F_KV, "force=on"), 0);
        if (f->tag == VMHA_F_NODE && !vmha_msg_get(forced, VMHA_F_KV))
            assert_int_equal(vmha_msg_add_str(forced, VMHA_F_KV, "force=on"), 0);
        assert_int_equal(vmha_msg_add_bytes(forced, f->tag, f->data, f->len), 0);
    }
    if (!vmha_msg_get(forced, VMHA_F_KV))
        assert_int_equal(vmha_msg_add_str(forced, VMHA_F_KV, "force=on"), 0);
    vmha_msg_free(m);
    return forced;
}

/* The saved file is valid against Pacemaker's own schema, as cibadmin and crm_mon need. */
static void assert_pacemaker_schema_valid(const char *text)
{
    const char *rng = "/usr/share/pacemaker/pacemaker-3.9.rng";
    xmlRelaxNGParserCtxtPtr pctx = xmlRelaxNGNewParserCtxt(rng);
    xmlRelaxNGPtr schema = xmlRelaxNGParse(pctx);
    assert_non_null(schema);
    xmlRelaxNGValidCtxtPtr vctx = xmlRelaxNGNewValidCtxt(schema);
    xmlDocPtr doc = xmlReadMemory(text, (int)strlen(text), "cib.xml", NULL, XML_PARSE_NONET);
    assert_non_null(doc);
    assert_int_equal(xmlRelaxNGValidateDoc(vctx, doc), 0);
    xmlFreeDoc(doc);
    xmlRelaxNGFreeValidCtxt(vctx);
    xmlRelaxNGFree(schema);
    xmlRelaxNGFreeParserCtxt(pctx);
}

/* Pacemaker's own checker finds nothing wrong with it (it checks more than the schema). A stored
 * copy has no quorum or node states (CIB_QUERY adds them), which crm_verify would warn about:
 * they are added here as CIB_QUERY does for online nodes. */
static void assert_crm_verify_ok(const char *text)
{
    g_autofree char *path = g_build_filename(dir, "verify.xml", NULL);
    g_autofree char *out = NULL, *err = NULL;
    char *argv[] = {(char *)"crm_verify", (char *)"-V", (char *)"-x", path, NULL};
    int status = -1;

    if (!g_file_test("/usr/sbin/crm_verify", G_FILE_TEST_IS_EXECUTABLE))
        return; /* pacemaker-cli-utils comes with scripts/install-deps */
    xmlDocPtr doc = xmlReadMemory(text, (int)strlen(text), "cib.xml", NULL, XML_PARSE_NONET);
    assert_non_null(doc);
    xmlNodePtr cib = xmlDocGetRootElement(doc), conf = NULL, status_el = NULL;
    xmlSetProp(cib, BAD_CAST "have-quorum", BAD_CAST "1");
    for (xmlNodePtr c = cib->children; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE && xmlStrEqual(c->name, BAD_CAST "configuration"))
            conf = c;
        if (c->type == XML_ELEMENT_NODE && xmlStrEqual(c->name, BAD_CAST "status"))
            status_el = c;
    }
    assert_non_null(conf);
    if (!status_el)
        status_el = xmlNewChild(cib, NULL, BAD_CAST "status", NULL);
    for (xmlNodePtr c = conf->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || !xmlStrEqual(c->name, BAD_CAST "nodes"))
            continue;
        for (xmlNodePtr n = c->children; n; n = n->next) {
            if (n->type != XML_ELEMENT_NODE)
                continue;
            xmlChar *id = xmlGetProp(n, BAD_CAST "id"), *uname = xmlGetProp(n, BAD_CAST "uname");
            xmlNodePtr ns = xmlNewChild(status_el, NULL, BAD_CAST "node_state", NULL);
            xmlSetProp(ns, BAD_CAST "id", id);
            xmlSetProp(ns, BAD_CAST "uname", uname);
            xmlSetProp(ns, BAD_CAST "in_ccm", BAD_CAST "true");
            xmlSetProp(ns, BAD_CAST "crmd", BAD_CAST "online");
            xmlSetProp(ns, BAD_CAST "join", BAD_CAST "member");
            xmlSetProp(ns, BAD_CAST "expected", BAD_CAST "member");
            xmlFree(id);
            xmlFree(uname);
        }
    }
    assert_int_equal(xmlSaveFile(path, doc) > 0, 1);
    xmlFreeDoc(doc);
    assert_true(g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status,
                             NULL));
    if (!g_spawn_check_wait_status(status, NULL))
        fail_msg("crm_verify: %s%s", out, err);
}

static void assert_unchanged(const VmhaCibVersion *v, const char *d)
{
    VmhaCibVersion now;
    char dn[VMHA_DIGEST_LEN + 1];
    cd_cibdb_version(&now, dn);
    assert_int_equal(vmha_cib_version_compare(v, &now), 0);
    assert_string_equal(d, dn);
}

/* vmctl fence add/remove: a stonith primitive lib/model.c reads as a fence device; every
 * refusal changes nothing. */
static void test_fence_write(void **state)
{
    VmhaCibVersion v;
    char d[VMHA_DIGEST_LEN + 1];

    open_seeded("f");
    assert_int_equal(apply(add_msg("web1", NULL)), 0);
    assert_int_equal(apply(fence_add_msg("lab1", "fence_lab", "n1,n2", "lab=vb1", "passwd=s3cr=t")),
                     0);
    g_autofree char *text = file_text("f");
    assert_non_null(strstr(text, "<primitive id=\"lab1\" class=\"stonith\" type=\"fence_lab\""));
    assert_non_null(strstr(text, "name=\"pcmk_host_list\" value=\"n1 n2\""));
    assert_non_null(strstr(text, "id=\"lab1-instance_attributes-lab\" name=\"lab\" value=\"vb1\""));
    assert_non_null(strstr(text, "name=\"passwd\" value=\"s3cr=t\""));
    assert_pacemaker_schema_valid(text);
    assert_crm_verify_ok(text);

    g_autoptr(VmhaModel) model = NULL;
    g_autoptr(GError) error = NULL;
    assert_int_equal(vmha_model_parse(text, strlen(text), &model, &error), 0);
    assert_int_equal(model->n_fence_devices, 1);
    assert_int_equal(model->n_vms, 1);
    assert_string_equal(model->fence_devices[0].name, "lab1");
    assert_string_equal(model->fence_devices[0].agent, "fence_lab");
    assert_true(vmha_model_node_has_fence_device(model, (size_t)vmha_model_find_node(model, "n2")));
    assert_false(
            vmha_model_node_has_fence_device(model, (size_t)vmha_model_find_node(model, "n3")));

    assert_int_equal(apply(fence_add_msg("lab3", "fence_lab", "n3", NULL, NULL)), 0);

    cd_cibdb_version(&v, d);
    assert_int_equal(apply(fence_add_msg("lab1", "fence_lab", "n3", NULL, NULL)),
                     VMHA_RESULT_FAILURE);
    assert_int_equal(apply(fence_add_msg("web1", "fence_lab", "n3", NULL, NULL)),
                     VMHA_RESULT_FAILURE);
    assert_int_equal(
            apply(fence_add_msg("web1-instance_attributes", "fence_lab", "n3", NULL, NULL)),
            VMHA_RESULT_FAILURE);
    assert_int_equal(apply(fence_add_msg("x", "fence_lab", "n1,n9", NULL, NULL)),
                     VMHA_RESULT_NOT_FOUND);
    assert_int_equal(apply(fence_add_msg("x", "fence_lab", "n1,n1", NULL, NULL)),
                     VMHA_RESULT_USAGE);
    assert_int_equal(apply(fence_add_msg("x", "fence_lab", NULL, NULL, NULL)), VMHA_RESULT_USAGE);
    assert_int_equal(apply(fence_add_msg("x", NULL, "n1", NULL, NULL)), VMHA_RESULT_USAGE);
    assert_int_equal(apply(fence_add_msg("x", "ipmilan", "n1", NULL, NULL)), VMHA_RESULT_USAGE);
    /* Names only (issue 11, defect 3): whoever writes the database must not choose what root
     * runs. */
    assert_int_equal(apply(fence_add_msg("x", "/tmp/evil.sh", "n1", NULL, NULL)),
                     VMHA_RESULT_USAGE);
    assert_int_equal(apply(fence_add_msg("x", "/usr/sbin/fence_ipmilan", "n1", NULL, NULL)),
                     VMHA_RESULT_USAGE);
    assert_int_equal(apply(fence_add_msg("x", "fence_../../tmp/x", "n1", NULL, NULL)),
                     VMHA_RESULT_USAGE);
    assert_int_equal(apply(fence_add_msg("x", "fence_lab", "n1", "ip=1\nplug=n3", NULL)),
                     VMHA_RESULT_USAGE);
    assert_int_equal(apply(fence_add_msg("x", "fence_lab", "n1", "action=off", NULL)),
                     VMHA_RESULT_USAGE);
    assert_int_equal(apply(fence_add_msg("x", "fence_lab", "n1", "ip=1", "ip=2")),
                     VMHA_RESULT_USAGE);
    assert_int_equal(apply(fence_add_msg("x'y", "fence_lab", "n1", NULL, NULL)), VMHA_RESULT_USAGE);
    assert_int_equal(apply(fence_remove_msg("nosuch")), VMHA_RESULT_NOT_FOUND);
    assert_int_equal(apply(fence_remove_msg("web1")), VMHA_RESULT_NOT_FOUND);
    /* lab1 is the only device of n1 and n2: removing it, or replacing it, needs root's --force
     * (the submitting clusterd lets force=on through from root only). */
    assert_int_equal(apply(fence_remove_msg("lab1")), VMHA_RESULT_REFUSED);
    assert_int_equal(apply(fence_add_msg("lab1", "fence_evil", "n1,n2", NULL, NULL)),
                     VMHA_RESULT_FAILURE);
    assert_unchanged(&v, d);

    assert_int_equal(apply(fence_force_msg(fence_remove_msg("lab1"))), 0);
    g_free(text);
    text = file_text("f");
    assert_null(strstr(text, "lab1"));
    assert_non_null(strstr(text, "id=\"lab3\""));
    assert_non_null(strstr(text, "id=\"web1\""));
    assert_pacemaker_schema_valid(text);
    assert_crm_verify_ok(text);
    cd_cibdb_finalise();
}

/* The only fence device of a node is removed or replaced only when forced (root --force;
 * issue 11, defect 3); a device another one backs up goes without. */
static void test_fence_only_device(void **state)
{
    VmhaCibVersion v;
    char d[VMHA_DIGEST_LEN + 1];
    g_autofree char *err = NULL;

    open_seeded("fo");
    assert_int_equal(apply(fence_add_msg("ipmi", "fence_ipmilan", "n1,n2,n3", "ip=1", NULL)), 0);
    assert_int_equal(apply(fence_add_msg("pdu", "fence_apc", "n1", NULL, NULL)), 0);
    assert_int_equal(apply(fence_remove_msg("pdu")), 0);
    assert_int_equal(apply(fence_add_msg("pdu", "fence_apc", "n1", NULL, NULL)), 0);

    cd_cibdb_version(&v, d);
    VmhaMsg *m = fence_remove_msg("ipmi");
    assert_int_equal(cd_cibwrite_apply(m, members, n_members, &err), VMHA_RESULT_REFUSED);
    vmha_msg_free(m);
    assert_non_null(strstr(err, "only one fencing n2, n3"));
    assert_non_null(strstr(err, "--force"));
    assert_int_equal(apply(fence_add_msg("ipmi", "fence_xvm", "n1,n2,n3", NULL, NULL)),
                     VMHA_RESULT_FAILURE);
    m = fence_remove_msg("ipmi");
    assert_int_equal(vmha_msg_add_str(m, VMHA_F_KV, "bogus=1"), 0);
    assert_int_equal(apply(m), VMHA_RESULT_USAGE);
    /* Forced, a path is still no agent. */
    assert_int_equal(
            apply(fence_force_msg(fence_add_msg("ipmi", "/tmp/evil.sh", "n1,n2,n3", NULL, NULL))),
            VMHA_RESULT_USAGE);
    assert_unchanged(&v, d);

    /* Replaced in place, in one write. */
    assert_int_equal(
            apply(fence_force_msg(fence_add_msg("ipmi", "fence_xvm", "n2,n3", "port=7", NULL))), 0);
    g_autofree char *text = file_text("fo");
    assert_non_null(strstr(text, "<primitive id=\"ipmi\" class=\"stonith\" type=\"fence_xvm\""));
    assert_null(strstr(text, "fence_ipmilan"));
    assert_null(strstr(text, "name=\"ip\""));
    assert_non_null(strstr(text, "name=\"pcmk_host_list\" value=\"n2 n3\""));
    assert_pacemaker_schema_valid(text);
    /* pdu is now n1's only device. */
    assert_int_equal(apply(fence_remove_msg("pdu")), VMHA_RESULT_REFUSED);
    assert_int_equal(apply(fence_force_msg(fence_remove_msg("ipmi"))), 0);
    assert_int_equal(apply(fence_force_msg(fence_remove_msg("pdu"))), 0);
    g_free(text);
    text = file_text("fo");
    assert_null(strstr(text, "stonith"));
    cd_cibdb_finalise();
}

/* F_NAME id, F_NODE hosts (comma-separated, NULL for none), and kv (force=on, or a stray pair)
 * first among the F_KV pairs when not NULL: vmctl fence set. */
static VmhaMsg *fence_set_msg(const char *id, const char *hosts, const char *kv)
{
    VmhaMsg *m = vmha_msg_new(VMHA_MSG_FENCE_SET);
    assert_int_equal(vmha_msg_add_str(m, VMHA_F_NAME, id), 0);
    if (kv)
        assert_int_equal(vmha_msg_add_str(m, VMHA_F_KV, kv), 0);
    g_auto(GStrv) h = g_strsplit(hosts ? hosts : "", ",", -1);
    for (size_t i = 0; h[i]; i++)
        assert_int_equal(vmha_msg_add_str(m, VMHA_F_NODE, h[i]), 0);
    return m;
}

/* The pcmk_host_list value of device id in the saved copy sub ("" when it has none). */
static char *saved_hosts(const char *sub, const char *id)
{
    g_autofree char *text = file_text(sub);
    g_autoptr(VmhaModel) model = NULL;
    g_autoptr(GError) error = NULL;
    assert_int_equal(vmha_model_parse(text, strlen(text), &model, &error), 0);
    for (size_t i = 0; i < model->n_fence_devices; i++)
        if (g_str_equal(model->fence_devices[i].name, id))
            return model->fence_devices[i].hosts ? g_strjoinv(",", model->fence_devices[i].hosts)
                                                 : g_strdup("");
    fail_msg("no fence device %s", id);
    return NULL;
}

/* vmctl fence set: a device's host list changes in place, in one write, its agent and options
 * untouched; a change that leaves a node of the database without any device is root's --force
 * alone (issue 11 defect 3's rule); every refusal changes nothing. */
static void test_fence_set(void **state)
{
    g_autofree char *sub = g_build_filename(dir, "fs", NULL);
    g_autoptr(GPtrArray) nodes = three_nodes();
    VmhaCibVersion v;
    char d[VMHA_DIGEST_LEN + 1];

    assert_int_equal(cd_cibdb_init(sub), 0);
    assert_int_equal(cd_cibdb_seed_nodes(nodes), 0);
    assert_int_equal(apply(add_msg("web1", NULL)), 0);
    assert_int_equal(apply(fence_add_msg("ipmi", "fence_ipmilan", "n1,n2,n3", "ip=1", "passwd=s")),
                     0);
    assert_int_equal(apply(fence_add_msg("pdu", "fence_apc", "n1", "port=7", NULL)), 0);

    static const struct {
        const char *id, *hosts, *kv;
        VmhaResult want;
        const char *error; /* a part of the reason, or NULL */
    } refused[] = {
            {"ipmi", "n1,n2", NULL, VMHA_RESULT_REFUSED, "'ipmi' is the only one fencing n3"},
            {"ipmi", "n1", NULL, VMHA_RESULT_REFUSED, "only one fencing n2, n3: taking them out"},
            {"ipmi", "n1,n2,n9", NULL, VMHA_RESULT_NOT_FOUND, "unknown node 'n9'"},
            {"ipmi", "n1,n2,n9", "force=on", VMHA_RESULT_NOT_FOUND, "unknown node 'n9'"},
            {"ipmi", "n1,n2,n2", NULL, VMHA_RESULT_USAGE, "node 'n2' given twice"},
            {"ipmi", NULL, NULL, VMHA_RESULT_USAGE, "needs the nodes it fences"},
            {"ipmi", "n1,bad name", NULL, VMHA_RESULT_USAGE, "bad node name"},
            {"ipmi", "n1,n2,n3", "bogus=1", VMHA_RESULT_USAGE, "unexpected 'bogus=1'"},
            {"nosuch", "n1", NULL, VMHA_RESULT_NOT_FOUND, "unknown fence device 'nosuch'"},
            {"web1", "n1", NULL, VMHA_RESULT_NOT_FOUND, "unknown fence device 'web1'"},
            {"x'y", "n1", NULL, VMHA_RESULT_USAGE, "bad fence device id"},
    };
    cd_cibdb_version(&v, d);
    for (size_t i = 0; i < G_N_ELEMENTS(refused); i++) {
        g_autoptr(VmhaMsg) m = fence_set_msg(refused[i].id, refused[i].hosts, refused[i].kv);
        g_autofree char *err = NULL;
        VmhaResult r = cd_cibwrite_apply(m, members, n_members, &err);
        if (r != refused[i].want || !err || !strstr(err, refused[i].error))
            fail_msg("case %zu: %d (%s), wanted %d (%s)", i, r, err ? err : "", refused[i].want,
                     refused[i].error);
        assert_unchanged(&v, d);
    }

    /* A shared device gains a node, the other loses one another device still fences: no
     * --force needed for either. */
    assert_int_equal(apply(fence_set_msg("pdu", "n1,n2", NULL)), 0);
    assert_int_equal(apply(fence_set_msg("ipmi", "n2,n3", NULL)), 0);
    g_autofree char *text = file_text("fs");
    assert_non_null(strstr(text, "<primitive id=\"pdu\" class=\"stonith\" type=\"fence_apc\""));
    assert_non_null(
            strstr(text, "<primitive id=\"ipmi\" class=\"stonith\" type=\"fence_ipmilan\""));
    assert_non_null(strstr(text, "name=\"port\" value=\"7\""));
    assert_non_null(strstr(text, "name=\"ip\" value=\"1\""));
    assert_non_null(strstr(text, "name=\"passwd\" value=\"s\""));
    assert_non_null(strstr(text, "id=\"web1\""));
    assert_pacemaker_schema_valid(text);
    assert_crm_verify_ok(text);
    g_autofree char *pdu = saved_hosts("fs", "pdu"), *ipmi = saved_hosts("fs", "ipmi");
    assert_string_equal(pdu, "n1,n2");
    assert_string_equal(ipmi, "n2,n3");
    /* One pcmk_host_list each, changed in place (the nvpair fence add made). */
    assert_non_null(strstr(text, "id=\"pdu-instance_attributes-pcmk_host_list\" "
                                 "name=\"pcmk_host_list\" value=\"n1 n2\""));
    size_t lists = 0;
    for (const char *p = text; (p = strstr(p, "name=\"pcmk_host_list\"")); p++)
        lists++;
    assert_int_equal(lists, 2);

    /* pdu is now n1's only device: taking n1 out is root's --force. */
    cd_cibdb_version(&v, d);
    g_autofree char *err = NULL;
    VmhaMsg *m = fence_set_msg("pdu", "n2", NULL);
    assert_int_equal(cd_cibwrite_apply(m, members, n_members, &err), VMHA_RESULT_REFUSED);
    vmha_msg_free(m);
    assert_non_null(strstr(err, "'pdu' is the only one fencing n1"));
    assert_non_null(strstr(err, "--force"));
    assert_unchanged(&v, d);
    assert_int_equal(apply(fence_set_msg("pdu", "n2", "force=on")), 0);
    g_free(pdu);
    pdu = saved_hosts("fs", "pdu");
    assert_string_equal(pdu, "n2");

    /* A name that is no node of the database (a node that left) is no node to protect: taking it
     * out needs no --force. */
    g_autofree char *xml = NULL;
    assert_int_equal(cd_cibdb_dump(&xml), 0);
    char *at = strstr(xml, "value=\"n2 n3\"");
    assert_non_null(at);
    g_autoptr(GString) edited = g_string_new_len(xml, at - xml);
    g_string_append(edited, "value=\"n2 n3 gone\"");
    g_string_append(edited, at + strlen("value=\"n2 n3\""));
    assert_int_equal(cd_cibdb_replace(edited->str), 0);
    assert_int_equal(apply(fence_set_msg("ipmi", "n2,n3", NULL)), 0);
    g_free(text);
    text = file_text("fs");
    assert_null(strstr(text, "gone"));
    cd_cibdb_finalise();
}

/* A request of type naming name (in field tag, none when NULL) with up to two KEY=VALUEs. */
static VmhaMsg *kv_msg(uint16_t type, uint16_t tag, const char *name, const char *kv1,
                       const char *kv2)
{
    VmhaMsg *m = vmha_msg_new(type);
    if (name)
        assert_int_equal(vmha_msg_add_str(m, tag, name), 0);
    if (kv1)
        assert_int_equal(vmha_msg_add_str(m, VMHA_F_KV, kv1), 0);
    if (kv2)
        assert_int_equal(vmha_msg_add_str(m, VMHA_F_KV, kv2), 0);
    return m;
}

/* vm cleanup forgets the VM's history on every node and nothing else; node fence records the
 * request on the node; monitor-interval writes an op the schema and lib/model accept. */
static void test_cleanup_fence_request_monitor(void **state)
{
    VmhaCibVersion v;
    char d[VMHA_DIGEST_LEN + 1];

    open_seeded("g");
    assert_int_equal(apply(add_msg("web1", NULL)), 0);
    assert_int_equal(apply(add_msg("db1", NULL)), 0);
    assert_int_equal(apply(fence_add_msg("lab1", "fence_lab", "n1,n2,n3", NULL, NULL)), 0);
    assert_int_equal(apply(probe_msg(2, "web1 0 0 10 100", "db1 7 0 10 100")), 0);
    assert_int_equal(apply(probe_msg(3, "web1 7 0 10 100", NULL)), 0);

    assert_int_equal(apply(kv_msg(VMHA_MSG_VM_CLEANUP, VMHA_F_NAME, "web1", NULL, NULL)), 0);
    g_autofree char *text = file_text("g");
    assert_null(strstr(text, "web1_last_0"));
    assert_non_null(strstr(text, "db1_last_0"));
    cd_cibdb_version(&v, d);
    assert_int_equal(apply(kv_msg(VMHA_MSG_VM_CLEANUP, VMHA_F_NAME, "nosuch", NULL, NULL)),
                     VMHA_RESULT_NOT_FOUND);
    /* Nothing left to forget: no change, not even the version. */
    assert_int_equal(apply(kv_msg(VMHA_MSG_VM_CLEANUP, VMHA_F_NAME, "web1", NULL, NULL)), 0);
    assert_unchanged(&v, d);

    /* An operation in flight (op-status -1) is never forgotten under the VM. */
    g_autofree char *xml = NULL;
    assert_int_equal(cd_cibdb_dump(&xml), 0);
    /* db1's probe on n2 is the only record left: make it an operation in flight. */
    g_auto(GStrv) parts = g_strsplit(xml, "op-status=\"0\"", -1);
    assert_int_equal(g_strv_length(parts), 2);
    g_autofree char *pending2 = g_strjoinv("op-status=\"-1\"", parts);
    assert_int_equal(cd_cibdb_replace(pending2), 0);
    assert_int_equal(apply(kv_msg(VMHA_MSG_VM_CLEANUP, VMHA_F_NAME, "db1", NULL, NULL)),
                     VMHA_RESULT_FAILURE);
    assert_int_equal(cd_cibdb_replace(xml), 0);

    /* node fence: the time comes with the request (ipc.c adds it). */
    assert_int_equal(apply(kv_msg(VMHA_MSG_NODE_FENCE, VMHA_F_NODE, "n3", "requested=1700", NULL)),
                     0);
    g_free(text);
    text = file_text("g");
    assert_non_null(strstr(text, "<transient_attributes id=\"3\">"));
    assert_non_null(strstr(text, "<instance_attributes id=\"status-3\">"));
    assert_non_null(strstr(text, "name=\"vmha-fence-requested\" value=\"1700\""));
    cd_cibdb_version(&v, d);
    assert_int_equal(apply(kv_msg(VMHA_MSG_NODE_FENCE, VMHA_F_NODE, "n9", "requested=1700", NULL)),
                     VMHA_RESULT_NOT_FOUND);
    assert_int_equal(apply(kv_msg(VMHA_MSG_NODE_FENCE, VMHA_F_NODE, "n2", NULL, NULL)),
                     VMHA_RESULT_USAGE);
    assert_int_equal(apply(kv_msg(VMHA_MSG_NODE_FENCE, VMHA_F_NODE, "n2", "requested=x", NULL)),
                     VMHA_RESULT_USAGE);
    assert_unchanged(&v, d);

    /* monitor-interval: one op, changed in place. */
    assert_int_equal(apply(set_msg("web1", "monitor-interval=5s", NULL)), 0);
    assert_int_equal(apply(set_msg("web1", "monitor-interval=1min", NULL)), 0);
    assert_int_equal(apply(set_msg("web1", "monitor-interval=0", NULL)), VMHA_RESULT_USAGE);
    g_free(text);
    text = file_text("g");
    assert_non_null(strstr(text, "<op id=\"web1-monitor\" name=\"monitor\" interval=\"1min\" "
                                 "timeout=\"30s\"/>"));
    assert_null(strstr(text, "interval=\"5s\""));
    assert_pacemaker_schema_valid(text);
    assert_crm_verify_ok(text);
    g_autoptr(VmhaModel) model = NULL;
    assert_int_equal(vmha_model_parse(text, strlen(text), &model, NULL), 0);
    assert_int_equal(model->n_vms, 2);
    cd_cibdb_finalise();
}

/* Drain marks, move requests, properties and capacities: valid for Pacemaker's schema and
 * crm_verify, all or nothing on a bad value. */
static void test_maintenance_writes(void **state)
{
    VmhaCibVersion v;
    char d[VMHA_DIGEST_LEN + 1];

    open_seeded("m");
    assert_int_equal(apply(add_msg("web1", "n1")), 0);
    assert_int_equal(
            apply(kv_msg(VMHA_MSG_NODE_DRAIN, VMHA_F_NODE, "n2", "method=cold", "force=on")), 0);
    /* A shutdown's drain does not replace the administrator's. */
    assert_int_equal(apply(kv_msg(VMHA_MSG_NODE_DRAIN, VMHA_F_NODE, "n2", "shutdown=on", NULL)), 0);
    assert_int_equal(apply(kv_msg(VMHA_MSG_VM_MOVE, VMHA_F_NAME, "web1", "from=n1", NULL)), 0);
    assert_int_equal(apply(kv_msg(VMHA_MSG_CONFIG_SET, VMHA_F_NAME, NULL, "migration-limit=2",
                                  "placement-strategy=utilization")),
                     0);
    assert_int_equal(
            apply(kv_msg(VMHA_MSG_CONFIG_SET, VMHA_F_NAME, NULL, "stonith-enabled=false", NULL)),
            0);
    assert_int_equal(apply(kv_msg(VMHA_MSG_CONFIG_SET, VMHA_F_NAME, NULL, "stonith-action=off",
                                  "node-action-limit=3")),
                     0);
    assert_int_equal(apply(kv_msg(VMHA_MSG_CONFIG_SET, VMHA_F_NODE, "n3", "memory=4096", "cpu=8")),
                     0);
    g_autofree char *text = file_text("m");
    assert_pacemaker_schema_valid(text);
    assert_crm_verify_ok(text);
    g_autoptr(VmhaModel) m = NULL;
    g_autoptr(GError) error = NULL;
    assert_int_equal(vmha_model_parse(text, strlen(text), &m, &error), 0);
    assert_true(m->nodes[1].drain);
    assert_true(m->nodes[1].drain_force);
    assert_false(m->nodes[1].drain_shutdown);
    assert_int_equal(m->nodes[1].drain_method, VMHA_MIGRATION_COLD);
    assert_int_equal(m->migration_limit, 2);
    assert_non_null(strstr(text, "name=\"stonith-action\" value=\"off\""));
    assert_int_equal(m->nodes[2].memory, 4096);
    assert_int_equal(m->nodes[2].cpu, 8);
    assert_non_null(
            strstr(text, "id=\"vmha-move-web1\" rsc=\"web1\" node=\"n1\" score=\"-INFINITY\""));

    cd_cibdb_version(&v, d);
    assert_int_equal(apply(kv_msg(VMHA_MSG_NODE_DRAIN, VMHA_F_NODE, "n2", "method=warp", NULL)),
                     VMHA_RESULT_USAGE);
    assert_int_equal(apply(kv_msg(VMHA_MSG_NODE_DRAIN, VMHA_F_NODE, "n9", NULL, NULL)),
                     VMHA_RESULT_NOT_FOUND);
    assert_int_equal(
            apply(kv_msg(VMHA_MSG_VM_MOVE, VMHA_F_NAME, "web1", "from=n1", "method=teleport")),
            VMHA_RESULT_USAGE);
    assert_int_equal(apply(kv_msg(VMHA_MSG_VM_MOVE, VMHA_F_NAME, "nope", "from=n1", NULL)),
                     VMHA_RESULT_NOT_FOUND);
    /* One bad pair refuses the good one with it; so does a rule between properties. */
    assert_int_equal(
            apply(kv_msg(VMHA_MSG_CONFIG_SET, VMHA_F_NAME, NULL, "migration-limit=3", "bogus=1")),
            VMHA_RESULT_USAGE);
    assert_int_equal(apply(kv_msg(VMHA_MSG_CONFIG_SET, VMHA_F_NAME, NULL, "migration-limit=3",
                                  "placement-strategy=best")),
                     VMHA_RESULT_USAGE);
    assert_int_equal(apply(kv_msg(VMHA_MSG_CONFIG_SET, VMHA_F_NAME, NULL, "stonith-enabled=true",
                                  "vmha-fence-watchdog-timeout=5")),
                     VMHA_RESULT_USAGE);
    assert_int_equal(apply(kv_msg(VMHA_MSG_CONFIG_SET, VMHA_F_NODE, "n3", "disk=1", NULL)),
                     VMHA_RESULT_USAGE);
    assert_int_equal(
            apply(kv_msg(VMHA_MSG_CONFIG_SET, VMHA_F_NAME, NULL, "stonith-action=cycle", NULL)),
            VMHA_RESULT_USAGE);
    assert_int_equal(
            apply(kv_msg(VMHA_MSG_CONFIG_SET, VMHA_F_NAME, NULL, "node-action-limit=many", NULL)),
            VMHA_RESULT_USAGE);
    assert_unchanged(&v, d);

    assert_int_equal(apply(kv_msg(VMHA_MSG_NODE_RESUME, VMHA_F_NODE, "n2", NULL, NULL)), 0);
    assert_int_equal(
            apply(kv_msg(VMHA_MSG_CONFIG_SET, VMHA_F_NAME, NULL, "migration-limit=", NULL)), 0);
    g_free(text);
    text = file_text("m");
    assert_null(strstr(text, "vmha-drain"));
    assert_null(strstr(text, "migration-limit"));
    assert_pacemaker_schema_valid(text);
    cd_cibdb_finalise();
}

/* vm set together-with / apart-from, vm ban / unban, node standby / maintenance and
 * maintenance-mode: standard constraints and attributes that Pacemaker's schema and crm_verify
 * accept, checked whole before anything is written. */
static void test_placement_writes(void **state)
{
    VmhaCibVersion v;
    char d[VMHA_DIGEST_LEN + 1];

    open_seeded("placement");
    assert_int_equal(apply(add_msg("web1", NULL)), 0);
    assert_int_equal(apply(add_msg("db1", NULL)), 0);
    assert_int_equal(apply(add_msg("cache1", NULL)), 0);
    assert_int_equal(apply(set_msg("web1", "together-with=db1", "apart-from=cache1:500")), 0);
    assert_int_equal(apply(kv_msg(VMHA_MSG_VM_SET, VMHA_F_NAME, "web1", "ban=n2", NULL)), 0);
    assert_int_equal(apply(kv_msg(VMHA_MSG_CONFIG_SET, VMHA_F_NODE, "n3", "standby=on", NULL)), 0);
    assert_int_equal(apply(kv_msg(VMHA_MSG_CONFIG_SET, VMHA_F_NAME, NULL, "maintenance-mode=true",
                                  "stonith-enabled=false")),
                     0);
    g_autofree char *text = file_text("placement");
    assert_pacemaker_schema_valid(text);
    assert_crm_verify_ok(text);
    assert_non_null(strstr(text, "<rsc_colocation id=\"together-web1-db1\" rsc=\"web1\" "
                                 "with-rsc=\"db1\" score=\"INFINITY\"/>"));
    assert_non_null(strstr(text, "<rsc_colocation id=\"apart-web1-cache1\" rsc=\"web1\" "
                                 "with-rsc=\"cache1\" score=\"-500\"/>"));
    assert_non_null(strstr(text, "<rsc_location id=\"cli-ban-web1-on-n2\" rsc=\"web1\" "
                                 "node=\"n2\" score=\"-INFINITY\"/>"));
    g_autoptr(VmhaModel) m = NULL;
    g_autoptr(GError) error = NULL;
    assert_int_equal(vmha_model_parse(text, strlen(text), &m, &error), 0);
    assert_int_equal(m->n_colocations, 2);
    assert_true(m->nodes[2].standby);
    assert_true(m->maintenance_mode);

    /* Refused whole: the good pair with a bad one changes nothing. */
    cd_cibdb_version(&v, d);
    assert_int_equal(apply(set_msg("web1", "priority=5", "together-with=ghost")),
                     VMHA_RESULT_NOT_FOUND);
    assert_int_equal(apply(set_msg("web1", "priority=5", "together-with=cache1")),
                     VMHA_RESULT_USAGE); /* also apart from cache1 */
    assert_int_equal(apply(set_msg("web1", "together-with=web1", NULL)), VMHA_RESULT_USAGE);
    assert_int_equal(apply(set_msg("web1", "apart-from=db1:0", NULL)), VMHA_RESULT_USAGE);
    assert_int_equal(apply(kv_msg(VMHA_MSG_VM_SET, VMHA_F_NAME, "web1", "ban=n9", NULL)),
                     VMHA_RESULT_NOT_FOUND);
    assert_int_equal(apply(kv_msg(VMHA_MSG_CONFIG_SET, VMHA_F_NODE, "n3", "standby=maybe", NULL)),
                     VMHA_RESULT_USAGE);
    assert_unchanged(&v, d);

    /* Lifting: unban, empty lists, standby off; removing a VM removes what names it. */
    assert_int_equal(apply(kv_msg(VMHA_MSG_VM_SET, VMHA_F_NAME, "web1", "unban=n2", NULL)), 0);
    assert_int_equal(apply(set_msg("web1", "apart-from=", NULL)), 0);
    assert_int_equal(apply(kv_msg(VMHA_MSG_CONFIG_SET, VMHA_F_NODE, "n3", "standby=off", NULL)), 0);
    assert_int_equal(apply(remove_msg("db1")), 0);
    g_free(text);
    text = file_text("placement");
    assert_null(strstr(text, "rsc_colocation"));
    assert_null(strstr(text, "cli-ban"));
    assert_null(strstr(text, "standby"));

    /* Maintenance mode ends while n3 is out of the view: n3 did not see it end and would not
     * fence itself, so it is marked. */
    members[0] = (VmhaPeerState){.nodeid = 1};
    members[1] = (VmhaPeerState){.nodeid = 2};
    n_members = 2;
    assert_int_equal(
            apply(kv_msg(VMHA_MSG_CONFIG_SET, VMHA_F_NAME, NULL, "maintenance-mode=", NULL)), 0);
    g_free(text);
    text = file_text("placement");
    assert_null(strstr(text, "maintenance-mode"));
    assert_non_null(strstr(text, "name=\"vmha-self-fence-disarmed\" value=\"true\""));
    assert_non_null(strstr(text, "id=\"status-3-vmha-self-fence-disarmed\""));
    assert_null(strstr(text, "id=\"status-1-vmha-self-fence-disarmed\""));
    assert_pacemaker_schema_valid(text);
    n_members = 0;
    cd_cibdb_finalise();
}

static VmhaMsg *result_msg(uint64_t origin, const char *line, const char *kv)
{
    VmhaMsg *m = vmha_msg_new(VMHA_MSG_RESULT);
    assert_int_equal(vmha_msg_add_str(m, VMHA_F_RESULT, line), 0);
    if (kv)
        assert_int_equal(vmha_msg_add_str(m, VMHA_F_KV, kv), 0);
    assert_int_equal(vmha_msg_add_u64(m, VMHA_F_ORIGIN_NODE, origin), 0);
    return m;
}

/* Results from before a node's fence are void (issue 11, defect 7): n2 ran web1, was fenced, and
 * its clusterd, rejoining with its pre-fence copy, monitored web1 there and found nothing (rc 7).
 * That failure carries the pre-fence epoch and changes nothing, on every copy alike; a failure
 * from a monitor begun after the fence is recorded. */
static void test_result_after_fence(void **state)
{
    VmhaCibVersion v;
    char d[VMHA_DIGEST_LEN + 1];

    open_seeded("rf");
    assert_int_equal(apply(add_msg("web1", NULL)), 0);
    VmhaMsg *a = vmha_msg_new(VMHA_MSG_ACTIONS);
    assert_int_equal(vmha_msg_add_str(a, VMHA_F_ACTION, "0:1:0:u start web1 n2"), 0);
    assert_int_equal(vmha_msg_add_str(a, VMHA_F_KV, "time=1700000000"), 0);
    assert_int_equal(apply(a), 0);
    assert_int_equal(apply(result_msg(2, "0:1:0:u start 0 web1 0 0 10 1700000001", "fenced=0")), 0);
    g_autofree char *text = file_text("rf");
    assert_non_null(strstr(text, "web1_last_0"));

    VmhaMsg *f = vmha_msg_new(VMHA_MSG_FENCED);
    assert_int_equal(vmha_msg_add_str(f, VMHA_F_NODE, "n2"), 0);
    assert_int_equal(vmha_msg_add_u64(f, VMHA_F_RC, 0), 0);
    assert_int_equal(vmha_msg_add_str(f, VMHA_F_KV, "time=1700000100"), 0);
    assert_int_equal(apply(f), 0);
    cd_cibdb_version(&v, d);
    assert_int_equal(apply(result_msg(2, "0:0:0:vmha-monitor monitor 2000 web1 7 0 3 1700000105",
                                      "fenced=0")),
                     0);
    assert_unchanged(&v, d);
    g_free(text);
    text = file_text("rf");
    assert_null(strstr(text, "fail-count-web1"));
    assert_null(strstr(text, "web1_monitor_2000"));

    assert_int_equal(apply(result_msg(2, "0:0:0:vmha-monitor monitor 2000 web1 7 0 3 1700000110",
                                      "fenced=1700000100")),
                     0);
    g_free(text);
    text = file_text("rf");
    assert_non_null(strstr(text, "fail-count-web1#monitor_2000"));
    assert_int_equal(apply(result_msg(2, "0:0:0:vmha-monitor monitor 2000 web1 7 0 3 1700000111",
                                      "fenced=x")),
                     VMHA_RESULT_USAGE);
    cd_cibdb_finalise();
}

static VmhaMsg *actions_msg(const char *action, int64_t time)
{
    VmhaMsg *m = vmha_msg_new(VMHA_MSG_ACTIONS);
    g_autofree char *kv = g_strdup_printf("time=%" G_GINT64_FORMAT, time);
    assert_int_equal(vmha_msg_add_str(m, VMHA_F_ACTION, action), 0);
    assert_int_equal(vmha_msg_add_str(m, VMHA_F_KV, kv), 0);
    return m;
}

static VmhaMsg *failure_msg(uint64_t origin, const char *line, const char *reason)
{
    VmhaMsg *m = result_msg(origin, line, NULL);
    assert_int_equal(vmha_msg_add_str(m, VMHA_F_MESSAGE, reason), 0);
    return m;
}

static VmhaMsg *fenced_msg(const char *node, int64_t time)
{
    VmhaMsg *m = vmha_msg_new(VMHA_MSG_FENCED);
    g_autofree char *kv = g_strdup_printf("time=%" G_GINT64_FORMAT, time);
    assert_int_equal(vmha_msg_add_str(m, VMHA_F_NODE, node), 0);
    assert_int_equal(vmha_msg_add_u64(m, VMHA_F_RC, 0), 0);
    assert_int_equal(vmha_msg_add_str(m, VMHA_F_KV, kv), 0);
    return m;
}

/* A recovery's worth of status writes (probes, actions, results, a migration, failures, a fence,
 * a cleanup, a drain), applied to the copy in dir/sub; every database after a write, as text
 * with its version, into states. */
static void status_writes(const char *sub, GPtrArray *states)
{
    VmhaMsg *steps[] = {
            add_msg("web1", NULL),
            add_msg("db1", NULL),
            add_msg("app1", NULL),
            probe_msg(1, "web1 7 0 1 100", "db1 7 0 1 100"),
            probe_msg(2, "web1 0 0 1 100", "db1 7 0 1 100"),
            probe_msg(3, "web1 7 0 1 100", "app1 7 0 1 100"),
            probe_msg(1, "app1 7 0 1 101", NULL),
            probe_msg(2, "web1 0 0 2 102", "app1 7 0 2 102"), /* the same: no write */
            probe_msg(2, "web1 7 0 2 103", NULL),
            probe_msg(2, "web1 0 0 2 104", NULL),
            actions_msg("0:1:0:u start db1 n1", 1000),
            result_msg(1, "0:1:0:u start 0 db1 0 0 10 1001", NULL),
            actions_msg("0:2:0:u migrate web1 n2 n3", 1002),
            result_msg(2, "0:2:0:u migrate_to 0 web1 0 0 30 1003", NULL),
            result_msg(3, "0:2:0:u migrate_from 0 web1 0 0 30 1004", NULL),
            probe_msg(3, "web1 7 0 1 1004", NULL), /* drops migrate_source and _target */
            probe_msg(3, "web1 0 0 1 1004", NULL),
            failure_msg(3, "0:0:0:vmha-monitor monitor 2000 web1 7 0 3 1005", "gone"),
            failure_msg(1, "0:0:0:vmha-monitor monitor 2000 db1 1 0 3 1006", "exit-reason++"),
            failure_msg(1, "0:0:0:vmha-monitor monitor 2000 db1 1 0 3 1007", "exit-reason+=2"),
            actions_msg("0:3:0:u stop app1 n1", 1008),
            result_msg(1, "0:3:0:u stop 0 app1 0 0 5 1009", NULL),
            kv_msg(VMHA_MSG_NODE_FENCE, VMHA_F_NODE, "n2", "requested=1010", NULL),
            fenced_msg("n2", 1010),
            kv_msg(VMHA_MSG_VM_CLEANUP, VMHA_F_NAME, "web1", NULL, NULL),
            probe_msg(3, "web1 0 0 1 1011", "app1 0 0 1 1011"),
            kv_msg(VMHA_MSG_NODE_DRAIN, VMHA_F_NODE, "n2", NULL, NULL),
    };

    open_seeded(sub);
    for (size_t i = 0; i < G_N_ELEMENTS(steps); i++) {
        VmhaCibVersion v;
        g_autofree char *text = NULL;
        int r = apply(steps[i]);
        assert_true(r == 0 || r == VMHA_RESULT_NOT_FOUND || r == VMHA_RESULT_USAGE);
        cd_cibdb_version(&v, NULL);
        assert_int_equal(cd_cibdb_dump(&text), 0);
        g_ptr_array_add(states, g_strdup_printf("write %zu -> %d: %" G_GUINT64_FORMAT
                                                ".%" G_GUINT64_FORMAT ".%" G_GUINT64_FORMAT "\n%s",
                                                i, r, v.admin_epoch, v.epoch, v.num_updates, text));
    }
    cd_cibdb_finalise();
}

/* Status writes that modify only the entries they change (issue 18) leave every copy exactly as
 * replacing the whole section did, write after write, version included; both paths are taken. */
static void test_status_modify_same_as_replace(void **state)
{
    g_autoptr(GPtrArray) replaced = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) modified = g_ptr_array_new_with_free_func(g_free);

    cd_write_status_delta = false;
    cd_write_status_modifies = 0;
    status_writes("replace", replaced);
    assert_int_equal(cd_write_status_modifies, 0);
    cd_write_status_delta = true;
    status_writes("modify", modified);
    assert_int_equal(replaced->len, modified->len);
    for (guint i = 0; i < replaced->len; i++) {
        const char *a = g_ptr_array_index(replaced, i), *b = g_ptr_array_index(modified, i);
        /* cib-last-written differs by the clock, which neither path sets for status */
        if (strcmp(a, b) != 0)
            fail_msg("after %s\nmodify gave\n%s", a, b);
    }
    if (g_getenv("VMHA_DEBUG"))
        print_message("%u of %u writes modified\n", cd_write_status_modifies, modified->len);
    assert_true(cd_write_status_modifies >= 10);
    assert_true(cd_write_status_modifies < modified->len - 6);
}

/* vmctl vm add-many: one write adds every VM exactly as single vm adds would (the same
 * configuration section, byte for byte), or refuses the whole batch naming the line at fault and
 * changes nothing. */
static VmhaMsg *many_msg(const char *json)
{
    VmhaMsg *m = vmha_msg_new(VMHA_MSG_VM_ADD_MANY);
    assert_int_equal(vmha_msg_add_str(m, VMHA_F_JSON, json), 0);
    return m;
}

static char *configuration_of(const char *sub)
{
    g_autofree char *text = file_text(sub);
    const char *a = strstr(text, "<configuration>"), *b = strstr(text, "</configuration>");
    assert_non_null(a);
    assert_non_null(b);
    return g_strndup(a, b - a);
}

#define MANY_VM(line, name, extra)                                                                 \
    "{\"line\":" #line ",\"name\":\"" name "\",\"config\":\"/shared/vm.xml\",\"priority\":\"7\","  \
    "\"memory\":512,\"vcpus\":2" extra "}"

static void test_add_many(void **state)
{
    VmhaCibVersion v, after;
    char d[VMHA_DIGEST_LEN + 1];
    g_autofree char *err = NULL;

    /* The same VMs one by one, in a copy of their own. */
    open_seeded("single");
    assert_int_equal(apply(add_msg("web1", NULL)), 0);
    assert_int_equal(apply(add_msg("web2", "n2,n3")), 0);
    assert_int_equal(apply(add_msg("web3", "n1")), 0);
    g_autofree char *single = configuration_of("single");
    cd_cibdb_finalise();

    open_seeded("many");
    assert_int_equal(apply(add_msg("web1", NULL)), 0);
    cd_cibdb_version(&v, d);

    /* Refusals, each of the whole batch: nothing changes. */
    static const struct {
        const char *json;
        VmhaResult result;
        const char *error;
    } refused[] = {
            {"[" MANY_VM(1, "web2", ",\"prefer\":\"n2,n3\"") "," MANY_VM(2, "web1", "") "]",
             VMHA_RESULT_FAILURE, "line 2: a resource named 'web1' already exists"},
            {"[" MANY_VM(4, "web2", ",\"prefer\":\"n2,n9\"") "]", VMHA_RESULT_NOT_FOUND,
             "line 4: unknown node 'n9'"},
            /* An id taken by something else than a VM, in the database or in the batch. */
            {"[" MANY_VM(1, "web1-utilization", "") "]", VMHA_RESULT_FAILURE,
             "line 1: the id 'web1-utilization' is taken"},
            {"[" MANY_VM(1, "web2", "") "," MANY_VM(2, "web2-utilization", "") "]",
             VMHA_RESULT_FAILURE, "line 2: the id 'web2-utilization' is taken"},
            {"[" MANY_VM(1, "web2", ",\"prefer\":\"n1\"") "," MANY_VM(5, "prefer-web2-n1", "") "]",
             VMHA_RESULT_FAILURE, "line 5: the id 'prefer-web2-n1' is taken"},
            {"[" MANY_VM(1, "web2", "") "," MANY_VM(3, "web2", "") "]", VMHA_RESULT_USAGE,
             "line 3: VM 'web2' is defined twice"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(refused); i++) {
        g_autoptr(VmhaMsg) m = many_msg(refused[i].json);
        assert_int_equal(cd_cibwrite_apply(m, members, n_members, &err), refused[i].result);
        assert_string_equal(err, refused[i].error);
        g_clear_pointer(&err, g_free);
    }
    assert_int_equal(apply(many_msg("[]")), VMHA_RESULT_USAGE);
    assert_int_equal(apply(vmha_msg_new(VMHA_MSG_VM_ADD_MANY)), VMHA_RESULT_USAGE);
    assert_unchanged(&v, d);

    const char *good = "[" MANY_VM(1, "web2", ",\"prefer\":\"n2,n3\"") "," MANY_VM(
            2, "web3", ",\"prefer\":\"n1\"") "]";
    assert_int_equal(apply(many_msg(good)), 0);
    cd_cibdb_version(&after, NULL);
    assert_true(vmha_cib_version_compare(&after, &v) > 0);
    g_autofree char *many = configuration_of("many");
    assert_string_equal(single, many);
    g_autofree char *text = file_text("many");
    assert_pacemaker_schema_valid(text);

    /* Stopped VMs, and a thousand in one write. */
    g_autoptr(GString) big = g_string_new("[");
    for (unsigned i = 0; i < 1000; i++)
        g_string_append_printf(big,
                               "%s{\"name\":\"vm%u\",\"config\":\"/shared/vm%u.xml\","
                               "\"memory\":64,\"vcpus\":1,\"stopped\":true}",
                               i ? "," : "", i, i);
    g_string_append(big, "]");
    assert_int_equal(apply(many_msg(big->str)), 0);
    g_free(text);
    text = file_text("many");
    assert_non_null(strstr(text, "<primitive id=\"vm999\" class=\"ocf\" provider=\"vmha\""));
    assert_non_null(strstr(text, "id=\"vm999-meta_attributes-target-role\" name=\"target-role\" "
                                 "value=\"Stopped\""));
    assert_pacemaker_schema_valid(text);
    cd_cibdb_finalise();
}

/* The table has a row for every write the wire defines, and for nothing else: each write sent
 * without a single field is refused by its row's decode (VMHA_RESULT_USAGE, a reason of its
 * own, nothing changed); any other message type is "unknown write". */
static VmhaMsg *alert_msg(uint16_t type, const char *id, const char *const *kvs)
{
    VmhaMsg *m = vmha_msg_new(type);
    assert_int_equal(vmha_msg_add_str(m, VMHA_F_NAME, id), 0);
    for (size_t i = 0; kvs && kvs[i]; i++)
        assert_int_equal(vmha_msg_add_str(m, VMHA_F_KV, kvs[i]), 0);
    return m;
}

/* vmctl alert add/remove: an <alert> under the configuration's <alerts> in Pacemaker's schema,
 * read back by lib/alerts.c as clusterd runs it; every refusal changes nothing. */
static void test_alert_write(void **state)
{
    VmhaCibVersion v;
    char d[VMHA_DIGEST_LEN + 1];
    const char *const file[] = {"path=/usr/share/pacemaker/alerts/alert_file.sh.sample",
                                "timeout=10s",
                                "timestamp-format=%Y-%m-%d %H:%M:%S.%06N",
                                "recipient=/var/log/vmha-alerts.log",
                                "recipient=/tmp/second.log",
                                "option=debug_exec_order=false",
                                NULL};
    const char *const paged[] = {"path=/usr/local/bin/page", "select=fencing,node", NULL};

    open_seeded("al");
    assert_int_equal(apply(add_msg("web1", NULL)), 0);
    /* crm_verify wants a fence device before it looks at anything else. */
    assert_int_equal(apply(fence_add_msg("lab1", "fence_lab", "n1,n2,n3", NULL, NULL)), 0);
    assert_int_equal(apply(alert_msg(VMHA_MSG_ALERT_ADD, "file", file)), 0);
    assert_int_equal(apply(alert_msg(VMHA_MSG_ALERT_ADD, "pager", paged)), 0);
    g_autofree char *text = file_text("al");
    assert_non_null(strstr(text, "<alerts>"));
    assert_non_null(strstr(
            text, "<alert id=\"file\" path=\"/usr/share/pacemaker/alerts/alert_file.sh.sample\""));
    assert_non_null(strstr(text, "<recipient id=\"file-recipient-2\" value=\"/tmp/second.log\"/>"));
    assert_pacemaker_schema_valid(text);
    assert_crm_verify_ok(text);

    xmlDocPtr doc = xmlReadMemory(text, (int)strlen(text), "cib.xml", NULL, XML_PARSE_NONET);
    g_autoptr(GPtrArray) alerts = vmha_alerts_read(xmlDocGetRootElement(doc), NULL);
    xmlFreeDoc(doc);
    assert_int_equal(alerts->len, 2);
    const VmhaAlert *a = g_ptr_array_index(alerts, 0), *b = g_ptr_array_index(alerts, 1);
    assert_int_equal(a->timeout_ms, 10000);
    assert_string_equal(a->timestamp_format, "%Y-%m-%d %H:%M:%S.%06N");
    assert_int_equal(a->recipients->len, 2);
    assert_string_equal(a->attrs[0], "debug_exec_order=false");
    assert_int_equal(b->kinds, VMHA_ALERT_FENCING | VMHA_ALERT_NODE);

    /* Refusals: a second alert of that id, an id in use, bad settings, an unknown alert. */
    cd_cibdb_version(&v, d);
    assert_int_equal(apply(alert_msg(VMHA_MSG_ALERT_ADD, "file", paged)), VMHA_RESULT_FAILURE);
    assert_int_equal(apply(alert_msg(VMHA_MSG_ALERT_ADD, "web1", paged)), VMHA_RESULT_FAILURE);
    const char *const relative[] = {"path=alert.sh", NULL};
    const char *const badopt[] = {"path=/x", "option=CRM_alert_kind=x", NULL};
    const char *const badkind[] = {"path=/x", "select=attribute", NULL};
    const char *const nopath[] = {"recipient=/tmp/x", NULL};
    assert_int_equal(apply(alert_msg(VMHA_MSG_ALERT_ADD, "x", relative)), VMHA_RESULT_USAGE);
    assert_int_equal(apply(alert_msg(VMHA_MSG_ALERT_ADD, "x", badopt)), VMHA_RESULT_USAGE);
    assert_int_equal(apply(alert_msg(VMHA_MSG_ALERT_ADD, "x", badkind)), VMHA_RESULT_USAGE);
    assert_int_equal(apply(alert_msg(VMHA_MSG_ALERT_ADD, "x", nopath)), VMHA_RESULT_USAGE);
    assert_int_equal(apply(alert_msg(VMHA_MSG_ALERT_ADD, "1x", paged)), VMHA_RESULT_USAGE);
    assert_int_equal(apply(alert_msg(VMHA_MSG_ALERT_REMOVE, "nope", NULL)), VMHA_RESULT_NOT_FOUND);
    assert_unchanged(&v, d);

    /* Removing the last one takes the section away too. */
    assert_int_equal(apply(alert_msg(VMHA_MSG_ALERT_REMOVE, "file", NULL)), 0);
    g_autofree char *one = file_text("al");
    assert_null(strstr(one, "alert_file"));
    assert_non_null(strstr(one, "<alerts>"));
    assert_int_equal(apply(alert_msg(VMHA_MSG_ALERT_REMOVE, "pager", NULL)), 0);
    g_autofree char *none = file_text("al");
    assert_null(strstr(none, "<alerts"));
    assert_pacemaker_schema_valid(none);
    cd_cibdb_finalise();
}

static void test_every_write_has_a_row(void **state)
{
    VmhaCibVersion v;
    char d[VMHA_DIGEST_LEN + 1];
    int rows = 0;

    open_seeded("rows");
    cd_cibdb_version(&v, d);
    for (uint16_t type = 0; type < 256; type++) {
        g_autoptr(VmhaMsg) m = vmha_msg_new(type);
        g_autofree char *err = NULL;
        VmhaResult r = cd_cibwrite_apply(m, members, n_members, &err);
        assert_non_null(err);
        if (vmha_msg_type_is_write(type)) {
            assert_int_equal(r, VMHA_RESULT_USAGE);
            assert_string_not_equal(err, "unknown write");
            rows++;
        } else {
            assert_int_equal(r, VMHA_RESULT_FAILURE);
            assert_string_equal(err, "unknown write");
        }
    }
    assert_int_equal(rows, 20);
    assert_unchanged(&v, d);
    cd_cibdb_finalise();
}

static VmhaMsg *storage_back_msg(const char *vm, const char *node, const char *cause)
{
    VmhaMsg *m = kv_msg(VMHA_MSG_VM_CLEANUP, VMHA_F_NAME, vm, cause, NULL);
    if (node)
        assert_int_equal(vmha_msg_add_str(m, VMHA_F_NODE, node), 0);
    return m;
}

/* A start that failed because n2 could not reach the shared storage bans web1 from n2 (INFINITY);
 * the cleanup that n2's storage watch sends once the storage is back clears web1's fail counts
 * on n2 and nothing else: not its history there, not db1's failure of another cause, and a
 * second request (or one for a failure of another cause) is refused without a change. */
static void test_cleanup_storage_back(void **state)
{
    VmhaCibVersion v;
    char d[VMHA_DIGEST_LEN + 1];

    open_seeded("sb");
    assert_int_equal(apply(add_msg("web1", NULL)), 0);
    assert_int_equal(apply(add_msg("db1", NULL)), 0);
    assert_int_equal(apply(actions_msg("0:1:0:u start web1 n2", 1000)), 0);
    assert_int_equal(apply(failure_msg(2, "0:1:0:u start 0 web1 5 0 10 1001",
                                       "shared storage unreachable here (No such file or "
                                       "directory): /s/web1.xml")),
                     0);
    assert_int_equal(apply(actions_msg("0:2:0:u start db1 n2", 1002)), 0);
    assert_int_equal(apply(failure_msg(2, "0:2:0:u start 0 db1 1 0 10 1003", "Unable to start")),
                     0);
    g_autofree char *text = file_text("sb");
    assert_non_null(strstr(text, "fail-count-web1#start_0"));
    assert_non_null(strstr(text, "fail-count-db1#start_0"));

    cd_cibdb_version(&v, d);
    assert_int_equal(apply(storage_back_msg("web1", "n2", NULL)), VMHA_RESULT_USAGE);
    assert_int_equal(apply(storage_back_msg("web1", "n2", "cause=other")), VMHA_RESULT_USAGE);
    assert_int_equal(apply(storage_back_msg("web1", NULL, "cause=storage-back")),
                     VMHA_RESULT_USAGE);
    assert_int_equal(apply(storage_back_msg("web1", "n9", "cause=storage-back")),
                     VMHA_RESULT_NOT_FOUND);
    assert_int_equal(apply(storage_back_msg("web1", "n3", "cause=storage-back")),
                     VMHA_RESULT_FAILURE);
    assert_int_equal(apply(storage_back_msg("db1", "n2", "cause=storage-back")),
                     VMHA_RESULT_FAILURE);
    assert_unchanged(&v, d);

    assert_int_equal(apply(storage_back_msg("web1", "n2", "cause=storage-back")), 0);
    g_free(text);
    text = file_text("sb");
    assert_null(strstr(text, "fail-count-web1#"));
    assert_null(strstr(text, "last-failure-web1#"));
    assert_non_null(strstr(text, "web1_last_failure_0"));
    assert_non_null(strstr(text, "fail-count-db1#start_0"));
    assert_pacemaker_schema_valid(text);
    cd_cibdb_version(&v, d);
    assert_int_equal(apply(storage_back_msg("web1", "n2", "cause=storage-back")),
                     VMHA_RESULT_FAILURE);
    assert_unchanged(&v, d);
    cd_cibdb_finalise();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_writes_and_errors),
            cmocka_unit_test(test_add_many),
            cmocka_unit_test(test_every_write_has_a_row),
            cmocka_unit_test(test_result_after_fence),
            cmocka_unit_test(test_probe_write),
            cmocka_unit_test(test_fence_write),
            cmocka_unit_test(test_fence_only_device),
            cmocka_unit_test(test_fence_set),
            cmocka_unit_test(test_alert_write),
            cmocka_unit_test(test_cleanup_fence_request_monitor),
            cmocka_unit_test(test_maintenance_writes),
            cmocka_unit_test(test_placement_writes),
            cmocka_unit_test(test_remove_running_refused),
            cmocka_unit_test(test_cleanup_storage_back),
            cmocka_unit_test(test_status_modify_same_as_replace),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
