/* Fuzz target for what a clusterd does with a message another node sent over CPG
 * (clusterd/corosync.c delivers, clusterd/sync.c dispatches): decode it, read the sync fields
 * (SYNC_STATE, APPLIED, BUMP) and, for a write, run the write table's decode and validate steps
 * (cd_cibwrite_check, clusterd/cibwrite.c) against a small database: three nodes, two VMs, a
 * fence device, a running VM's history. Every write is either accepted by both steps or refused
 * with a result and a reason; never a crash, leak or read out of bounds. The apply step changes
 * the database through libcib on disk and is left to the unit tests (test-cibwrite.c). */
#include <crm/common/xml.h>
#include <errno.h>
#include <glib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clusterd/cibwrite.h"
#include "dbsync.h"
#include "vmha/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char cib_text[] =
        "<cib crm_feature_set=\"3.16.1\" validate-with=\"pacemaker-3.9\" epoch=\"12\" "
        "num_updates=\"3\" admin_epoch=\"0\" have-quorum=\"1\"><configuration><crm_config>"
        "<cluster_property_set id=\"cib-bootstrap-options\">"
        "<nvpair id=\"opt-stonith-enabled\" name=\"stonith-enabled\" value=\"true\"/>"
        "</cluster_property_set></crm_config><nodes>"
        "<node id=\"1\" uname=\"n1\"/><node id=\"2\" uname=\"n2\"><instance_attributes "
        "id=\"nodes-2\"><nvpair id=\"nodes-2-vmha-drain\" name=\"vmha-drain\" value=\"quick\"/>"
        "</instance_attributes></node><node id=\"3\" uname=\"n3\"/></nodes><resources>"
        "<primitive id=\"web1\" class=\"ocf\" provider=\"vmha\" type=\"vm\"><instance_attributes "
        "id=\"web1-instance_attributes\"><nvpair id=\"web1-ia-config\" name=\"config\" "
        "value=\"/shared/web1.xml\"/></instance_attributes><meta_attributes "
        "id=\"web1-meta_attributes\"><nvpair id=\"web1-ma-priority\" name=\"priority\" "
        "value=\"3\"/></meta_attributes><operations><op id=\"web1-monitor-10s\" name=\"monitor\" "
        "interval=\"10s\" timeout=\"30s\"/></operations></primitive>"
        "<primitive id=\"db1\" class=\"ocf\" provider=\"vmha\" type=\"vm\"><instance_attributes "
        "id=\"db1-instance_attributes\"><nvpair id=\"db1-ia-config\" name=\"config\" "
        "value=\"/shared/db1.xml\"/></instance_attributes></primitive>"
        "<primitive id=\"ipmi-n1\" class=\"stonith\" type=\"fence_ipmilan\"><instance_attributes "
        "id=\"ipmi-n1-instance_attributes\"><nvpair id=\"ipmi-n1-ia-ip\" name=\"ip\" "
        "value=\"10.0.0.11\"/><nvpair id=\"ipmi-n1-ia-pcmk_host_list\" name=\"pcmk_host_list\" "
        "value=\"n1 n2\"/></instance_attributes></primitive></resources><constraints>"
        "<rsc_location id=\"prefer-web1-n1\" rsc=\"web1\" node=\"n1\" score=\"100\"/>"
        "<rsc_colocation id=\"apart-db1-web1\" rsc=\"db1\" with-rsc=\"web1\" score=\"-INFINITY\"/>"
        "</constraints></configuration><status><node_state id=\"1\" uname=\"n1\" "
        "in_ccm=\"true\" crmd=\"online\" join=\"member\" expected=\"member\"><lrm id=\"1\">"
        "<lrm_resources><lrm_resource id=\"web1\" class=\"ocf\" provider=\"vmha\" type=\"vm\">"
        "<lrm_rsc_op id=\"web1_last_0\" operation_key=\"web1_start_0\" operation=\"start\" "
        "transition-key=\"start:12:0:6b29fc40-ca47-1067-b31d-00dd010662da\" call-id=\"4\" "
        "rc-code=\"0\" op-status=\"0\" interval=\"0\" exec-time=\"1200\" "
        "last-rc-change=\"1780000000\"/></lrm_resource></lrm_resources></lrm></node_state>"
        "<node_state id=\"3\" uname=\"n3\" in_ccm=\"false\" crmd=\"offline\" join=\"down\" "
        "expected=\"member\"/></status></cib>";

static xmlNode *cib;
static VmhaPeerState members[3] = {
        {.nodeid = 1, .pid = 4242}, {.nodeid = 2, .pid = 5151}, {.nodeid = 3, .pid = 6161}};

/* A getter either finds the field, finds none, or finds it malformed. */
static void check_get(int r)
{
    if (r != 0 && r != -ENOENT && r != -EBADMSG)
        __builtin_trap();
}

static void read_sync_fields(const VmhaMsg *m)
{
    g_autofree char *key = NULL, *digest = NULL, *message = NULL;
    uint64_t v = 0;

    /* clusterd/sync.c: on_state, on_applied, on_bump read these. */
    check_get(vmha_msg_get_str(m, VMHA_F_MEMBERS, &key));
    check_get(vmha_msg_get_str(m, VMHA_F_DIGEST, &digest));
    check_get(vmha_msg_get_str(m, VMHA_F_MESSAGE, &message));
    const VmhaField u64s[] = {VMHA_F_ADMIN_EPOCH, VMHA_F_EPOCH,      VMHA_F_NUM_UPDATES,
                              VMHA_F_ORIGIN_NODE, VMHA_F_ORIGIN_PID, VMHA_F_REQ_ID,
                              VMHA_F_RC,          VMHA_F_TIME,       VMHA_F_SYNC_PROTOCOL};
    for (size_t i = 0; i < G_N_ELEMENTS(u64s); i++)
        check_get(vmha_msg_get_u64(m, u64s[i], &v));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(VmhaMsg) m = NULL;

    if (!cib) {
        cib = string2xml(cib_text);
        if (!cib)
            __builtin_trap();
    }
    if (vmha_msg_decode(data, size, &m) < 0)
        return 0;
    read_sync_fields(m);
    if (!vmha_msg_type_is_write(m->type))
        return 0;

    g_autofree char *error = NULL;
    VmhaResult r = cd_cibwrite_check(m, cib, members, G_N_ELEMENTS(members), &error);
    if (getenv("VMHA_FUZZ_DEBUG"))
        fprintf(stderr, "%s: %d %s\n", vmha_msg_type_to_str(m->type), r, error ? error : "");
    if (r != VMHA_RESULT_OK && (!error || !*error))
        __builtin_trap(); /* a refusal says why */
    if (r == VMHA_RESULT_OK && error)
        __builtin_trap();
    return 0;
}
