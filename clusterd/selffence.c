/* What this node does without quorum: no-quorum-policy, and self-fencing.
 *
 * On every quorum notification from corosync (and when the connection to corosync is lost) this
 * module compares what it knows (noquorum.h: CdQuorumHistory) with the local copy of the CIB and
 * acts (noquorum.c decides):
 *  - no-quorum-policy=stop (the default): stop every VM of the CIB at once, through the agent
 *    (stop is idempotent: a VM not running here is a quick success); freeze: leave them;
 *  - self-fencing, when no fence device covers this node and stonith-enabled: after
 *    vmha-self-fence-timeout seconds without quorum, destroy every VM and stop feeding the
 *    watchdog, so the host is reset. The quorate side restarts the VMs only
 *    vmha-fence-watchdog-timeout seconds after it saw this node go (docs/ARCHITECTURE.md,
 *    "Self-fencing and the watchdog", has the arithmetic).
 * The clock runs only once the host was quorate since it booted; a state file on the run
 * directory (a tmpfs) carries it over a restart of clusterd. */
#include "config.h"

#include <crm/common/xml.h>
#include <crm/msg_xml.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "atomicwrite.h"
#include "cibdb.h"
#include "cibread.h"
#include "corosync.h"
#include "events.h"
#include "executor.h"
#include "noquorum.h"
#include "selffence.h"
#include "watchdog.h"

/* Corosync tells the quorum state right after the connection; if it has not within this time
 * after start-up (corosync down or hung), this node counts as without quorum. */
#define STARTUP_GRACE_S 5
#define RETRY_MS        250
/* The agent's stop: a graceful shutdown for at most shutdown_timeout, then destroy. */
#define STOP_TIMEOUT_MS    60000
#define STOP_SHUTDOWN_S    50 /* the agent's own default for that timeout */
#define DESTROY_TIMEOUT_MS 10000

typedef struct {
    char *rsc;
    GHashTable *params; /* instance attributes, owned copies */
    bool destroy;
    int64_t not_before_ms; /* a retry after a failure waits */
} Stop;

static struct {
    bool init;
    bool known; /* corosync told the quorum state, or the start-up grace passed */
    CdQuorumHistory h;
    bool stops_issued;   /* the no-quorum stops of this loss were queued */
    bool self_fenced;    /* for good: the host is going to be reset */
    unsigned gen;        /* bumped when quorum comes back: results of older stops are stale */
    GQueue todo;         /* Stop*, not started yet (or refused with -EBUSY) */
    GHashTable *running; /* rsc -> nothing: stops in flight */
    CdNoQuorumPlan plan; /* the last one evaluate() made */
    guint grace_src, deadline_src, retry_src;
    char *state_path;
} SF;

static int64_t now_ms(void)
{
    return g_get_monotonic_time() / 1000;
}

static void stop_free(gpointer p)
{
    Stop *s = p;

    g_free(s->rsc);
    if (s->params)
        g_hash_table_unref(s->params);
    g_free(s);
}

static void save_state(void)
{
    g_autofree char *text = cd_noquorum_state_format(&SF.h);
    g_autoptr(GError) err = NULL;

    if (vmha_atomic_write(SF.state_path, text, strlen(text), 0644, VMHA_ATOMIC_WRITE_SYNC, &err) <
        0)
        g_warning("cannot save the quorum state: %s", err->message);
}

/* The VMs of the CIB (ocf:vmha:vm primitives), straight from the XML: a CIB the model refuses
 * still names them. */
static GPtrArray *cib_vms(xmlNode *cib)
{
    GPtrArray *vms = g_ptr_array_new_with_free_func(stop_free);
    xmlNode *res = cib ? pcmk_find_cib_element(cib, XML_CIB_TAG_RESOURCES) : NULL;

    for (xmlNode *p = res ? first_named_child(res, XML_CIB_TAG_RESOURCE) : NULL; p;
         p = crm_next_same_xml(p)) {
        if (!cd_cib_is_vm(p))
            continue;
        Stop *s = g_new0(Stop, 1);
        s->rsc = g_strdup(crm_element_value(p, XML_ATTR_ID));
        s->params = cd_cib_instance_params(p);
        g_ptr_array_add(vms, s);
    }
    return vms;
}

/* The plan from the local CIB; *ret_vms gets the VMs. */
static void make_plan(CdNoQuorumPlan *ret_plan, GPtrArray **ret_vms)
{
    xmlNode *cib = cd_cibdb_current();
    g_autoptr(VmhaModel) model = NULL;
    g_autoptr(GError) err = NULL;
    const char *me = cd_node_name(cd_local_nodeid());

    if (cib && vmha_model_from_xml(cib, &model, &err) < 0)
        g_warning("the local CIB cannot be read (%s): the self-fencing defaults apply",
                  err ? err->message : "?");
    cd_noquorum_plan(model, me ? me : "", &SF.h, ret_plan);
    if (ret_vms)
        *ret_vms = cib_vms(cib);
}

static void pump(void);

static gboolean on_retry(gpointer user_data)
{
    SF.retry_src = 0;
    pump();
    return G_SOURCE_REMOVE;
}

typedef struct {
    unsigned gen;
    bool destroy;
    GHashTable *params;
} StopCtx;

static void on_stop_done(const CdExecResult *res, void *ctx)
{
    StopCtx *c = ctx;

    g_hash_table_remove(SF.running, res->rsc);
    if (c->gen == SF.gen) {
        if (res->rc == 0)
            g_message("%s %s: done (%" G_GINT64_FORMAT " ms)", c->destroy ? "destroy" : "stop",
                      res->rsc, res->duration_ms);
        else
            g_warning("%s %s without quorum failed: %s, rc %d%s%s", c->destroy ? "destroy" : "stop",
                      res->rsc, cd_exec_status_to_string(res->status), res->rc,
                      *res->exit_reason ? ": " : "", res->exit_reason);
        /* A VM this node may not destroy stays a danger until the watchdog resets the host:
         * keep trying meanwhile. */
        if (res->rc != 0 && c->destroy && SF.self_fenced) {
            Stop *s = g_new0(Stop, 1);
            s->rsc = g_strdup(res->rsc);
            s->params = g_hash_table_ref(c->params);
            s->destroy = true;
            s->not_before_ms = now_ms() + RETRY_MS * 4;
            g_queue_push_tail(&SF.todo, s);
        }
    }
    g_hash_table_unref(c->params);
    g_free(c);
    pump();
}

static int start_stop(Stop *s)
{
    g_autoptr(GHashTable) params = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    GHashTableIter it;
    gpointer k, v;

    if (s->params) {
        g_hash_table_iter_init(&it, s->params);
        while (g_hash_table_iter_next(&it, &k, &v))
            g_hash_table_insert(params, g_strdup(k), g_strdup(v));
    }
    unsigned timeout_ms;
    if (s->destroy) {
        /* The agent reads shutdown_timeout=0 as "its default": 1 s is the shortest graceful
         * attempt it knows before virDomainDestroy. */
        g_hash_table_insert(params, g_strdup("shutdown_timeout"), g_strdup("1"));
        timeout_ms = DESTROY_TIMEOUT_MS;
    } else {
        guint64 configured = 0;
        const char *c = g_hash_table_lookup(params, "shutdown_timeout");
        if (c && !g_ascii_string_to_unsigned(c, 10, 0, 24 * 3600, &configured, NULL))
            configured = 0;
        unsigned sd =
                cd_noquorum_shutdown_s(&SF.plan, now_ms(), (unsigned)configured, STOP_SHUTDOWN_S);
        g_hash_table_insert(params, g_strdup("shutdown_timeout"), g_strdup_printf("%u", sd));
        /* Before a self-fence deadline, a hung stop must not hold the VM (-EBUSY) for long past
         * it: the destroy comes next. */
        timeout_ms = SF.plan.deadline_ms >= 0 ? (sd + 10) * 1000
                                              : MAX(STOP_TIMEOUT_MS, (sd + 10) * 1000);
    }
    CdAgentAction a = {
            .rsc = s->rsc,
            .provider = "vmha",
            .type = "vm",
            .action = "stop",
            .params = params,
            .timeout_ms = timeout_ms,
    };
    StopCtx *c = g_new0(StopCtx, 1);
    c->gen = SF.gen;
    c->destroy = s->destroy;
    int r = cd_executor_run(&a, on_stop_done, c);
    if (r < 0)
        g_free(c);
    else
        c->params =
                s->params ? g_hash_table_ref(s->params) : g_hash_table_new(g_str_hash, g_str_equal);
    return r;
}

/* Starts the queued stops the executor takes now; retries the others shortly. */
static void pump(void)
{
    GQueue later = G_QUEUE_INIT;
    Stop *s;

    while ((s = g_queue_pop_head(&SF.todo))) {
        if (g_hash_table_contains(SF.running, s->rsc) || s->not_before_ms > now_ms()) {
            g_queue_push_tail(&later, s);
            continue;
        }
        int r = start_stop(s);
        if (r == -EBUSY) {
            g_queue_push_tail(&later, s);
        } else if (r < 0) {
            g_warning("cannot %s %s: %s", s->destroy ? "destroy" : "stop", s->rsc, g_strerror(-r));
            stop_free(s);
        } else {
            g_message("%s %s: no quorum", s->destroy ? "destroying" : "stopping", s->rsc);
            g_hash_table_add(SF.running, g_strdup(s->rsc));
            stop_free(s);
        }
    }
    SF.todo = later;
    if (!g_queue_is_empty(&SF.todo) && !SF.retry_src)
        SF.retry_src = g_timeout_add(RETRY_MS, on_retry, NULL);
}

/* Queues a stop (or destroy) of every VM; a destroy replaces a queued stop of the same VM. */
static void queue_all(GPtrArray *vms, bool destroy)
{
    for (guint i = 0; i < vms->len; i++) {
        Stop *v = g_ptr_array_index(vms, i);
        bool queued = false;
        for (GList *l = SF.todo.head; l; l = l->next) {
            Stop *q = l->data;
            if (strcmp(q->rsc, v->rsc) == 0) {
                q->destroy = q->destroy || destroy;
                queued = true;
            }
        }
        if (queued)
            continue;
        Stop *s = g_new0(Stop, 1);
        s->rsc = g_strdup(v->rsc);
        s->params = g_hash_table_ref(v->params);
        s->destroy = destroy;
        g_queue_push_tail(&SF.todo, s);
    }
    pump();
}

static void self_fence(void)
{
    g_autoptr(GPtrArray) vms = NULL;
    CdNoQuorumPlan plan;

    make_plan(&plan, &vms);
    SF.self_fenced = true;
    g_critical("SELF-FENCE: no quorum for %" G_GINT64_FORMAT " s: destroying %u VM(s)%s",
               (now_ms() - SF.h.lost_at_ms) / 1000, vms->len,
               cd_watchdog_enabled()
                       ? " and no longer feeding the watchdog: this host will be reset"
                       : "; no watchdog configured: this host is not reset");
    queue_all(vms, true);
}

static gboolean on_deadline(gpointer user_data)
{
    CdNoQuorumPlan plan;

    SF.deadline_src = 0;
    if (SF.self_fenced || SF.h.quorate)
        return G_SOURCE_REMOVE;
    /* Decide again: the plan is the CIB's, read now. */
    make_plan(&plan, NULL);
    if (plan.self_fence && plan.deadline_ms >= 0) {
        if (now_ms() >= plan.deadline_ms)
            self_fence();
        else
            SF.deadline_src = g_timeout_add(plan.deadline_ms - now_ms(), on_deadline, NULL);
    }
    return G_SOURCE_REMOVE;
}

static void cancel_timers(void)
{
    if (SF.deadline_src)
        g_source_remove(SF.deadline_src);
    if (SF.retry_src)
        g_source_remove(SF.retry_src);
    SF.deadline_src = SF.retry_src = 0;
}

static void evaluate(void)
{
    g_autoptr(GPtrArray) vms = NULL;
    CdNoQuorumPlan plan;

    if (SF.self_fenced || SF.h.quorate || !SF.h.seen_quorum)
        return;
    make_plan(&plan, &vms);
    SF.plan = plan;
    if (plan.stop_vms && !SF.stops_issued) {
        SF.stops_issued = true;
        g_message("no quorum: no-quorum-policy stop: stopping %u VM(s)", vms->len);
        queue_all(vms, false);
    }
    if (plan.self_fence && plan.deadline_ms >= 0 && !SF.deadline_src) {
        int64_t left = plan.deadline_ms - now_ms();
        g_warning("no quorum: this node self-fences in %" G_GINT64_FORMAT " ms unless quorum "
                  "comes back (vmha-self-fence-timeout %" G_GINT64_FORMAT " s)",
                  MAX(left, 0), plan.timeout_s);
        if (left <= 0)
            self_fence();
        else
            SF.deadline_src = g_timeout_add(left, on_deadline, NULL);
    }
}

/* Quorum may have changed: corosync's notification, or the connection to corosync lost. */
static void on_quorum(const CdEvent *event, void *user_data)
{
    bool q = cd_corosync_connected() && cd_quorate();

    if (!SF.init)
        return;
    if (SF.grace_src) {
        g_source_remove(SF.grace_src);
        SF.grace_src = 0;
    }
    SF.known = true;
    /* Self-fenced is for good: the destroys go on until the watchdog resets the host. */
    if (SF.self_fenced)
        return;
    if (q) {
        if (!SF.h.quorate) {
            if (SF.deadline_src && !SF.self_fenced)
                g_message("quorum is back: self-fence cancelled");
            cancel_timers();
            g_queue_clear_full(&SF.todo, stop_free);
            SF.gen++;
            SF.stops_issued = false;
            SF.h = (CdQuorumHistory){.quorate = true, .seen_quorum = true};
            save_state();
        }
        return;
    }
    if (SF.h.quorate) {
        SF.h.quorate = false;
        SF.h.lost_at_ms = now_ms();
        save_state();
    }
    evaluate();
}

static gboolean on_grace(gpointer user_data)
{
    SF.grace_src = 0;
    if (!SF.known) {
        g_warning("no quorum state from corosync %d s after start-up: counting as no quorum",
                  STARTUP_GRACE_S);
        SF.known = true;
        evaluate();
    }
    return G_SOURCE_REMOVE;
}

void cd_selffence_init(const char *run_dir)
{
    g_autofree char *text = NULL;

    memset(&SF, 0, sizeof(SF));
    g_queue_init(&SF.todo);
    SF.running = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    SF.state_path = g_build_filename(run_dir, "selffence.state", NULL);
    SF.init = true;
    /* Until corosync tells, the previous clusterd's knowledge stands (quorate = false here only
     * means "not known yet": nothing is done before SF.known). */
    if (g_file_get_contents(SF.state_path, &text, NULL, NULL)) {
        if (cd_noquorum_state_parse(text, now_ms(), cd_watchdog_timeout(), &SF.h) < 0)
            g_warning("ignoring %s: not a quorum state", SF.state_path);
        else if (SF.h.seen_quorum)
            g_message("quorum history from an earlier clusterd of this boot: %s", g_strstrip(text));
    }
    SF.grace_src = g_timeout_add_seconds(STARTUP_GRACE_S, on_grace, NULL);
    cd_events_subscribe(CD_EVENT_QUORUM, on_quorum, NULL);
    cd_events_subscribe(CD_EVENT_DISCONNECTED, on_quorum, NULL);
}

void cd_selffence_finalise(void)
{
    if (!SF.init)
        return;
    cd_events_unsubscribe(on_quorum);
    cancel_timers();
    if (SF.grace_src)
        g_source_remove(SF.grace_src);
    g_queue_clear_full(&SF.todo, stop_free);
    /* The executor, finalised after us, kills the agents without calling done. */
    g_clear_pointer(&SF.running, g_hash_table_unref);
    g_clear_pointer(&SF.state_path, g_free);
    SF.init = false;
}

bool cd_selffence_may_feed(void)
{
    return !SF.self_fenced;
}

bool cd_selffence_may_disarm(void)
{
    CdNoQuorumPlan plan;

    if (SF.self_fenced)
        return false;
    if (!SF.init || SF.h.quorate || !SF.h.seen_quorum)
        return true;
    /* Without quorum, a node that self-fences must not leave its VMs running unwatched. */
    make_plan(&plan, NULL);
    return !plan.self_fence;
}
