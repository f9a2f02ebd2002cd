/* Alerts (alerts.h): the CIB's <alerts>, events to alerts, the agent's environment. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "alerts.h"
#include "duration.h"

static void recipient_free(VmhaAlertRecipient *r)
{
    g_free(r->id);
    g_free(r->value);
    g_free(r->timestamp_format);
    g_strfreev(r->attrs);
    g_free(r);
}

void vmha_alert_free(VmhaAlert *alert)
{
    if (!alert)
        return;
    g_free(alert->id);
    g_free(alert->path);
    g_free(alert->timestamp_format);
    g_strfreev(alert->attrs);
    if (alert->recipients)
        g_ptr_array_free(alert->recipients, TRUE);
    g_free(alert);
}

bool vmha_alert_id_valid(const char *id)
{
    /* An XML ID as the schema wants it, kept to what is safe on a command line and in a file. */
    if (!id || !*id || strlen(id) > 64 || !(g_ascii_isalpha(id[0]) || id[0] == '_'))
        return false;
    for (const char *p = id; *p; p++)
        if (!g_ascii_isalnum(*p) && *p != '_' && *p != '-' && *p != '.')
            return false;
    return true;
}

bool vmha_alert_path_valid(const char *path)
{
    return path && path[0] == '/' && strlen(path) < 4096 && !strchr(path, '\n');
}

static const char *const kind_names[] = {"node", "fencing", "resource"};

const char *vmha_alert_kind_to_string(VmhaAlertKind kind)
{
    for (unsigned i = 0; i < G_N_ELEMENTS(kind_names); i++)
        if (kind == (VmhaAlertKind)(1u << i))
            return kind_names[i];
    return "unknown";
}

int vmha_alert_kind_from_string(const char *s, VmhaAlertKind *ret)
{
    for (unsigned i = 0; i < G_N_ELEMENTS(kind_names); i++)
        if (g_strcmp0(s, kind_names[i]) == 0) {
            *ret = (VmhaAlertKind)(1u << i);
            return 0;
        }
    return -EINVAL;
}

/* ---- reading <alerts> ---- */

static bool is_element(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static char *attr(xmlNode *n, const char *name)
{
    xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
    char *s = v ? g_strdup((const char *)v) : NULL;
    xmlFree(v);
    return s;
}

static xmlNode *find_alerts(xmlNode *n)
{
    if (!n || is_element(n, "alerts"))
        return n;
    for (xmlNode *c = n->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        /* <cib><configuration><alerts>: nowhere else. */
        if (is_element(c, "alerts"))
            return c;
        if (is_element(c, "configuration"))
            return find_alerts(c);
    }
    return NULL;
}

/* The nvpairs of every <tag> set of n, in order, as NAME=VALUE (a later one of the same name
 * wins, as Pacemaker unpacks them for alerts). */
static void read_sets(xmlNode *n, const char *tag, GPtrArray *out)
{
    for (xmlNode *set = n->children; set; set = set->next) {
        if (!is_element(set, tag))
            continue;
        for (xmlNode *p = set->children; p; p = p->next) {
            if (!is_element(p, "nvpair"))
                continue;
            g_autofree char *name = attr(p, "name"), *value = attr(p, "value");
            if (!name)
                continue;
            for (guint i = 0; i < out->len; i++) {
                const char *kv = g_ptr_array_index(out, i);
                size_t len = strlen(name);
                if (strncmp(kv, name, len) == 0 && kv[len] == '=') {
                    g_ptr_array_remove_index(out, i);
                    break;
                }
            }
            g_ptr_array_add(out, g_strdup_printf("%s=%s", name, value ? value : ""));
        }
    }
}

static const char *kv_get(GPtrArray *kvs, const char *name)
{
    size_t len = strlen(name);
    for (guint i = 0; i < kvs->len; i++) {
        const char *kv = g_ptr_array_index(kvs, i);
        if (strncmp(kv, name, len) == 0 && kv[len] == '=')
            return kv + len + 1;
    }
    return NULL;
}

static char **to_strv(GPtrArray *a)
{
    GPtrArray *copy = g_ptr_array_new();
    for (guint i = 0; i < a->len; i++)
        g_ptr_array_add(copy, g_strdup(g_ptr_array_index(a, i)));
    g_ptr_array_add(copy, NULL);
    return (char **)g_ptr_array_free(copy, FALSE);
}

/* timeout, timestamp-format and enabled of a meta set, over what the caller inherited. */
static void read_meta(xmlNode *n, int64_t *timeout_ms, char **ts_format, bool *enabled)
{
    g_autoptr(GPtrArray) meta = g_ptr_array_new_with_free_func(g_free);
    int64_t ms = 0;

    read_sets(n, "meta_attributes", meta);
    const char *t = kv_get(meta, "timeout"), *f = kv_get(meta, "timestamp-format"),
               *e = kv_get(meta, "enabled");
    /* As Pacemaker: an unreadable or non-positive timeout keeps the default. */
    if (t && vmha_duration_parse(t, VMHA_DURATION_PCMK_MSEC, &ms, NULL) == 0 && ms > 0)
        *timeout_ms = ms;
    if (f && *f) {
        g_free(*ts_format);
        *ts_format = g_strdup(f);
    }
    if (e)
        *enabled = !(g_ascii_strcasecmp(e, "false") == 0 || g_ascii_strcasecmp(e, "no") == 0 ||
                     g_ascii_strcasecmp(e, "off") == 0 || strcmp(e, "0") == 0);
}

static unsigned read_select(xmlNode *alert)
{
    static const struct {
        const char *tag;
        unsigned kind;
    } selects[] = {{"select_nodes", VMHA_ALERT_NODE},
                   {"select_fencing", VMHA_ALERT_FENCING},
                   {"select_resources", VMHA_ALERT_RESOURCE}};

    for (xmlNode *s = alert->children; s; s = s->next) {
        if (!is_element(s, "select"))
            continue;
        unsigned kinds = 0;
        for (xmlNode *c = s->children; c; c = c->next)
            for (size_t i = 0; i < G_N_ELEMENTS(selects); i++)
                if (is_element(c, selects[i].tag))
                    kinds |= selects[i].kind;
        return kinds; /* a <select> with only select_attributes: none of ours */
    }
    return VMHA_ALERT_ALL;
}

static VmhaAlert *read_alert(xmlNode *n, GPtrArray *warnings)
{
    g_autoptr(VmhaAlert) a = g_new0(VmhaAlert, 1);
    g_autoptr(GPtrArray) inst = g_ptr_array_new_with_free_func(g_free);

    a->id = attr(n, "id");
    a->path = attr(n, "path");
    if (!a->id || !a->path || !*a->path) {
        if (warnings)
            g_ptr_array_add(warnings, g_strdup_printf("<alert id=\"%s\"> without %s: ignored",
                                                      a->id ? a->id : "", a->id ? "path" : "id"));
        return NULL;
    }
    a->timeout_ms = VMHA_ALERT_DEFAULT_TIMEOUT_MS;
    a->timestamp_format = g_strdup(VMHA_ALERT_DEFAULT_TS_FORMAT);
    a->enabled = true;
    read_meta(n, &a->timeout_ms, &a->timestamp_format, &a->enabled);
    read_sets(n, "instance_attributes", inst);
    a->attrs = to_strv(inst);
    a->kinds = read_select(n);
    a->recipients = g_ptr_array_new_with_free_func((GDestroyNotify)recipient_free);
    for (xmlNode *c = n->children; c; c = c->next) {
        if (!is_element(c, "recipient"))
            continue;
        VmhaAlertRecipient *r = g_new0(VmhaAlertRecipient, 1);
        g_autoptr(GPtrArray) rinst = g_ptr_array_new_with_free_func(g_free);
        r->id = attr(c, "id");
        r->value = attr(c, "value");
        r->timeout_ms = a->timeout_ms;
        r->timestamp_format = g_strdup(a->timestamp_format);
        r->enabled = a->enabled;
        read_meta(c, &r->timeout_ms, &r->timestamp_format, &r->enabled);
        for (size_t i = 0; a->attrs[i]; i++)
            g_ptr_array_add(rinst, g_strdup(a->attrs[i]));
        read_sets(c, "instance_attributes", rinst);
        r->attrs = to_strv(rinst);
        if (!r->value) {
            if (warnings)
                g_ptr_array_add(
                        warnings,
                        g_strdup_printf("recipient of alert %s without value: ignored", a->id));
            recipient_free(r);
            continue;
        }
        g_ptr_array_add(a->recipients, r);
    }
    return g_steal_pointer(&a);
}

GPtrArray *vmha_alerts_read(xmlNode *cib, GPtrArray *warnings)
{
    GPtrArray *alerts = g_ptr_array_new_with_free_func((GDestroyNotify)vmha_alert_free);
    xmlNode *section = find_alerts(cib);

    for (xmlNode *n = section ? section->children : NULL; n; n = n->next) {
        if (!is_element(n, "alert"))
            continue;
        VmhaAlert *a = read_alert(n, warnings);
        if (a)
            g_ptr_array_add(alerts, a);
    }
    return alerts;
}

/* ---- events to alerts ---- */

void vmha_alert_info_clear(VmhaAlertInfo *info)
{
    g_free(info->desc);
    memset(info, 0, sizeof(*info));
}

/* Pacemaker's words for an OCF exit code and for an execution status (services_ocf_exitcode_str,
 * pcmk_exec_status_str): CRM_alert_desc of a resource alert. */
static const char *ocf_rc_text(int rc)
{
    static const char *const texts[] = {"ok",
                                        "error",
                                        "invalid parameter",
                                        "unimplemented feature",
                                        "insufficient privileges",
                                        "not installed",
                                        "not configured",
                                        "not running",
                                        "promoted",
                                        "promoted (failed)"};
    return rc >= 0 && rc < (int)G_N_ELEMENTS(texts) ? texts[rc] : "unknown";
}

static const char *exec_status_text(int status)
{
    static const char *const texts[] = {
            "complete",           "Cancelled",       "Timed Out",
            "NOT SUPPORTED",      "Error",           "Hard error",
            "Fatal error",        "Not installed",   "Internal communication failure",
            "Cannot execute now", "No fence device", "No secrets"};
    return status >= 0 && status < (int)G_N_ELEMENTS(texts) ? texts[status] : "Unknown";
}

/* An operation's result as the history words it: "ok", "failed (rc R, op-status S)" (agents'
 * results), "running", "stopped", "failed (rc R)" (probes). */
static int parse_result(const char *result, bool probe, int *rc, int *status)
{
    *rc = 0;
    *status = 0;
    if (!result)
        return -EINVAL;
    if (strcmp(result, "ok") == 0 || strcmp(result, "running") == 0)
        return 0;
    if (strcmp(result, "stopped") == 0) {
        *rc = 7;
        return 0;
    }
    if (!probe && sscanf(result, "failed (rc %d, op-status %d)", rc, status) == 2)
        return 0;
    if (probe && sscanf(result, "failed (rc %d)", rc) == 1)
        return 0;
    return -EINVAL;
}

static int resource_alert(const VmhaEvent *ev, const char *task, VmhaAlertInfo *ret)
{
    bool probe = ev->type == VMHA_EVENT_PROBE;

    if (!ev->vm || !ev->node || parse_result(ev->result, probe, &ret->rc, &ret->status) < 0)
        return -ENOENT;
    ret->kind = VMHA_ALERT_RESOURCE;
    ret->rsc = ev->vm;
    ret->node = ev->node;
    ret->task = task;
    /* A probe is Pacemaker's monitor of interval 0 expecting "not running". */
    ret->target_rc = probe ? 7 : 0;
    ret->interval_ms = 0;
    ret->exec_ms = ev->duration_ms;
    ret->desc = g_strdup(ret->status == 0 ? ocf_rc_text(ret->rc) : exec_status_text(ret->status));
    return 0;
}

/* "DEVICE (ACTION)" of a fencing: its action, or reboot (the fencer's default). */
static const char *fence_action(const char *how, char *buf, size_t size)
{
    const char *open = how ? strrchr(how, '(') : NULL;
    const char *close = open ? strchr(open, ')') : NULL;

    if (!open || !close || close == open + 1 || (size_t)(close - open - 1) >= size)
        return "reboot";
    memcpy(buf, open + 1, (size_t)(close - open - 1));
    buf[close - open - 1] = '\0';
    return buf;
}

static int fencing_alert(const VmhaEvent *ev, const char *fence_how, VmhaAlertInfo *ret)
{
    char buf[32];
    bool ok = ev->type != VMHA_EVENT_FENCE_FAILED;
    const char *how = ev->type == VMHA_EVENT_FENCE_DONE ? ev->details : fence_how;

    if (!ev->node)
        return -ENOENT;
    ret->kind = VMHA_ALERT_FENCING;
    ret->node = ev->node;
    ret->rc = ok ? 0 : 1;
    ret->exec_ms = ev->duration_ms;
    if (ev->type == VMHA_EVENT_SELF_FENCED) {
        ret->task = "reboot";
        ret->desc = g_strdup_printf("Operation reboot of %s by its own watchdog: OK (%s)", ev->node,
                                    ev->details ? ev->details : "self-fenced");
        return 0;
    }
    const char *action = fence_action(how, buf, sizeof(buf));
    ret->task = strcmp(action, "off") == 0 ? "off" : strcmp(action, "on") == 0 ? "on" : "reboot";
    g_autofree char *device = how && strchr(how, ' ') ? g_strndup(how, strcspn(how, " ")) : NULL;
    ret->desc =
            g_strdup_printf("Operation %s of %s by %s: %s%s%s%s", ret->task, ev->node,
                            device ? device : "a fence device", ok ? "OK" : "Error", ok ? "" : " (",
                            ok ? "" : (ev->details ? ev->details : "failed"), ok ? "" : ")");
    return 0;
}

int vmha_alert_of_event(const VmhaEvent *ev, const char *fence_how, VmhaAlertInfo *ret)
{
    memset(ret, 0, sizeof(*ret));
    ret->exec_ms = -1;
    ret->seq = ev->seq;
    ret->event_type = vmha_event_type_to_string(ev->type);
    switch (ev->type) {
    case VMHA_EVENT_NODE_LOST:
        if (!ev->node)
            return -ENOENT;
        ret->kind = VMHA_ALERT_NODE;
        ret->node = ev->node;
        ret->desc = g_strdup("lost");
        return 0;
    case VMHA_EVENT_FENCE_DONE:
    case VMHA_EVENT_FENCE_FAILED:
    case VMHA_EVENT_SELF_FENCED:
        return fencing_alert(ev, fence_how, ret);
    case VMHA_EVENT_START:
        return resource_alert(ev, "start", ret);
    case VMHA_EVENT_STOP:
        return resource_alert(ev, "stop", ret);
    case VMHA_EVENT_MIGRATE_TO:
        return resource_alert(ev, "migrate_to", ret);
    case VMHA_EVENT_MIGRATE_FROM:
        return resource_alert(ev, "migrate_from", ret);
    case VMHA_EVENT_MONITOR_FAILED:
    case VMHA_EVENT_PROBE:
        return resource_alert(ev, "monitor", ret);
    default:
        return -ENOENT;
    }
}

char **vmha_alert_members_joined(const VmhaEvent *membership, char *const *prev,
                                 char ***ret_members)
{
    const char *list = membership->details ? strchr(membership->details, ':') : NULL;
    g_auto(GStrv) split = g_strsplit(list ? list + 1 : "", ",", -1);
    GPtrArray *members = g_ptr_array_new(), *joined = g_ptr_array_new();

    for (size_t i = 0; split[i]; i++) {
        g_autofree char *name = g_strstrip(g_strdup(split[i]));
        if (!*name)
            continue;
        if (prev && !g_strv_contains((const char *const *)prev, name))
            g_ptr_array_add(joined, g_strdup(name));
        g_ptr_array_add(members, g_steal_pointer(&name));
    }
    g_ptr_array_add(members, NULL);
    g_ptr_array_add(joined, NULL);
    *ret_members = (char **)g_ptr_array_free(members, FALSE);
    return (char **)g_ptr_array_free(joined, FALSE);
}

void vmha_alert_node_member(const char *name, uint32_t nodeid, const VmhaEvent *ev,
                            VmhaAlertInfo *ret)
{
    memset(ret, 0, sizeof(*ret));
    ret->kind = VMHA_ALERT_NODE;
    ret->node = name;
    ret->nodeid = nodeid;
    ret->desc = g_strdup("member");
    ret->exec_ms = -1;
    ret->seq = ev->seq;
    ret->event_type = vmha_event_type_to_string(ev->type);
}

/* ---- the environment ---- */

char *vmha_alert_timestamp(const char *format, int64_t now_us)
{
    GString *fmt = g_string_new(NULL);
    time_t secs = (time_t)(now_us / 1000000);
    int64_t usec = now_us % 1000000;
    struct tm tm;

    /* %N first, then strftime for the rest (with %% kept as it is for strftime). */
    for (const char *p = format; *p; p++) {
        if (*p != '%') {
            g_string_append_c(fmt, *p);
            continue;
        }
        const char *q = p + 1;
        unsigned width = 0;
        while (*q == '0')
            q++;
        if (*q >= '1' && *q <= '9')
            width = (unsigned)(*q++ - '0');
        if (*q == 'N') {
            char digits[10];
            g_snprintf(digits, sizeof(digits), "%06" G_GINT64_FORMAT "000", usec);
            g_string_append_len(fmt, digits, width ? width : 9);
            p = q;
            continue;
        }
        g_string_append_c(fmt, '%');
        if (p[1]) {
            g_string_append_c(fmt, p[1]);
            p++;
        }
    }
    localtime_r(&secs, &tm);
    char out[512];
    /* The format is the administrator's timestamp-format, as Pacemaker takes it. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    size_t n = fmt->len ? strftime(out, sizeof(out), fmt->str, &tm) : 0;
#pragma GCC diagnostic pop
    g_string_free(fmt, TRUE);
    return g_strndup(out, n);
}

static void setenv_pair(GPtrArray *env, const char *name, const char *value)
{
    /* Pacemaker sets each variable twice: CRM_alert_X and, for ClusterMon's scripts,
     * CRM_notify_X. */
    g_ptr_array_add(env, g_strdup_printf("CRM_alert_%s=%s", name, value));
    g_ptr_array_add(env, g_strdup_printf("CRM_notify_%s=%s", name, value));
}

static void setenv_int(GPtrArray *env, const char *name, int64_t value)
{
    g_autofree char *s = g_strdup_printf("%" G_GINT64_FORMAT, value);
    setenv_pair(env, name, s);
}

char **vmha_alert_env(const VmhaAlertInfo *info, const VmhaAlertRecipient *recipient,
                      const VmhaAlert *alert, uint64_t node_sequence, int64_t now_us,
                      const char *version)
{
    GPtrArray *env = g_ptr_array_new();
    char *const *attrs = recipient ? recipient->attrs : alert->attrs;
    const char *format = recipient ? recipient->timestamp_format : alert->timestamp_format;
    g_autofree char *stamp = vmha_alert_timestamp(format, now_us);

    g_ptr_array_add(env, g_strdup("PATH=/usr/sbin:/usr/bin:/sbin:/bin"));
    /* Instance attributes first: a CRM_alert_ variable of the same name set below wins. */
    for (size_t i = 0; attrs && attrs[i]; i++)
        g_ptr_array_add(env, g_strdup(attrs[i]));
    setenv_pair(env, "kind", vmha_alert_kind_to_string(info->kind));
    setenv_pair(env, "version", version);
    if (recipient)
        setenv_pair(env, "recipient", recipient->value);
    setenv_int(env, "node_sequence", (int64_t)node_sequence);
    setenv_pair(env, "timestamp", stamp);
    setenv_int(env, "timestamp_epoch", now_us / 1000000);
    setenv_int(env, "timestamp_usec", now_us % 1000000);
    if (info->node)
        setenv_pair(env, "node", info->node);
    if (info->desc)
        setenv_pair(env, "desc", info->desc);
    switch (info->kind) {
    case VMHA_ALERT_NODE:
        if (info->nodeid)
            setenv_int(env, "nodeid", info->nodeid);
        break;
    case VMHA_ALERT_FENCING:
        setenv_pair(env, "task", info->task);
        setenv_int(env, "rc", info->rc);
        break;
    case VMHA_ALERT_RESOURCE:
        setenv_pair(env, "rsc", info->rsc);
        setenv_pair(env, "task", info->task);
        setenv_int(env, "interval", info->interval_ms);
        setenv_int(env, "target_rc", info->target_rc);
        setenv_int(env, "status", info->status);
        setenv_int(env, "rc", info->rc);
        if (info->exec_ms >= 0)
            setenv_int(env, "exec_time", info->exec_ms);
        break;
    default:
        break;
    }
    /* vmha's own: the history event this alert comes from (vmctl events --since SEQ). */
    g_ptr_array_add(env, g_strdup_printf("CRM_alert_vmha_seq=%" G_GUINT64_FORMAT, info->seq));
    if (info->event_type)
        g_ptr_array_add(env, g_strdup_printf("CRM_alert_vmha_event=%s", info->event_type));
    g_ptr_array_add(env, NULL);
    return (char **)g_ptr_array_free(env, FALSE);
}

/* ---- vmctl alert add's settings ---- */

bool vmha_alert_option_name_valid(const char *name)
{
    if (!name || !*name || strlen(name) > 64 || !(g_ascii_isalpha(name[0]) || name[0] == '_'))
        return false;
    for (const char *p = name; *p; p++)
        if (!g_ascii_isalnum(*p) && *p != '_')
            return false;
    return !g_str_has_prefix(name, "CRM_") && strcmp(name, "PATH") != 0;
}

int vmha_alert_kinds_parse(const char *list, unsigned *ret_kinds)
{
    g_auto(GStrv) words = g_strsplit(list ? list : "", ",", -1);
    unsigned kinds = 0;

    for (size_t i = 0; words[i]; i++) {
        VmhaAlertKind k;
        if (vmha_alert_kind_from_string(words[i], &k) < 0 || (kinds & k))
            return -EINVAL;
        kinds |= k;
    }
    if (!kinds)
        return -EINVAL;
    *ret_kinds = kinds;
    return 0;
}

void vmha_alert_spec_clear(VmhaAlertSpec *spec)
{
    if (spec->recipients)
        g_ptr_array_free(spec->recipients, TRUE);
    if (spec->options)
        g_ptr_array_free(spec->options, TRUE);
    memset(spec, 0, sizeof(*spec));
}

static int spec_fail(VmhaAlertSpec *spec, char **ret_error, char *message)
{
    vmha_alert_spec_clear(spec);
    *ret_error = message;
    return -EINVAL;
}

int vmha_alert_spec_parse(char *const *pairs, VmhaAlertSpec *spec, char **ret_error)
{
    memset(spec, 0, sizeof(*spec));
    spec->kinds = VMHA_ALERT_ALL;
    spec->recipients = g_ptr_array_new();
    spec->options = g_ptr_array_new();
    for (size_t i = 0; pairs && pairs[i]; i++) {
        const char *kv = pairs[i], *eq = strchr(kv, '=');
        if (!eq)
            return spec_fail(spec, ret_error, g_strdup_printf("'%s' is not KEY=VALUE", kv));
        g_autofree char *key = g_strndup(kv, (size_t)(eq - kv));
        const char *value = eq + 1;
        int64_t ms = 0;
        if (strcmp(key, "path") == 0 && !spec->path) {
            if (!vmha_alert_path_valid(value))
                return spec_fail(spec, ret_error,
                                 g_strdup_printf("bad agent path '%s': an absolute path", value));
            spec->path = value;
        } else if (strcmp(key, "timeout") == 0 && !spec->timeout) {
            if (vmha_duration_parse(value, VMHA_DURATION_EXACT, &ms, NULL) < 0 || ms <= 0)
                return spec_fail(spec, ret_error,
                                 g_strdup_printf("bad timeout '%s': 30s, 2m, 500ms ...", value));
            spec->timeout = value;
        } else if (strcmp(key, "timestamp-format") == 0 && !spec->timestamp_format) {
            if (!*value || strlen(value) > 256 || strchr(value, '\n'))
                return spec_fail(
                        spec, ret_error,
                        g_strdup("bad timestamp format: one line, 256 characters at most"));
            spec->timestamp_format = value;
        } else if (strcmp(key, "select") == 0) {
            if (vmha_alert_kinds_parse(value, &spec->kinds) < 0)
                return spec_fail(spec, ret_error,
                                 g_strdup_printf("bad kinds '%s': node,fencing,resource", value));
        } else if (strcmp(key, "recipient") == 0) {
            if (!*value || strlen(value) > 1024 || strchr(value, '\n'))
                return spec_fail(spec, ret_error,
                                 g_strdup("bad recipient: one line, 1024 characters at most"));
            for (guint j = 0; j < spec->recipients->len; j++)
                if (strcmp(g_ptr_array_index(spec->recipients, j), value) == 0)
                    return spec_fail(spec, ret_error,
                                     g_strdup_printf("recipient '%s' given twice", value));
            g_ptr_array_add(spec->recipients, (char *)value);
        } else if (strcmp(key, "option") == 0) {
            const char *oeq = strchr(value, '=');
            g_autofree char *name = oeq ? g_strndup(value, (size_t)(oeq - value)) : NULL;
            if (!name || !vmha_alert_option_name_valid(name) || strchr(oeq, '\n'))
                return spec_fail(spec, ret_error,
                                 g_strdup_printf("bad option '%s': NAME=VALUE, NAME a shell "
                                                 "variable name not starting with CRM_",
                                                 value));
            for (guint j = 0; j < spec->options->len; j++) {
                const char *o = g_ptr_array_index(spec->options, j);
                if (strncmp(o, name, strlen(name)) == 0 && o[strlen(name)] == '=')
                    return spec_fail(spec, ret_error,
                                     g_strdup_printf("option '%s' given twice", name));
            }
            g_ptr_array_add(spec->options, (char *)value);
        } else {
            return spec_fail(spec, ret_error, g_strdup_printf("unexpected '%s'", kv));
        }
    }
    if (!spec->path)
        return spec_fail(spec, ret_error, g_strdup("an alert needs the agent's path"));
    return 0;
}
