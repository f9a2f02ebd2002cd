/* lib/duration: one table of texts, each read in the three syntaxes, and the Pacemaker readings
 * checked against Pacemaker's own crm_get_msec() and crm_parse_interval_spec() (libcrmcommon,
 * the version crm_simulate plans with), on the table and on seeded random texts. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <crm/common/util.h>

#include "duration.h"

#define NO (-1) /* refused: -EINVAL */

/* assert_int_equal naming the text that failed */
#define EXPECT(text, got, want)                                                                    \
    do {                                                                                           \
        long long got_ = (long long)(got), want_ = (long long)(want);                              \
        if (got_ != want_)                                                                         \
            fail_msg("'%s': %lld, expected %lld", (text), got_, want_);                            \
    } while (0)

static const struct {
    const char *text;
    int64_t exact, msec, interval; /* ms, or NO */
    bool note;                     /* VMHA_DURATION_PCMK_INTERVAL gives a note */
} cases[] = {
        /* written as read: every syntax agrees */
        {"90", 90000, 90000, 90000, false},
        {"90s", 90000, 90000, 90000, false},
        {"90 s", 90000, 90000, 90000, false},
        {" 90\ts\n", 90000, 90000, 90000, false},
        {"90sec", 90000, 90000, 90000, false},
        {"90SEC", 90000, 90000, 90000, false},
        {"500ms", 500, 500, 500, false},
        {"500msec", 500, 500, 500, false},
        {"1500MS", 1500, 1500, 1500, false},
        {"2m", 120000, 120000, 120000, false},
        {"2min", 120000, 120000, 120000, false},
        {"3h", 3 * 3600000LL, 3 * 3600000LL, 3 * 3600000LL, false},
        {"1hr", 3600000, 3600000, 3600000, false},
        {"0", 0, 0, 0, false},
        {"007s", 7000, 7000, 7000, false},
        {"9223372036854775807ms", INT64_MAX, INT64_MAX, G_MAXUINT, false},
        /* read by Pacemaker, not as written: refused where vmha checks the value itself */
        {"1.5s", NO, 1000, 1000, false}, /* only the integer part counts */
        {"5.", NO, 5000, 5000, false},
        {"1.2.3", NO, 1000, 1000, false},
        {"2 minutes", NO, 120000, 120000, false}, /* the first letters choose the unit */
        {"5sx", NO, 5000, 5000, false},
        {"10 s later", NO, 10000, 10000, false},
        {"1500us", NO, 1, 1, false}, /* rounded down */
        {"1500usec", NO, 1, 1, false},
        {"99999999999999999999", NO, INT64_MAX, G_MAXUINT, false}, /* clipped */
        {"9223372036854775807", NO, INT64_MAX, G_MAXUINT, false},  /* seconds: overflow */
        {"99999999999999999999us", NO, INT64_MAX / 1000, G_MAXUINT, false},
        {"PT1M30S", NO, NO, 90000, false},
        {"P1D", NO, NO, 0, true}, /* Pacemaker 2.1 counts days one short */
        {"P2DT1H", NO, NO, (86400 + 3600) * 1000LL, true},
        {"P2W", NO, NO, 13 * 86400 * 1000LL, true},
        {"PT5S", NO, NO, 5000, false},
        {"P5S", NO, NO, 5000, false}, /* no T, yet Pacemaker reads it */
        {"P1Y", NO, NO, 0, true},
        {"P1M", NO, NO, 30 * 86400 * 1000LL, false},
        {"P100D", NO, NO, G_MAXUINT, true}, /* 99 days: beyond a guint of ms */
        /* not a duration anywhere */
        {"", NO, NO, NO, false},
        {"   ", NO, NO, NO, false},
        {"s", NO, NO, NO, false},
        {".", NO, NO, NO, false},
        {".us", NO, 0, 0, false}, /* no digits is -1, and -1 us is 0 ms to Pacemaker */
        {".5s", NO, NO, NO, false},
        {"10x", NO, NO, NO, false},
        {"-5s", NO, NO, NO, false},
        {"+5", NO, NO, NO, false},
        {"100d", NO, NO, NO, false},
        {"soon", NO, NO, NO, false},
        {"P", NO, NO, NO, false},
        {"PxS", NO, NO, NO, false},
        {"P5X", NO, NO, NO, false},
};

static int64_t read_as(const char *text, VmhaDurationSyntax syntax, const char **ret_note)
{
    int64_t ms = -7;
    int r = vmha_duration_parse(text, syntax, &ms, ret_note);
    if (r < 0) {
        assert_int_equal(r, -EINVAL);
        assert_int_equal(ms, -7); /* untouched */
        return NO;
    }
    assert_int_equal(r, 0);
    assert_true(ms >= 0);
    return ms;
}

static void test_table(void **state)
{
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        const char *t = cases[i].text, *note = "unset";
        EXPECT(t, read_as(t, VMHA_DURATION_EXACT, &note), cases[i].exact);
        EXPECT(t, note != NULL, false);
        EXPECT(t, read_as(t, VMHA_DURATION_PCMK_MSEC, &note), cases[i].msec);
        EXPECT(t, note != NULL, false);
        EXPECT(t, read_as(t, VMHA_DURATION_PCMK_INTERVAL, &note), cases[i].interval);
        EXPECT(t, note != NULL, cases[i].note);
    }
    int64_t ms;
    assert_int_equal(vmha_duration_parse(NULL, VMHA_DURATION_PCMK_MSEC, &ms, NULL), -EINVAL);
}

/* What Pacemaker reads: crm_get_msec() (negative: not a duration), crm_parse_interval_spec() (0
 * with a warning: not a duration). */
static void check_against_pacemaker(const char *t)
{
    int64_t msec = read_as(t, VMHA_DURATION_PCMK_MSEC, NULL);
    long long crm = crm_get_msec(t);
    EXPECT(t, msec, crm < 0 ? NO : crm); /* "." is -1000 there: negative all the same */
    int64_t interval = read_as(t, VMHA_DURATION_PCMK_INTERVAL, NULL);
    EXPECT(t, interval == NO ? 0 : interval, crm_parse_interval_spec(t));
    /* Whatever is taken as written reads the same in Pacemaker. */
    int64_t exact = read_as(t, VMHA_DURATION_EXACT, NULL);
    if (exact != NO)
        EXPECT(t, exact, msec);
}

static void test_table_is_pacemaker(void **state)
{
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
        check_against_pacemaker(cases[i].text);
}

/* Seeded random texts from the characters the grammars care about. */
static void test_random_is_pacemaker(void **state)
{
    static const char *const pieces[] = {"0", "1",   "5",  "90",  "007",  "99999999999999999999",
                                         ".", " ",   "\t", "ms",  "msec", "us",
                                         "s", "sec", "m",  "min", "h",    "hr",
                                         "S", "MIN", "x",  "+",   "-"};
    static const char *const iso[] = {"P", "T", "1", "30", "Y", "M", "W", "D", "H", "S"};
    GRand *rand = g_rand_new_with_seed(14);
    char buf[64];

    for (int n = 0; n < 20000; n++) {
        bool as_iso = g_rand_int_range(rand, 0, 4) == 0;
        const char *const *set = as_iso ? iso : pieces;
        int n_set = as_iso ? (int)G_N_ELEMENTS(iso) : (int)G_N_ELEMENTS(pieces);
        buf[0] = '\0';
        if (as_iso)
            g_strlcat(buf, "P", sizeof(buf));
        for (int k = g_rand_int_range(rand, 0, 6); k > 0; k--)
            g_strlcat(buf, set[g_rand_int_range(rand, 0, n_set)], sizeof(buf));
        check_against_pacemaker(buf);
    }
    g_rand_free(rand);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_table),
            cmocka_unit_test(test_table_is_pacemaker),
            cmocka_unit_test(test_random_is_pacemaker),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
