#include <inttypes.h>
#include <string.h>

#include "saveimage.h"

#define GROUP   "vmha-save-image"
#define VERSION 1

void vm_save_meta_free(VmSaveMeta *meta)
{
    if (!meta)
        return;
    g_free(meta->name);
    g_free(meta->uuid);
    g_free(meta->digest);
    g_free(meta->saved_on);
    g_free(meta);
}

char *vm_save_meta_format(const VmSaveMeta *meta)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autofree char *saved_at = g_strdup_printf("%" PRId64, meta->saved_at_us);
    g_autofree char *size = g_strdup_printf("%" PRIu64, meta->image_size);

    g_key_file_set_integer(kf, GROUP, "version", VERSION);
    g_key_file_set_string(kf, GROUP, "name", meta->name);
    g_key_file_set_string(kf, GROUP, "uuid", meta->uuid ? meta->uuid : "");
    g_key_file_set_string(kf, GROUP, "config-digest", meta->digest);
    g_key_file_set_string(kf, GROUP, "saved-at-us", saved_at);
    g_key_file_set_string(kf, GROUP, "image-size", size);
    g_key_file_set_string(kf, GROUP, "saved-on", meta->saved_on ? meta->saved_on : "");
    return g_key_file_to_data(kf, NULL, NULL);
}

static char *get_required(GKeyFile *kf, const char *key, char **ret_error)
{
    g_autofree char *v = g_key_file_get_string(kf, GROUP, key, NULL);

    if (!v || !*v) {
        *ret_error = g_strdup_printf("save-image metadata lacks '%s'", key);
        return NULL;
    }
    return g_steal_pointer(&v);
}

int vm_save_meta_parse(const char *buf, size_t len, VmSaveMeta **ret_meta, char **ret_error)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GError) err = NULL;
    g_autoptr(VmSaveMeta) meta = g_new0(VmSaveMeta, 1);
    g_autofree char *saved_at = NULL, *size = NULL;
    gint64 version;

    if (!g_key_file_load_from_data(kf, buf, len, G_KEY_FILE_NONE, &err)) {
        *ret_error = g_strdup_printf("save-image metadata unreadable: %s", err->message);
        return -1;
    }
    version = g_key_file_get_int64(kf, GROUP, "version", NULL);
    if (version != VERSION) {
        *ret_error = g_strdup_printf("save-image metadata version %" G_GINT64_FORMAT " is not %d",
                                     version, VERSION);
        return -1;
    }
    if (!(meta->name = get_required(kf, "name", ret_error)) ||
        !(meta->digest = get_required(kf, "config-digest", ret_error)) ||
        !(saved_at = get_required(kf, "saved-at-us", ret_error)) ||
        !(size = get_required(kf, "image-size", ret_error)))
        return -1;
    meta->uuid = g_key_file_get_string(kf, GROUP, "uuid", NULL);
    if (meta->uuid && !*meta->uuid)
        g_clear_pointer(&meta->uuid, g_free);
    meta->saved_on = g_key_file_get_string(kf, GROUP, "saved-on", NULL);

    if (!g_ascii_string_to_signed(saved_at, 10, 0, G_MAXINT64, &meta->saved_at_us, NULL)) {
        *ret_error = g_strdup_printf("save-image metadata has bad saved-at-us '%s'", saved_at);
        return -1;
    }
    if (!g_ascii_string_to_unsigned(size, 10, 0, G_MAXUINT64, &meta->image_size, NULL)) {
        *ret_error = g_strdup_printf("save-image metadata has bad image-size '%s'", size);
        return -1;
    }
    *ret_meta = g_steal_pointer(&meta);
    return 0;
}

gboolean vm_save_meta_matches(const VmSaveMeta *meta, const VmhaDomainDef *dom,
                              int64_t config_mtime_us, uint64_t image_size, char **ret_reason)
{
    if (g_strcmp0(meta->name, dom->name) != 0) {
        *ret_reason = g_strdup_printf("image is of domain '%s', not '%s'", meta->name, dom->name);
        return FALSE;
    }
    if (dom->uuid && g_strcmp0(meta->uuid, dom->uuid) != 0) {
        *ret_reason = g_strdup_printf("image UUID %s differs from the definition's %s",
                                      meta->uuid ? meta->uuid : "(none)", dom->uuid);
        return FALSE;
    }
    if (g_strcmp0(meta->digest, dom->digest) != 0) {
        *ret_reason = g_strdup("domain definition changed since the image was saved");
        return FALSE;
    }
    if (config_mtime_us > meta->saved_at_us) {
        *ret_reason = g_strdup("image is older than the domain definition");
        return FALSE;
    }
    if (image_size != meta->image_size) {
        *ret_reason = g_strdup_printf("image is %" PRIu64 " bytes, %" PRIu64 " were saved",
                                      image_size, meta->image_size);
        return FALSE;
    }
    return TRUE;
}
