/* clusterd's log writer (GLib structured logging). Under systemd, stderr is a stream into the
 * journal (JOURNAL_STREAM names it): messages then go to the journal natively, each with its
 * syslog priority (g_message is notice, g_warning warning, ...) and SYSLOG_IDENTIFIER=clusterd, so
 * `journalctl -u clusterd -p warning` works. Elsewhere (the lab, a shell) they go to the log file
 * as timestamped lines, or to stderr with --foreground. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static struct {
    const char *path;
    FILE *file;   /* NULL: stderr */
    bool journal; /* stderr is the journal: write to it natively */
    bool debug;
} L;

static const char *level_name(GLogLevelFlags level)
{
    return (level & G_LOG_LEVEL_ERROR)      ? "error"
           : (level & G_LOG_LEVEL_CRITICAL) ? "critical"
           : (level & G_LOG_LEVEL_WARNING)  ? "warning"
           : (level & G_LOG_LEVEL_MESSAGE)  ? "notice"
           : (level & G_LOG_LEVEL_INFO)     ? "info"
                                            : "debug";
}

/* syslog(3) priorities, as journald's stream parser reads them in a "<N>" prefix. */
static int level_priority(GLogLevelFlags level)
{
    return (level & G_LOG_LEVEL_ERROR)      ? 3
           : (level & G_LOG_LEVEL_CRITICAL) ? 2
           : (level & G_LOG_LEVEL_WARNING)  ? 4
           : (level & G_LOG_LEVEL_MESSAGE)  ? 5
           : (level & G_LOG_LEVEL_INFO)     ? 6
                                            : 7;
}

static GLogWriterOutput write_journal(GLogLevelFlags level, const GLogField *fields, gsize n_fields)
{
    /* Our own PRIORITY (GLib maps critical to warning) and SYSLOG_IDENTIFIER, then the rest. */
    g_autofree GLogField *all = g_new0(GLogField, n_fields + 2);
    char priority[2] = {(char)('0' + level_priority(level)), '\0'};
    gsize n = 0;

    all[n++] = (GLogField){"PRIORITY", priority, -1};
    all[n++] = (GLogField){"SYSLOG_IDENTIFIER", "clusterd", -1};
    for (gsize i = 0; i < n_fields; i++)
        if (strcmp(fields[i].key, "PRIORITY") != 0 &&
            strcmp(fields[i].key, "GLIB_OLD_LOG_API") != 0)
            all[n++] = fields[i];
    return g_log_writer_journald(level, all, n, NULL);
}

static GLogWriterOutput writer(GLogLevelFlags level, const GLogField *fields, gsize n_fields,
                               gpointer user_data)
{
    const char *message = NULL;

    if ((level & G_LOG_LEVEL_DEBUG) && !L.debug)
        return G_LOG_WRITER_HANDLED;
    if (L.journal && write_journal(level, fields, n_fields) == G_LOG_WRITER_HANDLED)
        return G_LOG_WRITER_HANDLED;
    for (gsize i = 0; i < n_fields; i++)
        if (strcmp(fields[i].key, "MESSAGE") == 0)
            message = fields[i].value;
    if (L.journal) {
        /* The journal's socket refused: its stream on stderr still reads the priority prefix. */
        fprintf(stderr, "<%d>%s\n", level_priority(level), message ? message : "");
        fflush(stderr);
        return G_LOG_WRITER_HANDLED;
    }
    FILE *out = L.file ? L.file : stderr;
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    g_autofree char *ts = g_date_time_format(now, "%Y-%m-%dT%H:%M:%S.%fZ");
    fprintf(out, "%s clusterd[%d]: %s: %s\n", ts, (int)getpid(), level_name(level),
            message ? message : "");
    fflush(out);
    return G_LOG_WRITER_HANDLED;
}

static void open_file(void)
{
    g_autofree char *dir = g_path_get_dirname(L.path);
    FILE *f = NULL;

    g_mkdir_with_parents(dir, 0755);
    int fd = open(L.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd >= 0)
        f = fdopen(fd, "a");
    if (!f) {
        fprintf(stderr, "clusterd: cannot open %s: %s; logging to stderr\n", L.path,
                g_strerror(errno));
        if (fd >= 0)
            close(fd);
        return;
    }
    if (L.file)
        fclose(L.file);
    L.file = f;
}

void cd_log_init(CdLogTarget target, const char *path, bool debug)
{
    L.path = path;
    L.debug = debug || g_getenv("VMHA_DEBUG");
    L.journal = target != CD_LOG_FILE && g_log_writer_is_journald(fileno(stderr));
    if (!L.journal && target != CD_LOG_STDERR)
        open_file();
    g_log_set_writer_func(writer, NULL, NULL);
}

void cd_log_reopen(void)
{
    if (L.file)
        open_file();
}

const char *cd_log_destination(void)
{
    return L.journal ? "journal" : L.file ? L.path : "stderr";
}

void cd_log_finalise(void)
{
    if (L.file)
        fclose(L.file);
    L.file = NULL;
}
