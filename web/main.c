/* vmha-web: the cluster at a glance in a browser, with drain and resume (docs/web.md). One per
 * host beside clusterd, whose local socket it talks to as vmctl does. */
#include "config.h"

#include <glib-unix.h>
#include <libxml/parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "server.h"
#include "tls.h"

static gboolean on_signal(gpointer loop)
{
    g_main_loop_quit(loop);
    return G_SOURCE_REMOVE;
}

int main(int argc, char **argv)
{
    /* GOption overwrites a given option's string without freeing what was there: the defaults
     * are filled in after parsing. */
    g_autofree char *socket_path = NULL, *address = NULL, *cert = NULL, *key = NULL;
    g_autofree char *state_dir = NULL, *static_dir = NULL, *token_file = NULL;
    g_autofree char *admin_group = NULL, *reader_group = NULL;
    gint port = 9443;
    gboolean no_pam = FALSE, version = FALSE;
    GOptionEntry entries[] = {
            {"socket", 's', 0, G_OPTION_ARG_FILENAME, &socket_path, "clusterd's socket", "PATH"},
            {"address", 'a', 0, G_OPTION_ARG_STRING, &address,
             "IPv4 or IPv6 address to listen on (:: for both)", "ADDR"},
            {"port", 'p', 0, G_OPTION_ARG_INT, &port, "HTTPS port (9443)", "PORT"},
            {"cert", 0, 0, G_OPTION_ARG_FILENAME, &cert, "certificate (PEM)", "PATH"},
            {"key", 0, 0, G_OPTION_ARG_FILENAME, &key, "its private key (PEM)", "PATH"},
            {"state-dir", 0, 0, G_OPTION_ARG_FILENAME, &state_dir,
             "where the self-signed fallback is kept", "DIR"},
            {"static-dir", 0, 0, G_OPTION_ARG_FILENAME, &static_dir, "the page's files", "DIR"},
            {"token-file", 't', 0, G_OPTION_ARG_FILENAME, &token_file,
             "logins by token: lines 'USER admin|reader TOKEN'", "PATH"},
            {"no-pam", 0, 0, G_OPTION_ARG_NONE, &no_pam, "no logins by password", NULL},
            {"admin-group", 0, 0, G_OPTION_ARG_STRING, &admin_group,
             "users who may act (vmha-admin)", "GROUP"},
            {"reader-group", 0, 0, G_OPTION_ARG_STRING, &reader_group, "users who may look (vmha)",
             "GROUP"},
            {"version", 0, 0, G_OPTION_ARG_NONE, &version, "print the version", NULL},
            {NULL},
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("- vmha's web console");
    g_autoptr(GError) error = NULL;

    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &error) || argc != 1) {
        fprintf(stderr, "vmha-web: %s\n", error ? error->message : "no operands expected");
        return 2;
    }
    struct {
        char **value;
        const char *fallback;
    } defaults[] = {
            {&socket_path, VMHA_RUN_DIR "/clusterd.sock"},
            {&address, "0.0.0.0"},
            {&cert, "/etc/pki/libvirt/servercert.pem"},
            {&key, "/etc/pki/libvirt/private/serverkey.pem"},
            {&state_dir, VMHA_STATE_DIR "/web"},
            {&static_dir, VMHA_WEB_DIR},
            {&admin_group, "vmha-admin"},
            {&reader_group, "vmha"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(defaults); i++)
        if (!*defaults[i].value)
            *defaults[i].value = g_strdup(defaults[i].fallback);
    if (version) {
        printf("vmha-web %s\n", VMHA_VERSION);
        return 0;
    }
    if (port < 1 || port > 65535) {
        fprintf(stderr, "vmha-web: bad port %d: 1..65535\n", port);
        return 2;
    }
    g_autoptr(GArray) tokens = NULL;
    if (token_file && web_auth_load_tokens(token_file, &tokens, &error) < 0) {
        fprintf(stderr, "vmha-web: %s\n", error->message);
        return 1;
    }
    if (!tokens && no_pam) {
        fprintf(stderr, "vmha-web: --no-pam without --token-file: nobody could log in\n");
        return 2;
    }
    g_autofree char *cert_pem = NULL, *key_pem = NULL, *source = NULL;
    if (web_tls_load(cert, key, state_dir, &cert_pem, &key_pem, &source, &error) < 0) {
        fprintf(stderr, "vmha-web: %s\n", error->message);
        return 1;
    }
    WebServerConfig config = {
            .socket = socket_path,
            .address = address,
            .port = (uint16_t)port,
            .static_dir = static_dir,
            .cert_pem = cert_pem,
            .key_pem = key_pem,
            .tokens = tokens,
            .pam = !no_pam,
            .admin_group = admin_group,
            .reader_group = reader_group,
    };
    /* The API's threads parse the live database (libxml2): initialised once, before them. */
    xmlInitParser();
    WebServer *srv = web_server_start(&config, &error);
    if (!srv) {
        fprintf(stderr, "vmha-web: %s\n", error->message);
        return 1;
    }
    bool v6 = strchr(address, ':') != NULL;
    g_message("listening on https://%s%s%s:%d/ (certificate %s)", v6 ? "[" : "", address,
              v6 ? "]" : "", port, source);
    g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
    g_unix_signal_add(SIGTERM, on_signal, loop);
    g_unix_signal_add(SIGINT, on_signal, loop);
    g_main_loop_run(loop);
    web_server_stop(srv);
    memset(key_pem, 0, strlen(key_pem));
    g_message("stopped");
    return 0;
}
