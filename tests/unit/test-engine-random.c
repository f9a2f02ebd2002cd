/* Randomized, seeded invariant test of the policy engine: random clusters and events, then the
 * rules that must hold whatever Pacemaker's tie-breaks decide:
 *  - the plan obeys every hard rule (no VM on a lost, standby, draining or banning node; memory;
 *    anti-affinity; VMs kept together; room held for VMs waiting on a fence counted);
 *  - no runnable VM left stopped: a stopped VM has no node where it could start as things are,
 *    and (small clusters, searched exhaustively) no placement at all runs it together with
 *    every VM of at least its priority that the plan runs;
 *  - no VM started only to be stopped by the next plan: the plan is carried out (fences
 *    confirmed, VMs started, moved, stopped) and planned again; nothing it started is stopped,
 *    and no VM of lower priority starts in the place of one that waited on a fence with room
 *    held for it;
 *  - the same input gives the same plan twice.
 * Reproduce one case with VMHA_SEED=N (VMHA_DUMP=DIR writes its CIB and events); VMHA_ROUNDS=N
 * runs more or fewer rounds (default 2000). */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "engine.h"
#include "model.h"

#define NOW     1700000000
#define MAX_N   8
#define MAX_V   40
#define SMALL_N 4 /* clusters this small are also searched exhaustively */
#define SMALL_V 9

typedef struct {
    int n_nodes, n_vms;
    VmhaPlacementStrategy strategy;
    int64_t cap[MAX_N];
    int64_t mem[MAX_V];
    int prio[MAX_V];
    int stick[MAX_V];
    int ban[MAX_V][MAX_N];   /* 1 = -INFINITY location */
    int score[MAX_V][MAX_N]; /* finite location score; negative also keeps a VM off a node */
    int apart[MAX_V][MAX_V]; /* -INFINITY colocation v with w */
    int with[MAX_V][MAX_V];  /* INFINITY colocation: v runs only where w runs */
    int soft[MAX_V][MAX_V];  /* a finite colocation score (a preference, never a rule) */
    int on[MAX_V];           /* current node or -1 */
    bool lost[MAX_N], drain[MAX_N], standby[MAX_N];
} Cluster;

static const char *const strategies[] = {"default", "utilization", "balanced", "minimal"};

static bool fits_initially(const Cluster *c, const int64_t *used, int v, int n)
{
    if (c->ban[v][n] || c->standby[n])
        return false;
    for (int w = 0; w < c->n_vms; w++)
        if (w != v && c->on[w] == n && (c->apart[v][w] || c->apart[w][v]))
            return false;
    return c->strategy == VMHA_STRATEGY_DEFAULT || used[n] + c->mem[v] <= c->cap[n];
}

/* A random cluster whose current state itself obeys the rules (as a real one would). */
static char *random_cib(GRand *r, Cluster *c)
{
    memset(c, 0, sizeof(*c));
    bool small = g_rand_int_range(r, 0, 2) == 0;
    c->n_nodes = small ? g_rand_int_range(r, 2, SMALL_N + 1) : g_rand_int_range(r, 2, MAX_N + 1);
    c->n_vms = small ? g_rand_int_range(r, 1, SMALL_V + 1) : g_rand_int_range(r, 1, MAX_V + 1);
    c->strategy = (VmhaPlacementStrategy)g_rand_int_range(r, 0, 4);
    int64_t used[MAX_N] = {0};
    for (int n = 0; n < c->n_nodes; n++) {
        c->cap[n] = 1024 * g_rand_int_range(r, 2, 17);
        c->standby[n] = g_rand_int_range(r, 0, 10) == 0;
    }
    for (int v = 0; v < c->n_vms; v++) {
        c->mem[v] = 256 * g_rand_int_range(r, 1, 17);
        c->prio[v] = g_rand_int_range(r, 0, 4) * 10;
        c->stick[v] = g_rand_int_range(r, 0, 2) * 100;
        for (int n = 0; n < c->n_nodes; n++)
            c->ban[v][n] = g_rand_int_range(r, 0, 8) == 0;
        if (v > 0 && g_rand_int_range(r, 0, 5) == 0)
            c->apart[v][g_rand_int_range(r, 0, v)] = 1;
        if (v > 0 && g_rand_int_range(r, 0, 8) == 0) {
            int w = g_rand_int_range(r, 0, v);
            if (!c->apart[v][w])
                c->with[v][w] = 1;
        }
        if (v > 0 && g_rand_int_range(r, 0, 8) == 0) {
            static const int scores[] = {-500, -100, 100, 500};
            int w = g_rand_int_range(r, 0, v);
            if (!c->apart[v][w] && !c->with[v][w])
                c->soft[v][w] = scores[g_rand_int_range(r, 0, 4)];
        }
    }
    for (int v = 0; v < c->n_vms; v++) {
        c->on[v] = -1;
        if (g_rand_int_range(r, 0, 3) == 0)
            continue;
        int n = g_rand_int_range(r, 0, c->n_nodes);
        bool with_ok = true;
        for (int w = 0; w < c->n_vms; w++)
            if (c->with[v][w] && c->on[w] != n)
                with_ok = false; /* the primary (placed earlier: w < v) is elsewhere */
        if (with_ok && fits_initially(c, used, v, n)) {
            c->on[v] = n;
            used[n] += c->mem[v];
        }
    }

    GString *x = g_string_new("<cib have-quorum=\"1\"><configuration><crm_config>"
                              "<cluster_property_set id=\"o\">");
    g_string_append_printf(x, "<nvpair id=\"o1\" name=\"placement-strategy\" value=\"%s\"/>",
                           strategies[c->strategy]);
    g_string_append(x, "<nvpair id=\"o2\" name=\"stonith-enabled\" value=\"true\"/>"
                       "</cluster_property_set></crm_config><nodes>");
    for (int n = 0; n < c->n_nodes; n++)
        g_string_append_printf(x,
                               "<node id=\"%d\" uname=\"n%d\"><instance_attributes id=\"a%d\">"
                               "<nvpair id=\"s%d\" name=\"standby\" value=\"%s\"/>"
                               "</instance_attributes><utilization id=\"u%d\"><nvpair id=\"m%d\" "
                               "name=\"memory\" value=\"%" PRId64 "\"/></utilization></node>",
                               n + 1, n, n, n, c->standby[n] ? "on" : "off", n, n, c->cap[n]);
    g_string_append(x, "</nodes><resources><primitive id=\"fence\" class=\"stonith\" "
                       "type=\"fence_dummy\"/>");
    for (int v = 0; v < c->n_vms; v++)
        g_string_append_printf(x,
                               "<primitive id=\"vm%d\" class=\"ocf\" provider=\"vmha\" "
                               "type=\"vm\"><meta_attributes id=\"ma%d\"><nvpair id=\"p%d\" "
                               "name=\"priority\" value=\"%d\"/><nvpair id=\"st%d\" "
                               "name=\"resource-stickiness\" value=\"%d\"/></meta_attributes>"
                               "<utilization id=\"vu%d\"><nvpair id=\"vm%d\" name=\"memory\" "
                               "value=\"%" PRId64 "\"/></utilization></primitive>",
                               v, v, v, c->prio[v], v, c->stick[v], v, v, c->mem[v]);
    g_string_append(x, "</resources><constraints>");
    for (int v = 0; v < c->n_vms; v++) {
        for (int n = 0; n < c->n_nodes; n++) {
            if (c->ban[v][n])
                g_string_append_printf(x,
                                       "<rsc_location id=\"b%d-%d\" rsc=\"vm%d\" node=\"n%d\" "
                                       "score=\"-INFINITY\"/>",
                                       v, n, v, n);
            else if (g_rand_int_range(r, 0, 6) == 0) {
                c->score[v][n] = g_rand_int_range(r, -100, 200);
                g_string_append_printf(x,
                                       "<rsc_location id=\"l%d-%d\" rsc=\"vm%d\" node=\"n%d\" "
                                       "score=\"%d\"/>",
                                       v, n, v, n, c->score[v][n]);
            }
        }
        for (int w = 0; w < c->n_vms; w++) {
            int score = c->apart[v][w]  ? -VMHA_SCORE_INFINITY
                        : c->with[v][w] ? VMHA_SCORE_INFINITY
                                        : c->soft[v][w];
            if (score != 0)
                g_string_append_printf(x,
                                       "<rsc_colocation id=\"c%d-%d\" rsc=\"vm%d\" "
                                       "with-rsc=\"vm%d\" score=\"%d\"/>",
                                       v, w, v, w, score);
        }
    }
    g_string_append(x, "</constraints></configuration><status>");
    for (int n = 0; n < c->n_nodes; n++) {
        g_string_append_printf(x,
                               "<node_state id=\"%d\" uname=\"n%d\" in_ccm=\"true\" "
                               "crmd=\"online\" join=\"member\" expected=\"member\"><lrm "
                               "id=\"%d\"><lrm_resources>",
                               n + 1, n, n + 1);
        for (int v = 0; v < c->n_vms; v++)
            if (c->on[v] == n)
                g_string_append_printf(x,
                                       "<lrm_resource id=\"vm%d\" class=\"ocf\" "
                                       "provider=\"vmha\" type=\"vm\"><lrm_rsc_op id=\"o%d\" "
                                       "operation=\"start\" call-id=\"%d\" rc-code=\"0\" "
                                       "op-status=\"0\" interval=\"0\"/></lrm_resource>",
                                       v, v, v + 2);
        g_string_append(x, "</lrm_resources></lrm></node_state>");
    }
    g_string_append(x, "</status></cib>");
    /* Events: lose a node or two, drain one. */
    for (int n = 0; n < c->n_nodes; n++) {
        int dice = g_rand_int_range(r, 0, 8);
        c->lost[n] = dice == 0;
        c->drain[n] = dice == 1;
    }
    return g_string_free(x, false);
}

static char *serialize(const VmhaModel *m, const VmhaPlan *p)
{
    GString *s = g_string_new(NULL);
    for (size_t i = 0; i < p->n_actions; i++)
        g_string_append_printf(
                s, "%d %zd %zd %zd %s\n", p->actions[i].type, p->actions[i].vm, p->actions[i].node,
                p->actions[i].to,
                p->actions[i].method ? vmha_migration_method_to_string(p->actions[i].method) : "");
    for (size_t v = 0; v < p->n_vms; v++)
        g_string_append_printf(s, "%s %zd %zd %s\n", m->vms[v].name, p->placement[v], p->held[v],
                               p->reasons[v] ? p->reasons[v] : "");
    return g_string_free(s, false);
}

/* The node a VM holds after the plan: where it runs, or the room held for it. */
static ssize_t where(const VmhaPlan *p, int v)
{
    return p->placement[v] >= 0 ? p->placement[v] : p->held[v];
}

/* Whether v may run on n by the rules alone (nothing else placed): the node can run VMs, no
 * ban, a non-negative location score (plus stickiness where it runs). Soft colocations are
 * preferences and never rules. */
static bool node_ok(const Cluster *c, int v, int n)
{
    if (c->lost[n] || c->standby[n] || c->drain[n] || c->ban[v][n])
        return false;
    int base = c->score[v][n];
    if (c->on[v] == n && !c->lost[n])
        base += c->stick[v];
    return base >= 0;
}

/* ---- exhaustive search (small clusters): independent of the engine ---- */

typedef struct {
    const Cluster *c;
    int members[MAX_V];
    int n_members;
    int at[MAX_V]; /* node per VM, -1 unassigned */
    int64_t used[MAX_N];
    long steps;
} Search;

static bool consistent(const Search *s, int v, int n)
{
    const Cluster *c = s->c;
    if (!node_ok(c, v, n))
        return false;
    if (c->strategy != VMHA_STRATEGY_DEFAULT && s->used[n] + c->mem[v] > c->cap[n])
        return false;
    for (int w = 0; w < c->n_vms; w++) {
        if (s->at[w] < 0)
            continue;
        if ((c->apart[v][w] || c->apart[w][v]) && s->at[w] == n)
            return false;
        if ((c->with[v][w] || c->with[w][v]) && s->at[w] != n)
            return false;
    }
    return true;
}

static bool search(Search *s, int i)
{
    if (i == s->n_members)
        return true;
    if (++s->steps > 5000000)
        fail_msg("exhaustive search too long");
    int v = s->members[i];
    for (int n = 0; n < s->c->n_nodes; n++) {
        if (!consistent(s, v, n))
            continue;
        s->at[v] = n;
        s->used[n] += s->c->mem[v];
        if (search(s, i + 1))
            return true;
        s->at[v] = -1;
        s->used[n] -= s->c->mem[v];
    }
    return false;
}

/* Whether some placement runs v and every VM of at least v's priority the plan runs (or holds
 * room for), and the VMs they are kept together with. */
static bool could_run(const Cluster *c, const VmhaPlan *p, int v)
{
    Search s = {.c = c};
    bool in[MAX_V] = {false};
    for (int w = 0; w < c->n_vms; w++) {
        s.at[w] = -1;
        in[w] = w == v || (where(p, w) >= 0 && c->prio[w] >= c->prio[v]);
    }
    /* A VM kept together with another needs it running too. */
    for (bool grew = true; grew;) {
        grew = false;
        for (int w = 0; w < c->n_vms; w++)
            for (int u = 0; in[w] && u < c->n_vms; u++)
                if (c->with[w][u] && !in[u])
                    in[u] = grew = true;
    }
    for (int w = 0; w < c->n_vms; w++)
        if (in[w])
            s.members[s.n_members++] = w;
    return search(&s, 0);
}

/* ---- carrying a plan out ---- */

static void apply_plan(VmhaModel *m, const VmhaPlan *p)
{
    for (size_t i = 0; i < p->n_actions; i++) {
        const VmhaAction *a = &p->actions[i];
        switch (a->type) {
        case VMHA_ACTION_FENCE:
            vmha_model_node_down(m, (size_t)a->node);
            break;
        case VMHA_ACTION_STOP:
            m->vms[a->vm].state[a->node] = VMHA_RSC_INACTIVE;
            break;
        case VMHA_ACTION_START:
            m->vms[a->vm].state[a->node] = VMHA_RSC_ACTIVE;
            break;
        case VMHA_ACTION_MIGRATE:
            m->vms[a->vm].state[a->node] = VMHA_RSC_INACTIVE;
            m->vms[a->vm].state[a->to] = VMHA_RSC_ACTIVE;
            break;
        }
    }
}

static void check_one(guint32 seed)
{
    g_autoptr(GRand) r = g_rand_new_with_seed(seed);
    Cluster c;
    g_autofree char *xml = random_cib(r, &c);
    if (getenv("VMHA_DUMP")) {
        /* the CIB and the events, to replay one case with vmctl simulate */
        g_autofree char *path = g_strdup_printf("%s/seed-%u.xml", getenv("VMHA_DUMP"), seed);
        g_file_set_contents(path, xml, -1, NULL);
        for (int n = 0; n < c.n_nodes; n++)
            if (c.lost[n] || c.drain[n])
                printf("seed %u: %s n%d\n", seed, c.lost[n] ? "--fail" : "--drain", n);
    }
    g_autoptr(VmhaModel) m = NULL;
    g_autoptr(GError) error = NULL;
    if (vmha_model_parse(xml, strlen(xml), &m, &error) < 0)
        fail_msg("seed %u: generated CIB rejected: %s", seed, error->message);
    for (int n = 0; n < c.n_nodes; n++) {
        if (c.lost[n])
            vmha_model_fail_node(m, n, NOW);
        if (c.drain[n])
            vmha_model_set_drain(m, n, true);
    }
    g_autoptr(VmhaPlan) p = NULL, p2 = NULL;
    assert_int_equal(vmha_engine_plan(m, NOW, &p), 0);
    assert_int_equal(vmha_engine_plan(m, NOW, &p2), 0);
    g_autofree char *s1 = serialize(m, p), *s2 = serialize(m, p2);
    if (strcmp(s1, s2) != 0)
        fail_msg("seed %u: two runs differ", seed);

    int64_t used[MAX_N] = {0};
    bool kept[MAX_V] = {false};
    for (int v = 0; v < c.n_vms; v++) {
        ssize_t n = where(p, v);
        if (p->placement[v] < 0 && !p->reasons[v])
            fail_msg("seed %u: vm%d stopped without a reason", seed, v);
        if (p->held[v] >= 0 && !(c.on[v] >= 0 && c.lost[c.on[v]]))
            fail_msg("seed %u: room held for vm%d, which waits on no fence", seed, v);
        if (n < 0)
            continue;
        used[n] += c.mem[v];
        kept[v] = c.drain[n] && c.on[v] == n;
        if (c.lost[n])
            fail_msg("seed %u: vm%d placed on lost node n%zd", seed, v, n);
        if (c.on[v] >= 0 && c.lost[c.on[v]] && p->placement[v] >= 0)
            fail_msg("seed %u: vm%d of unfenced n%d placed on n%zd", seed, v, c.on[v], n);
        if (c.ban[v][n] && !kept[v])
            fail_msg("seed %u: vm%d placed on n%zd, which bans it", seed, v, n);
        if (c.standby[n] || (c.drain[n] && !kept[v]))
            fail_msg("seed %u: vm%d placed on standby/draining n%zd", seed, v, n);
        for (int w = 0; w < c.n_vms; w++) {
            if (w != v && (c.apart[v][w] || c.apart[w][v]) && where(p, w) == n)
                fail_msg("seed %u: anti-affine vm%d and vm%d both on n%zd", seed, v, w, n);
            if (c.with[v][w] && where(p, w) != n)
                fail_msg("seed %u: vm%d runs on n%zd without vm%d", seed, v, n, w);
        }
    }
    bool capacity = c.strategy != VMHA_STRATEGY_DEFAULT;
    for (int n = 0; capacity && n < c.n_nodes; n++)
        if (used[n] > c.cap[n] && !c.drain[n])
            fail_msg("seed %u: n%d holds %" PRId64 " MiB of %" PRId64, seed, n, used[n], c.cap[n]);

    /* No runnable VM left stopped. A VM waiting on a fence has its room held, so it is not
     * "stopped" in this sense; one kept together with a VM that does not run cannot run. */
    bool drain_any = false, small = c.n_nodes <= SMALL_N && c.n_vms <= SMALL_V;
    for (int n = 0; n < c.n_nodes; n++)
        drain_any |= c.drain[n];
    for (int v = 0; v < c.n_vms; v++) {
        if (where(p, v) >= 0 || (c.on[v] >= 0 && c.lost[c.on[v]]))
            continue;
        for (int n = 0; n < c.n_nodes; n++) {
            if (!node_ok(&c, v, n) || (capacity && c.cap[n] - used[n] < c.mem[v]))
                continue;
            bool blocked = false;
            for (int w = 0; w < c.n_vms; w++)
                blocked |= ((c.apart[v][w] || c.apart[w][v]) && where(p, w) == n) ||
                           (c.with[v][w] && where(p, w) != n);
            if (!blocked)
                fail_msg("seed %u: vm%d stopped (%s) although n%d has room for it", seed, v,
                         p->reasons[v], n);
        }
        /* Priorities: not even with every lower-priority VM evicted from a node, except those
         * a VM that stays (or v) runs with. */
        bool stays[MAX_V];
        for (int w = 0; w < c.n_vms; w++)
            stays[w] = w == v || c.prio[w] >= c.prio[v];
        for (bool grew = true; grew;) {
            grew = false;
            for (int w = 0; w < c.n_vms; w++)
                for (int u = 0; stays[w] && u < c.n_vms; u++)
                    if (c.with[w][u] && !stays[u])
                        stays[u] = grew = true;
        }
        for (int n = 0; capacity && n < c.n_nodes; n++) {
            if (!node_ok(&c, v, n))
                continue;
            bool blocked = false;
            int64_t higher = 0;
            for (int w = 0; w < c.n_vms; w++) {
                if (where(p, w) != n) {
                    blocked |= c.with[v][w];
                    continue;
                }
                blocked |= c.apart[v][w] || c.apart[w][v];
                if (w != v && stays[w])
                    higher += c.mem[w];
            }
            if (!blocked && c.cap[n] - higher >= c.mem[v])
                fail_msg("seed %u: vm%d (priority %d) stopped while lower priorities use n%d", seed,
                         v, c.prio[v], n);
        }
        if (small && !drain_any && could_run(&c, p, v))
            fail_msg("seed %u: vm%d (priority %d) stopped (%s) although a placement runs it "
                     "with every VM of its priority or higher",
                     seed, v, c.prio[v], p->reasons[v]);
    }

    /* Carry the plan out, fences included, and plan again: nothing it started or moved is
     * stopped now, and the VMs that waited with room held start. */
    apply_plan(m, p);
    g_autoptr(VmhaPlan) next = NULL;
    assert_int_equal(vmha_engine_plan(m, NOW, &next), 0);
    for (size_t i = 0; i < p->n_actions; i++) {
        const VmhaAction *a = &p->actions[i];
        if (a->type != VMHA_ACTION_START && a->type != VMHA_ACTION_MIGRATE)
            continue;
        if (next->placement[a->vm] < 0)
            fail_msg("seed %u: vm%zd started by the plan, stopped by the next one (%s)", seed,
                     a->vm, next->reasons[a->vm]);
    }
    /* Room held for a VM waiting on a fence: if the next plan does not start it after all,
     * nothing of lower priority took its place. */
    for (int w = 0; w < c.n_vms; w++) {
        if (p->held[w] < 0 || next->placement[w] >= 0)
            continue;
        for (int v = 0; v < c.n_vms; v++)
            if (next->placement[v] >= 0 && where(p, v) < 0 && c.prio[v] < c.prio[w])
                fail_msg("seed %u: room held for vm%d (priority %d), but the next plan starts "
                         "vm%d (priority %d) and not it (%s)",
                         seed, w, c.prio[w], v, c.prio[v], next->reasons[w]);
    }
}

static void test_random_invariants(void **state)
{
    const char *one = getenv("VMHA_SEED");
    if (one) {
        check_one((guint32)strtoul(one, NULL, 10));
        return;
    }
    const char *rounds_s = getenv("VMHA_ROUNDS");
    guint32 rounds = rounds_s ? (guint32)strtoul(rounds_s, NULL, 10) : 2000;
    for (guint32 seed = 1; seed <= rounds; seed++)
        check_one(seed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_random_invariants),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
