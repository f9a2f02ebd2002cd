#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "atomicwrite.h"
#include "tls.h"

#define SELF_SIGNED_DAYS 3650

static int fail(GError **error, const char *what, int r)
{
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "self-signed certificate: %s: %s", what,
                gnutls_strerror(r));
    return -1;
}

/* A P-256 key and a certificate for this host's name, signed by itself, valid ten years. */
static int make_self_signed(char **ret_cert, char **ret_key, GError **error)
{
    gnutls_x509_privkey_t key = NULL;
    gnutls_x509_crt_t crt = NULL;
    gnutls_datum_t cert_pem = {0}, key_pem = {0};
    char host[256] = "localhost";
    uint8_t serial[16];
    time_t now = time(NULL);
    int r, ret = -1;

    gethostname(host, sizeof(host) - 1);
    if (getrandom(serial, sizeof(serial), 0) != sizeof(serial)) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "self-signed certificate: no random bytes: %s", g_strerror(errno));
        return -1;
    }
    serial[0] &= 0x7f; /* a positive serial */
    if ((r = gnutls_x509_privkey_init(&key)) < 0 ||
        (r = gnutls_x509_privkey_generate(
                 key, GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0)) < 0) {
        fail(error, "key", r);
        goto out;
    }
    if ((r = gnutls_x509_crt_init(&crt)) < 0 || (r = gnutls_x509_crt_set_version(crt, 3)) < 0 ||
        (r = gnutls_x509_crt_set_serial(crt, serial, sizeof(serial))) < 0 ||
        (r = gnutls_x509_crt_set_activation_time(crt, now - 3600)) < 0 ||
        (r = gnutls_x509_crt_set_expiration_time(crt, now + SELF_SIGNED_DAYS * 86400LL)) < 0 ||
        (r = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, host,
                                           (unsigned)strlen(host))) < 0 ||
        (r = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, host,
                                                  (unsigned)strlen(host), GNUTLS_FSAN_SET)) < 0 ||
        (r = gnutls_x509_crt_set_key(crt, key)) < 0 ||
        (r = gnutls_x509_crt_set_basic_constraints(crt, 0, -1)) < 0 ||
        (r = gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE)) < 0 ||
        (r = gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0)) < 0 ||
        (r = gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0)) < 0) {
        fail(error, "certificate", r);
        goto out;
    }
    if ((r = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &cert_pem)) < 0 ||
        (r = gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &key_pem)) < 0) {
        fail(error, "export", r);
        goto out;
    }
    *ret_cert = g_strndup((const char *)cert_pem.data, cert_pem.size);
    *ret_key = g_strndup((const char *)key_pem.data, key_pem.size);
    ret = 0;
out:
    if (key_pem.data) {
        memset(key_pem.data, 0, key_pem.size);
        gnutls_free(key_pem.data);
    }
    gnutls_free(cert_pem.data);
    if (crt)
        gnutls_x509_crt_deinit(crt);
    if (key)
        gnutls_x509_privkey_deinit(key);
    return ret;
}

int web_tls_load(const char *cert_path, const char *key_path, const char *dir, char **ret_cert,
                 char **ret_key, char **ret_source, GError **error)
{
    g_autofree char *cert = NULL, *key = NULL;

    if (cert_path && key_path && g_file_get_contents(cert_path, &cert, NULL, NULL) &&
        g_file_get_contents(key_path, &key, NULL, NULL)) {
        *ret_cert = g_steal_pointer(&cert);
        *ret_key = g_steal_pointer(&key);
        *ret_source = g_strdup(cert_path);
        return 0;
    }
    g_clear_pointer(&cert, g_free);
    g_autofree char *self_cert = g_build_filename(dir, "selfsigned-cert.pem", NULL);
    g_autofree char *self_key = g_build_filename(dir, "selfsigned-key.pem", NULL);
    if (g_file_get_contents(self_cert, &cert, NULL, NULL) &&
        g_file_get_contents(self_key, &key, NULL, NULL)) {
        *ret_cert = g_steal_pointer(&cert);
        *ret_key = g_steal_pointer(&key);
        *ret_source = g_strdup(self_cert);
        return 0;
    }
    g_clear_pointer(&cert, g_free);
    g_clear_pointer(&key, g_free);
    if (g_mkdir_with_parents(dir, 0700) < 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "cannot create %s: %s",
                    dir, g_strerror(errno));
        return -1;
    }
    if (make_self_signed(&cert, &key, error) < 0)
        return -1;
    /* The key first: a certificate without its key would be kept and fail at every start. */
    if (vmha_atomic_write(self_key, key, strlen(key), 0600, VMHA_ATOMIC_WRITE_SYNC, error) < 0 ||
        vmha_atomic_write(self_cert, cert, strlen(cert), 0644, VMHA_ATOMIC_WRITE_SYNC, error) < 0)
        return -1;
    *ret_cert = g_steal_pointer(&cert);
    *ret_key = g_steal_pointer(&key);
    *ret_source = g_strdup_printf("%s (self-signed, made now)", self_cert);
    return 0;
}
