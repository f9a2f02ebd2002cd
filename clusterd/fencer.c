/* The fence runner (fencer.h).
 *
 * Follows what Pacemaker's fencer gives a fence agent, which every agent in fence-agents
 * accepts: no arguments, and on stdin one name=value line per device option plus action=,
 * the node as the device's host argument (plug= unless pcmk_host_argument says otherwise;
 * "none" sends no host argument) and nodename=. Pacemaker's own pcmk_* options stay ours. */
#include "fencer.h"

#include <errno.h>
#include <string.h>

#include "child.h"
#include "fencedev.h"
#include "vmha/result.h"

#define AGENT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
/* Where fence-agents installs its agents, and where Pacemaker's fencer looks for them. */
#define SYSTEM_AGENT_DIR "/usr/sbin"

typedef struct {
    char *device;
    char *node;
    char *action;
    CdChild *child;
    guint idle;
    CdFenceStatus idle_status;
    CdFenceDone done;
    void *ctx;
} Fencing;

static char *agent_dir;
static GList *fencings;

const char *cd_fence_status_to_string(CdFenceStatus status)
{
    switch (status) {
    case CD_FENCE_OK:
        return "ok";
    case CD_FENCE_FAILED:
        return "failed";
    case CD_FENCE_TIMEOUT:
        return "timed out";
    case CD_FENCE_SIGNALED:
        return "killed by signal";
    case CD_FENCE_NOT_INSTALLED:
        return "not installed";
    case CD_FENCE_ERROR:
        return "could not run";
    }
    return "unknown";
}

static const char *option(const CdFenceDevice *dev, const char *name)
{
    return dev->options ? g_hash_table_lookup(dev->options, name) : NULL;
}

bool cd_fence_device_covers(const CdFenceDevice *dev, const char *node)
{
    const char *list = option(dev, "pcmk_host_list");

    if (!list || !node)
        return false;
    g_auto(GStrv) hosts = g_strsplit_set(list, " ,;\t", -1);
    for (char **h = hosts; *h; h++)
        if (**h && strcmp(*h, node) == 0)
            return true;
    return false;
}

/* A value on one line is all the protocol can carry. */
static bool one_line(const char *s)
{
    return s && !strchr(s, '\n') && !strchr(s, '\r');
}

char *cd_fence_stdin(const CdFenceDevice *dev, const char *node, const char *action)
{
    GString *s = g_string_new(NULL);
    const char *host_arg = option(dev, "pcmk_host_argument");

    g_string_append_printf(s, "action=%s\n", action);
    if (!host_arg)
        host_arg = "plug";
    if (strcmp(host_arg, "none") != 0)
        g_string_append_printf(s, "%s=%s\n", host_arg, node);
    g_string_append_printf(s, "nodename=%s\n", node);
    if (dev->options) {
        g_autoptr(GList) names =
                g_list_sort(g_hash_table_get_keys(dev->options), (GCompareFunc)strcmp);
        for (GList *l = names; l; l = l->next) {
            const char *name = l->data;
            /* Ours, or set above from the request. */
            if (g_str_has_prefix(name, "pcmk_") || strcmp(name, "action") == 0 ||
                strcmp(name, host_arg) == 0 || strcmp(name, "nodename") == 0)
                continue;
            g_string_append_printf(s, "%s=%s\n", name,
                                   (const char *)g_hash_table_lookup(dev->options, name));
        }
    }
    return g_string_free(s, FALSE);
}

static int check(const CdFenceDevice *dev, const char *node, const char *action)
{
    const char *id = dev->id ? dev->id : "(unnamed)";

    if (!dev->agent || !*dev->agent || dev->timeout_ms == 0) {
        g_warning("fence device %s: no agent or no timeout", id);
        return -EINVAL;
    }
    /* Checked again here, not only when the device was added: a database edited offline or
     * written by an older version may name a path. */
    if (!vmha_fence_agent_valid(dev->agent)) {
        g_warning("fence device %s: refusing agent '%s': not a fence agent name (fence_NAME, "
                  "found in a trusted agent directory)",
                  id, dev->agent);
        return -EINVAL;
    }
    if (!one_line(node) || !*node || !one_line(action) || !*action) {
        g_warning("fence device %s: invalid node or action", id);
        return -EINVAL;
    }
    if (dev->options) {
        GHashTableIter it;
        gpointer k, v;
        g_hash_table_iter_init(&it, dev->options);
        while (g_hash_table_iter_next(&it, &k, &v)) {
            if (!one_line(k) || !*(const char *)k || strchr(k, '=') || !one_line(v)) {
                g_warning("fence device %s: invalid option '%s'", id, (const char *)k);
                return -EINVAL;
            }
        }
    }
    if (!cd_fence_device_covers(dev, node)) {
        g_warning("fence device %s does not cover node %s", id, node);
        return -EINVAL;
    }
    return 0;
}

static void fencing_free(Fencing *f)
{
    if (f->idle)
        g_source_remove(f->idle);
    g_free(f->device);
    g_free(f->node);
    g_free(f->action);
    g_free(f);
}

static void deliver(Fencing *f, CdFenceResult *res)
{
    res->device = f->device;
    res->node = f->node;
    res->action = f->action;
    if (res->status == CD_FENCE_OK)
        g_message("fencing %s (%s) with %s succeeded in %" G_GINT64_FORMAT " ms", f->node,
                  f->action, f->device, res->duration_ms);
    else
        g_warning("fencing %s (%s) with %s: %s (exit %d, signal %d) after %" G_GINT64_FORMAT " ms",
                  f->node, f->action, f->device, cd_fence_status_to_string(res->status),
                  res->exit_code, res->signal, res->duration_ms);
    fencings = g_list_remove(fencings, f);
    f->done(res, f->ctx);
    fencing_free(f);
}

static void on_agent_done(const CdChildResult *cr, void *ctx)
{
    Fencing *f = ctx;
    CdFenceResult res = {
            .exit_code = cr->exit_code,
            .signal = cr->signal,
            .duration_ms = cr->duration_ms,
            .out = cr->out.data,
            .err = cr->err.data,
    };

    f->child = NULL;
    switch (cr->status) {
    case CD_CHILD_EXITED:
        res.status = cr->exit_code == 0 ? CD_FENCE_OK : CD_FENCE_FAILED;
        break;
    case CD_CHILD_TIMEOUT:
        res.status = CD_FENCE_TIMEOUT;
        break;
    case CD_CHILD_SIGNALED:
        res.status = CD_FENCE_SIGNALED;
        break;
    }
    deliver(f, &res);
}

static gboolean on_idle(gpointer ctx)
{
    Fencing *f = ctx;
    CdFenceResult res = {.status = f->idle_status, .out = "", .err = ""};

    f->idle = 0;
    deliver(f, &res);
    return G_SOURCE_REMOVE;
}

int cd_fencer_fence(const CdFenceDevice *dev, const char *node, const char *action,
                    CdFenceDone done, void *ctx)
{
    g_autofree char *path = NULL;
    g_autofree char *input = NULL;
    g_autofree char *name = NULL;
    int r;

    r = check(dev, node, action);
    if (r < 0)
        return r;

    r = cd_fencer_agent_path(dev->agent, &path);
    if (r == -EINVAL)
        return r;
    if (r < 0) /* reported as not installed, from the loop like every outcome */
        path = g_build_filename(SYSTEM_AGENT_DIR, dev->agent, NULL);
    input = cd_fence_stdin(dev, node, action);
    name = g_strdup_printf("fence %s %s with %s", action, node, dev->id ? dev->id : dev->agent);
    const char *argv[] = {path, NULL};
    const char *envp[] = {"PATH=" AGENT_PATH, "LC_ALL=C", NULL};
    CdChildSpec spec = {
            .name = name,
            .argv = argv,
            .envp = envp,
            .stdin_data = input,
            .stdin_len = strlen(input),
            .timeout_ms = dev->timeout_ms,
            .kill_grace_ms = dev->kill_grace_ms,
    };

    Fencing *f = g_new0(Fencing, 1);
    f->device = g_strdup(dev->id ? dev->id : dev->agent);
    f->node = g_strdup(node);
    f->action = g_strdup(action);
    f->done = done;
    f->ctx = ctx;
    g_message("fencing %s (%s) with %s", node, action, f->device);
    r = cd_child_spawn(&spec, on_agent_done, f, &f->child);
    if (r < 0) {
        f->idle_status = r == -ENOENT || r == -EACCES || r == -ENOEXEC ? CD_FENCE_NOT_INSTALLED
                                                                       : CD_FENCE_ERROR;
        f->idle = g_idle_add(on_idle, f);
    }
    fencings = g_list_prepend(fencings, f);
    return 0;
}

int cd_fencer_agent_path(const char *agent, char **ret_path)
{
    const char *dirs[] = {agent_dir, SYSTEM_AGENT_DIR};

    if (!agent || !vmha_fence_agent_valid(agent))
        return -EINVAL;
    for (size_t i = 0; i < G_N_ELEMENTS(dirs); i++) {
        if (!dirs[i])
            continue;
        g_autofree char *path = g_build_filename(dirs[i], agent, NULL);
        if (g_file_test(path, G_FILE_TEST_IS_REGULAR) &&
            g_file_test(path, G_FILE_TEST_IS_EXECUTABLE)) {
            *ret_path = g_steal_pointer(&path);
            return 0;
        }
    }
    return -ENOENT;
}

/* The force=on a request may carry first among its F_KV pairs. */
static bool request_forced(const VmhaMsg *req)
{
    g_auto(GStrv) kvs = NULL;
    return vmha_msg_get_strv(req, VMHA_F_KV, &kvs) == 0 && kvs[0] &&
           strcmp(kvs[0], CD_FENCE_FORCE) == 0;
}

int cd_fencer_check_request(const VmhaMsg *req, uid_t uid, char **ret_error)
{
    if (req->type != VMHA_MSG_FENCE_ADD && req->type != VMHA_MSG_FENCE_REMOVE &&
        req->type != VMHA_MSG_FENCE_SET)
        return 0;
    if (request_forced(req) && uid != 0) {
        *ret_error = g_strdup("permission denied: only root may use --force on fence devices");
        return VMHA_RESULT_DENIED;
    }
    if (req->type != VMHA_MSG_FENCE_ADD)
        return 0;
    g_auto(GStrv) kvs = NULL;
    const char *agent = NULL;
    if (vmha_msg_get_strv(req, VMHA_F_KV, &kvs) == 0)
        for (size_t i = 0; kvs[i] && !agent; i++)
            if (g_str_has_prefix(kvs[i], "agent="))
                agent = kvs[i] + strlen("agent=");
    if (!agent)
        return 0; /* refused when applied, on every node alike */
    g_autofree char *path = NULL;
    int r = cd_fencer_agent_path(agent, &path);
    if (r == -EINVAL) {
        *ret_error = g_strdup_printf(
                "bad fence agent '%s': a name fence_NAME, not a path (agents are run only from "
                "the trusted agent directories)",
                agent);
        return VMHA_RESULT_USAGE;
    }
    if (r < 0) {
        *ret_error = g_strdup_printf("fence agent '%s' is not installed in %s%s%s", agent,
                                     agent_dir ? agent_dir : "", agent_dir ? " or " : "",
                                     SYSTEM_AGENT_DIR);
        return VMHA_RESULT_NOT_FOUND;
    }
    return 0;
}

int cd_fencer_init(const char *dir)
{
    /* /usr/sbin is searched anyway: no need to name it twice. */
    agent_dir = dir && strcmp(dir, SYSTEM_AGENT_DIR) != 0 ? g_strdup(dir) : NULL;
    return 0;
}

static void fencing_kill(Fencing *f)
{
    if (f->child)
        cd_child_cancel(f->child);
    fencing_free(f);
}

void cd_fencer_finalise(void)
{
    g_list_free_full(g_steal_pointer(&fencings), (GDestroyNotify)fencing_kill);
    cd_child_finalise();
    g_clear_pointer(&agent_dir, g_free);
}
