/* The database tests' common part (cibtest.h). */
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

char *dir;
VmhaPeerState members[3];
size_t n_members;

int setup(void **state)
{
    dir = g_dir_make_tmp("vmha-test-cibdb-XXXXXX", NULL);
    assert_non_null(dir);
    return 0;
}

int teardown(void **state)
{
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    g_free(dir);
    return 0;
}

GPtrArray *three_nodes(void)
{
    GPtrArray *nodes = g_ptr_array_new();
    static CdNode n[] = {{1, (char *)"n1"}, {2, (char *)"n2"}, {3, (char *)"n3"}};
    for (size_t i = 0; i < G_N_ELEMENTS(n); i++)
        g_ptr_array_add(nodes, &n[i]);
    return nodes;
}

void open_seeded(const char *sub)
{
    g_autofree char *path = g_build_filename(dir, sub, NULL);
    g_autoptr(GPtrArray) nodes = three_nodes();

    assert_int_equal(cd_cibdb_init(path), 0);
    assert_int_equal(cd_cibdb_seed_nodes(nodes), 0);
}

VmhaMsg *add_msg(const char *name, const char *prefer)
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

VmhaMsg *set_msg(const char *name, const char *kv1, const char *kv2)
{
    VmhaMsg *m = vmha_msg_new(VMHA_MSG_VM_SET);
    assert_int_equal(vmha_msg_add_str(m, VMHA_F_NAME, name), 0);
    assert_int_equal(vmha_msg_add_str(m, VMHA_F_KV, kv1), 0);
    if (kv2)
        assert_int_equal(vmha_msg_add_str(m, VMHA_F_KV, kv2), 0);
    return m;
}

VmhaMsg *remove_msg(const char *name)
{
    VmhaMsg *m = vmha_msg_new(VMHA_MSG_VM_REMOVE);
    assert_int_equal(vmha_msg_add_str(m, VMHA_F_NAME, name), 0);
    return m;
}

int apply(VmhaMsg *m)
{
    g_autofree char *err = NULL;
    int rc = cd_cibwrite_apply(m, members, n_members, &err);
    if (rc != 0 && getenv("VMHA_DEBUG"))
        printf("apply: %d %s\n", rc, err ? err : "");
    vmha_msg_free(m);
    return rc;
}

char *file_text(const char *sub)
{
    g_autofree char *path = g_build_filename(dir, sub, "cib.xml", NULL);
    char *s = NULL;
    assert_true(g_file_get_contents(path, &s, NULL, NULL));
    return s;
}
