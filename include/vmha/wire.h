/* vmha wire protocol: messages between vmctl and clusterd (unix socket) and between clusterd
 * instances (CPG). A message is a fixed header followed by tagged fields; all integers are
 * little-endian. See docs/clusterd.md for the exchange rules. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VMHA_WIRE_MAGIC             0x41484d56u /* "VMHA" */
#define VMHA_WIRE_VERSION           1
#define VMHA_WIRE_HEADER_SIZE       16
#define VMHA_WIRE_FIELD_HEADER_SIZE 8
/* Every message between clusterd instances (CPG) and every request on the local socket. The
 * database travels in chunks during sync (SYNC_DATA), so its size is not bounded by this. */
#define VMHA_WIRE_MAX_SIZE (4u * 1024 * 1024)
/* A reply of clusterd on the local socket may carry the whole database (CIB_QUERY) or a view of
 * it (STATUS): room for the largest database clusterd accepts (VMHA_DB_MAX_SIZE, lib/dbsync.h)
 * and then some (the live facts, status records). */
#define VMHA_WIRE_MAX_REPLY_SIZE (256u * 1024 * 1024)
#define VMHA_WIRE_MAX_FIELDS     512

/* NODE_EXEC's longest and default timeout, seconds: clusterd refuses more, vmctl offers no more. */
#define VMHA_EXEC_TIMEOUT_S 600

typedef enum {
    /* vmctl -> clusterd: reads */
    VMHA_MSG_STATUS = 1,
    VMHA_MSG_NODE_LIST = 2,
    VMHA_MSG_VM_LIST = 3,
    VMHA_MSG_CONFIG_SHOW = 4,
    /* The CIB with the live facts (quorum, node states) put in: reply field VMHA_F_CIB. */
    VMHA_MSG_CIB_QUERY = 5,
    VMHA_MSG_FENCE_LIST = 6, /* stonith primitives: reply VMHA_F_JSON */
    /* vmctl -> clusterd: a write numbered among the reads, since 16..31 are taken and 32 up are
     * clusterd's own (vmha_msg_type_is_internal). F_NAME id, F_KV [force=on], F_NODE the hosts,
     * repeated: the device's pcmk_host_list becomes exactly these */
    VMHA_MSG_FENCE_SET = 7,
    /* the cluster event log: F_KV since_seq=N, since_time=SECONDS, vm=NAME, node=NAME (each
     * optional); reply VMHA_F_JSON {"events": [...], "last_seq": N} (docs/vmctl.md, "events") */
    VMHA_MSG_EVENTS = 8,
    /* 10 and 11: writes numbered among the reads (as FENCE_SET). Alerts (docs/vmctl.md, "alert"):
     * F_NAME the id; F_KV path=PATH then timeout=, timestamp-format=, select=KIND,...,
     * recipient=VALUE (repeated), option=NAME=VALUE (repeated); root only (the agent runs as
     * root) */
    VMHA_MSG_ALERT_ADD = 10,
    VMHA_MSG_ALERT_REMOVE = 11, /* F_NAME; root only */
    VMHA_MSG_ALERT_LIST = 12,   /* the alerts: reply VMHA_F_JSON {"alerts": [...]} */
    /* a write numbered among the reads (as FENCE_SET): many VMs added in one write, all or none
     * (vmctl vm add-many); VMHA_F_JSON the definitions, as lib/vmbatch.h writes them */
    VMHA_MSG_VM_ADD_MANY = 13,
    /* vmctl -> clusterd: writes (forwarded over CPG unchanged, plus origin fields) */
    VMHA_MSG_VM_ADD = 16,
    VMHA_MSG_VM_REMOVE = 17,
    VMHA_MSG_VM_SET = 18,
    /* VMHA_F_NAME: forget its history and failures, probe again; from a node's clusterd also
     * F_NODE itself and F_KV cause=storage-back: clear the VM's fail counts there, left by a
     * start that failed for unreachable shared storage (clusterd/storagewatch.c) */
    VMHA_MSG_VM_CLEANUP = 20,
    VMHA_MSG_NODE_FENCE = 21,   /* VMHA_F_NODE: a fence request (root only); the leader runs it */
    VMHA_MSG_FENCE_ADD = 22,    /* F_NAME id, F_KV agent=... then options, F_NODE hosts */
    VMHA_MSG_FENCE_REMOVE = 23, /* VMHA_F_NAME */
    /* F_NODE; F_KV method=quick|live|cold, force=on: the node gives up its VMs (docs/vmctl.md) */
    VMHA_MSG_NODE_DRAIN = 27,
    VMHA_MSG_NODE_RESUME = 28, /* F_NODE: the node takes VMs again */
    /* F_NAME; F_NODE the target (optional); F_KV from=NODE (where it runs now), method=... */
    VMHA_MSG_VM_MOVE = 29,
    /* F_NODE, F_COMMAND, F_KV timeout=S (1..VMHA_EXEC_TIMEOUT_S, the default): run COMMAND on
     * NODE through its clusterd (root only, not a write); reply F_EXIT_STATUS, F_OUTPUT */
    VMHA_MSG_NODE_EXEC = 30,
    /* F_KV KEY=VALUE (empty value: back to the default): cluster properties; with F_NODE, that
     * node's capacity (memory, cpu) */
    VMHA_MSG_CONFIG_SET = 31,
    /* clusterd -> clusterd only (never accepted from vmctl): one probe round's changed results
     * of the origin node, VMHA_F_PROBE repeated (a round of more than a message's fields holds
     * goes out as several, vmha_probe_messages); applied like the writes above. */
    VMHA_MSG_PROBE = 19,
    /* clusterd -> clusterd only, replicated writes like PROBE:
     * the leader's actions (VMHA_F_ACTION repeated, VMHA_F_MEMBERS the view they were planned in),
     * recorded as pending operations; the node named in each runs it once it applied the write */
    VMHA_MSG_ACTIONS = 24,
    /* an operation's result from the node that ran it (VMHA_F_RESULT, VMHA_F_MESSAGE reason) */
    VMHA_MSG_RESULT = 25,
    /* the leader's fencing outcome: VMHA_F_NODE, VMHA_F_RC 0 = fenced, else VMHA_F_MESSAGE */
    VMHA_MSG_FENCED = 26,
    /* clusterd -> vmctl */
    VMHA_MSG_REPLY = 32,
    /* clusterd <-> clusterd over CPG */
    VMHA_MSG_SYNC_STATE = 64, /* my database version and digest, after a membership change */
    /* the newest database from the chosen source, in chunks (docs/clusterd.md, "Replication"):
     * F_MEMBERS, F_CHUNK_INDEX, F_CHUNK_COUNT, F_SIZE, F_DIGEST, F_ENCODING, F_CHUNK; or, to a
     * view with a member that announced no F_SYNC_PROTOCOL, F_MEMBERS and F_CIB in one message */
    VMHA_MSG_SYNC_DATA = 65,
    VMHA_MSG_APPLIED = 66,      /* I applied (or refused) write ORIGIN/REQ_ID and made it durable */
    VMHA_MSG_BUMP = 67,         /* from the leader after a quorate view synced: epoch + 1 */
    VMHA_MSG_EXEC_REQUEST = 68, /* NODE_EXEC relayed to the node that runs it */
    VMHA_MSG_EXEC_RESULT = 69,  /* its outcome, back to the origin */
    /* the leader's replicated write when corosync's nodelist (cmap) and the database's <nodes>
     * differ: VMHA_F_NODE "ID NAME" repeated, the whole nodelist (clusterd/nodelist.c) */
    VMHA_MSG_NODES = 70,
    /* the history catch-up after a quorate view's bump (clusterd/catchup.c): VMHA_F_MEMBERS the
     * view, VMHA_F_KV "until=SEQ" and either "last=SEQ" (how far this member's history goes) or
     * VMHA_F_JSON, an array of events it sends to the members behind */
    VMHA_MSG_HISTORY = 71,
} VmhaMsgType;

typedef enum {
    VMHA_F_NAME = 1,     /* VM name */
    VMHA_F_CONFIG = 2,   /* domain XML path */
    VMHA_F_PRIORITY = 3, /* decimal integer */
    VMHA_F_PREFER = 4,   /* comma-separated node names */
    VMHA_F_MEMORY = 5,   /* MiB, u64 */
    VMHA_F_VCPUS = 6,    /* u64 */
    VMHA_F_KV = 7,       /* "key=value", repeated */
    VMHA_F_RC = 8,       /* reply: a VmhaResult (vmha/result.h), u64 */
    VMHA_F_MESSAGE = 9,  /* reply: one-line reason */
    VMHA_F_JSON = 10,    /* reply: JSON document */
    VMHA_F_ORIGIN_NODE = 11,
    VMHA_F_ORIGIN_PID = 12,
    VMHA_F_REQ_ID = 13,
    VMHA_F_MEMBERS = 14, /* sync: the CPG view the message belongs to, "nodeid:pid,..." */
    VMHA_F_ADMIN_EPOCH = 15,
    VMHA_F_EPOCH = 16,
    VMHA_F_NUM_UPDATES = 17,
    VMHA_F_DIGEST = 18,
    VMHA_F_CIB = 19, /* sync, and the reply to CIB_QUERY: the whole CIB document */
    VMHA_F_NODE = 20,
    VMHA_F_PROBE = 21,  /* "VM RC OP_STATUS EXEC_MS WHEN", decimal, space-separated */
    VMHA_F_ACTION = 22, /* "KEY OP VM NODE [TARGET]", see lib/lrmstatus.h */
    VMHA_F_RESULT = 23, /* "KEY OP INTERVAL_MS VM RC OP_STATUS EXEC_MS WHEN", see lib/lrmstatus.h */
    VMHA_F_COMMAND = 24,     /* a shell command line */
    VMHA_F_OUTPUT = 25,      /* a command's stdout and stderr, interleaved */
    VMHA_F_EXIT_STATUS = 26, /* a command's exit status (128 + signal when killed), u64 */
    /* SYNC_DATA in chunks: this chunk's index from 0 and how many there are, u64 */
    VMHA_F_CHUNK_INDEX = 27,
    VMHA_F_CHUNK_COUNT = 28,
    VMHA_F_SIZE = 29,     /* the whole document's size in bytes before encoding, u64 */
    VMHA_F_ENCODING = 30, /* how the chunks' bytes hold the document: "zlib" or "identity" */
    VMHA_F_CHUNK = 31,    /* raw bytes: this chunk's part of the encoded document */
    /* SYNC_STATE: the newest sync protocol the sender understands, u64 (absent: 1, SYNC_DATA in
     * one message); 2: SYNC_DATA in chunks */
    VMHA_F_SYNC_PROTOCOL = 32,
    /* On every write from vmctl, added by the receiving clusterd (refused from a client): who
     * asked, from SO_PEERCRED, u64 and the user's name */
    VMHA_F_CALLER_UID = 33,
    VMHA_F_CALLER_USER = 34,
    /* vmctl's command line as vmctl sent it (informative: the event log shows it) */
    VMHA_F_CALLER_COMMAND = 35,
    /* On every write and BUMP: the origin's clock (seconds since the epoch) when it was sent, so
     * that every member records the same time for the event it makes (docs/ARCHITECTURE.md, "Event
     * history") */
    VMHA_F_TIME = 36,
} VmhaField;

typedef struct {
    uint16_t tag;
    uint32_t len;
    uint8_t *data; /* owned, len bytes plus a NUL so strings can be read in place */
} VmhaWireField;

typedef struct {
    uint16_t type;
    GPtrArray *fields; /* VmhaWireField*, in order */
    size_t size;       /* encoded size so far */
    size_t max_size;   /* bound of the encoded size: VMHA_WIRE_MAX_SIZE unless made larger */
} VmhaMsg;

/* A message of at most VMHA_WIRE_MAX_SIZE bytes. */
VmhaMsg *vmha_msg_new(uint16_t type);
/* A message of at most max_size bytes (VMHA_WIRE_MAX_SIZE..VMHA_WIRE_MAX_REPLY_SIZE): clusterd's
 * replies on the local socket. */
VmhaMsg *vmha_msg_new_bounded(uint16_t type, size_t max_size);
void vmha_msg_free(VmhaMsg *msg);

int vmha_msg_add_bytes(VmhaMsg *msg, uint16_t tag, const void *data,
                       size_t len) G_GNUC_WARN_UNUSED_RESULT;
int vmha_msg_add_str(VmhaMsg *msg, uint16_t tag, const char *s) G_GNUC_WARN_UNUSED_RESULT;
int vmha_msg_add_u64(VmhaMsg *msg, uint16_t tag, uint64_t v) G_GNUC_WARN_UNUSED_RESULT;
/* Appends copies of every field of src to dst. */
int vmha_msg_copy_fields(VmhaMsg *dst, const VmhaMsg *src) G_GNUC_WARN_UNUSED_RESULT;

/* Serialises msg; -E2BIG when it would exceed its max_size. */
int vmha_msg_encode(const VmhaMsg *msg, uint8_t **ret_buf,
                    size_t *ret_len) G_GNUC_WARN_UNUSED_RESULT;
/* Reads the total message length from a header; -EBADMSG for a bad header, -E2BIG when over
 * VMHA_WIRE_MAX_SIZE. */
int vmha_msg_peek_length(const uint8_t *buf, size_t len,
                         size_t *ret_total) G_GNUC_WARN_UNUSED_RESULT;
/* Parses one whole message; -EBADMSG on any inconsistency, -E2BIG when over VMHA_WIRE_MAX_SIZE. */
int vmha_msg_decode(const uint8_t *buf, size_t len, VmhaMsg **ret_msg) G_GNUC_WARN_UNUSED_RESULT;
/* The same with another bound (at most VMHA_WIRE_MAX_REPLY_SIZE): vmctl reading a reply. */
int vmha_msg_peek_length_bounded(const uint8_t *buf, size_t len, size_t max_size,
                                 size_t *ret_total) G_GNUC_WARN_UNUSED_RESULT;
int vmha_msg_decode_bounded(const uint8_t *buf, size_t len, size_t max_size,
                            VmhaMsg **ret_msg) G_GNUC_WARN_UNUSED_RESULT;

/* Getters. get_str fails for fields holding NUL bytes or invalid UTF-8. */
const VmhaWireField *vmha_msg_get(const VmhaMsg *msg, uint16_t tag);
int vmha_msg_get_str(const VmhaMsg *msg, uint16_t tag, char **ret) G_GNUC_WARN_UNUSED_RESULT;
int vmha_msg_get_u64(const VmhaMsg *msg, uint16_t tag, uint64_t *ret) G_GNUC_WARN_UNUSED_RESULT;
/* All string fields with tag, in order (NULL-terminated vector). */
int vmha_msg_get_strv(const VmhaMsg *msg, uint16_t tag, char ***ret) G_GNUC_WARN_UNUSED_RESULT;

const char *vmha_msg_type_to_str(uint16_t type);
bool vmha_msg_type_is_write(uint16_t type);
/* Messages only clusterd may originate: never accepted on the local socket. */
bool vmha_msg_type_is_internal(uint16_t type);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmhaMsg, vmha_msg_free)
