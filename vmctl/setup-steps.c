/* Steps on the hosts of `vmctl cluster setup|join|leave` (docs/vmctl.md): each a shell script
 * (remote.c: over SSH with the administrator's keys, or here directly) that records how to undo
 * what it changes in /etc/vmha/setup.undo before it changes it. A step that fails anywhere has
 * every touched host undo its record, and vmctl says which host failed and what each undid; once
 * the cluster is in sync the records are dropped (commit). Services start through systemd, or
 * through /etc/vmha/service-hook ACTION SERVICE on hosts without it (the lab's nodes). Also the
 * probe: read-only checks that every host is ready, before anything changes. */
#include "config.h"

#include <arpa/inet.h>
#include <glib/gstdio.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "client.h"
#include "corosyncconf.h"
#include "setup-steps.h"

#define STEP_TIMEOUT_S   120
#define MAX_CLOCK_SKEW_S 2.0

/* ---- shell pieces every step script starts with ---- */

static const char prelude[] =
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"
        "export PATH\n"
        "UNDO=/etc/vmha/setup.undo\n"
        "# svc ACTION SERVICE: ACTION installed|is-active|is-enabled|start|stop|enable|disable,\n"
        "# SERVICE corosync|clusterd|libvirtd-tls. /etc/vmha/service-hook when the host has one\n"
        "# (hosts without systemd), else systemd.\n"
        "svc() {\n"
        "    if [ -x /etc/vmha/service-hook ]; then\n"
        "        /etc/vmha/service-hook \"$1\" \"$2\" </dev/null\n"
        "        return\n"
        "    fi\n"
        "    if [ ! -d /run/systemd/system ]; then\n"
        "        echo \"systemd is not running and there is no /etc/vmha/service-hook\" >&2\n"
        "        return 1\n"
        "    fi\n"
        "    case \"$2\" in\n"
        "    libvirtd-tls) u=libvirtd-tls.socket ;;\n"
        "    *) u=$2.service ;;\n"
        "    esac\n"
        "    case \"$1\" in\n"
        "    installed) systemctl cat \"$u\" >/dev/null 2>&1 ;;\n"
        "    is-active | is-enabled | enable | disable) systemctl -q \"$1\" \"$u\" ;;\n"
        "    start)\n"
        "        if [ \"$2\" = libvirtd-tls ]; then\n"
        "            # libvirt's recipe: libvirtd takes the TLS socket when it starts\n"
        "            systemctl stop libvirtd.service && systemctl start libvirtd-tls.socket &&\n"
        "                systemctl start libvirtd.service\n"
        "        else\n"
        "            systemctl start \"$u\"\n"
        "        fi ;;\n"
        "    stop)\n"
        "        if [ \"$2\" = libvirtd-tls ]; then\n"
        "            systemctl stop libvirtd.service libvirtd-tls.socket &&\n"
        "                systemctl start libvirtd.service\n"
        "        else\n"
        "            systemctl stop \"$u\"\n"
        "        fi ;;\n"
        "    *) return 2 ;;\n"
        "    esac\n"
        "}\n";

/* Functions of the steps that change a host: each records its undo first. */
static const char change_funcs[] =
        "begin() {\n"
        "    mkdir -p /etc/vmha\n"
        "    if [ -e \"$UNDO\" ]; then\n"
        "        echo \"an earlier vmctl cluster setup/join/leave was interrupted here ($UNDO)\" "
        ">&2\n"
        "        exit 1\n"
        "    fi\n"
        "    : >\"$UNDO\"\n"
        "}\n"
        "# put FILE MODE <base64: installs FILE (the one it replaces kept until commit)\n"
        "put() {\n"
        "    mkdir -p \"$(dirname \"$1\")\"\n"
        "    if [ -e \"$1\" ] && [ ! -e \"$1.vmha-save\" ]; then\n"
        "        cp -a \"$1\" \"$1.vmha-save\" && echo \"restore $1\" >>\"$UNDO\"\n"
        "    else\n"
        "        echo \"remove $1\" >>\"$UNDO\"\n"
        "    fi\n"
        "    base64 -d >\"$1.vmha-new\" && chmod \"$2\" \"$1.vmha-new\" && mv -f \"$1.vmha-new\" "
        "\"$1\"\n"
        "}\n"
        "# aside FILE: moves it out of the way (back on undo, gone on commit)\n"
        "aside() {\n"
        "    [ -e \"$1\" ] || return 0\n"
        "    mv -f \"$1\" \"$1.vmha-save\" && echo \"restore $1\" >>\"$UNDO\"\n"
        "}\n"
        "# fresh FILE: whatever a started service creates there goes on undo\n"
        "fresh() { aside \"$1\" && echo \"remove $1\" >>\"$UNDO\"; }\n"
        "start_svc() {\n"
        "    if ! svc is-enabled \"$1\"; then echo \"disable $1\" >>\"$UNDO\"; svc enable \"$1\"; "
        "fi\n"
        "    if ! svc is-active \"$1\"; then echo \"stop $1\" >>\"$UNDO\"; svc start \"$1\"; fi\n"
        "}\n"
        "# halt_svc SERVICE: stops it when it runs; its start_svc follows (setup, join), so "
        "whether it\n"
        "# is enabled is start_svc's business\n"
        "halt_svc() {\n"
        "    if svc is-active \"$1\"; then echo \"start $1\" >>\"$UNDO\"; svc stop \"$1\"; fi\n"
        "}\n"
        "stop_svc() {\n"
        "    if svc is-active \"$1\"; then echo \"start $1\" >>\"$UNDO\"; svc stop \"$1\"; fi\n"
        "    if svc is-enabled \"$1\"; then echo \"enable $1\" >>\"$UNDO\"; svc disable \"$1\"; "
        "fi\n"
        "}\n";

static const char undo_script[] =
        "[ -f \"$UNDO\" ] || exit 0\n"
        "tac \"$UNDO\" >\"$UNDO.rev\"\n"
        "while read -r a f; do\n"
        "    case \"$a\" in\n"
        "    restore) mv -f \"$f.vmha-save\" \"$f\" && echo \"restored $f\" ;;\n"
        "    remove) if [ -e \"$f\" ]; then rm -rf \"$f\" && echo \"removed $f\"; fi ;;\n"
        "    stop) if svc is-active \"$f\"; then svc stop \"$f\" && echo \"stopped $f\"; fi ;;\n"
        "    start) svc start \"$f\" && echo \"started $f again\" ;;\n"
        "    enable) svc enable \"$f\" && echo \"enabled $f again\" ;;\n"
        "    disable) svc disable \"$f\" && echo \"disabled $f\" ;;\n"
        "    esac || echo \"could not undo: $a $f\"\n"
        "done <\"$UNDO.rev\"\n"
        "rm -f \"$UNDO\" \"$UNDO.rev\"\n";

static const char commit_script[] = "[ -f \"$UNDO\" ] || exit 0\n"
                                    "while read -r a f; do\n"
                                    "    [ \"$a\" != restore ] || rm -rf \"$f.vmha-save\"\n"
                                    "done <\"$UNDO\"\n"
                                    "rm -f \"$UNDO\"\n";

/* ---- hosts ---- */

void vmctl_setup_node_free(VmctlSetupNode *n)
{
    if (!n)
        return;
    g_free(n->h.name);
    g_free(n->h.addr);
    g_free(n->cluster);
    g_free(n);
}

void vmctl_setup_progress(const VmctlSetupRun *run, const char *fmt, ...)
{
    va_list ap;
    double t = (double)(g_get_monotonic_time() - run->start_us) / G_USEC_PER_SEC;

    printf("[%5.1fs] ", t);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

/* The first IPv4 address of name (else the first IPv6 one), as text. */
static char *resolve(const char *name)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    char buf[INET6_ADDRSTRLEN] = "";

    if (getaddrinfo(name, NULL, &hints, &res) != 0)
        return NULL;
    for (int want = AF_INET; want && !buf[0]; want = want == AF_INET ? AF_INET6 : 0)
        for (struct addrinfo *a = res; a && !buf[0]; a = a->ai_next) {
            if (a->ai_family != want)
                continue;
            const void *src =
                    want == AF_INET ? (const void *)&((struct sockaddr_in *)a->ai_addr)->sin_addr
                                    : (const void *)&((struct sockaddr_in6 *)a->ai_addr)->sin6_addr;
            inet_ntop(want, src, buf, sizeof(buf));
        }
    freeaddrinfo(res);
    return buf[0] ? g_strdup(buf) : NULL;
}

/* Whether addr is one of this host's own addresses. */
bool vmctl_setup_is_local_addr(const char *addr)
{
    struct ifaddrs *ifs = NULL;
    unsigned char want[16] = {0}, have[16];
    int family = strchr(addr, ':') ? AF_INET6 : AF_INET;
    bool found = false;

    if (inet_pton(family, addr, want) != 1 || getifaddrs(&ifs) < 0)
        return false;
    for (struct ifaddrs *i = ifs; i && !found; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != family)
            continue;
        memset(have, 0, sizeof(have));
        if (family == AF_INET)
            memcpy(have, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, 4);
        else
            memcpy(have, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, 16);
        found = memcmp(have, want, family == AF_INET ? 4 : 16) == 0;
    }
    freeifaddrs(ifs);
    return found;
}

/* NODE[=ADDR] into a VmctlSetupNode, its address resolved when not given. */
int vmctl_setup_node_from_arg(const VmctlOptions *opts, const char *arg, VmctlSetupNode **ret)
{
    g_autofree char *name = NULL, *addr = NULL, *error = NULL;

    if (vmha_node_arg_parse(arg, &name, &addr, &error) < 0)
        return vmctl_error(opts, VMHA_RESULT_USAGE, "%s", error);
    if (!addr && !(addr = resolve(name)))
        return vmctl_error(opts, VMHA_RESULT_USAGE,
                           "cannot resolve '%s': give its address as %s=ADDR", name, name);
    VmctlSetupNode *n = g_new0(VmctlSetupNode, 1);
    n->h.name = g_steal_pointer(&name);
    n->h.addr = g_steal_pointer(&addr);
    n->h.local = vmctl_setup_is_local_addr(n->h.addr);
    *ret = n;
    return 0;
}

/* Runs one script per node (scripts[i] for run->nodes[i]; NULL skips the node). Returns the
 * number of failures; each failure is printed as "NODE: reason" (what: the step). */
int vmctl_setup_run_step(VmctlSetupRun *run, const char *what, char **scripts, bool changes,
                         VmctlRemoteResult *ret)
{
    g_autoptr(GPtrArray) hosts = g_ptr_array_new(), texts = g_ptr_array_new();
    g_autofree size_t *index = g_new0(size_t, MAX(run->nodes->len, 1));
    g_autofree VmctlRemoteResult *res = g_new0(VmctlRemoteResult, MAX(run->nodes->len, 1));
    int failures = 0;

    for (guint i = 0; i < run->nodes->len; i++) {
        if (ret)
            ret[i] = (VmctlRemoteResult){.status = 0};
        if (!scripts[i])
            continue;
        VmctlSetupNode *n = g_ptr_array_index(run->nodes, i);
        index[hosts->len] = i;
        g_ptr_array_add(hosts, &n->h);
        g_ptr_array_add(texts, scripts[i]);
        if (changes)
            n->touched = true;
    }
    vmctl_remote_run_all(run->remote, (VmctlHost *const *)hosts->pdata,
                         (const char *const *)texts->pdata, hosts->len, STEP_TIMEOUT_S, res);
    for (guint k = 0; k < hosts->len; k++) {
        const VmctlHost *h = g_ptr_array_index(hosts, k);
        if (res[k].status != 0) {
            g_autofree char *line =
                    vmctl_remote_last_line(res[k].err && *res[k].err ? res[k].err : res[k].out);
            vmctl_error(run->opts, VMHA_RESULT_FAILURE, "%s: %s failed: %s", h->name, what,
                        res[k].status < 0 && !*line ? "timed out" : line);
            failures++;
        }
        if (ret)
            ret[index[k]] = res[k];
        else
            vmctl_remote_result_clear(&res[k]);
    }
    return failures;
}

char *vmctl_setup_script(const char *body, bool changes)
{
    return g_strconcat(prelude, changes ? change_funcs : "", body, NULL);
}

/* Every touched node undoes its record; says what each undid. */
void vmctl_setup_undo_all(VmctlSetupRun *run)
{
    g_autoptr(GPtrArray) scripts = g_ptr_array_new_with_free_func(g_free);
    g_autofree VmctlRemoteResult *res = g_new0(VmctlRemoteResult, MAX(run->nodes->len, 1));
    bool any = false;

    for (guint i = 0; i < run->nodes->len; i++) {
        VmctlSetupNode *n = g_ptr_array_index(run->nodes, i);
        g_ptr_array_add(scripts, n->touched ? vmctl_setup_script(undo_script, false) : NULL);
        any |= n->touched;
    }
    if (!any)
        return;
    vmctl_setup_progress(run, "undoing on every host it changed");
    vmctl_setup_run_step(run, "undo", (char **)scripts->pdata, false, res);
    for (guint i = 0; i < run->nodes->len; i++) {
        VmctlSetupNode *n = g_ptr_array_index(run->nodes, i);
        if (!n->touched)
            continue;
        g_auto(GStrv) lines = g_strsplit(g_strstrip(res[i].out ? res[i].out : ""), "\n", -1);
        g_autofree char *list = g_strjoinv(", ", lines);
        vmctl_error(run->opts, VMHA_RESULT_FAILURE, "%s: undone: %s", n->h.name,
                    *list ? list : "nothing to undo");
        n->touched = false;
        vmctl_remote_result_clear(&res[i]);
    }
}

bool vmctl_setup_commit_all(VmctlSetupRun *run)
{
    g_autoptr(GPtrArray) scripts = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < run->nodes->len; i++) {
        VmctlSetupNode *n = g_ptr_array_index(run->nodes, i);
        g_ptr_array_add(scripts, n->touched ? vmctl_setup_script(commit_script, false) : NULL);
    }
    return vmctl_setup_run_step(run, "commit", (char **)scripts->pdata, false, NULL) == 0;
}

/* ---- the probe: read-only checks of each host ---- */

static const char *kv(GStrv lines, const char *key)
{
    size_t n = strlen(key);
    for (size_t i = 0; lines && lines[i]; i++)
        if (strncmp(lines[i], key, n) == 0 && lines[i][n] == '=')
            return lines[i] + n + 1;
    return NULL;
}

static char *probe_script(const char *storage, const char *token, bool qdevice)
{
    g_autofree char *q = storage ? g_shell_quote(storage) : g_strdup("''");
    g_autofree char *body = g_strdup_printf(
            "echo \"hostname=$(hostname)\"\n"
            "echo \"time=$(date +%%s.%%N)\"\n"
            "for c in corosync corosync-keygen corosync-cfgtool libvirtd virsh base64 tac%s; do\n"
            "    command -v \"$c\" >/dev/null 2>&1 || echo \"missing=$c\"\n"
            "done\n"
            "if [ ! -x /etc/vmha/service-hook ] && [ ! -d /run/systemd/system ]; then\n"
            "    echo \"missing=systemd (or /etc/vmha/service-hook)\"\n"
            "else\n"
            "    for s in corosync clusterd libvirtd-tls%s; do\n"
            "        svc installed \"$s\" >/dev/null 2>&1 || echo \"missing=$s service\"\n"
            "    done\n"
            "fi\n"
            "# Debian's corosync package ships a corosync.conf (cluster_name debian, one node on\n"
            "# 127.0.0.1): unchanged, it is no cluster.\n"
            "stock=$(dpkg-query -W -f='${Conffiles}\\n' corosync 2>/dev/null |\n"
            "    awk '$1 == \"" COROSYNC_CONF "\" {print $2}')\n"
            "if [ -e " COROSYNC_CONF " ] && { [ -z \"$stock\" ] ||\n"
            "    [ \"$(md5sum <" COROSYNC_CONF " | cut -d' ' -f1)\" != \"$stock\" ]; }; then\n"
            "    echo \"cluster=$(sed -n "
            "'s/^[[:space:]]*cluster_name:[[:space:]]*//p' " COROSYNC_CONF " | head -n1)\"\n"
            "elif [ -e " COROSYNC_AUTHKEY " ] || [ -e " VMHA_STATE_DIR "/cib.xml ]; then\n"
            "    echo \"cluster=\"\n"
            "fi\n"
            "svc is-active corosync >/dev/null 2>&1 && echo corosync=running\n"
            "[ ! -e \"$UNDO\" ] || echo interrupted=yes\n"
            "if [ -n %s ]; then\n"
            "    if [ -r %s/.vmha-setup-%s ]; then echo \"storage=$(cat %s/.vmha-setup-%s)\"\n"
            "    else echo storage=missing; fi\n"
            "fi\n"
            "exit 0\n",
            qdevice ? " corosync-qdevice corosync-qdevice-net-certutil certutil" : "",
            qdevice ? " corosync-qdevice" : "", q, q, token, q, token);
    return vmctl_setup_script(body, false);
}

/* Checks every node; prints one line per problem. Returns VMHA_RESULT_OK, VMHA_RESULT_FAILURE (a
 * host unreachable or not ready) or VMHA_RESULT_REFUSED (a host in a cluster, no --force).
 * configured_ok: nodes that may be in a cluster already (join/leave: the members). */
int vmctl_setup_probe_all(VmctlSetupRun *run, const bool *configured_ok)
{
    g_autofree char *token = g_uuid_string_random();
    g_autofree char *token_path = NULL;
    g_autoptr(GPtrArray) scripts = g_ptr_array_new_with_free_func(g_free);
    g_autofree VmctlRemoteResult *res = g_new0(VmctlRemoteResult, MAX(run->nodes->len, 1));
    int rc = VMHA_RESULT_OK;

    if (run->storage) {
        token_path = g_strdup_printf("%s/.vmha-setup-%s", run->storage, token);
        g_autoptr(GError) error = NULL;
        if (!g_file_set_contents(token_path, token, -1, &error)) {
            vmctl_error(run->opts, VMHA_RESULT_FAILURE,
                        "cannot write to the shared storage %s here: %s", run->storage,
                        error->message);
            return VMHA_RESULT_FAILURE;
        }
    }
    for (guint i = 0; i < run->nodes->len; i++)
        g_ptr_array_add(scripts, probe_script(run->storage, token, run->qdevice));
    double t0 = (double)g_get_real_time() / G_USEC_PER_SEC;
    vmctl_setup_run_step(run, "the check", (char **)scripts->pdata, false, res);
    double t1 = (double)g_get_real_time() / G_USEC_PER_SEC;
    if (token_path)
        g_unlink(token_path);

    for (guint i = 0; i < run->nodes->len; i++) {
        VmctlSetupNode *n = g_ptr_array_index(run->nodes, i);
        g_auto(GStrv) lines = g_strsplit(res[i].out ? res[i].out : "", "\n", -1);
        if (res[i].status != 0) {
            rc = VMHA_RESULT_FAILURE; /* reason printed by run_step: unreachable */
            vmctl_remote_result_clear(&res[i]);
            continue;
        }
        g_autoptr(GString) missing = g_string_new(NULL);
        for (size_t l = 0; lines[l]; l++)
            if (g_str_has_prefix(lines[l], "missing="))
                g_string_append_printf(missing, "%s%s", missing->len ? ", " : "", lines[l] + 8);
        if (missing->len) {
            vmctl_error(run->opts, VMHA_RESULT_FAILURE, "%s: not ready for a cluster: missing %s",
                        n->h.name, missing->str);
            rc = VMHA_RESULT_FAILURE;
        }
        const char *t = kv(lines, "time");
        double remote = t ? g_ascii_strtod(t, NULL) : 0;
        double skew = remote < t0 ? t0 - remote : remote > t1 ? remote - t1 : 0;
        if (skew > MAX_CLOCK_SKEW_S) {
            vmctl_error(run->opts, VMHA_RESULT_FAILURE,
                        "%s: its clock is %.1f s off this host's (at most %.0f s): "
                        "synchronise the clocks (chrony, systemd-timesyncd) first",
                        n->h.name, skew, MAX_CLOCK_SKEW_S);
            rc = VMHA_RESULT_FAILURE;
        }
        const char *storage = kv(lines, "storage");
        if (run->storage && g_strcmp0(storage, token) != 0) {
            vmctl_error(run->opts, VMHA_RESULT_FAILURE,
                        "%s: %s is not the same shared storage as on this host", n->h.name,
                        run->storage);
            rc = VMHA_RESULT_FAILURE;
        }
        const char *cluster = kv(lines, "cluster");
        n->cluster = g_strdup(cluster);
        n->interrupted = kv(lines, "interrupted") != NULL;
        bool may = configured_ok && configured_ok[i];
        if (!may && (cluster || kv(lines, "corosync"))) {
            if (!run->force) {
                vmctl_error(run->opts, VMHA_RESULT_REFUSED,
                            "%s is already in %s%s%s (%s exists): --force replaces it", n->h.name,
                            cluster && *cluster ? "cluster '" : "a cluster",
                            cluster && *cluster ? cluster : "", cluster && *cluster ? "'" : "",
                            cluster ? COROSYNC_CONF : "a running corosync");
                if (rc == VMHA_RESULT_OK)
                    rc = VMHA_RESULT_REFUSED;
            }
        }
        if (n->interrupted && !run->force) {
            vmctl_error(run->opts, VMHA_RESULT_REFUSED,
                        "%s: an earlier setup, join or leave was interrupted there "
                        "(/etc/vmha/setup.undo): --force undoes it first",
                        n->h.name);
            if (rc == VMHA_RESULT_OK)
                rc = VMHA_RESULT_REFUSED;
        }
        vmctl_remote_result_clear(&res[i]);
    }
    return rc;
}

/* --force: undo what an interrupted earlier run left, first. */
int vmctl_setup_undo_interrupted(VmctlSetupRun *run)
{
    g_autoptr(GPtrArray) scripts = g_ptr_array_new_with_free_func(g_free);
    bool any = false;
    for (guint i = 0; i < run->nodes->len; i++) {
        VmctlSetupNode *n = g_ptr_array_index(run->nodes, i);
        g_ptr_array_add(scripts, n->interrupted ? vmctl_setup_script(undo_script, false) : NULL);
        any |= n->interrupted;
    }
    if (!any)
        return 0;
    vmctl_setup_progress(run, "undoing what an interrupted earlier run left (--force)");
    return vmctl_setup_run_step(run, "the undo of an interrupted run", (char **)scripts->pdata,
                                false, NULL)
                   ? -1
                   : 0;
}

int vmctl_setup_fail_undo(VmctlSetupRun *run, int code)
{
    vmctl_setup_undo_all(run);
    return code;
}
