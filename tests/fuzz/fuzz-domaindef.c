/* Fuzz target for the domain XML reader (lib/domaindef.c): the agent reads a VM's domain XML from
 * shared storage at every operation, vmctl at `vm add`; the admin group chooses it. Any byte
 * string either reads, with the fields vmha relies on filled in, or is refused with a reason;
 * never a crash, leak or read out of bounds. */
#include <glib.h>
#include <stdint.h>
#include <string.h>

#include "domaindef.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(VmhaDomainDef) dom = NULL;
    g_autoptr(GError) error = NULL;

    if (vmha_domaindef_parse((const char *)data, size, &dom, &error) < 0) {
        if (dom || !error || !error->message || !*error->message)
            __builtin_trap();
        return 0;
    }
    if (error || !dom->name || !*dom->name || !dom->digest ||
        !g_str_has_prefix(dom->digest, "sha256:") || !dom->disks || dom->vcpus == 0)
        __builtin_trap();
    for (guint i = 0; i < dom->disks->len; i++)
        if (!g_ptr_array_index(dom->disks, i))
            __builtin_trap();
    /* The same bytes read the same: the digest decides whether a save image may be restored. */
    g_autoptr(VmhaDomainDef) again = NULL;
    if (vmha_domaindef_parse((const char *)data, size, &again, NULL) < 0 ||
        strcmp(again->digest, dom->digest) != 0)
        __builtin_trap();
    return 0;
}
