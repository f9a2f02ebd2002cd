/* Reading a CIB's values: errors and warnings that name the element, attribute sets, and
 * numbers, booleans and durations as Pacemaker reads them (pcmknum.h, duration.h). See
 * model-internal.h. */
#include <errno.h>
#include <stdlib.h>

#include "duration.h"
#include "model-internal.h"
#include "pcmknum.h"

int loader_fail(Loader *l, VmhaModelError code, Elem *where, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *msg = NULL;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (where) {
        const char *id = attr(where, "id");
        g_set_error(l->error, VMHA_MODEL_ERROR, code, "<%s%s%s%s> (line %ld): %s", where->name,
                    id ? " id=\"" : "", id ? id : "", id ? "\"" : "", where->line, msg);
    } else {
        g_set_error_literal(l->error, VMHA_MODEL_ERROR, code, msg);
    }
    return -1;
}

int loader_parse_int64(const char *s, int64_t min, int64_t max, int64_t *ret)
{
    char *end = NULL;
    if (!s || !*s)
        return -1;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end != '\0' || errno == ERANGE || v < min || v > max)
        return -1;
    *ret = v;
    return 0;
}

int loader_for_each_nvpair(Loader *l, Elem *parent, const char *set_name, NvpairFn fn, void *data)
{
    for (Elem *set = parent->children; set; set = set->next) {
        if (!NAME_EQ(set, set_name))
            continue;
        if (attr(set, "id-ref"))
            return loader_fail(l, VMHA_MODEL_ERROR_UNSUPPORTED, set,
                               "id-ref sets are not supported");
        for (Elem *nv = set->children; nv; nv = nv->next) {
            if (NAME_EQ(nv, "rule"))
                return loader_fail(l, VMHA_MODEL_ERROR_UNSUPPORTED, set,
                                   "rules in attribute sets are not supported");
            if (!NAME_EQ(nv, "nvpair"))
                continue;
            const char *name = attr(nv, "name");
            const char *value = attr(nv, "value");
            if (!name)
                return loader_fail(l, VMHA_MODEL_ERROR_INVALID, nv, "nvpair without a name");
            if (!value)
                value = "";
            if (fn(l, nv, name, value, data) < 0)
                return -1;
        }
    }
    return 0;
}

int loader_bad_value(Loader *l, Elem *nv, const char *name, const char *value, const char *what)
{
    return loader_fail(l, VMHA_MODEL_ERROR_INVALID, nv, "'%s' = '%s' is not %s", name, value, what);
}

/* A value read as Pacemaker reads it, which is not what its text says: kept as a warning. */
void loader_warn(Loader *l, Elem *where, const char *name, const char *value, const char *read_as,
                 const char *note)
{
    const char *id = attr(where, "id");
    if (!g_hash_table_add(l->warned, where))
        return;
    g_ptr_array_add(l->m->warnings,
                    g_strdup_printf("<%s%s%s%s> (line %ld): '%s' = '%s' read as %s (%s), as "
                                    "Pacemaker reads it",
                                    where->name, id ? " id=\"" : "", id ? id : "", id ? "\"" : "",
                                    where->line, name, value, read_as, note));
}

/* An attribute score (priority, stickiness, fail counts): Pacemaker's char2score(). */
int loader_attr_score(Loader *l, Elem *nv, const char *name, const char *value)
{
    VmhaPcmkNote note = NULL;
    int v = vmha_pcmk_score(value, &note);
    if (note) {
        g_autofree char *as = g_strdup_printf("%d", v);
        loader_warn(l, nv, name, value, as, note);
    }
    return v;
}

/* An attribute boolean: Pacemaker's crm_is_true(), anything unknown is false. */
bool loader_attr_true(Loader *l, Elem *nv, const char *name, const char *value)
{
    bool b = false;
    if (vmha_pcmk_boolean(value, &b) < 0)
        loader_warn(l, nv, name, value, "false", "not a boolean");
    return b;
}

/* A duration attribute in seconds (failure-timeout): crm_parse_interval_spec() / 1000, which
 * reads what is not a duration as 0. */
int64_t loader_attr_seconds(Loader *l, Elem *nv, const char *name, const char *value)
{
    VmhaPcmkNote note = NULL;
    int64_t ms = 0;
    if (vmha_duration_parse(value, VMHA_DURATION_PCMK_INTERVAL, &ms, &note) < 0) {
        ms = 0;
        note = "not a duration (read as 0)";
    }
    int64_t s = ms / 1000;
    if (note) {
        g_autofree char *as = g_strdup_printf("%" G_GINT64_FORMAT " s", s);
        loader_warn(l, nv, name, value, as, note);
    }
    return s;
}

/* A utilization value (memory, cpu) as Pacemaker's utilization_value() reads it. Negative
 * amounts mean nothing to vmha's capacity arithmetic: read as 0, with a warning. */
int64_t loader_utilization(Loader *l, Elem *nv, const char *name, const char *value)
{
    VmhaPcmkNote note = NULL;
    int64_t v = vmha_pcmk_utilization(value, &note);
    if (v < 0) {
        note = "negative";
        v = 0;
    }
    if (note) {
        g_autofree char *as = g_strdup_printf("%" G_GINT64_FORMAT, v);
        loader_warn(l, nv, name, value, as, note);
    }
    return v;
}
