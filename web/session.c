#include "config.h"

#include <string.h>

#include "session.h"

struct WebSessions {
    GPtrArray *all; /* WebSession* */
    size_t max;
    int64_t idle_s, max_age_s;
};

static void session_free(gpointer p)
{
    web_session_free(p);
}

void web_session_free(WebSession *w)
{
    if (!w)
        return;
    g_free(w->user);
    g_free(w);
}

static WebSession *session_copy(const WebSession *w)
{
    WebSession *c = g_memdup2(w, sizeof(*w));
    c->user = g_strdup(w->user);
    return c;
}

WebSessions *web_sessions_new(size_t max, int64_t idle_s, int64_t max_age_s)
{
    WebSessions *s = g_new0(WebSessions, 1);
    s->all = g_ptr_array_new_with_free_func(session_free);
    s->max = MAX(max, 1);
    s->idle_s = idle_s;
    s->max_age_s = max_age_s;
    return s;
}

void web_sessions_free(WebSessions *s)
{
    if (!s)
        return;
    g_ptr_array_unref(s->all);
    g_free(s);
}

static bool expired(const WebSessions *s, const WebSession *w, int64_t now)
{
    return now - w->last_used >= s->idle_s || now - w->created >= s->max_age_s || now < w->created;
}

static void expire(WebSessions *s, int64_t now)
{
    for (guint i = s->all->len; i-- > 0;)
        if (expired(s, g_ptr_array_index(s->all, i), now))
            g_ptr_array_remove_index_fast(s->all, i);
}

static void to_hex(const uint8_t *bytes, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * n] = '\0';
}

WebSession *web_session_create(WebSessions *s, const char *user, WebRole role,
                               const uint8_t random[2 * WEB_TOKEN_BYTES], int64_t now)
{
    expire(s, now);
    if (s->all->len >= s->max) {
        guint oldest = 0;
        for (guint i = 1; i < s->all->len; i++)
            if (((WebSession *)g_ptr_array_index(s->all, i))->last_used <
                ((WebSession *)g_ptr_array_index(s->all, oldest))->last_used)
                oldest = i;
        g_ptr_array_remove_index_fast(s->all, oldest);
    }
    WebSession *w = g_new0(WebSession, 1);
    to_hex(random, WEB_TOKEN_BYTES, w->id);
    to_hex(random + WEB_TOKEN_BYTES, WEB_TOKEN_BYTES, w->csrf);
    w->user = g_strdup(user);
    w->role = role;
    w->created = w->last_used = now;
    g_ptr_array_add(s->all, w);
    return session_copy(w);
}

static WebSession *lookup(WebSessions *s, const char *id)
{
    WebSession *found = NULL;

    if (!id)
        return NULL;
    /* No early exit: the time taken says nothing about which id came close. */
    for (guint i = 0; i < s->all->len; i++) {
        WebSession *w = g_ptr_array_index(s->all, i);
        if (web_secret_equal(w->id, id))
            found = w;
    }
    return found;
}

WebSession *web_session_find(WebSessions *s, const char *id, int64_t now)
{
    expire(s, now);
    WebSession *w = lookup(s, id);
    if (!w)
        return NULL;
    w->last_used = now;
    return session_copy(w);
}

bool web_session_remove(WebSessions *s, const char *id)
{
    WebSession *w = lookup(s, id);
    return w && g_ptr_array_remove_fast(s->all, w);
}

size_t web_sessions_count(WebSessions *s, int64_t now)
{
    expire(s, now);
    return s->all->len;
}

bool web_secret_equal(const char *a, const char *b)
{
    if (!a || !b)
        return false;
    size_t la = strlen(a), lb = strlen(b);
    /* Walks all of b whatever a holds; a length mismatch is folded into the result. */
    unsigned char diff = la != lb;
    for (size_t i = 0; i < lb; i++)
        diff |= (unsigned char)(b[i] ^ (i < la ? a[i] : 0));
    return diff == 0;
}

char *web_cookie_get(const char *header, const char *name)
{
    if (!header || !name)
        return NULL;
    size_t nl = strlen(name);
    const char *p = header;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ';')
            p++;
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > nl && strncmp(p, name, nl) == 0 && p[nl] == '=')
            return g_strndup(p + nl + 1, len - nl - 1);
        p += len;
    }
    return NULL;
}

char *web_cookie_set(const char *id, int64_t max_age_s)
{
    /* Secure: only over HTTPS; HttpOnly: no script reads it; SameSite=Strict: no other site's
     * page sends it. */
    if (!id)
        return g_strdup(WEB_COOKIE_NAME "=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Strict");
    return g_strdup_printf(WEB_COOKIE_NAME "=%s; Path=/; Max-Age=%" G_GINT64_FORMAT
                                           "; Secure; HttpOnly; SameSite=Strict",
                           id, max_age_s);
}

static void token_clear(gpointer p)
{
    WebToken *t = p;
    g_free(t->user);
    if (t->token)
        memset(t->token, 0, strlen(t->token));
    g_free(t->token);
}

void web_tokens_free(GArray *tokens)
{
    if (tokens)
        g_array_unref(tokens);
}

static bool token_chars_valid(const char *t)
{
    return strlen(t) >= 16 && strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                        "0123456789._~+/=-") == strlen(t);
}

static bool user_valid(const char *u)
{
    return *u && strlen(u) <= 64 &&
           strspn(u, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
                   strlen(u);
}

int web_tokens_parse(const char *text, GArray **ret_tokens, char **ret_error)
{
    g_autoptr(GArray) tokens = g_array_new(FALSE, TRUE, sizeof(WebToken));
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

    g_array_set_clear_func(tokens, token_clear);
    for (size_t i = 0; lines[i]; i++) {
        g_strstrip(lines[i]);
        if (!*lines[i] || lines[i][0] == '#')
            continue;
        g_auto(GStrv) words = g_strsplit_set(lines[i], " \t", -1);
        const char *w[3] = {0};
        size_t n = 0;
        for (size_t j = 0; words[j]; j++) {
            if (!*words[j])
                continue;
            if (n == 3) {
                n = 4;
                break;
            }
            w[n++] = words[j];
        }
        WebRole role = n == 3 && g_strcmp0(w[1], "admin") == 0    ? WEB_ROLE_ADMIN
                       : n == 3 && g_strcmp0(w[1], "reader") == 0 ? WEB_ROLE_READER
                                                                  : WEB_ROLE_NONE;
        if (n != 3 || role == WEB_ROLE_NONE || !user_valid(w[0]) || !token_chars_valid(w[2])) {
            *ret_error = g_strdup_printf("line %zu: expected 'USER admin|reader TOKEN' (a token of "
                                         "at least 16 characters)",
                                         i + 1);
            return -1;
        }
        WebToken t = {.user = g_strdup(w[0]), .role = role, .token = g_strdup(w[2])};
        g_array_append_val(tokens, t);
    }
    *ret_tokens = g_steal_pointer(&tokens);
    return 0;
}

const WebToken *web_tokens_find(const GArray *tokens, const char *token)
{
    const WebToken *found = NULL;

    for (guint i = 0; tokens && token && i < tokens->len; i++) {
        const WebToken *t = &g_array_index(tokens, WebToken, i);
        if (web_secret_equal(t->token, token) && !found)
            found = t;
    }
    return found;
}

const char *web_role_to_string(WebRole role)
{
    switch (role) {
    case WEB_ROLE_ADMIN:
        return "admin";
    case WEB_ROLE_READER:
        return "reader";
    case WEB_ROLE_NONE:
        break;
    }
    return "none";
}
