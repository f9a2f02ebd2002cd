/* vmha-web's certificate: the cluster's (what `vmctl cluster setup` installs for libvirt's TLS)
 * when present, else a self-signed one made at the first start and kept (docs/web.md, "HTTPS"). */
#pragma once

#include <glib.h>

/* The PEM certificate and key: from cert_path and key_path when both can be read, else from
 * dir/selfsigned-{cert,key}.pem, made first when missing. 0, or -1 with *error set. */
int web_tls_load(const char *cert_path, const char *key_path, const char *dir, char **ret_cert,
                 char **ret_key, char **ret_source, GError **error);
