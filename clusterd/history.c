/* The cluster event log on this node (history.h).
 *
 * Why derived and not replicated as messages of its own: every member already applies the same
 * writes in the same order and ends at the same database version, so an event made from a write
 * is the same event everywhere, needs no message of its own, and cannot disagree with the
 * database it describes. Its number is the version the write produced (vmha_event_seq), its
 * time the origin's clock carried in the write (VMHA_F_TIME), so two members never number or time
 * it differently. A member that was away misses the writes it did not apply: the database it
 * adopts on its return carries their result, not their history; catchup.c then brings it the
 * events of that range from a member that has them (docs/ARCHITECTURE.md, "Event history"). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <crm/common/xml.h>
#include <crm/msg_xml.h>

#include "atomicwrite.h"
#include "cibdb.h"
#include "cibread.h"
#include "clusterhealth.h"
#include "corosync.h"
#include "events.h"
#include "fencedev.h"
#include "history.h"
#include "incident.h"
#include "lrmstatus.h"
#include "sync.h"

/* Appended lines are flushed to disk this long after the first unflushed one: a host crash may
 * lose that much of the history, a clusterd crash nothing (the lines are in the page cache). */
#define FLUSH_DELAY_S 1

static struct {
    VmhaEventLog *log;
    char *path;
    int fd; /* the file, appended to; -1 when it cannot be written */
    size_t lines;
    guint flush_src;
    /* The flush in flight: fdatasync waits for the disk, under load for tens of milliseconds,
     * and on the loop it held up the replicated write behind it (bench/events-bench). */
    GThread *flusher;
    gint flushing;
    /* The version the last event came from and the next index at that version: a write that
     * leaves the version where it was (nothing changed) numbers its events after the last. */
    uint64_t epoch, updates;
    unsigned next_index;
    /* The database version after the last write applied or copy adopted here. */
    VmhaCibVersion seen;
    bool range_warned;
    guint compact_src; /* events inserted by a catch-up: the file is rewritten once idle */
    /* What STATUS shows of the history, derived from all of it and kept until it changes: a
     * status (every `--watch` tick) then costs clusterd a look-up per VM, and vmctl no copy of
     * the history. */
    struct {
        bool valid;
        uint64_t generation;
        json_object *open_incidents;
        GHashTable *last_events; /* VM name -> its last event's object */
    } summary;
} H = {.fd = -1};

static gpointer flush_thread(gpointer data)
{
    int fd = GPOINTER_TO_INT(data);

    if (fdatasync(fd) < 0)
        g_warning("cannot flush the event history: %s", g_strerror(errno));
    close(fd);
    g_atomic_int_set(&H.flushing, 0);
    return NULL;
}

/* Waits for the flush in flight, if any. */
static void flush_join(void)
{
    if (H.flusher)
        g_thread_join(g_steal_pointer(&H.flusher));
}

/* fdatasync in a thread of its own, on a duplicate of the file's descriptor (a compaction may
 * close and replace the file meanwhile: its rewrite is durable by itself). */
static gboolean on_flush(gpointer user_data)
{
    if (g_atomic_int_get(&H.flushing))
        return G_SOURCE_CONTINUE; /* the last one still waits for the disk: again later */
    H.flush_src = 0;
    flush_join();
    int fd = H.fd >= 0 ? fcntl(H.fd, F_DUPFD_CLOEXEC, 0) : -1;
    if (fd < 0) {
        if (H.fd >= 0)
            g_warning("cannot flush %s: %s", H.path, g_strerror(errno));
        return G_SOURCE_REMOVE;
    }
    g_atomic_int_set(&H.flushing, 1);
    H.flusher = g_thread_new("history-flush", flush_thread, GINT_TO_POINTER(fd));
    return G_SOURCE_REMOVE;
}

/* Rewrites the file from the ring, atomically: after loading (damaged lines gone) and when the
 * appended lines reach twice the bound. */
static void compact(void)
{
    GString *text = g_string_new(NULL);
    g_autoptr(GError) error = NULL;

    for (size_t i = 0; i < vmha_eventlog_count(H.log); i++) {
        g_autofree char *line = vmha_event_to_line(vmha_eventlog_get(H.log, i));
        g_string_append(text, line);
        g_string_append_c(text, '\n');
    }
    if (H.fd >= 0)
        close(H.fd);
    H.fd = -1;
    if (vmha_atomic_write(H.path, text->str, text->len, 0600, VMHA_ATOMIC_WRITE_SYNC, &error) < 0)
        g_warning("cannot rewrite the event history: %s", error->message);
    g_string_free(text, TRUE);
    H.lines = vmha_eventlog_count(H.log);
    H.fd = open(H.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (H.fd < 0)
        g_warning("cannot open %s: %s; events are kept in memory only", H.path, g_strerror(errno));
}

static void append(const VmhaEvent *ev)
{
    if (H.fd < 0)
        return;
    g_autofree char *line = vmha_event_to_line(ev);
    g_autofree char *text = g_strconcat(line, "\n", NULL);
    size_t len = strlen(text);
    /* One write per line: a crash leaves at most a torn last line, which loading skips. */
    if (write(H.fd, text, len) != (ssize_t)len) {
        g_warning("cannot append to %s: %s", H.path, g_strerror(errno));
        return;
    }
    if (++H.lines >= 2 * CD_HISTORY_MAX_EVENTS) {
        compact();
        return;
    }
    if (!H.flush_src)
        H.flush_src = g_timeout_add_seconds(FLUSH_DELAY_S, on_flush, NULL);
}

static int64_t now_s(void)
{
    return g_get_real_time() / G_USEC_PER_SEC;
}

/* Numbers ev after the write that took the database to v, and keeps it. */
static void record(VmhaEvent *ev, const VmhaCibVersion *v)
{
    unsigned index = v->epoch == H.epoch && v->num_updates == H.updates ? H.next_index : 0;

    if (vmha_event_seq(v->epoch, v->num_updates, index, &ev->seq) < 0) {
        if (!H.range_warned)
            g_warning("database version %" G_GUINT64_FORMAT ".%" G_GUINT64_FORMAT
                      " is beyond what event numbers hold; events are not recorded",
                      v->epoch, v->num_updates);
        H.range_warned = true;
        return;
    }
    H.epoch = v->epoch;
    H.updates = v->num_updates;
    H.next_index = index + 1;
    if (vmha_eventlog_add(H.log, ev, now_s()) < 0)
        return; /* numbered before what is recorded: never twice */
    append(ev);
    cd_events_publish(&(CdEvent){.type = CD_EVENT_RECORDED, .history = ev});
}

static char *kv_value(const VmhaMsg *m, const char *key);

/* The writer's time: its own record of it (time=, the leader's) or when it was sent. */
static int64_t write_time(const VmhaMsg *m)
{
    uint64_t t = 0;
    g_autofree char *kv = kv_value(m, "time");
    gint64 v = 0;

    if (kv && g_ascii_string_to_signed(kv, 10, 0, G_MAXINT64, &v, NULL))
        return v;

    /* A clusterd from before VMHA_F_TIME: this node's clock is the best there is. */
    return vmha_msg_get_u64(m, VMHA_F_TIME, &t) == 0 ? (int64_t)t : now_s();
}

static char *origin_name(const VmhaMsg *m)
{
    uint64_t id = 0;

    if (vmha_msg_get_u64(m, VMHA_F_ORIGIN_NODE, &id) < 0)
        return NULL;
    const char *name = cd_node_name((uint32_t)id);
    return name ? g_strdup(name) : g_strdup_printf("node %" G_GUINT64_FORMAT, id);
}

static char *kv_value(const VmhaMsg *m, const char *key)
{
    g_auto(GStrv) kvs = NULL;

    if (vmha_msg_get_strv(m, VMHA_F_KV, &kvs) < 0)
        return NULL;
    size_t klen = strlen(key);
    for (char **kv = kvs; *kv; kv++)
        if (strncmp(*kv, key, klen) == 0 && (*kv)[klen] == '=')
            return g_strdup(*kv + klen + 1);
    return NULL;
}

static char *get_str(const VmhaMsg *m, uint16_t tag)
{
    char *s = NULL;

    return vmha_msg_get_str(m, tag, &s) == 0 ? s : NULL;
}

/* "key=value" as anyone may read it: a fence device's password stays out of the history, which
 * every local user may read (as `vmctl fence list` hides it). */
static char *readable_kv(const char *kv)
{
    const char *eq = strchr(kv, '=');
    g_autofree char *key = eq ? g_strndup(kv, (size_t)(eq - kv)) : NULL;

    return key && vmha_fence_option_is_secret(key) ? g_strdup_printf("%s=(hidden)", key)
                                                   : g_strdup(kv);
}

static char *readable_command(const char *command)
{
    g_auto(GStrv) words = g_strsplit(command, " ", -1);

    for (char **w = words; *w; w++) {
        char *r = readable_kv(*w);
        g_free(*w);
        *w = r;
    }
    return g_strjoinv(" ", words);
}

static void set_caller(VmhaEvent *ev, const VmhaMsg *m)
{
    g_autofree char *command = get_str(m, VMHA_F_CALLER_COMMAND);

    uint64_t uid = 0;

    ev->user = get_str(m, VMHA_F_CALLER_USER);
    if (!ev->user && vmha_msg_get_u64(m, VMHA_F_CALLER_UID, &uid) == 0)
        ev->user = g_strdup_printf("uid %" G_GUINT64_FORMAT, uid);
    ev->command = command ? readable_command(command) : NULL;
}

/* A change from vmctl: the request as its fields say it (name, node, settings). */
static void on_config(const VmhaMsg *m, VmhaEventType type, const VmhaCibVersion *v)
{
    VmhaEvent ev = {.type = type, .time = write_time(m), .duration_ms = -1};
    GString *details = g_string_new(vmha_msg_type_to_str(m->type));
    uint64_t n = 0;
    g_auto(GStrv) kvs = NULL;

    ev.vm = get_str(m, VMHA_F_NAME);
    ev.node = get_str(m, VMHA_F_NODE);
    set_caller(&ev, m);
    if (ev.vm)
        g_string_append_printf(details, " %s", ev.vm);
    if (ev.node)
        g_string_append_printf(details, " %s", ev.node);
    static const struct {
        uint16_t tag;
        const char *name;
    } texts[] = {
            {VMHA_F_CONFIG, "config"}, {VMHA_F_PRIORITY, "priority"}, {VMHA_F_PREFER, "prefer"}};
    for (size_t i = 0; i < G_N_ELEMENTS(texts); i++) {
        g_autofree char *s = get_str(m, texts[i].tag);
        if (s)
            g_string_append_printf(details, " %s=%s", texts[i].name, s);
    }
    if (vmha_msg_get_u64(m, VMHA_F_MEMORY, &n) == 0)
        g_string_append_printf(details, " memory=%" G_GUINT64_FORMAT, n);
    if (vmha_msg_get_u64(m, VMHA_F_VCPUS, &n) == 0)
        g_string_append_printf(details, " vcpus=%" G_GUINT64_FORMAT, n);
    if (vmha_msg_get_strv(m, VMHA_F_KV, &kvs) == 0)
        for (char **kv = kvs; *kv; kv++) {
            g_autofree char *shown = readable_kv(*kv);
            g_string_append_printf(details, " %s", shown);
        }
    ev.result = g_strdup("ok");
    ev.details = g_string_free(details, FALSE);
    record(&ev, v);
    vmha_event_clear(&ev);
}

static void on_nodes(const VmhaMsg *m, const VmhaCibVersion *v)
{
    g_auto(GStrv) nodes = NULL;
    VmhaEvent ev = {.type = VMHA_EVENT_NODES, .time = write_time(m), .duration_ms = -1};

    if (vmha_msg_get_strv(m, VMHA_F_NODE, &nodes) == 0)
        ev.details = g_strjoinv(", ", nodes);
    record(&ev, v);
    vmha_event_clear(&ev);
}

/* A fencing outcome: the attempt (when the leader ran a device) and how it ended. */
static void on_fenced(const VmhaMsg *m, const VmhaCibVersion *v)
{
    uint64_t rc = 1;
    int64_t t = write_time(m), duration = -1;
    g_autofree char *node = get_str(m, VMHA_F_NODE);
    g_autofree char *device = kv_value(m, "device");
    g_autofree char *action = kv_value(m, "action");
    g_autofree char *dur = kv_value(m, "duration_ms");
    g_autofree char *began = kv_value(m, "started");
    gint64 started = 0;

    if (vmha_msg_get_u64(m, VMHA_F_RC, &rc) < 0)
        return;
    if (dur && !g_ascii_string_to_signed(dur, 10, 0, G_MAXINT64, &duration, NULL))
        duration = -1;
    if (!began || !g_ascii_string_to_signed(began, 10, 0, G_MAXINT64, &started, NULL))
        started = duration >= 0 ? t - (duration + 999) / 1000 : t;
    if (!device) {
        VmhaEvent self = {.type = VMHA_EVENT_SELF_FENCED,
                          .time = t,
                          .node = node,
                          .result = (char *)"ok",
                          .duration_ms = -1,
                          .details = (char *)"no fence device: its self-fence deadline passed"};
        record(&self, v);
        return;
    }
    g_autofree char *how = g_strdup_printf("%s (%s)", device, action ? action : "reboot");
    VmhaEvent start = {.type = VMHA_EVENT_FENCE_STARTED,
                       .time = started,
                       .node = node,
                       .duration_ms = -1,
                       .details = how};
    record(&start, v);
    g_autofree char *error = get_str(m, VMHA_F_MESSAGE);
    VmhaEvent end = {.type = rc == 0 ? VMHA_EVENT_FENCE_DONE : VMHA_EVENT_FENCE_FAILED,
                     .time = t,
                     .node = node,
                     .result = (char *)(rc == 0 ? "ok" : "failed"),
                     .duration_ms = duration,
                     .details = rc == 0 ? how : error};
    record(&end, v);
}

static void on_actions(const VmhaMsg *m, const VmhaCibVersion *v)
{
    g_auto(GStrv) actions = NULL;
    int64_t t = write_time(m);

    if (vmha_msg_get_strv(m, VMHA_F_ACTION, &actions) < 0)
        return;
    for (char **a = actions; *a; a++) {
        VmhaActionSpec spec;
        g_auto(GStrv) parts = NULL;
        if (vmha_action_parse(*a, &spec, &parts) < 0)
            continue;
        g_autofree char *details = spec.target ? g_strdup_printf("%s to %s", spec.op, spec.target)
                                               : g_strdup_printf("%s on %s", spec.op, spec.node);
        VmhaEvent ev = {.type = VMHA_EVENT_PLANNED,
                        .time = t,
                        .node = (char *)spec.node,
                        .vm = (char *)spec.rsc,
                        .result = (char *)"pending",
                        .duration_ms = -1,
                        .details = details};
        record(&ev, v);
    }
}

static void on_result(const VmhaMsg *m, const VmhaCibVersion *v)
{
    g_auto(GStrv) results = NULL;
    g_autofree char *node = origin_name(m);
    g_autofree char *reason = get_str(m, VMHA_F_MESSAGE);
    static const struct {
        const char *op;
        VmhaEventType type;
    } ops[] = {{"start", VMHA_EVENT_START},
               {"stop", VMHA_EVENT_STOP},
               {"migrate_to", VMHA_EVENT_MIGRATE_TO},
               {"migrate_from", VMHA_EVENT_MIGRATE_FROM},
               {"monitor", VMHA_EVENT_MONITOR_FAILED}};

    if (vmha_msg_get_strv(m, VMHA_F_RESULT, &results) < 0)
        return;
    for (char **s = results; *s; s++) {
        VmhaOpResult r;
        g_auto(GStrv) parts = NULL;
        if (vmha_op_result_parse(*s, &r, &parts) < 0)
            continue;
        bool ok = r.rc == 0 && r.op_status == 0;
        size_t i = 0;
        while (i < G_N_ELEMENTS(ops) && strcmp(ops[i].op, r.op) != 0)
            i++;
        /* A monitor is news when it fails; its successes are the VM staying up. */
        if (i == G_N_ELEMENTS(ops) || (ops[i].type == VMHA_EVENT_MONITOR_FAILED && ok))
            continue;
        g_autofree char *result =
                ok ? g_strdup("ok")
                   : g_strdup_printf("failed (rc %d, op-status %d)", r.rc, r.op_status);
        const char *why = r.exit_reason && *r.exit_reason ? r.exit_reason : reason;
        VmhaEvent ev = {.type = ops[i].type,
                        .time = r.when > 0 ? r.when : write_time(m),
                        .node = node,
                        .vm = (char *)r.rsc,
                        .result = result,
                        .duration_ms = r.exec_ms >= 0 ? r.exec_ms : -1,
                        .details = (char *)(why && *why ? why : NULL)};
        record(&ev, v);
    }
}

static void on_probe(const VmhaMsg *m, const VmhaCibVersion *v)
{
    g_auto(GStrv) probes = NULL;
    g_autofree char *node = origin_name(m);

    if (vmha_msg_get_strv(m, VMHA_F_PROBE, &probes) < 0)
        return;
    for (char **s = probes; *s; s++) {
        VmhaProbeResult r;
        g_autofree char *buf = NULL;
        if (vmha_probe_result_parse(*s, &r, &buf) < 0)
            continue;
        /* OCF: 0 running, 7 not running; anything else the probe failed. */
        g_autofree char *result = r.rc == 0   ? g_strdup("running")
                                  : r.rc == 7 ? g_strdup("stopped")
                                              : g_strdup_printf("failed (rc %d)", r.rc);
        VmhaEvent ev = {.type = VMHA_EVENT_PROBE,
                        .time = r.when > 0 ? r.when : write_time(m),
                        .node = node,
                        .vm = (char *)r.rsc,
                        .result = result,
                        .duration_ms = r.exec_ms >= 0 ? r.exec_ms : -1};
        record(&ev, v);
    }
}

static void on_applied(const CdEvent *event, void *user_data)
{
    const VmhaMsg *m = event->msg;
    VmhaCibVersion v;

    cd_cibdb_version(&v, NULL);
    /* A write that changed nothing: a result or probe the database ignored (stale: from before
     * its node's fence, or answering no pending operation) is no event either. */
    bool changed = vmha_cib_version_compare(&v, &H.seen) != 0;
    H.seen = v;
    if (!changed &&
        (m->type == VMHA_MSG_RESULT || m->type == VMHA_MSG_PROBE || m->type == VMHA_MSG_ACTIONS))
        return;
    switch (m->type) {
    case VMHA_MSG_NODE_FENCE:
        on_config(m, VMHA_EVENT_FENCE_REQUESTED, &v);
        break;
    case VMHA_MSG_NODES:
        on_nodes(m, &v);
        break;
    case VMHA_MSG_FENCED:
        on_fenced(m, &v);
        break;
    case VMHA_MSG_ACTIONS:
        on_actions(m, &v);
        break;
    case VMHA_MSG_RESULT:
        on_result(m, &v);
        break;
    case VMHA_MSG_PROBE:
        on_probe(m, &v);
        break;
    default:
        if (!vmha_msg_type_is_internal(m->type))
            on_config(m, VMHA_EVENT_CONFIG, &v);
    }
}

/* A quorate view's epoch bump: the membership, and each node the cluster expects (its node_state
 * says expected="member") that is not in it. Every member of the view reads the same copy here. */
static void on_synced(const CdEvent *event, void *user_data)
{
    cd_cibdb_version(&H.seen, NULL); /* perhaps a copy adopted from another node */
    if (!event->msg)
        return; /* no bump: a view without quorum applies nothing and numbers nothing */
    size_t n = 0;
    const VmhaPeerState *members = cd_sync_members(&n);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    VmhaCibVersion v;
    int64_t t = write_time(event->msg);

    cd_cibdb_version(&v, NULL);
    for (size_t i = 0; i < n; i++) {
        const char *name = cd_node_name(members[i].nodeid);
        g_autofree char *s = name ? g_strdup(name) : g_strdup_printf("node %u", members[i].nodeid);
        bool seen = false;
        for (guint j = 0; j < names->len; j++)
            seen = seen || strcmp(g_ptr_array_index(names, j), s) == 0;
        if (!seen)
            g_ptr_array_add(names, g_steal_pointer(&s));
    }
    g_ptr_array_add(names, NULL);
    g_autofree char *list = g_strjoinv(", ", (char **)names->pdata);
    g_autofree char *details = g_strdup_printf("quorate view: %s", list);
    VmhaEvent view = {
            .type = VMHA_EVENT_MEMBERSHIP, .time = t, .duration_ms = -1, .details = details};
    record(&view, &v);

    xmlNode *cib = cd_cibdb_current();
    xmlNode *status = cib ? pcmk_find_cib_element(cib, XML_CIB_TAG_STATUS) : NULL;
    for (xmlNode *ns = status ? first_named_child(status, XML_CIB_TAG_STATE) : NULL; ns;
         ns = crm_next_same_xml(ns)) {
        const char *uname = crm_element_value(ns, XML_ATTR_UNAME);
        const char *expected = crm_element_value(ns, XML_NODE_EXPECTED);
        if (!uname || g_strcmp0(expected, "member") != 0 ||
            g_strv_contains((const char *const *)names->pdata, uname))
            continue;
        VmhaEvent lost = {.type = VMHA_EVENT_NODE_LOST,
                          .time = t,
                          .node = (char *)uname,
                          .duration_ms = -1,
                          .details = (char *)"out of the membership; it ran or was to run VMs"};
        record(&lost, &v);
    }
}

static void load(void)
{
    g_autofree char *text = NULL;
    gsize len = 0;
    g_autoptr(GError) error = NULL;
    size_t bad = 0, lines = 0;

    if (!g_file_get_contents(H.path, &text, &len, &error)) {
        if (!g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
            g_warning("cannot read the event history: %s", error->message);
        return;
    }
    g_auto(GStrv) all = g_strsplit(text, "\n", -1);
    for (char **l = all; *l; l++) {
        if (!**l)
            continue;
        lines++;
        VmhaEvent ev;
        g_autofree char *why = NULL;
        if (vmha_event_from_line(*l, &ev, &why) < 0) {
            bad++;
            g_warning("%s line %zu skipped: %s", H.path, (size_t)(l - all) + 1, why);
            continue;
        }
        if (vmha_eventlog_add(H.log, &ev, now_s()) < 0)
            bad++;
        vmha_event_clear(&ev);
    }
    g_message("event history: %zu events from %s (%zu lines skipped)", vmha_eventlog_count(H.log),
              H.path, bad);
    H.lines = lines;
}

void cd_history_init(const char *state_dir)
{
    H.log = vmha_eventlog_new(CD_HISTORY_MAX_EVENTS, CD_HISTORY_MAX_AGE_S);
    H.path = g_build_filename(state_dir, "events.jsonl", NULL);
    load();
    uint64_t last = vmha_eventlog_last_seq(H.log);
    VmhaCibVersion v;
    cd_cibdb_version(&v, NULL);
    uint64_t now_seq = 0;
    H.seen = v;
    if (last && vmha_event_seq(v.epoch, v.num_updates, 255, &now_seq) == 0 && last > now_seq) {
        /* Numbered past this database: the history of another one (a database made anew). */
        g_autofree char *old = g_strconcat(H.path, ".old", NULL);
        g_warning("the event history goes beyond the database's version; moved to %s", old);
        if (rename(H.path, old) < 0)
            g_warning("cannot move %s: %s", H.path, g_strerror(errno));
        vmha_eventlog_free(H.log);
        H.log = vmha_eventlog_new(CD_HISTORY_MAX_EVENTS, CD_HISTORY_MAX_AGE_S);
        last = 0;
    }
    H.epoch = last >> 40;
    H.updates = (last >> 8) & 0xffffffffu;
    H.next_index = last ? (unsigned)(last & 0xff) + 1 : 0;
    /* The file as the ring holds it: damaged and expired lines gone, appends from here. */
    compact();
#ifdef VMHA_BENCH_NO_HISTORY
    /* bench/events-bench's baseline build (clusterd-nohistory): the same daemon recording
     * nothing, to measure what recording adds to a write in the same run. */
    return;
#endif
    cd_events_subscribe(CD_EVENT_APPLIED, on_applied, NULL);
    cd_events_subscribe(CD_EVENT_SYNCED, on_synced, NULL);
}

void cd_history_finalise(void)
{
    cd_events_unsubscribe(on_applied);
    cd_events_unsubscribe(on_synced);
    if (H.compact_src) {
        g_source_remove(H.compact_src);
        compact();
    }
    H.compact_src = 0;
    if (H.flush_src)
        g_source_remove(H.flush_src);
    H.flush_src = 0;
    flush_join();
    if (H.fd >= 0) {
        if (fdatasync(H.fd) < 0)
            g_warning("cannot flush %s: %s", H.path, g_strerror(errno));
        close(H.fd);
    }
    H.fd = -1;
    g_clear_pointer(&H.log, vmha_eventlog_free);
    g_clear_pointer(&H.path, g_free);
    g_clear_pointer(&H.summary.open_incidents, json_object_put);
    g_clear_pointer(&H.summary.last_events, g_hash_table_unref);
    H.summary.valid = false;
}

char *cd_history_query(const VmhaEventFilter *filter)
{
    /* Written as text: a json-c object per event made 10,000 events cost clusterd's loop ~0.1 s
     * of CPU (bench/events-bench). */
    GString *doc = g_string_sized_new(256 * vmha_eventlog_count(H.log) + 64);

    vmha_eventlog_expire(H.log, now_s());
    size_t n = vmha_eventlog_count(H.log);
    g_string_append(doc, "{\"events\":");
    vmha_eventlog_select_text(H.log, filter, doc);
    g_string_append_printf(
            doc, ",\"first_seq\":%" G_GUINT64_FORMAT ",\"last_seq\":%" G_GUINT64_FORMAT "}",
            n ? vmha_eventlog_get(H.log, 0)->seq : 0, vmha_eventlog_last_seq(H.log));
    return g_string_free(doc, FALSE);
}

void cd_history_add_to_status(json_object *status)
{
    if (!H.log) {
        json_object_object_add(status, "open_incidents", NULL);
        return;
    }
    vmha_eventlog_expire(H.log, now_s());
    if (!H.summary.valid || H.summary.generation != vmha_eventlog_generation(H.log)) {
        /* The incidents and last events read an array: the ring's events, their strings
         * shared, not copied. */
        size_t n = vmha_eventlog_count(H.log);
        g_autofree VmhaEvent *events = g_new(VmhaEvent, n + 1);
        for (size_t i = 0; i < n; i++)
            events[i] = *vmha_eventlog_get(H.log, i);
        g_autoptr(GPtrArray) incidents = vmha_incidents_find(events, n);
        g_clear_pointer(&H.summary.open_incidents, json_object_put);
        g_clear_pointer(&H.summary.last_events, g_hash_table_unref);
        H.summary.open_incidents = vmha_open_incidents(incidents);
        H.summary.last_events = vmha_last_events(events, n);
        H.summary.generation = vmha_eventlog_generation(H.log);
        H.summary.valid = true;
    }
    json_object_object_add(status, "open_incidents", json_object_get(H.summary.open_incidents));
    vmha_status_add_last_events_of(status, H.summary.last_events);
}

uint64_t cd_history_last_before(uint64_t until)
{
    for (size_t i = vmha_eventlog_count(H.log); i > 0; i--) {
        uint64_t seq = vmha_eventlog_get(H.log, i - 1)->seq;
        if (seq < until)
            return seq;
    }
    return 0;
}

json_object *cd_history_range(uint64_t after, uint64_t before, size_t max, uint64_t *ret_last)
{
    json_object *array = json_object_new_array();

    *ret_last = after;
    for (size_t i = 0; i < vmha_eventlog_count(H.log) && json_object_array_length(array) < max;
         i++) {
        const VmhaEvent *ev = vmha_eventlog_get(H.log, i);
        if (ev->seq <= after || ev->seq >= before)
            continue;
        json_object_array_add(array, vmha_event_to_json(ev));
        *ret_last = ev->seq;
    }
    return array;
}

static gboolean on_compact(gpointer user_data)
{
    H.compact_src = 0;
    compact();
    return G_SOURCE_REMOVE;
}

size_t cd_history_insert(json_object *events, uint64_t before)
{
    size_t added = 0;
    /* Only into what this node recorded already: an event beyond its last would make it refuse
     * the events of the writes it applies next. */
    uint64_t limit = MIN(before, vmha_eventlog_last_seq(H.log));

    for (size_t i = 0; i < json_object_array_length(events); i++) {
        VmhaEvent ev;
        g_autofree char *why = NULL;
        if (vmha_event_from_json(json_object_array_get_idx(events, i), &ev, &why) < 0) {
            g_warning("a caught-up event skipped: %s", why);
            continue;
        }
        if (ev.seq < limit && vmha_eventlog_insert(H.log, &ev, now_s()) == 0)
            added++;
        vmha_event_clear(&ev);
    }
    /* Inserted lines cannot be appended: the file is rewritten, once for a whole catch-up. */
    if (added && !H.compact_src)
        H.compact_src = g_idle_add(on_compact, NULL);
    return added;
}
