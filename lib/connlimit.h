/* Who may hold how many connections to clusterd's local socket. Anyone may connect (reads are
 * open to every local user), so one user's connections must never lock out another, and above
 * all never root or the admin group, who need the socket to repair the cluster. Pure: the caller
 * says who the peer is (SO_PEERCRED, the admin group). */
#pragma once

#include <glib.h>
#include <stdint.h>

typedef enum {
    VMHA_PEER_ROOT,  /* uid 0 */
    VMHA_PEER_ADMIN, /* a member of the admin group: may write */
    VMHA_PEER_OTHER, /* anyone else, or a peer whose credentials are unknown: may read */
} VmhaPeerClass;

/* All connections: a bound on clusterd's file descriptors. Root is refused only here. */
#define VMHA_CONN_MAX 256
/* Root's share that nobody else can take. */
#define VMHA_CONN_ROOT_RESERVED 64
/* One admin-group uid. */
#define VMHA_CONN_MAX_PER_ADMIN 64
/* Every uid outside root and the admin group, together, and one of them. */
#define VMHA_CONN_MAX_OTHERS  64
#define VMHA_CONN_MAX_PER_UID 16

typedef struct VmhaConnLimits VmhaConnLimits;

VmhaConnLimits *vmha_conn_limits_new(void);
void vmha_conn_limits_free(VmhaConnLimits *l);
/* Counts a new connection of uid, or refuses it: -EUSERS with the reason a client is told. */
int vmha_conn_admit(VmhaConnLimits *l, uint32_t uid, VmhaPeerClass cls,
                    const char **ret_reason) G_GNUC_WARN_UNUSED_RESULT;
/* A connection admitted with the same uid and class ended. */
void vmha_conn_release(VmhaConnLimits *l, uint32_t uid, VmhaPeerClass cls);
/* Connections counted now: of uid, and in all. */
unsigned vmha_conn_count_uid(const VmhaConnLimits *l, uint32_t uid);
unsigned vmha_conn_count(const VmhaConnLimits *l);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmhaConnLimits, vmha_conn_limits_free)
