/* Reading a command handler's own command line: its options, described as data, and the count of
 * its operands. dispatch (help.c) already refused options the command's row does not list; this
 * reads the values. */
#pragma once

#include <stdbool.h>

#include "vmctl.h"

typedef enum {
    VMCTL_ARG_FLAG,    /* bool *: true when given */
    VMCTL_ARG_UNFLAG,  /* bool *: false when given (--no-wait) */
    VMCTL_ARG_STRING,  /* const char **: the value */
    VMCTL_ARG_LIST,    /* GPtrArray *: every value, in the order given */
    VMCTL_ARG_TIMEOUT, /* unsigned *: seconds, 1..max (86400 when max is 0) */
    VMCTL_ARG_PARSE,   /* parse(opts, value, ret): its own values and message */
} VmctlArgKind;

typedef struct {
    const char *name; /* without the dashes; NULL after the last */
    VmctlArgKind kind;
    void *ret;
    unsigned max; /* VMCTL_ARG_TIMEOUT */
    /* VMCTL_ARG_PARSE: stores the value in ret, or reports why it is bad and returns -1. */
    int (*parse)(const VmctlOptions *opts, const char *value, void *ret);
} VmctlArg;

/* The rows of a VmctlArg list. */
#define VMCTL_ARG(n, k, r)                                                                         \
    {                                                                                              \
        .name = (n), .kind = (k), .ret = (r)                                                       \
    }
#define VMCTL_ARG_TIMEOUT_UPTO(n, r, m)                                                            \
    {                                                                                              \
        .name = (n), .kind = VMCTL_ARG_TIMEOUT, .ret = (r), .max = (m)                             \
    }
#define VMCTL_ARG_PARSED(n, fn, r)                                                                 \
    {                                                                                              \
        .name = (n), .kind = VMCTL_ARG_PARSE, .ret = (r), .parse = (fn)                            \
    }
#define VMCTL_ARG_END                                                                              \
    {                                                                                              \
        .name = NULL                                                                               \
    }

typedef struct {
    const char *usage;    /* the whole usage error: "usage: vmctl vm start NAME ..." */
    int min_operands;     /* fewer: the usage error */
    int max_operands;     /* more: the usage error; -1 for any number */
    bool options_first;   /* options end at the first operand (getopt's "+") */
    const VmctlArg *args; /* the command's own options, {NULL} after the last; may be NULL */
} VmctlArgSpec;

/* Reads argv (argv[0] the command's name) as spec says; --json, every command's option, sets
 * opts->json. Returns the index of the first operand, or -1 after reporting a usage error (the
 * spec's usage, or the bad value's own message). */
int vmctl_parse_args(VmctlOptions *opts, const VmctlArgSpec *spec, int argc, char **argv);

/* The common case: options as args says and exactly one operand, checked as what names (a VM, a
 * node, a fence device: "bad VM name 'x'"; VMCTL_WORD_TEXT: not checked). Returns the operand, or
 * NULL after reporting the usage error. */
const char *vmctl_parse_operand(VmctlOptions *opts, const VmctlArg *args, const char *usage,
                                VmctlWord what, int argc, char **argv);
