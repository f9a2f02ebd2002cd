/* ipc.c: the local socket for vmctl: credentials per request (SO_PEERCRED), reads answered from
 * views.c, writes handed to sync.c, remote exec to rexec.c (docs/clusterd.md, "The local
 * socket"). */
#pragma once

#include <glib.h>

int cd_ipc_init(const char *path) G_GNUC_WARN_UNUSED_RESULT;
void cd_ipc_finalise(void);
