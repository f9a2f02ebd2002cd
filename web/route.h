/* vmha-web's requests: which URL is which API call, who may make it, and whether a request gets
 * that far (docs/web.md, "API"). Pure. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "session.h"

typedef enum {
    WEB_R_PAGE,       /* GET /, /index.html, /app.js, /style.css: the page's files */
    WEB_R_LOGIN,      /* POST /api/login {"user","password"} or {"token"} */
    WEB_R_LOGOUT,     /* POST /api/logout */
    WEB_R_SESSION,    /* GET /api/session: user, role, CSRF token */
    WEB_R_STATUS,     /* GET /api/status: vmctl status --json */
    WEB_R_EVENTS,     /* GET /api/events[?since_seq=N&vm=V&node=N]: vmctl events --json */
    WEB_R_INCIDENTS,  /* GET /api/incidents: vmctl incident list --json */
    WEB_R_INCIDENT,   /* GET /api/incidents/ID: vmctl incident show ID --json */
    WEB_R_VM_WHY,     /* GET /api/vms/NAME/why: vmctl vm why NAME --json */
    WEB_R_DRAIN_PLAN, /* GET /api/nodes/NAME/drain-plan[?method=M]: vmctl node drain --dry-run */
    WEB_R_DRAIN,      /* POST /api/nodes/NAME/drain {"method","force"} */
    WEB_R_RESUME,     /* POST /api/nodes/NAME/resume {"failback"} */
    WEB_R_VM_MOVE,    /* POST /api/vms/NAME/move {"to","method"} */
    WEB_R_VM_START,   /* POST /api/vms/NAME/start */
    WEB_R_VM_STOP,    /* POST /api/vms/NAME/stop */
} WebRouteId;

typedef enum {
    WEB_ARG_NONE,
    WEB_ARG_NODE,     /* a node name (vmha_node_name_valid) */
    WEB_ARG_VM,       /* a VM name (vmha_vm_name_valid) */
    WEB_ARG_INCIDENT, /* a decimal incident id */
    WEB_ARG_FILE,     /* one of the page's files */
} WebArgKind;

typedef struct {
    const char *method;
    const char *prefix; /* the path up to the argument, or the whole path */
    const char *suffix; /* after the argument (NULL: no argument) */
    WebRouteId id;
    WebArgKind arg;
    WebRole need; /* NONE: no session needed */
    bool write;   /* POST: a CSRF token must come with it */
} WebRoute;

/* Matches method and path (without the query). 0 with *ret_route and *ret_arg (g_free, NULL
 * when the route has none); -404 for no such path or a bad name in it, -405 when the path
 * exists for another method. */
int web_route_match(const char *method, const char *path, const WebRoute **ret_route,
                    char **ret_arg);

/* Whether a request for route may go on: 0, or the HTTP status that refuses it: 401 without a
 * session where one is needed, 403 for a write without the session's CSRF token (csrf_header)
 * or by a session that may only look. */
int web_route_allow(const WebRoute *route, const WebSession *session, const char *csrf_header);

/* The whole URL table (docs/web.md's API table lists each; tests/unit/test-web-route.c checks
 * both ways). */
const WebRoute *web_routes(size_t *ret_n);

/* The page's files by name (without the leading slash; "" is index.html): the name and its
 * Content-Type, or NULL for any other. */
const char *web_page_file(const char *name, const char **ret_content_type);
