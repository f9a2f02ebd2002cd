#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "api.h"
#include "auth.h"
#include "loginlimit.h"
#include "route.h"
#include "server.h"
#include "session.h"

/* The largest request body: a login or an action's few options. */
#define MAX_BODY          (16 * 1024)
#define SESSION_IDLE_S    (30 * 60)
#define SESSION_MAX_AGE_S (12 * 60 * 60)
#define MAX_SESSIONS      256
/* Failed logins (a wrong password or token) per client address: at most 5 a minute, about as
 * many as a person mistypes; a guesser waits. 4096 addresses remembered. */
#define LOGIN_FAILURES_MAX       5
#define LOGIN_FAILURES_WINDOW_S  60
#define LOGIN_FAILURES_ADDRESSES 4096

struct WebServer {
    WebServerConfig config;
    struct MHD_Daemon *daemon;
    WebApi api;
    GMutex lock;       /* sessions */
    GMutex login_lock; /* one login at a time: getpwnam and PAM modules are not all reentrant */
    WebLoginLimit *login_limit; /* under login_lock */
    WebSessions *sessions;
    GHashTable *files; /* name -> GBytes */
};

typedef struct {
    GString *body;
    bool too_large;
} Request;

static int64_t now_s(void)
{
    return (int64_t)time(NULL);
}

static void add_common_headers(struct MHD_Response *r)
{
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "Strict-Transport-Security", "max-age=31536000");
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'self'; frame-ancestors 'none'; form-action 'self'; "
                            "base-uri 'none'");
}

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned status, const void *data,
                               size_t len, const char *type, const char *cookie)
{
    struct MHD_Response *r =
            MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    add_common_headers(r);
    MHD_add_response_header(r, "Content-Type", type);
    if (cookie)
        MHD_add_response_header(r, "Set-Cookie", cookie);
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result respond_json(struct MHD_Connection *conn, unsigned status, json_object *doc,
                                    const char *cookie)
{
    size_t len = 0;
    const char *text = json_object_to_json_string_length(
            doc, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
    enum MHD_Result r = respond(conn, status, text, len, "application/json", cookie);
    json_object_put(doc);
    return r;
}

static enum MHD_Result respond_error(struct MHD_Connection *conn, unsigned status,
                                     const char *message)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "ok", json_object_new_boolean(false));
    json_object_object_add(o, "http_status", json_object_new_int((int)status));
    json_object_object_add(o, "error", json_object_new_string(message));
    return respond_json(conn, status, o, NULL);
}

static const char *query_value(void *ctx, const char *key)
{
    return MHD_lookup_connection_value(ctx, MHD_GET_ARGUMENT_KIND, key);
}

static json_object *parse_body(const Request *req)
{
    if (!req->body || !req->body->len)
        return NULL;
    json_tokener *tok = json_tokener_new_ex(8);
    json_object *o = tok ? json_tokener_parse_ex(tok, req->body->str, (int)req->body->len) : NULL;
    if (tok && (json_tokener_get_error(tok) != json_tokener_success ||
                json_tokener_get_parse_end(tok) != req->body->len)) {
        json_object_put(o);
        o = NULL;
    }
    json_tokener_free(tok);
    if (o && !json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        o = NULL;
    }
    return o;
}

static const char *body_str(json_object *body, const char *key)
{
    json_object *v = NULL;
    return json_object_object_get_ex(body, key, &v) && json_object_is_type(v, json_type_string)
                   ? json_object_get_string(v)
                   : NULL;
}

static json_object *session_doc(const WebSession *s)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "ok", json_object_new_boolean(true));
    json_object_object_add(o, "user", json_object_new_string(s->user));
    json_object_object_add(o, "role", json_object_new_string(web_role_to_string(s->role)));
    json_object_object_add(o, "csrf_token", json_object_new_string(s->csrf));
    return o;
}

/* The client's address as text ("" when unknown: all such clients then share one limit). */
static void client_address(struct MHD_Connection *conn, char ret_text[static INET6_ADDRSTRLEN])
{
    const union MHD_ConnectionInfo *info =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = info ? info->client_addr : NULL;

    ret_text[0] = '\0';
    if (sa && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, ret_text,
                  INET6_ADDRSTRLEN);
    else if (sa && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, ret_text,
                  INET6_ADDRSTRLEN);
}

static enum MHD_Result too_many_logins(struct MHD_Connection *conn, const char *address,
                                       int64_t wait_s)
{
    g_autofree char *retry = g_strdup_printf("%" G_GINT64_FORMAT, wait_s);
    g_autofree char *message = g_strdup_printf(
            "too many failed logins from %s: try again in %" G_GINT64_FORMAT " s", address, wait_s);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "ok", json_object_new_boolean(false));
    json_object_object_add(o, "http_status", json_object_new_int(MHD_HTTP_TOO_MANY_REQUESTS));
    json_object_object_add(o, "error", json_object_new_string(message));
    size_t len = 0;
    const char *text = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len);
    struct MHD_Response *r =
            MHD_create_response_from_buffer(len, (void *)text, MHD_RESPMEM_MUST_COPY);
    json_object_put(o);
    if (!r)
        return MHD_NO;
    add_common_headers(r);
    MHD_add_response_header(r, "Content-Type", "application/json");
    MHD_add_response_header(r, "Retry-After", retry);
    enum MHD_Result ret = MHD_queue_response(conn, MHD_HTTP_TOO_MANY_REQUESTS, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result login(WebServer *srv, struct MHD_Connection *conn, json_object *body)
{
    const char *token = body_str(body, "token");
    const char *user = body_str(body, "user"), *password = body_str(body, "password");
    g_autofree char *who = NULL;
    WebRole role = WEB_ROLE_NONE;
    char address[INET6_ADDRSTRLEN];

    client_address(conn, address);
    g_mutex_lock(&srv->login_lock);
    /* Before PAM or the tokens are asked: a guesser learns nothing more, and costs nothing. */
    int64_t wait_s = web_login_limit_wait(srv->login_limit, address, now_s());
    if (wait_s > 0) {
        g_mutex_unlock(&srv->login_lock);
        g_message("login from %s refused: too many failed logins (again in %" G_GINT64_FORMAT " s)",
                  address, wait_s);
        return too_many_logins(conn, address, wait_s);
    }
    if (token && srv->config.tokens) {
        const WebToken *t = web_tokens_find(srv->config.tokens, token);
        if (t) {
            who = g_strdup(t->user);
            role = t->role;
        }
    } else if (user && password && srv->config.pam && strlen(user) <= 64 &&
               strspn(user, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
                       strlen(user)) {
        g_autofree char *reason = NULL;
        if (web_auth_pam(user, password, &reason) == 0) {
            who = g_strdup(user);
            role = web_auth_role_of(user, srv->config.admin_group, srv->config.reader_group);
            if (role == WEB_ROLE_NONE) {
                g_mutex_unlock(&srv->login_lock);
                g_message("login of %s refused: in neither %s nor %s", user,
                          srv->config.admin_group, srv->config.reader_group);
                return respond_error(conn, MHD_HTTP_FORBIDDEN,
                                     "this user is in neither the admin nor the reader group");
            }
        } else {
            g_message("login of %s failed: %s", user, reason);
        }
    }
    if (role == WEB_ROLE_NONE)
        web_login_limit_failed(srv->login_limit, address, now_s());
    g_mutex_unlock(&srv->login_lock);
    if (role == WEB_ROLE_NONE)
        return respond_error(conn, MHD_HTTP_UNAUTHORIZED, "login failed");

    uint8_t random[2 * WEB_TOKEN_BYTES];
    if (getrandom(random, sizeof(random), 0) != sizeof(random))
        return respond_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "no random bytes");
    g_mutex_lock(&srv->lock);
    g_autoptr(WebSession) s = web_session_create(srv->sessions, who, role, random, now_s());
    g_mutex_unlock(&srv->lock);
    memset(random, 0, sizeof(random));
    g_message("%s logged in (%s)", who, web_role_to_string(role));
    g_autofree char *cookie = web_cookie_set(s->id, SESSION_MAX_AGE_S);
    return respond_json(conn, MHD_HTTP_OK, session_doc(s), cookie);
}

static enum MHD_Result serve_file(WebServer *srv, struct MHD_Connection *conn, const char *name)
{
    const char *type = NULL;
    const char *file = web_page_file(name, &type);
    GBytes *b = file ? g_hash_table_lookup(srv->files, file) : NULL;

    if (!b)
        return respond_error(conn, MHD_HTTP_NOT_FOUND, "no such file");
    gsize len = 0;
    const void *data = g_bytes_get_data(b, &len);
    return respond(conn, MHD_HTTP_OK, data, len, type, NULL);
}

static enum MHD_Result dispatch(WebServer *srv, struct MHD_Connection *conn, const WebRoute *route,
                                const char *arg, const char *method, const char *url,
                                const char *cookie, const WebSession *session, json_object *body)
{
    switch (route->id) {
    case WEB_R_LOGIN:
        return login(srv, conn, body);
    case WEB_R_LOGOUT: {
        g_mutex_lock(&srv->lock);
        web_session_remove(srv->sessions, cookie);
        g_mutex_unlock(&srv->lock);
        g_autofree char *clear = web_cookie_set(NULL, 0);
        json_object *o = json_object_new_object();
        json_object_object_add(o, "ok", json_object_new_boolean(true));
        return respond_json(conn, MHD_HTTP_OK, o, clear);
    }
    case WEB_R_SESSION:
        return respond_json(conn, MHD_HTTP_OK, session_doc(session), NULL);
    default:
        break;
    }
    if (route->write)
        g_message("%s (%s): %s %s", session->user, web_role_to_string(session->role), method, url);
    json_object *doc = NULL;
    int status = web_api_call(&srv->api, route, arg, query_value, conn, body, session, &doc);
    return respond_json(conn, (unsigned)status, doc, NULL);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls)
{
    WebServer *srv = cls;
    Request *req = *con_cls;

    if (!req) {
        req = g_new0(Request, 1);
        *con_cls = req;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (!req->too_large) {
            if (!req->body)
                req->body = g_string_new(NULL);
            if (req->body->len + *upload_data_size > MAX_BODY)
                req->too_large = true;
            else
                g_string_append_len(req->body, upload_data, (gssize)*upload_data_size);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }

    const WebRoute *route = NULL;
    g_autofree char *arg = NULL;
    int r = web_route_match(method, url, &route, &arg);
    if (r == -405)
        return respond_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed");
    if (r < 0)
        return respond_error(conn, MHD_HTTP_NOT_FOUND, "not found");
    if (req->too_large)
        return respond_error(conn, MHD_HTTP_CONTENT_TOO_LARGE, "request body too large");
    if (route->id == WEB_R_PAGE)
        return serve_file(srv, conn, arg);

    const char *cookie = MHD_lookup_connection_value(conn, MHD_COOKIE_KIND, WEB_COOKIE_NAME);
    const char *csrf = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-CSRF-Token");
    g_mutex_lock(&srv->lock);
    g_autoptr(WebSession) session =
            cookie ? web_session_find(srv->sessions, cookie, now_s()) : NULL;
    g_mutex_unlock(&srv->lock);
    int refused = web_route_allow(route, session, csrf);
    if (refused)
        return respond_error(conn, (unsigned)refused,
                             refused == 401 ? "log in first"
                             : route->write && !web_secret_equal(session->csrf, csrf)
                                     ? "missing or wrong CSRF token"
                                     : "this login may only look");

    json_object *body = NULL;
    if (g_strcmp0(method, "POST") == 0) {
        /* JSON only: a form another site's page posts is neither this type nor can it set it
         * without a preflight this server never answers. */
        const char *type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
        if (!type || !g_str_has_prefix(type, "application/json"))
            return respond_error(conn, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, "send application/json");
        body = parse_body(req);
        if (req->body && req->body->len && !body)
            return respond_error(conn, MHD_HTTP_BAD_REQUEST, "the body is not a JSON object");
    }
    enum MHD_Result ret = dispatch(srv, conn, route, arg, method, url, cookie, session, body);
    json_object_put(body);
    return ret;
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    Request *req = *con_cls;
    if (!req)
        return;
    if (req->body)
        g_string_free(req->body, TRUE);
    g_free(req);
    *con_cls = NULL;
}

static int load_files(WebServer *srv, GError **error)
{
    static const char *const names[] = {"index.html", "app.js", "style.css"};

    srv->files =
            g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)g_bytes_unref);
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autofree char *path = g_build_filename(srv->config.static_dir, names[i], NULL);
        char *data = NULL;
        gsize len = 0;
        if (!g_file_get_contents(path, &data, &len, error))
            return -1;
        g_hash_table_insert(srv->files, (gpointer)names[i], g_bytes_new_take(data, len));
    }
    return 0;
}

WebServer *web_server_start(const WebServerConfig *config, GError **error)
{
    WebServer *srv = g_new0(WebServer, 1);
    struct sockaddr_in sa4 = {.sin_family = AF_INET, .sin_port = htons(config->port)};
    struct sockaddr_in6 sa6 = {.sin6_family = AF_INET6, .sin6_port = htons(config->port)};
    const struct sockaddr *sa = (const struct sockaddr *)&sa4;
    unsigned family_flags = 0;

    srv->config = *config;
    srv->api.socket = config->socket;
    srv->sessions = web_sessions_new(MAX_SESSIONS, SESSION_IDLE_S, SESSION_MAX_AGE_S);
    g_mutex_init(&srv->lock);
    g_mutex_init(&srv->login_lock);
    srv->login_limit = web_login_limit_new(LOGIN_FAILURES_MAX, LOGIN_FAILURES_WINDOW_S,
                                           LOGIN_FAILURES_ADDRESSES);
    if (inet_pton(AF_INET6, config->address, &sa6.sin6_addr) == 1) {
        sa = (const struct sockaddr *)&sa6;
        /* "::" takes IPv4 clients too, as an administrator listening on every address means. */
        family_flags = IN6_IS_ADDR_UNSPECIFIED(&sa6.sin6_addr) ? MHD_USE_DUAL_STACK : MHD_USE_IPv6;
    } else if (inet_pton(AF_INET, config->address, &sa4.sin_addr) != 1) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "bad address '%s' (an IPv4 or IPv6 address)", config->address);
        web_server_stop(srv);
        return NULL;
    }
    if (load_files(srv, error) < 0) {
        web_server_stop(srv);
        return NULL;
    }
    /* A few threads: a write waits for the cluster (up to a minute), a login for PAM. */
    srv->daemon = MHD_start_daemon(
            MHD_USE_TLS | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | family_flags,
            config->port, NULL, NULL, handle, srv, MHD_OPTION_SOCK_ADDR, sa,
            MHD_OPTION_HTTPS_MEM_CERT, config->cert_pem, MHD_OPTION_HTTPS_MEM_KEY, config->key_pem,
            MHD_OPTION_THREAD_POOL_SIZE, (unsigned)4, MHD_OPTION_CONNECTION_LIMIT, (unsigned)128,
            MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)32, MHD_OPTION_CONNECTION_TIMEOUT,
            (unsigned)30, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
            MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_END);
    if (!srv->daemon) {
        bool v6 = sa == (const struct sockaddr *)&sa6;
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "cannot listen on %s%s%s:%u (HTTPS)",
                    v6 ? "[" : "", config->address, v6 ? "]" : "", config->port);
        web_server_stop(srv);
        return NULL;
    }
    return srv;
}

void web_server_stop(WebServer *srv)
{
    if (!srv)
        return;
    if (srv->daemon)
        MHD_stop_daemon(srv->daemon);
    if (srv->files)
        g_hash_table_unref(srv->files);
    web_sessions_free(srv->sessions);
    g_mutex_clear(&srv->lock);
    g_mutex_clear(&srv->login_lock);
    web_login_limit_free(srv->login_limit);
    g_free(srv);
}
