/* clusterd's event dispatcher (clusterd/events.c): subscribers hear the events they asked for, in
 * the order they subscribed; messages go by type; a handler may publish in turn; unsubscribing
 * removes every subscription of a handler. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <glib.h>

#include "clusterd/events.h"

static GString *heard; /* "name:event " for every call */

static const char *event_name(const CdEvent *e)
{
    switch (e->type) {
    case CD_EVENT_CPG_VIEW:
        return "view";
    case CD_EVENT_NODELIST:
        return "nodelist";
    case CD_EVENT_QUORUM:
        return "quorum";
    case CD_EVENT_DISCONNECTED:
        return "disconnected";
    case CD_EVENT_MESSAGE:
        return vmha_msg_type_to_str(e->msg->type);
    case CD_EVENT_SYNCED:
        return "synced";
    case CD_EVENT_APPLIED:
        return "applied";
    case CD_EVENT_RECORDED:
        return "recorded";
    }
    return "?";
}

static void note(const char *who, const CdEvent *e)
{
    g_string_append_printf(heard, "%s:%s ", who, event_name(e));
}

static void on_a(const CdEvent *e, void *user_data)
{
    note(user_data, e);
}

static void on_b(const CdEvent *e, void *user_data)
{
    note("b", e);
}

/* Hears a write and publishes APPLIED, as sync.c does from inside a delivery. */
static void on_write(const CdEvent *e, void *user_data)
{
    note("w", e);
    cd_events_publish(&(CdEvent){.type = CD_EVENT_APPLIED, .msg = e->msg});
}

static int setup(void **state)
{
    heard = g_string_new(NULL);
    cd_events_init();
    return 0;
}

static int teardown(void **state)
{
    cd_events_finalise();
    g_string_free(heard, TRUE);
    return 0;
}

static void publish(CdEventType type, VmhaMsg *msg)
{
    cd_events_publish(&(CdEvent){.type = type, .msg = msg, .nodeid = 2, .pid = 9});
}

static void test_order_and_types(void **state)
{
    cd_events_subscribe(CD_EVENT_QUORUM, on_a, "a1");
    cd_events_subscribe(CD_EVENT_QUORUM, on_b, NULL);
    cd_events_subscribe(CD_EVENT_SYNCED, on_b, NULL);
    cd_events_subscribe(CD_EVENT_QUORUM, on_a, "a2");

    publish(CD_EVENT_QUORUM, NULL);
    assert_string_equal(heard->str, "a1:quorum b:quorum a2:quorum ");
    g_string_truncate(heard, 0);
    publish(CD_EVENT_SYNCED, NULL);
    publish(CD_EVENT_NODELIST, NULL); /* nobody asked */
    assert_string_equal(heard->str, "b:synced ");

    g_string_truncate(heard, 0);
    cd_events_unsubscribe(on_a); /* both of a's */
    publish(CD_EVENT_QUORUM, NULL);
    assert_string_equal(heard->str, "b:quorum ");
    cd_events_unsubscribe(on_b);
}

static void test_messages(void **state)
{
    g_autoptr(VmhaMsg) bump = vmha_msg_new(VMHA_MSG_BUMP);
    g_autoptr(VmhaMsg) exec = vmha_msg_new(VMHA_MSG_EXEC_REQUEST);
    g_autoptr(VmhaMsg) write = vmha_msg_new(VMHA_MSG_VM_ADD);
    g_autoptr(VmhaMsg) reply = vmha_msg_new(VMHA_MSG_REPLY);

    cd_events_subscribe_message(VMHA_MSG_BUMP, on_a, "sync");
    cd_events_subscribe_messages(vmha_msg_type_is_write, on_write, NULL);
    cd_events_subscribe_message(VMHA_MSG_EXEC_REQUEST, on_b, NULL);
    cd_events_subscribe(CD_EVENT_APPLIED, on_a, "probe");

    publish(CD_EVENT_MESSAGE, bump);
    publish(CD_EVENT_MESSAGE, exec);
    /* A handler publishes in turn: the nested event is heard before the outer one goes on. */
    publish(CD_EVENT_MESSAGE, write);
    /* Nobody takes it: logged and dropped. */
    publish(CD_EVENT_MESSAGE, reply);
    g_autofree char *want = g_strdup_printf(
            "sync:%s b:%s w:%s probe:applied ", vmha_msg_type_to_str(VMHA_MSG_BUMP),
            vmha_msg_type_to_str(VMHA_MSG_EXEC_REQUEST), vmha_msg_type_to_str(VMHA_MSG_VM_ADD));
    assert_string_equal(heard->str, want);

    cd_events_unsubscribe(on_a);
    cd_events_unsubscribe(on_b);
    cd_events_unsubscribe(on_write);
}

/* The CPG view reaches its subscribers with its members. */
static size_t seen_members;

static void on_view(const CdEvent *e, void *user_data)
{
    seen_members = e->n_members;
    assert_int_equal(e->members[1].nodeid, 3);
}

static void test_view(void **state)
{
    const CdCpgMember m[] = {{.nodeid = 1, .pid = 10}, {.nodeid = 3, .pid = 30}};

    cd_events_subscribe(CD_EVENT_CPG_VIEW, on_view, NULL);
    cd_events_publish(&(CdEvent){.type = CD_EVENT_CPG_VIEW, .members = m, .n_members = 2});
    assert_int_equal(seen_members, 2);
    cd_events_unsubscribe(on_view);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_order_and_types, setup, teardown),
            cmocka_unit_test_setup_teardown(test_messages, setup, teardown),
            cmocka_unit_test_setup_teardown(test_view, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
