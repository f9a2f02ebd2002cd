/* Pure decisions of the replicated cluster database: version order, sync source, leader. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t admin_epoch;
    uint64_t epoch;
    uint64_t num_updates;
} VmhaCibVersion;

#define VMHA_DIGEST_LEN 64 /* hex SHA-256 */

/* The largest database clusterd lets vmctl's writes make (bytes of the document as text, without
 * the attributes that differ between copies): a write that would cross it is refused, with its
 * reason, by every member alike. Sync moves any size (in chunks) and vmctl reads up to
 * VMHA_WIRE_MAX_REPLY_SIZE; this bounds what one write costs clusterd's main loop (every member
 * saves the whole document after each write: about 0.9 s at 32 MB on the 2-core lab machine at
 * load 5, 3-4 s at load 8, beside a watchdog fed every 1.7 s that fires after 5 s), its memory,
 * and the time a sync takes. */
#define VMHA_DB_MAX_SIZE (32u * 1024 * 1024)

typedef struct {
    uint32_t nodeid;
    uint32_t pid;
    VmhaCibVersion version;
    char digest[VMHA_DIGEST_LEN + 1];
    bool in_sync;
} VmhaPeerState;

/* <0, 0, >0 like strcmp: (admin_epoch, epoch, num_updates) compared in that order. */
int vmha_cib_version_compare(const VmhaCibVersion *a, const VmhaCibVersion *b);

/* Index of the peer whose database every member adopts: the newest version, ties broken by the
 * lowest node id (then pid) so every member picks the same one. -1 when n == 0. */
int vmha_sync_source_choose(const VmhaPeerState *peers, size_t n);

/* true when some peer's digest differs from the source's, i.e. the source must send its data. */
bool vmha_sync_data_needed(const VmhaPeerState *peers, size_t n, size_t source);

/* The leader of a quorate partition: the lowest node id among members in sync. 0 when there is
 * none or the partition is not quorate. */
uint32_t vmha_leader_choose(const VmhaPeerState *peers, size_t n, bool quorate);

/* Members with distinct node ids in the view; a node votes once however many processes it has. */
size_t vmha_distinct_nodes(const VmhaPeerState *peers, size_t n);

/* How many nodes must have applied a write before it is acknowledged: at least one of them must be
 * in every partition that can be quorate later, or an acknowledged write could vanish with a
 * node that is then fenced. With n_nodes configured (one vote each), quorum votes needed and a
 * quorum device of device_votes (which it may cast for any one partition), a quorate partition
 * holds at least quorum - device_votes nodes, so n_nodes - (quorum - device_votes) + 1 must have
 * the write; never fewer than the view itself needs (view_nodes_needed), never more than its
 * distinct members. With three nodes or more and no device this is the quorum itself; in a
 * two-node cluster (two_node: quorum 1) or one with a quorum device, both nodes while both are
 * in the view. */
size_t vmha_write_acks_needed(size_t n_nodes, uint32_t quorum, uint32_t device_votes,
                              size_t view_nodes_needed, size_t members);

/* Whether view cur only lost members since view prev: every member of cur (node id and process)
 * was in prev. A node that was in sync in prev learns nothing new about its own VMs from such a
 * change (nobody joined), so it need not probe them all again. */
bool vmha_view_only_left(const VmhaPeerState *prev, size_t n_prev, const VmhaPeerState *cur,
                         size_t n_cur);
