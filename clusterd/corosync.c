/* Corosync connections: CPG (membership + total order), quorum, votequorum, cmap. All file
 * descriptors are driven from the GLib main loop; when corosync goes away every handle is
 * dropped and we reconnect once a second. cmap is tracked under "nodelist.": a reload of
 * corosync.conf that adds or removes a node (vmctl cluster join/leave) rereads the node list,
 * and nodelist.c brings the database's nodes along.
 *
 * This module names no other: each callback brings the state read through corosync.h up to date
 * and is then published as an event (events.h) to whoever subscribed. */
#include "config.h"

#include <corosync/cmap.h>
#include <corosync/corotypes.h>
#include <corosync/cpg.h>
#include <corosync/quorum.h>
#include <corosync/votequorum.h>
#include <errno.h>
#include <glib-unix.h>
#include <string.h>
#include <unistd.h>

#include "corosync.h"
#include "dbsync.h"
#include "events.h"

static struct {
    cpg_handle_t cpg;
    quorum_handle_t quorum;
    votequorum_handle_t votequorum;
    cmap_handle_t cmap;
    cmap_track_handle_t cmap_track;
    guint cpg_src, quorum_src, votequorum_src, cmap_src, reconnect_src, nodes_src;
    bool connected;
    uint32_t nodeid;
    bool quorate;
    uint32_t quorum_needed;
    uint32_t expected_votes;
    uint32_t device_votes; /* the quorum device's votes, while it casts them for this partition */
    uint32_t device_votes_configured; /* its votes, wherever it casts them */
    GArray *view;                     /* uint32_t node ids in the quorum view */
    GArray *members;                  /* CdCpgMember: the CPG view, sorted */
    GPtrArray *nodes;
    char *cpg_group;
} cs;

static void node_free(gpointer p)
{
    CdNode *n = p;
    g_free(n->name);
    g_free(n);
}

static void schedule_reconnect(void);

static void disconnect(void)
{
    if (cs.cpg_src)
        g_source_remove(cs.cpg_src);
    if (cs.quorum_src)
        g_source_remove(cs.quorum_src);
    if (cs.votequorum_src)
        g_source_remove(cs.votequorum_src);
    if (cs.cmap_src)
        g_source_remove(cs.cmap_src);
    if (cs.nodes_src)
        g_source_remove(cs.nodes_src);
    cs.cpg_src = cs.quorum_src = cs.votequorum_src = cs.cmap_src = cs.nodes_src = 0;
    if (cs.cmap) {
        if (cs.cmap_track)
            cmap_track_delete(cs.cmap, cs.cmap_track);
        cmap_finalize(cs.cmap);
    }
    cs.cmap = 0;
    cs.cmap_track = 0;
    if (cs.cpg)
        cpg_finalize(cs.cpg);
    if (cs.quorum)
        quorum_finalize(cs.quorum);
    if (cs.votequorum)
        votequorum_finalize(cs.votequorum);
    cs.cpg = cs.quorum = cs.votequorum = 0;
    bool was = cs.connected;
    cs.connected = false;
    cs.quorate = false;
    g_array_set_size(cs.view, 0);
    g_array_set_size(cs.members, 0);
    if (was) {
        g_warning("lost the connection to corosync; reconnecting");
        cd_events_publish(&(CdEvent){.type = CD_EVENT_DISCONNECTED});
    }
}

static void refresh_votes(void)
{
    struct votequorum_info info;

    if (cs.votequorum && votequorum_getinfo(cs.votequorum, cs.nodeid, &info) == CS_OK) {
        cs.quorum_needed = info.quorum;
        cs.expected_votes = info.node_expected_votes;
        cs.device_votes = info.flags & VOTEQUORUM_INFO_QDEVICE_CAST_VOTE ? info.qdevice_votes : 0;
        cs.device_votes_configured = info.qdevice_votes;
        return;
    }
    cs.device_votes = cs.device_votes_configured = 0;
    cs.expected_votes = cs.nodes ? cs.nodes->len : 1;
    cs.quorum_needed = cs.expected_votes / 2 + 1;
}

static void cpg_deliver(cpg_handle_t handle, const struct cpg_name *group, uint32_t nodeid,
                        uint32_t pid, void *data, size_t len)
{
    g_autoptr(VmhaMsg) msg = NULL;
    int r = vmha_msg_decode(data, len, &msg);

    if (r < 0) {
        g_warning("dropping a malformed CPG message from node %u (%zu bytes): %s", nodeid, len,
                  g_strerror(-r));
        return;
    }
    cd_events_publish(
            &(CdEvent){.type = CD_EVENT_MESSAGE, .msg = msg, .nodeid = nodeid, .pid = pid});
}

static int cmp_member(const void *a, const void *b)
{
    const CdCpgMember *x = a, *y = b;
    if (x->nodeid != y->nodeid)
        return x->nodeid < y->nodeid ? -1 : 1;
    return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static void cpg_confchg(cpg_handle_t handle, const struct cpg_name *group,
                        const struct cpg_address *members, size_t n_members,
                        const struct cpg_address *left, size_t n_left,
                        const struct cpg_address *joined, size_t n_joined)
{
    g_array_set_size(cs.members, 0);
    for (size_t i = 0; i < n_members; i++) {
        CdCpgMember m = {.nodeid = members[i].nodeid, .pid = members[i].pid};
        g_array_append_val(cs.members, m);
    }
    /* Every member sorts the same view the same way: the first is the leader to be. */
    g_array_sort(cs.members, cmp_member);
    g_message("CPG membership: %zu members (%zu joined, %zu left)", n_members, n_joined, n_left);
    refresh_votes();
    cd_events_publish(&(CdEvent){.type = CD_EVENT_CPG_VIEW,
                                 .members = (const CdCpgMember *)cs.members->data,
                                 .n_members = cs.members->len});
}

static void quorum_notify(quorum_handle_t handle, uint32_t quorate, uint64_t ring_seq, uint32_t n,
                          uint32_t *view)
{
    bool was = cs.quorate;

    cs.quorate = quorate != 0;
    g_array_set_size(cs.view, 0);
    g_array_append_vals(cs.view, view, n);
    refresh_votes();
    if (was != cs.quorate)
        g_message("quorum %s (%u nodes in view)", cs.quorate ? "gained" : "lost", n);
    cd_events_publish(&(CdEvent){.type = CD_EVENT_QUORUM});
}

static void votequorum_notify(votequorum_handle_t handle, uint64_t context, uint32_t quorate,
                              uint32_t n, votequorum_node_t *nodes)
{
    uint32_t had = cd_quorum_nodes_needed();

    refresh_votes();
    /* The quorum device cast or withdrew its vote: the nodes a view needs changed. */
    if (cd_quorum_nodes_needed() != had)
        cd_events_publish(&(CdEvent){.type = CD_EVENT_QUORUM});
}

static void votequorum_expected(votequorum_handle_t handle, uint64_t context, uint32_t expected)
{
    refresh_votes();
}

static gboolean on_dispatch(gint fd, GIOCondition cond, gpointer user_data)
{
    const char *which = user_data;
    cs_error_t err = CS_OK;

    if (g_str_equal(which, "cpg") && cs.cpg)
        err = cpg_dispatch(cs.cpg, CS_DISPATCH_ALL);
    else if (g_str_equal(which, "quorum") && cs.quorum)
        err = quorum_dispatch(cs.quorum, CS_DISPATCH_ALL);
    else if (g_str_equal(which, "votequorum") && cs.votequorum)
        err = votequorum_dispatch(cs.votequorum, CS_DISPATCH_ALL);
    else if (g_str_equal(which, "cmap") && cs.cmap)
        err = cmap_dispatch(cs.cmap, CS_DISPATCH_ALL);
    if (err == CS_OK && !(cond & (G_IO_HUP | G_IO_ERR)))
        return G_SOURCE_CONTINUE;

    g_message("corosync %s dispatch failed (error %d)", which, err);
    /* disconnect() removes this source; returning REMOVE as well would remove it twice. */
    if (g_str_equal(which, "cpg"))
        cs.cpg_src = 0;
    else if (g_str_equal(which, "quorum"))
        cs.quorum_src = 0;
    else if (g_str_equal(which, "cmap"))
        cs.cmap_src = 0;
    else
        cs.votequorum_src = 0;
    disconnect();
    schedule_reconnect();
    return G_SOURCE_REMOVE;
}

static bool same_nodes(const GPtrArray *a, const GPtrArray *b)
{
    if (a->len != b->len)
        return false;
    for (guint i = 0; i < a->len; i++) {
        const CdNode *x = g_ptr_array_index(a, i), *y = g_ptr_array_index(b, i);
        if (x->nodeid != y->nodeid || !g_str_equal(x->name, y->name))
            return false;
    }
    return true;
}

/* Reads corosync's nodelist from cmap; returns whether it differs from what we had. */
static bool load_nodes(cmap_handle_t cmap)
{
    g_autoptr(GPtrArray) old = cs.nodes;

    cs.nodes = g_ptr_array_new_with_free_func(node_free);
    for (int i = 0; i < 1024; i++) {
        char key[128];
        uint32_t id = 0;
        char *name = NULL;

        g_snprintf(key, sizeof(key), "nodelist.node.%d.nodeid", i);
        if (cmap_get_uint32(cmap, key, &id) != CS_OK)
            break;
        g_snprintf(key, sizeof(key), "nodelist.node.%d.name", i);
        if (cmap_get_string(cmap, key, &name) != CS_OK) {
            g_snprintf(key, sizeof(key), "nodelist.node.%d.ring0_addr", i);
            if (cmap_get_string(cmap, key, &name) != CS_OK)
                name = NULL;
        }
        CdNode *n = g_new0(CdNode, 1);
        n->nodeid = id;
        n->name = name ? g_strdup(name) : g_strdup_printf("node%u", id);
        free(name);
        g_ptr_array_add(cs.nodes, n);
    }
    return !old || !same_nodes(old, cs.nodes);
}

/* A reload changes many keys at once: read the list once they have settled. */
static gboolean on_nodes_settled(gpointer user_data)
{
    cs.nodes_src = 0;
    if (cs.cmap && load_nodes(cs.cmap)) {
        g_autoptr(GString) list = g_string_new(NULL);
        for (guint i = 0; i < cs.nodes->len; i++) {
            const CdNode *n = g_ptr_array_index(cs.nodes, i);
            g_string_append_printf(list, "%s%s(%u)", i ? " " : "", n->name, n->nodeid);
        }
        g_message("corosync's nodelist changed: %s", list->str);
        refresh_votes();
        cd_events_publish(&(CdEvent){.type = CD_EVENT_NODELIST});
    }
    return G_SOURCE_REMOVE;
}

static void on_cmap_nodelist(cmap_handle_t handle, cmap_track_handle_t track, int32_t event,
                             const char *key, struct cmap_notify_value new_value,
                             struct cmap_notify_value old_value, void *user_data)
{
    if (cs.nodes_src)
        g_source_remove(cs.nodes_src);
    cs.nodes_src = g_timeout_add(200, on_nodes_settled, NULL);
}

static int connect_all(void)
{
    static cpg_callbacks_t cpg_cb = {.cpg_deliver_fn = cpg_deliver, .cpg_confchg_fn = cpg_confchg};
    static quorum_callbacks_t q_cb = {.quorum_notify_fn = quorum_notify};
    static votequorum_callbacks_t vq_cb = {.votequorum_quorum_notify_fn = votequorum_notify,
                                           .votequorum_expectedvotes_notify_fn =
                                                   votequorum_expected};
    struct cpg_name group;
    uint32_t qtype = 0;
    int fd = -1;
    cs_error_t err;

    if ((err = cpg_initialize(&cs.cpg, &cpg_cb)) != CS_OK) {
        cs.cpg = 0;
        return -ENOTCONN;
    }
    if (cpg_local_get(cs.cpg, &cs.nodeid) != CS_OK)
        goto fail;
    if (cmap_initialize(&cs.cmap) != CS_OK) {
        cs.cmap = 0;
        g_warning("cannot connect to cmap");
        goto fail;
    }
    load_nodes(cs.cmap);
    if (cmap_track_add(cs.cmap, "nodelist.",
                       CMAP_TRACK_ADD | CMAP_TRACK_DELETE | CMAP_TRACK_MODIFY | CMAP_TRACK_PREFIX,
                       on_cmap_nodelist, NULL, &cs.cmap_track) != CS_OK) {
        cs.cmap_track = 0;
        g_warning("cannot track corosync's nodelist: nodes added later are not seen");
    }
    if (quorum_initialize(&cs.quorum, &q_cb, &qtype) != CS_OK) {
        cs.quorum = 0;
        goto fail;
    }
    if (votequorum_initialize(&cs.votequorum, &vq_cb) != CS_OK)
        cs.votequorum = 0; /* optional: fall back to a simple majority */
    refresh_votes();

    cpg_fd_get(cs.cpg, &fd);
    cs.cpg_src = g_unix_fd_add(fd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_dispatch, "cpg");
    quorum_fd_get(cs.quorum, &fd);
    cs.quorum_src = g_unix_fd_add(fd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_dispatch, "quorum");
    if (cs.votequorum) {
        votequorum_fd_get(cs.votequorum, &fd);
        cs.votequorum_src =
                g_unix_fd_add(fd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_dispatch, "votequorum");
        votequorum_trackstart(cs.votequorum, 0, CS_TRACK_CHANGES);
    }
    if (cs.cmap_track) {
        cmap_fd_get(cs.cmap, &fd);
        cs.cmap_src = g_unix_fd_add(fd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_dispatch, "cmap");
    }
    cs.connected = true;
    if (quorum_trackstart(cs.quorum, CS_TRACK_CHANGES | CS_TRACK_CURRENT) != CS_OK)
        goto fail;

    g_strlcpy(group.value, cs.cpg_group, sizeof(group.value));
    group.length = strlen(group.value);
    for (int i = 0; i < 50; i++) {
        err = cpg_join(cs.cpg, &group);
        if (err != CS_ERR_TRY_AGAIN)
            break;
        g_usleep(100 * 1000);
    }
    if (err != CS_OK) {
        g_warning("cannot join CPG group '%s' (error %d)", group.value, err);
        goto fail;
    }
    g_message("connected to corosync as node %u (%u nodes configured)", cs.nodeid, cs.nodes->len);
    return 0;

fail:
    cs.connected = false;
    disconnect();
    return -ENOTCONN;
}

static gboolean on_reconnect(gpointer user_data)
{
    if (connect_all() < 0)
        return G_SOURCE_CONTINUE;
    cs.reconnect_src = 0;
    return G_SOURCE_REMOVE;
}

static void schedule_reconnect(void)
{
    if (!cs.reconnect_src)
        cs.reconnect_src = g_timeout_add_seconds(1, on_reconnect, NULL);
}

int cd_corosync_init(const char *cpg_group)
{
    cs.cpg_group = g_strdup(cpg_group);
    cs.view = g_array_new(FALSE, TRUE, sizeof(uint32_t));
    cs.members = g_array_new(FALSE, TRUE, sizeof(CdCpgMember));
    cs.nodes = g_ptr_array_new_with_free_func(node_free);
    if (connect_all() < 0) {
        g_message("corosync is not reachable yet; retrying every second");
        schedule_reconnect();
    }
    return 0;
}

void cd_corosync_finalise(void)
{
    if (cs.reconnect_src)
        g_source_remove(cs.reconnect_src);
    cs.reconnect_src = 0;
    if (cs.cpg) {
        struct cpg_name group;
        g_strlcpy(group.value, cs.cpg_group, sizeof(group.value));
        group.length = strlen(group.value);
        cpg_leave(cs.cpg, &group);
    }
    cs.connected = false; /* no DISCONNECTED event during shutdown */
    disconnect();
    g_clear_pointer(&cs.view, g_array_unref);
    g_clear_pointer(&cs.members, g_array_unref);
    g_clear_pointer(&cs.cpg_group, g_free);
    g_clear_pointer(&cs.nodes, g_ptr_array_unref);
}

bool cd_corosync_connected(void)
{
    return cs.connected;
}

uint32_t cd_local_nodeid(void)
{
    return cs.nodeid;
}

bool cd_quorate(void)
{
    return cs.connected && cs.quorate;
}

uint32_t cd_quorum_needed(void)
{
    return cs.quorum_needed ? cs.quorum_needed : 1;
}

uint32_t cd_quorum_nodes_needed(void)
{
    uint32_t needed = cd_quorum_needed();
    return needed > cs.device_votes ? needed - cs.device_votes : 1;
}

size_t cd_write_acks_needed(size_t members)
{
    return vmha_write_acks_needed(cs.nodes ? cs.nodes->len : 1, cd_quorum_needed(),
                                  cs.device_votes_configured, cd_quorum_nodes_needed(), members);
}

uint32_t cd_expected_votes(void)
{
    return cs.expected_votes;
}

bool cd_node_in_quorum_view(uint32_t nodeid)
{
    for (guint i = 0; cs.view && i < cs.view->len; i++)
        if (g_array_index(cs.view, uint32_t, i) == nodeid)
            return true;
    return false;
}

const CdCpgMember *cd_cpg_members(size_t *ret_n)
{
    *ret_n = cs.members ? cs.members->len : 0;
    return cs.members ? (const CdCpgMember *)cs.members->data : NULL;
}

bool cd_cpg_has_node(uint32_t nodeid)
{
    for (guint i = 0; cs.members && i < cs.members->len; i++)
        if (g_array_index(cs.members, CdCpgMember, i).nodeid == nodeid)
            return true;
    return false;
}

const GPtrArray *cd_nodes(void)
{
    return cs.nodes;
}

const char *cd_node_name(uint32_t nodeid)
{
    for (guint i = 0; cs.nodes && i < cs.nodes->len; i++) {
        const CdNode *n = g_ptr_array_index(cs.nodes, i);
        if (n->nodeid == nodeid)
            return n->name;
    }
    return NULL;
}

uint32_t cd_node_id_by_name(const char *name)
{
    for (guint i = 0; cs.nodes && i < cs.nodes->len; i++) {
        const CdNode *n = g_ptr_array_index(cs.nodes, i);
        if (g_str_equal(n->name, name))
            return n->nodeid;
    }
    return 0;
}

/* tries: how many times corosync's flow control (TRY_AGAIN) is waited out, 10 ms each. */
static int cpg_send(const VmhaMsg *msg, int tries)
{
    g_autofree uint8_t *buf = NULL;
    size_t len = 0;
    struct iovec iov;
    cs_error_t err = CS_ERR_TRY_AGAIN;
    int r;

    if (!cs.connected || !cs.cpg)
        return -ENOTCONN;
    if ((r = vmha_msg_encode(msg, &buf, &len)) < 0)
        return r;
    iov.iov_base = buf;
    iov.iov_len = len;
    for (int i = 0; i < tries && err == CS_ERR_TRY_AGAIN; i++) {
        if (i > 0)
            g_usleep(10 * 1000);
        err = cpg_mcast_joined(cs.cpg, CPG_TYPE_AGREED, &iov, 1);
    }
    if (err == CS_ERR_TRY_AGAIN && tries == 1)
        return -EAGAIN;
    if (err != CS_OK) {
        g_warning("cannot send %s over CPG (error %d)", vmha_msg_type_to_str(msg->type), err);
        return -EIO;
    }
    return 0;
}

int cd_cpg_send(const VmhaMsg *msg)
{
    /* TRY_AGAIN is corosync's flow control; it clears within milliseconds. */
    return cpg_send(msg, 100);
}

int cd_cpg_send_nowait(const VmhaMsg *msg)
{
    return cpg_send(msg, 1);
}
