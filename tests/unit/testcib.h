/* Pieces of the small CIBs that the tests of the pure CIB readers and editors (lib/cibnodes,
 * maintcib, lrmstatus, statusclean) are given, as C string literals. */
#pragma once

#include <glib.h>
#include <libxml/tree.h>
#include <string.h>

/* Pacemaker's <cib> with epoch 1 and attrs after its own (" have-quorum=\"1\"", or ""), an empty
 * crm_config, the nodes n1, n2, n3 (ids 1, 2, 3), and the opening <resources>. */
#define TESTCIB_START(attrs)                                                                       \
    "<cib crm_feature_set=\"3.16.1\" validate-with=\"pacemaker-3.9\" epoch=\"1\" "                 \
    "num_updates=\"0\" admin_epoch=\"0\"" attrs "><configuration><crm_config/>"                    \
    "<nodes><node id=\"1\" uname=\"n1\"/><node id=\"2\" uname=\"n2\"/>"                            \
    "<node id=\"3\" uname=\"n3\"/></nodes><resources>"

/* A node_state's attributes for a node that is up and in the cluster. */
#define TESTCIB_ONLINE "in_ccm=\"true\" crmd=\"online\" join=\"member\" expected=\"member\""

/* In <status>: n1 up and running the VM web (started, call 3), n2 up and running nothing. */
#define TESTCIB_N1_RUNS_WEB                                                                        \
    "<node_state id=\"1\" uname=\"n1\" " TESTCIB_ONLINE "><lrm id=\"1\"><lrm_resources>"           \
    "<lrm_resource id=\"web\" type=\"vm\" class=\"ocf\" provider=\"vmha\">"                        \
    "<lrm_rsc_op id=\"web_last_0\" operation_key=\"web_start_0\" operation=\"start\" "             \
    "interval=\"0\" rc-code=\"0\" op-status=\"0\" call-id=\"3\"/></lrm_resource>"                  \
    "</lrm_resources></lrm></node_state>"                                                          \
    "<node_state id=\"2\" uname=\"n2\" " TESTCIB_ONLINE "/>"

/* The <status> of a parsed test CIB. */
static inline xmlNode *testcib_status(xmlDoc *doc)
{
    for (xmlNode *c = xmlDocGetRootElement(doc)->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, "status") == 0)
            return c;
    return NULL;
}

/* The whole document as text (g_free). */
static inline char *testcib_dump(xmlDoc *doc)
{
    xmlChar *buf = NULL;
    int len = 0;
    xmlDocDumpMemory(doc, &buf, &len);
    char *s = g_strndup((const char *)buf, (gsize)len);
    xmlFree(buf);
    return s;
}
