/* Durations: the one reader of every duration vmha reads from a CIB, a command line or an agent
 * parameter (timeouts, intervals, failure-timeout, self-fencing times), in Pacemaker's syntax.
 *
 * Pacemaker reads a duration (crm_get_msec() in 2.1.5) as "[blanks]NUMBER[blanks][UNIT]":
 * NUMBER is digits and dots of which only the integer part counts ("1.5s" is 1 s), UNIT
 * (case-insensitive) is matched by its first letters in the order ms/msec, us/usec, s/sec,
 * m/min, h/hr ("2 minutes" is 2 min, "5sx" is 5 s), no unit means seconds, anything after the
 * unit is ignored. An interval (crm_parse_interval_spec()) may also be an ISO 8601 duration
 * ("PT1M30S"). Values vmha reads to plan what Pacemaker would plan must be read exactly that way
 * (VMHA_DURATION_PCMK_*); values vmha checks itself (vmctl's input, the agent's parameters,
 * vmha's own properties) accept only the text that every reader, Pacemaker included, reads as
 * it is written (VMHA_DURATION_EXACT).
 *
 * Pure: no locale (ASCII digits and blanks only), no clock. */
#pragma once

#include <glib.h>
#include <stdint.h>

typedef enum {
    /* "[blanks]DIGITS[blanks][UNIT][blanks]", UNIT one of ms, msec, s, sec, m, min, h, hr (any
     * case) or none (seconds). Everything accepted reads the same as with
     * VMHA_DURATION_PCMK_MSEC; no sign, fraction, other unit, ISO 8601 or overflow. */
    VMHA_DURATION_EXACT,
    /* As Pacemaker's crm_get_msec(): whatever it reads, as it reads it; a value beyond
     * INT64_MAX ms is INT64_MAX. */
    VMHA_DURATION_PCMK_MSEC,
    /* As Pacemaker's crm_parse_interval_spec(): VMHA_DURATION_PCMK_MSEC or an ISO 8601
     * duration ("P1DT2H", "PT90S", "P2W"), at most G_MAXUINT ms. Years and months count as 365
     * and 30 days, and years and days one short as Pacemaker 2.1.5 counts them (with a note). */
    VMHA_DURATION_PCMK_INTERVAL,
} VmhaDurationSyntax;

/* Reads s as a duration in milliseconds. Returns 0 and stores it in *ret_ms, or -EINVAL when s
 * is not a duration in that syntax (Pacemaker's crm_get_msec() returns -1 for it, and
 * crm_parse_interval_spec() reads it as 0 with a warning), leaving *ret_ms untouched.
 * ret_note (may be NULL): set to a static string when Pacemaker reads the text but counts it
 * differently from what it says (see VMHA_DURATION_PCMK_INTERVAL), else NULL. */
int vmha_duration_parse(const char *s, VmhaDurationSyntax syntax, int64_t *ret_ms,
                        const char **ret_note) G_GNUC_WARN_UNUSED_RESULT;
