/* vmctl cluster setup|join|leave|maintenance|update: the cluster as a whole (docs/vmctl.md).
 *
 * setup, join and leave run as root on one of the hosts and change every host through step
 * scripts that record their undo first (setup-steps.c), with the files of setup-files.c; a step
 * that fails anywhere is undone everywhere. What a host gets: /etc/corosync/corosync.conf
 * (lib/corosyncconf.c), /etc/corosync/authkey (corosync-keygen, 0400), a certificate of the
 * cluster's own CA for libvirt's TLS transport, and running libvirtd (TLS), corosync and clusterd.
 * update is the rolling update of update.c; maintenance sets the maintenance-mode property. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "client.h"
#include "commands.h"
#include "corosyncconf.h"
#include "fencedev.h"
#include "nodeexec.h"
#include "setup-cluster.h"
#include "setup-files.h"
#include "setup-qdevice.h"
#include "setup-steps.h"
#include "update.h"
#include "updatecheck.h"
#include "wait.h"

/* ---- cluster maintenance ---- */

/* cluster maintenance on|off: the maintenance-mode property (docs/vmctl.md). */
int vmctl_cmd_cluster_maintenance(const VmctlOptions *gopts, int argc, char **argv)
{
    VmctlOptions opts = *gopts;
    int first = vmctl_parse_common(&opts, argc, argv, 1);

    if (first < 0 || argc - first != 1 ||
        (strcmp(argv[first], "on") != 0 && strcmp(argv[first], "off") != 0))
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "usage: vmctl cluster maintenance on|off");
    char kv[] = "maintenance-mode=true", off[] = "maintenance-mode=";
    char *args[] = {strcmp(argv[first], "on") == 0 ? kv : off, NULL};
    return vmctl_send_settings(&opts, NULL, 1, args, 0);
}

/* ---- cluster update ---- */

int vmctl_cmd_cluster_update(const VmctlOptions *gopts, int argc, char **argv)
{
    const char *usage = "usage: vmctl cluster update --exec COMMAND [--reboot [--reboot-command "
                        "CMD]] [--timeout SECONDS]";
    VmctlOptions opts = *gopts;
    VmctlUpdateSpec u = {.timeout = VMHA_EXEC_TIMEOUT_S};
    bool reboot = false;
    const char *reboot_command = NULL;
    const VmctlArg args[] = {
            VMCTL_ARG("exec", VMCTL_ARG_STRING, &u.command),
            VMCTL_ARG("reboot", VMCTL_ARG_FLAG, &reboot),
            VMCTL_ARG("reboot-command", VMCTL_ARG_STRING, &reboot_command),
            VMCTL_ARG("timeout", VMCTL_ARG_TIMEOUT, &u.timeout),
            VMCTL_ARG_END,
    };
    const VmctlArgSpec cmdline = {.usage = usage, .args = args};

    if (vmctl_parse_args(&opts, &cmdline, argc, argv) < 0)
        return VMHA_RESULT_USAGE;
    if (!u.command || !*u.command)
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "%s", usage);
    if (reboot_command && (!reboot || !*reboot_command))
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "%s", usage);
    if (reboot)
        u.reboot_command = reboot_command ? reboot_command : VMCTL_UPDATE_REBOOT_COMMAND;
    json_object *status = NULL;
    g_autoptr(VmhaMsg) sreq = vmha_msg_new(VMHA_MSG_STATUS);
    int rc = vmctl_call(&opts, sreq, &status);
    if (rc != VMHA_RESULT_OK)
        return rc;
    /* Draining the first node and only then finding that the command may not run would be a
     * pointless disruption. clusterd checks again. */
    if (geteuid() != 0) {
        json_object_put(status);
        return vmctl_error(&opts, VMHA_RESULT_DENIED,
                           "permission denied: only root may run a rolling update");
    }

    g_autoptr(GPtrArray) nodes = NULL;
    g_autofree char *why = vmctl_update_preflight(status, &nodes);
    g_autofree char *local = g_strdup(vmctl_update_local_node(status));
    json_object_put(status);
    if (why)
        return vmctl_error(&opts, VMHA_RESULT_REFUSED, "not starting the update: %s; nothing done",
                           why);

    return vmctl_update_run(&opts, &u, nodes, local);
}

/* ---- vmctl cluster setup ---- */

static int parse_token(const VmctlOptions *opts, const char *value, void *ret)
{
    guint64 v = 0;

    if (!g_ascii_string_to_unsigned(value, 10, VMHA_CS_TOKEN_MIN_MS, VMHA_CS_TOKEN_MAX_MS, &v,
                                    NULL))
        return vmctl_error(opts, VMHA_RESULT_USAGE, "bad --token '%s': %u to %u (ms)", value,
                           VMHA_CS_TOKEN_MIN_MS, VMHA_CS_TOKEN_MAX_MS),
               -1;
    *(unsigned *)ret = (unsigned)v;
    return 0;
}

static int parse_setup_wait(const VmctlOptions *opts, const char *value, void *ret)
{
    if (vmctl_parse_timeout(value, ret) < 0)
        return vmctl_error(opts, VMHA_RESULT_USAGE, "bad --wait '%s': seconds, 1 to 86400", value),
               -1;
    return 0;
}

/* join and leave */
static int parse_wait(const VmctlOptions *opts, const char *value, void *ret)
{
    if (vmctl_parse_timeout(value, ret) < 0)
        return vmctl_error(opts, VMHA_RESULT_USAGE, "bad --wait '%s'", value), -1;
    return 0;
}

static const char setup_usage[] =
        "usage: vmctl cluster setup --name NAME [--token MS] [--fence AGENT "
        "[--fence-option NAME=VALUE]...] [--qdevice HOST[=ADDR]] [--storage PATH] [--wait S] "
        "[--force] [--dry-run] NODE[=ADDR]...";

/* A failure after the quorum device's host was changed: both runs undone. */
static int fail_undo_both(VmctlSetupRun *run, VmctlSetupRun *qrun, int code)
{
    if (qrun)
        vmctl_setup_undo_all(qrun);
    return vmctl_setup_fail_undo(run, code);
}

int vmctl_cmd_cluster_setup(const VmctlOptions *opts, int argc, char **argv)
{
    const char *name = NULL, *agent = NULL, *qdevice = NULL;
    unsigned token = VMHA_CS_TOKEN_DEFAULT_MS;
    g_autoptr(GPtrArray) fence_opts = g_ptr_array_new();
    g_autoptr(VmctlRemote) remote = NULL;
    g_autoptr(GPtrArray) nodes =
            g_ptr_array_new_with_free_func((GDestroyNotify)vmctl_setup_node_free);
    g_autoptr(GPtrArray) scripts = g_ptr_array_new_with_free_func(g_free);
    VmctlSetupRun run = {.verb = "setup", .wait_s = DEFAULT_WAIT_S, .opts = opts, .nodes = nodes};
    const VmctlArg args[] = {
            VMCTL_ARG("name", VMCTL_ARG_STRING, &name),
            VMCTL_ARG_PARSED("token", parse_token, &token),
            VMCTL_ARG("fence", VMCTL_ARG_STRING, &agent),
            VMCTL_ARG("fence-option", VMCTL_ARG_LIST, fence_opts),
            VMCTL_ARG("qdevice", VMCTL_ARG_STRING, &qdevice),
            VMCTL_ARG("storage", VMCTL_ARG_STRING, &run.storage),
            VMCTL_ARG_PARSED("wait", parse_setup_wait, &run.wait_s),
            VMCTL_ARG("force", VMCTL_ARG_FLAG, &run.force),
            VMCTL_ARG("dry-run", VMCTL_ARG_FLAG, &run.dry_run),
            VMCTL_ARG_END,
    };
    const VmctlArgSpec cmdline = {
            .usage = setup_usage, .min_operands = 1, .max_operands = -1, .args = args};
    VmctlOptions parsed = *opts; /* --json: main saw it (opts->json) */

    int first = vmctl_parse_args(&parsed, &cmdline, argc, argv);
    if (first < 0)
        return VMHA_RESULT_USAGE;
    if (!name)
        return vmctl_error(opts, VMHA_RESULT_USAGE, "%s", setup_usage);
    if (!vmha_cluster_name_valid(name))
        return vmctl_error(opts, VMHA_RESULT_USAGE,
                           "bad cluster name '%s': 1 to 32 letters, digits, '_' or '-'", name);
    if (run.storage && !g_path_is_absolute(run.storage))
        return vmctl_error(opts, VMHA_RESULT_USAGE, "--storage needs an absolute path");
    if (agent && !vmha_fence_agent_valid(agent))
        return vmctl_error(opts, VMHA_RESULT_USAGE,
                           "bad fence agent '%s': fence_NAME (lower case) or an absolute path",
                           agent);
    if (fence_opts->len && !agent)
        return vmctl_error(opts, VMHA_RESULT_USAGE, "--fence-option without --fence AGENT");
    if (agent) {
        g_autofree char *err = NULL;
        g_ptr_array_add(fence_opts, NULL);
        if (vmha_fence_options_check((const char *const *)fence_opts->pdata, &err) < 0)
            return vmctl_error(opts, VMHA_RESULT_USAGE, "%s", err);
        g_ptr_array_remove_index(fence_opts, fence_opts->len - 1);
    }
    for (int i = first; i < argc; i++) {
        VmctlSetupNode *n = NULL;
        int r = vmctl_setup_node_from_arg(opts, argv[i], &n);
        if (r != 0)
            return r;
        n->nodeid = (uint32_t)(i - first + 1);
        g_ptr_array_add(nodes, n);
    }
    /* The quorum device's host: its own run (its steps and undo), never a node of the cluster. */
    g_autoptr(GPtrArray) qnodes =
            g_ptr_array_new_with_free_func((GDestroyNotify)vmctl_setup_node_free);
    VmctlSetupRun qrun = {.verb = "setup", .opts = opts, .nodes = qnodes};
    VmctlSetupRun *q = NULL;
    if (qdevice) {
        VmctlSetupNode *qn = NULL;
        int r = vmctl_setup_node_from_arg(opts, qdevice, &qn);
        if (r != 0)
            return r;
        g_ptr_array_add(qnodes, qn);
        if (nodes->len % 2)
            return vmctl_error(opts, VMHA_RESULT_USAGE,
                               "--qdevice needs an even number of nodes (its ffsplit algorithm "
                               "gives the vote to one half of a split)");
        for (guint i = 0; i < nodes->len; i++) {
            const VmctlSetupNode *n = g_ptr_array_index(nodes, i);
            if (qn->h.local || g_str_equal(n->h.addr, qn->h.addr) ||
                g_str_equal(n->h.name, qn->h.name))
                return vmctl_error(opts, VMHA_RESULT_USAGE,
                                   "the quorum device's host '%s' must not be a node of the "
                                   "cluster: its vote must outlive any one node",
                                   qn->h.name);
        }
        run.qdevice = true;
        q = &qrun;
    }
    g_autofree const VmhaCsNode **cs = g_new0(const VmhaCsNode *, nodes->len);
    g_autofree VmhaCsNode *cs_store = g_new0(VmhaCsNode, nodes->len);
    for (guint i = 0; i < nodes->len; i++) {
        VmctlSetupNode *n = g_ptr_array_index(nodes, i);
        cs_store[i] = (VmhaCsNode){.name = n->h.name, .addr = n->h.addr, .nodeid = n->nodeid};
        cs[i] = &cs_store[i];
    }
    VmhaCsSpec spec = {.cluster_name = name,
                       .token_ms = token,
                       .nodes = (const VmhaCsNode *const *)cs,
                       .n_nodes = nodes->len,
                       .qdevice_host =
                               q ? ((VmctlSetupNode *)g_ptr_array_index(qnodes, 0))->h.addr : NULL};
    g_autofree char *spec_error = NULL;
    if (vmha_cs_spec_check(&spec, &spec_error) < 0)
        return vmctl_error(opts, VMHA_RESULT_USAGE, "%s", spec_error);
    if (nodes->len == 2 && !agent)
        return vmctl_error(opts, VMHA_RESULT_USAGE,
                           q ? "a two-node cluster needs a fence device (--fence AGENT): the "
                               "survivor of a node's loss must fence it before it runs its VMs"
                             : "a two-node cluster needs a fence device (--fence AGENT): with "
                               "two_node each host alone stays quorate, so only fencing keeps "
                               "both from running the same VMs");
    guint n_local = 0;
    for (guint i = 0; i < nodes->len; i++)
        n_local += ((VmctlSetupNode *)g_ptr_array_index(nodes, i))->h.local;
    if (n_local != 1)
        return vmctl_error(opts, VMHA_RESULT_REFUSED,
                           n_local ? "two of the nodes have addresses of this host"
                                   : "run this on one of the nodes: none of their addresses is "
                                     "this host's (give NODE=ADDR)");
    if (geteuid() != 0)
        return vmctl_error(opts, VMHA_RESULT_DENIED, "cluster setup must run as root");
    g_autofree char *conf = vmha_cs_render_spec(&spec);

    /* With --json the progress lines (and a drain's) go to stderr: stdout gets one document. */
    vmctl_report_progress_to_stderr(opts);
    run.start_us = g_get_monotonic_time();
    remote = vmctl_remote_new();
    run.remote = remote;
    qrun.remote = remote;
    qrun.start_us = run.start_us;
    qrun.force = run.force;
    vmctl_setup_progress(&run, "checking %u hosts", nodes->len);
    int rc = vmctl_setup_probe_all(&run, NULL);
    if (rc != VMHA_RESULT_OK)
        return rc;
    if (q) {
        vmctl_setup_progress(&run, "checking the quorum device's host %s",
                             ((VmctlSetupNode *)g_ptr_array_index(qnodes, 0))->h.name);
        if ((rc = vmctl_setup_qdevice_check(q)) != VMHA_RESULT_OK)
            return rc;
    }
    vmctl_setup_progress(&run, "every host is reachable and ready");
    if (run.dry_run) {
        printf("would write this corosync.conf on %u hosts, with a new authkey (0400), a "
               "cluster CA and a TLS certificate per host for libvirt:\n%s",
               nodes->len, conf);
        if (q)
            printf("would start corosync-qnetd on %s (with a CA of its own unless it has one), "
                   "have it sign the cluster's quorum device certificate and install that on "
                   "every node\n",
                   ((VmctlSetupNode *)g_ptr_array_index(qnodes, 0))->h.name);
        printf("would enable and start libvirtd's TLS listener, corosync%s and clusterd on every "
               "host, then wait until all %u are in sync%s\n",
               q ? ", corosync-qdevice" : "", nodes->len, agent ? " and add the fence device" : "");
        vmctl_print_ok(opts, "checked");
        return VMHA_RESULT_OK;
    }
    if (run.force &&
        (vmctl_setup_undo_interrupted(&run) < 0 || (q && vmctl_setup_undo_interrupted(q) < 0)))
        return VMHA_RESULT_FAILURE;

    /* Key and certificates, made here in a private directory. */
    g_autofree char *dir = g_dir_make_tmp("vmctl-setup-XXXXXX", NULL);
    g_autofree char *error = NULL;
    g_autofree char *keyfile = g_strdup_printf("%s/authkey", dir);
    const char *keygen[] = {"corosync-keygen", "-k", keyfile, NULL};
    if (!dir || vmctl_setup_run_local(keygen, &error) < 0 ||
        vmctl_setup_make_ca(dir, name, &error) < 0) {
        vmctl_error(opts, VMHA_RESULT_FAILURE, "cannot make the cluster's keys: %s",
                    error ? error : "?");
        rc = VMHA_RESULT_FAILURE;
        goto out;
    }
    for (guint i = 0; i < nodes->len && rc == VMHA_RESULT_OK; i++)
        if (vmctl_setup_make_node_cert(dir, g_ptr_array_index(nodes, i), &error) < 0) {
            vmctl_error(opts, VMHA_RESULT_FAILURE, "cannot make a certificate: %s", error);
            rc = VMHA_RESULT_FAILURE;
        }
    if (rc != VMHA_RESULT_OK)
        goto out;
    vmctl_setup_progress(&run, "made the corosync key and the cluster's CA and host certificates");
    g_autofree char *qdevice_ca = NULL, *qdevice_p12 = NULL;
    if (q) {
        if (vmctl_setup_qdevice_certs(&run, q, name, &qdevice_ca, &qdevice_p12) < 0) {
            rc = fail_undo_both(&run, q, VMHA_RESULT_FAILURE);
            goto out;
        }
        vmctl_setup_progress(&run,
                             "corosync-qnetd runs on %s; it signed the quorum device's "
                             "certificate",
                             ((VmctlSetupNode *)g_ptr_array_index(qnodes, 0))->h.name);
    }

    /* Install: stop what runs (--force), set the old database aside, write the files. */
    for (guint i = 0; i < nodes->len && rc == VMHA_RESULT_OK; i++) {
        VmctlSetupNode *n = g_ptr_array_index(nodes, i);
        /* This node is touched already when it made the quorum device's certificate. */
        g_autoptr(GString) s = g_string_new(n->touched ? "set -e\n" : "set -e\nbegin\n");
        g_string_append(s, "halt_svc clusterd\nhalt_svc corosync\n");
        if (q && !n->h.local)
            vmctl_setup_qdevice_add(s, qdevice_ca, qdevice_p12);
        g_string_append(s, FRESH_DATABASE);
        vmctl_setup_add_put(s, COROSYNC_CONF, "0644", conf, strlen(conf));
        if (vmctl_setup_add_put_file(s, COROSYNC_AUTHKEY, "0400", keyfile, &error) < 0 ||
            vmctl_setup_add_tls_files(s, dir, n, &error) < 0) {
            vmctl_error(opts, VMHA_RESULT_FAILURE, "%s", error);
            rc = VMHA_RESULT_FAILURE;
            break;
        }
        g_ptr_array_add(scripts, vmctl_setup_script(s->str, true));
    }
    if (rc != VMHA_RESULT_OK)
        goto out;
    if (vmctl_setup_run_step(&run, "installing the configuration", (char **)scripts->pdata, true,
                             NULL)) {
        rc = fail_undo_both(&run, q, VMHA_RESULT_FAILURE);
        goto out;
    }
    vmctl_setup_progress(&run, "installed corosync.conf, authkey and certificates on every host");

    g_ptr_array_set_size(scripts, 0);
    for (guint i = 0; i < nodes->len; i++)
        g_ptr_array_add(scripts,
                        vmctl_setup_script(q ? START_SERVICES_QDEVICE : START_SERVICES, true));
    if (vmctl_setup_run_step(&run, "starting the services", (char **)scripts->pdata, true, NULL)) {
        rc = fail_undo_both(&run, q, VMHA_RESULT_FAILURE);
        goto out;
    }
    vmctl_setup_progress(&run,
                         "started libvirtd's TLS listener, corosync%s and clusterd on every host",
                         q ? ", corosync-qdevice" : "");
    if (vmctl_setup_wait_in_sync(&run, nodes) < 0) {
        rc = fail_undo_both(&run, q, VMHA_RESULT_FAILURE);
        goto out;
    }
    vmctl_setup_progress(&run, "all %u nodes quorate and in sync", nodes->len);
    if (agent && vmctl_setup_add_fence_device(&run, agent, fence_opts) < 0) {
        rc = fail_undo_both(&run, q, VMHA_RESULT_FAILURE);
        goto out;
    }
    if (!vmctl_setup_commit_all(&run) || (q && !vmctl_setup_commit_all(q)))
        vmctl_warning(opts, "could not drop the undo records everywhere");
    vmctl_setup_progress(&run, "cluster '%s' is up: %u nodes", name, nodes->len);
    vmctl_print_ok(opts, "set up");
out:
    if (dir) {
        g_autofree char *cmd = NULL;
        const char *rm[] = {"rm", "-rf", dir, NULL};
        g_autofree char *ignored = NULL;
        vmctl_setup_run_local(rm, &ignored);
    }
    return rc;
}

/* The end of a join or leave: each warning on stderr, and with --json {"ok": true, "result":
 * result, "warnings": [...]} plus, for a join, the fence devices the new node was added to. */
static void print_done(const VmctlOptions *opts, const char *result, const GPtrArray *fence_added,
                       const GPtrArray *warnings)
{
    for (guint i = 0; i < warnings->len; i++)
        vmctl_warning(opts, "%s", (const char *)g_ptr_array_index(warnings, i));
    if (!opts->json)
        return;
    json_object *o = json_object_new_object(), *w = json_object_new_array();
    json_object_object_add(o, "ok", json_object_new_boolean(true));
    json_object_object_add(o, "result", json_object_new_string(result));
    if (fence_added) {
        json_object *a = json_object_new_array();
        for (guint i = 0; i < fence_added->len; i++)
            json_object_array_add(a, json_object_new_string(g_ptr_array_index(fence_added, i)));
        json_object_object_add(o, "fence_devices", a);
    }
    for (guint i = 0; i < warnings->len; i++)
        json_object_array_add(w, json_object_new_string(g_ptr_array_index(warnings, i)));
    json_object_object_add(o, "warnings", w);
    vmctl_print_json(o);
    json_object_put(o);
}

static const char join_usage[] =
        "usage: vmctl cluster join NODE[=ADDR] [--storage PATH] [--wait S] [--force] "
        "[--dry-run]";

int vmctl_cmd_cluster_join(const VmctlOptions *opts, int argc, char **argv)
{
    g_autoptr(GPtrArray) nodes =
            g_ptr_array_new_with_free_func((GDestroyNotify)vmctl_setup_node_free);
    g_autoptr(VmhaCsConf) conf = NULL;
    g_autoptr(VmctlRemote) remote = NULL;
    g_autoptr(GPtrArray) scripts = g_ptr_array_new_with_free_func(g_free);
    VmctlSetupRun run = {.verb = "join", .wait_s = DEFAULT_WAIT_S, .opts = opts, .nodes = nodes};
    const VmctlArg args[] = {
            VMCTL_ARG("storage", VMCTL_ARG_STRING, &run.storage),
            VMCTL_ARG_PARSED("wait", parse_wait, &run.wait_s),
            VMCTL_ARG("force", VMCTL_ARG_FLAG, &run.force),
            VMCTL_ARG("dry-run", VMCTL_ARG_FLAG, &run.dry_run),
            VMCTL_ARG_END,
    };
    VmctlOptions parsed = *opts; /* --json: main saw it (opts->json) */
    g_autoptr(GPtrArray) added = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
    int rc;

    const char *arg = vmctl_parse_operand(&parsed, args, join_usage, VMCTL_WORD_TEXT, argc, argv);
    if (!arg)
        return VMHA_RESULT_USAGE;
    if (run.storage && !g_path_is_absolute(run.storage))
        return vmctl_error(opts, VMHA_RESULT_USAGE, "--storage needs an absolute path");
    g_autoptr(VmctlSetupNode) new_node = NULL;
    if ((rc = vmctl_setup_node_from_arg(opts, arg, &new_node)) != 0)
        return rc;
    if (geteuid() != 0)
        return vmctl_error(opts, VMHA_RESULT_DENIED, "cluster join must run as root");
    if ((rc = vmctl_setup_load_cluster(opts, &conf, nodes)) != 0)
        return rc;
    guint n_members = nodes->len;
    bool here = false;
    for (guint i = 0; i < n_members; i++)
        here |= ((VmctlSetupNode *)g_ptr_array_index(nodes, i))->h.local;
    if (!here)
        return vmctl_error(opts, VMHA_RESULT_USAGE, "run this on a node of the cluster");
    if (vmha_cs_conf_get(conf, "quorum.device.model"))
        return vmctl_error(opts, VMHA_RESULT_REFUSED,
                           "this cluster has a quorum device: vmctl cluster join does not give "
                           "a new node its certificate yet (corosync-qdevice-net-certutil -m on "
                           "it); nothing done");
    new_node->nodeid = vmha_cs_conf_next_nodeid(conf);
    VmhaCsNode cs = {
            .name = new_node->h.name, .addr = new_node->h.addr, .nodeid = new_node->nodeid};
    g_autofree char *error = NULL;
    if (vmha_cs_conf_add_node(conf, &cs, &error) < 0)
        return vmctl_error(opts, VMHA_RESULT_USAGE, "%s", error);
    if ((rc = vmctl_setup_require_quorate(opts)) != 0)
        return rc;
    g_autofree char *text = vmha_cs_conf_render(conf);
    g_ptr_array_add(nodes, g_steal_pointer(&new_node));
    VmctlSetupNode *nn = g_ptr_array_index(nodes, n_members);

    /* With --json the progress lines (and a drain's) go to stderr: stdout gets one document. */
    vmctl_report_progress_to_stderr(opts);
    run.start_us = g_get_monotonic_time();
    remote = vmctl_remote_new();
    run.remote = remote;
    g_autofree bool *members = g_new0(bool, nodes->len);
    for (guint i = 0; i < n_members; i++)
        members[i] = true;
    vmctl_setup_progress(&run, "checking %s and the %u members", nn->h.name, n_members);
    if ((rc = vmctl_setup_probe_all(&run, members)) != VMHA_RESULT_OK)
        return rc;
    vmctl_setup_progress(&run, "every host is reachable and ready");
    g_autoptr(GPtrArray) before = g_ptr_array_new();
    for (guint i = 0; i < n_members; i++)
        g_ptr_array_add(before, g_ptr_array_index(nodes, i));
    if (run.dry_run) {
        g_autoptr(GPtrArray) shared = g_ptr_array_new_with_free_func(g_free);
        if ((rc = vmctl_setup_fence_shared(opts, before, nn->h.name, shared)) != VMHA_RESULT_OK)
            return rc;
        g_ptr_array_add(shared, NULL);
        g_autofree char *ids = g_strjoinv(", ", (char **)shared->pdata);
        printf("would add %s (%s) as node %u, write this corosync.conf on every node and reload "
               "it:\n%s",
               nn->h.name, nn->h.addr, nn->nodeid, text);
        printf("would give %s the authkey and a TLS certificate of the cluster's CA, start "
               "libvirtd's TLS listener, corosync and clusterd there and wait until it is in "
               "sync\n",
               nn->h.name);
        if (*ids)
            printf("would add %s to the fence devices that fence every member: %s\n", nn->h.name,
                   ids);
        else
            printf("no fence device fences every member: %s would get none\n", nn->h.name);
        vmctl_print_ok(opts, "checked");
        return VMHA_RESULT_OK;
    }
    if (run.force && vmctl_setup_undo_interrupted(&run) < 0)
        return VMHA_RESULT_FAILURE;

    g_autofree char *dir = g_dir_make_tmp("vmctl-join-XXXXXX", NULL);
    g_autofree char *ca = g_strdup_printf("%s/cacert.pem", dir);
    g_autofree char *cakey = g_strdup_printf("%s/cakey.pem", dir);
    const char *cp_ca[] = {"cp", VMHA_PKI_DIR "/cacert.pem", ca, NULL};
    const char *cp_key[] = {"cp", VMHA_PKI_DIR "/cakey.pem", cakey, NULL};
    g_autoptr(GString) s = g_string_new("set -e\nbegin\nhalt_svc clusterd\nhalt_svc corosync\n");
    g_string_append(s, FRESH_DATABASE);
    vmctl_setup_add_put(s, COROSYNC_CONF, "0644", text, strlen(text));
    rc = VMHA_RESULT_FAILURE;
    if (!dir || vmctl_setup_run_local(cp_ca, &error) < 0 ||
        vmctl_setup_run_local(cp_key, &error) < 0 ||
        vmctl_setup_make_node_cert(dir, nn, &error) < 0 ||
        vmctl_setup_add_put_file(s, COROSYNC_AUTHKEY, "0400", COROSYNC_AUTHKEY, &error) < 0 ||
        vmctl_setup_add_tls_files(s, dir, nn, &error) < 0) {
        vmctl_error(opts, VMHA_RESULT_FAILURE, "cannot prepare %s's keys: %s", nn->h.name,
                    error ? error : "?");
        goto out;
    }
    /* The new host's files and the members' new corosync.conf at once; then the reload. */
    if (vmctl_setup_install_conf(&run, n_members, text, s->str, "installing the configuration") <
        0) {
        vmctl_setup_undo_all(&run);
        vmctl_setup_reload_again(&run);
        goto out;
    }
    vmctl_setup_progress(
            &run,
            "%s has corosync.conf, authkey and certificates; every member has it in its "
            "corosync.conf (reloaded)",
            nn->h.name);
    g_ptr_array_set_size(scripts, 0);
    for (guint i = 0; i < nodes->len; i++)
        g_ptr_array_add(scripts, i == n_members ? vmctl_setup_script(START_SERVICES, true) : NULL);
    if (vmctl_setup_run_step(&run, "starting the services", (char **)scripts->pdata, true, NULL) ||
        vmctl_setup_wait_in_sync(&run, nodes) < 0) {
        vmctl_setup_undo_all(&run);
        vmctl_setup_reload_again(&run);
        goto out;
    }
    vmctl_setup_progress(&run, "%s is in the cluster and in sync (%u nodes)", nn->h.name,
                         nodes->len);
    if (!vmctl_setup_commit_all(&run))
        vmctl_warning(opts, "could not drop the undo records everywhere");
    /* The node is in: a device it misses is a warning with its remedy, not a failed join. */
    if (vmctl_setup_fence_join(&run, before, nn->h.name, added, warnings) != VMHA_RESULT_OK)
        g_ptr_array_add(warnings,
                        g_strdup_printf("could not read the fence devices: check that one "
                                        "fences %s (vmctl fence list)",
                                        nn->h.name));
    print_done(opts, "joined", added, warnings);
    rc = VMHA_RESULT_OK;
out:
    if (dir) {
        const char *rm[] = {"rm", "-rf", dir, NULL};
        g_autofree char *ignored = NULL;
        vmctl_setup_run_local(rm, &ignored);
    }
    return rc;
}

static const char leave_usage[] = "usage: vmctl cluster leave NODE [--force] [--wait S]";

int vmctl_cmd_cluster_leave(const VmctlOptions *opts, int argc, char **argv)
{
    g_autoptr(GPtrArray) nodes =
            g_ptr_array_new_with_free_func((GDestroyNotify)vmctl_setup_node_free);
    g_autoptr(VmhaCsConf) conf = NULL;
    g_autoptr(VmctlRemote) remote = NULL;
    VmctlSetupRun run = {.verb = "leave", .wait_s = DEFAULT_WAIT_S, .opts = opts, .nodes = nodes};
    const VmctlArg args[] = {
            VMCTL_ARG_PARSED("wait", parse_wait, &run.wait_s),
            VMCTL_ARG("force", VMCTL_ARG_FLAG, &run.force),
            VMCTL_ARG_END,
    };
    VmctlOptions parsed = *opts; /* --json: main saw it (opts->json) */
    int rc;

    const char *name = vmctl_parse_operand(&parsed, args, leave_usage, VMCTL_WORD_TEXT, argc, argv);
    if (!name)
        return VMHA_RESULT_USAGE;
    if (!vmha_hostname_valid(name))
        return vmctl_error(opts, VMHA_RESULT_USAGE, "'%s' is not a valid host name", name);
    if (geteuid() != 0)
        return vmctl_error(opts, VMHA_RESULT_DENIED, "cluster leave must run as root");
    if ((rc = vmctl_setup_load_cluster(opts, &conf, nodes)) != 0)
        return rc;
    g_autofree char *error = NULL;
    guint gone = G_MAXUINT;
    for (guint i = 0; i < nodes->len; i++)
        if (g_ascii_strcasecmp(((VmctlSetupNode *)g_ptr_array_index(nodes, i))->h.name, name) == 0)
            gone = i;
    if (gone == G_MAXUINT)
        return vmctl_error(opts, VMHA_RESULT_NOT_FOUND, "'%s' is not a node of this cluster", name);
    if (((VmctlSetupNode *)g_ptr_array_index(nodes, gone))->h.local)
        return vmctl_error(opts, VMHA_RESULT_USAGE, "run this on another node than %s", name);
    if (vmha_cs_conf_remove_node(conf, name, &error) < 0)
        return vmctl_error(opts, VMHA_RESULT_REFUSED, "%s", error);
    if ((rc = vmctl_setup_require_quorate(opts)) != 0)
        return rc;
    g_autoptr(GPtrArray) left = g_ptr_array_new();
    for (guint i = 0; i < nodes->len; i++)
        if (i != gone)
            g_ptr_array_add(left, ((VmctlSetupNode *)g_ptr_array_index(nodes, i))->h.name);
    if (left->len == 2) {
        bool fenced = false;
        if ((rc = vmctl_setup_two_left_fenced(opts, left, &fenced)) != 0)
            return rc;
        if (!fenced)
            return vmctl_error(opts, VMHA_RESULT_REFUSED,
                               "leaving %s would leave a two-node cluster without a fence device "
                               "covering both nodes: add one first (vmctl fence add)",
                               name);
    }
    /* The leaving node is moved to the end: members first (install_conf_and_reload). */
    VmctlSetupNode *leaving = g_ptr_array_steal_index(nodes, gone);
    g_ptr_array_add(nodes, leaving);
    guint n_members = nodes->len - 1;
    g_autofree char *text = vmha_cs_conf_render(conf);
    /* With --json the progress lines (and a drain's) go to stderr: stdout gets one document. */
    vmctl_report_progress_to_stderr(opts);
    run.start_us = g_get_monotonic_time();

    if (!run.force) {
        vmctl_setup_progress(&run, "draining %s", name);
        g_autofree char *t = g_strdup_printf("%u", run.wait_s);
        const char *drain_args[] = {"node drain", name, "--wait", "--timeout", t, NULL};
        VmctlOptions plain = *opts;
        plain.json = false;
        rc = vmctl_cmd_node_drain(&plain, 5, (char **)drain_args);
        if (rc != VMHA_RESULT_OK) {
            vmctl_error(opts, rc, "%s was not drained: it stays in the cluster", name);
            return rc;
        }
    }
    g_autofree char *vms = NULL;
    if ((rc = vmctl_setup_vms_on(opts, name, &vms)) != 0)
        return rc;
    if (*vms)
        return vmctl_error(opts, VMHA_RESULT_REFUSED,
                           "%s still runs %s: drain it (leave without --force) or wait until they "
                           "were recovered elsewhere",
                           name, vms);

    remote = vmctl_remote_new();
    run.remote = remote;
    g_autofree bool *members = g_new0(bool, nodes->len);
    for (guint i = 0; i < nodes->len; i++)
        members[i] = true;
    vmctl_setup_progress(&run, "checking the %u nodes", nodes->len);
    rc = vmctl_setup_probe_all(&run, members);
    if (rc != VMHA_RESULT_OK)
        return rc;
    vmctl_setup_progress(&run, "every host is reachable and ready");
    if (run.force && vmctl_setup_undo_interrupted(&run) < 0)
        return VMHA_RESULT_FAILURE;

    /* The leaving host: services stopped and disabled, the cluster's files set aside. */
    g_autoptr(GString) s = g_string_new("set -e\nbegin\nstop_svc clusterd\nstop_svc corosync\n");
    const char *const files[] = {COROSYNC_CONF,
                                 COROSYNC_AUTHKEY,
                                 VMHA_STATE_DIR "/cib.xml",
                                 VMHA_STATE_DIR "/cib.xml.sig",
                                 VMHA_STATE_DIR "/cib.work.xml",
                                 VMHA_STATE_DIR "/events.jsonl",
                                 VMHA_PKI_DIR "/cakey.pem",
                                 VMHA_PKI_DIR "/cacert.pem"};
    for (size_t i = 0; i < G_N_ELEMENTS(files); i++)
        g_string_append_printf(s, "aside %s\n", files[i]);
    g_autoptr(GPtrArray) scripts = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < nodes->len; i++)
        g_ptr_array_add(scripts, i == n_members ? vmctl_setup_script(s->str, true) : NULL);
    rc = VMHA_RESULT_FAILURE;
    if (vmctl_setup_run_step(&run, "stopping the cluster's services", (char **)scripts->pdata, true,
                             NULL)) {
        vmctl_setup_undo_all(&run);
        return rc;
    }
    vmctl_setup_progress(&run, "stopped clusterd and corosync on %s", name);
    if (vmctl_setup_install_conf(&run, n_members, text, NULL, "writing the new corosync.conf") <
        0) {
        vmctl_setup_undo_all(&run);
        vmctl_setup_reload_again(&run);
        return rc;
    }
    vmctl_setup_progress(&run, "every member's corosync.conf is without %s (reloaded)", name);
    g_autoptr(GPtrArray) want = g_ptr_array_new();
    for (guint i = 0; i < n_members; i++)
        g_ptr_array_add(want, g_ptr_array_index(nodes, i));
    if (vmctl_setup_wait_in_sync(&run, want) < 0) {
        vmctl_setup_undo_all(&run);
        vmctl_setup_reload_again(&run);
        return rc;
    }
    vmctl_setup_progress(&run, "%s left the cluster (%u nodes)", name, n_members);
    if (!vmctl_setup_commit_all(&run))
        vmctl_warning(opts, "could not drop the undo records everywhere");
    g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
    if (vmctl_setup_fence_leave(&run, name, warnings) != VMHA_RESULT_OK)
        g_ptr_array_add(warnings,
                        g_strdup_printf("could not read the fence devices: check that none still "
                                        "names %s (vmctl fence list)",
                                        name));
    print_done(opts, "left", NULL, warnings);
    return VMHA_RESULT_OK;
}
