/* Randomized, seeded invariant test of the policy engine: random clusters and events, then the
 * rules that must hold whatever Pacemaker's tie-breaks decide. Reproduce one case with
 * VMHA_SEED=N; VMHA_ROUNDS=N runs more rounds (default 400). */
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

#define NOW 1700000000

typedef struct {
    int n_nodes, n_vms;
    VmhaPlacementStrategy strategy;
    int64_t cap[16];
    int64_t mem[64];
    int prio[64];
    int ban[64][16];   /* 1 = -INFINITY location */
    int score[64][16]; /* finite location score; negative also keeps a VM off a node */
    int apart[64][64];
    int on[64]; /* current node or -1 */
    bool lost[16], drain[16], standby[16];
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
    c->n_nodes = g_rand_int_range(r, 2, 9);
    c->n_vms = g_rand_int_range(r, 1, 41);
    c->strategy = (VmhaPlacementStrategy)g_rand_int_range(r, 0, 4);
    int64_t used[16] = {0};
    for (int n = 0; n < c->n_nodes; n++) {
        c->cap[n] = 1024 * g_rand_int_range(r, 2, 17);
        c->standby[n] = g_rand_int_range(r, 0, 10) == 0;
    }
    for (int v = 0; v < c->n_vms; v++) {
        c->mem[v] = 256 * g_rand_int_range(r, 1, 17);
        c->prio[v] = g_rand_int_range(r, 0, 4) * 10;
        for (int n = 0; n < c->n_nodes; n++)
            c->ban[v][n] = g_rand_int_range(r, 0, 8) == 0;
        if (v > 0 && g_rand_int_range(r, 0, 5) == 0)
            c->apart[v][g_rand_int_range(r, 0, v)] = 1;
    }
    for (int v = 0; v < c->n_vms; v++) {
        c->on[v] = -1;
        if (g_rand_int_range(r, 0, 3) == 0)
            continue;
        int n = g_rand_int_range(r, 0, c->n_nodes);
        if (fits_initially(c, used, v, n)) {
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
                               v, v, v, c->prio[v], v, g_rand_int_range(r, 0, 2) * 100, v, v,
                               c->mem[v]);
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
        for (int w = 0; w < c->n_vms; w++)
            if (c->apart[v][w])
                g_string_append_printf(x,
                                       "<rsc_colocation id=\"c%d-%d\" rsc=\"vm%d\" "
                                       "with-rsc=\"vm%d\" score=\"-INFINITY\"/>",
                                       v, w, v, w);
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
        g_string_append_printf(s, "%d %zd %zd %zd %s\n", p->actions[i].type, p->actions[i].vm,
                               p->actions[i].node, p->actions[i].to,
                               p->actions[i].method ? p->actions[i].method : "");
    for (size_t v = 0; v < p->n_vms; v++)
        g_string_append_printf(s, "%s %zd %s\n", m->vms[v].name, p->placement[v],
                               p->reasons[v] ? p->reasons[v] : "");
    return g_string_free(s, false);
}

static void check_one(guint32 seed)
{
    g_autoptr(GRand) r = g_rand_new_with_seed(seed);
    Cluster c;
    g_autofree char *xml = random_cib(r, &c);
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

    int64_t used[16] = {0};
    for (int v = 0; v < c.n_vms; v++) {
        ssize_t n = p->placement[v];
        if (n < 0) {
            if (!p->reasons[v])
                fail_msg("seed %u: vm%d stopped without a reason", seed, v);
            continue;
        }
        used[n] += c.mem[v];
        bool kept_on_drain = c.drain[n] && c.on[v] == n;
        if (c.lost[n])
            fail_msg("seed %u: vm%d placed on lost node n%zd", seed, v, n);
        if (c.on[v] >= 0 && c.lost[c.on[v]])
            fail_msg("seed %u: vm%d of unfenced n%d placed on n%zd", seed, v, c.on[v], n);
        if (c.ban[v][n] && !kept_on_drain)
            fail_msg("seed %u: vm%d placed on n%zd, which bans it", seed, v, n);
        if (c.standby[n] || (c.drain[n] && !kept_on_drain))
            fail_msg("seed %u: vm%d placed on standby/draining n%zd", seed, v, n);
        for (int w = 0; w < c.n_vms; w++)
            if (w != v && (c.apart[v][w] || c.apart[w][v]) && p->placement[w] == n)
                fail_msg("seed %u: anti-affine vm%d and vm%d both on n%zd", seed, v, w, n);
    }
    if (c.strategy == VMHA_STRATEGY_DEFAULT)
        return;
    for (int n = 0; n < c.n_nodes; n++)
        if (used[n] > c.cap[n] && !c.drain[n])
            fail_msg("seed %u: n%d holds %" PRId64 " MiB of %" PRId64, seed, n, used[n], c.cap[n]);
    /* Priorities: a VM stopped for capacity could not have fit on any eligible node even with
     * every lower-priority VM evicted from it. */
    for (int h = 0; h < c.n_vms; h++) {
        if (p->placement[h] >= 0 || !p->reasons[h] ||
            !g_str_has_prefix(p->reasons[h], "insufficient"))
            continue;
        for (int n = 0; n < c.n_nodes; n++) {
            if (c.lost[n] || c.drain[n] || c.standby[n] || c.ban[h][n] || c.score[h][n] < 0)
                continue;
            bool partner_there = false;
            int64_t higher = 0;
            for (int w = 0; w < c.n_vms; w++) {
                if (p->placement[w] != n)
                    continue;
                if (c.apart[h][w] || c.apart[w][h])
                    partner_there = true;
                if (c.prio[w] >= c.prio[h])
                    higher += c.mem[w];
            }
            if (!partner_there && c.cap[n] - higher >= c.mem[h])
                fail_msg("seed %u: vm%d (priority %d) stopped while lower priorities use n%d", seed,
                         h, c.prio[h], n);
        }
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
    guint32 rounds = rounds_s ? (guint32)strtoul(rounds_s, NULL, 10) : 400;
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
