/* Replication of the cluster database over CPG.
 *
 * CPG delivers every message and every membership change to all members in the same total order
 * (extended virtual synchrony), so every member makes the same decisions from the same inputs:
 *  - after each membership change every member sends SYNC_STATE (version, digest); once all states
 *    of the view are in, all pick the same source (newest version, lowest node id); when some
 *    copy differs the source sends its copy as SYNC_DATA chunks (lib/dbtransfer.c) and the others
 *    adopt it once the last chunk is in and checked. Until then nobody is in sync and writes
 *    delivered in between are ignored by everyone (their origin sends them again). A chunk of an
 *    earlier view is ignored; a membership change during a transfer starts the sync over.
 *  - a write is applied by every member in delivery order, saved with fsync, and each member
 *    answers APPLIED. The origin acknowledges to vmctl once it applied the write itself and a
 *    quorum of nodes did, so any later quorate partition holds at least one copy of it.
 *  - a view with fewer distinct nodes than quorum needs applies no write at all, so a minority
 *    never moves its version ahead of the majority's.
 *  - a quorate view, once its copies agree, bumps the epoch (BUMP from the leader, in total order)
 *    before it applies writes: a write some node applied in an earlier view but nobody
 *    acknowledged can then never tie with (and win over) an acknowledged write of this view.
 * What follows is published (events.h), not called: CD_EVENT_SYNCED when this node is in sync,
 * CD_EVENT_APPLIED after each write it applied. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "cibdb.h"
#include "cibwrite.h"
#include "corosync.h"
#include "dbtransfer.h"
#include "events.h"
#include "sync.h"
#include "vmha/result.h"

#define WRITE_TIMEOUT_S 30
/* A chunk corosync's flow control refused is offered again after this long. */
#define CHUNK_RETRY_MS 5
#define STATE_RETRY_MS 50 /* our state refused by corosync's flow control: again this soon */

typedef struct {
    uint64_t req_id;
    VmhaMsg *msg; /* the request with origin fields */
    CdWriteDone done;
    void *ctx;
    bool sent;
    bool applied_local;
    GHashTable *acks; /* node ids that applied it */
    guint timeout_src;
} Pending;

static struct {
    VmhaPeerState *members;
    bool *got_state;
    size_t n;
    char *key; /* "nodeid:pid,..." of the current view */
    bool synced;
    bool awaiting_bump; /* copies agree; a quorate view waits for the leader's BUMP */
    int source;         /* chosen sync source, -1 before all states are in */
    uint64_t next_req;
    GHashTable *pending; /* req_id -> Pending */
    uint32_t last_leader;
    uint64_t *protocol; /* per member: the sync protocol its SYNC_STATE announced */
    /* The current view's transfer: every member follows it (the source's own chunks come back to
     * it too), the source sends it one chunk per main loop iteration. */
    VmhaSyncReceiver *receiver;
    VmhaSyncSender *sender;
    VmhaMsg *unsent; /* the next chunk to send, kept while corosync's flow control says wait */
    guint pump_src;
    gint64 transfer_start;   /* monotonic µs, for the log */
    size_t sent_bytes;       /* chunk bytes handed to corosync so far (compressed) */
    bool transfer_broken;    /* this view's transfer failed a check here: its chunks are ignored */
    guint state_retry_src;   /* our state could not be sent (corosync busy): again soon */
    unsigned state_refusals; /* of our state in this view, for the log */
    bool state_on_its_way;   /* our state of this view went to corosync and has not come back */
} S;

static void offer_state(void);
static void cancel_state_retry(void);

static void pending_free(gpointer p)
{
    Pending *w = p;

    if (w->timeout_src)
        g_source_remove(w->timeout_src);
    vmha_msg_free(w->msg);
    g_hash_table_unref(w->acks);
    g_free(w);
}

static void finish(Pending *w, int rc, const char *message)
{
    uint64_t id = w->req_id;

    if (w->done)
        w->done(w->ctx, rc, message);
    w->done = NULL;
    g_hash_table_remove(S.pending, &id);
}

static void log_leader(void)
{
    uint32_t leader = cd_sync_leader();

    if (leader != S.last_leader) {
        if (leader)
            g_message("leader is node %u (%s)%s", leader, cd_node_name(leader) ?: "?",
                      leader == cd_local_nodeid() ? ": this node" : "");
        else
            g_message("no leader (no quorum or not in sync)");
        S.last_leader = leader;
    }
}

static int member_index(uint32_t nodeid, uint32_t pid)
{
    for (size_t i = 0; i < S.n; i++)
        if (S.members[i].nodeid == nodeid && S.members[i].pid == pid)
            return (int)i;
    return -1;
}

static bool view_has_quorum(void)
{
    return vmha_distinct_nodes(S.members, S.n) >= cd_quorum_nodes_needed();
}

static void send_write(Pending *w)
{
    if (cd_cpg_send(w->msg) < 0) {
        finish(w, VMHA_RESULT_FAILURE, "cannot send the write to the cluster");
        return;
    }
    w->sent = true;
}

static void flush_waiting(void)
{
    GList *values = g_hash_table_get_values(S.pending);

    for (GList *l = values; l; l = l->next) {
        Pending *w = l->data;
        if (!w->sent)
            send_write(w);
    }
    g_list_free(values);
}

static void stop_transfer(void)
{
    if (S.receiver && !S.synced)
        g_message("the database transfer of this view stops here (%" G_GUINT64_FORMAT " chunks in)",
                  vmha_sync_receiver_received(S.receiver));
    S.transfer_broken = false;
    if (S.pump_src)
        g_source_remove(S.pump_src);
    S.pump_src = 0;
    g_clear_pointer(&S.sender, vmha_sync_sender_free);
    g_clear_pointer(&S.unsent, vmha_msg_free);
    g_clear_pointer(&S.receiver, vmha_sync_receiver_free);
}

/* Sends the source's next chunk. Never blocks the main loop: when corosync's flow control
 * refuses a chunk it is offered again a moment later. */
static gboolean on_pump(gpointer user_data)
{
    int r;

    S.pump_src = 0;
    if (!S.unsent) {
        r = vmha_sync_sender_next(S.sender, &S.unsent);
        if (r == -ENOENT) {
            g_message("sent the database: %" G_GUINT64_FORMAT
                      " chunks, %zu bytes, %" G_GINT64_FORMAT " ms",
                      vmha_sync_sender_count(S.sender), S.sent_bytes,
                      (g_get_monotonic_time() - S.transfer_start) / 1000);
            g_clear_pointer(&S.sender, vmha_sync_sender_free);
            return G_SOURCE_REMOVE;
        }
        if (r < 0) {
            g_critical("cannot encode a chunk of the database; the view stays out of sync");
            g_clear_pointer(&S.sender, vmha_sync_sender_free);
            return G_SOURCE_REMOVE;
        }
    }
    r = cd_cpg_send_nowait(S.unsent);
    if (r == -EAGAIN) {
        S.pump_src = g_timeout_add(CHUNK_RETRY_MS, on_pump, NULL);
        return G_SOURCE_REMOVE;
    }
    const VmhaWireField *chunk = vmha_msg_get(S.unsent, VMHA_F_CHUNK);
    S.sent_bytes += r == 0 && chunk ? chunk->len : 0;
    g_clear_pointer(&S.unsent, vmha_msg_free);
    if (r < 0) {
        g_warning("cannot send the database to the group");
        g_clear_pointer(&S.sender, vmha_sync_sender_free);
        return G_SOURCE_REMOVE;
    }
    S.pump_src = g_idle_add(on_pump, NULL);
    return G_SOURCE_REMOVE;
}

/* bump: the BUMP that completed a quorate view's sync, NULL for a view without quorum. */
static void become_synced(const VmhaMsg *bump)
{
    VmhaCibVersion v;

    S.synced = true;
    S.awaiting_bump = false;
    for (size_t i = 0; i < S.n; i++)
        S.members[i].in_sync = true;
    /* No digest here: it costs a dump of the whole document (0.2-0.4 s at 20 MB). */
    cd_cibdb_version(&v, NULL);
    g_message("in sync with %zu members at version %" G_GUINT64_FORMAT ".%" G_GUINT64_FORMAT
              ".%" G_GUINT64_FORMAT,
              S.n, v.admin_epoch, v.epoch, v.num_updates);
    log_leader();
    flush_waiting();
    cd_events_publish(&(CdEvent){.type = CD_EVENT_SYNCED, .msg = bump});
}

/* The origin's clock, so that every member records the same time for what the message changed
 * (the event history, clusterd/history.c). */
static int add_time(VmhaMsg *m)
{
    return vmha_msg_get(m, VMHA_F_TIME)
                   ? 0
                   : vmha_msg_add_u64(m, VMHA_F_TIME,
                                      (uint64_t)(g_get_real_time() / G_USEC_PER_SEC));
}

static void finish_sync(void)
{
    if (!view_has_quorum()) {
        become_synced(NULL); /* no write is applied in this view anyway */
        return;
    }
    S.awaiting_bump = true;
    /* The leader to be: members are sorted, every one of them is about to be in sync. */
    if (S.members[0].nodeid != cd_local_nodeid() || S.members[0].pid != (uint32_t)getpid())
        return;
    g_autoptr(VmhaMsg) m = vmha_msg_new(VMHA_MSG_BUMP);
    if (vmha_msg_add_str(m, VMHA_F_MEMBERS, S.key) < 0 || add_time(m) < 0 || cd_cpg_send(m) < 0)
        g_warning("cannot send the epoch bump; the view stays out of sync");
}

static void on_bump(uint32_t nodeid, uint32_t pid, const VmhaMsg *m)
{
    g_autofree char *key = NULL;

    if (!S.awaiting_bump || vmha_msg_get_str(m, VMHA_F_MEMBERS, &key) < 0 ||
        g_strcmp0(key, S.key) != 0 || S.members[0].nodeid != nodeid || S.members[0].pid != pid)
        return;
    if (cd_cibdb_bump() < 0) {
        g_critical("cannot bump the database epoch; staying out of sync");
        return;
    }
    become_synced(m);
}

/* @wait: through corosync's flow control for up to a second (cd_cpg_send), else one try. */
static int send_state(bool wait)
{
    g_autoptr(VmhaMsg) m = vmha_msg_new(VMHA_MSG_SYNC_STATE);
    VmhaCibVersion v;
    char digest[VMHA_DIGEST_LEN + 1];

    cd_cibdb_version(&v, digest);
    if (vmha_msg_add_str(m, VMHA_F_MEMBERS, S.key) < 0 ||
        vmha_msg_add_u64(m, VMHA_F_ADMIN_EPOCH, v.admin_epoch) < 0 ||
        vmha_msg_add_u64(m, VMHA_F_EPOCH, v.epoch) < 0 ||
        vmha_msg_add_u64(m, VMHA_F_NUM_UPDATES, v.num_updates) < 0 ||
        vmha_msg_add_str(m, VMHA_F_DIGEST, digest) < 0 ||
        vmha_msg_add_u64(m, VMHA_F_SYNC_PROTOCOL, VMHA_SYNC_PROTOCOL) < 0)
        return -E2BIG;
    return wait ? cd_cpg_send(m) : cd_cpg_send_nowait(m);
}

static void check_acks(Pending *w);

/* A member that left took its acknowledgement with it: a write it had not confirmed may now need
 * fewer (a two-node cluster's survivor, say). The view's own sync keeps the write: this node's
 * copy, which applied it, is among the newest. */
static void recheck_acks(void)
{
    GList *values = g_hash_table_get_values(S.pending);

    for (GList *l = values; l; l = l->next)
        check_acks(l->data);
    g_list_free(values);
}

static void on_confchg(const CdEvent *event, void *user_data)
{
    size_t n = event->n_members;

    stop_transfer();
    g_free(S.members);
    g_free(S.got_state);
    g_free(S.protocol);
    /* In the view's order (sorted): every member picks the same leader to be. */
    S.members = g_new0(VmhaPeerState, MAX(n, 1));
    for (size_t i = 0; i < n; i++) {
        S.members[i].nodeid = event->members[i].nodeid;
        S.members[i].pid = event->members[i].pid;
    }
    S.got_state = g_new0(bool, MAX(n, 1));
    S.protocol = g_new0(uint64_t, MAX(n, 1));
    S.n = n;
    S.synced = false;
    S.awaiting_bump = false;
    S.source = -1;
    S.state_on_its_way = false;

    GString *key = g_string_new(NULL);
    for (size_t i = 0; i < n; i++)
        g_string_append_printf(key, "%s%u:%u", i ? "," : "", S.members[i].nodeid, S.members[i].pid);
    g_free(S.key);
    S.key = g_string_free(key, FALSE);

    if (cd_cibdb_seed_nodes(cd_nodes()) < 0)
        g_warning("could not add the configured nodes to the new database");
    log_leader();
    recheck_acks();
    cancel_state_retry();
    S.state_refusals = 0;
    if (member_index(cd_local_nodeid(), (uint32_t)getpid()) < 0)
        return; /* we left (or have not joined yet) */
    offer_state();
}

/* The source's copy to the view: in chunks, one per main loop iteration, or in one message to a
 * view with a clusterd that knows no chunks (only while it fits in one). */
static void send_data(bool chunked)
{
    g_autofree char *xml = NULL;

    if (cd_cibdb_dump(&xml) < 0) {
        g_warning("cannot read the database to send it to the group");
        return;
    }
    size_t len = strlen(xml);
    if (!chunked) {
        g_autoptr(VmhaMsg) data = vmha_msg_new(VMHA_MSG_SYNC_DATA);
        if (vmha_msg_add_str(data, VMHA_F_MEMBERS, S.key) < 0 ||
            vmha_msg_add_str(data, VMHA_F_CIB, xml) < 0)
            g_critical("the database (%zu bytes) does not fit in one message and a member's "
                       "clusterd cannot take it in chunks: update that clusterd",
                       len);
        else if (cd_cpg_send(data) < 0)
            g_warning("cannot send the database to the group");
        return;
    }
    if (vmha_sync_sender_new(S.key, xml, len, &S.sender) < 0) {
        g_critical("the database (%zu bytes) is too large to send", len);
        return;
    }
    g_message("sending the database: %zu bytes in %" G_GUINT64_FORMAT " chunks", len,
              vmha_sync_sender_count(S.sender));
    S.sent_bytes = 0;
    S.pump_src = g_idle_add(on_pump, NULL);
}

static gboolean on_state_retry(gpointer user_data);

static void cancel_state_retry(void)
{
    if (S.state_retry_src)
        g_source_remove(S.state_retry_src);
    S.state_retry_src = 0;
}

/* Sends our state for the current view; while corosync refuses it (its flow control across a
 * membership change), tries again every STATE_RETRY_MS until it goes or the view changes:
 * without our state, no member of the view ever gets in sync (chaos seed 395, error 6). The first
 * try waits out a short refusal as every send does; the retries do not wait, so that a refusal
 * lasting as long as a membership change does not block the main loop. */
static void offer_state(void)
{
    bool first = S.state_refusals == 0;
    int r;

    cancel_state_retry();
    r = send_state(first);
    if (r == -EAGAIN || (first && r == -EIO)) {
        if (S.state_refusals++ == 0)
            g_warning("corosync refused our database state for this view; sending it again "
                      "every %d ms",
                      STATE_RETRY_MS);
        S.state_retry_src = g_timeout_add(STATE_RETRY_MS, on_state_retry, NULL);
    } else if (r < 0) {
        /* Not flow control: the connection is failing, and its return starts a new view. */
        g_warning("cannot send the database state to the group: %s", g_strerror(-r));
        S.state_refusals = 0;
    } else {
        if (S.state_refusals > 0)
            g_message("our database state went out after %u refusal(s)", S.state_refusals);
        S.state_refusals = 0;
        S.state_on_its_way = true;
    }
}

static gboolean on_state_retry(gpointer user_data)
{
    S.state_retry_src = 0;
    offer_state();
    return G_SOURCE_REMOVE;
}

/* The state exchange of the current view, again from the start (the same members). */
static void restart_exchange(void)
{
    stop_transfer();
    memset(S.got_state, 0, S.n * sizeof(*S.got_state));
    S.synced = false;
    S.awaiting_bump = false;
    S.source = -1;
    log_leader();
    /* Our state still on its way comes after the message that restarted the exchange, at every
     * member: it counts in the new exchange. A second one would be a second state of ours in it
     * and restart everyone's exchange again, which, with some member's state again on its way,
     * never ends. */
    if (!S.state_on_its_way)
        offer_state();
}

static void on_state(uint32_t nodeid, uint32_t pid, const VmhaMsg *m)
{
    g_autofree char *key = NULL, *digest = NULL;
    VmhaPeerState st = {0};
    int i = member_index(nodeid, pid);

    if (vmha_msg_get_str(m, VMHA_F_MEMBERS, &key) < 0 || g_strcmp0(key, S.key) != 0 || i < 0)
        return; /* from an earlier view */
    if (nodeid == cd_local_nodeid() && pid == (uint32_t)getpid())
        S.state_on_its_way = false;
    if (vmha_msg_get_u64(m, VMHA_F_ADMIN_EPOCH, &st.version.admin_epoch) < 0 ||
        vmha_msg_get_u64(m, VMHA_F_EPOCH, &st.version.epoch) < 0 ||
        vmha_msg_get_u64(m, VMHA_F_NUM_UPDATES, &st.version.num_updates) < 0 ||
        vmha_msg_get_str(m, VMHA_F_DIGEST, &digest) < 0 || strlen(digest) > VMHA_DIGEST_LEN) {
        g_warning("malformed sync state from node %u", nodeid);
        return;
    }
    if (S.got_state[i]) {
        /* A second state from a member in what is, here, the same view: corosync showed it a
         * membership change that this node never saw (it left and came back while the others
         * kept their ring: the same members, so no new view here). Its exchange started over,
         * so ours does too: every member sees this message at the same place in CPG's order and
         * answers with its state (unless that is still on its way), and the exchange ends the
         * same everywhere. Without this, that member waits for states that never come and stays
         * out of sync for good (chaos seed 395). */
        g_message("node %u exchanges database states again in this view (it saw a membership "
                  "change this node did not): %s",
                  nodeid,
                  S.state_on_its_way ? "ours, still on its way, counts" : "sending ours again");
        restart_exchange();
    }
    S.members[i].version = st.version;
    g_strlcpy(S.members[i].digest, digest, sizeof(S.members[i].digest));
    if (vmha_msg_get_u64(m, VMHA_F_SYNC_PROTOCOL, &S.protocol[i]) < 0)
        S.protocol[i] = 1; /* a clusterd from before chunks */
    S.got_state[i] = true;

    for (size_t j = 0; j < S.n; j++)
        if (!S.got_state[j])
            return;
    S.source = vmha_sync_source_choose(S.members, S.n);
    if (!vmha_sync_data_needed(S.members, S.n, (size_t)S.source)) {
        finish_sync();
        return;
    }
    /* Chunks only when every member reads them: during a rolling update a view may hold a
     * clusterd that expects the database in one message. */
    bool chunked = true;
    for (size_t j = 0; j < S.n; j++)
        chunked = chunked && S.protocol[j] >= 2;
    const VmhaPeerState *src = &S.members[S.source];
    g_message("copies differ; node %u sends version %" G_GUINT64_FORMAT ".%" G_GUINT64_FORMAT
              ".%" G_GUINT64_FORMAT "%s",
              src->nodeid, src->version.admin_epoch, src->version.epoch, src->version.num_updates,
              chunked ? "" : " in one message (a member runs an older clusterd)");
    int me = member_index(cd_local_nodeid(), (uint32_t)getpid());
    bool have_it = me >= 0 && strcmp(S.members[me].digest, src->digest) == 0 &&
                   vmha_cib_version_compare(&S.members[me].version, &src->version) == 0;
    S.transfer_start = g_get_monotonic_time();
    if (chunked)
        S.receiver = vmha_sync_receiver_new(!have_it);
    if (me != S.source)
        return;
    send_data(chunked);
}

/* Takes the source's copy (unless this one already is it, when check_first). -1: this node
 * cannot serve. */
static int adopt(uint32_t nodeid, const char *xml, size_t len, bool check_first)
{
    VmhaCibVersion v;
    char digest[VMHA_DIGEST_LEN + 1];
    const VmhaPeerState *src = &S.members[S.source];

    if (check_first) {
        cd_cibdb_version(&v, digest);
        if (g_strcmp0(digest, src->digest) == 0 && vmha_cib_version_compare(&v, &src->version) == 0)
            return 0;
    }
    gint64 received = g_get_monotonic_time();
    if (!xml || cd_cibdb_replace(xml) < 0) {
        /* Serving a stale copy would be worse than not serving at all. */
        g_critical("cannot adopt the cluster's database; staying out of sync");
        return -1;
    }
    gint64 now = g_get_monotonic_time();
    g_message("adopted the database from node %u (%zu bytes in %" G_GINT64_FORMAT
              " ms: received in %" G_GINT64_FORMAT " ms, saved and loaded in %" G_GINT64_FORMAT
              " ms)",
              nodeid, len, (now - S.transfer_start) / 1000, (received - S.transfer_start) / 1000,
              (now - received) / 1000);
    return 0;
}

static void on_data(uint32_t nodeid, uint32_t pid, const VmhaMsg *m)
{
    g_autofree char *key = NULL, *xml = NULL, *error = NULL;

    if (S.synced || S.awaiting_bump || S.source < 0)
        return;
    if (vmha_msg_get_str(m, VMHA_F_MEMBERS, &key) < 0 || g_strcmp0(key, S.key) != 0)
        return; /* from an earlier view */
    if (S.members[S.source].nodeid != nodeid || S.members[S.source].pid != pid)
        return;
    if (!vmha_msg_get(m, VMHA_F_CHUNK_INDEX)) {
        /* The whole database in one message (to a view with an older clusterd). */
        if (S.receiver || vmha_msg_get_str(m, VMHA_F_CIB, &xml) < 0) {
            g_warning("malformed sync data from node %u", nodeid);
            return;
        }
        if (adopt(nodeid, xml, strlen(xml), true) == 0)
            finish_sync();
        return;
    }
    if (S.transfer_broken)
        return;
    if (!S.receiver) {
        g_warning("unexpected sync chunk from node %u", nodeid);
        return;
    }
    int r = vmha_sync_receiver_add(S.receiver, m, &error);
    if (r == 0)
        return;
    if (r < 0) {
        g_critical("refusing the database from node %u: %s; staying out of sync", nodeid, error);
        g_clear_pointer(&S.receiver, vmha_sync_receiver_free);
        S.transfer_broken = true;
        return;
    }
    size_t len = 0;
    const char *doc = vmha_sync_receiver_document(S.receiver, &len);
    /* A member kept the document when its own copy was not the source's (its SYNC_STATE said). */
    r = doc ? adopt(nodeid, doc, len, false) : 0;
    g_clear_pointer(&S.receiver, vmha_sync_receiver_free);
    if (r == 0)
        finish_sync();
}

static void send_applied(uint64_t origin, uint64_t origin_pid, uint64_t req, int rc,
                         const char *message)
{
    g_autoptr(VmhaMsg) m = vmha_msg_new(VMHA_MSG_APPLIED);

    if (vmha_msg_add_u64(m, VMHA_F_ORIGIN_NODE, origin) < 0 ||
        vmha_msg_add_u64(m, VMHA_F_ORIGIN_PID, origin_pid) < 0 ||
        vmha_msg_add_u64(m, VMHA_F_REQ_ID, req) < 0 || vmha_msg_add_u64(m, VMHA_F_RC, rc) < 0 ||
        vmha_msg_add_str(m, VMHA_F_MESSAGE, message ? message : "") < 0 || cd_cpg_send(m) < 0)
        g_warning("cannot confirm write %" G_GUINT64_FORMAT " of node %" G_GUINT64_FORMAT, req,
                  origin);
}

static void check_acks(Pending *w)
{
    if (w->applied_local &&
        g_hash_table_size(w->acks) >= cd_write_acks_needed(vmha_distinct_nodes(S.members, S.n)))
        finish(w, VMHA_RESULT_OK, "ok");
}

static bool is_mine(uint64_t origin, uint64_t origin_pid)
{
    return origin == cd_local_nodeid() && origin_pid == (uint64_t)getpid();
}

static void on_write(uint32_t nodeid, const VmhaMsg *m)
{
    uint64_t origin = 0, origin_pid = 0, req = 0;
    g_autofree char *error = NULL;
    int rc;

    if (vmha_msg_get_u64(m, VMHA_F_ORIGIN_NODE, &origin) < 0 ||
        vmha_msg_get_u64(m, VMHA_F_ORIGIN_PID, &origin_pid) < 0 ||
        vmha_msg_get_u64(m, VMHA_F_REQ_ID, &req) < 0 || origin != nodeid) {
        g_warning("dropping a write without a valid origin from node %u", nodeid);
        return;
    }
    Pending *w = is_mine(origin, origin_pid) ? g_hash_table_lookup(S.pending, &req) : NULL;

    if (!S.synced) {
        /* Every member of this view is out of sync at this point: nobody applies it. */
        if (w)
            w->sent = false;
        return;
    }
    g_autofree char *view = NULL;
    if (!view_has_quorum()) {
        rc = VMHA_RESULT_NO_QUORUM;
        error = g_strdup("the cluster has no quorum");
    } else if (m->type == VMHA_MSG_ACTIONS &&
               (vmha_msg_get_str(m, VMHA_F_MEMBERS, &view) < 0 || g_strcmp0(view, S.key) != 0)) {
        /* Planned for a membership that no longer exists: the new view's leader plans again. */
        rc = VMHA_RESULT_FAILURE;
        error = g_strdup("actions planned in an earlier membership view");
    } else {
        rc = cd_cibwrite_apply(m, S.members, S.n, &error);
    }
    if (rc == 0) {
        g_message("applied %s %" G_GUINT64_FORMAT " from node %" G_GUINT64_FORMAT,
                  vmha_msg_type_to_str(m->type), req, origin);
        cd_events_publish(&(CdEvent){.type = CD_EVENT_APPLIED, .msg = m});
    }
    send_applied(origin, origin_pid, req, rc, error);
    if (!w)
        return;
    if (rc != 0) {
        finish(w, rc, error);
        return;
    }
    w->applied_local = true;
    check_acks(w);
}

static void on_applied(uint32_t nodeid, const VmhaMsg *m)
{
    uint64_t origin = 0, origin_pid = 0, req = 0, rc = 0;

    if (vmha_msg_get_u64(m, VMHA_F_ORIGIN_NODE, &origin) < 0 ||
        vmha_msg_get_u64(m, VMHA_F_ORIGIN_PID, &origin_pid) < 0 ||
        vmha_msg_get_u64(m, VMHA_F_REQ_ID, &req) < 0 || vmha_msg_get_u64(m, VMHA_F_RC, &rc) < 0)
        return;
    if (!is_mine(origin, origin_pid))
        return;
    Pending *w = g_hash_table_lookup(S.pending, &req);
    if (!w || rc != 0)
        return;
    g_hash_table_add(w->acks, GUINT_TO_POINTER(nodeid));
    check_acks(w);
}

static void on_deliver(const CdEvent *event, void *user_data)
{
    uint32_t nodeid = event->nodeid, pid = event->pid;
    const VmhaMsg *msg = event->msg;

    switch (msg->type) {
    case VMHA_MSG_SYNC_STATE:
        on_state(nodeid, pid, msg);
        break;
    case VMHA_MSG_SYNC_DATA:
        on_data(nodeid, pid, msg);
        break;
    case VMHA_MSG_APPLIED:
        on_applied(nodeid, msg);
        break;
    case VMHA_MSG_BUMP:
        on_bump(nodeid, pid, msg);
        break;
    default:
        on_write(nodeid, msg);
    }
}

static void fail_all(const char *message)
{
    GList *values = g_hash_table_get_values(S.pending);

    for (GList *l = values; l; l = l->next)
        finish(l->data, VMHA_RESULT_FAILURE, message);
    g_list_free(values);
}

static void on_disconnect(const CdEvent *event, void *user_data)
{
    /* Our state waiting for corosync belongs to a view that is gone (its retry would build a
     * state without a view key); the view after the reconnection offers its own. */
    cancel_state_retry();
    S.state_refusals = 0;
    stop_transfer();
    S.n = 0;
    S.synced = false;
    S.awaiting_bump = false;
    S.source = -1;
    g_clear_pointer(&S.key, g_free);
    fail_all("lost the connection to corosync; the write may or may not have been applied");
    log_leader();
}

static void on_quorum(const CdEvent *event, void *user_data)
{
    log_leader();
}

const char *cd_sync_view_key(void)
{
    return S.key ? S.key : "";
}

bool cd_sync_in_sync(void)
{
    return S.synced;
}

uint32_t cd_sync_leader(void)
{
    if (!S.synced)
        return 0;
    return vmha_leader_choose(S.members, S.n, cd_quorate() && view_has_quorum());
}

const VmhaPeerState *cd_sync_members(size_t *ret_n)
{
    *ret_n = S.n;
    return S.members;
}

static gboolean on_write_timeout(gpointer user_data)
{
    Pending *w = user_data;

    w->timeout_src = 0;
    finish(w, VMHA_RESULT_FAILURE,
           w->sent ? "the write was not confirmed by a quorum in time; it may still be applied"
                   : "the cluster database did not get in sync in time");
    return G_SOURCE_REMOVE;
}

void cd_sync_submit(const VmhaMsg *request, CdWriteDone done, void *ctx)
{
    if (!cd_corosync_connected()) {
        done(ctx, VMHA_RESULT_NO_QUORUM, "not connected to corosync; the cluster has no quorum");
        return;
    }
    if (!cd_quorate()) {
        done(ctx, VMHA_RESULT_NO_QUORUM, "the cluster has no quorum");
        return;
    }
    Pending *w = g_new0(Pending, 1);
    w->req_id = ++S.next_req;
    w->done = done;
    w->ctx = ctx;
    w->acks = g_hash_table_new(g_direct_hash, g_direct_equal);
    w->msg = vmha_msg_new(request->type);
    if (vmha_msg_copy_fields(w->msg, request) < 0 ||
        vmha_msg_add_u64(w->msg, VMHA_F_ORIGIN_NODE, cd_local_nodeid()) < 0 ||
        vmha_msg_add_u64(w->msg, VMHA_F_ORIGIN_PID, (uint64_t)getpid()) < 0 ||
        vmha_msg_add_u64(w->msg, VMHA_F_REQ_ID, w->req_id) < 0 || add_time(w->msg) < 0) {
        pending_free(w);
        done(ctx, VMHA_RESULT_USAGE, "the request is too large");
        return;
    }
    g_hash_table_insert(S.pending, &w->req_id, w);
    w->timeout_src = g_timeout_add_seconds(WRITE_TIMEOUT_S, on_write_timeout, w);
    if (S.synced)
        send_write(w);
}

void cd_sync_forget(void *ctx)
{
    GHashTableIter it;
    gpointer value;

    g_hash_table_iter_init(&it, S.pending);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        Pending *w = value;
        if (w->ctx == ctx)
            w->done = NULL;
    }
}

void cd_sync_init(void)
{
    static const uint16_t own[] = {VMHA_MSG_SYNC_STATE, VMHA_MSG_SYNC_DATA, VMHA_MSG_APPLIED,
                                   VMHA_MSG_BUMP};

    S.pending = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, pending_free);
    S.source = -1;
    cd_events_subscribe(CD_EVENT_CPG_VIEW, on_confchg, NULL);
    cd_events_subscribe(CD_EVENT_QUORUM, on_quorum, NULL);
    cd_events_subscribe(CD_EVENT_DISCONNECTED, on_disconnect, NULL);
    for (size_t i = 0; i < G_N_ELEMENTS(own); i++)
        cd_events_subscribe_message(own[i], on_deliver, NULL);
    cd_events_subscribe_messages(vmha_msg_type_is_write, on_deliver, NULL);
}

void cd_sync_finalise(void)
{
    cancel_state_retry();
    cd_events_unsubscribe(on_confchg);
    cd_events_unsubscribe(on_quorum);
    cd_events_unsubscribe(on_disconnect);
    cd_events_unsubscribe(on_deliver);
    if (S.pending)
        fail_all("clusterd is shutting down");
    stop_transfer();
    g_clear_pointer(&S.pending, g_hash_table_unref);
    g_clear_pointer(&S.members, g_free);
    g_clear_pointer(&S.got_state, g_free);
    g_clear_pointer(&S.protocol, g_free);
    g_clear_pointer(&S.key, g_free);
    S.n = 0;
}
