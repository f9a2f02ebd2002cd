/* Numbers as Pacemaker 2.1 reads them. See pcmknum.h. */
#include "pcmknum.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define INF VMHA_PCMK_INFINITY

/* Pacemaker's scan_ll(): strtoll in base 10; no digits: the default; overflow: clipped, which
 * pcmk__scan_ll() (keep_clipped false) replaces by the default. */
static long long scan_ll_full(const char *s, long long default_value, bool keep_clipped,
                              VmhaPcmkNote *ret_note)
{
    char *end = NULL;
    VmhaPcmkNote note = NULL;

    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno == ERANGE) {
        note = keep_clipped ? "an integer too large (clipped)"
                            : "an integer too large (read as the default)";
        if (!keep_clipped)
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

static long long scan_ll(const char *s, long long default_value, VmhaPcmkNote *ret_note)
{
    return scan_ll_full(s, default_value, false, ret_note);
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

long long vmha_pcmk_msec(const char *s)
{
    static const char blanks[] = " \t\n\r\f";
    long long multiplier = 1000, divisor = 1;

    if (!s)
        return -1;
    const char *num = s + strspn(s, blanks);
    size_t len = strspn(num, "0123456789.");
    if (len < 1)
        return -1;
    const char *units = num + len;
    units += strspn(units, blanks);
    if (g_ascii_strncasecmp(units, "ms", 2) == 0) {
        multiplier = 1;
    } else if (g_ascii_strncasecmp(units, "us", 2) == 0) {
        multiplier = 1;
        divisor = 1000;
    } else if (g_ascii_strncasecmp(units, "s", 1) == 0) {
        multiplier = 1000;
    } else if (g_ascii_strncasecmp(units, "m", 1) == 0) {
        multiplier = 60 * 1000;
    } else if (g_ascii_strncasecmp(units, "h", 1) == 0) {
        multiplier = 60 * 60 * 1000;
    } else if (*units != '\0' && *units != '\n' && *units != '\r') {
        return -1;
    }
    /* Only the integer part of the number counts ("1.5s" is 1 s); "." alone reads as -1. */
    long long v = scan_ll_full(num, -1, true, NULL);
    if (v < 0)
        return -1;
    if (v > LLONG_MAX / multiplier)
        return LLONG_MAX;
    return v * multiplier / divisor;
}

static bool leap_year(long long y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* crm_time_parse_duration() and crm_time_get_seconds() of Pacemaker 2.1.5, including their
 * counting of years and days one short ("P1D" is 0 s there). */
static long long iso8601_duration_s(const char *s, VmhaPcmkNote *ret_note)
{
    long long years = 0, months = 0, days = 0, seconds = 0;
    bool is_time = false;

    if (s[1] == '\0' || g_ascii_isspace(s[1]))
        return -1;
    for (const char *p = s + 1; *p && *p != '/' && !g_ascii_isspace(*p); p++) {
        if (*p == 'T') {
            is_time = true;
            continue;
        }
        if (!g_ascii_isdigit(*p))
            return -1;
        long long n = 0;
        while (g_ascii_isdigit(*p) && n < INT_MAX)
            n = n * 10 + (*p++ - '0');
        switch (*p) {
        case 'Y':
            years = n;
            break;
        case 'M':
            if (is_time)
                seconds += n * 60;
            else
                months = n;
            break;
        case 'W':
            days += n * 7;
            break;
        case 'D':
            days += n;
            break;
        case 'H':
            seconds += n * 3600;
            break;
        case 'S':
            seconds += n;
            break;
        default:
            return -1;
        }
    }
    long long total = 0;
    for (long long y = 1; y < years; y++)
        total += 86400LL * (leap_year(y) ? 366 : 365);
    if (months > 0)
        total += 86400LL * 30 * months;
    if (days > 0)
        total += 86400LL * (days - 1);
    total += seconds;
    if ((years > 0 || days > 0) && ret_note)
        *ret_note = "an ISO 8601 duration with years or days (Pacemaker 2.1 counts them one short)";
    return total;
}

long long vmha_pcmk_interval_ms(const char *s, VmhaPcmkNote *ret_note)
{
    long long ms;

    if (ret_note)
        *ret_note = NULL;
    if (!s)
        return 0;
    if (s[0] == 'P') {
        long long sec = iso8601_duration_s(s, ret_note);
        ms = sec < 0 ? -1 : (sec > LLONG_MAX / 1000 ? LLONG_MAX : sec * 1000);
    } else {
        ms = vmha_pcmk_msec(s);
    }
    if (ms < 0) {
        if (ret_note)
            *ret_note = "not a duration (read as 0)";
        return 0;
    }
    return ms >= G_MAXUINT ? G_MAXUINT : ms;
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
