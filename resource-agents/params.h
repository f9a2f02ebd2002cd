/* The agent's parameters (OCF_RESKEY_*) and the Pacemaker meta attributes it uses. */
#pragma once

#include <glib.h>
#include <stdint.h>

#include "health.h"
#include "vmha/migration.h"

typedef struct {
    char *config;
    char *hypervisor;
    char *state_dir;               /* defaults to vmha-save/ beside the config */
    unsigned int shutdown_timeout; /* seconds; derived from the operation timeout when unset */
    VmhaMigrationMethod migration_method; /* never DEFAULT: quick when not given */
    char *migration_uri;                  /* "%t" stands for the target node name */
    char **shared_dirs;   /* where disks may live besides the config's file system */
    gboolean live_unsafe; /* allow live migration with caches libvirt deems unsafe */
    gboolean sync_image;  /* fsync a save image's data before committing it */
    VmHealthMode health_check;
    uint64_t health_timeout_ms;
    gboolean require_lock_manager; /* refuse to start without leases on shared storage */

    char *instance;       /* OCF_RESOURCE_INSTANCE */
    char *migrate_target; /* OCF_RESKEY_CRM_meta_migrate_target */
    uint64_t interval_ms; /* OCF_RESKEY_CRM_meta_interval: 0 makes a monitor a probe */
    uint64_t timeout_ms;  /* OCF_RESKEY_CRM_meta_timeout */
} VmParams;

#define VM_DEFAULT_HYPERVISOR    "qemu:///system"
#define VM_DEFAULT_MIGRATION_URI "qemu+tls://%t/system"

/* Reads the environment. -1 with *ret_error on a malformed value (OCF_ERR_CONFIGURED). */
G_GNUC_WARN_UNUSED_RESULT int vm_params_load(VmParams **ret_params, char **ret_error);
void vm_params_free(VmParams *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmParams, vm_params_free)

/* The destination URI for a live migration to @target. */
char *vm_params_migration_uri(const VmParams *p, const char *target);
