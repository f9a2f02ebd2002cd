/* vmha_engine_reads_clock (lib/engine.c): the leader skips its tick's replan while the last plan
 * did nothing and its model does not read the clock, so the predicate must name every input of the
 * engine that changes with `now`. Each case is a small CIB: where the predicate says "no", plans
 * at very different times are the same; each "yes" case names one reader of the clock, and the
 * window case shows the plan really changing with the time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engine.h"
#include "model.h"
#include "testcib.h"

#define NOW 1700000000 /* 2023-11-14 22:13:20 UTC */

/* A VM "web" preferring n2 (100), with these meta attributes, running on n1. */
#define WEB(meta)                                                                                  \
    "<primitive id=\"web\" class=\"ocf\" provider=\"vmha\" type=\"vm\">"                           \
    "<meta_attributes id=\"web-meta\">" meta "</meta_attributes></primitive>"                      \
    "</resources><constraints><rsc_location id=\"prefer-web-n2\" rsc=\"web\" node=\"n2\" "         \
    "score=\"100\"/></constraints></configuration><status>" TESTCIB_N1_RUNS_WEB
#define META(name, value) "<nvpair id=\"web-meta-" name "\" name=\"" name "\" value=\"" value "\"/>"
#define N3_UP             "<node_state id=\"3\" uname=\"n3\" " TESTCIB_ONLINE "/>"
#define FAILS_ON_N3(at)                                                                            \
    "<node_state id=\"3\" uname=\"n3\" " TESTCIB_ONLINE "><transient_attributes id=\"3\">"         \
    "<instance_attributes id=\"status-3\"><nvpair id=\"s3-fc\" name=\"fail-count-web#start_0\" "   \
    "value=\"INFINITY\"/><nvpair id=\"s3-lf\" name=\"last-failure-web#start_0\" value=\"" at       \
    "\"/></instance_attributes></transient_attributes></node_state>"
#define END "</status></cib>"

static VmhaModel *model(const char *xml)
{
    VmhaModel *m = NULL;
    g_autoptr(GError) error = NULL;
    if (vmha_model_parse(xml, strlen(xml), &m, &error) < 0)
        fail_msg("%s", error->message);
    return m;
}

static char *plan_text(const VmhaModel *m, int64_t now)
{
    g_autoptr(VmhaPlan) p = NULL;
    GString *s = g_string_new(NULL);
    assert_int_equal(vmha_engine_plan(m, now, &p), 0);
    for (size_t i = 0; i < p->n_actions; i++)
        g_string_append_printf(s, "%d %zd %zd %zd;", p->actions[i].type, p->actions[i].vm,
                               p->actions[i].node, p->actions[i].to);
    for (size_t v = 0; v < p->n_vms; v++)
        g_string_append_printf(s, "%zd %zd %s;", p->placement[v], p->held[v],
                               p->reasons[v] ? p->reasons[v] : "");
    return g_string_free(s, false);
}

static void test_cases(void **state)
{
    static const struct {
        const char *what, *xml;
        bool lose_n3, reads_clock;
    } cases[] = {
            {"stickiness", TESTCIB_START("") WEB("") N3_UP END, false, false},
            {"failback never", TESTCIB_START("") WEB(META("vmha-failback", "never")) N3_UP END,
             false, false},
            {"failback immediate",
             TESTCIB_START("") WEB(META("vmha-failback", "immediate")) N3_UP END, false, false},
            {"failure-timeout, no failure",
             TESTCIB_START("") WEB(META("failure-timeout", "60")) N3_UP END, false, false},
            {"a failure that never expires",
             TESTCIB_START("") WEB("") FAILS_ON_N3("1699999990") END, false, false},
            {"a lost node (its self-fence deadline)", TESTCIB_START("") WEB("") N3_UP END, true,
             true},
            {"a failback window",
             TESTCIB_START("") WEB(META("vmha-failback", "02:00-03:00")) N3_UP END, false, true},
            {"a failure that expires",
             TESTCIB_START("") WEB(META("failure-timeout", "60")) FAILS_ON_N3("1699999990") END,
             false, true},
    };
    static const int64_t later[] = {1, 61, 3600, 4 * 3600, 86400 + 7};

    (void)state;
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(VmhaModel) m = model(cases[i].xml);
        if (cases[i].lose_n3)
            vmha_model_fail_node(m, 2, NOW);
        if (vmha_engine_reads_clock(m) != cases[i].reads_clock)
            fail_msg("%s: reads the clock: %d", cases[i].what, !cases[i].reads_clock);
        if (cases[i].reads_clock)
            continue;
        g_autofree char *first = plan_text(m, NOW);
        for (size_t k = 0; k < G_N_ELEMENTS(later); k++) {
            g_autofree char *then = plan_text(m, NOW + later[k]);
            if (strcmp(first, then) != 0)
                fail_msg("%s: the plan at now+%" G_GINT64_FORMAT " s differs:\n%s\n%s",
                         cases[i].what, later[k], first, then);
        }
    }
}

/* The failback window: inside it web goes back to n2, outside it stays on n1. */
static void test_window_plan_changes(void **state)
{
    g_autoptr(VmhaModel) m =
            model(TESTCIB_START("") WEB(META("vmha-failback", "02:00-03:00")) N3_UP END);
    int64_t midnight = NOW - NOW % 86400;

    (void)state;
    g_autofree char *inside = plan_text(m, midnight + 2 * 3600 + 60);
    g_autofree char *outside = plan_text(m, midnight + 5 * 3600);
    assert_string_not_equal(inside, outside);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_cases),
            cmocka_unit_test(test_window_plan_changes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
