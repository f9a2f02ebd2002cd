/* Save-image metadata: what a quick-migration image was saved from, and the rule deciding whether
 * it may be restored against the current domain definition. Pure: no I/O, no clock. */
#pragma once

#include <glib.h>
#include <stdint.h>

#include "domaindef.h"

typedef struct {
    char *name;
    char *uuid;          /* of the domain that was saved */
    char *digest;        /* digest of the definition the domain was started from */
    int64_t saved_at_us; /* wall clock, microseconds since the epoch */
    uint64_t image_size; /* bytes of the committed image file */
    char *saved_on;      /* host name, for humans */
} VmSaveMeta;

void vm_save_meta_free(VmSaveMeta *meta);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmSaveMeta, vm_save_meta_free)

/* Serializes to a small key file. */
char *vm_save_meta_format(const VmSaveMeta *meta);

/* Parses what vm_save_meta_format wrote; -1 with *ret_error on anything missing or unknown. */
G_GNUC_WARN_UNUSED_RESULT int vm_save_meta_parse(const char *buf, size_t len, VmSaveMeta **ret_meta,
                                                 char **ret_error);

/* The restore rule: an image may be restored only when it was saved from this very definition (same
 * name, same UUID when the definition names one, same digest), after the definition was last
 * modified, and is complete (size as recorded). Returns TRUE, or FALSE with *ret_reason. */
gboolean vm_save_meta_matches(const VmSaveMeta *meta, const VmhaDomainDef *dom,
                              int64_t config_mtime_us, uint64_t image_size, char **ret_reason);
