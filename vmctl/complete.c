/* `vmctl __complete -- WORD... CURRENT`: bash completion's helper (vmctl/vmctl.bash-completion).
 * WORDs are the words typed after "vmctl", CURRENT the one being completed (maybe empty). Prints
 * the candidates that start with CURRENT, one a line; ":file" alone asks for file names. Names of
 * VMs, nodes and fence devices come from the running cluster (the same requests as `vm list`,
 * `node list`, `fence list`); without a clusterd there are none, and nothing is ever printed on
 * stderr: a completion must not write over the command line. */
#include "config.h"

#include <fcntl.h>
#include <getopt.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "vmctl.h"

/* A completion waits this long for clusterd at most: a hung daemon must not hang the shell. */
#define COMPLETE_TIMEOUT_MS 2000

typedef struct {
    VmctlOptions opts; /* the socket the words name, never --json */
    const char *cur;
    const char *prefix; /* printed before each candidate (NODE,NODE,...: the nodes already given) */
} Completion;

static void offer(const Completion *c, const char *candidate)
{
    g_autofree char *full = g_strconcat(c->prefix ? c->prefix : "", candidate, NULL);
    if (g_str_has_prefix(full, c->cur))
        puts(full);
}

/* Names from one of clusterd's lists: reply[array_key][].name_key, or the keys of an object. */
static void offer_from_cluster(const Completion *c, uint16_t type, const char *array_key,
                               const char *name_key, const char *suffix)
{
    g_autoptr(VmhaMsg) req = vmha_msg_new(type);
    g_autoptr(VmhaMsg) reply = NULL;
    g_autofree char *message = NULL, *json = NULL;
    json_object *o = NULL, *list = NULL;
    int rc = 0;

    if (vmctl_request_any(&c->opts, req, COMPLETE_TIMEOUT_MS, &reply, &rc, &message) !=
                VMHA_RESULT_OK ||
        rc != VMHA_RESULT_OK || vmha_msg_get_str(reply, VMHA_F_JSON, &json) < 0 ||
        !(o = json_tokener_parse(json)))
        return;
    if (json_object_object_get_ex(o, array_key, &list) &&
        json_object_is_type(list, json_type_object)) {
        json_object_object_foreach(list, key, val)
        {
            (void)val;
            g_autofree char *s = g_strconcat(key, suffix, NULL);
            offer(c, s);
        }
    }
    for (size_t i = 0;
         list && json_object_is_type(list, json_type_array) && i < json_object_array_length(list);
         i++) {
        json_object *item = json_object_array_get_idx(list, i), *name = NULL;
        if (json_object_object_get_ex(item, name_key, &name) && name) {
            g_autofree char *s = g_strconcat(json_object_get_string(name), suffix, NULL);
            offer(c, s);
        }
    }
    json_object_put(o);
}

/* The commands' first words, or the commands of one group. */
static void offer_commands(const Completion *c, const char *group)
{
    size_t n = 0, glen = group ? strlen(group) : 0;
    const VmctlCommand *cmds = vmctl_commands(&n);
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

    for (size_t i = 0; i < n; i++) {
        if (cmds[i].flags & VMCTL_CMD_HIDDEN)
            continue;
        g_autofree char *word = NULL;
        if (group) {
            if (strncmp(cmds[i].name, group, glen) != 0 || cmds[i].name[glen] != ' ')
                continue;
            word = g_strdup(cmds[i].name + glen + 1);
        } else {
            const char *sp = strchr(cmds[i].name, ' ');
            word = sp ? g_strndup(cmds[i].name, (gsize)(sp - cmds[i].name))
                      : g_strdup(cmds[i].name);
        }
        if (g_hash_table_add(seen, g_strdup(word)))
            offer(c, word);
    }
}

static void offer_word(Completion *c, VmctlWord word, const char *choices)
{
    switch (word) {
    case VMCTL_WORD_VM:
        offer_from_cluster(c, VMHA_MSG_VM_LIST, "vms", "name", "");
        break;
    case VMCTL_WORD_NODE:
        offer_from_cluster(c, VMHA_MSG_NODE_LIST, "nodes", "name", "");
        break;
    case VMCTL_WORD_NODES: {
        /* "n1,n" completes the last name, keeping those before it. */
        const char *comma = strrchr(c->cur, ',');
        g_autofree char *prefix = comma ? g_strndup(c->cur, (gsize)(comma - c->cur + 1)) : NULL;
        Completion inner = *c;
        if (prefix)
            inner.prefix = prefix;
        offer_from_cluster(&inner, VMHA_MSG_NODE_LIST, "nodes", "name", "");
        break;
    }
    case VMCTL_WORD_FENCE:
        offer_from_cluster(c, VMHA_MSG_FENCE_LIST, "devices", "id", "");
        break;
    case VMCTL_WORD_PROPERTY:
        offer_from_cluster(c, VMHA_MSG_CONFIG_SHOW, "properties", NULL, "=");
        break;
    case VMCTL_WORD_FILE:
        puts(":file");
        break;
    case VMCTL_WORD_CHOICE: {
        g_auto(GStrv) v = g_strsplit(choices ? choices : "", " ", -1);
        for (size_t i = 0; v[i]; i++)
            if (*v[i])
                offer(c, v[i]);
        break;
    }
    case VMCTL_WORD_COMMAND:
        offer_commands(c, NULL);
        break;
    case VMCTL_WORD_END:
    case VMCTL_WORD_TEXT:
        break;
    }
}

static const VmctlOption *find_option(const VmctlCommand *cmd, const char *word)
{
    if (!cmd->options || !g_str_has_prefix(word, "--"))
        return NULL;
    const char *name = word + 2, *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    for (const VmctlOption *o = cmd->options; o->name; o++)
        if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
            return o;
    return NULL;
}

/* Completes the words after the command's name: words[0..n-1] are complete, c->cur is not. */
static void complete_command(Completion *c, const VmctlCommand *cmd, char **words, int n)
{
    int operand = 0;
    bool options_done = false;
    const VmctlOption *pending = NULL; /* the last word was an option whose argument comes next */

    for (int i = 0; i < n; i++) {
        const VmctlOption *o = options_done ? NULL : find_option(cmd, words[i]);
        if (pending) {
            pending = NULL;
        } else if (!options_done && strcmp(words[i], "--") == 0) {
            options_done = true;
        } else if (o) {
            if (o->has_arg == required_argument && !strchr(words[i], '='))
                pending = o;
        } else if (!options_done && words[i][0] == '-') {
            /* an option we do not know: it takes no argument, as far as we can tell */
        } else {
            operand++;
            if (cmd->flags & VMCTL_CMD_OPTIONS_FIRST)
                options_done = true;
        }
    }
    if (pending) {
        offer_word(c, pending->word, pending->choices);
        return;
    }
    if (!options_done && g_str_has_prefix(c->cur, "--")) {
        const VmctlOption *o = strchr(c->cur, '=') ? find_option(cmd, c->cur) : NULL;
        if (o) { /* "--to=n": the candidates carry the "--to=" */
            g_autofree char *head = g_strndup(c->cur, (gsize)(strchr(c->cur, '=') - c->cur + 1));
            Completion inner = *c;
            inner.prefix = head;
            offer_word(&inner, o->word, o->choices);
            return;
        }
        for (const VmctlOption *p = cmd->options; p && p->name; p++) {
            g_autofree char *w = g_strdup_printf("--%s", p->name);
            offer(c, w);
        }
        offer(c, "--help");
        return;
    }
    size_t kinds = 0;
    while (kinds < G_N_ELEMENTS(cmd->operands) && cmd->operands[kinds] != VMCTL_WORD_END)
        kinds++;
    VmctlWord word = VMCTL_WORD_END;
    if ((size_t)operand < kinds)
        word = cmd->operands[operand];
    else if (kinds > 0 && (cmd->flags & VMCTL_CMD_REPEAT_LAST))
        word = cmd->operands[kinds - 1];
    if (word == VMCTL_WORD_COMMAND && operand == 1 && n > 0) {
        offer_commands(c, words[n - 1]); /* help vm <TAB> */
        return;
    }
    offer_word(c, word, NULL);
}

int vmctl_cmd_complete(const VmctlOptions *gopts, int argc, char **argv)
{
    Completion c = {.opts = {.socket = gopts->socket}};
    int i = 1;

    /* Quiet whatever happens: clusterd's absence is reported by the command, not the completion. */
    int null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (null_fd >= 0) {
        dup2(null_fd, STDERR_FILENO);
        close(null_fd);
    }
    if (i < argc && strcmp(argv[i], "--") == 0)
        i++;
    if (i >= argc)
        return VMHA_RESULT_USAGE;
    char **words = argv + i;
    int n = argc - i - 1; /* complete words before the current one */
    c.cur = argv[argc - 1];

    /* vmctl's own options, before the command. */
    int w = 0;
    while (w < n && words[w][0] == '-') {
        if (strcmp(words[w], "--socket") == 0 && w + 1 < n)
            c.opts.socket = words[++w];
        else if (g_str_has_prefix(words[w], "--socket="))
            c.opts.socket = words[w] + strlen("--socket=");
        w++;
    }
    if (w == n && strcmp(n > 0 ? words[n - 1] : "", "--socket") == 0) {
        puts(":file");
        return VMHA_RESULT_OK;
    }
    if (w == n) {
        if (c.cur[0] == '-') {
            static const char *const global[] = {"--json", "--socket", "--help", "--version"};
            for (size_t k = 0; k < G_N_ELEMENTS(global); k++)
                offer(&c, global[k]);
        } else {
            offer_commands(&c, NULL);
        }
        return VMHA_RESULT_OK;
    }
    int used = 0;
    const VmctlCommand *cmd = vmctl_command_find(n - w, words + w, &used);
    if (!cmd && n - w == 1) {
        offer_commands(&c, words[w]); /* vm <TAB> */
        return VMHA_RESULT_OK;
    }
    if (!cmd || (cmd->flags & VMCTL_CMD_HIDDEN))
        return VMHA_RESULT_OK;
    complete_command(&c, cmd, words + w + used, n - w - used);
    return VMHA_RESULT_OK;
}
