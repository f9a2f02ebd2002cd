/* Alerts, as Pacemaker has them (Pacemaker Explained, "Alerts"; docs/ARCHITECTURE.md, "Alerts"):
 * the `<alerts>` section of the CIB's configuration read into a list, which event of the history
 * raises which alert (kind node, fencing or resource), and the CRM_alert_* environment an alert
 * agent is run with, so that agents written for Pacemaker (its samples in
 * /usr/share/pacemaker/alerts) work unchanged. Pure: the caller passes the time and runs the
 * agents (clusterd/alerts.c). */
#pragma once

#include <glib.h>
#include <libxml/tree.h>
#include <stdbool.h>
#include <stdint.h>

#include "eventlog.h"

typedef enum {
    VMHA_ALERT_NODE = 1 << 0,
    VMHA_ALERT_FENCING = 1 << 1,
    VMHA_ALERT_RESOURCE = 1 << 2,
    VMHA_ALERT_ALL = (1 << 3) - 1,
} VmhaAlertKind;

/* Pacemaker's defaults for the meta attributes timeout and timestamp-format. */
#define VMHA_ALERT_DEFAULT_TIMEOUT_MS 30000
#define VMHA_ALERT_DEFAULT_TS_FORMAT  "%H:%M:%S.%06N"

typedef struct {
    char *id;
    char *value;            /* what the agent is told (CRM_alert_recipient) */
    int64_t timeout_ms;     /* the recipient's own meta timeout, else the alert's */
    char *timestamp_format; /* the recipient's own, else the alert's */
    char **attrs;           /* instance attributes NAME=VALUE: the alert's, then the recipient's */
    bool enabled;
} VmhaAlertRecipient;

typedef struct {
    char *id;
    char *path;
    int64_t timeout_ms;
    char *timestamp_format;
    char **attrs;          /* instance attributes NAME=VALUE (passed to the agent as variables) */
    unsigned kinds;        /* <select>: the kinds it wants (VMHA_ALERT_ALL without one) */
    bool enabled;          /* meta enabled (Pacemaker 2.1.6) */
    GPtrArray *recipients; /* VmhaAlertRecipient*, in document order */
} VmhaAlert;

void vmha_alert_free(VmhaAlert *alert);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmhaAlert, vmha_alert_free)

/* The alerts of a CIB (the whole document or its <alerts> element): a GPtrArray of VmhaAlert*
 * in document order, empty when there are none. An <alert> without id or path is skipped with
 * a line in *warnings (may be NULL). */
GPtrArray *vmha_alerts_read(xmlNode *cib, GPtrArray *warnings);

/* The names are those Pacemaker's schema allows in an id, and a path is absolute. */
bool vmha_alert_id_valid(const char *id);
bool vmha_alert_path_valid(const char *path);
/* A kind's name (node, fencing, resource) and back. */
const char *vmha_alert_kind_to_string(VmhaAlertKind kind);
int vmha_alert_kind_from_string(const char *s, VmhaAlertKind *ret);

/* ---- from events to alerts ---- */

/* What one alert says, before the recipient and the time are added. The strings point into the
 * event (or are static) and live as long as it. */
typedef struct {
    VmhaAlertKind kind;
    const char *node;
    uint32_t nodeid; /* node alerts: 0 when unknown */
    const char *rsc;
    const char *task;
    char *desc; /* owned: vmha_alert_info_clear */
    int rc, target_rc, status;
    int64_t interval_ms;
    int64_t exec_ms; /* -1: none */
    uint64_t seq;    /* the event's */
    const char *event_type;
} VmhaAlertInfo;

void vmha_alert_info_clear(VmhaAlertInfo *info);

/* The alert the event raises: 0 and *ret filled, or -ENOENT for an event Pacemaker raises no
 * alert for (a configuration change, a plan, a fencing that only started, a view: its new
 * members are node alerts through vmha_alert_members_joined). fence_how: for a failed fencing,
 * the "DEVICE (ACTION)" of the attempt (the FENCE_STARTED event before it), else NULL. */
int vmha_alert_of_event(const VmhaEvent *ev, const char *fence_how, VmhaAlertInfo *ret);

/* The nodes of a MEMBERSHIP event's view ("quorate view: n1, n2") that were not in the view
 * before (prev, may be NULL: then none, the first view seen is the baseline). NULL-terminated;
 * *ret_members gets the view's nodes. */
char **vmha_alert_members_joined(const VmhaEvent *membership, char *const *prev,
                                 char ***ret_members);
/* A node alert "member" for name. */
void vmha_alert_node_member(const char *name, uint32_t nodeid, const VmhaEvent *ev,
                            VmhaAlertInfo *ret);

/* now_us (microseconds since the epoch) formatted as Pacemaker formats timestamp-format:
 * strftime(3) in local time, and %N (with optional width, %3N, %06N) the fraction of the second
 * in that many digits (9 without a width). */
char *vmha_alert_timestamp(const char *format, int64_t now_us);

/* The agent's whole environment (NAME=VALUE, NULL-terminated): PATH, the instance attributes,
 * then CRM_alert_* and their CRM_notify_* twins as Pacemaker sets them. node_sequence counts
 * the alerts raised on this node; version: CRM_alert_version. */
char **vmha_alert_env(const VmhaAlertInfo *info, const VmhaAlertRecipient *recipient,
                      const VmhaAlert *alert, uint64_t node_sequence, int64_t now_us,
                      const char *version);

/* ---- vmctl alert add: the request's settings (F_KV), checked alike by vmctl and clusterd ---- */

/* An instance attribute's name: it becomes a variable of the agent's environment, so a shell
 * name ([A-Za-z_][A-Za-z0-9_]*, 64 at most), and none of Pacemaker's CRM_* or PATH. */
bool vmha_alert_option_name_valid(const char *name);
/* "node,fencing,resource" (any of them, once each) as a mask; -EINVAL otherwise. */
int vmha_alert_kinds_parse(const char *list, unsigned *ret_kinds);

/* The settings of an alert to add, read from KEY=VALUE pairs: path= (required, absolute),
 * timeout= (a duration as vmha reads its own), timestamp-format=, select= (kinds),
 * recipient= (repeated), option=NAME=VALUE (repeated). Pointers into pairs. */
typedef struct {
    const char *path;
    const char *timeout;
    const char *timestamp_format;
    unsigned kinds;        /* VMHA_ALERT_ALL when no select= */
    GPtrArray *recipients; /* const char * */
    GPtrArray *options;    /* const char * NAME=VALUE */
} VmhaAlertSpec;

/* 0, or -EINVAL with *ret_error (g_free) naming the bad pair. Free spec with
 * vmha_alert_spec_clear. */
int vmha_alert_spec_parse(char *const *pairs, VmhaAlertSpec *spec, char **ret_error);
void vmha_alert_spec_clear(VmhaAlertSpec *spec);
