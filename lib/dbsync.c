#include "dbsync.h"

#include <string.h>

static int cmp_u64(uint64_t a, uint64_t b)
{
    return a < b ? -1 : a > b ? 1 : 0;
}

int vmha_cib_version_compare(const VmhaCibVersion *a, const VmhaCibVersion *b)
{
    int r = cmp_u64(a->admin_epoch, b->admin_epoch);

    if (r == 0)
        r = cmp_u64(a->epoch, b->epoch);
    if (r == 0)
        r = cmp_u64(a->num_updates, b->num_updates);
    return r;
}

static bool id_before(const VmhaPeerState *a, const VmhaPeerState *b)
{
    return a->nodeid < b->nodeid || (a->nodeid == b->nodeid && a->pid < b->pid);
}

int vmha_sync_source_choose(const VmhaPeerState *peers, size_t n)
{
    int best = -1;

    for (size_t i = 0; i < n; i++) {
        if (best < 0) {
            best = (int)i;
            continue;
        }
        int c = vmha_cib_version_compare(&peers[i].version, &peers[best].version);
        if (c > 0 || (c == 0 && id_before(&peers[i], &peers[best])))
            best = (int)i;
    }
    return best;
}

bool vmha_sync_data_needed(const VmhaPeerState *peers, size_t n, size_t source)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(peers[i].digest, peers[source].digest) != 0 ||
            vmha_cib_version_compare(&peers[i].version, &peers[source].version) != 0)
            return true;
    }
    return false;
}

uint32_t vmha_leader_choose(const VmhaPeerState *peers, size_t n, bool quorate)
{
    uint32_t leader = 0;

    if (!quorate)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (!peers[i].in_sync || peers[i].nodeid == 0)
            continue;
        if (leader == 0 || peers[i].nodeid < leader)
            leader = peers[i].nodeid;
    }
    return leader;
}

size_t vmha_write_acks_needed(size_t n_nodes, uint32_t quorum, uint32_t device_votes,
                              size_t view_nodes_needed, size_t members)
{
    size_t smallest_quorate = quorum > device_votes ? quorum - device_votes : 1;
    size_t needed = n_nodes >= smallest_quorate ? n_nodes - smallest_quorate + 1 : 1;

    return MAX(view_nodes_needed, MIN(needed, members));
}

size_t vmha_distinct_nodes(const VmhaPeerState *peers, size_t n)
{
    size_t count = 0;

    for (size_t i = 0; i < n; i++) {
        bool seen = false;
        for (size_t j = 0; j < i; j++)
            seen = seen || peers[j].nodeid == peers[i].nodeid;
        if (!seen)
            count++;
    }
    return count;
}

bool vmha_view_only_left(const VmhaPeerState *prev, size_t n_prev, const VmhaPeerState *cur,
                         size_t n_cur)
{
    for (size_t i = 0; i < n_cur; i++) {
        bool found = false;
        for (size_t j = 0; j < n_prev && !found; j++)
            found = prev[j].nodeid == cur[i].nodeid && prev[j].pid == cur[i].pid;
        if (!found)
            return false;
    }
    return n_prev > 0;
}
