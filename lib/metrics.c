/* The cluster as Prometheus metrics (metrics.h). */
#include "config.h"

#include <inttypes.h>
#include <string.h>

#include "metrics.h"

/* The states vmctl status shows (lib/statusview.c), each written even when no node or VM has it,
 * so a series never vanishes. */
static const char *const node_states[] = {"online",   "maintenance", "standby",
                                          "draining", "drained",     "offline",
                                          "unclean",  "fencing",     "fenced"};
static const char *const vm_states[] = {"running", "starting",   "stopping", "migrating",
                                        "stopped", "recovering", "failed"};
static const double recovery_bounds[] = VMHA_METRICS_RECOVERY_BUCKETS;
static const double pause_bounds[] = VMHA_METRICS_PAUSE_BUCKETS;

G_STATIC_ASSERT(G_N_ELEMENTS(recovery_bounds) ==
                G_N_ELEMENTS(((VmhaMetricsCounts *)NULL)->recovery_buckets));
G_STATIC_ASSERT(G_N_ELEMENTS(pause_bounds) ==
                G_N_ELEMENTS(((VmhaMetricsCounts *)NULL)->pause_buckets));

static void observe(size_t *buckets, const double *bounds, size_t n, double value)
{
    for (size_t i = 0; i < n; i++)
        if (value <= bounds[i])
            buckets[i]++;
}

/* What the history tells about one VM while it is counted. */
typedef struct {
    char *node;            /* where it last ran, NULL when not known or stopped */
    int64_t lost_since;    /* its node's loss, 0 when not waiting for a recovery */
    int64_t migrate_to_ms; /* the last migrate-to's duration, -1 when none is open */
} VmTrack;

static void track_free(gpointer p)
{
    VmTrack *t = p;
    g_free(t->node);
    g_free(t);
}

static VmTrack *track(GHashTable *vms, const char *vm)
{
    VmTrack *t = g_hash_table_lookup(vms, vm);

    if (!t) {
        t = g_new0(VmTrack, 1);
        t->migrate_to_ms = -1;
        g_hash_table_insert(vms, g_strdup(vm), t);
    }
    return t;
}

static bool ok(const VmhaEvent *ev)
{
    return g_strcmp0(ev->result, "ok") == 0;
}

/* The VM now runs on node: the end of a recovery it waited for. */
static void runs_on(VmhaMetricsCounts *c, VmTrack *t, const VmhaEvent *ev)
{
    if (t->lost_since > 0) {
        double secs = (double)MAX(ev->time - t->lost_since, 0);
        c->recoveries++;
        c->recovery_seconds_sum += secs;
        observe(c->recovery_buckets, recovery_bounds, G_N_ELEMENTS(recovery_bounds), secs);
        t->lost_since = 0;
    }
    g_free(t->node);
    t->node = g_strdup(ev->node);
}

void vmha_metrics_count(const VmhaEvent *events, size_t n, VmhaMetricsCounts *c)
{
    g_autoptr(GHashTable) vms = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, track_free);

    memset(c, 0, sizeof(*c));
    c->events = n;
    if (n) {
        c->last_seq = events[n - 1].seq;
        c->oldest_time = events[0].time;
    }
    for (size_t i = 0; i < n; i++) {
        const VmhaEvent *ev = &events[i];
        VmTrack *t = ev->vm ? track(vms, ev->vm) : NULL;
        switch (ev->type) {
        case VMHA_EVENT_NODE_LOST: {
            c->node_losses++;
            GHashTableIter it;
            gpointer value;
            g_hash_table_iter_init(&it, vms);
            while (g_hash_table_iter_next(&it, NULL, &value)) {
                VmTrack *v = value;
                if (v->node && ev->node && strcmp(v->node, ev->node) == 0 && !v->lost_since)
                    v->lost_since = ev->time;
            }
            break;
        }
        case VMHA_EVENT_FENCE_DONE:
            c->fence_ok++;
            break;
        case VMHA_EVENT_FENCE_FAILED:
            c->fence_failed++;
            break;
        case VMHA_EVENT_SELF_FENCED:
            c->self_fences++;
            break;
        case VMHA_EVENT_START:
            if (t && ok(ev))
                runs_on(c, t, ev);
            break;
        case VMHA_EVENT_STOP:
            if (t && ok(ev) && g_strcmp0(t->node, ev->node) == 0)
                g_clear_pointer(&t->node, g_free);
            break;
        case VMHA_EVENT_PROBE:
            /* A probe that finds it running where the history lost track of it. */
            if (t && g_strcmp0(ev->result, "running") == 0 && !t->lost_since)
                runs_on(c, t, ev);
            break;
        case VMHA_EVENT_MIGRATE_TO:
            if (!t)
                break;
            if (ok(ev)) {
                t->migrate_to_ms = MAX(ev->duration_ms, 0);
            } else {
                c->migrations_failed++;
                t->migrate_to_ms = -1;
            }
            break;
        case VMHA_EVENT_MIGRATE_FROM:
            if (!t)
                break;
            if (!ok(ev)) {
                c->migrations_failed++;
            } else if (t->migrate_to_ms >= 0) {
                double secs = (double)(t->migrate_to_ms + MAX(ev->duration_ms, 0)) / 1000.0;
                c->migrations_ok++;
                c->pauses++;
                c->pause_seconds_sum += secs;
                observe(c->pause_buckets, pause_bounds, G_N_ELEMENTS(pause_bounds), secs);
                runs_on(c, t, ev);
            } else {
                /* Its migrate-to left the history: a migration, its pause unknown. */
                c->migrations_ok++;
                runs_on(c, t, ev);
            }
            t->migrate_to_ms = -1;
            break;
        case VMHA_EVENT_MONITOR_FAILED:
            c->monitor_failures++;
            break;
        default:
            break;
        }
    }
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, vms);
    while (g_hash_table_iter_next(&it, NULL, &value))
        if (((VmTrack *)value)->lost_since)
            c->recoveries_waiting++;
}

/* ---- the text ---- */

static void head(GString *s, const char *name, const char *type, const char *help)
{
    g_string_append_printf(s, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void gauge(GString *s, const char *name, const char *help, double value)
{
    head(s, name, "gauge", help);
    g_string_append_printf(s, "%s %.17g\n", name, value);
}

static void counter(GString *s, const char *name, const char *help, size_t value)
{
    head(s, name, "counter", help);
    g_string_append_printf(s, "%s %zu\n", name, value);
}

static void histogram(GString *s, const char *name, const char *help, const double *bounds,
                      const size_t *buckets, size_t n, size_t count, double sum)
{
    head(s, name, "histogram", help);
    for (size_t i = 0; i < n; i++)
        g_string_append_printf(s, "%s_bucket{le=\"%g\"} %zu\n", name, bounds[i], buckets[i]);
    g_string_append_printf(s, "%s_bucket{le=\"+Inf\"} %zu\n", name, count);
    g_string_append_printf(s, "%s_sum %.17g\n%s_count %zu\n", name, sum, name, count);
}

static size_t count_state(json_object *arr, const char *state)
{
    size_t n = 0;

    for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
        json_object *st = NULL;
        if (json_object_object_get_ex(json_object_array_get_idx(arr, i), "state", &st) &&
            g_strcmp0(json_object_get_string(st), state) == 0)
            n++;
    }
    return n;
}

static bool get_bool(json_object *o, const char *key)
{
    json_object *v = NULL;
    return o && json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

static void by_state(GString *s, const char *name, const char *help, json_object *arr,
                     const char *const *states, size_t n)
{
    head(s, name, "gauge", help);
    for (size_t i = 0; i < n; i++)
        g_string_append_printf(s, "%s{state=\"%s\"} %zu\n", name, states[i],
                               count_state(arr, states[i]));
}

char *vmha_metrics_down_text(void)
{
    GString *s = g_string_new(NULL);
    gauge(s, "vmha_up", "1 when the local clusterd answered, else 0 and nothing else is known", 0);
    return g_string_free(s, FALSE);
}

char *vmha_metrics_text(json_object *status, const VmhaMetricsCounts *c)
{
    GString *s = g_string_new(NULL);
    json_object *nodes = NULL, *vms = NULL, *db = NULL;
    size_t up = 0;

    json_object_object_get_ex(status, "nodes", &nodes);
    json_object_object_get_ex(status, "vms", &vms);
    json_object_object_get_ex(status, "database", &db);
    if (nodes && !json_object_is_type(nodes, json_type_array))
        nodes = NULL;
    if (vms && !json_object_is_type(vms, json_type_array))
        vms = NULL;
    for (size_t i = 0; nodes && i < json_object_array_length(nodes); i++)
        if (get_bool(json_object_array_get_idx(nodes, i), "online"))
            up++;

    gauge(s, "vmha_up", "1 when the local clusterd answered, else 0 and nothing else is known", 1);
    gauge(s, "vmha_quorate", "1 when the local node is in the quorate partition",
          get_bool(status, "quorate"));
    gauge(s, "vmha_corosync_connected", "1 when the local clusterd is connected to corosync",
          get_bool(status, "corosync"));
    gauge(s, "vmha_database_in_sync", "1 when the local copy of the database is in sync",
          get_bool(db, "in_sync"));
    gauge(s, "vmha_nodes", "configured nodes", nodes ? (double)json_object_array_length(nodes) : 0);
    gauge(s, "vmha_nodes_up", "configured nodes in the membership", (double)up);
    by_state(s, "vmha_nodes_by_state", "nodes by the state vmctl status shows", nodes, node_states,
             G_N_ELEMENTS(node_states));
    gauge(s, "vmha_vms", "configured VMs", vms ? (double)json_object_array_length(vms) : 0);
    by_state(s, "vmha_vms_by_state", "VMs by the state vmctl status shows (none while out of sync)",
             vms, vm_states, G_N_ELEMENTS(vm_states));

    gauge(s, "vmha_history_events", "events in the local history the counters are counted over",
          (double)c->events);
    gauge(s, "vmha_history_last_seq", "the sequence number of the newest event",
          (double)c->last_seq);
    gauge(s, "vmha_history_oldest_timestamp_seconds",
          "the time of the oldest event counted (0: none)", (double)c->oldest_time);
    counter(s, "vmha_node_losses_total", "nodes lost from the membership while expected",
            c->node_losses);
    head(s, "vmha_fence_operations_total", "counter", "fencing outcomes recorded");
    g_string_append_printf(s, "vmha_fence_operations_total{result=\"ok\"} %zu\n", c->fence_ok);
    g_string_append_printf(s, "vmha_fence_operations_total{result=\"failed\"} %zu\n",
                           c->fence_failed);
    g_string_append_printf(s, "vmha_fence_operations_total{result=\"self-fenced\"} %zu\n",
                           c->self_fences);
    histogram(s, "vmha_recovery_duration_seconds",
              "VMs of a lost node started again: from the loss to the start's end", recovery_bounds,
              c->recovery_buckets, G_N_ELEMENTS(recovery_bounds), c->recoveries,
              c->recovery_seconds_sum);
    gauge(s, "vmha_recoveries_waiting", "VMs of lost nodes not started again yet",
          (double)c->recoveries_waiting);
    head(s, "vmha_migrations_total", "counter", "migrations by outcome");
    g_string_append_printf(s, "vmha_migrations_total{result=\"ok\"} %zu\n", c->migrations_ok);
    g_string_append_printf(s, "vmha_migrations_total{result=\"failed\"} %zu\n",
                           c->migrations_failed);
    histogram(s, "vmha_migration_pause_seconds",
              "migrations: the save and restore agents' durations added", pause_bounds,
              c->pause_buckets, G_N_ELEMENTS(pause_bounds), c->pauses, c->pause_seconds_sum);
    counter(s, "vmha_monitor_failures_total", "failed monitors (a VM found not running)",
            c->monitor_failures);
    return g_string_free(s, FALSE);
}
