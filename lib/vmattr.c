#include "vmattr.h"
#include "duration.h"
#include "vmha/migration.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

bool vmha_vm_name_valid(const char *name)
{
    size_t len = strlen(name);

    if (len == 0 || len > 64)
        return false;
    if (!g_ascii_isalpha(name[0]) && name[0] != '_')
        return false;
    for (size_t i = 1; i < len; i++) {
        char c = name[i];
        if (!g_ascii_isalnum(c) && c != '_' && c != '.' && c != '-')
            return false;
    }
    return true;
}

bool vmha_node_name_valid(const char *name)
{
    size_t len = strlen(name);

    if (len == 0 || len > 255)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!g_ascii_isalnum(c) && c != '_' && c != '.' && c != '-')
            return false;
    }
    return true;
}

static bool parse_int(const char *s, long long min, long long max)
{
    char *end = NULL;

    if (!*s || g_ascii_isspace(*s))
        return false;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    return errno == 0 && *end == '\0' && v >= min && v <= max;
}

static bool is_int_or_infinity(const char *s)
{
    return parse_int(s, -1000000, 1000000) || g_str_equal(s, "INFINITY") ||
           g_str_equal(s, "-INFINITY");
}

static bool is_hhmm(const char *s)
{
    return strlen(s) == 5 && g_ascii_isdigit(s[0]) && g_ascii_isdigit(s[1]) && s[2] == ':' &&
           g_ascii_isdigit(s[3]) && g_ascii_isdigit(s[4]) &&
           (s[0] - '0') * 10 + (s[1] - '0') < 24 && (s[3] - '0') * 10 + (s[4] - '0') < 60;
}

static bool is_failback(const char *s)
{
    if (g_str_equal(s, "never") || g_str_equal(s, "immediate"))
        return true;
    if (strlen(s) != 11 || s[5] != '-')
        return false;
    char a[6], b[6];
    memcpy(a, s, 5);
    a[5] = '\0';
    memcpy(b, s + 6, 5);
    b[5] = '\0';
    return is_hhmm(a) && is_hhmm(b);
}

static bool is_abs_path(const char *s)
{
    return s[0] == '/' && strlen(s) < 4096;
}

static bool is_word(const char *s)
{
    return *s && vmha_node_name_valid(s);
}

typedef struct {
    const char *key;
    const char *name; /* canonical name in the CIB */
    VmhaAttrSection section;
    bool (*valid)(const char *value);
    const char *error;
} AttrSpec;

static bool v_priority(const char *s)
{
    return parse_int(s, -1000000, 1000000);
}
static bool v_positive(const char *s)
{
    return parse_int(s, 1, 1LL << 40);
}
static bool v_nonneg(const char *s)
{
    return parse_int(s, 0, 1LL << 40);
}
static bool v_target_role(const char *s)
{
    return g_str_equal(s, "Started") || g_str_equal(s, "Stopped");
}
static bool v_bool(const char *s)
{
    return g_str_equal(s, "true") || g_str_equal(s, "false");
}
static bool v_shutdown_policy(const char *s)
{
    return g_str_equal(s, "migrate") || g_str_equal(s, "stop") || g_str_equal(s, "freeze");
}
static bool v_migration_method(const char *s)
{
    VmhaMigrationMethod m;
    return vmha_migration_method_from_string(s, &m) == 0;
}
static bool v_drain_fallback(const char *s)
{
    return g_str_equal(s, "keep") || g_str_equal(s, "stop");
}
static bool v_health_check(const char *s)
{
    /* The vm agent's values (resource-agents/vm.8). */
    return g_str_equal(s, "none") || g_str_equal(s, "guest-agent") || g_str_equal(s, "console");
}
static bool v_health_timeout(const char *s)
{
    int64_t ms;
    /* Below a few seconds a busy host would restart healthy guests. */
    return vmha_interval_parse(s, &ms) == 0 && ms >= 5000 && ms <= 3600000;
}
static bool v_threshold(const char *s)
{
    return v_nonneg(s) || g_str_equal(s, "INFINITY");
}
static bool v_prefer(const char *s)
{
    g_auto(GStrv) nodes = NULL;
    return *s == '\0' || vmha_prefer_parse(s, &nodes) == 0;
}

static bool v_coloc_list(const char *s)
{
    g_auto(GStrv) vms = NULL;
    g_autofree int *scores = NULL;
    return vmha_coloc_list_parse(s, NULL, true, &vms, &scores) == 0;
}
static bool v_node(const char *s)
{
    return vmha_node_name_valid(s);
}
static bool v_node_or_all(const char *s)
{
    return *s == '\0' || vmha_node_name_valid(s);
}

static bool v_monitor_interval(const char *s)
{
    int64_t ms;
    /* A monitor more often than once a second would keep the node busy: a typo. */
    return vmha_interval_parse(s, &ms) == 0 && ms >= 1000;
}

static const AttrSpec attrs[] = {
        {"config", "config", VMHA_ATTR_INSTANCE, is_abs_path, "config must be an absolute path"},
        {"hypervisor", "hypervisor", VMHA_ATTR_INSTANCE, is_word, "bad hypervisor URI"},
        {"state_dir", "state_dir", VMHA_ATTR_INSTANCE, is_abs_path,
         "state_dir must be an absolute path"},
        {"shutdown_timeout", "shutdown_timeout", VMHA_ATTR_INSTANCE, v_positive,
         "shutdown_timeout must be a positive number of seconds"},
        {"migration_method", "migration_method", VMHA_ATTR_INSTANCE, v_migration_method,
         "migration_method must be " VMHA_MIGRATION_METHODS},
        {"health_check", "health_check", VMHA_ATTR_INSTANCE, v_health_check,
         "health_check must be none, guest-agent or console"},
        {"health-check", "health_check", VMHA_ATTR_INSTANCE, v_health_check,
         "health-check must be none, guest-agent or console"},
        {"health_timeout", "health_timeout", VMHA_ATTR_INSTANCE, v_health_timeout,
         "health_timeout must be a duration from 5s to 1h: 30s, 2min"},
        {"health-timeout", "health_timeout", VMHA_ATTR_INSTANCE, v_health_timeout,
         "health-timeout must be a duration from 5s to 1h: 30s, 2min"},
        {"require_lock_manager", "require_lock_manager", VMHA_ATTR_INSTANCE, v_bool,
         "require_lock_manager must be true or false"},
        {"require-lock-manager", "require_lock_manager", VMHA_ATTR_INSTANCE, v_bool,
         "require-lock-manager must be true or false"},
        {"live_unsafe", "live_unsafe", VMHA_ATTR_INSTANCE, v_bool,
         "live_unsafe must be true or false"},
        {"live-unsafe", "live_unsafe", VMHA_ATTR_INSTANCE, v_bool,
         "live-unsafe must be true or false"},
        {"priority", "priority", VMHA_ATTR_META, v_priority, "priority must be an integer"},
        {"target-role", "target-role", VMHA_ATTR_META, v_target_role,
         "target-role must be Started or Stopped"},
        {"resource-stickiness", "resource-stickiness", VMHA_ATTR_META, is_int_or_infinity,
         "resource-stickiness must be an integer or INFINITY"},
        {"stickiness", "resource-stickiness", VMHA_ATTR_META, is_int_or_infinity,
         "stickiness must be an integer or INFINITY"},
        {"migration-threshold", "migration-threshold", VMHA_ATTR_META, v_threshold,
         "migration-threshold must be a non-negative integer or INFINITY"},
        {"failure-timeout", "failure-timeout", VMHA_ATTR_META, v_nonneg,
         "failure-timeout must be a non-negative number of seconds"},
        {"allow-migrate", "allow-migrate", VMHA_ATTR_META, v_bool,
         "allow-migrate must be true or false"},
        {"failback", "vmha-failback", VMHA_ATTR_META, is_failback,
         "failback must be never, immediate or HH:MM-HH:MM"},
        {"vmha-failback", "vmha-failback", VMHA_ATTR_META, is_failback,
         "vmha-failback must be never, immediate or HH:MM-HH:MM"},
        {"shutdown-policy", "vmha-shutdown-policy", VMHA_ATTR_META, v_shutdown_policy,
         "shutdown-policy must be migrate, stop or freeze"},
        {"vmha-shutdown-policy", "vmha-shutdown-policy", VMHA_ATTR_META, v_shutdown_policy,
         "vmha-shutdown-policy must be migrate, stop or freeze"},
        {"drain-fallback", "vmha-drain-fallback", VMHA_ATTR_META, v_drain_fallback,
         "drain-fallback must be keep or stop"},
        {"vmha-drain-fallback", "vmha-drain-fallback", VMHA_ATTR_META, v_drain_fallback,
         "vmha-drain-fallback must be keep or stop"},
        {"memory", "memory", VMHA_ATTR_UTILIZATION, v_positive,
         "memory must be a positive number of MiB"},
        {"cpu", "cpu", VMHA_ATTR_UTILIZATION, v_positive, "cpu must be a positive number of vCPUs"},
        {"monitor-interval", "monitor", VMHA_ATTR_OPERATION, v_monitor_interval,
         "monitor-interval must be a duration of at least 1s: 5s, 30, 2min"},
        {"prefer", "prefer", VMHA_ATTR_PREFER, v_prefer,
         "prefer must be a list of node names: a,b,c"},
        {"together-with", "together", VMHA_ATTR_COLOCATION, v_coloc_list,
         "together-with must be a list of VMs, each with an optional positive score: db,cache:500"},
        {"apart-from", "apart", VMHA_ATTR_COLOCATION, v_coloc_list,
         "apart-from must be a list of VMs, each with an optional positive score: web2,web3:500"},
        /* written by vmctl vm ban / unban */
        {"ban", "ban", VMHA_ATTR_BAN, v_node, "ban must name a node"},
        {"unban", "unban", VMHA_ATTR_BAN, v_node_or_all, "unban must name a node, or none"},
};

int vmha_vm_attr_check(const char *key, const char *value, const char **ret_name,
                       VmhaAttrSection *ret_section, const char **ret_error)
{
    for (size_t i = 0; i < G_N_ELEMENTS(attrs); i++) {
        if (!g_str_equal(attrs[i].key, key))
            continue;
        if (!attrs[i].valid(value)) {
            *ret_error = attrs[i].error;
            return -EINVAL;
        }
        *ret_name = attrs[i].name;
        *ret_section = attrs[i].section;
        return 0;
    }
    *ret_error = "unknown key (see 'vmctl vm set --help')";
    return -EINVAL;
}

int vmha_prefer_parse(const char *list, char ***ret_nodes)
{
    g_auto(GStrv) nodes = g_strsplit(list, ",", -1);

    if (!nodes[0])
        return -EINVAL;
    for (size_t i = 0; nodes[i]; i++) {
        if (!vmha_node_name_valid(nodes[i]))
            return -EINVAL;
        for (size_t j = 0; j < i; j++)
            if (g_str_equal(nodes[i], nodes[j]))
                return -EINVAL;
    }
    *ret_nodes = g_steal_pointer(&nodes);
    return 0;
}

int vmha_interval_parse(const char *s, int64_t *ret_ms)
{
    int64_t ms;

    /* What vmctl writes into the CIB stays in one form: no blanks ("5 s" reads the same). */
    if (s[strcspn(s, " \t\n\r\f")] != '\0' ||
        vmha_duration_parse(s, VMHA_DURATION_EXACT, &ms, NULL) < 0 || ms <= 0 ||
        ms > INT64_C(86400000))
        return -EINVAL;
    *ret_ms = ms;
    return 0;
}

int vmha_coloc_list_parse(const char *list, const char *self, bool together, char ***ret_vms,
                          int **ret_scores)
{
    g_autoptr(GPtrArray) vms = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GArray) scores = g_array_new(false, false, sizeof(int));
    g_auto(GStrv) items = *list ? g_strsplit(list, ",", -1) : g_new0(char *, 1);

    for (size_t i = 0; items[i]; i++) {
        char *colon = strchr(items[i], ':');
        g_autofree char *name = colon ? g_strndup(items[i], colon - items[i]) : g_strdup(items[i]);
        int score = 1000000;
        if (colon && strcmp(colon + 1, "INFINITY") != 0) {
            if (!parse_int(colon + 1, 1, 1000000))
                return -EINVAL;
            score = atoi(colon + 1);
        }
        if (!vmha_vm_name_valid(name) || (self && strcmp(name, self) == 0))
            return -EINVAL;
        for (guint j = 0; j < vms->len; j++)
            if (strcmp(vms->pdata[j], name) == 0)
                return -EINVAL;
        g_ptr_array_add(vms, g_steal_pointer(&name));
        score = together ? score : -score;
        g_array_append_val(scores, score);
    }
    g_ptr_array_add(vms, NULL);
    *ret_vms = (char **)g_ptr_array_free(g_steal_pointer(&vms), false);
    *ret_scores = (int *)g_array_free(g_steal_pointer(&scores), false);
    return 0;
}

int vmha_prefer_score(unsigned i)
{
    int s = 100 - 10 * (int)MIN(i, 9u);
    return s;
}
