/* clusterd/sync.c as one member of a CPG group, driven by scripted events: no corosync. The test
 * stands at sync.c's boundary (corosync.h): it publishes the views and the messages (events.h)
 * in the order CPG would deliver them, its own included, keeps what sync.c hands corosync
 * (encoded and decoded again by lib/wire.c) and can refuse a send as corosync's flow control does
 * (CS_ERR_TRY_AGAIN, error 6). The database is a real copy in a temporary directory (cibtest.h).
 *
 * sync.c's timers run on a clock the test moves: the executable is linked with
 * -Wl,--wrap=g_timeout_add, g_timeout_add_seconds and g_source_remove, so a timeout sync.c sets
 * fires when clock_advance() passes it and never by itself; idle sources (the transfer's pump)
 * are run by hand with g_main_context_iteration. Nothing waits on the real clock.
 *
 * This process is the member under test, node F.nodeid (1 unless a test says) with its own pid;
 * every other member is another node, with pid 1000 + its node id. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <corosync/corotypes.h>
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "cibtest.h"
#include "clusterd/events.h"
#include "clusterd/sync.h"
#include "dbtransfer.h"

/* sync.c's retry of a state corosync refused (STATE_RETRY_MS there), and of a chunk
 * (CHUNK_RETRY_MS). */
#define STATE_RETRY_MS 50
#define CHUNK_RETRY_MS 5
/* Idle callbacks one clock step may run: far more than a small transfer needs. */
#define MAX_IDLE_DISPATCHES 10000

/* ---- the clock: sync.c's timeouts, fired by clock_advance() ---- */

#define FAKE_SOURCE_BASE 0x40000000u /* far above the ids glib gives real sources */

typedef struct {
    guint id;
    guint64 due_ms;
    guint interval_ms;
    GSourceFunc fn;
    gpointer data;
} FakeTimer;

static struct {
    guint64 now_ms;
    GList *timers; /* FakeTimer*, in the order they were added */
    guint next_id;
    guint firing;        /* the timer whose callback runs now */
    bool firing_removed; /* ... and that callback removed it */
} C;

guint __wrap_g_timeout_add(guint interval, GSourceFunc fn, gpointer data);
guint __wrap_g_timeout_add_seconds(guint interval, GSourceFunc fn, gpointer data);
gboolean __wrap_g_source_remove(guint id);
gboolean __real_g_source_remove(guint id);

static guint fake_timer_add(guint interval_ms, GSourceFunc fn, gpointer data)
{
    FakeTimer *t = g_new0(FakeTimer, 1);

    t->id = FAKE_SOURCE_BASE + ++C.next_id;
    t->due_ms = C.now_ms + interval_ms;
    t->interval_ms = interval_ms;
    t->fn = fn;
    t->data = data;
    C.timers = g_list_append(C.timers, t);
    return t->id;
}

guint __wrap_g_timeout_add(guint interval, GSourceFunc fn, gpointer data)
{
    return fake_timer_add(interval, fn, data);
}

guint __wrap_g_timeout_add_seconds(guint interval, GSourceFunc fn, gpointer data)
{
    return fake_timer_add(interval * 1000, fn, data);
}

gboolean __wrap_g_source_remove(guint id)
{
    if (id < FAKE_SOURCE_BASE)
        return __real_g_source_remove(id);
    if (id == C.firing) {
        C.firing_removed = true;
        return TRUE;
    }
    for (GList *l = C.timers; l; l = l->next) {
        FakeTimer *t = l->data;
        if (t->id == id) {
            C.timers = g_list_delete_link(C.timers, l);
            g_free(t);
            return TRUE;
        }
    }
    fail_msg("g_source_remove(%u): no such timer", id);
    return FALSE;
}

/* Runs the idle callbacks (the transfer's pump) until there are none. */
static void run_idle(void)
{
    unsigned n = 0;

    while (g_main_context_iteration(NULL, FALSE))
        assert_true(++n < MAX_IDLE_DISPATCHES);
}

static FakeTimer *next_timer_until(guint64 until_ms)
{
    FakeTimer *next = NULL;

    for (GList *l = C.timers; l; l = l->next) {
        FakeTimer *t = l->data;
        if (t->due_ms <= until_ms && (!next || t->due_ms < next->due_ms))
            next = t;
    }
    return next;
}

/* Moves the clock ms on, firing every timer due on the way in the order of their times (then of
 * their making), with the idle callbacks run after each. */
static void clock_advance(guint64 ms)
{
    guint64 until = C.now_ms + ms;
    FakeTimer *t;

    run_idle();
    while ((t = next_timer_until(until))) {
        C.now_ms = t->due_ms;
        C.timers = g_list_remove(C.timers, t);
        C.firing = t->id;
        C.firing_removed = false;
        gboolean again = t->fn(t->data);
        C.firing = 0;
        if (again && !C.firing_removed) {
            t->due_ms += t->interval_ms;
            C.timers = g_list_append(C.timers, t);
        } else {
            g_free(t);
        }
        run_idle();
    }
    C.now_ms = until;
}

/* ---- corosync as sync.c sees it ---- */

/* What a write's submitter was told (cd_sync_submit's done). */
typedef struct {
    unsigned calls;
    int rc;
    char *message;
} Done;

static struct {
    char *copy; /* this member's database directory */
    uint32_t nodeid;
    bool connected;
    bool quorate;
    uint32_t nodes_needed;
    /* corosync's flow control: while set, every send is refused with CS_ERR_TRY_AGAIN */
    bool busy;
    unsigned refused; /* sends refused so far */
    GPtrArray *sent;  /* VmhaMsg*: what corosync took from sync.c, decoded */
    GPtrArray *nodes; /* cmap's nodelist: n1, n2, n3 */
    unsigned synced;  /* CD_EVENT_SYNCED published */
    Done done; /* kept here, not on a test's stack: a failed test's teardown still answers it */
} F;

/* One multicast, as cpg_mcast_joined answers it. */
static cs_error_t mcast(const VmhaMsg *msg)
{
    g_autofree uint8_t *buf = NULL;
    size_t len = 0;
    VmhaMsg *copy = NULL;

    if (F.busy) {
        F.refused++;
        return CS_ERR_TRY_AGAIN;
    }
    assert_int_equal(vmha_msg_encode(msg, &buf, &len), 0);
    assert_int_equal(vmha_msg_decode(buf, len, &copy), 0);
    g_ptr_array_add(F.sent, copy);
    return CS_OK;
}

/* corosync.c waits error 6 out (100 tries, 10 ms apart) and then gives up with -EIO: here one
 * refusal stands for all of them. */
int cd_cpg_send(const VmhaMsg *msg)
{
    if (!F.connected)
        return -ENOTCONN;
    return mcast(msg) == CS_OK ? 0 : -EIO;
}

int cd_cpg_send_nowait(const VmhaMsg *msg)
{
    if (!F.connected)
        return -ENOTCONN;
    return mcast(msg) == CS_OK ? 0 : -EAGAIN;
}

bool cd_corosync_connected(void)
{
    return F.connected;
}

uint32_t cd_local_nodeid(void)
{
    return F.nodeid;
}

bool cd_quorate(void)
{
    return F.quorate;
}

uint32_t cd_quorum_nodes_needed(void)
{
    return F.nodes_needed;
}

size_t cd_write_acks_needed(size_t n_distinct)
{
    return vmha_write_acks_needed(F.nodes->len, F.nodes_needed, 0, F.nodes_needed, n_distinct);
}

const GPtrArray *cd_nodes(void)
{
    return F.nodes;
}

const char *cd_node_name(uint32_t nodeid)
{
    static const char *names[] = {NULL, "n1", "n2", "n3"};
    return nodeid < G_N_ELEMENTS(names) ? names[nodeid] : NULL;
}

/* ---- the group: views and deliveries ---- */

static uint32_t my_pid(void)
{
    return (uint32_t)getpid();
}

static uint32_t pid_of(uint32_t nodeid)
{
    return nodeid == F.nodeid ? my_pid() : 1000 + nodeid;
}

/* A CPG view of these nodes (this member among them or not), in CPG's order. */
static void view(const uint32_t *nodeids, size_t n)
{
    CdCpgMember m[8];

    assert_true(n <= G_N_ELEMENTS(m));
    for (size_t i = 0; i < n; i++) {
        assert_true(i == 0 || nodeids[i - 1] < nodeids[i]);
        m[i] = (CdCpgMember){.nodeid = nodeids[i], .pid = pid_of(nodeids[i])};
    }
    cd_events_publish(&(CdEvent){.type = CD_EVENT_CPG_VIEW, .members = m, .n_members = n});
    run_idle();
}

#define VIEW(...)                                                                                  \
    view((const uint32_t[]){__VA_ARGS__},                                                          \
         sizeof((const uint32_t[]){__VA_ARGS__}) / sizeof(uint32_t))

static void deliver(uint32_t nodeid, const VmhaMsg *msg)
{
    cd_events_publish(&(CdEvent){
            .type = CD_EVENT_MESSAGE, .msg = msg, .nodeid = nodeid, .pid = pid_of(nodeid)});
    run_idle();
}

/* A message of another member, delivered and freed. */
static void deliver_from(uint32_t nodeid, VmhaMsg *msg)
{
    deliver(nodeid, msg);
    vmha_msg_free(msg);
}

/* The i-th message corosync took from this member, delivered back to it (CPG delivers a
 * member's messages to itself too). */
static void deliver_sent(guint i)
{
    assert_true(i < F.sent->len);
    deliver(F.nodeid, g_ptr_array_index(F.sent, i));
}

/* How many messages of type corosync took from this member since the index from. */
static unsigned count_sent(uint16_t type, guint from)
{
    unsigned n = 0;

    for (guint i = from; i < F.sent->len; i++)
        n += ((VmhaMsg *)g_ptr_array_index(F.sent, i))->type == type;
    return n;
}

/* The index of the last message of type corosync took; fails when there is none. */
static guint last_sent(uint16_t type)
{
    for (guint i = F.sent->len; i-- > 0;)
        if (((VmhaMsg *)g_ptr_array_index(F.sent, i))->type == type)
            return i;
    fail_msg("no %s sent", vmha_msg_type_to_str(type));
    return 0;
}

static const VmhaMsg *sent_msg(guint i)
{
    return g_ptr_array_index(F.sent, i);
}

static char *msg_str(const VmhaMsg *m, uint16_t tag)
{
    char *s = NULL;
    assert_int_equal(vmha_msg_get_str(m, tag, &s), 0);
    return s;
}

static uint64_t msg_u64(const VmhaMsg *m, uint16_t tag)
{
    uint64_t v = 0;
    assert_int_equal(vmha_msg_get_u64(m, tag, &v), 0);
    return v;
}

typedef struct {
    VmhaCibVersion version;
    char digest[VMHA_DIGEST_LEN + 1];
} CopyState;

static CopyState my_copy(void)
{
    CopyState s;
    cd_cibdb_version(&s.version, s.digest);
    return s;
}

/* Another member's SYNC_STATE for the current view. */
static VmhaMsg *state_msg(const CopyState *s)
{
    VmhaMsg *m = vmha_msg_new(VMHA_MSG_SYNC_STATE);
    assert_int_equal(vmha_msg_add_str(m, VMHA_F_MEMBERS, cd_sync_view_key()), 0);
    assert_int_equal(vmha_msg_add_u64(m, VMHA_F_ADMIN_EPOCH, s->version.admin_epoch), 0);
    assert_int_equal(vmha_msg_add_u64(m, VMHA_F_EPOCH, s->version.epoch), 0);
    assert_int_equal(vmha_msg_add_u64(m, VMHA_F_NUM_UPDATES, s->version.num_updates), 0);
    assert_int_equal(vmha_msg_add_str(m, VMHA_F_DIGEST, s->digest), 0);
    assert_int_equal(vmha_msg_add_u64(m, VMHA_F_SYNC_PROTOCOL, VMHA_SYNC_PROTOCOL), 0);
    return m;
}

/* The BUMP the leader of the current view sends once the copies agree. */
static VmhaMsg *bump_msg(void)
{
    VmhaMsg *m = vmha_msg_new(VMHA_MSG_BUMP);
    assert_int_equal(vmha_msg_add_str(m, VMHA_F_MEMBERS, cd_sync_view_key()), 0);
    assert_int_equal(vmha_msg_add_u64(m, VMHA_F_TIME, 1765152000), 0);
    return m;
}

/* The i-th SYNC_STATE this member sent is for the current view and tells its copy as it is. */
static void assert_my_state(guint i)
{
    const VmhaMsg *m = sent_msg(i);
    CopyState mine = my_copy();

    assert_int_equal(m->type, VMHA_MSG_SYNC_STATE);
    g_autofree char *key = msg_str(m, VMHA_F_MEMBERS);
    assert_string_equal(key, cd_sync_view_key());
    assert_int_equal(msg_u64(m, VMHA_F_EPOCH), mine.version.epoch);
    assert_int_equal(msg_u64(m, VMHA_F_NUM_UPDATES), mine.version.num_updates);
    g_autofree char *digest = msg_str(m, VMHA_F_DIGEST);
    assert_string_equal(digest, mine.digest);
    assert_int_equal(msg_u64(m, VMHA_F_SYNC_PROTOCOL), VMHA_SYNC_PROTOCOL);
}

/* Sends the SYNC_DATA chunks of doc for the current view from nodeid, in order. */
static void deliver_transfer(uint32_t nodeid, const char *doc)
{
    g_autoptr(VmhaSyncSender) sender = NULL;
    VmhaMsg *chunk = NULL;
    int r;

    assert_int_equal(vmha_sync_sender_new(cd_sync_view_key(), doc, strlen(doc), &sender), 0);
    while ((r = vmha_sync_sender_next(sender, &chunk)) == 0)
        deliver_from(nodeid, chunk);
    assert_int_equal(r, -ENOENT);
}

/* ---- fixtures ---- */

static void on_synced(const CdEvent *event, void *user_data)
{
    F.synced++;
}

static int member_setup(void **state)
{
    static unsigned copies;

    memset(&F, 0, sizeof(F));
    memset(&C, 0, sizeof(C));
    F.copy = g_strdup_printf("member%u", ++copies);
    F.nodeid = 1;
    F.connected = true;
    F.quorate = true;
    F.nodes_needed = 2; /* three nodes, a vote each */
    F.sent = g_ptr_array_new_with_free_func((GDestroyNotify)vmha_msg_free);
    F.nodes = three_nodes();
    open_seeded(F.copy);
    cd_events_init();
    cd_sync_init();
    cd_events_subscribe(CD_EVENT_SYNCED, on_synced, NULL);
    return 0;
}

static int member_teardown(void **state)
{
    cd_events_unsubscribe(on_synced);
    cd_sync_finalise();
    cd_events_finalise();
    cd_cibdb_finalise();
    run_idle();
    g_free(F.done.message);
    /* sync.c leaves no timer behind it. */
    assert_null(C.timers);
    g_ptr_array_unref(F.sent);
    g_ptr_array_unref(F.nodes);
    g_free(F.copy);
    return 0;
}

/* Another member's copy, made from a seeded database with one VM added: its state and its
 * document. This member's copy is opened again afterwards. */
static void other_copy(const char *name, CopyState *ret_state, char **ret_doc)
{
    g_autofree char *sub = g_strdup_printf("%s-%s", F.copy, name);
    g_autofree char *mine = g_build_filename(dir, F.copy, NULL);

    cd_cibdb_finalise();
    open_seeded(sub);
    assert_int_equal(apply(add_msg("web1", NULL)), 0);
    *ret_state = my_copy();
    assert_int_equal(cd_cibdb_dump(ret_doc), 0);
    cd_cibdb_finalise();
    assert_int_equal(cd_cibdb_init(mine), 0);
}

/* ---- 1. copies equal ---- */

/* Three members, every copy the same: no transfer, the lowest node (this one) bumps the epoch and
 * leads. */
static void test_equal_copies_leader(void **state)
{
    CopyState same = my_copy();

    VIEW(1, 2, 3);
    assert_int_equal(F.sent->len, 1);
    assert_my_state(0);
    assert_false(cd_sync_in_sync());

    deliver_sent(0);
    deliver_from(2, state_msg(&same));
    assert_int_equal(F.sent->len, 1); /* one state missing: nothing decided yet */
    deliver_from(3, state_msg(&same));

    /* The copies agree; a quorate view waits for the leader's bump, which is ours to send. */
    assert_int_equal(count_sent(VMHA_MSG_SYNC_DATA, 0), 0);
    assert_false(cd_sync_in_sync());
    guint bump = last_sent(VMHA_MSG_BUMP);
    g_autofree char *key = msg_str(sent_msg(bump), VMHA_F_MEMBERS);
    assert_string_equal(key, cd_sync_view_key());
    assert_int_equal(F.sent->len, 2);

    deliver_sent(bump);
    assert_true(cd_sync_in_sync());
    assert_int_equal(F.synced, 1);
    assert_int_equal(cd_sync_leader(), 1);
    assert_int_equal(my_copy().version.epoch, same.version.epoch + 1);
    size_t n = 0;
    const VmhaPeerState *view_members = cd_sync_members(&n);
    assert_int_equal(n, 3);
    for (size_t i = 0; i < n; i++)
        assert_true(view_members[i].in_sync);

    /* Nothing more to say, however long the view lasts. */
    clock_advance(60 * 1000);
    assert_int_equal(F.sent->len, 2);
}

/* The same from node 2: the bump is node 1's; one from anyone else is ignored. */
static void test_equal_copies_follower(void **state)
{
    F.nodeid = 2;
    CopyState same = my_copy();

    VIEW(1, 2, 3);
    deliver_from(1, state_msg(&same));
    deliver_sent(0);
    deliver_from(3, state_msg(&same));
    assert_int_equal(F.sent->len, 1); /* no bump from here */
    assert_false(cd_sync_in_sync());

    deliver_from(3, bump_msg());
    assert_false(cd_sync_in_sync());
    deliver_from(1, bump_msg());
    assert_true(cd_sync_in_sync());
    assert_int_equal(F.synced, 1);
    assert_int_equal(cd_sync_leader(), 1);
    assert_int_equal(count_sent(VMHA_MSG_SYNC_DATA, 0), 0);
}

/* A view without quorum is in sync once its states agree, without a bump, and has no leader. */
static void test_equal_copies_no_quorum(void **state)
{
    F.quorate = false;
    VIEW(1);
    deliver_sent(0);
    assert_true(cd_sync_in_sync());
    assert_int_equal(F.synced, 1);
    assert_int_equal(cd_sync_leader(), 0);
    assert_int_equal(F.sent->len, 1);
}

/* ---- 2. copies differ ---- */

/* Node 3 has the newest copy: it is the source, this member takes its document and sends none. */
static void test_newer_copy_adopted(void **state)
{
    CopyState newer, same = my_copy();
    g_autofree char *doc = NULL;

    other_copy("n3", &newer, &doc);
    assert_true(vmha_cib_version_compare(&newer.version, &same.version) > 0);

    VIEW(1, 2, 3);
    deliver_sent(0);
    deliver_from(2, state_msg(&same));
    deliver_from(3, state_msg(&newer));
    assert_int_equal(count_sent(VMHA_MSG_SYNC_DATA, 0), 0);
    assert_int_equal(count_sent(VMHA_MSG_BUMP, 0), 0); /* not before the copy is in */

    deliver_transfer(3, doc);
    CopyState adopted = my_copy();
    assert_int_equal(vmha_cib_version_compare(&adopted.version, &newer.version), 0);
    assert_string_equal(adopted.digest, newer.digest);
    assert_false(cd_sync_in_sync());

    deliver_sent(last_sent(VMHA_MSG_BUMP));
    assert_true(cd_sync_in_sync());
    assert_int_equal(cd_sync_leader(), 1);
    assert_int_equal(my_copy().version.epoch, newer.version.epoch + 1);
    g_autofree char *now = NULL;
    assert_int_equal(cd_cibdb_dump(&now), 0);
    assert_non_null(strstr(now, "<primitive id=\"web1\""));
    assert_int_equal(count_sent(VMHA_MSG_SYNC_DATA, 0), 0);
}

/* This member (node 2) has the newest copy: it sends it, in chunks that say its digest; a chunk
 * corosync refuses is offered again; the source's chunks come back to it too. */
static void test_own_newer_copy_sent(void **state)
{
    F.nodeid = 2;
    CopyState older = my_copy();
    assert_int_equal(apply(add_msg("web1", NULL)), 0);
    CopyState newer = my_copy();
    g_autofree char *doc = NULL;
    assert_int_equal(cd_cibdb_dump(&doc), 0);

    VIEW(1, 2, 3);
    deliver_from(1, state_msg(&older));
    deliver_sent(0);
    F.busy = true;
    deliver_from(3, state_msg(&older)); /* the pump's first chunk is refused */
    assert_int_equal(count_sent(VMHA_MSG_SYNC_DATA, 0), 0);
    assert_true(F.refused > 0);
    F.busy = false;
    clock_advance(CHUNK_RETRY_MS);
    guint first = last_sent(VMHA_MSG_SYNC_STATE) + 1;
    assert_true(count_sent(VMHA_MSG_SYNC_DATA, first) >= 1);

    /* What went out is this copy, whole. */
    g_autoptr(VmhaSyncReceiver) check = vmha_sync_receiver_new(true);
    int r = 0;
    for (guint i = first; i < F.sent->len; i++) {
        g_autofree char *error = NULL;
        assert_int_equal(sent_msg(i)->type, VMHA_MSG_SYNC_DATA);
        r = vmha_sync_receiver_add(check, sent_msg(i), &error);
        assert_true(r >= 0);
    }
    assert_int_equal(r, 1);
    size_t len = 0;
    assert_string_equal(vmha_sync_receiver_document(check, &len), doc);

    guint end = F.sent->len;
    for (guint i = first; i < end; i++)
        deliver_sent(i);
    assert_false(cd_sync_in_sync());
    deliver_from(1, bump_msg());
    assert_true(cd_sync_in_sync());
    assert_int_equal(my_copy().version.epoch, newer.version.epoch + 1);
}

/* Two copies equally new: the lower node sends (node 1), not this one (node 2), and this member,
 * which has that copy already, only follows the chunks. */
static void test_tie_lowest_node_sends(void **state)
{
    F.nodeid = 2;
    CopyState older = my_copy();
    assert_int_equal(apply(add_msg("web1", NULL)), 0);
    CopyState newer = my_copy();
    g_autofree char *doc = NULL;
    assert_int_equal(cd_cibdb_dump(&doc), 0);
    uint64_t generation = cd_cibdb_generation();

    VIEW(1, 2, 3);
    deliver_from(1, state_msg(&newer));
    deliver_sent(0);
    deliver_from(3, state_msg(&older));
    assert_int_equal(count_sent(VMHA_MSG_SYNC_DATA, 0), 0);

    deliver_transfer(1, doc);
    assert_int_equal(cd_cibdb_generation(), generation); /* not adopted: it is the same */
    deliver_from(1, bump_msg());
    assert_true(cd_sync_in_sync());
    assert_int_equal(count_sent(VMHA_MSG_SYNC_DATA, 0), 0);
}

/* ---- 3. our state refused by corosync's flow control ---- */

/* Refused with error 6: offered again every STATE_RETRY_MS until corosync takes it, then in sync
 * as usual; nothing is sent twice. */
static void test_state_refused_sent_again(void **state)
{
    CopyState same = my_copy();

    F.busy = true;
    VIEW(1, 2, 3);
    assert_int_equal(F.refused, 1);
    assert_int_equal(F.sent->len, 0);
    clock_advance(STATE_RETRY_MS - 1);
    assert_int_equal(F.refused, 1); /* not before its time */
    clock_advance(1);
    assert_int_equal(F.refused, 2);
    clock_advance(STATE_RETRY_MS);
    assert_int_equal(F.refused, 3);

    F.busy = false;
    clock_advance(STATE_RETRY_MS);
    assert_int_equal(F.sent->len, 1);
    assert_my_state(0);
    clock_advance(10 * STATE_RETRY_MS);
    assert_int_equal(F.sent->len, 1);
    assert_int_equal(F.refused, 3);

    deliver_from(2, state_msg(&same));
    deliver_sent(0);
    deliver_from(3, state_msg(&same));
    deliver_sent(last_sent(VMHA_MSG_BUMP));
    assert_true(cd_sync_in_sync());
}

/* A view change while the state waits: the new view's state goes at once and the old view's
 * retry is gone (a second state in the new view would restart everyone's exchange). */
static void test_view_change_cancels_retry(void **state)
{
    CopyState same = my_copy();

    F.busy = true;
    VIEW(1, 2, 3);
    g_autofree char *old_key = g_strdup(cd_sync_view_key());
    assert_int_equal(F.refused, 1);
    clock_advance(STATE_RETRY_MS / 2);

    F.busy = false;
    VIEW(1, 2); /* node 3 left */
    assert_int_equal(F.sent->len, 1);
    assert_my_state(0);
    g_autofree char *key = msg_str(sent_msg(0), VMHA_F_MEMBERS);
    assert_string_not_equal(key, old_key);
    clock_advance(10 * STATE_RETRY_MS);
    assert_int_equal(F.sent->len, 1);

    deliver_sent(0);
    deliver_from(2, state_msg(&same));
    deliver_sent(last_sent(VMHA_MSG_BUMP));
    assert_true(cd_sync_in_sync());
    assert_int_equal(count_sent(VMHA_MSG_SYNC_STATE, 0), 1);
}

/* A view this member is not in (it left) cancels the retry too: it sends nothing. */
static void test_leaving_cancels_retry(void **state)
{
    F.busy = true;
    VIEW(1, 2, 3);
    assert_int_equal(F.refused, 1);
    F.busy = false;
    VIEW(2, 3);
    clock_advance(10 * STATE_RETRY_MS);
    assert_int_equal(F.sent->len, 0);
    assert_int_equal(F.refused, 1);
}

/* ---- 4. a second state from a member in the same view (RELIABILITY.md finding 8) ---- */

/* Node 3 saw a leave and a join the others did not and sends its state again in what is, here,
 * the same view: this member's exchange starts over and it sends its state again; once every
 * state is in again, it is back in sync. */
static void test_second_state_restarts(void **state)
{
    F.nodeid = 2;
    CopyState same = my_copy();

    VIEW(1, 2, 3);
    deliver_from(1, state_msg(&same));
    deliver_sent(0);
    deliver_from(3, state_msg(&same));
    deliver_from(1, bump_msg());
    assert_true(cd_sync_in_sync());
    assert_int_equal(cd_sync_leader(), 1);
    same = my_copy(); /* bumped */

    deliver_from(3, state_msg(&same));
    assert_false(cd_sync_in_sync());
    assert_int_equal(cd_sync_leader(), 0);
    assert_int_equal(count_sent(VMHA_MSG_SYNC_STATE, 0), 2);
    guint again = last_sent(VMHA_MSG_SYNC_STATE);
    assert_my_state(again);

    deliver_from(1, state_msg(&same));
    deliver_sent(again);
    assert_false(cd_sync_in_sync());
    deliver_from(1, bump_msg());
    assert_true(cd_sync_in_sync());
    assert_int_equal(F.synced, 2);
    assert_int_equal(count_sent(VMHA_MSG_SYNC_STATE, 0), 2);
}

/* The same in the middle of an exchange: the states before it no longer count. */
static void test_second_state_mid_exchange(void **state)
{
    F.nodeid = 2;
    CopyState same = my_copy();

    VIEW(1, 2, 3);
    deliver_from(3, state_msg(&same));
    deliver_sent(0);
    deliver_from(3, state_msg(&same)); /* node 3 again */
    assert_int_equal(count_sent(VMHA_MSG_SYNC_STATE, 0), 2);
    deliver_from(1, state_msg(&same));
    assert_false(cd_sync_in_sync()); /* ours of before no longer counts */
    deliver_from(1, bump_msg());
    assert_false(cd_sync_in_sync());
    deliver_sent(last_sent(VMHA_MSG_SYNC_STATE));
    deliver_from(1, bump_msg());
    assert_true(cd_sync_in_sync());
}

/* ---- writes ---- */

static void on_done(void *ctx, int rc, const char *message)
{
    Done *d = ctx;

    d->calls++;
    d->rc = rc;
    g_free(d->message);
    d->message = g_strdup(message);
}

/* This member (node 1) in sync in the view of nodes 1, 2 and 3, every copy alike. */
static void sync_three(void)
{
    CopyState same = my_copy();

    VIEW(1, 2, 3);
    deliver_sent(last_sent(VMHA_MSG_SYNC_STATE));
    deliver_from(2, state_msg(&same));
    deliver_from(3, state_msg(&same));
    deliver_sent(last_sent(VMHA_MSG_BUMP));
    assert_true(cd_sync_in_sync());
}

/* Another member's confirmation that it applied the write this member sent as F.sent[write]. */
static VmhaMsg *applied_msg(guint write)
{
    VmhaMsg *m = vmha_msg_new(VMHA_MSG_APPLIED);
    assert_int_equal(vmha_msg_add_u64(m, VMHA_F_ORIGIN_NODE, F.nodeid), 0);
    assert_int_equal(vmha_msg_add_u64(m, VMHA_F_ORIGIN_PID, my_pid()), 0);
    assert_int_equal(vmha_msg_add_u64(m, VMHA_F_REQ_ID, msg_u64(sent_msg(write), VMHA_F_REQ_ID)),
                     0);
    assert_int_equal(vmha_msg_add_u64(m, VMHA_F_RC, 0), 0);
    assert_int_equal(vmha_msg_add_str(m, VMHA_F_MESSAGE, ""), 0);
    return m;
}

static bool has_vm(const char *name)
{
    g_autofree char *doc = NULL;
    g_autofree char *tag = g_strdup_printf("<primitive id=\"%s\"", name);

    assert_int_equal(cd_cibdb_dump(&doc), 0);
    return strstr(doc, tag) != NULL;
}

/* A write submitted before the view is in sync goes once it is; it is acknowledged once this
 * member applied it and as many nodes as a quorate partition needs (two of three) confirmed. */
static void test_write_waits_for_sync_and_acks(void **state)
{
    g_autoptr(VmhaMsg) request = add_msg("web1", NULL);

    VIEW(1, 2, 3);
    cd_sync_submit(request, on_done, &F.done);
    assert_int_equal(count_sent(VMHA_MSG_VM_ADD, 0), 0);
    sync_three();
    guint write = last_sent(VMHA_MSG_VM_ADD);

    deliver_sent(write);
    assert_true(has_vm("web1"));
    guint applied = last_sent(VMHA_MSG_APPLIED);
    assert_true(applied > write);
    assert_int_equal(F.done.calls, 0);
    deliver_sent(applied); /* this node's confirmation: one of two */
    assert_int_equal(F.done.calls, 0);
    deliver_from(2, applied_msg(write));
    assert_int_equal(F.done.calls, 1);
    assert_int_equal(F.done.rc, VMHA_RESULT_OK);
    deliver_from(3, applied_msg(write)); /* late: nobody waits for it any more */
    assert_int_equal(F.done.calls, 1);
}

/* A write delivered while the exchange starts over (a second state) is applied by nobody; its
 * origin sends it again once the view is in sync again, and it is applied then. */
static void test_write_during_restart_sent_again(void **state)
{
    g_autoptr(VmhaMsg) request = add_msg("web1", NULL);

    sync_three();
    cd_sync_submit(request, on_done, &F.done);
    guint first = last_sent(VMHA_MSG_VM_ADD);
    CopyState same = my_copy();
    deliver_from(3, state_msg(&same)); /* node 3 again: the exchange starts over */
    guint answer = last_sent(VMHA_MSG_SYNC_STATE);
    deliver_sent(first);
    assert_false(has_vm("web1"));
    assert_int_equal(count_sent(VMHA_MSG_APPLIED, 0), 0);

    deliver_from(2, state_msg(&same));
    deliver_sent(answer);
    deliver_sent(last_sent(VMHA_MSG_BUMP));
    assert_true(cd_sync_in_sync());
    guint again = last_sent(VMHA_MSG_VM_ADD);
    assert_true(again > first);
    assert_int_equal(msg_u64(sent_msg(again), VMHA_F_REQ_ID),
                     msg_u64(sent_msg(first), VMHA_F_REQ_ID));
    deliver_sent(again);
    assert_true(has_vm("web1"));
    deliver_sent(last_sent(VMHA_MSG_APPLIED));
    deliver_from(2, applied_msg(again));
    assert_int_equal(F.done.calls, 1);
    assert_int_equal(F.done.rc, VMHA_RESULT_OK);
}

/* A view that does not get in sync fails its writes after 30 s, saying why; without quorum a
 * write is refused at once. */
static void test_write_timeout_and_no_quorum(void **state)
{
    g_autoptr(VmhaMsg) request = add_msg("web1", NULL);

    VIEW(1, 2, 3);
    cd_sync_submit(request, on_done, &F.done);
    clock_advance(30 * 1000 - 1);
    assert_int_equal(F.done.calls, 0);
    clock_advance(1);
    assert_int_equal(F.done.calls, 1);
    assert_int_equal(F.done.rc, VMHA_RESULT_FAILURE);
    assert_non_null(strstr(F.done.message, "did not get in sync"));
    assert_int_equal(count_sent(VMHA_MSG_VM_ADD, 0), 0);

    F.quorate = false;
    cd_sync_submit(request, on_done, &F.done);
    assert_int_equal(F.done.calls, 2);
    assert_int_equal(F.done.rc, VMHA_RESULT_NO_QUORUM);
}

/* ---- 5. found by this harness ---- */

/* Our state refused, then the connection to corosync lost before the retry: the retry must not
 * run for a view that is gone (it sent a state without a view key: a crash, strlen(NULL)). */
static void test_disconnect_cancels_retry(void **state)
{
    F.busy = true;
    VIEW(1, 2, 3);
    assert_int_equal(F.refused, 1);
    F.connected = false;
    cd_events_publish(&(CdEvent){.type = CD_EVENT_DISCONNECTED});
    clock_advance(10 * STATE_RETRY_MS);
    assert_int_equal(F.refused, 1);
    assert_int_equal(F.sent->len, 0);
    assert_null(C.timers);

    /* Connected again: the new view's state goes as usual. */
    F.connected = true;
    F.busy = false;
    VIEW(1, 2, 3);
    assert_int_equal(F.sent->len, 1);
    assert_my_state(0);
}

/* A restart while this member's own state of the exchange is still on its way (sent, not yet
 * delivered): that state comes after the restart and fills this member's place in the new
 * exchange, so it sends no second one. It did: the second state then came as a second state of
 * this member in the same exchange, every member restarted again and answered, and whenever a
 * member's state was again on its way at a restart the exchange went on restarting for as long as
 * the view lasted (a model of the group in commit 135eb88: 16 states in 60 deliveries, no end).
 *
 * This member is node 3 (C). Node 2 (B) saw a leave and a join the others did not and sends its
 * state again (B2). The order of delivery: A1 B1 B2 C1, then the answer of node 1 (A2); B does
 * not answer its own state (its view is new there). */
static void test_restart_with_own_state_on_its_way(void **state)
{
    F.nodeid = 3;
    CopyState same = my_copy();

    VIEW(1, 2, 3);
    assert_int_equal(count_sent(VMHA_MSG_SYNC_STATE, 0), 1); /* C1, on its way */
    deliver_from(1, state_msg(&same));                       /* A1 */
    deliver_from(2, state_msg(&same));                       /* B1 */
    deliver_from(2, state_msg(&same));                       /* B2: the exchange starts over */
    assert_int_equal(count_sent(VMHA_MSG_SYNC_STATE, 0), 1);
    deliver_sent(0);                   /* C1 */
    deliver_from(1, state_msg(&same)); /* A2 */
    deliver_from(1, bump_msg());
    assert_true(cd_sync_in_sync());
    assert_int_equal(count_sent(VMHA_MSG_SYNC_STATE, 0), 1);

    /* Once its state came back, a later restart is answered again. */
    same = my_copy();
    deliver_from(2, state_msg(&same));
    assert_false(cd_sync_in_sync());
    assert_int_equal(count_sent(VMHA_MSG_SYNC_STATE, 0), 2);
    deliver_from(1, state_msg(&same));
    deliver_sent(last_sent(VMHA_MSG_SYNC_STATE));
    deliver_from(1, bump_msg());
    assert_true(cd_sync_in_sync());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_equal_copies_leader, member_setup,
                                            member_teardown),
            cmocka_unit_test_setup_teardown(test_equal_copies_follower, member_setup,
                                            member_teardown),
            cmocka_unit_test_setup_teardown(test_equal_copies_no_quorum, member_setup,
                                            member_teardown),
            cmocka_unit_test_setup_teardown(test_newer_copy_adopted, member_setup, member_teardown),
            cmocka_unit_test_setup_teardown(test_own_newer_copy_sent, member_setup,
                                            member_teardown),
            cmocka_unit_test_setup_teardown(test_tie_lowest_node_sends, member_setup,
                                            member_teardown),
            cmocka_unit_test_setup_teardown(test_state_refused_sent_again, member_setup,
                                            member_teardown),
            cmocka_unit_test_setup_teardown(test_view_change_cancels_retry, member_setup,
                                            member_teardown),
            cmocka_unit_test_setup_teardown(test_leaving_cancels_retry, member_setup,
                                            member_teardown),
            cmocka_unit_test_setup_teardown(test_second_state_restarts, member_setup,
                                            member_teardown),
            cmocka_unit_test_setup_teardown(test_second_state_mid_exchange, member_setup,
                                            member_teardown),
            cmocka_unit_test_setup_teardown(test_write_waits_for_sync_and_acks, member_setup,
                                            member_teardown),
            cmocka_unit_test_setup_teardown(test_write_during_restart_sent_again, member_setup,
                                            member_teardown),
            cmocka_unit_test_setup_teardown(test_write_timeout_and_no_quorum, member_setup,
                                            member_teardown),
            cmocka_unit_test_setup_teardown(test_disconnect_cancels_retry, member_setup,
                                            member_teardown),
            cmocka_unit_test_setup_teardown(test_restart_with_own_state_on_its_way, member_setup,
                                            member_teardown),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
