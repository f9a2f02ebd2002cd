/* The files `vmctl cluster setup|join` install on hosts: the corosync authkey, and for libvirt's
 * TLS transport (live migration between hosts: qemu+tls://) a certificate of the cluster's own CA
 * in libvirt's default places (/etc/pki/CA/cacert.pem, /etc/pki/libvirt/{server,client}cert.pem
 * and /etc/pki/libvirt/private/{server,client}key.pem); the CA itself in /etc/vmha/pki, from
 * which `join` signs a new host's certificate. Keys and certificates are made here (openssl) in
 * a private directory and travel inside step scripts as `put` lines. */
#include "config.h"

#include <string.h>

#include "remote.h"
#include "setup-files.h"

int vmctl_setup_run_local(const char *const *argv, char **ret_error)
{
    g_autofree char *err = NULL;
    g_autoptr(GError) error = NULL;
    int status = 0;

    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                      NULL, NULL, NULL, &err, &status, &error)) {
        *ret_error = g_strdup_printf("%s: %s", argv[0], error->message);
        return -1;
    }
    if (!g_spawn_check_wait_status(status, NULL)) {
        g_autofree char *line = vmctl_remote_last_line(err);
        *ret_error = g_strdup_printf("%s failed: %s", argv[0], line);
        return -1;
    }
    return 0;
}

void vmctl_setup_add_put(GString *s, const char *path, const char *mode, const char *content,
                         gsize len)
{
    g_autofree char *b64 = g_base64_encode((const guchar *)content, len);
    g_string_append_printf(s, "put %s %s <<'VMHA_EOF'\n", path, mode);
    for (size_t off = 0, n = strlen(b64); off < n; off += 76)
        g_string_append_printf(s, "%.76s\n", b64 + off);
    g_string_append(s, "VMHA_EOF\n");
}

int vmctl_setup_add_put_file(GString *s, const char *path, const char *mode, const char *from,
                             char **ret_error)
{
    g_autofree char *content = NULL;
    gsize len = 0;
    g_autoptr(GError) error = NULL;
    if (!g_file_get_contents(from, &content, &len, &error)) {
        *ret_error = g_strdup(error->message);
        return -1;
    }
    vmctl_setup_add_put(s, path, mode, content, len);
    return 0;
}

/* openssl req's new key, the CA's and every host's alike: an unencrypted P-256 EC key. */
#define NEW_KEY "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"

/* A key and certificate for node (server and client: libvirt uses both), signed by the CA in
 * dir (cacert.pem, cakey.pem); written to dir/NAME-cert.pem, dir/NAME-key.pem. */
int vmctl_setup_make_node_cert(const char *dir, const VmctlSetupNode *n, char **ret_error)
{
    g_autofree char *key = g_strdup_printf("%s/%s-key.pem", dir, n->h.name);
    g_autofree char *csr = g_strdup_printf("%s/%s.csr", dir, n->h.name);
    g_autofree char *cert = g_strdup_printf("%s/%s-cert.pem", dir, n->h.name);
    g_autofree char *ext = g_strdup_printf("%s/%s.ext", dir, n->h.name);
    g_autofree char *ca = g_strdup_printf("%s/cacert.pem", dir);
    g_autofree char *cakey = g_strdup_printf("%s/cakey.pem", dir);
    g_autofree char *subj = g_strdup_printf("/O=vmha/CN=%s", n->h.name);
    g_autofree char *exts = g_strdup_printf("basicConstraints=critical,CA:FALSE\n"
                                            "keyUsage=digitalSignature,keyEncipherment\n"
                                            "extendedKeyUsage=serverAuth,clientAuth\n"
                                            "subjectAltName=DNS:%s,IP:%s\n",
                                            n->h.name, n->h.addr);
    guint8 rnd[8];
    for (size_t i = 0; i < sizeof(rnd); i++)
        rnd[i] = (guint8)g_random_int_range(0, 256);
    rnd[0] &= 0x7f;
    g_autofree char *serial = g_strdup_printf("0x%02x%02x%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1],
                                              rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
    if (!g_file_set_contents(ext, exts, -1, NULL)) {
        *ret_error = g_strdup("cannot write a temporary file");
        return -1;
    }
    const char *req[] = {"openssl", "req", NEW_KEY, "-keyout", key,
                         "-out",    csr,   "-subj", subj,      NULL};
    const char *sign[] = {"openssl", "x509",     "-req", "-in",         csr,    "-CA",
                          ca,        "-CAkey",   cakey,  "-set_serial", serial, "-days",
                          "3650",    "-extfile", ext,    "-out",        cert,   NULL};
    return vmctl_setup_run_local(req, ret_error) < 0 || vmctl_setup_run_local(sign, ret_error) < 0
                   ? -1
                   : 0;
}

int vmctl_setup_make_ca(const char *dir, const char *cluster, char **ret_error)
{
    g_autofree char *key = g_strdup_printf("%s/cakey.pem", dir);
    g_autofree char *cert = g_strdup_printf("%s/cacert.pem", dir);
    g_autofree char *subj = g_strdup_printf("/O=vmha/CN=vmha cluster %s CA", cluster);
    const char *argv[] = {"openssl", "req",
                          "-x509",   NEW_KEY,
                          "-keyout", key,
                          "-out",    cert,
                          "-days",   "3650",
                          "-subj",   subj,
                          "-addext", "basicConstraints=critical,CA:TRUE",
                          "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                          NULL};
    return vmctl_setup_run_local(argv, ret_error);
}

/* The TLS files of one node: the CA (also its key, for later joins) and the node's own. */
int vmctl_setup_add_tls_files(GString *s, const char *dir, const VmctlSetupNode *n,
                              char **ret_error)
{
    g_autofree char *ca = g_strdup_printf("%s/cacert.pem", dir);
    g_autofree char *cakey = g_strdup_printf("%s/cakey.pem", dir);
    g_autofree char *cert = g_strdup_printf("%s/%s-cert.pem", dir, n->h.name);
    g_autofree char *key = g_strdup_printf("%s/%s-key.pem", dir, n->h.name);

    if (vmctl_setup_add_put_file(s, CA_CERT, "0644", ca, ret_error) < 0 ||
        vmctl_setup_add_put_file(s, VMHA_PKI_DIR "/cacert.pem", "0644", ca, ret_error) < 0 ||
        vmctl_setup_add_put_file(s, VMHA_PKI_DIR "/cakey.pem", "0400", cakey, ret_error) < 0 ||
        vmctl_setup_add_put_file(s, "/etc/pki/libvirt/servercert.pem", "0644", cert, ret_error) <
                0 ||
        vmctl_setup_add_put_file(s, "/etc/pki/libvirt/clientcert.pem", "0644", cert, ret_error) <
                0 ||
        vmctl_setup_add_put_file(s, "/etc/pki/libvirt/private/serverkey.pem", "0600", key,
                                 ret_error) < 0 ||
        vmctl_setup_add_put_file(s, "/etc/pki/libvirt/private/clientkey.pem", "0600", key,
                                 ret_error) < 0)
        return -1;
    return 0;
}
