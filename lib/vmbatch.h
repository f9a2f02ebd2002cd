/* Many VMs in one write (vmctl vm add-many FILE, VMHA_MSG_VM_ADD_MANY): the file's lines, the
 * request's JSON, and the checks every definition passes before any is added. Pure: vmctl reads
 * the file and the domain XMLs, clusterd decodes the request, both check with the same code. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* The most VMs one request may add: 5,000 definitions are about 0.8 MB of JSON, well within a
 * message (VMHA_WIRE_MAX_SIZE); the database's own limit (VMHA_DB_MAX_SIZE) is checked by the
 * write itself. */
#define VMHA_VMBATCH_MAX 10000

typedef struct {
    unsigned line;   /* where the file defines it, from 1 (0: not known) */
    char *name;      /* the domain's name */
    char *config;    /* the domain XML's absolute path */
    char *priority;  /* an integer as written; NULL: 0 */
    char *prefer;    /* "n1,n2": the preferred nodes, first most; NULL: none */
    bool stopped;    /* added with target-role=Stopped */
    uint64_t memory; /* MiB, from the domain XML (0 until read) */
    uint64_t vcpus;  /* from the domain XML (0 until read) */
} VmhaVmDef;

void vmha_vmdef_free(VmhaVmDef *def);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmhaVmDef, vmha_vmdef_free)

/* Reads a VM list: one VM per line as `vm add` takes it, `NAME --config PATH [--priority N]
 * [--prefer NODE[,NODE...]] [--stopped]` (words split as a shell does, `--opt=VALUE` too); blank
 * lines and lines starting with '#' are skipped. Every line is checked as vmha_vmdef_check does
 * without the sizes, and no name may come twice. Returns 0 with *ret_defs (VmhaVmDef*, in file
 * order, at least one), or -EINVAL with *ret_error "line N: REASON" (g_free) for the first bad
 * line, or "no VMs" / "more than 10000 VMs". */
int vmha_vmbatch_parse(const char *text, GPtrArray **ret_defs,
                       char **ret_error) G_GNUC_WARN_UNUSED_RESULT;

/* One definition's own checks: the name, an absolute config path, an integer priority, a node
 * list without duplicates, and with need_sizes memory in 1..2^30 MiB and vcpus in 1..4096. 0, or
 * -EINVAL with a one-line reason (g_free) that does not name the line. */
int vmha_vmdef_check(const VmhaVmDef *def, bool need_sizes,
                     char **ret_error) G_GNUC_WARN_UNUSED_RESULT;

/* The request's payload (VMHA_F_JSON): [{"line": N, "name": ..., "config": ..., "priority": ...,
 * "prefer": ..., "stopped": true, "memory": MiB, "vcpus": N}, ...]. g_free the result. */
char *vmha_vmbatch_to_json(const GPtrArray *defs);

/* Reads that payload back and checks every definition with its sizes (vmha_vmdef_check) and that
 * no name comes twice: 0 with *ret_defs, or -EINVAL with *ret_error naming the definition ("line
 * N: REASON" when the line is known, else "VM N: REASON", N from 1). */
int vmha_vmbatch_from_json(const char *json, GPtrArray **ret_defs,
                           char **ret_error) G_GNUC_WARN_UNUSED_RESULT;

/* "line N: " or "VM N: " (index from 0) for a definition's messages: g_free. */
char *vmha_vmdef_where(const VmhaVmDef *def, guint index);
