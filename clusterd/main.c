/* clusterd: one per host; see docs/clusterd.md. Modules start in dependency order (database,
 * executor, replication, probes, corosync, socket) and stop in reverse. */
#include "config.h"

#include <crm/common/xml.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cibdb.h"
#include "clusterd.h"
#include "executor.h"
#include "fencer.h"
#include "log.h"
#include "rexec.h"

CdConfig cd_config;

/* Tells systemd (Type=notify) how the service is doing; nothing outside systemd. The protocol
 * of sd_notify(3): one datagram to $NOTIFY_SOCKET ('@' for the abstract namespace). */
static void service_notify(const char *state)
{
    const char *path = g_getenv("NOTIFY_SOCKET");
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t len;

    if (!path || (path[0] != '/' && path[0] != '@') || (len = strlen(path)) >= sizeof(sa.sun_path))
        return;
    memcpy(sa.sun_path, path, len);
    if (sa.sun_path[0] == '@')
        sa.sun_path[0] = '\0';
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return;
    if (sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa,
               (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) < 0)
        g_debug("cannot notify systemd: %s", g_strerror(errno));
    close(fd);
}

/* SIGHUP: reopen the log file (after logrotate moved it). */
static gboolean on_hup(gpointer user_data)
{
    cd_log_reopen();
    g_message("log reopened");
    return G_SOURCE_CONTINUE;
}

/* Every third of the watchdog's timeout, while this node has not self-fenced: a hung main loop
 * (or a self-fence) stops the feeding and the watchdog resets the host. */
static gboolean on_feed(gpointer user_data)
{
    if (cd_selffence_may_feed())
        cd_watchdog_feed();
    return G_SOURCE_CONTINUE;
}

static gboolean on_term(gpointer user_data)
{
    g_message("terminating on signal");
    /* A drain may take --shutdown-timeout: systemd's stop timeout must outlast it (the unit's
     * TimeoutStopSec covers the default). */
    g_autofree char *state =
            g_strdup_printf("STOPPING=1\nEXTEND_TIMEOUT_USEC=%" G_GUINT64_FORMAT,
                            ((guint64)cd_shutdown_timeout_s + 30) * G_USEC_PER_SEC);
    service_notify(state);
    cd_shutdown_begin(user_data);
    return G_SOURCE_CONTINUE;
}

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

int main(int argc, char **argv)
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
    bool foreground = false, debug = false, disarm = true;
    const char *log_path = NULL;
    int c, rc = EXIT_FAILURE;

    cd_config.state_dir = g_strdup(VMHA_STATE_DIR);
    cd_config.socket_path = g_strdup(VMHA_RUN_DIR "/clusterd.sock");
    cd_config.admin_group = g_strdup("vmha");
    cd_config.cpg_group = g_strdup("vmha");
    while ((c = getopt_long(argc, argv, "fds:S:l:g:G:w:F:T:hV", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            foreground = true;
            break;
        case 'd':
            debug = true;
            break;
        case 's':
            g_free(cd_config.state_dir);
            cd_config.state_dir = g_strdup(optarg);
            break;
        case 'S':
            g_free(cd_config.socket_path);
            cd_config.socket_path = g_strdup(optarg);
            break;
        case 'l':
            log_path = optarg;
            break;
        case 'g':
            g_free(cd_config.admin_group);
            cd_config.admin_group = *optarg ? g_strdup(optarg) : NULL;
            break;
        case 'G':
            g_free(cd_config.cpg_group);
            cd_config.cpg_group = g_strdup(optarg);
            break;
        case 'w':
            g_free(cd_config.watchdog);
            cd_config.watchdog = g_strdup(optarg);
            break;
        case 'F':
            g_free(cd_config.fence_agent_dir);
            cd_config.fence_agent_dir = g_strdup(optarg);
            break;
        case 'T': {
            guint64 t = 0;
            if (!g_ascii_string_to_unsigned(optarg, 10, 0, 86400, &t, NULL)) {
                fprintf(stderr, "clusterd: bad --shutdown-timeout '%s': 0..86400 seconds\n",
                        optarg);
                return 2;
            }
            cd_shutdown_timeout_s = (unsigned)t;
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

    cd_log_init(foreground ? CD_LOG_STDERR
                : log_path ? CD_LOG_FILE
                           : CD_LOG_AUTO,
                log_path ? log_path : "/var/log/vmha/clusterd.log", debug);

    g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
    g_unix_signal_add(SIGTERM, on_term, loop);
    g_unix_signal_add(SIGINT, on_term, loop);
    g_unix_signal_add(SIGHUP, on_hup, NULL);
    signal(SIGPIPE, SIG_IGN);

    g_message("clusterd %s starting (state %s, socket %s, log %s)", VMHA_VERSION,
              cd_config.state_dir, cd_config.socket_path, cd_log_destination());
    g_debug("admin group %s, CPG group %s, watchdog %s, fence agents in %s, shutdown timeout %u s",
            cd_config.admin_group ? cd_config.admin_group : "(root only)", cd_config.cpg_group,
            cd_config.watchdog ? cd_config.watchdog : "none",
            cd_config.fence_agent_dir ? cd_config.fence_agent_dir : "/usr/sbin",
            cd_shutdown_timeout_s);
    /* First: a watchdog that cannot be armed is a host that cannot self-fence. */
    if (cd_watchdog_init(cd_config.watchdog, CD_WATCHDOG_TIMEOUT_S) < 0)
        return EXIT_FAILURE;
    if (cd_config.watchdog)
        g_timeout_add(cd_watchdog_timeout() * 1000 / 3, on_feed, NULL);
    if (cd_cibdb_init(cd_config.state_dir) < 0)
        goto out_db;
    /* OCF root from the build: the agents live where Pacemaker would look for them too. */
    if (cd_executor_init(NULL) < 0)
        goto out_db;
    if (cd_fencer_init(cd_config.fence_agent_dir) < 0)
        goto out_executor;
    cd_selffence_init();
    cd_sync_init();
    cd_probe_init();
    cd_controller_init();
    cd_rexec_init();
    if (cd_corosync_init() < 0)
        goto out_probe;
    if (cd_ipc_init(cd_config.socket_path) < 0)
        goto out_corosync;

    service_notify("READY=1");
    g_main_loop_run(loop);
    rc = EXIT_SUCCESS;

    cd_ipc_finalise();
out_corosync:
    cd_corosync_finalise();
out_probe:
    cd_rexec_finalise();
    cd_controller_finalise();
    cd_probe_finalise();
    cd_sync_finalise();
    disarm = cd_selffence_may_disarm();
    cd_selffence_finalise();
    cd_fencer_finalise();
out_executor:
    cd_executor_finalise();
out_db:
    cd_cibdb_finalise();
    cd_watchdog_finalise(disarm);
    g_message("clusterd stopped");
    cd_log_finalise();
    return rc;
}
