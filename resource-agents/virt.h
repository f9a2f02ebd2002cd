/* The libvirt operations the agent needs, each reporting failure as one message in *ret_error. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <libvirt/libvirt.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC(virConnect, virConnectClose)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(virDomain, virDomainFree)

/* Silences libvirt's default printing of errors: the agent reports each failure once itself. */
void vm_virt_init(void);

/* Right after a vm_virt_* call failed: whether libvirtd could not be reached (not running,
 * restarting, the connection broke), rather than an answer about the domain. */
bool vm_virt_error_unreachable(void);

G_GNUC_WARN_UNUSED_RESULT int vm_virt_open(const char *uri, virConnectPtr *ret_conn,
                                           char **ret_error);

/* Returns 1 with *ret_dom when libvirt knows the domain, 0 when it does not, -1 on error. */
G_GNUC_WARN_UNUSED_RESULT int vm_virt_lookup(virConnectPtr conn, const char *name,
                                             virDomainPtr *ret_dom, char **ret_error);

G_GNUC_WARN_UNUSED_RESULT int vm_virt_state(virDomainPtr dom, int *ret_state, int *ret_reason,
                                            char **ret_error);

/* Starts a transient domain from @xml. */
G_GNUC_WARN_UNUSED_RESULT int vm_virt_create(virConnectPtr conn, const char *xml, char **ret_error);

G_GNUC_WARN_UNUSED_RESULT int vm_virt_resume(virDomainPtr dom, char **ret_error);

/* Asks the guest to shut down, waits up to @timeout_s for it to stop, then destroys it (at once
 * with @timeout_s 0). A qemu that does not even take the request (hung) does not hold it up. */
G_GNUC_WARN_UNUSED_RESULT int vm_virt_stop(virDomainPtr dom, unsigned int timeout_s,
                                           char **ret_error);

/* Saves the domain's memory to @path and stops it; on failure the domain keeps running. The save is
 * aborted at @deadline (monotonic microseconds; 0: none). */
G_GNUC_WARN_UNUSED_RESULT int vm_virt_save(virDomainPtr dom, const char *path, gint64 deadline,
                                           char **ret_error);

G_GNUC_WARN_UNUSED_RESULT int vm_virt_restore(virConnectPtr conn, const char *path,
                                              char **ret_error);

/* Live-migrates peer-to-peer to @dest_uri, aborting at @deadline as vm_virt_save does. */
G_GNUC_WARN_UNUSED_RESULT int vm_virt_migrate_live(virDomainPtr dom, const char *dest_uri,
                                                   gboolean unsafe, gint64 deadline,
                                                   char **ret_error);

/* The digest of the definition a running domain was started from, kept in the domain's own
 * <metadata> so that it travels with save images and live migrations. */
G_GNUC_WARN_UNUSED_RESULT int vm_virt_set_digest(virDomainPtr dom, const char *digest,
                                                 char **ret_error);
char *vm_virt_get_digest(virDomainPtr dom);

char *vm_virt_get_uuid(virDomainPtr dom);

/* Pings the qemu guest agent (guest-ping), waiting up to @timeout_s. */
G_GNUC_WARN_UNUSED_RESULT int vm_virt_agent_ping(virDomainPtr dom, int timeout_s, char **ret_error);

/* "ID UUID": which run of the domain this is (the ID changes with every start). */
char *vm_virt_get_instance(virDomainPtr dom);

/* The running domain's live definition (what qemu was given, hot-plugged devices included). */
char *vm_virt_get_xml(virDomainPtr dom);
