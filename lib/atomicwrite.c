#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdarg.h>
#include <stdbool.h>
#include <unistd.h>

#include "atomicwrite.h"

/* Sets *error to "WHAT: strerror(e)" and returns -e. */
static int fail(GError **error, int e, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static int fail(GError **error, int e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *what = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "%s: %s", what, g_strerror(e));
    return -e;
}

static int write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

int vmha_atomic_write(const char *path, const void *data, size_t len, mode_t mode,
                      VmhaAtomicWriteFlags flags, GError **error)
{
    g_autofree char *tmp = g_strdup_printf("%s.tmp-XXXXXX", path);
    g_autofree char *dir = g_path_get_dirname(path);
    bool sync = !(flags & VMHA_ATOMIC_WRITE_NO_SYNC);
    int fd = g_mkstemp_full(tmp, O_WRONLY | O_CLOEXEC, (int)mode);
    int r;

    if (fd < 0)
        return fail(error, errno, "cannot create %s", tmp);
    r = write_all(fd, data, len);
    if (r == 0 && sync && fsync(fd) < 0)
        r = -errno;
    if (close(fd) < 0 && r == 0)
        r = -errno;
    if (r < 0) {
        unlink(tmp);
        return fail(error, -r, "cannot write %s", tmp);
    }
    if (rename(tmp, path) < 0) {
        int e = errno;
        unlink(tmp);
        return fail(error, e, "cannot rename %s to %s", tmp, path);
    }
    if (!sync)
        return 0;
    /* The rename is durable only once the directory is. */
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || fsync(dfd) < 0) {
        int e = errno;
        if (dfd >= 0)
            close(dfd);
        return fail(error, e, "cannot sync the directory %s", dir);
    }
    close(dfd);
    return 0;
}
