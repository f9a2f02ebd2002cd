/* Unit tests of lib/lrmstatus.c: recording probe results in the status section the way
 * Pacemaker's controller does, and reading them back, also through lib/model.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>

#include "engine.h"
#include "lrmstatus.h"
#include "model.h"
#include "statusview.h"
#include "testcib.h"

static const char cib_head[] = TESTCIB_START(
        " have-quorum=\"1\"") "<primitive id=\"a\" class=\"ocf\" provider=\"vmha\" type=\"vm\"/>"
                              "<primitive id=\"b\" class=\"ocf\" provider=\"vmha\" type=\"vm\"/>"
                              "</resources><constraints/></configuration><status/></cib>";

typedef struct {
    xmlDoc *doc;
    xmlNode *status;
} Fix;

static int setup(void **state)
{
    Fix *f = g_new0(Fix, 1);
    f->doc = xmlReadMemory(cib_head, sizeof(cib_head) - 1, "t", NULL, 0);
    xmlNode *root = xmlDocGetRootElement(f->doc);
    for (xmlNode *c = root->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, "status") == 0)
            f->status = c;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fix *f = *state;
    xmlFreeDoc(f->doc);
    g_free(f);
    return 0;
}

static int count(xmlDoc *doc, const char *xpath)
{
    xmlXPathContext *ctx = xmlXPathNewContext(doc);
    xmlXPathObject *o = xmlXPathEvalExpression((const xmlChar *)xpath, ctx);
    int n = o && o->nodesetval ? o->nodesetval->nodeNr : 0;
    xmlXPathFreeObject(o);
    xmlXPathFreeContext(ctx);
    return n;
}

static char *value(xmlDoc *doc, const char *xpath)
{
    xmlXPathContext *ctx = xmlXPathNewContext(doc);
    xmlXPathObject *o = xmlXPathEvalExpression((const xmlChar *)xpath, ctx);
    char *r = NULL;
    if (o && o->nodesetval && o->nodesetval->nodeNr == 1) {
        xmlChar *s = xmlNodeGetContent(o->nodesetval->nodeTab[0]);
        r = g_strdup((const char *)s);
        xmlFree(s);
    }
    xmlXPathFreeObject(o);
    xmlXPathFreeContext(ctx);
    return r;
}

static VmhaModel *model_of(Fix *f)
{
    VmhaModel *m = NULL;
    g_autoptr(GError) err = NULL;
    int rc = vmha_model_from_xml(xmlDocGetRootElement(f->doc), &m, &err);
    if (rc < 0)
        fail_msg("model: %s", err->message);
    return m;
}

static void test_record_new(void **state)
{
    Fix *f = *state;
    VmhaProbeResult r = {"a", 0, VMHA_OP_STATUS_DONE, 123, 1700000000};

    assert_int_equal(vmha_lrm_record_probe(f->status, "2", "n2", &r), 1);
    assert_int_equal(count(f->doc, "/cib/status/node_state[@id='2'][@uname='n2']/lrm[@id='2']"
                                   "/lrm_resources/lrm_resource[@id='a'][@type='vm']"
                                   "[@class='ocf'][@provider='vmha']/lrm_rsc_op"),
                     1);
    const char *op = "/cib/status/node_state/lrm/lrm_resources/lrm_resource/lrm_rsc_op";
    static const char *const expect[][2] = {
            {"id", "a_last_0"},
            {"operation", "monitor"},
            {"operation_key", "a_monitor_0"},
            {"interval", "0"},
            {"rc-code", "0"},
            {"op-status", "0"},
            {"call-id", "1"},
            {"on_node", "n2"},
            {"exec-time", "123"},
            {"last-run", "1700000000"},
            {"crm_feature_set", "3.16.1"},
            {"last-rc-change", "1700000000"},
            {"transition-magic", "0:0;0:0:7:00000000-0000-0000-0000-000000000000"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(expect); i++) {
        g_autofree char *xp = g_strdup_printf("%s/@%s", op, expect[i][0]);
        g_autofree char *v = value(f->doc, xp);
        assert_non_null(v);
        assert_string_equal(v, expect[i][1]);
    }

    /* The same result again changes nothing: no write is needed. */
    r.when += 10;
    assert_true(vmha_lrm_probe_unchanged(f->status, "2", &r));
    assert_int_equal(vmha_lrm_record_probe(f->status, "2", "n2", &r), 0);
    g_autofree char *run = value(f->doc, "//lrm_rsc_op/@last-run");
    assert_string_equal(run, "1700000000");
    assert_false(vmha_lrm_probe_unchanged(f->status, "1", &r));

    g_autoptr(VmhaModel) m = model_of(f);
    ssize_t vm = vmha_model_find_vm(m, "a"), n2 = vmha_model_find_node(m, "n2");
    assert_true(vm >= 0 && n2 >= 0);
    /* The stored node_state carries no membership facts: read as is, n2 is down and runs
     * nothing; with them (as clusterd's CIB_QUERY adds) the probe says a runs on n2. */
    xmlNode *ns = NULL;
    for (xmlNode *c = f->status->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            ns = c;
    xmlSetProp(ns, (const xmlChar *)"in_ccm", (const xmlChar *)"true");
    xmlSetProp(ns, (const xmlChar *)"crmd", (const xmlChar *)"online");
    xmlSetProp(ns, (const xmlChar *)"join", (const xmlChar *)"member");
    xmlSetProp(ns, (const xmlChar *)"expected", (const xmlChar *)"member");
    g_autoptr(VmhaModel) live = model_of(f);
    assert_int_equal(live->vms[vm].state[n2], VMHA_RSC_ACTIVE);
    assert_int_equal(live->vms[vmha_model_find_vm(live, "b")].state[n2], VMHA_RSC_INACTIVE);
}

static void test_replace_older(void **state)
{
    Fix *f = *state;
    VmhaProbeResult run = {"a", 0, VMHA_OP_STATUS_DONE, 5, 100};
    VmhaProbeResult stopped = {"a", 7, VMHA_OP_STATUS_DONE, 6, 200};
    VmhaProbeResult b = {"b", 7, VMHA_OP_STATUS_DONE, 7, 150};

    assert_int_equal(vmha_lrm_record_probe(f->status, "1", "n1", &run), 1);
    assert_int_equal(vmha_lrm_record_probe(f->status, "1", "n1", &b), 1);
    g_auto(GStrv) on = vmha_lrm_running_on(f->status, "a", false);
    assert_int_equal(g_strv_length(on), 1);
    assert_string_equal(on[0], "n1");

    assert_int_equal(vmha_lrm_record_probe(f->status, "1", "n1", &stopped), 1);
    /* One record per resource and node: the older one was replaced, not kept beside. */
    assert_int_equal(count(f->doc, "//lrm_resource[@id='a']/lrm_rsc_op"), 1);
    assert_int_equal(count(f->doc, "//node_state"), 1);
    assert_int_equal(count(f->doc, "//lrm_resource"), 2);
    g_autofree char *rc = value(f->doc, "//lrm_resource[@id='a']/lrm_rsc_op/@rc-code");
    g_autofree char *call = value(f->doc, "//lrm_resource[@id='a']/lrm_rsc_op/@call-id");
    g_autofree char *change = value(f->doc, "//lrm_resource[@id='a']/lrm_rsc_op/@last-rc-change");
    assert_string_equal(rc, "7");
    assert_string_equal(call, "3"); /* after both earlier calls on n1 */
    assert_string_equal(change, "200");
    g_auto(GStrv) none = vmha_lrm_running_on(f->status, "a", true);
    assert_int_equal(g_strv_length(none), 0);

    /* A failed probe is recorded as it is, and read as "may run there". */
    VmhaProbeResult err = {"a", 1, VMHA_OP_STATUS_DONE, 9, 300};
    VmhaProbeResult tmo = {"a", 1, VMHA_OP_STATUS_TIMEOUT, 20000, 400};
    assert_int_equal(vmha_lrm_record_probe(f->status, "1", "n1", &err), 1);
    assert_int_equal(vmha_lrm_state(f->status->children, "a"), VMHA_LRM_FAILED);
    assert_int_equal(vmha_lrm_record_probe(f->status, "1", "n1", &tmo), 1);
    g_autofree char *st = value(f->doc, "//lrm_resource[@id='a']/lrm_rsc_op/@op-status");
    g_autofree char *ch2 = value(f->doc, "//lrm_resource[@id='a']/lrm_rsc_op/@last-rc-change");
    assert_string_equal(st, "2");
    assert_string_equal(ch2, "300"); /* same rc: the change time stays */
    g_auto(GStrv) failed = vmha_lrm_running_on(f->status, "a", true);
    g_auto(GStrv) running = vmha_lrm_running_on(f->status, "a", false);
    assert_int_equal(g_strv_length(failed), 1);
    assert_int_equal(g_strv_length(running), 0);
}

static void test_two_nodes(void **state)
{
    Fix *f = *state;
    VmhaProbeResult run = {"a", 0, VMHA_OP_STATUS_DONE, 5, 100};
    VmhaProbeResult stopped = {"a", 7, VMHA_OP_STATUS_DONE, 5, 100};

    assert_int_equal(vmha_lrm_record_probe(f->status, "1", "n1", &run), 1);
    assert_int_equal(vmha_lrm_record_probe(f->status, "2", "n2", &stopped), 1);
    assert_int_equal(vmha_lrm_record_probe(f->status, "3", "n3", &run), 1);
    g_auto(GStrv) on = vmha_lrm_running_on(f->status, "a", false);
    assert_int_equal(g_strv_length(on), 2);
    assert_string_equal(on[0], "n1");
    assert_string_equal(on[1], "n3");
    assert_int_equal(vmha_lrm_state(f->status->children, "b"), VMHA_LRM_UNKNOWN);
}

static void test_wire_form(void **state)
{
    VmhaProbeResult r = {"web-1", 7, 0, 42, 1700000000}, back;
    g_autofree char *s = vmha_probe_result_format(&r);
    g_autofree char *buf = NULL;

    assert_string_equal(s, "web-1 7 0 42 1700000000");
    assert_int_equal(vmha_probe_result_parse(s, &back, &buf), 0);
    assert_string_equal(back.rsc, "web-1");
    assert_int_equal(back.rc, 7);
    assert_int_equal(back.exec_ms, 42);
    assert_int_equal(back.when, 1700000000);
    static const char *const bad[] = {"",          "a",           "a 1 2 3",    "a 1 2 3 4 5",
                                      "a x 0 0 0", "a 256 0 0 0", "a -1 0 0 0", " 0 0 0 0",
                                      "a 0 0 0 1x"};
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autofree char *b = NULL;
        VmhaProbeResult untouched = {"keep", 0, 0, 0, 0};
        assert_int_equal(vmha_probe_result_parse(bad[i], &untouched, &b), -1);
        assert_string_equal(untouched.rsc, "keep");
    }
    VmhaProbeResult neg = {"a", -1, 0, 0, 0};
    xmlNode *st = xmlNewNode(NULL, (const xmlChar *)"status");
    assert_int_equal(vmha_lrm_record_probe(st, "1", "n1", &neg), -1);
    assert_null(st->children);
    xmlFreeNode(st);
}

/* Marks every node_state online, as clusterd's live view does, so the model reads the history. */
static void all_online(Fix *f)
{
    for (xmlNode *c = f->status->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        xmlSetProp(c, (const xmlChar *)"in_ccm", (const xmlChar *)"true");
        xmlSetProp(c, (const xmlChar *)"crmd", (const xmlChar *)"online");
        xmlSetProp(c, (const xmlChar *)"join", (const xmlChar *)"member");
    }
}

static void test_action_and_result_wire(void **state)
{
    (void)state;
    VmhaActionSpec a = {"0:3:0:vmha-1-42", "migrate", "a", "n1", "n2", VMHA_MIGRATION_DEFAULT},
                   back;
    g_autofree char *line = vmha_action_format(&a);
    g_auto(GStrv) parts = NULL;
    assert_string_equal(line, "0:3:0:vmha-1-42 migrate a n1 n2");
    assert_int_equal(vmha_action_parse(line, &back, &parts), 0);
    assert_string_equal(back.target, "n2");
    assert_int_equal(back.method, VMHA_MIGRATION_DEFAULT);
    a.method = VMHA_MIGRATION_COLD;
    g_autofree char *with_method = vmha_action_format(&a);
    assert_string_equal(with_method, "0:3:0:vmha-1-42 migrate a n1 n2 cold");
    g_auto(GStrv) parts2 = NULL;
    assert_int_equal(vmha_action_parse(with_method, &back, &parts2), 0);
    assert_int_equal(back.method, VMHA_MIGRATION_COLD);
    static const char *const bad_actions[] = {"",
                                              "k start a",
                                              "k start a n1 n2",
                                              "k migrate a n1",
                                              "k reboot a n1",
                                              "k  start a n1",
                                              "k start a n1 ",
                                              "k migrate a n1 n2 warp",
                                              "k start a n1 n2 quick",
                                              "k migrate a n1 n2 quick x"};
    for (size_t i = 0; i < G_N_ELEMENTS(bad_actions); i++) {
        g_auto(GStrv) p = NULL;
        assert_int_equal(vmha_action_parse(bad_actions[i], &back, &p), -1);
        assert_null(p);
    }

    VmhaOpResult r = {"k", "monitor", 10000, "a", 7, 0, 12, 1700000000, NULL, false, 0}, rb;
    g_autofree char *rl = vmha_op_result_format(&r);
    g_auto(GStrv) rp = NULL;
    assert_int_equal(vmha_op_result_parse(rl, &rb, &rp), 0);
    assert_int_equal(rb.interval_ms, 10000);
    assert_int_equal(rb.rc, 7);
    static const char *const bad_results[] = {
            "k monitor 0 a 7 0 1 2",  /* a probe is not a result */
            "k start 1000 a 0 0 1 2", /* only monitors recur */
            "k start 0 a 256 0 1 2",  /* rc out of range */
            "k start 0 a 0 -1 1 2",   /* negative */
            "k promote 0 a 0 0 1 2",  /* not our operation */
            "k start 0 a 0 0 1",      /* short */
            "k start 0 a 0 0 1 2 3",  /* long */
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad_results); i++) {
        g_auto(GStrv) p = NULL;
        assert_int_equal(vmha_op_result_parse(bad_results[i], &rb, &p), -1);
    }
}

static void test_pending_then_result(void **state)
{
    Fix *f = *state;

    assert_int_equal(vmha_lrm_record_pending(f->status, "1", "n1", "a", "start", "k1", NULL, NULL,
                                             VMHA_MIGRATION_DEFAULT, 1700000000),
                     1);
    /* One operation per VM, whichever node or leader asks. */
    assert_int_equal(vmha_lrm_record_pending(f->status, "2", "n2", "a", "start", "k2", NULL, NULL,
                                             VMHA_MIGRATION_DEFAULT, 1700000000),
                     0);
    assert_true(vmha_lrm_pending_anywhere(f->status, "a"));
    assert_false(vmha_lrm_pending_anywhere(f->status, "b"));
    g_autofree char *expected = value(f->doc, "//node_state[@id='1']/@expected");
    assert_string_equal(expected, "member");

    all_online(f);
    g_autoptr(VmhaModel) m = model_of(f);
    ssize_t a = vmha_model_find_vm(m, "a");
    assert_string_equal(m->vms[a].pending_op, "start");
    assert_int_equal(m->vms[a].pending_node, vmha_model_find_node(m, "n1"));

    /* A result for another key (an action written off meanwhile) is ignored. */
    VmhaOpResult stale = {"k0", "start", 0, "a", 0, 0, 5, 1700000001, NULL, false, 0};
    assert_int_equal(vmha_lrm_record_result(f->status, "1", "n1", &stale, NULL), 0);
    VmhaOpResult ok = {"k1", "start", 0, "a", 0, 0, 2300, 1700000002, NULL, false, 0};
    assert_int_equal(vmha_lrm_record_result(f->status, "1", "n1", &ok, NULL), 1);
    assert_false(vmha_lrm_pending_anywhere(f->status, "a"));
    all_online(f);
    g_autoptr(VmhaModel) m2 = model_of(f);
    assert_null(m2->vms[a].pending_op);
    assert_int_equal(m2->vms[a].state[vmha_model_find_node(m2, "n1")], VMHA_RSC_ACTIVE);
    /* Answered once: the same result again finds nothing pending. */
    assert_int_equal(vmha_lrm_record_result(f->status, "1", "n1", &ok, NULL), 0);
}

static void test_failures_counted(void **state)
{
    Fix *f = *state;

    assert_int_equal(vmha_lrm_record_pending(f->status, "1", "n1", "a", "start", "k1", NULL, NULL,
                                             VMHA_MIGRATION_DEFAULT, 1700000000),
                     1);
    VmhaOpResult started = {"k1", "start", 0, "a", 0, 0, 1, 1700000001, NULL, false, 0};
    assert_int_equal(vmha_lrm_record_result(f->status, "1", "n1", &started, NULL), 1);
    /* A crashed guest: the recurring monitor fails twice over time. */
    VmhaOpResult mon = {"m", "monitor", 10000, "a", 7, 0, 3, 1700000010, "not running", false, 0};
    assert_int_equal(vmha_lrm_record_result(f->status, "1", "n1", &mon, NULL), 1);
    all_online(f);
    g_autoptr(VmhaModel) m = model_of(f);
    ssize_t a = vmha_model_find_vm(m, "a"), n1 = vmha_model_find_node(m, "n1");
    assert_int_equal(m->vms[a].state[n1], VMHA_RSC_FAILED);
    assert_int_equal(m->vms[a].n_failures, 1);
    assert_int_equal(m->vms[a].failures[0].count, 1);
    assert_int_equal(m->vms[a].failures[0].last_failure, 1700000010);
    g_autofree char *reason = value(f->doc, "//lrm_rsc_op[@id='a_last_failure_0']/@exit-reason");
    assert_string_equal(reason, "not running");
    mon.when = 1700000020;
    assert_int_equal(vmha_lrm_record_result(f->status, "1", "n1", &mon, NULL), 1);
    g_autofree char *count2 = value(f->doc, "//nvpair[@name='fail-count-a#monitor_10000']/@value");
    assert_string_equal(count2, "2");

    /* A failed start bans the node at once (Pacemaker's start-failure-is-fatal). */
    assert_int_equal(vmha_lrm_record_pending(f->status, "2", "n2", "b", "start", "k2", NULL, NULL,
                                             VMHA_MIGRATION_DEFAULT, 1700000030),
                     1);
    VmhaOpResult failed = {"k2", "start", 0, "b", 1, 0, 1, 1700000031, NULL, false, 0};
    assert_int_equal(vmha_lrm_record_result(f->status, "2", "n2", &failed, NULL), 1);
    g_autofree char *fatal = value(f->doc, "//nvpair[@name='fail-count-b#start_0']/@value");
    assert_string_equal(fatal, "INFINITY");
    g_autofree char *id = value(f->doc, "//nvpair[@name='fail-count-b#start_0']/@id");
    assert_string_equal(id, "status-2-fail-count-b.start_0");
}

/* Operations from before a node's fence are void (issue 11, defect 7): n2 ran "a", was
 * power-cut and fenced, and rejoined with its copy from before the fence, so its clusterd
 * monitored "a" there and found it gone (rc 7). That result carries the fence epoch of the copy
 * the monitor started from and is dropped; one started after the fence counts. */
static void test_result_predating_fence(void **state)
{
    Fix *f = *state;
    xmlNode *ns = NULL;

    assert_int_equal(vmha_lrm_record_pending(f->status, "2", "n2", "a", "start", "k1", NULL, NULL,
                                             VMHA_MIGRATION_DEFAULT, 1700000000),
                     1);
    VmhaOpResult started = {"k1", "start", 0, "a", 0, 0, 1, 1700000001, NULL, true, 0};
    assert_int_equal(vmha_lrm_record_result(f->status, "2", "n2", &started, NULL), 1);
    for (xmlNode *c = f->status->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            ns = c;
    assert_int_equal(vmha_lrm_fence_epoch(ns), 0);

    vmha_lrm_node_fenced(f->status, "2", "n2", 1700000100);
    assert_int_equal(vmha_lrm_fence_epoch(ns), 1700000100);
    VmhaOpResult stale = {"0:0:0:vmha-monitor", "monitor",     2000, "a", 7, 0, 3,
                          1700000105,           "not running", true, 0};
    assert_true(vmha_lrm_result_predates_fence(ns, &stale));
    assert_int_equal(vmha_lrm_record_result(f->status, "2", "n2", &stale, NULL), 0);
    assert_int_equal(count(f->doc, "//nvpair[starts-with(@name, 'fail-count-')]"), 0);
    assert_int_equal(count(f->doc, "//lrm_rsc_op"), 0);

    /* A job dispatched before the fence whose record survived in a stale copy: also void. */
    assert_int_equal(vmha_lrm_record_pending(f->status, "2", "n2", "b", "start", "k2", NULL, NULL,
                                             VMHA_MIGRATION_DEFAULT, 1700000110),
                     1);
    VmhaOpResult old_job = {"k2", "start", 0, "b", 0, 0, 1, 1700000111, NULL, true, 1700000000};
    assert_int_equal(vmha_lrm_record_result(f->status, "2", "n2", &old_job, NULL), 0);
    VmhaOpResult job = {"k2", "start", 0, "b", 0, 0, 1, 1700000111, NULL, true, 1700000100};
    assert_false(vmha_lrm_result_predates_fence(ns, &job));
    assert_int_equal(vmha_lrm_record_result(f->status, "2", "n2", &job, NULL), 1);

    /* A monitor started after the fence counts; so does one whose epoch is not known (a result
     * from a clusterd that does not send it). */
    VmhaOpResult fresh = {"0:0:0:vmha-monitor", "monitor",     2000, "b",       7, 0, 3,
                          1700000120,           "not running", true, 1700000100};
    assert_int_equal(vmha_lrm_record_result(f->status, "2", "n2", &fresh, NULL), 1);
    g_autofree char *c1 = value(f->doc, "//nvpair[@name='fail-count-b#monitor_2000']/@value");
    assert_string_equal(c1, "1");
    VmhaOpResult unknown = fresh;
    unknown.has_fence_epoch = false;
    unknown.when = 1700000130;
    assert_int_equal(vmha_lrm_record_result(f->status, "2", "n2", &unknown, NULL), 1);
    g_autofree char *c2 = value(f->doc, "//nvpair[@name='fail-count-b#monitor_2000']/@value");
    assert_string_equal(c2, "2");

    /* A later fence voids what began before it, also for other nodes' copies: the epoch is
     * the database's, the same everywhere. */
    vmha_lrm_node_fenced(f->status, "2", "n2", 1700000200);
    fresh.when = 1700000201;
    assert_int_equal(vmha_lrm_record_result(f->status, "2", "n2", &fresh, NULL), 0);
    assert_int_equal(count(f->doc, "//nvpair[starts-with(@name, 'fail-count-')]"), 0);
}

static void test_migrate_hand_over(void **state)
{
    Fix *f = *state;

    assert_int_equal(vmha_lrm_record_pending(f->status, "1", "n1", "a", "migrate_to", "k", "n1",
                                             "n2", VMHA_MIGRATION_COLD, 1700000000),
                     1);
    VmhaOpResult saved = {"k", "migrate_to", 0, "a", 0, 0, 900, 1700000001, NULL, false, 0};
    g_autofree char *target = NULL;
    assert_int_equal(vmha_lrm_record_result(f->status, "1", "n1", &saved, &target), 1);
    assert_string_equal(target, "n2");
    /* The completed record keeps what the pending one said about the migration. */
    g_autofree char *method = value(f->doc, "//lrm_rsc_op[@id='a_last_0']/@vmha-migration-method");
    assert_string_equal(method, "cold");
    g_autofree char *source = value(f->doc, "//lrm_rsc_op[@id='a_last_0']/@migrate_source");
    assert_string_equal(source, "n1");
    /* A failed migrate_to hands nothing over. */
    assert_int_equal(vmha_lrm_record_pending(f->status, "1", "n1", "b", "migrate_to", "k2", "n1",
                                             "n3", VMHA_MIGRATION_DEFAULT, 1700000000),
                     1);
    VmhaOpResult failed = {"k2", "migrate_to", 0, "b", 1, 0, 900, 1700000001, NULL, false, 0};
    g_autofree char *none = NULL;
    assert_int_equal(vmha_lrm_record_result(f->status, "1", "n1", &failed, &none), 1);
    assert_null(none);
    g_autofree char *save_fails =
            value(f->doc, "//nvpair[@name='fail-count-b#migrate_to_0']/@value");
    assert_string_equal(save_fails, "1");
    /* A failed restore is a failed start there: the target is out for that VM. */
    assert_int_equal(vmha_lrm_record_pending(f->status, "2", "n2", "a", "migrate_from", "k", "n1",
                                             "n2", VMHA_MIGRATION_COLD, 1700000002),
                     1);
    VmhaOpResult restore = {"k", "migrate_from", 0,         "a",   1, 0,
                            900, 1700000003,     "no qemu", false, 0};
    assert_int_equal(vmha_lrm_record_result(f->status, "2", "n2", &restore, NULL), 1);
    g_autofree char *restore_fails =
            value(f->doc, "//nvpair[@name='fail-count-a#migrate_from_0']/@value");
    assert_string_equal(restore_fails, "INFINITY");
}

/* A quick migration whose save fails: the agent finished and says the VM keeps running on the
 * source. The VM is read as running there (not failed), its exit reason reaches `vmctl status`
 * and the plan keeps it there instead of stopping it; a probe keeps that, a stop clears it. A
 * migrate_to that timed out is unknown: failed. */
static void test_migrate_failed_keeps_running(void **state)
{
    Fix *f = *state;
    const char *why_agent = "cannot save the domain: Operation not permitted; the domain keeps "
                            "running here";

    assert_int_equal(vmha_lrm_record_pending(f->status, "1", "n1", "a", "migrate_to", "k", "n1",
                                             "n2", VMHA_MIGRATION_DEFAULT, 1700000000),
                     1);
    VmhaOpResult failed = {"k", "migrate_to", 0, "a", 1, 0, 140, 1700000001, why_agent, false, 0};
    g_autofree char *none = NULL;
    assert_int_equal(vmha_lrm_record_result(f->status, "1", "n1", &failed, &none), 1);
    assert_null(none);
    xmlNode *n1_state = f->status->children;
    assert_int_equal(vmha_lrm_state(n1_state, "a"), VMHA_LRM_RUNNING);
    all_online(f);
    {
        g_autoptr(VmhaModel) m = model_of(f);
        ssize_t a = vmha_model_find_vm(m, "a"), n1 = vmha_model_find_node(m, "n1");
        assert_int_equal(m->vms[a].state[n1], VMHA_RSC_ACTIVE);
        assert_int_equal(m->vms[a].migrate_failed_at[n1], 1700000001);
        assert_int_equal(m->vms[a].last_failure.node, n1);
        assert_string_equal(m->vms[a].last_failure.op, "migrate_to");
        assert_string_equal(m->vms[a].last_failure.exit_reason, why_agent);
        vmha_model_set_drain(m, (size_t)n1, true);
        g_autoptr(VmhaPlan) p = NULL;
        assert_int_equal(vmha_engine_plan(m, 1700000002, &p), 0);
        for (size_t i = 0; i < p->n_actions; i++)
            assert_true(p->actions[i].vm != a);
        assert_int_equal(p->placement[a], n1);
        VmhaShowVm v;
        vmha_show_vm(m, p, (size_t)a, NULL, &v);
        assert_int_equal(v.state, VMHA_SHOW_RUNNING);
        assert_non_null(strstr(v.why, why_agent));
        assert_true(g_str_has_prefix(v.why, "kept on draining node n1: its migration failed"));
        vmha_show_vm_clear(&v);
    }
    /* A probe finding it running keeps the failed migration in mind. */
    VmhaProbeResult running = {"a", 0, VMHA_OP_STATUS_DONE, 1, 1700000005};
    assert_int_equal(vmha_lrm_record_probe(f->status, "1", "n1", &running), 1);
    all_online(f);
    {
        g_autoptr(VmhaModel) m = model_of(f);
        ssize_t a = vmha_model_find_vm(m, "a"), n1 = vmha_model_find_node(m, "n1");
        assert_int_equal(m->vms[a].state[n1], VMHA_RSC_ACTIVE);
        assert_int_equal(m->vms[a].migrate_failed_at[n1], 1700000001);
    }
    /* A stop ends it. */
    assert_int_equal(vmha_lrm_record_pending(f->status, "1", "n1", "a", "stop", "k3", NULL, NULL,
                                             VMHA_MIGRATION_DEFAULT, 1700000010),
                     1);
    VmhaOpResult stopped = {"k3", "stop", 0, "a", 0, 0, 10, 1700000011, NULL, false, 0};
    assert_int_equal(vmha_lrm_record_result(f->status, "1", "n1", &stopped, NULL), 1);
    all_online(f);
    {
        g_autoptr(VmhaModel) m = model_of(f);
        ssize_t a = vmha_model_find_vm(m, "a"), n1 = vmha_model_find_node(m, "n1");
        assert_int_equal(m->vms[a].state[n1], VMHA_RSC_INACTIVE);
        assert_int_equal(m->vms[a].migrate_failed_at[n1], 0);
    }
    /* Timed out: the agent was killed, the VM may be half saved. */
    assert_int_equal(vmha_lrm_record_pending(f->status, "2", "n2", "b", "migrate_to", "k4", "n2",
                                             "n3", VMHA_MIGRATION_DEFAULT, 1700000020),
                     1);
    VmhaOpResult timeout = {"k4",   "migrate_to", 0,    "b",   1, VMHA_OP_STATUS_TIMEOUT,
                            600000, 1700000021,   NULL, false, 0};
    assert_int_equal(vmha_lrm_record_result(f->status, "2", "n2", &timeout, NULL), 1);
    assert_int_equal(vmha_lrm_state(f->status->children->next, "b"), VMHA_LRM_FAILED);
    all_online(f);
    {
        g_autoptr(VmhaModel) m = model_of(f);
        ssize_t b = vmha_model_find_vm(m, "b"), n2 = vmha_model_find_node(m, "n2");
        assert_int_equal(m->vms[b].state[n2], VMHA_RSC_FAILED);
        assert_int_equal(m->vms[b].migrate_failed_at[n2], 0);
    }
}

/* A drained node holding nothing may leave without fencing; anything found there undoes it. */
static void test_mark_down_if_idle(void **state)
{
    Fix *f = *state;
    VmhaProbeResult running = {"a", 0, VMHA_OP_STATUS_DONE, 1, 1700000000};
    VmhaProbeResult stopped = {"a", 7, VMHA_OP_STATUS_DONE, 1, 1700000001};

    assert_false(vmha_lrm_mark_down_if_idle(f->status, "9")); /* nothing recorded: no node_state */
    assert_int_equal(vmha_lrm_record_probe(f->status, "1", "n1", &running), 1);
    assert_false(vmha_lrm_mark_down_if_idle(f->status, "1"));
    assert_int_equal(vmha_lrm_record_probe(f->status, "1", "n1", &stopped), 1);
    assert_true(vmha_lrm_mark_down_if_idle(f->status, "1"));
    assert_false(vmha_lrm_mark_down_if_idle(f->status, "1"));
    g_autofree char *down = value(f->doc, "//node_state[@id='1']/@expected");
    assert_string_equal(down, "down");
    /* A pending operation or a VM found running there: fencing is needed again. */
    assert_int_equal(vmha_lrm_record_pending(f->status, "1", "n1", "b", "start", "k", NULL, NULL,
                                             VMHA_MIGRATION_DEFAULT, 1700000002),
                     1);
    g_autofree char *member = value(f->doc, "//node_state[@id='1']/@expected");
    assert_string_equal(member, "member");
    assert_false(vmha_lrm_mark_down_if_idle(f->status, "1"));
    VmhaProbeResult found = {"c", 0, VMHA_OP_STATUS_DONE, 1, 1700000003};
    assert_int_equal(vmha_lrm_record_probe(f->status, "2", "n2", &stopped), 1);
    assert_true(vmha_lrm_mark_down_if_idle(f->status, "2"));
    assert_int_equal(vmha_lrm_record_probe(f->status, "2", "n2", &found), 1);
    g_autofree char *again = value(f->doc, "//node_state[@id='2']/@expected");
    assert_string_equal(again, "member");
}

static void test_fencing_records(void **state)
{
    Fix *f = *state;
    VmhaProbeResult r = {"a", 0, VMHA_OP_STATUS_DONE, 1, 1700000000};

    assert_int_equal(vmha_lrm_record_probe(f->status, "3", "n3", &r), 1);
    vmha_lrm_fence_failed(f->status, "3", "n3", 1700000005, "fence_lab: timed out");
    vmha_lrm_fence_failed(f->status, "3", "n3", 1700000007, "fence_lab: timed out");
    g_autofree char *fails = value(f->doc, "//nvpair[@name='vmha-fence-failures']/@value");
    assert_string_equal(fails, "2");
    /* Still unclean: the history stays until a fence succeeds. */
    assert_int_equal(count(f->doc, "//node_state[@id='3']/lrm//lrm_rsc_op"), 1);

    vmha_lrm_node_fenced(f->status, "3", "n3", 1700000010);
    assert_int_equal(count(f->doc, "//node_state[@id='3']/lrm"), 0);
    assert_int_equal(count(f->doc, "//nvpair[@name='vmha-fence-failures']"), 0);
    g_autofree char *fenced = value(f->doc, "//nvpair[@name='vmha-fenced']/@value");
    assert_string_equal(fenced, "1700000010");
    g_autofree char *expected = value(f->doc, "//node_state[@id='3']/@expected");
    assert_string_equal(expected, "down");
    g_autoptr(VmhaModel) m = model_of(f);
    ssize_t n3 = vmha_model_find_node(m, "n3");
    assert_int_equal(m->nodes[n3].state, VMHA_NODE_OFFLINE);
}

/* A history with what a real one may hold: duplicate records of one VM, an operation in flight,
 * call ids out of order, two nodes. */
static const char indexed_cib[] =
        "<cib><configuration/><status>"
        "<node_state id=\"1\" uname=\"n1\"><lrm id=\"1\"><lrm_resources>"
        "<lrm_resource id=\"a\" type=\"vm\" class=\"ocf\" provider=\"vmha\">"
        "<lrm_rsc_op id=\"a_last_0\" operation=\"start\" interval=\"0\" rc-code=\"0\" "
        "op-status=\"0\" call-id=\"5\"/></lrm_resource>"
        "<lrm_resource id=\"a\" type=\"vm\" class=\"ocf\" provider=\"vmha\">"
        "<lrm_rsc_op id=\"a_last_0\" operation=\"stop\" interval=\"0\" rc-code=\"0\" "
        "op-status=\"0\" call-id=\"9\"/></lrm_resource>"
        "<lrm_resource id=\"c\" type=\"vm\" class=\"ocf\" provider=\"vmha\">"
        "<lrm_rsc_op id=\"c_last_0\" operation=\"start\" interval=\"0\" rc-code=\"0\" "
        "op-status=\"-1\" call-id=\"7\" transition-key=\"1:2:0:x\"/></lrm_resource>"
        "</lrm_resources></lrm></node_state>"
        "<node_state id=\"2\" uname=\"n2\"><lrm id=\"2\"><lrm_resources>"
        "<lrm_resource id=\"b\" type=\"vm\" class=\"ocf\" provider=\"vmha\">"
        "<lrm_rsc_op id=\"b_last_0\" operation=\"monitor\" interval=\"0\" rc-code=\"0\" "
        "op-status=\"0\" call-id=\"3\"/></lrm_resource>"
        "</lrm_resources></lrm></node_state>"
        "</status></cib>";

/* A round recorded through one index gives the document that recording the results one by
 * one gives (what every member of a mixed-version cluster must agree on), and the index
 * answers the lookups as the scans do. */
static void test_index_same_document(void **state)
{
    static const VmhaProbeResult results[] = {
            {"b", 7, VMHA_OP_STATUS_DONE, 10, 1700000100}, /* new here */
            {"a", 7, VMHA_OP_STATUS_DONE, 11, 1700000101}, /* the first of two records */
            {"a", 7, VMHA_OP_STATUS_DONE, 12, 1700000102}, /* unchanged now */
            {"c", 0, VMHA_OP_STATUS_DONE, 13, 1700000103}, /* ends the operation in flight */
            {"d", 7, VMHA_OP_STATUS_DONE, 14, 1700000104},
            {"b", 0, VMHA_OP_STATUS_DONE, 15, 1700000105}, /* changed again */
            {"d", 1, VMHA_OP_STATUS_TIMEOUT, 16, 1700000106},
    };
    static const char *const nodes[][2] = {{"1", "n1"}, {"2", "n2"}, {"3", "n3"}};
    xmlDoc *one = xmlReadMemory(indexed_cib, sizeof(indexed_cib) - 1, "t", NULL, 0);
    xmlDoc *batch = xmlReadMemory(indexed_cib, sizeof(indexed_cib) - 1, "t", NULL, 0);

    /* Lookups before any change. */
    g_autoptr(VmhaLrmIndex) n1 = vmha_lrm_index_new(testcib_status(batch), "1");
    xmlNode *ns1 = vmha_lrm_index_node_state(n1);
    assert_non_null(ns1);
    for (const char *const *rsc = (const char *const[]){"a", "b", "c", "d", NULL}; *rsc; rsc++) {
        assert_int_equal(vmha_lrm_index_has_history(n1, *rsc), vmha_lrm_has_history(ns1, *rsc));
        assert_ptr_equal(vmha_lrm_index_pending_op(n1, *rsc), vmha_lrm_pending_op(ns1, *rsc));
        assert_int_equal(vmha_lrm_index_state(n1, *rsc), vmha_lrm_state(ns1, *rsc));
    }
    assert_non_null(vmha_lrm_index_pending_op(n1, "c"));
    g_clear_pointer(&n1, vmha_lrm_index_free);

    for (size_t n = 0; n < G_N_ELEMENTS(nodes); n++) {
        g_autoptr(VmhaLrmIndex) idx = vmha_lrm_index_new(testcib_status(batch), nodes[n][0]);
        for (size_t i = 0; i < G_N_ELEMENTS(results); i++) {
            int a = vmha_lrm_record_probe(testcib_status(one), nodes[n][0], nodes[n][1],
                                          &results[i]);
            int b = vmha_lrm_index_record_probe(idx, nodes[n][1], &results[i]);
            assert_int_equal(a, b);
            assert_int_equal(vmha_lrm_index_probe_unchanged(idx, &results[i]), true);
        }
    }
    g_autofree char *x = testcib_dump(one), *y = testcib_dump(batch);
    assert_string_equal(x, y);
    /* Not vacuous: call ids went on from the highest (9) on n1 (b's first record, 10, was
     * replaced by its second, 14), and n3 was created. */
    assert_int_equal(count(one, "/cib/status/node_state[@id='1']//lrm_rsc_op[@id='a_last_0']"
                                "[@call-id='11']"),
                     1);
    assert_int_equal(count(one, "/cib/status/node_state[@id='1']//lrm_rsc_op[@call-id='14']"), 1);
    assert_int_equal(count(one, "/cib/status/node_state[@id='3'][@uname='n3']"), 1);

    /* Who runs what, indexed and scanned. */
    g_autoptr(GPtrArray) all = vmha_lrm_index_all(testcib_status(batch));
    assert_int_equal(all->len, 3);
    for (const char *const *rsc = (const char *const[]){"a", "b", "c", "d", "e", NULL}; *rsc; rsc++)
        for (int failed = 0; failed < 2; failed++) {
            g_auto(GStrv) scanned = vmha_lrm_running_on(testcib_status(batch), *rsc, failed);
            g_auto(GStrv) indexed = vmha_lrm_index_running_on(all, *rsc, failed);
            g_autofree char *s1 = g_strjoinv(",", scanned), *s2 = g_strjoinv(",", indexed);
            assert_string_equal(s1, s2);
        }
    g_auto(GStrv) b_on = vmha_lrm_index_running_on(all, "b", false);
    g_autofree char *b_joined = g_strjoinv(",", b_on);
    assert_string_equal(b_joined, "n1,n2,n3");
    xmlFreeDoc(one);
    xmlFreeDoc(batch);
}

/* A round of thousands of VMs goes out in several writes, each within what a write may carry
 * with the fields clusterd's sync adds, results in order, each with its writeoff. */
static void test_probe_messages(void **state)
{
    enum { N = 5000, RESERVE = 8 };
    g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) writeoffs = g_ptr_array_new_with_free_func(g_free);

    for (int i = 0; i < N; i++) {
        g_ptr_array_add(lines, g_strdup_printf("vm%04d 7 0 12 1700000000", i));
        g_ptr_array_add(writeoffs, i % 7 == 0 ? g_strdup_printf("writeoff=1:%d:0:x", i) : NULL);
    }
    g_autoptr(GPtrArray) msgs = vmha_probe_messages((char *const *)lines->pdata,
                                                    (char *const *)writeoffs->pdata, N, RESERVE);
    assert_non_null(msgs);
    assert_true(msgs->len > 1);
    size_t next = 0;
    for (guint m = 0; m < msgs->len; m++) {
        VmhaMsg *msg = g_ptr_array_index(msgs, m);
        assert_int_equal(msg->type, VMHA_MSG_PROBE);
        assert_true(msg->fields->len + RESERVE <= VMHA_WIRE_MAX_FIELDS);
        /* What sync adds still fits, and the message encodes. */
        for (int k = 0; k < RESERVE; k++)
            assert_int_equal(vmha_msg_add_u64(msg, VMHA_F_REQ_ID, 1), 0);
        g_autofree uint8_t *buf = NULL;
        size_t len = 0;
        assert_int_equal(vmha_msg_encode(msg, &buf, &len), 0);
        for (guint f = 0; f < msg->fields->len - RESERVE; f++) {
            const VmhaWireField *field = g_ptr_array_index(msg->fields, f);
            if (field->tag == VMHA_F_KV) {
                assert_non_null(g_ptr_array_index(writeoffs, next - 1));
                assert_string_equal((const char *)field->data,
                                    g_ptr_array_index(writeoffs, next - 1));
                continue;
            }
            assert_int_equal(field->tag, VMHA_F_PROBE);
            assert_string_equal((const char *)field->data, g_ptr_array_index(lines, next));
            next++;
        }
    }
    assert_int_equal(next, N);
    g_autoptr(GPtrArray) none = vmha_probe_messages(NULL, NULL, 0, RESERVE);
    assert_int_equal(none->len, 0);
    /* One result larger than a write may carry: none. */
    g_autofree char *huge = g_malloc(VMHA_WIRE_MAX_SIZE + 1);
    memset(huge, 'x', VMHA_WIRE_MAX_SIZE);
    huge[VMHA_WIRE_MAX_SIZE] = '\0';
    char *one[] = {huge};
    assert_null(vmha_probe_messages(one, NULL, 1, RESERVE));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_record_new, setup, teardown),
            cmocka_unit_test_setup_teardown(test_replace_older, setup, teardown),
            cmocka_unit_test_setup_teardown(test_two_nodes, setup, teardown),
            cmocka_unit_test(test_wire_form),
            cmocka_unit_test(test_action_and_result_wire),
            cmocka_unit_test_setup_teardown(test_pending_then_result, setup, teardown),
            cmocka_unit_test_setup_teardown(test_failures_counted, setup, teardown),
            cmocka_unit_test_setup_teardown(test_result_predating_fence, setup, teardown),
            cmocka_unit_test_setup_teardown(test_migrate_hand_over, setup, teardown),
            cmocka_unit_test_setup_teardown(test_migrate_failed_keeps_running, setup, teardown),
            cmocka_unit_test_setup_teardown(test_mark_down_if_idle, setup, teardown),
            cmocka_unit_test_setup_teardown(test_fencing_records, setup, teardown),
            cmocka_unit_test(test_index_same_document),
            cmocka_unit_test(test_probe_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
