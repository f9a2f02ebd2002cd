/* The watchdog: a device that resets this host unless it is written to at least every timeout
 * seconds. clusterd feeds it from its main loop while it is healthy and not self-fenced
 * (selffence.c), so a hung clusterd and a self-fenced node both end in a reset.
 *
 * The Linux watchdog API (Documentation/watchdog/watchdog-api.rst): opening the device arms it, any
 * write feeds it, WDIOC_SETTIMEOUT sets the timeout, and writing 'V' just before close ("magic
 * close") disarms it, so that a clean exit does not reset the host. A path that is not a character
 * device (the lab's stand-in, a FIFO; a file in tests) gets the same writes and no ioctls. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/watchdog.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "watchdog.h"

static struct {
    int fd;
    char *path;
    unsigned timeout_s;
    bool feed_failed; /* the last feed failed: log the next success */
} W = {.fd = -1};

int cd_watchdog_init(const char *path, unsigned timeout_s)
{
    struct stat st;
    int fd;

    if (!path)
        return 0;
    if (timeout_s == 0)
        return -EINVAL;
    /* O_NONBLOCK: a FIFO without a reader fails (ENXIO) instead of hanging clusterd's start;
     * feeding never blocks the main loop either. O_CREAT never: a missing device is an error. */
    fd = open(path, O_WRONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        int r = -errno;
        g_warning("cannot open the watchdog %s: %s", path, g_strerror(-r));
        return r;
    }
    if (fstat(fd, &st) < 0) {
        int r = -errno;
        g_warning("cannot stat the watchdog %s: %s", path, g_strerror(-r));
        close(fd);
        return r;
    }
    if (S_ISCHR(st.st_mode)) {
        int t = (int)timeout_s;
        if (ioctl(fd, WDIOC_SETTIMEOUT, &t) < 0) {
            int r = -errno;
            g_warning("cannot set the timeout of the watchdog %s to %u s: %s", path, timeout_s,
                      g_strerror(-r));
            /* Armed by the open: disarm it before giving up. */
            if (write(fd, "V", 1) < 0) {
                /* nothing more to do: the close below still tries */
            }
            close(fd);
            return r;
        }
        /* The driver may round the timeout (to its hardware's steps): feed by what it took. */
        if (t > 0 && (unsigned)t != timeout_s) {
            g_message("watchdog %s: timeout %d s (asked for %u s)", path, t, timeout_s);
            timeout_s = (unsigned)t;
        }
    }
    W.fd = fd;
    W.path = g_strdup(path);
    W.timeout_s = timeout_s;
    W.feed_failed = false;
    g_message("watchdog %s armed, timeout %u s", path, timeout_s);
    return cd_watchdog_feed();
}

bool cd_watchdog_enabled(void)
{
    return W.fd >= 0;
}

unsigned cd_watchdog_timeout(void)
{
    return W.fd >= 0 ? W.timeout_s : 0;
}

int cd_watchdog_feed(void)
{
    if (W.fd < 0)
        return 0;
    /* Any byte but 'V' feeds (and never disarms). */
    errno = 0;
    if (write(W.fd, "1", 1) != 1) {
        int r = errno ? -errno : -EIO;
        if (!W.feed_failed)
            g_warning("cannot feed the watchdog %s: %s", W.path, g_strerror(-r));
        W.feed_failed = true;
        return r;
    }
    if (W.feed_failed)
        g_message("feeding the watchdog %s again", W.path);
    W.feed_failed = false;
    return 0;
}

void cd_watchdog_finalise(bool disarm)
{
    if (W.fd < 0)
        return;
    if (disarm) {
        if (write(W.fd, "V", 1) != 1)
            g_warning("cannot disarm the watchdog %s: %s", W.path, g_strerror(errno));
        else
            g_message("watchdog %s disarmed", W.path);
    } else {
        /* Closed armed: the device resets this host at its timeout. */
        g_warning("watchdog %s left armed: this host will be reset", W.path);
    }
    close(W.fd);
    W.fd = -1;
    g_clear_pointer(&W.path, g_free);
    W.timeout_s = 0;
}
