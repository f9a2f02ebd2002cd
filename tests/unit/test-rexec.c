/* Unit tests of clusterd's remote exec (clusterd/rexec.c) with its real child runner and event
 * dispatcher (clusterd/events.c): the CPG is a loopback that publishes each message on the main
 * loop (as corosync.c would, to every member including the sender), this process is both the
 * origin and the target, node n1. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clusterd/corosync.h"
#include "clusterd/events.h"
#include "clusterd/rexec.h"
#include "vmctl/vmctl.h"

#define DEADLINE_MS 15000

static char *tmp;

/* ---- the fake cluster: n1 is this process, n2 exists but is not a member ---- */

static CdCpgMember members[1];
static size_t n_members;
static bool connected = true;
static int deliver_copies = 1; /* how often the loopback delivers each message */
static GQueue *wire;           /* encoded messages in flight */
static unsigned sent_requests;

bool cd_corosync_connected(void)
{
    return connected;
}

uint32_t cd_local_nodeid(void)
{
    return 1;
}

const char *cd_node_name(uint32_t nodeid)
{
    return nodeid == 1 ? "n1" : nodeid == 2 ? "n2" : NULL;
}

uint32_t cd_node_id_by_name(const char *name)
{
    return g_str_equal(name, "n1") ? 1 : g_str_equal(name, "n2") ? 2 : 0;
}

const CdCpgMember *cd_cpg_members(size_t *ret_n)
{
    *ret_n = n_members;
    return members;
}

static gboolean on_deliver(gpointer p)
{
    GBytes *b = g_queue_pop_head(wire);
    g_autoptr(VmhaMsg) m = NULL;
    gsize len = 0;
    const uint8_t *data = g_bytes_get_data(b, &len);

    assert_int_equal(vmha_msg_decode(data, len, &m), 0);
    cd_events_publish(
            &(CdEvent){.type = CD_EVENT_MESSAGE, .msg = m, .nodeid = 1, .pid = (uint32_t)getpid()});
    g_bytes_unref(b);
    return G_SOURCE_REMOVE;
}

int cd_cpg_send(const VmhaMsg *msg)
{
    uint8_t *buf = NULL;
    size_t len = 0;

    assert_int_equal(vmha_msg_encode(msg, &buf, &len), 0);
    if (msg->type == VMHA_MSG_EXEC_REQUEST)
        sent_requests++;
    for (int i = 0; i < (msg->type == VMHA_MSG_EXEC_REQUEST ? deliver_copies : 1); i++) {
        g_queue_push_tail(wire, g_bytes_new(buf, len));
        g_idle_add(on_deliver, NULL);
    }
    g_free(buf);
    return 0;
}

/* ---- the main loop, with a deadline ---- */

static gboolean on_deadline(gpointer p)
{
    *(bool *)p = true;
    return G_SOURCE_REMOVE;
}

typedef struct {
    bool done;
    int calls;
    int rc;
    int exit_status;
    bool target_left;
    char *message;
    GByteArray *output;
} Answer;

static void on_done(void *ctx, const CdRexecResult *res)
{
    Answer *a = ctx;

    a->done = true;
    a->calls++;
    a->rc = res->rc;
    a->exit_status = res->exit_status;
    a->target_left = res->target_left;
    g_free(a->message);
    a->message = g_strdup(res->message);
    a->output = g_byte_array_new();
    if (res->output)
        g_byte_array_append(a->output, (const guint8 *)res->output, (guint)res->output_len);
}

static void answer_clear(Answer *a)
{
    g_free(a->message);
    if (a->output)
        g_byte_array_unref(a->output);
    memset(a, 0, sizeof(*a));
}

static void run_until_done(Answer *a)
{
    bool expired = false;
    guint deadline = g_timeout_add(DEADLINE_MS, on_deadline, &expired);

    while (!a->done && !expired)
        g_main_context_iteration(NULL, TRUE);
    if (!expired)
        g_source_remove(deadline);
    assert_true(a->done);
}

/* Lets the loop run for ms (to see that nothing more happens). */
static void run_for(unsigned ms)
{
    bool expired = false;
    g_timeout_add(ms, on_deadline, &expired);
    while (!expired)
        g_main_context_iteration(NULL, TRUE);
}

static VmhaMsg *request(const char *node, const char *command, const char *kv)
{
    VmhaMsg *m = vmha_msg_new(VMHA_MSG_NODE_EXEC);
    assert_int_equal(vmha_msg_add_str(m, VMHA_F_NODE, node), 0);
    assert_int_equal(vmha_msg_add_str(m, VMHA_F_COMMAND, command), 0);
    if (kv)
        assert_int_equal(vmha_msg_add_str(m, VMHA_F_KV, kv), 0);
    return m;
}

static void exec_on(const char *node, const char *command, const char *kv, Answer *a)
{
    g_autoptr(VmhaMsg) m = request(node, command, kv);
    cd_rexec_submit(m, on_done, a);
    run_until_done(a);
}

static int setup(void **state)
{
    members[0].nodeid = 1;
    members[0].pid = (uint32_t)getpid();
    n_members = 1;
    connected = true;
    deliver_copies = 1;
    sent_requests = 0;
    wire = g_queue_new();
    cd_events_init();
    cd_rexec_init();
    return 0;
}

static int teardown(void **state)
{
    run_for(50); /* messages still in flight are delivered, as corosync would before it stops */
    cd_rexec_finalise();
    cd_events_finalise();
    cd_child_finalise();
    g_queue_free_full(wire, (GDestroyNotify)g_bytes_unref);
    return 0;
}

/* ---- tests ---- */

/* stdout and stderr in the order written, the exit status, a clean environment. */
static void test_output_and_status(void **state)
{
    Answer a = {0};

    exec_on("n1",
            "echo out1; echo err1 >&2; echo out2; echo \"node=$VMHA_NODE path=$PATH "
            "home=$HOME lc=$LC_ALL secret=${SECRET-unset}\"; exit 3",
            NULL, &a);
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.rc, VMHA_RESULT_OK);
    assert_int_equal(a.exit_status, 3);
    assert_string_equal(a.message, "exited with status 3");
    g_autofree char *out = g_strndup((const char *)a.output->data, a.output->len);
    assert_string_equal(out, "out1\nerr1\nout2\nnode=n1 "
                             "path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "
                             "home=/root lc=C secret=unset\n");
    answer_clear(&a);
}

/* stdin is /dev/null, no fd of clusterd's leaks into the command. */
static void test_stdin_and_fds(void **state)
{
    Answer a = {0};

    exec_on("n1", "cat; ls /proc/self/fd | wc -l", NULL, &a);
    assert_int_equal(a.exit_status, 0);
    g_autofree char *out = g_strndup((const char *)a.output->data, a.output->len);
    /* 0, 1, 2 and the fd ls opens to read the directory */
    assert_string_equal(g_strstrip(out), "4");
    answer_clear(&a);
}

static void test_timeout(void **state)
{
    Answer a = {0};
    gint64 t0 = g_get_monotonic_time();

    exec_on("n1", "echo started; sleep 30", "timeout=1", &a);
    assert_true(g_get_monotonic_time() - t0 < 10 * G_USEC_PER_SEC);
    assert_int_equal(a.rc, VMHA_RESULT_OK);
    assert_int_equal(a.exit_status, 128 + SIGTERM);
    assert_string_equal(a.message, "timed out after 1 s and was killed");
    assert_int_equal(memcmp(a.output->data, "started\n", 8), 0);
    answer_clear(&a);
}

static void test_killed_by_signal(void **state)
{
    Answer a = {0};

    exec_on("n1", "kill -9 $$", NULL, &a);
    assert_int_equal(a.exit_status, 128 + SIGKILL);
    assert_non_null(strstr(a.message, "killed by signal 9"));
    answer_clear(&a);
}

/* More than 64 KiB: the tail is kept, with a note first. */
static void test_output_bounded(void **state)
{
    Answer a = {0};

    exec_on("n1", "seq 1 30000; echo last", NULL, &a);
    assert_int_equal(a.exit_status, 0);
    g_autofree char *out = g_strndup((const char *)a.output->data, a.output->len);
    assert_true(g_str_has_prefix(out, "[clusterd: earlier output dropped"));
    assert_true(g_str_has_suffix(out, "29999\n30000\nlast\n"));
    assert_true(a.output->len <= CD_REXEC_OUTPUT_MAX + 100);
    answer_clear(&a);
}

/* Any byte the command writes comes back unchanged. */
static void test_binary_output(void **state)
{
    Answer a = {0};

    exec_on("n1", "printf 'a\\000b\\377'", NULL, &a);
    assert_int_equal(a.output->len, 4);
    assert_int_equal(memcmp(a.output->data, "a\0b\377", 4), 0);
    answer_clear(&a);
}

static void test_not_a_member(void **state)
{
    Answer a = {0};
    g_autoptr(VmhaMsg) m = request("n2", "touch /nonexistent/never", NULL);

    cd_rexec_submit(m, on_done, &a);
    assert_true(a.done); /* at once */
    assert_int_equal(a.rc, VMHA_RESULT_FAILURE);
    assert_non_null(strstr(a.message, "n2 is not a member"));
    assert_int_equal(sent_requests, 0);
    answer_clear(&a);

    g_autoptr(VmhaMsg) u = request("n9", "true", NULL);
    cd_rexec_submit(u, on_done, &a);
    assert_int_equal(a.rc, VMHA_RESULT_NOT_FOUND);
    answer_clear(&a);

    connected = false;
    g_autoptr(VmhaMsg) d = request("n1", "true", NULL);
    cd_rexec_submit(d, on_done, &a);
    assert_int_equal(a.rc, VMHA_RESULT_FAILURE);
    assert_int_equal(sent_requests, 0);
    answer_clear(&a);
}

static void test_bad_requests(void **state)
{
    const char *bad_kv[] = {"timeout=0", "timeout=601", "timeout=x", "other=1"};
    Answer a = {0};

    for (size_t i = 0; i < G_N_ELEMENTS(bad_kv); i++) {
        g_autoptr(VmhaMsg) m = request("n1", "true", bad_kv[i]);
        cd_rexec_submit(m, on_done, &a);
        assert_int_equal(a.rc, VMHA_RESULT_USAGE);
        answer_clear(&a);
    }
    g_autoptr(VmhaMsg) e = request("n1", "", NULL);
    cd_rexec_submit(e, on_done, &a);
    assert_int_equal(a.rc, VMHA_RESULT_USAGE);
    answer_clear(&a);
    assert_int_equal(sent_requests, 0);
}

static bool file_has_line(const char *path)
{
    g_autofree char *text = NULL;
    return g_file_get_contents(path, &text, NULL, NULL) && strchr(text, '\n');
}

/* The target leaves the view while the command runs: the origin answers at once that the
 * outcome is unknown; the late result changes nothing. */
static void test_target_leaves(void **state)
{
    g_autofree char *flag = g_build_filename(tmp, "started", NULL);
    g_autofree char *cmd = g_strdup_printf("echo x > %s; sleep 1", flag);
    g_autoptr(VmhaMsg) m = request("n1", cmd, NULL);
    Answer a = {0};

    cd_rexec_submit(m, on_done, &a);
    bool expired = false;
    g_timeout_add(DEADLINE_MS, on_deadline, &expired);
    while (!file_has_line(flag) && !expired)
        if (!g_main_context_iteration(NULL, FALSE))
            g_usleep(10000);
    assert_false(a.done);
    CdCpgMember other = {.nodeid = 3, .pid = 1};
    cd_events_publish(&(CdEvent){.type = CD_EVENT_CPG_VIEW, .members = &other, .n_members = 1});
    assert_true(a.done);
    assert_int_equal(a.rc, VMHA_RESULT_FAILURE);
    assert_non_null(strstr(a.message, "n1 left the cluster before answering"));
    assert_true(a.target_left);
    run_for(1500); /* the command ends and its result is delivered: nobody is called again */
    assert_int_equal(a.calls, 1);
    answer_clear(&a);
}

/* A request delivered twice runs once. */
static void test_exactly_once(void **state)
{
    g_autofree char *file = g_build_filename(tmp, "count", NULL);
    g_autofree char *cmd = g_strdup_printf("echo ran >> %s", file);
    g_autofree char *text = NULL;
    Answer a = {0};

    deliver_copies = 2;
    exec_on("n1", cmd, NULL, &a);
    run_for(300);
    assert_int_equal(a.calls, 1);
    assert_true(g_file_get_contents(file, &text, NULL, NULL));
    assert_string_equal(text, "ran\n");
    answer_clear(&a);
}

/* The client went away: its callback is not called, the command still runs once. */
static void test_forget(void **state)
{
    g_autofree char *file = g_build_filename(tmp, "forgotten", NULL);
    g_autofree char *cmd = g_strdup_printf("echo ran >> %s", file);
    g_autoptr(VmhaMsg) m = request("n1", cmd, NULL);
    Answer a = {0};

    cd_rexec_submit(m, on_done, &a);
    cd_rexec_forget(&a);
    run_for(500);
    assert_false(a.done);
    assert_true(file_has_line(file));
}

static void test_disconnect(void **state)
{
    g_autoptr(VmhaMsg) m = request("n1", "sleep 1", NULL);
    Answer a = {0};

    cd_rexec_submit(m, on_done, &a);
    cd_events_publish(&(CdEvent){.type = CD_EVENT_DISCONNECTED});
    assert_true(a.done);
    assert_int_equal(a.rc, VMHA_RESULT_FAILURE);
    assert_non_null(strstr(a.message, "may or may not have run"));
    assert_false(a.target_left);
    answer_clear(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_output_and_status, setup, teardown),
            cmocka_unit_test_setup_teardown(test_stdin_and_fds, setup, teardown),
            cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
            cmocka_unit_test_setup_teardown(test_killed_by_signal, setup, teardown),
            cmocka_unit_test_setup_teardown(test_output_bounded, setup, teardown),
            cmocka_unit_test_setup_teardown(test_binary_output, setup, teardown),
            cmocka_unit_test_setup_teardown(test_not_a_member, setup, teardown),
            cmocka_unit_test_setup_teardown(test_bad_requests, setup, teardown),
            cmocka_unit_test_setup_teardown(test_target_leaves, setup, teardown),
            cmocka_unit_test_setup_teardown(test_exactly_once, setup, teardown),
            cmocka_unit_test_setup_teardown(test_forget, setup, teardown),
            cmocka_unit_test_setup_teardown(test_disconnect, setup, teardown),
    };
    tmp = g_dir_make_tmp("vmha-test-rexec-XXXXXX", NULL);
    assert_non_null(tmp);
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", tmp);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmp);
    g_free(tmp);
    return rc;
}
