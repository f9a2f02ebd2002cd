/* Unit tests of clusterd's executor and fence runner: real child processes (fake agents written
 * by the test into a temporary OCF root) driven by the real GLib main loop, with deadlines. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clusterd/executor.h"
#include "clusterd/fencer.h"
#include "lrmstatus.h"
#include "vmctl/vmctl.h"
#include "vmha/ocf.h"

#define DEADLINE_MS 10000

static char *tmp; /* OCF root of the test, and scratch space */

/* ---- the main loop, with a deadline ---- */

static gboolean on_deadline(gpointer p)
{
    *(bool *)p = true;
    return G_SOURCE_REMOVE;
}

static gboolean on_poll(gpointer p)
{
    return G_SOURCE_CONTINUE;
}

/* Runs the loop until cond(arg) holds or timeout_ms pass; cond is also polled every 10 ms, for
 * conditions on files and processes. */
static bool run_until(bool (*cond)(void *), void *arg, unsigned timeout_ms)
{
    bool expired = false;
    guint deadline = g_timeout_add(timeout_ms, on_deadline, &expired);
    guint poll = g_timeout_add(10, on_poll, NULL);

    while (!cond(arg) && !expired)
        g_main_context_iteration(NULL, TRUE);
    if (!expired)
        g_source_remove(deadline);
    g_source_remove(poll);
    return cond(arg);
}

static bool flag_set(void *p)
{
    return *(bool *)p;
}

/* ---- fake agents ---- */

static char *write_file(const char *path, const char *text, int mode)
{
    g_autofree char *dir = g_path_get_dirname(path);
    assert_int_equal(g_mkdir_with_parents(dir, 0755), 0);
    assert_true(g_file_set_contents(path, text, -1, NULL));
    assert_int_equal(chmod(path, mode), 0);
    return g_strdup(path);
}

static void write_agent(const char *type, const char *text)
{
    g_autofree char *path = g_build_filename(tmp, "resource.d", "test", type, NULL);
    g_free(write_file(path, text, 0755));
}

static const char agent_exitcode[] = "#!/bin/sh\nexit \"$OCF_RESKEY_code\"\n";

/* Python, not sh: dash exports PWD, and this one must see exactly what the executor gives. */
static const char agent_env[] = "#!/usr/bin/python3 -I\n"
                                "import os, sys\n"
                                "for k in sorted(os.environ):\n"
                                "    print('ENV %s=%s' % (k, os.environ[k]))\n"
                                "for fd in range(3, 4096):\n"
                                "    try:\n"
                                "        os.fstat(fd)\n"
                                "        print('FD %d' % fd)\n"
                                "    except OSError:\n"
                                "        pass\n"
                                "print('STDIN ' + os.readlink('/proc/self/fd/0'))\n"
                                "print('PGRP %d' % (os.getpgrp() - os.getpid()))\n"
                                "print('ARGV ' + ' '.join(sys.argv[1:]))\n";

/* The leader dies of SIGTERM; a grandchild that ignores it must still go. */
static const char agent_hang[] = "#!/bin/sh\n"
                                 "(trap '' TERM; exec sleep 600) &\n"
                                 "echo $! > \"$OCF_RESKEY_pidfile\"\n"
                                 "sleep 600\n";

/* Ignores SIGTERM altogether: only SIGKILL after the grace period ends it. */
static const char agent_stubborn[] = "#!/bin/sh\n"
                                     "trap '' TERM\n"
                                     "sleep 600 &\n"
                                     "echo $! > \"$OCF_RESKEY_pidfile\"\n"
                                     "wait\n"
                                     "wait\n";

static const char agent_garbage[] = "#!/bin/sh\n"
                                    "head -c 1000000 /dev/urandom\n"
                                    "head -c 300000 /dev/urandom >&2\n"
                                    "echo >&2\n"
                                    "printf 'ocf-exit-reason:bad \\001\\033[31mthing\\n' >&2\n"
                                    "exit 0\n";

static const char agent_signal[] = "#!/bin/sh\nkill -USR1 $$\nsleep 5\nexit 0\n";

static const char agent_metadata[] = "#!/bin/sh\n"
                                     "[ \"$1\" = meta-data ] || exit 3\n"
                                     "i=0\n"
                                     "while [ $i -lt 500 ]; do\n"
                                     "    echo \"<!-- padding line $i -->\"\n"
                                     "    i=$((i + 1))\n"
                                     "done\n";

/* Runs until the file $OCF_RESKEY_go exists. */
static const char agent_wait[] = "#!/bin/sh\n"
                                 "while [ ! -e \"$OCF_RESKEY_go\" ]; do sleep 0.02; done\n"
                                 "exit 0\n";

/* Counts its runs; running while the file $OCF_RESKEY_state exists. */
static const char agent_state[] = "#!/bin/sh\n"
                                  "echo \"$1\" >> \"$OCF_RESKEY_count\"\n"
                                  "[ -e \"$OCF_RESKEY_state\" ] && exit 0\n"
                                  "exit 7\n";

/* A monitor that takes long; stop is quick. */
static const char agent_slowmon[] = "#!/bin/sh\n"
                                    "case \"$1\" in\n"
                                    "monitor) echo $$ > \"$OCF_RESKEY_pidfile\"; exec sleep 600;;\n"
                                    "esac\n"
                                    "exit 0\n";

/* Exits at once, leaving behind a descendant that writes to our pipe without end. */
static const char agent_leaver[] = "#!/bin/sh\n"
                                   "yes garbage &\n"
                                   "echo $! > \"$OCF_RESKEY_pidfile\"\n"
                                   "exit 0\n";

/* ---- results ---- */

typedef struct {
    int calls;
    CdExecStatus status;
    int rc;
    int signal;
    int64_t duration_ms;
    char *out;
    size_t out_len;
    char *err;
    size_t err_len;
    char *reason;
    char *action;
} Got;

static void got_clear(Got *g)
{
    g_free(g->out);
    g_free(g->err);
    g_free(g->reason);
    g_free(g->action);
    memset(g, 0, sizeof(*g));
}

static void on_done(const CdExecResult *r, void *ctx)
{
    Got *g = ctx;
    g_free(g->out);
    g_free(g->err);
    g_free(g->reason);
    g_free(g->action);
    g->calls++;
    g->status = r->status;
    g->rc = r->rc;
    g->signal = r->signal;
    g->duration_ms = r->duration_ms;
    g->out = g_memdup2(r->out, r->out_len + 1);
    g->out_len = r->out_len;
    g->err = g_memdup2(r->err, r->err_len + 1);
    g->err_len = r->err_len;
    g->reason = g_strdup(r->exit_reason);
    g->action = g_strdup(r->action);
}

static bool got_called(void *p)
{
    return ((Got *)p)->calls > 0;
}

static GHashTable *params_new(void)
{
    return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

static void param(GHashTable *t, const char *k, const char *v)
{
    g_hash_table_replace(t, g_strdup(k), g_strdup(v));
}

static char *scratch(const char *name)
{
    return g_build_filename(tmp, name, NULL);
}

/* Gone, or a zombie waiting for a reaper that is not ours. */
static bool process_gone(void *p)
{
    pid_t pid = *(pid_t *)p;
    g_autofree char *path = g_strdup_printf("/proc/%d/stat", (int)pid);
    g_autofree char *stat = NULL;

    if (!g_file_get_contents(path, &stat, NULL, NULL))
        return true;
    const char *paren = strrchr(stat, ')');
    return paren && paren[1] == ' ' && (paren[2] == 'Z' || paren[2] == 'X');
}

/* Written by echo: complete once the newline is there. */
static bool pid_written(void *p)
{
    g_autofree char *text = NULL;
    return g_file_get_contents(p, &text, NULL, NULL) && strchr(text, '\n');
}

static pid_t read_pid(const char *path)
{
    g_autofree char *text = NULL;
    assert_true(run_until(pid_written, (void *)path, DEADLINE_MS));
    assert_true(g_file_get_contents(path, &text, NULL, NULL));
    pid_t pid = (pid_t)atoi(text);
    assert_true(pid > 1);
    return pid;
}

static CdAgentAction action_for(const char *rsc, const char *type, const char *action,
                                GHashTable *params)
{
    return (CdAgentAction){
            .rsc = rsc,
            .provider = "test",
            .type = type,
            .action = action,
            .params = params,
            .timeout_ms = DEADLINE_MS,
    };
}

/* ---- fixtures ---- */

static int rm_rf(const char *path)
{
    g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
    if (dir) {
        const char *name;
        while ((name = g_dir_read_name(dir))) {
            g_autofree char *child = g_build_filename(path, name, NULL);
            rm_rf(child);
        }
    }
    return g_remove(path);
}

static int setup(void **state)
{
    tmp = g_dir_make_tmp("vmha-test-executor-XXXXXX", NULL);
    if (!tmp)
        return -1;
    write_agent("exitcode", agent_exitcode);
    write_agent("env", agent_env);
    write_agent("hang", agent_hang);
    write_agent("stubborn", agent_stubborn);
    write_agent("garbage", agent_garbage);
    write_agent("signal", agent_signal);
    write_agent("metadata", agent_metadata);
    write_agent("wait", agent_wait);
    write_agent("state", agent_state);
    write_agent("slowmon", agent_slowmon);
    write_agent("leaver", agent_leaver);
    g_autofree char *notexec = g_build_filename(tmp, "resource.d", "test", "notexec", NULL);
    g_free(write_file(notexec, agent_exitcode, 0644));
    if (cd_executor_init(tmp) < 0)
        return -1;
    g_autofree char *fence_dir = g_build_filename(tmp, "fence", NULL);
    if (cd_fencer_init(fence_dir) < 0)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    cd_fencer_finalise();
    cd_executor_finalise();
    rm_rf(tmp);
    g_clear_pointer(&tmp, g_free);
    return 0;
}

/* ---- executor ---- */

static void test_exit_codes(void **state)
{
    static const int codes[] = {OCF_SUCCESS,           OCF_ERR_GENERIC, OCF_ERR_ARGS,
                                OCF_ERR_UNIMPLEMENTED, OCF_ERR_PERM,    OCF_ERR_INSTALLED,
                                OCF_ERR_CONFIGURED,    OCF_NOT_RUNNING, OCF_RUNNING_PROMOTED,
                                OCF_FAILED_PROMOTED,   OCF_DEGRADED,    OCF_DEGRADED_PROMOTED};

    for (size_t i = 0; i < G_N_ELEMENTS(codes); i++) {
        g_autoptr(GHashTable) params = params_new();
        g_autofree char *code = g_strdup_printf("%d", codes[i]);
        param(params, "code", code);
        CdAgentAction a = action_for("r1", "exitcode", "monitor", params);
        Got got = {0};

        assert_int_equal(cd_executor_run(&a, on_done, &got), 0);
        assert_int_equal(got.calls, 0); /* never synchronously */
        assert_true(run_until(got_called, &got, DEADLINE_MS));
        assert_int_equal(got.calls, 1);
        assert_int_equal(got.status, CD_EXEC_DONE);
        assert_int_equal(got.rc, codes[i]);
        assert_string_equal(got.action, "monitor");
        got_clear(&got);
    }
}

static void test_clean_environment_and_fds(void **state)
{
    g_autoptr(GHashTable) params = params_new();
    g_autoptr(GHashTable) meta = params_new();
    param(params, "config", "/etc/vm one.xml");
    param(params, "hypervisor", "qemu:///system");
    param(meta, "migrate-target", "n2");
    param(meta, "timeout", "1"); /* ours wins */
    CdAgentAction a = action_for("vm-1", "env", "migrate_to", params);
    a.meta = meta;
    a.timeout_ms = 9000;
    Got got = {0};

    /* What the agent must not inherit: an fd without close-on-exec, a variable. */
    int leak = open("/dev/null", O_RDONLY);
    assert_true(leak >= 0);
    setenv("VMHA_TEST_LEAK", "1", 1);

    assert_int_equal(cd_executor_run(&a, on_done, &got), 0);
    assert_true(run_until(got_called, &got, DEADLINE_MS));
    close(leak);
    unsetenv("VMHA_TEST_LEAK");
    assert_int_equal(got.status, CD_EXEC_DONE);
    assert_int_equal(got.rc, 0);

    g_autofree char *expected = g_strdup_printf(
            "ENV LC_ALL=C\n"
            "ENV OCF_RA_VERSION_MAJOR=1\n"
            "ENV OCF_RA_VERSION_MINOR=1\n"
            "ENV OCF_RESKEY_CRM_meta_interval=0\n"
            "ENV OCF_RESKEY_CRM_meta_migrate_target=n2\n"
            "ENV OCF_RESKEY_CRM_meta_timeout=9000\n"
            "ENV OCF_RESKEY_config=/etc/vm one.xml\n"
            "ENV OCF_RESKEY_hypervisor=qemu:///system\n"
            "ENV OCF_RESOURCE_INSTANCE=vm-1\n"
            "ENV OCF_RESOURCE_PROVIDER=test\n"
            "ENV OCF_RESOURCE_TYPE=env\n"
            "ENV OCF_ROOT=%s\n"
            "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"
            "STDIN /dev/null\n"
            "PGRP 0\n"
            "ARGV migrate_to\n",
            tmp);
    /* No "FD n" line: nothing but 0, 1 and 2 was open. */
    assert_string_equal(got.out, expected);
    got_clear(&got);
}

static void check_timeout(const char *type, int expected_signal)
{
    g_autoptr(GHashTable) params = params_new();
    g_autofree char *pidfile = scratch(type);
    param(params, "pidfile", pidfile);
    CdAgentAction a = action_for("r-hang", type, "stop", params);
    a.timeout_ms = 300;
    a.kill_grace_ms = 300;
    Got got = {0};

    assert_int_equal(cd_executor_run(&a, on_done, &got), 0);
    pid_t grandchild = read_pid(pidfile);
    assert_true(run_until(got_called, &got, DEADLINE_MS));
    assert_int_equal(got.status, CD_EXEC_TIMEOUT);
    assert_int_equal(got.rc, OCF_ERR_GENERIC);
    assert_int_equal(got.signal, expected_signal);
    assert_true(got.duration_ms >= 300);
    /* The whole group went, the grandchild too. */
    assert_true(run_until(process_gone, &grandchild, DEADLINE_MS));
    assert_false(cd_executor_busy("r-hang"));
    got_clear(&got);
}

static void test_timeout_kills_group(void **state)
{
    check_timeout("hang", SIGTERM);
}

static void test_timeout_sigkill_after_grace(void **state)
{
    check_timeout("stubborn", SIGKILL);
}

static void test_garbage_and_huge_output(void **state)
{
    CdAgentAction a = action_for("r-garbage", "garbage", "monitor", NULL);
    Got got = {0};

    assert_int_equal(cd_executor_run(&a, on_done, &got), 0);
    assert_true(run_until(got_called, &got, DEADLINE_MS));
    assert_int_equal(got.status, CD_EXEC_DONE);
    assert_int_equal(got.rc, 0);
    assert_int_equal(got.out_len, 4096); /* the tail only */
    assert_int_equal(got.err_len, 4096);
    /* Random bytes hold NULs: compare the tail by length. */
    static const char last[] = "ocf-exit-reason:bad \001\033[31mthing\n";
    assert_memory_equal(got.err + got.err_len - strlen(last), last, strlen(last));
    assert_string_equal(got.reason, "bad [31mthing");
    got_clear(&got);
}

static void test_descendant_keeps_writing(void **state)
{
    g_autoptr(GHashTable) params = params_new();
    g_autofree char *pidfile = scratch("yes.pid");
    param(params, "pidfile", pidfile);
    CdAgentAction a = action_for("r-leaver", "leaver", "start", params);
    Got got = {0};

    assert_int_equal(cd_executor_run(&a, on_done, &got), 0);
    assert_true(run_until(got_called, &got, DEADLINE_MS));
    assert_int_equal(got.status, CD_EXEC_DONE);
    assert_int_equal(got.rc, 0);
    assert_true(got.out_len <= 4096);
    /* Our end of the pipe is closed: the writer dies of SIGPIPE. */
    pid_t writer = read_pid(pidfile);
    assert_true(run_until(process_gone, &writer, DEADLINE_MS));
    got_clear(&got);
}

static void test_killed_by_signal(void **state)
{
    CdAgentAction a = action_for("r-signal", "signal", "start", NULL);
    Got got = {0};

    assert_int_equal(cd_executor_run(&a, on_done, &got), 0);
    assert_true(run_until(got_called, &got, DEADLINE_MS));
    assert_int_equal(got.status, CD_EXEC_SIGNALED);
    assert_int_equal(got.signal, SIGUSR1);
    assert_int_equal(got.rc, OCF_ERR_GENERIC);
    got_clear(&got);
}

static void test_meta_data_not_truncated(void **state)
{
    CdAgentAction a = action_for(NULL, "metadata", "meta-data", NULL);
    Got got = {0};

    assert_int_equal(cd_executor_run(&a, on_done, &got), 0);
    assert_true(run_until(got_called, &got, DEADLINE_MS));
    assert_int_equal(got.rc, 0);
    assert_true(got.out_len > 4096);
    assert_true(g_str_has_prefix(got.out, "<!-- padding line 0 -->\n"));
    assert_true(g_str_has_suffix(got.out, "<!-- padding line 499 -->\n"));
    got_clear(&got);
}

static void test_not_installed_and_invalid(void **state)
{
    Got got = {0};
    CdAgentAction a = action_for("r1", "nosuchagent", "start", NULL);

    assert_int_equal(cd_executor_run(&a, on_done, &got), 0);
    assert_int_equal(got.calls, 0);
    assert_true(run_until(got_called, &got, DEADLINE_MS));
    assert_int_equal(got.status, CD_EXEC_NOT_INSTALLED);
    assert_int_equal(got.rc, OCF_ERR_INSTALLED);
    got_clear(&got);

    a = action_for("r1", "notexec", "start", NULL);
    assert_int_equal(cd_executor_run(&a, on_done, &got), 0);
    assert_true(run_until(got_called, &got, DEADLINE_MS));
    assert_int_equal(got.status, CD_EXEC_NOT_INSTALLED);
    got_clear(&got);

    /* Refused at once, done never called. */
    a = action_for("r1", "../test/exitcode", "start", NULL);
    assert_int_equal(cd_executor_run(&a, on_done, &got), -EINVAL);
    a = action_for("r1", "exitcode", "reboot-the-host", NULL);
    assert_int_equal(cd_executor_run(&a, on_done, &got), -EINVAL);
    a = action_for(NULL, "exitcode", "start", NULL);
    assert_int_equal(cd_executor_run(&a, on_done, &got), -EINVAL);
    a = action_for("r1", "exitcode", "start", NULL);
    a.timeout_ms = 0;
    assert_int_equal(cd_executor_run(&a, on_done, &got), -EINVAL);
    g_autoptr(GHashTable) params = params_new();
    param(params, "a=b", "c");
    a = action_for("r1", "exitcode", "start", params);
    assert_int_equal(cd_executor_run(&a, on_done, &got), -EINVAL);
    assert_false(cd_executor_busy("r1"));
    assert_int_equal(got.calls, 0);
}

typedef struct {
    Got got;
    GHashTable *params;
    int rerun;
} Chain;

/* Another action for the same resource from inside done is accepted. */
static void on_done_rerun(const CdExecResult *r, void *ctx)
{
    Chain *c = ctx;
    on_done(r, &c->got);
    CdAgentAction a = action_for(r->rsc, "wait", "stop", c->params);
    c->rerun = cd_executor_run(&a, on_done, &c->got);
}

static bool got_twice(void *p)
{
    return ((Got *)p)->calls >= 2;
}

static void test_one_action_per_resource(void **state)
{
    g_autoptr(GHashTable) params = params_new();
    g_autofree char *go = scratch("go");
    param(params, "go", go);
    CdAgentAction a = action_for("vm-a", "wait", "start", params);
    CdAgentAction b = action_for("vm-b", "wait", "start", params);
    Chain chain = {.params = params, .rerun = 1};
    Got got_b = {0}, refused = {0};

    assert_int_equal(cd_executor_run(&a, on_done_rerun, &chain), 0);
    assert_true(cd_executor_busy("vm-a"));
    assert_int_equal(cd_executor_run(&a, on_done, &refused), -EBUSY);
    a.action = "stop";
    assert_int_equal(cd_executor_run(&a, on_done, &refused), -EBUSY);
    assert_int_equal(cd_executor_run(&b, on_done, &got_b), 0);

    g_free(write_file(go, "", 0644));
    assert_true(run_until(got_twice, &chain.got, DEADLINE_MS));
    assert_true(run_until(got_called, &got_b, DEADLINE_MS));
    assert_int_equal(chain.rerun, 0);
    assert_string_equal(chain.got.action, "stop");
    assert_int_equal(chain.got.rc, 0);
    assert_int_equal(got_b.rc, 0);
    assert_int_equal(refused.calls, 0);
    assert_false(cd_executor_busy("vm-a"));
    got_clear(&chain.got);
    got_clear(&got_b);
}

typedef struct {
    Got got;
    int reports;
    int last_rc;
} Reports;

static void on_report(const CdExecResult *r, void *ctx)
{
    Reports *rep = ctx;
    rep->reports++;
    rep->last_rc = r->rc;
    assert_string_equal(r->action, "monitor");
    assert_int_equal(r->interval_ms, 50);
}

typedef struct {
    const char *path;
    int at_least;
} Count;

static int count_lines(const char *path)
{
    g_autofree char *text = NULL;
    int n = 0;
    if (!g_file_get_contents(path, &text, NULL, NULL))
        return 0;
    for (const char *c = text; *c; c++)
        n += *c == '\n';
    return n;
}

static bool count_reached(void *p)
{
    Count *c = p;
    return count_lines(c->path) >= c->at_least;
}

static bool reported_twice(void *p)
{
    return ((Reports *)p)->reports >= 2;
}

static void test_recurring_monitor(void **state)
{
    g_autoptr(GHashTable) params = params_new();
    g_autofree char *count = scratch("count");
    g_autofree char *statefile = scratch("running");
    param(params, "count", count);
    param(params, "state", statefile);
    g_free(write_file(statefile, "", 0644));
    CdAgentAction a = action_for("vm-m", "state", "monitor", params);
    Reports rep = {0};

    assert_int_equal(cd_executor_monitor_start(&a, 50, OCF_SUCCESS, on_report, &rep), 0);
    /* Several runs, all "running": reported once. */
    Count c = {count, 5};
    assert_true(run_until(count_reached, &c, DEADLINE_MS));
    assert_int_equal(rep.reports, 1);
    assert_int_equal(rep.last_rc, OCF_SUCCESS);

    /* The resource stops: the change is reported, and then every failed run. */
    assert_int_equal(g_remove(statefile), 0);
    assert_true(run_until(reported_twice, &rep, DEADLINE_MS));
    assert_int_equal(rep.last_rc, OCF_NOT_RUNNING);
    c.at_least = count_lines(count) + 3;
    assert_true(run_until(count_reached, &c, DEADLINE_MS));
    assert_true(rep.reports >= 3);

    /* Cancelled: no run and no report any more (checked over ten intervals). */
    assert_true(cd_executor_monitor_cancel("vm-m"));
    assert_false(cd_executor_monitor_cancel("vm-m"));
    bool expired = false;
    int runs = count_lines(count), reports = rep.reports;
    g_timeout_add(500, on_deadline, &expired);
    assert_true(run_until(flag_set, &expired, DEADLINE_MS));
    /* A run in flight at the cancel may still have logged its start. */
    assert_true(count_lines(count) <= runs + 1);
    assert_int_equal(rep.reports, reports);
}

static void test_action_preempts_monitor(void **state)
{
    g_autoptr(GHashTable) params = params_new();
    g_autofree char *pidfile = scratch("monitor.pid");
    param(params, "pidfile", pidfile);
    CdAgentAction a = action_for("vm-p", "slowmon", "monitor", params);
    Reports rep = {0};
    Got got = {0};

    assert_int_equal(cd_executor_monitor_start(&a, 60000, OCF_SUCCESS, on_report, &rep), 0);
    pid_t monitor = read_pid(pidfile);
    a.action = "stop";
    assert_int_equal(cd_executor_run(&a, on_done, &got), 0);
    assert_true(run_until(got_called, &got, DEADLINE_MS));
    assert_int_equal(got.rc, 0);
    assert_true(run_until(process_gone, &monitor, DEADLINE_MS));
    assert_int_equal(rep.reports, 0); /* the cancelled run is not reported */
    assert_true(cd_executor_monitor_cancel("vm-p"));
    got_clear(&got);
}

/* ---- fencer ---- */

typedef struct {
    int calls;
    CdFenceStatus status;
    int exit_code;
    int64_t duration_ms;
    char *node;
} Fenced;

static void on_fenced(const CdFenceResult *r, void *ctx)
{
    Fenced *f = ctx;
    f->calls++;
    f->status = r->status;
    f->exit_code = r->exit_code;
    f->duration_ms = r->duration_ms;
    g_free(f->node);
    f->node = g_strdup(r->node);
}

static bool fenced(void *p)
{
    return ((Fenced *)p)->calls > 0;
}

static char *write_fence_agent(void)
{
    g_autofree char *path = g_build_filename(tmp, "fence", "fence_fake", NULL);
    g_autofree char *text = g_strdup_printf("#!/bin/sh\n"
                                            "cat > %s/fence.in\n"
                                            "env > %s/fence.env\n"
                                            "grep -qx 'result=fail' %s/fence.in && exit 1\n"
                                            "exit 0\n",
                                            tmp, tmp, tmp);
    return write_file(path, text, 0755);
}

static void test_fence_agent_stdin(void **state)
{
    g_free(write_fence_agent());
    g_autoptr(GHashTable) opts = params_new();
    param(opts, "pcmk_host_list", "n1 n2,n3");
    param(opts, "pcmk_delay_max", "5");
    param(opts, "ipaddr", "169.254.77.9");
    param(opts, "login", "admin");
    CdFenceDevice dev = {
            .id = "fence-ipmi", .agent = "fence_fake", .options = opts, .timeout_ms = DEADLINE_MS};
    Fenced f = {0};

    assert_true(cd_fence_device_covers(&dev, "n3"));
    assert_false(cd_fence_device_covers(&dev, "n4"));
    assert_false(cd_fence_device_covers(&dev, "n"));

    setenv("VMHA_TEST_LEAK", "1", 1);
    assert_int_equal(cd_fencer_fence(&dev, "n3", "off", on_fenced, &f), 0);
    unsetenv("VMHA_TEST_LEAK");
    assert_int_equal(f.calls, 0);
    assert_true(run_until(fenced, &f, DEADLINE_MS));
    assert_int_equal(f.status, CD_FENCE_OK);
    assert_string_equal(f.node, "n3");

    g_autofree char *in_path = scratch("fence.in");
    g_autofree char *in = NULL;
    assert_true(g_file_get_contents(in_path, &in, NULL, NULL));
    assert_string_equal(in, "action=off\n"
                            "plug=n3\n"
                            "nodename=n3\n"
                            "ipaddr=169.254.77.9\n"
                            "login=admin\n");
    g_autofree char *env_path = scratch("fence.env");
    g_autofree char *env = NULL;
    assert_true(g_file_get_contents(env_path, &env, NULL, NULL));
    assert_null(strstr(env, "VMHA_TEST_LEAK"));
    assert_non_null(strstr(env, "LC_ALL=C\n"));

    /* Exit 1 is a failure; pcmk_host_argument renames the host option. */
    param(opts, "result", "fail");
    param(opts, "pcmk_host_argument", "port");
    f.calls = 0;
    assert_int_equal(cd_fencer_fence(&dev, "n1", "reboot", on_fenced, &f), 0);
    assert_true(run_until(fenced, &f, DEADLINE_MS));
    assert_int_equal(f.status, CD_FENCE_FAILED);
    assert_int_equal(f.exit_code, 1);
    g_clear_pointer(&in, g_free);
    assert_true(g_file_get_contents(in_path, &in, NULL, NULL));
    assert_string_equal(in, "action=reboot\n"
                            "port=n1\n"
                            "nodename=n1\n"
                            "ipaddr=169.254.77.9\n"
                            "login=admin\n"
                            "result=fail\n");

    /* Refused: a node the device does not cover, an option that would inject a line. */
    assert_int_equal(cd_fencer_fence(&dev, "n4", "off", on_fenced, &f), -EINVAL);
    param(opts, "login", "admin\naction=on");
    assert_int_equal(cd_fencer_fence(&dev, "n1", "off", on_fenced, &f), -EINVAL);
    assert_int_equal(f.calls, 1);
    g_free(f.node);
}

static void test_fence_timeout_and_missing(void **state)
{
    g_autofree char *path = g_build_filename(tmp, "fence", "fence_hang", NULL);
    g_free(write_file(path, "#!/bin/sh\nsleep 600\n", 0755));
    g_autoptr(GHashTable) opts = params_new();
    param(opts, "pcmk_host_list", "n2");
    CdFenceDevice dev = {.id = "hang",
                         .agent = "fence_hang",
                         .options = opts,
                         .timeout_ms = 300,
                         .kill_grace_ms = 300};
    Fenced f = {0};

    assert_int_equal(cd_fencer_fence(&dev, "n2", "off", on_fenced, &f), 0);
    assert_true(run_until(fenced, &f, DEADLINE_MS));
    assert_int_equal(f.status, CD_FENCE_TIMEOUT);
    assert_true(f.duration_ms >= 300);

    dev.agent = "fence_nosuchagent";
    f.calls = 0;
    assert_int_equal(cd_fencer_fence(&dev, "n2", "off", on_fenced, &f), 0);
    assert_true(run_until(fenced, &f, DEADLINE_MS));
    assert_int_equal(f.status, CD_FENCE_NOT_INSTALLED);
    dev.agent = "rm";
    assert_int_equal(cd_fencer_fence(&dev, "n2", "off", on_fenced, &f), -EINVAL);
    /* Never a path, not even to an agent in a trusted directory (issue 11, defect 3): the
     * database may have been edited offline. */
    dev.agent = path;
    assert_int_equal(cd_fencer_fence(&dev, "n2", "off", on_fenced, &f), -EINVAL);
    dev.agent = "/bin/true";
    assert_int_equal(cd_fencer_fence(&dev, "n2", "off", on_fenced, &f), -EINVAL);
    assert_int_equal(f.calls, 1); /* the missing agent's report only */
    g_free(f.node);
}

/* Where agents are looked up: the configured directory, then /usr/sbin; only names, only
 * executable regular files. And what the submitting clusterd checks before a fence add, remove or
 * set is replicated: --force from root only, the agent installed. */
static void test_fence_agent_lookup_and_request(void **state)
{
    g_autofree char *mine = g_build_filename(tmp, "fence", "fence_mine", NULL);
    g_autofree char *plain = g_build_filename(tmp, "fence", "fence_plain", NULL);
    g_autofree char *subdir = g_build_filename(tmp, "fence", "fence_dir", NULL);
    g_free(write_file(mine, "#!/bin/sh\nexit 0\n", 0755));
    g_free(write_file(plain, "#!/bin/sh\nexit 0\n", 0644));
    assert_int_equal(g_mkdir_with_parents(subdir, 0755), 0);
    g_autofree char *path = NULL;

    assert_int_equal(cd_fencer_agent_path("fence_mine", &path), 0);
    assert_string_equal(path, mine);
    assert_int_equal(cd_fencer_agent_path("fence_plain", &path), -ENOENT);
    assert_int_equal(cd_fencer_agent_path("fence_dir", &path), -ENOENT);
    assert_int_equal(cd_fencer_agent_path("fence_nosuchagent", &path), -ENOENT);
    assert_int_equal(cd_fencer_agent_path(mine, &path), -EINVAL);
    assert_int_equal(cd_fencer_agent_path("../fence/fence_mine", &path), -EINVAL);
    if (g_file_test("/usr/sbin/fence_dummy", G_FILE_TEST_IS_EXECUTABLE)) {
        g_autofree char *sys = NULL;
        assert_int_equal(cd_fencer_agent_path("fence_dummy", &sys), 0);
        assert_string_equal(sys, "/usr/sbin/fence_dummy");
    }

    struct {
        uint16_t type;
        const char *kv[3];
        uid_t uid;
        int expect;
    } cases[] = {
            {VMHA_MSG_FENCE_ADD, {"agent=fence_mine", "ip=1", NULL}, 1000, 0},
            {VMHA_MSG_FENCE_ADD, {"agent=/tmp/evil.sh", NULL, NULL}, 0, VMHA_RESULT_USAGE},
            {VMHA_MSG_FENCE_ADD, {"agent=/tmp/evil.sh", NULL, NULL}, 1000, VMHA_RESULT_USAGE},
            {VMHA_MSG_FENCE_ADD, {"agent=fence_nosuchagent", NULL, NULL}, 0, VMHA_RESULT_NOT_FOUND},
            {VMHA_MSG_FENCE_ADD, {"force=on", "agent=fence_mine", NULL}, 1000, VMHA_RESULT_DENIED},
            {VMHA_MSG_FENCE_ADD, {"force=on", "agent=fence_mine", NULL}, 0, 0},
            {VMHA_MSG_FENCE_REMOVE, {"force=on", NULL, NULL}, 1000, VMHA_RESULT_DENIED},
            {VMHA_MSG_FENCE_REMOVE, {"force=on", NULL, NULL}, 0, 0},
            {VMHA_MSG_FENCE_REMOVE, {NULL, NULL, NULL}, 1000, 0},
            {VMHA_MSG_FENCE_SET, {"force=on", NULL, NULL}, 1000, VMHA_RESULT_DENIED},
            {VMHA_MSG_FENCE_SET, {"force=on", NULL, NULL}, 0, 0},
            {VMHA_MSG_FENCE_SET, {NULL, NULL, NULL}, 1000, 0},
            {VMHA_MSG_VM_SET, {"force=on", NULL, NULL}, 1000, 0},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(VmhaMsg) m = vmha_msg_new(cases[i].type);
        g_autofree char *err = NULL;
        assert_int_equal(vmha_msg_add_str(m, VMHA_F_NAME, "dev"), 0);
        for (size_t k = 0; cases[i].kv[k]; k++)
            assert_int_equal(vmha_msg_add_str(m, VMHA_F_KV, cases[i].kv[k]), 0);
        int rc = cd_fencer_check_request(m, cases[i].uid, &err);
        if (rc != cases[i].expect)
            fail_msg("case %zu: %d, wanted %d (%s)", i, rc, cases[i].expect, err ? err : "");
        assert_true((rc == 0) == (err == NULL));
    }
}

/* Debian's real fence_dummy takes our stdin the way it takes Pacemaker's. */
static void test_real_fence_dummy(void **state)
{
    if (!g_file_test("/usr/sbin/fence_dummy", G_FILE_TEST_IS_EXECUTABLE))
        skip();
    g_autofree char *status = scratch("dummy.status");
    g_autoptr(GHashTable) opts = params_new();
    param(opts, "pcmk_host_list", "n1");
    param(opts, "type", "file");
    param(opts, "status_file", status);
    CdFenceDevice dev = {
            .id = "dummy", .agent = "fence_dummy", .options = opts, .timeout_ms = 20000};
    Fenced f = {0};

    g_free(write_file(status, "on", 0644));
    assert_int_equal(cd_fencer_fence(&dev, "n1", "off", on_fenced, &f), 0);
    assert_true(run_until(fenced, &f, 20000));
    assert_int_equal(f.status, CD_FENCE_OK);
    g_autofree char *text = NULL;
    assert_true(g_file_get_contents(status, &text, NULL, NULL));
    assert_string_equal(g_strstrip(text), "off");
    g_free(f.node);
}

/* What the status section records for each way an agent run ends (Pacemaker's op-status). */
static void test_op_status(void **state)
{
    assert_int_equal(cd_exec_op_status(CD_EXEC_DONE), VMHA_OP_STATUS_DONE);
    assert_int_equal(cd_exec_op_status(CD_EXEC_TIMEOUT), VMHA_OP_STATUS_TIMEOUT);
    assert_int_equal(cd_exec_op_status(CD_EXEC_NOT_INSTALLED), VMHA_OP_STATUS_NOT_INSTALLED);
    assert_int_equal(cd_exec_op_status(CD_EXEC_SIGNALED), VMHA_OP_STATUS_ERROR);
    assert_int_equal(cd_exec_op_status(CD_EXEC_ERROR), VMHA_OP_STATUS_ERROR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_exit_codes, setup, teardown),
            cmocka_unit_test_setup_teardown(test_clean_environment_and_fds, setup, teardown),
            cmocka_unit_test_setup_teardown(test_timeout_kills_group, setup, teardown),
            cmocka_unit_test_setup_teardown(test_timeout_sigkill_after_grace, setup, teardown),
            cmocka_unit_test_setup_teardown(test_garbage_and_huge_output, setup, teardown),
            cmocka_unit_test_setup_teardown(test_descendant_keeps_writing, setup, teardown),
            cmocka_unit_test_setup_teardown(test_killed_by_signal, setup, teardown),
            cmocka_unit_test_setup_teardown(test_meta_data_not_truncated, setup, teardown),
            cmocka_unit_test_setup_teardown(test_not_installed_and_invalid, setup, teardown),
            cmocka_unit_test_setup_teardown(test_one_action_per_resource, setup, teardown),
            cmocka_unit_test_setup_teardown(test_recurring_monitor, setup, teardown),
            cmocka_unit_test_setup_teardown(test_action_preempts_monitor, setup, teardown),
            cmocka_unit_test_setup_teardown(test_fence_agent_stdin, setup, teardown),
            cmocka_unit_test_setup_teardown(test_fence_timeout_and_missing, setup, teardown),
            cmocka_unit_test_setup_teardown(test_fence_agent_lookup_and_request, setup, teardown),
            cmocka_unit_test_setup_teardown(test_real_fence_dummy, setup, teardown),
            cmocka_unit_test(test_op_status),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
