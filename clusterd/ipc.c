/* The local socket for vmctl: one request per connection, answered with one REPLY. The peer's
 * credentials (SO_PEERCRED) decide: root and members of the admin group may write, everyone
 * may read. Anything malformed or oversized ends that connection only.
 *
 * The main loop never waits for a client: requests are read as they come (partial reads are
 * kept), replies are queued and written as far as the socket takes them, and a client that takes
 * no byte of its reply for CLIENT_STALL_TIMEOUT_S is dropped. Connections are counted per uid
 * (lib/connlimit.c) so that no user who may only read can lock root or the admin group out. */
#include "config.h"

#include <errno.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "connlimit.h"
#include "fencer.h"
#include "ipc.h"
#include "options.h"
#include "outqueue.h"
#include "rexec.h"
#include "history.h"
#include "sync.h"
#include "views.h"
#include "vmattr.h"
#include "vmha/result.h"

#define CLIENT_IDLE_TIMEOUT_S  10 /* to send a whole request */
#define CLIENT_STALL_TIMEOUT_S 10 /* without taking a byte of its reply */
#define LISTEN_BACKLOG         128
#define ACCEPT_BATCH           64 /* connections taken per main loop iteration */
/* Replies waiting for readers outside root and the admin group, together: a few copies of the
 * largest database, not one per connection. A reply that does not fit is refused ("busy"). */
#define OTHERS_OUTPUT_BUDGET ((size_t)4 * VMHA_DB_MAX_SIZE)
/* Replies this small are always queued: the refusal itself, errors, most JSON answers. */
#define SMALL_REPLY (64 * 1024)

typedef struct {
    int fd;
    struct ucred cred;
    VmhaPeerClass cls;
    GByteArray *in;
    VmhaOutQueue out;
    guint io_src, timer_src;
    GIOCondition watching; /* what io_src waits for */
    bool answered;         /* the reply is queued: the connection ends once it is written */
} Client;

static struct {
    int fd;
    guint src, accept_pause_src;
    char *path;
    GHashTable *clients; /* Client* set */
    VmhaConnLimits *limits;
    size_t others_queued; /* bytes of replies queued for VMHA_PEER_OTHER clients */
    unsigned refused;     /* connections refused since the last log line about it */
    gint64 refused_logged;
} ipc = {.fd = -1};

static void client_free(Client *c)
{
    cd_sync_forget(c);
    cd_rexec_forget(c);
    if (c->io_src)
        g_source_remove(c->io_src);
    if (c->timer_src)
        g_source_remove(c->timer_src);
    close(c->fd);
    if (c->cls == VMHA_PEER_OTHER)
        ipc.others_queued -= vmha_outq_queued(&c->out);
    vmha_outq_clear(&c->out);
    vmha_conn_release(ipc.limits, c->cred.uid, c->cls);
    g_byte_array_unref(c->in);
    g_free(c);
}

static void client_close(Client *c)
{
    g_hash_table_remove(ipc.clients, c);
    client_free(c);
}

static gboolean on_client_io(gint fd, GIOCondition cond, gpointer user_data);

/* Watches the client's socket for cond (0: not at all). */
static void client_watch(Client *c, GIOCondition cond)
{
    if (c->io_src && c->watching == cond)
        return;
    if (c->io_src)
        g_source_remove(c->io_src);
    c->io_src = cond ? g_unix_fd_add(c->fd, cond, on_client_io, c) : 0;
    c->watching = cond;
}

static void client_timer(Client *c, guint seconds, GSourceFunc fn)
{
    if (c->timer_src)
        g_source_remove(c->timer_src);
    c->timer_src = fn ? g_timeout_add_seconds(seconds, fn, c) : 0;
}

static gboolean on_stall_check(gpointer user_data)
{
    Client *c = user_data;

    if (!vmha_outq_stalled(&c->out, g_get_monotonic_time(),
                           CLIENT_STALL_TIMEOUT_S * G_USEC_PER_SEC))
        return G_SOURCE_CONTINUE;
    g_message("dropping a client of uid %u (pid %d): it took nothing of its reply for %d s "
              "(%zu bytes left)",
              (unsigned)c->cred.uid, (int)c->cred.pid, CLIENT_STALL_TIMEOUT_S,
              vmha_outq_queued(&c->out));
    c->timer_src = 0;
    client_close(c);
    return G_SOURCE_REMOVE;
}

/* Writes what the socket takes now; the rest waits for G_IO_OUT. May free c. */
static void client_flush(Client *c)
{
    const uint8_t *data;
    size_t len;

    while (vmha_outq_peek(&c->out, &data, &len)) {
        ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            client_watch(c, G_IO_OUT | G_IO_HUP | G_IO_ERR);
            if (!c->timer_src)
                client_timer(c, 1, on_stall_check);
            return;
        }
        if (n <= 0) {
            client_close(c); /* the client went away */
            return;
        }
        vmha_outq_consumed(&c->out, (size_t)n, g_get_monotonic_time());
        if (c->cls == VMHA_PEER_OTHER)
            ipc.others_queued -= (size_t)n;
    }
    if (c->answered)
        client_close(c);
}

static GBytes *encode(const VmhaMsg *m)
{
    uint8_t *buf = NULL;
    size_t len = 0;

    if (vmha_msg_encode(m, &buf, &len) < 0)
        return NULL;
    return g_bytes_new_take(buf, len);
}

static GBytes *encode_reply(int rc, const char *message, uint16_t tag, const char *value)
{
    g_autoptr(VmhaMsg) m = vmha_msg_new_bounded(VMHA_MSG_REPLY, VMHA_WIRE_MAX_REPLY_SIZE);

    if (vmha_msg_add_u64(m, VMHA_F_RC, (uint64_t)rc) < 0 ||
        vmha_msg_add_str(m, VMHA_F_MESSAGE, message ? message : "") < 0 ||
        (value && vmha_msg_add_str(m, tag, value) < 0))
        return NULL;
    return encode(m);
}

/* Queues the client's reply and ends the connection once it is written. May free c. */
static void client_answer(Client *c, GBytes *reply)
{
    g_autoptr(GBytes) busy = NULL;

    if (!reply) {
        g_warning("cannot encode a reply");
        client_close(c);
        return;
    }
    size_t len = g_bytes_get_size(reply);
    if (c->cls == VMHA_PEER_OTHER && len > SMALL_REPLY &&
        ipc.others_queued + len > OTHERS_OUTPUT_BUDGET) {
        g_message("refusing a %zu-byte reply to uid %u: %zu bytes already wait for readers", len,
                  (unsigned)c->cred.uid, ipc.others_queued);
        busy = encode_reply(VMHA_RESULT_REFUSED,
                            "clusterd is busy sending large replies to other users; try again", 0,
                            NULL);
        reply = busy;
        len = g_bytes_get_size(reply);
    }
    if (vmha_outq_push(&c->out, reply, VMHA_WIRE_MAX_REPLY_SIZE, g_get_monotonic_time()) < 0) {
        client_close(c);
        return;
    }
    if (c->cls == VMHA_PEER_OTHER)
        ipc.others_queued += len;
    c->answered = true;
    client_watch(c, 0);
    client_timer(c, 0, NULL);
    client_flush(c);
}

/* A reply with an optional payload field (tag, value); -E2BIG when it does not fit in a message
 * (nothing is sent then). */
static int send_reply_payload(Client *c, int rc, const char *message, uint16_t tag,
                              const char *value)
{
    GBytes *b = encode_reply(rc, message, tag, value);

    if (!b)
        return -E2BIG;
    client_answer(c, b);
    g_bytes_unref(b);
    return 0;
}

static void send_reply(Client *c, int rc, const char *message, const char *json)
{
    if (send_reply_payload(c, rc, message, VMHA_F_JSON, json) < 0 &&
        send_reply_payload(c, VMHA_RESULT_FAILURE, "the answer is too large for one reply", 0,
                           NULL) < 0)
        client_close(c);
}

static bool in_admin_group(const struct ucred *cred)
{
    if (!cd_config.admin_group)
        return false;
    struct group *gr = getgrnam(cd_config.admin_group);
    if (!gr)
        return false;
    if (cred->gid == gr->gr_gid)
        return true;
    struct passwd *pw = getpwuid(cred->uid);
    if (!pw)
        return false;
    int ngroups = 256;
    gid_t groups[256];
    if (getgrouplist(pw->pw_name, pw->pw_gid, groups, &ngroups) < 0)
        return false;
    for (int i = 0; i < ngroups; i++)
        if (groups[i] == gr->gr_gid)
            return true;
    return false;
}

/* Who the peer is, once per connection: root, the admin group (may write), or a reader. */
static VmhaPeerClass classify(const struct ucred *cred)
{
    if (cred->uid == 0)
        return VMHA_PEER_ROOT;
    if (cred->uid != (uid_t)-1 && in_admin_group(cred))
        return VMHA_PEER_ADMIN;
    return VMHA_PEER_OTHER;
}

static int stamp_caller(VmhaMsg *m, const struct ucred *cred)
{
    struct passwd *pw = cred->uid != (uid_t)-1 ? getpwuid(cred->uid) : NULL;

    if (vmha_msg_add_u64(m, VMHA_F_CALLER_UID, (uint64_t)cred->uid) < 0)
        return -E2BIG;
    return pw ? vmha_msg_add_str(m, VMHA_F_CALLER_USER, pw->pw_name) : 0;
}

/* The filters of an EVENTS request: F_KV since_seq=N, since_time=SECONDS, vm=NAME, node=NAME. The
 * strings point into req. */
static int events_filter(const VmhaMsg *req, VmhaEventFilter *ret, char **ret_error)
{
    for (guint i = 0; i < req->fields->len; i++) {
        const VmhaWireField *f = g_ptr_array_index(req->fields, i);
        const char *kv = (const char *)f->data;
        guint64 n = 0;
        if (f->tag != VMHA_F_KV)
            continue;
        if (strlen(kv) != f->len || !g_utf8_validate(kv, f->len, NULL))
            goto bad;
        if (g_str_has_prefix(kv, "since_seq=")) {
            if (!g_ascii_string_to_unsigned(kv + 10, 10, 0, G_MAXUINT64, &n, NULL))
                goto bad;
            ret->since_seq = n;
        } else if (g_str_has_prefix(kv, "since_time=")) {
            if (!g_ascii_string_to_unsigned(kv + 11, 10, 0, G_MAXINT64, &n, NULL))
                goto bad;
            ret->since_time = (int64_t)n;
        } else if (g_str_has_prefix(kv, "vm=")) {
            ret->vm = kv + 3;
        } else if (g_str_has_prefix(kv, "node=")) {
            ret->node = kv + 5;
        } else {
            goto bad;
        }
        continue;
    bad:
        *ret_error = g_strdup_printf("bad events filter: %.80s", kv);
        return -EINVAL;
    }
    return 0;
}

static void on_write_done(void *ctx, int rc, const char *message)
{
    send_reply(ctx, rc, message, NULL);
}

/* The answer to NODE_EXEC: rc and message, and when the command ran its exit status, output and
 * duration. */
static void on_exec_done(void *ctx, const CdRexecResult *res)
{
    Client *c = ctx;
    g_autoptr(VmhaMsg) m = vmha_msg_new(VMHA_MSG_REPLY);
    g_autofree char *kv = g_strdup_printf("duration_ms=%" G_GINT64_FORMAT, res->duration_ms);

    /* target=left: the target's clusterd left first (a rebooting node does that). */
    if (vmha_msg_add_u64(m, VMHA_F_RC, (uint64_t)res->rc) < 0 ||
        vmha_msg_add_str(m, VMHA_F_MESSAGE, res->message ? res->message : "") < 0 ||
        (res->target_left && vmha_msg_add_str(m, VMHA_F_KV, "target=left") < 0) ||
        (res->rc == VMHA_RESULT_OK &&
         (vmha_msg_add_u64(m, VMHA_F_EXIT_STATUS, (uint64_t)(int64_t)res->exit_status) < 0 ||
          vmha_msg_add_bytes(m, VMHA_F_OUTPUT, res->output, res->output_len) < 0 ||
          vmha_msg_add_str(m, VMHA_F_KV, kv) < 0))) {
        send_reply(c, VMHA_RESULT_FAILURE, "cannot encode the command's result", NULL);
        return;
    }
    GBytes *b = encode(m);
    client_answer(c, b);
    if (b)
        g_bytes_unref(b);
}

/* Stops reading and the idle timeout: the client waits for an answer that takes a while. */
static void client_wait(Client *c)
{
    client_watch(c, 0);
    client_timer(c, 0, NULL);
}

static void handle(Client *c, const VmhaMsg *req)
{
    g_autofree char *json = NULL;

    switch (req->type) {
    case VMHA_MSG_STATUS:
        json = cd_view_status();
        break;
    case VMHA_MSG_NODE_LIST:
        json = cd_view_nodes();
        break;
    case VMHA_MSG_VM_LIST:
        json = cd_view_vms();
        break;
    case VMHA_MSG_CONFIG_SHOW:
        json = cd_view_config();
        break;
    case VMHA_MSG_FENCE_LIST:
        json = cd_view_fences();
        break;
    case VMHA_MSG_ALERT_LIST:
        json = cd_view_alerts();
        break;
    case VMHA_MSG_EVENTS: {
        VmhaEventFilter filter = {0};
        g_autofree char *error = NULL;
        if (events_filter(req, &filter, &error) < 0) {
            send_reply(c, VMHA_RESULT_USAGE, error, NULL);
            return;
        }
        json = cd_history_query(&filter);
        break;
    }
    case VMHA_MSG_CIB_QUERY: {
        g_autofree char *xml = NULL, *error = NULL;
        if (cd_view_cib_redacted(&xml, &error) < 0)
            send_reply(c, VMHA_RESULT_FAILURE, error, NULL);
        else if (send_reply_payload(c, VMHA_RESULT_OK, "ok", VMHA_F_CIB, xml) < 0)
            send_reply(c, VMHA_RESULT_FAILURE, "the database is too large for one reply", NULL);
        return;
    }
    case VMHA_MSG_VM_ADD:
    case VMHA_MSG_VM_ADD_MANY:
    case VMHA_MSG_VM_REMOVE:
    case VMHA_MSG_VM_SET:
    case VMHA_MSG_VM_CLEANUP:
    case VMHA_MSG_FENCE_ADD:
    case VMHA_MSG_FENCE_REMOVE:
    case VMHA_MSG_FENCE_SET:
    case VMHA_MSG_NODE_DRAIN:
    case VMHA_MSG_NODE_RESUME:
    case VMHA_MSG_VM_MOVE:
    case VMHA_MSG_CONFIG_SET:
    case VMHA_MSG_ALERT_ADD:
    case VMHA_MSG_ALERT_REMOVE:
    case VMHA_MSG_NODE_FENCE: {
        /* Powering a node off is for root alone, not for the admin group; so is an alert, whose
         * agent every clusterd runs as root. */
        bool alert = req->type == VMHA_MSG_ALERT_ADD || req->type == VMHA_MSG_ALERT_REMOVE;
        bool allowed = req->type == VMHA_MSG_NODE_FENCE || alert ? c->cls == VMHA_PEER_ROOT
                                                                 : c->cls != VMHA_PEER_OTHER;
        if (!allowed) {
            send_reply(c, VMHA_RESULT_DENIED,
                       req->type == VMHA_MSG_NODE_FENCE
                               ? "permission denied: only root may fence a node"
                       : alert ? "permission denied: only root may change alerts (their agents "
                                 "run as root)"
                               : "permission denied: only root or the admin group may change "
                                 "the cluster",
                       NULL);
            return;
        }
        /* Origin and caller fields are ours to add; a client must not forge them. */
        if (vmha_msg_get(req, VMHA_F_ORIGIN_NODE) || vmha_msg_get(req, VMHA_F_ORIGIN_PID) ||
            vmha_msg_get(req, VMHA_F_REQ_ID) || vmha_msg_get(req, VMHA_F_CALLER_UID) ||
            vmha_msg_get(req, VMHA_F_CALLER_USER) || vmha_msg_get(req, VMHA_F_TIME) ||
            (req->type == VMHA_MSG_NODE_FENCE && vmha_msg_get(req, VMHA_F_KV))) {
            send_reply(c, VMHA_RESULT_USAGE, "malformed request", NULL);
            return;
        }
        g_autofree char *refusal = NULL;
        int refused = cd_fencer_check_request(req, c->cred.uid, &refusal);
        if (refused) {
            send_reply(c, refused, refusal, NULL);
            return;
        }
        /* Who asked travels with the write: the event history records it (history.c). */
        g_autoptr(VmhaMsg) stamped = vmha_msg_new(req->type);
        if (vmha_msg_copy_fields(stamped, req) < 0 || stamp_caller(stamped, &c->cred) < 0) {
            send_reply(c, VMHA_RESULT_USAGE, "request too large", NULL);
            return;
        }
        if (req->type == VMHA_MSG_NODE_FENCE) {
            /* Every member records the same time: the one this node received the request. */
            g_autofree char *kv = g_strdup_printf("requested=%" G_GINT64_FORMAT,
                                                  g_get_real_time() / G_USEC_PER_SEC);
            if (vmha_msg_add_str(stamped, VMHA_F_KV, kv) < 0) {
                send_reply(c, VMHA_RESULT_USAGE, "request too large", NULL);
                return;
            }
        }
        g_message("%s request from uid %u (pid %d)", vmha_msg_type_to_str(req->type),
                  (unsigned)c->cred.uid, (int)c->cred.pid);
        client_wait(c);
        cd_sync_submit(stamped, on_write_done, c);
        return;
    }
    case VMHA_MSG_NODE_EXEC:
        /* A shell on any node of the cluster: root alone, as for fencing. */
        if (c->cls != VMHA_PEER_ROOT) {
            send_reply(c, VMHA_RESULT_DENIED,
                       "permission denied: only root may run commands on a node", NULL);
            return;
        }
        if (vmha_msg_get(req, VMHA_F_ORIGIN_NODE) || vmha_msg_get(req, VMHA_F_ORIGIN_PID) ||
            vmha_msg_get(req, VMHA_F_REQ_ID)) {
            send_reply(c, VMHA_RESULT_USAGE, "malformed request", NULL);
            return;
        }
        g_message("node-exec request from uid %u (pid %d)", (unsigned)c->cred.uid,
                  (int)c->cred.pid);
        client_wait(c);
        cd_rexec_submit(req, on_exec_done, c);
        return;
    default:
        send_reply(c, VMHA_RESULT_USAGE, "unknown request", NULL);
        return;
    }
    send_reply(c, VMHA_RESULT_OK, "ok", json);
}

/* Reads what has arrived of the request, never more than is there. */
static void client_read(Client *c)
{
    uint8_t buf[65536];
    size_t total = 0;

    ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n <= 0) {
        client_close(c);
        return;
    }
    g_byte_array_append(c->in, buf, (guint)n);
    if (c->in->len < VMHA_WIRE_HEADER_SIZE)
        return;
    int r = vmha_msg_peek_length(c->in->data, c->in->len, &total);
    if (r == 0 && c->in->len < total)
        return;
    g_autoptr(VmhaMsg) req = NULL;
    if (r == 0 && c->in->len > total)
        r = -EBADMSG; /* one request per connection */
    if (r == 0)
        r = vmha_msg_decode(c->in->data, c->in->len, &req);
    client_wait(c);
    if (r < 0) {
        g_message("rejecting a %s request from uid %u", r == -E2BIG ? "oversized" : "malformed",
                  (unsigned)c->cred.uid);
        send_reply(c, VMHA_RESULT_USAGE, r == -E2BIG ? "request too large" : "malformed request",
                   NULL);
        return;
    }
    handle(c, req);
}

static gboolean on_client_io(gint fd, GIOCondition cond, gpointer user_data)
{
    Client *c = user_data;

    /* What follows may replace this source or free c: GLib ignores the return value of a
     * source destroyed during its dispatch. */
    if (cond & G_IO_OUT)
        client_flush(c);
    else if (c->answered)
        client_close(c); /* hung up before taking its reply */
    else
        client_read(c);
    return G_SOURCE_CONTINUE;
}

static gboolean on_client_timeout(gpointer user_data)
{
    Client *c = user_data;

    c->timer_src = 0;
    client_close(c);
    return G_SOURCE_REMOVE;
}

/* One line now and then for refused connections: an attacker must not fill the log. */
static void log_refused(const struct ucred *cred, const char *reason)
{
    gint64 now = g_get_monotonic_time();

    ipc.refused++;
    if (ipc.refused_logged && now - ipc.refused_logged < 10 * G_USEC_PER_SEC)
        return;
    g_message("refused %u connection%s in the last 10 s (the last from uid %u: %s)", ipc.refused,
              ipc.refused == 1 ? "" : "s", (unsigned)cred->uid, reason);
    ipc.refused = 0;
    ipc.refused_logged = now;
}

/* Tells a refused client why, without waiting: a small reply fits in any socket buffer. */
static void refuse(int fd, const struct ucred *cred, const char *reason)
{
    g_autoptr(GBytes) b = encode_reply(VMHA_RESULT_REFUSED, reason, 0, NULL);
    size_t len = 0;
    const void *data = b ? g_bytes_get_data(b, &len) : NULL;

    log_refused(cred, reason);
    if (data && send(fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
        g_debug("cannot tell a refused client why: %s", g_strerror(errno));
    close(fd);
}

static gboolean on_accept(gint fd, GIOCondition cond, gpointer user_data);

static gboolean on_accept_resume(gpointer user_data)
{
    ipc.accept_pause_src = 0;
    ipc.src = g_unix_fd_add(ipc.fd, G_IO_IN, on_accept, NULL);
    return G_SOURCE_REMOVE;
}

static gboolean on_accept(gint fd, GIOCondition cond, gpointer user_data)
{
    for (int i = 0; i < ACCEPT_BATCH; i++) {
        int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (cfd < 0 && errno == EINTR)
            continue;
        if (cfd < 0 &&
            (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)) {
            /* The pending connection stays readable: pause rather than spin. */
            g_warning("cannot accept a connection: %s", g_strerror(errno));
            ipc.src = 0;
            ipc.accept_pause_src = g_timeout_add(100, on_accept_resume, NULL);
            return G_SOURCE_REMOVE;
        }
        if (cfd < 0)
            break;
        struct ucred cred;
        socklen_t len = sizeof(cred);
        if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
            /* Without credentials we cannot tell who it is: treat as nobody. */
            cred.pid = 0;
            cred.uid = (uid_t)-1;
            cred.gid = (gid_t)-1;
        }
        VmhaPeerClass cls = classify(&cred);
        const char *reason = NULL;
        if (vmha_conn_admit(ipc.limits, cred.uid, cls, &reason) < 0) {
            refuse(cfd, &cred, reason);
            continue;
        }
        Client *c = g_new0(Client, 1);
        c->fd = cfd;
        c->cred = cred;
        c->cls = cls;
        c->in = g_byte_array_new();
        vmha_outq_init(&c->out);
        client_watch(c, G_IO_IN | G_IO_HUP | G_IO_ERR);
        client_timer(c, CLIENT_IDLE_TIMEOUT_S, on_client_timeout);
        g_hash_table_add(ipc.clients, c);
    }
    return G_SOURCE_CONTINUE;
}

int cd_ipc_init(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    g_autofree char *dir = g_path_get_dirname(path);

    if (strlen(path) >= sizeof(sa.sun_path)) {
        g_warning("socket path too long: %s", path);
        return -ENAMETOOLONG;
    }
    if (g_mkdir_with_parents(dir, 0755) < 0) {
        g_warning("cannot create %s: %s", dir, g_strerror(errno));
        return -errno;
    }
    ipc.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (ipc.fd < 0)
        return -errno;
    g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
    unlink(path); /* a stale socket from a killed clusterd */
    if (bind(ipc.fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(path, 0666) < 0 ||
        listen(ipc.fd, LISTEN_BACKLOG) < 0) {
        int r = -errno;
        g_warning("cannot listen on %s: %s", path, g_strerror(errno));
        close(ipc.fd);
        ipc.fd = -1;
        return r;
    }
    ipc.path = g_strdup(path);
    ipc.clients = g_hash_table_new(g_direct_hash, g_direct_equal);
    ipc.limits = vmha_conn_limits_new();
    ipc.src = g_unix_fd_add(ipc.fd, G_IO_IN, on_accept, NULL);
    return 0;
}

void cd_ipc_finalise(void)
{
    if (ipc.clients) {
        GList *all = g_hash_table_get_keys(ipc.clients);
        for (GList *l = all; l; l = l->next)
            client_close(l->data);
        g_list_free(all);
        g_clear_pointer(&ipc.clients, g_hash_table_unref);
    }
    if (ipc.src)
        g_source_remove(ipc.src);
    ipc.src = 0;
    if (ipc.accept_pause_src)
        g_source_remove(ipc.accept_pause_src);
    ipc.accept_pause_src = 0;
    g_clear_pointer(&ipc.limits, vmha_conn_limits_free);
    if (ipc.fd >= 0) {
        close(ipc.fd);
        unlink(ipc.path);
    }
    ipc.fd = -1;
    g_clear_pointer(&ipc.path, g_free);
}
