/* The database's <nodes> follow corosync's nodelist. `vmctl cluster join` adds a node to
 * corosync.conf on every host and reloads it (corosync-cfgtool -R), `leave` removes one; each
 * clusterd rereads the nodelist from cmap when it changes (corosync.c). The leader of a quorate,
 * in-sync view then writes the whole list (NODES) whenever applying it would change the
 * database, and every member applies it in CPG order (cibwrite-node.c, lib/cibnodes.c), so the
 * copies stay identical. A timer repeats the check: a new leader, or a departed node whose VMs have
 * since been moved, needs no other event. */
#include "config.h"

#include <string.h>

#include "cibdb.h"
#include "cibwrite.h"
#include "corosync.h"
#include "events.h"
#include "nodelist.h"
#include "sync.h"

#define CHECK_INTERVAL_S 2

static struct {
    bool up;
    bool in_flight; /* a NODES write is on its way */
    guint timer_src;
    /* The last check, as leader, found the database following this nodelist (its "id name"
     * items) at this generation: until either changes, the timer's check would copy the whole
     * database to find the same (with 500 VMs that copy every 2 s was most of an idle leader's
     * CPU). */
    char *same_nodes;
    uint64_t same_generation;
} N;

static void check(void);

static void on_written(void *ctx, int rc, const char *message)
{
    N.in_flight = false;
    if (rc != 0)
        g_warning("cannot update the database's node list: %s", message ? message : "?");
    else
        check(); /* the nodelist may have changed again meanwhile */
}

static void check(void)
{
    const GPtrArray *nodes = cd_nodes();

    if (!N.up || N.in_flight || !nodes || nodes->len == 0 || !cd_sync_in_sync() || !cd_quorate() ||
        cd_sync_leader() != cd_local_nodeid()) {
        g_clear_pointer(&N.same_nodes, g_free);
        return;
    }
    g_autoptr(GArray) refs = g_array_new(FALSE, TRUE, sizeof(VmhaNodeRef));
    g_autoptr(GString) key = g_string_new(NULL);
    for (guint i = 0; i < nodes->len; i++) {
        const CdNode *n = g_ptr_array_index(nodes, i);
        VmhaNodeRef r = {.id = n->nodeid, .name = n->name};
        g_array_append_val(refs, r);
        g_string_append_printf(key, "%u %s,", n->nodeid, n->name);
    }
    if (N.same_nodes && N.same_generation == cd_cibdb_generation() &&
        strcmp(N.same_nodes, key->str) == 0)
        return;
    g_clear_pointer(&N.same_nodes, g_free);
    if (!cd_cibwrite_nodes_differ((const VmhaNodeRef *)refs->data, refs->len)) {
        N.same_nodes = g_strdup(key->str);
        N.same_generation = cd_cibdb_generation();
        return;
    }

    g_autoptr(VmhaMsg) m = vmha_msg_new(VMHA_MSG_NODES);
    for (guint i = 0; i < nodes->len; i++) {
        const CdNode *n = g_ptr_array_index(nodes, i);
        g_autofree char *item = g_strdup_printf("%u %s", n->nodeid, n->name);
        if (vmha_msg_add_str(m, VMHA_F_NODE, item) < 0)
            return;
    }
    g_message("corosync's nodelist differs from the database's nodes: updating them");
    N.in_flight = true;
    cd_sync_submit(m, on_written, NULL);
}

static gboolean on_timer(gpointer user_data)
{
    check();
    return G_SOURCE_CONTINUE;
}

static void on_nodelist(const CdEvent *event, void *user_data)
{
    check();
}

void cd_nodelist_init(void)
{
    N.up = true;
    N.timer_src = g_timeout_add_seconds(CHECK_INTERVAL_S, on_timer, NULL);
    cd_events_subscribe(CD_EVENT_NODELIST, on_nodelist, NULL);
}

void cd_nodelist_finalise(void)
{
    cd_events_unsubscribe(on_nodelist);
    if (N.timer_src)
        g_source_remove(N.timer_src);
    N.timer_src = 0;
    g_clear_pointer(&N.same_nodes, g_free);
    N.up = false;
}
