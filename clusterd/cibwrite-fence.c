/* Writes about fencing: fence devices (vmctl fence add|remove|set), a fence request (vmctl node
 * fence) and the leader's fencing outcome (FENCED). */
#include "config.h"

#include <crm/common/xml.h>
#include <crm/crm.h>
#include <crm/msg_xml.h>
#include <errno.h>
#include <string.h>

#include "cibdb.h"
#include "cibread.h"
#include "cibwrite-fence.h"
#include "fencedev.h"
#include "fencer.h"
#include "lrmstatus.h"
#include "statusclean.h"
#include "vmattr.h"

static xmlNode *find_fence_device(xmlNode *cib, const char *id)
{
    xmlNode *p = cd_cib_primitive(cib, id);
    return p && g_strcmp0(crm_element_value(p, XML_AGENT_ATTR_CLASS), "stonith") == 0 ? p : NULL;
}

/* The nodes only device `id` fences (vmha_fence_only_device_of over every stonith primitive,
 * pcmk_host_list read as the fencer reads it). */
static char **only_device_of(xmlNode *cib, const char *id)
{
    xmlNode *res = pcmk_find_cib_element(cib, XML_CIB_TAG_RESOURCES);
    g_autoptr(GPtrArray) lists = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
    g_autoptr(GArray) devices = g_array_new(false, true, sizeof(VmhaFenceDeviceHosts));

    for (xmlNode *p = res ? first_named_child(res, XML_CIB_TAG_RESOURCE) : NULL; p;
         p = crm_next_same_xml(p)) {
        if (g_strcmp0(crm_element_value(p, XML_AGENT_ATTR_CLASS), "stonith") != 0 ||
            !crm_element_value(p, XML_ATTR_ID))
            continue;
        const char *list = cd_cib_nvpair(p, XML_TAG_ATTR_SETS, "pcmk_host_list");
        g_auto(GStrv) split = g_strsplit_set(list ? list : "", " ,;\t", -1);
        /* Empty strings from repeated separators name no node. */
        GPtrArray *hosts = g_ptr_array_new();
        for (size_t i = 0; split[i]; i++)
            if (*split[i])
                g_ptr_array_add(hosts, g_strdup(split[i]));
        g_ptr_array_add(hosts, NULL);
        char **h = (char **)g_ptr_array_free(hosts, false);
        g_ptr_array_add(lists, h);
        VmhaFenceDeviceHosts d = {crm_element_value(p, XML_ATTR_ID), (const char *const *)h};
        g_array_append_val(devices, d);
    }
    return vmha_fence_only_device_of((const VmhaFenceDeviceHosts *)(void *)devices->data,
                                     devices->len, id);
}

/* Refuses to take away the only device of some node unless forced (root: the submitting
 * clusterd refuses force=on from anyone else). What the rule closes: a member of the admin group
 * removing the real device and adding one of their own. keep (NULL-terminated, or NULL): the
 * hosts the device keeps (fence set), which lose nothing; a name that is no node of the database
 * then loses nothing either (a node that left). */
static VmhaResult check_orphans(xmlNode *cib, const char *id, char *const *keep, bool forced,
                                char **ret_error)
{
    g_auto(GStrv) only = only_device_of(cib, id);
    g_autoptr(GPtrArray) orphans = g_ptr_array_new();

    for (size_t i = 0; only[i]; i++)
        if (!keep || (!g_strv_contains((const char *const *)keep, only[i]) &&
                      cd_write_node_id(cib, only[i])))
            g_ptr_array_add(orphans, only[i]);
    if (!orphans->len || forced)
        return VMHA_RESULT_OK;
    g_ptr_array_add(orphans, NULL);
    g_autofree char *list = g_strjoinv(", ", (char **)orphans->pdata);
    return cd_write_fail(ret_error, VMHA_RESULT_REFUSED,
                         "fence device '%s' is the only one fencing %s: %s needs root and --force",
                         id, list, keep ? "taking them out of its hosts" : "removing it");
}

/* F_NAME the device id, and F_KV CD_FENCE_FORCE first when forced: the pairs after it. */
static VmhaResult decode_device(CdWriteIn *in, const char **ret_id, bool *ret_forced,
                                char *const **ret_pairs, char **ret_error)
{
    char *const *kvs = NULL;

    if (cd_write_str(in, VMHA_F_NAME, ret_id) < 0 || !vmha_fence_id_valid(*ret_id))
        return cd_write_fail(ret_error, VMHA_RESULT_USAGE, "bad fence device id");
    if (cd_write_strv(in, VMHA_F_KV, &kvs) < 0)
        kvs = NULL;
    *ret_forced = kvs && kvs[0] && strcmp(kvs[0], CD_FENCE_FORCE) == 0;
    *ret_pairs = kvs ? kvs + (*ret_forced ? 1 : 0) : NULL;
    return VMHA_RESULT_OK;
}

/* F_NODE, repeated: the nodes a device fences, at least one, valid names, none twice. */
static VmhaResult decode_hosts(CdWriteIn *in, char *const **ret_hosts, char **ret_error)
{
    char *const *hosts = NULL;

    if (cd_write_strv(in, VMHA_F_NODE, &hosts) < 0 || !hosts[0])
        return cd_write_fail(ret_error, VMHA_RESULT_USAGE,
                             "a fence device needs the nodes it fences");
    for (size_t i = 0; hosts[i]; i++) {
        if (!vmha_node_name_valid(hosts[i]))
            return cd_write_fail(ret_error, VMHA_RESULT_USAGE, "bad node name '%s'", hosts[i]);
        for (size_t j = 0; j < i; j++)
            if (g_str_equal(hosts[i], hosts[j]))
                return cd_write_fail(ret_error, VMHA_RESULT_USAGE, "node '%s' given twice",
                                     hosts[i]);
    }
    *ret_hosts = hosts;
    return VMHA_RESULT_OK;
}

/* ---- fence add: F_NAME, F_KV [force=on] agent=AGENT then the options, F_NODE the nodes it
 * fences, repeated ---- */

typedef struct {
    const char *id, *agent;
    bool forced;
    char *const *options; /* NAME=VALUE, after agent= */
    char *const *hosts;
} FenceAdd;

static VmhaResult fence_add_decode(CdWriteIn *in, void *write, char **ret_error)
{
    FenceAdd *w = write;
    char *const *pairs = NULL;

    if (decode_device(in, &w->id, &w->forced, &pairs, ret_error) != VMHA_RESULT_OK)
        return VMHA_RESULT_USAGE;
    if (!pairs || !pairs[0] || !g_str_has_prefix(pairs[0], "agent="))
        return cd_write_fail(ret_error, VMHA_RESULT_USAGE, "no fence agent given");
    w->agent = pairs[0] + strlen("agent=");
    w->options = pairs + 1;
    if (!vmha_fence_agent_valid(w->agent))
        return cd_write_fail(ret_error, VMHA_RESULT_USAGE,
                             "bad fence agent '%s': a name fence_NAME, not a path (agents are run "
                             "only from the trusted agent directories)",
                             w->agent);
    if (vmha_fence_options_check((const char *const *)w->options, ret_error) < 0)
        return VMHA_RESULT_USAGE;
    return decode_hosts(in, &w->hosts, ret_error);
}

static VmhaResult fence_add_validate(const CdWriteCtx *ctx, const void *write, char **ret_error)
{
    const FenceAdd *w = write;

    for (size_t i = 0; w->hosts[i]; i++)
        if (cd_write_node_known(ctx->cib, w->hosts[i], ret_error) != VMHA_RESULT_OK)
            return VMHA_RESULT_NOT_FOUND;
    bool replace = find_fence_device(ctx->cib, w->id) != NULL;
    if (replace && !w->forced)
        return cd_write_fail(ret_error, VMHA_RESULT_FAILURE,
                             "fence device '%s' already exists (root: --force replaces it)", w->id);
    if (!replace && cd_write_id_taken(ctx->cib, w->id))
        return cd_write_fail(ret_error, VMHA_RESULT_FAILURE,
                             "the id '%s' is already used in the database", w->id);
    return VMHA_RESULT_OK;
}

static xmlNode *new_device(const FenceAdd *w)
{
    xmlNode *prim = create_xml_node(NULL, XML_CIB_TAG_RESOURCE);
    crm_xml_add(prim, XML_ATTR_ID, w->id);
    crm_xml_add(prim, XML_AGENT_ATTR_CLASS, "stonith");
    crm_xml_add(prim, XML_ATTR_TYPE, w->agent);
    xmlNode *inst = cd_write_add_set(prim, XML_TAG_ATTR_SETS, w->id, "instance_attributes");
    g_autofree char *list = g_strjoinv(" ", (char **)w->hosts);
    cd_write_add_nvpair(inst, "pcmk_host_list", list);
    for (size_t i = 0; w->options[i]; i++) {
        const char *eq = strchr(w->options[i], '=');
        g_autofree char *name = g_strndup(w->options[i], eq - w->options[i]);
        cd_write_add_nvpair(inst, name, eq + 1);
    }
    return prim;
}

/* One create call (one replace of the resources when forced over an existing device), so a
 * refusal (by the schema) leaves nothing behind. */
static VmhaResult fence_add_apply(const CdWriteCtx *ctx, const void *write, char **ret_error)
{
    const FenceAdd *w = write;
    bool replace = find_fence_device(ctx->cib, w->id) != NULL;
    xmlNode *prim = new_device(w);
    g_autoptr(GError) error = NULL;
    int r;

    if (replace) {
        /* In place and in one step: its nodes are never without a device in between. */
        xmlNode *resources = copy_xml(pcmk_find_cib_element(ctx->cib, XML_CIB_TAG_RESOURCES));
        xmlNode *old = NULL;
        for (xmlNode *p = first_named_child(resources, XML_CIB_TAG_RESOURCE); p && !old;
             p = crm_next_same_xml(p))
            if (g_strcmp0(crm_element_value(p, XML_ATTR_ID), w->id) == 0)
                old = p;
        /* A copy owned by the resources' document: prim keeps its own document, freed below. */
        xmlAddNextSibling(old, xmlDocCopyNode(prim, resources->doc, 1));
        free_xml(old);
        g_message("fence device %s replaced (forced by root)", w->id);
        r = cd_cibdb_replace_section(XML_CIB_TAG_RESOURCES, resources, &error);
        free_xml(resources);
    } else {
        r = cd_cibdb_create(XML_CIB_TAG_RESOURCES, prim, &error);
    }
    free_xml(prim);
    return cd_write_db_result(
            r, error, replace ? "cannot replace the fence device" : "cannot add the fence device",
            ret_error);
}

const CdWriteType cd_write_fence_add = {VMHA_MSG_FENCE_ADD, sizeof(FenceAdd), fence_add_decode,
                                        fence_add_validate, fence_add_apply};

/* ---- fence remove: F_NAME, F_KV [force=on] ---- */

typedef struct {
    const char *id;
    bool forced;
} FenceRemove;

static VmhaResult fence_remove_decode(CdWriteIn *in, void *write, char **ret_error)
{
    FenceRemove *w = write;
    char *const *rest = NULL;

    if (decode_device(in, &w->id, &w->forced, &rest, ret_error) != VMHA_RESULT_OK)
        return VMHA_RESULT_USAGE;
    if (rest && rest[0])
        return cd_write_fail(ret_error, VMHA_RESULT_USAGE, "unexpected '%s'", rest[0]);
    return VMHA_RESULT_OK;
}

static VmhaResult fence_remove_validate(const CdWriteCtx *ctx, const void *write, char **ret_error)
{
    const FenceRemove *w = write;

    if (!find_fence_device(ctx->cib, w->id))
        return cd_write_fail(ret_error, VMHA_RESULT_NOT_FOUND, "unknown fence device '%s'", w->id);
    return check_orphans(ctx->cib, w->id, NULL, w->forced, ret_error);
}

static VmhaResult fence_remove_apply(const CdWriteCtx *ctx, const void *write, char **ret_error)
{
    const FenceRemove *w = write;
    g_autoptr(GError) error = NULL;

    if (w->forced)
        g_message("fence device %s removed (forced by root)", w->id);
    /* Constraints naming it (a location for the device) would refer to nothing. */
    if (cd_write_remove_constraints(ctx->cib, w->id, &error) < 0)
        return cd_write_fail(ret_error, VMHA_RESULT_FAILURE,
                             "cannot remove the device's constraints");
    xmlNode *del = create_xml_node(NULL, XML_CIB_TAG_RESOURCE);
    crm_xml_add(del, XML_ATTR_ID, w->id);
    int r = cd_cibdb_delete(XML_CIB_TAG_RESOURCES, del, &error);
    free_xml(del);
    return cd_write_db_result(r, error, "cannot remove the fence device", ret_error);
}

const CdWriteType cd_write_fence_remove = {VMHA_MSG_FENCE_REMOVE, sizeof(FenceRemove),
                                           fence_remove_decode, fence_remove_validate,
                                           fence_remove_apply};

/* ---- fence set: F_NAME, F_KV [force=on], F_NODE the device's new hosts, repeated ---- */

typedef struct {
    const char *id;
    bool forced;
    char *const *hosts;
} FenceSet;

static VmhaResult fence_set_decode(CdWriteIn *in, void *write, char **ret_error)
{
    FenceSet *w = write;
    char *const *rest = NULL;

    if (decode_device(in, &w->id, &w->forced, &rest, ret_error) != VMHA_RESULT_OK)
        return VMHA_RESULT_USAGE;
    if (rest && rest[0])
        return cd_write_fail(ret_error, VMHA_RESULT_USAGE, "unexpected '%s'", rest[0]);
    return decode_hosts(in, &w->hosts, ret_error);
}

static VmhaResult fence_set_validate(const CdWriteCtx *ctx, const void *write, char **ret_error)
{
    const FenceSet *w = write;

    if (!find_fence_device(ctx->cib, w->id))
        return cd_write_fail(ret_error, VMHA_RESULT_NOT_FOUND, "unknown fence device '%s'", w->id);
    for (size_t i = 0; w->hosts[i]; i++)
        if (cd_write_node_known(ctx->cib, w->hosts[i], ret_error) != VMHA_RESULT_OK)
            return VMHA_RESULT_NOT_FOUND;
    return check_orphans(ctx->cib, w->id, w->hosts, w->forced, ret_error);
}

/* pcmk_host_list replaced in place, in the device's first instance_attributes that has it (as the
 * fencer reads it), with the rest of the device untouched: one replace of the resources, so the
 * device is never without hosts in between. */
static VmhaResult fence_set_apply(const CdWriteCtx *ctx, const void *write, char **ret_error)
{
    const FenceSet *w = write;
    xmlNode *resources = copy_xml(pcmk_find_cib_element(ctx->cib, XML_CIB_TAG_RESOURCES));
    xmlNode *dev = NULL, *nv = NULL, *first_set = NULL;
    g_autofree char *list = g_strjoinv(" ", (char **)w->hosts);
    g_autoptr(GError) error = NULL;

    for (xmlNode *p = first_named_child(resources, XML_CIB_TAG_RESOURCE); p && !dev;
         p = crm_next_same_xml(p))
        if (g_strcmp0(crm_element_value(p, XML_ATTR_ID), w->id) == 0)
            dev = p;
    for (xmlNode *set = dev ? first_named_child(dev, XML_TAG_ATTR_SETS) : NULL; set && !nv;
         set = crm_next_same_xml(set)) {
        first_set = first_set ? first_set : set;
        for (xmlNode *p = first_named_child(set, XML_CIB_TAG_NVPAIR); p && !nv;
             p = crm_next_same_xml(p))
            if (g_strcmp0(crm_element_value(p, XML_NVPAIR_ATTR_NAME), "pcmk_host_list") == 0)
                nv = p;
    }
    if (nv)
        crm_xml_add(nv, XML_NVPAIR_ATTR_VALUE, list);
    else if (dev) {
        /* A device written by other tools, without a host list: it gets one. */
        if (!first_set)
            first_set = cd_write_add_set(dev, XML_TAG_ATTR_SETS, w->id, "instance_attributes");
        cd_write_add_nvpair(first_set, "pcmk_host_list", list);
    }
    if (w->forced)
        g_message("fence device %s now fences %s (forced by root)", w->id, list);
    int r = cd_cibdb_replace_section(XML_CIB_TAG_RESOURCES, resources, &error);
    free_xml(resources);
    return cd_write_db_result(r, error, "cannot change the fence device's hosts", ret_error);
}

const CdWriteType cd_write_fence_set = {VMHA_MSG_FENCE_SET, sizeof(FenceSet), fence_set_decode,
                                        fence_set_validate, fence_set_apply};

/* ---- node fence: F_NODE, F_KV requested=SECONDS (the time the origin's clusterd received
 * it) ---- */

typedef struct {
    const char *node;
    const char *requested; /* decimal seconds, as recorded */
} NodeFence;

static VmhaResult node_fence_decode(CdWriteIn *in, void *write, char **ret_error)
{
    NodeFence *w = write;
    char *const *kvs = NULL;
    gint64 t = 0;

    if (cd_write_str(in, VMHA_F_NODE, &w->node) < 0 || !vmha_node_name_valid(w->node))
        return cd_write_fail(ret_error, VMHA_RESULT_USAGE, "bad node name");
    /* The last requested= counts. */
    if (cd_write_strv(in, VMHA_F_KV, &kvs) == 0)
        for (size_t i = 0; kvs[i]; i++)
            if (g_str_has_prefix(kvs[i], "requested="))
                w->requested = kvs[i] + strlen("requested=");
    if (!w->requested || !g_ascii_string_to_signed(w->requested, 10, 1, G_MAXINT64, &t, NULL))
        return cd_write_fail(ret_error, VMHA_RESULT_USAGE, "a fence request needs its time");
    return VMHA_RESULT_OK;
}

static VmhaResult node_fence_validate(const CdWriteCtx *ctx, const void *write, char **ret_error)
{
    const NodeFence *w = write;
    return cd_write_node_known(ctx->cib, w->node, ret_error);
}

/* Records the request on the node (transient attribute vmha-fence-requested); the leader fences
 * it. */
static VmhaResult node_fence_apply(const CdWriteCtx *ctx, const void *write, char **ret_error)
{
    const NodeFence *w = write;
    const char *id = cd_write_node_id(ctx->cib, w->node);
    xmlNode *status = cd_write_status_copy(ctx->cib);

    return cd_write_replace_status(ctx->cib, status,
                                   vmha_status_set_node_attr(status, id, w->node,
                                                             "vmha-fence-requested",
                                                             w->requested) > 0,
                                   "cannot record the fence request", ret_error);
}

const CdWriteType cd_write_node_fence = {VMHA_MSG_NODE_FENCE, sizeof(NodeFence), node_fence_decode,
                                         node_fence_validate, node_fence_apply};

/* ---- FENCED: F_NODE, F_RC 0 = fenced, else F_MESSAGE; F_KV time=SECONDS, the leader's ---- */

typedef struct {
    const char *node;
    int64_t time;
    uint64_t rc;
    const char *message; /* may be NULL */
} Fenced;

static VmhaResult fenced_decode(CdWriteIn *in, void *write, char **ret_error)
{
    Fenced *w = write;

    if (cd_write_str(in, VMHA_F_NODE, &w->node) < 0)
        return cd_write_fail(ret_error, VMHA_RESULT_USAGE, "no node given");
    if (cd_write_time(in, &w->time) < 0)
        return cd_write_fail(ret_error, VMHA_RESULT_USAGE, "a fencing record without a time");
    if (vmha_msg_get_u64(in->msg, VMHA_F_RC, &w->rc) < 0)
        return cd_write_fail(ret_error, VMHA_RESULT_USAGE, "malformed fencing outcome");
    if (cd_write_str(in, VMHA_F_MESSAGE, &w->message) < 0)
        w->message = NULL;
    return VMHA_RESULT_OK;
}

static VmhaResult fenced_validate(const CdWriteCtx *ctx, const void *write, char **ret_error)
{
    const Fenced *w = write;
    return cd_write_node_known(ctx->cib, w->node, ret_error);
}

static VmhaResult fenced_apply(const CdWriteCtx *ctx, const void *write, char **ret_error)
{
    const Fenced *w = write;
    const char *id = cd_write_node_id(ctx->cib, w->node);
    xmlNode *status = cd_write_status_copy(ctx->cib);

    if (w->rc == 0)
        vmha_lrm_node_fenced(status, id, w->node, w->time);
    else
        vmha_lrm_fence_failed(status, id, w->node, w->time, w->message);
    return cd_write_replace_status(ctx->cib, status, true, "cannot record the fencing", ret_error);
}

const CdWriteType cd_write_fenced = {VMHA_MSG_FENCED, sizeof(Fenced), fenced_decode,
                                     fenced_validate, fenced_apply};
