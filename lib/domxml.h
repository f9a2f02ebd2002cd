/* Domain XML: what vmha needs to know about a libvirt domain definition, parsed from a buffer the
 * caller has read. No I/O here, so the agent, clusterd and vmctl all agree on one reading. */
#pragma once

#include <glib.h>
#include <stdint.h>

#define VMHA_DOMXML_ERROR (vmha_domxml_error_quark())
GQuark vmha_domxml_error_quark(void);

typedef enum {
    VMHA_DOMXML_ERROR_MALFORMED, /* not well-formed XML, or not a <domain> */
    VMHA_DOMXML_ERROR_INVALID,   /* well-formed, but a required part is missing or wrong */
    VMHA_DOMXML_ERROR_UNSAFE,    /* would run code or touch host files as root (ARCHITECTURE.md) */
} VmhaDomXmlError;

typedef struct {
    char *name;
    char *uuid;          /* lower-case canonical form; NULL when the XML names none */
    char *type;          /* <domain type=...>: kvm, qemu, ... */
    uint64_t memory_mib; /* <memory>, rounded up to whole MiB */
    unsigned int vcpus;  /* vCPUs at boot: <vcpu current=...>, else <vcpu>, else 1 */
    GPtrArray *disks;    /* char *: source file or block device path of each local disk */
    char *digest;        /* "sha256:<hex>" of the canonical form (C14N, no comments or blanks) */
} VmhaDomXml;

/* Parses @len bytes of @buf. On failure returns -1 with @error set and *ret_dom untouched. */
G_GNUC_WARN_UNUSED_RESULT int vmha_domxml_parse(const char *buf, size_t len, VmhaDomXml **ret_dom,
                                                GError **error);

/* Converts a libvirt scaled integer (value, unit attribute possibly NULL meaning KiB) to bytes.
 * Returns -1 on an unknown unit or an overflow. */
G_GNUC_WARN_UNUSED_RESULT int vmha_domxml_scale_to_bytes(uint64_t value, const char *unit,
                                                         uint64_t *ret_bytes);

void vmha_domxml_free(VmhaDomXml *dom);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmhaDomXml, vmha_domxml_free)
