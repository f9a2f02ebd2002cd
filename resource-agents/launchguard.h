/* Frees a domain launch from libvirt's fork deadlock.
 *
 * libvirtd forks each qemu from one of its worker threads. Before the exec, the child runs
 * libvirt's hook, which with the lockd lock manager asks virtlockd for the disk leases through
 * GObject code; a lock that another libvirtd thread held at the moment of the fork is never
 * released in the child, which then sleeps on a futex for good (seen in the lab on Debian 12's
 * libvirt 9.0: g_object_unref under virDomainLockProcessStart, about once in 400 concurrent
 * starts on a loaded machine). The launch call never returns, and libvirtd keeps the domain
 * locked, so even a listing of the domains hangs.
 *
 * The hung child is recognisable: the pid libvirt wrote to the domain's pid file is a
 * single-threaded libvirtd, not yet qemu, long after a healthy child would have exec'ed.
 * Killing it makes libvirt fail that launch cleanly ("Child quit during startup handshake") and
 * release the domain; the caller then launches again. A guard watches the pid file in a thread
 * of its own while the calling thread is blocked in the launch. */
#pragma once

#include <glib.h>
#include <stdbool.h>

typedef struct VmLaunchGuard VmLaunchGuard;

/* Whether a process is libvirt's child before its exec: @exe_name is the basename of its
 * executable, @threads its number of threads. Pure. */
bool vm_launch_guard_is_prexec_child(const char *exe_name, int threads);

/* Starts watching @pid_path (the domain's pid file, written by this launch) from a new thread: a
 * pre-exec child seen there for @stall_us is killed. */
VmLaunchGuard *vm_launch_guard_start(const char *pid_path, gint64 stall_us);

/* Stops watching and frees @guard. Returns the pid of the child it killed, 0 when none. */
int vm_launch_guard_stop(VmLaunchGuard *guard);
