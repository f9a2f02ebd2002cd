/* The executor: OCF resource agent actions as child processes (executor.h, docs/executor.md).
 *
 * Why not Pacemaker's libcrmservice (resources_action_create + services_action_async)? Checked
 * against Debian 12's 2.1.5:
 * - OCF agents are looked up only under the compiled-in /usr/lib/ocf/resource.d, and OCF_ROOT is
 *   exported as the compiled-in /usr/lib/ocf; there is no OCF_RA_PATH-like override, so tests
 *   (and an install under another prefix) cannot point it at other agents.
 * - The child inherits clusterd's whole environment, with the OCF variables set on top; we want
 *   agents to see only what the OCF API defines.
 * - stdout and stderr are collected without a bound; an agent printing without end grows the
 *   daemon.
 * - Its SIGCHLD handling comes with Pacemaker's own mainloop wrappers and logging set-up, which
 *   clusterd does not otherwise use.
 * What it would give us (spawn, pipes, timeout, process-group kill, recurring ops) is a few
 * hundred lines on GLib, shared with the fencer in child.c, so we keep our own. */
#include "config.h"

#include "executor.h"

#include <errno.h>
#include <string.h>

#include "child.h"
#include "lrmstatus.h"
#include "vmha/ocf.h"

#define AGENT_PATH    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define META_DATA_MAX (1024 * 1024)

/* An action ready to spawn: what a caller asked for, checked and turned into argv and envp. */
typedef struct {
    char *rsc;
    char *action;
    char *name; /* for logs: rsc_action_interval */
    char **argv;
    char **envp;
    unsigned timeout_ms;
    unsigned interval_ms;
    unsigned kill_grace_ms;
    size_t output_max;
} Prepared;

typedef struct Monitor Monitor;

typedef struct {
    Prepared *prep;
    CdChild *child;
    guint idle; /* delivers a result made without a child (not installed, spawn failure) */
    CdExecStatus idle_status;
    CdAgentDone done;
    void *ctx;
} Run;

struct Monitor {
    Prepared *prep;
    unsigned interval_ms;
    int expected_rc;
    CdAgentDone report;
    void *ctx;
    guint tick;
    CdChild *child;
    bool have_last;
    CdExecStatus last_status;
    int last_rc;
};

static char *ocf_root;
static GHashTable *runs;     /* rsc -> Run*: caller's actions in flight */
static GList *anonymous;     /* Run* without a resource (meta-data) */
static GHashTable *monitors; /* rsc -> Monitor* */

static const char *const actions[] = {
        "start", "stop", "monitor", "migrate_to", "migrate_from", "meta-data", "validate-all",
};

const char *cd_exec_status_to_string(CdExecStatus status)
{
    switch (status) {
    case CD_EXEC_DONE:
        return "done";
    case CD_EXEC_TIMEOUT:
        return "timed out";
    case CD_EXEC_SIGNALED:
        return "killed by signal";
    case CD_EXEC_NOT_INSTALLED:
        return "not installed";
    case CD_EXEC_ERROR:
        return "could not run";
    }
    return "unknown";
}

int cd_exec_op_status(CdExecStatus status)
{
    switch (status) {
    case CD_EXEC_DONE:
        return VMHA_OP_STATUS_DONE;
    case CD_EXEC_TIMEOUT:
        return VMHA_OP_STATUS_TIMEOUT;
    case CD_EXEC_NOT_INSTALLED:
        return VMHA_OP_STATUS_NOT_INSTALLED;
    case CD_EXEC_SIGNALED:
    case CD_EXEC_ERROR:
        break;
    }
    return VMHA_OP_STATUS_ERROR;
}

static void prepared_free(Prepared *p)
{
    if (!p)
        return;
    g_free(p->rsc);
    g_free(p->action);
    g_free(p->name);
    g_strfreev(p->argv);
    g_strfreev(p->envp);
    g_free(p);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Prepared, prepared_free)

/* Provider and type come from the cluster database and become a path: one component only. */
static bool valid_component(const char *s)
{
    if (!s || !*s || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return false;
    for (const char *c = s; *c; c++)
        if (!g_ascii_isalnum(*c) && *c != '_' && *c != '-' && *c != '.')
            return false;
    return true;
}

static bool valid_chars(const char *s, const char *extra)
{
    if (!s || !*s)
        return false;
    for (const char *c = s; *c; c++)
        if (!g_ascii_isalnum(*c) && !strchr(extra, *c))
            return false;
    return true;
}

/* Parameter names become environment variable names. */
static bool valid_name(const char *s)
{
    return valid_chars(s, "_-.");
}

/* Resource ids are XML IDs as Pacemaker writes them (clone instances: "vm:0"). */
static bool valid_rsc(const char *s)
{
    return valid_chars(s, "_-.:");
}

static bool known_action(const char *action)
{
    for (size_t i = 0; i < G_N_ELEMENTS(actions); i++)
        if (action && strcmp(action, actions[i]) == 0)
            return true;
    return false;
}

/* Adds prefix+name=value for every entry, sorted so the environment is reproducible. */
static int add_attributes(GPtrArray *env, GHashTable *attrs, const char *prefix, bool is_meta)
{
    if (!attrs)
        return 0;
    g_autoptr(GList) names = g_list_sort(g_hash_table_get_keys(attrs), (GCompareFunc)strcmp);
    for (GList *l = names; l; l = l->next) {
        const char *name = l->data;
        const char *value = g_hash_table_lookup(attrs, name);
        if (!valid_name(name) || !value) {
            g_warning("invalid agent parameter name '%s'", name);
            return -EINVAL;
        }
        g_autofree char *key = g_strdup(name);
        if (is_meta) {
            g_strdelimit(key, "-", '_');
            /* Ours, from the action itself. */
            if (strcmp(key, "timeout") == 0 || strcmp(key, "interval") == 0)
                continue;
        }
        g_ptr_array_add(env, g_strdup_printf("%s%s=%s", prefix, key, value));
    }
    return 0;
}

static int prepare(const CdAgentAction *a, const char *action, unsigned interval_ms,
                   Prepared **ret_prep)
{
    g_autoptr(GPtrArray) env = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *path = NULL;
    const char *type = a->type;

    if (!known_action(action)) {
        g_warning("unknown agent action '%s'", action ? action : "(null)");
        return -EINVAL;
    }
    if (a->timeout_ms == 0) {
        g_warning("agent action %s without a timeout", action);
        return -EINVAL;
    }
    if (!a->rsc && strcmp(action, "meta-data") != 0) {
        g_warning("agent action %s without a resource", action);
        return -EINVAL;
    }
    if (a->rsc && !valid_rsc(a->rsc)) {
        g_warning("invalid resource id '%s'", a->rsc);
        return -EINVAL;
    }
    if (a->agent_path) {
        if (!g_path_is_absolute(a->agent_path)) {
            g_warning("agent path '%s' is not absolute", a->agent_path);
            return -EINVAL;
        }
        path = g_strdup(a->agent_path);
        if (!type)
            type = strrchr(a->agent_path, '/') + 1;
    } else {
        if (!valid_component(a->provider) || !valid_component(a->type)) {
            g_warning("invalid OCF agent '%s:%s'", a->provider ? a->provider : "",
                      a->type ? a->type : "");
            return -EINVAL;
        }
        path = g_build_filename(ocf_root, "resource.d", a->provider, a->type, NULL);
    }

    g_ptr_array_add(env, g_strdup("PATH=" AGENT_PATH));
    g_ptr_array_add(env, g_strdup("LC_ALL=C"));
    g_ptr_array_add(env, g_strdup_printf("OCF_ROOT=%s", ocf_root));
    /* The OCF API version the agent is run under (OCF RA API 1.1, "Environment variables"). */
    g_ptr_array_add(env, g_strdup("OCF_RA_VERSION_MAJOR=1"));
    g_ptr_array_add(env, g_strdup("OCF_RA_VERSION_MINOR=1"));
    if (a->rsc)
        g_ptr_array_add(env, g_strdup_printf("OCF_RESOURCE_INSTANCE=%s", a->rsc));
    if (type && *type)
        g_ptr_array_add(env, g_strdup_printf("OCF_RESOURCE_TYPE=%s", type));
    if (a->provider && *a->provider)
        g_ptr_array_add(env, g_strdup_printf("OCF_RESOURCE_PROVIDER=%s", a->provider));
    if (add_attributes(env, a->params, "OCF_RESKEY_", false) < 0 ||
        add_attributes(env, a->meta, "OCF_RESKEY_CRM_meta_", true) < 0)
        return -EINVAL;
    g_ptr_array_add(env, g_strdup_printf("OCF_RESKEY_CRM_meta_timeout=%u", a->timeout_ms));
    g_ptr_array_add(env, g_strdup_printf("OCF_RESKEY_CRM_meta_interval=%u", interval_ms));
    g_ptr_array_add(env, NULL);

    Prepared *p = g_new0(Prepared, 1);
    p->rsc = g_strdup(a->rsc);
    p->action = g_strdup(action);
    p->name = g_strdup_printf("%s_%s_%u", a->rsc ? a->rsc : type, action, interval_ms);
    p->argv = g_new0(char *, 3);
    p->argv[0] = g_steal_pointer(&path);
    p->argv[1] = g_strdup(action);
    p->envp = (char **)g_ptr_array_free(g_steal_pointer(&env), FALSE);
    p->timeout_ms = a->timeout_ms;
    p->interval_ms = interval_ms;
    p->kill_grace_ms = a->kill_grace_ms;
    p->output_max = a->output_max;
    if (!p->output_max && strcmp(action, "meta-data") == 0)
        p->output_max = META_DATA_MAX;
    *ret_prep = p;
    return 0;
}

static int spawn(const Prepared *p, CdChildDone done, void *ctx, CdChild **ret_child)
{
    CdChildSpec spec = {
            .name = p->name,
            .argv = (const char *const *)p->argv,
            .envp = (const char *const *)p->envp,
            .timeout_ms = p->timeout_ms,
            .kill_grace_ms = p->kill_grace_ms,
            .output_max = p->output_max,
    };
    return cd_child_spawn(&spec, done, ctx, ret_child);
}

static void fill_result(CdExecResult *res, const Prepared *p, const CdChildResult *cr)
{
    res->rsc = p->rsc;
    res->action = p->action;
    res->interval_ms = p->interval_ms;
    res->duration_ms = cr->duration_ms;
    res->signal = cr->signal;
    res->out = cr->out.data;
    res->out_len = cr->out.len;
    res->err = cr->err.data;
    res->err_len = cr->err.len;
    switch (cr->status) {
    case CD_CHILD_EXITED:
        res->status = CD_EXEC_DONE;
        res->rc = cr->exit_code;
        break;
    case CD_CHILD_TIMEOUT:
        res->status = CD_EXEC_TIMEOUT;
        res->rc = OCF_ERR_GENERIC;
        break;
    case CD_CHILD_SIGNALED:
        res->status = CD_EXEC_SIGNALED;
        res->rc = OCF_ERR_GENERIC;
        break;
    }
}

static void fill_synthetic(CdExecResult *res, const Prepared *p, CdExecStatus status)
{
    *res = (CdExecResult){
            .rsc = p->rsc,
            .action = p->action,
            .interval_ms = p->interval_ms,
            .status = status,
            .rc = status == CD_EXEC_NOT_INSTALLED ? OCF_ERR_INSTALLED : OCF_ERR_GENERIC,
            .out = "",
            .err = "",
    };
}

/* What an agent said on stderr besides its exit reason (vmha's agent notes events there, e.g. a
 * cold start because the save image was lost): logged, at most a few lines per action. */
static void log_agent_notes(const CdExecResult *res)
{
    if (!res->err || res->err_len == 0)
        return;
    g_autofree char *text = g_strndup(res->err, res->err_len);
    g_auto(GStrv) lines = g_strsplit(text, "\n", 9);
    for (size_t i = 0; lines[i] && i < 8; i++)
        if (*lines[i] && !g_str_has_prefix(lines[i], VMHA_OCF_EXIT_REASON_TAG))
            g_message("%s %s: agent: %s", res->action, res->rsc ? res->rsc : "-",
                      g_strchomp(g_strcanon(lines[i],
                                            G_CSET_a_2_z G_CSET_A_2_Z G_CSET_DIGITS
                                            " !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
                                            '?')));
}

static void log_result(const CdExecResult *res)
{
    log_agent_notes(res);
    if (res->status == CD_EXEC_DONE)
        g_debug("%s %s: rc %d (%s) in %" G_GINT64_FORMAT " ms", res->action,
                res->rsc ? res->rsc : "-", res->rc, vmha_ocf_exit_to_string(res->rc),
                res->duration_ms);
    else
        g_message("%s %s: %s (signal %d) after %" G_GINT64_FORMAT " ms", res->action,
                  res->rsc ? res->rsc : "-", cd_exec_status_to_string(res->status), res->signal,
                  res->duration_ms);
}

/* ---- one-shot actions ---- */

static void run_free(Run *run)
{
    if (run->idle)
        g_source_remove(run->idle);
    prepared_free(run->prep);
    g_free(run);
}

/* Forgets the run before its done is called, so done may start the next action at once. */
static void run_detach(Run *run)
{
    if (run->prep->rsc)
        g_hash_table_steal(runs, run->prep->rsc);
    else
        anonymous = g_list_remove(anonymous, run);
}

static void run_deliver(Run *run, CdExecResult *res)
{
    g_autofree char *reason = vmha_ocf_exit_reason(res->err, res->err_len);

    res->exit_reason = reason;
    log_result(res);
    run_detach(run);
    run->done(res, run->ctx);
    run_free(run);
}

static void on_run_done(const CdChildResult *cr, void *ctx)
{
    Run *run = ctx;
    CdExecResult res = {0};

    run->child = NULL;
    fill_result(&res, run->prep, cr);
    run_deliver(run, &res);
}

static gboolean on_run_idle(gpointer ctx)
{
    Run *run = ctx;
    CdExecResult res;

    run->idle = 0;
    fill_synthetic(&res, run->prep, run->idle_status);
    run_deliver(run, &res);
    return G_SOURCE_REMOVE;
}

static CdExecStatus spawn_failure_status(int r)
{
    return r == -ENOENT || r == -EACCES || r == -ENOEXEC ? CD_EXEC_NOT_INSTALLED : CD_EXEC_ERROR;
}

static void monitor_preempt(Monitor *m);

int cd_executor_run(const CdAgentAction *action, CdAgentDone done, void *ctx)
{
    g_autoptr(Prepared) prep = NULL;
    int r;

    g_return_val_if_fail(runs, -EINVAL);
    if (action->rsc && g_hash_table_contains(runs, action->rsc)) {
        g_info("refusing %s %s: another action for it is running", action->action, action->rsc);
        return -EBUSY;
    }
    r = prepare(action, action->action, action->interval_ms, &prep);
    if (r < 0)
        return r;

    if (prep->rsc) {
        Monitor *m = g_hash_table_lookup(monitors, prep->rsc);
        if (m)
            monitor_preempt(m);
    }

    Run *run = g_new0(Run, 1);
    run->prep = g_steal_pointer(&prep);
    run->done = done;
    run->ctx = ctx;
    r = spawn(run->prep, on_run_done, run, &run->child);
    if (r < 0) {
        run->idle_status = spawn_failure_status(r);
        run->idle = g_idle_add(on_run_idle, run);
    }
    if (run->prep->rsc)
        g_hash_table_insert(runs, run->prep->rsc, run);
    else
        anonymous = g_list_prepend(anonymous, run);
    return 0;
}

bool cd_executor_busy(const char *rsc)
{
    return runs && g_hash_table_contains(runs, rsc);
}

/* ---- recurring monitors ---- */

static gboolean on_monitor_tick(gpointer ctx);

static void monitor_schedule(Monitor *m, unsigned delay_ms)
{
    if (m->tick)
        g_source_remove(m->tick);
    m->tick = g_timeout_add(delay_ms, on_monitor_tick, m);
}

static void monitor_free(Monitor *m)
{
    if (m->tick)
        g_source_remove(m->tick);
    if (m->child)
        cd_child_cancel(m->child);
    prepared_free(m->prep);
    g_free(m);
}

/* A caller's action goes first: the run in flight is killed and its result dropped. */
static void monitor_preempt(Monitor *m)
{
    if (!m->child)
        return;
    g_debug("%s: cancelling the monitor in flight for a requested action", m->prep->rsc);
    cd_child_cancel(m->child);
    m->child = NULL;
    monitor_schedule(m, m->interval_ms);
}

static void monitor_result(Monitor *m, CdExecResult *res)
{
    g_autofree char *reason = vmha_ocf_exit_reason(res->err, res->err_len);
    bool changed = !m->have_last || m->last_status != res->status || m->last_rc != res->rc;
    bool failed = res->status != CD_EXEC_DONE || res->rc != m->expected_rc;

    res->exit_reason = reason;
    m->have_last = true;
    m->last_status = res->status;
    m->last_rc = res->rc;
    monitor_schedule(m, m->interval_ms);
    if (changed || failed) {
        log_result(res);
        /* Last: report may cancel, and so free, the monitor. */
        m->report(res, m->ctx);
    } else {
        /* Same result, but the agent noted something on the way (it waited for libvirtd). */
        log_agent_notes(res);
    }
}

static void on_monitor_done(const CdChildResult *cr, void *ctx)
{
    Monitor *m = ctx;
    CdExecResult res = {0};

    m->child = NULL;
    fill_result(&res, m->prep, cr);
    monitor_result(m, &res);
}

static gboolean on_monitor_tick(gpointer ctx)
{
    Monitor *m = ctx;
    int r;

    m->tick = 0;
    if (g_hash_table_contains(runs, m->prep->rsc)) {
        monitor_schedule(m, m->interval_ms);
        return G_SOURCE_REMOVE;
    }
    r = spawn(m->prep, on_monitor_done, m, &m->child);
    if (r < 0) {
        CdExecResult res;
        fill_synthetic(&res, m->prep, spawn_failure_status(r));
        monitor_result(m, &res);
    }
    return G_SOURCE_REMOVE;
}

int cd_executor_monitor_start(const CdAgentAction *action, unsigned interval_ms, int expected_rc,
                              CdAgentDone report, void *ctx)
{
    g_autoptr(Prepared) prep = NULL;
    int r;

    g_return_val_if_fail(monitors, -EINVAL);
    if (!action->rsc || interval_ms == 0) {
        g_warning("a recurring monitor needs a resource and an interval");
        return -EINVAL;
    }
    r = prepare(action, "monitor", interval_ms, &prep);
    if (r < 0)
        return r;

    Monitor *m = g_new0(Monitor, 1);
    m->prep = g_steal_pointer(&prep);
    m->interval_ms = interval_ms;
    m->expected_rc = expected_rc;
    m->report = report;
    m->ctx = ctx;
    g_hash_table_replace(monitors, m->prep->rsc, m);
    monitor_schedule(m, 0);
    return 0;
}

bool cd_executor_monitor_cancel(const char *rsc)
{
    return monitors && g_hash_table_remove(monitors, rsc);
}

/* ---- set-up ---- */

int cd_executor_init(const char *root)
{
    ocf_root = g_strdup(root ? root : VMHA_OCF_ROOT);
    runs = g_hash_table_new(g_str_hash, g_str_equal);
    monitors = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)monitor_free);
    return 0;
}

static void kill_run(Run *run)
{
    if (run->child)
        cd_child_cancel(run->child);
    run_free(run);
}

void cd_executor_finalise(void)
{
    if (monitors)
        g_hash_table_destroy(g_steal_pointer(&monitors));
    if (runs) {
        GHashTableIter it;
        gpointer value;
        g_hash_table_iter_init(&it, runs);
        while (g_hash_table_iter_next(&it, NULL, &value))
            kill_run(value);
        g_hash_table_destroy(g_steal_pointer(&runs));
    }
    g_list_free_full(g_steal_pointer(&anonymous), (GDestroyNotify)kill_run);
    /* Reaps what was just killed, so no agent outlives the daemon. */
    cd_child_finalise();
    g_clear_pointer(&ocf_root, g_free);
}
