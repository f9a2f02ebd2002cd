#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "eventtext.h"

typedef struct {
    char *p;
    char *end;
    const char *start;
    char *error;
} Scan;

static int fail(Scan *s, const char *what)
{
    if (!s->error)
        s->error = g_strdup_printf("%s at byte %td", what, s->p - s->start);
    return -EBADMSG;
}

static void skip_ws(Scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
        s->p++;
}

/* The next character after white space, '\0' at the end. */
static char peek(Scan *s)
{
    skip_ws(s);
    return s->p < s->end ? *s->p : '\0';
}

static int expect(Scan *s, char c)
{
    if (peek(s) != c)
        return fail(s, "unexpected character");
    s->p++;
    return 0;
}

/* Four hex digits at p (before end) into *ret; false for anything else. */
static bool hex4(const char *p, const char *end, unsigned *ret)
{
    unsigned v = 0;

    if (end - p < 4)
        return false;
    for (int i = 0; i < 4; i++) {
        int d = g_ascii_xdigit_value(p[i]);
        if (d < 0)
            return false;
        v = v << 4 | (unsigned)d;
    }
    *ret = v;
    return true;
}

/* A string, unescaped where it stands (never longer than its escaped form) and terminated. */
static int scan_string(Scan *s, const char **ret)
{
    if (expect(s, '"') < 0)
        return -EBADMSG;
    char *out = s->p, *str = s->p;
    while (s->p < s->end && *s->p != '"') {
        unsigned char c = (unsigned char)*s->p;
        if (c < 0x20)
            return fail(s, "control character in a string");
        if (c != '\\') {
            *out++ = *s->p++;
            continue;
        }
        if (s->end - s->p < 2)
            return fail(s, "unterminated string");
        char e = s->p[1];
        s->p += 2;
        switch (e) {
        case '"':
        case '\\':
        case '/':
            *out++ = e;
            break;
        case 'b':
            *out++ = '\b';
            break;
        case 'f':
            *out++ = '\f';
            break;
        case 'n':
            *out++ = '\n';
            break;
        case 'r':
            *out++ = '\r';
            break;
        case 't':
            *out++ = '\t';
            break;
        case 'u': {
            unsigned u = 0, lo = 0;
            if (!hex4(s->p, s->end, &u))
                return fail(s, "bad \\u escape");
            s->p += 4;
            if (u >= 0xd800 && u < 0xdc00 && s->end - s->p >= 6 && s->p[0] == '\\' &&
                s->p[1] == 'u' && hex4(s->p + 2, s->end, &lo) && lo >= 0xdc00 && lo < 0xe000) {
                u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
                s->p += 6;
            } else if (u >= 0xd800 && u < 0xe000) {
                u = 0xfffd; /* a lone surrogate: the replacement character */
            }
            if (u == 0)
                return fail(s, "NUL in a string");
            /* At most 4 bytes out for at least 6 read. */
            out += g_unichar_to_utf8((gunichar)u, out);
            break;
        }
        default:
            return fail(s, "bad escape");
        }
    }
    if (s->p >= s->end)
        return fail(s, "unterminated string");
    s->p++;
    *out = '\0';
    *ret = str;
    return 0;
}

/* An integer (the answer holds no other numbers); *ret_null for a JSON null. */
static int scan_int(Scan *s, bool is_unsigned, uint64_t *ret, bool *ret_null)
{
    bool negative = false;
    uint64_t v = 0;

    *ret_null = false;
    if (peek(s) == 'n') {
        if (s->end - s->p < 4 || memcmp(s->p, "null", 4) != 0)
            return fail(s, "bad literal");
        s->p += 4;
        *ret_null = true;
        *ret = 0;
        return 0;
    }
    if (s->p < s->end && *s->p == '-' && !is_unsigned) {
        negative = true;
        s->p++;
    }
    if (s->p >= s->end || !g_ascii_isdigit(*s->p))
        return fail(s, "expected an integer");
    for (; s->p < s->end && g_ascii_isdigit(*s->p); s->p++) {
        unsigned d = (unsigned)(*s->p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return fail(s, "integer out of range");
        v = v * 10 + d;
    }
    if (s->p < s->end && (*s->p == '.' || *s->p == 'e' || *s->p == 'E'))
        return fail(s, "expected an integer");
    if (!is_unsigned && v > (negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX))
        return fail(s, "integer out of range");
    *ret = negative ? (uint64_t)0 - v : v;
    return 0;
}

/* A string or null. */
static int scan_nullable_string(Scan *s, const char **ret)
{
    if (peek(s) == 'n') {
        uint64_t unused;
        bool null;
        *ret = NULL;
        return scan_int(s, true, &unused, &null);
    }
    return scan_string(s, ret);
}

/* A scalar whose key nobody asked for. */
static int skip_scalar(Scan *s)
{
    const char *unused_str;
    char c = peek(s);

    if (c == '"')
        return scan_string(s, &unused_str);
    for (const char *lit = "true\0false\0null\0"; *lit; lit += strlen(lit) + 1) {
        size_t n = strlen(lit);
        if ((size_t)(s->end - s->p) >= n && memcmp(s->p, lit, n) == 0) {
            s->p += n;
            return 0;
        }
    }
    if (c == '-' || g_ascii_isdigit(c)) {
        s->p++;
        while (s->p < s->end && (g_ascii_isdigit(*s->p) || strchr(".eE+-", *s->p)))
            s->p++;
        return 0;
    }
    return fail(s, "unexpected value");
}

/* The first byte first: most keys differ there, and a strcmp each was a tenth of the scan. */
static inline bool key_is(const char *key, const char *name)
{
    return key[0] == name[0] && strcmp(key, name) == 0;
}

static int scan_event(Scan *s, VmhaEventText *ev)
{
    *ev = (VmhaEventText){0};
    if (expect(s, '{') < 0)
        return -EBADMSG;
    if (peek(s) == '}') {
        s->p++;
        return 0;
    }
    for (;;) {
        const char *key;
        uint64_t n = 0;
        bool null = false;
        int r;
        if (scan_string(s, &key) < 0 || expect(s, ':') < 0)
            return -EBADMSG;
        if (key_is(key, "seq")) {
            r = scan_int(s, true, &ev->seq, &null);
        } else if (key_is(key, "time")) {
            r = scan_int(s, false, &n, &null);
            ev->time = (int64_t)n;
        } else if (key_is(key, "duration_ms")) {
            r = scan_int(s, false, &n, &null);
            ev->duration_ms = (int64_t)n;
            ev->has_duration = !null;
        } else if (key_is(key, "type")) {
            r = scan_nullable_string(s, &ev->type);
        } else if (key_is(key, "node")) {
            r = scan_nullable_string(s, &ev->node);
        } else if (key_is(key, "vm")) {
            r = scan_nullable_string(s, &ev->vm);
        } else if (key_is(key, "user")) {
            r = scan_nullable_string(s, &ev->user);
        } else if (key_is(key, "command")) {
            r = scan_nullable_string(s, &ev->command);
        } else if (key_is(key, "result")) {
            r = scan_nullable_string(s, &ev->result);
        } else if (key_is(key, "details")) {
            r = scan_nullable_string(s, &ev->details);
        } else {
            r = skip_scalar(s);
        }
        if (r < 0)
            return r;
        char c = peek(s);
        s->p++;
        if (c == '}')
            return 0;
        if (c != ',')
            return fail(s, "expected ',' or '}' in an event");
    }
}

static int scan_events(Scan *s, VmhaEventTextFn fn, void *ctx, size_t *count)
{
    if (expect(s, '[') < 0)
        return -EBADMSG;
    if (peek(s) == ']') {
        s->p++;
        return 0;
    }
    for (;;) {
        VmhaEventText ev;
        int r = scan_event(s, &ev);
        if (r < 0)
            return r;
        (*count)++;
        if (fn && (r = fn(&ev, ctx)) < 0)
            return r;
        char c = peek(s);
        s->p++;
        if (c == ']')
            return 0;
        if (c != ',')
            return fail(s, "expected ',' or ']' between events");
    }
}

int vmha_event_answer_scan(char *text, size_t len, VmhaEventTextFn fn, void *ctx,
                           VmhaEventAnswer *ret_answer, char **ret_error)
{
    Scan s = {.p = text, .end = text + len, .start = text};
    VmhaEventAnswer answer = {0};
    bool events = false;
    int r = expect(&s, '{');

    while (r == 0) {
        const char *key;
        bool null = false;
        if ((r = scan_string(&s, &key)) < 0 || (r = expect(&s, ':')) < 0)
            break;
        if (strcmp(key, "events") == 0) {
            r = scan_events(&s, fn, ctx, &answer.events);
            events = true;
        } else if (strcmp(key, "first_seq") == 0) {
            r = scan_int(&s, true, &answer.first_seq, &null);
        } else if (strcmp(key, "last_seq") == 0) {
            r = scan_int(&s, true, &answer.last_seq, &null);
        } else {
            r = skip_scalar(&s);
        }
        if (r < 0)
            break;
        char c = peek(&s);
        s.p++;
        if (c == '}')
            break;
        if (c != ',')
            r = fail(&s, "expected ',' or '}'");
    }
    if (r == 0 && peek(&s) != '\0')
        r = fail(&s, "trailing text");
    if (r == 0 && !events)
        r = fail(&s, "no events");
    if (r < 0 && r != -EBADMSG) {
        g_free(s.error);
        return r; /* fn's own */
    }
    if (r < 0) {
        if (ret_error)
            *ret_error = g_steal_pointer(&s.error);
        g_free(s.error);
        return r;
    }
    if (ret_answer)
        *ret_answer = answer;
    return 0;
}

void vmha_text_put_json_string(GString *out, const char *str, bool escape_slash)
{
    static const char hex[] = "0123456789abcdef";
    const char *run = str;

    vmha_text_putc(out, '"');
    for (const char *p = str;; p++) {
        unsigned char c = (unsigned char)*p;
        if (c >= 0x20 && c != '"' && c != '\\' && (c != '/' || !escape_slash))
            continue;
        vmha_text_put(out, run, p - run);
        run = p + 1;
        switch (c) {
        case '\0':
            vmha_text_putc(out, '"');
            return;
        case '\b':
            vmha_text_puts(out, "\\b");
            break;
        case '\n':
            vmha_text_puts(out, "\\n");
            break;
        case '\r':
            vmha_text_puts(out, "\\r");
            break;
        case '\t':
            vmha_text_puts(out, "\\t");
            break;
        case '\f':
            vmha_text_puts(out, "\\f");
            break;
        case '"':
            vmha_text_puts(out, "\\\"");
            break;
        case '\\':
            vmha_text_puts(out, "\\\\");
            break;
        case '/':
            vmha_text_puts(out, "\\/");
            break;
        default: {
            char u[] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf]};
            vmha_text_put(out, u, sizeof(u));
        }
        }
    }
}

static void append_indent(GString *out, int level)
{
    static const char spaces[] = "                ";

    for (; level > 8; level -= 8)
        vmha_text_put(out, spaces, 16);
    vmha_text_put(out, spaces, 2 * level);
}

/* The separator and indentation before a member of an object at level (< 0: plain), in one
 * append: a call each was a fifth of vmctl's CPU over 10,000 events. */
static void append_key(GString *out, const char *key, bool first, int level)
{
    char buf[64];
    size_t n = 0, key_len = strlen(key);

    if (level > 8 || key_len > 32) {
        if (!first)
            vmha_text_putc(out, ',');
        if (level >= 0) {
            vmha_text_putc(out, '\n');
            append_indent(out, level + 1);
        }
        g_string_append_printf(out, "\"%s\":", key);
        return;
    }
    if (!first)
        buf[n++] = ',';
    if (level >= 0) {
        buf[n++] = '\n';
        memset(buf + n, ' ', 2 * (size_t)(level + 1));
        n += 2 * (size_t)(level + 1);
    }
    buf[n++] = '"';
    memcpy(buf + n, key, key_len);
    n += key_len;
    buf[n++] = '"';
    buf[n++] = ':';
    vmha_text_put(out, buf, n);
}

void vmha_text_put_u64(GString *out, uint64_t v)
{
    char buf[24];
    char *p = buf + sizeof(buf);

    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    vmha_text_put(out, p, buf + sizeof(buf) - p);
}

void vmha_text_put_i64(GString *out, int64_t v)
{
    if (v < 0) {
        vmha_text_putc(out, '-');
        vmha_text_put_u64(out, (uint64_t)0 - (uint64_t)v);
    } else {
        vmha_text_put_u64(out, (uint64_t)v);
    }
}

static void append_str_member(GString *out, const char *key, const char *value, int level)
{
    append_key(out, key, false, level);
    if (value)
        vmha_text_put_json_string(out, value, level < 0);
    else
        vmha_text_puts(out, "null");
}

void vmha_event_text_append_json(GString *out, const VmhaEventText *ev, int level)
{
    vmha_text_putc(out, '{');
    append_key(out, "seq", true, level);
    vmha_text_put_u64(out, ev->seq);
    append_key(out, "time", false, level);
    vmha_text_put_i64(out, ev->time);
    append_str_member(out, "type", ev->type, level);
    append_str_member(out, "node", ev->node, level);
    append_str_member(out, "vm", ev->vm, level);
    append_str_member(out, "user", ev->user, level);
    append_str_member(out, "command", ev->command, level);
    append_str_member(out, "result", ev->result, level);
    append_key(out, "duration_ms", false, level);
    if (ev->has_duration)
        vmha_text_put_i64(out, ev->duration_ms);
    else
        vmha_text_puts(out, "null");
    append_str_member(out, "details", ev->details, level);
    if (level >= 0) {
        vmha_text_putc(out, '\n');
        append_indent(out, level);
    }
    vmha_text_putc(out, '}');
}

void vmha_event_answer_append_head(GString *out)
{
    vmha_text_puts(out, "{\n  \"events\":[");
}

void vmha_event_answer_append_event(GString *out, const VmhaEventText *ev, size_t index)
{
    vmha_text_puts(out, index ? ",\n    " : "\n    ");
    vmha_event_text_append_json(out, ev, 2);
}

void vmha_event_answer_append_tail(GString *out, const VmhaEventAnswer *answer)
{
    vmha_text_puts(out, "\n  ],\n  \"first_seq\":");
    vmha_text_put_u64(out, answer->first_seq);
    vmha_text_puts(out, ",\n  \"last_seq\":");
    vmha_text_put_u64(out, answer->last_seq);
    vmha_text_puts(out, "\n}");
}

/* Away from a decimal tie (ms % 100 == 50) the double's rounding is the decimal's: integers do. */
void vmha_event_duration_format(char *buf, size_t len, int64_t ms)
{
    if (ms < 0 || ms >= INT64_C(1000000000000) || ms % 100 == 50) {
        snprintf(buf, len, "%.1f s", (double)ms / 1000.0);
        return;
    }
    uint64_t tenths = (uint64_t)(ms / 100 + (ms % 100 > 50));
    char tmp[32];
    char *p = tmp + sizeof(tmp);
    *--p = '\0';
    *--p = 's';
    *--p = ' ';
    *--p = (char)('0' + tenths % 10);
    *--p = '.';
    tenths /= 10;
    do {
        *--p = (char)('0' + tenths % 10);
        tenths /= 10;
    } while (tenths);
    g_strlcpy(buf, p, len);
}
