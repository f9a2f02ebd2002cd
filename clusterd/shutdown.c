/* A planned shutdown of clusterd (SIGTERM, SIGINT): this node's VMs leave first as their
 * shutdown policy says (docs/ARCHITECTURE.md, "Planned maintenance"): `migrate` (the default)
 * and `stop` VMs are drained off through the database like `vmctl node drain` (the mark
 * vmha-drain-shutdown tells the engine to cold-move `stop` VMs and to leave `freeze` VMs where
 * they run), then clusterd exits. Without quorum nothing could move: it exits at once. A second
 * signal, or --shutdown-timeout, cuts the wait short; the VMs not moved by then keep running and
 * stay known to the cluster (the node stays in corosync, clusterd gone: nothing is recovered).
 *
 * The shutdown's drain ends with the next start: once this node is in sync again, its clusterd
 * removes its own mark (an administrator's drain is never replaced by a shutdown's, so it stays).
 */
#include "config.h"

#include <crm/common/xml.h>
#include <string.h>

#include "corosync.h"
#include "events.h"
#include "model.h"
#include "shutdown.h"
#include "sync.h"
#include "views.h"
#include "vmha/result.h"

#define SHUTDOWN_POLL_MS 500

static struct {
    GMainLoop *loop;
    unsigned timeout_s;
    bool stopping;
    bool resume_checked;
    gint64 deadline;
    guint poll_src;
} SD;

static void quit(const char *why)
{
    g_message("shutting down: %s", why);
    if (SD.poll_src)
        g_source_remove(SD.poll_src);
    SD.poll_src = 0;
    g_main_loop_quit(SD.loop);
}

/* The live model and this node's index in it, or NULL. */
static VmhaModel *live_model(ssize_t *ret_me)
{
    g_autofree char *xml = NULL, *error = NULL;
    g_autoptr(GError) gerr = NULL;
    VmhaModel *m = NULL;
    const char *me = cd_node_name(cd_local_nodeid());

    if (!me || cd_view_cib(&xml, &error) < 0 || vmha_model_parse(xml, strlen(xml), &m, &gerr) < 0)
        return NULL;
    *ret_me = vmha_model_find_node(m, me);
    if (*ret_me < 0) {
        vmha_model_free(m);
        return NULL;
    }
    return m;
}

/* VMs that must leave before clusterd may go: on this node (running, failed or in flight) with
 * a policy other than freeze. */
static size_t count_leaving(const VmhaModel *m, size_t me)
{
    size_t n = 0;
    for (size_t v = 0; v < m->n_vms; v++) {
        const VmhaVm *vm = &m->vms[v];
        bool here = vm->state[me] != VMHA_RSC_INACTIVE ||
                    (vm->pending_op && vm->pending_node == (ssize_t)me);
        n += here && vm->managed && strcmp(vmha_vm_shutdown_policy(m, vm), "freeze") != 0;
    }
    return n;
}

static gboolean on_poll(gpointer user_data)
{
    ssize_t me = -1;
    g_autoptr(VmhaModel) m = cd_quorate() ? live_model(&me) : NULL;

    if (!m) {
        SD.poll_src = 0;
        quit("no quorum or no database: nothing can move now");
        return G_SOURCE_REMOVE;
    }
    size_t left = count_leaving(m, (size_t)me);
    if (left == 0) {
        SD.poll_src = 0;
        quit("every VM that had to leave has left");
        return G_SOURCE_REMOVE;
    }
    if (g_get_monotonic_time() >= SD.deadline) {
        g_warning("%zu VM(s) still here after %u s; leaving them running", left, SD.timeout_s);
        SD.poll_src = 0;
        quit("shutdown timeout");
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

static void on_drain_written(void *ctx, int rc, const char *message)
{
    if (rc != VMHA_RESULT_OK) {
        g_warning("cannot record this node's shutdown drain: %s", message);
        quit("the drain was not recorded");
    }
}

void cd_shutdown_begin(void)
{
    if (SD.stopping) {
        quit("second signal");
        return;
    }
    SD.stopping = true;
    ssize_t me = -1;
    g_autoptr(VmhaModel) m = cd_quorate() && cd_sync_in_sync() ? live_model(&me) : NULL;
    size_t leaving = m ? count_leaving(m, (size_t)me) : 0;
    if (!m || leaving == 0) {
        quit(m ? "no VM has to leave this node" : "no quorum: nothing can move now");
        return;
    }
    g_message("shutting down: draining %zu VM(s) off this node first (up to %u s; a second "
              "signal stops waiting)",
              leaving, SD.timeout_s);
    g_autoptr(VmhaMsg) msg = vmha_msg_new(VMHA_MSG_NODE_DRAIN);
    if (vmha_msg_add_str(msg, VMHA_F_NODE, m->nodes[me].name) < 0 ||
        vmha_msg_add_str(msg, VMHA_F_KV, "shutdown=on") < 0) {
        quit("cannot build the drain request");
        return;
    }
    cd_sync_submit(msg, on_drain_written, NULL);
    SD.deadline = g_get_monotonic_time() + (gint64)SD.timeout_s * G_USEC_PER_SEC;
    SD.poll_src = g_timeout_add(SHUTDOWN_POLL_MS, on_poll, NULL);
}

static void on_resume_written(void *ctx, int rc, const char *message)
{
    if (rc != VMHA_RESULT_OK) {
        g_warning("cannot end the drain of the last shutdown: %s", message);
        SD.resume_checked = false; /* try again at the next sync */
    }
}

/* In sync: end the drain this node's last shutdown left. */
static void on_synced(const CdEvent *event, void *user_data)
{
    if (SD.stopping || SD.resume_checked || !cd_quorate())
        return;
    ssize_t me = -1;
    g_autoptr(VmhaModel) m = live_model(&me);
    if (!m)
        return;
    SD.resume_checked = true;
    if (!m->nodes[me].drain_shutdown)
        return;
    g_message("ending the drain of this node's last shutdown");
    g_autoptr(VmhaMsg) msg = vmha_msg_new(VMHA_MSG_NODE_RESUME);
    if (vmha_msg_add_str(msg, VMHA_F_NODE, m->nodes[me].name) == 0)
        cd_sync_submit(msg, on_resume_written, NULL);
}

void cd_shutdown_init(GMainLoop *loop, unsigned timeout_s)
{
    SD.loop = loop;
    SD.timeout_s = timeout_s;
    cd_events_subscribe(CD_EVENT_SYNCED, on_synced, NULL);
}

void cd_shutdown_finalise(void)
{
    cd_events_unsubscribe(on_synced);
    if (SD.poll_src)
        g_source_remove(SD.poll_src);
    SD.poll_src = 0;
}
