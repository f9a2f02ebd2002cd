/* Incidents (incident.h).
 *
 * One pass over the history, oldest first. Where each VM runs is followed from the events (a
 * successful start or migrate-from puts it on a node, a probe finding it running too, a stop or
 * the source's migrate-to takes it off), so that a node-lost or a drain knows which VMs the node
 * had at that moment. An incident stays open while a VM it lost is not up again: that is the
 * administrator's question at 3 a.m. ("is it over?"). A node lost again in the next views while
 * its incident is open belongs to the same incident (every quorate view records each expected
 * node that is missing). */
#include <string.h>

#include "incident.h"

/* How many of a VM's events before its placement `vm why` shows when no incident placed it. */
#define WHY_CHAIN_MAX 8

static const char *const kind_names[] = {
        [VMHA_INCIDENT_NODE_LOSS] = "node-loss",
        [VMHA_INCIDENT_DRAIN] = "drain",
};

const char *vmha_incident_kind_to_string(VmhaIncidentKind kind)
{
    return (unsigned)kind < G_N_ELEMENTS(kind_names) ? kind_names[kind] : "unknown";
}

static void incident_vm_free(gpointer p)
{
    VmhaIncidentVm *v = p;

    g_free(v->vm);
    g_free(v->from);
    g_free(v->to);
    g_free(v);
}

static void incident_free(gpointer p)
{
    VmhaIncident *inc = p;

    g_free(inc->node);
    g_free(inc->outcome);
    g_ptr_array_unref(inc->vms);
    g_array_unref(inc->events);
    g_free(inc);
}

static bool is_ok(const VmhaEvent *ev)
{
    return g_strcmp0(ev->result, "ok") == 0;
}

/* Where the VMs run, as far as the events say: vm -> node. */
static void track(GHashTable *where, const VmhaEvent *ev)
{
    if (!ev->vm)
        return;
    const char *now = g_hash_table_lookup(where, ev->vm);
    switch (ev->type) {
    case VMHA_EVENT_START:
    case VMHA_EVENT_MIGRATE_FROM:
        if (is_ok(ev) && ev->node)
            g_hash_table_insert(where, g_strdup(ev->vm), g_strdup(ev->node));
        break;
    case VMHA_EVENT_PROBE:
        if (g_strcmp0(ev->result, "running") == 0 && ev->node)
            g_hash_table_insert(where, g_strdup(ev->vm), g_strdup(ev->node));
        else if (g_strcmp0(ev->result, "stopped") == 0 && g_strcmp0(now, ev->node) == 0)
            g_hash_table_remove(where, ev->vm);
        break;
    case VMHA_EVENT_STOP:
        if (is_ok(ev) && g_strcmp0(now, ev->node) == 0)
            g_hash_table_remove(where, ev->vm);
        break;
    default:
        break;
    }
}

static VmhaIncident *open_incident(GPtrArray *all, VmhaIncidentKind kind, const VmhaEvent *ev,
                                   GHashTable *where)
{
    VmhaIncident *inc = g_new0(VmhaIncident, 1);
    GHashTableIter it;
    gpointer vm, node;

    inc->id = ev->seq;
    inc->kind = kind;
    inc->node = g_strdup(ev->node);
    inc->start_time = ev->time;
    inc->end_time = -1;
    inc->fence_started = inc->fence_done = inc->fence_ms = -1;
    inc->vms = g_ptr_array_new_with_free_func(incident_vm_free);
    inc->events = g_array_new(FALSE, FALSE, sizeof(uint64_t));
    g_autoptr(GPtrArray) names = g_ptr_array_new();
    g_hash_table_iter_init(&it, where);
    while (g_hash_table_iter_next(&it, &vm, &node))
        if (strcmp(node, ev->node) == 0)
            g_ptr_array_add(names, vm);
    /* By name: a hash table's order is no order, and every node must print the same. */
    g_ptr_array_sort(names, (GCompareFunc)(void (*)(void))g_strcmp0);
    for (guint i = 0; i < names->len; i++) {
        VmhaIncidentVm *v = g_new0(VmhaIncidentVm, 1);
        v->vm = g_strdup(g_ptr_array_index(names, i));
        v->from = g_strdup(ev->node);
        v->up_time = -1;
        g_ptr_array_add(inc->vms, v);
    }
    g_ptr_array_add(all, inc);
    return inc;
}

static VmhaIncidentVm *find_vm(const VmhaIncident *inc, const char *vm)
{
    for (guint i = 0; vm && i < inc->vms->len; i++) {
        VmhaIncidentVm *v = g_ptr_array_index(inc->vms, i);
        if (strcmp(v->vm, vm) == 0)
            return v;
    }
    return NULL;
}

static bool all_up(const VmhaIncident *inc)
{
    for (guint i = 0; i < inc->vms->len; i++)
        if (!((VmhaIncidentVm *)g_ptr_array_index(inc->vms, i))->to)
            return false;
    return true;
}

static void close_incident(VmhaIncident *inc, const char *outcome, int64_t when)
{
    inc->end_time = when;
    if (!inc->outcome)
        inc->outcome = g_strdup(outcome);
}

static void maybe_close(VmhaIncident *inc, const VmhaEvent *ev)
{
    if (inc->kind == VMHA_INCIDENT_NODE_LOSS && inc->fence_done < 0)
        return;
    if (!all_up(inc))
        return;
    int64_t end = inc->kind == VMHA_INCIDENT_NODE_LOSS ? inc->fence_done : inc->start_time;
    for (guint i = 0; i < inc->vms->len; i++)
        end = MAX(end, ((VmhaIncidentVm *)g_ptr_array_index(inc->vms, i))->up_time);
    inc->end_time = MAX(end, inc->start_time);
    if (inc->kind == VMHA_INCIDENT_DRAIN && !inc->outcome)
        inc->outcome = g_strdup("moved");
}

static void attach(VmhaIncident *inc, const VmhaEvent *ev)
{
    g_array_append_val(inc->events, ev->seq);
}

/* A VM of an open incident came up: a successful start or migration's end. In a node loss,
 * anywhere (on the node itself again after its fence's reboot too); in a drain, elsewhere. */
static bool vm_event(VmhaIncident *inc, const VmhaEvent *ev)
{
    VmhaIncidentVm *v = find_vm(inc, ev->vm);

    if (!v || v->to)
        return false;
    switch (ev->type) {
    case VMHA_EVENT_START:
    case VMHA_EVENT_MIGRATE_FROM:
        if (!is_ok(ev)) {
            v->failures++;
            break;
        }
        if (inc->kind == VMHA_INCIDENT_DRAIN && g_strcmp0(ev->node, inc->node) == 0)
            return false;
        v->to = g_strdup(ev->node);
        v->up_time = ev->time;
        break;
    case VMHA_EVENT_PLANNED:
    case VMHA_EVENT_STOP:
    case VMHA_EVENT_MIGRATE_TO:
    case VMHA_EVENT_MONITOR_FAILED:
        break;
    default:
        return false;
    }
    attach(inc, ev);
    maybe_close(inc, ev);
    return true;
}

static VmhaIncident *open_for(GPtrArray *all, VmhaIncidentKind kind, const char *node)
{
    for (guint i = all->len; node && i > 0; i--) {
        VmhaIncident *inc = g_ptr_array_index(all, i - 1);
        if (inc->end_time < 0 && inc->kind == kind && g_strcmp0(inc->node, node) == 0)
            return inc;
    }
    return NULL;
}

/* "quorate view: n1, n2" names node. */
static bool view_has(const char *details, const char *node)
{
    const char *list = details ? strchr(details, ':') : NULL;
    g_auto(GStrv) names = list ? g_strsplit(list + 1, ",", -1) : NULL;

    for (char **p = names; p && *p; p++)
        if (strcmp(g_strstrip(*p), node) == 0)
            return true;
    return false;
}

/* A quorate membership with the lost node in it again, before any fencing began: it came back
 * by itself (a short network cut), its VMs never stopped. */
static void membership(GPtrArray *all, const VmhaEvent *ev)
{
    for (guint i = 0; i < all->len; i++) {
        VmhaIncident *inc = g_ptr_array_index(all, i);
        if (inc->end_time >= 0 || inc->kind != VMHA_INCIDENT_NODE_LOSS || inc->fence_started >= 0 ||
            inc->fence_done >= 0 || !view_has(ev->details, inc->node))
            continue;
        for (guint j = 0; j < inc->vms->len; j++) {
            VmhaIncidentVm *v = g_ptr_array_index(inc->vms, j);
            if (!v->to)
                v->to = g_strdup(v->from);
        }
        attach(inc, ev);
        close_incident(inc, "rejoined", ev->time);
    }
}

static void fence_event(GPtrArray *all, const VmhaEvent *ev, GHashTable *where)
{
    VmhaIncident *inc = open_for(all, VMHA_INCIDENT_NODE_LOSS, ev->node);

    if (!inc && ev->type != VMHA_EVENT_FENCE_REQUESTED && ev->type != VMHA_EVENT_FENCE_STARTED &&
        ev->type != VMHA_EVENT_SELF_FENCED)
        return;
    if (!inc)
        inc = open_incident(all, VMHA_INCIDENT_NODE_LOSS, ev, where);
    attach(inc, ev);
    switch (ev->type) {
    case VMHA_EVENT_FENCE_STARTED:
        if (inc->fence_started < 0)
            inc->fence_started = ev->time;
        break;
    case VMHA_EVENT_FENCE_DONE:
        inc->fence_done = ev->time;
        inc->fence_ms = ev->duration_ms;
        g_free(inc->outcome);
        inc->outcome = g_strdup("fenced");
        break;
    case VMHA_EVENT_SELF_FENCED:
        inc->fence_done = ev->time;
        g_free(inc->outcome);
        inc->outcome = g_strdup("self-fenced");
        break;
    case VMHA_EVENT_FENCE_FAILED:
        inc->fence_failures++;
        break;
    default:
        break;
    }
    maybe_close(inc, ev);
}

GPtrArray *vmha_incidents_find(const VmhaEvent *events, size_t n)
{
    GPtrArray *all = g_ptr_array_new_with_free_func(incident_free);
    g_autoptr(GHashTable) where = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);

    for (size_t i = 0; i < n; i++) {
        const VmhaEvent *ev = &events[i];
        switch (ev->type) {
        case VMHA_EVENT_NODE_LOST: {
            VmhaIncident *inc = open_for(all, VMHA_INCIDENT_NODE_LOSS, ev->node);
            if (inc)
                attach(inc, ev);
            else if (ev->node)
                attach(open_incident(all, VMHA_INCIDENT_NODE_LOSS, ev, where), ev);
            break;
        }
        case VMHA_EVENT_FENCE_REQUESTED:
        case VMHA_EVENT_FENCE_STARTED:
        case VMHA_EVENT_FENCE_DONE:
        case VMHA_EVENT_FENCE_FAILED:
        case VMHA_EVENT_SELF_FENCED:
            if (ev->node)
                fence_event(all, ev, where);
            break;
        case VMHA_EVENT_MEMBERSHIP:
            membership(all, ev);
            break;
        case VMHA_EVENT_CONFIG:
            if (ev->node && ev->details && g_str_has_prefix(ev->details, "node-drain ") &&
                !open_for(all, VMHA_INCIDENT_DRAIN, ev->node)) {
                VmhaIncident *inc = open_incident(all, VMHA_INCIDENT_DRAIN, ev, where);
                attach(inc, ev);
                maybe_close(inc, ev); /* nothing ran there: over at once */
            } else if (ev->node && ev->details && g_str_has_prefix(ev->details, "node-resume ")) {
                VmhaIncident *inc = open_for(all, VMHA_INCIDENT_DRAIN, ev->node);
                if (inc) {
                    attach(inc, ev);
                    close_incident(inc, "resumed", ev->time);
                }
            }
            break;
        default:
            /* A VM's event goes to the newest open incident that lost it. */
            for (guint j = all->len; ev->vm && j > 0; j--) {
                VmhaIncident *inc = g_ptr_array_index(all, j - 1);
                if (inc->end_time < 0 && vm_event(inc, ev))
                    break;
            }
        }
        track(where, ev);
    }
    return all;
}

char *vmha_incident_summary(const VmhaIncident *inc)
{
    guint up = 0;

    for (guint i = 0; i < inc->vms->len; i++)
        up += ((VmhaIncidentVm *)g_ptr_array_index(inc->vms, i))->to != NULL;
    const char *node = inc->node ? inc->node : "-";
    if (inc->kind == VMHA_INCIDENT_DRAIN)
        return g_strdup_printf("drain of %s: %u of %u VMs moved%s%s", node, up, inc->vms->len,
                               inc->outcome ? ", " : "", inc->outcome ? inc->outcome : "");
    const char *state = inc->outcome              ? inc->outcome
                        : inc->fence_failures > 0 ? "fencing failed"
                        : inc->fence_started >= 0 ? "fencing"
                                                  : "waiting for its fence";
    return g_strdup_printf("%s lost, %s%s; %u of %u VMs up again", node, state,
                           inc->fence_failures > 0 && inc->outcome ? " after failed attempts" : "",
                           up, inc->vms->len);
}

static void add_int_or_null(json_object *o, const char *key, int64_t v)
{
    json_object_object_add(o, key, v >= 0 ? json_object_new_int64(v) : NULL);
}

static void add_phase(json_object *phases, const char *name, int64_t from, int64_t to)
{
    json_object *p = json_object_new_object();

    json_object_object_add(p, "name", json_object_new_string(name));
    add_int_or_null(p, "from", from);
    add_int_or_null(p, "to", to);
    add_int_or_null(p, "seconds", from >= 0 && to >= from ? to - from : -1);
    json_object_array_add(phases, p);
}

static const VmhaEvent *by_seq(const VmhaEvent *events, size_t n, uint64_t seq)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (events[mid].seq < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && events[lo].seq == seq ? &events[lo] : NULL;
}

json_object *vmha_incident_to_json(const VmhaIncident *inc, const VmhaEvent *events, size_t n)
{
    json_object *o = json_object_new_object();
    json_object *phases = json_object_new_array();
    json_object *vms = json_object_new_array();
    bool loss = inc->kind == VMHA_INCIDENT_NODE_LOSS;
    int64_t vms_from = loss ? inc->fence_done : inc->start_time;

    json_object_object_add(o, "id", json_object_new_uint64(inc->id));
    json_object_object_add(o, "type",
                           json_object_new_string(vmha_incident_kind_to_string(inc->kind)));
    json_object_object_add(o, "node", inc->node ? json_object_new_string(inc->node) : NULL);
    json_object_object_add(o, "state",
                           json_object_new_string(inc->end_time < 0 ? "open" : "closed"));
    add_int_or_null(o, "started", inc->start_time);
    add_int_or_null(o, "ended", inc->end_time);
    add_int_or_null(o, "duration_s", inc->end_time >= 0 ? inc->end_time - inc->start_time : -1);
    json_object_object_add(o, "outcome",
                           inc->outcome ? json_object_new_string(inc->outcome) : NULL);
    if (loss) {
        add_int_or_null(o, "fence_started", inc->fence_started);
        add_int_or_null(o, "fence_done", inc->fence_done);
        add_int_or_null(o, "fence_ms", inc->fence_ms);
        json_object_object_add(o, "fence_failures", json_object_new_int64(inc->fence_failures));
        add_phase(phases, "detection to fence started", inc->start_time, inc->fence_started);
        add_phase(phases, "fence", inc->fence_started, inc->fence_done);
    }
    for (guint i = 0; i < inc->vms->len; i++) {
        const VmhaIncidentVm *v = g_ptr_array_index(inc->vms, i);
        json_object *j = json_object_new_object();
        json_object_object_add(j, "vm", json_object_new_string(v->vm));
        json_object_object_add(j, "from", json_object_new_string(v->from));
        json_object_object_add(j, "to", v->to ? json_object_new_string(v->to) : NULL);
        add_int_or_null(j, "up", v->up_time);
        json_object_object_add(j, "failures", json_object_new_int64(v->failures));
        json_object_array_add(vms, j);
        g_autofree char *name =
                g_strdup_printf("%s to %s up", loss ? "fence done" : "drain", v->vm);
        add_phase(phases, name, vms_from, v->up_time);
    }
    add_phase(phases, "total", inc->start_time, inc->end_time);
    json_object_object_add(o, "phases", phases);
    json_object_object_add(o, "vms", vms);
    json_object_object_add(o, "event_count", json_object_new_int64(inc->events->len));
    if (events) {
        json_object *list = json_object_new_array();
        for (guint i = 0; i < inc->events->len; i++) {
            const VmhaEvent *ev = by_seq(events, n, g_array_index(inc->events, uint64_t, i));
            if (ev)
                json_object_array_add(list, vmha_event_to_json(ev));
        }
        json_object_object_add(o, "events", list);
    }
    return o;
}

static const VmhaIncident *incident_of(const GPtrArray *incidents, uint64_t seq)
{
    for (guint i = 0; incidents && i < incidents->len; i++) {
        const VmhaIncident *inc = g_ptr_array_index(incidents, i);
        for (guint j = 0; j < inc->events->len; j++)
            if (g_array_index(inc->events, uint64_t, j) == seq)
                return inc;
    }
    return NULL;
}

json_object *vmha_vm_why(const VmhaEvent *events, size_t n, const GPtrArray *incidents,
                         const char *vm, const char *node)
{
    json_object *o = json_object_new_object();
    json_object *chain = json_object_new_array();
    const VmhaEvent *placed = NULL;
    size_t placed_at = 0;

    /* The event that began its stay where it runs now: followed forward as track() does, so
     * that a later probe finding it still running there (a node rejoining probes every VM) is
     * not taken for what put it there. */
    g_autofree char *at = NULL;
    for (size_t i = 0; node && i < n; i++) {
        const VmhaEvent *ev = &events[i];
        if (g_strcmp0(ev->vm, vm) != 0 || !ev->node)
            continue;
        bool arrives = ((ev->type == VMHA_EVENT_START || ev->type == VMHA_EVENT_MIGRATE_FROM) &&
                        is_ok(ev)) ||
                       (ev->type == VMHA_EVENT_PROBE && g_strcmp0(ev->result, "running") == 0);
        bool leaves = g_strcmp0(at, ev->node) == 0 &&
                      ((ev->type == VMHA_EVENT_STOP && is_ok(ev)) ||
                       (ev->type == VMHA_EVENT_PROBE && g_strcmp0(ev->result, "stopped") == 0));
        if (arrives && g_strcmp0(at, ev->node) != 0) {
            g_free(at);
            at = g_strdup(ev->node);
            if (strcmp(ev->node, node) == 0) {
                placed = ev;
                placed_at = i;
            }
        } else if (leaves) {
            g_clear_pointer(&at, g_free);
        }
    }
    const VmhaIncident *inc = placed ? incident_of(incidents, placed->seq) : NULL;
    json_object_object_add(o, "vm", json_object_new_string(vm));
    json_object_object_add(o, "node", node ? json_object_new_string(node) : NULL);
    json_object_object_add(o, "since", placed ? json_object_new_int64(placed->time) : NULL);
    json_object_object_add(o, "placed_by", placed ? vmha_event_to_json(placed) : NULL);
    json_object_object_add(o, "incident", inc ? json_object_new_uint64(inc->id) : NULL);

    /* The chain: the incident's own events (the node lost, its fencing) and this VM's from the
     * incident's start, or the VM's last few before its placement; then what followed. */
    size_t first = 0;
    if (inc) {
        while (first < n && events[first].seq < inc->id)
            first++;
    } else if (placed) {
        size_t kept = 0;
        first = placed_at;
        while (first > 0 && kept < WHY_CHAIN_MAX) {
            if (g_strcmp0(events[first - 1].vm, vm) == 0)
                kept++;
            first--;
        }
    } else {
        size_t kept = 0;
        first = n;
        while (first > 0 && kept < WHY_CHAIN_MAX) {
            if (g_strcmp0(events[first - 1].vm, vm) == 0)
                kept++;
            first--;
        }
    }
    for (size_t i = first; i < n; i++) {
        const VmhaEvent *ev = &events[i];
        bool mine = g_strcmp0(ev->vm, vm) == 0;
        bool of_incident = false;
        for (guint j = 0; inc && !mine && j < inc->events->len; j++)
            of_incident = of_incident ||
                          (g_array_index(inc->events, uint64_t, j) == ev->seq && ev->vm == NULL);
        if (mine || of_incident)
            json_object_array_add(chain, vmha_event_to_json(ev));
    }
    json_object_object_add(o, "chain", chain);
    return o;
}
