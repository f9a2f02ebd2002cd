/* Unit tests of clusterd's watchdog (clusterd/watchdog.c) on stand-ins in a temporary directory
 * (a regular file and a FIFO: never a real watchdog device, which would reset this machine),
 * and of the pure no-quorum decisions (clusterd/noquorum.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clusterd/watchdog.h"
#include "clusterd/noquorum.h"

static char *tmp;

static int setup(void **state)
{
    tmp = g_dir_make_tmp("vmha-test-watchdog.XXXXXX", NULL);
    return tmp ? 0 : -1;
}

static int teardown(void **state)
{
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", tmp);
    if (system(cmd) != 0)
        return -1;
    g_clear_pointer(&tmp, g_free);
    return 0;
}

static char *read_all(const char *path)
{
    char *text = NULL;
    assert_true(g_file_get_contents(path, &text, NULL, NULL));
    return text;
}

/* ---- watchdog.c ---- */

static void test_none(void **state)
{
    assert_int_equal(cd_watchdog_init(NULL, CD_WATCHDOG_TIMEOUT_S), 0);
    assert_false(cd_watchdog_enabled());
    assert_int_equal(cd_watchdog_timeout(), 0);
    assert_int_equal(cd_watchdog_feed(), 0);
    cd_watchdog_finalise(true);
}

static void test_file_feed_and_magic_close(void **state)
{
    g_autofree char *path = g_build_filename(tmp, "wd", NULL);
    g_autofree char *text = NULL;

    assert_true(g_file_set_contents(path, "", 0, NULL));
    assert_int_equal(cd_watchdog_init(path, 5), 0);
    assert_true(cd_watchdog_enabled());
    assert_int_equal(cd_watchdog_timeout(), 5);
    g_free(text);
    text = read_all(path);
    assert_string_equal(text, "1"); /* armed and fed at once */
    assert_int_equal(cd_watchdog_feed(), 0);
    assert_int_equal(cd_watchdog_feed(), 0);
    cd_watchdog_finalise(true);
    assert_false(cd_watchdog_enabled());
    g_free(text);
    text = read_all(path);
    assert_string_equal(text, "111V");
}

static void test_file_left_armed(void **state)
{
    g_autofree char *path = g_build_filename(tmp, "wd-armed", NULL);
    g_autofree char *text = NULL;

    assert_true(g_file_set_contents(path, "", 0, NULL));
    assert_int_equal(cd_watchdog_init(path, 5), 0);
    assert_int_equal(cd_watchdog_feed(), 0);
    cd_watchdog_finalise(false);
    text = read_all(path);
    /* No 'V': the device stays armed and resets the host. */
    assert_string_equal(text, "11");
}

static void test_fifo(void **state)
{
    g_autofree char *path = g_build_filename(tmp, "wd-fifo", NULL);
    char buf[16];
    ssize_t n;

    assert_int_equal(mkfifo(path, 0600), 0);
    /* No reader: refused at once, never a hang. */
    assert_int_equal(cd_watchdog_init(path, 5), -ENXIO);
    assert_false(cd_watchdog_enabled());

    int rd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    assert_true(rd >= 0);
    assert_int_equal(cd_watchdog_init(path, 5), 0);
    assert_int_equal(cd_watchdog_feed(), 0);
    n = read(rd, buf, sizeof(buf));
    assert_int_equal(n, 2);
    assert_memory_equal(buf, "11", 2);
    cd_watchdog_finalise(true);
    n = read(rd, buf, sizeof(buf));
    assert_int_equal(n, 1);
    assert_int_equal(buf[0], 'V');
    /* Then end of file: the writer closed, the magic close is complete. */
    assert_int_equal(read(rd, buf, sizeof(buf)), 0);
    close(rd);
}

static void test_missing(void **state)
{
    g_autofree char *path = g_build_filename(tmp, "no-such-watchdog", NULL);

    assert_int_equal(cd_watchdog_init(path, 5), -ENOENT);
    assert_false(cd_watchdog_enabled());
    /* Never created: a missing device is an error, not a file to make. */
    assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
    assert_int_equal(cd_watchdog_init(path, 0), -EINVAL);
}

/* ---- noquorum.c ---- */

static VmhaModel *model(const char *props, const char *resources)
{
    g_autofree char *xml = g_strdup_printf(
            "<cib><configuration><crm_config><cluster_property_set id=\"o\">%s"
            "</cluster_property_set></crm_config><nodes><node id=\"1\" uname=\"n1\"/>"
            "<node id=\"2\" uname=\"n2\"/><node id=\"3\" uname=\"n3\"/></nodes>"
            "<resources>%s</resources></configuration></cib>",
            props, resources);
    VmhaModel *m = NULL;
    g_autoptr(GError) error = NULL;
    if (vmha_model_parse(xml, strlen(xml), &m, &error) < 0)
        fail_msg("model: %s", error->message);
    return m;
}

#define FENCE_N1_N2                                                                                \
    "<primitive id=\"f\" class=\"stonith\" type=\"fence_lab\"><instance_attributes id=\"fi\">"     \
    "<nvpair id=\"fh\" name=\"pcmk_host_list\" value=\"n1 n2\"/></instance_attributes>"            \
    "</primitive>"

static void test_plan(void **state)
{
    g_autoptr(VmhaModel) plain = model("", "");
    g_autoptr(VmhaModel) freeze =
            model("<nvpair id=\"p\" name=\"no-quorum-policy\" value=\"freeze\"/>"
                  "<nvpair id=\"s\" name=\"vmha-self-fence-timeout\" value=\"30\"/>"
                  "<nvpair id=\"w\" name=\"vmha-fence-watchdog-timeout\" value=\"40\"/>",
                  "");
    g_autoptr(VmhaModel) nostonith =
            model("<nvpair id=\"e\" name=\"stonith-enabled\" value=\"false\"/>", "");
    g_autoptr(VmhaModel) device = model("", FENCE_N1_N2);
    const CdQuorumHistory lost = {.quorate = false, .seen_quorum = true, .lost_at_ms = 1000};
    const CdQuorumHistory never = {.quorate = false, .seen_quorum = false};
    const CdQuorumHistory quorate = {.quorate = true, .seen_quorum = true};
    CdNoQuorumPlan p;

    /* Defaults: stop now, self-fence 10 s after the loss. */
    cd_noquorum_plan(plain, "n3", &lost, &p);
    assert_true(p.stop_vms);
    assert_true(p.self_fence);
    assert_int_equal(p.deadline_ms, 11000);
    assert_int_equal(p.timeout_s, 10);

    /* Quorate, or never quorate since boot: nothing. */
    cd_noquorum_plan(plain, "n3", &quorate, &p);
    assert_false(p.stop_vms);
    assert_int_equal(p.deadline_ms, -1);
    cd_noquorum_plan(plain, "n3", &never, &p);
    assert_false(p.stop_vms);
    assert_false(p.self_fence);
    assert_int_equal(p.deadline_ms, -1);

    /* freeze leaves the VMs, but the self-fence still comes (at its own timeout). */
    cd_noquorum_plan(freeze, "n3", &lost, &p);
    assert_false(p.stop_vms);
    assert_true(p.self_fence);
    assert_int_equal(p.deadline_ms, 31000);

    /* No fencing at all: only the policy. */
    cd_noquorum_plan(nostonith, "n3", &lost, &p);
    assert_true(p.stop_vms);
    assert_false(p.self_fence);
    assert_int_equal(p.deadline_ms, -1);

    /* A device covers n1 and n2: they are fenced by the others; n3 is not covered. */
    cd_noquorum_plan(device, "n1", &lost, &p);
    assert_true(p.stop_vms);
    assert_false(p.self_fence);
    assert_int_equal(p.deadline_ms, -1);
    cd_noquorum_plan(device, "n3", &lost, &p);
    assert_true(p.self_fence);
    assert_int_equal(p.deadline_ms, 11000);
    /* A node the CIB does not know is covered by no device. */
    cd_noquorum_plan(device, "n9", &lost, &p);
    assert_true(p.self_fence);

    /* Maintenance mode: the node keeps its VMs and does not fence itself (the quorate side
     * moves nothing meanwhile). */
    g_autoptr(VmhaModel) maint =
            model("<nvpair id=\"m\" name=\"maintenance-mode\" value=\"true\"/>", "");
    cd_noquorum_plan(maint, "n3", &lost, &p);
    assert_false(p.stop_vms);
    assert_false(p.self_fence);
    assert_int_equal(p.deadline_ms, -1);

    /* An unreadable CIB: the defaults, and self-fencing assumed. */
    cd_noquorum_plan(NULL, "n1", &lost, &p);
    assert_true(p.stop_vms);
    assert_true(p.self_fence);
    assert_int_equal(p.deadline_ms, 11000);
}

static void test_shutdown_cap(void **state)
{
    CdNoQuorumPlan none = {.deadline_ms = -1};
    CdNoQuorumPlan soon = {.deadline_ms = 20000, .self_fence = true};

    assert_int_equal(cd_noquorum_shutdown_s(&none, 0, 0, 50), 50);
    assert_int_equal(cd_noquorum_shutdown_s(&none, 0, 120, 50), 120);
    /* 10 s left: the graceful part ends 2 s before the deadline. */
    assert_int_equal(cd_noquorum_shutdown_s(&soon, 10000, 0, 50), 8);
    assert_int_equal(cd_noquorum_shutdown_s(&soon, 10000, 3, 50), 3);
    /* Deadline (nearly) there: the agent's shortest attempt. */
    assert_int_equal(cd_noquorum_shutdown_s(&soon, 19500, 0, 50), 1);
    assert_int_equal(cd_noquorum_shutdown_s(&soon, 25000, 0, 50), 1);
}

static void test_state(void **state)
{
    CdQuorumHistory h = {.quorate = true, .seen_quorum = true}, r;
    g_autofree char *q = cd_noquorum_state_format(&h);
    g_autofree char *l = NULL;

    assert_string_equal(q, "quorate\n");
    /* The earlier clusterd was quorate when it died: the clock counts from a watchdog timeout
     * before this start, the latest the loss can have begun without a reset. */
    assert_int_equal(cd_noquorum_state_parse(q, 100000, 5, &r), 0);
    assert_false(r.quorate);
    assert_true(r.seen_quorum);
    assert_int_equal(r.lost_at_ms, 95000);

    h = (CdQuorumHistory){.quorate = false, .seen_quorum = true, .lost_at_ms = 42000};
    l = cd_noquorum_state_format(&h);
    assert_string_equal(l, "lost 42000\n");
    assert_int_equal(cd_noquorum_state_parse(l, 100000, 5, &r), 0);
    assert_true(r.seen_quorum);
    assert_int_equal(r.lost_at_ms, 42000);
    /* A time ahead of this clock: not believed. */
    assert_int_equal(cd_noquorum_state_parse("lost 200000", 100000, 5, &r), 0);
    assert_int_equal(r.lost_at_ms, 95000);

    r = (CdQuorumHistory){.lost_at_ms = 7};
    assert_int_equal(cd_noquorum_state_parse("", 100000, 5, &r), -1);
    assert_int_equal(cd_noquorum_state_parse("lost soon", 100000, 5, &r), -1);
    assert_int_equal(cd_noquorum_state_parse("lost -5", 100000, 5, &r), -1);
    assert_int_equal(cd_noquorum_state_parse(NULL, 100000, 5, &r), -1);
    assert_int_equal(r.lost_at_ms, 7); /* untouched on failure */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_none),
            cmocka_unit_test(test_file_feed_and_magic_close),
            cmocka_unit_test(test_file_left_armed),
            cmocka_unit_test(test_fifo),
            cmocka_unit_test(test_missing),
            cmocka_unit_test(test_plan),
            cmocka_unit_test(test_shutdown_cap),
            cmocka_unit_test(test_state),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
