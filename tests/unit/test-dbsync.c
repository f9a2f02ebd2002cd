/* Version order, sync source, leader choice, and the VM attribute rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <errno.h>

#include "dbsync.h"
#include "vmattr.h"

static VmhaPeerState peer(uint32_t id, uint32_t pid, uint64_t a, uint64_t e, uint64_t u,
                          const char *digest, bool in_sync)
{
    VmhaPeerState p = {.nodeid = id, .pid = pid, .version = {a, e, u}, .in_sync = in_sync};
    g_strlcpy(p.digest, digest, sizeof(p.digest));
    return p;
}

static void test_version_compare(void **state)
{
    VmhaCibVersion a = {0, 5, 9}, b = {0, 6, 0}, c = {1, 0, 0}, d = {0, 5, 10};

    assert_true(vmha_cib_version_compare(&a, &b) < 0);
    assert_true(vmha_cib_version_compare(&b, &a) > 0);
    assert_true(vmha_cib_version_compare(&c, &b) > 0); /* admin_epoch dominates */
    assert_true(vmha_cib_version_compare(&d, &a) > 0);
    assert_int_equal(vmha_cib_version_compare(&a, &a), 0);
}

static void test_sync_source(void **state)
{
    VmhaPeerState p[] = {
            peer(3, 100, 0, 7, 2, "aa", false),
            peer(1, 100, 0, 7, 1, "bb", false),
            peer(2, 100, 0, 7, 2, "aa", false),
    };

    /* Newest wins; between equal versions the lowest node id. */
    assert_int_equal(vmha_sync_source_choose(p, 3), 2);
    assert_true(vmha_sync_data_needed(p, 3, 2));
    assert_false(vmha_sync_data_needed(p + 2, 1, 0));
    VmhaPeerState same[] = {peer(2, 1, 0, 1, 0, "x", false), peer(1, 1, 0, 1, 0, "x", false)};
    assert_int_equal(vmha_sync_source_choose(same, 2), 1);
    assert_false(vmha_sync_data_needed(same, 2, 1));
    /* Same version, different content: still one deterministic source, and data is sent. */
    VmhaPeerState split[] = {peer(2, 1, 0, 1, 0, "x", false), peer(1, 1, 0, 1, 0, "y", false)};
    assert_int_equal(vmha_sync_source_choose(split, 2), 1);
    assert_true(vmha_sync_data_needed(split, 2, 1));
    assert_int_equal(vmha_sync_source_choose(NULL, 0), -1);
    /* The order members are listed in does not matter. */
    VmhaPeerState rev[] = {p[2], p[1], p[0]};
    assert_int_equal(rev[vmha_sync_source_choose(rev, 3)].nodeid, 2);
}

static void test_leader(void **state)
{
    VmhaPeerState p[] = {
            peer(3, 1, 0, 0, 0, "", true),
            peer(2, 1, 0, 0, 0, "", true),
            peer(1, 1, 0, 0, 0, "", false),
    };

    assert_int_equal(vmha_leader_choose(p, 3, true), 2); /* node 1 is not in sync */
    assert_int_equal(vmha_leader_choose(p, 3, false), 0);
    p[2].in_sync = true;
    assert_int_equal(vmha_leader_choose(p, 3, true), 1);
    assert_int_equal(vmha_leader_choose(p, 0, true), 0);
    assert_int_equal(vmha_distinct_nodes(p, 3), 3);
    VmhaPeerState dup[] = {peer(1, 1, 0, 0, 0, "", true), peer(1, 2, 0, 0, 0, "", true)};
    assert_int_equal(vmha_distinct_nodes(dup, 2), 1);
}

static void test_vm_attrs(void **state)
{
    const char *name, *err;
    VmhaAttrSection sec;
    g_auto(GStrv) nodes = NULL;

    assert_true(vmha_vm_name_valid("web-1.prod_a"));
    assert_false(vmha_vm_name_valid("1web"));
    assert_false(vmha_vm_name_valid(""));
    assert_false(vmha_vm_name_valid("a'b"));
    assert_false(vmha_vm_name_valid("a b"));

    assert_int_equal(vmha_vm_attr_check("priority", "-5", &name, &sec, &err), 0);
    assert_int_equal(sec, VMHA_ATTR_META);
    assert_int_equal(vmha_vm_attr_check("priority", "high", &name, &sec, &err), -EINVAL);
    assert_int_equal(vmha_vm_attr_check("priority", "", &name, &sec, &err), -EINVAL);
    assert_int_equal(vmha_vm_attr_check("failback", "22:00-06:00", &name, &sec, &err), 0);
    assert_string_equal(name, "vmha-failback");
    assert_int_equal(vmha_vm_attr_check("failback", "25:00-06:00", &name, &sec, &err), -EINVAL);
    assert_int_equal(vmha_vm_attr_check("memory", "0", &name, &sec, &err), -EINVAL);
    assert_int_equal(vmha_vm_attr_check("memory", "512", &name, &sec, &err), 0);
    assert_int_equal(sec, VMHA_ATTR_UTILIZATION);
    assert_int_equal(vmha_vm_attr_check("config", "relative.xml", &name, &sec, &err), -EINVAL);
    assert_int_equal(vmha_vm_attr_check("config", "/shared/a.xml", &name, &sec, &err), 0);
    assert_int_equal(sec, VMHA_ATTR_INSTANCE);
    assert_int_equal(vmha_vm_attr_check("target-role", "Stopped", &name, &sec, &err), 0);
    assert_int_equal(vmha_vm_attr_check("nonsense", "1", &name, &sec, &err), -EINVAL);
    assert_int_equal(vmha_vm_attr_check("prefer", "n1,n2", &name, &sec, &err), 0);
    assert_int_equal(sec, VMHA_ATTR_PREFER);
    assert_int_equal(vmha_vm_attr_check("prefer", "n1,n1", &name, &sec, &err), -EINVAL);
    assert_int_equal(vmha_prefer_parse("n1,,n2", &nodes), -EINVAL);
    assert_int_equal(vmha_prefer_parse("n2,n1", &nodes), 0);
    assert_string_equal(nodes[0], "n2");
    assert_int_equal(vmha_prefer_score(0), 100);
    assert_int_equal(vmha_prefer_score(1), 90);
    assert_int_equal(vmha_prefer_score(20), 10);
}

/* Only departures since the last view: a survivor of a power cut; a restarted process (same
 * node, new pid) or a newcomer is a join. */
static void test_view_only_left(void **state)
{
    VmhaPeerState three[] = {
            {.nodeid = 1, .pid = 10}, {.nodeid = 2, .pid = 20}, {.nodeid = 3, .pid = 30}};
    VmhaPeerState two[] = {{.nodeid = 1, .pid = 10}, {.nodeid = 2, .pid = 20}};
    VmhaPeerState restarted[] = {{.nodeid = 1, .pid = 10}, {.nodeid = 2, .pid = 21}};
    VmhaPeerState other[] = {{.nodeid = 1, .pid = 10}, {.nodeid = 4, .pid = 40}};

    assert_true(vmha_view_only_left(three, 3, two, 2));
    assert_true(vmha_view_only_left(three, 3, three, 3));
    assert_false(vmha_view_only_left(two, 2, three, 3));
    assert_false(vmha_view_only_left(three, 3, restarted, 2));
    assert_false(vmha_view_only_left(three, 3, other, 2));
    /* No earlier view (start-up): everything is new. */
    assert_false(vmha_view_only_left(NULL, 0, two, 2));
}

/* Acknowledged writes survive any later quorate partition (vmha_write_acks_needed). */
static void test_write_acks_needed(void **state)
{
    (void)state;
    /* Three or more nodes, no device: the quorum, as before. */
    assert_int_equal(vmha_write_acks_needed(3, 2, 0, 2, 3), 2);
    assert_int_equal(vmha_write_acks_needed(3, 2, 0, 2, 2), 2);
    assert_int_equal(vmha_write_acks_needed(4, 3, 0, 3, 4), 3);
    assert_int_equal(vmha_write_acks_needed(5, 3, 0, 3, 5), 3);
    /* two_node (quorum 1): either node may go on alone after fencing the other, so both apply
     * every write while both are there; alone, the survivor's own. */
    assert_int_equal(vmha_write_acks_needed(2, 1, 0, 1, 2), 2);
    assert_int_equal(vmha_write_acks_needed(2, 1, 0, 1, 1), 1);
    /* Two nodes and a quorum device (3 votes, quorum 2): the device may give its vote to the
     * other node later. Casting it for us, the view needs one node; the write still needs both
     * while both are there. */
    assert_int_equal(vmha_write_acks_needed(2, 2, 1, 1, 2), 2);
    assert_int_equal(vmha_write_acks_needed(2, 2, 1, 1, 1), 1);
    assert_int_equal(vmha_write_acks_needed(2, 2, 1, 2, 2), 2);
    /* Four nodes and a device (5 votes, quorum 3): a quorate partition holds 2 nodes or more. */
    assert_int_equal(vmha_write_acks_needed(4, 3, 1, 2, 4), 3);
    assert_int_equal(vmha_write_acks_needed(4, 3, 1, 2, 2), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_version_compare), cmocka_unit_test(test_sync_source),
            cmocka_unit_test(test_leader),          cmocka_unit_test(test_view_only_left),
            cmocka_unit_test(test_vm_attrs),        cmocka_unit_test(test_write_acks_needed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
