/* clusterd's log: the journal with priorities when systemd's journal is what stderr is connected
 * to, else a file (or stderr), one line per message. */
#pragma once

#include <stdbool.h>

typedef enum {
    CD_LOG_AUTO,   /* the journal when stderr is connected to it, else the file */
    CD_LOG_FILE,   /* the file, even under systemd (--log PATH) */
    CD_LOG_STDERR, /* stderr, or the journal when stderr is connected to it (--foreground) */
} CdLogTarget;

/* Installs the GLib log writer; call before the first message. path: the log file (CD_LOG_AUTO
 * and CD_LOG_FILE). debug: debug messages too (--debug, or VMHA_DEBUG in the environment). */
void cd_log_init(CdLogTarget target, const char *path, bool debug);
/* SIGHUP: reopens the log file (after logrotate moved it); nothing for the journal or stderr. */
void cd_log_reopen(void);
/* Where messages go now, for the start-up message: "journal", "stderr" or the file's path. */
const char *cd_log_destination(void);
void cd_log_finalise(void);
