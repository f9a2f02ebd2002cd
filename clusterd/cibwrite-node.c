/* Writes about the nodes: a drain and its end (node drain, node resume, a shutdown's drain), and
 * the leader's NODES that makes <nodes> follow corosync's nodelist (nodelist.c). */
#include "config.h"

#include <crm/common/xml.h>
#include <crm/crm.h>
#include <crm/msg_xml.h>
#include <errno.h>
#include <string.h>

#include "cibdb.h"
#include "cibnodes.h"
#include "cibwrite-node.h"
#include "lrmstatus.h"
#include "maintcib.h"
#include "vmattr.h"

/* ---- node drain, node resume: F_NODE; F_KV method=..., force=on, shutdown=on ---- */

typedef struct {
    bool drain; /* else a resume: every drain mark goes */
    const char *node;
    VmhaMigrationMethod method;
    const char *force, *shutdown; /* "on" or NULL */
} NodeDrain;

static VmhaResult decode_drain(CdWriteIn *in, NodeDrain *w, char **ret_error)
{
    char *const *kvs = NULL;

    if (cd_write_str(in, VMHA_F_NODE, &w->node) < 0 || !vmha_node_name_valid(w->node))
        return cd_write_fail(ret_error, VMHA_RESULT_USAGE, "bad node name");
    if (cd_write_strv(in, VMHA_F_KV, &kvs) < 0)
        kvs = NULL;
    const char *method = cd_write_kv(kvs, "method");
    if (method && vmha_migration_method_from_string(method, &w->method) < 0)
        return cd_write_fail(ret_error, VMHA_RESULT_USAGE,
                             "bad method '%s': " VMHA_MIGRATION_METHODS, method);
    w->force = cd_write_kv(kvs, "force");
    w->shutdown = cd_write_kv(kvs, "shutdown");
    if ((w->force && strcmp(w->force, "on") != 0) ||
        (w->shutdown && strcmp(w->shutdown, "on") != 0))
        return cd_write_fail(ret_error, VMHA_RESULT_USAGE, "bad drain options");
    return VMHA_RESULT_OK;
}

static VmhaResult node_drain_decode(CdWriteIn *in, void *write, char **ret_error)
{
    NodeDrain *w = write;
    w->drain = true;
    return decode_drain(in, w, ret_error);
}

static VmhaResult node_resume_decode(CdWriteIn *in, void *write, char **ret_error)
{
    return decode_drain(in, write, ret_error);
}

static VmhaResult node_drain_validate(const CdWriteCtx *ctx, const void *write, char **ret_error)
{
    const NodeDrain *w = write;
    return cd_write_node_known(ctx->cib, w->node, ret_error);
}

/* Edits the drain marks: set for a drain, all removed for a resume. One replace of <nodes>, so a
 * drain is recorded whole or not at all. */
static VmhaResult node_drain_apply(const CdWriteCtx *ctx, const void *write, char **ret_error)
{
    const NodeDrain *w = write;
    const char *node_id = cd_write_node_id(ctx->cib, w->node);
    g_autoptr(GError) error = NULL;

    /* A clusterd shutting down on a node the administrator drained leaves that drain as it
     * is: it must outlive the restart, where a shutdown's own drain ends. */
    if (w->drain && w->shutdown && cd_write_node_draining(ctx->cib, w->node))
        return VMHA_RESULT_OK;
    xmlNode *nodes = copy_xml(pcmk_find_cib_element(ctx->cib, XML_CIB_TAG_NODES));
    int changed = vmha_cib_node_attr_set(nodes, w->node, "vmha-drain", w->drain ? "on" : NULL);
    changed |= vmha_cib_node_attr_set(nodes, w->node, "vmha-drain-method",
                                      w->drain ? vmha_migration_method_to_string(w->method) : NULL);
    changed |=
            vmha_cib_node_attr_set(nodes, w->node, "vmha-drain-force", w->drain ? w->force : NULL);
    changed |= vmha_cib_node_attr_set(nodes, w->node, "vmha-drain-shutdown",
                                      w->drain ? w->shutdown : NULL);
    int r = changed > 0 ? cd_cibdb_replace_section(XML_CIB_TAG_NODES, nodes, &error) : 0;
    free_xml(nodes);
    if (r < 0)
        return cd_write_db_result(r, error, "cannot change the node", ret_error);
    if (!w->drain)
        return VMHA_RESULT_OK;
    /* Already empty: losing it from now on needs no fencing. */
    xmlNode *status = cd_write_status_copy(ctx->cib);
    return cd_write_replace_status(ctx->cib, status, vmha_lrm_mark_down_if_idle(status, node_id),
                                   "cannot record the node's state", ret_error);
}

const CdWriteType cd_write_node_drain = {VMHA_MSG_NODE_DRAIN, sizeof(NodeDrain), node_drain_decode,
                                         node_drain_validate, node_drain_apply};
const CdWriteType cd_write_node_resume = {VMHA_MSG_NODE_RESUME, sizeof(NodeDrain),
                                          node_resume_decode, node_drain_validate,
                                          node_drain_apply};

/* ---- NODES: F_NODE "ID NAME" repeated, the whole nodelist ---- */

typedef struct {
    VmhaNodeRef *refs; /* names point into the write */
    size_t n_refs;
} Nodes;

static VmhaResult nodes_decode(CdWriteIn *in, void *write, char **ret_error)
{
    Nodes *w = write;
    char *const *items = NULL;

    if (cd_write_strv(in, VMHA_F_NODE, &items) < 0 || !items[0])
        return cd_write_fail(ret_error, VMHA_RESULT_USAGE, "malformed node list");
    w->n_refs = g_strv_length((char **)items);
    w->refs = cd_write_own(in, g_new0(VmhaNodeRef, w->n_refs));
    for (size_t i = 0; i < w->n_refs; i++) {
        const char *sp = strchr(items[i], ' ');
        g_autofree char *num = sp ? g_strndup(items[i], (gsize)(sp - items[i])) : NULL;
        guint64 id = 0;
        if (!sp || !g_ascii_string_to_unsigned(num, 10, 1, G_MAXUINT32, &id, NULL) ||
            !vmha_node_name_valid(sp + 1))
            return cd_write_fail(ret_error, VMHA_RESULT_USAGE, "malformed node list");
        w->refs[i] = (VmhaNodeRef){.id = (uint32_t)id, .name = sp + 1};
    }
    return VMHA_RESULT_OK;
}

/* <nodes> become corosync's nodelist as the leader read it from cmap: new nodes added, nodes
 * gone removed with what names them, except a node whose history holds VMs (it stays until they
 * were moved or its fencing erased them). */
static VmhaResult nodes_apply(const CdWriteCtx *ctx, const void *write, char **ret_error)
{
    static const char *const sections[] = {XML_CIB_TAG_NODES, XML_CIB_TAG_RESOURCES,
                                           XML_CIB_TAG_CONSTRAINTS, XML_CIB_TAG_STATUS};
    const Nodes *w = write;
    g_autoptr(GPtrArray) kept = g_ptr_array_new_with_free_func(g_free);

    /* The change is made on the copy of the database before the write (the last step that reads
     * it), then the sections it touches replace the database's. */
    if (!vmha_cib_nodes_follow(ctx->cib, w->refs, w->n_refs, kept))
        return VMHA_RESULT_OK;
    for (guint i = 0; i < kept->len; i++)
        g_warning("node %s left corosync's nodelist but VMs are recorded there: it stays in the "
                  "database until they were moved or recovered",
                  (const char *)g_ptr_array_index(kept, i));
    for (size_t i = 0; i < G_N_ELEMENTS(sections); i++) {
        g_autoptr(GError) error = NULL;
        xmlNode *section = pcmk_find_cib_element(ctx->cib, sections[i]);
        int r = section ? cd_cibdb_replace_section(sections[i], section, &error) : 0;
        if (r < 0)
            return cd_write_db_result(r, error, "cannot update the node list", ret_error);
    }
    g_autoptr(GString) list = g_string_new(NULL);
    for (size_t i = 0; i < w->n_refs; i++)
        g_string_append_printf(list, "%s%s", i ? " " : "", w->refs[i].name);
    g_message("the database's nodes are now corosync's: %s", list->str);
    return VMHA_RESULT_OK;
}

const CdWriteType cd_write_nodes = {VMHA_MSG_NODES, sizeof(Nodes), nodes_decode, NULL, nodes_apply};
