#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <security/pam_appl.h>
#include <string.h>
#include <sys/stat.h>

#include "auth.h"

static bool in_group(const struct passwd *pw, const char *group)
{
    struct group *gr = group ? getgrnam(group) : NULL;
    int n = 64;

    if (!gr)
        return false;
    for (int attempt = 0; attempt < 2; attempt++) {
        g_autofree gid_t *gids = g_new(gid_t, n);
        int want = n;
        if (getgrouplist(pw->pw_name, pw->pw_gid, gids, &want) >= 0) {
            for (int i = 0; i < want; i++)
                if (gids[i] == gr->gr_gid)
                    return true;
            return false;
        }
        n = want;
    }
    return false;
}

WebRole web_auth_role_of(const char *user, const char *admin_group, const char *reader_group)
{
    struct passwd *pw = getpwnam(user);

    if (!pw)
        return WEB_ROLE_NONE;
    if (pw->pw_uid == 0 || in_group(pw, admin_group))
        return WEB_ROLE_ADMIN;
    if (in_group(pw, reader_group))
        return WEB_ROLE_READER;
    return WEB_ROLE_NONE;
}

/* PAM asks for the password (and perhaps says something): answered from what the form sent. */
static int converse(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
    struct pam_response *r = calloc((size_t)n, sizeof(*r));

    if (!r)
        return PAM_BUF_ERR;
    for (int i = 0; i < n; i++) {
        if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF) {
            r[i].resp = strdup(data);
            if (!r[i].resp) {
                for (int j = 0; j < i; j++)
                    free(r[j].resp);
                free(r);
                return PAM_BUF_ERR;
            }
        } else if (msg[i]->msg_style == PAM_PROMPT_ECHO_ON) {
            /* Only the password is asked for; anything else fails the login. */
            for (int j = 0; j < i; j++)
                free(r[j].resp);
            free(r);
            return PAM_CONV_ERR;
        }
    }
    *resp = r;
    return PAM_SUCCESS;
}

int web_auth_pam(const char *user, const char *password, char **ret_reason)
{
    struct pam_conv conv = {.conv = converse, .appdata_ptr = (void *)password};
    pam_handle_t *h = NULL;
    int r = pam_start("vmha-web", user, &conv, &h);

    if (r == PAM_SUCCESS)
        r = pam_authenticate(h, PAM_DISALLOW_NULL_AUTHTOK);
    if (r == PAM_SUCCESS)
        r = pam_acct_mgmt(h, PAM_DISALLOW_NULL_AUTHTOK);
    if (r != PAM_SUCCESS)
        *ret_reason = g_strdup(pam_strerror(h, r));
    if (h)
        pam_end(h, r);
    return r == PAM_SUCCESS ? 0 : -1;
}

int web_auth_load_tokens(const char *path, GArray **ret_tokens, GError **error)
{
    g_autofree char *text = NULL, *why = NULL;
    struct stat st;

    if (stat(path, &st) < 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", path,
                    g_strerror(errno));
        return -1;
    }
    if (st.st_mode & S_IROTH) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_PERM,
                    "%s: readable by everyone; refusing its tokens (chmod o-r)", path);
        return -1;
    }
    if (!g_file_get_contents(path, &text, NULL, error))
        return -1;
    if (web_tokens_parse(text, ret_tokens, &why) < 0) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: %s", path, why);
        return -1;
    }
    return 0;
}
