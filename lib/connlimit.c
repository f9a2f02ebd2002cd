/* Connection limits of the local socket: pure counting. */
#include "connlimit.h"

#include <errno.h>

struct VmhaConnLimits {
    GHashTable *per_uid; /* uid -> count */
    unsigned total, admins, others;
};

VmhaConnLimits *vmha_conn_limits_new(void)
{
    VmhaConnLimits *l = g_new0(VmhaConnLimits, 1);
    l->per_uid = g_hash_table_new(g_direct_hash, g_direct_equal);
    return l;
}

void vmha_conn_limits_free(VmhaConnLimits *l)
{
    if (!l)
        return;
    g_hash_table_unref(l->per_uid);
    g_free(l);
}

unsigned vmha_conn_count_uid(const VmhaConnLimits *l, uint32_t uid)
{
    return GPOINTER_TO_UINT(g_hash_table_lookup(l->per_uid, GUINT_TO_POINTER(uid)));
}

unsigned vmha_conn_count(const VmhaConnLimits *l)
{
    return l->total;
}

int vmha_conn_admit(VmhaConnLimits *l, uint32_t uid, VmhaPeerClass cls, const char **ret_reason)
{
    unsigned mine = vmha_conn_count_uid(l, uid);

    if (l->total >= VMHA_CONN_MAX) {
        *ret_reason = "too many connections to clusterd";
        return -EUSERS;
    }
    /* Everyone but root together leaves root its share. */
    if (cls != VMHA_PEER_ROOT && l->admins + l->others >= VMHA_CONN_MAX - VMHA_CONN_ROOT_RESERVED) {
        *ret_reason = "too many connections to clusterd";
        return -EUSERS;
    }
    if (cls == VMHA_PEER_ADMIN && mine >= VMHA_CONN_MAX_PER_ADMIN) {
        *ret_reason = "too many connections from this user";
        return -EUSERS;
    }
    if (cls == VMHA_PEER_OTHER && mine >= VMHA_CONN_MAX_PER_UID) {
        *ret_reason = "too many connections from this user";
        return -EUSERS;
    }
    if (cls == VMHA_PEER_OTHER && l->others >= VMHA_CONN_MAX_OTHERS) {
        *ret_reason = "too many connections from users outside the admin group";
        return -EUSERS;
    }
    g_hash_table_insert(l->per_uid, GUINT_TO_POINTER(uid), GUINT_TO_POINTER(mine + 1));
    l->total++;
    if (cls == VMHA_PEER_ADMIN)
        l->admins++;
    else if (cls == VMHA_PEER_OTHER)
        l->others++;
    return 0;
}

void vmha_conn_release(VmhaConnLimits *l, uint32_t uid, VmhaPeerClass cls)
{
    unsigned mine = vmha_conn_count_uid(l, uid);

    g_return_if_fail(mine > 0 && l->total > 0);
    if (mine == 1)
        g_hash_table_remove(l->per_uid, GUINT_TO_POINTER(uid));
    else
        g_hash_table_insert(l->per_uid, GUINT_TO_POINTER(uid), GUINT_TO_POINTER(mine - 1));
    l->total--;
    if (cls == VMHA_PEER_ADMIN && l->admins > 0)
        l->admins--;
    else if (cls == VMHA_PEER_OTHER && l->others > 0)
        l->others--;
}
