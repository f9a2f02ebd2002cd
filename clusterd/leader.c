/* The leader: turns the policy engine's plan into fencing and actions (docs/ARCHITECTURE.md,
 * "Recovery", steps 1, 2 and 6).
 *
 * On this node while it leads (cd_sync_leader() == this node), on every change (the CPG view,
 * quorum, corosync's node list, a sync, a write applied, and a tick while a node is lost) it
 * builds the live CIB (cd_view_cib), runs vmha_engine_plan and
 *  - fences lost nodes with their stonith device, retrying with back-off, and records the outcome
 *    (VMHA_MSG_FENCED), or records a lost node without a device fenced once its self-fence
 *    deadline passed;
 *  - sends the actions it may start now (lib/dispatch.c) as one VMHA_MSG_ACTIONS write. Applying
 *    that write records each action pending on its node (lib/lrmstatus.c), and refuses an action
 *    for a VM that has one in flight already, so neither two leaders nor two plans can ever run
 *    two operations of one VM at once. The nodes run them (jobs.c).
 *
 * Nothing here decides placement: the engine does, from the database alone, so a new leader
 * continues exactly where the old one stopped. */
#include "config.h"

#include <crm/common/xml.h>
#include <crm/msg_xml.h>
#include <string.h>

#include "cibdb.h"
#include "cibread.h"
#include "corosync.h"
#include "dispatch.h"
#include "duration.h"
#include "engine.h"
#include "events.h"
#include "fencer.h"
#include "fencerun.h"
#include "leader.h"
#include "lrmstatus.h"
#include "model.h"
#include "outbox.h"
#include "sync.h"
#include "views.h"
#include "vmha/result.h"

#define TICK_LOST_MS      500  /* replan while a node is lost: self-fence deadlines, retries */
#define TICK_IDLE_MS      5000 /* replan now and then: failure-timeout expiry */
#define QUIET_MAX_US      (60 * G_USEC_PER_SEC) /* replan on the tick at least this often */
#define FENCE_TIMEOUT_MS  60000                 /* default pcmk_{reboot,off,on}_timeout */
#define FENCE_BACKOFF_MAX 30

typedef struct {
    char *node;
    /* Its steps (lib/fencerun.h). Confirmed off, or its self-fence deadline passed: kept while
     * the node is lost, so that plans made before the record is applied do not fence it again. */
    VmhaFenceRun run;
    bool wanted; /* asked for by the current plan or a request */
    bool back;   /* seen online again since its fence was confirmed (its reboot's power-on) */
    unsigned attempts;
    int64_t next_try_us; /* monotonic */
    /* The device that fenced it, for the power-on after the record (a reboot run as off, on) */
    char *device_id;
    char *device_agent;
    GHashTable *device_options;
    unsigned on_timeout_ms;
} Fence;

static struct {
    bool up;
    guint idle_src;
    guint tick_src;
    unsigned tick_ms;
    uint64_t seq;
    int64_t started_at;     /* wall seconds: lost-since of nodes lost before we saw them go */
    GHashTable *dispatched; /* VM -> key: ACTIONS written but not yet acknowledged */
    GHashTable *lost_at;    /* node id -> wall seconds (rounded up) it left the membership */
    GHashTable *in_view;    /* node ids in the quorum view at the last change */
    GHashTable *fences;     /* node name -> Fence */
    char *uuid;             /* this process's transition keys end with it, as Pacemaker's te_uuid */
    /* The last plan had nothing to do and would not change with the clock alone (quiet): while
     * the database and the live facts it was made from stay the same, the tick need not copy,
     * print, parse and plan them again (each of which costs with the VMs: issue 18). Every other
     * change calls schedule() itself. */
    bool quiet;
    uint64_t quiet_generation;
    char *quiet_facts;
    int64_t quiet_since_us; /* monotonic */
} L;

static void schedule(void);

static int64_t wall_s_ceil(void)
{
    int64_t us = g_get_real_time();
    return (us + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC;
}

static bool is_leader(void)
{
    return L.up && cd_sync_leader() != 0 && cd_sync_leader() == cd_local_nodeid();
}

/* Writes that record a time carry the writer's: every member records the same. */
static int add_time(VmhaMsg *m)
{
    g_autofree char *kv =
            g_strdup_printf("time=%" G_GINT64_FORMAT, g_get_real_time() / G_USEC_PER_SEC);
    return vmha_msg_add_str(m, VMHA_F_KV, kv);
}

/* ---- fencing ---- */

static void fence_free(gpointer p)
{
    Fence *f = p;
    g_free(f->node);
    g_free(f->device_id);
    g_free(f->device_agent);
    g_clear_pointer(&f->device_options, g_hash_table_unref);
    g_free(f);
}

/* Whether something of f is still under way: an agent, or its record on its way to the
 * database (whose end powers the node on). */
static bool fence_in_flight(const Fence *f)
{
    return vmha_fence_run_busy(&f->run) || f->run.state == VMHA_FENCE_RUN_RECORDING;
}

static void on_fence_done(const CdFenceResult *res, void *ctx);

/* A reboot run as off then on: the node's fence is in the database, now its power comes back. */
static void power_on(Fence *f)
{
    CdFenceDevice dev = {
            .id = f->device_id,
            .agent = f->device_agent,
            .options = f->device_options,
            .timeout_ms = f->on_timeout_ms,
    };
    int rc = cd_fencer_fence(&dev, f->node, "on", on_fence_done, g_strdup(f->node));
    if (rc < 0) {
        g_warning("%s is fenced (off) but cannot be powered on with %s: %s", f->node, dev.id,
                  g_strerror(-rc));
        vmha_fence_run_step(&f->run, VMHA_FENCE_EV_AGENT_ERR);
        return;
    }
    g_message("powering %s on again with %s (the reboot's second half)", f->node, dev.id);
}

static void on_fenced_recorded(void *ctx, int rc)
{
    const char *node = ctx;
    Fence *f = L.up ? g_hash_table_lookup(L.fences, node) : NULL;

    if (f && vmha_fence_run_step(&f->run, VMHA_FENCE_EV_RECORDED) == VMHA_FENCE_DO_POWER_ON)
        power_on(f);
}

static void on_fence_done(const CdFenceResult *res, void *ctx)
{
    g_autofree char *node = ctx;
    Fence *f = L.up ? g_hash_table_lookup(L.fences, node) : NULL;
    bool ok = res->status == CD_FENCE_OK;

    if (!f)
        return;
    if (f->run.state == VMHA_FENCE_RUN_POWER_ON) {
        vmha_fence_run_step(&f->run, ok ? VMHA_FENCE_EV_AGENT_OK : VMHA_FENCE_EV_AGENT_ERR);
        if (ok)
            g_message("%s powered on again with %s in %" G_GINT64_FORMAT " ms", node, res->device,
                      res->duration_ms);
        else {
            g_autofree char *tail = g_strstrip(g_strdup(res->err ? res->err : ""));
            g_warning("%s stays off: powering it on with %s failed (%s%s%s); it was fenced", node,
                      res->device, cd_fence_status_to_string(res->status), *tail ? ": " : "", tail);
        }
        return;
    }
    VmhaFenceDo next_step =
            vmha_fence_run_step(&f->run, ok ? VMHA_FENCE_EV_AGENT_OK : VMHA_FENCE_EV_AGENT_ERR);
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
    /* The attempt itself, for the event history (clusterd/history.c). */
    g_autofree char *attempt = g_strdup_printf("device=%s", res->device);
    g_autofree char *how = g_strdup_printf("action=%s", res->action);
    g_autofree char *took = g_strdup_printf("duration_ms=%" G_GINT64_FORMAT, res->duration_ms);
    g_autofree char *started = g_strdup_printf(
            "started=%" G_GINT64_FORMAT, (g_get_real_time() / 1000 - res->duration_ms) / 1000);
    if (vmha_msg_add_str(m, VMHA_F_NODE, node) < 0 ||
        vmha_msg_add_u64(m, VMHA_F_RC, ok ? 0 : 1) < 0 || add_time(m) < 0 ||
        vmha_msg_add_str(m, VMHA_F_KV, attempt) < 0 || vmha_msg_add_str(m, VMHA_F_KV, how) < 0 ||
        vmha_msg_add_str(m, VMHA_F_KV, took) < 0 || vmha_msg_add_str(m, VMHA_F_KV, started) < 0 ||
        (error && vmha_msg_add_str(m, VMHA_F_MESSAGE, error) < 0)) {
        vmha_msg_free(m);
        return;
    }
    if (next_step == VMHA_FENCE_DO_RECORD_FENCED)
        cd_outbox_write_full(m, on_fenced_recorded, g_strdup(node), g_free);
    else
        cd_outbox_write(m);
    schedule();
}

/* The stonith primitives covering node, in document order. */
static GPtrArray *fence_devices_for(xmlNode *cib, const char *node)
{
    GPtrArray *out = g_ptr_array_new();
    xmlNode *res = pcmk_find_cib_element(cib, XML_CIB_TAG_RESOURCES);
    for (xmlNode *p = res ? first_named_child(res, XML_CIB_TAG_RESOURCE) : NULL; p;
         p = crm_next_same_xml(p)) {
        if (!cd_cib_is_fence_device(p))
            continue;
        g_autoptr(GHashTable) opts = cd_cib_instance_params(p);
        CdFenceDevice dev = {.id = crm_element_value(p, XML_ATTR_ID), .options = opts};
        if (cd_fence_device_covers(&dev, node))
            g_ptr_array_add(out, p);
    }
    return out;
}

static unsigned device_timeout_ms(GHashTable *opts, const char *name, unsigned dflt)
{
    int64_t ms;

    if (vmha_duration_parse(g_hash_table_lookup(opts, name), VMHA_DURATION_PCMK_MSEC, &ms, NULL) ==
                0 &&
        ms > 0)
        return (unsigned)MIN(ms, (int64_t)G_MAXUINT);
    return dflt;
}

static void fence_node(xmlNode *cib, const char *node)
{
    Fence *f = g_hash_table_lookup(L.fences, node);
    if (!f) {
        f = g_new0(Fence, 1);
        f->node = g_strdup(node);
        g_hash_table_insert(L.fences, f->node, f);
    }
    f->wanted = true;
    if (f->run.state != VMHA_FENCE_RUN_IDLE || g_get_monotonic_time() < f->next_try_us)
        return;
    g_autoptr(GPtrArray) devs = fence_devices_for(cib, node);
    if (devs->len == 0) {
        g_warning("no fence device covers %s", node);
        return;
    }
    /* Several devices (a BMC, a PDU): each attempt tries the next. */
    xmlNode *p = g_ptr_array_index(devs, f->attempts % devs->len);
    g_autoptr(GHashTable) opts = cd_cib_instance_params(p);
    const char *action = cd_cib_property(cib, "stonith-action");
    /* A reboot is run as off, then on once the fence is recorded (lib/fencerun.h): recovery
     * needs the node off, not back on. */
    vmha_fence_run_init(&f->run, action, g_hash_table_lookup(opts, "pcmk_reboot_action"));
    unsigned timeout = device_timeout_ms(opts, "pcmk_reboot_timeout", FENCE_TIMEOUT_MS);
    if (g_str_equal(f->run.fence_action, "off"))
        timeout = device_timeout_ms(opts, "pcmk_off_timeout", timeout);
    CdFenceDevice dev = {
            .id = crm_element_value(p, XML_ATTR_ID),
            .agent = crm_element_value(p, XML_ATTR_TYPE),
            .options = opts,
            .timeout_ms = timeout,
    };
    if (vmha_fence_run_step(&f->run, VMHA_FENCE_EV_START) != VMHA_FENCE_DO_RUN_FENCE)
        return;
    int rc = cd_fencer_fence(&dev, node, f->run.fence_action, on_fence_done, g_strdup(node));
    if (rc < 0) {
        g_warning("cannot fence %s with %s: %s", node, dev.id, g_strerror(-rc));
        f->run.state = VMHA_FENCE_RUN_IDLE;
        f->attempts++;
        f->next_try_us = g_get_monotonic_time() + FENCE_BACKOFF_MAX * G_USEC_PER_SEC;
        return;
    }
    g_free(f->device_id);
    g_free(f->device_agent);
    g_clear_pointer(&f->device_options, g_hash_table_unref);
    f->device_id = g_strdup(dev.id);
    f->device_agent = g_strdup(dev.agent);
    f->device_options = g_hash_table_ref(opts);
    f->on_timeout_ms = device_timeout_ms(opts, "pcmk_on_timeout", timeout);
    g_critical("fencing %s with %s (%s%s, attempt %u)", node, dev.id, f->run.fence_action,
               f->run.power_on_after ? ", then on" : "", f->attempts + 1);
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
            g_hash_table_contains(L.fences, n->name))
            continue;
        Fence *f = g_new0(Fence, 1);
        f->node = g_strdup(n->name);
        f->run.state = VMHA_FENCE_RUN_DONE;
        g_hash_table_insert(L.fences, f->node, f);
        g_critical("%s: self-fence deadline passed (lost %" G_GINT64_FORMAT " s ago); recording it "
                   "as fenced",
                   n->name, now - n->lost_since);
        VmhaMsg *msg = vmha_msg_new(VMHA_MSG_FENCED);
        if (vmha_msg_add_str(msg, VMHA_F_NODE, n->name) < 0 ||
            vmha_msg_add_u64(msg, VMHA_F_RC, 0) < 0 || add_time(msg) < 0) {
            vmha_msg_free(msg);
            continue;
        }
        cd_outbox_write(msg);
    }
}

/* ---- planning and dispatch ---- */

static void on_actions_written(void *ctx, int rc, const char *message)
{
    g_auto(GStrv) vms = ctx;

    if (!L.up)
        return; /* failed at shutdown (sync.c's finalise comes after ours) */
    for (size_t i = 0; vms[i]; i++)
        g_hash_table_remove(L.dispatched, vms[i]);
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
        gpointer v = id ? g_hash_table_lookup(L.lost_at, GUINT_TO_POINTER(id)) : NULL;
        m->nodes[i].lost_since = v ? (int64_t)GPOINTER_TO_SIZE(v) : L.started_at;
    }
}

/* A node in the membership whose clusterd is not in the CPG view can run nothing we ask: its
 * VMs stay as they are and nothing new goes there (the engine's maintenance), until its clusterd
 * is back or the node is lost. */
static void hold_nodes_without_clusterd(VmhaModel *m)
{
    for (size_t i = 0; i < m->n_nodes; i++)
        if (m->nodes[i].state == VMHA_NODE_ONLINE &&
            !cd_cpg_has_node(cd_node_id_by_name(m->nodes[i].name)))
            m->nodes[i].maintenance = true;
}

/* VMs some node able to run them has no record of yet: its probe is still to come. */
static GHashTable *unprobed_vms(const VmhaModel *m, xmlNode *status)
{
    GHashTable *out = g_hash_table_new(g_str_hash, g_str_equal);

    for (size_t i = 0; i < m->n_nodes; i++) {
        const VmhaNode *n = &m->nodes[i];
        if (n->state != VMHA_NODE_ONLINE || n->maintenance)
            continue;
        xmlNode *ns = cd_cib_node_state(status, n->id, NULL);
        /* Indexed: every VM on every node, thousands of each. */
        g_autoptr(VmhaLrmIndex) history = ns ? vmha_lrm_index_new(status, n->id) : NULL;
        for (size_t v = 0; v < m->n_vms; v++)
            if (!history || !vmha_lrm_index_has_history(history, m->vms[v].name))
                g_hash_table_add(out, m->vms[v].name);
    }
    return out;
}

/* Whether the tick may skip this replan: the last one was quiet and made from what is live now. */
static bool still_quiet(void)
{
    if (!L.quiet || cd_cibdb_generation() != L.quiet_generation ||
        g_get_monotonic_time() - L.quiet_since_us >= QUIET_MAX_US)
        return false;
    g_autofree char *facts = cd_view_live_facts();
    return g_strcmp0(facts, L.quiet_facts) == 0;
}

static void transition(void)
{
    g_autofree char *xml = NULL, *error = NULL;
    g_autoptr(GError) gerr = NULL;
    g_autoptr(VmhaModel) m = NULL;
    g_autoptr(VmhaPlan) plan = NULL;
    uint64_t generation = cd_cibdb_generation();

    L.quiet = false;
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
    g_hash_table_iter_init(&it, L.fences);
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
    g_hash_table_iter_init(&it, L.fences);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        Fence *f = value;
        ssize_t i = vmha_model_find_node(m, f->node);
        bool lost = i >= 0 && m->nodes[i].state == VMHA_NODE_LOST;
        bool confirmed = vmha_fence_run_confirmed(&f->run);
        if (confirmed && i >= 0 && m->nodes[i].state == VMHA_NODE_ONLINE)
            f->back = true;
        /* A fenced node seen back (powered on by its reboot) starts over: lost again, it is
         * fenced again. */
        if (!fence_in_flight(f) && (f->back || (!f->wanted && !(confirmed && lost))))
            g_hash_table_iter_remove(&it);
    }
    record_self_fences(m, now);
    if (plan->n_actions == 0 && g_hash_table_size(L.fences) == 0 &&
        g_hash_table_size(L.dispatched) == 0 && !vmha_engine_reads_clock(m)) {
        L.quiet = true;
        L.quiet_generation = generation;
        g_free(L.quiet_facts);
        L.quiet_facts = cd_view_live_facts();
        L.quiet_since_us = g_get_monotonic_time();
    }

    VmhaDispatchInput in = {.model = m, .plan = plan, .dispatched = L.dispatched, .hold = hold};
    g_autoptr(GArray) chosen = vmha_dispatch_select(&in);
    if (chosen->len == 0)
        return;
    g_autoptr(VmhaMsg) msg = vmha_msg_new(VMHA_MSG_ACTIONS);
    GPtrArray *vms = g_ptr_array_new();
    L.seq++;
    for (guint i = 0; i < chosen->len; i++) {
        const VmhaAction *a = &plan->actions[g_array_index(chosen, size_t, i)];
        const char *vm = m->vms[a->vm].name;
        g_autofree char *key = g_strdup_printf("%u:%" G_GUINT64_FORMAT ":0:%s", i, L.seq, L.uuid);
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
        if (!g_hash_table_contains(L.dispatched, vm)) {
            g_hash_table_insert(L.dispatched, g_strdup(vm), g_strdup(key));
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
    L.idle_src = 0;
    if (!is_leader())
        return G_SOURCE_REMOVE;
    transition();
    return G_SOURCE_REMOVE;
}

static void schedule(void)
{
    if (L.up && !L.idle_src && is_leader())
        L.idle_src = g_idle_add(on_idle, NULL);
}

static gboolean on_tick(gpointer user_data)
{
    if (!still_quiet())
        schedule();
    return G_SOURCE_CONTINUE;
}

static void set_tick(unsigned ms)
{
    if (L.tick_src && L.tick_ms == ms)
        return;
    if (L.tick_src)
        g_source_remove(L.tick_src);
    L.tick_ms = ms;
    L.tick_src = g_timeout_add(ms, on_tick, NULL);
}

/* ---- events ---- */

/* The CPG view, quorum or corosync's node list changed: who is lost since when. */
static void on_membership(const CdEvent *event, void *user_data)
{
    int64_t now = wall_s_ceil();
    bool any_lost = false;
    for (guint i = 0; i < cd_nodes()->len; i++) {
        const CdNode *n = g_ptr_array_index(cd_nodes(), i);
        gpointer id = GUINT_TO_POINTER(n->nodeid);
        bool in = cd_node_in_quorum_view(n->nodeid);
        if (in) {
            g_hash_table_add(L.in_view, id);
            g_hash_table_remove(L.lost_at, id);
        } else {
            if (g_hash_table_remove(L.in_view, id))
                g_hash_table_insert(L.lost_at, id, GSIZE_TO_POINTER((gsize)now));
            any_lost = true;
        }
    }
    set_tick(any_lost ? TICK_LOST_MS : TICK_IDLE_MS);
    schedule();
}

/* In sync, or a write applied: plan again. */
static void on_database(const CdEvent *event, void *user_data)
{
    schedule();
}

void cd_leader_init(void)
{
    L.dispatched = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    L.lost_at = g_hash_table_new(g_direct_hash, g_direct_equal);
    L.in_view = g_hash_table_new(g_direct_hash, g_direct_equal);
    L.fences = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, fence_free);
    L.started_at = wall_s_ceil();
    L.uuid = g_uuid_string_random();
    L.up = true;
    set_tick(TICK_IDLE_MS);
    cd_events_subscribe(CD_EVENT_CPG_VIEW, on_membership, NULL);
    cd_events_subscribe(CD_EVENT_QUORUM, on_membership, NULL);
    cd_events_subscribe(CD_EVENT_NODELIST, on_membership, NULL);
    cd_events_subscribe(CD_EVENT_SYNCED, on_database, NULL);
    cd_events_subscribe(CD_EVENT_APPLIED, on_database, NULL);
}

void cd_leader_finalise(void)
{
    if (!L.up)
        return;
    cd_events_unsubscribe(on_membership);
    cd_events_unsubscribe(on_database);
    L.up = false;
    if (L.idle_src)
        g_source_remove(L.idle_src);
    if (L.tick_src)
        g_source_remove(L.tick_src);
    g_clear_pointer(&L.dispatched, g_hash_table_unref);
    g_clear_pointer(&L.lost_at, g_hash_table_unref);
    g_clear_pointer(&L.in_view, g_hash_table_unref);
    g_clear_pointer(&L.fences, g_hash_table_unref);
    g_clear_pointer(&L.uuid, g_free);
    g_clear_pointer(&L.quiet_facts, g_free);
    memset(&L, 0, sizeof(L));
}
