/* Which disks a running VM uses and what an error reaching one means. See storage.h. */
#include <errno.h>
#include <string.h>

#include <libxml/parser.h>

#include "storage.h"
#include "vmha/ocf.h"

void vm_disk_free(VmDisk *d)
{
    if (!d)
        return;
    g_free(d->path);
    g_free(d);
}

static char *source_path(xmlNode *source)
{
    static const char *const attrs[] = {"file", "dev", "dir"};

    for (size_t i = 0; i < G_N_ELEMENTS(attrs); i++) {
        xmlChar *v = xmlGetProp(source, (const xmlChar *)attrs[i]);
        if (v && *v) {
            char *path = g_strdup((const char *)v);
            xmlFree(v);
            return path;
        }
        xmlFree(v);
    }
    return NULL;
}

static VmDisk *disk_of(xmlNode *disk)
{
    g_autofree char *path = NULL;
    xmlChar *device = xmlGetProp(disk, (const xmlChar *)"device");
    bool readonly = device && (xmlStrEqual(device, (const xmlChar *)"cdrom") ||
                               xmlStrEqual(device, (const xmlChar *)"floppy"));

    xmlFree(device);
    for (xmlNode *c = disk->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (xmlStrEqual(c->name, (const xmlChar *)"readonly"))
            readonly = true;
        else if (xmlStrEqual(c->name, (const xmlChar *)"source") && !path)
            path = source_path(c);
    }
    if (!path)
        return NULL;
    VmDisk *d = g_new0(VmDisk, 1);
    d->path = g_steal_pointer(&path);
    d->readonly = readonly;
    return d;
}

GPtrArray *vm_storage_disks_from_xml(const char *xml, size_t len)
{
    xmlDoc *doc;
    xmlNode *root;
    GPtrArray *disks;

    if (!xml || len > G_MAXINT)
        return NULL;
    doc = xmlReadMemory(xml, (int)len, "domain.xml", NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    root = doc ? xmlDocGetRootElement(doc) : NULL;
    if (!root || !xmlStrEqual(root->name, (const xmlChar *)"domain")) {
        xmlFreeDoc(doc);
        return NULL;
    }
    disks = g_ptr_array_new_with_free_func((GDestroyNotify)vm_disk_free);
    for (xmlNode *devs = root->children; devs; devs = devs->next) {
        if (devs->type != XML_ELEMENT_NODE || !xmlStrEqual(devs->name, (const xmlChar *)"devices"))
            continue;
        for (xmlNode *d = devs->children; d; d = d->next) {
            VmDisk *disk;
            if (d->type == XML_ELEMENT_NODE && xmlStrEqual(d->name, (const xmlChar *)"disk") &&
                (disk = disk_of(d)))
                g_ptr_array_add(disks, disk);
        }
    }
    xmlFreeDoc(doc);
    return disks;
}

VmDiskVerdict vm_storage_verdict(int err)
{
    switch (err) {
    case 0:
        return VM_DISK_REACHABLE;
    /* Out of the agent's own resources, or interrupted: nothing learnt about the storage. */
    case EINTR:
    case EAGAIN:
    case ENOMEM:
    case EMFILE:
    case ENFILE:
        return VM_DISK_NO_VERDICT;
    default:
        /* ENOENT (unmounted, or the mount hidden), EIO, ESTALE (NFS), ENXIO/ENODEV (a LUN gone),
         * EROFS on a writable disk, EACCES: qemu cannot use it either. */
        return VM_DISK_LOST;
    }
}

char *vm_storage_problem(const char *disk, int err, bool write_check)
{
    return g_strdup_printf("disk unreachable (%s%s): %s", write_check ? "not writable: " : "",
                           g_strerror(err), disk);
}

char *vm_storage_start_problem(const char *path, int err, bool write_check)
{
    return g_strdup_printf(VMHA_OCF_STORAGE_UNREACHABLE " (%s%s): %s",
                           write_check ? "not writable: " : "", g_strerror(err), path);
}
