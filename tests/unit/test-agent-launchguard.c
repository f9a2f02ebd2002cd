/* resource-agents/launchguard: which process is libvirt's hung child before its exec, and the
 * guard's kill of it. Real processes: copies of sleep(1) named as libvirtd or qemu would be, their
 * pid in a pid file as libvirt writes it. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <utime.h>
#include <cmocka.h>

#include "launchguard.h"

#define STALL_US (200 * 1000)

typedef struct {
    char *dir;
    char *pid_path;
    GPid pid;
} Fixture;

static void test_prexec_child(void **state)
{
    static const struct {
        const char *exe;
        int threads;
        bool child;
    } cases[] = {
            {"libvirtd", 1, true},
            {"virtqemud", 1, true},
            {"libvirtd", 17, false}, /* the daemon itself */
            {"qemu-system-x86_64", 1, false},
            {"qemu-system-x86_64", 4, false},
            {"libvirtd-helper", 1, false},
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
        assert_int_equal(vm_launch_guard_is_prexec_child(cases[i].exe, cases[i].threads),
                         cases[i].child);
}

/* Runs a copy of sleep(1) named @exe_name, its pid written to the fixture's pid file. */
static void spawn_as(Fixture *f, const char *exe_name)
{
    g_autofree char *exe = g_build_filename(f->dir, exe_name, NULL);
    g_autofree char *sleep_bin = g_find_program_in_path("sleep");
    g_autofree char *bytes = NULL, *pid_text = NULL;
    gsize len;
    char *argv[] = {exe, (char *)"60", NULL};

    assert_non_null(sleep_bin);
    assert_true(g_file_get_contents(sleep_bin, &bytes, &len, NULL));
    assert_true(g_file_set_contents(exe, bytes, (gssize)len, NULL));
    assert_int_equal(chmod(exe, 0755), 0);
    assert_true(
            g_spawn_async(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &f->pid, NULL));
    pid_text = g_strdup_printf("%d\n", f->pid);
    assert_true(g_file_set_contents(f->pid_path, pid_text, -1, NULL));
}

/* Whether the child died of SIGKILL within @timeout_us (reaped then). */
static bool killed_within(Fixture *f, gint64 timeout_us)
{
    gint64 deadline = g_get_monotonic_time() + timeout_us;
    int status;

    while (g_get_monotonic_time() < deadline) {
        if (waitpid(f->pid, &status, WNOHANG) == f->pid) {
            f->pid = 0;
            return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
        }
        g_usleep(10 * 1000);
    }
    return false;
}

static int setup(void **state)
{
    Fixture *f = g_new0(Fixture, 1);

    f->dir = g_dir_make_tmp("launchguard-XXXXXX", NULL);
    assert_non_null(f->dir);
    f->pid_path = g_build_filename(f->dir, "vm1.pid", NULL);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fixture *f = *state;
    g_autoptr(GDir) dir = g_dir_open(f->dir, 0, NULL);
    const char *name;

    if (f->pid > 0) {
        kill(f->pid, SIGKILL);
        waitpid(f->pid, NULL, 0);
    }
    while (dir && (name = g_dir_read_name(dir))) {
        g_autofree char *path = g_build_filename(f->dir, name, NULL);
        unlink(path);
    }
    rmdir(f->dir);
    g_free(f->pid_path);
    g_free(f->dir);
    g_free(f);
    return 0;
}

static void test_kills_hung_child(void **state)
{
    Fixture *f = *state;
    GPid pid;

    spawn_as(f, "libvirtd");
    pid = f->pid;
    VmLaunchGuard *guard = vm_launch_guard_start(f->pid_path, STALL_US);
    assert_true(killed_within(f, 5 * G_USEC_PER_SEC));
    assert_int_equal(vm_launch_guard_stop(guard), pid);
}

/* qemu is what a healthy launch leaves in the pid file: never touched, however long it runs.
 * The guard polls every 100 ms; 8 stall periods (16 polls) give it every chance to do wrong. */
static void test_leaves_qemu_alone(void **state)
{
    Fixture *f = *state;

    spawn_as(f, "qemu-system-x86_64");
    VmLaunchGuard *guard = vm_launch_guard_start(f->pid_path, STALL_US);
    assert_false(killed_within(f, 8 * STALL_US));
    assert_int_equal(vm_launch_guard_stop(guard), 0);
    assert_int_equal(kill(f->pid, 0), 0);
}

/* A pid file older than the launch is an earlier run's: its pid may belong to anyone now. */
static void test_ignores_stale_pid_file(void **state)
{
    Fixture *f = *state;
    struct utimbuf old = {.actime = time(NULL) - 3600, .modtime = time(NULL) - 3600};

    spawn_as(f, "libvirtd");
    assert_int_equal(utime(f->pid_path, &old), 0);
    VmLaunchGuard *guard = vm_launch_guard_start(f->pid_path, STALL_US);
    assert_false(killed_within(f, 8 * STALL_US));
    assert_int_equal(vm_launch_guard_stop(guard), 0);
}

/* No pid file yet (libvirt writes it after its fork): the guard waits, and stops at once. */
static void test_no_pid_file(void **state)
{
    Fixture *f = *state;
    VmLaunchGuard *guard = vm_launch_guard_start(f->pid_path, STALL_US);
    gint64 t0 = g_get_monotonic_time();

    assert_int_equal(vm_launch_guard_stop(guard), 0);
    assert_true(g_get_monotonic_time() - t0 < G_USEC_PER_SEC);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_prexec_child),
            cmocka_unit_test_setup_teardown(test_kills_hung_child, setup, teardown),
            cmocka_unit_test_setup_teardown(test_leaves_qemu_alone, setup, teardown),
            cmocka_unit_test_setup_teardown(test_ignores_stale_pid_file, setup, teardown),
            cmocka_unit_test_setup_teardown(test_no_pid_file, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
