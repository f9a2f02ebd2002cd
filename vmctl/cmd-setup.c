/* vmctl cluster setup | join | leave: from bare hosts to a cluster, and its membership later
 * (docs/GUIDE.md, docs/vmctl.md).
 *
 * Run as root on one of the hosts. Every step on a host is a shell script (remote.c: over SSH
 * with the administrator's keys, or here directly) that records how to undo what it changed in
 * /etc/vmha/setup.undo before it changes it; a step that fails anywhere has every touched host
 * undo its record, and vmctl says which host failed and what each undid. Once the cluster is in
 * sync the records are dropped (commit). Services start through systemd, or through
 * /etc/vmha/service-hook ACTION SERVICE on hosts without it (the lab's nodes).
 *
 * What a host gets: /etc/corosync/corosync.conf (lib/corosyncconf.c), /etc/corosync/authkey
 * (corosync-keygen, 0400), and for libvirt's TLS transport (live migration between hosts:
 * qemu+tls://) a certificate of the cluster's own CA in libvirt's default places
 * (/etc/pki/CA/cacert.pem, /etc/pki/libvirt/{server,client}cert.pem and
 * /etc/pki/libvirt/private/{server,client}key.pem); the CA itself in /etc/vmha/pki, from which
 * `join` signs a new host's certificate. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <glib/gstdio.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "commands.h"
#include "corosyncconf.h"
#include "fencedev.h"
#include "remote.h"
#include "wait.h"

#define COROSYNC_CONF    "/etc/corosync/corosync.conf"
#define COROSYNC_AUTHKEY "/etc/corosync/authkey"
#define VMHA_PKI_DIR     "/etc/vmha/pki"
#define CA_CERT          "/etc/pki/CA/cacert.pem"
#define STEP_TIMEOUT_S   120
#define MAX_CLOCK_SKEW_S 2.0
#define DEFAULT_WAIT_S   120
/* The database a new member starts from: none (clusterd makes an empty one and adopts the
 * cluster's); whatever was there is set aside, and what clusterd writes goes on undo. */
#define FRESH_DATABASE                                                                             \
    "fresh " VMHA_STATE_DIR "/cib.xml\nfresh " VMHA_STATE_DIR                                      \
    "/cib.xml.sig\nfresh " VMHA_STATE_DIR "/cib.work.xml\n"

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

typedef struct {
    VmctlHost h;
    uint32_t nodeid;
    /* what the probe found */
    char *cluster;    /* the cluster it is configured for ("" when unnamed), NULL when none */
    bool interrupted; /* an earlier run left its undo record */
    bool touched;     /* a changing step ran: undo on failure */
} Node;

static void node_free(Node *n)
{
    if (!n)
        return;
    g_free(n->h.name);
    g_free(n->h.addr);
    g_free(n->cluster);
    g_free(n);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Node, node_free)

typedef struct {
    const char *verb; /* "setup", "join", "leave" */
    bool dry_run;
    bool force;
    unsigned wait_s;
    const char *storage;
    VmctlRemote *remote;
    GPtrArray *nodes; /* Node* */
    gint64 start_us;
    const VmctlOptions *opts;
} Run;

static void progress(const Run *run, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void progress(const Run *run, const char *fmt, ...)
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
static bool is_local_addr(const char *addr)
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

/* NODE[=ADDR] into a Node, its address resolved when not given. */
static int node_from_arg(const VmctlOptions *opts, const char *arg, Node **ret)
{
    g_autofree char *name = NULL, *addr = NULL, *error = NULL;

    if (vmha_node_arg_parse(arg, &name, &addr, &error) < 0)
        return vmctl_error(opts, VMHA_RESULT_USAGE, "%s", error);
    if (!addr && !(addr = resolve(name)))
        return vmctl_error(opts, VMHA_RESULT_USAGE,
                           "cannot resolve '%s': give its address as %s=ADDR", name, name);
    Node *n = g_new0(Node, 1);
    n->h.name = g_steal_pointer(&name);
    n->h.addr = g_steal_pointer(&addr);
    n->h.local = is_local_addr(n->h.addr);
    *ret = n;
    return 0;
}

/* Runs one script per node (scripts[i] for run->nodes[i]; NULL skips the node). Returns the
 * number of failures; each failure is printed as "NODE: reason" (what: the step). */
static int run_step(Run *run, const char *what, char **scripts, bool changes,
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
        Node *n = g_ptr_array_index(run->nodes, i);
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
            fprintf(stderr, "vmctl: %s: %s failed: %s\n", h->name, what,
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

static char *script_of(const char *body, bool changes)
{
    return g_strconcat(prelude, changes ? change_funcs : "", body, NULL);
}

/* Every touched node undoes its record; says what each undid. */
static void undo_all(Run *run)
{
    g_autoptr(GPtrArray) scripts = g_ptr_array_new_with_free_func(g_free);
    g_autofree VmctlRemoteResult *res = g_new0(VmctlRemoteResult, MAX(run->nodes->len, 1));
    bool any = false;

    for (guint i = 0; i < run->nodes->len; i++) {
        Node *n = g_ptr_array_index(run->nodes, i);
        g_ptr_array_add(scripts, n->touched ? script_of(undo_script, false) : NULL);
        any |= n->touched;
    }
    if (!any)
        return;
    progress(run, "undoing on every host it changed");
    run_step(run, "undo", (char **)scripts->pdata, false, res);
    for (guint i = 0; i < run->nodes->len; i++) {
        Node *n = g_ptr_array_index(run->nodes, i);
        if (!n->touched)
            continue;
        g_auto(GStrv) lines = g_strsplit(g_strstrip(res[i].out ? res[i].out : ""), "\n", -1);
        g_autofree char *list = g_strjoinv(", ", lines);
        fprintf(stderr, "vmctl: %s: undone: %s\n", n->h.name, *list ? list : "nothing to undo");
        n->touched = false;
        vmctl_remote_result_clear(&res[i]);
    }
}

static bool commit_all(Run *run)
{
    g_autoptr(GPtrArray) scripts = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < run->nodes->len; i++) {
        Node *n = g_ptr_array_index(run->nodes, i);
        g_ptr_array_add(scripts, n->touched ? script_of(commit_script, false) : NULL);
    }
    return run_step(run, "commit", (char **)scripts->pdata, false, NULL) == 0;
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

static char *probe_script(const char *storage, const char *token)
{
    g_autofree char *q = storage ? g_shell_quote(storage) : g_strdup("''");
    g_autofree char *body = g_strdup_printf(
            "echo \"hostname=$(hostname)\"\n"
            "echo \"time=$(date +%%s.%%N)\"\n"
            "for c in corosync corosync-keygen corosync-cfgtool libvirtd virsh base64 tac; do\n"
            "    command -v \"$c\" >/dev/null 2>&1 || echo \"missing=$c\"\n"
            "done\n"
            "if [ ! -x /etc/vmha/service-hook ] && [ ! -d /run/systemd/system ]; then\n"
            "    echo \"missing=systemd (or /etc/vmha/service-hook)\"\n"
            "else\n"
            "    for s in corosync clusterd libvirtd-tls; do\n"
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
            q, q, token, q, token);
    return script_of(body, false);
}

/* Checks every node; prints one line per problem. Returns VMHA_RESULT_OK, VMHA_RESULT_FAILURE (a
 * host unreachable or not ready) or VMHA_RESULT_REFUSED (a host in a cluster, no --force).
 * configured_ok: nodes that may be in a cluster already (join/leave: the members). */
static int probe_all(Run *run, const bool *configured_ok)
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
            fprintf(stderr, "vmctl: cannot write to the shared storage %s here: %s\n", run->storage,
                    error->message);
            return VMHA_RESULT_FAILURE;
        }
    }
    for (guint i = 0; i < run->nodes->len; i++)
        g_ptr_array_add(scripts, probe_script(run->storage, token));
    double t0 = (double)g_get_real_time() / G_USEC_PER_SEC;
    run_step(run, "the check", (char **)scripts->pdata, false, res);
    double t1 = (double)g_get_real_time() / G_USEC_PER_SEC;
    if (token_path)
        g_unlink(token_path);

    for (guint i = 0; i < run->nodes->len; i++) {
        Node *n = g_ptr_array_index(run->nodes, i);
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
            fprintf(stderr, "vmctl: %s: not ready for a cluster: missing %s\n", n->h.name,
                    missing->str);
            rc = VMHA_RESULT_FAILURE;
        }
        const char *t = kv(lines, "time");
        double remote = t ? g_ascii_strtod(t, NULL) : 0;
        double skew = remote < t0 ? t0 - remote : remote > t1 ? remote - t1 : 0;
        if (skew > MAX_CLOCK_SKEW_S) {
            fprintf(stderr,
                    "vmctl: %s: its clock is %.1f s off this host's (at most %.0f s): "
                    "synchronise the clocks (chrony, systemd-timesyncd) first\n",
                    n->h.name, skew, MAX_CLOCK_SKEW_S);
            rc = VMHA_RESULT_FAILURE;
        }
        const char *storage = kv(lines, "storage");
        if (run->storage && g_strcmp0(storage, token) != 0) {
            fprintf(stderr, "vmctl: %s: %s is not the same shared storage as on this host\n",
                    n->h.name, run->storage);
            rc = VMHA_RESULT_FAILURE;
        }
        const char *cluster = kv(lines, "cluster");
        n->cluster = g_strdup(cluster);
        n->interrupted = kv(lines, "interrupted") != NULL;
        bool may = configured_ok && configured_ok[i];
        if (!may && (cluster || kv(lines, "corosync"))) {
            if (!run->force) {
                fprintf(stderr, "vmctl: %s is already in %s%s%s (%s exists): --force replaces it\n",
                        n->h.name, cluster && *cluster ? "cluster '" : "a cluster",
                        cluster && *cluster ? cluster : "", cluster && *cluster ? "'" : "",
                        cluster ? COROSYNC_CONF : "a running corosync");
                if (rc == VMHA_RESULT_OK)
                    rc = VMHA_RESULT_REFUSED;
            }
        }
        if (n->interrupted && !run->force) {
            fprintf(stderr,
                    "vmctl: %s: an earlier setup, join or leave was interrupted there "
                    "(/etc/vmha/setup.undo): --force undoes it first\n",
                    n->h.name);
            if (rc == VMHA_RESULT_OK)
                rc = VMHA_RESULT_REFUSED;
        }
        vmctl_remote_result_clear(&res[i]);
    }
    return rc;
}

/* --force: undo what an interrupted earlier run left, first. */
static int undo_interrupted(Run *run)
{
    g_autoptr(GPtrArray) scripts = g_ptr_array_new_with_free_func(g_free);
    bool any = false;
    for (guint i = 0; i < run->nodes->len; i++) {
        Node *n = g_ptr_array_index(run->nodes, i);
        g_ptr_array_add(scripts, n->interrupted ? script_of(undo_script, false) : NULL);
        any |= n->interrupted;
    }
    if (!any)
        return 0;
    progress(run, "undoing what an interrupted earlier run left (--force)");
    return run_step(run, "the undo of an interrupted run", (char **)scripts->pdata, false, NULL)
                   ? -1
                   : 0;
}

/* ---- local helpers: files, certificates ---- */

static int run_local(const char *const *argv, char **ret_error)
{
    g_autofree char *err = NULL;
    g_autoptr(GError) error = NULL;
    int status = 0;

    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                      NULL, NULL, NULL, &err, &status, &error)) {
        *ret_error = g_strdup_printf("%s: %s", argv[0], error->message);
        return -1;
    }
    if (!g_spawn_check_wait_status(status, NULL)) {
        g_autofree char *line = vmctl_remote_last_line(err);
        *ret_error = g_strdup_printf("%s failed: %s", argv[0], line);
        return -1;
    }
    return 0;
}

/* Appends `put PATH MODE` with the file's content. */
static int add_put(GString *s, const char *path, const char *mode, const char *content, gsize len)
{
    g_autofree char *b64 = g_base64_encode((const guchar *)content, len);
    g_string_append_printf(s, "put %s %s <<'VMHA_EOF'\n", path, mode);
    for (size_t off = 0, n = strlen(b64); off < n; off += 76)
        g_string_append_printf(s, "%.76s\n", b64 + off);
    g_string_append(s, "VMHA_EOF\n");
    return 0;
}

static int add_put_file(GString *s, const char *path, const char *mode, const char *from,
                        char **ret_error)
{
    g_autofree char *content = NULL;
    gsize len = 0;
    g_autoptr(GError) error = NULL;
    if (!g_file_get_contents(from, &content, &len, &error)) {
        *ret_error = g_strdup(error->message);
        return -1;
    }
    return add_put(s, path, mode, content, len);
}

/* A key and certificate for node (server and client: libvirt uses both), signed by the CA in
 * dir (cacert.pem, cakey.pem); written to dir/NAME-cert.pem, dir/NAME-key.pem. */
static int make_node_cert(const char *dir, const Node *n, char **ret_error)
{
    g_autofree char *key = g_strdup_printf("%s/%s-key.pem", dir, n->h.name);
    g_autofree char *csr = g_strdup_printf("%s/%s.csr", dir, n->h.name);
    g_autofree char *cert = g_strdup_printf("%s/%s-cert.pem", dir, n->h.name);
    g_autofree char *ext = g_strdup_printf("%s/%s.ext", dir, n->h.name);
    g_autofree char *ca = g_strdup_printf("%s/cacert.pem", dir);
    g_autofree char *cakey = g_strdup_printf("%s/cakey.pem", dir);
    g_autofree char *subj = g_strdup_printf("/O=vmha/CN=%s", n->h.name);
    g_autofree char *exts = g_strdup_printf("basicConstraints=critical,CA:FALSE\n"
                                            "keyUsage=digitalSignature,keyEncipherment\n"
                                            "extendedKeyUsage=serverAuth,clientAuth\n"
                                            "subjectAltName=DNS:%s,IP:%s\n",
                                            n->h.name, n->h.addr);
    guint8 rnd[8];
    for (size_t i = 0; i < sizeof(rnd); i++)
        rnd[i] = (guint8)g_random_int_range(0, 256);
    rnd[0] &= 0x7f;
    g_autofree char *serial = g_strdup_printf("0x%02x%02x%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1],
                                              rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
    if (!g_file_set_contents(ext, exts, -1, NULL)) {
        *ret_error = g_strdup("cannot write a temporary file");
        return -1;
    }
    const char *req[] = {"openssl",
                         "req",
                         "-new",
                         "-newkey",
                         "ec",
                         "-pkeyopt",
                         "ec_paramgen_curve:prime256v1",
                         "-nodes",
                         "-keyout",
                         key,
                         "-out",
                         csr,
                         "-subj",
                         subj,
                         NULL};
    const char *sign[] = {"openssl", "x509",     "-req", "-in",         csr,    "-CA",
                          ca,        "-CAkey",   cakey,  "-set_serial", serial, "-days",
                          "3650",    "-extfile", ext,    "-out",        cert,   NULL};
    return run_local(req, ret_error) < 0 || run_local(sign, ret_error) < 0 ? -1 : 0;
}

static int make_ca(const char *dir, const char *cluster, char **ret_error)
{
    g_autofree char *key = g_strdup_printf("%s/cakey.pem", dir);
    g_autofree char *cert = g_strdup_printf("%s/cacert.pem", dir);
    g_autofree char *subj = g_strdup_printf("/O=vmha/CN=vmha cluster %s CA", cluster);
    const char *argv[] = {"openssl",
                          "req",
                          "-x509",
                          "-new",
                          "-newkey",
                          "ec",
                          "-pkeyopt",
                          "ec_paramgen_curve:prime256v1",
                          "-nodes",
                          "-keyout",
                          key,
                          "-out",
                          cert,
                          "-days",
                          "3650",
                          "-subj",
                          subj,
                          "-addext",
                          "basicConstraints=critical,CA:TRUE",
                          "-addext",
                          "keyUsage=critical,keyCertSign,cRLSign",
                          NULL};
    return run_local(argv, ret_error);
}

/* The TLS files of one node: the CA (also its key, for later joins) and the node's own. */
static int add_tls_files(GString *s, const char *dir, const Node *n, char **ret_error)
{
    g_autofree char *ca = g_strdup_printf("%s/cacert.pem", dir);
    g_autofree char *cakey = g_strdup_printf("%s/cakey.pem", dir);
    g_autofree char *cert = g_strdup_printf("%s/%s-cert.pem", dir, n->h.name);
    g_autofree char *key = g_strdup_printf("%s/%s-key.pem", dir, n->h.name);

    if (add_put_file(s, CA_CERT, "0644", ca, ret_error) < 0 ||
        add_put_file(s, VMHA_PKI_DIR "/cacert.pem", "0644", ca, ret_error) < 0 ||
        add_put_file(s, VMHA_PKI_DIR "/cakey.pem", "0400", cakey, ret_error) < 0 ||
        add_put_file(s, "/etc/pki/libvirt/servercert.pem", "0644", cert, ret_error) < 0 ||
        add_put_file(s, "/etc/pki/libvirt/clientcert.pem", "0644", cert, ret_error) < 0 ||
        add_put_file(s, "/etc/pki/libvirt/private/serverkey.pem", "0600", key, ret_error) < 0 ||
        add_put_file(s, "/etc/pki/libvirt/private/clientkey.pem", "0600", key, ret_error) < 0)
        return -1;
    return 0;
}

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
    quiet.json = false;
    if (!socket_answers(opts->socket))
        return NULL;
    g_autoptr(VmhaMsg) req = vmha_msg_new(VMHA_MSG_STATUS);
    int saved = dup(STDERR_FILENO);
    FILE *null = fopen("/dev/null", "w");
    if (null) {
        fflush(stderr);
        dup2(fileno(null), STDERR_FILENO);
    }
    int rc = vmctl_call(&quiet, req, &o);
    if (null) {
        fflush(stderr);
        dup2(saved, STDERR_FILENO);
        fclose(null);
    }
    close(saved);
    return rc == VMHA_RESULT_OK ? o : NULL;
}

/* Every node of want quorate, a member of the CPG group in sync, a leader, and the database's
 * nodes exactly want. *ret_line: what is missing. */
static bool all_in_sync(const Run *run, json_object *st, const GPtrArray *want, char **ret_line)
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
        const Node *n = g_ptr_array_index(want, i);
        json_object *m = vmctl_find_named(members, n->h.name);
        if (!m || !json_object_get_boolean(vmctl_json_get(m, "in_sync")))
            g_string_append_printf(missing, "%s%s", missing->len ? ", " : "", n->h.name);
    }
    if (!missing->len) {
        /* The database's own node list (status shows corosync's). */
        g_autoptr(VmhaModel) model = NULL;
        bool same = vmctl_load_live_model(run->opts, "vmctl", &model) == VMHA_RESULT_OK &&
                    model->n_nodes == want->len;
        for (guint i = 0; same && i < want->len; i++)
            same = vmha_model_find_node(model,
                                        ((const Node *)g_ptr_array_index(want, i))->h.name) >= 0;
        if (!same)
            g_string_append(missing, "the database's node list");
    }
    *ret_line = missing->len ? g_strdup_printf("waiting for %s", missing->str) : NULL;
    return missing->len == 0;
}

static int wait_in_sync(Run *run, const GPtrArray *want)
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
            progress(run, "%s", line);
            g_free(last);
            last = g_steal_pointer(&line);
        }
        if (g_get_monotonic_time() >= deadline) {
            fprintf(stderr, "vmctl: the cluster did not get in sync within %u s (%s)\n",
                    run->wait_s, last ? last : "?");
            return -1;
        }
        usleep(200 * 1000);
    }
}

/* ---- vmctl cluster setup ---- */

static const char setup_usage[] =
        "usage: vmctl cluster setup --name NAME [--token MS] [--fence AGENT "
        "[--fence-option NAME=VALUE]...] [--storage PATH] [--wait S] [--force] [--dry-run] "
        "NODE[=ADDR]...";

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

static int add_fence_device(Run *run, const char *agent, GPtrArray *fence_opts)
{
    g_autofree char *id = fence_id_of(agent);
    g_autoptr(GString) hosts = g_string_new(NULL);
    g_autoptr(GPtrArray) argv = g_ptr_array_new();

    for (guint i = 0; i < run->nodes->len; i++)
        g_string_append_printf(hosts, "%s%s", i ? "," : "",
                               ((Node *)g_ptr_array_index(run->nodes, i))->h.name);
    g_ptr_array_add(argv, "fence add");
    g_ptr_array_add(argv, id);
    g_ptr_array_add(argv, (char *)agent);
    g_ptr_array_add(argv, "--hosts");
    g_ptr_array_add(argv, hosts->str);
    for (guint i = 0; i < fence_opts->len; i++)
        g_ptr_array_add(argv, g_ptr_array_index(fence_opts, i));
    g_ptr_array_add(argv, NULL);
    progress(run, "adding fence device %s (%s) for %s", id, agent, hosts->str);
    VmctlOptions plain = *run->opts;
    plain.json = false;
    return vmctl_cmd_fence_add(&plain, (int)argv->len - 1, (char **)argv->pdata) == VMHA_RESULT_OK
                   ? 0
                   : -1;
}

static int fail_undo(Run *run, int code)
{
    undo_all(run);
    return code;
}

int vmctl_cmd_cluster_setup(const VmctlOptions *opts, int argc, char **argv)
{
    static const struct option long_options[] = {
            {"name", required_argument, NULL, 'n'},
            {"token", required_argument, NULL, 't'},
            {"fence", required_argument, NULL, 'F'},
            {"fence-option", required_argument, NULL, 'o'},
            {"storage", required_argument, NULL, 's'},
            {"wait", required_argument, NULL, 'w'},
            {"force", no_argument, NULL, 'f'},
            {"dry-run", no_argument, NULL, 'd'},
            {NULL, 0, NULL, 0},
    };
    const char *name = NULL, *agent = NULL;
    unsigned token = VMHA_CS_TOKEN_DEFAULT_MS;
    g_autoptr(GPtrArray) fence_opts = g_ptr_array_new();
    g_autoptr(VmctlRemote) remote = NULL;
    g_autoptr(GPtrArray) nodes = g_ptr_array_new_with_free_func((GDestroyNotify)node_free);
    g_autoptr(GPtrArray) scripts = g_ptr_array_new_with_free_func(g_free);
    Run run = {.verb = "setup", .wait_s = DEFAULT_WAIT_S, .opts = opts, .nodes = nodes};
    int c;

    optind = 0;
    while ((c = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
        guint64 v = 0;
        switch (c) {
        case 'n':
            name = optarg;
            break;
        case 't':
            if (!g_ascii_string_to_unsigned(optarg, 10, VMHA_CS_TOKEN_MIN_MS, VMHA_CS_TOKEN_MAX_MS,
                                            &v, NULL))
                return vmctl_fail(VMHA_RESULT_USAGE, "bad --token '%s': %u to %u (ms)", optarg,
                                  VMHA_CS_TOKEN_MIN_MS, VMHA_CS_TOKEN_MAX_MS);
            token = (unsigned)v;
            break;
        case 'F':
            agent = optarg;
            break;
        case 'o':
            g_ptr_array_add(fence_opts, optarg);
            break;
        case 's':
            run.storage = optarg;
            break;
        case 'w':
            if (vmctl_parse_timeout(optarg, &run.wait_s) < 0)
                return vmctl_fail(VMHA_RESULT_USAGE, "bad --wait '%s': seconds, 1 to 86400",
                                  optarg);
            break;
        case 'f':
            run.force = true;
            break;
        case 'd':
            run.dry_run = true;
            break;
        default:
            return vmctl_fail(VMHA_RESULT_USAGE, "%s", setup_usage);
        }
    }
    if (!name || optind >= argc)
        return vmctl_fail(VMHA_RESULT_USAGE, "%s", setup_usage);
    if (!vmha_cluster_name_valid(name))
        return vmctl_fail(VMHA_RESULT_USAGE,
                          "bad cluster name '%s': 1 to 32 letters, digits, '_' or '-'", name);
    if (run.storage && !g_path_is_absolute(run.storage))
        return vmctl_fail(VMHA_RESULT_USAGE, "--storage needs an absolute path");
    if (agent && !vmha_fence_agent_valid(agent))
        return vmctl_fail(VMHA_RESULT_USAGE,
                          "bad fence agent '%s': fence_NAME (lower case) or an absolute path",
                          agent);
    if (fence_opts->len && !agent)
        return vmctl_fail(VMHA_RESULT_USAGE, "--fence-option without --fence AGENT");
    if (agent) {
        g_autofree char *err = NULL;
        g_ptr_array_add(fence_opts, NULL);
        if (vmha_fence_options_check((const char *const *)fence_opts->pdata, &err) < 0)
            return vmctl_fail(VMHA_RESULT_USAGE, "%s", err);
        g_ptr_array_remove_index(fence_opts, fence_opts->len - 1);
    }
    for (int i = optind; i < argc; i++) {
        Node *n = NULL;
        int r = node_from_arg(opts, argv[i], &n);
        if (r != 0)
            return r;
        n->nodeid = (uint32_t)(i - optind + 1);
        g_ptr_array_add(nodes, n);
    }
    g_autofree const VmhaCsNode **cs = g_new0(const VmhaCsNode *, nodes->len);
    g_autofree VmhaCsNode *cs_store = g_new0(VmhaCsNode, nodes->len);
    for (guint i = 0; i < nodes->len; i++) {
        Node *n = g_ptr_array_index(nodes, i);
        cs_store[i] = (VmhaCsNode){.name = n->h.name, .addr = n->h.addr, .nodeid = n->nodeid};
        cs[i] = &cs_store[i];
    }
    VmhaCsSpec spec = {.cluster_name = name,
                       .token_ms = token,
                       .nodes = (const VmhaCsNode *const *)cs,
                       .n_nodes = nodes->len};
    g_autofree char *spec_error = NULL;
    if (vmha_cs_spec_check(&spec, &spec_error) < 0)
        return vmctl_fail(VMHA_RESULT_USAGE, "%s", spec_error);
    if (nodes->len == 2 && !agent)
        return vmctl_fail(VMHA_RESULT_USAGE,
                          "a two-node cluster needs a fence device (--fence AGENT): with "
                          "two_node each host alone stays quorate, so only fencing keeps both "
                          "from running the same VMs");
    guint n_local = 0;
    for (guint i = 0; i < nodes->len; i++)
        n_local += ((Node *)g_ptr_array_index(nodes, i))->h.local;
    if (n_local != 1)
        return vmctl_fail(VMHA_RESULT_REFUSED,
                          n_local ? "two of the nodes have addresses of this host"
                                  : "run this on one of the nodes: none of their addresses is "
                                    "this host's (give NODE=ADDR)");
    if (geteuid() != 0)
        return vmctl_fail(VMHA_RESULT_DENIED, "cluster setup must run as root");
    g_autofree char *conf = vmha_cs_render_spec(&spec);

    run.start_us = g_get_monotonic_time();
    remote = vmctl_remote_new();
    run.remote = remote;
    progress(&run, "checking %u hosts", nodes->len);
    int rc = probe_all(&run, NULL);
    if (rc != VMHA_RESULT_OK)
        return rc;
    progress(&run, "every host is reachable and ready");
    if (run.dry_run) {
        printf("would write this corosync.conf on %u hosts, with a new authkey (0400), a "
               "cluster CA and a TLS certificate per host for libvirt:\n%s",
               nodes->len, conf);
        printf("would enable and start libvirtd's TLS listener, corosync and clusterd on every "
               "host, then wait until all %u are in sync%s\n",
               nodes->len, agent ? " and add the fence device" : "");
        return VMHA_RESULT_OK;
    }
    if (run.force && undo_interrupted(&run) < 0)
        return VMHA_RESULT_FAILURE;

    /* Key and certificates, made here in a private directory. */
    g_autofree char *dir = g_dir_make_tmp("vmctl-setup-XXXXXX", NULL);
    g_autofree char *error = NULL;
    g_autofree char *keyfile = g_strdup_printf("%s/authkey", dir);
    const char *keygen[] = {"corosync-keygen", "-k", keyfile, NULL};
    if (!dir || run_local(keygen, &error) < 0 || make_ca(dir, name, &error) < 0) {
        fprintf(stderr, "vmctl: cannot make the cluster's keys: %s\n", error ? error : "?");
        rc = VMHA_RESULT_FAILURE;
        goto out;
    }
    for (guint i = 0; i < nodes->len && rc == VMHA_RESULT_OK; i++)
        if (make_node_cert(dir, g_ptr_array_index(nodes, i), &error) < 0) {
            fprintf(stderr, "vmctl: cannot make a certificate: %s\n", error);
            rc = VMHA_RESULT_FAILURE;
        }
    if (rc != VMHA_RESULT_OK)
        goto out;
    progress(&run, "made the corosync key and the cluster's CA and host certificates");

    /* Install: stop what runs (--force), set the old database aside, write the files. */
    for (guint i = 0; i < nodes->len && rc == VMHA_RESULT_OK; i++) {
        Node *n = g_ptr_array_index(nodes, i);
        g_autoptr(GString) s = g_string_new("set -e\nbegin\n");
        g_string_append(s, "stop_svc clusterd\nstop_svc corosync\n");
        g_string_append(s, FRESH_DATABASE);
        add_put(s, COROSYNC_CONF, "0644", conf, strlen(conf));
        if (add_put_file(s, COROSYNC_AUTHKEY, "0400", keyfile, &error) < 0 ||
            add_tls_files(s, dir, n, &error) < 0) {
            fprintf(stderr, "vmctl: %s\n", error);
            rc = VMHA_RESULT_FAILURE;
            break;
        }
        g_ptr_array_add(scripts, script_of(s->str, true));
    }
    if (rc != VMHA_RESULT_OK)
        goto out;
    if (run_step(&run, "installing the configuration", (char **)scripts->pdata, true, NULL)) {
        rc = fail_undo(&run, VMHA_RESULT_FAILURE);
        goto out;
    }
    progress(&run, "installed corosync.conf, authkey and certificates on every host");

    g_ptr_array_set_size(scripts, 0);
    for (guint i = 0; i < nodes->len; i++)
        g_ptr_array_add(scripts, script_of("set -e\nstart_svc libvirtd-tls\nstart_svc "
                                           "corosync\nstart_svc clusterd\n",
                                           true));
    if (run_step(&run, "starting the services", (char **)scripts->pdata, true, NULL)) {
        rc = fail_undo(&run, VMHA_RESULT_FAILURE);
        goto out;
    }
    progress(&run, "started libvirtd's TLS listener, corosync and clusterd on every host");
    if (wait_in_sync(&run, nodes) < 0) {
        rc = fail_undo(&run, VMHA_RESULT_FAILURE);
        goto out;
    }
    progress(&run, "all %u nodes quorate and in sync", nodes->len);
    if (agent && add_fence_device(&run, agent, fence_opts) < 0) {
        rc = fail_undo(&run, VMHA_RESULT_FAILURE);
        goto out;
    }
    if (!commit_all(&run))
        fprintf(stderr, "vmctl: warning: could not drop the undo records everywhere\n");
    progress(&run, "cluster '%s' is up: %u nodes", name, nodes->len);
out:
    if (dir) {
        g_autofree char *cmd = NULL;
        const char *rm[] = {"rm", "-rf", dir, NULL};
        g_autofree char *ignored = NULL;
        run_local(rm, &ignored);
    }
    return rc;
}

/* ---- join and leave: the running cluster ---- */

/* The local corosync.conf, parsed, with its nodes as Nodes (the local one marked). */
static int load_cluster(const VmctlOptions *opts, VmhaCsConf **ret_conf, GPtrArray *nodes)
{
    g_autofree char *text = NULL, *error = NULL;
    g_autoptr(GError) gerr = NULL;
    g_autoptr(GPtrArray) cs = NULL;

    /* Debian's corosync package ships a corosync.conf, but no authkey: a cluster vmha made has
     * both. */
    if (access(COROSYNC_AUTHKEY, F_OK) < 0)
        return vmctl_fail(VMHA_RESULT_REFUSED,
                          "this host is not in a cluster (no %s): run vmctl cluster setup first",
                          COROSYNC_AUTHKEY);
    if (!g_file_get_contents(COROSYNC_CONF, &text, NULL, &gerr))
        return vmctl_fail(VMHA_RESULT_REFUSED,
                          "this host is not in a cluster (%s): run vmctl cluster setup first",
                          gerr->message);
    if (vmha_cs_conf_parse(text, ret_conf, &error) < 0 ||
        vmha_cs_conf_nodes(*ret_conf, &cs, &error) < 0)
        return vmctl_fail(VMHA_RESULT_FAILURE, "%s: %s", COROSYNC_CONF, error);
    for (guint i = 0; i < cs->len; i++) {
        const VmhaCsNode *c = g_ptr_array_index(cs, i);
        Node *n = g_new0(Node, 1);
        n->h.name = g_strdup(c->name);
        n->h.addr = g_strdup(c->addr);
        n->h.local = is_local_addr(c->addr);
        n->nodeid = c->nodeid;
        g_ptr_array_add(nodes, n);
    }
    return 0;
}

/* The cluster must be quorate here, its database in sync. */
static int require_quorate(const VmctlOptions *opts)
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
              : vmctl_fail(VMHA_RESULT_NO_QUORUM,
                           "the cluster is not quorate and in sync here: try again when it is");
}

/* Writes conf on every member (index < n_members of run->nodes), runs `others` (a script body,
 * or NULL) on the rest at the same time, and has corosync reload the file cluster-wide
 * (corosync-cfgtool -R from this host). */
static int install_conf_and_reload(Run *run, guint n_members, const char *conf, const char *others,
                                   const char *what)
{
    g_autoptr(GPtrArray) scripts = g_ptr_array_new_with_free_func(g_free);

    for (guint i = 0; i < run->nodes->len; i++) {
        if (i >= n_members) {
            g_ptr_array_add(scripts, others ? script_of(others, true) : NULL);
            continue;
        }
        g_autoptr(GString) s = g_string_new("set -e\n");
        Node *n = g_ptr_array_index(run->nodes, i);
        if (!n->touched)
            g_string_append(s, "begin\n");
        add_put(s, COROSYNC_CONF, "0644", conf, strlen(conf));
        g_ptr_array_add(scripts, script_of(s->str, true));
    }
    if (run_step(run, what, (char **)scripts->pdata, true, NULL))
        return -1;
    g_autofree char *error = NULL;
    const char *reload[] = {"corosync-cfgtool", "-R", NULL};
    if (run_local(reload, &error) < 0) {
        fprintf(stderr, "vmctl: reloading corosync.conf failed: %s\n", error);
        return -1;
    }
    return 0;
}

/* After an undo of the members' corosync.conf: the old one reloaded everywhere. */
static void reload_again(Run *run)
{
    g_autofree char *error = NULL;
    const char *reload[] = {"corosync-cfgtool", "-R", NULL};
    if (run_local(reload, &error) < 0)
        fprintf(stderr, "vmctl: reloading the restored corosync.conf failed: %s\n", error);
    else
        progress(run, "reloaded the restored corosync.conf everywhere");
}

static const char join_usage[] =
        "usage: vmctl cluster join NODE[=ADDR] [--storage PATH] [--wait S] [--force] "
        "[--dry-run]";

int vmctl_cmd_cluster_join(const VmctlOptions *opts, int argc, char **argv)
{
    static const struct option long_options[] = {
            {"storage", required_argument, NULL, 's'},
            {"wait", required_argument, NULL, 'w'},
            {"force", no_argument, NULL, 'f'},
            {"dry-run", no_argument, NULL, 'd'},
            {NULL, 0, NULL, 0},
    };
    g_autoptr(GPtrArray) nodes = g_ptr_array_new_with_free_func((GDestroyNotify)node_free);
    g_autoptr(VmhaCsConf) conf = NULL;
    g_autoptr(VmctlRemote) remote = NULL;
    g_autoptr(GPtrArray) scripts = g_ptr_array_new_with_free_func(g_free);
    Run run = {.verb = "join", .wait_s = DEFAULT_WAIT_S, .opts = opts, .nodes = nodes};
    int c, rc;

    optind = 0;
    while ((c = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
        switch (c) {
        case 's':
            run.storage = optarg;
            break;
        case 'w':
            if (vmctl_parse_timeout(optarg, &run.wait_s) < 0)
                return vmctl_fail(VMHA_RESULT_USAGE, "bad --wait '%s'", optarg);
            break;
        case 'f':
            run.force = true;
            break;
        case 'd':
            run.dry_run = true;
            break;
        default:
            return vmctl_fail(VMHA_RESULT_USAGE, "%s", join_usage);
        }
    }
    if (optind + 1 != argc)
        return vmctl_fail(VMHA_RESULT_USAGE, "%s", join_usage);
    if (run.storage && !g_path_is_absolute(run.storage))
        return vmctl_fail(VMHA_RESULT_USAGE, "--storage needs an absolute path");
    g_autoptr(Node) new_node = NULL;
    if ((rc = node_from_arg(opts, argv[optind], &new_node)) != 0)
        return rc;
    if (geteuid() != 0)
        return vmctl_fail(VMHA_RESULT_DENIED, "cluster join must run as root");
    if ((rc = load_cluster(opts, &conf, nodes)) != 0)
        return rc;
    guint n_members = nodes->len;
    bool here = false;
    for (guint i = 0; i < n_members; i++)
        here |= ((Node *)g_ptr_array_index(nodes, i))->h.local;
    if (!here)
        return vmctl_fail(VMHA_RESULT_USAGE, "run this on a node of the cluster");
    new_node->nodeid = vmha_cs_conf_next_nodeid(conf);
    VmhaCsNode cs = {
            .name = new_node->h.name, .addr = new_node->h.addr, .nodeid = new_node->nodeid};
    g_autofree char *error = NULL;
    if (vmha_cs_conf_add_node(conf, &cs, &error) < 0)
        return vmctl_fail(VMHA_RESULT_USAGE, "%s", error);
    if ((rc = require_quorate(opts)) != 0)
        return rc;
    g_autofree char *text = vmha_cs_conf_render(conf);
    g_ptr_array_add(nodes, g_steal_pointer(&new_node));
    Node *nn = g_ptr_array_index(nodes, n_members);

    run.start_us = g_get_monotonic_time();
    remote = vmctl_remote_new();
    run.remote = remote;
    g_autofree bool *members = g_new0(bool, nodes->len);
    for (guint i = 0; i < n_members; i++)
        members[i] = true;
    progress(&run, "checking %s and the %u members", nn->h.name, n_members);
    if ((rc = probe_all(&run, members)) != VMHA_RESULT_OK)
        return rc;
    progress(&run, "every host is reachable and ready");
    if (run.dry_run) {
        printf("would add %s (%s) as node %u, write this corosync.conf on every node and reload "
               "it:\n%s",
               nn->h.name, nn->h.addr, nn->nodeid, text);
        printf("would give %s the authkey and a TLS certificate of the cluster's CA, start "
               "libvirtd's TLS listener, corosync and clusterd there and wait until it is in "
               "sync\n",
               nn->h.name);
        return VMHA_RESULT_OK;
    }
    if (run.force && undo_interrupted(&run) < 0)
        return VMHA_RESULT_FAILURE;

    g_autofree char *dir = g_dir_make_tmp("vmctl-join-XXXXXX", NULL);
    g_autofree char *ca = g_strdup_printf("%s/cacert.pem", dir);
    g_autofree char *cakey = g_strdup_printf("%s/cakey.pem", dir);
    const char *cp_ca[] = {"cp", VMHA_PKI_DIR "/cacert.pem", ca, NULL};
    const char *cp_key[] = {"cp", VMHA_PKI_DIR "/cakey.pem", cakey, NULL};
    g_autoptr(GString) s = g_string_new("set -e\nbegin\nstop_svc clusterd\nstop_svc corosync\n");
    g_string_append(s, FRESH_DATABASE);
    add_put(s, COROSYNC_CONF, "0644", text, strlen(text));
    rc = VMHA_RESULT_FAILURE;
    if (!dir || run_local(cp_ca, &error) < 0 || run_local(cp_key, &error) < 0 ||
        make_node_cert(dir, nn, &error) < 0 ||
        add_put_file(s, COROSYNC_AUTHKEY, "0400", COROSYNC_AUTHKEY, &error) < 0 ||
        add_tls_files(s, dir, nn, &error) < 0) {
        fprintf(stderr, "vmctl: cannot prepare %s's keys: %s\n", nn->h.name, error ? error : "?");
        goto out;
    }
    g_string_append(s, "start_svc libvirtd-tls\n");
    /* The new host's files and the members' new corosync.conf at once; then the reload. */
    if (install_conf_and_reload(&run, n_members, text, s->str, "installing the configuration") <
        0) {
        undo_all(&run);
        reload_again(&run);
        goto out;
    }
    progress(&run,
             "%s has corosync.conf, authkey and certificates; every member has it in its "
             "corosync.conf (reloaded)",
             nn->h.name);
    g_ptr_array_set_size(scripts, 0);
    for (guint i = 0; i < nodes->len; i++)
        g_ptr_array_add(scripts, i == n_members ? script_of("set -e\nstart_svc corosync\nstart_svc "
                                                            "clusterd\n",
                                                            true)
                                                : NULL);
    if (run_step(&run, "starting the services", (char **)scripts->pdata, true, NULL) ||
        wait_in_sync(&run, nodes) < 0) {
        undo_all(&run);
        reload_again(&run);
        goto out;
    }
    progress(&run, "%s is in the cluster and in sync (%u nodes)", nn->h.name, nodes->len);
    if (!commit_all(&run))
        fprintf(stderr, "vmctl: warning: could not drop the undo records everywhere\n");
    rc = VMHA_RESULT_OK;
out:
    if (dir) {
        const char *rm[] = {"rm", "-rf", dir, NULL};
        g_autofree char *ignored = NULL;
        run_local(rm, &ignored);
    }
    return rc;
}

static const char leave_usage[] = "usage: vmctl cluster leave NODE [--force] [--wait S]";

/* The node's VMs per `status`: running or in flight there. */
static int vms_on(const VmctlOptions *opts, const char *node, char **ret_list)
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
static int two_left_fenced(const VmctlOptions *opts, GPtrArray *left, bool *ret_ok)
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

int vmctl_cmd_cluster_leave(const VmctlOptions *opts, int argc, char **argv)
{
    static const struct option long_options[] = {
            {"wait", required_argument, NULL, 'w'},
            {"force", no_argument, NULL, 'f'},
            {NULL, 0, NULL, 0},
    };
    g_autoptr(GPtrArray) nodes = g_ptr_array_new_with_free_func((GDestroyNotify)node_free);
    g_autoptr(VmhaCsConf) conf = NULL;
    g_autoptr(VmctlRemote) remote = NULL;
    Run run = {.verb = "leave", .wait_s = DEFAULT_WAIT_S, .opts = opts, .nodes = nodes};
    int c, rc;

    optind = 0;
    while ((c = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
        switch (c) {
        case 'w':
            if (vmctl_parse_timeout(optarg, &run.wait_s) < 0)
                return vmctl_fail(VMHA_RESULT_USAGE, "bad --wait '%s'", optarg);
            break;
        case 'f':
            run.force = true;
            break;
        default:
            return vmctl_fail(VMHA_RESULT_USAGE, "%s", leave_usage);
        }
    }
    if (optind + 1 != argc)
        return vmctl_fail(VMHA_RESULT_USAGE, "%s", leave_usage);
    const char *name = argv[optind];
    if (!vmha_hostname_valid(name))
        return vmctl_fail(VMHA_RESULT_USAGE, "'%s' is not a valid host name", name);
    if (geteuid() != 0)
        return vmctl_fail(VMHA_RESULT_DENIED, "cluster leave must run as root");
    if ((rc = load_cluster(opts, &conf, nodes)) != 0)
        return rc;
    g_autofree char *error = NULL;
    guint gone = G_MAXUINT;
    for (guint i = 0; i < nodes->len; i++)
        if (g_ascii_strcasecmp(((Node *)g_ptr_array_index(nodes, i))->h.name, name) == 0)
            gone = i;
    if (gone == G_MAXUINT)
        return vmctl_fail(VMHA_RESULT_NOT_FOUND, "'%s' is not a node of this cluster", name);
    if (((Node *)g_ptr_array_index(nodes, gone))->h.local)
        return vmctl_fail(VMHA_RESULT_USAGE, "run this on another node than %s", name);
    if (vmha_cs_conf_remove_node(conf, name, &error) < 0)
        return vmctl_fail(VMHA_RESULT_REFUSED, "%s", error);
    if ((rc = require_quorate(opts)) != 0)
        return rc;
    g_autoptr(GPtrArray) left = g_ptr_array_new();
    for (guint i = 0; i < nodes->len; i++)
        if (i != gone)
            g_ptr_array_add(left, ((Node *)g_ptr_array_index(nodes, i))->h.name);
    if (left->len == 2) {
        bool fenced = false;
        if ((rc = two_left_fenced(opts, left, &fenced)) != 0)
            return rc;
        if (!fenced)
            return vmctl_fail(VMHA_RESULT_REFUSED,
                              "leaving %s would leave a two-node cluster without a fence device "
                              "covering both nodes: add one first (vmctl fence add)",
                              name);
    }
    /* The leaving node is moved to the end: members first (install_conf_and_reload). */
    Node *leaving = g_ptr_array_steal_index(nodes, gone);
    g_ptr_array_add(nodes, leaving);
    guint n_members = nodes->len - 1;
    g_autofree char *text = vmha_cs_conf_render(conf);
    run.start_us = g_get_monotonic_time();

    if (!run.force) {
        progress(&run, "draining %s", name);
        g_autofree char *t = g_strdup_printf("%u", run.wait_s);
        const char *args[] = {"node drain", name, "--wait", "--timeout", t, NULL};
        VmctlOptions plain = *opts;
        plain.json = false;
        rc = vmctl_cmd_node_drain(&plain, 5, (char **)args);
        if (rc != VMHA_RESULT_OK) {
            fprintf(stderr, "vmctl: %s was not drained: it stays in the cluster\n", name);
            return rc;
        }
    }
    g_autofree char *vms = NULL;
    if ((rc = vms_on(opts, name, &vms)) != 0)
        return rc;
    if (*vms)
        return vmctl_fail(VMHA_RESULT_REFUSED,
                          "%s still runs %s: drain it (leave without --force) or wait until they "
                          "were recovered elsewhere",
                          name, vms);

    remote = vmctl_remote_new();
    run.remote = remote;
    g_autofree bool *members = g_new0(bool, nodes->len);
    for (guint i = 0; i < nodes->len; i++)
        members[i] = true;
    progress(&run, "checking the %u nodes", nodes->len);
    rc = probe_all(&run, members);
    if (rc != VMHA_RESULT_OK)
        return rc;
    progress(&run, "every host is reachable and ready");
    if (run.force && undo_interrupted(&run) < 0)
        return VMHA_RESULT_FAILURE;

    /* The leaving host: services stopped and disabled, the cluster's files set aside. */
    g_autoptr(GString) s = g_string_new("set -e\nbegin\nstop_svc clusterd\nstop_svc corosync\n");
    const char *const files[] = {COROSYNC_CONF,
                                 COROSYNC_AUTHKEY,
                                 VMHA_STATE_DIR "/cib.xml",
                                 VMHA_STATE_DIR "/cib.xml.sig",
                                 VMHA_STATE_DIR "/cib.work.xml",
                                 VMHA_PKI_DIR "/cakey.pem",
                                 VMHA_PKI_DIR "/cacert.pem"};
    for (size_t i = 0; i < G_N_ELEMENTS(files); i++)
        g_string_append_printf(s, "aside %s\n", files[i]);
    g_autoptr(GPtrArray) scripts = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < nodes->len; i++)
        g_ptr_array_add(scripts, i == n_members ? script_of(s->str, true) : NULL);
    rc = VMHA_RESULT_FAILURE;
    if (run_step(&run, "stopping the cluster's services", (char **)scripts->pdata, true, NULL)) {
        undo_all(&run);
        return rc;
    }
    progress(&run, "stopped clusterd and corosync on %s", name);
    if (install_conf_and_reload(&run, n_members, text, NULL, "writing the new corosync.conf") < 0) {
        undo_all(&run);
        reload_again(&run);
        return rc;
    }
    progress(&run, "every member's corosync.conf is without %s (reloaded)", name);
    g_autoptr(GPtrArray) want = g_ptr_array_new();
    for (guint i = 0; i < n_members; i++)
        g_ptr_array_add(want, g_ptr_array_index(nodes, i));
    if (wait_in_sync(&run, want) < 0) {
        undo_all(&run);
        reload_again(&run);
        return rc;
    }
    progress(&run, "%s left the cluster (%u nodes)", name, n_members);
    if (!commit_all(&run))
        fprintf(stderr, "vmctl: warning: could not drop the undo records everywhere\n");
    return VMHA_RESULT_OK;
}
