/* Why a VM does not run, or is kept on a draining node: the one-line reasons of a plan
 * (VmhaPlan.reasons, `vmctl simulate`, `vmctl status`). See engine-internal.h. */
#include <inttypes.h>

#include "engine-internal.h"

/* Why a node could not take a VM; the most telling one becomes the VM's reason. */
typedef enum {
    WHY_NONE = 0,
    WHY_UNAVAILABLE,
    WHY_SOFT,
    WHY_BANNED,
    WHY_FAILED,
    WHY_TOGETHER,
    WHY_ANTI_AFFINITY,
    WHY_CAPACITY,
    WHY_MAX,
} Why;

char *engine_migration_failed_reason(const VmhaModel *m, const VmhaVm *vm, size_t node)
{
    const VmhaOpFailure *f = &vm->last_failure;
    const char *where = m->nodes[node].drain ? "kept on draining node" : "kept on";
    g_autofree char *detail =
            f->node == (ssize_t)node && g_strcmp0(f->op, "migrate_to") == 0
                    ? (f->exit_reason ? g_strdup(f->exit_reason) : g_strdup_printf("rc %d", f->rc))
                    : NULL;

    return g_strdup_printf("%s %s: its migration failed%s%s%s; a cleanup lets it try again", where,
                           m->nodes[node].name, detail ? " (" : "", detail ? detail : "",
                           detail ? ")" : "");
}

static char *describe_capacity(const Engine *e, const VmhaVm *vm, const Why *why)
{
    /* Name the first resource that does not fit on the best remaining node. */
    for (int a = 0; a < 2; a++) {
        if (need(vm, a) <= 0)
            continue;
        int64_t best = -1;
        for (size_t n = 0; n < e->n; n++)
            if (why[n] == WHY_CAPACITY)
                best = MAX(best, remaining(e, n, a));
        if (best >= 0 && best < need(vm, a))
            return a == 0 ? g_strdup_printf("insufficient memory: needs %" PRId64
                                            " MiB, largest free %" PRId64 " MiB",
                                            vm->memory, best)
                          : g_strdup_printf("insufficient cpu: needs %" PRId64
                                            ", largest free %" PRId64,
                                            vm->cpu, best);
    }
    return g_strdup("insufficient capacity for it and the VMs kept together with it");
}

/* Why node n cannot take vm (it runs nowhere); partners collects the anti-affine VMs met. */
static Why why_not(const Engine *e, const Item *it, size_t n, GString *partners,
                   ssize_t *ret_together)
{
    const VmhaVm *vm = &e->m->vms[it->vm];
    size_t v = (size_t)it->vm;
    if (!e->can_host[n])
        return WHY_UNAVAILABLE;
    if (!allowed(it->base, n) || it->base[n] < 0)
        return banned_by_failures(e, vm, n) ? WHY_FAILED : WHY_BANNED;
    Why why = WHY_NONE;
    for (ColocWalk w = coloc_walk(e, v, COLOC_EITHER); coloc_walk_next(&w);) {
        const Item *o = w.other;
        if (w.c->score <= -INF && o->node == (ssize_t)n) {
            const char *name = e->m->vms[o->vm].name;
            if (partners && !strstr(partners->str, name))
                g_string_append_printf(partners, "%s%s", partners->len ? ", " : "", name);
            why = WHY_ANTI_AFFINITY;
        } else if (!w.as_primary && w.c->score >= INF && o->node != (ssize_t)n &&
                   why != WHY_ANTI_AFFINITY) {
            if (ret_together)
                *ret_together = o->vm;
            why = WHY_TOGETHER;
        }
    }
    if (why != WHY_NONE)
        return why;
    if (!fits(e, vm, n) || it->w[n] <= -INF)
        return WHY_CAPACITY;
    return WHY_SOFT;
}

char *engine_reason_for(const Engine *e, const Item *it)
{
    const VmhaVm *vm = &e->m->vms[it->vm];
    g_autofree Why *why = g_new0(Why, e->n);
    g_autoptr(GString) partners = g_string_new(NULL);
    ssize_t together = -1;
    bool any[WHY_MAX] = {false};
    for (size_t n = 0; n < e->n; n++) {
        why[n] = why_not(e, it, n, partners, &together);
        any[why[n]] = true;
    }
    if (any[WHY_CAPACITY])
        return describe_capacity(e, vm, why);
    if (any[WHY_ANTI_AFFINITY])
        return g_strdup_printf("anti-affinity with %s leaves no node", partners->str);
    if (any[WHY_TOGETHER]) {
        const Item *p = item_of(e, (size_t)together);
        const char *name = e->m->vms[together].name;
        if (p->node < 0)
            return g_strdup_printf("kept together with %s, which does not run", name);
        return g_strdup_printf("kept together with %s, whose node %s cannot take it", name,
                               e->m->nodes[p->node].name);
    }
    if (any[WHY_FAILED]) {
        g_autoptr(GString) s = g_string_new("failed too often (migration-threshold ");
        g_string_append_printf(s, "%d) on", vm->migration_threshold);
        for (size_t n = 0; n < e->n; n++)
            if (why[n] == WHY_FAILED)
                g_string_append_printf(s, " %s", e->m->nodes[n].name);
        if (any[WHY_BANNED])
            g_string_append(s, "; banned from the others");
        return g_string_free(g_steal_pointer(&s), false);
    }
    if (any[WHY_BANNED])
        return g_strdup("banned from every online node");
    if (any[WHY_SOFT])
        return g_strdup("no node with a non-negative score (preferences and colocations)");
    return g_strdup("no node can run VMs (all offline, standby, draining or in maintenance)");
}

/* The reason of a VM the engine placed (ITEM_NORMAL): none when it runs, why when it does not,
 * and what keeps it on a draining node. */
void engine_set_reason(Engine *e, Item *it)
{
    size_t v = (size_t)it->vm;
    const VmhaNode *from = it->current >= 0 ? &e->m->nodes[it->current] : NULL;
    bool kept = it->node >= 0 && it->node == it->current && from->drain && !from->drain_force &&
                !e->can_host[it->current];
    g_clear_pointer(&e->reasons[v], g_free);
    if (it->node >= 0 && !kept)
        return;
    char *reason = engine_reason_for(e, it);
    const char *held = kept ? "kept on draining node" : NULL;
    if (!held && from && from->drain_force)
        held = "forced drain of";
    if (held) {
        char *r = g_strdup_printf("%s %s: %s", held, from->name, reason);
        g_free(reason);
        reason = r;
    }
    e->reasons[v] = reason;
}
