/* vmha-web's logins: sessions, their CSRF tokens, the token file, the session cookie. Pure: the
 * caller hands in the time and the random bytes (docs/web.md, "Security"). */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum {
    WEB_ROLE_NONE = 0,
    WEB_ROLE_READER, /* may look */
    WEB_ROLE_ADMIN,  /* may act */
} WebRole;

#define WEB_COOKIE_NAME "vmha_session"
/* Random bytes behind a session id and behind its CSRF token (each hex-encoded: twice as long). */
#define WEB_TOKEN_BYTES 32
#define WEB_TOKEN_HEX   (2 * WEB_TOKEN_BYTES)

typedef struct {
    char id[WEB_TOKEN_HEX + 1];
    char csrf[WEB_TOKEN_HEX + 1];
    char *user;
    WebRole role;
    int64_t created, last_used;
} WebSession;

typedef struct WebSessions WebSessions;

/* At most max sessions; one unused for idle_s seconds, or older than max_age_s, is gone. */
WebSessions *web_sessions_new(size_t max, int64_t idle_s, int64_t max_age_s);
void web_sessions_free(WebSessions *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(WebSessions, web_sessions_free)

/* A new session for user from 2 * WEB_TOKEN_BYTES random bytes (id, then CSRF token). When the
 * table is full the least recently used session makes room. Returns a copy (web_session_free). */
WebSession *web_session_create(WebSessions *s, const char *user, WebRole role,
                               const uint8_t random[2 * WEB_TOKEN_BYTES], int64_t now);
/* The live session with that id (a copy, web_session_free), its last use set to now; NULL when
 * none. Every stored id is compared in constant time. */
WebSession *web_session_find(WebSessions *s, const char *id, int64_t now);
/* Ends the session with that id; true when there was one. */
bool web_session_remove(WebSessions *s, const char *id);
size_t web_sessions_count(WebSessions *s, int64_t now);
void web_session_free(WebSession *w);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(WebSession, web_session_free)

/* Compares two secrets in time that depends only on their lengths (and not at all on where they
 * first differ). NULL equals nothing. */
bool web_secret_equal(const char *a, const char *b);

/* The value of cookie name in a Cookie request header, or NULL (g_free). */
char *web_cookie_get(const char *header, const char *name);
/* The Set-Cookie header for a session (max_age_s > 0), or one that removes it (id NULL). */
char *web_cookie_set(const char *id, int64_t max_age_s);

/* The token file: one login per line, `USER ROLE TOKEN` (ROLE admin or reader, TOKEN at least 16
 * characters of [A-Za-z0-9._~+/=-]); blank lines and # comments skipped. */
typedef struct {
    char *user;
    WebRole role;
    char *token;
} WebToken;

/* Parses text; -1 with *ret_error naming the line on any bad line (nothing kept). */
int web_tokens_parse(const char *text, GArray **ret_tokens, char **ret_error);
void web_tokens_free(GArray *tokens);
/* The entry whose token equals token (every entry compared in constant time), or NULL. */
const WebToken *web_tokens_find(const GArray *tokens, const char *token);

const char *web_role_to_string(WebRole role);
