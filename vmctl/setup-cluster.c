/* The running cluster as `vmctl cluster setup|join|leave` see it: this host's corosync.conf, the
 * local clusterd's view (quorate, in sync, which VMs run where), the new corosync.conf written on
 * every member and reloaded, and the wait until every node is in sync and in the database. */
#include "config.h"

#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "client.h"
#include "commands.h"
#include "setup-cluster.h"
#include "setup-files.h"

/* ---- waiting for clusterd ---- */

static bool socket_answers(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool ok;

    g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
    ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

/* The local clusterd's status, quietly: NULL while it cannot answer. */
static json_object *status_now(const VmctlOptions *opts)
{
    json_object *o = NULL;
    VmctlOptions quiet = *opts;
    quiet.quiet = true;
    if (!socket_answers(opts->socket))
        return NULL;
    g_autoptr(VmhaMsg) req = vmha_msg_new(VMHA_MSG_STATUS);
    return vmctl_call(&quiet, req, &o) == VMHA_RESULT_OK ? o : NULL;
}

/* Every node of want quorate, a member of the CPG group in sync, a leader, and the database's
 * nodes exactly want. *ret_line: what is missing. */
static bool all_in_sync(const VmctlSetupRun *run, json_object *st, const GPtrArray *want,
                        char **ret_line)
{
    json_object *members = vmctl_json_get(st, "members");
    json_object *db = vmctl_json_get(st, "database");
    g_autoptr(GString) missing = g_string_new(NULL);

    if (!json_object_get_boolean(vmctl_json_get(st, "quorate")))
        g_string_append(missing, "quorum");
    if (!vmctl_json_get(st, "leader"))
        g_string_append_printf(missing, "%sa leader", missing->len ? ", " : "");
    if (!json_object_get_boolean(vmctl_json_get(db, "in_sync")))
        g_string_append_printf(missing, "%sthe database in sync", missing->len ? ", " : "");
    for (guint i = 0; i < want->len; i++) {
        const VmctlSetupNode *n = g_ptr_array_index(want, i);
        json_object *m = vmctl_find_named(members, n->h.name);
        if (!m || !json_object_get_boolean(vmctl_json_get(m, "in_sync")))
            g_string_append_printf(missing, "%s%s", missing->len ? ", " : "", n->h.name);
    }
    if (!missing->len) {
        /* The database's own node list (status shows corosync's). Asked quietly: a copy not
         * yet in sync is one more thing to wait for, not a failure. */
        g_autoptr(VmhaModel) model = NULL;
        VmctlOptions quiet = *run->opts;
        quiet.quiet = true;
        bool same = vmctl_load_live_model(&quiet, "vmctl", &model) == VMHA_RESULT_OK &&
                    model->n_nodes == want->len;
        for (guint i = 0; same && i < want->len; i++)
            same = vmha_model_find_node(
                           model, ((const VmctlSetupNode *)g_ptr_array_index(want, i))->h.name) >=
                   0;
        if (!same)
            g_string_append(missing, "the database's node list");
    }
    *ret_line = missing->len ? g_strdup_printf("waiting for %s", missing->str) : NULL;
    return missing->len == 0;
}

int vmctl_setup_wait_in_sync(VmctlSetupRun *run, const GPtrArray *want)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)run->wait_s * G_USEC_PER_SEC;
    g_autofree char *last = NULL;

    for (;;) {
        g_autofree char *line = NULL;
        json_object *st = status_now(run->opts);
        bool done = st && all_in_sync(run, st, want, &line);
        if (st)
            json_object_put(st);
        else
            line = g_strdup("waiting for clusterd on this host to answer");
        if (done)
            return 0;
        if (line && g_strcmp0(line, last) != 0) {
            vmctl_setup_progress(run, "%s", line);
            g_free(last);
            last = g_steal_pointer(&line);
        }
        if (g_get_monotonic_time() >= deadline) {
            vmctl_error(run->opts, VMHA_RESULT_FAILURE,
                        "the cluster did not get in sync within %u s (%s)", run->wait_s,
                        last ? last : "?");
            return -1;
        }
        usleep(200 * 1000);
    }
}

/* "fence_lab" -> "lab-fence": the id of the device setup creates. */
static char *fence_id_of(const char *agent)
{
    g_autofree char *base = g_path_get_basename(agent);
    const char *name = g_str_has_prefix(base, "fence_") ? base + 6 : base;
    g_autofree char *id = g_strdup_printf("%s-fence", name);
    for (char *p = id; *p; p++)
        if (!g_ascii_isalnum(*p) && *p != '-')
            *p = '-';
    return g_steal_pointer(&id);
}

int vmctl_setup_add_fence_device(VmctlSetupRun *run, const char *agent, GPtrArray *fence_opts)
{
    g_autofree char *id = fence_id_of(agent);
    g_autoptr(GString) hosts = g_string_new(NULL);
    g_autoptr(GPtrArray) argv = g_ptr_array_new();

    for (guint i = 0; i < run->nodes->len; i++)
        g_string_append_printf(hosts, "%s%s", i ? "," : "",
                               ((VmctlSetupNode *)g_ptr_array_index(run->nodes, i))->h.name);
    g_ptr_array_add(argv, "fence add");
    g_ptr_array_add(argv, id);
    g_ptr_array_add(argv, (char *)agent);
    g_ptr_array_add(argv, "--hosts");
    g_ptr_array_add(argv, hosts->str);
    for (guint i = 0; i < fence_opts->len; i++)
        g_ptr_array_add(argv, g_ptr_array_index(fence_opts, i));
    g_ptr_array_add(argv, NULL);
    vmctl_setup_progress(run, "adding fence device %s (%s) for %s", id, agent, hosts->str);
    VmctlOptions plain = *run->opts;
    plain.json = false;
    return vmctl_cmd_fence_add(&plain, (int)argv->len - 1, (char **)argv->pdata) == VMHA_RESULT_OK
                   ? 0
                   : -1;
}

/* ---- join and leave: the running cluster ---- */

/* The local corosync.conf, parsed, with its nodes as Nodes (the local one marked). */
int vmctl_setup_load_cluster(const VmctlOptions *opts, VmhaCsConf **ret_conf, GPtrArray *nodes)
{
    g_autofree char *text = NULL, *error = NULL;
    g_autoptr(GError) gerr = NULL;
    g_autoptr(GPtrArray) cs = NULL;

    /* Debian's corosync package ships a corosync.conf, but no authkey: a cluster vmha made has
     * both. */
    if (access(COROSYNC_AUTHKEY, F_OK) < 0)
        return vmctl_error(opts, VMHA_RESULT_REFUSED,
                           "this host is not in a cluster (no %s): run vmctl cluster setup first",
                           COROSYNC_AUTHKEY);
    if (!g_file_get_contents(COROSYNC_CONF, &text, NULL, &gerr))
        return vmctl_error(opts, VMHA_RESULT_REFUSED,
                           "this host is not in a cluster (%s): run vmctl cluster setup first",
                           gerr->message);
    if (vmha_cs_conf_parse(text, ret_conf, &error) < 0 ||
        vmha_cs_conf_nodes(*ret_conf, &cs, &error) < 0)
        return vmctl_error(opts, VMHA_RESULT_FAILURE, "%s: %s", COROSYNC_CONF, error);
    for (guint i = 0; i < cs->len; i++) {
        const VmhaCsNode *c = g_ptr_array_index(cs, i);
        VmctlSetupNode *n = g_new0(VmctlSetupNode, 1);
        n->h.name = g_strdup(c->name);
        n->h.addr = g_strdup(c->addr);
        n->h.local = vmctl_setup_is_local_addr(c->addr);
        n->nodeid = c->nodeid;
        g_ptr_array_add(nodes, n);
    }
    return 0;
}

/* The cluster must be quorate here, its database in sync. */
int vmctl_setup_require_quorate(const VmctlOptions *opts)
{
    json_object *st = NULL;
    g_autoptr(VmhaMsg) req = vmha_msg_new(VMHA_MSG_STATUS);
    int rc = vmctl_call(opts, req, &st);
    if (rc != VMHA_RESULT_OK)
        return rc;
    bool ok = json_object_get_boolean(vmctl_json_get(st, "quorate")) &&
              json_object_get_boolean(vmctl_json_get(vmctl_json_get(st, "database"), "in_sync"));
    json_object_put(st);
    return ok ? 0
              : vmctl_error(opts, VMHA_RESULT_NO_QUORUM,
                            "the cluster is not quorate and in sync here: try again when it is");
}

/* Whether corosync here runs with the nodelist of its corosync.conf, within 10 s. The reload
 * (corosync-cfgtool -R) reaches the members of the sender's membership only: a member that was
 * joining it at that moment, back from a fence for one, keeps its old nodelist, cannot hear a
 * new node, and its ring never forms with it (test-guide: cluster join n4 just after n3's fence;
 * corosync refused every send for two minutes). Such a member reloads here. A member whose
 * corosync is not running reads the file when it starts. */
static const char took_conf[] =
        "nodes() { sort | tr '\\n' ' '; }\n"
        "want=$(sed -n 's/^[[:space:]]*name:[[:space:]]*//p' /etc/corosync/corosync.conf | nodes)\n"
        "corosync-cfgtool -s >/dev/null 2>&1 || exit 0\n"
        "for i in $(seq 50); do\n"
        "    have=$(corosync-cmapctl -b nodelist.node 2>/dev/null |\n"
        "        sed -n 's/^nodelist[.]node[.][0-9]*[.]name (str) = //p' | nodes)\n"
        "    [ \"$have\" != \"$want\" ] || exit 0\n"
        "    corosync-cfgtool -R >/dev/null 2>&1 || true\n"
        "    sleep 0.2\n"
        "done\n"
        "echo \"corosync runs with the nodes $have, not those of corosync.conf: $want\" >&2\n"
        "exit 1\n";

/* Writes conf on every member (index < n_members of run->nodes), runs `others` (a script body,
 * or NULL) on the rest at the same time, has corosync reload the file cluster-wide
 * (corosync-cfgtool -R from this host), and checks that every member's corosync took it. */
int vmctl_setup_install_conf(VmctlSetupRun *run, guint n_members, const char *conf,
                             const char *others, const char *what)
{
    g_autoptr(GPtrArray) scripts = g_ptr_array_new_with_free_func(g_free);

    for (guint i = 0; i < run->nodes->len; i++) {
        if (i >= n_members) {
            g_ptr_array_add(scripts, others ? vmctl_setup_script(others, true) : NULL);
            continue;
        }
        g_autoptr(GString) s = g_string_new("set -e\n");
        VmctlSetupNode *n = g_ptr_array_index(run->nodes, i);
        if (!n->touched)
            g_string_append(s, "begin\n");
        vmctl_setup_add_put(s, COROSYNC_CONF, "0644", conf, strlen(conf));
        g_ptr_array_add(scripts, vmctl_setup_script(s->str, true));
    }
    if (vmctl_setup_run_step(run, what, (char **)scripts->pdata, true, NULL))
        return -1;
    g_autofree char *error = NULL;
    const char *reload[] = {"corosync-cfgtool", "-R", NULL};
    if (vmctl_setup_run_local(reload, &error) < 0) {
        vmctl_error(run->opts, VMHA_RESULT_FAILURE, "reloading corosync.conf failed: %s", error);
        return -1;
    }
    g_ptr_array_set_size(scripts, 0);
    for (guint i = 0; i < run->nodes->len; i++)
        g_ptr_array_add(scripts, i < n_members ? vmctl_setup_script(took_conf, false) : NULL);
    if (vmctl_setup_run_step(run, "checking that every member's corosync took it",
                             (char **)scripts->pdata, false, NULL))
        return -1;
    return 0;
}

/* After an undo of the members' corosync.conf: the old one reloaded everywhere. */
void vmctl_setup_reload_again(VmctlSetupRun *run)
{
    g_autofree char *error = NULL;
    const char *reload[] = {"corosync-cfgtool", "-R", NULL};
    if (vmctl_setup_run_local(reload, &error) < 0)
        vmctl_error(run->opts, VMHA_RESULT_FAILURE,
                    "reloading the restored corosync.conf failed: %s", error);
    else
        vmctl_setup_progress(run, "reloaded the restored corosync.conf everywhere");
}

/* The node's VMs per `status`: running or in flight there. */
int vmctl_setup_vms_on(const VmctlOptions *opts, const char *node, char **ret_list)
{
    json_object *st = NULL;
    g_autoptr(VmhaMsg) req = vmha_msg_new(VMHA_MSG_STATUS);
    int rc = vmctl_call(opts, req, &st);
    if (rc != VMHA_RESULT_OK)
        return rc;
    g_autoptr(GString) list = g_string_new(NULL);
    json_object *vms = vmctl_json_get(st, "vms");
    for (size_t i = 0; vms && i < json_object_array_length(vms); i++) {
        json_object *vm = json_object_array_get_idx(vms, i);
        json_object *where = vmctl_json_get(vm, "nodes");
        for (size_t j = 0; where && j < json_object_array_length(where); j++)
            if (g_strcmp0(json_object_get_string(json_object_array_get_idx(where, j)), node) == 0)
                g_string_append_printf(list, "%s%s", list->len ? ", " : "",
                                       json_object_get_string(vmctl_json_get(vm, "name")));
    }
    json_object_put(st);
    *ret_list = g_string_free(g_steal_pointer(&list), FALSE);
    return 0;
}

/* Leaving two nodes needs a fence device covering both (as setup requires). */
int vmctl_setup_two_left_fenced(const VmctlOptions *opts, GPtrArray *left, bool *ret_ok)
{
    g_autoptr(VmhaModel) model = NULL;
    int rc = vmctl_load_live_model(opts, "vmctl", &model);
    if (rc != VMHA_RESULT_OK)
        return rc;
    bool all = true;
    for (guint i = 0; i < left->len; i++) {
        const char *name = g_ptr_array_index(left, i);
        bool covered = false;
        for (size_t d = 0; d < model->n_fence_devices && !covered; d++) {
            char **hosts = model->fence_devices[d].hosts;
            covered = !hosts || g_strv_contains((const char *const *)hosts, name);
        }
        all &= covered;
    }
    *ret_ok = all;
    return 0;
}

/* ---- join and leave: the fence devices ---- */

/* The fence devices as `fence list` gives them: ids and hosts (as the fencer reads them). */
typedef struct {
    char *id;
    GStrv hosts;
} FenceHosts;

static void fence_hosts_free(FenceHosts *f)
{
    g_free(f->id);
    g_strfreev(f->hosts);
    g_free(f);
}

static int fence_devices(const VmctlOptions *opts, GPtrArray **ret_devices)
{
    json_object *list = NULL;
    g_autoptr(VmhaMsg) req = vmha_msg_new(VMHA_MSG_FENCE_LIST);
    int rc = vmctl_call(opts, req, &list);
    if (rc != VMHA_RESULT_OK)
        return rc;
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)fence_hosts_free);
    json_object *devices = vmctl_json_get(list, "devices");
    for (size_t i = 0; devices && i < json_object_array_length(devices); i++) {
        json_object *d = json_object_array_get_idx(devices, i);
        json_object *hosts = vmctl_json_get(d, "hosts");
        FenceHosts *f = g_new0(FenceHosts, 1);
        f->id = g_strdup(vmctl_json_str(d, "id"));
        f->hosts = g_new0(char *, (hosts ? json_object_array_length(hosts) : 0) + 1);
        for (size_t j = 0; hosts && j < json_object_array_length(hosts); j++)
            f->hosts[j] = g_strdup(json_object_get_string(json_object_array_get_idx(hosts, j)));
        if (f->id)
            g_ptr_array_add(out, f);
        else
            fence_hosts_free(f);
    }
    json_object_put(list);
    *ret_devices = out;
    return VMHA_RESULT_OK;
}

/* `vmctl fence set ID --hosts H1,H2...` [--force], as a step: its failure is reported by the
 * command itself. */
static bool fence_set(const VmctlSetupRun *run, const char *id, char *const *hosts)
{
    g_autofree char *list = g_strjoinv(",", (char **)hosts);
    char *argv[] = {"fence set", (char *)id, "--hosts", list, NULL};
    VmctlOptions plain = *run->opts;
    plain.json = false;
    return vmctl_cmd_fence_set(&plain, 4, argv) == VMHA_RESULT_OK;
}

static bool covers(const FenceHosts *f, const char *node)
{
    return g_strv_contains((const char *const *)f->hosts, node);
}

/* A device that fences every member and not node yet. One without hosts fences no node (the
 * fencer never guesses). */
static bool shared(const FenceHosts *f, const GPtrArray *members, const char *node)
{
    bool all = f->hosts[0] && !covers(f, node);
    for (guint i = 0; all && i < members->len; i++)
        all = covers(f, ((const VmctlSetupNode *)g_ptr_array_index(members, i))->h.name);
    return all;
}

int vmctl_setup_fence_shared(const VmctlOptions *opts, const GPtrArray *members, const char *node,
                             GPtrArray *ret_ids)
{
    g_autoptr(GPtrArray) devices = NULL;
    int rc = fence_devices(opts, &devices);
    if (rc != VMHA_RESULT_OK)
        return rc;
    for (guint d = 0; d < devices->len; d++) {
        const FenceHosts *f = g_ptr_array_index(devices, d);
        if (shared(f, members, node))
            g_ptr_array_add(ret_ids, g_strdup(f->id));
    }
    return VMHA_RESULT_OK;
}

int vmctl_setup_fence_join(VmctlSetupRun *run, const GPtrArray *members, const char *node,
                           GPtrArray *ret_added, GPtrArray *ret_warnings)
{
    g_autoptr(GPtrArray) devices = NULL;
    int rc = fence_devices(run->opts, &devices);
    if (rc != VMHA_RESULT_OK)
        return rc;
    for (guint d = 0; d < devices->len; d++) {
        const FenceHosts *f = g_ptr_array_index(devices, d);
        if (!shared(f, members, node))
            continue;
        g_autoptr(GPtrArray) hosts = g_ptr_array_new();
        for (size_t i = 0; f->hosts[i]; i++)
            g_ptr_array_add(hosts, f->hosts[i]);
        g_ptr_array_add(hosts, (char *)node);
        g_ptr_array_add(hosts, NULL);
        g_autofree char *before = g_strjoinv(",", f->hosts);
        vmctl_setup_progress(run, "adding %s to fence device %s (it fences %s)", node, f->id,
                             before);
        if (fence_set(run, f->id, (char *const *)hosts->pdata))
            g_ptr_array_add(ret_added, g_strdup(f->id));
        else
            g_ptr_array_add(ret_warnings,
                            g_strdup_printf("%s was not added to fence device %s: vmctl fence set "
                                            "%s --hosts %s,%s",
                                            node, f->id, f->id, before, node));
    }
    /* What the database says now, whatever the steps above did. */
    g_clear_pointer(&devices, g_ptr_array_unref);
    if ((rc = fence_devices(run->opts, &devices)) != VMHA_RESULT_OK)
        return rc;
    bool covered = false;
    for (guint d = 0; d < devices->len && !covered; d++)
        covered = covers(g_ptr_array_index(devices, d), node);
    if (covered)
        vmctl_setup_progress(run, "%s has a fence device", node);
    else
        g_ptr_array_add(ret_warnings,
                        g_strdup_printf("no fence device fences %s: if it is lost, its VMs are "
                                        "started elsewhere only after its self-fence timeout; "
                                        "add one: vmctl fence add ID AGENT --hosts %s "
                                        "[NAME=VALUE...]",
                                        node, node));
    return VMHA_RESULT_OK;
}

int vmctl_setup_fence_leave(VmctlSetupRun *run, const char *node, GPtrArray *ret_warnings)
{
    g_autoptr(GPtrArray) devices = NULL;
    int rc = fence_devices(run->opts, &devices);
    guint changed = 0;

    if (rc != VMHA_RESULT_OK)
        return rc;
    for (guint d = 0; d < devices->len; d++) {
        const FenceHosts *f = g_ptr_array_index(devices, d);
        if (!covers(f, node))
            continue;
        g_autoptr(GPtrArray) rest = g_ptr_array_new();
        for (size_t i = 0; f->hosts[i]; i++)
            if (strcmp(f->hosts[i], node) != 0)
                g_ptr_array_add(rest, f->hosts[i]);
        g_ptr_array_add(rest, NULL);
        bool ok;
        changed++;
        if (rest->len > 1) {
            vmctl_setup_progress(run, "taking %s out of fence device %s", node, f->id);
            ok = fence_set(run, f->id, (char *const *)rest->pdata);
        } else {
            /* It fenced nothing but the node that left. */
            vmctl_setup_progress(run, "removing fence device %s (it fenced only %s)", f->id, node);
            char *argv[] = {"fence remove", f->id, "--force", NULL};
            VmctlOptions plain = *run->opts;
            plain.json = false;
            ok = vmctl_cmd_fence_remove(&plain, 3, argv) == VMHA_RESULT_OK;
        }
        if (!ok)
            g_ptr_array_add(
                    ret_warnings,
                    g_strdup_printf("fence device %s still names %s, which left", f->id, node));
    }
    if (!changed)
        vmctl_setup_progress(run, "no fence device names %s", node);
    return VMHA_RESULT_OK;
}
