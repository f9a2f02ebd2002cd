/* Writes about alerts (vmctl alert add|remove): an <alert> in the configuration's <alerts>, as
 * Pacemaker's schema has it, so that cibadmin and crm_mon read the same alerts clusterd runs. */
#include "config.h"

#include <crm/common/xml.h>
#include <crm/crm.h>
#include <crm/msg_xml.h>
#include <string.h>

#include "alerts.h"
#include "cibdb.h"
#include "cibwrite-alert.h"

/* The <alert> with that id in a configuration section (and its <alerts>). */
static xmlNode *find_alert(xmlNode *config, const char *id, xmlNode **ret_alerts)
{
    xmlNode *alerts = config ? first_named_child(config, "alerts") : NULL;

    if (ret_alerts)
        *ret_alerts = alerts;
    for (xmlNode *a = alerts ? first_named_child(alerts, "alert") : NULL; a;
         a = crm_next_same_xml(a))
        if (g_strcmp0(crm_element_value(a, XML_ATTR_ID), id) == 0)
            return a;
    return NULL;
}

static VmhaResult decode_id(CdWriteIn *in, const char **ret_id, char **ret_error)
{
    if (cd_write_str(in, VMHA_F_NAME, ret_id) < 0 || !vmha_alert_id_valid(*ret_id))
        return cd_write_fail(ret_error, VMHA_RESULT_USAGE, "bad alert id");
    return VMHA_RESULT_OK;
}

/* ---- alert add: F_NAME the id, F_KV path=..., timeout=, timestamp-format=, select=,
 * recipient= (repeated), option=NAME=VALUE (repeated) ---- */

typedef struct {
    const char *id;
    VmhaAlertSpec spec;      /* its arrays taken out: */
    const char **recipients; /* NULL-terminated, the strings in the message */
    const char **options;    /* NAME=VALUE */
} AlertAdd;

static const char **take_strv(CdWriteIn *in, GPtrArray *a)
{
    g_ptr_array_add(a, NULL);
    return cd_write_own(in, g_ptr_array_free(a, FALSE));
}

static VmhaResult alert_add_decode(CdWriteIn *in, void *write, char **ret_error)
{
    AlertAdd *w = write;
    char *const *pairs = NULL;
    char *error = NULL;

    if (decode_id(in, &w->id, ret_error) != VMHA_RESULT_OK)
        return VMHA_RESULT_USAGE;
    if (cd_write_strv(in, VMHA_F_KV, &pairs) < 0)
        return cd_write_fail(ret_error, VMHA_RESULT_USAGE, "malformed alert settings");
    if (vmha_alert_spec_parse(pairs, &w->spec, &error) < 0) {
        cd_write_own(in, error);
        return cd_write_fail(ret_error, VMHA_RESULT_USAGE, "%s", error);
    }
    /* Kept until the write is done; the strings they point to are the message's. */
    w->recipients = take_strv(in, g_steal_pointer(&w->spec.recipients));
    w->options = take_strv(in, g_steal_pointer(&w->spec.options));
    return VMHA_RESULT_OK;
}

static VmhaResult alert_add_validate(const CdWriteCtx *ctx, const void *write, char **ret_error)
{
    const AlertAdd *w = write;

    if (find_alert(pcmk_find_cib_element(ctx->cib, XML_CIB_TAG_CONFIGURATION), w->id, NULL))
        return cd_write_fail(ret_error, VMHA_RESULT_FAILURE,
                             "alert '%s' already exists (remove it first)", w->id);
    if (cd_write_id_taken(ctx->cib, w->id))
        return cd_write_fail(ret_error, VMHA_RESULT_FAILURE,
                             "the id '%s' is already used in the database", w->id);
    return VMHA_RESULT_OK;
}

static xmlNode *new_alert(const AlertAdd *w)
{
    const VmhaAlertSpec *s = &w->spec;
    const char *id = w->id;
    xmlNode *alert = create_xml_node(NULL, "alert");

    crm_xml_add(alert, XML_ATTR_ID, id);
    crm_xml_add(alert, "path", s->path);
    if (s->kinds != VMHA_ALERT_ALL) {
        xmlNode *select = create_xml_node(alert, "select");
        if (s->kinds & VMHA_ALERT_FENCING)
            create_xml_node(select, "select_fencing");
        if (s->kinds & VMHA_ALERT_NODE)
            create_xml_node(select, "select_nodes");
        if (s->kinds & VMHA_ALERT_RESOURCE)
            create_xml_node(select, "select_resources");
    }
    if (s->timeout || s->timestamp_format) {
        xmlNode *meta = cd_write_add_set(alert, XML_TAG_META_SETS, id, "meta_attributes");
        if (s->timeout)
            cd_write_add_nvpair(meta, "timeout", s->timeout);
        if (s->timestamp_format)
            cd_write_add_nvpair(meta, "timestamp-format", s->timestamp_format);
    }
    if (w->options[0]) {
        xmlNode *inst = cd_write_add_set(alert, XML_TAG_ATTR_SETS, id, "instance_attributes");
        for (size_t i = 0; w->options[i]; i++) {
            const char *eq = strchr(w->options[i], '=');
            g_autofree char *name = g_strndup(w->options[i], (size_t)(eq - w->options[i]));
            cd_write_add_nvpair(inst, name, eq + 1);
        }
    }
    for (size_t i = 0; w->recipients[i]; i++) {
        xmlNode *r = create_xml_node(alert, "recipient");
        g_autofree char *rid = g_strdup_printf("%s-recipient-%zu", id, i + 1);
        crm_xml_add(r, XML_ATTR_ID, rid);
        crm_xml_add(r, "value", w->recipients[i]);
    }
    return alert;
}

static VmhaResult alert_add_apply(const CdWriteCtx *ctx, const void *write, char **ret_error)
{
    const AlertAdd *w = write;
    xmlNode *config = copy_xml(pcmk_find_cib_element(ctx->cib, XML_CIB_TAG_CONFIGURATION));
    xmlNode *alerts = first_named_child(config, "alerts");

    if (!alerts)
        alerts = create_xml_node(config, "alerts");
    xmlNode *alert = new_alert(w);
    xmlAddChild(alerts, xmlDocCopyNode(alert, config->doc, 1));
    free_xml(alert);
    VmhaResult r = cd_write_replace_configuration(config, ret_error);
    free_xml(config);
    return r;
}

const CdWriteType cd_write_alert_add = {VMHA_MSG_ALERT_ADD, sizeof(AlertAdd), alert_add_decode,
                                        alert_add_validate, alert_add_apply};

/* ---- alert remove: F_NAME ---- */

typedef struct {
    const char *id;
} AlertRemove;

static VmhaResult alert_remove_decode(CdWriteIn *in, void *write, char **ret_error)
{
    AlertRemove *w = write;
    return decode_id(in, &w->id, ret_error);
}

static VmhaResult alert_remove_validate(const CdWriteCtx *ctx, const void *write, char **ret_error)
{
    const AlertRemove *w = write;

    if (!find_alert(pcmk_find_cib_element(ctx->cib, XML_CIB_TAG_CONFIGURATION), w->id, NULL))
        return cd_write_fail(ret_error, VMHA_RESULT_NOT_FOUND, "unknown alert '%s'", w->id);
    return VMHA_RESULT_OK;
}

static VmhaResult alert_remove_apply(const CdWriteCtx *ctx, const void *write, char **ret_error)
{
    const AlertRemove *w = write;
    xmlNode *config = copy_xml(pcmk_find_cib_element(ctx->cib, XML_CIB_TAG_CONFIGURATION));
    xmlNode *alerts = NULL;
    xmlNode *alert = find_alert(config, w->id, &alerts);

    free_xml(alert);
    /* The last one gone, the section goes too: the configuration as it was before alerts. */
    if (alerts && !first_named_child(alerts, "alert"))
        free_xml(alerts);
    VmhaResult r = cd_write_replace_configuration(config, ret_error);
    free_xml(config);
    return r;
}

const CdWriteType cd_write_alert_remove = {VMHA_MSG_ALERT_REMOVE, sizeof(AlertRemove),
                                           alert_remove_decode, alert_remove_validate,
                                           alert_remove_apply};
