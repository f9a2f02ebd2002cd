/* vmha-web's routes: which URL is which call, what a bad name or method gets, and who may make
 * a call (no session 401; a write without the CSRF token or by a read-only login 403). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "route.h"

static int match(const char *method, const char *path, WebRouteId *ret_id, char **ret_arg)
{
    const WebRoute *r = NULL;
    int rc = web_route_match(method, path, &r, ret_arg);
    if (rc == 0)
        *ret_id = r->id;
    return rc;
}

static void test_routes(void **state)
{
    static const struct {
        const char *method, *path;
        WebRouteId id;
        const char *arg;
    } cases[] = {
            {"GET", "/", WEB_R_PAGE, ""},
            {"GET", "/app.js", WEB_R_PAGE, "app.js"},
            {"GET", "/style.css", WEB_R_PAGE, "style.css"},
            {"POST", "/api/login", WEB_R_LOGIN, NULL},
            {"GET", "/api/status", WEB_R_STATUS, NULL},
            {"GET", "/api/events", WEB_R_EVENTS, NULL},
            {"GET", "/api/incidents", WEB_R_INCIDENTS, NULL},
            {"GET", "/api/incidents/1733570000001", WEB_R_INCIDENT, "1733570000001"},
            {"GET", "/api/vms/web1/why", WEB_R_VM_WHY, "web1"},
            {"GET", "/api/nodes/n2/drain-plan", WEB_R_DRAIN_PLAN, "n2"},
            {"POST", "/api/nodes/n2/drain", WEB_R_DRAIN, "n2"},
            {"POST", "/api/nodes/n2/resume", WEB_R_RESUME, "n2"},
            {"POST", "/api/vms/web1/move", WEB_R_VM_MOVE, "web1"},
            {"POST", "/api/vms/web1/start", WEB_R_VM_START, "web1"},
            {"POST", "/api/vms/web1/stop", WEB_R_VM_STOP, "web1"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        WebRouteId id = 0;
        char *arg = NULL;
        assert_int_equal(match(cases[i].method, cases[i].path, &id, &arg), 0);
        assert_int_equal(id, cases[i].id);
        if (cases[i].arg)
            assert_string_equal(arg, cases[i].arg);
        else
            assert_null(arg);
        g_free(arg);
    }
}

static void test_refused_paths(void **state)
{
    static const struct {
        const char *method, *path;
        int rc;
    } cases[] = {
            {"GET", "/etc/passwd", -404},
            {"GET", "/../index.html", -404},
            {"GET", "/api/nodes//drain-plan", -404},
            {"GET", "/api/nodes/a/b/drain-plan", -404},
            {"GET", "/api/nodes/../drain-plan", -404},
            {"GET", "/api/vms/bad name/why", -404},
            {"GET", "/api/incidents/12x", -404},
            {"GET", "/api/incidents/0", -404},
            {"GET", "/api/incidents/99999999999999999999999", -404},
            {"GET", "/api/nope", -404},
            {"GET", "/api/nodes/n2/drain", -405},
            {"GET", "/api/login", -405},
            {"POST", "/api/status", -405},
            {"DELETE", "/api/vms/web1/stop", -405},
            {"POST", "/", -405},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        WebRouteId id = 0;
        char *arg = NULL;
        int rc = match(cases[i].method, cases[i].path, &id, &arg);
        if (rc != cases[i].rc)
            print_error("%s %s: %d\n", cases[i].method, cases[i].path, rc);
        assert_int_equal(rc, cases[i].rc);
        assert_null(arg);
    }
}

static WebSession session(WebRole role, const char *csrf)
{
    WebSession s = {.role = role, .user = (char *)"u"};
    g_strlcpy(s.csrf, csrf, sizeof(s.csrf));
    return s;
}

static const WebRoute *route_of(const char *method, const char *path)
{
    const WebRoute *r = NULL;
    char *arg = NULL;
    assert_int_equal(web_route_match(method, path, &r, &arg), 0);
    g_free(arg);
    return r;
}

static void test_allow(void **state)
{
    const char *token = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    WebSession admin = session(WEB_ROLE_ADMIN, token), reader = session(WEB_ROLE_READER, token);
    const WebRoute *status = route_of("GET", "/api/status");
    const WebRoute *drain = route_of("POST", "/api/nodes/n1/drain");
    const WebRoute *login = route_of("POST", "/api/login");
    const WebRoute *logout = route_of("POST", "/api/logout");
    const WebRoute *page = route_of("GET", "/");

    assert_int_equal(web_route_allow(page, NULL, NULL), 0);
    assert_int_equal(web_route_allow(login, NULL, NULL), 0);
    assert_int_equal(web_route_allow(status, NULL, NULL), 401);
    assert_int_equal(web_route_allow(drain, NULL, token), 401);
    assert_int_equal(web_route_allow(status, &reader, NULL), 0);
    assert_int_equal(web_route_allow(status, &admin, NULL), 0);
    /* A write: the CSRF token of this very session, and a role that may act. */
    assert_int_equal(web_route_allow(drain, &admin, token), 0);
    assert_int_equal(web_route_allow(drain, &admin, NULL), 403);
    assert_int_equal(web_route_allow(drain, &admin, ""), 403);
    assert_int_equal(
            web_route_allow(drain, &admin,
                            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeF"),
            403);
    assert_int_equal(web_route_allow(drain, &admin, "0123456789abcdef"), 403);
    assert_int_equal(web_route_allow(drain, &reader, token), 403);
    assert_int_equal(web_route_allow(drain, &reader, NULL), 403);
    /* Logging out is a write too (no other site may end a session). */
    assert_int_equal(web_route_allow(logout, &reader, token), 0);
    assert_int_equal(web_route_allow(logout, &reader, NULL), 403);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_routes),
            cmocka_unit_test(test_refused_paths),
            cmocka_unit_test(test_allow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
