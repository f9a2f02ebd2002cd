/* The files `vmctl cluster setup|join` install on hosts: authkey, CA and host certificates
 * (setup-files.c). */
#pragma once

#include <glib.h>

#include "setup-steps.h"

/* Runs argv here (PATH searched); on failure -1 with *ret_error its last line of stderr. */
int vmctl_setup_run_local(const char *const *argv, char **ret_error);
/* Appends `put PATH MODE` with content to a step script. */
void vmctl_setup_add_put(GString *s, const char *path, const char *mode, const char *content,
                         gsize len);
/* The same with the content of the local file from. */
int vmctl_setup_add_put_file(GString *s, const char *path, const char *mode, const char *from,
                             char **ret_error);
/* A new CA in dir (cacert.pem, cakey.pem). */
int vmctl_setup_make_ca(const char *dir, const char *cluster, char **ret_error);
/* A key and certificate for n (server and client: libvirt uses both), signed by the CA in dir;
 * written to dir/NAME-cert.pem, dir/NAME-key.pem. */
int vmctl_setup_make_node_cert(const char *dir, const VmctlSetupNode *n, char **ret_error);
/* The `put` lines of n's TLS files: the CA (its key too, for later joins) and n's own. */
int vmctl_setup_add_tls_files(GString *s, const char *dir, const VmctlSetupNode *n,
                              char **ret_error);
