/* Numbers as Pacemaker 2.1 reads them from a CIB.
 *
 * Pacemaker never refuses a number in an attribute value: "2.0" is 2 ("characters left over"),
 * "-inf" is 0 ("no digits found"), an integer too large for a long long is the default. A CIB
 * that Pacemaker plans must plan the same here, so these functions return exactly what
 * Pacemaker's own parsers return (char2score, pcmk__scan_ll, pcmk__scan_min_int,
 * crm_str_to_boolean in Pacemaker 2.1.5), and say when Pacemaker would have logged a warning
 * about the text, so that the loader can warn as well (model->warnings). Durations
 * (crm_get_msec, crm_parse_interval_spec) are duration.h's.
 * Pure; no locale (only ASCII digits and signs, as strtoll in the C locale). */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* Pacemaker's INFINITY: scores saturate here. */
#define VMHA_PCMK_INFINITY 1000000

/* Why a value was read with a complaint: NULL when Pacemaker reads it silently. The strings are
 * static. */
typedef const char *VmhaPcmkNote;

/* char2score(): "INFINITY", "+INFINITY", "-INFINITY" (exactly, case-sensitive), else the leading
 * integer clamped to +-INFINITY; no digits or an integer overflow: 0. NULL: 0. */
int vmha_pcmk_score(const char *s, VmhaPcmkNote *ret_note);

/* Whether s is a score the CIB schema (score.rng) allows: an xsd:integer or one of the three
 * INFINITY spellings. Constraint scores are schema-validated, so Pacemaker refuses others. */
bool vmha_pcmk_score_valid(const char *s);

/* pcmk__scan_ll(): the leading integer; no digits, or overflow: default_value. */
long long vmha_pcmk_scan_ll(const char *s, long long default_value, VmhaPcmkNote *ret_note);

/* pcmk__scan_min_int(): as vmha_pcmk_scan_ll with `minimum` as the default and the floor,
 * clipped to INT_MAX. Utilization values are read this way with minimum INT_MIN (then an
 * unreadable value is 0). */
int vmha_pcmk_utilization(const char *s, VmhaPcmkNote *ret_note);

/* crm_str_to_boolean(): true, on, yes, y, 1 / false, off, no, n, 0 (case-insensitive).
 * Returns -1 when s is none of these (Pacemaker's crm_is_true then means false). */
int vmha_pcmk_boolean(const char *s, bool *ret);
