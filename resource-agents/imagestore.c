#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicwrite.h"
#include "imagestore.h"

char *vm_image_path(const char *dir, const char *name)
{
    return g_strdup_printf("%s/%s.save", dir, name);
}

char *vm_image_meta_path(const char *dir, const char *name)
{
    return g_strdup_printf("%s/%s.save.meta", dir, name);
}

/* Host names and PIDs can repeat across containers or PID namespaces sharing one storage: the
 * random part keeps temporary and claimed names unique anyway. */
static char *host_pid_tag(void)
{
    return g_strdup_printf("%s-%d-%08x", g_get_host_name(), (int)getpid(), g_random_int());
}

char *vm_image_tmp_path(const char *dir, const char *name)
{
    g_autofree char *tag = host_pid_tag();
    return g_strdup_printf("%s/.%s.save.tmp-%s", dir, name, tag);
}

int vm_image_ensure_dir(const char *dir, char **ret_error)
{
    if (g_mkdir_with_parents(dir, 0700) < 0) {
        *ret_error =
                g_strdup_printf("cannot create state directory %s: %s", dir, g_strerror(errno));
        return -1;
    }
    return 0;
}

static int fsync_path(const char *path, int flags, char **ret_error)
{
    int fd = open(path, flags | O_CLOEXEC);

    if (fd < 0 || fsync(fd) < 0) {
        *ret_error = g_strdup_printf("cannot sync %s: %s", path, g_strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    return 0;
}

int vm_image_write_meta(const char *dir, const char *name, const VmSaveMeta *meta, gboolean sync,
                        char **ret_error)
{
    g_autofree char *path = vm_image_meta_path(dir, name);
    g_autofree char *data = vm_save_meta_format(meta);
    g_autoptr(GError) err = NULL;

    if (vmha_atomic_write(path, data, strlen(data), 0600,
                          sync ? VMHA_ATOMIC_WRITE_SYNC : VMHA_ATOMIC_WRITE_NO_SYNC, &err) < 0) {
        *ret_error = g_strdup(err->message);
        return -1;
    }
    return 0;
}

int vm_image_commit(const char *tmp, const char *dir, const char *name, gboolean sync_data,
                    uint64_t *ret_size, char **ret_error)
{
    g_autofree char *path = vm_image_path(dir, name);
    struct stat st;

    if (sync_data && fsync_path(tmp, O_RDONLY, ret_error) < 0)
        return -1;
    if (stat(tmp, &st) < 0) {
        *ret_error = g_strdup_printf("cannot stat %s: %s", tmp, g_strerror(errno));
        return -1;
    }
    if (rename(tmp, path) < 0) {
        *ret_error = g_strdup_printf("cannot rename %s to %s: %s", tmp, path, g_strerror(errno));
        return -1;
    }
    if (sync_data && fsync_path(dir, O_RDONLY | O_DIRECTORY, ret_error) < 0)
        return -1;
    *ret_size = (uint64_t)st.st_size;
    return 0;
}

int vm_image_lookup(const char *dir, const char *name, VmSaveMeta **ret_meta, uint64_t *ret_size,
                    char **ret_problem, char **ret_error)
{
    g_autofree char *path = vm_image_path(dir, name);
    g_autofree char *meta_path = vm_image_meta_path(dir, name);
    g_autofree char *buf = NULL;
    g_autoptr(GError) err = NULL;
    gsize len;
    struct stat st;

    if (stat(path, &st) < 0) {
        if (errno == ENOENT)
            return 0;
        *ret_error = g_strdup_printf("cannot stat %s: %s", path, g_strerror(errno));
        return -1;
    }
    *ret_size = (uint64_t)st.st_size;
    *ret_meta = NULL;
    if (!g_file_get_contents(meta_path, &buf, &len, &err)) {
        *ret_problem = g_strdup_printf("image has no readable metadata (%s)", err->message);
        return 1;
    }
    if (vm_save_meta_parse(buf, len, ret_meta, ret_problem) < 0)
        *ret_meta = NULL;
    return 1;
}

int vm_image_claim(const char *dir, const char *name, char **ret_path, char **ret_error)
{
    g_autofree char *path = vm_image_path(dir, name);
    g_autofree char *tag = host_pid_tag();
    g_autofree char *claimed = g_strdup_printf("%s.restoring-%s", path, tag);

    if (rename(path, claimed) < 0) {
        if (errno == ENOENT)
            return 1;
        *ret_error = g_strdup_printf("cannot claim %s: %s", path, g_strerror(errno));
        return -1;
    }
    *ret_path = g_steal_pointer(&claimed);
    return 0;
}

int vm_image_release(const char *dir, const char *name, const char *claimed, char **ret_error)
{
    g_autofree char *path = vm_image_path(dir, name);

    if (rename(claimed, path) < 0) {
        *ret_error = g_strdup_printf("cannot give %s back: %s", claimed, g_strerror(errno));
        return -1;
    }
    return 0;
}

int vm_image_set_aside(const char *dir, const char *name, const char *image, char **ret_aside,
                       char **ret_error)
{
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    g_autofree char *stamp = g_date_time_format(now, "%Y%m%dT%H%M%S");
    g_autofree char *base = vm_image_path(dir, name);
    g_autofree char *aside = g_strdup_printf("%s.rejected-%s-%d", base, stamp, (int)getpid());
    g_autofree char *meta = vm_image_meta_path(dir, name);
    g_autofree char *meta_aside = g_strconcat(aside, ".meta", NULL);

    if (rename(image, aside) < 0) {
        *ret_error = g_strdup_printf("cannot move %s aside: %s", image, g_strerror(errno));
        return -1;
    }
    /* The meta file may be missing: that can be why the image was rejected. */
    if (rename(meta, meta_aside) < 0 && errno != ENOENT) {
        *ret_error = g_strdup_printf("cannot move %s aside: %s", meta, g_strerror(errno));
        return -1;
    }
    *ret_aside = g_steal_pointer(&aside);
    return 0;
}

void vm_image_remove(const char *dir, const char *name, const char *image)
{
    g_autofree char *meta = vm_image_meta_path(dir, name);

    unlink(image);
    unlink(meta);
}
