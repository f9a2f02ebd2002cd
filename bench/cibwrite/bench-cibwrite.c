/* A replicated write's local cost by database size: clusterd's own write path (decode, validate,
 * apply through libcib, size check, save with fsync) run in-process on a database of N VMs, against
 * a floor any whole-file design pays for the same document: one copy, one dump, one digest and
 * the same durable save. Usage: bench-cibwrite [WRITES] N... (see docs/BENCHMARKS.md). */
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

int main(int argc, char **argv)
{
    unsigned writes = argc > 1 ? (unsigned)atoi(argv[1]) : 30;
    static CdNode three[] = {{1, (char *)"n1"}, {2, (char *)"n2"}, {3, (char *)"n3"}};
    g_autoptr(GPtrArray) nodes = g_ptr_array_new();

    if (argc < 3 || writes == 0) {
        fprintf(stderr, "usage: bench-cibwrite WRITES N...\n");
        return 2;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(three); i++)
        g_ptr_array_add(nodes, &three[i]);
    printf("| VMs | database KB | write: CPU ms | write: wall ms | floor: CPU ms | floor: wall ms "
           "| "
           "ratio (CPU) | RSS MiB | RSS MiB, trimmed |\n|---|---|---|---|---|---|---|---|---|\n");
    for (int a = 2; a < argc; a++) {
        unsigned n = (unsigned)atoi(argv[a]);
        g_autofree char *dir = g_dir_make_tmp("bench-cibwrite-XXXXXX", NULL);
        if (!dir || cd_cibdb_init(dir) < 0 || cd_cibdb_seed_nodes(nodes) < 0 || fill(n) < 0) {
            fprintf(stderr, "bench-cibwrite: cannot make a database of %u VMs\n", n);
            return 1;
        }
        double c0 = cpu_ms(), w0 = wall_ms();
        for (unsigned i = 0; i < writes; i++) {
            VmhaMsg *m = vmha_msg_new(VMHA_MSG_VM_SET);
            g_autofree char *name = g_strdup_printf("vm%u", (i * 7919u) % n);
            g_autofree char *kv = g_strdup_printf("priority=%u", i % 9 + 1);
            if (vmha_msg_add_str(m, VMHA_F_NAME, name) < 0 ||
                vmha_msg_add_str(m, VMHA_F_KV, kv) < 0 || apply(m) < 0)
                return 1;
        }
        double write_cpu = (cpu_ms() - c0) / writes, write_wall = (wall_ms() - w0) / writes;
        double rss = rss_mib();
        malloc_trim(0);
        double rss_trimmed = rss_mib();
        g_autofree char *floor_path = g_build_filename(dir, "floor.xml", NULL);
        c0 = cpu_ms(), w0 = wall_ms();
        for (unsigned i = 0; i < writes; i++) {
            xmlNode *copy = cd_cibdb_query();
            g_autofree char *s = dump_xml_formatted(copy);
            g_autofree char *d = g_compute_checksum_for_string(G_CHECKSUM_SHA256, s, -1);
            g_autoptr(GError) error = NULL;
            free_xml(copy);
            if (!d || vmha_atomic_write(floor_path, s, strlen(s), 0600, VMHA_ATOMIC_WRITE_SYNC,
                                        &error) < 0)
                return 1;
        }
        double floor_cpu = (cpu_ms() - c0) / writes, floor_wall = (wall_ms() - w0) / writes;
        printf("| %u | %zu | %.1f | %.1f | %.1f | %.1f | %.1f | %.0f | %.0f |\n", n,
               cd_cibdb_size() / 1024, write_cpu, write_wall, floor_cpu, floor_wall,
               write_cpu / floor_cpu, rss, rss_trimmed);
        fflush(stdout);
        cd_cibdb_finalise();
        g_autofree char *rm = g_strdup_printf("rm -rf '%s'", dir);
        if (system(rm) != 0)
            return 1;
    }
    return 0;
}
