/* vmha-web's routes: which URL is which call, what a bad name or method gets, and who may make
 * a call (no session 401; a write without the CSRF token or by a read-only login 403). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>
#include <stdlib.h>

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

/* The role column of docs/web.md's API table for a route's need. */
static const char *doc_role(WebRole need)
{
    return need == WEB_ROLE_ADMIN ? "admin" : need == WEB_ROLE_READER ? "reader" : "anyone";
}

/* docs/web.md's API table and the server's URL table agree both ways: every `METHOD PATH` in
 * the table's first column (placeholders NAME and ID, a query in [...] dropped) is a route with
 * the role of the second column, and every route is in the table. */
static void test_docs_list_every_route(void **state)
{
    const char *srcdir = getenv("VMHA_SRCDIR");
    g_autofree char *path = g_build_filename(srcdir ? srcdir : ".", "docs", "web.md", NULL);
    g_autofree char *text = NULL;
    size_t n_routes = 0;
    const WebRoute *routes = web_routes(&n_routes);
    g_autofree bool *listed = g_new0(bool, n_routes);
    int rows = 0;

    (void)state;
    assert_true(g_file_get_contents(path, &text, NULL, NULL));
    const char *api = strstr(text, "\n## API\n");
    assert_non_null(api);
    const char *end = strstr(api + 1, "\n## ");
    g_autofree char *section = end ? g_strndup(api, (gsize)(end - api)) : g_strdup(api);
    g_auto(GStrv) lines = g_strsplit(section, "\n", -1);
    for (char **l = lines; *l; l++) {
        if (!g_str_has_prefix(*l, "| `"))
            continue;
        /* "\|" is a '|' inside a cell. */
        g_autoptr(GString) row = g_string_new(*l);
        g_string_replace(row, "\\|", "\x01", 0);
        g_auto(GStrv) cells = g_strsplit(row->str, "|", -1);
        assert_true(g_strv_length(cells) >= 4);
        g_autofree char *role = g_strstrip(g_strdup(cells[2]));
        /* Each `GET ...` or `POST ...` span of the first cell. */
        g_auto(GStrv) spans = g_strsplit(cells[1], "`", -1);
        for (int i = 1; spans[i]; i += 2) {
            const char *method = g_str_has_prefix(spans[i], "GET ")    ? "GET"
                                 : g_str_has_prefix(spans[i], "POST ") ? "POST"
                                                                       : NULL;
            if (!method)
                continue;
            const char *p = spans[i] + strlen(method) + 1;
            g_autofree char *doc_path = g_strndup(p, strcspn(p, "[? "));
            g_autoptr(GString) url = g_string_new(doc_path);
            g_string_replace(url, "NAME", "web1", 0);
            g_string_replace(url, "ID", "1733570000001", 0);
            const WebRoute *r = NULL;
            g_autofree char *arg = NULL;
            if (web_route_match(method, url->str, &r, &arg) != 0)
                fail_msg("docs/web.md lists %s %s, which the server does not have", method,
                         doc_path);
            if (strcmp(role, doc_role(r->need)) != 0)
                fail_msg("docs/web.md: %s %s as '%s', the server needs '%s'", method, doc_path,
                         role, doc_role(r->need));
            listed[r - routes] = true;
            rows++;
        }
    }
    assert_true(rows > 0);
    for (size_t i = 0; i < n_routes; i++)
        if (!listed[i])
            fail_msg("the server's %s %s%s%s is not in docs/web.md's API table", routes[i].method,
                     routes[i].prefix,
                     routes[i].suffix ? (routes[i].arg == WEB_ARG_FILE ? "FILE" : "NAME") : "",
                     routes[i].suffix ? routes[i].suffix : "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_routes),
            cmocka_unit_test(test_refused_paths),
            cmocka_unit_test(test_allow),
            cmocka_unit_test(test_docs_list_every_route),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
