/* Unit tests of lib/dispatch.c: which of the engine's actions the leader sends now. The plans are
 * written by hand, so each rule is tested on its own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "dispatch.h"

#define NODE_STATE(id, name, ops)                                                                  \
    "<node_state id=\"" id "\" uname=\"" name "\" in_ccm=\"true\" crmd=\"online\" "                \
    "join=\"member\" expected=\"member\"><lrm id=\"" id "\"><lrm_resources>" ops                   \
    "</lrm_resources></lrm></node_state>"
#define OP(rsc, op, rc, st, call)                                                                  \
    "<lrm_resource id=\"" rsc "\" class=\"ocf\" provider=\"vmha\" type=\"vm\">"                    \
    "<lrm_rsc_op id=\"" rsc "_last_0\" operation=\"" op "\" rc-code=\"" rc "\" op-status=\"" st    \
    "\" call-id=\"" call "\" interval=\"0\"/></lrm_resource>"
#define VM(id) "<primitive id=\"" id "\" class=\"ocf\" provider=\"vmha\" type=\"vm\"/>"

static VmhaModel *parse(const char *limit, const char *status)
{
    g_autofree char *xml = g_strdup_printf(
            "<cib validate-with=\"pacemaker-3.9\" epoch=\"1\" num_updates=\"0\" admin_epoch=\"0\" "
            "have-quorum=\"1\"><configuration><crm_config><cluster_property_set id=\"o\">"
            "<nvpair id=\"o-l\" name=\"migration-limit\" value=\"%s\"/></cluster_property_set>"
            "</crm_config><nodes><node id=\"1\" uname=\"n1\"/><node id=\"2\" uname=\"n2\"/>"
            "<node id=\"3\" uname=\"n3\"/></nodes><resources>" VM("a") VM("b") VM("c")
                    VM("d") "</resources><constraints/></configuration><status>%s</status></cib>",
            limit, status);
    VmhaModel *m = NULL;
    g_autoptr(GError) err = NULL;
    if (vmha_model_parse(xml, strlen(xml), &m, &err) < 0)
        fail_msg("model: %s", err->message);
    return m;
}

typedef struct {
    VmhaActionType type;
    const char *vm, *node, *to;
} Act;

/* Runs dispatch over a hand-written plan; returns the chosen actions as "type vm node[>to]". */
static char *choose(VmhaModel *m, const Act *acts, size_t n, GHashTable *dispatched,
                    GHashTable *hold)
{
    VmhaPlan plan = {.n_vms = m->n_vms, .n_actions = n};
    plan.actions = g_new0(VmhaAction, MAX(n, 1));
    for (size_t i = 0; i < n; i++)
        plan.actions[i] = (VmhaAction){
                acts[i].type,
                acts[i].type == VMHA_ACTION_FENCE ? -1 : vmha_model_find_vm(m, acts[i].vm),
                vmha_model_find_node(m, acts[i].node),
                acts[i].to ? vmha_model_find_node(m, acts[i].to) : -1,
                acts[i].to ? VMHA_MIGRATION_QUICK : VMHA_MIGRATION_DEFAULT,
        };
    VmhaDispatchInput in = {.model = m, .plan = &plan, .dispatched = dispatched, .hold = hold};
    g_autoptr(GArray) out = vmha_dispatch_select(&in);
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < out->len; i++) {
        const Act *a = &acts[g_array_index(out, size_t, i)];
        g_string_append_printf(s, "%s%s %s %s%s%s", i ? ", " : "",
                               vmha_action_type_to_string(a->type), a->vm, a->node,
                               a->to ? ">" : "", a->to ? a->to : "");
    }
    g_free(plan.actions);
    return g_string_free(s, false);
}

static void test_in_flight_and_held(void **state)
{
    (void)state;
    g_autoptr(VmhaModel) m = parse("-1", NODE_STATE("1", "n1", OP("a", "start", "193", "-1", "5")));
    Act acts[] = {
            {VMHA_ACTION_FENCE, "a", "n3", NULL}, /* the leader fences itself: never sent */
            {VMHA_ACTION_START, "a", "n2", NULL}, /* a: start pending on n1 */
            {VMHA_ACTION_START, "b", "n2", NULL}, /* b: written, not yet acknowledged */
            {VMHA_ACTION_START, "c", "n2", NULL}, /* c: not yet probed everywhere */
            {VMHA_ACTION_START, "d", "n2", NULL},
    };
    g_autoptr(GHashTable) dispatched = g_hash_table_new(g_str_hash, g_str_equal);
    g_hash_table_add(dispatched, "b");
    g_autoptr(GHashTable) hold = g_hash_table_new(g_str_hash, g_str_equal);
    g_hash_table_add(hold, "c");
    g_autofree char *got = choose(m, acts, G_N_ELEMENTS(acts), dispatched, hold);
    assert_string_equal(got, "start d n2");
}

static void test_stop_first(void **state)
{
    (void)state;
    g_autoptr(VmhaModel) m = parse("-1", "");
    /* a moves by stop + start; b starts on the node a leaves; c starts elsewhere. */
    Act acts[] = {
            {VMHA_ACTION_STOP, "a", "n1", NULL},
            {VMHA_ACTION_START, "a", "n2", NULL},
            {VMHA_ACTION_START, "b", "n1", NULL},
            {VMHA_ACTION_START, "c", "n3", NULL},
    };
    g_autofree char *got = choose(m, acts, G_N_ELEMENTS(acts), NULL, NULL);
    assert_string_equal(got, "stop a n1, start c n3");
}

static void test_start_waits_for_a_stop_in_flight(void **state)
{
    (void)state;
    g_autoptr(VmhaModel) m = parse("-1", NODE_STATE("1", "n1", OP("a", "stop", "193", "-1", "7")));
    Act acts[] = {
            {VMHA_ACTION_START, "b", "n1", NULL},
            {VMHA_ACTION_START, "c", "n2", NULL},
    };
    g_autofree char *got = choose(m, acts, G_N_ELEMENTS(acts), NULL, NULL);
    assert_string_equal(got, "start c n2");
}

static void test_migration_limit(void **state)
{
    (void)state;
    Act acts[] = {
            {VMHA_ACTION_MIGRATE, "a", "n1", "n2"},
            {VMHA_ACTION_MIGRATE, "b", "n1", "n3"},
            {VMHA_ACTION_START, "c", "n3", NULL},
    };
    g_autoptr(VmhaModel) one = parse("1", "");
    g_autofree char *got1 = choose(one, acts, G_N_ELEMENTS(acts), NULL, NULL);
    assert_string_equal(got1, "migrate a n1>n2, start c n3");

    g_autoptr(VmhaModel) busy =
            parse("1", NODE_STATE("2", "n2", OP("d", "migrate_from", "193", "-1", "3")));
    g_autofree char *got0 = choose(busy, acts, G_N_ELEMENTS(acts), NULL, NULL);
    assert_string_equal(got0, "start c n3");

    g_autoptr(VmhaModel) unlimited = parse("-1", "");
    g_autofree char *all = choose(unlimited, acts, G_N_ELEMENTS(acts), NULL, NULL);
    assert_string_equal(all, "migrate a n1>n2, migrate b n1>n3, start c n3");

    /* a's migration written in the previous round, not applied yet: it counts against the
     * limit (the next plan still holds it), and n1 is being vacated. */
    g_autoptr(GHashTable) dispatched = g_hash_table_new(g_str_hash, g_str_equal);
    g_hash_table_add(dispatched, "a");
    Act next[] = {
            {VMHA_ACTION_MIGRATE, "a", "n1", "n2"},
            {VMHA_ACTION_MIGRATE, "b", "n1", "n3"},
            {VMHA_ACTION_START, "c", "n1", NULL},
            {VMHA_ACTION_START, "d", "n3", NULL},
    };
    g_autofree char *got_next = choose(one, next, G_N_ELEMENTS(next), dispatched, NULL);
    assert_string_equal(got_next, "start d n3");
}

/* node-action-limit: the property when above 0, else twice the cores (Pacemaker's default). */
static void test_node_action_limit(void **state)
{
    assert_int_equal(vmha_node_action_limit(NULL, 2), 4);
    assert_int_equal(vmha_node_action_limit("0", 2), 4);
    assert_int_equal(vmha_node_action_limit("-1", 8), 16);
    assert_int_equal(vmha_node_action_limit("junk", 2), 4);
    assert_int_equal(vmha_node_action_limit("3", 2), 3);
    assert_int_equal(vmha_node_action_limit("1", 64), 1);
    assert_int_equal(vmha_node_action_limit(NULL, 0), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_node_action_limit),
            cmocka_unit_test(test_in_flight_and_held),
            cmocka_unit_test(test_stop_first),
            cmocka_unit_test(test_start_waits_for_a_stop_in_flight),
            cmocka_unit_test(test_migration_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
