/* The CIB's <status>: each node's state, its fail counts, and each VM's operation history
 * replayed as Pacemaker's unpacker does into where it runs, with the failures failure-timeout
 * expires (VmhaExpiry). See model-internal.h. */
#include "model-internal.h"
#include "pcmknum.h"

static bool is_true_or_stamp(const char *s)
{
    bool b;
    int64_t v;
    if (!s)
        return false;
    if (vmha_pcmk_boolean(s, &b) == 0)
        return b;
    return loader_parse_int64(s, 1, INT64_MAX, &v) == 0; /* newer Pacemaker writes a timestamp */
}

typedef struct {
    int call_id;
    const char *op;
    int rc;
    int status;
    int64_t interval;
    int64_t last_run; /* last-rc-change, -1 when absent */
    bool failure;     /* an unexpected result: what failure-timeout can expire */
    int64_t expires;  /* a failure: ignored from then on (load_expiries); else INT64_MAX */
    const char *exit_reason;
    bool last_failure; /* the RSC_last_failure_0 record */
} OpRecord;

/* What one node's history of a VM says besides its state. */
typedef struct {
    const char *pending;       /* the operation in flight, or NULL */
    int64_t migrate_failed_at; /* see VmhaVm.migrate_failed_at */
    const OpRecord *failure;   /* the last-failure record, or NULL */
} HistoryFacts;

static gint cmp_ops(gconstpointer a, gconstpointer b)
{
    const OpRecord *x = a, *y = b;
    return (x->call_id > y->call_id) - (x->call_id < y->call_id);
}

/* The expected rc of an operation: the third field of its transition-key
 * ("ACTION:TRANSITION:TARGET_RC:UUID"), as Pacemaker's pe__target_rc_from_xml() reads it. */
static int target_rc_of(const char *key, int fallback)
{
    /* sscanf "%d:%d:%d:%1s" without sscanf's cost (one call per recorded operation) */
    const char *p = key;
    long field[3];
    for (int i = 0; p && i < 3; i++) {
        char *end;
        field[i] = strtol(p, &end, 10);
        p = end != p && *end == ':' ? end + 1 : NULL;
    }
    while (p && g_ascii_isspace(*p))
        p++;
    return p && *p ? (int)field[2] : fallback;
}

static int parse_ops(Loader *l, Elem *lrm_rsc, GArray *ops)
{
    for (Elem *op = lrm_rsc->children; op; op = op->next) {
        if (!NAME_EQ(op, "lrm_rsc_op"))
            continue;
        int64_t call_id = -1, rc = 0, status = 0, interval = 0, last_run = -1;
        const char *name = attr(op, "operation");
        const char *s;
        if (!name)
            return loader_fail(l, VMHA_MODEL_ERROR_INVALID, op, "missing 'operation'");
        if ((s = attr(op, "call-id")) && loader_parse_int64(s, -1, G_MAXINT32, &call_id) < 0)
            return loader_fail(l, VMHA_MODEL_ERROR_INVALID, op, "invalid call-id '%s'", s);
        if ((s = attr(op, "rc-code")) && loader_parse_int64(s, -1, 255, &rc) < 0)
            return loader_fail(l, VMHA_MODEL_ERROR_INVALID, op, "invalid rc-code '%s'", s);
        if ((s = attr(op, "op-status")) && loader_parse_int64(s, -1, 255, &status) < 0)
            return loader_fail(l, VMHA_MODEL_ERROR_INVALID, op, "invalid op-status '%s'", s);
        if ((s = attr(op, "interval")) && loader_parse_int64(s, 0, INT64_MAX, &interval) < 0)
            return loader_fail(l, VMHA_MODEL_ERROR_INVALID, op, "invalid interval '%s'", s);
        if ((s = attr(op, "last-rc-change")) && loader_parse_int64(s, 0, INT64_MAX, &last_run) < 0)
            last_run = -1;
        bool pending = call_id < 0 || status == -1;
        bool probe = strcmp(name, "monitor") == 0 && interval == 0;
        /* A probe expects "not running" but may find anything; its usual answers are never
         * failures (and Pacemaker never expires them). */
        bool usual_probe = probe && status == 0 && (rc == 0 || rc == 7 || rc == 8);
        const char *id = attr(op, "id");
        int target = target_rc_of(attr(op, "transition-key"), 0);
        OpRecord rec = {
                .call_id = (int)call_id,
                .op = name,
                .rc = (int)rc,
                .status = (int)status,
                .interval = interval,
                .last_run = last_run,
                .failure = !pending && !usual_probe && (status != 0 || rc != target),
                .expires = INT64_MAX,
                .exit_reason = attr(op, "exit-reason"),
                .last_failure = id && g_str_has_suffix(id, "_last_failure_0"),
        };
        g_array_append_val(ops, rec);
    }
    g_array_sort(ops, cmp_ops);
    return 0;
}

/* Replays one resource's history on one node in call order, as Pacemaker's unpacker does, at
 * `now`: failures expired by then are ignored as Pacemaker ignores them. */
static void replay(const GArray *ops, int64_t now, bool node_online, VmhaRscState *ret,
                   HistoryFacts *ret_facts)
{
    VmhaRscState st = VMHA_RSC_INACTIVE;
    HistoryFacts facts = {0};
    for (size_t i = 0; i < ops->len; i++) {
        const OpRecord *o = &g_array_index(ops, OpRecord, i);
        /* An expired recurring monitor failure is ignored only on a node that is up. A failed
         * migrate_to the agent finished left the VM running there: expired, it still says so. */
        if (o->failure && o->expires <= now && (o->interval == 0 || node_online)) {
            if (strcmp(o->op, "migrate_to") == 0 && (o->status == 0 || o->status == 7) &&
                st != VMHA_RSC_FAILED) {
                st = VMHA_RSC_ACTIVE;
                facts.migrate_failed_at = 0;
            }
            continue;
        }
        bool pending = o->call_id < 0 || o->status == -1;
        facts.pending = pending && o->interval == 0 ? o->op : NULL;
        bool ok = !pending && o->status == 0 && (o->rc == 0 || o->rc == 8);
        bool not_running = !pending && o->status == 0 && o->rc == 7;
        if (o->last_failure)
            facts.failure = o;
        if (strcmp(o->op, "stop") == 0) {
            if (pending)
                continue;
            st = ok ? VMHA_RSC_INACTIVE : VMHA_RSC_STOP_FAILED;
            facts.migrate_failed_at = 0;
        } else if (strcmp(o->op, "start") == 0 || strcmp(o->op, "migrate_from") == 0 ||
                   strcmp(o->op, "promote") == 0 || strcmp(o->op, "demote") == 0) {
            st = pending || ok ? VMHA_RSC_ACTIVE : VMHA_RSC_FAILED;
            facts.migrate_failed_at = 0;
        } else if (strcmp(o->op, "monitor") == 0) {
            if (pending)
                continue;
            if (not_running)
                st = o->interval > 0 && st != VMHA_RSC_INACTIVE ? VMHA_RSC_FAILED
                                                                : VMHA_RSC_INACTIVE;
            else
                st = ok ? (st == VMHA_RSC_FAILED && o->interval > 0 ? st : VMHA_RSC_ACTIVE)
                        : VMHA_RSC_FAILED;
        } else if (strcmp(o->op, "migrate_to") == 0) {
            if (pending)
                continue;
            /* A completed migrate_to hands the VM to the target, whose migrate_from says so. A
             * failed one that the agent finished (or that never ran) left the VM running here:
             * vmha's agent gives up a save or live migration before its timeout and resumes the
             * VM, and a restore failing after that shows up in the next monitor. Only a timeout
             * or a killed agent leaves its state unknown: failed, stopped and started again.
             * (Pacemaker recovers every failed migrate_to by stop and start.) */
            if (ok) {
                st = VMHA_RSC_INACTIVE;
                facts.migrate_failed_at = 0;
            } else if (o->status == 0 || o->status == 7) {
                st = st == VMHA_RSC_FAILED ? st : VMHA_RSC_ACTIVE;
                facts.migrate_failed_at = MAX(o->last_run, 1);
            } else {
                st = VMHA_RSC_FAILED;
                facts.migrate_failed_at = 0;
            }
        }
        if (st == VMHA_RSC_INACTIVE)
            facts.migrate_failed_at = 0;
        if (st == VMHA_RSC_STOP_FAILED)
            break; /* nothing but fencing clears a failed stop */
    }
    *ret = st;
    *ret_facts = facts;
}

/* A history with failures that failure-timeout may expire: replayed again once the fail counts
 * of its node are known (load_expiries). */
typedef struct {
    size_t vm, node;
    bool node_online;
    GArray *ops; /* OpRecord; op names point into the element tree */
} Deferred;

static void deferred_clear(gpointer p)
{
    g_array_unref(((Deferred *)p)->ops);
}

static gint cmp_int64(gconstpointer a, gconstpointer b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Pacemaker ignores a failed operation at `now` when now >= its last-rc-change + failure-timeout
 * and the VM's fail count on the node has expired too (now > last-failure + failure-timeout),
 * or there is none. The state as a function of now is a step function: one step per failed
 * operation, from max(its expiry, the fail count's). */
static void load_expiries(Loader *l, GArray *deferred)
{
    VmhaModel *m = l->m;
    for (guint d = 0; d < deferred->len; d++) {
        const Deferred *def = &g_array_index(deferred, Deferred, d);
        VmhaVm *vm = &m->vms[def->vm];
        int64_t t = vm->failure_timeout, fc_from = INT64_MIN;
        for (size_t i = 0; i < vm->n_failures; i++) {
            const VmhaFailure *f = &vm->failures[i];
            if (f->node != def->node || f->count <= 0)
                continue;
            fc_from = f->last_failure > 0 ? f->last_failure + t + 1 : INT64_MAX;
        }
        g_autoptr(GArray) steps = g_array_new(false, false, sizeof(int64_t));
        for (guint i = 0; i < def->ops->len; i++) {
            OpRecord *o = &g_array_index(def->ops, OpRecord, i);
            if (!o->failure || o->last_run < 0 || fc_from == INT64_MAX)
                continue;
            o->expires = MAX(o->last_run + t, fc_from);
            g_array_append_val(steps, o->expires);
        }
        g_array_sort(steps, cmp_int64);
        for (guint i = 0; i < steps->len; i++) {
            int64_t from = g_array_index(steps, int64_t, i);
            if (i > 0 && from == g_array_index(steps, int64_t, i - 1))
                continue;
            VmhaRscState st;
            HistoryFacts facts;
            replay(def->ops, from, def->node_online, &st, &facts);
            vm->expiries = g_renew(VmhaExpiry, vm->expiries, vm->n_expiries + 1);
            vm->expiries[vm->n_expiries++] = (VmhaExpiry){def->node, from, st};
        }
    }
}

VmhaRscState vmha_vm_state(const VmhaVm *vm, size_t node, int64_t now)
{
    VmhaRscState st = vm->state[node];
    for (size_t i = 0; i < vm->n_expiries; i++)
        if (vm->expiries[i].node == node && vm->expiries[i].from <= now)
            st = vm->expiries[i].state;
    return st;
}

typedef struct {
    size_t node;
    GHashTable *counts; /* vm index+1 -> (count, last) accumulated in failure arrays */
} FailCtx;

static int on_transient(Loader *l, Elem *nv, const char *name, const char *value, void *data)
{
    FailCtx *fc = data;
    bool is_count = g_str_has_prefix(name, "fail-count-");
    bool is_last = g_str_has_prefix(name, "last-failure-");
    if (!is_count && !is_last)
        return 0;
    const char *rsc = name + (is_count ? strlen("fail-count-") : strlen("last-failure-"));
    g_autofree char *id = g_strndup(rsc, strcspn(rsc, "#"));
    gpointer v = g_hash_table_lookup(l->m->vm_index, id);
    if (!v)
        return 0;
    VmhaVm *vm = &l->m->vms[GPOINTER_TO_SIZE(v) - 1];
    VmhaFailure *f = NULL;
    for (size_t i = 0; i < vm->n_failures; i++)
        if (vm->failures[i].node == fc->node)
            f = &vm->failures[i];
    if (!f) {
        vm->failures = g_renew(VmhaFailure, vm->failures, vm->n_failures + 1);
        f = &vm->failures[vm->n_failures++];
        *f = (VmhaFailure){.node = fc->node};
    }
    if (is_count) {
        f->count = vmha_score_add(f->count, loader_attr_score(l, nv, name, value));
    } else {
        /* Pacemaker skips a last-failure it cannot read. */
        VmhaPcmkNote note = NULL;
        long long t = vmha_pcmk_scan_ll(value, 0, &note);
        if (!note || strncmp(note, "characters", 10) == 0)
            f->last_failure = MAX(f->last_failure, (int64_t)t);
        else
            loader_warn(l, nv, name, value, "nothing", note);
    }
    return 0;
}

/* Keeps the newest failure record of a VM across its nodes (ties: the first node). */
static void note_failure(VmhaVm *vm, size_t node, const OpRecord *o)
{
    VmhaOpFailure *f = &vm->last_failure;

    if (!o || (o->status == 0 && (o->rc == 0 || o->rc == 8)) || o->status == -1)
        return;
    if (f->node >= 0 && f->when >= o->last_run)
        return;
    g_free(f->op);
    g_free(f->exit_reason);
    *f = (VmhaOpFailure){
            .node = (ssize_t)node,
            .op = g_strdup(o->op),
            .rc = o->rc,
            .op_status = o->status,
            .exit_reason = o->exit_reason && *o->exit_reason ? g_strdup(o->exit_reason) : NULL,
            .when = MAX(o->last_run, 0),
    };
}

static int load_status(Loader *l, Elem *status, GArray *deferred)
{
    VmhaModel *m = l->m;
    for (Elem *ns = status ? status->children : NULL; ns; ns = ns->next) {
        if (!NAME_EQ(ns, "node_state"))
            continue;
        const char *id = attr(ns, "id"), *uname = attr(ns, "uname");
        ssize_t idx = -1;
        for (size_t i = 0; id && i < m->n_nodes; i++)
            if (strcmp(m->nodes[i].id, id) == 0)
                idx = (ssize_t)i;
        if (idx < 0 && uname)
            idx = vmha_model_find_node(m, uname);
        if (idx < 0)
            return loader_fail(l, VMHA_MODEL_ERROR_INCONSISTENT, ns,
                               "node_state for a node not in <nodes>");
        VmhaNode *n = &m->nodes[idx];
        if (n->has_node_state)
            return loader_fail(l, VMHA_MODEL_ERROR_INCONSISTENT, ns, "second node_state for '%s'",
                               n->name);
        n->has_node_state = true;

        bool in_ccm = is_true_or_stamp(attr(ns, "in_ccm"));
        const char *crmd = attr(ns, "crmd");
        bool crmd_online = crmd && (strcmp(crmd, "online") == 0 || is_true_or_stamp(crmd));
        const char *join = attr(ns, "join");
        const char *expected = attr(ns, "expected");
        if (in_ccm && crmd_online && (!join || strcmp(join, "member") == 0))
            n->state = VMHA_NODE_ONLINE;
        else if (!in_ccm && expected && strcmp(expected, "member") == 0)
            n->state = VMHA_NODE_LOST; /* left without saying goodbye: unclean */
        else
            n->state = VMHA_NODE_OFFLINE;

        for (Elem *c = ns->children; c; c = c->next) {
            if (NAME_EQ(c, "transient_attributes")) {
                FailCtx fc = {.node = (size_t)idx};
                if (loader_for_each_nvpair(l, c, "instance_attributes", on_transient, &fc) < 0)
                    return -1;
                /* standby can be transient too (crm_standby --lifetime reboot) */
                if (loader_for_each_nvpair(l, c, "instance_attributes", loader_on_node_attr, n) < 0)
                    return -1;
            } else if (NAME_EQ(c, "lrm")) {
                for (Elem *rs = c->children; rs; rs = rs->next) {
                    if (!NAME_EQ(rs, "lrm_resources"))
                        continue;
                    for (Elem *r = rs->children; r; r = r->next) {
                        if (!NAME_EQ(r, "lrm_resource"))
                            continue;
                        const char *rid = attr(r, "id");
                        if (!rid)
                            return loader_fail(l, VMHA_MODEL_ERROR_INVALID, r, "missing 'id'");
                        VmhaRscState st = VMHA_RSC_INACTIVE;
                        HistoryFacts facts = {0};
                        GArray *ops = g_array_new(false, false, sizeof(OpRecord));
                        if (parse_ops(l, r, ops) < 0) {
                            g_array_unref(ops);
                            return -1;
                        }
                        replay(ops, INT64_MIN, n->state == VMHA_NODE_ONLINE, &st, &facts);
                        gpointer v = g_hash_table_lookup(m->vm_index, rid);
                        size_t vi = v ? GPOINTER_TO_SIZE(v) - 1 : 0;
                        bool expirable = false;
                        for (guint k = 0; v && m->vms[vi].failure_timeout > 0 && k < ops->len; k++)
                            expirable |= g_array_index(ops, OpRecord, k).failure;
                        if (v) {
                            VmhaVm *vm = &m->vms[vi];
                            vm->state[idx] = st;
                            vm->migrate_failed_at[idx] = facts.migrate_failed_at;
                            if (facts.pending && !vm->pending_op) {
                                vm->pending_op = g_strdup(facts.pending);
                                vm->pending_node = idx;
                            }
                            note_failure(vm, idx, facts.failure); /* points into ops */
                        }
                        if (expirable) {
                            Deferred def = {vi, (size_t)idx, n->state == VMHA_NODE_ONLINE, ops};
                            g_array_append_val(deferred, def);
                        } else {
                            g_array_unref(ops);
                        }
                        if (v)
                            continue;
                        for (size_t f = 0; f < m->n_fence_devices; f++)
                            if (strcmp(m->fence_devices[f].name, rid) == 0 && st == VMHA_RSC_ACTIVE)
                                m->fence_devices[f].running_on = idx;
                        /* History of a deleted resource (an orphan) plans nothing. */
                    }
                }
            }
        }
    }
    /* A node down cleanly runs nothing, whatever its last history says. */
    for (size_t i = 0; i < m->n_nodes; i++) {
        if (m->nodes[i].state != VMHA_NODE_OFFLINE)
            continue;
        for (size_t v = 0; v < m->n_vms; v++) {
            m->vms[v].state[i] = VMHA_RSC_INACTIVE;
            m->vms[v].migrate_failed_at[i] = 0;
            if (m->vms[v].pending_node == (ssize_t)i) {
                g_clear_pointer(&m->vms[v].pending_op, g_free);
                m->vms[v].pending_node = -1;
            }
        }
        for (size_t f = 0; f < m->n_fence_devices; f++)
            if (m->fence_devices[f].running_on == (ssize_t)i)
                m->fence_devices[f].running_on = -1;
        for (size_t f = 0; f < m->n_foreign; f++)
            if (m->foreign[f].running_on == (ssize_t)i)
                m->foreign[f].running_on = -1;
    }
    return 0;
}

int loader_load_status(Loader *l, Elem *status)
{
    GArray *deferred = g_array_new(false, false, sizeof(Deferred));
    int r = load_status(l, status, deferred);

    if (r == 0)
        load_expiries(l, deferred);
    g_array_set_clear_func(deferred, deferred_clear);
    g_array_unref(deferred);
    return r;
}
