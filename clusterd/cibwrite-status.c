/* The resource history clusterd records in the status section, in Pacemaker's form (lib/
 * lrmstatus.h): a node's probes, the leader's actions recorded pending, and their results. The
 * node a probe or a result is about is the write's origin (set by clusterd, checked against the
 * sender by sync.c), never something the message body says. */
#include "config.h"

#include <crm/common/xml.h>
#include <crm/crm.h>
#include <crm/msg_xml.h>
#include <errno.h>
#include <string.h>

#include "cibdb.h"
#include "cibread.h"
#include "cibwrite-status.h"
#include "lrmstatus.h"
#include "maintcib.h"
#include "vmattr.h"

/* The origin node's id (F_ORIGIN_NODE) as the database writes it. */
static int decode_origin(CdWriteIn *in, const char **ret_node_id)
{
    uint64_t origin = 0;

    if (vmha_msg_get_u64(in->msg, VMHA_F_ORIGIN_NODE, &origin) < 0 || origin == 0)
        return -EINVAL;
    *ret_node_id = cd_write_own(in, g_strdup_printf("%" G_GUINT64_FORMAT, origin));
    return 0;
}

static VmhaResult validate_origin(xmlNode *cib, const char *node_id, char **ret_error)
{
    if (!cd_write_node_uname(cib, node_id))
        return cd_write_fail(ret_error, VMHA_RESULT_NOT_FOUND, "unknown node %s", node_id);
    return VMHA_RESULT_OK;
}

/* ---- PROBE: a probe round of the origin node, F_PROBE repeated; F_KV writeoff=KEY ---- */

typedef struct {
    const char *node_id;
    char *const *lines; /* as sent, for errors */
    VmhaProbeResult *results;
    size_t n_results;
    char *const *kvs;
} Probe;

static VmhaResult probe_decode(CdWriteIn *in, void *write, char **ret_error)
{
    Probe *w = write;

    if (decode_origin(in, &w->node_id) < 0 || cd_write_strv(in, VMHA_F_PROBE, &w->lines) < 0 ||
        !w->lines[0])
        return cd_write_fail(ret_error, VMHA_RESULT_USAGE, "malformed probe results");
    w->n_results = g_strv_length((char **)w->lines);
    w->results = cd_write_own(in, g_new0(VmhaProbeResult, w->n_results));
    for (size_t i = 0; i < w->n_results; i++) {
        char *buf = NULL;
        int parsed = vmha_probe_result_parse(w->lines[i], &w->results[i], &buf);
        cd_write_own(in, buf);
        if (parsed < 0 || !vmha_vm_name_valid(w->results[i].rsc))
            return cd_write_fail(ret_error, VMHA_RESULT_USAGE, "malformed probe result '%s'",
                                 w->lines[i]);
    }
    if (cd_write_strv(in, VMHA_F_KV, &w->kvs) < 0)
        w->kvs = NULL;
    return VMHA_RESULT_OK;
}

static VmhaResult probe_validate(const CdWriteCtx *ctx, const void *write, char **ret_error)
{
    const Probe *w = write;
    return validate_origin(ctx->cib, w->node_id, ret_error);
}

/* Whether the operation of rsc in flight on the node (if any) may end with this probe: one in
 * flight there is this node's own, and the probe may have run before it started, so only its
 * result may end it, unless the probing clusterd writes it off (it died with an earlier clusterd
 * there: VMHA_PROBE_WRITEOFF). */
static bool probe_ends_pending(const VmhaLrmIndex *node, const char *rsc, char *const *kvs)
{
    xmlNode *pending = vmha_lrm_index_pending_op(node, rsc);
    if (!pending)
        return true;
    g_autofree char *writeoff = g_strconcat(
            VMHA_PROBE_WRITEOFF, crm_element_value(pending, XML_ATTR_TRANSITION_KEY), NULL);
    return kvs && g_strv_contains((const char *const *)kvs, writeoff);
}

static VmhaResult probe_apply(const CdWriteCtx *ctx, const void *write, char **ret_error)
{
    const Probe *w = write;
    const char *uname = cd_write_node_uname(ctx->cib, w->node_id);
    xmlNode *status = cd_write_status_copy(ctx->cib);
    int changed = 0;
    /* A round probes every VM: one pass over the VMs and the node's history, not one each. */
    g_autoptr(GHashTable) vms = cd_cib_vm_ids(ctx->cib);
    g_autoptr(VmhaLrmIndex) node = vmha_lrm_index_new(status, w->node_id);

    for (size_t i = 0; i < w->n_results; i++) {
        const VmhaProbeResult *r = &w->results[i];
        /* A VM removed since the probe ran: its history would be an orphan. */
        int c = g_hash_table_contains(vms, r->rsc) && probe_ends_pending(node, r->rsc, w->kvs)
                        ? vmha_lrm_index_record_probe(node, uname, r)
                        : 0;
        if (c < 0) {
            free_xml(status);
            return cd_write_fail(ret_error, VMHA_RESULT_USAGE, "malformed probe result '%s'",
                                 w->lines[i]);
        }
        changed += c;
    }
    /* Back and probing: it has the current database, so it fences itself again if lost. */
    changed += vmha_lrm_node_disarmed(status, w->node_id, uname, false);
    return cd_write_replace_status(ctx->cib, status, changed > 0, "cannot record the probe results",
                                   ret_error);
}

const CdWriteType cd_write_probe = {VMHA_MSG_PROBE, sizeof(Probe), probe_decode, probe_validate,
                                    probe_apply};

/* ---- ACTIONS: the leader's actions, F_ACTION repeated; F_KV time=SECONDS ---- */

typedef struct {
    char *const *lines; /* as sent, for the log */
    VmhaActionSpec *actions;
    size_t n_actions;
    int64_t time;
} Actions;

static VmhaResult actions_decode(CdWriteIn *in, void *write, char **ret_error)
{
    Actions *w = write;

    if (cd_write_strv(in, VMHA_F_ACTION, &w->lines) < 0 || !w->lines[0])
        return cd_write_fail(ret_error, VMHA_RESULT_USAGE, "malformed actions");
    if (cd_write_time(in, &w->time) < 0)
        return cd_write_fail(ret_error, VMHA_RESULT_USAGE, "actions without a time");
    w->n_actions = g_strv_length((char **)w->lines);
    w->actions = cd_write_own(in, g_new0(VmhaActionSpec, w->n_actions));
    for (size_t i = 0; i < w->n_actions; i++) {
        char **parts = NULL;
        int parsed = vmha_action_parse(w->lines[i], &w->actions[i], &parts);
        cd_write_own_strv(in, parts);
        if (parsed < 0)
            return cd_write_fail(ret_error, VMHA_RESULT_USAGE, "malformed action '%s'",
                                 w->lines[i]);
    }
    return VMHA_RESULT_OK;
}

/* Each action recorded pending on its node, unless the VM has an operation in flight already
 * (whichever leader asked) or is unknown. The refusal is not an error: every member refuses the
 * same actions, and the node that would run one never sees it pending. */
static VmhaResult actions_apply(const CdWriteCtx *ctx, const void *write, char **ret_error)
{
    const Actions *w = write;
    xmlNode *status = cd_write_status_copy(ctx->cib);
    bool changed = false;

    for (size_t i = 0; i < w->n_actions; i++) {
        const VmhaActionSpec *a = &w->actions[i];
        const char *node_id = cd_write_node_id(ctx->cib, a->node);
        bool migrate = strcmp(a->op, "migrate") == 0;
        if (!cd_cib_vm(ctx->cib, a->rsc) || !node_id ||
            (migrate && !cd_write_node_id(ctx->cib, a->target))) {
            g_warning("refusing action '%s': unknown VM or node", w->lines[i]);
            continue;
        }
        int r = vmha_lrm_record_pending(status, node_id, a->node, a->rsc,
                                        migrate ? "migrate_to" : a->op, a->key,
                                        migrate ? a->node : NULL, a->target, a->method, w->time);
        if (r == 0)
            g_message("refusing action '%s': %s has an operation in flight", w->lines[i], a->rsc);
        changed |= r > 0;
    }
    return cd_write_replace_status(ctx->cib, status, changed, "cannot record the actions",
                                   ret_error);
}

const CdWriteType cd_write_actions = {VMHA_MSG_ACTIONS, sizeof(Actions), actions_decode, NULL,
                                      actions_apply};

/* ---- RESULT: an operation's result from the origin node, F_RESULT, F_MESSAGE the exit reason;
 * F_KV fenced=EPOCH (VMHA_RESULT_FENCE_EPOCH) ---- */

typedef struct {
    const char *node_id;
    const char *line; /* as sent, for the log */
    VmhaOpResult result;
} Result;

static VmhaResult result_decode(CdWriteIn *in, void *write, char **ret_error)
{
    Result *w = write;
    char **parts = NULL;
    char *const *kvs = NULL;
    uint64_t origin = 0;
    gint64 epoch = 0;

    int parsed = vmha_msg_get_u64(in->msg, VMHA_F_ORIGIN_NODE, &origin) < 0 ||
                                 cd_write_str(in, VMHA_F_RESULT, &w->line) < 0
                         ? -1
                         : vmha_op_result_parse(w->line, &w->result, &parts);
    cd_write_own_strv(in, parts);
    if (parsed < 0)
        return cd_write_fail(ret_error, VMHA_RESULT_USAGE, "malformed result '%s'",
                             w->line ? w->line : "");
    w->node_id = cd_write_own(in, g_strdup_printf("%" G_GUINT64_FORMAT, origin));
    if (cd_write_str(in, VMHA_F_MESSAGE, &w->result.exit_reason) < 0)
        w->result.exit_reason = NULL;
    const char *fenced =
            cd_write_strv(in, VMHA_F_KV, &kvs) == 0 ? cd_write_kv(kvs, "fenced") : NULL;
    if (fenced && !g_ascii_string_to_signed(fenced, 10, 0, G_MAXINT64, &epoch, NULL))
        return cd_write_fail(ret_error, VMHA_RESULT_USAGE, "malformed fence epoch '%s'", fenced);
    w->result.has_fence_epoch = fenced != NULL;
    w->result.fence_epoch = epoch;
    return VMHA_RESULT_OK;
}

static VmhaResult result_validate(const CdWriteCtx *ctx, const void *write, char **ret_error)
{
    const Result *w = write;
    return validate_origin(ctx->cib, w->node_id, ret_error);
}

/* What a successful operation changes in the configuration: the VM now running away from the
 * node a move request named answers that request; a quick migration's save (migrate_to) or
 * restore (migrate_from) time measures the shared storage's throughput for `drain --dry-run`. */
static VmhaResult after_success(xmlNode *cib, const VmhaOpResult *r, const char *uname,
                                VmhaMigrationMethod method, char **ret_error)
{
    bool arrived = strcmp(r->op, "start") == 0 || strcmp(r->op, "migrate_from") == 0;
    bool migration = strcmp(r->op, "migrate_to") == 0 || strcmp(r->op, "migrate_from") == 0;
    xmlNode *prim = cd_cib_vm(cib, r->rsc);
    if (!prim || !(arrived || migration))
        return VMHA_RESULT_OK;
    xmlNode *config = copy_xml(pcmk_find_cib_element(cib, XML_CIB_TAG_CONFIGURATION));
    int changed = arrived ? vmha_cib_move_clear(config, r->rsc, uname) : 0;
    const char *own = cd_cib_nvpair(prim, XML_TAG_ATTR_SETS, "migration_method");
    const char *memory = cd_cib_nvpair(prim, XML_TAG_UTILIZATION, "memory");
    VmhaMigrationMethod effective = method ? method : VMHA_MIGRATION_QUICK;
    if (!method && own && vmha_migration_method_from_string(own, &effective) < 0)
        effective = VMHA_MIGRATION_DEFAULT; /* unreadable: not measured */
    gint64 mib = 0;
    if (migration && effective == VMHA_MIGRATION_QUICK && r->exec_ms > 0 && memory &&
        g_ascii_string_to_signed(memory, 10, 1, 1 << 30, &mib, NULL)) {
        double rate = (double)mib * 1000.0 / (double)r->exec_ms;
        xmlNode *crm_config = first_named_child(config, XML_CIB_TAG_CRMCONFIG);
        changed |= vmha_cib_measure(
                crm_config,
                strcmp(r->op, "migrate_to") == 0 ? VMHA_MEASURE_SAVE : VMHA_MEASURE_RESTORE, rate);
    }
    VmhaResult result =
            changed > 0 ? cd_write_replace_configuration(config, ret_error) : VMHA_RESULT_OK;
    free_xml(config);
    return result;
}

/* The result replaces the pending record it answers. A completed migrate_to hands over to the
 * target: its migrate_from is recorded pending in the same write, so no moment exists where
 * neither node owns the VM's next step. */
static VmhaResult result_apply(const CdWriteCtx *ctx, const void *write, char **ret_error)
{
    const Result *w = write;
    const VmhaOpResult *r = &w->result;
    const char *uname = cd_write_node_uname(ctx->cib, w->node_id);

    if (!cd_cib_vm(ctx->cib, r->rsc))
        return VMHA_RESULT_OK; /* removed meanwhile: its history would be an orphan */
    xmlNode *ns =
            cd_write_node_state(pcmk_find_cib_element(ctx->cib, XML_CIB_TAG_STATUS), w->node_id);
    if (vmha_lrm_result_predates_fence(ns, r)) {
        g_message("ignoring a result from before %s was fenced: %s", uname, w->line);
        return VMHA_RESULT_OK;
    }
    xmlNode *pending = r->interval_ms == 0 ? vmha_lrm_pending_op(ns, r->rsc) : NULL;
    VmhaMigrationMethod method = VMHA_MIGRATION_DEFAULT;
    if (pending)
        (void)vmha_migration_method_from_string(crm_element_value(pending, VMHA_LRM_METHOD),
                                                &method);
    xmlNode *status = cd_write_status_copy(ctx->cib);
    g_autofree char *target = NULL;
    int c = vmha_lrm_record_result(status, w->node_id, uname, r, &target);
    if (c == 0)
        g_message("ignoring a stale result: %s", w->line);
    const char *target_id = target ? cd_write_node_id(ctx->cib, target) : NULL;
    if (c > 0 && target_id)
        vmha_lrm_record_pending(status, target_id, target, r->rsc, "migrate_from", r->key, uname,
                                target, method, r->when);
    /* The last VM leaving a draining node: from now on losing it needs no fencing (a host
     * patched and rebooted is not power-cut once more). */
    if (c > 0 && cd_write_node_draining(ctx->cib, uname))
        vmha_lrm_mark_down_if_idle(status, w->node_id);
    VmhaResult result =
            cd_write_replace_status(ctx->cib, status, c > 0, "cannot record the result", ret_error);
    if (result == VMHA_RESULT_OK && c > 0 && r->interval_ms == 0 && !vmha_op_result_failed(r))
        result = after_success(ctx->cib, r, uname, method, ret_error);
    return result;
}

const CdWriteType cd_write_result = {VMHA_MSG_RESULT, sizeof(Result), result_decode,
                                     result_validate, result_apply};
