/* The controller: turns the policy engine's plan into agent runs and fencing, and records what
 * happened, so that VMs come back after failures (docs/ARCHITECTURE.md, "Recovery").
 *
 * Leader side (cd_sync_leader() == this node): on every change it builds the live CIB
 * (cd_view_cib), runs vmha_engine_plan and
 *  - fences lost nodes with their stonith device, retrying with back-off, and records the outcome
 *    (VMHA_MSG_FENCED);
 *  - sends the actions it may start now as one VMHA_MSG_ACTIONS write. Applying that write records
 *    each action pending on its node (lib/lrmstatus.c), and refuses an action for a VM that has
 *    one in flight already, so neither two leaders nor two plans can ever run two operations of
 *    one VM at once.
 * Node side (every node): after each applied write it runs the operations recorded pending on this
 * node that it has not run yet, and sends each result as a VMHA_MSG_RESULT write; it keeps a
 * recurring monitor on every VM recorded running here and records a failed monitor the same way.
 *
 * Nothing here decides placement: the engine does, from the database alone, so a new leader
 * continues exactly where the old one stopped. */
#include "config.h"

#include <crm/common/xml.h>
#include <crm/msg_xml.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "cibdb.h"
#include "cibwrite-status.h"
#include "clusterd.h"
#include "dispatch.h"
#include "duration.h"
#include "engine.h"
#include "executor.h"
#include "fencer.h"
#include "lrmstatus.h"
#include "model.h"
#include "vmha/result.h"

#define TICK_LOST_MS       500   /* replan while a node is lost: self-fence deadlines, retries */
#define TICK_IDLE_MS       5000  /* replan now and then: failure-timeout expiry */
#define EXEC_RETRY_MS      250   /* another operation of the VM runs here (a probe): try again */
#define RESULT_RETRY_MS    1000  /* a result could not be recorded (no quorum): send it again */
#define FENCE_TIMEOUT_MS   60000 /* default pcmk_reboot_timeout */
#define FENCE_BACKOFF_MAX  30
#define MONITOR_DEFAULT_MS 10000
#define MONITOR_TIMEOUT_MS 30000
#define START_TIMEOUT_MS   120000
#define STOP_TIMEOUT_MS    120000
#define MIGRATE_TIMEOUT_MS 600000

typedef struct {
    char *node;
    bool done;   /* fenced, or its self-fence deadline passed: kept while the node is lost, so
                  * that plans made before the record is applied do not fence it again */
    bool wanted; /* asked for by the current plan or a request */
    bool running;
    unsigned attempts;
    int64_t next_try_us; /* monotonic */
} Fence;

typedef struct {
    char *key;
    char *op;
    char *rsc;
    char *migrate_source;
    char *migrate_target;
    char *method;        /* a migration's method when not the VM's own */
    int64_t fence_epoch; /* this node's, in the copy the job was taken from */
    guint retry_src;
} Job;

typedef struct {
    VmhaMsg *msg;
    guint retry_src;
} Outbox;

static struct {
    bool up;
    guint idle_src;
    guint tick_src;
    unsigned tick_ms;
    uint64_t seq;
    int64_t started_at;         /* wall seconds: lost-since of nodes lost before we saw them go */
    GHashTable *dispatched;     /* VM -> key: ACTIONS written but not yet acknowledged */
    GHashTable *seen;           /* "KEY OP" of pending records this process ran or wrote off */
    GHashTable *lost_at;        /* node id -> wall seconds (rounded up) it left the membership */
    GHashTable *in_view;        /* node ids in the quorum view at the last change */
    GHashTable *fences;         /* node name -> Fence */
    GHashTable *monitors;       /* VM -> what its recurring monitor here runs with (monitor_key) */
    GHashTable *monitor_epochs; /* VM -> int64_t*: this node's fence epoch when it began */
    char *uuid;           /* this process's transition keys end with it, as Pacemaker's te_uuid */
    bool adopted;         /* the operations pending here at our first sync were set aside */
    GHashTable *orphaned; /* their keys: an earlier clusterd's, which probes write off */
} C;

static void schedule(void);

static int64_t wall_s_ceil(void)
{
    int64_t us = g_get_real_time();
    return (us + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC;
}

static bool is_leader(void)
{
    return C.up && cd_sync_leader() != 0 && cd_sync_leader() == cd_local_nodeid();
}

/* ---- reading the configuration ---- */

static xmlNode *find_primitive(xmlNode *cib, const char *id)
{
    xmlNode *res = pcmk_find_cib_element(cib, XML_CIB_TAG_RESOURCES);
    for (xmlNode *p = res ? first_named_child(res, XML_CIB_TAG_RESOURCE) : NULL; p;
         p = crm_next_same_xml(p))
        if (g_strcmp0(crm_element_value(p, XML_ATTR_ID), id) == 0)
            return p;
    return NULL;
}

static GHashTable *instance_params(xmlNode *prim)
{
    GHashTable *t = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);

    for (xmlNode *set = prim ? first_named_child(prim, XML_TAG_ATTR_SETS) : NULL; set;
         set = crm_next_same_xml(set))
        for (xmlNode *nv = first_named_child(set, XML_CIB_TAG_NVPAIR); nv;
             nv = crm_next_same_xml(nv)) {
            const char *name = crm_element_value(nv, XML_NVPAIR_ATTR_NAME);
            const char *value = crm_element_value(nv, XML_NVPAIR_ATTR_VALUE);
            if (name && value)
                g_hash_table_insert(t, g_strdup(name), g_strdup(value));
        }
    return t;
}

/* The primitive's <op name=NAME> interval or timeout in ms ("10s", "2min", "500ms", "30"), else
 * dflt. */
static unsigned op_setting(xmlNode *prim, const char *name, const char *field, unsigned dflt)
{
    xmlNode *ops = prim ? first_named_child(prim, "operations") : NULL;
    for (xmlNode *op = ops ? first_named_child(ops, "op") : NULL; op; op = crm_next_same_xml(op)) {
        if (g_strcmp0(crm_element_value(op, "name"), name) != 0)
            continue;
        const char *v = crm_element_value(op, field);
        int64_t ms;
        if (vmha_duration_parse(v, VMHA_DURATION_PCMK_MSEC, &ms, NULL) == 0 && ms > 0 &&
            ms <= G_MAXUINT)
            return (unsigned)ms;
    }
    return dflt;
}

static unsigned op_timeout(xmlNode *prim, const char *op)
{
    unsigned dflt = g_str_equal(op, "start")  ? START_TIMEOUT_MS
                    : g_str_equal(op, "stop") ? STOP_TIMEOUT_MS
                                              : MIGRATE_TIMEOUT_MS;
    return op_setting(prim, op, "timeout", dflt);
}

static const char *crm_config_value(xmlNode *cib, const char *name)
{
    xmlNode *cfg = pcmk_find_cib_element(cib, XML_CIB_TAG_CRMCONFIG);
    for (xmlNode *set = cfg ? first_named_child(cfg, XML_CIB_TAG_PROPSET) : NULL; set;
         set = crm_next_same_xml(set))
        for (xmlNode *nv = first_named_child(set, XML_CIB_TAG_NVPAIR); nv;
             nv = crm_next_same_xml(nv))
            if (g_strcmp0(crm_element_value(nv, XML_NVPAIR_ATTR_NAME), name) == 0)
                return crm_element_value(nv, XML_NVPAIR_ATTR_VALUE);
    return NULL;
}

static int op_status_of(const CdExecResult *res)
{
    switch (res->status) {
    case CD_EXEC_DONE:
        return VMHA_OP_STATUS_DONE;
    case CD_EXEC_TIMEOUT:
        return VMHA_OP_STATUS_TIMEOUT;
    case CD_EXEC_NOT_INSTALLED:
        return VMHA_OP_STATUS_NOT_INSTALLED;
    case CD_EXEC_SIGNALED:
    case CD_EXEC_ERROR:
        break;
    }
    return VMHA_OP_STATUS_ERROR;
}

/* ---- results: written until recorded ---- */

static void outbox_send(Outbox *o);

static gboolean on_outbox_retry(gpointer user_data)
{
    Outbox *o = user_data;
    o->retry_src = 0;
    outbox_send(o);
    return G_SOURCE_REMOVE;
}

static void on_outbox_written(void *ctx, int rc, const char *message)
{
    Outbox *o = ctx;

    /* A refusal (malformed, unknown node) would be refused again. */
    if (rc == VMHA_RESULT_OK || rc == VMHA_RESULT_USAGE || rc == VMHA_RESULT_NOT_FOUND || !C.up) {
        if (rc != VMHA_RESULT_OK && C.up)
            g_warning("%s refused: %s", vmha_msg_type_to_str(o->msg->type), message);
        vmha_msg_free(o->msg);
        g_free(o);
        return;
    }
    /* Until it is recorded the VM stays "in flight" for everyone: keep trying. Once this node
     * is fenced, or a restarted clusterd wrote the operation off, the record is ignored. */
    g_warning("%s not recorded (%s); trying again", vmha_msg_type_to_str(o->msg->type), message);
    o->retry_src = g_timeout_add(RESULT_RETRY_MS, on_outbox_retry, o);
}

static void outbox_send(Outbox *o)
{
    cd_sync_submit(o->msg, on_outbox_written, o);
}

/* Writes that record a time carry the writer's: every member records the same. */
static int add_time(VmhaMsg *m)
{
    g_autofree char *kv =
            g_strdup_printf("time=%" G_GINT64_FORMAT, g_get_real_time() / G_USEC_PER_SEC);
    return vmha_msg_add_str(m, VMHA_F_KV, kv);
}

static void write_reliably(VmhaMsg *msg)
{
    Outbox *o = g_new0(Outbox, 1);
    o->msg = msg;
    outbox_send(o);
}

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
    write_reliably(m);
}

/* ---- node side: running what the database says is pending here ---- */

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

static void on_job_done(const CdExecResult *res, void *ctx)
{
    Job *j = ctx;
    VmhaOpResult r = {
            .key = j->key,
            .op = j->op,
            .interval_ms = 0,
            .rsc = j->rsc,
            .rc = res->rc,
            .op_status = op_status_of(res),
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
    if (C.up)
        send_result(&r);
    job_free(j);
}

static void job_run(Job *j);

static gboolean on_job_retry(gpointer user_data)
{
    Job *j = user_data;
    j->retry_src = 0;
    job_run(j);
    return G_SOURCE_REMOVE;
}

static xmlNode *my_node_state(xmlNode *status)
{
    g_autofree char *me = g_strdup_printf("%u", cd_local_nodeid());

    for (xmlNode *n = status ? first_named_child(status, XML_CIB_TAG_STATE) : NULL; n;
         n = crm_next_same_xml(n))
        if (g_strcmp0(crm_element_value(n, XML_ATTR_ID), me) == 0)
            return n;
    return NULL;
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
    xmlNode *cib = cd_cibdb_query();
    xmlNode *prim = cib ? find_primitive(cib, j->rsc) : NULL;

    if (!prim || !job_current(cib, j)) {
        g_warning("%s %s: %s", j->op, j->rsc,
                  prim ? "no longer pending here, not run" : "the VM is no longer configured");
        if (cib)
            free_xml(cib);
        job_free(j);
        return;
    }
    /* A partition without quorum never starts anything, even what a quorate view asked for
     * before the split: the probes after quorum returns write the operation off. */
    if (!cd_quorate() && !g_str_equal(j->op, "stop")) {
        g_warning("%s %s: not run, this node has no quorum", j->op, j->rsc);
        g_hash_table_add(C.orphaned, g_strdup(j->key));
        cd_probe_trigger_vm(j->rsc);
        free_xml(cib);
        job_free(j);
        return;
    }
    g_autoptr(GHashTable) params = instance_params(prim);
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
    g_hash_table_remove(C.monitors, j->rsc);
    g_hash_table_remove(C.monitor_epochs, j->rsc);
    int rc = cd_executor_run(&a, on_job_done, j);
    free_xml(cib);
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
        if (!g_hash_table_add(C.seen, seen))
            continue;
        if (adopt_only) {
            g_hash_table_add(C.orphaned, g_strdup(key));
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
    g_hash_table_iter_init(&it, C.seen);
    while (g_hash_table_iter_next(&it, &key, NULL))
        if (!g_hash_table_contains(pending, key))
            g_hash_table_iter_remove(&it);
}

/* ---- node side: recurring monitors ---- */

static gboolean cancel_monitor(gpointer user_data)
{
    const char *rsc = user_data;

    if (C.up && g_hash_table_remove(C.monitors, rsc))
        cd_executor_monitor_cancel(rsc);
    if (C.up)
        g_hash_table_remove(C.monitor_epochs, rsc);
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
            .op_status = op_status_of(res),
            .exec_ms = res->duration_ms,
            .when = g_get_real_time() / G_USEC_PER_SEC,
            .exit_reason = res->exit_reason,
    };
    if (!vmha_op_result_failed(&r))
        return;
    /* Sent with this node's fence epoch in the copy the series began from: when the node was
     * fenced since, what the monitor finds is void (issue 11, defect 7). */
    const int64_t *epoch = g_hash_table_lookup(C.monitor_epochs, res->rsc);
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

static void reconcile_monitors(xmlNode *cib, const VmhaModel *m)
{
    ssize_t me = vmha_model_find_node(m, cd_node_name(cd_local_nodeid()));
    g_autoptr(GHashTable) want = g_hash_table_new(g_str_hash, g_str_equal);
    int64_t epoch =
            vmha_lrm_fence_epoch(my_node_state(pcmk_find_cib_element(cib, XML_CIB_TAG_STATUS)));

    for (size_t v = 0; me >= 0 && v < m->n_vms; v++) {
        const VmhaVm *vm = &m->vms[v];
        if (vm->state[me] != VMHA_RSC_ACTIVE || vm->pending_op || cd_executor_busy(vm->name))
            continue;
        g_hash_table_add(want, vm->name);
        const int64_t *began = g_hash_table_lookup(C.monitor_epochs, vm->name);
        /* A series from before a fence of this node (its results would be void): anew. */
        if (!(began && *began == epoch) && g_hash_table_remove(C.monitors, vm->name))
            cd_executor_monitor_cancel(vm->name);
        xmlNode *prim = find_primitive(cib, vm->name);
        unsigned interval = op_setting(prim, "monitor", "interval", MONITOR_DEFAULT_MS);
        unsigned timeout = op_setting(prim, "monitor", "timeout", MONITOR_TIMEOUT_MS);
        g_autoptr(GHashTable) params = instance_params(prim);
        g_autofree char *key = monitor_key(interval, timeout, params);
        const char *running = g_hash_table_lookup(C.monitors, vm->name);
        if (running && strcmp(running, key) == 0)
            continue;
        if (running) {
            g_message("monitor of %s: settings changed, restarting it", vm->name);
            cd_executor_monitor_cancel(vm->name);
            g_hash_table_remove(C.monitors, vm->name);
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
        g_hash_table_insert(C.monitors, g_strdup(vm->name), g_steal_pointer(&key));
        g_hash_table_insert(C.monitor_epochs, g_strdup(vm->name), g_memdup2(&epoch, sizeof(epoch)));
    }
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, C.monitors);
    while (g_hash_table_iter_next(&it, &key, NULL))
        if (!g_hash_table_contains(want, key)) {
            cd_executor_monitor_cancel(key);
            g_hash_table_remove(C.monitor_epochs, key);
            g_hash_table_iter_remove(&it);
        }
}

/* ---- leader side: fencing ---- */

static void fence_free(gpointer p)
{
    Fence *f = p;
    g_free(f->node);
    g_free(f);
}

static void on_fence_done(const CdFenceResult *res, void *ctx)
{
    g_autofree char *node = ctx;
    Fence *f = C.up ? g_hash_table_lookup(C.fences, node) : NULL;
    bool ok = res->status == CD_FENCE_OK;

    if (!f)
        return;
    f->running = false;
    f->attempts++;
    g_autofree char *error = NULL;
    if (ok) {
        g_message("fenced %s with %s (%s) in %" G_GINT64_FORMAT " ms", node, res->device,
                  res->action, res->duration_ms);
    } else {
        g_autofree char *tail = g_strstrip(g_strdup(res->err && *res->err ? res->err : ""));
        char *nl = strrchr(tail, '\n');
        error = g_strdup_printf("%s: %s%s%s", res->device, cd_fence_status_to_string(res->status),
                                *tail ? ": " : "", nl ? nl + 1 : tail);
        unsigned backoff = MIN(1u << MIN(f->attempts - 1, 5u), (unsigned)FENCE_BACKOFF_MAX);
        f->next_try_us = g_get_monotonic_time() + (int64_t)backoff * G_USEC_PER_SEC;
        g_critical("fencing %s failed (attempt %u): %s; trying again in %u s", node, f->attempts,
                   error, backoff);
    }
    VmhaMsg *m = vmha_msg_new(VMHA_MSG_FENCED);
    if (vmha_msg_add_str(m, VMHA_F_NODE, node) < 0 ||
        vmha_msg_add_u64(m, VMHA_F_RC, ok ? 0 : 1) < 0 || add_time(m) < 0 ||
        (error && vmha_msg_add_str(m, VMHA_F_MESSAGE, error) < 0)) {
        vmha_msg_free(m);
        return;
    }
    f->done = ok;
    write_reliably(m);
    schedule();
}

/* The stonith primitives covering node, in document order. */
static GPtrArray *fence_devices_for(xmlNode *cib, const char *node)
{
    GPtrArray *out = g_ptr_array_new();
    xmlNode *res = pcmk_find_cib_element(cib, XML_CIB_TAG_RESOURCES);
    for (xmlNode *p = res ? first_named_child(res, XML_CIB_TAG_RESOURCE) : NULL; p;
         p = crm_next_same_xml(p)) {
        if (g_strcmp0(crm_element_value(p, XML_AGENT_ATTR_CLASS), "stonith") != 0)
            continue;
        g_autoptr(GHashTable) opts = instance_params(p);
        CdFenceDevice dev = {.id = crm_element_value(p, XML_ATTR_ID), .options = opts};
        if (cd_fence_device_covers(&dev, node))
            g_ptr_array_add(out, p);
    }
    return out;
}

static void fence_node(xmlNode *cib, const char *node)
{
    Fence *f = g_hash_table_lookup(C.fences, node);
    if (!f) {
        f = g_new0(Fence, 1);
        f->node = g_strdup(node);
        g_hash_table_insert(C.fences, f->node, f);
    }
    f->wanted = true;
    if (f->done || f->running || g_get_monotonic_time() < f->next_try_us)
        return;
    g_autoptr(GPtrArray) devs = fence_devices_for(cib, node);
    if (devs->len == 0) {
        g_warning("no fence device covers %s", node);
        return;
    }
    /* Several devices (a BMC, a PDU): each attempt tries the next. */
    xmlNode *p = g_ptr_array_index(devs, f->attempts % devs->len);
    g_autoptr(GHashTable) opts = instance_params(p);
    const char *action = crm_config_value(cib, "stonith-action");
    if (!action || (!g_str_equal(action, "off") && !g_str_equal(action, "reboot")))
        action = "reboot";
    unsigned timeout = FENCE_TIMEOUT_MS;
    const char *t = g_hash_table_lookup(opts, "pcmk_reboot_timeout");
    int64_t ms;
    if (vmha_duration_parse(t, VMHA_DURATION_PCMK_MSEC, &ms, NULL) == 0 && ms > 0)
        timeout = (unsigned)MIN(ms, (int64_t)G_MAXUINT);
    CdFenceDevice dev = {
            .id = crm_element_value(p, XML_ATTR_ID),
            .agent = crm_element_value(p, XML_ATTR_TYPE),
            .options = opts,
            .timeout_ms = timeout,
    };
    int rc = cd_fencer_fence(&dev, node, action, on_fence_done, g_strdup(node));
    if (rc < 0) {
        g_warning("cannot fence %s with %s: %s", node, dev.id, g_strerror(-rc));
        f->attempts++;
        f->next_try_us = g_get_monotonic_time() + FENCE_BACKOFF_MAX * G_USEC_PER_SEC;
        return;
    }
    f->running = true;
    g_critical("fencing %s with %s (%s, attempt %u)", node, dev.id, action, f->attempts + 1);
}

/* A lost node without a fence device is as good as fenced once its self-fence deadline has
 * passed: recorded like a fence, so its stale history (VMs it ran) is gone before it rejoins and
 * cannot make a VM look as if it ran twice. */
static void record_self_fences(const VmhaModel *m, int64_t now)
{
    for (size_t i = 0; i < m->n_nodes; i++) {
        const VmhaNode *n = &m->nodes[i];
        /* In maintenance mode nodes do not fence themselves, nor does a node marked as not
         * having seen it end (lib/engine.c decides the same). */
        if (n->state != VMHA_NODE_LOST || n->lost_since <= 0 || m->maintenance_mode ||
            n->self_fence_disarmed ||
            (m->stonith_enabled && vmha_model_node_has_fence_device(m, i)) ||
            now < n->lost_since + m->fence_watchdog_timeout ||
            g_hash_table_contains(C.fences, n->name))
            continue;
        Fence *f = g_new0(Fence, 1);
        f->node = g_strdup(n->name);
        f->done = true;
        g_hash_table_insert(C.fences, f->node, f);
        g_critical("%s: self-fence deadline passed (lost %" G_GINT64_FORMAT " s ago); recording it "
                   "as fenced",
                   n->name, now - n->lost_since);
        VmhaMsg *msg = vmha_msg_new(VMHA_MSG_FENCED);
        if (vmha_msg_add_str(msg, VMHA_F_NODE, n->name) < 0 ||
            vmha_msg_add_u64(msg, VMHA_F_RC, 0) < 0 || add_time(msg) < 0) {
            vmha_msg_free(msg);
            continue;
        }
        write_reliably(msg);
    }
}

/* ---- leader side: planning and dispatch ---- */

static void on_actions_written(void *ctx, int rc, const char *message)
{
    g_auto(GStrv) vms = ctx;

    for (size_t i = 0; vms[i]; i++)
        g_hash_table_remove(C.dispatched, vms[i]);
    if (rc != VMHA_RESULT_OK)
        g_warning("actions not recorded: %s", message);
    schedule();
}

/* Lost-since for the engine: when this node saw the node leave, rounded up, or, when it was
 * gone before this clusterd started, our start: never earlier than the truth. */
static void set_lost_since(VmhaModel *m)
{
    for (size_t i = 0; i < m->n_nodes; i++) {
        if (m->nodes[i].state != VMHA_NODE_LOST)
            continue;
        uint32_t id = cd_node_id_by_name(m->nodes[i].name);
        gpointer v = id ? g_hash_table_lookup(C.lost_at, GUINT_TO_POINTER(id)) : NULL;
        m->nodes[i].lost_since = v ? (int64_t)GPOINTER_TO_SIZE(v) : C.started_at;
    }
}

/* A node in the membership whose clusterd is not in the CPG view can run nothing we ask: its
 * VMs stay as they are and nothing new goes there (the engine's maintenance), until its clusterd
 * is back or the node is lost. */
static void hold_nodes_without_clusterd(VmhaModel *m)
{
    size_t n_members = 0;
    const VmhaPeerState *members = cd_sync_members(&n_members);

    for (size_t i = 0; i < m->n_nodes; i++) {
        if (m->nodes[i].state != VMHA_NODE_ONLINE)
            continue;
        uint32_t id = cd_node_id_by_name(m->nodes[i].name);
        bool present = false;
        for (size_t k = 0; k < n_members; k++)
            present |= members[k].nodeid == id;
        if (!present)
            m->nodes[i].maintenance = true;
    }
}

/* VMs some node able to run them has no record of yet: its probe is still to come. */
static GHashTable *unprobed_vms(const VmhaModel *m, xmlNode *status)
{
    GHashTable *out = g_hash_table_new(g_str_hash, g_str_equal);

    for (size_t i = 0; i < m->n_nodes; i++) {
        const VmhaNode *n = &m->nodes[i];
        if (n->state != VMHA_NODE_ONLINE || n->maintenance)
            continue;
        xmlNode *ns = NULL;
        for (xmlNode *x = status ? first_named_child(status, XML_CIB_TAG_STATE) : NULL; x;
             x = crm_next_same_xml(x))
            if (g_strcmp0(crm_element_value(x, XML_ATTR_ID), n->id) == 0)
                ns = x;
        for (size_t v = 0; v < m->n_vms; v++)
            if (!ns || !vmha_lrm_has_history(ns, m->vms[v].name))
                g_hash_table_add(out, m->vms[v].name);
    }
    return out;
}

static void transition(void)
{
    g_autofree char *xml = NULL, *error = NULL;
    g_autoptr(GError) gerr = NULL;
    g_autoptr(VmhaModel) m = NULL;
    g_autoptr(VmhaPlan) plan = NULL;

    if (cd_view_cib(&xml, &error) < 0)
        return;
    if (vmha_model_parse(xml, strlen(xml), &m, &gerr) < 0) {
        g_warning("cannot plan: %s", gerr->message);
        return;
    }
    set_lost_since(m);
    hold_nodes_without_clusterd(m);
    int64_t now = g_get_real_time() / G_USEC_PER_SEC;
    if (vmha_engine_plan(m, now, &plan) < 0)
        return;

    /* Fencing: the engine's, and the ones asked for by vmctl node fence. */
    xmlNode *cib = string2xml(xml);
    xmlNode *status = cib ? pcmk_find_cib_element(cib, XML_CIB_TAG_STATUS) : NULL;
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, C.fences);
    while (g_hash_table_iter_next(&it, NULL, &value))
        ((Fence *)value)->wanted = false;
    for (size_t i = 0; i < plan->n_actions; i++)
        if (plan->actions[i].type == VMHA_ACTION_FENCE)
            fence_node(cib, m->nodes[plan->actions[i].node].name);
    for (xmlNode *ns = status ? first_named_child(status, XML_CIB_TAG_STATE) : NULL; ns;
         ns = crm_next_same_xml(ns)) {
        g_autofree char *requested = vmha_lrm_node_attr(ns, "vmha-fence-requested");
        const char *uname = crm_element_value(ns, XML_ATTR_UNAME);
        if (requested && uname)
            fence_node(cib, uname);
    }
    g_autoptr(GHashTable) hold = unprobed_vms(m, status);
    if (cib)
        free_xml(cib);
    /* Forget fencing nobody wants any more (the node came back, or is recorded fenced), except
     * a run in flight, whose outcome is recorded whatever it is. */
    g_hash_table_iter_init(&it, C.fences);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        Fence *f = value;
        ssize_t i = vmha_model_find_node(m, f->node);
        bool lost = i >= 0 && m->nodes[i].state == VMHA_NODE_LOST;
        if (!f->running && !f->wanted && !(f->done && lost))
            g_hash_table_iter_remove(&it);
    }
    record_self_fences(m, now);

    VmhaDispatchInput in = {.model = m, .plan = plan, .dispatched = C.dispatched, .hold = hold};
    g_autoptr(GArray) chosen = vmha_dispatch_select(&in);
    if (chosen->len == 0)
        return;
    g_autoptr(VmhaMsg) msg = vmha_msg_new(VMHA_MSG_ACTIONS);
    GPtrArray *vms = g_ptr_array_new();
    C.seq++;
    for (guint i = 0; i < chosen->len; i++) {
        const VmhaAction *a = &plan->actions[g_array_index(chosen, size_t, i)];
        const char *vm = m->vms[a->vm].name;
        g_autofree char *key = g_strdup_printf("%u:%" G_GUINT64_FORMAT ":0:%s", i, C.seq, C.uuid);
        VmhaActionSpec spec = {
                .key = key,
                .op = a->type == VMHA_ACTION_START  ? "start"
                      : a->type == VMHA_ACTION_STOP ? "stop"
                                                    : "migrate",
                .rsc = vm,
                .node = m->nodes[a->node].name,
                .target = a->type == VMHA_ACTION_MIGRATE ? m->nodes[a->to].name : NULL,
                .method = a->type == VMHA_ACTION_MIGRATE ? a->method : VMHA_MIGRATION_DEFAULT,
        };
        g_autofree char *line = vmha_action_format(&spec);
        if (vmha_msg_add_str(msg, VMHA_F_ACTION, line) < 0)
            break;
        g_message("dispatching %s", line);
        if (!g_hash_table_contains(C.dispatched, vm)) {
            g_hash_table_insert(C.dispatched, g_strdup(vm), g_strdup(key));
            g_ptr_array_add(vms, g_strdup(vm));
        }
    }
    g_ptr_array_add(vms, NULL);
    if (vmha_msg_add_str(msg, VMHA_F_MEMBERS, cd_sync_view_key()) < 0 || add_time(msg) < 0) {
        g_strfreev((char **)g_ptr_array_free(vms, false));
        return;
    }
    cd_sync_submit(msg, on_actions_written, g_ptr_array_free(vms, false));
}

static void set_tick(unsigned ms);

static gboolean on_idle(gpointer user_data)
{
    C.idle_src = 0;
    if (!is_leader())
        return G_SOURCE_REMOVE;
    transition();
    return G_SOURCE_REMOVE;
}

static void schedule(void)
{
    if (C.up && !C.idle_src && is_leader())
        C.idle_src = g_idle_add(on_idle, NULL);
}

static gboolean on_tick(gpointer user_data)
{
    schedule();
    return G_SOURCE_CONTINUE;
}

static void set_tick(unsigned ms)
{
    if (C.tick_src && C.tick_ms == ms)
        return;
    if (C.tick_src)
        g_source_remove(C.tick_src);
    C.tick_ms = ms;
    C.tick_src = g_timeout_add(ms, on_tick, NULL);
}

/* ---- hooks ---- */

void cd_controller_on_membership(void)
{
    if (!C.up)
        return;
    int64_t now = wall_s_ceil();
    bool any_lost = false;
    for (guint i = 0; i < cd_nodes()->len; i++) {
        const CdNode *n = g_ptr_array_index(cd_nodes(), i);
        gpointer id = GUINT_TO_POINTER(n->nodeid);
        bool in = cd_node_in_quorum_view(n->nodeid);
        if (in) {
            g_hash_table_add(C.in_view, id);
            g_hash_table_remove(C.lost_at, id);
        } else {
            if (g_hash_table_remove(C.in_view, id))
                g_hash_table_insert(C.lost_at, id, GSIZE_TO_POINTER((gsize)now));
            any_lost = true;
        }
    }
    set_tick(any_lost ? TICK_LOST_MS : TICK_IDLE_MS);
    schedule();
}

void cd_controller_on_sync(void)
{
    if (!C.up)
        return;
    xmlNode *cib = cd_cibdb_query();
    /* Operations recorded here before this process ran are not ours to run: our first probe
     * round writes them off. */
    if (cib && !C.adopted) {
        run_pending(pcmk_find_cib_element(cib, XML_CIB_TAG_STATUS), true);
        C.adopted = true;
    }
    if (cib)
        free_xml(cib);
    cd_controller_on_applied(NULL);
}

void cd_controller_on_applied(const VmhaMsg *write)
{
    if (!C.up)
        return;
    xmlNode *cib = cd_cibdb_query();
    if (!cib)
        return;
    xmlNode *status = pcmk_find_cib_element(cib, XML_CIB_TAG_STATUS);
    if (!write || write->type == VMHA_MSG_ACTIONS || write->type == VMHA_MSG_RESULT)
        run_pending(status, false);
    g_autoptr(VmhaModel) m = NULL;
    g_autoptr(GError) gerr = NULL;
    if (vmha_model_from_xml(cib, &m, &gerr) == 0)
        reconcile_monitors(cib, m);
    else
        g_warning("cannot read the database: %s", gerr->message);
    free_xml(cib);
    schedule();
}

bool cd_controller_orphaned(const char *key)
{
    return C.up && key && g_hash_table_contains(C.orphaned, key);
}

void cd_controller_trigger(void)
{
    schedule();
}

void cd_controller_init(void)
{
    C.dispatched = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    C.seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    C.lost_at = g_hash_table_new(g_direct_hash, g_direct_equal);
    C.in_view = g_hash_table_new(g_direct_hash, g_direct_equal);
    C.fences = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, fence_free);
    C.monitors = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    C.monitor_epochs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    C.orphaned = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    C.started_at = wall_s_ceil();
    C.uuid = g_uuid_string_random();
    C.up = true;
    set_tick(TICK_IDLE_MS);
}

void cd_controller_finalise(void)
{
    if (!C.up)
        return;
    C.up = false;
    if (C.idle_src)
        g_source_remove(C.idle_src);
    if (C.tick_src)
        g_source_remove(C.tick_src);
    g_clear_pointer(&C.dispatched, g_hash_table_unref);
    g_clear_pointer(&C.seen, g_hash_table_unref);
    g_clear_pointer(&C.lost_at, g_hash_table_unref);
    g_clear_pointer(&C.in_view, g_hash_table_unref);
    g_clear_pointer(&C.fences, g_hash_table_unref);
    g_clear_pointer(&C.monitors, g_hash_table_unref);
    g_clear_pointer(&C.monitor_epochs, g_hash_table_unref);
    g_clear_pointer(&C.orphaned, g_hash_table_unref);
    g_clear_pointer(&C.uuid, g_free);
    memset(&C, 0, sizeof(C));
}
