/* Writes the generated seed corpora of the fuzz targets from real messages, made with the same
 * encoders clusterd and vmctl use (wire.c, dbtransfer.c, eventlog.c):
 *
 *   build/tests/fuzz/fuzz-mkseeds tests/fuzz/corpus
 *
 * writes corpus/wire (requests as vmctl sends them), corpus/cpg (messages between clusterd
 * instances), corpus/dbtransfer (a database in SYNC_DATA chunks), corpus/eventlog (history
 * lines) and corpus/agent (what the agent prints and the files it reads, fuzz-agent.c). The seeds
 * are committed; run this again when a message changes. */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbtransfer.h"
#include "domaindef.h"
#include "eventlog.h"
#include "health.h"
#include "saveimage.h"
#include "vmha/wire.h"

static const char *out_dir;

#define OK(x)                                                                                      \
    do {                                                                                           \
        if ((x) < 0) {                                                                             \
            fprintf(stderr, "mkseeds: %s failed\n", #x);                                           \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

static void write_file(const char *sub, const char *name, const void *data, size_t len)
{
    g_autofree char *dir = g_build_filename(out_dir, sub, NULL);
    g_autofree char *path = g_build_filename(dir, name, NULL);
    g_autoptr(GError) error = NULL;

    g_mkdir_with_parents(dir, 0755);
    if (!g_file_set_contents(path, data, (gssize)len, &error)) {
        fprintf(stderr, "mkseeds: %s\n", error->message);
        exit(1);
    }
}

static GBytes *encode(const VmhaMsg *m)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    OK(vmha_msg_encode(m, &buf, &len));
    return g_bytes_new_take(buf, len);
}

static void write_msg(const char *sub, const char *name, VmhaMsg *m)
{
    g_autoptr(GBytes) b = encode(m);
    size_t len = 0;
    const void *data = g_bytes_get_data(b, &len);
    write_file(sub, name, data, len);
    vmha_msg_free(m);
}

/* A message with string fields: "TAG=value" each, "#TAG=n" for a u64. */
static VmhaMsg *msg(uint16_t type, ...)
{
    VmhaMsg *m = vmha_msg_new(type);
    va_list ap;
    va_start(ap, type);
    for (const char *f; (f = va_arg(ap, const char *));) {
        bool num = f[0] == '#';
        char *end = NULL;
        unsigned long tag = strtoul(f + num, &end, 10);
        if (num)
            OK(vmha_msg_add_u64(m, (uint16_t)tag, g_ascii_strtoull(end + 1, NULL, 10)));
        else
            OK(vmha_msg_add_str(m, (uint16_t)tag, end + 1));
    }
    va_end(ap);
    return m;
}

/* The fields a receiving clusterd adds to a write from vmctl before it goes over CPG. */
static VmhaMsg *cpg_write(VmhaMsg *m)
{
    OK(vmha_msg_add_u64(m, VMHA_F_ORIGIN_NODE, 1));
    OK(vmha_msg_add_u64(m, VMHA_F_ORIGIN_PID, 4242));
    OK(vmha_msg_add_u64(m, VMHA_F_REQ_ID, 17));
    OK(vmha_msg_add_u64(m, VMHA_F_TIME, 1780000000));
    OK(vmha_msg_add_u64(m, VMHA_F_CALLER_UID, 0));
    OK(vmha_msg_add_str(m, VMHA_F_CALLER_USER, "root"));
    return m;
}

#define S(tag, v) G_STRINGIFY(tag) "=" v
#define N(tag, v) "#" G_STRINGIFY(tag) "=" v

/* Requests and writes as vmctl sends them (wire, and after cpg_write: cpg). */
static VmhaMsg *writes(int i)
{
    switch (i) {
    case 0:
        return msg(VMHA_MSG_VM_ADD, S(1, "web2"), S(2, "/shared/web2.xml"), S(3, "7"), N(5, "512"),
                   N(6, "2"), S(4, "n1,n2"), S(35, "vmctl vm add web1 --config /shared/web1.xml"),
                   NULL);
    case 1:
        return msg(VMHA_MSG_VM_SET, S(1, "web1"), S(7, "priority=5"), S(7, "allow-migrate=true"),
                   S(7, "together-with=db1:500"), S(7, "prefer=n2,n3"), NULL);
    case 2:
        return msg(VMHA_MSG_VM_SET, S(1, "web1"), S(7, "failure-timeout=600"),
                   S(7, "migration-threshold=3"), S(7, "health-check=console"),
                   S(7, "health-timeout=90s"), S(7, "target-role=Stopped"), NULL);
    case 3:
        return msg(VMHA_MSG_VM_REMOVE, S(1, "web1"), NULL);
    case 4:
        return msg(VMHA_MSG_VM_CLEANUP, S(1, "db1"), NULL);
    case 5:
        return msg(VMHA_MSG_VM_MOVE, S(1, "web1"), S(20, "n2"), S(7, "from=n1"),
                   S(7, "method=live"), NULL);
    case 6:
        return msg(VMHA_MSG_NODE_DRAIN, S(20, "n1"), S(7, "method=quick"), S(7, "force=on"), NULL);
    case 7:
        return msg(VMHA_MSG_NODE_RESUME, S(20, "n1"), NULL);
    case 8:
        return msg(VMHA_MSG_NODE_FENCE, S(20, "n3"), S(7, "requested=1780000000"), NULL);
    case 9:
        return msg(VMHA_MSG_FENCE_ADD, S(1, "ipmi-n3"), S(7, "agent=fence_ipmilan"),
                   S(7, "ip=10.0.0.11"), S(7, "username=admin"), S(7, "password=secret"),
                   S(20, "n3"), NULL);
    case 10:
        return msg(VMHA_MSG_FENCE_SET, S(1, "ipmi-n1"), S(7, "force=on"), S(20, "n1"), S(20, "n2"),
                   NULL);
    case 11:
        return msg(VMHA_MSG_FENCE_REMOVE, S(1, "ipmi-n1"), NULL);
    case 12:
        return msg(VMHA_MSG_CONFIG_SET, S(7, "migration-limit=2"), S(7, "no-quorum-policy=stop"),
                   NULL);
    case 13:
        return msg(VMHA_MSG_CONFIG_SET, S(20, "n2"), S(7, "memory=8192"), S(7, "cpu=8"), NULL);
    case 14:
        return msg(VMHA_MSG_VM_ADD_MANY,
                   S(10, "[{\"line\":1,\"name\":\"web3\",\"config\":\"/shared/web3.xml\","
                         "\"priority\":\"5\",\"prefer\":\"n1,n2\",\"memory\":512,\"vcpus\":2},"
                         "{\"line\":3,\"name\":\"web4\",\"config\":\"/shared/web4.xml\","
                         "\"stopped\":true,\"memory\":256,\"vcpus\":1}]"),
                   NULL);
    default:
        return NULL;
    }
}

static const char *write_names[] = {"vm-add",     "vm-set",          "vm-set-meta", "vm-remove",
                                    "vm-cleanup", "vm-move",         "node-drain",  "node-resume",
                                    "node-fence", "fence-add",       "fence-set",   "fence-remove",
                                    "config-set", "config-set-node", "vm-add-many"};

#define MEMBERS "1:4242,2:5151,3:6161"
#define KEY     "start:12:0:6b29fc40-ca47-1067-b31d-00dd010662da"

static void wire_seeds(void)
{
    for (int i = 0; writes(i); i++)
        write_msg("wire", write_names[i], writes(i));
    write_msg("wire", "status", msg(VMHA_MSG_STATUS, NULL));
    write_msg("wire", "cib-query", msg(VMHA_MSG_CIB_QUERY, NULL));
    write_msg("wire", "events",
              msg(VMHA_MSG_EVENTS, S(7, "since_seq=1099511627776"), S(7, "since_time=1780000000"),
                  S(7, "vm=web1"), S(7, "node=n1"), NULL));
    write_msg("wire", "node-exec",
              msg(VMHA_MSG_NODE_EXEC, S(20, "n2"), S(24, "uptime; ls -l /"), S(7, "timeout=60"),
                  NULL));
    write_msg("wire", "reply",
              msg(VMHA_MSG_REPLY, N(8, "0"), S(9, "ok"),
                  S(10, "{\"nodes\":[{\"name\":\"n1\",\"online\":true}],\"vms\":[]}"), NULL));
}

static void cpg_seeds(void)
{
    for (int i = 0; writes(i); i++)
        write_msg("cpg", write_names[i], cpg_write(writes(i)));
    write_msg("cpg", "nodes",
              cpg_write(msg(VMHA_MSG_NODES, S(20, "1 n1"), S(20, "2 n2"), S(20, "3 n3"), NULL)));
    write_msg("cpg", "probe",
              cpg_write(msg(VMHA_MSG_PROBE, S(21, "web1 0 0 12 1780000000"),
                            S(21, "db1 7 0 9 1780000000"), S(7, "writeoff=" KEY), NULL)));
    write_msg("cpg", "actions",
              cpg_write(msg(VMHA_MSG_ACTIONS, S(14, MEMBERS), S(7, "time=1780000000"),
                            S(22, KEY " start web1 n1"),
                            S(22, "stop:12:0:6b29fc40-ca47-1067-b31d-00dd010662da stop db1 n2"),
                            S(22, "migrate_to:12:0:6b29fc40-ca47-1067-b31d-00dd010662da "
                                  "migrate web2 n1 n3 live"),
                            NULL)));
    write_msg("cpg", "result",
              cpg_write(msg(VMHA_MSG_RESULT, S(23, KEY " start 0 web1 0 0 1200 1780000000"),
                            S(9, "started"), NULL)));
    write_msg("cpg", "result-monitor",
              cpg_write(msg(VMHA_MSG_RESULT,
                            S(23, "monitor:12:0:6b29fc40-ca47-1067-b31d-00dd010662da monitor "
                                  "10000 web1 7 0 30 1780000100"),
                            S(9, "domain is gone"), S(7, "fenced=3"), NULL)));
    write_msg(
            "cpg", "fenced",
            cpg_write(msg(VMHA_MSG_FENCED, S(20, "n3"), N(8, "0"), S(7, "time=1780000000"), NULL)));
    write_msg("cpg", "fenced-failed",
              cpg_write(msg(VMHA_MSG_FENCED, S(20, "n3"), N(8, "1"), S(9, "agent timed out"),
                            S(7, "time=1780000000"), NULL)));
    write_msg("cpg", "sync-state",
              msg(VMHA_MSG_SYNC_STATE, S(14, MEMBERS), N(15, "0"), N(16, "12"), N(17, "345"),
                  S(18, "5f2b7a8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f809112"),
                  N(32, "2"), NULL));
    write_msg("cpg", "applied",
              msg(VMHA_MSG_APPLIED, N(11, "1"), N(12, "4242"), N(13, "17"), N(8, "0"), S(9, ""),
                  NULL));
    write_msg("cpg", "bump", msg(VMHA_MSG_BUMP, S(14, MEMBERS), N(36, "1780000000"), NULL));
    write_msg("cpg", "exec-request",
              msg(VMHA_MSG_EXEC_REQUEST, S(20, "n2"), S(24, "uptime"), S(7, "timeout=60"),
                  N(11, "1"), N(12, "4242"), N(13, "18"), NULL));
    write_msg("cpg", "exec-result",
              msg(VMHA_MSG_EXEC_RESULT, N(11, "1"), N(12, "4242"), N(13, "18"), N(26, "0"),
                  S(25, " 07:00:00 up 1 day\n"), S(7, "duration_ms=12"), NULL));
}

/* A receiver's input (fuzz-dbtransfer.c): keep flag, then the chunks as CPG delivers them. */
static void transfer_seed(const char *name, bool keep, const char *doc, size_t len, bool swap)
{
    g_autoptr(VmhaSyncSender) s = NULL;
    g_autoptr(GByteArray) out = g_byte_array_new();
    g_autoptr(GPtrArray) chunks = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    uint8_t flag = keep;

    OK(vmha_sync_sender_new(MEMBERS, doc, len, &s));
    for (VmhaMsg *m = NULL; vmha_sync_sender_next(s, &m) == 0; m = NULL) {
        g_ptr_array_add(chunks, encode(m));
        vmha_msg_free(m);
    }
    if (swap && chunks->len > 1) {
        gpointer t = chunks->pdata[0];
        chunks->pdata[0] = chunks->pdata[1];
        chunks->pdata[1] = t;
    }
    g_byte_array_append(out, &flag, 1);
    for (guint i = 0; i < chunks->len; i++) {
        size_t n = 0;
        const uint8_t *d = g_bytes_get_data(chunks->pdata[i], &n);
        g_byte_array_append(out, d, (guint)n);
    }
    write_file("dbtransfer", name, out->data, out->len);
}

static void dbtransfer_seeds(void)
{
    const char *small = "<cib admin_epoch=\"0\" epoch=\"12\" num_updates=\"3\"><configuration>"
                        "<crm_config/><nodes/><resources/><constraints/></configuration>"
                        "<status/></cib>";
    transfer_seed("small-keep", true, small, strlen(small), false);
    transfer_seed("small-check", false, small, strlen(small), false);
    transfer_seed("empty", true, "", 0, false);
    /* Over two slices, compressing well: three chunks in a small seed. */
    g_autoptr(GString) big = g_string_new("<cib epoch=\"40\"><configuration><resources>");
    while (big->len < 2 * VMHA_SYNC_SLICE_SIZE + 1000)
        g_string_append(big, "<primitive class=\"ocf\" provider=\"vmha\" type=\"vm\"/>");
    g_string_append(big, "</resources></configuration></cib>");
    transfer_seed("three-chunks", true, big->str, big->len, false);
    transfer_seed("three-chunks-swapped", true, big->str, big->len, true);
}

static void eventlog_seeds(void)
{
    VmhaEvent evs[] = {
            {.seq = 1099511627776,
             .time = 1780000000,
             .type = VMHA_EVENT_MEMBERSHIP,
             .duration_ms = -1,
             .details = "n1 n2 n3"},
            {.seq = 1099511628032,
             .time = 1780000010,
             .type = VMHA_EVENT_CONFIG,
             .vm = "web1",
             .user = "root",
             .command = "vmctl vm set web1 priority=5",
             .result = "ok",
             .duration_ms = -1,
             .details = "vm-set web1 priority=5"},
            {.seq = 1099511628288,
             .time = 1780000020,
             .type = VMHA_EVENT_PLANNED,
             .vm = "web1",
             .node = "n2",
             .duration_ms = -1,
             .details = "start on n2"},
            {.seq = 1099511628544,
             .time = 1780000030,
             .type = VMHA_EVENT_START,
             .vm = "web1",
             .node = "n2",
             .result = "ok",
             .duration_ms = 1234},
            {.seq = 1099511628800,
             .time = 1780000040,
             .type = VMHA_EVENT_FENCE_FAILED,
             .node = "n3",
             .result = "failed",
             .duration_ms = 20000,
             .details = "agent timed out \"quoted\" \\ \u00e9"},
            {.seq = 1099511629056,
             .time = 1780000050,
             .type = VMHA_EVENT_PROBE,
             .vm = "db1",
             .node = "n1",
             .result = "running",
             .duration_ms = -1},
    };
    g_autoptr(GString) file = g_string_new(NULL);
    for (size_t i = 0; i < G_N_ELEMENTS(evs); i++) {
        g_autofree char *line = vmha_event_to_line(&evs[i]);
        g_autofree char *name = g_strdup_printf("event-%s", vmha_event_type_to_string(evs[i].type));
        g_string_append_printf(file, "%s\n", line);
        write_file("eventlog", name, line, strlen(line));
    }
    write_file("eventlog", "history", file->str, file->len);
    /* The first line is also read as --since. */
    g_autofree char *since = g_strdup_printf("10m\n%s", file->str);
    write_file("eventlog", "since-age", since, strlen(since));
    const char *since_time = "2026-12-07T06:30:00Z\nweb1\n";
    write_file("eventlog", "since-time", since_time, strlen(since_time));
}

/* fuzz-agent.c's input: a selector byte, then the text. */
static void agent_seed(const char *name, char which, const char *text, size_t len)
{
    g_autoptr(GByteArray) out = g_byte_array_new();
    g_byte_array_append(out, (const guint8 *)&which, 1);
    g_byte_array_append(out, (const guint8 *)text, (guint)len);
    write_file("agent", name, out->data, out->len);
}

static void agent_seeds(void)
{
    const char *err = "vm: starting web1 cold: the save image was lost\n"
                      "ocf-exit-reason:first reason\n"
                      "ocf-exit-reason:  domain web1 did not start: \033[31mqemu\001 failed  \n"
                      "libvirt: error code 38\n";
    agent_seed("exit-reason", 0, err, strlen(err));
    const char *none = "no reason given\nocf-exit-reason";
    agent_seed("exit-reason-none", 0, none, strlen(none));

    static const char dom_xml[] = "<domain type='qemu'><name>web1</name>"
                                  "<uuid>6b29fc40-ca47-1067-b31d-00dd010662da</uuid>"
                                  "<memory unit='MiB'>64</memory></domain>";
    g_autoptr(VmhaDomainDef) dom = NULL;
    OK(vmha_domaindef_parse(dom_xml, strlen(dom_xml), &dom, NULL));
    VmSaveMeta meta = {.name = dom->name,
                       .uuid = dom->uuid,
                       .digest = dom->digest,
                       .saved_at_us = 1780000000123456,
                       .image_size = 73400320,
                       .saved_on = "n1"};
    g_autofree char *m = vm_save_meta_format(&meta);
    agent_seed("save-meta", 1, m, strlen(m));
    meta.uuid = NULL;
    meta.saved_at_us = 1;
    g_autofree char *m2 = vm_save_meta_format(&meta);
    agent_seed("save-meta-old-no-uuid", 1, m2, strlen(m2));

    VmHealthState hs = {.instance = "7 6b29fc40-ca47-1067-b31d-00dd010662da",
                        .last_alive_us = 123456789,
                        .console_size = 4096,
                        .armed = true};
    g_autofree char *h = vm_health_state_format(&hs);
    agent_seed("health-state", 2, h, strlen(h));

    const char *live = "<domain type='kvm' id='7'><name>web1</name><devices>"
                       "<serial type='file'><source path='/shared/web1/serial.log' append='on'/>"
                       "<target port='0'/></serial><console type='file'>"
                       "<source path='/shared/web1/serial.log'/></console>"
                       "<channel type='unix'><source mode='bind'/>"
                       "<target type='virtio' name='org.qemu.guest_agent.0'/></channel>"
                       "</devices></domain>";
    agent_seed("live-domain", 3, live, strlen(live));
    const char *pty = "<domain><devices><serial type='pty'><log file='/var/log/g1.log' "
                      "append='on'/></serial></devices></domain>";
    agent_seed("live-domain-pty-log", 3, pty, strlen(pty));

    static const char lockd[] = "user = \"root\"\n# lock_manager = \"sanlock\"\n"
                                "  lock_manager   =  \"lockd\"   # the lab's\n\0"
                                "auto_disk_leases = 1\nfile_lockspace_dir = '/shared/x'\n"
                                "file_lockspace_dir = \"/shared/.lockspace\"\n";
    agent_seed("lockd", 4, lockd, sizeof(lockd) - 1);
    static const char sanlock[] = "lock_manager = \"sanlock\"\n\0auto_disk_leases = 0\n"
                                  "disk_lease_dir = \"/var/lib/libvirt/sanlock\"\n";
    agent_seed("sanlock", 4, sanlock, sizeof(sanlock) - 1);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
        return 2;
    }
    out_dir = argv[1];
    wire_seeds();
    cpg_seeds();
    dbtransfer_seeds();
    eventlog_seeds();
    agent_seeds();
    return 0;
}
