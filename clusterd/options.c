/* clusterd's command line: defaults, getopt, usage (options.h). */
#include "config.h"

#include <getopt.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>

#include "options.h"

CdConfig cd_config;

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: clusterd [OPTIONS]\n"
            "  -f, --foreground        log to stderr instead of the log file (under systemd\n"
            "                          both go to the journal)\n"
            "  -d, --debug             debug messages too (as VMHA_DEBUG=1)\n"
            "  -s, --state-dir DIR     cluster database directory (default %s)\n"
            "  -S, --socket PATH       vmctl socket (default %s/clusterd.sock)\n"
            "  -l, --log PATH          log file (default /var/log/vmha/clusterd.log; given,\n"
            "                          it is used even under systemd)\n"
            "  -g, --admin-group NAME  group whose members may change the cluster (default vmha)\n"
            "  -G, --cpg-group NAME    CPG group name (default vmha)\n"
            "  -w, --watchdog PATH     watchdog device to feed (default: none); see\n"
            "                          docs/ARCHITECTURE.md, self-fencing\n"
            "  -F, --fence-agent-dir DIR  a trusted fence agent directory, searched\n"
            "                          before /usr/sbin\n"
            "  -T, --shutdown-timeout S   how long a shutdown waits for this node's VMs to\n"
            "                          leave (shutdown policies; default 300)\n"
            "  -V, --version\n",
            VMHA_STATE_DIR, VMHA_RUN_DIR);
}

static void set(char **field, const char *value)
{
    g_free(*field);
    *field = g_strdup(value);
}

int cd_options_parse(int argc, char **argv)
{
    static const struct option opts[] = {
            {"foreground", no_argument, NULL, 'f'},
            {"debug", no_argument, NULL, 'd'},
            {"state-dir", required_argument, NULL, 's'},
            {"socket", required_argument, NULL, 'S'},
            {"log", required_argument, NULL, 'l'},
            {"admin-group", required_argument, NULL, 'g'},
            {"cpg-group", required_argument, NULL, 'G'},
            {"watchdog", required_argument, NULL, 'w'},
            {"fence-agent-dir", required_argument, NULL, 'F'},
            {"shutdown-timeout", required_argument, NULL, 'T'},
            {"help", no_argument, NULL, 'h'},
            {"version", no_argument, NULL, 'V'},
            {NULL, 0, NULL, 0},
    };
    int c;

    set(&cd_config.state_dir, VMHA_STATE_DIR);
    set(&cd_config.socket_path, VMHA_RUN_DIR "/clusterd.sock");
    set(&cd_config.admin_group, "vmha");
    set(&cd_config.cpg_group, "vmha");
    cd_config.shutdown_timeout_s = 300;
    while ((c = getopt_long(argc, argv, "fds:S:l:g:G:w:F:T:hV", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            cd_config.foreground = true;
            break;
        case 'd':
            cd_config.debug = true;
            break;
        case 's':
            set(&cd_config.state_dir, optarg);
            break;
        case 'S':
            set(&cd_config.socket_path, optarg);
            break;
        case 'l':
            set(&cd_config.log_path, optarg);
            break;
        case 'g':
            set(&cd_config.admin_group, *optarg ? optarg : NULL);
            break;
        case 'G':
            set(&cd_config.cpg_group, optarg);
            break;
        case 'w':
            set(&cd_config.watchdog, optarg);
            break;
        case 'F':
            set(&cd_config.fence_agent_dir, optarg);
            break;
        case 'T': {
            guint64 t = 0;
            if (!g_ascii_string_to_unsigned(optarg, 10, 0, 86400, &t, NULL)) {
                fprintf(stderr, "clusterd: bad --shutdown-timeout '%s': 0..86400 seconds\n",
                        optarg);
                return 2;
            }
            cd_config.shutdown_timeout_s = (unsigned)t;
            break;
        }
        case 'h':
            usage(stdout);
            return EXIT_SUCCESS;
        case 'V':
            printf("clusterd %s\n", VMHA_VERSION);
            return EXIT_SUCCESS;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        usage(stderr);
        return 2;
    }
    return -1;
}

void cd_options_finalise(void)
{
    g_free(cd_config.state_dir);
    g_free(cd_config.socket_path);
    g_free(cd_config.admin_group);
    g_free(cd_config.cpg_group);
    g_free(cd_config.watchdog);
    g_free(cd_config.fence_agent_dir);
    g_free(cd_config.log_path);
    cd_config = (CdConfig){0};
}
