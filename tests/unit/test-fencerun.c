/* Unit tests of lib/fencerun.c: one fencing's steps. The rule that matters above all: a node's
 * VMs may start elsewhere once its fence is recorded, and the record is written only after the
 * device confirmed the node OFF; a reboot's power-on comes only after the record. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "fencerun.h"

/* A reboot: off, record, then on; fenced from the confirmed off on. */
static void test_reboot_is_off_record_on(void **state)
{
    VmhaFenceRun r;

    vmha_fence_run_init(&r, "reboot", NULL);
    assert_string_equal(r.fence_action, "off");
    assert_true(r.power_on_after);
    assert_false(vmha_fence_run_confirmed(&r));
    assert_int_equal(vmha_fence_run_step(&r, VMHA_FENCE_EV_START), VMHA_FENCE_DO_RUN_FENCE);
    assert_true(vmha_fence_run_busy(&r));
    assert_false(vmha_fence_run_confirmed(&r));
    /* Nothing is recorded and nothing powered on before the off is confirmed. */
    assert_int_equal(vmha_fence_run_step(&r, VMHA_FENCE_EV_RECORDED), VMHA_FENCE_DO_NOTHING);
    assert_false(vmha_fence_run_confirmed(&r));
    assert_int_equal(vmha_fence_run_step(&r, VMHA_FENCE_EV_AGENT_OK), VMHA_FENCE_DO_RECORD_FENCED);
    assert_true(vmha_fence_run_confirmed(&r));
    assert_false(vmha_fence_run_busy(&r));
    assert_int_equal(vmha_fence_run_step(&r, VMHA_FENCE_EV_RECORDED), VMHA_FENCE_DO_POWER_ON);
    assert_true(vmha_fence_run_busy(&r));
    assert_true(vmha_fence_run_confirmed(&r));
    assert_int_equal(vmha_fence_run_step(&r, VMHA_FENCE_EV_AGENT_OK), VMHA_FENCE_DO_NOTHING);
    assert_int_equal(r.state, VMHA_FENCE_RUN_DONE);
    assert_true(vmha_fence_run_confirmed(&r));
    assert_false(vmha_fence_run_busy(&r));
    /* Done is done: a second record, or a stray start, changes nothing. */
    assert_int_equal(vmha_fence_run_step(&r, VMHA_FENCE_EV_RECORDED), VMHA_FENCE_DO_NOTHING);
    assert_int_equal(vmha_fence_run_step(&r, VMHA_FENCE_EV_START), VMHA_FENCE_DO_NOTHING);
    assert_int_equal(r.state, VMHA_FENCE_RUN_DONE);
}

/* NULL (the property unset) and anything but "off" mean reboot, as in leader.c. */
static void test_default_is_reboot(void **state)
{
    VmhaFenceRun r;

    vmha_fence_run_init(&r, NULL, NULL);
    assert_string_equal(r.fence_action, "off");
    assert_true(r.power_on_after);
    vmha_fence_run_init(&r, "reboot", "reboot");
    assert_string_equal(r.fence_action, "off");
    assert_true(r.power_on_after);
}

/* A failed power-on leaves the node fenced (off), done, not fenced again. */
static void test_power_on_failure_still_fenced(void **state)
{
    VmhaFenceRun r;

    vmha_fence_run_init(&r, NULL, NULL);
    vmha_fence_run_step(&r, VMHA_FENCE_EV_START);
    vmha_fence_run_step(&r, VMHA_FENCE_EV_AGENT_OK);
    vmha_fence_run_step(&r, VMHA_FENCE_EV_RECORDED);
    assert_int_equal(vmha_fence_run_step(&r, VMHA_FENCE_EV_AGENT_ERR), VMHA_FENCE_DO_NOTHING);
    assert_int_equal(r.state, VMHA_FENCE_RUN_DONE);
    assert_true(vmha_fence_run_confirmed(&r));
}

/* A failed off is recorded as a failure and never counts as fenced; the next attempt starts over.
 */
static void test_failed_off_not_fenced(void **state)
{
    VmhaFenceRun r;

    vmha_fence_run_init(&r, "reboot", NULL);
    vmha_fence_run_step(&r, VMHA_FENCE_EV_START);
    assert_int_equal(vmha_fence_run_step(&r, VMHA_FENCE_EV_AGENT_ERR),
                     VMHA_FENCE_DO_RECORD_FAILURE);
    assert_int_equal(r.state, VMHA_FENCE_RUN_IDLE);
    assert_false(vmha_fence_run_confirmed(&r));
    /* The failure's record coming back powers nothing on. */
    assert_int_equal(vmha_fence_run_step(&r, VMHA_FENCE_EV_RECORDED), VMHA_FENCE_DO_NOTHING);
    assert_false(vmha_fence_run_confirmed(&r));
    assert_int_equal(vmha_fence_run_step(&r, VMHA_FENCE_EV_START), VMHA_FENCE_DO_RUN_FENCE);
    assert_int_equal(vmha_fence_run_step(&r, VMHA_FENCE_EV_AGENT_OK), VMHA_FENCE_DO_RECORD_FENCED);
    assert_true(vmha_fence_run_confirmed(&r));
}

/* stonith-action=off: off, record, nothing more. */
static void test_off_stays_off(void **state)
{
    VmhaFenceRun r;

    vmha_fence_run_init(&r, "off", NULL);
    assert_string_equal(r.fence_action, "off");
    assert_false(r.power_on_after);
    vmha_fence_run_step(&r, VMHA_FENCE_EV_START);
    assert_int_equal(vmha_fence_run_step(&r, VMHA_FENCE_EV_AGENT_OK), VMHA_FENCE_DO_RECORD_FENCED);
    assert_int_equal(vmha_fence_run_step(&r, VMHA_FENCE_EV_RECORDED), VMHA_FENCE_DO_NOTHING);
    assert_int_equal(r.state, VMHA_FENCE_RUN_DONE);
    assert_false(vmha_fence_run_busy(&r));
    /* pcmk_reboot_action does not apply to an off. */
    vmha_fence_run_init(&r, "off", "cycle");
    assert_string_equal(r.fence_action, "off");
    assert_false(r.power_on_after);
    /* Pacemaker's older name for off. */
    vmha_fence_run_init(&r, "poweroff", NULL);
    assert_string_equal(r.fence_action, "off");
    assert_false(r.power_on_after);
}

/* A device whose pcmk_reboot_action names its own action runs it whole: recorded after it. */
static void test_device_reboot_action_whole(void **state)
{
    VmhaFenceRun r;

    vmha_fence_run_init(&r, "reboot", "cycle");
    assert_string_equal(r.fence_action, "cycle");
    assert_false(r.power_on_after);
    vmha_fence_run_step(&r, VMHA_FENCE_EV_START);
    assert_false(vmha_fence_run_confirmed(&r));
    assert_int_equal(vmha_fence_run_step(&r, VMHA_FENCE_EV_AGENT_OK), VMHA_FENCE_DO_RECORD_FENCED);
    assert_int_equal(vmha_fence_run_step(&r, VMHA_FENCE_EV_RECORDED), VMHA_FENCE_DO_NOTHING);
    assert_int_equal(r.state, VMHA_FENCE_RUN_DONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_reboot_is_off_record_on),
            cmocka_unit_test(test_default_is_reboot),
            cmocka_unit_test(test_power_on_failure_still_fenced),
            cmocka_unit_test(test_failed_off_not_fenced),
            cmocka_unit_test(test_off_stays_off),
            cmocka_unit_test(test_device_reboot_action_whole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
