/* A replicated write's local cost by database size: clusterd's own write path (decode, validate,
 * apply through libcib, size check, save with fsync) run in-process on a database of N VMs, against
 * a floor any whole-file design pays for the same document: one copy, one dump, one digest and
 * the same durable save. Usage: bench-cibwrite [WRITES] N... (see docs/BENCHMARKS.md); with
 * --adds N..., N single vm adds against one vm add-many of the same N (N:many: the add-many
 * alone); with --probe-rounds NODES N..., the first probe round of every node after N VMs were
 * defined, in the writes clusterd sends for it. */
#include "config.h"

#include <crm/common/xml.h>
#include <crm/msg_xml.h>
#include <glib/gstdio.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "clusterd/cibdb.h"
#include "clusterd/cibwrite-common.h"
#include "clusterd/cibwrite.h"
#include "clusterd/corosync.h"
#include "lib/atomicwrite.h"
#include "vmha/wire.h"

static double cpu_ms(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec * 1e3 + (double)ru.ru_utime.tv_usec / 1e3 +
           (double)ru.ru_stime.tv_sec * 1e3 + (double)ru.ru_stime.tv_usec / 1e3;
}

static double wall_ms(void)
{
    return (double)g_get_monotonic_time() / 1e3;
}

/* This process's resident memory in MiB (VmRSS). */
static double rss_mib(void)
{
    g_autofree char *text = NULL;
    if (!g_file_get_contents("/proc/self/status", &text, NULL, NULL))
        return -1;
    const char *line = strstr(text, "VmRSS:");
    return line ? g_ascii_strtod(line + strlen("VmRSS:"), NULL) / 1024 : -1;
}

static int apply(VmhaMsg *m)
{
    g_autofree char *error = NULL;
    VmhaResult r = cd_cibwrite_apply(m, NULL, 0, &error);
    vmha_msg_free(m);
    if (r != VMHA_RESULT_OK)
        fprintf(stderr, "bench-cibwrite: a write was refused: %s\n", error ? error : "?");
    return r == VMHA_RESULT_OK ? 0 : -1;
}

static VmhaMsg *add_msg(const char *name)
{
    VmhaMsg *m = vmha_msg_new(VMHA_MSG_VM_ADD);
    if (vmha_msg_add_str(m, VMHA_F_NAME, name) < 0 ||
        vmha_msg_add_str(m, VMHA_F_CONFIG, "/shared/vm.xml") < 0 ||
        vmha_msg_add_str(m, VMHA_F_PRIORITY, "5") < 0 ||
        vmha_msg_add_u64(m, VMHA_F_MEMORY, 512) < 0 || vmha_msg_add_u64(m, VMHA_F_VCPUS, 1) < 0)
        abort();
    return m;
}

/* A probe write from node origin: "VM RC OP_STATUS EXEC_MS WHEN" for vm first..first+count-1
 * (a message holds a few hundred). */
static int probe(uint64_t origin, unsigned first, unsigned count, int rc, unsigned when)
{
    VmhaMsg *m = vmha_msg_new(VMHA_MSG_PROBE);
    for (unsigned i = first; i < first + count; i++) {
        g_autofree char *line = g_strdup_printf("vm%u %d 0 1 %u", i, rc, when);
        if (vmha_msg_add_str(m, VMHA_F_PROBE, line) < 0)
            abort();
    }
    if (vmha_msg_add_u64(m, VMHA_F_ORIGIN_NODE, origin) < 0)
        abort();
    return apply(m);
}

/* A database of n VMs: one added through the write path, then copied n - 1 times under other
 * names and adopted whole (adding them one by one would cost O(n^2)). */
static int fill(unsigned n)
{
    if (apply(add_msg("vm0")) < 0)
        return -1;
    xmlNode *cib = cd_cibdb_query();
    xmlNode *resources = cib ? pcmk_find_cib_element(cib, XML_CIB_TAG_RESOURCES) : NULL;
    xmlNode *proto = resources ? first_named_child(resources, XML_CIB_TAG_RESOURCE) : NULL;
    if (!proto)
        return -1;
    g_autofree char *text = dump_xml_unformatted(proto);
    for (unsigned i = 1; i < n; i++) {
        g_autofree char *name = g_strdup_printf("vm%u", i);
        g_auto(GStrv) parts = g_strsplit(text, "vm0", -1);
        g_autofree char *copy = g_strjoinv(name, parts);
        xmlNode *p = string2xml(copy);
        add_node_copy(resources, p);
        free_xml(p);
    }
    g_autofree char *whole = dump_xml_unformatted(cib);
    free_xml(cib);
    return cd_cibdb_replace(whole);
}

static int vm_set(unsigned i, unsigned n)
{
    VmhaMsg *m = vmha_msg_new(VMHA_MSG_VM_SET);
    g_autofree char *name = g_strdup_printf("vm%u", (i * 7919u) % n);
    g_autofree char *kv = g_strdup_printf("priority=%u", i % 9 + 1);
    if (vmha_msg_add_str(m, VMHA_F_NAME, name) < 0 || vmha_msg_add_str(m, VMHA_F_KV, kv) < 0)
        abort();
    return apply(m);
}

/* One result that changed, from n1 or n2: clusterd's most frequent write during a recovery. The
 * first round finds VMs running that the first probes found stopped, the second (the same VMs on
 * the same nodes) stopped again, so that every write changes the database. */
static int status_round;

static int status_write(unsigned i, unsigned n)
{
    return probe(1 + i % 2, (i * 7919u) % n, 1, status_round % 2 ? 7 : 0, 200 + i);
}

/* What the same document costs saved whole, at least: a copy, a dump, a digest, a durable write. */
static int floor_write(const char *path)
{
    xmlNode *copy = cd_cibdb_query();
    g_autofree char *s = dump_xml_formatted(copy);
    g_autofree char *d = g_compute_checksum_for_string(G_CHECKSUM_SHA256, s, -1);
    g_autoptr(GError) error = NULL;
    free_xml(copy);
    return d ? vmha_atomic_write(path, s, strlen(s), 0600, VMHA_ATOMIC_WRITE_SYNC, &error) : -1;
}

typedef struct {
    double cpu_ms, wall_ms;
} Cost;

/* The mean cost of `writes` calls of one (i, n); -1 when one failed. */
static int time_writes(unsigned writes, unsigned n, int (*one)(unsigned i, unsigned n), Cost *ret)
{
    double c0 = cpu_ms(), w0 = wall_ms();
    for (unsigned i = 0; i < writes; i++)
        if (one(i, n) < 0)
            return -1;
    ret->cpu_ms = (cpu_ms() - c0) / writes;
    ret->wall_ms = (wall_ms() - w0) / writes;
    return 0;
}

static char *floor_path;

static int floor_one(unsigned i, unsigned n)
{
    return floor_write(floor_path);
}

/* --adds N...: N VMs added to an empty database one vm add at a time, against one vm add-many
 * write of the same N (the write path and save only: no replication, no probes). */
static VmhaMsg *add_many_msg(unsigned n)
{
    g_autoptr(GString) json = g_string_new("[");
    for (unsigned i = 0; i < n; i++)
        g_string_append_printf(json,
                               "%s{\"name\":\"vm%u\",\"config\":\"/shared/vm.xml\",\"priority\":"
                               "\"7\",\"memory\":512,\"vcpus\":2,\"stopped\":true}",
                               i ? "," : "", i);
    g_string_append(json, "]");
    VmhaMsg *m = vmha_msg_new(VMHA_MSG_VM_ADD_MANY);
    if (vmha_msg_add_str(m, VMHA_F_JSON, json->str) < 0)
        abort();
    return m;
}

static int time_adds(GPtrArray *nodes, unsigned n, bool many, Cost *ret)
{
    g_autofree char *dir = g_dir_make_tmp("bench-cibwrite-XXXXXX", NULL);
    if (!dir || cd_cibdb_init(dir) < 0 || cd_cibdb_seed_nodes(nodes) < 0)
        return -1;
    double c0 = cpu_ms(), w0 = wall_ms();
    if (many) {
        if (apply(add_many_msg(n)) < 0)
            return -1;
    } else {
        for (unsigned i = 0; i < n; i++) {
            g_autofree char *name = g_strdup_printf("vm%u", i);
            if (apply(add_msg(name)) < 0)
                return -1;
        }
    }
    ret->cpu_ms = cpu_ms() - c0;
    ret->wall_ms = wall_ms() - w0;
    cd_cibdb_finalise();
    g_autofree char *rm = g_strdup_printf("rm -rf '%s'", dir);
    return system(rm) == 0 ? 0 : -1;
}

static int compare_adds(GPtrArray *nodes, int argc, char **argv)
{
    printf("| VMs | one vm add each: CPU / wall ms | one vm add-many: CPU / wall ms | ratio (wall) "
           "|\n|---|---|---|---|\n");
    for (int a = 0; a < argc; a++) {
        unsigned n = (unsigned)atoi(argv[a]);
        /* "N:many": the add-many alone (N single adds take minutes from a few thousand on). */
        bool many_only = g_str_has_suffix(argv[a], ":many");
        Cost one = {0, 0}, many;
        if (n == 0 || (!many_only && time_adds(nodes, n, false, &one) < 0) ||
            time_adds(nodes, n, true, &many) < 0)
            return 1;
        if (many_only)
            printf("| %u | - | %.0f / %.0f | - |\n", n, many.cpu_ms, many.wall_ms);
        else
            printf("| %u | %.0f / %.0f | %.0f / %.0f | %.1f |\n", n, one.cpu_ms, one.wall_ms,
                   many.cpu_ms, many.wall_ms, one.wall_ms / many.wall_ms);
        fflush(stdout);
    }
    return 0;
}

/* --probe-rounds NODES N...: a cluster of NODES nodes whose database holds N VMs and no history
 * yet; each node's first probe round (every VM found stopped: every result new) is applied as
 * this member applies it, in writes of PROBE_BATCH results (what clusterd's probe.c sends since
 * one write can carry no more). Per round: the mean over the nodes, and the last node's (the
 * largest status section). */
#define PROBE_BATCH (VMHA_WIRE_MAX_FIELDS - 8)

static int probe_rounds(int argc, char **argv)
{
    unsigned n_nodes = (unsigned)atoi(argv[0]);
    g_autoptr(GPtrArray) nodes = g_ptr_array_new_with_free_func(g_free);

    if (n_nodes < 1 || n_nodes > 64)
        return 2;
    for (unsigned k = 1; k <= n_nodes; k++) {
        CdNode *node = g_new0(CdNode, 1);
        node->nodeid = k;
        node->name = g_strdup_printf("n%u", k); /* leaked: the bench's lifetime */
        g_ptr_array_add(nodes, node);
    }
    printf("| VMs | nodes | database KB after | a node's round: CPU / wall ms (mean) | the last "
           "node's round: CPU / wall ms | all rounds: CPU / wall s |\n|---|---|---|---|---|---|\n");
    for (int a = 1; a < argc; a++) {
        unsigned n = (unsigned)atoi(argv[a]);
        g_autofree char *dir = g_dir_make_tmp("bench-cibwrite-XXXXXX", NULL);
        if (n == 0 || !dir || cd_cibdb_init(dir) < 0 || cd_cibdb_seed_nodes(nodes) < 0 ||
            fill(n) < 0) {
            fprintf(stderr, "bench-cibwrite: cannot make a database of %u VMs\n", n);
            return 1;
        }
        double c_all = cpu_ms(), w_all = wall_ms(), c_last = 0, w_last = 0;
        unsigned done = 0;
        for (unsigned k = 1; k <= n_nodes; k++) {
            double c0 = cpu_ms(), w0 = wall_ms();
            int rc = 0;
            for (unsigned first = 0; rc == 0 && first < n; first += PROBE_BATCH)
                rc = probe(k, first, MIN(PROBE_BATCH, n - first), 7, 100);
            if (rc < 0) {
                fprintf(stderr, "bench-cibwrite: n%u's round refused at %zu KB\n", k,
                        cd_cibdb_size() / 1024);
                break;
            }
            c_last = cpu_ms() - c0;
            w_last = wall_ms() - w0;
            done++;
        }
        double c = cpu_ms() - c_all, w = wall_ms() - w_all;
        if (done == n_nodes)
            printf("| %u | %u | %zu | %.0f / %.0f | %.0f / %.0f | %.1f / %.1f |\n", n, n_nodes,
                   cd_cibdb_size() / 1024, c / done, w / done, c_last, w_last, c / 1e3, w / 1e3);
        else
            printf("| %u | %u | %zu (refused after %u nodes' rounds: over the size limit) | "
                   "%.0f / %.0f | - | %.1f / %.1f |\n",
                   n, n_nodes, cd_cibdb_size() / 1024, done, done ? c / done : 0,
                   done ? w / done : 0, c / 1e3, w / 1e3);
        fflush(stdout);
        cd_cibdb_finalise();
        g_autofree char *rm = g_strdup_printf("rm -rf '%s'", dir);
        if (system(rm) != 0)
            return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    unsigned writes = argc > 1 ? (unsigned)atoi(argv[1]) : 30;
    static CdNode three[] = {{1, (char *)"n1"}, {2, (char *)"n2"}, {3, (char *)"n3"}};
    g_autoptr(GPtrArray) nodes = g_ptr_array_new();

    for (size_t i = 0; i < G_N_ELEMENTS(three); i++)
        g_ptr_array_add(nodes, &three[i]);
    if (argc > 2 && strcmp(argv[1], "--adds") == 0)
        return compare_adds(nodes, argc - 2, argv + 2);
    if (argc > 3 && strcmp(argv[1], "--probe-rounds") == 0)
        return probe_rounds(argc - 2, argv + 2);
    if (argc < 3 || writes == 0) {
        fprintf(stderr,
                "usage: bench-cibwrite WRITES N... | --adds N... | --probe-rounds NODES N...\n");
        return 2;
    }
    printf("| VMs | database KB | floor: CPU / wall ms | vm set: CPU / wall ms | ratio (CPU) | "
           "status write, section replaced: CPU / wall ms | ratio (CPU) | status write: CPU / "
           "wall ms | ratio (CPU) | RSS MiB | RSS MiB, trimmed |\n"
           "|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (int a = 2; a < argc; a++) {
        unsigned n = (unsigned)atoi(argv[a]);
        g_autofree char *dir = g_dir_make_tmp("bench-cibwrite-XXXXXX", NULL);
        Cost floor_cost, set_cost, replaced_cost, status_cost;

        if (!dir || cd_cibdb_init(dir) < 0 || cd_cibdb_seed_nodes(nodes) < 0 || fill(n) < 0) {
            fprintf(stderr, "bench-cibwrite: cannot make a database of %u VMs\n", n);
            return 1;
        }
        /* Every VM probed stopped on n1 and n2, as after the first probe round. */
        for (unsigned first = 0; first < n; first += 200)
            if (probe(1, first, MIN(200, n - first), 7, 100) < 0 ||
                probe(2, first, MIN(200, n - first), 7, 100) < 0)
                return 1;
        floor_path = g_build_filename(dir, "floor.xml", NULL);
        if (time_writes(writes, n, floor_one, &floor_cost) < 0 ||
            time_writes(writes, n, vm_set, &set_cost) < 0)
            return 1;
        /* The same status writes as before issue 18's change (the whole section replaced), then
         * as now (only the changed entries modified), on the same database. */
        cd_write_status_delta = false;
        status_round = 0;
        if (time_writes(writes, n, status_write, &replaced_cost) < 0)
            return 1;
        cd_write_status_delta = true;
        status_round++;
        if (time_writes(writes, n, status_write, &status_cost) < 0)
            return 1;
        double rss = rss_mib();
        malloc_trim(0);
        printf("| %u | %zu | %.1f / %.1f | %.1f / %.1f | %.1f | %.1f / %.1f | %.1f | %.1f / %.1f "
               "| %.1f | %.0f | %.0f |\n",
               n, cd_cibdb_size() / 1024, floor_cost.cpu_ms, floor_cost.wall_ms, set_cost.cpu_ms,
               set_cost.wall_ms, set_cost.cpu_ms / floor_cost.cpu_ms, replaced_cost.cpu_ms,
               replaced_cost.wall_ms, replaced_cost.cpu_ms / floor_cost.cpu_ms, status_cost.cpu_ms,
               status_cost.wall_ms, status_cost.cpu_ms / floor_cost.cpu_ms, rss, rss_mib());
        fflush(stdout);
        cd_cibdb_finalise();
        g_clear_pointer(&floor_path, g_free);
        g_autofree char *rm = g_strdup_printf("rm -rf '%s'", dir);
        if (system(rm) != 0)
            return 1;
    }
    return 0;
}
