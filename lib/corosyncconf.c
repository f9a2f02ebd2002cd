/* corosync.conf: rendering setup's file, parsing a running cluster's for join and leave, and the
 * two edits those make (a node in or out, two_node kept right). Pure. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "corosyncconf.h"

typedef enum {
    ITEM_COMMENT, /* key: the whole line, '#' included */
    ITEM_KV,
    ITEM_SECTION,
} ItemKind;

typedef struct Item {
    ItemKind kind;
    char *key; /* section name, key, or comment text */
    char *value;
    GPtrArray *children; /* Item*, sections only */
} Item;

struct VmhaCsConf {
    Item *root; /* an unnamed section: the file */
};

static void item_free(gpointer p)
{
    Item *it = p;

    if (!it)
        return;
    g_free(it->key);
    g_free(it->value);
    if (it->children)
        g_ptr_array_unref(it->children);
    g_free(it);
}

static Item *item_new(ItemKind kind, const char *key, const char *value)
{
    Item *it = g_new0(Item, 1);

    it->kind = kind;
    it->key = g_strdup(key);
    it->value = g_strdup(value);
    if (kind == ITEM_SECTION)
        it->children = g_ptr_array_new_with_free_func(item_free);
    return it;
}

static Item *add(Item *section, ItemKind kind, const char *key, const char *value)
{
    Item *it = item_new(kind, key, value);
    g_ptr_array_add(section->children, it);
    return it;
}

static void add_comment(Item *section, const char *text)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (size_t i = 0; lines[i]; i++) {
        g_autofree char *line = lines[i][0] ? g_strconcat("# ", lines[i], NULL) : g_strdup("#");
        add(section, ITEM_COMMENT, line, NULL);
    }
}

void vmha_cs_node_free(VmhaCsNode *n)
{
    if (!n)
        return;
    g_free(n->name);
    g_free(n->addr);
    g_free(n);
}

VmhaCsNode *vmha_cs_node_new(const char *name, const char *addr, uint32_t nodeid)
{
    VmhaCsNode *n = g_new0(VmhaCsNode, 1);
    n->name = g_strdup(name);
    n->addr = g_strdup(addr);
    n->nodeid = nodeid;
    return n;
}

void vmha_cs_conf_free(VmhaCsConf *conf)
{
    if (!conf)
        return;
    item_free(conf->root);
    g_free(conf);
}

/* ---- names ---- */

bool vmha_hostname_valid(const char *name)
{
    size_t len = name ? strlen(name) : 0, label = 0;

    if (len == 0 || len > 253)
        return false;
    for (size_t i = 0; i <= len; i++) {
        char c = name[i];
        if (c == '.' || c == '\0') {
            if (label == 0 || label > 63 || name[i - 1] == '-')
                return false;
            label = 0;
            continue;
        }
        if (!g_ascii_isalnum(c) && c != '-')
            return false;
        if (label == 0 && c == '-')
            return false;
        label++;
    }
    return true;
}

bool vmha_cluster_name_valid(const char *name)
{
    size_t len = name ? strlen(name) : 0;

    if (len == 0 || len > 32)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!g_ascii_isalnum(name[i]) && name[i] != '_' && name[i] != '-')
            return false;
    return true;
}

bool vmha_ip_addr_valid(const char *addr)
{
    unsigned char buf[sizeof(struct in6_addr)];

    return addr && (inet_pton(AF_INET, addr, buf) == 1 || inet_pton(AF_INET6, addr, buf) == 1);
}

int vmha_node_arg_parse(const char *arg, char **ret_name, char **ret_addr, char **ret_error)
{
    const char *eq = strchr(arg, '=');
    g_autofree char *name = eq ? g_strndup(arg, (size_t)(eq - arg)) : g_strdup(arg);

    if (!vmha_hostname_valid(name)) {
        *ret_error = g_strdup_printf("'%s' is not a valid host name (letters, digits and '-', "
                                     "dot-separated, as in RFC 1123)",
                                     name);
        return -EINVAL;
    }
    if (eq && !vmha_ip_addr_valid(eq + 1)) {
        *ret_error = g_strdup_printf("'%s' in '%s' is not an IPv4 or IPv6 address", eq + 1, arg);
        return -EINVAL;
    }
    *ret_name = g_steal_pointer(&name);
    *ret_addr = eq ? g_strdup(eq + 1) : NULL;
    return 0;
}

/* Two spellings of one address ("::1" and "0::1") are the same address. */
static bool same_addr(const char *a, const char *b)
{
    unsigned char x[sizeof(struct in6_addr)] = {0}, y[sizeof(struct in6_addr)] = {0};
    int fa = strchr(a, ':') ? AF_INET6 : AF_INET, fb = strchr(b, ':') ? AF_INET6 : AF_INET;

    if (fa != fb || inet_pton(fa, a, x) != 1 || inet_pton(fb, b, y) != 1)
        return g_ascii_strcasecmp(a, b) == 0;
    return memcmp(x, y, sizeof(x)) == 0;
}

static int clash(const VmhaCsNode *a, const VmhaCsNode *b, char **ret_error)
{
    if (g_ascii_strcasecmp(a->name, b->name) == 0)
        *ret_error = g_strdup_printf("node '%s' is given twice", b->name);
    else if (same_addr(a->addr, b->addr))
        *ret_error = g_strdup_printf("'%s' and '%s' have the same address %s", a->name, b->name,
                                     a->addr);
    else if (a->nodeid == b->nodeid)
        *ret_error = g_strdup_printf("'%s' and '%s' have the same node id %u", a->name, b->name,
                                     a->nodeid);
    else
        return 0;
    return -EINVAL;
}

int vmha_cs_spec_check(const VmhaCsSpec *spec, char **ret_error)
{
    if (!vmha_cluster_name_valid(spec->cluster_name)) {
        *ret_error = g_strdup_printf("bad cluster name '%s': 1 to 32 letters, digits, '_' or '-'",
                                     spec->cluster_name ? spec->cluster_name : "");
        return -EINVAL;
    }
    if (spec->token_ms < VMHA_CS_TOKEN_MIN_MS || spec->token_ms > VMHA_CS_TOKEN_MAX_MS) {
        *ret_error = g_strdup_printf("token %u ms is out of range (%u to %u)", spec->token_ms,
                                     VMHA_CS_TOKEN_MIN_MS, VMHA_CS_TOKEN_MAX_MS);
        return -EINVAL;
    }
    if (spec->n_nodes < 2 || spec->n_nodes > 64) {
        *ret_error = g_strdup_printf("a cluster has 2 to 64 nodes, not %zu", spec->n_nodes);
        return -EINVAL;
    }
    if (spec->qdevice_host && !vmha_hostname_valid(spec->qdevice_host) &&
        !vmha_ip_addr_valid(spec->qdevice_host)) {
        *ret_error = g_strdup_printf("bad quorum device host '%s'", spec->qdevice_host);
        return -EINVAL;
    }
    for (size_t i = 0; i < spec->n_nodes; i++) {
        const VmhaCsNode *n = spec->nodes[i];
        if (!vmha_hostname_valid(n->name)) {
            *ret_error = g_strdup_printf("'%s' is not a valid host name", n->name);
            return -EINVAL;
        }
        if (!vmha_ip_addr_valid(n->addr)) {
            *ret_error = g_strdup_printf("'%s' is not an IP address (node '%s')", n->addr, n->name);
            return -EINVAL;
        }
        if (n->nodeid == 0) {
            *ret_error = g_strdup_printf("node '%s' has node id 0", n->name);
            return -EINVAL;
        }
        for (size_t j = 0; j < i; j++)
            if (clash(spec->nodes[j], n, ret_error) < 0)
                return -EINVAL;
    }
    return 0;
}

/* ---- rendering ---- */

static void render_items(GString *out, const Item *section, int depth)
{
    for (guint i = 0; i < section->children->len; i++) {
        const Item *it = g_ptr_array_index(section->children, i);
        /* A blank line before each top-level section (and its comment block). */
        if (depth == 0 && i > 0) {
            const Item *prev = g_ptr_array_index(section->children, i - 1);
            bool starts_block = it->kind == ITEM_SECTION || it->kind == ITEM_COMMENT;
            if (starts_block && prev->kind != ITEM_COMMENT)
                g_string_append_c(out, '\n');
        }
        for (int d = 0; d < depth; d++)
            g_string_append(out, "    ");
        switch (it->kind) {
        case ITEM_COMMENT:
            g_string_append_printf(out, "%s\n", it->key);
            break;
        case ITEM_KV:
            g_string_append_printf(out, "%s: %s\n", it->key, it->value);
            break;
        case ITEM_SECTION:
            g_string_append_printf(out, "%s {\n", it->key);
            render_items(out, it, depth + 1);
            for (int d = 0; d < depth; d++)
                g_string_append(out, "    ");
            g_string_append(out, "}\n");
            break;
        }
    }
}

char *vmha_cs_conf_render(const VmhaCsConf *conf)
{
    GString *out = g_string_new(NULL);
    render_items(out, conf->root, 0);
    return g_string_free(out, FALSE);
}

static Item *find_section(const Item *section, const char *name)
{
    for (guint i = 0; section && i < section->children->len; i++) {
        Item *it = g_ptr_array_index(section->children, i);
        if (it->kind == ITEM_SECTION && g_str_equal(it->key, name))
            return it;
    }
    return NULL;
}

static Item *find_kv(const Item *section, const char *key)
{
    for (guint i = 0; section && i < section->children->len; i++) {
        Item *it = g_ptr_array_index(section->children, i);
        if (it->kind == ITEM_KV && g_str_equal(it->key, key))
            return it;
    }
    return NULL;
}

static const char two_node_comment[] =
        "two_node: two hosts with one vote each, where either one alone stays quorate (once both\n"
        "were seen together: wait_for_all), so fencing decides which of them runs the VMs.";

/* two_node exactly when there are two nodes and no quorum device (votequorum(5) lets it change
 * at runtime, and corosync-cfgtool -R applies it). */
static void fix_two_node(VmhaCsConf *conf)
{
    Item *quorum = find_section(conf->root, "quorum");
    Item *nodelist = find_section(conf->root, "nodelist");
    size_t n = 0;

    if (!quorum) {
        quorum = add(conf->root, ITEM_SECTION, "quorum", NULL);
        add(quorum, ITEM_KV, "provider", "corosync_votequorum");
    }
    for (guint i = 0; nodelist && i < nodelist->children->len; i++) {
        const Item *it = g_ptr_array_index(nodelist->children, i);
        n += it->kind == ITEM_SECTION && g_str_equal(it->key, "node");
    }
    bool want = n == 2 && !find_section(quorum, "device");
    Item *kv = find_kv(quorum, "two_node");
    if (want && !kv) {
        add_comment(quorum, two_node_comment);
        add(quorum, ITEM_KV, "two_node", "1");
    } else if (want) {
        g_free(kv->value);
        kv->value = g_strdup("1");
    } else if (kv) {
        /* The key and the comment block right above it, which is about it. */
        guint i = 0;
        g_ptr_array_find(quorum->children, kv, &i);
        guint first = i;
        while (first > 0 &&
               ((Item *)g_ptr_array_index(quorum->children, first - 1))->kind == ITEM_COMMENT)
            first--;
        g_ptr_array_remove_range(quorum->children, first, i - first + 1);
    }
}

static void add_node_section(Item *nodelist, const VmhaCsNode *n)
{
    Item *node = add(nodelist, ITEM_SECTION, "node", NULL);
    g_autofree char *id = g_strdup_printf("%u", n->nodeid);
    add(node, ITEM_KV, "name", n->name);
    add(node, ITEM_KV, "nodeid", id);
    add(node, ITEM_KV, "ring0_addr", n->addr);
}

char *vmha_cs_render_spec(const VmhaCsSpec *spec)
{
    g_autofree char *error = NULL;
    if (vmha_cs_spec_check(spec, &error) < 0)
        return NULL;

    VmhaCsConf conf = {.root = item_new(ITEM_SECTION, NULL, NULL)};
    Item *root = conf.root;
    g_autofree char *head = g_strdup_printf(
            "corosync.conf of the vmha cluster '%s', written by vmctl cluster setup.\n"
            "vmctl cluster join/leave edit the nodelist (and two_node) on every node and reload\n"
            "it; see docs/GUIDE.md for why each setting is what it is.",
            spec->cluster_name);
    add_comment(root, head);

    Item *totem = add(root, ITEM_SECTION, "totem", NULL);
    add(totem, ITEM_KV, "version", "2");
    add(totem, ITEM_KV, "cluster_name", spec->cluster_name);
    add_comment(totem, "knet: every packet encrypted and authenticated with the cluster's key\n"
                       "(/etc/corosync/authkey, made by corosync-keygen, mode 0400).");
    add(totem, ITEM_KV, "transport", "knet");
    add(totem, ITEM_KV, "crypto_cipher", "aes256");
    add(totem, ITEM_KV, "crypto_hash", "sha256");
    unsigned detect = spec->token_ms * 22 / 10;
    g_autofree char *token_why = g_strdup_printf(
            "A lost host is noticed within token + consensus (1.2 x token) = %u.%u s, whatever "
            "the\n"
            "number of nodes (token_coefficient: 0). vmha's self-fence arithmetic allows %u s for\n"
            "that with its default timeouts (vmha-fence-watchdog-timeout 20 s > self-fence 10 s +\n"
            "watchdog 5 s + this + margin; docs/ARCHITECTURE.md)%s. Shorter reacts faster, but a\n"
            "host that stalls that long (load, a saturated link) is taken for dead and fenced.",
            detect / 1000, detect % 1000 / 100, VMHA_CS_DETECT_BUDGET_MS / 1000,
            detect > VMHA_CS_DETECT_BUDGET_MS ? ": RAISE vmha-fence-watchdog-timeout accordingly"
                                              : "");
    add_comment(totem, token_why);
    g_autofree char *token = g_strdup_printf("%u", spec->token_ms);
    add(totem, ITEM_KV, "token", token);
    add(totem, ITEM_KV, "token_coefficient", "0");

    Item *logging = add(root, ITEM_SECTION, "logging", NULL);
    add(logging, ITEM_KV, "to_logfile", "yes");
    add(logging, ITEM_KV, "logfile", "/var/log/corosync/corosync.log");
    add(logging, ITEM_KV, "to_syslog", "yes");
    add(logging, ITEM_KV, "timestamp", "hires");

    Item *quorum = add(root, ITEM_SECTION, "quorum", NULL);
    add(quorum, ITEM_KV, "provider", "corosync_votequorum");
    if (spec->qdevice_host) {
        add_comment(quorum,
                    "A quorum device: corosync-qnetd on another host gives one more vote, to one\n"
                    "side of a split only (ffsplit), so a lone node never counts as quorate.");
        Item *device = add(quorum, ITEM_SECTION, "device", NULL);
        add(device, ITEM_KV, "model", "net");
        add(device, ITEM_KV, "votes", "1");
        Item *net = add(device, ITEM_SECTION, "net", NULL);
        add(net, ITEM_KV, "host", spec->qdevice_host);
        add(net, ITEM_KV, "algorithm", "ffsplit");
        add(net, ITEM_KV, "tls", "on");
    }

    Item *nodelist = add(root, ITEM_SECTION, "nodelist", NULL);
    for (size_t i = 0; i < spec->n_nodes; i++)
        add_node_section(nodelist, spec->nodes[i]);
    fix_two_node(&conf);

    char *s = vmha_cs_conf_render(&conf);
    item_free(conf.root);
    return s;
}

/* ---- parsing ---- */

int vmha_cs_conf_parse(const char *text, VmhaCsConf **ret_conf, char **ret_error)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    g_autoptr(GPtrArray) stack = g_ptr_array_new();
    Item *root = item_new(ITEM_SECTION, NULL, NULL);
    Item *cur = root;

    for (size_t i = 0; lines[i]; i++) {
        g_autofree char *line = g_strstrip(g_strdup(lines[i]));
        size_t len = strlen(line);
        const char *error = NULL;

        if (len == 0)
            continue;
        if (line[0] == '#') {
            add(cur, ITEM_COMMENT, line, NULL);
        } else if (g_str_equal(line, "}")) {
            if (stack->len == 0)
                error = "'}' without a section to close";
            else
                cur = g_ptr_array_steal_index(stack, stack->len - 1);
        } else if (line[len - 1] == '{') {
            line[len - 1] = '\0';
            g_strchomp(line);
            if (!*line || strpbrk(line, " \t:{}"))
                error = "bad section name";
            else {
                g_ptr_array_add(stack, cur);
                cur = add(cur, ITEM_SECTION, line, NULL);
            }
        } else {
            char *colon = strchr(line, ':');
            if (!colon || colon == line)
                error = "expected 'key: value', 'section {', '}' or a comment";
            else {
                *colon = '\0';
                g_autofree char *key = g_strstrip(g_strdup(line));
                g_autofree char *value = g_strstrip(g_strdup(colon + 1));
                if (!*key || strpbrk(key, " \t{}"))
                    error = "bad key";
                else
                    add(cur, ITEM_KV, key, value);
            }
        }
        if (error) {
            *ret_error = g_strdup_printf("line %zu: %s", i + 1, error);
            item_free(root);
            return -EINVAL;
        }
    }
    if (stack->len > 0) {
        *ret_error = g_strdup_printf("section '%s' is not closed", cur->key);
        item_free(root);
        return -EINVAL;
    }
    VmhaCsConf *conf = g_new0(VmhaCsConf, 1);
    conf->root = root;
    *ret_conf = conf;
    return 0;
}

const char *vmha_cs_conf_get(const VmhaCsConf *conf, const char *path)
{
    g_auto(GStrv) parts = g_strsplit(path, ".", -1);
    const Item *section = conf->root;
    size_t n = g_strv_length(parts);

    for (size_t i = 0; i + 1 < n && section; i++)
        section = find_section(section, parts[i]);
    const Item *kv = n ? find_kv(section, parts[n - 1]) : NULL;
    return kv ? kv->value : NULL;
}

static int node_of(const Item *node, VmhaCsNode **ret, char **ret_error)
{
    const Item *name = find_kv(node, "name"), *id = find_kv(node, "nodeid"),
               *addr = find_kv(node, "ring0_addr");
    char *end = NULL;
    unsigned long v = id ? strtoul(id->value, &end, 10) : 0;

    if (!id || !*id->value || *end || v == 0 || v > UINT32_MAX) {
        *ret_error = g_strdup_printf("a node of the nodelist has no valid nodeid%s%s",
                                     name ? ": " : "", name ? name->value : "");
        return -EINVAL;
    }
    if (!addr) {
        *ret_error = g_strdup_printf("node %lu of the nodelist has no ring0_addr", v);
        return -EINVAL;
    }
    *ret = vmha_cs_node_new(name ? name->value : addr->value, addr->value, (uint32_t)v);
    return 0;
}

int vmha_cs_conf_nodes(const VmhaCsConf *conf, GPtrArray **ret_nodes, char **ret_error)
{
    const Item *nodelist = find_section(conf->root, "nodelist");
    g_autoptr(GPtrArray) nodes = g_ptr_array_new_with_free_func((GDestroyNotify)vmha_cs_node_free);

    for (guint i = 0; nodelist && i < nodelist->children->len; i++) {
        const Item *it = g_ptr_array_index(nodelist->children, i);
        VmhaCsNode *n = NULL;
        if (it->kind != ITEM_SECTION || !g_str_equal(it->key, "node"))
            continue;
        if (node_of(it, &n, ret_error) < 0)
            return -EINVAL;
        g_ptr_array_add(nodes, n);
    }
    *ret_nodes = g_steal_pointer(&nodes);
    return 0;
}

uint32_t vmha_cs_conf_next_nodeid(const VmhaCsConf *conf)
{
    g_autoptr(GPtrArray) nodes = NULL;
    g_autofree char *error = NULL;
    uint32_t max = 0;

    if (vmha_cs_conf_nodes(conf, &nodes, &error) < 0)
        return 0;
    for (guint i = 0; i < nodes->len; i++)
        max = MAX(max, ((VmhaCsNode *)g_ptr_array_index(nodes, i))->nodeid);
    return max + 1;
}

int vmha_cs_conf_add_node(VmhaCsConf *conf, const VmhaCsNode *node, char **ret_error)
{
    g_autoptr(GPtrArray) nodes = NULL;

    if (!vmha_hostname_valid(node->name) || !vmha_ip_addr_valid(node->addr) || !node->nodeid) {
        *ret_error = g_strdup_printf("bad node '%s' (%s, id %u)", node->name,
                                     node->addr ? node->addr : "no address", node->nodeid);
        return -EINVAL;
    }
    if (vmha_cs_conf_nodes(conf, &nodes, ret_error) < 0)
        return -EINVAL;
    for (guint i = 0; i < nodes->len; i++) {
        const VmhaCsNode *n = g_ptr_array_index(nodes, i);
        g_autofree char *why = NULL;
        if (clash(n, node, &why) < 0) {
            *ret_error = g_strdup_printf("%s: already in the cluster as node '%s' (%s, id %u)",
                                         node->name, n->name, n->addr, n->nodeid);
            return -EEXIST;
        }
    }
    Item *nodelist = find_section(conf->root, "nodelist");
    if (!nodelist)
        nodelist = add(conf->root, ITEM_SECTION, "nodelist", NULL);
    add_node_section(nodelist, node);
    fix_two_node(conf);
    return 0;
}

int vmha_cs_conf_remove_node(VmhaCsConf *conf, const char *name, char **ret_error)
{
    Item *nodelist = find_section(conf->root, "nodelist");
    guint count = 0, found = G_MAXUINT;

    for (guint i = 0; nodelist && i < nodelist->children->len; i++) {
        const Item *it = g_ptr_array_index(nodelist->children, i);
        if (it->kind != ITEM_SECTION || !g_str_equal(it->key, "node"))
            continue;
        count++;
        const Item *n = find_kv(it, "name");
        if (n && g_ascii_strcasecmp(n->value, name) == 0)
            found = i;
    }
    if (found == G_MAXUINT) {
        *ret_error = g_strdup_printf("'%s' is not a node of this cluster", name);
        return -ENOENT;
    }
    if (count <= 2) {
        *ret_error =
                g_strdup_printf("'%s' is one of the last two nodes: a cluster keeps two", name);
        return -EINVAL;
    }
    g_ptr_array_remove_index(nodelist->children, found);
    fix_two_node(conf);
    return 0;
}
