/* What the rows of the write table share (cibwrite-common.h). */
#include "config.h"

#include <crm/cib/util.h>
#include <crm/common/xml.h>
#include <crm/crm.h>
#include <crm/msg_xml.h>
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "cibdb.h"
#include "cibread.h"
#include "cibwrite-common.h"
#include "statusdelta.h"

VmhaResult cd_write_fail(char **ret_error, VmhaResult result, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    *ret_error = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    return result;
}

/* ---- decoding ---- */

void *cd_write_own(CdWriteIn *in, void *p)
{
    if (p)
        g_ptr_array_add(in->owned, p);
    return p;
}

char **cd_write_own_strv(CdWriteIn *in, char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        cd_write_own(in, v[i]);
    return cd_write_own(in, v);
}

int cd_write_str(CdWriteIn *in, VmhaField tag, const char **ret)
{
    char *s = NULL;

    if (!vmha_msg_get(in->msg, tag))
        return -ENOENT;
    if (vmha_msg_get_str(in->msg, tag, &s) < 0)
        return -EBADMSG;
    *ret = cd_write_own(in, s);
    return 0;
}

int cd_write_strv(CdWriteIn *in, VmhaField tag, char *const **ret)
{
    char **v = NULL;

    if (vmha_msg_get_strv(in->msg, tag, &v) < 0)
        return -EBADMSG;
    *ret = cd_write_own_strv(in, v);
    return 0;
}

const char *cd_write_kv(char *const *pairs, const char *key)
{
    size_t n = strlen(key);
    for (size_t i = 0; pairs && pairs[i]; i++)
        if (strncmp(pairs[i], key, n) == 0 && pairs[i][n] == '=')
            return pairs[i] + n + 1;
    return NULL;
}

int cd_write_time(CdWriteIn *in, int64_t *ret)
{
    char *const *kvs = NULL;
    guint64 v;

    if (cd_write_strv(in, VMHA_F_KV, &kvs) < 0)
        return -EINVAL;
    for (size_t i = 0; kvs[i]; i++) {
        if (!g_str_has_prefix(kvs[i], "time="))
            continue;
        if (!g_ascii_string_to_unsigned(kvs[i] + 5, 10, 0, G_MAXINT64, &v, NULL))
            return -EINVAL;
        *ret = (int64_t)v;
        return 0;
    }
    return -EINVAL;
}

VmhaResult cd_write_settings(CdWriteIn *in, char *const **ret_pairs, size_t *ret_n,
                             char **ret_error)
{
    if (cd_write_strv(in, VMHA_F_KV, ret_pairs) < 0 || !(*ret_pairs)[0])
        return cd_write_fail(ret_error, VMHA_RESULT_USAGE, "nothing to set");
    *ret_n = g_strv_length((char **)*ret_pairs);
    return VMHA_RESULT_OK;
}

/* ---- the database before the write ---- */

VmhaResult cd_write_vm_known(xmlNode *cib, const char *name, char **ret_error)
{
    if (!cd_cib_vm(cib, name))
        return cd_write_fail(ret_error, VMHA_RESULT_NOT_FOUND, "unknown VM '%s'", name);
    return VMHA_RESULT_OK;
}

VmhaResult cd_write_node_known(xmlNode *cib, const char *uname, char **ret_error)
{
    if (!cd_write_node_id(cib, uname))
        return cd_write_fail(ret_error, VMHA_RESULT_NOT_FOUND, "unknown node '%s'", uname);
    return VMHA_RESULT_OK;
}

static xmlNode *find_node(xmlNode *cib, const char *attr, const char *value)
{
    g_autofree char *xpath =
            g_strdup_printf("//" XML_CIB_TAG_NODES "/" XML_CIB_TAG_NODE "[@%s='%s']", attr, value);
    return get_xpath_object(xpath, cib, LOG_NEVER);
}

const char *cd_write_node_id(xmlNode *cib, const char *uname)
{
    xmlNode *node = find_node(cib, XML_ATTR_UNAME, uname);
    return node ? crm_element_value(node, XML_ATTR_ID) : NULL;
}

const char *cd_write_node_uname(xmlNode *cib, const char *id)
{
    xmlNode *node = find_node(cib, XML_ATTR_ID, id);
    return node ? crm_element_value(node, XML_ATTR_UNAME) : NULL;
}

xmlNode *cd_write_node_state(xmlNode *status, const char *id)
{
    for (xmlNode *ns = first_named_child(status, XML_CIB_TAG_STATE); ns; ns = crm_next_same_xml(ns))
        if (g_strcmp0(crm_element_value(ns, XML_ATTR_ID), id) == 0)
            return ns;
    return NULL;
}

bool cd_write_node_draining(xmlNode *cib, const char *uname)
{
    g_autofree char *xpath = g_strdup_printf("//" XML_CIB_TAG_NODES "/" XML_CIB_TAG_NODE
                                             "[@uname='%s']/" XML_TAG_ATTR_SETS
                                             "/" XML_CIB_TAG_NVPAIR "[@name='vmha-drain']",
                                             uname);
    xmlNode *nv = get_xpath_object(xpath, cib, LOG_NEVER);
    return nv && crm_is_true(crm_element_value(nv, XML_NVPAIR_ATTR_VALUE));
}

bool cd_write_id_taken(xmlNode *cib, const char *id)
{
    g_autofree char *xpath = g_strdup_printf("//*[@id='%s']", id);
    return get_xpath_object(xpath, cib, LOG_NEVER) != NULL;
}

/* ---- building and changing the database ---- */

xmlNode *cd_write_add_set(xmlNode *parent, const char *tag, const char *owner, const char *suffix)
{
    g_autofree char *id = g_strdup_printf("%s-%s", owner, suffix);
    xmlNode *set = create_xml_node(parent, tag);
    crm_xml_add(set, XML_ATTR_ID, id);
    return set;
}

void cd_write_add_nvpair(xmlNode *set, const char *name, const char *value)
{
    g_autofree char *id = g_strdup_printf("%s-%s", crm_element_value(set, XML_ATTR_ID), name);
    xmlNode *nv = create_xml_node(set, XML_CIB_TAG_NVPAIR);
    crm_xml_add(nv, XML_ATTR_ID, id);
    crm_xml_add(nv, XML_NVPAIR_ATTR_NAME, name);
    crm_xml_add(nv, XML_NVPAIR_ATTR_VALUE, value);
}

xmlNode *cd_write_status_copy(xmlNode *cib)
{
    xmlNode *status = pcmk_find_cib_element(cib, XML_CIB_TAG_STATUS);
    return status ? copy_xml(status) : create_xml_node(NULL, XML_CIB_TAG_STATUS);
}

VmhaResult cd_write_db_result(int r, const GError *error, const char *what, char **ret_error)
{
    if (r >= 0)
        return VMHA_RESULT_OK;
    return cd_write_fail(ret_error, VMHA_RESULT_FAILURE, "%s: %s", what,
                         error ? error->message : g_strerror(-r));
}

bool cd_write_status_delta = true;
unsigned cd_write_status_modifies;

/* Replacing the section costs O(VMs²) in libcrmcommon's comparison of the old and new copies; a
 * write changes one or a few entries, which a modify merges in O(VMs) (issue 18). */
VmhaResult cd_write_replace_status(xmlNode *cib, xmlNode *copy, bool changed, const char *what,
                                   char **ret_error)
{
    g_autoptr(GError) error = NULL;
    xmlNode *update = NULL;
    int delta = changed && cd_write_status_delta
                        ? vmha_status_delta(pcmk_find_cib_element(cib, XML_CIB_TAG_STATUS), copy,
                                            &update)
                        : -1;
    int r = 0;

    if (delta > 0) {
        r = cd_cibdb_modify_section(XML_CIB_TAG_STATUS, update, &error);
        cd_write_status_modifies++;
    } else if (delta < 0 && changed)
        r = cd_cibdb_replace_section(XML_CIB_TAG_STATUS, copy, &error);
    if (update)
        xmlFreeNode(update);
    free_xml(copy);
    return cd_write_db_result(r, error, what, ret_error);
}

VmhaResult cd_write_replace_configuration(xmlNode *config, char **ret_error)
{
    g_autoptr(GError) error = NULL;
    int r = cd_cibdb_replace_section(XML_CIB_TAG_CONFIGURATION, config, &error);
    return cd_write_db_result(r, error, "cannot change the configuration", ret_error);
}

VmhaResult cd_write_replace_primitive(xmlNode *prim, char **ret_error)
{
    g_autoptr(GError) error = NULL;
    int r = prim ? cd_cibdb_replace_section(XML_CIB_TAG_RESOURCES, prim, &error) : -ENOENT;
    return cd_write_db_result(r, error, "cannot change the VM", ret_error);
}

int cd_write_remove_constraints(xmlNode *cib, const char *id, GError **error)
{
    xmlNode *cons = pcmk_find_cib_element(cib, XML_CIB_TAG_CONSTRAINTS);

    for (xmlNode *c = cons ? cons->children : NULL; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (g_strcmp0(crm_element_value(c, "rsc"), id) != 0 &&
            g_strcmp0(crm_element_value(c, "with-rsc"), id) != 0)
            continue;
        xmlNode *del = create_xml_node(NULL, (const char *)c->name);
        crm_xml_add(del, XML_ATTR_ID, crm_element_value(c, XML_ATTR_ID));
        int r = cd_cibdb_delete(XML_CIB_TAG_CONSTRAINTS, del, error);
        free_xml(del);
        if (r < 0)
            return r;
    }
    return 0;
}
