/* Polling `vmctl status` for --wait: a fresh snapshot every second until a condition holds or
 * the deadline passes, printing a line each time what is watched changes. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "wait.h"

int vmctl_wait(const VmctlOptions *opts, unsigned timeout_s, VmctlWaitFn check, void *ctx)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_s * G_USEC_PER_SEC;
    g_autofree char *last = NULL;

    for (;;) {
        json_object *o = NULL;
        g_autoptr(VmhaMsg) req = vmha_msg_new(VMHA_MSG_STATUS);
        int rc = vmctl_call(opts, req, &o);
        if (rc != VMHA_RESULT_OK)
            return rc;
        g_autofree char *line = NULL;
        int done = check(o, ctx, &line);
        json_object_put(o);
        if (line && g_strcmp0(line, last) != 0) {
            if (!opts->json) {
                time_t now = time(NULL);
                struct tm tm;
                char ts[16];
                strftime(ts, sizeof(ts), "%H:%M:%S", localtime_r(&now, &tm));
                printf("%s %s\n", ts, line);
                fflush(stdout);
            }
            g_free(last);
            last = g_steal_pointer(&line);
        }
        if (done != 0)
            return done > 0 ? VMHA_RESULT_OK : VMHA_RESULT_FAILURE;
        if (g_get_monotonic_time() >= deadline)
            return -ETIMEDOUT;
        usleep(500 * 1000);
    }
}

int vmctl_parse_timeout(const char *s, unsigned *ret)
{
    guint64 v = 0;
    if (!g_ascii_string_to_unsigned(s, 10, 1, 86400, &v, NULL))
        return -1;
    *ret = (unsigned)v;
    return 0;
}
