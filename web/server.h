/* vmha-web's HTTPS server on libmicrohttpd: each request checked (size, route, session, CSRF,
 * role) before it reaches the API (api.h) or the page's files. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct {
    const char *socket;  /* clusterd's */
    const char *address; /* IPv4 address to listen on */
    uint16_t port;
    const char *static_dir; /* the page's files */
    const char *cert_pem, *key_pem;
    GArray *tokens; /* WebToken, or NULL: no token logins */
    bool pam;       /* PAM logins */
    const char *admin_group, *reader_group;
} WebServerConfig;

typedef struct WebServer WebServer;

/* Starts serving (threads of its own). NULL with *error on failure. */
WebServer *web_server_start(const WebServerConfig *config, GError **error);
void web_server_stop(WebServer *s);
