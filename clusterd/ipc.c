/* The local socket for vmctl: one request per connection, answered with one REPLY. The peer's
 * credentials (SO_PEERCRED) decide: root and members of the admin group may write, everyone
 * may read. Anything malformed or oversized ends that connection only. */
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

#include "clusterd.h"
#include "fencer.h"
#include "rexec.h"
#include "vmattr.h"
#include "vmctl/vmctl.h"

#define MAX_CLIENTS           64
#define CLIENT_IDLE_TIMEOUT_S 10

typedef struct {
    int fd;
    struct ucred cred;
    GByteArray *in;
    guint io_src, timeout_src;
    bool waiting; /* a write is in flight: no more input is read */
} Client;

static struct {
    int fd;
    guint src;
    char *path;
    GHashTable *clients; /* Client* set */
} ipc = {.fd = -1};

static void client_free(Client *c)
{
    cd_sync_forget(c);
    cd_rexec_forget(c);
    if (c->io_src)
        g_source_remove(c->io_src);
    if (c->timeout_src)
        g_source_remove(c->timeout_src);
    close(c->fd);
    g_byte_array_unref(c->in);
    g_free(c);
}

static void client_close(Client *c)
{
    g_hash_table_remove(ipc.clients, c);
    client_free(c);
}

/* Sends one encoded message; a client that does not read within the send timeout is dropped. */
static void send_msg(Client *c, const uint8_t *buf, size_t len)
{
    size_t off = 0;

    /* Most replies are small, a CIB is up to 4 MiB. */
    while (off < len) {
        ssize_t n = send(c->fd, buf + off, len - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            GPollFD p = {.fd = c->fd, .events = G_IO_OUT};
            if (g_poll(&p, 1, 5000) <= 0)
                return;
            continue;
        }
        if (n <= 0)
            return;
        off += (size_t)n;
    }
}

/* A reply with an optional payload field (tag, value); -E2BIG when it does not fit in a message. */
static int send_reply_payload(Client *c, int rc, const char *message, uint16_t tag,
                              const char *value)
{
    g_autoptr(VmhaMsg) m = vmha_msg_new(VMHA_MSG_REPLY);
    g_autofree uint8_t *buf = NULL;
    size_t len = 0;

    if (vmha_msg_add_u64(m, VMHA_F_RC, (uint64_t)rc) < 0 ||
        vmha_msg_add_str(m, VMHA_F_MESSAGE, message ? message : "") < 0 ||
        (value && vmha_msg_add_str(m, tag, value) < 0) || vmha_msg_encode(m, &buf, &len) < 0) {
        g_warning("cannot encode a reply");
        return -E2BIG;
    }
    send_msg(c, buf, len);
    return 0;
}

static void send_reply(Client *c, int rc, const char *message, const char *json)
{
    (void)send_reply_payload(c, rc, message, VMHA_F_JSON, json);
}

static bool may_write(const struct ucred *cred)
{
    if (cred->uid == 0)
        return true;
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

static void on_write_done(void *ctx, int rc, const char *message)
{
    Client *c = ctx;

    send_reply(c, rc, message, NULL);
    client_close(c);
}

/* The answer to NODE_EXEC: rc and message, and when the command ran its exit status, output and
 * duration. */
static void on_exec_done(void *ctx, const CdRexecResult *res)
{
    Client *c = ctx;
    g_autoptr(VmhaMsg) m = vmha_msg_new(VMHA_MSG_REPLY);
    g_autofree uint8_t *buf = NULL;
    g_autofree char *kv = g_strdup_printf("duration_ms=%" G_GINT64_FORMAT, res->duration_ms);
    size_t len = 0;

    /* target=left: the target's clusterd left first (a rebooting node does that). */
    if (vmha_msg_add_u64(m, VMHA_F_RC, (uint64_t)res->rc) < 0 ||
        vmha_msg_add_str(m, VMHA_F_MESSAGE, res->message ? res->message : "") < 0 ||
        (res->target_left && vmha_msg_add_str(m, VMHA_F_KV, "target=left") < 0) ||
        (res->rc == VMCTL_EXIT_OK &&
         (vmha_msg_add_u64(m, VMHA_F_EXIT_STATUS, (uint64_t)(int64_t)res->exit_status) < 0 ||
          vmha_msg_add_bytes(m, VMHA_F_OUTPUT, res->output, res->output_len) < 0 ||
          vmha_msg_add_str(m, VMHA_F_KV, kv) < 0)) ||
        vmha_msg_encode(m, &buf, &len) < 0)
        send_reply(c, VMCTL_EXIT_FAILURE, "cannot encode the command's result", NULL);
    else
        send_msg(c, buf, len);
    client_close(c);
}

/* Stops reading and the idle timeout: the client waits for an answer that takes a while. */
static void client_wait(Client *c)
{
    c->waiting = true;
    if (c->io_src)
        g_source_remove(c->io_src);
    c->io_src = 0;
    if (c->timeout_src)
        g_source_remove(c->timeout_src);
    c->timeout_src = 0;
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
    case VMHA_MSG_CIB_QUERY: {
        g_autofree char *xml = NULL, *error = NULL;
        if (cd_view_cib_redacted(&xml, &error) < 0)
            send_reply(c, VMCTL_EXIT_FAILURE, error, NULL);
        else if (send_reply_payload(c, VMCTL_EXIT_OK, "ok", VMHA_F_CIB, xml) < 0)
            send_reply(c, VMCTL_EXIT_FAILURE, "the database is too large for one reply", NULL);
        client_close(c);
        return;
    }
    case VMHA_MSG_VM_ADD:
    case VMHA_MSG_VM_REMOVE:
    case VMHA_MSG_VM_SET:
    case VMHA_MSG_VM_CLEANUP:
    case VMHA_MSG_FENCE_ADD:
    case VMHA_MSG_FENCE_REMOVE:
    case VMHA_MSG_NODE_DRAIN:
    case VMHA_MSG_NODE_RESUME:
    case VMHA_MSG_VM_MOVE:
    case VMHA_MSG_CONFIG_SET:
    case VMHA_MSG_NODE_FENCE: {
        /* Powering a node off is for root alone, not for the admin group. */
        bool allowed = req->type == VMHA_MSG_NODE_FENCE ? c->cred.uid == 0 : may_write(&c->cred);
        if (!allowed) {
            send_reply(c, VMCTL_EXIT_DENIED,
                       req->type == VMHA_MSG_NODE_FENCE
                               ? "permission denied: only root may fence a node"
                               : "permission denied: only root or the admin group may change "
                                 "the cluster",
                       NULL);
            client_close(c);
            return;
        }
        /* Origin fields are ours to add; a client must not forge them. */
        if (vmha_msg_get(req, VMHA_F_ORIGIN_NODE) || vmha_msg_get(req, VMHA_F_ORIGIN_PID) ||
            vmha_msg_get(req, VMHA_F_REQ_ID) ||
            (req->type == VMHA_MSG_NODE_FENCE && vmha_msg_get(req, VMHA_F_KV))) {
            send_reply(c, VMCTL_EXIT_USAGE, "malformed request", NULL);
            client_close(c);
            return;
        }
        g_autofree char *refusal = NULL;
        int refused = cd_fencer_check_request(req, c->cred.uid, &refusal);
        if (refused) {
            send_reply(c, refused, refusal, NULL);
            client_close(c);
            return;
        }
        g_autoptr(VmhaMsg) stamped = NULL;
        if (req->type == VMHA_MSG_NODE_FENCE) {
            /* Every member records the same time: the one this node received the request. */
            g_autofree char *kv = g_strdup_printf("requested=%" G_GINT64_FORMAT,
                                                  g_get_real_time() / G_USEC_PER_SEC);
            stamped = vmha_msg_new(req->type);
            if (vmha_msg_copy_fields(stamped, req) < 0 ||
                vmha_msg_add_str(stamped, VMHA_F_KV, kv) < 0) {
                send_reply(c, VMCTL_EXIT_USAGE, "request too large", NULL);
                client_close(c);
                return;
            }
        }
        g_message("%s request from uid %u (pid %d)", vmha_msg_type_to_str(req->type),
                  (unsigned)c->cred.uid, (int)c->cred.pid);
        client_wait(c);
        cd_sync_submit(stamped ? stamped : req, on_write_done, c);
        return;
    }
    case VMHA_MSG_NODE_EXEC:
        /* A shell on any node of the cluster: root alone, as for fencing. */
        if (c->cred.uid != 0) {
            send_reply(c, VMCTL_EXIT_DENIED,
                       "permission denied: only root may run commands on a node", NULL);
            client_close(c);
            return;
        }
        if (vmha_msg_get(req, VMHA_F_ORIGIN_NODE) || vmha_msg_get(req, VMHA_F_ORIGIN_PID) ||
            vmha_msg_get(req, VMHA_F_REQ_ID)) {
            send_reply(c, VMCTL_EXIT_USAGE, "malformed request", NULL);
            client_close(c);
            return;
        }
        g_message("node-exec request from uid %u (pid %d)", (unsigned)c->cred.uid,
                  (int)c->cred.pid);
        client_wait(c);
        cd_rexec_submit(req, on_exec_done, c);
        return;
    default:
        send_reply(c, VMCTL_EXIT_USAGE, "unknown request", NULL);
        client_close(c);
        return;
    }
    send_reply(c, VMCTL_EXIT_OK, "ok", json);
    client_close(c);
}

static gboolean on_client_io(gint fd, GIOCondition cond, gpointer user_data)
{
    Client *c = user_data;
    uint8_t buf[65536];
    size_t total = 0;

    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return G_SOURCE_CONTINUE;
    if (n <= 0) {
        c->io_src = 0;
        client_close(c);
        return G_SOURCE_REMOVE;
    }
    g_byte_array_append(c->in, buf, (guint)n);
    if (c->in->len < VMHA_WIRE_HEADER_SIZE)
        return G_SOURCE_CONTINUE;
    int r = vmha_msg_peek_length(c->in->data, c->in->len, &total);
    if (r == 0 && c->in->len < total)
        return G_SOURCE_CONTINUE;
    g_autoptr(VmhaMsg) req = NULL;
    if (r == 0 && c->in->len > total)
        r = -EBADMSG; /* one request per connection */
    if (r == 0)
        r = vmha_msg_decode(c->in->data, c->in->len, &req);
    c->io_src = 0; /* handle() and client_close() must not remove this source again */
    if (r < 0) {
        g_message("rejecting a %s request from uid %u", r == -E2BIG ? "oversized" : "malformed",
                  (unsigned)c->cred.uid);
        send_reply(c, VMCTL_EXIT_USAGE, r == -E2BIG ? "request too large" : "malformed request",
                   NULL);
        client_close(c);
        return G_SOURCE_REMOVE;
    }
    handle(c, req);
    return G_SOURCE_REMOVE;
}

static gboolean on_client_timeout(gpointer user_data)
{
    Client *c = user_data;

    c->timeout_src = 0;
    client_close(c);
    return G_SOURCE_REMOVE;
}

static gboolean on_accept(gint fd, GIOCondition cond, gpointer user_data)
{
    int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    socklen_t len = sizeof(struct ucred);

    if (cfd < 0)
        return G_SOURCE_CONTINUE;
    if (g_hash_table_size(ipc.clients) >= MAX_CLIENTS) {
        close(cfd);
        return G_SOURCE_CONTINUE;
    }
    Client *c = g_new0(Client, 1);
    c->fd = cfd;
    c->in = g_byte_array_new();
    if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &c->cred, &len) < 0) {
        /* Without credentials we cannot tell who it is: treat as nobody. */
        c->cred.uid = (uid_t)-1;
        c->cred.gid = (gid_t)-1;
    }
    c->io_src = g_unix_fd_add(cfd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_client_io, c);
    c->timeout_src = g_timeout_add_seconds(CLIENT_IDLE_TIMEOUT_S, on_client_timeout, c);
    g_hash_table_add(ipc.clients, c);
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
        listen(ipc.fd, 16) < 0) {
        int r = -errno;
        g_warning("cannot listen on %s: %s", path, g_strerror(errno));
        close(ipc.fd);
        ipc.fd = -1;
        return r;
    }
    ipc.path = g_strdup(path);
    ipc.clients = g_hash_table_new(g_direct_hash, g_direct_equal);
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
    if (ipc.fd >= 0) {
        close(ipc.fd);
        unlink(ipc.path);
    }
    ipc.fd = -1;
    g_clear_pointer(&ipc.path, g_free);
}
