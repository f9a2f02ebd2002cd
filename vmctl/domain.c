/* What `vm add` needs from a libvirt domain XML (name, memory, vCPUs), through lib/domaindef so
 * that vmctl reads a definition exactly as the agent does. */
#include "config.h"

#include "client.h"
#include "domaindef.h"

int vmctl_read_domain(const VmctlOptions *opts, const char *path, char **ret_name,
                      unsigned long long *ret_memory_mib, unsigned *ret_vcpus)
{
    g_autofree char *buf = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(VmhaDomainDef) dom = NULL;
    gsize len = 0;

    if (!g_file_get_contents(path, &buf, &len, &error))
        return vmctl_error(opts, VMHA_RESULT_USAGE, "cannot read the domain XML: %s",
                           error->message);
    if (vmha_domaindef_parse(buf, len, &dom, &error) < 0)
        return vmctl_error(opts, VMHA_RESULT_USAGE, "%s: invalid domain XML: %s", path,
                           error->message);
    if (dom->memory_mib == 0 || dom->vcpus == 0)
        return vmctl_error(opts, VMHA_RESULT_USAGE, "%s: the domain has no memory or no vCPUs",
                           path);
    *ret_name = g_strdup(dom->name);
    *ret_memory_mib = dom->memory_mib;
    *ret_vcpus = dom->vcpus;
    return 0;
}
