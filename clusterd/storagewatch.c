/* Clears this node's fail counts left by starts that failed for unreachable shared storage, once
 * the storage is back (storagewatch.h). */
#include "config.h"

#include <crm/common/xml.h>
#include <crm/msg_xml.h>
#include <errno.h>
#include <string.h>

#include "cibdb.h"
#include "cibread.h"
#include "corosync.h"
#include "executor.h"
#include "statusclean.h"
#include "storagewatch.h"
#include "sync.h"
#include "vmha/result.h"
#include "vmha/wire.h"

#define STORAGE_RECHECK_S   5
#define VALIDATE_TIMEOUT_MS 20000

static struct {
    guint timer;
    GQueue todo;   /* char *: VMs to check in this round */
    bool checking; /* a validate-all or a write in flight */
} W;

static xmlNode *own_node_state(void)
{
    xmlNode *cib = cd_cibdb_current();
    xmlNode *status = cib ? pcmk_find_cib_element(cib, XML_CIB_TAG_STATUS) : NULL;
    g_autofree char *id = g_strdup_printf("%u", cd_local_nodeid());

    for (xmlNode *ns = status ? first_named_child(status, XML_CIB_TAG_STATE) : NULL; ns;
         ns = crm_next_same_xml(ns))
        if (g_strcmp0(crm_element_value(ns, XML_ATTR_ID), id) == 0)
            return ns;
    return NULL;
}

static void next(void);

static void on_written(void *ctx, int rc, const char *message)
{
    g_autofree char *vm = ctx;

    if (rc == VMHA_RESULT_OK)
        g_message("%s: shared storage reachable again here; its failures here cleared", vm);
    else
        g_info("%s: failures here not cleared: %s", vm, message);
    W.checking = false;
    next();
}

static void on_validated(const CdExecResult *res, void *ctx)
{
    g_autofree char *vm = ctx;
    const char *self = cd_node_name(cd_local_nodeid());

    if (res->status != CD_EXEC_DONE || res->rc != 0 || !self || !cd_sync_in_sync() ||
        !cd_quorate() || !vmha_status_storage_failure(own_node_state(), vm)) {
        g_debug("%s: shared storage check here: rc %d%s%s", vm, res->rc,
                *res->exit_reason ? ": " : "", res->exit_reason);
        W.checking = false;
        next();
        return;
    }
    g_autoptr(VmhaMsg) m = vmha_msg_new(VMHA_MSG_VM_CLEANUP);
    if (vmha_msg_add_str(m, VMHA_F_NAME, vm) < 0 || vmha_msg_add_str(m, VMHA_F_NODE, self) < 0 ||
        vmha_msg_add_str(m, VMHA_F_KV, "cause=storage-back") < 0) {
        W.checking = false;
        next();
        return;
    }
    cd_sync_submit(m, on_written, g_steal_pointer(&vm));
}

/* Checks the next VM of the round, one at a time (a round is rare and small). */
static void next(void)
{
    g_autofree char *vm = NULL;

    while (!W.checking && (vm = g_queue_pop_head(&W.todo))) {
        xmlNode *cib = cd_cibdb_current();
        xmlNode *prim = cib ? cd_cib_primitive(cib, vm) : NULL;
        if (!prim || cd_executor_busy(vm) || !vmha_status_storage_failure(own_node_state(), vm)) {
            g_clear_pointer(&vm, g_free);
            continue;
        }
        g_autoptr(GHashTable) params = cd_cib_instance_params(prim);
        CdAgentAction a = {
                .rsc = vm,
                .provider = "vmha",
                .type = "vm",
                .action = "validate-all",
                .params = params,
                .timeout_ms = VALIDATE_TIMEOUT_MS,
        };
        char *ctx = g_strdup(vm);
        int r = cd_executor_run(&a, on_validated, ctx);
        if (r < 0) {
            g_free(ctx);
            g_debug("%s: cannot check the shared storage here: %s", vm, g_strerror(-r));
            g_clear_pointer(&vm, g_free);
            continue;
        }
        W.checking = true;
    }
}

static gboolean on_tick(gpointer user_data)
{
    if (W.checking || !g_queue_is_empty(&W.todo) || !cd_sync_in_sync() || !cd_quorate())
        return G_SOURCE_CONTINUE;
    g_auto(GStrv) vms = vmha_status_storage_failures(own_node_state());
    for (char **v = vms; v && *v; v++)
        g_queue_push_tail(&W.todo, g_strdup(*v));
    next();
    return G_SOURCE_CONTINUE;
}

void cd_storagewatch_init(void)
{
    g_queue_init(&W.todo);
    W.timer = g_timeout_add_seconds(STORAGE_RECHECK_S, on_tick, NULL);
}

void cd_storagewatch_finalise(void)
{
    g_clear_handle_id(&W.timer, g_source_remove);
    g_queue_clear_full(&W.todo, g_free);
}
