#include <stdarg.h>
#include <string.h>

#include <libvirt/virterror.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "virt.h"

#define VMHA_META_NS     "https://vmha.invalid/xmlns/vm-agent/1"
#define VMHA_META_PREFIX "vmha"
#define POLL_US          (100 * 1000)

static void silent_error(void *opaque, virErrorPtr err)
{
}

void vm_virt_init(void)
{
    virSetErrorFunc(NULL, silent_error);
}

static char *last_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static char *last_error(const char *fmt, ...)
{
    const char *msg = virGetLastErrorMessage();
    g_autofree char *what = NULL;
    va_list ap;

    va_start(ap, fmt);
    what = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    return g_strdup_printf("%s: %s", what, msg ? msg : "unknown libvirt error");
}

int vm_virt_open(const char *uri, virConnectPtr *ret_conn, char **ret_error)
{
    virConnectPtr conn = virConnectOpen(uri);

    if (!conn) {
        *ret_error = last_error("cannot connect to %s", uri);
        return -1;
    }
    *ret_conn = conn;
    return 0;
}

int vm_virt_lookup(virConnectPtr conn, const char *name, virDomainPtr *ret_dom, char **ret_error)
{
    virDomainPtr dom = virDomainLookupByName(conn, name);

    if (!dom) {
        if (virGetLastErrorCode() == VIR_ERR_NO_DOMAIN)
            return 0;
        *ret_error = last_error("cannot look up the domain");
        return -1;
    }
    *ret_dom = dom;
    return 1;
}

int vm_virt_state(virDomainPtr dom, int *ret_state, int *ret_reason, char **ret_error)
{
    int state, reason;

    if (virDomainGetState(dom, &state, &reason, 0) < 0) {
        *ret_error = last_error("cannot get the domain state");
        return -1;
    }
    *ret_state = state;
    *ret_reason = reason;
    return 0;
}

int vm_virt_create(virConnectPtr conn, const char *xml, char **ret_error)
{
    virDomainPtr dom = virDomainCreateXML(conn, xml, 0);

    if (!dom) {
        *ret_error = last_error("cannot start the domain");
        return -1;
    }
    virDomainFree(dom);
    return 0;
}

int vm_virt_resume(virDomainPtr dom, char **ret_error)
{
    if (virDomainResume(dom) < 0) {
        *ret_error = last_error("cannot resume the domain");
        return -1;
    }
    return 0;
}

/* 1 while active, 0 once gone (a transient domain disappears), -1 on error. */
static int is_active(virDomainPtr dom)
{
    int r = virDomainIsActive(dom);

    if (r < 0 && virGetLastErrorCode() == VIR_ERR_NO_DOMAIN)
        return 0;
    return r;
}

int vm_virt_stop(virDomainPtr dom, unsigned int timeout_s, char **ret_error)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_s * G_USEC_PER_SEC;
    int r;

    /* A guest without ACPI support refuses the request: go straight to destroy then. */
    if (timeout_s > 0 && virDomainShutdown(dom) == 0) {
        while ((r = is_active(dom)) == 1 && g_get_monotonic_time() < deadline)
            g_usleep(POLL_US);
        if (r == 0)
            return 0;
    }
    if (virDomainDestroy(dom) < 0 && is_active(dom) != 0) {
        *ret_error = last_error("cannot destroy the domain");
        return -1;
    }
    return 0;
}

int vm_virt_save(virDomainPtr dom, const char *path, char **ret_error)
{
    if (virDomainSave(dom, path) < 0) {
        *ret_error = last_error("cannot save the domain");
        return -1;
    }
    return 0;
}

int vm_virt_restore(virConnectPtr conn, const char *path, char **ret_error)
{
    if (virDomainRestore(conn, path) < 0) {
        *ret_error = last_error("cannot restore the domain");
        return -1;
    }
    return 0;
}

int vm_virt_migrate_live(virDomainPtr dom, const char *dest_uri, gboolean unsafe, char **ret_error)
{
    unsigned int flags = VIR_MIGRATE_LIVE | VIR_MIGRATE_PEER2PEER | VIR_MIGRATE_ABORT_ON_ERROR;

    if (unsafe)
        flags |= VIR_MIGRATE_UNSAFE;
    if (virDomainMigrateToURI3(dom, dest_uri, NULL, 0, flags) < 0) {
        *ret_error = last_error("cannot migrate the domain to %s", dest_uri);
        return -1;
    }
    return 0;
}

int vm_virt_set_digest(virDomainPtr dom, const char *digest, char **ret_error)
{
    g_autofree char *xml = g_strdup_printf("<config digest='%s'/>", digest);

    if (virDomainSetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, xml, VMHA_META_PREFIX, VMHA_META_NS,
                             VIR_DOMAIN_AFFECT_LIVE) < 0) {
        *ret_error = last_error("cannot record the definition digest in the domain");
        return -1;
    }
    return 0;
}

char *vm_virt_get_digest(virDomainPtr dom)
{
    g_autofree char *xml = virDomainGetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, VMHA_META_NS,
                                                VIR_DOMAIN_AFFECT_LIVE);
    xmlDocPtr doc;
    xmlChar *v = NULL;
    char *digest = NULL;

    if (!xml)
        return NULL;
    doc = xmlReadMemory(xml, (int)strlen(xml), "metadata.xml", NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (doc && xmlDocGetRootElement(doc))
        v = xmlGetProp(xmlDocGetRootElement(doc), (const xmlChar *)"digest");
    if (v && *v)
        digest = g_strdup((const char *)v);
    xmlFree(v);
    xmlFreeDoc(doc);
    return digest;
}

char *vm_virt_get_uuid(virDomainPtr dom)
{
    char buf[VIR_UUID_STRING_BUFLEN];

    if (virDomainGetUUIDString(dom, buf) < 0)
        return NULL;
    return g_strdup(buf);
}
