#include "config.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ipcclient.h"

static int read_all(int fd, GByteArray *in, int timeout_ms)
{
    size_t total = 0;

    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, timeout_ms);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -ETIMEDOUT;
        uint8_t buf[65536];
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -ECONNRESET;
        g_byte_array_append(in, buf, (guint)n);
        if (in->len < VMHA_WIRE_HEADER_SIZE)
            continue;
        /* A reply may hold the whole database: more than any request may. */
        if ((r = vmha_msg_peek_length_bounded(in->data, in->len, VMHA_WIRE_MAX_REPLY_SIZE,
                                              &total)) < 0)
            return r;
        if (in->len >= total)
            return in->len == total ? 0 : -EBADMSG;
    }
}

VmhaIpcError vmha_ipc_exchange(const char *path, const VmhaMsg *req, int timeout_ms,
                               VmhaMsg **ret_reply, int *ret_rc, char **ret_message,
                               char **ret_error)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    g_autofree uint8_t *buf = NULL;
    size_t len = 0, off = 0;
    int fd, r;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        *ret_error = g_strdup("socket path too long");
        return VMHA_IPC_BAD_REQUEST;
    }
    if (vmha_msg_encode(req, &buf, &len) < 0) {
        *ret_error = g_strdup("request too large");
        return VMHA_IPC_BAD_REQUEST;
    }
    g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        *ret_error = g_strdup_printf("clusterd is not running (%s: %s)", path, g_strerror(e));
        return VMHA_IPC_NO_DAEMON;
    }
    bool sent = true;
    while (off < len) {
        ssize_t n = send(fd, buf + off, len - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            sent = false;
            break;
        }
        off += (size_t)n;
    }
    /* A connection clusterd refused (too many from this user) ends at once, before the request
     * is read; its reply saying why is still there to read. */
    g_autoptr(GByteArray) in = g_byte_array_new();
    r = read_all(fd, in, sent ? timeout_ms : 0);
    close(fd);
    if (!sent && r < 0) {
        *ret_error = g_strdup("lost the connection to clusterd");
        return VMHA_IPC_LOST;
    }
    if (r == -ETIMEDOUT) {
        *ret_error = g_strdup("clusterd did not answer in time");
        return VMHA_IPC_TIMEOUT;
    }
    if (r < 0) {
        *ret_error = g_strdup("clusterd closed the connection without an answer");
        return VMHA_IPC_LOST;
    }

    g_autoptr(VmhaMsg) reply = NULL;
    uint64_t rc = 0;
    g_autofree char *message = NULL;
    if (vmha_msg_decode_bounded(in->data, in->len, VMHA_WIRE_MAX_REPLY_SIZE, &reply) < 0 ||
        reply->type != VMHA_MSG_REPLY || vmha_msg_get_u64(reply, VMHA_F_RC, &rc) < 0 || rc > 255 ||
        vmha_msg_get_str(reply, VMHA_F_MESSAGE, &message) < 0) {
        *ret_error = g_strdup("malformed answer from clusterd");
        return VMHA_IPC_MALFORMED;
    }
    *ret_rc = (int)rc;
    *ret_message = g_steal_pointer(&message);
    *ret_reply = g_steal_pointer(&reply);
    return VMHA_IPC_OK;
}
