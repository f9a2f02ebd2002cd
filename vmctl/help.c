/* The command table's readers: finding a command, checking its options before its handler runs,
 * and help (`vmctl help [COMMAND]`, `vmctl COMMAND --help`, `vmctl GROUP --help`), as text or as
 * one JSON document with --json. */
#include "config.h"

#include <getopt.h>
#include <glib.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "client.h"
#include "commands.h"

/* First words of two-word names ("vm" of "vm add"): the groups. */
bool vmctl_is_group(const char *word)
{
    size_t n = 0, len = strlen(word);
    const VmctlCommand *cmds = vmctl_commands(&n);

    for (size_t i = 0; i < n; i++)
        if (strncmp(cmds[i].name, word, len) == 0 && cmds[i].name[len] == ' ')
            return true;
    return false;
}

static bool in_group(const VmctlCommand *cmd, const char *group)
{
    size_t len = strlen(group);
    return strncmp(cmd->name, group, len) == 0 && cmd->name[len] == ' ';
}

const VmctlCommand *vmctl_command_find(int argc, char *const *argv, int *ret_words)
{
    size_t n = 0;
    const VmctlCommand *cmds = vmctl_commands(&n);

    for (int words = 2; words >= 1; words--) {
        if (argc < words)
            continue;
        g_autofree char *name =
                words == 2 ? g_strdup_printf("%s %s", argv[0], argv[1]) : g_strdup(argv[0]);
        for (size_t i = 0; i < n; i++) {
            if (strcmp(cmds[i].name, name) == 0) {
                *ret_words = words;
                return &cmds[i];
            }
        }
    }
    return NULL;
}

/* "--watch[=SECONDS]", "--config PATH", "--force". */
static char *option_synopsis(const VmctlOption *o)
{
    if (o->has_arg == optional_argument)
        return g_strdup_printf("--%s[=%s]", o->name, o->arg);
    if (o->has_arg == required_argument)
        return g_strdup_printf("--%s %s", o->name, o->arg);
    return g_strdup_printf("--%s", o->name);
}

static json_object *command_json(const VmctlCommand *cmd)
{
    json_object *c = json_object_new_object(), *options = json_object_new_array();

    json_object_object_add(c, "name", json_object_new_string(cmd->name));
    json_object_object_add(c, "usage", json_object_new_string(cmd->usage));
    json_object_object_add(c, "summary", json_object_new_string(cmd->summary));
    for (const VmctlOption *o = cmd->options; o && o->name; o++) {
        json_object *j = json_object_new_object();
        g_autofree char *name = g_strdup_printf("--%s", o->name);
        json_object_object_add(j, "name", json_object_new_string(name));
        json_object_object_add(j, "argument", o->arg ? json_object_new_string(o->arg) : NULL);
        json_object_object_add(j, "argument_optional",
                               json_object_new_boolean(o->has_arg == optional_argument));
        json_object_object_add(j, "help", json_object_new_string(o->help));
        json_object_array_add(options, j);
    }
    json_object_object_add(c, "options", options);
    json_object_object_add(c, "described", json_object_new_boolean(cmd->options != NULL));
    return c;
}

/* Commands in group (NULL: all of them) as {"commands": [...]}, hidden ones left out. */
static int print_json(const char *group, const VmctlCommand *only)
{
    size_t n = 0;
    const VmctlCommand *cmds = vmctl_commands(&n);
    json_object *o = json_object_new_object(), *arr = json_object_new_array();

    for (size_t i = 0; i < n; i++) {
        if (only ? &cmds[i] != only
                 : (cmds[i].flags & VMCTL_CMD_HIDDEN) || (group && !in_group(&cmds[i], group)))
            continue;
        json_object_array_add(arr, command_json(&cmds[i]));
    }
    json_object_object_add(o, "commands", arr);
    vmctl_print_json(o);
    json_object_put(o);
    return VMHA_RESULT_OK;
}

static void print_command_list(FILE *out, const char *group)
{
    size_t n = 0;
    const VmctlCommand *cmds = vmctl_commands(&n);

    for (size_t i = 0; i < n; i++) {
        if ((cmds[i].flags & VMCTL_CMD_HIDDEN) || (group && !in_group(&cmds[i], group)))
            continue;
        if (group) /* the group's page has room for each command's usage */
            fprintf(out, "  vmctl %s %s\n      %s\n", cmds[i].name, cmds[i].usage, cmds[i].summary);
        else
            fprintf(out, "  %-15s %s\n", cmds[i].name, cmds[i].summary);
    }
}

static void print_top(FILE *out)
{
    fprintf(out, "Usage: vmctl [--json] [--socket PATH] COMMAND [ARGS...]\n"
                 "       vmctl help COMMAND | vmctl COMMAND --help   (a command's options)\n\n"
                 "Commands:\n");
    print_command_list(out, NULL);
    fprintf(out,
            "\nOptions (before COMMAND):\n"
            "  --json           print one JSON document (every command)\n"
            "  --socket PATH    clusterd's socket (default %s/clusterd.sock)\n"
            "  --version        print vmctl's version\n"
            "  -h, --help       show this help\n"
            "\nSee vmctl(8).\n",
            VMHA_RUN_DIR);
}

static void print_group(FILE *out, const char *group)
{
    fprintf(out, "Usage: vmctl %s COMMAND [ARGS...]\n\nCommands:\n", group);
    print_command_list(out, group);
    fprintf(out, "\nRun 'vmctl %s COMMAND --help' for a command's options.\n", group);
}

static void print_command(FILE *out, const VmctlCommand *cmd)
{
    fprintf(out, "Usage: vmctl %s%s%s\n\n%s\n\nOptions:\n", cmd->name, *cmd->usage ? " " : "",
            cmd->usage, cmd->summary);
    for (const VmctlOption *o = cmd->options; o && o->name; o++) {
        g_autofree char *syn = option_synopsis(o);
        if (strlen(syn) > 26)
            fprintf(out, "  %s\n  %-26s %s\n", syn, "", o->help);
        else
            fprintf(out, "  %-26s %s\n", syn, o->help);
    }
    fprintf(out, "  %-26s %s\n\nSee vmctl(8).\n", "-h, --help", "show this help");
}

int vmctl_help(const VmctlOptions *opts, FILE *out, int n_words, char *const *words)
{
    int used = 0;
    const VmctlCommand *cmd = n_words > 0 ? vmctl_command_find(n_words, words, &used) : NULL;

    if (n_words == 0) {
        if (opts->json && out == stdout)
            return print_json(NULL, NULL);
        print_top(out);
        return VMHA_RESULT_OK;
    }
    if (cmd && used == n_words && !(cmd->flags & VMCTL_CMD_HIDDEN)) {
        if (opts->json)
            return print_json(NULL, cmd);
        print_command(out, cmd);
        return VMHA_RESULT_OK;
    }
    if (n_words == 1 && vmctl_is_group(words[0])) {
        if (opts->json)
            return print_json(words[0], NULL);
        print_group(out, words[0]);
        return VMHA_RESULT_OK;
    }
    g_autofree char *name = g_strjoinv(" ", (char **)words);
    return vmctl_error(opts, VMHA_RESULT_USAGE, "unknown command '%s'; see 'vmctl --help'", name);
}

int vmctl_cmd_help(const VmctlOptions *gopts, int argc, char **argv)
{
    VmctlOptions opts = *gopts;
    g_autoptr(GPtrArray) words = g_ptr_array_new();

    /* vmctl_check_options let through only --json: every other word names the command. */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            opts.json = true;
        else
            g_ptr_array_add(words, argv[i]);
    }
    g_ptr_array_add(words, NULL);
    if (words->len - 1 > 2) {
        g_autofree char *name = g_strjoinv(" ", (char **)words->pdata);
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "unknown command '%s'; see 'vmctl --help'",
                           name);
    }
    return vmctl_help(&opts, stdout, (int)words->len - 1, (char *const *)words->pdata);
}

int vmctl_not_a_command(const VmctlOptions *opts, int argc, char **argv)
{
    if (!vmctl_is_group(argv[0]))
        return vmctl_error(opts, VMHA_RESULT_USAGE, "unknown command '%s'; see 'vmctl --help'",
                           argv[0]);
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
        return vmctl_help(opts, stdout, 1, argv);
    if (argc >= 2)
        return vmctl_error(opts, VMHA_RESULT_USAGE,
                           "unknown command '%s %s'; see 'vmctl %s --help'", argv[0], argv[1],
                           argv[0]);
    return vmctl_error(opts, VMHA_RESULT_USAGE, "'%s' needs a command; see 'vmctl %s --help'",
                       argv[0], argv[0]);
}

/* What a command line's options say, read against the command's row. */
typedef struct {
    bool json, help;
    char *bad;        /* the first word refused, as given ("--fo" of "--fo=1"), NULL for none */
    bool bad_missing; /* it lacks its value (else it is no option of the command) */
} OptionScan;

static void scan_clear(OptionScan *s)
{
    g_clear_pointer(&s->bad, g_free);
}

/* Literally: every word before "--" (a command without a row, or a row without options). */
static void scan_words(int argc, char *const *argv, OptionScan *ret)
{
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
        ret->json |= strcmp(argv[i], "--json") == 0;
        ret->help |= strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0;
    }
}

/* As getopt_long reads them with cmd's options: an option's value is not an option, "--" ends
 * them, and with VMCTL_CMD_OPTIONS_FIRST so does the first operand. Reads on past a refused
 * word, so that a --json after it still counts. */
static void scan_options(const VmctlCommand *cmd, int argc, char *const *argv, OptionScan *ret)
{
    g_autoptr(GArray) longopts = g_array_new(true, true, sizeof(struct option));
    const struct option help = {"help", no_argument, NULL, 'h'};
    int end = argc, c, index = 0;

    *ret = (OptionScan){0};
    if (!cmd->options) {
        scan_words(argc, argv, ret);
        return;
    }
    for (const VmctlOption *o = cmd->options; o->name; o++) {
        /* 256 and up: never a short option's character. */
        struct option lo = {o->name, o->has_arg, NULL, 256 + (int)(o - cmd->options)};
        g_array_append_val(longopts, lo);
    }
    g_array_append_val(longopts, help);
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--") == 0) {
            end = i;
            break;
        }
    /* On a copy: getopt_long permutes, and the handler must see the words as they were given.
     * ':' first: a missing argument is told apart from an unknown option. */
    g_autofree char **copy = g_new0(char *, (gsize)end + 1);
    memcpy(copy, argv, sizeof(char *) * (size_t)end);
    const char *optstring = (cmd->flags & VMCTL_CMD_OPTIONS_FIRST) && end == argc ? "+:h" : ":h";

    optind = 0;
    opterr = 0;
    while ((c = getopt_long(end, copy, optstring, (struct option *)longopts->data, &index)) != -1) {
        if (c == 'h') {
            ret->help = true;
        } else if (c >= 256) {
            ret->json |= strcmp(cmd->options[c - 256].name, "json") == 0;
        } else if (!ret->bad) {
            /* The word as given, without a value after '=': "--fo=1" is "--fo". */
            ret->bad = optopt && optopt < 256 ? g_strdup_printf("-%c", optopt)
                                              : g_strdup(copy[optind - 1]);
            char *eq = strchr(ret->bad, '=');
            if (eq)
                *eq = '\0';
            ret->bad_missing = c == ':';
        }
    }
    optind = 0; /* the handler parses again from the start */
    opterr = 1;
}

bool vmctl_json_requested(const VmctlCommand *cmd, int argc, char *const *argv)
{
    OptionScan scan = {0};

    if (cmd)
        scan_options(cmd, argc, argv, &scan);
    else
        scan_words(argc, argv, &scan);
    scan_clear(&scan);
    return scan.json;
}

int vmctl_check_options(VmctlOptions *opts, const VmctlCommand *cmd, int argc, char **argv)
{
    OptionScan scan = {0};
    int rc = -1;

    scan_options(cmd, argc, argv, &scan);
    opts->json |= scan.json;
    if (scan.bad && scan.bad_missing)
        rc = vmctl_error(opts, VMHA_RESULT_USAGE, "%s: option '%s' needs a value", cmd->name,
                         scan.bad);
    else if (scan.bad)
        rc = vmctl_error(opts, VMHA_RESULT_USAGE, "%s: unknown option '%s'; see 'vmctl %s --help'",
                         cmd->name, scan.bad, cmd->name);
    else if (scan.help && opts->json && cmd->options)
        rc = print_json(NULL, cmd);
    else if (scan.help) {
        print_command(stdout, cmd);
        rc = VMHA_RESULT_OK;
    }
    scan_clear(&scan);
    return rc;
}

/* Commands take no options of their own but --json, which may also follow the command name. */
int vmctl_parse_common(VmctlOptions *opts, int argc, char **argv, int max_args)
{
    static const struct option long_options[] = {
            {"json", no_argument, NULL, 'j'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
    };
    int c;

    optind = 0; /* 0, not 1: glibc then re-reads the optstring (main used "+") */
    while ((c = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
        if (c == 'j')
            opts->json = true;
        else
            return -1;
    }
    if (argc - optind > max_args)
        return -1;
    return optind;
}
