/* The decisions of a node without quorum, as pure functions (noquorum.h). */
#include "config.h"

#include <string.h>

#include "noquorum.h"

#define DEFAULT_SELF_FENCE_TIMEOUT_S 10
/* The no-quorum stop ends this long before the self-fence deadline. */
#define SHUTDOWN_MARGIN_S 2

void cd_noquorum_plan(const VmhaModel *m, const char *node, const CdQuorumHistory *h,
                      CdNoQuorumPlan *ret)
{
    CdNoQuorumPlan p = {.deadline_ms = -1, .timeout_s = DEFAULT_SELF_FENCE_TIMEOUT_S};

    if (m)
        p.timeout_s = m->self_fence_timeout;
    if (h->quorate || !h->seen_quorum) {
        /* Never quorate since boot: nothing of ours can run here (VMs start only with quorum),
         * and a cluster that is starting up must not reset its first nodes. */
        *ret = p;
        return;
    }
    if (!m) {
        p.stop_vms = true;
        p.self_fence = true;
    } else if (m->maintenance_mode) {
        /* Maintenance mode: the cluster starts, stops and fences nothing, and a node that
         * loses quorum (corosync restarted for an upgrade, a network change) keeps its VMs.
         * The quorate side never counts on this node's self-fence then: it moves nothing
         * while maintenance lasts, and a node that did not see it end is marked so that
         * its VMs wait for a real fence or its return (clusterd/cibwrite-config.c). */
        p.stop_vms = false;
        p.self_fence = false;
    } else {
        p.stop_vms = m->no_quorum_policy == VMHA_NO_QUORUM_STOP;
        /* As the engine decides on the quorate side (lib/engine.c): a node no device covers is
         * recovered from after vmha-fence-watchdog-timeout, so it must be gone by then. */
        ssize_t i = vmha_model_find_node(m, node);
        p.self_fence = m->stonith_enabled && (i < 0 || !vmha_model_node_has_fence_device(m, i));
    }
    if (p.self_fence)
        p.deadline_ms = h->lost_at_ms + p.timeout_s * 1000;
    *ret = p;
}

unsigned cd_noquorum_shutdown_s(const CdNoQuorumPlan *p, int64_t now_ms, unsigned configured_s,
                                unsigned default_s)
{
    unsigned s = configured_s ? configured_s : default_s;

    if (p->deadline_ms < 0)
        return s;
    int64_t left_s = (p->deadline_ms - now_ms) / 1000 - SHUTDOWN_MARGIN_S;
    if (left_s < 1)
        return 1;
    return (int64_t)s > left_s ? (unsigned)left_s : s;
}

char *cd_noquorum_state_format(const CdQuorumHistory *h)
{
    if (h->quorate)
        return g_strdup("quorate\n");
    return g_strdup_printf("lost %" G_GINT64_FORMAT "\n", h->lost_at_ms);
}

int cd_noquorum_state_parse(const char *text, int64_t now_ms, unsigned watchdog_s,
                            CdQuorumHistory *ret)
{
    g_autofree char *s = g_strstrip(g_strdup(text ? text : ""));
    gint64 t;

    if (strcmp(s, "quorate") == 0) {
        *ret = (CdQuorumHistory){
                .quorate = false,
                .seen_quorum = true,
                .lost_at_ms = now_ms - (int64_t)watchdog_s * 1000,
        };
        return 0;
    }
    if (g_str_has_prefix(s, "lost ") &&
        g_ascii_string_to_signed(s + 5, 10, 0, G_MAXINT64, &t, NULL)) {
        /* A time ahead of now is not of this boot's clock: trust nothing of it but that quorum
         * was lost, and take the earliest start that cannot be too late. */
        if (t > now_ms)
            t = now_ms - (int64_t)watchdog_s * 1000;
        *ret = (CdQuorumHistory){.quorate = false, .seen_quorum = true, .lost_at_ms = t};
        return 0;
    }
    return -1;
}
