/* Remote exec: root's `vmctl node exec NODE -- COMMAND` runs COMMAND on NODE through that node's
 * clusterd. The request and its result travel over CPG (EXEC_REQUEST, EXEC_RESULT), never
 * through the database: nothing of it is applied to the CIB.
 *
 * Exactly once: the origin sends one EXEC_REQUEST per vmctl request and never sends it again;
 * CPG delivers it once to the one target process it names (node id and pid), and the target also
 * remembers the requests it has run, so a duplicate could not start the command twice. When the
 * target leaves the view before its result is delivered, the origin answers that the outcome is
 * unknown rather than trying again. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "child.h"
#include "corosync.h"
#include "events.h"
#include "rexec.h"
#include "vmha/result.h"

/* The origin gives up this long after the command's own timeout (plus its kill grace). */
#define ORIGIN_SLACK_S 30
/* How many run requests a target remembers, to refuse a duplicate. */
#define SEEN_MAX 1024

typedef struct {
    uint64_t req_id;
    uint32_t target_node, target_pid;
    char *target_name;
    CdRexecDone done;
    void *ctx;
    guint timeout_src;
} Pending;

typedef struct {
    char *key; /* "ORIGIN_NODE:ORIGIN_PID:REQ_ID" */
    uint64_t origin_node, origin_pid, req_id;
    char *origin_name;
    unsigned timeout_s;
    CdChild *child;
} Running;

static struct {
    uint64_t next_req;
    GHashTable *pending; /* req_id -> Pending (origin side) */
    GHashTable *running; /* key -> Running (target side) */
    GHashTable *seen;    /* keys of requests run here */
    GQueue *seen_order;  /* the same keys, oldest first */
} R;

static void pending_free(gpointer p)
{
    Pending *w = p;

    if (w->timeout_src)
        g_source_remove(w->timeout_src);
    g_free(w->target_name);
    g_free(w);
}

static void running_free(gpointer p)
{
    Running *r = p;

    if (r->child)
        cd_child_cancel(r->child);
    g_free(r->key);
    g_free(r->origin_name);
    g_free(r);
}

/* Answers the waiting client (if it is still there) and forgets the request. */
static void finish(Pending *w, const CdRexecResult *res)
{
    uint64_t id = w->req_id;

    if (w->done)
        w->done(w->ctx, res);
    w->done = NULL;
    g_hash_table_remove(R.pending, &id);
}

static void finish_errorv(Pending *w, int rc, bool left, const char *fmt, va_list ap)
        G_GNUC_PRINTF(4, 0);
static void finish_errorv(Pending *w, int rc, bool left, const char *fmt, va_list ap)
{
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);

    g_message("exec %" PRIu64 " on %s: %s", w->req_id, w->target_name, msg);
    CdRexecResult res = {.rc = rc, .message = msg, .exit_status = -1, .target_left = left};
    finish(w, &res);
}

static void finish_error(Pending *w, int rc, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static void finish_error(Pending *w, int rc, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    finish_errorv(w, rc, false, fmt, ap);
    va_end(ap);
}

static void finish_left(Pending *w, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void finish_left(Pending *w, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    finish_errorv(w, VMHA_RESULT_FAILURE, true, fmt, ap);
    va_end(ap);
}

int cd_rexec_parse_timeout(const VmhaMsg *req, unsigned *ret_timeout_s)
{
    g_auto(GStrv) kvs = NULL;
    unsigned timeout = VMHA_EXEC_TIMEOUT_S;

    if (vmha_msg_get(req, VMHA_F_KV) && vmha_msg_get_strv(req, VMHA_F_KV, &kvs) < 0)
        return -EINVAL;
    for (size_t i = 0; kvs && kvs[i]; i++) {
        guint64 v = 0;
        if (!g_str_has_prefix(kvs[i], "timeout=") ||
            !g_ascii_string_to_unsigned(kvs[i] + strlen("timeout="), 10, 1, VMHA_EXEC_TIMEOUT_S, &v,
                                        NULL))
            return -EINVAL;
        timeout = (unsigned)v;
    }
    *ret_timeout_s = timeout;
    return 0;
}

static gboolean on_origin_timeout(gpointer user_data)
{
    Pending *w = user_data;

    w->timeout_src = 0;
    finish_error(w, VMHA_RESULT_FAILURE,
                 "no answer from %s in time; the command may or may not have run there",
                 w->target_name);
    return G_SOURCE_REMOVE;
}

/* The target's clusterd in the current view: its pid, or 0 when it is not a member. */
static uint32_t member_pid(uint32_t nodeid)
{
    size_t n = 0;
    const CdCpgMember *m = cd_cpg_members(&n);

    for (size_t i = 0; i < n; i++)
        if (m[i].nodeid == nodeid)
            return m[i].pid;
    return 0;
}

void cd_rexec_submit(const VmhaMsg *request, CdRexecDone done, void *ctx)
{
    g_autofree char *node = NULL, *command = NULL;
    unsigned timeout_s = 0;

    if (vmha_msg_get_str(request, VMHA_F_NODE, &node) < 0 ||
        vmha_msg_get_str(request, VMHA_F_COMMAND, &command) < 0 || !*command ||
        cd_rexec_parse_timeout(request, &timeout_s) < 0) {
        CdRexecResult res = {.rc = VMHA_RESULT_USAGE,
                             .message = "malformed exec request (node, command, timeout=1..86400)",
                             .exit_status = -1};
        done(ctx, &res);
        return;
    }
    uint32_t target = cd_node_id_by_name(node);
    if (!target) {
        g_autofree char *msg = g_strdup_printf("unknown node '%s'", node);
        CdRexecResult res = {.rc = VMHA_RESULT_NOT_FOUND, .message = msg, .exit_status = -1};
        done(ctx, &res);
        return;
    }
    uint32_t pid = cd_corosync_connected() ? member_pid(target) : 0;
    if (!pid) {
        g_autofree char *msg = g_strdup_printf(
                cd_corosync_connected()
                        ? "%s is not a member of the cluster (node down or clusterd not running "
                          "there); nothing was run"
                        : "not connected to corosync; nothing was run on %s",
                node);
        CdRexecResult res = {.rc = VMHA_RESULT_FAILURE, .message = msg, .exit_status = -1};
        done(ctx, &res);
        return;
    }

    Pending *w = g_new0(Pending, 1);
    w->req_id = ++R.next_req;
    w->target_node = target;
    w->target_pid = pid;
    w->target_name = g_strdup(node);
    w->done = done;
    w->ctx = ctx;

    g_autoptr(VmhaMsg) m = vmha_msg_new(VMHA_MSG_EXEC_REQUEST);
    g_autofree char *kv_timeout = g_strdup_printf("timeout=%u", timeout_s);
    g_autofree char *kv_target = g_strdup_printf("target=%u:%u", target, pid);
    if (vmha_msg_add_str(m, VMHA_F_NODE, node) < 0 ||
        vmha_msg_add_str(m, VMHA_F_COMMAND, command) < 0 ||
        vmha_msg_add_str(m, VMHA_F_KV, kv_timeout) < 0 ||
        vmha_msg_add_str(m, VMHA_F_KV, kv_target) < 0 ||
        vmha_msg_add_u64(m, VMHA_F_ORIGIN_NODE, cd_local_nodeid()) < 0 ||
        vmha_msg_add_u64(m, VMHA_F_ORIGIN_PID, (uint64_t)getpid()) < 0 ||
        vmha_msg_add_u64(m, VMHA_F_REQ_ID, w->req_id) < 0) {
        CdRexecResult res = {
                .rc = VMHA_RESULT_USAGE, .message = "the command is too long", .exit_status = -1};
        pending_free(w);
        done(ctx, &res);
        return;
    }
    g_hash_table_insert(R.pending, &w->req_id, w);
    g_message("exec %" PRIu64 " on %s (timeout %u s): %s", w->req_id, node, timeout_s, command);
    if (cd_cpg_send(m) < 0) {
        finish_error(w, VMHA_RESULT_FAILURE, "cannot send the request to %s; nothing was run",
                     node);
        return;
    }
    w->timeout_src = g_timeout_add_seconds(
            timeout_s + CD_CHILD_KILL_GRACE_MS / 1000 + ORIGIN_SLACK_S, on_origin_timeout, w);
}

void cd_rexec_forget(void *ctx)
{
    GHashTableIter it;
    gpointer value;

    if (!R.pending)
        return;
    g_hash_table_iter_init(&it, R.pending);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        Pending *w = value;
        if (w->ctx == ctx)
            w->done = NULL;
    }
}

/* Every request whose target's clusterd is not in the view any more gets its answer now. */
/* A new CPG view: a target that left it never answers. */
static void on_confchg(const CdEvent *event, void *user_data)
{
    const CdCpgMember *members = event->members;
    size_t n = event->n_members;

    if (!R.pending)
        return;
    GList *values = g_hash_table_get_values(R.pending);

    for (GList *l = values; l; l = l->next) {
        Pending *w = l->data;
        bool present = false;
        for (size_t i = 0; i < n && !present; i++)
            present = members[i].nodeid == w->target_node && members[i].pid == w->target_pid;
        if (!present)
            finish_left(w,
                        "%s left the cluster before answering; the command may or may not have "
                        "run there",
                        w->target_name);
    }
    g_list_free(values);
}

static void on_disconnect(const CdEvent *event, void *user_data)
{
    if (!R.pending)
        return;
    GList *values = g_hash_table_get_values(R.pending);

    for (GList *l = values; l; l = l->next) {
        Pending *w = l->data;
        finish_error(w, VMHA_RESULT_FAILURE,
                     "lost the connection to corosync; the command may or may not have run on %s",
                     w->target_name);
    }
    g_list_free(values);
}

/* --- the target's side ------------------------------------------------------------------------ */

static void remember(const char *key)
{
    g_hash_table_add(R.seen, g_strdup(key));
    g_queue_push_tail(R.seen_order, g_strdup(key));
    while (g_queue_get_length(R.seen_order) > SEEN_MAX) {
        g_autofree char *old = g_queue_pop_head(R.seen_order);
        g_hash_table_remove(R.seen, old);
    }
}

void cd_rexec_describe_end(const CdChildResult *res, unsigned timeout_s, int *ret_exit_status,
                           char **ret_message)
{
    switch (res->status) {
    case CD_CHILD_EXITED:
        *ret_exit_status = res->exit_code;
        *ret_message = g_strdup_printf("exited with status %d", res->exit_code);
        return;
    case CD_CHILD_SIGNALED:
        *ret_exit_status = 128 + res->signal;
        *ret_message =
                g_strdup_printf("killed by signal %d (%s)", res->signal, g_strsignal(res->signal));
        return;
    case CD_CHILD_TIMEOUT:
        *ret_exit_status = 128 + (res->signal ? res->signal : SIGKILL);
        *ret_message = g_strdup_printf("timed out after %u s and was killed", timeout_s);
        return;
    }
    *ret_exit_status = -1;
    *ret_message = g_strdup("ended in an unknown way");
}

char *cd_rexec_output(const CdChildResult *res, size_t *ret_len)
{
    GString *s = g_string_new(NULL);

    if (res->out.truncated || res->err.truncated)
        g_string_append_printf(s, "[clusterd: earlier output dropped; the last %u KiB follow]\n",
                               CD_REXEC_OUTPUT_MAX / 1024);
    g_string_append_len(s, res->out.data, (gssize)res->out.len);
    /* The shell's stderr goes to its stdout (the script begins with exec 2>&1); anything that
     * still came on stderr follows. */
    g_string_append_len(s, res->err.data, (gssize)res->err.len);
    *ret_len = s->len;
    return g_string_free(s, FALSE);
}

static void send_result(const Running *r, int exit_status, const char *message, const char *output,
                        size_t output_len, int64_t duration_ms)
{
    g_autoptr(VmhaMsg) m = vmha_msg_new(VMHA_MSG_EXEC_RESULT);
    g_autofree char *kv = g_strdup_printf("duration_ms=%" G_GINT64_FORMAT, duration_ms);

    if (vmha_msg_add_u64(m, VMHA_F_ORIGIN_NODE, r->origin_node) < 0 ||
        vmha_msg_add_u64(m, VMHA_F_ORIGIN_PID, r->origin_pid) < 0 ||
        vmha_msg_add_u64(m, VMHA_F_REQ_ID, r->req_id) < 0 ||
        vmha_msg_add_u64(m, VMHA_F_EXIT_STATUS, (uint64_t)(int64_t)exit_status) < 0 ||
        vmha_msg_add_str(m, VMHA_F_MESSAGE, message) < 0 ||
        vmha_msg_add_bytes(m, VMHA_F_OUTPUT, output, output_len) < 0 ||
        vmha_msg_add_str(m, VMHA_F_KV, kv) < 0 || cd_cpg_send(m) < 0)
        g_warning("exec %s: cannot send the result to node %" PRIu64
                  "; it will report the outcome as unknown",
                  r->key, r->origin_node);
}

static void on_child_done(const CdChildResult *res, void *ctx)
{
    Running *r = ctx;
    g_autofree char *message = NULL, *output = NULL;
    int exit_status = -1;
    size_t len = 0;

    r->child = NULL; /* freed by child.c after this call */
    cd_rexec_describe_end(res, r->timeout_s, &exit_status, &message);
    output = cd_rexec_output(res, &len);
    g_message("exec %s from %s %s (%" G_GINT64_FORMAT " ms, %zu bytes of output)", r->key,
              r->origin_name, message, res->duration_ms, len);
    send_result(r, exit_status, message, output, len, res->duration_ms);
    g_hash_table_remove(R.running, r->key);
}

static void on_request(uint32_t nodeid, uint32_t pid, const VmhaMsg *m)
{
    g_autofree char *command = NULL, *node = NULL;
    g_auto(GStrv) kvs = NULL;
    uint64_t origin = 0, origin_pid = 0, req = 0;
    uint32_t target = 0, target_pid = 0;
    unsigned timeout_s = VMHA_EXEC_TIMEOUT_S;

    if (vmha_msg_get_u64(m, VMHA_F_ORIGIN_NODE, &origin) < 0 ||
        vmha_msg_get_u64(m, VMHA_F_ORIGIN_PID, &origin_pid) < 0 ||
        vmha_msg_get_u64(m, VMHA_F_REQ_ID, &req) < 0 || origin != nodeid || origin_pid != pid ||
        vmha_msg_get_str(m, VMHA_F_COMMAND, &command) < 0 ||
        vmha_msg_get_str(m, VMHA_F_NODE, &node) < 0 || vmha_msg_get_strv(m, VMHA_F_KV, &kvs) < 0) {
        g_warning("dropping a malformed exec request from node %u", nodeid);
        return;
    }
    for (size_t i = 0; kvs[i]; i++) {
        guint64 v = 0;
        if (g_str_has_prefix(kvs[i], "timeout=") &&
            g_ascii_string_to_unsigned(kvs[i] + 8, 10, 1, VMHA_EXEC_TIMEOUT_S, &v, NULL))
            timeout_s = (unsigned)v;
        else if (sscanf(kvs[i], "target=%" SCNu32 ":%" SCNu32, &target, &target_pid) != 2)
            target = 0;
    }
    /* Only the process it was meant for: a clusterd restarted since then does not run it (its
     * origin sees the old process leave and answers "unknown"). */
    if (target != cd_local_nodeid() || target_pid != (uint32_t)getpid())
        return;

    g_autofree char *key =
            g_strdup_printf("%" PRIu64 ":%" PRIu64 ":%" PRIu64, origin, origin_pid, req);
    if (g_hash_table_contains(R.seen, key)) {
        g_warning("exec %s delivered again: not run a second time", key);
        return;
    }
    remember(key);

    Running *r = g_new0(Running, 1);
    r->key = g_strdup(key);
    r->origin_node = origin;
    r->origin_pid = origin_pid;
    r->req_id = req;
    r->origin_name = g_strdup(cd_node_name(nodeid) ?: "?");
    r->timeout_s = timeout_s;

    /* stderr joins stdout so the output reads in the order it was written. */
    g_autofree char *script = g_strdup_printf("exec 2>&1\n%s", command);
    g_autofree char *env_node = g_strdup_printf("VMHA_NODE=%s", node);
    g_autofree char *env_origin = g_strdup_printf("VMHA_EXEC_ORIGIN=%s", r->origin_name);
    const char *argv[] = {"/bin/sh", "-c", script, NULL};
    const char *envp[] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                          "LC_ALL=C",
                          "HOME=/root",
                          env_node,
                          env_origin,
                          NULL};
    g_autofree char *name = g_strdup_printf("exec %s", key);
    CdChildSpec spec = {
            .name = name,
            .argv = argv,
            .envp = envp,
            .timeout_ms = timeout_s * 1000,
            .output_max = CD_REXEC_OUTPUT_MAX,
    };
    g_message("exec %s from %s (timeout %u s): %s", key, r->origin_name, timeout_s, command);
    int rc = cd_child_spawn(&spec, on_child_done, r, &r->child);
    if (rc < 0) {
        g_autofree char *msg = g_strdup_printf("could not be started: %s", g_strerror(-rc));
        send_result(r, 127, msg, "", 0, 0);
        running_free(r);
        return;
    }
    g_hash_table_insert(R.running, r->key, r);
}

static void on_result(uint32_t nodeid, uint32_t pid, const VmhaMsg *m)
{
    uint64_t origin = 0, origin_pid = 0, req = 0, status = 0;
    g_autofree char *message = NULL;
    g_auto(GStrv) kvs = NULL;

    if (vmha_msg_get_u64(m, VMHA_F_ORIGIN_NODE, &origin) < 0 ||
        vmha_msg_get_u64(m, VMHA_F_ORIGIN_PID, &origin_pid) < 0 ||
        vmha_msg_get_u64(m, VMHA_F_REQ_ID, &req) < 0)
        return;
    if (origin != cd_local_nodeid() || origin_pid != (uint64_t)getpid())
        return;
    Pending *w = g_hash_table_lookup(R.pending, &req);
    /* Only from the process that was asked: anything else is not the answer to this request. */
    if (!w || w->target_node != nodeid || w->target_pid != pid)
        return;
    const VmhaWireField *out = vmha_msg_get(m, VMHA_F_OUTPUT);
    if (vmha_msg_get_u64(m, VMHA_F_EXIT_STATUS, &status) < 0 ||
        vmha_msg_get_str(m, VMHA_F_MESSAGE, &message) < 0 || !out) {
        finish_error(w, VMHA_RESULT_FAILURE, "malformed result from %s", w->target_name);
        return;
    }
    CdRexecResult res = {
            .rc = VMHA_RESULT_OK,
            .message = message,
            .exit_status = (int)(int64_t)status,
            .output = (const char *)out->data,
            .output_len = out->len,
    };
    if (vmha_msg_get(m, VMHA_F_KV) && vmha_msg_get_strv(m, VMHA_F_KV, &kvs) == 0)
        for (size_t i = 0; kvs[i]; i++)
            if (g_str_has_prefix(kvs[i], "duration_ms="))
                res.duration_ms = g_ascii_strtoll(kvs[i] + strlen("duration_ms="), NULL, 10);
    g_message("exec %" PRIu64 " on %s: %s", w->req_id, w->target_name, message);
    finish(w, &res);
}

static void on_deliver(const CdEvent *event, void *user_data)
{
    if (!R.pending)
        return; /* not initialised, or finalised */
    if (event->msg->type == VMHA_MSG_EXEC_REQUEST)
        on_request(event->nodeid, event->pid, event->msg);
    else if (event->msg->type == VMHA_MSG_EXEC_RESULT)
        on_result(event->nodeid, event->pid, event->msg);
}

void cd_rexec_init(void)
{
    R.pending = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, pending_free);
    R.running = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, running_free);
    R.seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    R.seen_order = g_queue_new();
    cd_events_subscribe(CD_EVENT_CPG_VIEW, on_confchg, NULL);
    cd_events_subscribe(CD_EVENT_DISCONNECTED, on_disconnect, NULL);
    cd_events_subscribe_message(VMHA_MSG_EXEC_REQUEST, on_deliver, NULL);
    cd_events_subscribe_message(VMHA_MSG_EXEC_RESULT, on_deliver, NULL);
}

void cd_rexec_finalise(void)
{
    cd_events_unsubscribe(on_confchg);
    cd_events_unsubscribe(on_disconnect);
    cd_events_unsubscribe(on_deliver);
    if (R.pending) {
        GList *values = g_hash_table_get_values(R.pending);
        for (GList *l = values; l; l = l->next)
            finish_error(l->data, VMHA_RESULT_FAILURE,
                         "clusterd is shutting down; the command may or may not have run");
        g_list_free(values);
    }
    g_clear_pointer(&R.pending, g_hash_table_unref);
    /* Commands still running are killed with their process group: none outlives clusterd. */
    g_clear_pointer(&R.running, g_hash_table_unref);
    g_clear_pointer(&R.seen, g_hash_table_unref);
    if (R.seen_order)
        g_queue_free_full(R.seen_order, g_free);
    R.seen_order = NULL;
}
