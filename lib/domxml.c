#include <stdarg.h>
#include <string.h>

#include <libxml/c14n.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

#include "domxml.h"

G_DEFINE_QUARK(vmha - domxml - error - quark, vmha_domxml_error)

void vmha_domxml_free(VmhaDomXml *dom)
{
    if (!dom)
        return;
    g_free(dom->name);
    g_free(dom->uuid);
    g_free(dom->type);
    if (dom->disks)
        g_ptr_array_unref(dom->disks);
    g_free(dom->digest);
    g_free(dom);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlDoc, xmlFreeDoc)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlXPathContext, xmlXPathFreeContext)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlXPathObject, xmlXPathFreeObject)

/* Same grammar as libvirt's virScaleInteger: a power letter (k m g t p e, any case) followed by
 * nothing or "iB" for powers of 1024, "B" for powers of 1000; "b" and "bytes" are bytes. */
int vmha_domxml_scale_to_bytes(uint64_t value, const char *unit, uint64_t *ret_bytes)
{
    static const char powers[] = "kmgtpe";
    uint64_t base = 1024, scale = 1;
    const char *p;

    if (!unit || !*unit)
        unit = "KiB";
    if (g_ascii_strcasecmp(unit, "b") == 0 || g_ascii_strcasecmp(unit, "bytes") == 0) {
        *ret_bytes = value;
        return 0;
    }
    p = strchr(powers, g_ascii_tolower(unit[0]));
    if (!p || unit[0] == '\0')
        return -1;
    if (unit[1] == '\0' || g_ascii_strcasecmp(unit + 1, "iB") == 0)
        base = 1024;
    else if (g_ascii_strcasecmp(unit + 1, "B") == 0)
        base = 1000;
    else
        return -1;
    for (int i = 0; i <= p - powers; i++)
        scale *= base;
    if (value > UINT64_MAX / scale)
        return -1;
    *ret_bytes = value * scale;
    return 0;
}

static char *xpath_string(xmlXPathContext *ctx, const char *expr)
{
    g_autoptr(xmlXPathObject) obj = xmlXPathEvalExpression((const xmlChar *)expr, ctx);

    if (!obj || obj->type != XPATH_STRING || !obj->stringval || !*obj->stringval)
        return NULL;
    return g_strdup((const char *)obj->stringval);
}

static int parse_uint(const char *text, const char *what, uint64_t max, uint64_t *ret,
                      GError **error)
{
    g_autofree char *stripped = g_strstrip(g_strdup(text));
    guint64 v;

    if (!g_ascii_string_to_unsigned(stripped, 10, 0, max, &v, NULL)) {
        g_set_error(error, VMHA_DOMXML_ERROR, VMHA_DOMXML_ERROR_INVALID, "invalid %s '%s'", what,
                    text);
        return -1;
    }
    *ret = v;
    return 0;
}

/* libvirt accepts 32 hex digits with dashes or spaces anywhere; we keep the 8-4-4-4-12 form. */
static char *normalize_uuid(const char *text)
{
    GString *hex = g_string_new(NULL);

    for (const char *p = text; *p; p++) {
        if (*p == '-' || *p == ' ')
            continue;
        if (!g_ascii_isxdigit(*p)) {
            g_string_free(hex, TRUE);
            return NULL;
        }
        g_string_append_c(hex, g_ascii_tolower(*p));
    }
    if (hex->len != 32) {
        g_string_free(hex, TRUE);
        return NULL;
    }
    g_autofree char *h = g_string_free(hex, FALSE);
    return g_strdup_printf("%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8, h + 12, h + 16, h + 20);
}

static int parse_memory(xmlXPathContext *ctx, uint64_t *ret_mib, GError **error)
{
    g_autofree char *text = xpath_string(ctx, "string(/domain/memory)");
    g_autofree char *unit = xpath_string(ctx, "string(/domain/memory/@unit)");
    uint64_t value, bytes;

    if (!text) {
        g_set_error(error, VMHA_DOMXML_ERROR, VMHA_DOMXML_ERROR_INVALID,
                    "domain XML has no <memory>");
        return -1;
    }
    if (parse_uint(text, "memory", UINT64_MAX, &value, error) < 0)
        return -1;
    if (vmha_domxml_scale_to_bytes(value, unit, &bytes) < 0) {
        g_set_error(error, VMHA_DOMXML_ERROR, VMHA_DOMXML_ERROR_INVALID,
                    "invalid memory '%s' with unit '%s'", text, unit ? unit : "KiB");
        return -1;
    }
    *ret_mib = bytes / (1024 * 1024) + (bytes % (1024 * 1024) ? 1 : 0);
    return 0;
}

static int parse_vcpus(xmlXPathContext *ctx, unsigned int *ret_vcpus, GError **error)
{
    g_autofree char *text = xpath_string(ctx, "string(/domain/vcpu)");
    g_autofree char *current = xpath_string(ctx, "string(/domain/vcpu/@current)");
    uint64_t v = 1;

    if (current) {
        g_free(text);
        text = g_steal_pointer(&current);
    }
    if (text && parse_uint(text, "vcpu count", G_MAXUINT, &v, error) < 0)
        return -1;
    if (v == 0) {
        g_set_error(error, VMHA_DOMXML_ERROR, VMHA_DOMXML_ERROR_INVALID, "vcpu count is 0");
        return -1;
    }
    *ret_vcpus = (unsigned int)v;
    return 0;
}

static GPtrArray *collect_disks(xmlXPathContext *ctx)
{
    g_autoptr(xmlXPathObject) obj = xmlXPathEvalExpression(
            (const xmlChar *)"/domain/devices/disk/source/@file | /domain/devices/disk/source/@dev"
                             " | /domain/devices/disk/source/@dir",
            ctx);
    GPtrArray *disks = g_ptr_array_new_with_free_func(g_free);

    if (!obj || !obj->nodesetval)
        return disks;
    for (int i = 0; i < obj->nodesetval->nodeNr; i++) {
        g_autofree xmlChar *v = xmlNodeGetContent(obj->nodesetval->nodeTab[i]);
        if (v && *v)
            g_ptr_array_add(disks, g_strdup((const char *)v));
    }
    return disks;
}

static char *canonical_digest(xmlDoc *doc, GError **error)
{
    xmlChar *c14n = NULL;
    int n = xmlC14NDocDumpMemory(doc, NULL, XML_C14N_1_0, NULL, /* with_comments= */ 0, &c14n);
    g_autofree char *hex = NULL;

    if (n < 0 || !c14n) {
        g_set_error(error, VMHA_DOMXML_ERROR, VMHA_DOMXML_ERROR_MALFORMED,
                    "cannot canonicalize domain XML");
        return NULL;
    }
    hex = g_compute_checksum_for_data(G_CHECKSUM_SHA256, c14n, (gsize)n);
    xmlFree(c14n);
    return g_strconcat("sha256:", hex, NULL);
}

/* ---- host safety ----
 *
 * The agent defines the domain as root, from XML that the admin group writes (vmctl vm add
 * --config): nothing in it may run a program of the writer's choosing or hand a host file to the
 * guest (libvirt relabels disk and console files for qemu). docs/ARCHITECTURE.md, Security. */

#define QEMU_NS "http://libvirt.org/schemas/domain/qemu/1.0"

static bool emulator_allowed(const char *path)
{
    static const char *const exact[] = {"/usr/bin/kvm", "/usr/libexec/qemu-kvm"};
    const char *prefix = "/usr/bin/qemu-system-";

    for (size_t i = 0; i < G_N_ELEMENTS(exact); i++)
        if (strcmp(path, exact[i]) == 0)
            return true;
    if (!g_str_has_prefix(path, prefix) || !path[strlen(prefix)])
        return false;
    for (const char *p = path + strlen(prefix); *p; p++)
        if (!g_ascii_isalnum(*p) && *p != '_')
            return false;
    return true;
}

/* A host path the guest must not be given: the system's own directories (firmware under
 * /usr/share is what loaders use), clusterd's state, or any path with a ".." step. */
static bool host_path_forbidden(const char *path)
{
    static const char *const dirs[] = {"/etc",   "/bin",    "/sbin",    "/lib",          "/lib32",
                                       "/lib64", "/libx32", "/boot",    "/root",         "/proc",
                                       "/sys",   "/run",    "/var/run", "/var/lib/vmha", "/usr"};
    g_auto(GStrv) steps = g_strsplit(path, "/", -1);

    for (size_t i = 0; steps[i]; i++)
        if (strcmp(steps[i], "..") == 0)
            return true;
    if (g_str_has_prefix(path, "/usr/share/"))
        return false;
    for (size_t i = 0; i < G_N_ELEMENTS(dirs); i++) {
        size_t n = strlen(dirs[i]);
        if (strncmp(path, dirs[i], n) == 0 && (path[n] == '/' || path[n] == '\0'))
            return true;
    }
    return false;
}

G_GNUC_PRINTF(2, 3) static int unsafe(GError **error, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error_literal(error, VMHA_DOMXML_ERROR, VMHA_DOMXML_ERROR_UNSAFE, msg);
    return -1;
}

static int check_host_safety(const xmlNode *node, GError **error)
{
    static const char *const path_attrs[] = {"file", "path", "dir"};
    static const char *const path_elements[] = {"kernel", "initrd", "loader", "nvram", "dtb"};

    for (; node; node = node->next) {
        if (node->type != XML_ELEMENT_NODE)
            continue;
        const char *name = (const char *)node->name;
        const xmlNode *parent = node->parent;
        const char *parent_name = parent ? (const char *)parent->name : "";
        if (node->ns && node->ns->href && xmlStrEqual(node->ns->href, (const xmlChar *)QEMU_NS))
            return unsafe(error,
                          "<qemu:%s> passes arguments straight to qemu, run as root by the agent: "
                          "not accepted",
                          name);
        if (strcmp(name, "emulator") == 0) {
            g_autofree char *path = (char *)xmlNodeGetContent(node);
            g_strstrip(path);
            if (!emulator_allowed(path))
                return unsafe(error,
                              "<emulator> %s is not the system's qemu (/usr/bin/qemu-system-*, "
                              "/usr/bin/kvm): not accepted",
                              path);
        }
        if (strcmp(parent_name, "interface") == 0 &&
            (strcmp(name, "script") == 0 || strcmp(name, "downscript") == 0))
            return unsafe(error, "<interface><%s> runs a host program as root: not accepted", name);
        for (size_t i = 0; strcmp(name, "source") == 0 && i < G_N_ELEMENTS(path_attrs); i++) {
            g_autofree char *path = (char *)xmlGetProp(node, (const xmlChar *)path_attrs[i]);
            if (path && host_path_forbidden(path))
                return unsafe(error, "%s is a host system path: not given to a guest", path);
        }
        for (size_t i = 0; strcmp(parent_name, "os") == 0 && i < G_N_ELEMENTS(path_elements); i++) {
            if (strcmp(name, path_elements[i]) != 0)
                continue;
            g_autofree char *path = (char *)xmlNodeGetContent(node);
            g_strstrip(path);
            if (host_path_forbidden(path))
                return unsafe(error, "%s is a host system path: not given to a guest", path);
        }
        if (check_host_safety(node->children, error) < 0)
            return -1;
    }
    return 0;
}

int vmha_domxml_parse(const char *buf, size_t len, VmhaDomXml **ret_dom, GError **error)
{
    g_autoptr(xmlDoc) doc = NULL;
    g_autoptr(xmlXPathContext) ctx = NULL;
    g_autoptr(VmhaDomXml) dom = g_new0(VmhaDomXml, 1);
    g_autofree char *uuid = NULL;
    xmlNode *root;

    if (len > INT_MAX) {
        g_set_error(error, VMHA_DOMXML_ERROR, VMHA_DOMXML_ERROR_MALFORMED, "domain XML too large");
        return -1;
    }
    /* NOBLANKS: re-indenting a definition must not change its digest. */
    doc = xmlReadMemory(buf, (int)len, "domain.xml", NULL,
                        XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOERROR |
                                XML_PARSE_NOWARNING);
    if (!doc) {
        const xmlError *e = xmlGetLastError();
        g_autofree char *msg = g_strdup(e && e->message ? e->message : "parse error");
        g_set_error(error, VMHA_DOMXML_ERROR, VMHA_DOMXML_ERROR_MALFORMED,
                    "domain XML is not well-formed (line %d): %s", e ? e->line : 0,
                    g_strstrip(msg));
        return -1;
    }
    root = xmlDocGetRootElement(doc);
    if (!root || !xmlStrEqual(root->name, (const xmlChar *)"domain")) {
        g_set_error(error, VMHA_DOMXML_ERROR, VMHA_DOMXML_ERROR_MALFORMED,
                    "root element is not <domain>");
        return -1;
    }
    if (check_host_safety(root->children, error) < 0)
        return -1;
    ctx = xmlXPathNewContext(doc);
    if (!ctx) {
        g_set_error(error, VMHA_DOMXML_ERROR, VMHA_DOMXML_ERROR_MALFORMED, "out of memory");
        return -1;
    }

    dom->name = xpath_string(ctx, "normalize-space(/domain/name)");
    if (!dom->name) {
        g_set_error(error, VMHA_DOMXML_ERROR, VMHA_DOMXML_ERROR_INVALID,
                    "domain XML has no <name>");
        return -1;
    }
    /* The name becomes part of file names in the state directory. */
    if (strchr(dom->name, '/') || dom->name[0] == '.') {
        g_set_error(error, VMHA_DOMXML_ERROR, VMHA_DOMXML_ERROR_INVALID,
                    "domain name '%s' must not contain '/' or start with '.'", dom->name);
        return -1;
    }
    uuid = xpath_string(ctx, "normalize-space(/domain/uuid)");
    if (uuid) {
        dom->uuid = normalize_uuid(uuid);
        if (!dom->uuid) {
            g_set_error(error, VMHA_DOMXML_ERROR, VMHA_DOMXML_ERROR_INVALID, "invalid uuid '%s'",
                        uuid);
            return -1;
        }
    }
    dom->type = xpath_string(ctx, "string(/domain/@type)");
    if (!dom->type) {
        g_set_error(error, VMHA_DOMXML_ERROR, VMHA_DOMXML_ERROR_INVALID,
                    "<domain> has no type attribute");
        return -1;
    }
    if (parse_memory(ctx, &dom->memory_mib, error) < 0)
        return -1;
    if (parse_vcpus(ctx, &dom->vcpus, error) < 0)
        return -1;
    dom->disks = collect_disks(ctx);
    dom->digest = canonical_digest(doc, error);
    if (!dom->digest)
        return -1;

    *ret_dom = g_steal_pointer(&dom);
    return 0;
}
