/* vmctl: the command-line client. Its commands are listed in vmctl.c's table; their handlers live
 * in cmd-NOUN.c, one file per noun (commands.h). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "vmha/result.h"

typedef struct {
    bool json;          /* --json: machine-readable output, schema in docs/vmctl.md */
    const char *socket; /* --socket: clusterd's local socket */
    bool quiet;         /* report no failure (a poll that expects them), report.h */
} VmctlOptions;

/* vmctl exits with a VmhaResult (include/vmha/result.h), documented in vmctl(8). */

/* A command handler gets the arguments after its own name (argv[0] is the command's name). */
typedef int (*VmctlCommandFn)(const VmctlOptions *opts, int argc, char **argv);

/* What a word on the command line names: what bash completion offers for it. */
typedef enum {
    VMCTL_WORD_END = 0,  /* ends a command's list of operands */
    VMCTL_WORD_TEXT,     /* free text (a new name, KEY=VALUE, a shell command): nothing offered */
    VMCTL_WORD_VM,       /* a VM of the running cluster */
    VMCTL_WORD_NODE,     /* a node of the running cluster */
    VMCTL_WORD_NODES,    /* NODE[,NODE...] */
    VMCTL_WORD_FENCE,    /* a fence device of the running cluster */
    VMCTL_WORD_PROPERTY, /* a cluster property (KEY=VALUE) */
    VMCTL_WORD_FILE,     /* a path */
    VMCTL_WORD_CHOICE,   /* one of VmctlOption.choices */
    VMCTL_WORD_COMMAND,  /* a vmctl command (vmctl help COMMAND) */
} VmctlWord;

/* One option of one command. The table in vmctl.c is what vmctl accepts: dispatch refuses an
 * option its command does not list there before the handler runs, and `--help`, vmctl(8)'s test
 * and bash completion read the same rows. */
typedef struct {
    const char *name;    /* without the dashes: "wait" is --wait */
    int has_arg;         /* no_argument, required_argument or optional_argument (getopt.h) */
    const char *arg;     /* the argument's name in help ("SECONDS"), NULL when it takes none */
    VmctlWord word;      /* what the argument is, for completion */
    const char *choices; /* VMCTL_WORD_CHOICE: the values, space-separated */
    const char *help;    /* one line */
} VmctlOption;

enum {
    /* Options only before the first operand unless "--" ends them (node exec: the words after the
     * node are the command, its own options included). */
    VMCTL_CMD_OPTIONS_FIRST = 1 << 0,
    /* The last kind in operands[] repeats (KEY=VALUE...). */
    VMCTL_CMD_REPEAT_LAST = 1 << 1,
    /* Not listed in help or vmctl(8) (completion's own helper). */
    VMCTL_CMD_HIDDEN = 1 << 2,
};

typedef struct {
    const char *name; /* "status", "vm add", "node drain", ... */
    VmctlCommandFn run;
    const char *usage;   /* one line: arguments after the name */
    const char *summary; /* one line: what it does */
    /* Every option the command accepts, {NULL}-terminated (--help is implicit). NULL: a row not
     * yet described; dispatch then only looks for --help and tests/scenario/test-help fails. */
    const VmctlOption *options;
    VmctlWord operands[4]; /* what each operand is, VMCTL_WORD_END after the last */
    unsigned flags;        /* VMCTL_CMD_* */
} VmctlCommand;

/* help.c: the table's readers. */
/* The row for argv[0..1] ("vm add"), its words used in *ret_words; NULL when there is none. */
const VmctlCommand *vmctl_command_find(int argc, char *const *argv, int *ret_words);
/* The whole table (for help and completion). */
const VmctlCommand *vmctl_commands(size_t *ret_n);
/* Whether the words of a command line (argv[0] the command's name) ask for --json: as one of
 * cmd's options, where its row lets options stand; without cmd (no such command), any "--json"
 * before "--". */
bool vmctl_json_requested(const VmctlCommand *cmd, int argc, char *const *argv);
/* Whether word is the first word of two-word commands ("vm"). */
bool vmctl_is_group(const char *word);
/* Checks a command's arguments against its row before the handler sees them; sets opts->json
 * when they ask for it, wherever it stands. Returns -1 when they are fine, else an exit code for
 * main to return: VMHA_RESULT_OK after printing the help for --help or -h, VMHA_RESULT_USAGE
 * after reporting an option the command does not take. */
int vmctl_check_options(VmctlOptions *opts, const VmctlCommand *cmd, int argc, char **argv);
/* argv[0] (and argv[1]) name no command: help for `vmctl GROUP --help`, else the error, exit 2. */
int vmctl_not_a_command(const VmctlOptions *opts, int argc, char **argv);
/* `vmctl help [COMMAND]`. */
int vmctl_cmd_help(const VmctlOptions *opts, int argc, char **argv);
/* Prints the help of the command or group named by words (the whole list when n_words is 0);
 * VMHA_RESULT_USAGE with one line when there is no such command. */
int vmctl_help(const VmctlOptions *opts, FILE *out, int n_words, char *const *words);
/* complete.c: `vmctl __complete WORD...`, bash completion's helper. */
int vmctl_cmd_complete(const VmctlOptions *opts, int argc, char **argv);
