/* Who may log in to vmha-web and with which role: Linux users through PAM (service "vmha-web"),
 * their role from their groups; or a line of the token file (docs/web.md, "Logging in"). */
#pragma once

#include <glib.h>

#include "session.h"

/* The role of a user: admin when in admin_group (or root), reader when in reader_group, else
 * NONE. */
WebRole web_auth_role_of(const char *user, const char *admin_group, const char *reader_group);

/* Checks user's password through PAM (authentication and account). 0, or -1 with *ret_reason. */
int web_auth_pam(const char *user, const char *password, char **ret_reason);

/* Reads the token file; it must not be readable by others than its owner and group. 0, or -1
 * with *error. */
int web_auth_load_tokens(const char *path, GArray **ret_tokens, GError **error);
