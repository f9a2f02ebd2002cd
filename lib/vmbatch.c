/* Many VMs in one write: the file, the request, the checks (vmbatch.h). */
#include "config.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "vmattr.h"
#include "vmbatch.h"

void vmha_vmdef_free(VmhaVmDef *def)
{
    if (!def)
        return;
    g_free(def->name);
    g_free(def->config);
    g_free(def->priority);
    g_free(def->prefer);
    g_free(def);
}

static void def_free(gpointer p)
{
    vmha_vmdef_free(p);
}

char *vmha_vmdef_where(const VmhaVmDef *def, guint index)
{
    return def->line ? g_strdup_printf("line %u: ", def->line)
                     : g_strdup_printf("VM %u: ", index + 1);
}

int vmha_vmdef_check(const VmhaVmDef *def, bool need_sizes, char **ret_error)
{
    const char *canon, *err;
    VmhaAttrSection sec;
    g_auto(GStrv) nodes = NULL;

    if (!def->name || !vmha_vm_name_valid(def->name)) {
        *ret_error =
                g_strdup_printf("bad VM name '%s': letters, digits, '_', '.', '-' (64 at most)",
                                def->name ? def->name : "");
        return -EINVAL;
    }
    if (!def->config) {
        *ret_error = g_strdup("--config PATH is missing");
        return -EINVAL;
    }
    if (vmha_vm_attr_check("config", def->config, &canon, &sec, &err) < 0 ||
        (def->priority && vmha_vm_attr_check("priority", def->priority, &canon, &sec, &err) < 0)) {
        *ret_error = g_strdup(err);
        return -EINVAL;
    }
    if (def->prefer && vmha_prefer_parse(def->prefer, &nodes) < 0) {
        *ret_error = g_strdup_printf("bad node list '%s'", def->prefer);
        return -EINVAL;
    }
    if (need_sizes && (def->memory == 0 || def->memory > (1u << 30))) {
        *ret_error = g_strdup("bad memory size");
        return -EINVAL;
    }
    if (need_sizes && (def->vcpus == 0 || def->vcpus > 4096)) {
        *ret_error = g_strdup("bad vCPU count");
        return -EINVAL;
    }
    return 0;
}

/* The value of --NAME VALUE or --NAME=VALUE at argv[*i]; NULL when argv[*i] is not that option,
 * "" with *ret_missing when the value is missing. */
static const char *option_value(char **argv, int argc, int *i, const char *name, bool *ret_missing)
{
    const char *a = argv[*i];
    size_t n = strlen(name);

    if (strncmp(a, "--", 2) != 0 || strncmp(a + 2, name, n) != 0)
        return NULL;
    if (a[2 + n] == '=')
        return a + 3 + n;
    if (a[2 + n] != '\0')
        return NULL;
    if (*i + 1 >= argc) {
        *ret_missing = true;
        return "";
    }
    return argv[++*i];
}

/* One line's words into def; -EINVAL with the reason. */
static int parse_words(int argc, char **argv, VmhaVmDef *def, char **ret_error)
{
    static const char *const valued[] = {"config", "priority", "prefer"};

    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        bool known = false, missing = false;

        for (size_t k = 0; k < G_N_ELEMENTS(valued) && !known; k++) {
            const char *v = option_value(argv, argc, &i, valued[k], &missing);
            if (!v)
                continue;
            known = true;
            char **slot = k == 0 ? &def->config : k == 1 ? &def->priority : &def->prefer;
            if (missing) {
                *ret_error = g_strdup_printf("--%s needs a value", valued[k]);
                return -EINVAL;
            }
            if (*slot) {
                *ret_error = g_strdup_printf("--%s given twice", valued[k]);
                return -EINVAL;
            }
            *slot = g_strdup(v);
        }
        if (known)
            continue;
        if (strcmp(a, "--stopped") == 0) {
            def->stopped = true;
        } else if (strncmp(a, "-", 1) == 0) {
            *ret_error = g_strdup_printf("unknown option '%s'", a);
            return -EINVAL;
        } else if (def->name) {
            *ret_error = g_strdup_printf("unexpected '%s' (one VM per line)", a);
            return -EINVAL;
        } else {
            def->name = g_strdup(a);
        }
    }
    if (!def->name) {
        *ret_error = g_strdup("no VM name");
        return -EINVAL;
    }
    return vmha_vmdef_check(def, false, ret_error);
}

/* Adds def to defs unless its name is already in names; -EINVAL with the reason. */
static int add_unique(GPtrArray *defs, GHashTable *names, VmhaVmDef *def, char **ret_error)
{
    if (!g_hash_table_add(names, def->name)) {
        *ret_error = g_strdup_printf("VM '%s' is defined twice", def->name);
        vmha_vmdef_free(def);
        return -EINVAL;
    }
    if (defs->len >= VMHA_VMBATCH_MAX) {
        *ret_error = g_strdup_printf("more than %u VMs", VMHA_VMBATCH_MAX);
        vmha_vmdef_free(def);
        return -EINVAL;
    }
    g_ptr_array_add(defs, def);
    return 0;
}

int vmha_vmbatch_parse(const char *text, GPtrArray **ret_defs, char **ret_error)
{
    g_autoptr(GPtrArray) defs = g_ptr_array_new_with_free_func(def_free);
    g_autoptr(GHashTable) names = g_hash_table_new(g_str_hash, g_str_equal);
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

    for (guint n = 0; lines[n]; n++) {
        const char *l = g_strchomp(lines[n]); /* also a DOS line end's \r */
        g_autofree char *reason = NULL;
        g_auto(GStrv) argv = NULL;
        g_autoptr(GError) error = NULL;
        int argc = 0;

        while (*l == ' ' || *l == '\t' || *l == '\r')
            l++;
        if (*l == '\0' || *l == '#')
            continue;
        if (!g_utf8_validate(l, -1, NULL)) {
            reason = g_strdup("not UTF-8 text");
        } else if (!g_shell_parse_argv(l, &argc, &argv, &error)) {
            reason = g_strdup_printf("cannot split the line: %s", error->message);
        } else {
            g_autoptr(VmhaVmDef) def = g_new0(VmhaVmDef, 1);
            def->line = n + 1;
            if (parse_words(argc, argv, def, &reason) == 0)
                (void)add_unique(defs, names, g_steal_pointer(&def), &reason);
        }
        if (reason) {
            *ret_error = g_strdup_printf("line %u: %s", n + 1, reason);
            return -EINVAL;
        }
    }
    if (defs->len == 0) {
        *ret_error = g_strdup("no VMs");
        return -EINVAL;
    }
    *ret_defs = g_steal_pointer(&defs);
    return 0;
}

char *vmha_vmbatch_to_json(const GPtrArray *defs)
{
    json_object *a = json_object_new_array_ext((int)defs->len);

    for (guint i = 0; i < defs->len; i++) {
        const VmhaVmDef *d = defs->pdata[i];
        json_object *o = json_object_new_object();
        if (d->line)
            json_object_object_add(o, "line", json_object_new_int64(d->line));
        json_object_object_add(o, "name", json_object_new_string(d->name));
        json_object_object_add(o, "config", json_object_new_string(d->config));
        if (d->priority)
            json_object_object_add(o, "priority", json_object_new_string(d->priority));
        if (d->prefer)
            json_object_object_add(o, "prefer", json_object_new_string(d->prefer));
        if (d->stopped)
            json_object_object_add(o, "stopped", json_object_new_boolean(true));
        json_object_object_add(o, "memory", json_object_new_uint64(d->memory));
        json_object_object_add(o, "vcpus", json_object_new_uint64(d->vcpus));
        json_object_array_add(a, o);
    }
    char *s = g_strdup(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN));
    json_object_put(a);
    return s;
}

/* One object of the payload: the known members of the right types, nothing else. */
static int def_from_json(json_object *o, VmhaVmDef *def, char **ret_error)
{
    if (!json_object_is_type(o, json_type_object)) {
        *ret_error = g_strdup("not an object");
        return -EINVAL;
    }
    json_object_object_foreach(o, key, val)
    {
        char **slot = strcmp(key, "name") == 0       ? &def->name
                      : strcmp(key, "config") == 0   ? &def->config
                      : strcmp(key, "priority") == 0 ? &def->priority
                      : strcmp(key, "prefer") == 0   ? &def->prefer
                                                     : NULL;
        uint64_t *num = strcmp(key, "memory") == 0  ? &def->memory
                        : strcmp(key, "vcpus") == 0 ? &def->vcpus
                                                    : NULL;
        bool ok;
        if (slot) {
            ok = json_object_is_type(val, json_type_string);
            if (ok)
                *slot = g_strdup(json_object_get_string(val));
        } else if (num) {
            ok = json_object_is_type(val, json_type_int) && json_object_get_int64(val) >= 0;
            if (ok)
                *num = json_object_get_uint64(val);
        } else if (strcmp(key, "stopped") == 0) {
            ok = json_object_is_type(val, json_type_boolean);
            def->stopped = ok && json_object_get_boolean(val);
        } else if (strcmp(key, "line") == 0) {
            int64_t line = json_object_get_int64(val);
            ok = json_object_is_type(val, json_type_int) && line > 0 && line <= G_MAXUINT;
            if (ok)
                def->line = (unsigned)line;
        } else {
            *ret_error = g_strdup_printf("unknown member '%s'", key);
            return -EINVAL;
        }
        if (!ok) {
            *ret_error = g_strdup_printf("bad value of '%s'", key);
            return -EINVAL;
        }
    }
    return vmha_vmdef_check(def, true, ret_error);
}

int vmha_vmbatch_from_json(const char *json, GPtrArray **ret_defs, char **ret_error)
{
    g_autoptr(GPtrArray) defs = g_ptr_array_new_with_free_func(def_free);
    g_autoptr(GHashTable) names = g_hash_table_new(g_str_hash, g_str_equal);
    json_object *a = json_tokener_parse(json);
    int r = 0;

    if (!a || !json_object_is_type(a, json_type_array) || json_object_array_length(a) == 0 ||
        json_object_array_length(a) > VMHA_VMBATCH_MAX) {
        *ret_error = g_strdup_printf("the VMs must be a JSON array of 1 to %u objects",
                                     VMHA_VMBATCH_MAX);
        json_object_put(a);
        return -EINVAL;
    }
    for (size_t i = 0; i < json_object_array_length(a) && r == 0; i++) {
        g_autoptr(VmhaVmDef) def = g_new0(VmhaVmDef, 1);
        g_autofree char *reason = NULL;
        r = def_from_json(json_object_array_get_idx(a, i), def, &reason);
        VmhaVmDef where = {.line = def->line};
        if (r == 0)
            r = add_unique(defs, names, g_steal_pointer(&def), &reason);
        if (r < 0) {
            g_autofree char *prefix = vmha_vmdef_where(&where, (guint)i);
            *ret_error = g_strdup_printf("%s%s", prefix, reason);
        }
    }
    json_object_put(a);
    if (r < 0)
        return r;
    *ret_defs = g_steal_pointer(&defs);
    return 0;
}
