/* Writes sent until recorded (outbox.h). Until a result is recorded its VM stays "in flight" for
 * everyone, and until a fence is recorded the node's VMs wait: giving up is never right, and
 * sending again is safe (a result for an operation no longer pending, or a second FENCED, is
 * ignored by whoever applies it). */
#include "config.h"

#include <glib.h>

#include "outbox.h"
#include "sync.h"
#include "vmha/result.h"

#define RETRY_MS 1000 /* a write could not be recorded (no quorum): send it again */

typedef struct {
    VmhaMsg *msg;
    guint retry_src;
    CdOutboxDone done;
    void *ctx;
    GDestroyNotify ctx_free;
} Outbox;

static struct {
    bool up;
    GHashTable *waiting; /* Outbox* between two tries: their timers */
} O;

static void submit(Outbox *o);

static void outbox_free(gpointer p)
{
    Outbox *o = p;

    if (o->retry_src)
        g_source_remove(o->retry_src);
    if (o->ctx_free)
        o->ctx_free(o->ctx);
    vmha_msg_free(o->msg);
    g_free(o);
}

static gboolean on_retry(gpointer user_data)
{
    Outbox *o = user_data;

    o->retry_src = 0;
    g_hash_table_steal(O.waiting, o);
    submit(o);
    return G_SOURCE_REMOVE;
}

static void on_written(void *ctx, int rc, const char *message)
{
    Outbox *o = ctx;

    /* A refusal (malformed, unknown node) would be refused again. */
    if (rc == VMHA_RESULT_OK || rc == VMHA_RESULT_USAGE || rc == VMHA_RESULT_NOT_FOUND || !O.up) {
        if (rc != VMHA_RESULT_OK && O.up)
            g_warning("%s refused: %s", vmha_msg_type_to_str(o->msg->type), message);
        if (o->done && O.up)
            o->done(o->ctx, rc);
        outbox_free(o);
        return;
    }
    /* Once this node is fenced, or a restarted clusterd wrote the operation off, the record is
     * ignored: sending it again does no harm. */
    g_warning("%s not recorded (%s); trying again", vmha_msg_type_to_str(o->msg->type), message);
    o->retry_src = g_timeout_add(RETRY_MS, on_retry, o);
    g_hash_table_add(O.waiting, o);
}

static void submit(Outbox *o)
{
    cd_sync_submit(o->msg, on_written, o);
}

void cd_outbox_write_full(VmhaMsg *msg, CdOutboxDone done, void *ctx, GDestroyNotify ctx_free)
{
    Outbox *o = g_new0(Outbox, 1);

    o->msg = msg;
    o->done = done;
    o->ctx = ctx;
    o->ctx_free = ctx_free;
    submit(o);
}

void cd_outbox_write(VmhaMsg *msg)
{
    cd_outbox_write_full(msg, NULL, NULL, NULL);
}

void cd_outbox_init(void)
{
    O.waiting = g_hash_table_new_full(g_direct_hash, g_direct_equal, outbox_free, NULL);
    O.up = true;
}

void cd_outbox_finalise(void)
{
    O.up = false;
    g_clear_pointer(&O.waiting, g_hash_table_unref);
}
