/* vmha-web's sessions, secrets, cookies and token file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "session.h"

static void fill(uint8_t *r, uint8_t seed)
{
    for (size_t i = 0; i < 2 * WEB_TOKEN_BYTES; i++)
        r[i] = (uint8_t)(seed * 31 + i * 7);
}

static void test_create_find_expire(void **state)
{
    g_autoptr(WebSessions) s = web_sessions_new(4, 100, 1000);
    uint8_t r[2 * WEB_TOKEN_BYTES];

    fill(r, 1);
    g_autoptr(WebSession) a = web_session_create(s, "alice", WEB_ROLE_ADMIN, r, 10);
    assert_int_equal(strlen(a->id), WEB_TOKEN_HEX);
    assert_int_equal(strlen(a->csrf), WEB_TOKEN_HEX);
    assert_string_not_equal(a->id, a->csrf);
    g_autoptr(WebSession) f = web_session_find(s, a->id, 50);
    assert_non_null(f);
    assert_string_equal(f->user, "alice");
    assert_int_equal(f->role, WEB_ROLE_ADMIN);
    assert_string_equal(f->csrf, a->csrf);
    /* Used at 50: alive until 150 by the idle bound. */
    g_autoptr(WebSession) g = web_session_find(s, a->id, 149);
    assert_non_null(g);
    assert_null(web_session_find(s, a->id, 249));
    assert_int_equal(web_sessions_count(s, 249), 0);
    /* A prefix, another case, nothing: no session. */
    fill(r, 2);
    g_autoptr(WebSession) b = web_session_create(s, "bob", WEB_ROLE_READER, r, 300);
    g_autofree char *prefix = g_strndup(b->id, WEB_TOKEN_HEX - 1);
    assert_null(web_session_find(s, prefix, 301));
    assert_null(web_session_find(s, "", 301));
    assert_null(web_session_find(s, NULL, 301));
    g_autofree char *upper = g_ascii_strup(b->id, -1);
    if (strcmp(upper, b->id) != 0)
        assert_null(web_session_find(s, upper, 301));
    /* The absolute bound holds even for a session used all the time. */
    for (int64_t t = 301; t < 1300; t += 50)
        web_session_free(web_session_find(s, b->id, t));
    assert_null(web_session_find(s, b->id, 1300));
}

static void test_full_table_drops_least_recent(void **state)
{
    g_autoptr(WebSessions) s = web_sessions_new(2, 100, 1000);
    uint8_t r[2 * WEB_TOKEN_BYTES];

    fill(r, 1);
    g_autoptr(WebSession) a = web_session_create(s, "a", WEB_ROLE_READER, r, 1);
    fill(r, 2);
    g_autoptr(WebSession) b = web_session_create(s, "b", WEB_ROLE_READER, r, 2);
    web_session_free(web_session_find(s, a->id, 3));
    fill(r, 3);
    g_autoptr(WebSession) c = web_session_create(s, "c", WEB_ROLE_READER, r, 4);
    assert_int_equal(web_sessions_count(s, 4), 2);
    g_autoptr(WebSession) fa = web_session_find(s, a->id, 5);
    g_autoptr(WebSession) fb = web_session_find(s, b->id, 5);
    assert_non_null(fa);
    assert_null(fb);
    assert_true(web_session_remove(s, c->id));
    assert_false(web_session_remove(s, c->id));
}

static void test_secret_equal(void **state)
{
    assert_true(web_secret_equal("abc", "abc"));
    assert_false(web_secret_equal("abc", "abd"));
    assert_false(web_secret_equal("abc", "ab"));
    assert_false(web_secret_equal("ab", "abc"));
    assert_false(web_secret_equal("", "a"));
    assert_true(web_secret_equal("", ""));
    assert_false(web_secret_equal(NULL, ""));
    assert_false(web_secret_equal("a", NULL));
}

static void test_cookies(void **state)
{
    g_autofree char *set = web_cookie_set("abc", 600);
    assert_string_equal(set, "vmha_session=abc; Path=/; Max-Age=600; Secure; HttpOnly; "
                             "SameSite=Strict");
    g_autofree char *clear = web_cookie_set(NULL, 0);
    assert_non_null(strstr(clear, "Max-Age=0"));
    assert_non_null(strstr(clear, "Secure; HttpOnly; SameSite=Strict"));
    g_autofree char *v1 = web_cookie_get("a=1; vmha_session=xyz; b=2", "vmha_session");
    assert_string_equal(v1, "xyz");
    g_autofree char *v2 = web_cookie_get("vmha_session_old=1;vmha_session=q", "vmha_session");
    assert_string_equal(v2, "q");
    assert_null(web_cookie_get("other=1", "vmha_session"));
    assert_null(web_cookie_get(NULL, "vmha_session"));
}

static void test_tokens(void **state)
{
    GArray *t = NULL;
    g_autofree char *error = NULL;
    const char *text = "# logins for tests\n"
                       "\n"
                       "ops   admin  0123456789abcdefXYZ\n"
                       "watch reader ZYXfedcba9876543210\n";

    assert_int_equal(web_tokens_parse(text, &t, &error), 0);
    assert_int_equal(t->len, 2);
    const WebToken *a = web_tokens_find(t, "0123456789abcdefXYZ");
    assert_non_null(a);
    assert_string_equal(a->user, "ops");
    assert_int_equal(a->role, WEB_ROLE_ADMIN);
    const WebToken *r = web_tokens_find(t, "ZYXfedcba9876543210");
    assert_non_null(r);
    assert_int_equal(r->role, WEB_ROLE_READER);
    assert_null(web_tokens_find(t, "0123456789abcdefXY"));
    assert_null(web_tokens_find(t, ""));
    assert_null(web_tokens_find(t, NULL));
    web_tokens_free(t);

    static const char *const bad[] = {
            "ops admin short\n",
            "ops root 0123456789abcdefXYZ\n",
            "ops admin 0123456789abcdefXYZ extra\n",
            "ops admin\n",
            "o$ps admin 0123456789abcdefXYZ\n",
            "ops admin 0123456789abcdef XYZ;\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        GArray *none = NULL;
        g_autofree char *why = NULL;
        assert_int_equal(web_tokens_parse(bad[i], &none, &why), -1);
        assert_null(none);
        assert_non_null(strstr(why, "line 1"));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_create_find_expire),
            cmocka_unit_test(test_full_table_drops_least_recent),
            cmocka_unit_test(test_secret_equal),
            cmocka_unit_test(test_cookies),
            cmocka_unit_test(test_tokens),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
