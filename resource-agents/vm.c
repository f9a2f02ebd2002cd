/* vm: OCF resource agent for one libvirt VM with quick migration. See vm.8. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "domaindef.h"
#include "health.h"
#include "imagestore.h"
#include "launchguard.h"
#include "lockconf.h"
#include "metadata.h"
#include "params.h"
#include "retry.h"
#include "saveimage.h"
#include "storage.h"
#include "virt.h"
#include "vmha/ocf.h"
#include "vmstate.h"

/* libvirt's configuration directory (qemu:///system reads its qemu.conf there). */
#define VM_LIBVIRT_CONF_DIR "/etc/libvirt"
/* A healthy child of libvirtd execs qemu within milliseconds of its fork. */
#define LAUNCH_STALL_US (5 * G_USEC_PER_SEC)
#define LAUNCH_ATTEMPTS 3

typedef struct {
    VmParams *params;
    const char *action;
    char *xml; /* the config file's text */
    VmhaDomainDef *dom;
    int64_t config_mtime_us;
    virConnectPtr conn;
    gint64 start_us;       /* monotonic time the agent started */
    gint64 retry_deadline; /* until when an unreachable libvirtd is waited for */
} VmAgent;

static void vm_agent_clear(VmAgent *a)
{
    vm_params_free(a->params);
    g_free(a->xml);
    vmha_domaindef_free(a->dom);
    if (a->conn)
        virConnectClose(a->conn);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(VmAgent, vm_agent_clear)

/* One line per failure on stderr, the OCF exit reason: Pacemaker and clusterd keep it with the
 * operation's result (clusterd shows it in `vmctl status`). Put what matters first: it is cut
 * at 128 characters. */
/* The exit reason, written once as the agent exits: a later failure's reason (blame_storage)
 * replaces an earlier one, and Pacemaker and clusterd read one line. */
static char *exit_reason;

static void write_exit_reason(void)
{
    if (exit_reason)
        fprintf(stderr, "ocf-exit-reason:%s\n", exit_reason);
    g_clear_pointer(&exit_reason, g_free);
}

static int fail(const VmAgent *a, int code, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static int fail(const VmAgent *a, int code, const char *fmt, ...)
{
    va_list ap;

    g_free(exit_reason);
    va_start(ap, fmt);
    exit_reason = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_strdelimit(exit_reason, "\r\n", ' ');
    return code;
}

static void note(const VmAgent *a, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void note(const VmAgent *a, const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    fprintf(stderr, "vm[%s] %s: %s\n", a->params->instance ? a->params->instance : "-", a->action,
            msg);
}

/* ---- the local record of which domain this resource runs (so stop works without the config) */

static char *cache_path(const VmAgent *a)
{
    if (!a->params->instance || strchr(a->params->instance, '/'))
        return NULL;
    return g_strdup_printf("%s/vm/%s", VMHA_RUN_DIR, a->params->instance);
}

static void cache_write(const VmAgent *a)
{
    g_autofree char *path = cache_path(a);
    g_autofree char *dir = NULL;

    if (!path)
        return;
    dir = g_path_get_dirname(path);
    if (g_mkdir_with_parents(dir, 0700) == 0)
        (void)g_file_set_contents(path, a->dom->name, -1, NULL);
}

static void cache_remove(const VmAgent *a)
{
    g_autofree char *path = cache_path(a);
    if (path)
        unlink(path);
}

static char *cache_read(const VmAgent *a)
{
    g_autofree char *path = cache_path(a);
    char *name = NULL;

    if (path && g_file_get_contents(path, &name, NULL, NULL) && *name)
        return name;
    g_free(name);
    return NULL;
}

/* The health check's state between monitor runs, beside that record. */
static char *health_path(const VmAgent *a)
{
    g_autofree char *path = cache_path(a);
    return path ? g_strconcat(path, ".health", NULL) : NULL;
}

static bool health_load(const VmAgent *a, VmHealthState *ret)
{
    g_autofree char *path = health_path(a);
    g_autofree char *buf = NULL;
    gsize len;

    return path && g_file_get_contents(path, &buf, &len, NULL) &&
           vm_health_state_parse(buf, len, ret) == 0;
}

static void health_save(const VmAgent *a, const VmHealthState *st)
{
    g_autofree char *path = health_path(a);
    g_autofree char *dir = NULL, *data = NULL;

    if (!path)
        return;
    dir = g_path_get_dirname(path);
    data = vm_health_state_format(st);
    if (g_mkdir_with_parents(dir, 0700) < 0 || !g_file_set_contents(path, data, -1, NULL))
        note(a, "cannot keep the health check's state in %s", path);
}

static void health_forget(const VmAgent *a)
{
    g_autofree char *path = health_path(a);
    if (path)
        unlink(path);
}

/* ---- config and connection */

static int load_config_full(VmAgent *a, gboolean quiet);
static int load_config(VmAgent *a)
{
    return load_config_full(a, FALSE);
}

/* Returns OCF_SUCCESS, OCF_ERR_INSTALLED when the file cannot be read (shared storage not mounted
 * here?), OCF_ERR_CONFIGURED when it is not a usable definition. */
static int load_config_full(VmAgent *a, gboolean quiet)
{
    g_autoptr(GError) err = NULL;
    gsize len;
    struct stat st;

    if (!a->params->config)
        return fail(a, OCF_ERR_CONFIGURED, "parameter 'config' is required");
    if (!g_path_is_absolute(a->params->config))
        return fail(a, OCF_ERR_CONFIGURED, "config '%s' is not an absolute path",
                    a->params->config);
    if (stat(a->params->config, &st) < 0 ||
        !g_file_get_contents(a->params->config, &a->xml, &len, &err)) {
        if (quiet)
            return OCF_ERR_INSTALLED;
        return fail(a, OCF_ERR_INSTALLED, "cannot read config %s: %s", a->params->config,
                    err ? err->message : g_strerror(errno));
    }
    a->config_mtime_us = (int64_t)st.st_mtim.tv_sec * G_USEC_PER_SEC + st.st_mtim.tv_nsec / 1000;
    if (vmha_domaindef_parse(a->xml, len, &a->dom, &err) < 0)
        return fail(a, OCF_ERR_CONFIGURED, "config %s: %s", a->params->config, err->message);
    return OCF_SUCCESS;
}

/* After libvirtd could not be reached: pauses and returns true while there is time to try
 * again, false once the operation must report (see retry.h). */
static bool wait_for_libvirtd(const VmAgent *a, unsigned attempt, const char *error)
{
    if (!vm_retry_again(g_get_monotonic_time(), a->retry_deadline, attempt))
        return false;
    if (attempt == 0)
        note(a, "libvirtd unreachable (%s); trying again for up to %.0f s", error,
             (double)(a->retry_deadline - g_get_monotonic_time()) / G_USEC_PER_SEC);
    g_usleep((gulong)vm_retry_delay_us(attempt));
    return true;
}

static int connect_hypervisor(VmAgent *a)
{
    for (unsigned attempt = 0;; attempt++) {
        g_autofree char *error = NULL;

        if (vm_virt_open(a->params->hypervisor, &a->conn, &error) == 0) {
            if (attempt > 0)
                note(a, "libvirtd answers again");
            return OCF_SUCCESS;
        }
        if (!vm_virt_error_unreachable())
            return fail(a, OCF_ERR_GENERIC, "%s", error);
        if (!wait_for_libvirtd(a, attempt, error))
            return fail(a, OCF_ERR_GENERIC, "libvirtd unreachable: %s", error);
    }
}

/* A new connection after the old one broke (libvirtd restarted under us). */
static int reconnect(VmAgent *a)
{
    g_clear_pointer(&a->conn, virConnectClose);
    return connect_hypervisor(a);
}

/* One look at domain @name: the OCF result, or -1 with *ret_error when libvirt failed. */
static int domain_status_once(VmAgent *a, const char *name, char **ret_error)
{
    g_autoptr(virDomain) dom = NULL;
    int state, reason, r;

    r = vm_virt_lookup(a->conn, name, &dom, ret_error);
    if (r < 0)
        return -1;
    if (r == 0)
        return OCF_NOT_RUNNING;
    if (vm_virt_state(dom, &state, &reason, ret_error) < 0)
        return -1;
    r = vm_state_to_ocf(state, reason);
    if (r == OCF_ERR_GENERIC)
        return fail(a, r, "domain %s is %s (reason %d)", name, vm_state_to_string(state), reason);
    return r;
}

/* OCF result for domain @name on this host; OCF_ERR_GENERIC when libvirt cannot tell, because a
 * VM that may be running must never be reported as stopped. A libvirtd that went away is waited
 * for until shortly before the operation's timeout: that is not a VM failure. */
static int domain_status(VmAgent *a, const char *name)
{
    for (unsigned attempt = 0;; attempt++) {
        g_autofree char *error = NULL;
        int r = domain_status_once(a, name, &error);

        if (r >= 0)
            return r;
        if (!vm_virt_error_unreachable())
            return fail(a, OCF_ERR_GENERIC, "%s", error);
        if (!wait_for_libvirtd(a, attempt, error))
            return fail(a, OCF_ERR_GENERIC, "libvirtd unreachable, state of %s unknown: %s", name,
                        error);
        if ((r = reconnect(a)) != OCF_SUCCESS)
            return r;
    }
}

/* When a save or live migration must give up so that the agent still reports before the operation
 * times out: 5 s before, or never when no timeout is known. */
static gint64 job_deadline(const VmAgent *a)
{
    if (a->params->timeout_ms <= 10000)
        return 0;
    return a->start_us + (gint64)(a->params->timeout_ms - 5000) * 1000;
}

static unsigned int shutdown_timeout(const VmAgent *a)
{
    if (a->params->shutdown_timeout > 0)
        return a->params->shutdown_timeout;
    if (a->params->timeout_ms >= 11000)
        return (unsigned int)(a->params->timeout_ms / 1000 - 10);
    return 1;
}

/* ---- storage: the VM Component Protection check (storage.h) */

/* The local disks of running domain @dom: from libvirt's live definition (hot-plugged disks
 * included), else from the config; NULL when neither is known. */
static GPtrArray *domain_disks(const VmAgent *a, virDomainPtr dom)
{
    g_autofree char *xml = vm_virt_get_xml(dom);
    GPtrArray *disks = xml ? vm_storage_disks_from_xml(xml, strlen(xml)) : NULL;

    if (!disks && a->xml)
        disks = vm_storage_disks_from_xml(a->xml, strlen(a->xml));
    return disks;
}

/* The errno of reaching disk @d from here, 0 when it is reachable: opening it is what a lost LUN
 * refuses and what NFS revalidates (a hung server hangs it: the monitor then times out, a failure
 * too); a writable disk must also still be writable (*ret_write_check: a file system gone
 * read-only). */
static int disk_error(const VmDisk *d, bool *ret_write_check)
{
    struct stat st;
    int fd, err = 0;

    *ret_write_check = false;
    fd = open(d->path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    if (fstat(fd, &st) < 0)
        err = errno;
    close(fd);
    if (err == 0 && !d->readonly && !S_ISBLK(st.st_mode) && access(d->path, W_OK) < 0 &&
        errno == EROFS) {
        *ret_write_check = true;
        err = EROFS;
    }
    return err;
}

/* NULL when every disk of @dom is reachable here, or nothing can be told; else why not. */
static char *storage_problem(const VmAgent *a, virDomainPtr dom)
{
    g_autoptr(GPtrArray) disks = domain_disks(a, dom);

    for (guint i = 0; disks && i < disks->len; i++) {
        const VmDisk *d = g_ptr_array_index(disks, i);
        bool write_check;
        int err = disk_error(d, &write_check);

        if (vm_storage_verdict(err) == VM_DISK_LOST)
            return vm_storage_problem(d->path, err, write_check);
    }
    return NULL;
}

/* NULL when this host reaches the domain's config and every local disk of it (as the config
 * names them), else why not (vm_storage_start_problem). What a start or restore needs from the
 * shared storage: a start that failed for want of it is marked so (blame_storage), and
 * validate-all passing again is how clusterd learns that the storage is back. */
static char *start_storage_problem(const VmAgent *a)
{
    g_autoptr(GPtrArray) disks = NULL;
    struct stat st;

    if (!a->params->config || !g_path_is_absolute(a->params->config))
        return NULL;
    if (stat(a->params->config, &st) < 0) {
        int err = errno;
        return vm_storage_verdict(err) == VM_DISK_LOST
                       ? vm_storage_start_problem(a->params->config, err, false)
                       : NULL;
    }
    if (a->xml)
        disks = vm_storage_disks_from_xml(a->xml, strlen(a->xml));
    for (guint i = 0; disks && i < disks->len; i++) {
        const VmDisk *d = g_ptr_array_index(disks, i);
        bool write_check;
        int err = disk_error(d, &write_check);

        if (vm_storage_verdict(err) == VM_DISK_LOST)
            return vm_storage_start_problem(d->path, err, write_check);
    }
    return NULL;
}

/* A start or restore that failed (r) while the shared storage is unreachable from here says so
 * first in its exit reason: its failure then bans the VM from this node only until the storage
 * is back (clusterd's storage watch), not until an administrator's cleanup. */
static int blame_storage(VmAgent *a, int r)
{
    g_autofree char *problem = NULL;

    if (r == OCF_SUCCESS || r == OCF_ERR_ARGS || r == OCF_ERR_UNIMPLEMENTED)
        return r;
    if (!a->xml && a->params->config) /* the start stopped before reading it */
        (void)g_file_get_contents(a->params->config, &a->xml, NULL, NULL);
    if (!(problem = start_storage_problem(a)))
        return r;
    return fail(a, r, "%s", problem);
}

/* A running domain whose disks this host cannot reach any more fails its monitor: the cluster
 * stops it here and starts it on a host that reaches them (a start here fails while the storage
 * is gone, which keeps it away from this host). */
static int check_storage(VmAgent *a, const char *name)
{
    g_autoptr(virDomain) dom = NULL;
    g_autofree char *error = NULL, *problem = NULL;

    if (vm_virt_lookup(a->conn, name, &dom, &error) <= 0)
        return OCF_SUCCESS; /* gone meanwhile or libvirtd away: the next monitor tells */
    if ((problem = storage_problem(a, dom)))
        return fail(a, OCF_ERR_GENERIC, "%s", problem);
    return OCF_SUCCESS;
}

/* ---- actions */

/* The optional guest health check of a recurring monitor (health.h): OCF_ERR_GENERIC when the
 * guest stopped giving signs of life, so that the VM is recovered as after any failed monitor.
 * Whatever keeps the agent from observing (libvirtd gone, the config unreadable) gives no
 * verdict: only the guest's own silence fails it. */
static int check_health(VmAgent *a, const char *name)
{
    VmHealthMode mode = a->params->health_check;
    g_autoptr(virDomain) dom = NULL;
    g_autofree char *error = NULL, *instance = NULL, *reason = NULL;
    VmHealthState prev = {0}, next = {0};
    int state, why;

    if (mode == VM_HEALTH_NONE)
        return OCF_SUCCESS;
    if (vm_virt_lookup(a->conn, name, &dom, &error) <= 0 ||
        vm_virt_state(dom, &state, &why, &error) < 0 || !(instance = vm_virt_get_instance(dom)))
        return OCF_SUCCESS;
    VmHealthObservation obs = {
            .instance = instance,
            .now_us = g_get_monotonic_time(),
            .paused = state == VIR_DOMAIN_PAUSED || state == VIR_DOMAIN_PMSUSPENDED,
            .console_size = -1,
    };
    if (mode == VM_HEALTH_CONSOLE) {
        g_autofree char *log = a->xml ? vm_health_console_log(a->xml, strlen(a->xml)) : NULL;
        struct stat st;
        if (!log) {
            if (!a->dom)
                return OCF_SUCCESS; /* config unreadable: cannot tell where the console goes */
            return fail(a, OCF_ERR_CONFIGURED,
                        "health_check=console but the domain has no serial console to a file");
        }
        if (stat(log, &st) == 0)
            obs.console_size = (int64_t)st.st_size;
    } else if (!obs.paused) {
        /* A ping that cannot wait longer than the check allows, nor than the monitor has. */
        int wait_s = (int)CLAMP(a->params->health_timeout_ms / 1000 / 2, 1, 5);
        g_clear_pointer(&error, g_free);
        if (vm_virt_agent_ping(dom, wait_s, &error) == 0)
            obs.agent_answered = true;
        else if (vm_virt_error_unreachable())
            return OCF_SUCCESS;
    }
    bool had = health_load(a, &prev);
    bool healthy = vm_health_judge(mode, had ? &prev : NULL, &obs,
                                   (int64_t)a->params->health_timeout_ms * 1000, &next, &reason);
    health_save(a, &next);
    vm_health_state_clear(&prev);
    vm_health_state_clear(&next);
    if (!healthy)
        return fail(a, OCF_ERR_GENERIC, "%s", reason);
    return OCF_SUCCESS;
}

/* Whether the health check last found this very run of the domain hung: then a stop need not
 * ask the guest to shut down (it cannot), it resets it at once. */
static bool health_failed(const VmAgent *a, virDomainPtr dom)
{
    VmHealthState st = {0};
    g_autofree char *instance = vm_virt_get_instance(dom);
    bool failed =
            instance && health_load(a, &st) && st.failed && g_strcmp0(st.instance, instance) == 0;

    vm_health_state_clear(&st);
    return failed;
}

/* Whether @path (a directory) lies on the file system of @ref_dev or below one of the shared
 * directories. */
static gboolean dir_on_shared_storage(const VmAgent *a, const char *path, dev_t ref_dev)
{
    struct stat st;

    for (char **d = a->params->shared_dirs; *d; d++) {
        g_autofree char *prefix =
                g_str_has_suffix(*d, "/") ? g_strdup(*d) : g_strconcat(*d, "/", NULL);
        if (**d && (g_str_has_prefix(path, prefix) || strcmp(path, *d) == 0))
            return TRUE;
    }
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode) && st.st_dev == ref_dev;
}

static char *read_libvirt_conf(const char *name)
{
    g_autofree char *path = g_build_filename(VM_LIBVIRT_CONF_DIR, name, NULL);
    char *text = NULL;

    return g_file_get_contents(path, &text, NULL, NULL) ? text : NULL;
}

/* The second guard (lockconf.h): a start is refused unless libvirt's lock manager leases the
 * VM's disks on shared storage, so that a second start on another host fails even if fencing
 * failed; require_lock_manager=false opts out. */
static int check_lock_manager(VmAgent *a)
{
    g_autofree char *qemu_conf = NULL, *manager_conf = NULL, *problem = NULL;
    VmLockConfig c = {0};
    struct stat cst;
    bool shared;

    if (!a->params->require_lock_manager)
        return OCF_SUCCESS;
    qemu_conf = read_libvirt_conf("qemu.conf");
    vm_lock_config_from_qemu_conf(qemu_conf, &c);
    if (vm_lock_manager_conf_name(c.manager))
        manager_conf = read_libvirt_conf(vm_lock_manager_conf_name(c.manager));
    vm_lock_config_from_manager_conf(manager_conf, &c);
    shared = c.lease_dir && stat(a->params->config, &cst) == 0 &&
             dir_on_shared_storage(a, c.lease_dir, cst.st_dev);
    problem = vm_lock_config_problem(&c, shared);
    vm_lock_config_clear(&c);
    if (problem)
        return fail(a, OCF_ERR_INSTALLED, "%s (override: require_lock_manager=false)", problem);
    return OCF_SUCCESS;
}

static int action_monitor(VmAgent *a)
{
    gboolean probe = a->params->interval_ms == 0;
    g_autofree char *cached = NULL;
    const char *name;
    int r;

    r = load_config_full(a, TRUE);
    if (r == OCF_ERR_CONFIGURED)
        return r;
    /* The config may be on storage not mounted here: fall back to what this host started. */
    cached = cache_read(a);
    name = a->dom ? a->dom->name : cached;
    if (!name)
        return probe ? OCF_NOT_RUNNING
                     : fail(a, r, "cannot read config %s and no record of a start here",
                            a->params->config);
    if (!a->dom)
        note(a, "config %s unreadable; checking domain %s recorded at start", a->params->config,
             name);
    if ((r = connect_hypervisor(a)) != OCF_SUCCESS)
        return r;
    r = domain_status(a, name);
    if (r == OCF_NOT_RUNNING && !probe)
        return fail(a, r, "domain %s is not running here", name);
    if (r != OCF_SUCCESS || probe)
        return r;
    if ((r = check_storage(a, name)) != OCF_SUCCESS)
        return r;
    return check_health(a, name);
}

static int record_started(VmAgent *a)
{
    g_autoptr(virDomain) dom = NULL;
    g_autofree char *error = NULL, *recorded = NULL;
    int r;

    cache_write(a);
    health_forget(a); /* a new run of the domain: the health check starts over */
    if ((r = vm_virt_lookup(a->conn, a->dom->name, &dom, &error)) <= 0)
        return fail(a, OCF_ERR_GENERIC, "domain %s vanished right after starting%s%s", a->dom->name,
                    error ? ": " : "", error ? error : "");
    recorded = vm_virt_get_digest(dom);
    if (!recorded && vm_virt_set_digest(dom, a->dom->digest, &error) < 0)
        note(a, "%s", error); /* only the save-image check loses precision */
    r = domain_status(a, a->dom->name);
    if (r == OCF_NOT_RUNNING)
        return fail(a, OCF_ERR_GENERIC, "domain %s stopped right after starting", a->dom->name);
    return r;
}

/* libvirt's pid file of the domain, for the launch guard; NULL for a libvirt other than the
 * system instance (no guard: its pid file lies elsewhere). */
static char *domain_pid_path(const VmAgent *a)
{
    if (!g_str_equal(a->params->hypervisor, VM_DEFAULT_HYPERVISOR))
        return NULL;
    return g_strdup_printf("/run/libvirt/qemu/%s.pid", a->dom->name);
}

/* Starts the domain from its definition, or from the save image @image, with the launch guard
 * watching (launchguard.h): a launch whose child libvirt left hung before its exec is tried
 * again, LAUNCH_ATTEMPTS times in all. */
static int launch(VmAgent *a, const char *image, char **ret_error)
{
    g_autofree char *pid_path = domain_pid_path(a);

    for (int attempt = 1;; attempt++) {
        g_autofree char *error = NULL;
        VmLaunchGuard *guard = pid_path ? vm_launch_guard_start(pid_path, LAUNCH_STALL_US) : NULL;
        int r = image ? vm_virt_restore(a->conn, image, &error)
                      : vm_virt_create(a->conn, a->xml, &error);
        int killed = guard ? vm_launch_guard_stop(guard) : 0;

        if (r == 0)
            return 0;
        if (!killed || attempt == LAUNCH_ATTEMPTS) {
            *ret_error = g_steal_pointer(&error);
            return -1;
        }
        note(a,
             "libvirt's child process for %s (pid %d) hung for %d s before starting qemu; "
             "killed it; launching again",
             a->dom->name, killed, (int)(LAUNCH_STALL_US / G_USEC_PER_SEC));
    }
}

static int cold_start(VmAgent *a)
{
    g_autofree char *error = NULL;

    if (launch(a, NULL, &error) < 0)
        return fail(a, OCF_ERR_GENERIC, "%s", error);
    return record_started(a);
}

static void set_aside(VmAgent *a, const char *image, const char *why)
{
    g_autofree char *aside = NULL, *error = NULL;

    if (vm_image_set_aside(a->params->state_dir, a->dom->name, image, &aside, &error) < 0)
        note(a, "%s", error);
    else
        note(a, "save image not restored (%s); moved aside to %s; cold start", why, aside);
}

/* Restores the committed save image if there is one that matches the definition; cold-starts
 * otherwise. A mismatching or unrestorable image is moved aside, never deleted. */
static int start_from_image_or_cold(VmAgent *a, gboolean expect_image)
{
    g_autoptr(VmSaveMeta) meta = NULL;
    g_autofree char *problem = NULL, *error = NULL, *claimed = NULL;
    uint64_t size = 0;
    int r;

    r = vm_image_lookup(a->params->state_dir, a->dom->name, &meta, &size, &problem, &error);
    if (r < 0)
        return fail(a, OCF_ERR_GENERIC, "%s", error);
    if (r == 0) {
        if (expect_image)
            note(a, "no save image in %s; cold start", a->params->state_dir);
        return cold_start(a);
    }
    r = vm_image_claim(a->params->state_dir, a->dom->name, &claimed, &error);
    if (r < 0)
        return fail(a, OCF_ERR_GENERIC, "%s", error);
    if (r == 1)
        return fail(a, OCF_ERR_GENERIC, "save image of %s was claimed by another host meanwhile",
                    a->dom->name);
    if (meta && !vm_save_meta_matches(meta, a->dom, a->config_mtime_us, size, &problem))
        g_clear_pointer(&meta, vm_save_meta_free);
    if (!meta) {
        set_aside(a, claimed, problem);
        return cold_start(a);
    }
    if (launch(a, claimed, &error) < 0) {
        /* A host that cannot run the domain at all must not cost the VM its memory: when a cold
         * start fails here too, the image goes back for another node to restore. */
        g_autofree char *cold_error = NULL, *release_error = NULL;
        if (launch(a, NULL, &cold_error) < 0) {
            if (vm_image_release(a->params->state_dir, a->dom->name, claimed, &release_error) < 0)
                note(a, "%s", release_error);
            return fail(a, OCF_ERR_GENERIC,
                        "cannot restore (%s) nor cold-start (%s) here; the save image is kept",
                        error, cold_error);
        }
        set_aside(a, claimed, error);
        return record_started(a);
    }
    vm_image_remove(a->params->state_dir, a->dom->name, claimed);
    return record_started(a);
}

static int action_start(VmAgent *a, gboolean expect_image)
{
    g_autofree char *error = NULL;
    int r;

    if ((r = load_config(a)) != OCF_SUCCESS || (r = connect_hypervisor(a)) != OCF_SUCCESS)
        return r;
    r = domain_status(a, a->dom->name);
    if (r == OCF_SUCCESS) {
        g_autoptr(virDomain) dom = NULL;
        int state, reason;

        /* Already here. A domain paused by a user or an aborted save is resumed. */
        if (vm_virt_lookup(a->conn, a->dom->name, &dom, &error) > 0 &&
            vm_virt_state(dom, &state, &reason, &error) == 0 && state == VIR_DOMAIN_PAUSED &&
            vm_virt_resume(dom, &error) < 0)
            return fail(a, OCF_ERR_GENERIC, "%s", error);
        cache_write(a);
        return OCF_SUCCESS;
    }
    if (r != OCF_NOT_RUNNING)
        return r;
    if ((r = check_lock_manager(a)) != OCF_SUCCESS)
        return r;
    if (vm_image_ensure_dir(a->params->state_dir, &error) < 0)
        return fail(a, OCF_ERR_INSTALLED, "%s", error);
    return start_from_image_or_cold(a, expect_image);
}

/* A save image found while the domain runs here is stale: the running domain did not come from
 * it (a start always consumes images). Restoring it later would roll memory back against disks
 * that moved on, so it is moved aside. */
static void discard_stale_image(VmAgent *a)
{
    g_autofree char *image = vm_image_path(a->params->state_dir, a->dom->name);
    g_autofree char *aside = NULL, *error = NULL;

    if (access(image, F_OK) < 0)
        return;
    if (vm_image_set_aside(a->params->state_dir, a->dom->name, image, &aside, &error) < 0)
        note(a, "%s", error);
    else
        note(a, "stale save image moved aside to %s", aside);
}

/* One attempt: 1 when stopped (or not there), -1 with *ret_error when libvirt failed. */
static int stop_domain_once(VmAgent *a, const char *name, char **ret_error)
{
    g_autoptr(virDomain) dom = NULL;
    int r;

    r = vm_virt_lookup(a->conn, name, &dom, ret_error);
    if (r < 0)
        return -1;
    if (r == 1) {
        unsigned int timeout = shutdown_timeout(a);
        if (a->dom)
            discard_stale_image(a);
        if (health_failed(a, dom)) {
            note(a, "the health check found the guest hung: destroying it without a shutdown");
            timeout = 0;
        } else if (timeout > 0) {
            /* Without its disks the guest cannot shut down cleanly: waiting only delays the
             * recovery on a host that has them. */
            g_autofree char *problem = storage_problem(a, dom);
            if (problem) {
                note(a, "%s: destroying it without a shutdown", problem);
                timeout = 0;
            }
        }
        if (vm_virt_stop(dom, timeout, ret_error) < 0)
            return -1;
    }
    return 1;
}

/* Stops domain @name here. A libvirtd that went away is waited for, as in domain_status: a
 * stop that fails gets the host fenced. */
static int stop_domain(VmAgent *a, const char *name)
{
    for (unsigned attempt = 0;; attempt++) {
        g_autofree char *error = NULL;
        int r;

        if (stop_domain_once(a, name, &error) > 0)
            break;
        if (!vm_virt_error_unreachable() || !wait_for_libvirtd(a, attempt, error))
            return fail(a, OCF_ERR_GENERIC, "%s", error);
        if ((r = reconnect(a)) != OCF_SUCCESS)
            return r;
    }
    cache_remove(a);
    health_forget(a);
    return OCF_SUCCESS;
}

static int action_stop(VmAgent *a)
{
    g_autofree char *cached = cache_read(a);
    const char *name;
    int r;

    r = load_config_full(a, TRUE);
    if (r == OCF_ERR_CONFIGURED)
        return r;
    name = a->dom ? a->dom->name : cached;
    /* Neither the config nor a record of a start here: this host never ran it. */
    if (!name)
        return OCF_SUCCESS;
    if (!a->dom)
        note(a, "config %s unreadable; stopping domain %s recorded at start", a->params->config,
             name);
    if ((r = connect_hypervisor(a)) != OCF_SUCCESS)
        return r;
    return stop_domain(a, name);
}

static int quick_save(VmAgent *a, virDomainPtr dom)
{
    g_autoptr(VmSaveMeta) meta = g_new0(VmSaveMeta, 1);
    g_autofree char *tmp = NULL, *error = NULL, *restore_error = NULL;
    uint64_t size;

    if (vm_image_ensure_dir(a->params->state_dir, &error) < 0)
        return fail(a, OCF_ERR_GENERIC, "save failed, the domain keeps running here: %s", error);
    meta->name = g_strdup(a->dom->name);
    meta->uuid = vm_virt_get_uuid(dom);
    meta->digest = vm_virt_get_digest(dom);
    if (!meta->digest) /* started by something other than this agent */
        meta->digest = g_strdup(a->dom->digest);
    meta->saved_on = g_strdup(g_get_host_name());
    tmp = vm_image_tmp_path(a->params->state_dir, a->dom->name);

    meta->saved_at_us = g_get_real_time();
    if (vm_virt_save(dom, tmp, job_deadline(a), &error) < 0) {
        unlink(tmp);
        return fail(a, OCF_ERR_GENERIC, "save failed, the domain keeps running here: %s", error);
    }
    /* Commit: meta first, then the image under its final name. */
    meta->image_size = 0;
    {
        struct stat st;
        if (stat(tmp, &st) == 0)
            meta->image_size = (uint64_t)st.st_size;
    }
    if (vm_image_write_meta(a->params->state_dir, a->dom->name, meta, a->params->sync_image,
                            &error) < 0 ||
        vm_image_commit(tmp, a->params->state_dir, a->dom->name, a->params->sync_image, &size,
                        &error) < 0) {
        /* Nothing half-done: bring the domain back here from the uncommitted image. */
        if (launch(a, tmp, &restore_error) == 0) {
            unlink(tmp);
            return fail(a, OCF_ERR_GENERIC, "save not committed, the domain was restored here: %s",
                        error);
        }
        return fail(a, OCF_ERR_GENERIC,
                    "save not committed and the domain not restored here (%s); image kept at %s; "
                    "%s",
                    restore_error, tmp, error);
    }
    cache_remove(a);
    health_forget(a);
    return OCF_SUCCESS;
}

static int action_migrate_to(VmAgent *a)
{
    g_autoptr(virDomain) dom = NULL;
    g_autofree char *error = NULL;
    const char *target = a->params->migrate_target;
    int r;

    if (!target)
        return fail(a, OCF_ERR_ARGS, "OCF_RESKEY_CRM_meta_migrate_target is not set");
    if ((r = load_config(a)) != OCF_SUCCESS || (r = connect_hypervisor(a)) != OCF_SUCCESS)
        return r;
    r = domain_status(a, a->dom->name);
    if (r == OCF_NOT_RUNNING)
        return fail(a, OCF_ERR_GENERIC, "domain %s is not running here", a->dom->name);
    if (r != OCF_SUCCESS)
        return r;
    if (vm_virt_lookup(a->conn, a->dom->name, &dom, &error) <= 0)
        return fail(a, OCF_ERR_GENERIC, "domain %s vanished", a->dom->name);

    switch (a->params->migration_method) {
    case VMHA_MIGRATION_QUICK:
        return quick_save(a, dom);
    case VMHA_MIGRATION_LIVE: {
        g_autofree char *uri = vm_params_migration_uri(a->params, target);
        if (vm_virt_migrate_live(dom, uri, a->params->live_unsafe, job_deadline(a), &error) < 0)
            return fail(a, OCF_ERR_GENERIC, "%s", error);
        cache_remove(a);
        health_forget(a);
        return OCF_SUCCESS;
    }
    case VMHA_MIGRATION_COLD:
        return stop_domain(a, a->dom->name);
    case VMHA_MIGRATION_DEFAULT: /* vm_params_load never leaves it */
        break;
    }
    return fail(a, OCF_ERR_GENERIC, "unknown migration method");
}

static int action_migrate_from(VmAgent *a)
{
    int r;

    if (a->params->migration_method != VMHA_MIGRATION_LIVE)
        return action_start(a, a->params->migration_method == VMHA_MIGRATION_QUICK);
    /* Live: the domain must have arrived. Never start it here: a partial live migration may have
     * left it running at the source. */
    if ((r = load_config(a)) != OCF_SUCCESS || (r = connect_hypervisor(a)) != OCF_SUCCESS)
        return r;
    r = domain_status(a, a->dom->name);
    if (r == OCF_NOT_RUNNING)
        return fail(a, OCF_ERR_GENERIC, "domain %s did not arrive by live migration", a->dom->name);
    if (r == OCF_SUCCESS)
        cache_write(a);
    return r;
}

/* Whether @path lies on the file system of @ref_dev or below one of the shared directories. */
static gboolean on_shared_storage(const VmAgent *a, const char *path, dev_t ref_dev)
{
    struct stat st;

    for (char **d = a->params->shared_dirs; *d; d++) {
        g_autofree char *prefix =
                g_str_has_suffix(*d, "/") ? g_strdup(*d) : g_strconcat(*d, "/", NULL);
        if (**d && g_str_has_prefix(path, prefix))
            return TRUE;
    }
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_dev == ref_dev;
}

static int action_validate(VmAgent *a)
{
    struct stat cst;
    int r;

    g_autofree char *problem = NULL;

    if ((r = load_config(a)) != OCF_SUCCESS) {
        if (r == OCF_ERR_INSTALLED && (problem = start_storage_problem(a)))
            return fail(a, r, "%s", problem);
        return r;
    }
    if (stat(a->params->config, &cst) < 0)
        return fail(a, OCF_ERR_INSTALLED, "cannot stat %s: %s", a->params->config,
                    g_strerror(errno));
    /* What a start needs, writable disks writable included. */
    if ((problem = start_storage_problem(a)))
        return fail(a, OCF_ERR_INSTALLED, "%s", problem);
    for (guint i = 0; i < a->dom->disks->len; i++) {
        const char *disk = g_ptr_array_index(a->dom->disks, i);
        struct stat st;

        if (stat(disk, &st) < 0)
            return fail(a, OCF_ERR_INSTALLED, "disk %s: %s", disk, g_strerror(errno));
        if (S_ISBLK(st.st_mode))
            continue; /* a LUN or multipath device: reachability is the storage's business */
        if (!on_shared_storage(a, disk, cst.st_dev))
            return fail(a, OCF_ERR_CONFIGURED,
                        "disk %s is neither on the file system of %s nor below shared_dirs", disk,
                        a->params->config);
    }
    if (strcmp(a->dom->type, "kvm") == 0 && access("/dev/kvm", R_OK | W_OK) < 0)
        return fail(a, OCF_ERR_INSTALLED, "domain type is kvm but /dev/kvm is not usable here");
    if (a->params->health_check == VM_HEALTH_GUEST_AGENT &&
        !vm_health_has_agent_channel(a->xml, strlen(a->xml)))
        return fail(
                a, OCF_ERR_CONFIGURED,
                "health_check=guest-agent but the domain has no org.qemu.guest_agent.0 channel");
    if (a->params->health_check == VM_HEALTH_CONSOLE) {
        g_autofree char *log = vm_health_console_log(a->xml, strlen(a->xml));
        if (!log)
            return fail(a, OCF_ERR_CONFIGURED,
                        "health_check=console but the domain has no serial console to a file");
    }
    if (a->params->migration_method == VMHA_MIGRATION_LIVE &&
        !strstr(a->params->migration_uri, "%t"))
        return fail(a, OCF_ERR_CONFIGURED, "migration_uri '%s' lacks %%t",
                    a->params->migration_uri);
    return OCF_SUCCESS;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: vm {start|stop|monitor|status|migrate_to|migrate_from|validate-all|"
               "meta-data|usage}\n");
}

int main(int argc, char **argv)
{
    g_auto(VmAgent) a = {0};
    g_autofree char *error = NULL;

    atexit(write_exit_reason);
    a.start_us = g_get_monotonic_time();
    a.action = argc > 1 ? argv[1] : "";
    if (strcmp(a.action, "meta-data") == 0) {
        fputs(vm_metadata_xml(), stdout);
        return OCF_SUCCESS;
    }
    if (strcmp(a.action, "usage") == 0 || strcmp(a.action, "help") == 0) {
        usage(stdout);
        return OCF_SUCCESS;
    }
    if (argc != 2) {
        usage(stderr);
        return fail(&a, OCF_ERR_ARGS, "expected one action, got %d arguments", argc - 1);
    }
    if (vm_params_load(&a.params, &error) < 0)
        return fail(&a, OCF_ERR_CONFIGURED, "%s", error);
    a.retry_deadline = vm_retry_deadline(a.start_us, a.params->timeout_ms);
    vm_virt_init();

    if (strcmp(a.action, "start") == 0)
        return blame_storage(&a, action_start(&a, FALSE));
    if (strcmp(a.action, "stop") == 0)
        return action_stop(&a);
    if (strcmp(a.action, "monitor") == 0 || strcmp(a.action, "status") == 0)
        return action_monitor(&a);
    if (strcmp(a.action, "migrate_to") == 0)
        return action_migrate_to(&a);
    if (strcmp(a.action, "migrate_from") == 0)
        return blame_storage(&a, action_migrate_from(&a));
    if (strcmp(a.action, "validate-all") == 0)
        return action_validate(&a);
    usage(stderr);
    return fail(&a, OCF_ERR_UNIMPLEMENTED, "action '%s' is not implemented", a.action);
}
