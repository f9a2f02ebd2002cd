/* `vmctl cluster setup --qdevice HOST`: the quorum device's host (corosync-qnetd) and the NSS
 * certificates its TLS needs, exchanged as pcs does it with the tools of Debian's
 * corosync-qnetd and corosync-qdevice packages (corosync-qdevice-net-certutil(8)):
 *
 *   HOST:       corosync-qnetd-certutil -i (its CA, unless it has one: a qnetd may serve
 *               several clusters), qnetd started; its CA certificate comes back;
 *   this node:  corosync-qdevice-net-certutil -i -c CA, -r -n CLUSTER (a certificate request);
 *   HOST:       corosync-qnetd-certutil -s -c REQUEST -n CLUSTER (signs it);
 *   this node:  corosync-qdevice-net-certutil -M -c CERT (imports it, exports it with its key as
 *               PKCS#12);
 *   the others: -i -c CA and -m -c PKCS12, in setup's install step (vmctl_setup_qdevice_add).
 *
 * Each step records its undo first, like every setup step (setup-steps.c). */
#include "config.h"

#include <string.h>

#include "client.h"
#include "setup-files.h"
#include "setup-qdevice.h"

#define QNETD_DB     "/etc/corosync/qnetd/nssdb"
#define QDEVICE_DB   "/etc/corosync/qdevice/net/nssdb"
#define QDEVICE_TOOL "corosync-qdevice-net-certutil"

/* The value of the line "key=VALUE" of a step's output, or NULL. */
static char *out_value(const char *out, const char *key)
{
    g_auto(GStrv) lines = g_strsplit(out ? out : "", "\n", -1);
    size_t n = strlen(key);
    for (size_t i = 0; lines[i]; i++)
        if (strncmp(lines[i], key, n) == 0 && lines[i][n] == '=' && lines[i][n + 1])
            return g_strdup(lines[i] + n + 1);
    return NULL;
}

/* A shell line writing base64 text (already encoded) to file, decoded. */
static void add_decode(GString *s, const char *file, const char *b64)
{
    g_string_append_printf(s, "base64 -d >\"%s\" <<'VMHA_EOF'\n", file);
    for (size_t off = 0, n = strlen(b64); off < n; off += 76)
        g_string_append_printf(s, "%.76s\n", b64 + off);
    g_string_append(s, "VMHA_EOF\n");
}

/* Runs body on the one host of run (index i of its nodes), changing it; its output's key. */
static int step_on(VmctlSetupRun *run, guint i, const char *what, const char *body, const char *key,
                   char **ret_value)
{
    g_autoptr(GPtrArray) scripts = g_ptr_array_new_with_free_func(g_free);
    g_autofree VmctlRemoteResult *res = g_new0(VmctlRemoteResult, MAX(run->nodes->len, 1));
    for (guint k = 0; k < run->nodes->len; k++)
        g_ptr_array_add(scripts, k == i ? vmctl_setup_script(body, true) : NULL);
    if (vmctl_setup_run_step(run, what, (char **)scripts->pdata, true, res))
        return -1;
    char *value = out_value(res[i].out, key);
    for (guint k = 0; k < run->nodes->len; k++)
        vmctl_remote_result_clear(&res[k]);
    if (!value) {
        vmctl_error(run->opts, VMHA_RESULT_FAILURE, "%s: %s gave no %s",
                    ((VmctlSetupNode *)g_ptr_array_index(run->nodes, i))->h.name, what, key);
        return -1;
    }
    *ret_value = value;
    return 0;
}

char *vmctl_setup_qdevice_probe_script(void)
{
    return vmctl_setup_script(
            "for c in corosync-qnetd corosync-qnetd-certutil certutil base64 tac; do\n"
            "    command -v \"$c\" >/dev/null 2>&1 || echo \"missing=$c\"\n"
            "done\n"
            "if [ ! -x /etc/vmha/service-hook ] && [ ! -d /run/systemd/system ]; then\n"
            "    echo \"missing=systemd (or /etc/vmha/service-hook)\"\n"
            "else\n"
            "    svc installed corosync-qnetd >/dev/null 2>&1 || echo \"missing=corosync-qnetd "
            "service\"\n"
            "fi\n"
            "[ ! -e \"$UNDO\" ] || echo interrupted=yes\n"
            "exit 0\n",
            false);
}

int vmctl_setup_qdevice_check(VmctlSetupRun *qrun)
{
    g_autofree char *script = vmctl_setup_qdevice_probe_script();
    char *scripts[] = {script};
    VmctlRemoteResult res[1] = {{.status = -1}};
    VmctlSetupNode *q = g_ptr_array_index(qrun->nodes, 0);
    int rc = VMHA_RESULT_OK;

    if (vmctl_setup_run_step(qrun, "the check of the quorum device host", scripts, false, res))
        return VMHA_RESULT_FAILURE;
    g_auto(GStrv) lines = g_strsplit(res[0].out ? res[0].out : "", "\n", -1);
    g_autoptr(GString) missing = g_string_new(NULL);
    for (size_t l = 0; lines[l]; l++) {
        if (g_str_has_prefix(lines[l], "missing="))
            g_string_append_printf(missing, "%s%s", missing->len ? ", " : "", lines[l] + 8);
        if (g_str_equal(lines[l], "interrupted=yes")) {
            q->interrupted = true;
            if (!qrun->force) {
                vmctl_error(qrun->opts, VMHA_RESULT_REFUSED,
                            "%s: an earlier setup was interrupted there (/etc/vmha/setup.undo): "
                            "--force undoes it first",
                            q->h.name);
                rc = VMHA_RESULT_REFUSED;
            }
        }
    }
    if (missing->len) {
        vmctl_error(qrun->opts, VMHA_RESULT_FAILURE,
                    "%s: cannot be the quorum device: missing %s (Debian: apt install "
                    "corosync-qnetd)",
                    q->h.name, missing->str);
        rc = VMHA_RESULT_FAILURE;
    }
    vmctl_remote_result_clear(&res[0]);
    return rc;
}

int vmctl_setup_qdevice_certs(VmctlSetupRun *run, VmctlSetupRun *qrun, const char *cluster,
                              char **ret_ca, char **ret_p12)
{
    g_autofree char *ca = NULL, *crq = NULL, *crt = NULL, *p12 = NULL;
    guint local = 0;
    for (guint i = 0; i < run->nodes->len; i++)
        if (((VmctlSetupNode *)g_ptr_array_index(run->nodes, i))->h.local)
            local = i;

    /* The qnetd's CA (kept when it has one) and qnetd running. */
    if (step_on(qrun, 0, "setting up corosync-qnetd",
                "set -e\nbegin\n"
                "if [ ! -f " QNETD_DB "/qnetd-cacert.crt ]; then\n"
                "    fresh " QNETD_DB "\n"
                "    corosync-qnetd-certutil -i >&2\n"
                "fi\n"
                "start_svc corosync-qnetd\n"
                "echo \"ca=$(base64 -w0 " QNETD_DB "/qnetd-cacert.crt)\"\n",
                "ca", &ca) < 0)
        return -1;

    /* This node's database with that CA, and the cluster's certificate request. */
    g_autoptr(GString) s = g_string_new("set -e\nbegin\nfresh " QDEVICE_DB "\n"
                                        "t=$(mktemp -d)\n");
    add_decode(s, "$t/qnetd-cacert.crt", ca);
    g_string_append_printf(s,
                           QDEVICE_TOOL " -i -c \"$t/qnetd-cacert.crt\" >&2\n"
                                        "rm -rf \"$t\"\n" QDEVICE_TOOL " -r -n %s >&2\n"
                                        "echo \"crq=$(base64 -w0 " QDEVICE_DB
                                        "/qdevice-net-node.crq)\"\n",
                           cluster);
    if (step_on(run, local, "making the quorum device's certificate request", s->str, "crq", &crq) <
        0)
        return -1;

    /* Signed by the qnetd's CA (a certificate it had for this cluster name comes back on undo). */
    g_string_assign(s, "set -e\nt=$(mktemp -d)\n");
    add_decode(s, "$t/qdevice-net-node.crq", crq);
    g_string_append_printf(s,
                           "crt=" QNETD_DB "/cluster-%s.crt\n"
                           "if [ -e \"$crt\" ]; then\n"
                           "    cp -a \"$crt\" \"$crt.vmha-save\" && echo \"restore $crt\" "
                           ">>\"$UNDO\"\n"
                           "else\n"
                           "    echo \"remove $crt\" >>\"$UNDO\"\n"
                           "fi\n"
                           "corosync-qnetd-certutil -s -c \"$t/qdevice-net-node.crq\" -n %s >&2\n"
                           "rm -rf \"$t\"\n"
                           "echo \"crt=$(base64 -w0 \"$crt\")\"\n",
                           cluster, cluster);
    if (step_on(qrun, 0, "signing the quorum device's certificate", s->str, "crt", &crt) < 0)
        return -1;

    /* Imported here and exported with its key for the other nodes. */
    g_string_assign(s, "set -e\nt=$(mktemp -d)\n");
    g_autofree char *crt_file = g_strdup_printf("$t/cluster-%s.crt", cluster);
    add_decode(s, crt_file, crt);
    g_string_append_printf(s,
                           QDEVICE_TOOL " -M -c \"%s\" >&2\n"
                                        "rm -rf \"$t\"\n"
                                        "echo \"p12=$(base64 -w0 " QDEVICE_DB
                                        "/qdevice-net-node.p12)\"\n",
                           crt_file);
    if (step_on(run, local, "importing the quorum device's certificate", s->str, "p12", &p12) < 0)
        return -1;
    *ret_ca = g_steal_pointer(&ca);
    *ret_p12 = g_steal_pointer(&p12);
    return 0;
}

void vmctl_setup_qdevice_add(GString *s, const char *ca, const char *p12)
{
    g_string_append(s, "fresh " QDEVICE_DB "\nt=$(mktemp -d)\n");
    add_decode(s, "$t/qnetd-cacert.crt", ca);
    add_decode(s, "$t/qdevice-net-node.p12", p12);
    g_string_append(s, QDEVICE_TOOL " -i -c \"$t/qnetd-cacert.crt\" >&2\n" QDEVICE_TOOL
                                    " -m -c \"$t/qdevice-net-node.p12\" >&2\n"
                                    "rm -rf \"$t\"\n");
}
