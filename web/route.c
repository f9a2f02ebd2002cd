#include "config.h"

#include <string.h>

#include "route.h"
#include "vmattr.h"

static const WebRoute routes[] = {
        {"POST", "/api/login", NULL, WEB_R_LOGIN, WEB_ARG_NONE, WEB_ROLE_NONE, false},
        {"POST", "/api/logout", NULL, WEB_R_LOGOUT, WEB_ARG_NONE, WEB_ROLE_READER, true},
        {"GET", "/api/session", NULL, WEB_R_SESSION, WEB_ARG_NONE, WEB_ROLE_READER, false},
        {"GET", "/api/status", NULL, WEB_R_STATUS, WEB_ARG_NONE, WEB_ROLE_READER, false},
        {"GET", "/api/events", NULL, WEB_R_EVENTS, WEB_ARG_NONE, WEB_ROLE_READER, false},
        {"GET", "/api/incidents", NULL, WEB_R_INCIDENTS, WEB_ARG_NONE, WEB_ROLE_READER, false},
        {"GET", "/api/incidents/", "", WEB_R_INCIDENT, WEB_ARG_INCIDENT, WEB_ROLE_READER, false},
        {"GET", "/api/vms/", "/why", WEB_R_VM_WHY, WEB_ARG_VM, WEB_ROLE_READER, false},
        {"GET", "/api/nodes/", "/drain-plan", WEB_R_DRAIN_PLAN, WEB_ARG_NODE, WEB_ROLE_READER,
         false},
        {"POST", "/api/nodes/", "/drain", WEB_R_DRAIN, WEB_ARG_NODE, WEB_ROLE_ADMIN, true},
        {"POST", "/api/nodes/", "/resume", WEB_R_RESUME, WEB_ARG_NODE, WEB_ROLE_ADMIN, true},
        {"POST", "/api/vms/", "/move", WEB_R_VM_MOVE, WEB_ARG_VM, WEB_ROLE_ADMIN, true},
        {"POST", "/api/vms/", "/start", WEB_R_VM_START, WEB_ARG_VM, WEB_ROLE_ADMIN, true},
        {"POST", "/api/vms/", "/stop", WEB_R_VM_STOP, WEB_ARG_VM, WEB_ROLE_ADMIN, true},
        {"GET", "/", "", WEB_R_PAGE, WEB_ARG_FILE, WEB_ROLE_NONE, false},
};

const WebRoute *web_routes(size_t *ret_n)
{
    *ret_n = G_N_ELEMENTS(routes);
    return routes;
}

static const struct {
    const char *name, *file, *type;
} page_files[] = {
        {"", "index.html", "text/html; charset=utf-8"},
        {"index.html", "index.html", "text/html; charset=utf-8"},
        {"app.js", "app.js", "text/javascript; charset=utf-8"},
        {"style.css", "style.css", "text/css; charset=utf-8"},
};

const char *web_page_file(const char *name, const char **ret_content_type)
{
    for (size_t i = 0; i < G_N_ELEMENTS(page_files); i++)
        if (strcmp(name, page_files[i].name) == 0) {
            *ret_content_type = page_files[i].type;
            return page_files[i].file;
        }
    return NULL;
}

static bool arg_valid(WebArgKind kind, const char *arg)
{
    const char *type = NULL;
    guint64 v = 0;

    switch (kind) {
    case WEB_ARG_NONE:
        return true;
    case WEB_ARG_NODE:
        return vmha_node_name_valid(arg);
    case WEB_ARG_VM:
        return vmha_vm_name_valid(arg);
    case WEB_ARG_INCIDENT:
        return *arg && strlen(arg) <= 20 &&
               g_ascii_string_to_unsigned(arg, 10, 1, G_MAXINT64, &v, NULL);
    case WEB_ARG_FILE:
        return web_page_file(arg, &type) != NULL;
    }
    return false;
}

/* The argument in path for route r (g_free), or NULL when path is not r's. */
static bool path_matches(const WebRoute *r, const char *path, char **ret_arg)
{
    size_t plen = strlen(r->prefix), len = strlen(path);

    *ret_arg = NULL;
    if (!r->suffix)
        return strcmp(path, r->prefix) == 0;
    size_t slen = strlen(r->suffix);
    /* An argument is never empty, but a file's name may be ("/" is the page). */
    size_t min = plen + slen + (r->arg == WEB_ARG_FILE ? 0 : 1);
    if (len < min || strncmp(path, r->prefix, plen) != 0 ||
        strcmp(path + len - slen, r->suffix) != 0)
        return false;
    g_autofree char *arg = g_strndup(path + plen, len - plen - slen);
    /* "." and ".." are names too, but nobody's: a path that holds them is a mistake or a probe. */
    if (strchr(arg, '/') || strcmp(arg, ".") == 0 || strcmp(arg, "..") == 0 ||
        !arg_valid(r->arg, arg))
        return false;
    *ret_arg = g_steal_pointer(&arg);
    return true;
}

int web_route_match(const char *method, const char *path, const WebRoute **ret_route,
                    char **ret_arg)
{
    bool other_method = false;

    for (size_t i = 0; i < G_N_ELEMENTS(routes); i++) {
        char *arg = NULL;
        if (!path_matches(&routes[i], path, &arg))
            continue;
        if (strcmp(method, routes[i].method) != 0) {
            g_free(arg);
            other_method = true;
            continue;
        }
        *ret_route = &routes[i];
        *ret_arg = arg;
        return 0;
    }
    return other_method ? -405 : -404;
}

int web_route_allow(const WebRoute *route, const WebSession *session, const char *csrf_header)
{
    if (route->need == WEB_ROLE_NONE)
        return 0;
    if (!session || session->role == WEB_ROLE_NONE)
        return 401;
    if (route->write && !web_secret_equal(session->csrf, csrf_header))
        return 403;
    if (session->role < route->need)
        return 403;
    return 0;
}
