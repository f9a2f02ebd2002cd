/* vmctl's one way of reporting (docs/vmctl.md, "Errors"). A failure is reported once, where it
 * is found: `return vmctl_error(opts, code, ...)` prints `vmctl: REASON` on stderr and keeps the
 * reason for the run; when the run ends (main), a failed run with --json gets exactly one JSON
 * error document on stdout, unless the command already printed a document of its own that says
 * how it ended (node exec's exit status, cluster update's summary). vmctl is one short-lived
 * single-threaded process, so the run's report is kept here, as libvirt keeps its last error. */
#pragma once

#include <json-c/json.h>

#include "vmctl.h"

/* Reports a failure: "vmctl: <message>" on stderr (nothing with opts->quiet), kept for the run's
 * error document. Returns code, for `return vmctl_error(...)`. */
int vmctl_error(const VmctlOptions *opts, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* "vmctl: warning: <message>" on stderr: worth knowing, not a failure. */
void vmctl_warning(const VmctlOptions *opts, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* Prints a JSON document on stdout (for --json), the real stdout even while progress goes to
 * stderr (vmctl_report_progress_to_stderr). */
void vmctl_print_json(json_object *o);
/* For a document printed in pieces by its command: stdout is the document's from here on. */
void vmctl_print_json_start(void);
/* Prints {"ok": true, "result": what} with --json after a successful change. */
void vmctl_print_ok(const VmctlOptions *opts, const char *what);

/* With --json: what a command prints for people from here on (progress lines, the text of a
 * command it runs as a step) goes to stderr, so that stdout holds only the one document. Ends
 * with the next JSON document or the end of the run. Nothing without --json. */
void vmctl_report_progress_to_stderr(const VmctlOptions *opts);

/* The command being run (its name in the table; NULL for none), for the error document. */
void vmctl_report_command(const char *name);
/* Ends the run: with --json, prints the error document of a failed run (rc != 0) that printed
 * no document of its own. Returns rc, for main's `return`. */
int vmctl_report_finish(const VmctlOptions *opts, int rc);
/* A VmhaResult's name in the error document: "usage", "no-daemon", ... */
const char *vmctl_result_name(int code);
