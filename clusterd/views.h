/* views.c: JSON answers for vmctl's read requests (docs/vmctl.md), and the live CIB. */
#pragma once

#include <glib.h>

void cd_views_finalise(void); /* drops what the status answers keep between requests */

char *cd_view_status(void);
char *cd_view_nodes(void);
char *cd_view_vms(void);
char *cd_view_config(void);
char *cd_view_fences(void); /* stonith primitives; secret option values hidden */
char *cd_view_alerts(void); /* <alerts> as clusterd reads them; secret option values hidden */
/* The CIB as the policy engine reads it here and now: the stored copy with have-quorum and a
 * node_state per configured node from the current membership. -EAGAIN while out of sync;
 * *ret_error says why on failure. */
int cd_view_cib(char **ret_xml, char **ret_error) G_GNUC_WARN_UNUSED_RESULT;
/* What cd_view_cib adds to the stored copy (quorum, each node's id and membership), as text: with
 * the database's generation it keys what is derived from the live CIB. */
char *cd_view_live_facts(void);
/* The same for readers outside clusterd (any local user): fence device secrets hidden. */
int cd_view_cib_redacted(char **ret_xml, char **ret_error) G_GNUC_WARN_UNUSED_RESULT;
