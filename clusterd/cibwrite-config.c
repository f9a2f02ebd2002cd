/* The settings write: `vmctl config set` (cluster properties) and `vmctl node set` (a node's
 * capacity, standby and maintenance marks). */
#include "config.h"

#include <crm/common/xml.h>
#include <crm/crm.h>
#include <crm/msg_xml.h>
#include <string.h>

#include "cibdb.h"
#include "cibwrite-config.h"
#include "clusterprops.h"
#include "lrmstatus.h"
#include "maintcib.h"
#include "model.h"
#include "pcmknum.h"
#include "vmattr.h"

typedef enum {
    SETTING_PROPERTY,    /* a cluster property */
    SETTING_NODE_FLAG,   /* a node's standby or maintenance mark (Pacemaker's, on/off) */
    SETTING_UTILIZATION, /* a node's memory or cpu */
} SettingKind;

typedef struct {
    SettingKind kind;
    const char *key;
    const char *value; /* NULL (KEY=): back to the default, or the mark removed */
    bool on;           /* NODE_FLAG */
} Setting;

typedef struct {
    const char *node; /* `node set`; NULL for `config set` */
    Setting *settings;
    size_t n_settings;
} ConfigSet;

static VmhaResult decode_setting(CdWriteIn *in, const char *node, const char *kv, Setting *s,
                                 char **ret_error)
{
    const char *eq = strchr(kv, '=');

    if (!eq)
        return cd_write_fail(ret_error, VMHA_RESULT_USAGE, "'%s' is not KEY=VALUE", kv);
    s->key = cd_write_own(in, g_strndup(kv, eq - kv));
    s->value = eq[1] ? eq + 1 : NULL;
    if (node && (strcmp(s->key, "standby") == 0 || strcmp(s->key, "maintenance") == 0)) {
        s->kind = SETTING_NODE_FLAG;
        if (s->value && vmha_pcmk_boolean(s->value, &s->on) < 0)
            return cd_write_fail(ret_error, VMHA_RESULT_USAGE, "%s: '%s' is not on or off", s->key,
                                 s->value);
    } else if (node) {
        s->kind = SETTING_UTILIZATION;
        if (strcmp(s->key, "memory") != 0 && strcmp(s->key, "cpu") != 0)
            return cd_write_fail(ret_error, VMHA_RESULT_USAGE,
                                 "unknown node setting '%s' (memory, cpu, standby, maintenance)",
                                 s->key);
    } else {
        s->kind = SETTING_PROPERTY;
        if (!vmha_cluster_property(s->key))
            return cd_write_fail(ret_error, VMHA_RESULT_USAGE, "unknown cluster property '%s'",
                                 s->key);
    }
    return VMHA_RESULT_OK;
}

/* F_NODE for `node set`; F_KV KEY=VALUE, an empty VALUE for the default. */
static VmhaResult config_set_decode(CdWriteIn *in, void *write, char **ret_error)
{
    ConfigSet *w = write;
    char *const *kvs = NULL;

    if (cd_write_str(in, VMHA_F_NODE, &w->node) < 0)
        w->node = NULL;
    if (w->node && !vmha_node_name_valid(w->node))
        return cd_write_fail(ret_error, VMHA_RESULT_USAGE, "bad node name");
    if (cd_write_settings(in, &kvs, &w->n_settings, ret_error) != VMHA_RESULT_OK)
        return VMHA_RESULT_USAGE;
    w->settings = cd_write_own(in, g_new0(Setting, w->n_settings));
    for (size_t i = 0; i < w->n_settings; i++)
        if (decode_setting(in, w->node, kvs[i], &w->settings[i], ret_error) != VMHA_RESULT_OK)
            return VMHA_RESULT_USAGE;
    return VMHA_RESULT_OK;
}

static VmhaResult config_set_validate(const CdWriteCtx *ctx, const void *write, char **ret_error)
{
    const ConfigSet *w = write;
    return w->node ? cd_write_node_known(ctx->cib, w->node, ret_error) : VMHA_RESULT_OK;
}

/* Ending maintenance mode: a node out of this CPG view did not see it end. Its copy still says
 * maintenance-mode, so if it is lost it does not fence itself (clusterd/noquorum.c): it is
 * marked vmha-self-fence-disarmed, and its VMs wait for a real fence or its return rather than
 * for a self-fence deadline that means nothing for it (the mark goes with its next probe, or
 * its fence). Every member applies this write in the same view, so every copy gets the same
 * marks. Returns whether the status changed. */
static bool mark_disarmed_nodes(const CdWriteCtx *ctx, xmlNode *status)
{
    xmlNode *nodes = pcmk_find_cib_element(ctx->cib, XML_CIB_TAG_NODES);
    bool changed = false;

    for (xmlNode *n = nodes ? first_named_child(nodes, XML_CIB_TAG_NODE) : NULL; n;
         n = crm_next_same_xml(n)) {
        const char *id = crm_element_value(n, XML_ATTR_ID);
        const char *uname = crm_element_value(n, XML_ATTR_UNAME);
        gint64 nodeid = 0;
        bool member = false;
        if (!id || !uname || !g_ascii_string_to_signed(id, 10, 1, G_MAXUINT32, &nodeid, NULL))
            continue;
        for (size_t k = 0; k < ctx->n_members; k++)
            member |= ctx->members[k].nodeid == (uint32_t)nodeid;
        if (!member)
            changed |= vmha_lrm_node_disarmed(status, id, uname, true);
    }
    return changed;
}

static void set_one(xmlNode *config, const char *node, const Setting *s)
{
    switch (s->kind) {
    case SETTING_NODE_FLAG:
        vmha_cib_node_attr_set(first_named_child(config, XML_CIB_TAG_NODES), node, s->key,
                               s->on ? "on" : NULL);
        break;
    case SETTING_UTILIZATION:
        vmha_cib_node_utilization_set(first_named_child(config, XML_CIB_TAG_NODES), node, s->key,
                                      s->value);
        break;
    case SETTING_PROPERTY:
        vmha_cib_property_set(first_named_child(config, XML_CIB_TAG_CRMCONFIG), s->key, s->value);
        break;
    }
}

/* Every pair is applied to a copy, and the copy must load (lib/model checks every value and the
 * rules between them, such as the watchdog margin) before the configuration is replaced in one
 * step. */
static VmhaResult config_set_apply(const CdWriteCtx *ctx, const void *write, char **ret_error)
{
    const ConfigSet *w = write;
    xmlNode *copy = copy_xml(ctx->cib);
    xmlNode *config = pcmk_find_cib_element(copy, XML_CIB_TAG_CONFIGURATION);
    g_autoptr(VmhaModel) model = NULL, before = NULL;
    g_autoptr(GError) error = NULL, before_error = NULL;
    VmhaResult r = VMHA_RESULT_OK;

    for (size_t i = 0; i < w->n_settings; i++)
        set_one(config, w->node, &w->settings[i]);
    if (vmha_model_from_xml(copy, &model, &error) < 0)
        r = cd_write_fail(ret_error, VMHA_RESULT_USAGE, "%s", error->message);
    /* maintenance-mode going from on to off */
    bool ending = r == VMHA_RESULT_OK && !w->node && !model->maintenance_mode &&
                  vmha_model_from_xml(ctx->cib, &before, &before_error) == 0 &&
                  before->maintenance_mode;
    if (r == VMHA_RESULT_OK)
        r = cd_write_replace_configuration(config, ret_error);
    if (r == VMHA_RESULT_OK && ending) {
        xmlNode *status = cd_write_status_copy(ctx->cib);
        r = cd_write_replace_status(ctx->cib, status, mark_disarmed_nodes(ctx, status),
                                    "cannot record the nodes out of the view", ret_error);
    }
    free_xml(copy);
    return r;
}

const CdWriteType cd_write_config_set = {VMHA_MSG_CONFIG_SET, sizeof(ConfigSet), config_set_decode,
                                         config_set_validate, config_set_apply};
