/* Jobs: every node runs the operations the database records pending on it, and keeps a recurring
 * monitor on every VM its history says runs here (docs/ARCHITECTURE.md, "Recovery", steps 3-5).
 *
 * After each write applied here (CD_EVENT_APPLIED) and once in sync (CD_EVENT_SYNCED) this node
 * runs the operations recorded pending on it that this process has not run yet, through the
 * executor, and records each result as a VMHA_MSG_RESULT write (outbox.c: sent until recorded).
 * A failed monitor is recorded the same way. What to run is never decided here: the leader
 * (leader.c) decides, the database says, every node carries out its own part. */
#include "config.h"

#include <crm/common/xml.h>
#include <crm/msg_xml.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "cibdb.h"
#include "cibread.h"
#include "cibwrite-status.h"
#include "corosync.h"
#include "dispatch.h"
#include "events.h"
#include "executor.h"
#include "jobs.h"
#include "lrmstatus.h"
#include "model.h"
#include "outbox.h"
#include "probe.h"

#define EXEC_RETRY_MS      250 /* another operation of the VM runs here (a probe): try again */
#define MONITOR_DEFAULT_MS 10000
#define MONITOR_TIMEOUT_MS 30000
#define MONITOR_RECHECK_MS 500 /* a VM busy when its monitor was looked at: again this soon */
#define START_TIMEOUT_MS   120000
#define STOP_TIMEOUT_MS    120000
#define MIGRATE_TIMEOUT_MS 600000

typedef struct {
    char *key;
    char *op;
    char *rsc;
    char *migrate_source;
    char *migrate_target;
    char *method;        /* a migration's method when not the VM's own */
    int64_t fence_epoch; /* this node's, in the copy the job was taken from */
    guint retry_src;
    bool counted; /* running, one of the node-action-limit */
} Job;

static struct {
    bool up;
    GHashTable *seen;           /* "KEY OP" of pending records this process ran or wrote off */
    GHashTable *monitors;       /* VM -> what its recurring monitor here runs with (monitor_key) */
    GHashTable *monitor_epochs; /* VM -> int64_t*: this node's fence epoch when it began */
    bool adopted;               /* the operations pending here at our first sync were set aside */
    unsigned running;           /* jobs running now (node-action-limit counts them) */
    GQueue queued;              /* Job*: waiting for one of them to end, in arrival order */
    guint recheck_src;          /* monitors looked at again: a VM was busy when they last were */
} J;

static unsigned op_timeout(xmlNode *prim, const char *op)
{
    unsigned dflt = g_str_equal(op, "start")  ? START_TIMEOUT_MS
                    : g_str_equal(op, "stop") ? STOP_TIMEOUT_MS
                                              : MIGRATE_TIMEOUT_MS;
    return cd_cib_op_ms(prim, op, "timeout", dflt);
}

/* ---- results ---- */

static void send_result(const VmhaOpResult *r)
{
    VmhaMsg *m = vmha_msg_new(VMHA_MSG_RESULT);
    g_autofree char *line = vmha_op_result_format(r);
    g_autofree char *epoch =
            r->has_fence_epoch
                    ? g_strdup_printf(VMHA_RESULT_FENCE_EPOCH "%" G_GINT64_FORMAT, r->fence_epoch)
                    : NULL;

    if (vmha_msg_add_str(m, VMHA_F_RESULT, line) < 0 ||
        (r->exit_reason && *r->exit_reason &&
         vmha_msg_add_str(m, VMHA_F_MESSAGE, r->exit_reason) < 0) ||
        (epoch && vmha_msg_add_str(m, VMHA_F_KV, epoch) < 0)) {
        g_warning("cannot encode the result %s", line);
        vmha_msg_free(m);
        return;
    }
    cd_outbox_write(m);
}

/* ---- running what the database says is pending here ---- */

static void job_free(Job *j)
{
    if (j->retry_src)
        g_source_remove(j->retry_src);
    g_free(j->key);
    g_free(j->op);
    g_free(j->rsc);
    g_free(j->migrate_source);
    g_free(j->migrate_target);
    g_free(j->method);
    g_free(j);
}

static void job_run(Job *j);

/* Once a running job ended: the queued ones in order, as many as the limit lets run (a job
 * written off meanwhile takes no turn; the others queue again, in the same order). */
static void run_queued(void)
{
    GQueue waiting = J.queued;
    Job *next;

    J.queued = (GQueue)G_QUEUE_INIT;
    while ((next = g_queue_pop_head(&waiting)))
        job_run(next);
}

static void on_job_done(const CdExecResult *res, void *ctx)
{
    Job *j = ctx;
    VmhaOpResult r = {
            .key = j->key,
            .op = j->op,
            .interval_ms = 0,
            .rsc = j->rsc,
            .rc = res->rc,
            .op_status = cd_exec_op_status(res->status),
            .exec_ms = res->duration_ms,
            .when = g_get_real_time() / G_USEC_PER_SEC,
            .exit_reason = res->exit_reason,
            .has_fence_epoch = true,
            .fence_epoch = j->fence_epoch,
    };
    if (r.rc < 0 || r.rc > 255)
        r.rc = 1;
    if (vmha_op_result_failed(&r))
        g_warning("%s %s: %s, rc %d%s%s", j->op, j->rsc, cd_exec_status_to_string(res->status),
                  res->rc, *res->exit_reason ? ": " : "", res->exit_reason);
    else
        g_message("%s %s: done in %" G_GINT64_FORMAT " ms", j->op, j->rsc, res->duration_ms);
    if (J.up)
        send_result(&r);
    bool counted = j->counted;
    job_free(j);
    if (counted && J.up) {
        J.running--;
        run_queued();
    }
}

static gboolean on_job_retry(gpointer user_data)
{
    Job *j = user_data;
    j->retry_src = 0;
    job_run(j);
    return G_SOURCE_REMOVE;
}

static unsigned cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);

    return n > 0 ? (unsigned)n : 1;
}

static xmlNode *my_node_state(xmlNode *status)
{
    g_autofree char *me = g_strdup_printf("%u", cd_local_nodeid());

    return cd_cib_node_state(status, me, NULL);
}

/* Whether the job's operation is still the one recorded pending here: a job waiting for its
 * turn may have been written off meanwhile (fencing wipes a node's history, a cleanup forgets
 * it), and then it must not run. */
static bool job_current(xmlNode *cib, const Job *j)
{
    xmlNode *ns = my_node_state(pcmk_find_cib_element(cib, XML_CIB_TAG_STATUS));
    xmlNode *op = ns ? vmha_lrm_pending_op(ns, j->rsc) : NULL;

    return op && g_strcmp0(crm_element_value(op, XML_ATTR_TRANSITION_KEY), j->key) == 0 &&
           g_strcmp0(crm_element_value(op, XML_LRM_ATTR_TASK), j->op) == 0;
}

static void job_run(Job *j)
{
    /* Read in place: a copy of the whole database per job costs more than the job's own work
     * when a lost node's hundreds of VMs start here. */
    xmlNode *cib = cd_cibdb_current();
    xmlNode *prim = cd_cib_primitive(cib, j->rsc);

    if (!prim || !job_current(cib, j)) {
        g_warning("%s %s: %s", j->op, j->rsc,
                  prim ? "no longer pending here, not run" : "the VM is no longer configured");
        job_free(j);
        return;
    }
    /* A partition without quorum never starts anything, even what a quorate view asked for
     * before the split: the probes after quorum returns write the operation off. */
    if (!cd_quorate() && !g_str_equal(j->op, "stop")) {
        g_warning("%s %s: not run, this node has no quorum", j->op, j->rsc);
        cd_probe_write_off(j->key);
        cd_probe_trigger_vm(j->rsc);
        job_free(j);
        return;
    }
    /* Every job of a power cut at once would make a small host thrash: up to the limit run, the
     * rest wait here for a turn, still recorded pending (and written off meanwhile if fencing
     * or a cleanup says so: checked again at their turn, above). */
    unsigned limit = vmha_node_action_limit(cd_cib_property(cib, "node-action-limit"), cores());
    if (J.running >= limit) {
        g_message("%s %s: waits, %u operations run here already (node-action-limit %u)", j->op,
                  j->rsc, J.running, limit);
        g_queue_push_tail(&J.queued, j);
        return;
    }
    g_autoptr(GHashTable) params = cd_cib_instance_params(prim);
    if (j->method)
        g_hash_table_insert(params, g_strdup("migration_method"), g_strdup(j->method));
    g_autoptr(GHashTable) meta = g_hash_table_new(g_str_hash, g_str_equal);
    if (j->migrate_source)
        g_hash_table_insert(meta, "migrate_source", j->migrate_source);
    if (j->migrate_target)
        g_hash_table_insert(meta, "migrate_target", j->migrate_target);
    CdAgentAction a = {
            .rsc = j->rsc,
            .provider = "vmha",
            .type = "vm",
            .action = j->op,
            .params = params,
            .meta = meta,
            .timeout_ms = op_timeout(prim, j->op),
    };
    /* The recurring monitor would see the VM come and go; it restarts once the result says
     * where the VM runs. */
    cd_executor_monitor_cancel(j->rsc);
    g_hash_table_remove(J.monitors, j->rsc);
    g_hash_table_remove(J.monitor_epochs, j->rsc);
    int rc = cd_executor_run(&a, on_job_done, j);
    if (rc == -EBUSY) {
        j->retry_src = g_timeout_add(EXEC_RETRY_MS, on_job_retry, j);
        return;
    }
    if (rc < 0) {
        /* Recorded as a failure, so the VM does not stay in flight for ever. */
        g_warning("cannot run %s %s: %s", j->op, j->rsc, g_strerror(-rc));
        VmhaOpResult r = {
                .key = j->key,
                .op = j->op,
                .rsc = j->rsc,
                .rc = 1,
                .op_status = VMHA_OP_STATUS_ERROR,
                .when = g_get_real_time() / G_USEC_PER_SEC,
                .exit_reason = "cannot run the agent",
                .has_fence_epoch = true,
                .fence_epoch = j->fence_epoch,
        };
        send_result(&r);
        job_free(j);
        return;
    }
    j->counted = true;
    J.running++;
    g_message("running %s %s", j->op, j->rsc);
}

static char *attr_dup(xmlNode *n, const char *name)
{
    return g_strdup(crm_element_value(n, name));
}

/* Runs every operation recorded pending on this node that this process has not seen yet. At the
 * first sync, the ones already there belong to an earlier clusterd: probes write them off. */
static void run_pending(xmlNode *status, bool adopt_only)
{
    g_autoptr(GHashTable) pending = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    xmlNode *ns = my_node_state(status);
    xmlNode *lrm = ns ? first_named_child(ns, XML_CIB_TAG_LRM) : NULL;
    xmlNode *rscs = lrm ? first_named_child(lrm, XML_LRM_TAG_RESOURCES) : NULL;
    for (xmlNode *lr = rscs ? first_named_child(rscs, XML_LRM_TAG_RESOURCE) : NULL; lr;
         lr = crm_next_same_xml(lr)) {
        const char *rsc = crm_element_value(lr, XML_ATTR_ID);
        xmlNode *op = rsc ? vmha_lrm_pending_op(ns, rsc) : NULL;
        const char *key = op ? crm_element_value(op, XML_ATTR_TRANSITION_KEY) : NULL;
        const char *task = op ? crm_element_value(op, XML_LRM_ATTR_TASK) : NULL;
        if (!key || !task)
            continue;
        char *seen = g_strdup_printf("%s %s %s", key, task, rsc);
        g_hash_table_add(pending, g_strdup(seen));
        if (!g_hash_table_add(J.seen, seen))
            continue;
        if (adopt_only) {
            cd_probe_write_off(key);
            continue;
        }
        Job *j = g_new0(Job, 1);
        j->key = g_strdup(key);
        j->op = g_strdup(task);
        j->rsc = g_strdup(rsc);
        j->migrate_source = attr_dup(op, "migrate_source");
        j->migrate_target = attr_dup(op, "migrate_target");
        j->method = attr_dup(op, VMHA_LRM_METHOD);
        j->fence_epoch = vmha_lrm_fence_epoch(ns);
        job_run(j);
    }
    /* Forget what is answered: transition keys are never reused, so the set needs only the
     * operations still recorded pending here. */
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, J.seen);
    while (g_hash_table_iter_next(&it, &key, NULL))
        if (!g_hash_table_contains(pending, key))
            g_hash_table_iter_remove(&it);
}

/* ---- recurring monitors ---- */

static gboolean cancel_monitor(gpointer user_data)
{
    const char *rsc = user_data;

    if (J.up && g_hash_table_remove(J.monitors, rsc))
        cd_executor_monitor_cancel(rsc);
    if (J.up)
        g_hash_table_remove(J.monitor_epochs, rsc);
    return G_SOURCE_REMOVE;
}

static void on_monitor_report(const CdExecResult *res, void *ctx)
{
    unsigned interval = GPOINTER_TO_UINT(ctx);
    VmhaOpResult r = {
            .key = "0:0:0:vmha-monitor",
            .op = "monitor",
            .interval_ms = interval,
            .rsc = res->rsc,
            .rc = res->rc,
            .op_status = cd_exec_op_status(res->status),
            .exec_ms = res->duration_ms,
            .when = g_get_real_time() / G_USEC_PER_SEC,
            .exit_reason = res->exit_reason,
    };
    if (!vmha_op_result_failed(&r))
        return;
    /* Sent with this node's fence epoch in the copy the series began from: when the node was
     * fenced since, what the monitor finds is void (issue 11, defect 7). */
    const int64_t *epoch = g_hash_table_lookup(J.monitor_epochs, res->rsc);
    r.has_fence_epoch = epoch != NULL;
    r.fence_epoch = epoch ? *epoch : 0;
    if (r.rc < 0 || r.rc > 255)
        r.rc = 1;
    g_warning("monitor of %s failed: %s, rc %d%s%s", res->rsc,
              cd_exec_status_to_string(res->status), res->rc, *res->exit_reason ? ": " : "",
              res->exit_reason);
    send_result(&r);
    /* One failure is enough: the engine recovers it; until the result is recorded, further
     * ticks would only count the same failure again. Not from inside the executor's callback. */
    g_idle_add_full(G_PRIORITY_HIGH, cancel_monitor, g_strdup(res->rsc), g_free);
}

/* The interval, timeout and parameters a recurring monitor runs with: when they change (`vmctl
 * vm set VM health-check=console`, monitor-interval), the monitor restarts with the new ones. */
static char *monitor_key(unsigned interval, unsigned timeout, GHashTable *params)
{
    g_autoptr(GList) names = g_list_sort(g_hash_table_get_keys(params), (GCompareFunc)strcmp);
    GString *key = g_string_new(NULL);

    g_string_append_printf(key, "%u %u", interval, timeout);
    for (GList *n = names; n; n = n->next)
        g_string_append_printf(key, "\n%s=%s", (const char *)n->data,
                               (const char *)g_hash_table_lookup(params, n->data));
    return g_string_free(key, FALSE);
}

static void reconcile_monitors(xmlNode *cib, const VmhaModel *m);

/* The database as it is now, for the monitors alone. */
static void reconcile_now(void)
{
    xmlNode *cib = cd_cibdb_current();
    g_autoptr(VmhaModel) m = NULL;
    g_autoptr(GError) gerr = NULL;

    if (!cib)
        return;
    if (vmha_model_from_xml(cib, &m, &gerr) == 0)
        reconcile_monitors(cib, m);
    else
        g_warning("cannot read the database: %s", gerr->message);
}

static gboolean on_recheck(gpointer user_data)
{
    J.recheck_src = 0;
    if (J.up)
        reconcile_now();
    return G_SOURCE_REMOVE;
}

static void reconcile_monitors(xmlNode *cib, const VmhaModel *m)
{
    ssize_t me = vmha_model_find_node(m, cd_node_name(cd_local_nodeid()));
    g_autoptr(GHashTable) want = g_hash_table_new(g_str_hash, g_str_equal);
    int64_t epoch =
            vmha_lrm_fence_epoch(my_node_state(pcmk_find_cib_element(cib, XML_CIB_TAG_STATUS)));
    /* After every write, every VM running here: each primitive looked up once, not in a scan. */
    g_autoptr(GHashTable) prims = cd_cib_primitive_ids(cib);
    bool busy = false;

    for (size_t v = 0; me >= 0 && v < m->n_vms; v++) {
        const VmhaVm *vm = &m->vms[v];
        if (vm->state[me] != VMHA_RSC_ACTIVE || vm->pending_op)
            continue;
        g_hash_table_add(want, vm->name);
        /* An agent runs for it here (a probe after `vm set`): its monitor, if any, stays as it
         * is (the executor holds it back meanwhile); starting or changing one waits until the
         * run is over (looked at again shortly). Dropping it here left a VM unmonitored until
         * some later write: a second `vm set` during the first one's probe, and a qemu killed
         * after it went unnoticed (test-recovery-faults). */
        if (cd_executor_busy(vm->name)) {
            busy = true;
            continue;
        }
        const int64_t *began = g_hash_table_lookup(J.monitor_epochs, vm->name);
        /* A series from before a fence of this node (its results would be void): anew. */
        if (!(began && *began == epoch) && g_hash_table_remove(J.monitors, vm->name))
            cd_executor_monitor_cancel(vm->name);
        xmlNode *prim = g_hash_table_lookup(prims, vm->name);
        unsigned interval = cd_cib_op_ms(prim, "monitor", "interval", MONITOR_DEFAULT_MS);
        unsigned timeout = cd_cib_op_ms(prim, "monitor", "timeout", MONITOR_TIMEOUT_MS);
        g_autoptr(GHashTable) params = cd_cib_instance_params(prim);
        g_autofree char *key = monitor_key(interval, timeout, params);
        const char *running = g_hash_table_lookup(J.monitors, vm->name);
        if (running && strcmp(running, key) == 0)
            continue;
        if (running) {
            g_message("monitor of %s: settings changed, restarting it", vm->name);
            cd_executor_monitor_cancel(vm->name);
            g_hash_table_remove(J.monitors, vm->name);
        }
        CdAgentAction a = {
                .rsc = vm->name,
                .provider = "vmha",
                .type = "vm",
                .action = "monitor",
                .params = params,
                .timeout_ms = timeout,
        };
        if (cd_executor_monitor_start(&a, interval, 0, on_monitor_report,
                                      GUINT_TO_POINTER(interval)) < 0) {
            g_warning("cannot monitor %s", vm->name);
            continue;
        }
        g_hash_table_insert(J.monitors, g_strdup(vm->name), g_steal_pointer(&key));
        g_hash_table_insert(J.monitor_epochs, g_strdup(vm->name), g_memdup2(&epoch, sizeof(epoch)));
    }
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, J.monitors);
    while (g_hash_table_iter_next(&it, &key, NULL))
        if (!g_hash_table_contains(want, key)) {
            cd_executor_monitor_cancel(key);
            g_hash_table_remove(J.monitor_epochs, key);
            g_hash_table_iter_remove(&it);
        }
    if (busy && !J.recheck_src)
        J.recheck_src = g_timeout_add(MONITOR_RECHECK_MS, on_recheck, NULL);
}

/* ---- events ---- */

/* write: the write applied, or NULL after a sync. */
static void after_write(const VmhaMsg *write)
{
    xmlNode *cib = cd_cibdb_current();
    if (!cib)
        return;
    xmlNode *status = pcmk_find_cib_element(cib, XML_CIB_TAG_STATUS);
    if (!write || write->type == VMHA_MSG_ACTIONS || write->type == VMHA_MSG_RESULT)
        run_pending(status, false);
    reconcile_now();
}

static void on_applied(const CdEvent *event, void *user_data)
{
    after_write(event->msg);
}

static void on_synced(const CdEvent *event, void *user_data)
{
    xmlNode *cib = cd_cibdb_current();
    /* Operations recorded here before this process ran are not ours to run: our first probe
     * round writes them off. */
    if (cib && !J.adopted) {
        run_pending(pcmk_find_cib_element(cib, XML_CIB_TAG_STATUS), true);
        J.adopted = true;
    }
    after_write(NULL);
}

void cd_jobs_init(void)
{
    J.seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    J.monitors = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    J.monitor_epochs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    J.up = true;
    cd_events_subscribe(CD_EVENT_SYNCED, on_synced, NULL);
    cd_events_subscribe(CD_EVENT_APPLIED, on_applied, NULL);
}

void cd_jobs_finalise(void)
{
    if (!J.up)
        return;
    cd_events_unsubscribe(on_synced);
    cd_events_unsubscribe(on_applied);
    if (J.recheck_src)
        g_source_remove(J.recheck_src);
    g_clear_pointer(&J.seen, g_hash_table_unref);
    g_clear_pointer(&J.monitors, g_hash_table_unref);
    g_clear_pointer(&J.monitor_epochs, g_hash_table_unref);
    g_queue_clear_full(&J.queued, (GDestroyNotify)job_free);
    memset(&J, 0, sizeof(J));
}
