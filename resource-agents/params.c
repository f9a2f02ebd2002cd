#include <string.h>

#include "params.h"
#include "vmattr.h"

void vm_params_free(VmParams *p)
{
    if (!p)
        return;
    g_free(p->config);
    g_free(p->hypervisor);
    g_free(p->state_dir);
    g_free(p->migration_uri);
    g_strfreev(p->shared_dirs);
    g_free(p->instance);
    g_free(p->migrate_target);
    g_free(p);
}

static char *env(const char *key)
{
    const char *v = g_getenv(key);
    return v && *v ? g_strdup(v) : NULL;
}

static int env_uint(const char *key, uint64_t max, uint64_t *ret, char **ret_error)
{
    const char *v = g_getenv(key);
    guint64 n;

    if (!v || !*v)
        return 0;
    if (!g_ascii_string_to_unsigned(v, 10, 0, max, &n, NULL)) {
        *ret_error = g_strdup_printf("%s='%s' is not a non-negative integer", key, v);
        return -1;
    }
    *ret = n;
    return 0;
}

static int env_bool(const char *key, gboolean *ret, char **ret_error)
{
    const char *v = g_getenv(key);

    if (!v || !*v)
        return 0;
    if (g_strv_contains((const char *const[]){"1", "true", "yes", "on", NULL}, v))
        *ret = TRUE;
    else if (g_strv_contains((const char *const[]){"0", "false", "no", "off", NULL}, v))
        *ret = FALSE;
    else {
        *ret_error = g_strdup_printf("%s='%s' is not a boolean", key, v);
        return -1;
    }
    return 0;
}

int vm_params_load(VmParams **ret_params, char **ret_error)
{
    g_autoptr(VmParams) p = g_new0(VmParams, 1);
    g_autofree char *method = env("OCF_RESKEY_migration_method");
    g_autofree char *shared = env("OCF_RESKEY_shared_dirs");
    g_autofree char *health = env("OCF_RESKEY_health_check");
    g_autofree char *health_timeout = env("OCF_RESKEY_health_timeout");
    uint64_t shutdown = 0;

    p->config = env("OCF_RESKEY_config");
    p->hypervisor = env("OCF_RESKEY_hypervisor");
    if (!p->hypervisor)
        p->hypervisor = g_strdup(VM_DEFAULT_HYPERVISOR);
    p->state_dir = env("OCF_RESKEY_state_dir");
    if (!p->state_dir && p->config) {
        g_autofree char *dir = g_path_get_dirname(p->config);
        p->state_dir = g_build_filename(dir, "vmha-save", NULL);
    }
    p->migration_uri = env("OCF_RESKEY_migration_uri");
    if (!p->migration_uri)
        p->migration_uri = g_strdup(VM_DEFAULT_MIGRATION_URI);
    p->shared_dirs = shared ? g_strsplit(shared, ":", -1) : g_new0(char *, 1);
    p->instance = env("OCF_RESOURCE_INSTANCE");
    p->migrate_target = env("OCF_RESKEY_CRM_meta_migrate_target");

    if (env_uint("OCF_RESKEY_shutdown_timeout", 24 * 3600, &shutdown, ret_error) < 0 ||
        env_uint("OCF_RESKEY_CRM_meta_interval", G_MAXUINT64, &p->interval_ms, ret_error) < 0 ||
        env_uint("OCF_RESKEY_CRM_meta_timeout", G_MAXUINT64, &p->timeout_ms, ret_error) < 0 ||
        env_bool("OCF_RESKEY_live_unsafe", &p->live_unsafe, ret_error) < 0 ||
        env_bool("OCF_RESKEY_sync_image", &p->sync_image, ret_error) < 0)
        return -1;
    p->require_lock_manager = TRUE;
    if (env_bool("OCF_RESKEY_require_lock_manager", &p->require_lock_manager, ret_error) < 0)
        return -1;
    if (vm_health_mode_parse(health, &p->health_check) < 0) {
        *ret_error =
                g_strdup_printf("health_check '%s' is not none, guest-agent or console", health);
        return -1;
    }
    p->health_timeout_ms = VM_HEALTH_DEFAULT_TIMEOUT_MS;
    if (health_timeout) {
        int64_t ms;
        if (vmha_interval_parse(health_timeout, &ms) < 0) {
            *ret_error = g_strdup_printf("health_timeout '%s' is not a duration (30s, 2min)",
                                         health_timeout);
            return -1;
        }
        p->health_timeout_ms = (uint64_t)ms;
    }
    p->shutdown_timeout = (unsigned int)shutdown;

    p->migration_method = VMHA_MIGRATION_QUICK;
    if (method && vmha_migration_method_from_string(method, &p->migration_method) < 0) {
        *ret_error =
                g_strdup_printf("migration_method '%s' is not " VMHA_MIGRATION_METHODS, method);
        return -1;
    }
    if (p->state_dir && !g_path_is_absolute(p->state_dir)) {
        *ret_error = g_strdup_printf("state_dir '%s' is not an absolute path", p->state_dir);
        return -1;
    }
    *ret_params = g_steal_pointer(&p);
    return 0;
}

char *vm_params_migration_uri(const VmParams *p, const char *target)
{
    g_auto(GStrv) parts = g_strsplit(p->migration_uri, "%t", -1);
    return g_strjoinv(target, parts);
}
