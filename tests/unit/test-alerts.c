/* Alerts: reading <alerts>, events to alerts, the agent's environment (lib/alerts.h). Pure. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/parser.h>

#include "alerts.h"

static const char *env_get(char **env, const char *name)
{
    size_t len = strlen(name);
    const char *found = NULL;
    for (size_t i = 0; env[i]; i++)
        if (strncmp(env[i], name, len) == 0 && env[i][len] == '=')
            found = env[i] + len + 1; /* the last wins, as for execve */
    return found;
}

static const char *cib_text =
        "<cib><configuration><crm_config/><nodes/><resources/><constraints/>"
        "<alerts>"
        " <alert id=\"file\" path=\"/usr/share/pacemaker/alerts/alert_file.sh.sample\">"
        "  <meta_attributes id=\"file-meta\">"
        "   <nvpair id=\"file-meta-timeout\" name=\"timeout\" value=\"15s\"/>"
        "   <nvpair id=\"file-meta-ts\" name=\"timestamp-format\" value=\"%Y-%m-%d "
        "%H:%M:%S.%03N\"/>"
        "  </meta_attributes>"
        "  <instance_attributes id=\"file-inst\">"
        "   <nvpair id=\"file-inst-dbg\" name=\"debug_exec_order\" value=\"false\"/>"
        "  </instance_attributes>"
        "  <recipient id=\"file-r1\" value=\"/var/log/a.log\"/>"
        "  <recipient id=\"file-r2\" value=\"/var/log/b.log\">"
        "   <meta_attributes id=\"file-r2-meta\">"
        "    <nvpair id=\"file-r2-meta-timeout\" name=\"timeout\" value=\"2m\"/>"
        "   </meta_attributes>"
        "   <instance_attributes id=\"file-r2-inst\">"
        "    <nvpair id=\"file-r2-inst-dbg\" name=\"debug_exec_order\" value=\"true\"/>"
        "   </instance_attributes>"
        "  </recipient>"
        " </alert>"
        " <alert id=\"fence-only\" path=\"/usr/local/bin/page\">"
        "  <select><select_fencing/><select_nodes/></select>"
        "  <meta_attributes id=\"fo-meta\"><nvpair id=\"fo-en\" name=\"enabled\" value=\"false\"/>"
        "  </meta_attributes>"
        " </alert>"
        " <alert id=\"nopath\"/>"
        "</alerts></configuration><status/></cib>";

static void test_read(void **state)
{
    xmlDoc *doc = xmlReadMemory(cib_text, (int)strlen(cib_text), NULL, NULL, 0);
    g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) alerts = vmha_alerts_read(xmlDocGetRootElement(doc), warnings);

    assert_int_equal(alerts->len, 2);
    assert_int_equal(warnings->len, 1);
    assert_non_null(strstr(g_ptr_array_index(warnings, 0), "nopath"));

    VmhaAlert *a = g_ptr_array_index(alerts, 0);
    assert_string_equal(a->id, "file");
    assert_int_equal(a->timeout_ms, 15000);
    assert_string_equal(a->timestamp_format, "%Y-%m-%d %H:%M:%S.%03N");
    assert_int_equal(a->kinds, VMHA_ALERT_ALL);
    assert_true(a->enabled);
    assert_int_equal(a->recipients->len, 2);
    VmhaAlertRecipient *r1 = g_ptr_array_index(a->recipients, 0);
    VmhaAlertRecipient *r2 = g_ptr_array_index(a->recipients, 1);
    assert_string_equal(r1->value, "/var/log/a.log");
    assert_int_equal(r1->timeout_ms, 15000); /* inherited */
    assert_string_equal(r1->attrs[0], "debug_exec_order=false");
    assert_int_equal(r2->timeout_ms, 120000);
    assert_string_equal(r2->timestamp_format, "%Y-%m-%d %H:%M:%S.%03N");
    /* The recipient's own value replaces the alert's. */
    assert_int_equal(g_strv_length(r2->attrs), 1);
    assert_string_equal(r2->attrs[0], "debug_exec_order=true");

    VmhaAlert *b = g_ptr_array_index(alerts, 1);
    assert_int_equal(b->kinds, VMHA_ALERT_FENCING | VMHA_ALERT_NODE);
    assert_false(b->enabled);
    assert_int_equal(b->timeout_ms, VMHA_ALERT_DEFAULT_TIMEOUT_MS);
    assert_string_equal(b->timestamp_format, VMHA_ALERT_DEFAULT_TS_FORMAT);
    assert_int_equal(b->recipients->len, 0);

    /* The <alerts> element alone reads the same; a CIB without one has none. */
    g_autoptr(GPtrArray) none = vmha_alerts_read(NULL, NULL);
    assert_int_equal(none->len, 0);
    xmlFreeDoc(doc);
}

static void test_timestamp(void **state)
{
    /* 2026-12-07 08:09:10.123456 UTC */
    int64_t t = INT64_C(1796631750) * 1000000 + 123456;
    struct {
        const char *format, *want;
    } cases[] = {
            {"%H:%M:%S.%06N", "08:22:30.123456"},
            {"%H:%M:%S.%N", "08:22:30.123456000"},
            {"%3N", "123"},
            {"%1N|%%N", "1|%N"},
            {"%Y-%m-%d,%H:%M:%S.%01N", "2026-12-07,08:22:30.1"},
            {"", ""},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *s = vmha_alert_timestamp(cases[i].format, t);
        assert_string_equal(s, cases[i].want);
    }
}

static VmhaAlert *one_alert(const char *text)
{
    xmlDoc *doc = xmlReadMemory(text, (int)strlen(text), NULL, NULL, 0);
    GPtrArray *alerts = vmha_alerts_read(xmlDocGetRootElement(doc), NULL);
    VmhaAlert *a = g_ptr_array_steal_index(alerts, 0);
    g_ptr_array_free(alerts, TRUE);
    xmlFreeDoc(doc);
    return a;
}

static void test_resource_env(void **state)
{
    g_autoptr(VmhaAlert) a = one_alert(cib_text);
    VmhaEvent ev = {.seq = 77,
                    .time = 100,
                    .type = VMHA_EVENT_START,
                    .node = "n2",
                    .vm = "web1",
                    .result = "ok",
                    .duration_ms = 1234};
    VmhaAlertInfo info;

    assert_int_equal(vmha_alert_of_event(&ev, NULL, &info), 0);
    assert_int_equal(info.kind, VMHA_ALERT_RESOURCE);
    g_auto(GStrv) env = vmha_alert_env(&info, g_ptr_array_index(a->recipients, 0), a, 5,
                                       INT64_C(1796631750) * 1000000 + 42000, "2.1.5");
    assert_string_equal(env_get(env, "CRM_alert_kind"), "resource");
    assert_string_equal(env_get(env, "CRM_notify_kind"), "resource");
    assert_string_equal(env_get(env, "CRM_alert_version"), "2.1.5");
    assert_string_equal(env_get(env, "CRM_alert_recipient"), "/var/log/a.log");
    assert_string_equal(env_get(env, "CRM_alert_node_sequence"), "5");
    assert_string_equal(env_get(env, "CRM_alert_timestamp"), "2026-12-07 08:22:30.042");
    assert_string_equal(env_get(env, "CRM_alert_timestamp_epoch"), "1796631750");
    assert_string_equal(env_get(env, "CRM_alert_timestamp_usec"), "42000");
    assert_string_equal(env_get(env, "CRM_alert_node"), "n2");
    assert_string_equal(env_get(env, "CRM_alert_rsc"), "web1");
    assert_string_equal(env_get(env, "CRM_alert_task"), "start");
    assert_string_equal(env_get(env, "CRM_alert_interval"), "0");
    assert_string_equal(env_get(env, "CRM_alert_rc"), "0");
    assert_string_equal(env_get(env, "CRM_alert_target_rc"), "0");
    assert_string_equal(env_get(env, "CRM_alert_status"), "0");
    assert_string_equal(env_get(env, "CRM_alert_desc"), "ok");
    assert_string_equal(env_get(env, "CRM_alert_exec_time"), "1234");
    assert_string_equal(env_get(env, "CRM_alert_vmha_seq"), "77");
    assert_string_equal(env_get(env, "CRM_alert_vmha_event"), "start");
    assert_string_equal(env_get(env, "debug_exec_order"), "false");
    assert_string_equal(env_get(env, "PATH"), "/usr/sbin:/usr/bin:/sbin:/bin");
    assert_null(env_get(env, "CRM_alert_nodeid"));
    vmha_alert_info_clear(&info);

    /* A timed-out stop: the execution status speaks. */
    VmhaEvent stop = {.type = VMHA_EVENT_STOP,
                      .node = "n1",
                      .vm = "db",
                      .result = "failed (rc 1, op-status 2)",
                      .duration_ms = -1};
    assert_int_equal(vmha_alert_of_event(&stop, NULL, &info), 0);
    g_auto(GStrv) env2 = vmha_alert_env(&info, NULL, a, 6, 0, "2.1.5");
    assert_string_equal(env_get(env2, "CRM_alert_rc"), "1");
    assert_string_equal(env_get(env2, "CRM_alert_status"), "2");
    assert_string_equal(env_get(env2, "CRM_alert_desc"), "Timed Out");
    assert_null(env_get(env2, "CRM_alert_recipient")); /* no recipient: none, as Pacemaker */
    assert_null(env_get(env2, "CRM_alert_exec_time"));
    vmha_alert_info_clear(&info);

    /* A probe finding the VM stopped: monitor, interval 0, expecting 7. */
    VmhaEvent probe = {.type = VMHA_EVENT_PROBE, .node = "n1", .vm = "db", .result = "stopped"};
    assert_int_equal(vmha_alert_of_event(&probe, NULL, &info), 0);
    assert_string_equal(info.task, "monitor");
    assert_int_equal(info.rc, 7);
    assert_int_equal(info.target_rc, 7);
    assert_string_equal(info.desc, "not running");
    vmha_alert_info_clear(&info);

    VmhaEvent failed_mon = {.type = VMHA_EVENT_MONITOR_FAILED,
                            .node = "n1",
                            .vm = "db",
                            .result = "failed (rc 7, op-status 0)"};
    assert_int_equal(vmha_alert_of_event(&failed_mon, NULL, &info), 0);
    assert_string_equal(info.desc, "not running");
    assert_int_equal(info.target_rc, 0);
    vmha_alert_info_clear(&info);

    VmhaEvent mig = {.type = VMHA_EVENT_MIGRATE_FROM, .node = "n3", .vm = "db", .result = "ok"};
    assert_int_equal(vmha_alert_of_event(&mig, NULL, &info), 0);
    assert_string_equal(info.task, "migrate_from");
    vmha_alert_info_clear(&info);
}

static void test_node_and_fencing(void **state)
{
    g_autoptr(VmhaAlert) a = one_alert(cib_text);
    VmhaAlertInfo info;
    VmhaEvent lost = {.seq = 9, .type = VMHA_EVENT_NODE_LOST, .node = "n2"};

    assert_int_equal(vmha_alert_of_event(&lost, NULL, &info), 0);
    info.nodeid = 2;
    g_auto(GStrv) env = vmha_alert_env(&info, NULL, a, 1, 0, "2.1.5");
    assert_string_equal(env_get(env, "CRM_alert_kind"), "node");
    assert_string_equal(env_get(env, "CRM_alert_desc"), "lost");
    assert_string_equal(env_get(env, "CRM_alert_node"), "n2");
    assert_string_equal(env_get(env, "CRM_alert_nodeid"), "2");
    assert_null(env_get(env, "CRM_alert_rc"));
    assert_null(env_get(env, "CRM_alert_task"));
    vmha_alert_info_clear(&info);

    VmhaEvent done = {.type = VMHA_EVENT_FENCE_DONE,
                      .node = "n2",
                      .result = "ok",
                      .details = "fence-lab (off)",
                      .duration_ms = 800};
    assert_int_equal(vmha_alert_of_event(&done, NULL, &info), 0);
    g_auto(GStrv) env2 = vmha_alert_env(&info, NULL, a, 2, 0, "2.1.5");
    assert_string_equal(env_get(env2, "CRM_alert_kind"), "fencing");
    assert_string_equal(env_get(env2, "CRM_alert_task"), "off");
    assert_string_equal(env_get(env2, "CRM_alert_rc"), "0");
    assert_string_equal(env_get(env2, "CRM_alert_desc"), "Operation off of n2 by fence-lab: OK");
    vmha_alert_info_clear(&info);

    VmhaEvent failed = {.type = VMHA_EVENT_FENCE_FAILED,
                        .node = "n2",
                        .result = "failed",
                        .details = "agent timed out"};
    assert_int_equal(vmha_alert_of_event(&failed, "ipmi-n2 (reboot)", &info), 0);
    assert_string_equal(info.task, "reboot");
    assert_int_equal(info.rc, 1);
    assert_string_equal(info.desc, "Operation reboot of n2 by ipmi-n2: Error (agent timed out)");
    vmha_alert_info_clear(&info);

    VmhaEvent self = {.type = VMHA_EVENT_SELF_FENCED, .node = "n3", .result = "ok"};
    assert_int_equal(vmha_alert_of_event(&self, NULL, &info), 0);
    assert_int_equal(info.kind, VMHA_ALERT_FENCING);
    vmha_alert_info_clear(&info);

    /* No alert: what Pacemaker raises none for. */
    static const VmhaEventType silent[] = {VMHA_EVENT_MEMBERSHIP,    VMHA_EVENT_NODES,
                                           VMHA_EVENT_CONFIG,        VMHA_EVENT_FENCE_REQUESTED,
                                           VMHA_EVENT_FENCE_STARTED, VMHA_EVENT_PLANNED};
    for (size_t i = 0; i < G_N_ELEMENTS(silent); i++) {
        VmhaEvent ev = {.type = silent[i], .node = "n1", .vm = "x", .result = "ok"};
        assert_int_equal(vmha_alert_of_event(&ev, NULL, &info), -ENOENT);
    }
    /* Malformed results raise nothing rather than a wrong alert. */
    VmhaEvent odd = {.type = VMHA_EVENT_START, .node = "n1", .vm = "x", .result = "weird"};
    assert_int_equal(vmha_alert_of_event(&odd, NULL, &info), -ENOENT);
}

static void test_members_joined(void **state)
{
    VmhaEvent view = {.type = VMHA_EVENT_MEMBERSHIP, .details = "quorate view: n1, n2, n3"};
    g_auto(GStrv) members = NULL, members2 = NULL;
    g_auto(GStrv) first = vmha_alert_members_joined(&view, NULL, &members);

    assert_int_equal(g_strv_length(first), 0); /* the baseline */
    assert_int_equal(g_strv_length(members), 3);
    char *prev[] = {"n1", "n3", NULL};
    g_auto(GStrv) joined = vmha_alert_members_joined(&view, prev, &members2);
    assert_int_equal(g_strv_length(joined), 1);
    assert_string_equal(joined[0], "n2");

    VmhaAlertInfo info;
    vmha_alert_node_member("n2", 2, &view, &info);
    assert_string_equal(info.desc, "member");
    assert_int_equal(info.kind, VMHA_ALERT_NODE);
    vmha_alert_info_clear(&info);
}

static void test_names(void **state)
{
    assert_true(vmha_alert_id_valid("mail_1"));
    assert_false(vmha_alert_id_valid("1mail"));
    assert_false(vmha_alert_id_valid("a b"));
    assert_false(vmha_alert_id_valid(""));
    assert_true(vmha_alert_path_valid("/x/y.sh"));
    assert_false(vmha_alert_path_valid("y.sh"));
    VmhaAlertKind k;
    assert_int_equal(vmha_alert_kind_from_string("fencing", &k), 0);
    assert_int_equal(k, VMHA_ALERT_FENCING);
    assert_int_equal(vmha_alert_kind_from_string("attribute", &k), -EINVAL);
}

int main(void)
{
    setenv("TZ", "UTC", 1);
    tzset();
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_read),           cmocka_unit_test(test_timestamp),
            cmocka_unit_test(test_resource_env),   cmocka_unit_test(test_node_and_fencing),
            cmocka_unit_test(test_members_joined), cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
