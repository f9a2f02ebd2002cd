#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/libvirt-qemu.h>
#include <libvirt/virterror.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "retry.h"
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

bool vm_virt_error_unreachable(void)
{
    virErrorPtr err = virGetLastError();

    return err && vm_retry_libvirt_unreachable(err->domain, err->code);
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

/* The shutdown request runs in a thread of its own: libvirt waits for qemu to acknowledge it
 * without a timeout, and a hung qemu (stopped, stuck in I/O) never does. The stop must still end
 * in time, with a destroy, which kills qemu first and so also ends the waiting request. */
typedef struct {
    virDomainPtr dom;
    GMutex lock;
    GCond cond;
    gboolean done;
    int result;
} ShutdownCall;

static gpointer shutdown_run(gpointer data)
{
    ShutdownCall *c = data;
    int r = virDomainShutdown(c->dom);

    g_mutex_lock(&c->lock);
    c->result = r;
    c->done = TRUE;
    g_cond_signal(&c->cond);
    g_mutex_unlock(&c->lock);
    return NULL;
}

/* Asks the guest to shut down and waits until it is gone or @deadline passes. Returns 1 when
 * it is gone, 0 when not (refused, or still running at the deadline). */
static int graceful_shutdown(virDomainPtr dom, gint64 deadline, GThread **ret_thread,
                             ShutdownCall *c)
{
    gboolean done;
    int result = 0, r = 1;

    *c = (ShutdownCall){.dom = dom};
    g_mutex_init(&c->lock);
    g_cond_init(&c->cond);
    *ret_thread = g_thread_new("shutdown", shutdown_run, c);
    g_mutex_lock(&c->lock);
    while (!c->done && g_cond_wait_until(&c->cond, &c->lock, deadline))
        ;
    done = c->done;
    result = c->result;
    g_mutex_unlock(&c->lock);
    /* A guest without ACPI support refuses the request: go straight to destroy then. */
    if (!done || result < 0)
        return 0;
    while ((r = is_active(dom)) == 1 && g_get_monotonic_time() < deadline)
        g_usleep(POLL_US);
    return r == 0;
}

int vm_virt_stop(virDomainPtr dom, unsigned int timeout_s, char **ret_error)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_s * G_USEC_PER_SEC;
    GThread *thread = NULL;
    ShutdownCall call;
    int r = 0;

    if (timeout_s > 0 && graceful_shutdown(dom, deadline, &thread, &call) == 1)
        goto out;
    if (virDomainDestroy(dom) < 0 && is_active(dom) != 0) {
        *ret_error = last_error("cannot destroy the domain");
        r = -1;
    }
out:
    if (thread) {
        g_thread_join(thread);
        g_mutex_clear(&call.lock);
        g_cond_clear(&call.cond);
    }
    return r;
}

int vm_virt_agent_ping(virDomainPtr dom, int timeout_s, char **ret_error)
{
    char *reply = virDomainQemuAgentCommand(dom, "{\"execute\":\"guest-ping\"}", timeout_s, 0);

    if (!reply) {
        *ret_error = last_error("the guest agent did not answer guest-ping");
        return -1;
    }
    free(reply);
    return 0;
}

char *vm_virt_get_instance(virDomainPtr dom)
{
    char uuid[VIR_UUID_STRING_BUFLEN];
    unsigned int id = virDomainGetID(dom);

    if (id == (unsigned int)-1 || virDomainGetUUIDString(dom, uuid) < 0)
        return NULL;
    return g_strdup_printf("%u %s", id, uuid);
}

char *vm_virt_get_xml(virDomainPtr dom)
{
    char *xml = virDomainGetXMLDesc(dom, 0);
    char *copy = g_strdup(xml);

    free(xml);
    return copy;
}

/* Aborts the domain's job (save, migration) at a deadline, so that the agent reports a clean
 * failure with the VM still running here instead of being killed at its operation timeout while
 * libvirt carries on. */
typedef struct {
    virDomainPtr dom;
    gint64 deadline;
    GMutex lock;
    GCond cond;
    gboolean done;
    gboolean aborted;
    GThread *thread;
} JobGuard;

static gpointer job_guard_run(gpointer data)
{
    JobGuard *g = data;

    g_mutex_lock(&g->lock);
    while (!g->done) {
        if (!g_cond_wait_until(&g->cond, &g->lock, g->deadline)) {
            if (!g->done && virDomainAbortJob(g->dom) == 0)
                g->aborted = TRUE;
            break;
        }
    }
    g_mutex_unlock(&g->lock);
    return NULL;
}

static void job_guard_start(JobGuard *g, virDomainPtr dom, gint64 deadline)
{
    *g = (JobGuard){.dom = dom, .deadline = deadline};
    g_mutex_init(&g->lock);
    g_cond_init(&g->cond);
    if (deadline > 0)
        g->thread = g_thread_new("job-guard", job_guard_run, g);
}

/* Returns whether the guard aborted the job. */
static gboolean job_guard_stop(JobGuard *g)
{
    gboolean aborted;

    g_mutex_lock(&g->lock);
    g->done = TRUE;
    g_cond_signal(&g->cond);
    g_mutex_unlock(&g->lock);
    if (g->thread)
        g_thread_join(g->thread);
    aborted = g->aborted;
    g_mutex_clear(&g->lock);
    g_cond_clear(&g->cond);
    return aborted;
}

int vm_virt_save(virDomainPtr dom, const char *path, gint64 deadline, char **ret_error)
{
    JobGuard guard;
    int r;

    job_guard_start(&guard, dom, deadline);
    r = virDomainSave(dom, path);
    if (job_guard_stop(&guard) && r < 0) {
        *ret_error = last_error("save aborted to finish before the operation timeout");
        return -1;
    }
    if (r < 0) {
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

int vm_virt_migrate_live(virDomainPtr dom, const char *dest_uri, gboolean unsafe, gint64 deadline,
                         char **ret_error)
{
    unsigned int flags = VIR_MIGRATE_LIVE | VIR_MIGRATE_PEER2PEER | VIR_MIGRATE_ABORT_ON_ERROR;
    JobGuard guard;
    int r;

    if (unsafe)
        flags |= VIR_MIGRATE_UNSAFE;
    job_guard_start(&guard, dom, deadline);
    r = virDomainMigrateToURI3(dom, dest_uri, NULL, 0, flags);
    if (job_guard_stop(&guard) && r < 0) {
        *ret_error = last_error("migration to %s aborted to finish before the operation timeout",
                                dest_uri);
        return -1;
    }
    if (r < 0) {
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
