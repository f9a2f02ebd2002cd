/* The policy engine's allocation order, Pacemaker's: the order of the nodes (capacity for
 * `balanced`, then name), and of the VMs (priority, for every strategy but `default` their
 * weights with colocations folded in, then document position). See engine-internal.h. */
#include "engine-internal.h"

static gint cmp_node_order(gconstpointer x, gconstpointer y, gpointer data)
{
    size_t a = *(const size_t *)x, b = *(const size_t *)y;
    const Engine *e = data;
    int sa = e->can_host[a] ? 0 : -INF, sb = e->can_host[b] ? 0 : -INF;
    if (sa != sb)
        return sa > sb ? -1 : 1;
    if (e->m->placement_strategy == VMHA_STRATEGY_BALANCED) {
        int c = compare_capacity(e, a, b);
        if (c != 0)
            return c;
    }
    return strcmp(e->m->nodes[a].name, e->m->nodes[b].name);
}

/* One item's weights as cmp_resources compares them: on the node it runs on, then node by node
 * in the sorted node order. */
static void weight_key(const Engine *e, const Item *it, int *key)
{
    key[0] = weight_in(it->merged, it->current);
    for (size_t i = 0; i < e->n; i++)
        key[i + 1] = weight_in(it->merged, (ssize_t)e->node_order[i]);
}

typedef struct {
    const int *keys;
    size_t len;
} Keys;

static gint cmp_keys(gconstpointer x, gconstpointer y, gpointer data)
{
    const Keys *k = data;
    const int *a = k->keys + *(const size_t *)x * k->len,
              *b = k->keys + *(const size_t *)y * k->len;
    for (size_t i = 0; i < k->len; i++)
        if (a[i] != b[i])
            return a[i] > b[i] ? -1 : 1;
    return 0;
}

/* Ranks the items' weight vectors, highest first: equal vectors share a rank. Most VMs have
 * one of a few vectors (the same scores on the same nodes), so the vectors are told apart
 * once, by hashing, and the allocation order then compares integers. */
static void rank_weights(Engine *e)
{
    size_t ni = e->n_items, len = e->n + 1;
    g_autofree int *keys = g_new(int, MAX(ni, 1) * len);
    g_autofree size_t *uniq = g_new(size_t, MAX(ni, 1)); /* class -> its first item */
    g_autofree size_t *cls = g_new(size_t, MAX(ni, 1));
    size_t cap = 16;
    while (cap < 2 * ni)
        cap *= 2;
    g_autofree ssize_t *slot = g_new(ssize_t, cap);
    memset(slot, -1, sizeof(ssize_t) * cap);
    size_t nu = 0;
    for (size_t i = 0; i < ni; i++) {
        int *key = keys + i * len;
        weight_key(e, &e->items[i], key);
        guint32 h = 2166136261u;
        for (size_t k = 0; k < len; k++)
            h = (h ^ (guint32)key[k]) * 16777619u;
        for (size_t j = h & (cap - 1);; j = (j + 1) & (cap - 1)) {
            if (slot[j] < 0) {
                slot[j] = (ssize_t)nu;
                uniq[nu] = i;
                cls[i] = nu++;
                break;
            }
            if (memcmp(keys + uniq[slot[j]] * len, key, sizeof(int) * len) == 0) {
                cls[i] = (size_t)slot[j];
                break;
            }
        }
    }
    /* Sort the classes' first items by their vectors; a class's rank is its place. */
    g_autofree size_t *sorted = g_memdup2(uniq, sizeof(size_t) * MAX(nu, 1));
    Keys k = {.keys = keys, .len = len};
    if (nu > 1)
        g_qsort_with_data(sorted, (gint)nu, sizeof(size_t), cmp_keys, &k);
    g_autofree size_t *rank_of = g_new(size_t, MAX(nu, 1));
    for (size_t j = 0; j < nu; j++)
        rank_of[cls[sorted[j]]] = j;
    for (size_t i = 0; i < ni; i++)
        e->items[i].rank = rank_of[cls[i]];
}

/* Pacemaker's order: priority, then (cmp_resources, for every strategy but `default`) the
 * weight on the node it runs on, then the weights node by node in the sorted node order (the
 * rank of those weights, rank_weights()); last, document order. */
static gint cmp_items(gconstpointer x, gconstpointer y, gpointer data)
{
    const Engine *e = data;
    const Item *a = &e->items[*(const size_t *)x], *b = &e->items[*(const size_t *)y];
    if (a->priority != b->priority)
        return a->priority > b->priority ? -1 : 1;
    if (a->rank != b->rank)
        return a->rank < b->rank ? -1 : 1;
    return (a->position > b->position) - (a->position < b->position);
}

void engine_allocation_order(Engine *e)
{
    const VmhaModel *m = e->m;
    size_t n = e->n;

    for (size_t i = 0; i < n; i++)
        e->node_order[i] = i;
    if (n > 0)
        g_qsort_with_data(e->node_order, (gint)n, sizeof(size_t), cmp_node_order, e);
    if (m->placement_strategy != VMHA_STRATEGY_DEFAULT) {
        for (size_t i = 0; i < e->n_items; i++) {
            Item *it = &e->items[i];
            g_autofree int *merged = NULL;
            if (it->vm >= 0)
                engine_add_colocated(e, it, &merged, 1.0f, SELECT_THIS_WITH);
            memcpy(it->merged, merged ? merged : it->w, sizeof(int) * n);
        }
    }
    if (m->placement_strategy != VMHA_STRATEGY_DEFAULT)
        rank_weights(e);
    e->order = g_new(size_t, MAX(e->n_items, 1));
    for (size_t i = 0; i < e->n_items; i++)
        e->order[i] = i;
    if (e->n_items > 0)
        g_qsort_with_data(e->order, (gint)e->n_items, sizeof(size_t), cmp_items, e);
}
