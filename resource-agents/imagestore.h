/* The save images in a VM's state directory on shared storage.
 *
 * A complete image is two files: NAME.save (libvirt's save image) and NAME.save.meta (VmSaveMeta).
 * The meta file is written first (temporary name, rename); renaming the image from its temporary
 * name to NAME.save once libvirt has written and closed it is the commit point, so a half-written
 * image is never seen under the final name. Whether data is also fsynced is the caller's choice: on
 * file systems that extend a file's on-disk size only as its data lands (ext4, XFS; NFS commits on
 * close), a crash that loses unsynced data leaves a meta file or image that fails the checks (size,
 * parse), which costs a cold start rather than a wrong restore. A restore first claims the image by
 * renaming it to a per-host name, so two hosts can never restore the same image. Rejected images
 * are renamed aside, never deleted. */
#pragma once

#include <glib.h>
#include <stdint.h>

#include "saveimage.h"

char *vm_image_path(const char *dir, const char *name);
char *vm_image_meta_path(const char *dir, const char *name);
/* A temporary name in @dir that no other host or process uses. */
char *vm_image_tmp_path(const char *dir, const char *name);

G_GNUC_WARN_UNUSED_RESULT int vm_image_ensure_dir(const char *dir, char **ret_error);

/* Writes the meta file atomically (temporary name, rename; fsynced with the directory when @sync).
 */
G_GNUC_WARN_UNUSED_RESULT int vm_image_write_meta(const char *dir, const char *name,
                                                  const VmSaveMeta *meta, gboolean sync,
                                                  char **ret_error);

/* Renames @tmp to the final image name; with @sync_data, fsyncs its data before and the directory
 * after. (On ext4 any fsync in the directory flushes the whole image anyway.) */
G_GNUC_WARN_UNUSED_RESULT int vm_image_commit(const char *tmp, const char *dir, const char *name,
                                              gboolean sync_data, uint64_t *ret_size,
                                              char **ret_error);

/* Looks for a committed image. Returns 0 when there is none, 1 when there is one: *ret_meta is its
 * metadata, or NULL with *ret_problem saying why it is unusable; -1 on an I/O error. */
G_GNUC_WARN_UNUSED_RESULT int vm_image_lookup(const char *dir, const char *name,
                                              VmSaveMeta **ret_meta, uint64_t *ret_size,
                                              char **ret_problem, char **ret_error);

/* Renames the image to a name private to this host and process. Returns 0 with *ret_path, 1 when
 * the image vanished (another host claimed it first), -1 on error. */
G_GNUC_WARN_UNUSED_RESULT int vm_image_claim(const char *dir, const char *name, char **ret_path,
                                             char **ret_error);

/* Gives a claimed image back under its committed name, for another host to claim. */
G_GNUC_WARN_UNUSED_RESULT int vm_image_release(const char *dir, const char *name,
                                               const char *claimed, char **ret_error);

/* Moves @image (the committed or a claimed image) and the meta file aside as
 * NAME.save.rejected-<UTC time>[.meta]; *ret_aside names the new image path. */
G_GNUC_WARN_UNUSED_RESULT int vm_image_set_aside(const char *dir, const char *name,
                                                 const char *image, char **ret_aside,
                                                 char **ret_error);

/* Removes a restored image and the meta file. */
void vm_image_remove(const char *dir, const char *name, const char *image);
