/* clusterd's command line (clusterd(8)), parsed once at start-up into cd_config, where the
 * modules read their settings. */
#pragma once

#include <stdbool.h>

typedef struct {
    char *state_dir;
    char *socket_path;
    char *admin_group; /* members may write; NULL: root only */
    char *cpg_group;
    char *watchdog;        /* watchdog device; NULL: none */
    char *fence_agent_dir; /* fence agents named without a path; NULL: /usr/sbin */
    char *log_path;        /* --log; NULL: the default file, or the journal under systemd */
    bool foreground;       /* log to stderr */
    bool debug;
    unsigned shutdown_timeout_s; /* how long a shutdown waits for this node's VMs to leave */
} CdConfig;

extern CdConfig cd_config;

/* Fills cd_config from the defaults and argv. Returns -1 when clusterd is to run, else the exit
 * status to leave with at once (--help, --version, a usage error: said on stdout or stderr). */
int cd_options_parse(int argc, char **argv);
void cd_options_finalise(void);
