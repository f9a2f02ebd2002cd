/* Writes about one VM: vm add, remove, set (and ban / unban), cleanup, move. */
#include "config.h"

#include <crm/common/xml.h>
#include <crm/crm.h>
#include <crm/msg_xml.h>
#include <errno.h>
#include <string.h>

#include "cibdb.h"
#include "cibread.h"
#include "cibwrite-vm.h"
#include "lrmstatus.h"
#include "maintcib.h"
#include "model.h"
#include "statusclean.h"
#include "vmbatch.h"
#include "vmattr.h"
#include "vmcib.h"

static VmhaResult decode_name(CdWriteIn *in, const char **ret_name, char **ret_error)
{
    if (cd_write_str(in, VMHA_F_NAME, ret_name) < 0 || !vmha_vm_name_valid(*ret_name))
        return cd_write_fail(ret_error, VMHA_RESULT_USAGE, "bad VM name");
    return VMHA_RESULT_OK;
}

/* A node list (prefer=a,b): NULL-terminated, each name valid and given once. */
static VmhaResult decode_node_list(CdWriteIn *in, const char *list, char ***ret_nodes,
                                   char **ret_error)
{
    if (vmha_prefer_parse(list, ret_nodes) < 0)
        return cd_write_fail(ret_error, VMHA_RESULT_USAGE, "bad node list '%s'", list);
    cd_write_own_strv(in, *ret_nodes);
    return VMHA_RESULT_OK;
}

static VmhaResult validate_nodes_known(xmlNode *cib, char *const *nodes, char **ret_error)
{
    VmhaResult r = VMHA_RESULT_OK;
    for (size_t i = 0; nodes && nodes[i] && r == VMHA_RESULT_OK; i++)
        r = cd_write_node_known(cib, nodes[i], ret_error);
    return r;
}

/* ---- vm add: F_NAME, F_CONFIG, F_PRIORITY, F_MEMORY, F_VCPUS, F_PREFER, F_KV ---- */

typedef struct {
    const char *name, *config;
    const char *priority; /* NULL: 0 */
    uint64_t memory, vcpus;
    char **prefer; /* the preferred nodes, first preferred; NULL: none */
    bool stopped;  /* added stopped (vmctl vm add --stopped) */
} VmAdd;

static VmhaResult vm_add_decode(CdWriteIn *in, void *write, char **ret_error)
{
    VmAdd *w = write;
    const char *canon, *err, *prefer = NULL;
    char *const *kvs = NULL;
    VmhaAttrSection sec;

    if (decode_name(in, &w->name, ret_error) != VMHA_RESULT_OK)
        return VMHA_RESULT_USAGE;
    if (cd_write_str(in, VMHA_F_CONFIG, &w->config) < 0 ||
        vmha_vm_attr_check("config", w->config, &canon, &sec, &err) < 0)
        return cd_write_fail(ret_error, VMHA_RESULT_USAGE, "config must be an absolute path");
    if (cd_write_str(in, VMHA_F_PRIORITY, &w->priority) < 0)
        w->priority = NULL;
    if (w->priority && vmha_vm_attr_check("priority", w->priority, &canon, &sec, &err) < 0)
        return cd_write_fail(ret_error, VMHA_RESULT_USAGE, "%s", err);
    if (vmha_msg_get_u64(in->msg, VMHA_F_MEMORY, &w->memory) < 0 || w->memory == 0 ||
        w->memory > (1u << 30))
        return cd_write_fail(ret_error, VMHA_RESULT_USAGE, "bad memory size");
    if (vmha_msg_get_u64(in->msg, VMHA_F_VCPUS, &w->vcpus) < 0 || w->vcpus == 0 || w->vcpus > 4096)
        return cd_write_fail(ret_error, VMHA_RESULT_USAGE, "bad vCPU count");
    /* The only setting at creation besides the above: added stopped. */
    if (cd_write_strv(in, VMHA_F_KV, &kvs) == 0)
        for (size_t i = 0; kvs[i]; i++) {
            if (strcmp(kvs[i], "target-role=Stopped") != 0)
                return cd_write_fail(ret_error, VMHA_RESULT_USAGE, "unexpected '%s'", kvs[i]);
            w->stopped = true;
        }
    if (cd_write_str(in, VMHA_F_PREFER, &prefer) == 0)
        return decode_node_list(in, prefer, &w->prefer, ret_error);
    return VMHA_RESULT_OK;
}

static VmhaResult vm_add_validate(const CdWriteCtx *ctx, const void *write, char **ret_error)
{
    const VmAdd *w = write;

    if (cd_cib_primitive(ctx->cib, w->name))
        return cd_write_fail(ret_error, VMHA_RESULT_FAILURE, "a resource named '%s' already exists",
                             w->name);
    return validate_nodes_known(ctx->cib, w->prefer, ret_error);
}

/* The preference for the i-th node of a VM: prefer-VM-NODE, with a score falling from the first
 * node to the last. */
static xmlNode *build_preference(const char *vm, const char *node, unsigned i)
{
    g_autofree char *id = g_strdup_printf("prefer-%s-%s", vm, node);
    g_autofree char *score = g_strdup_printf("%d", vmha_prefer_score(i));
    xmlNode *loc = create_xml_node(NULL, XML_CONS_TAG_RSC_LOCATION);
    crm_xml_add(loc, XML_ATTR_ID, id);
    crm_xml_add(loc, "rsc", vm);
    crm_xml_add(loc, "node", node);
    crm_xml_add(loc, XML_RULE_ATTR_SCORE, score);
    return loc;
}

/* The preferences as location constraints, one create each. */
static VmhaResult add_preferences(const char *vm, char *const *nodes, char **ret_error)
{
    for (size_t i = 0; nodes && nodes[i]; i++) {
        g_autoptr(GError) error = NULL;
        xmlNode *loc = build_preference(vm, nodes[i], (unsigned)i);
        int r = cd_cibdb_create(XML_CIB_TAG_CONSTRAINTS, loc, &error);
        free_xml(loc);
        if (r < 0)
            return cd_write_db_result(r, error, "cannot add a preference", ret_error);
    }
    return VMHA_RESULT_OK;
}

/* The VM's primitive: the agent, its config, priority, target-role and utilization. */
static xmlNode *build_primitive(const VmAdd *w)
{
    g_autofree char *mem = g_strdup_printf("%" G_GUINT64_FORMAT, w->memory);
    g_autofree char *cpu = g_strdup_printf("%" G_GUINT64_FORMAT, w->vcpus);

    xmlNode *prim = create_xml_node(NULL, XML_CIB_TAG_RESOURCE);
    crm_xml_add(prim, XML_ATTR_ID, w->name);
    crm_xml_add(prim, XML_AGENT_ATTR_CLASS, "ocf");
    crm_xml_add(prim, XML_AGENT_ATTR_PROVIDER, "vmha");
    crm_xml_add(prim, XML_ATTR_TYPE, "vm");
    xmlNode *inst = cd_write_add_set(prim, XML_TAG_ATTR_SETS, w->name, "instance_attributes");
    cd_write_add_nvpair(inst, "config", w->config);
    xmlNode *meta = cd_write_add_set(prim, XML_TAG_META_SETS, w->name, "meta_attributes");
    cd_write_add_nvpair(meta, "priority", w->priority ? w->priority : "0");
    if (w->stopped)
        cd_write_add_nvpair(meta, "target-role", "Stopped");
    xmlNode *util = cd_write_add_set(prim, XML_TAG_UTILIZATION, w->name, "utilization");
    cd_write_add_nvpair(util, "memory", mem);
    cd_write_add_nvpair(util, "cpu", cpu);
    return prim;
}

static VmhaResult vm_add_apply(const CdWriteCtx *ctx, const void *write, char **ret_error)
{
    const VmAdd *w = write;
    g_autoptr(GError) error = NULL;

    xmlNode *prim = build_primitive(w);
    int r = cd_cibdb_create(XML_CIB_TAG_RESOURCES, prim, &error);
    free_xml(prim);
    if (r < 0)
        return cd_write_db_result(r, error, "cannot add the VM", ret_error);
    return add_preferences(w->name, w->prefer, ret_error);
}

const CdWriteType cd_write_vm_add = {VMHA_MSG_VM_ADD, sizeof(VmAdd), vm_add_decode, vm_add_validate,
                                     vm_add_apply};

/* ---- vm add-many: F_JSON, the definitions (lib/vmbatch.h) ---- */

typedef struct {
    VmAdd *vms;
    size_t n;
    unsigned *lines; /* each VM's line in the file, 0: not known */
} VmAddMany;

static char *where(const VmAddMany *w, size_t i)
{
    VmhaVmDef def = {.line = w->lines[i]};
    return vmha_vmdef_where(&def, (guint)i);
}

/* Every definition passes vm add's own checks (the same code as vmctl's, vmbatch.c) before the
 * database is looked at. */
static VmhaResult vm_add_many_decode(CdWriteIn *in, void *write, char **ret_error)
{
    VmAddMany *w = write;
    const char *json;
    g_autoptr(GPtrArray) defs = NULL;
    g_autofree char *error = NULL;

    if (cd_write_str(in, VMHA_F_JSON, &json) < 0)
        return cd_write_fail(ret_error, VMHA_RESULT_USAGE, "no VM definitions");
    if (vmha_vmbatch_from_json(json, &defs, &error) < 0)
        return cd_write_fail(ret_error, VMHA_RESULT_USAGE, "%s", error);
    w->n = defs->len;
    w->vms = cd_write_own(in, g_new0(VmAdd, w->n));
    w->lines = cd_write_own(in, g_new0(unsigned, w->n));
    for (size_t i = 0; i < w->n; i++) {
        VmhaVmDef *d = defs->pdata[i];
        VmAdd *v = &w->vms[i];
        w->lines[i] = d->line;
        v->name = cd_write_own(in, g_steal_pointer(&d->name));
        v->config = cd_write_own(in, g_steal_pointer(&d->config));
        v->priority = cd_write_own(in, g_steal_pointer(&d->priority));
        v->memory = d->memory;
        v->vcpus = d->vcpus;
        v->stopped = d->stopped;
        if (d->prefer && decode_node_list(in, d->prefer, &v->prefer, ret_error) != VMHA_RESULT_OK)
            return VMHA_RESULT_USAGE; /* vmha_vmdef_check parsed it already */
    }
    return VMHA_RESULT_OK;
}

static void collect_ids(xmlNode *n, GHashTable *ids)
{
    for (xmlNode *c = n; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        const char *id = crm_element_value(c, XML_ATTR_ID);
        if (id)
            g_hash_table_add(ids, g_strdup(id));
        collect_ids(c->children, ids);
    }
}

/* The first id of the elements from n on (and under them) that ids holds, or NULL. */
static const char *find_taken_id(xmlNode *n, GHashTable *ids)
{
    for (xmlNode *c = n; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        const char *id = crm_element_value(c, XML_ATTR_ID), *under;
        if (id && g_hash_table_contains(ids, id))
            return id;
        if ((under = find_taken_id(c->children, ids)))
            return under;
    }
    return NULL;
}

/* One VM of the batch against the ids taken so far (the database's and the batch's before it),
 * which then holds its own: the name free, the nodes known, no id of what it adds taken. */
static VmhaResult validate_one(xmlNode *cib, GHashTable *prims, const VmAdd *v, GHashTable *ids,
                               char **ret_error)
{
    g_autoptr(GPtrArray) made = g_ptr_array_new_with_free_func((GDestroyNotify)free_xml);
    VmhaResult r = VMHA_RESULT_OK;

    if (g_hash_table_contains(prims, v->name))
        return cd_write_fail(ret_error, VMHA_RESULT_FAILURE, "a resource named '%s' already exists",
                             v->name);
    r = validate_nodes_known(cib, v->prefer, ret_error);
    g_ptr_array_add(made, build_primitive(v));
    for (size_t k = 0; r == VMHA_RESULT_OK && v->prefer && v->prefer[k]; k++)
        g_ptr_array_add(made, build_preference(v->name, v->prefer[k], (unsigned)k));
    for (guint i = 0; r == VMHA_RESULT_OK && i < made->len; i++) {
        const char *taken = find_taken_id(made->pdata[i], ids);
        if (taken)
            r = cd_write_fail(ret_error, VMHA_RESULT_FAILURE, "the id '%s' is taken", taken);
    }
    for (guint i = 0; r == VMHA_RESULT_OK && i < made->len; i++)
        collect_ids(made->pdata[i], ids);
    return r;
}

/* What vm add checks for one VM, for each, and that no two elements would share an id (libcib
 * would refuse a create, perhaps the second after the first was applied). The ids are gathered
 * once: checking each VM against the whole document would cost VMs x database. */
static VmhaResult vm_add_many_validate(const CdWriteCtx *ctx, const void *write, char **ret_error)
{
    const VmAddMany *w = write;
    g_autoptr(GHashTable) ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    xmlNode *config = pcmk_find_cib_element(ctx->cib, XML_CIB_TAG_CONFIGURATION);

    /* The database's primitives, looked up once each: a scan of them for each VM would cost
     * VMs x database. */
    g_autoptr(GHashTable) prims = cd_cib_primitive_ids(ctx->cib);

    collect_ids(config, ids);
    for (size_t i = 0; i < w->n; i++) {
        g_autofree char *error = NULL;
        VmhaResult r = validate_one(ctx->cib, prims, &w->vms[i], ids, &error);
        if (r != VMHA_RESULT_OK) {
            g_autofree char *at = where(w, i);
            return cd_write_fail(ret_error, r, "%s%s", at, error);
        }
    }
    return VMHA_RESULT_OK;
}

/* The VMs go into the write's copy first, which must load as a model (lib/model: what the
 * cluster would make of them) before libcib gets them: one create of all the primitives and one
 * of all the preferences, each applied whole or not at all by libcib, and validate made sure
 * neither can clash (should the second fail all the same, cd_cibwrite_apply undoes the first).
 * One create of N children costs N lookups of an id among the section's
 * children; N single adds would each also be replicated, saved and probed (issue 18). */
static VmhaResult vm_add_many_apply(const CdWriteCtx *ctx, const void *write, char **ret_error)
{
    const VmAddMany *w = write;
    xmlNode *resources = pcmk_find_cib_element(ctx->cib, XML_CIB_TAG_RESOURCES);
    xmlNode *constraints = pcmk_find_cib_element(ctx->cib, XML_CIB_TAG_CONSTRAINTS);
    g_autoptr(VmhaModel) model = NULL;
    g_autoptr(GError) error = NULL;
    xmlNode *new_res = create_xml_node(NULL, XML_CIB_TAG_RESOURCES);
    xmlNode *new_cons = create_xml_node(NULL, XML_CIB_TAG_CONSTRAINTS);
    VmhaResult result = VMHA_RESULT_OK;
    bool any_cons = false;

    if (!resources || !constraints) {
        free_xml(new_res);
        free_xml(new_cons);
        return cd_write_fail(ret_error, VMHA_RESULT_FAILURE,
                             "the database has no resources or "
                             "constraints section");
    }
    for (size_t i = 0; i < w->n; i++) {
        const VmAdd *v = &w->vms[i];
        /* Copies: each built node is the root of a document of its own, which free_xml()
         * frees with it (moved under another parent, that document would be lost). */
        xmlNode *prim = build_primitive(v);
        add_node_copy(resources, prim);
        add_node_copy(new_res, prim);
        free_xml(prim);
        for (size_t k = 0; v->prefer && v->prefer[k]; k++) {
            xmlNode *loc = build_preference(v->name, v->prefer[k], (unsigned)k);
            add_node_copy(constraints, loc);
            add_node_copy(new_cons, loc);
            free_xml(loc);
            any_cons = true;
        }
    }
    if (vmha_model_from_xml(ctx->cib, &model, &error) < 0) {
        result = cd_write_fail(ret_error, VMHA_RESULT_USAGE, "%s", error->message);
    } else {
        int r = cd_cibdb_create(XML_CIB_TAG_RESOURCES, new_res, &error);
        if (r < 0)
            result = cd_write_db_result(r, error, "cannot add the VMs", ret_error);
        else if (any_cons) {
            r = cd_cibdb_create(XML_CIB_TAG_CONSTRAINTS, new_cons, &error);
            if (r < 0)
                result = cd_write_db_result(r, error, "cannot add the preferences", ret_error);
        }
    }
    free_xml(new_res);
    free_xml(new_cons);
    return result;
}

const CdWriteType cd_write_vm_add_many = {VMHA_MSG_VM_ADD_MANY, sizeof(VmAddMany),
                                          vm_add_many_decode, vm_add_many_validate,
                                          vm_add_many_apply};

/* ---- vm remove: F_NAME ---- */

typedef struct {
    const char *name;
} VmName;

static VmhaResult vm_name_decode(CdWriteIn *in, void *write, char **ret_error)
{
    VmName *w = write;
    return decode_name(in, &w->name, ret_error);
}

/* A VM leaves the database only once it runs nowhere: its primitive holds what a stop needs (the
 * domain's config), and history of a removed VM plans nothing, so a VM removed while it ran would
 * run on unmanaged, its disk open, found by no one (a chaos run found g02 running 4 minutes after
 * its removal was acknowledged). Stop it first; a node that may still run it (its last operation
 * failed, or it is lost and not fenced) counts as running it. */
static VmhaResult vm_remove_validate(const CdWriteCtx *ctx, const void *write, char **ret_error)
{
    const VmName *w = write;
    const char *busy = NULL;
    VmhaResult r = cd_write_vm_known(ctx->cib, w->name, ret_error);
    if (r != VMHA_RESULT_OK)
        return r;
    xmlNode *status = pcmk_find_cib_element(ctx->cib, XML_CIB_TAG_STATUS);
    if (vmha_status_vm_pending(status, w->name, &busy))
        return cd_write_fail(ret_error, VMHA_RESULT_REFUSED,
                             "VM '%s' has an operation in progress on %s; stop it (vmctl vm stop "
                             "%s --wait) and remove it then",
                             w->name, busy, w->name);
    g_auto(GStrv) on = vmha_lrm_running_on(status, w->name, true);
    if (on && on[0]) {
        g_autofree char *nodes = g_strjoinv(", ", on);
        return cd_write_fail(ret_error, VMHA_RESULT_REFUSED,
                             "VM '%s' may run on %s; stop it first (vmctl vm stop %s --wait)",
                             w->name, nodes, w->name);
    }
    return VMHA_RESULT_OK;
}

static VmhaResult vm_remove_apply(const CdWriteCtx *ctx, const void *write, char **ret_error)
{
    const VmName *w = write;
    g_autoptr(GError) error = NULL;

    if (cd_write_remove_constraints(ctx->cib, w->name, &error) < 0)
        return cd_write_fail(ret_error, VMHA_RESULT_FAILURE, "cannot remove the VM's constraints");
    xmlNode *del = create_xml_node(NULL, XML_CIB_TAG_RESOURCE);
    crm_xml_add(del, XML_ATTR_ID, w->name);
    int r = cd_cibdb_delete(XML_CIB_TAG_RESOURCES, del, &error);
    free_xml(del);
    return cd_write_db_result(r, error, "cannot remove the VM", ret_error);
}

const CdWriteType cd_write_vm_remove = {VMHA_MSG_VM_REMOVE, sizeof(VmName), vm_name_decode,
                                        vm_remove_validate, vm_remove_apply};

/* ---- vm set (and vm ban / unban): F_NAME, F_KV KEY=VALUE... ---- */

/* One KEY=VALUE, decoded by what it sets. */
typedef struct {
    const char *key, *value;
    const char *name; /* the CIB's name for it (vmha_vm_attr_check) */
    VmhaAttrSection section;
    char **nodes;  /* PREFER: the node list (NULL when emptied) */
    char **others; /* COLOCATION: the other VMs */
    int *scores;   /* COLOCATION: their scores */
    bool flag;     /* COLOCATION: together (else apart); BAN: ban (else unban) */
} VmSetting;

typedef struct {
    const char *name;
    VmSetting *settings;
    size_t n_settings;
} VmSet;

static VmhaResult decode_setting(CdWriteIn *in, const char *vm, const char *kv, VmSetting *s,
                                 char **ret_error)
{
    const char *eq = strchr(kv, '='), *err;

    s->key = cd_write_own(in, g_strndup(kv, eq - kv));
    s->value = eq + 1;
    if (vmha_vm_attr_check(s->key, s->value, &s->name, &s->section, &err) < 0)
        return cd_write_fail(ret_error, VMHA_RESULT_USAGE, "%s: %s", s->key, err);
    switch (s->section) {
    case VMHA_ATTR_PREFER:
        return *s->value ? decode_node_list(in, s->value, &s->nodes, ret_error) : VMHA_RESULT_OK;
    case VMHA_ATTR_COLOCATION:
        s->flag = strcmp(s->name, "together") == 0;
        if (vmha_coloc_list_parse(s->value, vm, s->flag, &s->others, &s->scores) < 0)
            return cd_write_fail(ret_error, VMHA_RESULT_USAGE,
                                 "%s: bad list '%s' (VMs other than %s, each once, with an "
                                 "optional positive score)",
                                 s->key, s->value, vm);
        cd_write_own_strv(in, s->others);
        cd_write_own(in, s->scores);
        return VMHA_RESULT_OK;
    case VMHA_ATTR_BAN:
        s->flag = strcmp(s->name, "ban") == 0;
        return VMHA_RESULT_OK;
    default:
        return VMHA_RESULT_OK;
    }
}

static VmhaResult vm_set_decode(CdWriteIn *in, void *write, char **ret_error)
{
    VmSet *w = write;
    char *const *kvs = NULL;

    if (decode_name(in, &w->name, ret_error) != VMHA_RESULT_OK)
        return VMHA_RESULT_USAGE;
    if (cd_write_settings(in, &kvs, &w->n_settings, ret_error) != VMHA_RESULT_OK)
        return VMHA_RESULT_USAGE;
    for (size_t i = 0; kvs[i]; i++)
        if (!strchr(kvs[i], '=') || kvs[i][0] == '=')
            return cd_write_fail(ret_error, VMHA_RESULT_USAGE, "'%s' is not KEY=VALUE", kvs[i]);
    w->settings = cd_write_own(in, g_new0(VmSetting, w->n_settings));
    for (size_t i = 0; i < w->n_settings; i++)
        if (decode_setting(in, w->name, kvs[i], &w->settings[i], ret_error) != VMHA_RESULT_OK)
            return VMHA_RESULT_USAGE;
    return VMHA_RESULT_OK;
}

static VmhaResult vm_set_validate(const CdWriteCtx *ctx, const void *write, char **ret_error)
{
    const VmSet *w = write;
    VmhaResult r = cd_write_vm_known(ctx->cib, w->name, ret_error);

    for (size_t i = 0; i < w->n_settings && r == VMHA_RESULT_OK; i++) {
        const VmSetting *s = &w->settings[i];
        if (s->section == VMHA_ATTR_PREFER)
            r = validate_nodes_known(ctx->cib, s->nodes, ret_error);
        for (size_t j = 0; s->section == VMHA_ATTR_COLOCATION && s->others[j]; j++)
            if (!cd_cib_vm(ctx->cib, s->others[j]))
                return cd_write_fail(ret_error, VMHA_RESULT_NOT_FOUND, "%s: unknown VM '%s'",
                                     s->key, s->others[j]);
        if (s->section == VMHA_ATTR_BAN && *s->value)
            r = cd_write_node_known(ctx->cib, s->value, ret_error);
    }
    return r;
}

/* 1 when the setting changed the document, 0 when it already said so. */
static int set_one(xmlNode *config, const char *vm, const VmSetting *s)
{
    switch (s->section) {
    case VMHA_ATTR_PREFER:
        return vmha_cib_vm_prefer_set(config, vm, s->nodes);
    case VMHA_ATTR_COLOCATION:
        return vmha_cib_vm_coloc_set(config, vm, s->flag, s->others, s->scores);
    case VMHA_ATTR_BAN:
        return vmha_cib_vm_ban(config, vm, *s->value ? s->value : NULL, s->flag);
    default:
        return vmha_cib_vm_attr_set(config, vm, s->section, s->name, s->value);
    }
}

static bool is_constraint(VmhaAttrSection section)
{
    return section == VMHA_ATTR_PREFER || section == VMHA_ATTR_COLOCATION ||
           section == VMHA_ATTR_BAN;
}

/* Every pair is applied to the write's copy of the database, which must then load (lib/model
 * checks what it means, e.g. that the VMs a colocation names exist) before it replaces the
 * database's in one step: all pairs or none. A change of the VM's own settings only replaces
 * its primitive: libcib matches a replaced element's children by id against the old ones, which
 * costs the square of the VMs when the whole configuration is replaced (bench/cibwrite). */
static VmhaResult vm_set_apply(const CdWriteCtx *ctx, const void *write, char **ret_error)
{
    const VmSet *w = write;
    xmlNode *config = pcmk_find_cib_element(ctx->cib, XML_CIB_TAG_CONFIGURATION);
    g_autofree char *other = NULL;
    g_autoptr(VmhaModel) model = NULL;
    g_autoptr(GError) error = NULL;
    bool own_only = true;
    int changed = 0;

    for (size_t i = 0; i < w->n_settings; i++) {
        int c = set_one(config, w->name, &w->settings[i]);
        changed |= c > 0;
        own_only &= c <= 0 || !is_constraint(w->settings[i].section);
    }
    if (vmha_cib_vm_coloc_conflict(config, w->name, &other))
        return cd_write_fail(ret_error, VMHA_RESULT_USAGE,
                             "%s would be kept both together with and apart from %s", w->name,
                             other);
    if (vmha_model_from_xml(ctx->cib, &model, &error) < 0)
        return cd_write_fail(ret_error, VMHA_RESULT_USAGE, "%s", error->message);
    if (changed && own_only)
        return cd_write_replace_primitive(cd_cib_primitive(ctx->cib, w->name), ret_error);
    return cd_write_replace_configuration(config, ret_error);
}

const CdWriteType cd_write_vm_set = {VMHA_MSG_VM_SET, sizeof(VmSet), vm_set_decode, vm_set_validate,
                                     vm_set_apply};

/* ---- vm cleanup: F_NAME; or F_NAME, F_NODE, F_KV cause=storage-back from that node's clusterd
 * (storagewatch.c) ---- */

#define CLEANUP_STORAGE_BACK "storage-back"

typedef struct {
    const char *name;
    const char *node; /* with cause=storage-back: only this node's storage failures */
} VmCleanup;

static VmhaResult vm_cleanup_decode(CdWriteIn *in, void *write, char **ret_error)
{
    VmCleanup *w = write;
    char *const *kvs = NULL;

    if (decode_name(in, &w->name, ret_error) != VMHA_RESULT_OK)
        return VMHA_RESULT_USAGE;
    if (cd_write_strv(in, VMHA_F_KV, &kvs) < 0)
        kvs = NULL;
    const char *cause = cd_write_kv(kvs, "cause");
    int r = cd_write_str(in, VMHA_F_NODE, &w->node);
    if (r == -ENOENT && !cause)
        return VMHA_RESULT_OK;
    if (r < 0 || !vmha_node_name_valid(w->node) || g_strcmp0(cause, CLEANUP_STORAGE_BACK) != 0)
        return cd_write_fail(ret_error, VMHA_RESULT_USAGE,
                             "a cleanup on one node is only cause=" CLEANUP_STORAGE_BACK
                             " with a valid node name");
    return VMHA_RESULT_OK;
}

/* The node's state when its latest failure of the VM is one the agent blamed on unreachable
 * shared storage (vmha_status_storage_failure), else NULL. */
static xmlNode *storage_failure_state(xmlNode *cib, const VmCleanup *w)
{
    const char *id = cd_write_node_id(cib, w->node);
    xmlNode *status = pcmk_find_cib_element(cib, XML_CIB_TAG_STATUS);
    xmlNode *ns = id && status ? cd_write_node_state(status, id) : NULL;

    return ns && vmha_status_storage_failure(ns, w->name) ? ns : NULL;
}

/* Forgetting an operation in flight would let the leader plan the VM again while it may be
 * starting: the one thing that must never happen. A storage-back cleanup forgets no history,
 * only the node's fail counts, so that the policy engine may consider the node again; it is
 * refused when the VM's latest failure there is not (any more) the storage's, so a request
 * that raced a later failure clears nothing. */
static VmhaResult vm_cleanup_validate(const CdWriteCtx *ctx, const void *write, char **ret_error)
{
    const VmCleanup *w = write;
    const char *busy = NULL;
    VmhaResult r = cd_write_vm_known(ctx->cib, w->name, ret_error);

    if (r == VMHA_RESULT_OK && w->node) {
        if ((r = cd_write_node_known(ctx->cib, w->node, ret_error)) != VMHA_RESULT_OK)
            return r;
        if (!storage_failure_state(ctx->cib, w))
            return cd_write_fail(ret_error, VMHA_RESULT_FAILURE,
                                 "%s has no failure of %s blamed on its shared storage", w->node,
                                 w->name);
        return VMHA_RESULT_OK;
    }
    if (r == VMHA_RESULT_OK &&
        vmha_status_vm_pending(pcmk_find_cib_element(ctx->cib, XML_CIB_TAG_STATUS), w->name, &busy))
        r = cd_write_fail(ret_error, VMHA_RESULT_FAILURE,
                          "VM '%s' has an operation in progress on %s; try again when it is done",
                          w->name, busy);
    return r;
}

/* Forgets the VM's history and failures on every node; every node then probes it, as
 * Pacemaker's cleanup does. A storage-back cleanup clears the VM's fail counts on that node. */
static VmhaResult vm_cleanup_apply(const CdWriteCtx *ctx, const void *write, char **ret_error)
{
    const VmCleanup *w = write;

    if (!pcmk_find_cib_element(ctx->cib, XML_CIB_TAG_STATUS))
        return VMHA_RESULT_OK;
    xmlNode *copy = cd_write_status_copy(ctx->cib);
    if (w->node) {
        const char *id = cd_write_node_id(ctx->cib, w->node);
        xmlNode *ns = id ? cd_write_node_state(copy, id) : NULL;
        return cd_write_replace_status(ctx->cib, copy,
                                       vmha_status_clear_node_failures(ns, w->name) > 0,
                                       "cannot clear the VM's failures", ret_error);
    }
    return cd_write_replace_status(ctx->cib, copy, vmha_status_cleanup_vm(copy, w->name) > 0,
                                   "cannot clean up the VM", ret_error);
}

const CdWriteType cd_write_vm_cleanup = {VMHA_MSG_VM_CLEANUP, sizeof(VmCleanup), vm_cleanup_decode,
                                         vm_cleanup_validate, vm_cleanup_apply};

/* ---- vm move: F_NAME away from F_KV from=NODE (where the asker saw it run), to F_NODE when
 * given, by F_KV method=... when given ---- */

typedef struct {
    const char *name;
    const char *from; /* NULL when not given */
    const char *to;   /* NULL: anywhere else */
    VmhaMigrationMethod method;
} VmMove;

static VmhaResult vm_move_decode(CdWriteIn *in, void *write, char **ret_error)
{
    VmMove *w = write;
    char *const *kvs = NULL;

    if (decode_name(in, &w->name, ret_error) != VMHA_RESULT_OK)
        return VMHA_RESULT_USAGE;
    if (cd_write_str(in, VMHA_F_NODE, &w->to) < 0)
        w->to = NULL;
    if (cd_write_strv(in, VMHA_F_KV, &kvs) < 0)
        kvs = NULL;
    w->from = cd_write_kv(kvs, "from");
    const char *method = cd_write_kv(kvs, "method");
    if (method && vmha_migration_method_from_string(method, &w->method) < 0)
        return cd_write_fail(ret_error, VMHA_RESULT_USAGE,
                             "bad method '%s': " VMHA_MIGRATION_METHODS, method);
    return VMHA_RESULT_OK;
}

static VmhaResult vm_move_validate(const CdWriteCtx *ctx, const void *write, char **ret_error)
{
    const VmMove *w = write;
    VmhaResult r = cd_write_vm_known(ctx->cib, w->name, ret_error);

    if (r != VMHA_RESULT_OK)
        return r;
    if (!w->from || !cd_write_node_id(ctx->cib, w->from))
        return cd_write_fail(ret_error, VMHA_RESULT_NOT_FOUND, "unknown node '%s'",
                             w->from ? w->from : "");
    if (w->to && cd_write_node_known(ctx->cib, w->to, ret_error) != VMHA_RESULT_OK)
        return VMHA_RESULT_NOT_FOUND;
    if (w->to && strcmp(w->to, w->from) == 0)
        return cd_write_fail(ret_error, VMHA_RESULT_USAGE, "%s already runs on %s", w->name, w->to);
    return VMHA_RESULT_OK;
}

/* Two location constraints that the write recording the VM's arrival removes
 * (cibwrite-status.c), and the method. */
static VmhaResult vm_move_apply(const CdWriteCtx *ctx, const void *write, char **ret_error)
{
    const VmMove *w = write;
    xmlNode *config = copy_xml(pcmk_find_cib_element(ctx->cib, XML_CIB_TAG_CONFIGURATION));
    VmhaResult r =
            vmha_cib_move_set(config, w->name, w->from, w->to, w->method) < 0
                    ? cd_write_fail(ret_error, VMHA_RESULT_NOT_FOUND, "unknown VM '%s'", w->name)
                    : cd_write_replace_configuration(config, ret_error);
    free_xml(config);
    return r;
}

const CdWriteType cd_write_vm_move = {VMHA_MSG_VM_MOVE, sizeof(VmMove), vm_move_decode,
                                      vm_move_validate, vm_move_apply};
