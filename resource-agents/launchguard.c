#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "launchguard.h"

#define POLL_US (100 * 1000)

struct VmLaunchGuard {
    char *pid_path;
    gint64 stall_us;
    gint64 started_real; /* µs since the epoch: a pid file older than the launch is stale */
    GThread *thread;
    GMutex lock;
    GCond wake;
    bool stopping; /* under lock */
    int killed;    /* written by the thread before it ends */
};

bool vm_launch_guard_is_prexec_child(const char *exe_name, int threads)
{
    /* virtqemud is libvirt's modular daemon, libvirtd the monolithic one. */
    return threads == 1 &&
           (g_str_equal(exe_name, "libvirtd") || g_str_equal(exe_name, "virtqemud"));
}

/* The pid in the pid file when this launch wrote it (not a stale file of an earlier run), or 0. */
static int read_fresh_pid(const VmLaunchGuard *g)
{
    g_autofree char *text = NULL;
    struct stat st;
    char *end;
    long pid;

    if (stat(g->pid_path, &st) < 0 || !g_file_get_contents(g->pid_path, &text, NULL, NULL))
        return 0;
    if ((gint64)st.st_mtim.tv_sec * G_USEC_PER_SEC + st.st_mtim.tv_nsec / 1000 <
        g->started_real - G_USEC_PER_SEC)
        return 0;
    errno = 0;
    pid = strtol(text, &end, 10);
    if (errno || end == text || pid <= 1 || pid > G_MAXINT)
        return 0;
    return (int)pid;
}

static bool process_is_prexec_child(int pid)
{
    g_autofree char *exe_link = g_strdup_printf("/proc/%d/exe", pid);
    g_autofree char *status_path = g_strdup_printf("/proc/%d/status", pid);
    g_autofree char *exe = NULL, *status = NULL, *name = NULL;
    const char *line;

    exe = g_file_read_link(exe_link, NULL);
    if (!exe || !g_file_get_contents(status_path, &status, NULL, NULL))
        return false;
    line = strstr(status, "\nThreads:");
    if (!line)
        return false;
    name = g_path_get_basename(exe);
    return vm_launch_guard_is_prexec_child(name, atoi(line + strlen("\nThreads:")));
}

static gpointer watch(gpointer user_data)
{
    VmLaunchGuard *g = user_data;
    int suspect = 0;
    gint64 suspect_since = 0;

    g_mutex_lock(&g->lock);
    while (!g->stopping) {
        g_mutex_unlock(&g->lock);
        int pid = read_fresh_pid(g);
        gint64 now = g_get_monotonic_time();
        if (pid > 0 && process_is_prexec_child(pid)) {
            if (pid != suspect) {
                suspect = pid;
                suspect_since = now;
            } else if (now - suspect_since >= g->stall_us && kill(pid, SIGKILL) == 0) {
                g->killed = pid;
                return NULL;
            }
        } else {
            suspect = 0;
        }
        g_mutex_lock(&g->lock);
        g_cond_wait_until(&g->wake, &g->lock, g_get_monotonic_time() + POLL_US);
    }
    g_mutex_unlock(&g->lock);
    return NULL;
}

VmLaunchGuard *vm_launch_guard_start(const char *pid_path, gint64 stall_us)
{
    VmLaunchGuard *g = g_new0(VmLaunchGuard, 1);

    g->pid_path = g_strdup(pid_path);
    g->stall_us = stall_us;
    g->started_real = g_get_real_time();
    g_mutex_init(&g->lock);
    g_cond_init(&g->wake);
    g->thread = g_thread_new("launch-guard", watch, g);
    return g;
}

int vm_launch_guard_stop(VmLaunchGuard *g)
{
    int killed;

    g_mutex_lock(&g->lock);
    g->stopping = true;
    g_cond_signal(&g->wake);
    g_mutex_unlock(&g->lock);
    g_thread_join(g->thread);
    killed = g->killed;
    g_mutex_clear(&g->lock);
    g_cond_clear(&g->wake);
    g_free(g->pid_path);
    g_free(g);
    return killed;
}
