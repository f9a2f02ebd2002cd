/* The cluster database's writes (cibwrite.h): the table of every kind of write and the steps
 * every write goes through. The rows are in cibwrite-*.c, what they share in cibwrite-common.c. */
#include "config.h"

#include <crm/common/xml.h>

#include "cibdb.h"
#include "cibnodes.h"
#include "cibwrite-alert.h"
#include "cibwrite-common.h"
#include "cibwrite-config.h"
#include "cibwrite-fence.h"
#include "cibwrite-node.h"
#include "cibwrite-status.h"
#include "cibwrite-vm.h"
#include "cibwrite.h"

static const CdWriteType *const writes[] = {
        &cd_write_vm_add,     &cd_write_vm_add_many, &cd_write_vm_remove,    &cd_write_vm_set,
        &cd_write_vm_cleanup, &cd_write_vm_move,     &cd_write_node_drain,   &cd_write_node_resume,
        &cd_write_nodes,      &cd_write_fence_add,   &cd_write_fence_remove, &cd_write_fence_set,
        &cd_write_node_fence, &cd_write_fenced,      &cd_write_config_set,   &cd_write_probe,
        &cd_write_actions,    &cd_write_result,      &cd_write_alert_add,    &cd_write_alert_remove,
};

static const CdWriteType *find_type(uint16_t type)
{
    for (size_t i = 0; i < G_N_ELEMENTS(writes); i++)
        if (writes[i]->type == type)
            return writes[i];
    return NULL;
}

/* The three steps of one write on the database as ctx has it (without apply: the first two). */
static VmhaResult run(const CdWriteType *t, const VmhaMsg *msg, const CdWriteCtx *ctx, bool apply,
                      char **ret_error)
{
    g_autoptr(GPtrArray) owned = g_ptr_array_new_with_free_func(g_free);
    CdWriteIn in = {.msg = msg, .owned = owned};
    g_autofree void *write = g_malloc0(t->size);
    VmhaResult r = t->decode(&in, write, ret_error);

    if (r == VMHA_RESULT_OK && t->validate)
        r = t->validate(ctx, write, ret_error);
    if (r == VMHA_RESULT_OK && apply)
        r = t->apply(ctx, write, ret_error);
    return r;
}

VmhaResult cd_cibwrite_check(const VmhaMsg *write, xmlNode *cib, const VmhaPeerState *members,
                             size_t n_members, char **ret_error)
{
    const CdWriteType *t = find_type(write->type);
    CdWriteCtx ctx = {.cib = cib, .members = members, .n_members = n_members};

    return t ? run(t, write, &ctx, false, ret_error)
             : cd_write_fail(ret_error, VMHA_RESULT_FAILURE, "unknown write");
}

VmhaResult cd_cibwrite_apply(const VmhaMsg *write, const VmhaPeerState *members, size_t n_members,
                             char **ret_error)
{
    const CdWriteType *t = find_type(write->type);
    CdWriteCtx ctx = {.cib = cd_cibdb_claim(), .members = members, .n_members = n_members};
    uint64_t before = cd_cibdb_generation();
    VmhaResult r;

    if (!ctx.cib)
        return cd_write_fail(ret_error, VMHA_RESULT_FAILURE, "the local database is not available");
    r = t ? run(t, write, &ctx, true, ret_error)
          : cd_write_fail(ret_error, VMHA_RESULT_FAILURE, "unknown write");
    free_xml(ctx.cib);
    /* A change from vmctl is all or none: one whose apply failed after some of its libcib
     * requests went through (vm add's preferences after its primitive, add-many's preferences
     * after its VMs, a drain's node state after its attributes) is undone whole. Every member
     * undoes it alike: the same request on the same copy fails the same way. clusterd's own
     * records keep what was applied (saved below): they report what happened. */
    if (r != VMHA_RESULT_OK && cd_cibdb_generation() != before &&
        !vmha_msg_type_is_internal(write->type)) {
        /* cib.xml still holds the copy before this write. */
        (void)cd_cibdb_revert();
        return r;
    }
    /* A change from vmctl that takes the database over its limit is undone and refused, on every
     * member alike (the same write on the same copy: the same size), rather than accepted and
     * left for sync and readers to choke on. clusterd's own records are never refused here:
     * they must be written for the cluster to work, and grow only with the configuration. */
    if (r == VMHA_RESULT_OK && !vmha_msg_type_is_internal(write->type)) {
        size_t size = cd_cibdb_size();
        if (size > cd_cibdb_size_limit) {
            r = cd_write_fail(ret_error, VMHA_RESULT_REFUSED,
                              "the database would grow to %.1f MiB, over its limit of %u MiB; "
                              "nothing was changed",
                              (double)size / (1024 * 1024),
                              (unsigned)(cd_cibdb_size_limit / (1024 * 1024)));
            /* cib.xml still holds the copy before this write. */
            (void)cd_cibdb_revert();
            return r;
        }
    }
    /* Save whatever libcib holds now, also after a partial failure, so that the durable copy
     * never lags behind the version we report to peers. */
    if (cd_cibdb_save() < 0 && r == VMHA_RESULT_OK)
        r = cd_write_fail(ret_error, VMHA_RESULT_FAILURE, "cannot save the database");
    return r;
}

bool cd_cibwrite_nodes_differ(const VmhaNodeRef *want, size_t n)
{
    /* A copy: the check changes the document it reads. */
    xmlNode *cib = cd_cibdb_query();
    bool differ = cib && vmha_cib_nodes_follow(cib, want, n, NULL) > 0;
    if (cib)
        free_xml(cib);
    return differ;
}
