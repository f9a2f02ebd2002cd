/* Durations in Pacemaker's syntax. See duration.h. */
#include "duration.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define BLANKS " \t\n\r\f" /* Pacemaker's WHITESPACE */

/* Units in the order crm_get_msec() tries them: the first whose letters start the unit text
 * wins ("msec" is ms, "min" is m). `exact` lists the spellings VMHA_DURATION_EXACT takes. */
static const struct {
    const char *prefix;
    long long multiplier, divisor;
    const char *exact[2];
} units[] = {
        {"ms", 1, 1, {"ms", "msec"}},
        {"us", 1, 1000, {NULL, NULL}}, /* rounds down to ms: never exact */
        {"s", 1000, 1, {"s", "sec"}},
        {"m", 60 * 1000, 1, {"m", "min"}},
        {"h", 60 * 60 * 1000, 1, {"h", "hr"}},
};

static bool unit_exact(const char *word, size_t len, size_t unit)
{
    for (size_t i = 0; i < G_N_ELEMENTS(units[unit].exact); i++) {
        const char *e = units[unit].exact[i];
        if (e && strlen(e) == len && g_ascii_strncasecmp(word, e, len) == 0)
            return true;
    }
    return false;
}

/* crm_get_msec(): the milliseconds Pacemaker reads, negative when not a duration. *ret_exact:
 * whether the text says exactly that (VMHA_DURATION_EXACT's grammar). */
static long long scan_msec(const char *s, bool *ret_exact)
{
    long long multiplier = 1000, divisor = 1;
    bool exact = true;

    const char *num = s + strspn(s, BLANKS);
    size_t len = strspn(num, "0123456789.");
    if (len < 1)
        return -1;
    if (memchr(num, '.', len))
        exact = false; /* only the integer part counts */
    const char *unit = num + len;
    unit += strspn(unit, BLANKS);
    size_t word = strcspn(unit, BLANKS);
    size_t u = 0;
    while (u < G_N_ELEMENTS(units) &&
           g_ascii_strncasecmp(unit, units[u].prefix, strlen(units[u].prefix)) != 0)
        u++;
    if (u < G_N_ELEMENTS(units)) {
        multiplier = units[u].multiplier;
        divisor = units[u].divisor;
        /* the unit word, then nothing but blanks */
        if (!unit_exact(unit, word, u) || unit[word + strspn(unit + word, BLANKS)] != '\0')
            exact = false;
    } else if (*unit != '\0') {
        return -1;
    }
    /* Pacemaker's arithmetic, quirks included: strtoll starts at a digit or a dot here; an
     * integer beyond LLONG_MAX is clipped (scan_ll() keeps it); no digits ("." alone) is -1,
     * multiplied like a number (negative, so not a duration, except "-1 us": 0 ms). */
    char *end = NULL;
    errno = 0;
    long long v = strtoll(num, &end, 10);
    if (end == num) {
        v = -1;
        exact = false;
    }
    if (errno == ERANGE || v > LLONG_MAX / multiplier)
        exact = false;
    *ret_exact = exact;
    if (v > LLONG_MAX / multiplier)
        return LLONG_MAX;
    return v * multiplier / divisor;
}

static bool leap_year(long long y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* crm_time_parse_duration() and crm_time_get_seconds() of Pacemaker 2.1.5, including their
 * counting of years and days one short ("P1D" is 0 s there). Seconds, or -1. */
static long long iso8601_seconds(const char *s, const char **ret_note)
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
    if (years > 0 || days > 0)
        *ret_note = "an ISO 8601 duration with years or days (Pacemaker 2.1 counts them one short)";
    return total;
}

int vmha_duration_parse(const char *s, VmhaDurationSyntax syntax, int64_t *ret_ms,
                        const char **ret_note)
{
    const char *note = NULL;
    bool exact = false;
    long long ms;

    if (ret_note)
        *ret_note = NULL;
    if (!s)
        return -EINVAL;
    if (syntax == VMHA_DURATION_PCMK_INTERVAL && s[0] == 'P') {
        long long sec = iso8601_seconds(s, &note);
        ms = sec < 0 ? -1 : (sec > LLONG_MAX / 1000 ? LLONG_MAX : sec * 1000);
    } else {
        ms = scan_msec(s, &exact);
    }
    if (ms < 0 || (syntax == VMHA_DURATION_EXACT && !exact))
        return -EINVAL;
    if (syntax == VMHA_DURATION_PCMK_INTERVAL && ms > G_MAXUINT)
        ms = G_MAXUINT; /* Pacemaker's guint */
    *ret_ms = ms;
    if (ret_note)
        *ret_note = note;
    return 0;
}
