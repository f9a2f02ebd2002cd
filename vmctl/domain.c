/* The little `vm add` needs from a libvirt domain XML: name, memory and vCPUs.
 * TODO(agent branch): switch to lib/domxml once it lands; keep this file the only user. */
#include "config.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

static xmlNode *child(xmlNode *parent, const char *name)
{
    for (xmlNode *c = parent->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0)
            return c;
    return NULL;
}

static bool to_mib(const char *text, const char *unit, unsigned long long *ret)
{
    char *end = NULL;
    unsigned long long v = strtoull(text, &end, 10);
    unsigned long long div;

    if (!*text || *end || v == 0)
        return false;
    if (!unit || !strcmp(unit, "KiB") || !strcmp(unit, "k") || !strcmp(unit, "K"))
        div = 1024;
    else if (!strcmp(unit, "MiB") || !strcmp(unit, "M") || !strcmp(unit, "m"))
        div = 1;
    else if (!strcmp(unit, "GiB") || !strcmp(unit, "G") || !strcmp(unit, "g")) {
        *ret = v * 1024;
        return true;
    } else if (!strcmp(unit, "b") || !strcmp(unit, "bytes"))
        div = 1024 * 1024;
    else
        return false;
    *ret = (v + div - 1) / div;
    return *ret > 0;
}

int vmctl_read_domain(const VmctlOptions *opts, const char *path, char **ret_name,
                      unsigned long long *ret_memory_mib, unsigned *ret_vcpus)
{
    xmlDoc *doc =
            xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    int rc = VMCTL_EXIT_USAGE;
    g_autofree char *name_text = NULL, *mem_text = NULL, *unit = NULL;

    if (!doc)
        return vmctl_error(opts, VMCTL_EXIT_USAGE, "%s: cannot read or parse the domain XML", path);
    xmlNode *root = xmlDocGetRootElement(doc);
    xmlNode *name = root ? child(root, "name") : NULL;
    xmlNode *mem = root ? child(root, "memory") : NULL;
    xmlNode *vcpu = root ? child(root, "vcpu") : NULL;
    if (!root || strcmp((const char *)root->name, "domain") != 0) {
        vmctl_error(opts, rc, "%s: not a libvirt domain XML (no <domain>)", path);
        goto out;
    }
    if (!name || !mem) {
        vmctl_error(opts, rc, "%s: the domain XML lacks <%s>", path, name ? "memory" : "name");
        goto out;
    }
    name_text = (char *)xmlNodeGetContent(name);
    mem_text = (char *)xmlNodeGetContent(mem);
    unit = (char *)xmlGetProp(mem, (const xmlChar *)"unit");
    unsigned long long mib = 0;
    if (!to_mib(g_strstrip(mem_text), unit, &mib)) {
        vmctl_error(opts, rc, "%s: bad <memory> value", path);
        goto out;
    }
    unsigned vcpus = 1;
    if (vcpu) {
        g_autofree char *t = (char *)xmlNodeGetContent(vcpu);
        char *end = NULL;
        unsigned long v = strtoul(g_strstrip(t), &end, 10);
        if (!*t || *end || v == 0 || v > 4096) {
            vmctl_error(opts, rc, "%s: bad <vcpu> value", path);
            goto out;
        }
        vcpus = (unsigned)v;
    }
    *ret_name = g_strdup(g_strstrip(name_text));
    *ret_memory_mib = mib;
    *ret_vcpus = vcpus;
    rc = 0;
out:
    xmlFreeDoc(doc);
    return rc;
}
