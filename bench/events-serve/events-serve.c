/* events-serve SOCKET [EVENTS [NOW]]: answers every request on a unix socket as clusterd answers
 * EVENTS (cd_history_query: vmha_eventlog_select_text, then the reply's encoding) over a history of
 * EVENTS (default 10,000) events shaped as bench/events-bench writes them, so that `vmctl events`
 * and its parts can be timed and profiled without a lab (bench/events-read). Prints to stderr
 * what each answer cost it. The request itself is not read beyond its first bytes: every answer
 * is the whole history. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "eventlog.h"
#include "vmha/wire.h"

static double now_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static VmhaEventLog *synthetic_history(size_t n, int64_t now)
{
    static const VmhaEventType types[] = {
            VMHA_EVENT_START,  VMHA_EVENT_STOP,       VMHA_EVENT_PLANNED,     VMHA_EVENT_PROBE,
            VMHA_EVENT_CONFIG, VMHA_EVENT_MIGRATE_TO, VMHA_EVENT_MIGRATE_FROM};
    VmhaEventLog *log = vmha_eventlog_new(n, 0);

    for (size_t i = 1; i <= n; i++) {
        VmhaEventType t = types[i % G_N_ELEMENTS(types)];
        g_autofree char *node = g_strdup_printf("n%zu", 1 + i % 3);
        g_autofree char *vm = g_strdup_printf("vm%zu", i % 500);
        g_autofree char *command = g_strdup_printf("vmctl vm set vm%zu priority=%zu", i % 500, i);
        g_autofree char *details = g_strdup_printf("start on n%zu", 1 + i % 3);
        VmhaEvent ev = {.seq = i,
                        .time = now - 20000 + (int64_t)i,
                        .type = t,
                        .node = node,
                        .vm = vm,
                        .user = t == VMHA_EVENT_CONFIG ? (char *)"root" : NULL,
                        .command = t == VMHA_EVENT_CONFIG ? command : NULL,
                        .result = (char *)"ok",
                        .duration_ms = 1000 + (int64_t)(i % 700),
                        .details = t == VMHA_EVENT_PLANNED ? details : NULL};
        if (vmha_eventlog_add(log, &ev, now) < 0)
            abort();
    }
    return log;
}

static int answer(int fd, const VmhaEventLog *log)
{
    uint8_t req[4096];
    double t0 = now_ms();

    if (recv(fd, req, sizeof(req), 0) < 0)
        return -errno;
    double t1 = now_ms();
    GString *doc = g_string_sized_new(256 * vmha_eventlog_count(log) + 64);
    g_string_append(doc, "{\"events\":");
    vmha_eventlog_select_text(log, &(VmhaEventFilter){0}, doc);
    g_string_append_printf(doc, ",\"first_seq\":1,\"last_seq\":%" G_GUINT64_FORMAT "}",
                           vmha_eventlog_last_seq(log));
    g_autoptr(VmhaMsg) m = vmha_msg_new_bounded(VMHA_MSG_REPLY, VMHA_WIRE_MAX_REPLY_SIZE);
    g_autofree uint8_t *out = NULL;
    size_t len = 0;
    if (vmha_msg_add_u64(m, VMHA_F_RC, 0) < 0 || vmha_msg_add_str(m, VMHA_F_MESSAGE, "") < 0 ||
        vmha_msg_add_str(m, VMHA_F_JSON, doc->str) < 0 || vmha_msg_encode(m, &out, &len) < 0) {
        g_string_free(doc, TRUE);
        return -E2BIG;
    }
    g_string_free(doc, TRUE);
    double t2 = now_ms();
    for (size_t off = 0; off < len;) {
        ssize_t w = send(fd, out + off, len - off, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -errno;
        off += (size_t)w;
    }
    fprintf(stderr, "answer: %.1f ms to make, %.1f ms to send %zu bytes\n", t2 - t1, now_ms() - t2,
            len);
    (void)t0;
    return 0;
}

int main(int argc, char **argv)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t n = argc > 2 ? strtoul(argv[2], NULL, 10) : 10000;
    /* The same history from two servers started apart: their times from the same now. */
    int64_t now = argc > 3 ? strtoll(argv[3], NULL, 10) : (int64_t)time(NULL);

    if (argc < 2 || strlen(argv[1]) >= sizeof(sa.sun_path) || n == 0) {
        fprintf(stderr, "usage: events-serve SOCKET [EVENTS [NOW]]\n");
        return 2;
    }
    g_autoptr(VmhaEventLog) log = synthetic_history(n, now);
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    g_strlcpy(sa.sun_path, argv[1], sizeof(sa.sun_path));
    unlink(argv[1]);
    if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(s, 16) < 0) {
        fprintf(stderr, "events-serve: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    for (;;) {
        int c = accept(s, NULL, NULL);
        if (c < 0 && errno == EINTR)
            continue;
        if (c < 0)
            return 1;
        if (answer(c, log) < 0)
            fprintf(stderr, "events-serve: an answer failed\n");
        close(c);
    }
}
