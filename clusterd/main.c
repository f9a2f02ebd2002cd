/* clusterd: one per host; see docs/clusterd.md. Modules start in dependency order, lower layers
 * first (database, executor, replication, the modules that act on events, corosync, socket), and
 * stop in reverse. The order of the event subscribers is the order of their inits (events.h). */
#include "config.h"

#include <errno.h>
#include <glib-unix.h>
#include <malloc.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "alertrun.h"
#include "catchup.h"
#include "cibdb.h"
#include "corosync.h"
#include "events.h"
#include "executor.h"
#include "fencer.h"
#include "history.h"
#include "ipc.h"
#include "jobs.h"
#include "leader.h"
#include "log.h"
#include "nodelist.h"
#include "options.h"
#include "outbox.h"
#include "probe.h"
#include "rexec.h"
#include "selffence.h"
#include "shutdown.h"
#include "storagewatch.h"
#include "sync.h"
#include "views.h"
#include "watchdog.h"

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

/* Each write and sync makes whole copies of the database (libcib's own, the write's, the
 * views'), freed soon after but kept by malloc as holes in the heap: with 1,000 VMs that nearly
 * doubles the resident memory (bench/cibwrite). Once the loop is idle after them, give the free
 * pages back. */
static guint trim_source;

static gboolean on_trim(gpointer user_data)
{
    trim_source = 0;
    malloc_trim(0);
    return G_SOURCE_REMOVE;
}

static void on_database_changed(const CdEvent *event, void *user_data)
{
    if (!trim_source)
        trim_source = g_idle_add_full(G_PRIORITY_LOW, on_trim, NULL, NULL);
}

static gboolean on_term(gpointer user_data)
{
    g_message("terminating on signal");
    /* A drain may take --shutdown-timeout: systemd's stop timeout must outlast it (the unit's
     * TimeoutStopSec covers the default). */
    g_autofree char *state =
            g_strdup_printf("STOPPING=1\nEXTEND_TIMEOUT_USEC=%" G_GUINT64_FORMAT,
                            ((guint64)cd_config.shutdown_timeout_s + 30) * G_USEC_PER_SEC);
    service_notify(state);
    cd_shutdown_begin();
    return G_SOURCE_CONTINUE;
}

int main(int argc, char **argv)
{
    bool disarm = true;
    int rc = cd_options_parse(argc, argv);
    g_autofree char *run_dir = NULL;

    if (rc >= 0)
        return rc;
    rc = EXIT_FAILURE;
    run_dir = g_path_get_dirname(cd_config.socket_path);
    cd_log_init(cd_config.foreground ? CD_LOG_STDERR
                : cd_config.log_path ? CD_LOG_FILE
                                     : CD_LOG_AUTO,
                cd_config.log_path ? cd_config.log_path : "/var/log/vmha/clusterd.log",
                cd_config.debug);

    g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
    g_unix_signal_add(SIGTERM, on_term, NULL);
    g_unix_signal_add(SIGINT, on_term, NULL);
    g_unix_signal_add(SIGHUP, on_hup, NULL);
    signal(SIGPIPE, SIG_IGN);

    g_message("clusterd %s starting (state %s, socket %s, log %s)", VMHA_VERSION,
              cd_config.state_dir, cd_config.socket_path, cd_log_destination());
    g_debug("admin group %s, CPG group %s, watchdog %s, fence agents in %s, shutdown timeout %u s",
            cd_config.admin_group ? cd_config.admin_group : "(root only)", cd_config.cpg_group,
            cd_config.watchdog ? cd_config.watchdog : "none",
            cd_config.fence_agent_dir ? cd_config.fence_agent_dir : "/usr/sbin",
            cd_config.shutdown_timeout_s);
    /* First: a watchdog that cannot be armed is a host that cannot self-fence. */
    if (cd_watchdog_init(cd_config.watchdog, CD_WATCHDOG_TIMEOUT_S) < 0)
        return EXIT_FAILURE;
    cd_events_init();
    if (cd_config.watchdog)
        g_timeout_add(cd_watchdog_timeout() * 1000 / 3, on_feed, NULL);
    if (cd_cibdb_init(cd_config.state_dir) < 0)
        goto out_db;
    /* OCF root from the build: the agents live where Pacemaker would look for them too. */
    if (cd_executor_init(NULL) < 0)
        goto out_db;
    if (cd_fencer_init(cd_config.fence_agent_dir) < 0)
        goto out_executor;
    cd_selffence_init(run_dir);
    cd_sync_init();
    cd_history_init(cd_config.state_dir);
    cd_alerts_init();
    cd_catchup_init();
    cd_probe_init();
    cd_outbox_init();
    cd_jobs_init();
    cd_leader_init();
    cd_rexec_init();
    cd_nodelist_init();
    cd_storagewatch_init();
    cd_shutdown_init(loop, cd_config.shutdown_timeout_s);
    cd_events_subscribe(CD_EVENT_APPLIED, on_database_changed, NULL);
    cd_events_subscribe(CD_EVENT_SYNCED, on_database_changed, NULL);
    if (cd_corosync_init(cd_config.cpg_group) < 0)
        goto out_modules;
    if (cd_ipc_init(cd_config.socket_path) < 0)
        goto out_corosync;

    service_notify("READY=1");
    g_main_loop_run(loop);
    rc = EXIT_SUCCESS;

    cd_ipc_finalise();
    cd_views_finalise();
out_corosync:
    cd_corosync_finalise();
out_modules:
    cd_shutdown_finalise();
    cd_events_unsubscribe(on_database_changed);
    g_clear_handle_id(&trim_source, g_source_remove);
    cd_storagewatch_finalise();
    cd_nodelist_finalise();
    cd_rexec_finalise();
    cd_leader_finalise();
    cd_jobs_finalise();
    cd_outbox_finalise();
    cd_probe_finalise();
    cd_catchup_finalise();
    cd_alerts_finalise();
    cd_history_finalise();
    cd_sync_finalise();
    disarm = cd_selffence_may_disarm();
    cd_selffence_finalise();
    cd_fencer_finalise();
out_executor:
    cd_executor_finalise();
out_db:
    cd_cibdb_finalise();
    cd_watchdog_finalise(disarm);
    cd_events_finalise();
    g_message("clusterd stopped");
    cd_log_finalise();
    cd_options_finalise();
    return rc;
}
