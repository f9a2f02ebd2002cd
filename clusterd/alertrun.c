/* The alert agents (alertrun.h). */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <crm/common/xml.h>

#include "alertrun.h"
#include "alerts.h"
#include "cibdb.h"
#include "child.h"
#include "corosync.h"
#include "events.h"
#include "vmha/wire.h"

/* A recipient that cannot keep up: beyond this many waiting alerts the oldest are dropped (and
 * logged), so a hung mail server never makes clusterd's memory grow. */
#define QUEUE_MAX 200

typedef struct {
    char *name; /* "ALERT to RECIPIENT", for logs */
    char *path;
    char **env;
    unsigned timeout_ms;
} Job;

/* The alerts of one (alert, recipient): run one at a time. */
typedef struct {
    GQueue jobs;
    CdChild *child;
    Job *running;
} Lane;

static struct {
    GPtrArray *alerts;     /* VmhaAlert*, NULL: to read again from the database */
    GHashTable *lanes;     /* "ID\nRECIPIENT" -> Lane* */
    GHashTable *fence_how; /* node -> "DEVICE (ACTION)" of its last fencing attempt */
    char **members;        /* the last quorate view's nodes, NULL before the first */
    uint64_t sequence;     /* CRM_alert_node_sequence */
} A;

static void job_free(Job *j)
{
    g_free(j->name);
    g_free(j->path);
    g_strfreev(j->env);
    g_free(j);
}

static void lane_free(Lane *l)
{
    if (l->child)
        cd_child_cancel(l->child);
    if (l->running)
        job_free(l->running);
    g_queue_clear_full(&l->jobs, (GDestroyNotify)job_free);
    g_free(l);
}

/* The agent is run as root: only a file root owns and no one else may change. */
static bool path_trusted(const char *path, char **ret_why)
{
    struct stat st;

    if (stat(path, &st) < 0) {
        *ret_why = g_strdup_printf("%s: %s", path, g_strerror(errno));
        return false;
    }
    if (!S_ISREG(st.st_mode) || !(st.st_mode & S_IXUSR)) {
        *ret_why = g_strdup_printf("%s is not an executable file", path);
        return false;
    }
    if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH))) {
        *ret_why = g_strdup_printf("%s is not owned by root or is writable by others; alert "
                                   "agents run as root",
                                   path);
        return false;
    }
    return true;
}

static void lane_next(Lane *l);

static void on_agent_done(const CdChildResult *res, void *ctx)
{
    Lane *l = ctx;
    Job *j = l->running;

    l->child = NULL;
    l->running = NULL;
    if (res->status == CD_CHILD_TIMEOUT)
        g_warning("alert %s timed out after %u ms and was killed", j->name, j->timeout_ms);
    else if (res->status == CD_CHILD_SIGNALED)
        g_warning("alert %s was killed by signal %d", j->name, res->signal);
    else if (res->exit_code != 0)
        g_warning("alert %s failed (exit %d): %s", j->name, res->exit_code,
                  res->err.len ? g_strstrip(res->err.data) : "no output");
    else
        g_debug("alert %s done in %" G_GINT64_FORMAT " ms", j->name, res->duration_ms);
    job_free(j);
    lane_next(l);
}

static void lane_next(Lane *l)
{
    while (!l->child && !g_queue_is_empty(&l->jobs)) {
        Job *j = g_queue_pop_head(&l->jobs);
        g_autofree char *why = NULL;
        if (!path_trusted(j->path, &why)) {
            g_warning("alert %s not run: %s", j->name, why);
            job_free(j);
            continue;
        }
        const char *argv[] = {j->path, NULL};
        CdChildSpec spec = {.name = j->name,
                            .argv = argv,
                            .envp = (const char *const *)j->env,
                            .timeout_ms = j->timeout_ms};
        int r = cd_child_spawn(&spec, on_agent_done, l, &l->child);
        if (r < 0) {
            g_warning("alert %s cannot be run: %s", j->name, g_strerror(-r));
            job_free(j);
            continue;
        }
        l->running = j;
    }
}

static void enqueue(const VmhaAlert *a, const VmhaAlertRecipient *r, Job *j)
{
    g_autofree char *key = g_strdup_printf("%s\n%s", a->id, r ? r->value : "");
    Lane *l = g_hash_table_lookup(A.lanes, key);

    if (!l) {
        l = g_new0(Lane, 1);
        g_queue_init(&l->jobs);
        g_hash_table_insert(A.lanes, g_steal_pointer(&key), l);
    }
    if (g_queue_get_length(&l->jobs) >= QUEUE_MAX) {
        Job *old = g_queue_pop_head(&l->jobs);
        g_warning("alert %s: %d alerts waiting, the oldest dropped", old->name, QUEUE_MAX);
        job_free(old);
    }
    g_queue_push_tail(&l->jobs, j);
    lane_next(l);
}

static GPtrArray *alerts(void)
{
    if (!A.alerts) {
        g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
        A.alerts = vmha_alerts_read(cd_cibdb_current(), warnings);
        for (guint i = 0; i < warnings->len; i++)
            g_warning("%s", (const char *)g_ptr_array_index(warnings, i));
    }
    return A.alerts;
}

static void raise_alert(const VmhaAlertInfo *info)
{
    GPtrArray *all = alerts();
    int64_t now_us = g_get_real_time();

    for (guint i = 0; i < all->len; i++) {
        const VmhaAlert *a = g_ptr_array_index(all, i);
        if (!a->enabled || !(a->kinds & info->kind))
            continue;
        /* Without recipients the agent runs once, without CRM_alert_recipient (Pacemaker). */
        guint n = a->recipients->len ? a->recipients->len : 1;
        for (guint k = 0; k < n; k++) {
            const VmhaAlertRecipient *r =
                    a->recipients->len ? g_ptr_array_index(a->recipients, k) : NULL;
            if (r && !r->enabled)
                continue;
            Job *j = g_new0(Job, 1);
            j->name = r ? g_strdup_printf("%s to %s", a->id, r->value) : g_strdup(a->id);
            j->path = g_strdup(a->path);
            j->timeout_ms = (unsigned)MIN(r ? r->timeout_ms : a->timeout_ms, G_MAXUINT);
            j->env = vmha_alert_env(info, r, a, ++A.sequence, now_us, VMHA_PCMK_VERSION);
            enqueue(a, r, j);
        }
    }
}

static const char *local_name(void)
{
    return cd_node_name(cd_local_nodeid());
}

static void on_membership(const VmhaEvent *ev)
{
    char **members = NULL;
    g_auto(GStrv) joined = vmha_alert_members_joined(ev, A.members, &members);

    g_strfreev(A.members);
    A.members = members;
    for (size_t i = 0; joined[i]; i++) {
        VmhaAlertInfo info;
        vmha_alert_node_member(joined[i], cd_node_id_by_name(joined[i]), ev, &info);
        raise_alert(&info);
        vmha_alert_info_clear(&info);
    }
}

static void on_recorded(const CdEvent *event, void *user_data)
{
    const VmhaEvent *ev = event->history;
    VmhaAlertInfo info;

    if (ev->type == VMHA_EVENT_MEMBERSHIP) {
        on_membership(ev);
        return;
    }
    if (ev->type == VMHA_EVENT_FENCE_STARTED && ev->node) {
        g_hash_table_insert(A.fence_how, g_strdup(ev->node), g_strdup(ev->details));
        return;
    }
    if (vmha_alert_of_event(ev, ev->node ? g_hash_table_lookup(A.fence_how, ev->node) : NULL,
                            &info) < 0)
        return;
    /* A resource alert on the node the operation ran on, as Pacemaker's executor raises it. */
    if (info.kind == VMHA_ALERT_RESOURCE && g_strcmp0(info.node, local_name()) != 0) {
        vmha_alert_info_clear(&info);
        return;
    }
    if (info.kind == VMHA_ALERT_NODE)
        info.nodeid = cd_node_id_by_name(info.node);
    if (alerts()->len)
        raise_alert(&info);
    vmha_alert_info_clear(&info);
}

/* The alerts are read again after a write that changes them or a copy adopted from a peer. */
static void on_applied(const CdEvent *event, void *user_data)
{
    if (event->msg->type == VMHA_MSG_ALERT_ADD || event->msg->type == VMHA_MSG_ALERT_REMOVE)
        g_clear_pointer(&A.alerts, g_ptr_array_unref);
}

static void on_synced(const CdEvent *event, void *user_data)
{
    g_clear_pointer(&A.alerts, g_ptr_array_unref);
}

void cd_alerts_init(void)
{
    A.lanes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)lane_free);
    A.fence_how = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    cd_events_subscribe(CD_EVENT_APPLIED, on_applied, NULL);
    cd_events_subscribe(CD_EVENT_SYNCED, on_synced, NULL);
    cd_events_subscribe(CD_EVENT_RECORDED, on_recorded, NULL);
}

void cd_alerts_finalise(void)
{
    cd_events_unsubscribe(on_applied);
    cd_events_unsubscribe(on_synced);
    cd_events_unsubscribe(on_recorded);
    g_clear_pointer(&A.lanes, g_hash_table_destroy);
    g_clear_pointer(&A.fence_how, g_hash_table_destroy);
    g_clear_pointer(&A.alerts, g_ptr_array_unref);
    g_clear_pointer(&A.members, g_strfreev);
}
