/* vmctl: the command-line client. Each command lives in its own file and is listed in vmctl.c. */
#pragma once

#include <stdbool.h>

typedef struct {
    bool json;          /* --json: machine-readable output, schema in docs/vmctl.md */
    const char *socket; /* --socket: clusterd's local socket */
} VmctlOptions;

/* Exit codes, documented in vmctl(8). */
enum {
    VMCTL_EXIT_OK = 0,
    VMCTL_EXIT_FAILURE = 1, /* the operation failed */
    VMCTL_EXIT_USAGE = 2,   /* bad command line or bad value */
    VMCTL_EXIT_NO_QUORUM = 3,
    VMCTL_EXIT_NO_DAEMON = 4, /* clusterd is not running or not reachable */
    VMCTL_EXIT_DENIED = 5,    /* not allowed for this user */
    VMCTL_EXIT_NOT_FOUND = 6, /* unknown VM or node */
    VMCTL_EXIT_REFUSED = 7, /* not done: unsafe or impossible now (reason given), nothing changed */
};

/* A command handler gets the arguments after its own name (argv[0] is the command's name). */
typedef int (*VmctlCommandFn)(const VmctlOptions *opts, int argc, char **argv);

typedef struct {
    const char *name; /* "status", "vm add", "node drain", ... */
    VmctlCommandFn run;
    const char *usage;   /* one line: arguments after the name */
    const char *summary; /* one line: what it does */
} VmctlCommand;

/* Prints "vmctl: <message>" to stderr and returns code, for `return vmctl_fail(...)`. */
int vmctl_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Command handlers, one file each. */
int vmctl_simulate(const VmctlOptions *opts, int argc, char **argv); /* simulate.c */
