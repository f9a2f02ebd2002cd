/* Replacing a file so that a reader (or a crash) sees the old content or the new, never a part:
 * the data goes to a temporary file in the same directory, is flushed to disk, renamed over the
 * file, and the directory is flushed so that the rename itself survives a power cut. One helper
 * for the database copy (clusterd/cibdb.c), the quorum state (clusterd/selffence.c) and the save
 * images' metadata on shared storage (resource-agents/imagestore.c).
 *
 * Part of libvmha-io, not libvmha: it does I/O (lib/meson.build). */
#pragma once

#include <glib.h>
#include <stddef.h>
#include <sys/types.h>

typedef enum {
    VMHA_ATOMIC_WRITE_SYNC = 0, /* fsync the data and the directory: durable when it returns */
    /* Atomic but not durable: a crash may leave the old content (never a mix). For data whose loss
     * costs only time, written where a flush is slow (save images with sync_image=false). */
    VMHA_ATOMIC_WRITE_NO_SYNC = 1 << 0,
} VmhaAtomicWriteFlags;

/* Replaces path with len bytes of data, created with mode (a new file; the temporary file's mode
 * becomes the file's). The temporary name is path.tmp-XXXXXX, unique per writer, so writers on
 * several hosts sharing a directory never write into one another's temporary file; it is removed
 * on failure. Returns 0, or -errno with *error saying which step failed on which file. */
int vmha_atomic_write(const char *path, const void *data, size_t len, mode_t mode,
                      VmhaAtomicWriteFlags flags, GError **error) G_GNUC_WARN_UNUSED_RESULT;
