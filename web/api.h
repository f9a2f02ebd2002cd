/* vmha-web's API calls: each asks the local clusterd (the socket vmctl uses, lib/ipcclient.h) and
 * answers with the document `vmctl --json` prints for the same command (docs/web.md, "API"). */
#pragma once

#include <json-c/json.h>

#include "route.h"
#include "session.h"

typedef struct {
    const char *socket; /* clusterd's socket */
} WebApi;

/* Looks up a query parameter of the request (NULL when absent). */
typedef const char *(*WebQueryFn)(void *ctx, const char *key);

/* Runs the API call of route (not PAGE, LOGIN, LOGOUT, SESSION) for session s with the route's
 * argument, the query and the request's JSON body (NULL when none). Returns the HTTP status and
 * *ret_doc, the answer: the document on success, {"ok": false, "exit_code", "error"} otherwise. */
int web_api_call(const WebApi *api, const WebRoute *route, const char *arg, WebQueryFn query,
                 void *query_ctx, json_object *body, const WebSession *s, json_object **ret_doc);

/* The HTTP status for a VMHA_RESULT_* code. */
int web_api_http_status(int result);
/* {"ok": false, "exit_code": result, "error": message} */
json_object *web_api_error(int result, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
