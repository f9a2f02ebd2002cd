/* Child processes with timeouts on the main loop (child.h).
 *
 * Built on g_spawn_async_with_pipes_and_fds, which already closes every fd but 0/1/2 in the child
 * (GLib marks them close-on-exec with close_range/fdwalk) and reports exec failures synchronously
 * through its own pipe; a child setup function adds the process group and resets what exec keeps
 * (ignored signals such as clusterd's SIGPIPE, the signal mask). g_child_watch reaps only our own
 * pids, so nothing else in the daemon loses its children. */
#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PIPE_DRAIN_MAX (1024 * 1024)

typedef struct {
    int fd; /* -1 once closed */
    guint source;
    GByteArray *buf;
    size_t max;
    bool truncated;
} Capture;

struct CdChild {
    char *name;
    GPid pid;
    int64_t started_us;
    guint watch;
    guint timeout;
    guint grace;
    unsigned grace_ms;
    bool timed_out;
    bool cancelled;
    Capture out;
    Capture err;
    CdChildDone done;
    void *ctx;
};

/* Every child not yet reaped, for cd_child_finalise. */
static GList *children;

const char *cd_child_status_to_string(CdChildStatus status)
{
    switch (status) {
    case CD_CHILD_EXITED:
        return "exited";
    case CD_CHILD_SIGNALED:
        return "killed by signal";
    case CD_CHILD_TIMEOUT:
        return "timed out";
    }
    return "unknown";
}

pid_t cd_child_pid(const CdChild *child)
{
    return child->pid;
}

static void capture_append(Capture *c, const char *data, size_t len)
{
    g_byte_array_append(c->buf, (const guint8 *)data, len);
    if (c->buf->len > c->max) {
        g_byte_array_remove_range(c->buf, 0, c->buf->len - c->max);
        c->truncated = true;
    }
}

static void capture_close(Capture *c)
{
    if (c->source) {
        g_source_remove(c->source);
        c->source = 0;
    }
    if (c->fd >= 0) {
        close(c->fd);
        c->fd = -1;
    }
}

/* Reads what is there, at most budget bytes; returns false at end of file or error. */
static bool capture_read(Capture *c, size_t budget)
{
    char chunk[4096];

    while (budget > 0) {
        ssize_t n = read(c->fd, chunk, sizeof(chunk));
        if (n > 0) {
            capture_append(c, chunk, (size_t)n);
            budget -= MIN(budget, (size_t)n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return true;
        return false;
    }
    return true;
}

static gboolean on_output(gint fd, GIOCondition cond, gpointer user_data)
{
    Capture *c = user_data;

    /* A bounded slice per wake-up, so an agent flooding its output cannot starve the loop. */
    if (capture_read(c, 64 * 1024))
        return G_SOURCE_CONTINUE;
    c->source = 0;
    close(c->fd);
    c->fd = -1;
    return G_SOURCE_REMOVE;
}

static void capture_take(Capture *c, CdChildOutput *ret)
{
    guint8 nul = 0;

    ret->len = c->buf->len;
    ret->truncated = c->truncated;
    g_byte_array_append(c->buf, &nul, 1);
    ret->data = (char *)g_byte_array_free(c->buf, FALSE);
    c->buf = NULL;
}

static void child_free(CdChild *child)
{
    if (child->watch)
        g_source_remove(child->watch);
    if (child->timeout)
        g_source_remove(child->timeout);
    if (child->grace)
        g_source_remove(child->grace);
    capture_close(&child->out);
    capture_close(&child->err);
    if (child->out.buf)
        g_byte_array_unref(child->out.buf);
    if (child->err.buf)
        g_byte_array_unref(child->err.buf);
    children = g_list_remove(children, child);
    g_free(child->name);
    g_free(child);
}

static void kill_group(CdChild *child, int sig)
{
    /* ESRCH: the group is already empty. */
    if (kill(-child->pid, sig) < 0 && errno != ESRCH)
        g_warning("%s: cannot send signal %d to process group %d: %s", child->name, sig,
                  (int)child->pid, g_strerror(errno));
}

static gboolean on_grace(gpointer user_data)
{
    CdChild *child = user_data;

    child->grace = 0;
    g_warning("%s (pid %d) still running %u ms after SIGTERM: SIGKILL", child->name,
              (int)child->pid, child->grace_ms);
    kill_group(child, SIGKILL);
    return G_SOURCE_REMOVE;
}

static gboolean on_timeout(gpointer user_data)
{
    CdChild *child = user_data;

    child->timeout = 0;
    child->timed_out = true;
    g_warning("%s (pid %d) timed out: SIGTERM to its process group", child->name, (int)child->pid);
    kill_group(child, SIGTERM);
    child->grace = g_timeout_add(child->grace_ms, on_grace, child);
    return G_SOURCE_REMOVE;
}

static void on_child_exit(GPid pid, gint wait_status, gpointer user_data)
{
    CdChild *child = user_data;
    CdChildResult res = {0};

    child->watch = 0;
    g_spawn_close_pid(pid);
    /* What a timed-out leader left in its group goes now; after a normal exit the group is left
     * alone (an agent may legitimately leave a helper behind). */
    if (child->timed_out || child->cancelled)
        kill_group(child, SIGKILL);

    res.duration_ms = (g_get_monotonic_time() - child->started_us) / 1000;
    if (WIFSIGNALED(wait_status))
        res.signal = WTERMSIG(wait_status);
    if (child->timed_out)
        res.status = CD_CHILD_TIMEOUT;
    else if (WIFSIGNALED(wait_status))
        res.status = CD_CHILD_SIGNALED;
    else {
        res.status = CD_CHILD_EXITED;
        res.exit_code = WEXITSTATUS(wait_status);
    }

    /* Everything the leader wrote before it exited is in the pipes (at most a pipe's capacity,
     * 1 MiB at the most); a descendant that keeps them open, even writing without end, does not
     * delay the result. */
    if (child->out.fd >= 0)
        capture_read(&child->out, PIPE_DRAIN_MAX);
    if (child->err.fd >= 0)
        capture_read(&child->err, PIPE_DRAIN_MAX);
    capture_take(&child->out, &res.out);
    capture_take(&child->err, &res.err);

    if (!child->cancelled && child->done)
        child->done(&res, child->ctx);
    g_free(res.out.data);
    g_free(res.err.data);
    child_free(child);
}

static void child_setup(gpointer user_data)
{
    /* Only async-signal-safe calls here: this runs between fork and exec. */
    struct sigaction dfl = {.sa_handler = SIG_DFL};
    sigset_t none;

    setpgid(0, 0);
    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            sigaction(sig, &dfl, NULL);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

static int stdin_fd_for(const char *data, size_t len)
{
    /* An in-memory file instead of a pipe: the child reads all of it and sees EOF, and
     * we never block on, or get SIGPIPE from, a child that does not read. */
    int fd = memfd_create("vmha-child-stdin", MFD_CLOEXEC);
    if (fd < 0)
        return -errno;
    for (size_t off = 0; off < len;) {
        ssize_t n = write(fd, data + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int r = -errno;
            close(fd);
            return r;
        }
        off += (size_t)n;
    }
    if (lseek(fd, 0, SEEK_SET) < 0) {
        int r = -errno;
        close(fd);
        return r;
    }
    return fd;
}

static int spawn_error_to_errno(const GError *error)
{
    if (error->domain != G_SPAWN_ERROR)
        return -EIO;
    switch (error->code) {
    case G_SPAWN_ERROR_NOENT:
    case G_SPAWN_ERROR_NOTDIR:
        return -ENOENT;
    case G_SPAWN_ERROR_ACCES:
    case G_SPAWN_ERROR_PERM:
        return -EACCES;
    case G_SPAWN_ERROR_NOEXEC:
        return -ENOEXEC;
    case G_SPAWN_ERROR_NOMEM:
        return -ENOMEM;
    default:
        return -EIO;
    }
}

int cd_child_spawn(const CdChildSpec *spec, CdChildDone done, void *ctx, CdChild **ret_child)
{
    g_autoptr(GError) error = NULL;
    GSpawnFlags flags = G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_CLOEXEC_PIPES;
    int stdin_fd = -1;
    int out_fd = -1, err_fd = -1;
    GPid pid;

    if (spec->stdin_data) {
        stdin_fd = stdin_fd_for(spec->stdin_data, spec->stdin_len);
        if (stdin_fd < 0) {
            g_warning("%s: cannot prepare stdin: %s", spec->name, g_strerror(-stdin_fd));
            return stdin_fd;
        }
    } else {
        flags |= G_SPAWN_STDIN_FROM_DEV_NULL;
    }

    gboolean ok = g_spawn_async_with_pipes_and_fds(
            "/", (const gchar *const *)spec->argv, (const gchar *const *)spec->envp, flags,
            child_setup, NULL, stdin_fd, /* stdout_fd= */ -1, /* stderr_fd= */ -1,
            /* source_fds= */ NULL, /* target_fds= */ NULL, /* n_fds= */ 0, &pid,
            /* stdin_pipe_out= */ NULL, &out_fd, &err_fd, &error);
    if (stdin_fd >= 0)
        close(stdin_fd);
    if (!ok) {
        int r = spawn_error_to_errno(error);
        g_warning("%s: cannot run %s: %s", spec->name, spec->argv[0], error->message);
        return r;
    }
    /* Also from here, so a kill of the group right after spawn cannot miss a child that has not
     * reached its own setpgid yet (EACCES once it has exec'd: it did it itself then). */
    setpgid(pid, pid);

    CdChild *child = g_new0(CdChild, 1);
    child->name = g_strdup(spec->name);
    child->pid = pid;
    child->started_us = g_get_monotonic_time();
    child->done = done;
    child->ctx = ctx;
    child->grace_ms = spec->kill_grace_ms ? spec->kill_grace_ms : CD_CHILD_KILL_GRACE_MS;
    size_t max = spec->output_max ? spec->output_max : CD_CHILD_OUTPUT_MAX;
    Capture *caps[] = {&child->out, &child->err};
    int fds[] = {out_fd, err_fd};
    for (size_t i = 0; i < G_N_ELEMENTS(caps); i++) {
        caps[i]->fd = fds[i];
        caps[i]->max = max;
        caps[i]->buf = g_byte_array_new();
        g_unix_set_fd_nonblocking(fds[i], TRUE, NULL);
        caps[i]->source = g_unix_fd_add(fds[i], G_IO_IN | G_IO_HUP | G_IO_ERR, on_output, caps[i]);
    }
    child->watch = g_child_watch_add(pid, on_child_exit, child);
    if (spec->timeout_ms)
        child->timeout = g_timeout_add(spec->timeout_ms, on_timeout, child);
    children = g_list_prepend(children, child);

    g_debug("%s: started pid %d: %s", spec->name, (int)pid, spec->argv[0]);
    if (ret_child)
        *ret_child = child;
    return 0;
}

void cd_child_cancel(CdChild *child)
{
    child->cancelled = true;
    child->done = NULL;
    if (child->timeout) {
        g_source_remove(child->timeout);
        child->timeout = 0;
    }
    kill_group(child, SIGKILL);
}

void cd_child_finalise(void)
{
    for (GList *l = children, *next; l; l = next) {
        CdChild *child = l->data;
        next = l->next;
        if (!child->cancelled)
            continue;
        if (child->watch) {
            g_source_remove(child->watch);
            child->watch = 0;
        }
        kill_group(child, SIGKILL);
        while (waitpid(child->pid, NULL, 0) < 0 && errno == EINTR)
            ;
        child_free(child);
    }
}
