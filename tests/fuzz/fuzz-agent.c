/* Fuzz target for what vmha reads from agents and what the vm agent reads from disk: clusterd
 * takes an agent's exit reason from whatever it printed on stderr (vmha_ocf_exit_reason,
 * lib/ocf.c: that text goes into the database and the event log); the agent reads a save image's
 * metadata from shared storage, its health state file, the domain XML libvirt hands it, and
 * libvirt's lock manager configuration (resource-agents/saveimage.c, health.c, lockconf.c). The
 * first byte chooses which; the rest is the text. Each one reads or refuses; what it writes it
 * reads back the same; never a crash, leak or read out of bounds.
 *
 * Fence agents' output is not parsed (clusterd/fencer.c goes by the exit status alone), nor is
 * any agent's stdout (meta-data is not read back). */
#include <glib.h>
#include <stdint.h>
#include <string.h>

#include "domaindef.h"
#include "health.h"
#include "lockconf.h"
#include "saveimage.h"
#include "vmha/ocf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void exit_reason(const char *text, size_t len)
{
    g_autofree char *r = vmha_ocf_exit_reason(text, len);
    size_t n = strlen(r);

    if (n > VMHA_OCF_EXIT_REASON_MAX || (n && (g_ascii_isspace(r[0]) || g_ascii_isspace(r[n - 1]))))
        __builtin_trap();
    for (size_t i = 0; i < n; i++)
        if (!g_ascii_isprint(r[i]))
            __builtin_trap(); /* what goes into the database and the logs */
}

static void save_meta(const char *text, size_t len)
{
    g_autoptr(VmSaveMeta) meta = NULL;
    g_autofree char *why = NULL;

    if (vm_save_meta_parse(text, len, &meta, &why) < 0) {
        if (meta || !why || !*why)
            __builtin_trap();
        return;
    }
    g_autofree char *again = vm_save_meta_format(meta);
    g_autoptr(VmSaveMeta) back = NULL;
    if (!again || vm_save_meta_parse(again, strlen(again), &back, NULL) < 0 ||
        g_strcmp0(back->name, meta->name) != 0 || g_strcmp0(back->uuid, meta->uuid) != 0 ||
        g_strcmp0(back->digest, meta->digest) != 0 || back->saved_at_us != meta->saved_at_us ||
        back->image_size != meta->image_size)
        __builtin_trap();

    static const char dom_xml[] = "<domain type='qemu'><name>web1</name>"
                                  "<uuid>6b29fc40-ca47-1067-b31d-00dd010662da</uuid>"
                                  "<memory unit='MiB'>64</memory></domain>";
    g_autoptr(VmhaDomainDef) dom = NULL;
    if (vmha_domaindef_parse(dom_xml, strlen(dom_xml), &dom, NULL) < 0)
        __builtin_trap();
    g_autofree char *reason = NULL;
    if (!vm_save_meta_matches(meta, dom, 1780000000000000, meta->image_size, &reason) &&
        (!reason || !*reason))
        __builtin_trap();
}

static void health_state(const char *text, size_t len)
{
    VmHealthState s = {0};

    if (vm_health_state_parse(text, len, &s) < 0)
        return;
    g_autofree char *again = vm_health_state_format(&s);
    VmHealthState back = {0};
    if (!again || vm_health_state_parse(again, strlen(again), &back) < 0 ||
        g_strcmp0(back.instance, s.instance) != 0 || back.last_alive_us != s.last_alive_us ||
        back.armed != s.armed || back.failed != s.failed)
        __builtin_trap();
    vm_health_state_clear(&back);
    vm_health_state_clear(&s);
}

static void live_domain(const char *text, size_t len)
{
    g_autofree char *log = vm_health_console_log(text, len);
    if (log && strlen(log) >= len)
        __builtin_trap(); /* a path taken from the document is shorter than it */
    (void)vm_health_has_agent_channel(text, len);
}

/* qemu.conf, then a NUL, then the lock manager's file (absent without the NUL). */
static void lock_config(const char *text, size_t len)
{
    const char *nul = memchr(text, '\0', len);
    VmLockConfig c = {0};

    vm_lock_config_from_qemu_conf(text, &c);
    if (nul)
        vm_lock_config_from_manager_conf(nul + 1, &c);
    g_autofree char *p1 = vm_lock_config_problem(&c, true);
    g_autofree char *p2 = vm_lock_config_problem(&c, false);
    if (!p2 || (p1 && !*p1) || !*p2)
        __builtin_trap(); /* leases on storage that is not shared never pass; a problem is said */
    (void)vm_lock_manager_conf_name(c.manager);
    vm_lock_config_clear(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    /* A NUL-terminated copy for the readers that take a C string. */
    g_autofree char *text = g_malloc(size);
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    size_t len = size - 1;

    switch (data[0] % 5) {
    case 0:
        exit_reason((const char *)data + 1, len);
        break;
    case 1:
        save_meta(text, len);
        break;
    case 2:
        health_state(text, len);
        break;
    case 3:
        live_domain(text, len);
        break;
    case 4:
        lock_config(text, len);
        break;
    }
    return 0;
}
