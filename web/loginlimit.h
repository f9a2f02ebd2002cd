/* How many failed logins a client address may make: at most max_failures within window_s
 * seconds; then none until the oldest of them is window_s old (docs/web.md, "Security"). Failed
 * logins only: a login that succeeds costs nothing. At most max_addresses are remembered, the one
 * whose last failure is oldest forgotten first. Pure: the caller passes the time. */
#pragma once

#include <stddef.h>
#include <stdint.h>

typedef struct WebLoginLimit WebLoginLimit;

WebLoginLimit *web_login_limit_new(unsigned max_failures, int64_t window_s, size_t max_addresses);
void web_login_limit_free(WebLoginLimit *l);

/* 0 when address may try to log in at now, else the seconds until it may. */
int64_t web_login_limit_wait(WebLoginLimit *l, const char *address, int64_t now);

/* Counts a failed login of address at now. */
void web_login_limit_failed(WebLoginLimit *l, const char *address, int64_t now);

/* How many addresses are remembered (for tests). */
size_t web_login_limit_size(const WebLoginLimit *l);
