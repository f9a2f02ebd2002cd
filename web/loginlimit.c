#include "config.h"

#include <glib.h>

#include "loginlimit.h"

typedef struct {
    int64_t *failures; /* the last max_failures failures' times, a ring */
    unsigned next;     /* where the next failure goes: the oldest once the ring is full */
    unsigned count;    /* how many of the ring are used */
    int64_t last;      /* the latest failure */
} Address;

struct WebLoginLimit {
    unsigned max_failures;
    int64_t window_s;
    size_t max_addresses;
    GHashTable *addresses; /* address -> Address */
};

static void address_free(gpointer p)
{
    Address *a = p;
    g_free(a->failures);
    g_free(a);
}

WebLoginLimit *web_login_limit_new(unsigned max_failures, int64_t window_s, size_t max_addresses)
{
    g_return_val_if_fail(max_failures > 0 && max_addresses > 0, NULL);
    WebLoginLimit *l = g_new0(WebLoginLimit, 1);

    l->max_failures = max_failures;
    l->window_s = window_s;
    l->max_addresses = max_addresses;
    l->addresses = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, address_free);
    return l;
}

void web_login_limit_free(WebLoginLimit *l)
{
    if (!l)
        return;
    g_hash_table_destroy(l->addresses);
    g_free(l);
}

int64_t web_login_limit_wait(WebLoginLimit *l, const char *address, int64_t now)
{
    Address *a = g_hash_table_lookup(l->addresses, address);

    if (!a || a->count < l->max_failures)
        return 0;
    /* Full ring: the oldest of the last max_failures failures decides. */
    int64_t until = a->failures[a->next] + l->window_s;
    return until > now ? until - now : 0;
}

/* Makes room for one more address: forgets the one whose last failure is oldest. */
static void forget_oldest(WebLoginLimit *l)
{
    GHashTableIter it;
    gpointer key, value;
    const char *oldest = NULL;
    int64_t oldest_last = 0;

    g_hash_table_iter_init(&it, l->addresses);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        const Address *a = value;
        if (!oldest || a->last < oldest_last) {
            oldest = key;
            oldest_last = a->last;
        }
    }
    if (oldest)
        g_hash_table_remove(l->addresses, oldest);
}

void web_login_limit_failed(WebLoginLimit *l, const char *address, int64_t now)
{
    Address *a = g_hash_table_lookup(l->addresses, address);

    if (!a) {
        if (g_hash_table_size(l->addresses) >= l->max_addresses)
            forget_oldest(l);
        a = g_new0(Address, 1);
        a->failures = g_new0(int64_t, l->max_failures);
        g_hash_table_insert(l->addresses, g_strdup(address), a);
    }
    a->failures[a->next] = now;
    a->next = (a->next + 1) % l->max_failures;
    if (a->count < l->max_failures)
        a->count++;
    a->last = now;
}

size_t web_login_limit_size(const WebLoginLimit *l)
{
    return g_hash_table_size(l->addresses);
}
