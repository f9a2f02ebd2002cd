/* Numbers as Pacemaker 2.1 reads them. See pcmknum.h. */
#include "pcmknum.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define INF VMHA_PCMK_INFINITY

/* Pacemaker's pcmk__scan_ll(): strtoll in base 10; no digits, or overflow: the default. */
static long long scan_ll(const char *s, long long default_value, VmhaPcmkNote *ret_note)
{
    char *end = NULL;
    VmhaPcmkNote note = NULL;

    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno == ERANGE) {
        note = "an integer too large (read as the default)";
        v = default_value;
    } else if (end == s) {
        note = "no digits (read as the default)";
        v = default_value;
    } else if (*end != '\0') {
        note = "characters after the integer (ignored)";
    }
    if (ret_note)
        *ret_note = note;
    return v;
}

int vmha_pcmk_score(const char *s, VmhaPcmkNote *ret_note)
{
    if (ret_note)
        *ret_note = NULL;
    if (!s)
        return 0;
    if (strcmp(s, "-INFINITY") == 0)
        return -INF;
    if (strcmp(s, "INFINITY") == 0 || strcmp(s, "+INFINITY") == 0)
        return INF;
    /* "red", "yellow" and "green" are node-health colours, 0 unless node-health-strategy
     * says otherwise; vmha does not read that strategy. */
    if (g_ascii_strcasecmp(s, "red") == 0 || g_ascii_strcasecmp(s, "yellow") == 0 ||
        g_ascii_strcasecmp(s, "green") == 0)
        return 0;
    long long v = scan_ll(s, 0, ret_note);
    if (v > INF)
        return INF;
    if (v < -INF)
        return -INF;
    return (int)v;
}

bool vmha_pcmk_score_valid(const char *s)
{
    if (!s || !*s)
        return false;
    if (strcmp(s, "INFINITY") == 0 || strcmp(s, "+INFINITY") == 0 || strcmp(s, "-INFINITY") == 0)
        return true;
    /* xsd:integer: an optional sign and at least one digit (libxml2 also allows surrounding
     * blanks, which a CIB attribute never needs). */
    const char *p = s + (*s == '+' || *s == '-');
    if (!*p)
        return false;
    for (; *p; p++)
        if (!g_ascii_isdigit(*p))
            return false;
    return true;
}

long long vmha_pcmk_scan_ll(const char *s, long long default_value, VmhaPcmkNote *ret_note)
{
    if (ret_note)
        *ret_note = NULL;
    return s ? scan_ll(s, default_value, ret_note) : default_value;
}

int vmha_pcmk_utilization(const char *s, VmhaPcmkNote *ret_note)
{
    VmhaPcmkNote note = NULL;
    long long v = vmha_pcmk_scan_ll(s, INT_MIN, &note);

    /* pcmk__scan_min_int() with INT_MIN reports EINVAL only for text without digits, and
     * utilization_value() reads that as 0. */
    if (note && strncmp(note, "no digits", 9) == 0)
        v = 0;
    if (v > INT_MAX)
        v = INT_MAX;
    if (ret_note)
        *ret_note = note;
    return (int)v;
}

int vmha_pcmk_boolean(const char *s, bool *ret)
{
    static const char *const yes[] = {"true", "on", "yes", "y", "1"};
    static const char *const no[] = {"false", "off", "no", "n", "0"};

    if (!s)
        return -1;
    for (size_t i = 0; i < G_N_ELEMENTS(yes); i++) {
        if (g_ascii_strcasecmp(s, yes[i]) == 0) {
            *ret = true;
            return 0;
        }
        if (g_ascii_strcasecmp(s, no[i]) == 0) {
            *ret = false;
            return 0;
        }
    }
    return -1;
}
