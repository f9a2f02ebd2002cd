/* Errors, warnings and JSON documents: the one reporting path of vmctl (report.h). */
#include "config.h"

#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "report.h"

static struct {
    const char *command; /* the table's name of the command run, NULL without one */
    GPtrArray *reasons;  /* every failure reported, in order */
    bool printed;        /* a JSON document went to stdout */
    int saved_stdout;    /* while progress goes to stderr: the real stdout, else -1 */
} report = {.saved_stdout = -1};

static void restore_stdout(void)
{
    if (report.saved_stdout < 0)
        return;
    fflush(stdout);
    dup2(report.saved_stdout, STDOUT_FILENO);
    close(report.saved_stdout);
    report.saved_stdout = -1;
}

int vmctl_error(const VmctlOptions *opts, int code, const char *fmt, ...)
{
    va_list ap;
    char *msg;

    if (opts->quiet)
        return code;
    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    fflush(stdout); /* a progress line before it stays before it */
    fprintf(stderr, "vmctl: %s\n", msg);
    if (!report.reasons)
        report.reasons = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(report.reasons, msg);
    return code;
}

void vmctl_warning(const VmctlOptions *opts, const char *fmt, ...)
{
    va_list ap;

    if (opts->quiet)
        return;
    fflush(stdout);
    fputs("vmctl: warning: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void vmctl_print_json(json_object *o)
{
    restore_stdout();
    puts(json_object_to_json_string_ext(o,
                                        JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
    fflush(stdout);
    report.printed = true;
}

void vmctl_print_json_start(void)
{
    restore_stdout();
    report.printed = true;
}

void vmctl_print_ok(const VmctlOptions *opts, const char *what)
{
    if (!opts->json)
        return;
    json_object *o = json_object_new_object();
    json_object_object_add(o, "ok", json_object_new_boolean(true));
    json_object_object_add(o, "result", json_object_new_string(what));
    vmctl_print_json(o);
    json_object_put(o);
}

void vmctl_report_progress_to_stderr(const VmctlOptions *opts)
{
    if (!opts->json || report.saved_stdout >= 0)
        return;
    fflush(stdout);
    report.saved_stdout = dup(STDOUT_FILENO);
    if (report.saved_stdout >= 0)
        dup2(STDERR_FILENO, STDOUT_FILENO);
}

void vmctl_report_command(const char *name)
{
    report.command = name;
}

const char *vmctl_result_name(int code)
{
    static const char *const names[] = {
            [VMHA_RESULT_OK] = "ok",
            [VMHA_RESULT_FAILURE] = "failure",
            [VMHA_RESULT_USAGE] = "usage",
            [VMHA_RESULT_NO_QUORUM] = "no-quorum",
            [VMHA_RESULT_NO_DAEMON] = "no-daemon",
            [VMHA_RESULT_DENIED] = "denied",
            [VMHA_RESULT_NOT_FOUND] = "not-found",
            [VMHA_RESULT_REFUSED] = "refused",
    };
    return code >= 0 && (size_t)code < G_N_ELEMENTS(names) && names[code] ? names[code] : "failure";
}

int vmctl_report_finish(const VmctlOptions *opts, int rc)
{
    restore_stdout();
    if (rc != VMHA_RESULT_OK && opts->json && !report.printed) {
        json_object *o = json_object_new_object(), *details = json_object_new_array();
        guint n = report.reasons ? report.reasons->len : 0;
        /* Every failure path reports its reason; should one not, the document still says how
         * vmctl ended. */
        g_autofree char *fallback = g_strdup_printf("failed (%s)", vmctl_result_name(rc));
        const char *reason = n ? g_ptr_array_index(report.reasons, 0) : fallback;

        for (guint i = 1; i < n; i++)
            json_object_array_add(details,
                                  json_object_new_string(g_ptr_array_index(report.reasons, i)));
        json_object_object_add(o, "ok", json_object_new_boolean(false));
        json_object_object_add(o, "exit_code", json_object_new_int(rc));
        json_object_object_add(o, "exit_name", json_object_new_string(vmctl_result_name(rc)));
        json_object_object_add(o, "error", json_object_new_string(reason));
        json_object_object_add(o, "command",
                               report.command ? json_object_new_string(report.command) : NULL);
        json_object_object_add(o, "details", details);
        vmctl_print_json(o);
        json_object_put(o);
    }
    g_clear_pointer(&report.reasons, g_ptr_array_unref);
    fflush(stdout);
    return rc;
}
