/* Running scripts on cluster hosts; see remote.h. */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "remote.h"

/* Reads the script whole into a file, then runs it with stdin on /dev/null. */
#define WRAPPER                                                                                    \
    "f=$(mktemp /tmp/vmctl-step.XXXXXX) && cat >\"$f\" && sh \"$f\" </dev/null; rc=$?; "           \
    "rm -f \"$f\"; exit $rc"

struct VmctlRemote {
    char *control_dir;
    GPtrArray *masters; /* addresses with a master connection */
};

void vmctl_remote_result_clear(VmctlRemoteResult *r)
{
    g_clear_pointer(&r->out, g_free);
    g_clear_pointer(&r->err, g_free);
    r->status = -1;
}

VmctlRemote *vmctl_remote_new(void)
{
    VmctlRemote *r = g_new0(VmctlRemote, 1);
    r->control_dir = g_dir_make_tmp("vmctl-ssh-XXXXXX", NULL);
    r->masters = g_ptr_array_new_with_free_func(g_free);
    return r;
}

static void ssh_base(GPtrArray *argv, const VmctlRemote *r)
{
    g_autofree char *path = g_strdup_printf("ControlPath=%s/%%C", r->control_dir);
    const char *const opts[] = {
            "ssh", "-T",
            "-o",  "BatchMode=yes",
            "-o",  "ConnectTimeout=5",
            "-o",  "ServerAliveInterval=5",
            "-o",  "ServerAliveCountMax=3",
            "-o",  "LogLevel=ERROR",
            "-o",  "ControlMaster=auto",
            "-o",  "ControlPersist=60",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(opts); i++)
        g_ptr_array_add(argv, g_strdup(opts[i]));
    g_ptr_array_add(argv, g_strdup("-o"));
    g_ptr_array_add(argv, g_steal_pointer(&path));
}

void vmctl_remote_free(VmctlRemote *r)
{
    if (!r)
        return;
    for (guint i = 0; r->control_dir && i < r->masters->len; i++) {
        g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
        ssh_base(argv, r);
        g_ptr_array_add(argv, g_strdup("-O"));
        g_ptr_array_add(argv, g_strdup("exit"));
        g_ptr_array_add(argv, g_strdup("-l"));
        g_ptr_array_add(argv, g_strdup("root"));
        g_ptr_array_add(argv, g_strdup(g_ptr_array_index(r->masters, i)));
        g_ptr_array_add(argv, NULL);
        g_spawn_sync(NULL, (char **)argv->pdata, NULL,
                     G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                     NULL, NULL, NULL, NULL, NULL, NULL);
    }
    if (r->control_dir) {
        /* A master that did not exit leaves its socket: remove what is left. */
        GDir *d = g_dir_open(r->control_dir, 0, NULL);
        const char *e;
        while (d && (e = g_dir_read_name(d))) {
            g_autofree char *p = g_build_filename(r->control_dir, e, NULL);
            g_unlink(p);
        }
        if (d)
            g_dir_close(d);
        g_rmdir(r->control_dir);
    }
    g_free(r->control_dir);
    g_ptr_array_unref(r->masters);
    g_free(r);
}

typedef struct {
    GSubprocess *proc;
    VmctlRemoteResult *res;
    bool done;
} Job;

static void on_communicated(GObject *src, GAsyncResult *result, gpointer data)
{
    Job *job = data;
    g_autoptr(GError) error = NULL;
    char *out = NULL, *err = NULL;

    if (!g_subprocess_communicate_utf8_finish(G_SUBPROCESS(src), result, &out, &err, &error)) {
        job->res->status = -1;
        job->res->err = g_strdup(error->message);
    } else {
        job->res->out = out;
        job->res->err = err;
        job->res->status = g_subprocess_get_if_exited(job->proc)
                                   ? g_subprocess_get_exit_status(job->proc)
                                   : -1;
    }
    job->done = true;
}

static gboolean on_timeout(gpointer data)
{
    bool *expired = data;
    *expired = true;
    return G_SOURCE_REMOVE;
}

void vmctl_remote_run_all(VmctlRemote *r, VmctlHost *const *hosts, const char *const *scripts,
                          size_t n, unsigned timeout_s, VmctlRemoteResult *ret)
{
    g_autofree Job *jobs = g_new0(Job, MAX(n, 1));
    bool expired = false;

    for (size_t i = 0; i < n; i++) {
        g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GError) error = NULL;

        ret[i] = (VmctlRemoteResult){.status = -1};
        jobs[i].res = &ret[i];
        if (hosts[i]->local) {
            g_ptr_array_add(argv, g_strdup("sh"));
            g_ptr_array_add(argv, g_strdup("-c"));
        } else {
            ssh_base(argv, r);
            g_ptr_array_add(argv, g_strdup("-l"));
            g_ptr_array_add(argv, g_strdup("root"));
            g_ptr_array_add(argv, g_strdup(hosts[i]->addr));
            bool known = false;
            for (guint m = 0; m < r->masters->len && !known; m++)
                known = g_str_equal(g_ptr_array_index(r->masters, m), hosts[i]->addr);
            if (!known)
                g_ptr_array_add(r->masters, g_strdup(hosts[i]->addr));
        }
        g_ptr_array_add(argv, g_strdup(WRAPPER));
        g_ptr_array_add(argv, NULL);
        jobs[i].proc =
                g_subprocess_newv((const char *const *)argv->pdata,
                                  G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                          G_SUBPROCESS_FLAGS_STDERR_PIPE,
                                  &error);
        if (!jobs[i].proc) {
            ret[i].err = g_strdup(error->message);
            jobs[i].done = true;
            continue;
        }
        g_subprocess_communicate_utf8_async(jobs[i].proc, scripts[i], NULL, on_communicated,
                                            &jobs[i]);
    }
    guint timer = g_timeout_add_seconds(timeout_s, on_timeout, &expired);
    bool killed = false;
    for (;;) {
        bool all = true;
        for (size_t i = 0; i < n; i++)
            all &= jobs[i].done;
        if (all)
            break;
        if (expired && !killed) {
            for (size_t i = 0; i < n; i++)
                if (!jobs[i].done && jobs[i].proc)
                    g_subprocess_force_exit(jobs[i].proc);
            killed = true; /* now wait for them to be reaped */
        }
        g_main_context_iteration(NULL, TRUE);
    }
    if (!expired)
        g_source_remove(timer);
    for (size_t i = 0; i < n; i++)
        g_clear_object(&jobs[i].proc);
}

char *vmctl_remote_last_line(const char *text)
{
    g_auto(GStrv) lines = g_strsplit(text ? text : "", "\n", -1);
    for (size_t i = g_strv_length(lines); i > 0; i--) {
        g_strstrip(lines[i - 1]);
        if (*lines[i - 1])
            return g_strdup(lines[i - 1]);
    }
    return g_strdup("no output");
}
