/* Waiting out a libvirtd that is restarting. Pure: the caller reads the clock and the error.
 *
 * libvirtd can go away under a running VM (a crash, an upgrade, `systemctl restart`) while qemu
 * and the guest carry on; it is usually back within a second. Until then the agent cannot know
 * the VM's state, which is not a VM failure: it keeps trying until shortly before its operation
 * times out, and only then reports the failure (a monitor that fails leads to a stop; a stop that
 * fails leads to fencing). */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* With no operation timeout known (an agent run by hand), how long to wait for libvirtd. */
#define VM_RETRY_DEFAULT_US (20 * G_USEC_PER_SEC)

/* Whether a libvirt error (virErrorDomain, virErrorNumber) says libvirtd could not be reached or
 * the connection to it broke, as opposed to an answer about the domain. */
bool vm_retry_libvirt_unreachable(int error_domain, int error_code);

/* Until when (monotonic µs) an operation started at @start_us with a timeout of @timeout_ms (0:
 * unknown) may retry: early enough to report before the timeout (a sixth of it, at least 2 s,
 * at most 10 s, before). */
gint64 vm_retry_deadline(gint64 start_us, uint64_t timeout_ms);

/* The pause before retry number @attempt (0 for the first): 100 ms, doubling up to 1 s. */
gint64 vm_retry_delay_us(unsigned attempt);

/* Whether retry number @attempt still fits: its pause ends before @deadline_us. */
bool vm_retry_again(gint64 now_us, gint64 deadline_us, unsigned attempt);
