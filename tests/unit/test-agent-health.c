/* resource-agents/health: the guest health check's decisions (console heartbeat, guest-agent
 * ping), its state between monitor runs, and what it reads from a domain definition. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "health.h"

#define S       G_USEC_PER_SEC
#define TIMEOUT (30 * S)

typedef struct {
    VmHealthMode mode;
    VmHealthState st;
    bool have;
} Checker;

/* One monitor run at @now: returns whether healthy, keeps the state like the agent does. */
static bool look(Checker *c, const char *instance, int64_t now, int64_t size, bool answered,
                 bool paused, char **ret_reason)
{
    VmHealthObservation o = {.instance = instance,
                             .now_us = now,
                             .paused = paused,
                             .agent_answered = answered,
                             .console_size = size};
    VmHealthState next = {0};
    g_autofree char *reason = NULL;
    bool ok = vm_health_judge(c->mode, c->have ? &c->st : NULL, &o, TIMEOUT, &next, &reason);

    /* Through the file format, as between two agent processes. */
    g_autofree char *text = vm_health_state_format(&next);
    vm_health_state_clear(&next);
    vm_health_state_clear(&c->st);
    assert_int_equal(vm_health_state_parse(text, strlen(text), &c->st), 0);
    c->have = true;
    assert_true(ok == (reason == NULL));
    if (ret_reason)
        *ret_reason = g_steal_pointer(&reason);
    return ok;
}

static void test_console(void **state)
{
    Checker c = {.mode = VM_HEALTH_CONSOLE};
    g_autofree char *why = NULL;

    /* The first look only starts the clock; growth arms it. */
    assert_true(look(&c, "1 u", 0, 100, false, false, NULL));
    assert_false(c.st.armed);
    assert_true(look(&c, "1 u", 10 * S, 200, false, false, NULL));
    assert_true(c.st.armed);
    /* Silent, but not for the timeout yet. */
    assert_true(look(&c, "1 u", 39 * S, 200, false, false, NULL));
    assert_false(look(&c, "1 u", 40 * S, 200, false, false, &why));
    assert_string_equal(why, "guest hung: its console log has not grown for 30 s");
    assert_true(c.st.failed);
    /* A new run of the domain (restarted) starts over, unarmed. */
    assert_true(look(&c, "2 u", 41 * S, 200, false, false, NULL));
    assert_false(c.st.armed);
    assert_false(c.st.failed);
    assert_true(look(&c, "2 u", 100 * S, 200, false, false, NULL));
    /* A log that shrank (rotated) is a sign of life too. */
    assert_true(look(&c, "2 u", 101 * S, 50, false, false, NULL));
    assert_true(c.st.armed);
    vm_health_state_clear(&c.st);
}

static void test_console_never_armed(void **state)
{
    Checker c = {.mode = VM_HEALTH_CONSOLE};

    /* A guest that never writes to its console is never judged. */
    for (int64_t t = 0; t < 600; t += 10)
        assert_true(look(&c, "7 u", t * S, 0, false, false, NULL));
    assert_false(c.st.armed);
    vm_health_state_clear(&c.st);
}

static void test_console_unreadable(void **state)
{
    Checker c = {.mode = VM_HEALTH_CONSOLE};
    g_autofree char *why = NULL;

    assert_true(look(&c, "1 u", 0, 10, false, false, NULL));
    assert_true(look(&c, "1 u", S, 20, false, false, NULL));
    assert_true(look(&c, "1 u", 20 * S, -1, false, false, NULL));
    assert_false(look(&c, "1 u", 31 * S, -1, false, false, &why));
    assert_non_null(strstr(why, "cannot be read"));
    vm_health_state_clear(&c.st);
}

static void test_paused(void **state)
{
    Checker c = {.mode = VM_HEALTH_CONSOLE};

    assert_true(look(&c, "1 u", 0, 10, false, false, NULL));
    assert_true(look(&c, "1 u", S, 20, false, false, NULL));
    /* Paused (a save, a user) for long: silence is expected, the clock stops. */
    assert_true(look(&c, "1 u", 100 * S, 20, false, true, NULL));
    assert_true(look(&c, "1 u", 129 * S, 20, false, false, NULL));
    assert_false(look(&c, "1 u", 130 * S, 20, false, false, NULL));
    vm_health_state_clear(&c.st);
}

static void test_guest_agent(void **state)
{
    Checker c = {.mode = VM_HEALTH_GUEST_AGENT};
    g_autofree char *why = NULL;

    /* No agent yet (booting, or none installed): not judged. */
    assert_true(look(&c, "3 u", 0, -1, false, false, NULL));
    assert_true(look(&c, "3 u", 100 * S, -1, false, false, NULL));
    assert_false(c.st.armed);
    /* The first answer arms it. */
    assert_true(look(&c, "3 u", 101 * S, -1, true, false, NULL));
    assert_true(c.st.armed);
    assert_true(look(&c, "3 u", 130 * S, -1, false, false, NULL));
    assert_false(look(&c, "3 u", 131 * S, -1, false, false, &why));
    assert_string_equal(why, "guest hung: the qemu guest agent has not answered a guest-ping "
                             "for 30 s");
    vm_health_state_clear(&c.st);
}

static void test_none(void **state)
{
    Checker c = {.mode = VM_HEALTH_NONE};

    assert_true(look(&c, "1 u", 0, 10, true, false, NULL));
    assert_true(look(&c, "1 u", 1000 * S, 10, false, false, NULL));
    vm_health_state_clear(&c.st);
}

static void test_state_parse(void **state)
{
    VmHealthState st = {0};

    assert_int_equal(vm_health_state_parse("", 0, &st), -1);
    static const char garbage[] = "[vmha-health]\ninstance=1 u\nlast-alive-us=x\n"
                                  "console-size=1\narmed=true\nfailed=false\n";
    assert_int_equal(vm_health_state_parse(garbage, sizeof(garbage) - 1, &st), -1);
    static const char missing[] = "[vmha-health]\ninstance=1 u\nlast-alive-us=5\n"
                                  "console-size=1\narmed=true\n";
    assert_int_equal(vm_health_state_parse(missing, sizeof(missing) - 1, &st), -1);
}

static void test_mode_and_xml(void **state)
{
    VmHealthMode m;

    assert_int_equal(vm_health_mode_parse("console", &m), 0);
    assert_int_equal(m, VM_HEALTH_CONSOLE);
    assert_int_equal(vm_health_mode_parse("guest-agent", &m), 0);
    assert_int_equal(m, VM_HEALTH_GUEST_AGENT);
    assert_int_equal(vm_health_mode_parse(NULL, &m), 0);
    assert_int_equal(m, VM_HEALTH_NONE);
    assert_int_equal(vm_health_mode_parse("ping", &m), -1);

    static const char file_serial[] =
            "<domain><devices><serial type='pty'><target port='0'/></serial>"
            "<serial type='file'><source path='/shared/g1/serial.log' append='on'/></serial>"
            "</devices></domain>";
    g_autofree char *p1 = vm_health_console_log(file_serial, strlen(file_serial));
    assert_string_equal(p1, "/shared/g1/serial.log");
    static const char logged[] =
            "<domain><devices><serial type='pty'><log file='/var/log/g1.log' append='on'/>"
            "</serial></devices></domain>";
    g_autofree char *p2 = vm_health_console_log(logged, strlen(logged));
    assert_string_equal(p2, "/var/log/g1.log");
    static const char none[] = "<domain><devices><serial type='pty'/></devices></domain>";
    assert_null(vm_health_console_log(none, strlen(none)));
    assert_null(vm_health_console_log("<not xml", 8));
    assert_false(vm_health_has_agent_channel(logged, strlen(logged)));
    static const char agent[] = "<domain><devices><channel type='unix'><target type='virtio' "
                                "name='org.qemu.guest_agent.0'/></channel></devices></domain>";
    assert_true(vm_health_has_agent_channel(agent, strlen(agent)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_console),
            cmocka_unit_test(test_console_never_armed),
            cmocka_unit_test(test_console_unreadable),
            cmocka_unit_test(test_paused),
            cmocka_unit_test(test_guest_agent),
            cmocka_unit_test(test_none),
            cmocka_unit_test(test_state_parse),
            cmocka_unit_test(test_mode_and_xml),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
