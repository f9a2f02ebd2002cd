/* Probes: where do the VMs really run?
 *
 * Once this node is in sync with a quorate cluster (after start-up, after every membership
 * change that someone joined or that this node was not in sync before, and when quorum comes
 * back) it runs the vm agent's monitor with interval 0 (a probe,
 * as Pacemaker calls it) for every VM of the database, and sends the results that differ from
 * what its history in the status section already says as writes (VMHA_MSG_PROBE): one, or as
 * many as a round of hundreds of VMs needs, since one write carries at most a few hundred. Every
 * member applies each write in CPG order (cibwrite-status.c), so every copy holds the same
 * history and a new leader starts from it.
 *
 * A VM found running on two nodes is logged at critical level by the leader. The leader's plan
 * stops all but one copy (leader.c); probes only find and record.
 *
 * A probe also ends what this process will never run: operations recorded pending here that an
 * earlier clusterd left, or that a partition without quorum may not start (jobs.c hands their
 * keys over), are written off by the probe that finds where their VM really is. */
#include "config.h"

#include <crm/common/xml.h>
#include <crm/msg_xml.h>
#include <errno.h>
#include <string.h>

#include "cibdb.h"
#include "cibread.h"
#include "cibwrite-status.h"
#include "corosync.h"
#include "events.h"
#include "executor.h"
#include "lrmstatus.h"
#include "probe.h"
#include "sync.h"
#include "vmbatch.h"
#include "vmha/ocf.h"
#include "vmha/result.h"

#define PROBE_TIMEOUT_MS 20000
#define RETRY_S          5
/* A VM busy with an action here is probed again this much later, not in a loop meanwhile. */
#define BUSY_RETRY_MS 500
/* Agents of one round running at once: a round after a membership change probes every VM, and
 * dozens of agents connecting to libvirtd at once would starve this node's main loop (and
 * libvirtd) on a small host, delaying everything the cluster waits for from it. */
#define PROBE_PARALLEL 4

typedef struct {
    char *rsc;
    GHashTable *params; /* instance attributes, owned copies */
} Item;

typedef struct {
    GQueue todo; /* Item*, not started yet */
    guint running;
    GPtrArray *lines; /* results in wire form, for the write */
    bool deferred;    /* a VM was busy: it waits for a later round */
} Round;

static struct {
    Round *round;     /* the round in flight, or NULL */
    bool want_all;    /* probe every VM at the next round */
    GHashTable *want; /* VM names to probe at the next round */
    guint idle_src;   /* a trigger waiting for the main loop */
    guint retry_src;
    guint busy_src;
    GHashTable *reported;  /* VM -> "n1,n2": duplicates already logged */
    GHashTable *writeoffs; /* transition keys of operations pending here this process won't run */
    /* The last view this node was in sync in, and whether it was quorate with a leader then
     * (its probes were due then): a view that only lost members since needs no round. */
    VmhaPeerState *synced_view;
    size_t n_synced_view;
    bool synced_view_probed;
    bool quorate; /* at the last quorum event */
} P;

static bool may_probe(void)
{
    return cd_sync_in_sync() && cd_quorate() && cd_sync_leader() != 0;
}

static void item_free(gpointer p)
{
    Item *it = p;

    g_free(it->rsc);
    g_hash_table_unref(it->params);
    g_free(it);
}

static void round_free(Round *r)
{
    g_queue_clear_full(&r->todo, item_free);
    g_ptr_array_unref(r->lines);
    g_free(r);
}

static void on_written(void *ctx, int rc, const char *message);
static void kick(void);
static void trigger_all(void);

static gboolean on_retry(gpointer user_data)
{
    P.retry_src = 0;
    trigger_all();
    return G_SOURCE_REMOVE;
}

static gboolean on_busy_retry(gpointer user_data)
{
    P.busy_src = 0;
    kick();
    return G_SOURCE_REMOVE;
}

static void schedule_retry(void)
{
    if (!P.retry_src)
        P.retry_src = g_timeout_add_seconds(RETRY_S, on_retry, NULL);
}

/* The writeoff of rsc's operation recorded in flight here if this process will not run it (this
 * probe ends it), else NULL. */
static char *writeoff_of(const VmhaLrmIndex *node, const char *rsc)
{
    xmlNode *op = vmha_lrm_index_pending_op(node, rsc);
    const char *key = op ? crm_element_value(op, XML_ATTR_TRANSITION_KEY) : NULL;

    if (!key || !g_hash_table_contains(P.writeoffs, key))
        return NULL;
    return g_strconcat(VMHA_PROBE_WRITEOFF, key, NULL);
}

/* What clusterd's sync adds to a write (origin node and pid, request id, time), with room. */
#define SYNC_FIELDS 8

static void finish_round(Round *r)
{
    P.round = NULL;
    if (r->lines->len && may_probe()) {
        /* Compare again: another write may have recorded the same meanwhile. */
        xmlNode *cib = cd_cibdb_current();
        xmlNode *status = cib ? pcmk_find_cib_element(cib, XML_CIB_TAG_STATUS) : NULL;
        g_autofree char *node_id = g_strdup_printf("%u", cd_local_nodeid());
        g_autoptr(VmhaLrmIndex) node = status ? vmha_lrm_index_new(status, node_id) : NULL;
        g_autoptr(GPtrArray) lines = g_ptr_array_new();
        g_autoptr(GPtrArray) writeoffs = g_ptr_array_new_with_free_func(g_free);
        /* Split over several writes, the leader may plan between them: every result but "not
         * running" goes first, so that a VM found running (or failed) here is never still shown
         * stopped by an older record when a plan could start it elsewhere. A stale "running"
         * record left for a later write only keeps a VM where it is meanwhile. */
        for (int pass = 0; pass < 2; pass++) {
            for (guint i = 0; i < r->lines->len; i++) {
                g_autofree char *buf = NULL;
                VmhaProbeResult res;
                char *line = g_ptr_array_index(r->lines, i);
                if (vmha_probe_result_parse(line, &res, &buf) < 0)
                    continue;
                if ((res.rc == OCF_NOT_RUNNING) != (pass == 1))
                    continue;
                if (node && vmha_lrm_index_probe_unchanged(node, &res))
                    continue;
                g_ptr_array_add(lines, line);
                g_ptr_array_add(writeoffs, node ? writeoff_of(node, res.rsc) : NULL);
            }
        }
        /* A round of every VM holds more results than one write may carry beyond a few hundred
         * VMs: several writes, each applied as it comes. */
        g_autoptr(GPtrArray) msgs = lines->len
                                            ? vmha_probe_messages((char *const *)lines->pdata,
                                                                  (char *const *)writeoffs->pdata,
                                                                  lines->len, SYNC_FIELDS)
                                            : NULL;
        if (lines->len && !msgs) {
            g_warning("a probe result does not fit in a write; probing again in %d s", RETRY_S);
            schedule_retry();
        } else if (msgs) {
            g_message("recording %u changed probe result(s) in %u write(s)", lines->len, msgs->len);
            for (guint i = 0; i < msgs->len; i++)
                cd_sync_submit(g_ptr_array_index(msgs, i), on_written, NULL);
        } else {
            g_info("probe round: nothing changed");
        }
    } else if (!r->lines->len) {
        g_info("probe round: nothing changed");
    }
    bool deferred = r->deferred;
    round_free(r);
    if (!P.want_all && deferred && g_hash_table_size(P.want)) {
        if (!P.busy_src)
            P.busy_src = g_timeout_add(BUSY_RETRY_MS, on_busy_retry, NULL);
    } else if (P.want_all || g_hash_table_size(P.want)) {
        kick();
    }
}

static void pump(Round *r);

static void on_probe_done(const CdExecResult *res, void *ctx)
{
    Round *r = ctx;
    VmhaProbeResult pr = {
            .rsc = res->rsc,
            .rc = res->rc,
            .op_status = cd_exec_op_status(res->status),
            .exec_ms = res->duration_ms,
            .when = g_get_real_time() / G_USEC_PER_SEC,
    };

    if (res->rc != 0 && res->rc != 7)
        g_warning("probe of %s: %s, rc %d%s%s", res->rsc, cd_exec_status_to_string(res->status),
                  res->rc, *res->exit_reason ? ": " : "", res->exit_reason);
    else
        g_debug("probe of %s: rc %d", res->rsc, res->rc);
    if (pr.rc >= 0 && pr.rc <= 255)
        g_ptr_array_add(r->lines, vmha_probe_result_format(&pr));
    r->running--;
    pump(r);
}

/* Starts queued probes up to PROBE_PARALLEL; finishes the round when none is left. */
static void pump(Round *r)
{
    Item *it;

    while (r->running < PROBE_PARALLEL && (it = g_queue_pop_head(&r->todo))) {
        CdAgentAction a = {
                .rsc = it->rsc,
                .provider = "vmha",
                .type = "vm",
                .action = "monitor",
                .params = it->params,
                .timeout_ms = PROBE_TIMEOUT_MS,
        };
        int rc = cd_executor_run(&a, on_probe_done, r);
        if (rc == -EBUSY) { /* an action of the VM runs here: probe it in a later round */
            g_hash_table_add(P.want, g_strdup(it->rsc));
            r->deferred = true;
        } else if (rc < 0)
            g_warning("cannot probe %s: %s", it->rsc, g_strerror(-rc));
        else
            r->running++;
        item_free(it);
    }
    if (r->running == 0 && g_queue_is_empty(&r->todo))
        finish_round(r);
}

static void start_round(void)
{
    xmlNode *cib = cd_cibdb_current();
    xmlNode *res = cib ? pcmk_find_cib_element(cib, XML_CIB_TAG_RESOURCES) : NULL;
    Round *r = g_new0(Round, 1);
    bool all = P.want_all;
    g_autoptr(GHashTable) want = g_steal_pointer(&P.want);

    P.want = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    P.want_all = false;
    g_queue_init(&r->todo);
    r->lines = g_ptr_array_new_with_free_func(g_free);
    P.round = r;
    for (xmlNode *p = res ? first_named_child(res, XML_CIB_TAG_RESOURCE) : NULL; p;
         p = crm_next_same_xml(p)) {
        const char *id = crm_element_value(p, XML_ATTR_ID);
        if (!cd_cib_is_vm(p) || (!all && !g_hash_table_contains(want, id)))
            continue;
        Item *it = g_new0(Item, 1);
        it->rsc = g_strdup(id);
        it->params = cd_cib_instance_params(p);
        g_queue_push_tail(&r->todo, it);
    }
    g_message("probing %u VM(s)", g_queue_get_length(&r->todo));
    pump(r);
}

static void on_written(void *ctx, int rc, const char *message)
{
    if (rc == VMHA_RESULT_OK)
        return;
    g_warning("probe results not recorded: %s; probing again in %d s", message, RETRY_S);
    schedule_retry();
}

static gboolean on_idle(gpointer user_data)
{
    P.idle_src = 0;
    /* A round in flight starts the next one when it ends; wants wait for sync and quorum (the
     * next membership or quorum change asks for every VM anyway). */
    if (!may_probe() || P.round)
        return G_SOURCE_REMOVE;
    start_round();
    return G_SOURCE_REMOVE;
}

/* From the main loop, not from inside CPG's dispatch that brought the change. */
static void kick(void)
{
    if (!P.idle_src && P.reported)
        P.idle_src = g_idle_add(on_idle, NULL);
}

static void trigger_all(void)
{
    if (!P.reported)
        return;
    P.want_all = true;
    kick();
}

void cd_probe_trigger_vm(const char *name)
{
    if (!P.reported || !name)
        return;
    g_hash_table_add(P.want, g_strdup(name));
    kick();
}

void cd_probe_write_off(const char *key)
{
    if (P.writeoffs && key)
        g_hash_table_add(P.writeoffs, g_strdup(key));
}

/* After a probe write was applied: the leader logs any VM recorded running on two nodes. */
static void check_duplicates(void)
{
    if (!P.reported || cd_sync_leader() != cd_local_nodeid())
        return;
    xmlNode *cib = cd_cibdb_current();
    xmlNode *res = cib ? pcmk_find_cib_element(cib, XML_CIB_TAG_RESOURCES) : NULL;
    xmlNode *status = cib ? pcmk_find_cib_element(cib, XML_CIB_TAG_STATUS) : NULL;
    /* After each probe write, every VM on every node: indexed, not a scan of a node's history
     * for each VM. */
    g_autoptr(GPtrArray) history = vmha_lrm_index_all(status);

    for (xmlNode *p = res ? first_named_child(res, XML_CIB_TAG_RESOURCE) : NULL; p;
         p = crm_next_same_xml(p)) {
        const char *vm = crm_element_value(p, XML_ATTR_ID);
        g_auto(GStrv) nodes = vm ? vmha_lrm_index_running_on(history, vm, false) : NULL;
        if (!nodes || g_strv_length(nodes) < 2) {
            if (vm)
                g_hash_table_remove(P.reported, vm);
            continue;
        }
        g_autofree char *list = g_strjoinv(" and ", nodes);
        if (g_strcmp0(g_hash_table_lookup(P.reported, vm), list) == 0)
            continue;
        /* The one unforgivable event: its disk is being written by two hosts. The plan that
         * follows this write stops every copy but one. */
        g_critical("vm %s found running on %s", vm, list);
        g_hash_table_insert(P.reported, g_strdup(vm), g_strdup(list));
    }
}

/* Quorum came back: every VM again. */
static void on_quorum(const CdEvent *event, void *user_data)
{
    bool was = P.quorate;

    P.quorate = cd_quorate();
    if (P.quorate && !was)
        trigger_all();
}

/* In sync with a new view: every VM again, unless this node was in sync and quorate in the
 * previous view and nobody joined since (a power cut of another node): then what runs here is
 * known, and probing it all again would only compete with the recovery for CPU and libvirtd. */
static void on_synced(const CdEvent *event, void *user_data)
{
    size_t n;
    const VmhaPeerState *cur = cd_sync_members(&n);
    bool only_left = P.synced_view_probed && may_probe() &&
                     vmha_view_only_left(P.synced_view, P.n_synced_view, cur, n);

    g_free(P.synced_view);
    P.synced_view = g_memdup2(cur, sizeof(*cur) * MAX(n, 1));
    P.n_synced_view = n;
    P.synced_view_probed = may_probe();
    if (only_left) {
        g_info("members only left: no probe round");
        return;
    }
    trigger_all();
}

static void on_applied(const CdEvent *event, void *user_data)
{
    const VmhaMsg *m = event->msg;

    if (m->type == VMHA_MSG_PROBE)
        check_duplicates();
    /* A new VM, or new settings (its config), may already run somewhere: probe, as Pacemaker
     * does for a new resource. */
    if (m->type == VMHA_MSG_VM_ADD || m->type == VMHA_MSG_VM_SET ||
        m->type == VMHA_MSG_VM_CLEANUP) {
        g_autofree char *name = NULL;
        if (vmha_msg_get_str(m, VMHA_F_NAME, &name) == 0)
            cd_probe_trigger_vm(name);
    }
    if (m->type == VMHA_MSG_VM_ADD_MANY) {
        g_autofree char *json = NULL, *error = NULL;
        g_autoptr(GPtrArray) defs = NULL;
        if (vmha_msg_get_str(m, VMHA_F_JSON, &json) == 0 &&
            vmha_vmbatch_from_json(json, &defs, &error) == 0)
            for (guint i = 0; i < defs->len; i++)
                cd_probe_trigger_vm(((VmhaVmDef *)defs->pdata[i])->name);
    }
}

void cd_probe_init(void)
{
    P.reported = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    P.want = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    P.writeoffs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    cd_events_subscribe(CD_EVENT_QUORUM, on_quorum, NULL);
    cd_events_subscribe(CD_EVENT_SYNCED, on_synced, NULL);
    cd_events_subscribe(CD_EVENT_APPLIED, on_applied, NULL);
}

void cd_probe_finalise(void)
{
    cd_events_unsubscribe(on_quorum);
    cd_events_unsubscribe(on_synced);
    cd_events_unsubscribe(on_applied);
    if (P.idle_src)
        g_source_remove(P.idle_src);
    if (P.retry_src)
        g_source_remove(P.retry_src);
    if (P.busy_src)
        g_source_remove(P.busy_src);
    /* The executor, finalised after us, kills the agents without calling done. */
    if (P.round)
        round_free(P.round);
    g_clear_pointer(&P.reported, g_hash_table_unref);
    g_clear_pointer(&P.want, g_hash_table_unref);
    g_clear_pointer(&P.writeoffs, g_hash_table_unref);
    g_free(P.synced_view);
    memset(&P, 0, sizeof(P));
}
