/* The history catch-up (catchup.h).
 *
 * Why after the bump and by range: the database sync gives a returning node the result of the
 * writes it missed, not the writes, so its history stops where it left. Every event is numbered
 * by the database version of its write, and the bump's events (the view's membership) carry the
 * first number of the new epoch, U, on every member; what a member lacks is therefore exactly the
 * events between its last below U and U. Each member announces that last (L); every member
 * collects the same announcements in the same order, so all pick the same sender (the longest
 * history, the first in the view's order on a tie: vmha_history_catchup_plan) and the same range
 * (the lowest L, U). Events at or after U are the ones every member derives itself. A member
 * inserting them dedups by number, so a batch sent twice, or to a member that had some of it,
 * changes nothing. A view change stops a transfer: the next view's bump starts another. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "catchup.h"
#include "cibdb.h"
#include "corosync.h"
#include "events.h"
#include "history.h"
#include "sync.h"

/* Events per message: about 300 bytes each, far under VMHA_WIRE_MAX_SIZE. */
#define BATCH_EVENTS 200
/* A batch corosync's flow control refused is offered again after this long. */
#define RETRY_MS 5

static struct {
    char *key; /* the view whose announcements are collected; NULL: none */
    CdCpgMember *members;
    uint64_t *last;
    bool *got;
    size_t n;
    uint64_t until; /* the first number of the view's own events */
    /* This node sends: events after cursor, below until. */
    bool sending;
    uint64_t cursor;
    guint pump_src;
    size_t sent;
} C;

static void reset(void)
{
    if (C.pump_src)
        g_source_remove(C.pump_src);
    C.pump_src = 0;
    C.sending = false;
    g_clear_pointer(&C.key, g_free);
    g_clear_pointer(&C.members, g_free);
    g_clear_pointer(&C.last, g_free);
    g_clear_pointer(&C.got, g_free);
    C.n = 0;
}

static char *kv(const VmhaMsg *m, const char *key)
{
    g_auto(GStrv) kvs = NULL;
    size_t klen = strlen(key);

    if (vmha_msg_get_strv(m, VMHA_F_KV, &kvs) < 0)
        return NULL;
    for (char **p = kvs; *p; p++)
        if (strncmp(*p, key, klen) == 0 && (*p)[klen] == '=')
            return g_strdup(*p + klen + 1);
    return NULL;
}

static int kv_u64(const VmhaMsg *m, const char *key, uint64_t *ret)
{
    g_autofree char *s = kv(m, key);
    guint64 v = 0;

    if (!s || !g_ascii_string_to_unsigned(s, 10, 0, G_MAXUINT64, &v, NULL))
        return -EBADMSG;
    *ret = v;
    return 0;
}

static VmhaMsg *new_msg(void)
{
    VmhaMsg *m = vmha_msg_new(VMHA_MSG_HISTORY);
    g_autofree char *until = g_strdup_printf("until=%" G_GUINT64_FORMAT, C.until);

    if (vmha_msg_add_str(m, VMHA_F_MEMBERS, C.key) < 0 || vmha_msg_add_str(m, VMHA_F_KV, until) < 0)
        g_clear_pointer(&m, vmha_msg_free);
    return m;
}

static gboolean on_pump(gpointer user_data)
{
    uint64_t last = 0;

    C.pump_src = 0;
    json_object *batch = cd_history_range(C.cursor, C.until, BATCH_EVENTS, &last);
    size_t n = json_object_array_length(batch);
    g_autoptr(VmhaMsg) m = n ? new_msg() : NULL;
    int r = 0;

    if (m && vmha_msg_add_str(m, VMHA_F_JSON,
                              json_object_to_json_string_ext(batch, JSON_C_TO_STRING_PLAIN)) < 0)
        g_clear_pointer(&m, vmha_msg_free);
    json_object_put(batch);
    if (n == 0) {
        g_message("history catch-up: sent %zu events", C.sent);
        C.sending = false;
        return G_SOURCE_REMOVE;
    }
    r = m ? cd_cpg_send_nowait(m) : -E2BIG;
    if (r == -EAGAIN) {
        C.pump_src = g_timeout_add(RETRY_MS, on_pump, NULL);
        return G_SOURCE_REMOVE;
    }
    if (r < 0) {
        g_warning("history catch-up: cannot send events: %s", g_strerror(-r));
        C.sending = false;
        return G_SOURCE_REMOVE;
    }
    C.sent += n;
    C.cursor = last;
    C.pump_src = g_idle_add(on_pump, NULL);
    return G_SOURCE_REMOVE;
}

/* A quorate view's bump: announce how far this node's history goes. */
static void on_synced(const CdEvent *event, void *user_data)
{
    size_t n = 0;
    const VmhaPeerState *members = cd_sync_members(&n);
    VmhaCibVersion v;

    reset();
    if (!event->msg || n == 0)
        return; /* a view without quorum numbers nothing */
    cd_cibdb_version(&v, NULL);
    if (vmha_event_seq(v.epoch, v.num_updates, 0, &C.until) < 0)
        return;
    C.key = g_strdup(cd_sync_view_key());
    C.n = n;
    C.members = g_new0(CdCpgMember, n);
    C.last = g_new0(uint64_t, n);
    C.got = g_new0(bool, n);
    for (size_t i = 0; i < n; i++)
        C.members[i] = (CdCpgMember){.nodeid = members[i].nodeid, .pid = members[i].pid};

    g_autoptr(VmhaMsg) m = new_msg();
    g_autofree char *last =
            g_strdup_printf("last=%" G_GUINT64_FORMAT, cd_history_last_before(C.until));
    if (!m || vmha_msg_add_str(m, VMHA_F_KV, last) < 0 || cd_cpg_send(m) < 0)
        g_warning("history catch-up: cannot announce this node's history");
}

static int member_index(uint32_t nodeid, uint32_t pid)
{
    for (size_t i = 0; i < C.n; i++)
        if (C.members[i].nodeid == nodeid && C.members[i].pid == pid)
            return (int)i;
    return -1;
}

static void on_announce(int from, const VmhaMsg *m)
{
    size_t sender = 0;
    uint64_t lowest = 0;

    if (kv_u64(m, "last", &C.last[from]) < 0) {
        g_warning("malformed history announcement from node %u", C.members[from].nodeid);
        return;
    }
    C.got[from] = true;
    for (size_t i = 0; i < C.n; i++)
        if (!C.got[i])
            return;
    if (!vmha_history_catchup_plan(C.last, C.n, &sender, &lowest))
        return;
    if (C.members[sender].nodeid != cd_local_nodeid() ||
        C.members[sender].pid != (uint32_t)getpid())
        return;
    g_message("history catch-up: sending events %" G_GUINT64_FORMAT "..%" G_GUINT64_FORMAT
              " (exclusive) to the members behind",
              lowest, C.until);
    C.sending = true;
    C.cursor = lowest;
    C.sent = 0;
    C.pump_src = g_idle_add(on_pump, NULL);
}

static void on_events(int from, const VmhaMsg *m)
{
    g_autofree char *text = NULL;
    uint64_t until = 0;

    if (C.members[from].nodeid == cd_local_nodeid() && C.members[from].pid == (uint32_t)getpid())
        return;
    if (vmha_msg_get_str(m, VMHA_F_JSON, &text) < 0 || kv_u64(m, "until", &until) < 0 ||
        until != C.until) {
        g_warning("malformed history events from node %u", C.members[from].nodeid);
        return;
    }
    json_object *events = json_tokener_parse(text);
    if (!events || !json_object_is_type(events, json_type_array)) {
        g_warning("malformed history events from node %u", C.members[from].nodeid);
        json_object_put(events);
        return;
    }
    size_t added = cd_history_insert(events, until);
    if (added)
        g_message("history catch-up: %zu of %zu events from node %u were missing here", added,
                  json_object_array_length(events), C.members[from].nodeid);
    json_object_put(events);
}

static void on_deliver(const CdEvent *event, void *user_data)
{
    g_autofree char *key = NULL;

    if (!C.key || vmha_msg_get_str(event->msg, VMHA_F_MEMBERS, &key) < 0 || strcmp(key, C.key) != 0)
        return; /* of another view */
    int from = member_index(event->nodeid, event->pid);
    if (from < 0)
        return;
    if (vmha_msg_get(event->msg, VMHA_F_JSON))
        on_events(from, event->msg);
    else
        on_announce(from, event->msg);
}

static void on_view(const CdEvent *event, void *user_data)
{
    reset();
}

void cd_catchup_init(void)
{
    cd_events_subscribe(CD_EVENT_SYNCED, on_synced, NULL);
    cd_events_subscribe(CD_EVENT_CPG_VIEW, on_view, NULL);
    cd_events_subscribe(CD_EVENT_DISCONNECTED, on_view, NULL);
    cd_events_subscribe_message(VMHA_MSG_HISTORY, on_deliver, NULL);
}

void cd_catchup_finalise(void)
{
    cd_events_unsubscribe(on_synced);
    cd_events_unsubscribe(on_view);
    cd_events_unsubscribe(on_deliver);
    reset();
}
