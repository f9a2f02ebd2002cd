/* The local copy of the cluster database. libcib's file backend edits a working copy
 * (cib.work.xml) in memory and only writes it on signoff, so after every applied write we save
 * the whole document ourselves to cib.xml: temporary file, fsync, rename, fsync of the directory.
 * cib.xml is therefore always a complete document, whenever clusterd is killed.
 *
 * Beside it, cib.xml.sig (lib/cibsig.h) holds the digest of what clusterd saved, written before
 * the file itself. At start a copy that does not match it was changed behind clusterd's back: it
 * is moved aside and this node starts with an empty database, which any other node's copy
 * replaces at the next sync, so a damaged copy never spreads (issue 11, defect 5). */
#include "config.h"

#include <crm/cib.h>
#include <crm/cib/util.h>
#include <crm/common/xml.h>
#include <crm/crm.h>
#include <crm/msg_xml.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <libxml/parser.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cibnodes.h"
#include "cibsig.h"
#include "clusterd.h"
#include "corosync.h"
#include "fencedev.h"
#include "fencer.h"
#include "lrmstatus.h"
#include "maintcib.h"
#include "model.h"
#include "pcmknum.h"
#include "statusclean.h"
#include "vmattr.h"
#include "vmcib.h"
#include "vmha/result.h"

/* Debian 12's Pacemaker refuses documents with a newer feature set. */
#define VMHA_CRM_FEATURE_SET "3.16.1"
/* Our strict parse of a whole CIB. XML_PARSE_HUGE: without it libxml2 refuses a document over
 * 10 MB ("Huge input lookup"), and the database may grow to VMHA_DB_MAX_SIZE. */
#define STRICT_PARSE (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_HUGE)

size_t cd_cibdb_size_limit = VMHA_DB_MAX_SIZE;

static struct {
    char *dir;
    char *path;      /* cib.xml: the durable copy */
    char *sig_path;  /* cib.xml.sig: its digest */
    char *work_path; /* cib.work.xml: libcib's working copy */
    char *saved;     /* the digest of cib.xml as it is on disk (vmha_cibsig_digest) */
    cib_t *cib;
} db;

static int write_file_atomic(const char *path, const char *content)
{
    g_autofree char *tmp = g_strdup_printf("%s.tmp", path);
    g_autofree char *dir = g_path_get_dirname(path);
    size_t len = strlen(content), off = 0;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

    if (fd < 0)
        return -errno;
    while (off < len) {
        ssize_t n = write(fd, content + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int r = -errno;
            close(fd);
            unlink(tmp);
            return r;
        }
        off += (size_t)n;
    }
    if (fsync(fd) < 0 || close(fd) < 0) {
        int r = -errno;
        unlink(tmp);
        return r;
    }
    if (rename(tmp, path) < 0)
        return -errno;
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

/* Saves a whole document: the signature naming it (and the copy it replaces, in case we stop
 * between the two writes) first, then the file. */
static int store(const char *content)
{
    g_autofree char *digest = vmha_cibsig_digest(content, strlen(content));
    g_autofree char *sig = vmha_cibsig_format(digest, db.saved);
    int r = write_file_atomic(db.sig_path, sig);

    if (r < 0)
        return r;
    r = write_file_atomic(db.path, content);
    if (r < 0)
        return r;
    g_free(db.saved);
    db.saved = g_steal_pointer(&digest);
    return 0;
}

static void disconnect(void)
{
    if (!db.cib)
        return;
    db.cib->cmds->signoff(db.cib);
    cib_delete(db.cib);
    db.cib = NULL;
}

/* (Re)opens libcib on a fresh working copy of cib.xml. */
static int connect_cib(void)
{
    g_autofree char *content = NULL;
    g_autoptr(GError) error = NULL;
    int rc;

    disconnect();
    if (!g_file_get_contents(db.path, &content, NULL, &error)) {
        g_warning("cannot read %s: %s", db.path, error->message);
        return -EIO;
    }
    /* libcib's parser recovers from broken XML (a truncated file would be taken with its
     * version); parse strictly first. */
    xmlDoc *doc = xmlReadMemory(content, (int)strlen(content), db.path, NULL, STRICT_PARSE);
    xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
    bool ok = root && g_str_equal((const char *)root->name, XML_TAG_CIB);
    if (doc)
        xmlFreeDoc(doc);
    if (!ok) {
        g_warning("%s is not a well-formed CIB document", db.path);
        return -EBADMSG;
    }
    if ((rc = write_file_atomic(db.work_path, content)) < 0) {
        g_warning("cannot write %s: %s", db.work_path, g_strerror(-rc));
        return rc;
    }
    db.cib = cib_file_new(db.work_path);
    if (!db.cib)
        return -ENOMEM;
    rc = db.cib->cmds->signon(db.cib, "clusterd", cib_command);
    if (rc != pcmk_ok) {
        g_warning("libcib cannot open %s: %s", db.work_path, pcmk_strerror(rc));
        cib_delete(db.cib);
        db.cib = NULL;
        return -EINVAL;
    }
    return 0;
}

xmlNode *cd_cibdb_query(void)
{
    xmlNode *out = NULL;

    if (!db.cib)
        return NULL;
    if (db.cib->cmds->query(db.cib, NULL, &out, cib_sync_call) != pcmk_ok)
        return NULL;
    return out;
}

static int save(void)
{
    xmlNode *xml = cd_cibdb_query();
    if (!xml)
        return -EIO;
    g_autofree char *s = dump_xml_formatted(xml);
    free_xml(xml);
    int r = store(s);
    if (r < 0)
        g_warning("cannot save %s: %s", db.path, g_strerror(-r));
    return r;
}

static void add_nvpair(xmlNode *set, const char *set_id, const char *name, const char *value);
static const char *primitive_attr(xmlNode *prim, const char *tag, const char *name);
static const char *kv_value(GStrv kvs, const char *key);
static xmlNode *add_set(xmlNode *parent, const char *tag, const char *vm, const char *suffix);

static int create_initial(void)
{
    xmlNode *cib = createEmptyCib(0);
    crm_xml_add(cib, XML_ATTR_CRM_VERSION, VMHA_CRM_FEATURE_SET);
    /* A VM stays where it runs unless told otherwise (vmha-failback, a drain): a node coming
     * back must not pull VMs over, each move being a pause. Pacemaker reads it the same way. */
    xmlNode *config = first_named_child(cib, XML_CIB_TAG_CONFIGURATION);
    xmlNode *defaults = first_named_child(config, XML_CIB_TAG_RSCCONFIG);
    if (!defaults)
        defaults = create_xml_node(config, XML_CIB_TAG_RSCCONFIG);
    xmlNode *meta = add_set(defaults, XML_TAG_META_SETS, "rsc", "options");
    add_nvpair(meta, crm_element_value(meta, XML_ATTR_ID), "resource-stickiness", "INFINITY");
    g_autofree char *s = dump_xml_formatted(cib);
    free_xml(cib);
    g_message("creating an empty cluster database in %s", db.path);
    return store(s);
}

/* Moves path aside as path.SUFFIX-SECONDS (-SECONDS.N when taken: an earlier copy set aside
 * is never overwritten) for the administrator; returns the new name. */
static char *move_aside(const char *path, const char *suffix, int64_t when)
{
    char *aside = g_strdup_printf("%s.%s-%" G_GINT64_FORMAT, path, suffix, when);
    for (unsigned n = 1; g_file_test(aside, G_FILE_TEST_EXISTS) && n < 1000; n++) {
        g_free(aside);
        aside = g_strdup_printf("%s.%s-%" G_GINT64_FORMAT ".%u", path, suffix, when, n);
    }
    if (rename(path, aside) < 0 && errno != ENOENT) {
        g_warning("cannot move %s to %s: %s", path, aside, g_strerror(errno));
        g_clear_pointer(&aside, g_free);
    }
    return aside;
}

/* Takes cib.xml as clusterd last saved it, or quarantines it: a copy that does not match its
 * signature was edited or damaged while clusterd was not looking, and whatever it says (a raised
 * epoch, a VM's configuration) must not become the cluster's. This node then starts with an
 * empty database: it adopts the cluster's copy at the next sync and, with version 0, is never
 * chosen to send its own. A copy without a signature (saved before vmha signed its copies, or
 * the signature deleted on purpose) is taken as it is and signed, as Pacemaker takes a cib.xml
 * without cib.xml.sig. */
static int check_signature(void)
{
    g_autofree char *content = NULL, *sig = NULL;
    g_autoptr(GError) error = NULL;
    gsize len = 0;

    if (!g_file_get_contents(db.path, &content, &len, NULL))
        return 0; /* unreadable: connect_cib() moves it aside */
    g_autofree char *actual = vmha_cibsig_digest(content, len);
    if (!g_file_get_contents(db.sig_path, &sig, NULL, &error) &&
        g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
        g_warning("%s has no signature %s: taking it as it is and signing it", db.path,
                  db.sig_path);
        g_autofree char *text = vmha_cibsig_format(actual, NULL);
        int r = write_file_atomic(db.sig_path, text);
        if (r < 0)
            return r;
        db.saved = g_steal_pointer(&actual);
        return 0;
    }
    VmhaCibSigCheck check = vmha_cibsig_check(sig, content, len);
    if (check == VMHA_CIBSIG_MATCH) {
        db.saved = g_steal_pointer(&actual);
        return 0;
    }
    int64_t now = g_get_real_time() / G_USEC_PER_SEC;
    g_autofree char *expected = g_strndup(sig ? sig : "", strcspn(sig ? sig : "", "\n"));
    g_autofree char *file_aside = move_aside(db.path, "quarantined", now);
    g_autofree char *sig_aside = move_aside(db.sig_path, "quarantined", now);
    g_critical("%s does not match its signature (%s %s, the file %s): changed or damaged outside "
               "clusterd; moved to %s (signature %s) and starting with an empty database, which "
               "the cluster's copy replaces at the next sync (docs/ARCHITECTURE.md, Security)",
               db.path, check == VMHA_CIBSIG_MALFORMED ? "malformed:" : "expected",
               *expected ? expected : "(empty)", actual, file_aside ? file_aside : "(not moved)",
               sig_aside ? sig_aside : "(not moved)");
    if (!file_aside)
        return -EIO;
    return create_initial();
}

int cd_cibdb_init(const char *state_dir)
{
    int r;

    crm_xml_init(); /* loads the schemas; without it libcib rejects every document */
    db.dir = g_strdup(state_dir);
    db.path = g_build_filename(state_dir, "cib.xml", NULL);
    db.sig_path = g_build_filename(state_dir, "cib.xml.sig", NULL);
    db.work_path = g_build_filename(state_dir, "cib.work.xml", NULL);
    if (g_mkdir_with_parents(state_dir, 0700) < 0) {
        g_warning("cannot create %s: %s", state_dir, g_strerror(errno));
        return -errno;
    }
    if (access(db.path, F_OK) < 0 ? (r = create_initial()) < 0 : (r = check_signature()) < 0) {
        g_warning("cannot create %s: %s", db.path, g_strerror(-r));
        return r;
    }
    if (connect_cib() < 0) {
        /* A copy we cannot read is worth nothing to the cluster: keep it for inspection and start
         * empty (version 0), so the next sync brings the cluster's newest copy. */
        g_autofree char *aside = g_strdup_printf("%s.bad-%" G_GINT64_FORMAT, db.path,
                                                 g_get_real_time() / G_USEC_PER_SEC);
        g_warning("%s is unusable; moved to %s", db.path, aside);
        if (rename(db.path, aside) < 0)
            return -EIO;
        g_clear_pointer(&db.saved, g_free); /* its signature names a copy that is gone */
        if (create_initial() < 0 || connect_cib() < 0)
            return -EIO;
    }
    return 0;
}

void cd_cibdb_finalise(void)
{
    disconnect();
    g_clear_pointer(&db.dir, g_free);
    g_clear_pointer(&db.path, g_free);
    g_clear_pointer(&db.work_path, g_free);
    g_clear_pointer(&db.sig_path, g_free);
    g_clear_pointer(&db.saved, g_free);
}

static void version_of(xmlNode *cib, VmhaCibVersion *v)
{
    int a = 0, e = 0, u = 0;

    cib_version_details(cib, &a, &e, &u);
    v->admin_epoch = (uint64_t)MAX(a, 0);
    v->epoch = (uint64_t)MAX(e, 0);
    v->num_updates = (uint64_t)MAX(u, 0);
}

/* Attributes of <cib> that record who wrote last and when: they differ between copies of the
 * same data. */
static const char *const volatile_attrs[] = {"cib-last-written", "update-origin", "update-client",
                                             "update-user",      "have-quorum",   "dc-uuid"};

static bool volatile_attr(const xmlNode *n, const xmlAttr *a)
{
    if (n->parent && n->parent->type == XML_ELEMENT_NODE)
        return false;
    for (size_t i = 0; i < G_N_ELEMENTS(volatile_attrs); i++)
        if (strcmp((const char *)a->name, volatile_attrs[i]) == 0)
            return true;
    return false;
}

/* The document as text (<name attr="value"...>...</name>, before escaping) without the volatile
 * attributes: the same on every copy, and what VMHA_DB_MAX_SIZE bounds. Counted, not dumped: a
 * dump of a large document costs as much as the write itself. */
static size_t document_size(const xmlNode *n)
{
    size_t size = 0;

    for (; n; n = n->next) {
        if (n->type == XML_TEXT_NODE || n->type == XML_COMMENT_NODE) {
            size += n->content ? strlen((const char *)n->content) : 0;
            continue;
        }
        if (n->type != XML_ELEMENT_NODE)
            continue;
        size += 2 * strlen((const char *)n->name) + 5; /* <name ...></name> */
        for (const xmlAttr *a = n->properties; a; a = a->next) {
            if (volatile_attr(n, a))
                continue;
            size += strlen((const char *)a->name) + 4; /* ' name=""' */
            for (const xmlNode *t = a->children; t; t = t->next)
                size += t->content ? strlen((const char *)t->content) : 0;
        }
        size += document_size(n->children);
    }
    return size;
}

void cd_cibdb_version(VmhaCibVersion *ret_version, char ret_digest[VMHA_DIGEST_LEN + 1])
{
    xmlNode *cib = cd_cibdb_query();

    memset(ret_version, 0, sizeof(*ret_version));
    if (ret_digest)
        g_strlcpy(ret_digest, "", VMHA_DIGEST_LEN + 1);
    if (cib)
        version_of(cib, ret_version);
    if (!cib || !ret_digest) {
        if (cib)
            free_xml(cib);
        return;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(volatile_attrs); i++)
        xml_remove_prop(cib, volatile_attrs[i]);
    g_autofree char *s = dump_xml_unformatted(cib);
    free_xml(cib);
    g_autofree char *d = g_compute_checksum_for_string(G_CHECKSUM_SHA256, s, -1);
    g_strlcpy(ret_digest, d, VMHA_DIGEST_LEN + 1);
}

int cd_cibdb_dump(char **ret_xml)
{
    xmlNode *cib = cd_cibdb_query();

    if (!cib)
        return -EIO;
    *ret_xml = dump_xml_unformatted(cib);
    free_xml(cib);
    return 0;
}

int cd_cibdb_replace(const char *xml)
{
    /* Parse strictly first: libcib's parser recovers from broken XML (and leaks doing so). */
    xmlDoc *strict = xmlReadMemory(xml, (int)strlen(xml), "sync", NULL, STRICT_PARSE);
    xmlNode *doc = NULL;
    int r;

    if (strict) {
        xmlFreeDoc(strict);
        doc = string2xml(xml);
    }
    if (!doc || !g_str_equal((const char *)doc->name, XML_TAG_CIB)) {
        if (doc)
            free_xml(doc);
        g_warning("refusing a sync copy that is not a CIB document");
        return -EBADMSG;
    }
    g_autofree char *formatted = dump_xml_formatted(doc);
    free_xml(doc);
    disconnect();
    if ((r = store(formatted)) < 0) {
        g_warning("cannot save %s: %s", db.path, g_strerror(-r));
        return r;
    }
    return connect_cib();
}

int cd_cibdb_bump(void)
{
    int rc;

    if (!db.cib)
        return -EIO;
    rc = db.cib->cmds->bump_epoch(db.cib, cib_sync_call);
    if (rc != pcmk_ok) {
        g_warning("cannot bump the database epoch: %s", pcmk_strerror(rc));
        return -EIO;
    }
    return save();
}

int cd_cibdb_seed_nodes(const GPtrArray *nodes)
{
    xmlNode *cib = cd_cibdb_query();
    VmhaCibVersion v;
    int rc = 0;

    if (!cib)
        return -EIO;
    version_of(cib, &v);
    xmlNode *section = pcmk_find_cib_element(cib, XML_CIB_TAG_NODES);
    bool empty = !section || !first_named_child(section, XML_CIB_TAG_NODE);
    free_xml(cib);
    /* Only a database nobody has written yet: every node seeds the same list from cmap, so the
     * copies stay identical. */
    if (!empty || v.admin_epoch || v.epoch || v.num_updates || !nodes || nodes->len == 0)
        return 0;

    xmlNode *xml = create_xml_node(NULL, XML_CIB_TAG_NODES);
    for (guint i = 0; i < nodes->len; i++) {
        const CdNode *n = g_ptr_array_index(nodes, i);
        xmlNode *node = create_xml_node(xml, XML_CIB_TAG_NODE);
        g_autofree char *id = g_strdup_printf("%u", n->nodeid);
        crm_xml_add(node, XML_ATTR_ID, id);
        crm_xml_add(node, XML_ATTR_UNAME, n->name);
    }
    rc = db.cib->cmds->replace(db.cib, XML_CIB_TAG_NODES, xml, cib_sync_call);
    free_xml(xml);
    if (rc != pcmk_ok) {
        g_warning("cannot add the nodes to the database: %s", pcmk_strerror(rc));
        return -EIO;
    }
    return save();
}

/* ---- writes ---- */

static xmlNode *find_primitive(xmlNode *cib, const char *id)
{
    g_autofree char *xpath =
            g_strdup_printf("//" XML_CIB_TAG_RESOURCES "/" XML_CIB_TAG_RESOURCE "[@id='%s']", id);
    return get_xpath_object(xpath, cib, LOG_NEVER);
}

/* A VM: a primitive of our agent, never a fence device or another agent's resource. */
static xmlNode *find_vm(xmlNode *cib, const char *name)
{
    xmlNode *p = find_primitive(cib, name);
    return p && g_strcmp0(crm_element_value(p, XML_AGENT_ATTR_CLASS), "ocf") == 0 &&
                           g_strcmp0(crm_element_value(p, XML_AGENT_ATTR_PROVIDER), "vmha") == 0 &&
                           g_strcmp0(crm_element_value(p, XML_ATTR_TYPE), "vm") == 0
                   ? p
                   : NULL;
}

/* The "time=SECONDS" the writer put in a write (VMHA_F_KV): every member records the same time,
 * so that the copies stay identical. */
static int msg_time(const VmhaMsg *m, int64_t *ret)
{
    g_auto(GStrv) kvs = NULL;

    if (vmha_msg_get_strv(m, VMHA_F_KV, &kvs) < 0)
        return -1;
    for (size_t i = 0; kvs[i]; i++) {
        if (!g_str_has_prefix(kvs[i], "time="))
            continue;
        guint64 v;
        if (!g_ascii_string_to_unsigned(kvs[i] + 5, 10, 0, G_MAXINT64, &v, NULL))
            return -1;
        *ret = (int64_t)v;
        return 0;
    }
    return -1;
}

static bool node_known(xmlNode *cib, const char *uname)
{
    g_autofree char *xpath =
            g_strdup_printf("//" XML_CIB_TAG_NODES "/" XML_CIB_TAG_NODE "[@uname='%s']", uname);
    return get_xpath_object(xpath, cib, LOG_NEVER) != NULL;
}

static void add_nvpair(xmlNode *set, const char *set_id, const char *name, const char *value)
{
    g_autofree char *id = g_strdup_printf("%s-%s", set_id, name);
    xmlNode *nv = create_xml_node(set, XML_CIB_TAG_NVPAIR);
    crm_xml_add(nv, XML_ATTR_ID, id);
    crm_xml_add(nv, XML_NVPAIR_ATTR_NAME, name);
    crm_xml_add(nv, XML_NVPAIR_ATTR_VALUE, value);
}

static xmlNode *add_set(xmlNode *parent, const char *tag, const char *vm, const char *suffix)
{
    g_autofree char *id = g_strdup_printf("%s-%s", vm, suffix);
    xmlNode *set = create_xml_node(parent, tag);
    crm_xml_add(set, XML_ATTR_ID, id);
    return set;
}

static int fail(char **ret_error, int code, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static int fail(char **ret_error, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    *ret_error = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    return code;
}

static int cib_call_result(int rc, char **ret_error, const char *what)
{
    if (rc == pcmk_ok)
        return 0;
    return fail(ret_error, VMHA_RESULT_FAILURE, "%s: %s", what, pcmk_strerror(rc));
}

static int remove_preferences(xmlNode *cib, const char *vm, char **ret_error)
{
    xmlNode *cons = pcmk_find_cib_element(cib, XML_CIB_TAG_CONSTRAINTS);

    for (xmlNode *c = cons ? cons->children : NULL; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        const char *rsc = crm_element_value(c, "rsc");
        const char *with = crm_element_value(c, "with-rsc");
        if (g_strcmp0(rsc, vm) != 0 && g_strcmp0(with, vm) != 0)
            continue;
        const char *id = crm_element_value(c, XML_ATTR_ID);
        /* For `vm set prefer=` only our own preferences go; bans and colocations stay. */
        if (ret_error && (!id || !g_str_has_prefix(id, "prefer-")))
            continue;
        xmlNode *del = create_xml_node(NULL, (const char *)c->name);
        crm_xml_add(del, XML_ATTR_ID, id);
        int rc = db.cib->cmds->remove(db.cib, XML_CIB_TAG_CONSTRAINTS, del, cib_sync_call);
        free_xml(del);
        if (rc != pcmk_ok) {
            char *dummy = NULL;
            return cib_call_result(rc, ret_error ? ret_error : &dummy,
                                   "cannot remove a constraint");
        }
    }
    return 0;
}

static int add_preferences(xmlNode *cib, const char *vm, const char *list, char **ret_error)
{
    g_auto(GStrv) nodes = NULL;

    if (!list || !*list)
        return 0;
    if (vmha_prefer_parse(list, &nodes) < 0)
        return fail(ret_error, VMHA_RESULT_USAGE, "bad node list '%s'", list);
    for (size_t i = 0; nodes[i]; i++)
        if (!node_known(cib, nodes[i]))
            return fail(ret_error, VMHA_RESULT_NOT_FOUND, "unknown node '%s'", nodes[i]);
    for (size_t i = 0; nodes[i]; i++) {
        g_autofree char *id = g_strdup_printf("prefer-%s-%s", vm, nodes[i]);
        g_autofree char *score = g_strdup_printf("%d", vmha_prefer_score((unsigned)i));
        xmlNode *loc = create_xml_node(NULL, XML_CONS_TAG_RSC_LOCATION);
        crm_xml_add(loc, XML_ATTR_ID, id);
        crm_xml_add(loc, "rsc", vm);
        crm_xml_add(loc, "node", nodes[i]);
        crm_xml_add(loc, XML_RULE_ATTR_SCORE, score);
        int rc = db.cib->cmds->create(db.cib, XML_CIB_TAG_CONSTRAINTS, loc, cib_sync_call);
        free_xml(loc);
        if (cib_call_result(rc, ret_error, "cannot add a preference") != 0)
            return VMHA_RESULT_FAILURE;
    }
    return 0;
}

static int apply_add(xmlNode *cib, const VmhaMsg *m, char **ret_error)
{
    g_autofree char *name = NULL, *config = NULL, *priority = NULL, *prefer = NULL;
    uint64_t memory = 0, vcpus = 0;
    const char *canon, *err;
    VmhaAttrSection sec;

    if (vmha_msg_get_str(m, VMHA_F_NAME, &name) < 0 || !vmha_vm_name_valid(name))
        return fail(ret_error, VMHA_RESULT_USAGE, "bad VM name");
    if (vmha_msg_get_str(m, VMHA_F_CONFIG, &config) < 0 ||
        vmha_vm_attr_check("config", config, &canon, &sec, &err) < 0)
        return fail(ret_error, VMHA_RESULT_USAGE, "config must be an absolute path");
    if (vmha_msg_get_str(m, VMHA_F_PRIORITY, &priority) == 0 &&
        vmha_vm_attr_check("priority", priority, &canon, &sec, &err) < 0)
        return fail(ret_error, VMHA_RESULT_USAGE, "%s", err);
    if (vmha_msg_get_u64(m, VMHA_F_MEMORY, &memory) < 0 || memory == 0 || memory > (1u << 30))
        return fail(ret_error, VMHA_RESULT_USAGE, "bad memory size");
    if (vmha_msg_get_u64(m, VMHA_F_VCPUS, &vcpus) < 0 || vcpus == 0 || vcpus > 4096)
        return fail(ret_error, VMHA_RESULT_USAGE, "bad vCPU count");
    if (vmha_msg_get_str(m, VMHA_F_PREFER, &prefer) < 0)
        prefer = NULL;
    /* The only setting at creation besides the above: added stopped (vmctl vm add --stopped). */
    g_auto(GStrv) kvs = NULL;
    const char *target_role = NULL;
    if (vmha_msg_get_strv(m, VMHA_F_KV, &kvs) == 0)
        for (size_t i = 0; kvs[i]; i++) {
            if (strcmp(kvs[i], "target-role=Stopped") != 0)
                return fail(ret_error, VMHA_RESULT_USAGE, "unexpected '%s'", kvs[i]);
            target_role = "Stopped";
        }
    if (find_primitive(cib, name))
        return fail(ret_error, VMHA_RESULT_FAILURE, "a resource named '%s' already exists", name);
    if (prefer) {
        g_auto(GStrv) nodes = NULL;
        if (vmha_prefer_parse(prefer, &nodes) < 0)
            return fail(ret_error, VMHA_RESULT_USAGE, "bad node list '%s'", prefer);
        for (size_t i = 0; nodes[i]; i++)
            if (!node_known(cib, nodes[i]))
                return fail(ret_error, VMHA_RESULT_NOT_FOUND, "unknown node '%s'", nodes[i]);
    }

    xmlNode *prim = create_xml_node(NULL, XML_CIB_TAG_RESOURCE);
    crm_xml_add(prim, XML_ATTR_ID, name);
    crm_xml_add(prim, XML_AGENT_ATTR_CLASS, "ocf");
    crm_xml_add(prim, XML_AGENT_ATTR_PROVIDER, "vmha");
    crm_xml_add(prim, XML_ATTR_TYPE, "vm");
    xmlNode *inst = add_set(prim, XML_TAG_ATTR_SETS, name, "instance_attributes");
    add_nvpair(inst, (const char *)crm_element_value(inst, XML_ATTR_ID), "config", config);
    xmlNode *meta = add_set(prim, XML_TAG_META_SETS, name, "meta_attributes");
    add_nvpair(meta, crm_element_value(meta, XML_ATTR_ID), "priority", priority ? priority : "0");
    if (target_role)
        add_nvpair(meta, crm_element_value(meta, XML_ATTR_ID), "target-role", target_role);
    xmlNode *util = add_set(prim, XML_TAG_UTILIZATION, name, "utilization");
    g_autofree char *mem = g_strdup_printf("%" G_GUINT64_FORMAT, memory);
    g_autofree char *cpu = g_strdup_printf("%" G_GUINT64_FORMAT, vcpus);
    add_nvpair(util, crm_element_value(util, XML_ATTR_ID), "memory", mem);
    add_nvpair(util, crm_element_value(util, XML_ATTR_ID), "cpu", cpu);
    int rc = db.cib->cmds->create(db.cib, XML_CIB_TAG_RESOURCES, prim, cib_sync_call);
    free_xml(prim);
    if (rc != pcmk_ok)
        return cib_call_result(rc, ret_error, "cannot add the VM") ? VMHA_RESULT_FAILURE : 0;
    return add_preferences(cib, name, prefer, ret_error);
}

static int apply_remove(xmlNode *cib, const VmhaMsg *m, char **ret_error)
{
    g_autofree char *name = NULL;

    if (vmha_msg_get_str(m, VMHA_F_NAME, &name) < 0 || !vmha_vm_name_valid(name))
        return fail(ret_error, VMHA_RESULT_USAGE, "bad VM name");
    if (!find_vm(cib, name))
        return fail(ret_error, VMHA_RESULT_NOT_FOUND, "unknown VM '%s'", name);
    int r = remove_preferences(cib, name, NULL);
    if (r != 0)
        return fail(ret_error, VMHA_RESULT_FAILURE, "cannot remove the VM's constraints");
    xmlNode *del = create_xml_node(NULL, XML_CIB_TAG_RESOURCE);
    crm_xml_add(del, XML_ATTR_ID, name);
    int rc = db.cib->cmds->remove(db.cib, XML_CIB_TAG_RESOURCES, del, cib_sync_call);
    free_xml(del);
    return cib_call_result(rc, ret_error, "cannot remove the VM") ? VMHA_RESULT_FAILURE : 0;
}

/* `<operations><op id="VM-monitor" name="monitor" interval="5s" timeout="30s"/></operations>`:
 * an existing op of that name keeps its id (and stays the only one). */
static int replace_configuration(xmlNode *copy, char **ret_error);

/* Whether the configuration copy names VM `name` as a VM. */
static bool copy_has_vm(xmlNode *cib, const char *name)
{
    return find_vm(cib, name) != NULL;
}

/* One KEY=VALUE of `vmctl vm set` (or ban=/unban= of vm ban / unban) on the configuration
 * copy. */
static int set_one(xmlNode *copy, xmlNode *config, const char *name, const char *kv,
                   char **ret_error)
{
    const char *eq = strchr(kv, '=');
    const char *canon, *err, *value = eq + 1;
    VmhaAttrSection sec;
    g_autofree char *key = g_strndup(kv, eq - kv);

    if (vmha_vm_attr_check(key, value, &canon, &sec, &err) < 0)
        return fail(ret_error, VMHA_RESULT_USAGE, "%s: %s", key, err);
    switch (sec) {
    case VMHA_ATTR_PREFER: {
        g_auto(GStrv) nodes = NULL;
        if (*value && vmha_prefer_parse(value, &nodes) < 0)
            return fail(ret_error, VMHA_RESULT_USAGE, "bad node list '%s'", value);
        for (size_t j = 0; nodes && nodes[j]; j++)
            if (!node_known(copy, nodes[j]))
                return fail(ret_error, VMHA_RESULT_NOT_FOUND, "unknown node '%s'", nodes[j]);
        vmha_cib_vm_prefer_set(config, name, nodes);
        return 0;
    }
    case VMHA_ATTR_COLOCATION: {
        g_auto(GStrv) others = NULL;
        g_autofree int *scores = NULL;
        bool together = strcmp(canon, "together") == 0;
        if (vmha_coloc_list_parse(value, name, together, &others, &scores) < 0)
            return fail(ret_error, VMHA_RESULT_USAGE,
                        "%s: bad list '%s' (VMs other than %s, each "
                        "once, with an optional positive score)",
                        key, value, name);
        for (size_t j = 0; others[j]; j++)
            if (!copy_has_vm(copy, others[j]))
                return fail(ret_error, VMHA_RESULT_NOT_FOUND, "%s: unknown VM '%s'", key,
                            others[j]);
        vmha_cib_vm_coloc_set(config, name, together, others, scores);
        return 0;
    }
    case VMHA_ATTR_BAN: {
        bool ban = strcmp(canon, "ban") == 0;
        if (*value && !node_known(copy, value))
            return fail(ret_error, VMHA_RESULT_NOT_FOUND, "unknown node '%s'", value);
        vmha_cib_vm_ban(config, name, *value ? value : NULL, ban);
        return 0;
    }
    default:
        vmha_cib_vm_attr_set(config, name, sec, canon, value);
        return 0;
    }
}

/* `vmctl vm set` (and vm ban / unban): every pair is applied to a copy of the configuration,
 * which must then load (lib/model checks what it means, e.g. that the VMs a colocation names
 * exist) before it replaces the configuration in one step: all pairs or none. */
static int apply_set(xmlNode *cib, const VmhaMsg *m, char **ret_error)
{
    g_autofree char *name = NULL;
    g_auto(GStrv) kvs = NULL;

    if (vmha_msg_get_str(m, VMHA_F_NAME, &name) < 0 || !vmha_vm_name_valid(name))
        return fail(ret_error, VMHA_RESULT_USAGE, "bad VM name");
    if (vmha_msg_get_strv(m, VMHA_F_KV, &kvs) < 0 || !kvs[0])
        return fail(ret_error, VMHA_RESULT_USAGE, "nothing to set");
    if (!find_vm(cib, name))
        return fail(ret_error, VMHA_RESULT_NOT_FOUND, "unknown VM '%s'", name);
    for (size_t i = 0; kvs[i]; i++)
        if (!strchr(kvs[i], '=') || kvs[i][0] == '=')
            return fail(ret_error, VMHA_RESULT_USAGE, "'%s' is not KEY=VALUE", kvs[i]);

    xmlNode *copy = copy_xml(cib);
    xmlNode *config = pcmk_find_cib_element(copy, XML_CIB_TAG_CONFIGURATION);
    int rc = 0;
    for (size_t i = 0; kvs[i] && rc == 0; i++)
        rc = set_one(copy, config, name, kvs[i], ret_error);
    g_autofree char *other = NULL;
    if (rc == 0 && vmha_cib_vm_coloc_conflict(config, name, &other))
        rc = fail(ret_error, VMHA_RESULT_USAGE,
                  "%s would be kept both together with and apart "
                  "from %s",
                  name, other);
    g_autoptr(VmhaModel) model = NULL;
    g_autoptr(GError) error = NULL;
    if (rc == 0 && vmha_model_from_xml(copy, &model, &error) < 0)
        rc = fail(ret_error, VMHA_RESULT_USAGE, "%s", error->message);
    if (rc == 0)
        rc = replace_configuration(config, ret_error);
    free_xml(copy);
    return rc;
}

static xmlNode *find_node_state_by_id(xmlNode *status, const char *node_id)
{
    for (xmlNode *ns = first_named_child(status, XML_CIB_TAG_STATE); ns; ns = crm_next_same_xml(ns))
        if (g_strcmp0(crm_element_value(ns, XML_ATTR_ID), node_id) == 0)
            return ns;
    return NULL;
}

/* A probe round of the origin node: its results go into that node's resource history. The node
 * comes from the origin field (set by clusterd, checked against the sender by sync.c), never
 * from the message body. */
static int apply_probe(xmlNode *cib, const VmhaMsg *m, char **ret_error)
{
    g_auto(GStrv) entries = NULL;
    uint64_t origin = 0;

    if (vmha_msg_get_u64(m, VMHA_F_ORIGIN_NODE, &origin) < 0 || origin == 0 ||
        vmha_msg_get_strv(m, VMHA_F_PROBE, &entries) < 0 || !entries[0])
        return fail(ret_error, VMHA_RESULT_USAGE, "malformed probe results");
    g_autofree char *node_id = g_strdup_printf("%" G_GUINT64_FORMAT, origin);
    g_autofree char *xpath =
            g_strdup_printf("//" XML_CIB_TAG_NODES "/" XML_CIB_TAG_NODE "[@id='%s']", node_id);
    xmlNode *node = get_xpath_object(xpath, cib, LOG_NEVER);
    const char *uname = node ? crm_element_value(node, XML_ATTR_UNAME) : NULL;
    if (!uname)
        return fail(ret_error, VMHA_RESULT_NOT_FOUND, "unknown node %s", node_id);

    g_auto(GStrv) kvs = NULL;
    if (vmha_msg_get_strv(m, VMHA_F_KV, &kvs) < 0)
        kvs = NULL;
    xmlNode *status = pcmk_find_cib_element(cib, XML_CIB_TAG_STATUS);
    xmlNode *copy = status ? copy_xml(status) : create_xml_node(NULL, XML_CIB_TAG_STATUS);
    int changed = 0, rc = 0;
    for (size_t i = 0; entries[i]; i++) {
        g_autofree char *buf = NULL;
        VmhaProbeResult r;
        int c = -1;
        if (vmha_probe_result_parse(entries[i], &r, &buf) == 0 && vmha_vm_name_valid(r.rsc)) {
            /* A VM removed since the probe ran: its history would be an orphan. An operation
             * in flight there is this node's own: the probe may have run before it started,
             * and only its result may end it, unless the probing clusterd writes it off (it
             * died with an earlier clusterd there: VMHA_PROBE_WRITEOFF). */
            xmlNode *ns = find_node_state_by_id(copy, node_id);
            xmlNode *pending = ns ? vmha_lrm_pending_op(ns, r.rsc) : NULL;
            g_autofree char *writeoff =
                    pending ? g_strconcat(VMHA_PROBE_WRITEOFF,
                                          crm_element_value(pending, XML_ATTR_TRANSITION_KEY), NULL)
                            : NULL;
            bool ended = !pending || (kvs && g_strv_contains((const char *const *)kvs, writeoff));
            c = find_vm(cib, r.rsc) && ended ? vmha_lrm_record_probe(copy, node_id, uname, &r) : 0;
        }
        if (c < 0) {
            free_xml(copy);
            return fail(ret_error, VMHA_RESULT_USAGE, "malformed probe result '%s'", entries[i]);
        }
        changed += c;
    }
    /* Back and probing: it has the current database, so it fences itself again if lost. */
    changed += vmha_lrm_node_disarmed(copy, node_id, uname, false);
    if (changed)
        rc = db.cib->cmds->replace(db.cib, XML_CIB_TAG_STATUS, copy, cib_sync_call);
    free_xml(copy);
    return cib_call_result(rc, ret_error, "cannot record the probe results") ? VMHA_RESULT_FAILURE
                                                                             : 0;
}

/* ---- fence devices (vmctl fence add|remove) ---- */

static bool id_taken(xmlNode *cib, const char *id)
{
    g_autofree char *xpath = g_strdup_printf("//*[@id='%s']", id);
    return get_xpath_object(xpath, cib, LOG_NEVER) != NULL;
}

static xmlNode *find_fence_device(xmlNode *cib, const char *id)
{
    xmlNode *p = find_primitive(cib, id);
    return p && g_strcmp0(crm_element_value(p, XML_AGENT_ATTR_CLASS), "stonith") == 0 ? p : NULL;
}

/* The nodes only device `id` fences (vmha_fence_only_device_of over every stonith primitive,
 * pcmk_host_list read as the fencer reads it). */
static char **only_device_of(xmlNode *cib, const char *id)
{
    xmlNode *res = pcmk_find_cib_element(cib, XML_CIB_TAG_RESOURCES);
    g_autoptr(GPtrArray) lists = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
    g_autoptr(GArray) devices = g_array_new(false, true, sizeof(VmhaFenceDeviceHosts));

    for (xmlNode *p = res ? first_named_child(res, XML_CIB_TAG_RESOURCE) : NULL; p;
         p = crm_next_same_xml(p)) {
        if (g_strcmp0(crm_element_value(p, XML_AGENT_ATTR_CLASS), "stonith") != 0 ||
            !crm_element_value(p, XML_ATTR_ID))
            continue;
        const char *list = primitive_attr(p, XML_TAG_ATTR_SETS, "pcmk_host_list");
        g_auto(GStrv) split = g_strsplit_set(list ? list : "", " ,;\t", -1);
        /* Empty strings from repeated separators name no node. */
        GPtrArray *hosts = g_ptr_array_new();
        for (size_t i = 0; split[i]; i++)
            if (*split[i])
                g_ptr_array_add(hosts, g_strdup(split[i]));
        g_ptr_array_add(hosts, NULL);
        char **h = (char **)g_ptr_array_free(hosts, false);
        g_ptr_array_add(lists, h);
        VmhaFenceDeviceHosts d = {crm_element_value(p, XML_ATTR_ID), (const char *const *)h};
        g_array_append_val(devices, d);
    }
    return vmha_fence_only_device_of((const VmhaFenceDeviceHosts *)(void *)devices->data,
                                     devices->len, id);
}

/* Refuses to take away the only device of some node unless forced (root: the submitting
 * clusterd refuses force=on from anyone else). What the rule closes: a member of the admin group
 * removing the real device and adding one of their own. */
static int check_only_device(xmlNode *cib, const char *id, bool forced, char **ret_error)
{
    g_auto(GStrv) orphans = only_device_of(cib, id);
    if (!orphans[0] || forced)
        return 0;
    g_autofree char *list = g_strjoinv(", ", orphans);
    return fail(ret_error, VMHA_RESULT_REFUSED,
                "fence device '%s' is the only one fencing %s: removing it needs root and "
                "--force",
                id, list);
}

/* VMHA_F_NAME the device id, VMHA_F_KV "agent=AGENT" first (after CD_FENCE_FORCE when forced)
 * and then the options, VMHA_F_NODE the nodes it fences, repeated. One create call (one replace
 * of the resources when forced over an existing device), so a refusal (here or by the schema)
 * leaves nothing behind. */
static int apply_fence_add(xmlNode *cib, const VmhaMsg *m, char **ret_error)
{
    g_autofree char *id = NULL;
    g_auto(GStrv) kvs = NULL, hosts = NULL;

    if (vmha_msg_get_str(m, VMHA_F_NAME, &id) < 0 || !vmha_fence_id_valid(id))
        return fail(ret_error, VMHA_RESULT_USAGE, "bad fence device id");
    if (vmha_msg_get_strv(m, VMHA_F_KV, &kvs) < 0 || !kvs[0])
        return fail(ret_error, VMHA_RESULT_USAGE, "no fence agent given");
    bool forced = strcmp(kvs[0], CD_FENCE_FORCE) == 0;
    char **pairs = kvs + (forced ? 1 : 0);
    if (!pairs[0] || !g_str_has_prefix(pairs[0], "agent="))
        return fail(ret_error, VMHA_RESULT_USAGE, "no fence agent given");
    const char *agent = pairs[0] + strlen("agent=");
    if (!vmha_fence_agent_valid(agent))
        return fail(ret_error, VMHA_RESULT_USAGE,
                    "bad fence agent '%s': a name fence_NAME, not a path (agents are run only "
                    "from the trusted agent directories)",
                    agent);
    if (vmha_fence_options_check((const char *const *)pairs + 1, ret_error) < 0)
        return VMHA_RESULT_USAGE;
    if (vmha_msg_get_strv(m, VMHA_F_NODE, &hosts) < 0 || !hosts[0])
        return fail(ret_error, VMHA_RESULT_USAGE, "a fence device needs the nodes it fences");
    for (size_t i = 0; hosts[i]; i++) {
        if (!vmha_node_name_valid(hosts[i]))
            return fail(ret_error, VMHA_RESULT_USAGE, "bad node name '%s'", hosts[i]);
        for (size_t j = 0; j < i; j++)
            if (g_str_equal(hosts[i], hosts[j]))
                return fail(ret_error, VMHA_RESULT_USAGE, "node '%s' given twice", hosts[i]);
        if (!node_known(cib, hosts[i]))
            return fail(ret_error, VMHA_RESULT_NOT_FOUND, "unknown node '%s'", hosts[i]);
    }
    bool replace = find_fence_device(cib, id) != NULL;
    if (replace && !forced)
        return fail(ret_error, VMHA_RESULT_FAILURE,
                    "fence device '%s' already exists (root: --force replaces it)", id);
    if (!replace && id_taken(cib, id))
        return fail(ret_error, VMHA_RESULT_FAILURE, "the id '%s' is already used in the database",
                    id);

    xmlNode *prim = create_xml_node(NULL, XML_CIB_TAG_RESOURCE);
    crm_xml_add(prim, XML_ATTR_ID, id);
    crm_xml_add(prim, XML_AGENT_ATTR_CLASS, "stonith");
    crm_xml_add(prim, XML_ATTR_TYPE, agent);
    xmlNode *inst = add_set(prim, XML_TAG_ATTR_SETS, id, "instance_attributes");
    const char *set_id = crm_element_value(inst, XML_ATTR_ID);
    g_autofree char *list = g_strjoinv(" ", hosts);
    add_nvpair(inst, set_id, "pcmk_host_list", list);
    for (size_t i = 1; pairs[i]; i++) {
        const char *eq = strchr(pairs[i], '=');
        g_autofree char *name = g_strndup(pairs[i], eq - pairs[i]);
        add_nvpair(inst, set_id, name, eq + 1);
    }
    int rc;
    if (replace) {
        /* In place and in one step: its nodes are never without a device in between. */
        xmlNode *resources = copy_xml(pcmk_find_cib_element(cib, XML_CIB_TAG_RESOURCES));
        xmlNode *old = NULL;
        for (xmlNode *p = first_named_child(resources, XML_CIB_TAG_RESOURCE); p && !old;
             p = crm_next_same_xml(p))
            if (g_strcmp0(crm_element_value(p, XML_ATTR_ID), id) == 0)
                old = p;
        /* A copy owned by the resources' document: prim keeps its own document, freed below. */
        xmlAddNextSibling(old, xmlDocCopyNode(prim, resources->doc, 1));
        free_xml(old);
        free_xml(prim);
        g_message("fence device %s replaced (forced by root)", id);
        rc = db.cib->cmds->replace(db.cib, XML_CIB_TAG_RESOURCES, resources, cib_sync_call);
        free_xml(resources);
    } else {
        rc = db.cib->cmds->create(db.cib, XML_CIB_TAG_RESOURCES, prim, cib_sync_call);
        free_xml(prim);
    }
    if (rc == pcmk_ok)
        return 0;
    return fail(ret_error, VMHA_RESULT_FAILURE, "cannot %s the fence device: %s",
                replace ? "replace" : "add", pcmk_strerror(rc));
}

/* VMHA_F_NAME, and VMHA_F_KV CD_FENCE_FORCE when forced. */
static int apply_fence_remove(xmlNode *cib, const VmhaMsg *m, char **ret_error)
{
    g_autofree char *id = NULL;
    g_auto(GStrv) kvs = NULL;

    if (vmha_msg_get_str(m, VMHA_F_NAME, &id) < 0 || !vmha_fence_id_valid(id))
        return fail(ret_error, VMHA_RESULT_USAGE, "bad fence device id");
    if (vmha_msg_get_strv(m, VMHA_F_KV, &kvs) < 0)
        kvs = NULL;
    bool forced = kvs && kvs[0] && strcmp(kvs[0], CD_FENCE_FORCE) == 0;
    if (kvs && kvs[forced ? 1 : 0])
        return fail(ret_error, VMHA_RESULT_USAGE, "unexpected '%s'", kvs[forced ? 1 : 0]);
    if (!find_fence_device(cib, id))
        return fail(ret_error, VMHA_RESULT_NOT_FOUND, "unknown fence device '%s'", id);
    int r = check_only_device(cib, id, forced, ret_error);
    if (r != 0)
        return r;
    if (forced)
        g_message("fence device %s removed (forced by root)", id);
    /* Constraints naming it (a location for the device) would refer to nothing. */
    if (remove_preferences(cib, id, NULL) != 0)
        return fail(ret_error, VMHA_RESULT_FAILURE, "cannot remove the device's constraints");
    xmlNode *del = create_xml_node(NULL, XML_CIB_TAG_RESOURCE);
    crm_xml_add(del, XML_ATTR_ID, id);
    int rc = db.cib->cmds->remove(db.cib, XML_CIB_TAG_RESOURCES, del, cib_sync_call);
    free_xml(del);
    return cib_call_result(rc, ret_error, "cannot remove the fence device") ? VMHA_RESULT_FAILURE
                                                                            : 0;
}

/* ---- vmctl vm cleanup, vmctl node fence ---- */

static int replace_status(xmlNode *status, char **ret_error, const char *what)
{
    int rc = db.cib->cmds->replace(db.cib, XML_CIB_TAG_STATUS, status, cib_sync_call);
    return cib_call_result(rc, ret_error, what) ? VMHA_RESULT_FAILURE : 0;
}

/* Forgets the VM's history and failures on every node; sync.c then has every node probe it, as
 * Pacemaker's cleanup does. */
static int apply_vm_cleanup(xmlNode *cib, const VmhaMsg *m, char **ret_error)
{
    g_autofree char *name = NULL;
    const char *busy = NULL;

    if (vmha_msg_get_str(m, VMHA_F_NAME, &name) < 0 || !vmha_vm_name_valid(name))
        return fail(ret_error, VMHA_RESULT_USAGE, "bad VM name");
    if (!find_vm(cib, name))
        return fail(ret_error, VMHA_RESULT_NOT_FOUND, "unknown VM '%s'", name);
    xmlNode *status = pcmk_find_cib_element(cib, XML_CIB_TAG_STATUS);
    /* Forgetting an operation in flight would let the leader plan the VM again while it may be
     * starting: the one thing that must never happen. */
    if (vmha_status_vm_pending(status, name, &busy))
        return fail(ret_error, VMHA_RESULT_FAILURE,
                    "VM '%s' has an operation in progress on %s; try again when it is done", name,
                    busy);
    if (!status)
        return 0;
    xmlNode *copy = copy_xml(status);
    int rc = 0;
    if (vmha_status_cleanup_vm(copy, name) > 0)
        rc = replace_status(copy, ret_error, "cannot clean up the VM");
    free_xml(copy);
    return rc;
}

/* Records a fence request on the node (transient attribute vmha-fence-requested = the time the
 * origin's clusterd received it, VMHA_F_KV "requested=SECONDS"); the leader fences it. */
static int apply_node_fence(xmlNode *cib, const VmhaMsg *m, char **ret_error)
{
    g_autofree char *uname = NULL;
    g_auto(GStrv) kvs = NULL;
    const char *when = NULL;

    if (vmha_msg_get_str(m, VMHA_F_NODE, &uname) < 0 || !vmha_node_name_valid(uname))
        return fail(ret_error, VMHA_RESULT_USAGE, "bad node name");
    if (vmha_msg_get_strv(m, VMHA_F_KV, &kvs) == 0)
        for (size_t i = 0; kvs[i]; i++)
            if (g_str_has_prefix(kvs[i], "requested="))
                when = kvs[i] + strlen("requested=");
    gint64 t = 0;
    if (!when || !g_ascii_string_to_signed(when, 10, 1, G_MAXINT64, &t, NULL))
        return fail(ret_error, VMHA_RESULT_USAGE, "a fence request needs its time");
    g_autofree char *xpath =
            g_strdup_printf("//" XML_CIB_TAG_NODES "/" XML_CIB_TAG_NODE "[@uname='%s']", uname);
    xmlNode *node = get_xpath_object(xpath, cib, LOG_NEVER);
    const char *id = node ? crm_element_value(node, XML_ATTR_ID) : NULL;
    if (!id)
        return fail(ret_error, VMHA_RESULT_NOT_FOUND, "unknown node '%s'", uname);

    xmlNode *status = pcmk_find_cib_element(cib, XML_CIB_TAG_STATUS);
    xmlNode *copy = status ? copy_xml(status) : create_xml_node(NULL, XML_CIB_TAG_STATUS);
    int rc = 0;
    if (vmha_status_set_node_attr(copy, id, uname, "vmha-fence-requested", when) > 0)
        rc = replace_status(copy, ret_error, "cannot record the fence request");
    free_xml(copy);
    return rc;
}

/* Whether the node has vmha-drain=on. */
static bool node_draining(xmlNode *cib, const char *uname)
{
    g_autofree char *xpath = g_strdup_printf("//" XML_CIB_TAG_NODES "/" XML_CIB_TAG_NODE
                                             "[@uname='%s']/" XML_TAG_ATTR_SETS
                                             "/" XML_CIB_TAG_NVPAIR "[@name='vmha-drain']",
                                             uname);
    xmlNode *nv = get_xpath_object(xpath, cib, LOG_NEVER);
    return nv && crm_is_true(crm_element_value(nv, XML_NVPAIR_ATTR_VALUE));
}

/* The node's id from <nodes>, or NULL. */
static const char *node_id_of(xmlNode *cib, const char *uname)
{
    g_autofree char *xpath =
            g_strdup_printf("//" XML_CIB_TAG_NODES "/" XML_CIB_TAG_NODE "[@uname='%s']", uname);
    xmlNode *node = get_xpath_object(xpath, cib, LOG_NEVER);
    return node ? crm_element_value(node, XML_ATTR_ID) : NULL;
}

static xmlNode *status_copy(xmlNode *cib)
{
    xmlNode *status = pcmk_find_cib_element(cib, XML_CIB_TAG_STATUS);
    return status ? copy_xml(status) : create_xml_node(NULL, XML_CIB_TAG_STATUS);
}

/* Replaces the status section with copy (consumed) when changed. */
static int status_replace(xmlNode *copy, bool changed, char **ret_error, const char *what)
{
    int rc = changed ? db.cib->cmds->replace(db.cib, XML_CIB_TAG_STATUS, copy, cib_sync_call) : 0;
    free_xml(copy);
    return cib_call_result(rc, ret_error, what) ? VMHA_RESULT_FAILURE : 0;
}

/* The leader's actions: each recorded pending on its node, unless the VM has an operation in
 * flight already (whichever leader asked) or is unknown. The refusal is not an error: every
 * member refuses the same actions, and the node that would run one never sees it pending. */
static int apply_actions(xmlNode *cib, const VmhaMsg *m, char **ret_error)
{
    g_auto(GStrv) entries = NULL;

    if (vmha_msg_get_strv(m, VMHA_F_ACTION, &entries) < 0 || !entries[0])
        return fail(ret_error, VMHA_RESULT_USAGE, "malformed actions");
    int64_t now;
    if (msg_time(m, &now) < 0)
        return fail(ret_error, VMHA_RESULT_USAGE, "actions without a time");
    xmlNode *copy = status_copy(cib);
    bool changed = false;
    for (size_t i = 0; entries[i]; i++) {
        g_auto(GStrv) parts = NULL;
        VmhaActionSpec a;
        if (vmha_action_parse(entries[i], &a, &parts) < 0) {
            free_xml(copy);
            return fail(ret_error, VMHA_RESULT_USAGE, "malformed action '%s'", entries[i]);
        }
        const char *node_id = node_id_of(cib, a.node);
        bool migrate = strcmp(a.op, "migrate") == 0;
        if (!find_vm(cib, a.rsc) || !node_id || (migrate && !node_id_of(cib, a.target))) {
            g_warning("refusing action '%s': unknown VM or node", entries[i]);
            continue;
        }
        int r = vmha_lrm_record_pending(copy, node_id, a.node, a.rsc, migrate ? "migrate_to" : a.op,
                                        a.key, migrate ? a.node : NULL, a.target, a.method, now);
        if (r == 0)
            g_message("refusing action '%s': %s has an operation in flight", entries[i], a.rsc);
        changed |= r > 0;
    }
    return status_replace(copy, changed, ret_error, "cannot record the actions");
}

/* The nvpair `name` of the primitive's first set `tag`, or NULL. */
static const char *primitive_attr(xmlNode *prim, const char *tag, const char *name)
{
    for (xmlNode *set = first_named_child(prim, tag); set; set = crm_next_same_xml(set))
        for (xmlNode *nv = first_named_child(set, XML_CIB_TAG_NVPAIR); nv;
             nv = crm_next_same_xml(nv))
            if (g_strcmp0(crm_element_value(nv, XML_NVPAIR_ATTR_NAME), name) == 0)
                return crm_element_value(nv, XML_NVPAIR_ATTR_VALUE);
    return NULL;
}

static int replace_configuration(xmlNode *copy, char **ret_error)
{
    int rc = db.cib->cmds->replace(db.cib, XML_CIB_TAG_CONFIGURATION, copy, cib_sync_call);
    return cib_call_result(rc, ret_error, "cannot change the configuration") ? VMHA_RESULT_FAILURE
                                                                             : 0;
}

/* What a successful operation changes in the configuration: the VM now running away from the
 * node a move request named answers that request; a quick migration's save (migrate_to) or
 * restore (migrate_from) time measures the shared storage's throughput for `drain --dry-run`. */
static int after_success(xmlNode *cib, const VmhaOpResult *r, const char *uname, const char *method,
                         char **ret_error)
{
    bool arrived = strcmp(r->op, "start") == 0 || strcmp(r->op, "migrate_from") == 0;
    bool migration = strcmp(r->op, "migrate_to") == 0 || strcmp(r->op, "migrate_from") == 0;
    xmlNode *prim = find_vm(cib, r->rsc);
    if (!prim || !(arrived || migration))
        return 0;
    xmlNode *config = copy_xml(pcmk_find_cib_element(cib, XML_CIB_TAG_CONFIGURATION));
    int changed = arrived ? vmha_cib_move_clear(config, r->rsc, uname) : 0;
    const char *own = primitive_attr(prim, XML_TAG_ATTR_SETS, "migration_method");
    const char *memory = primitive_attr(prim, XML_TAG_UTILIZATION, "memory");
    const char *effective = method ? method : own ? own : "quick";
    gint64 mib = 0;
    if (migration && strcmp(effective, "quick") == 0 && r->exec_ms > 0 && memory &&
        g_ascii_string_to_signed(memory, 10, 1, 1 << 30, &mib, NULL)) {
        double rate = (double)mib * 1000.0 / (double)r->exec_ms;
        xmlNode *crm_config = first_named_child(config, XML_CIB_TAG_CRMCONFIG);
        changed |= vmha_cib_measure(
                crm_config,
                strcmp(r->op, "migrate_to") == 0 ? VMHA_MEASURE_SAVE : VMHA_MEASURE_RESTORE, rate);
    }
    int rc = changed > 0 ? replace_configuration(config, ret_error) : 0;
    free_xml(config);
    return rc;
}

/* An operation's result from the origin node (never from the message body, as for probes). A
 * completed migrate_to hands over to the target: its migrate_from is recorded pending in the
 * same write, so no moment exists where neither node owns the VM's next step. */
static int apply_result(xmlNode *cib, const VmhaMsg *m, char **ret_error)
{
    g_autofree char *line = NULL, *reason = NULL;
    g_auto(GStrv) parts = NULL;
    uint64_t origin = 0;
    VmhaOpResult r;

    if (vmha_msg_get_u64(m, VMHA_F_ORIGIN_NODE, &origin) < 0 ||
        vmha_msg_get_str(m, VMHA_F_RESULT, &line) < 0 || vmha_op_result_parse(line, &r, &parts) < 0)
        return fail(ret_error, VMHA_RESULT_USAGE, "malformed result '%s'", line ? line : "");
    if (vmha_msg_get_str(m, VMHA_F_MESSAGE, &reason) == 0)
        r.exit_reason = reason;
    g_auto(GStrv) kvs = NULL;
    const char *epoch = vmha_msg_get_strv(m, VMHA_F_KV, &kvs) == 0 ? kv_value(kvs, "fenced") : NULL;
    gint64 e = 0;
    if (epoch && !g_ascii_string_to_signed(epoch, 10, 0, G_MAXINT64, &e, NULL))
        return fail(ret_error, VMHA_RESULT_USAGE, "malformed fence epoch '%s'", epoch);
    r.has_fence_epoch = epoch != NULL;
    r.fence_epoch = e;
    g_autofree char *node_id = g_strdup_printf("%" G_GUINT64_FORMAT, origin);
    g_autofree char *xpath =
            g_strdup_printf("//" XML_CIB_TAG_NODES "/" XML_CIB_TAG_NODE "[@id='%s']", node_id);
    xmlNode *node = get_xpath_object(xpath, cib, LOG_NEVER);
    const char *uname = node ? crm_element_value(node, XML_ATTR_UNAME) : NULL;
    if (!uname)
        return fail(ret_error, VMHA_RESULT_NOT_FOUND, "unknown node %s", node_id);
    if (!find_vm(cib, r.rsc))
        return 0; /* removed meanwhile: its history would be an orphan */

    xmlNode *status = pcmk_find_cib_element(cib, XML_CIB_TAG_STATUS);
    if (vmha_lrm_result_predates_fence(find_node_state_by_id(status, node_id), &r)) {
        g_message("ignoring a result from before %s was fenced: %s", uname, line);
        return 0;
    }
    xmlNode *pending = r.interval_ms == 0
                               ? vmha_lrm_pending_op(find_node_state_by_id(status, node_id), r.rsc)
                               : NULL;
    g_autofree char *method =
            pending ? g_strdup(crm_element_value(pending, VMHA_LRM_METHOD)) : NULL;
    xmlNode *copy = status_copy(cib);
    g_autofree char *target = NULL;
    int c = vmha_lrm_record_result(copy, node_id, uname, &r, &target);
    if (c == 0)
        g_message("ignoring a stale result: %s", line);
    const char *target_id = target ? node_id_of(cib, target) : NULL;
    if (c > 0 && target_id)
        vmha_lrm_record_pending(copy, target_id, target, r.rsc, "migrate_from", r.key, uname,
                                target, method, r.when);
    /* The last VM leaving a draining node: from now on losing it needs no fencing (a host
     * patched and rebooted is not power-cut once more). */
    if (c > 0 && node_draining(cib, uname))
        vmha_lrm_mark_down_if_idle(copy, node_id);
    int rc = status_replace(copy, c > 0, ret_error, "cannot record the result");
    if (rc == 0 && c > 0 && r.interval_ms == 0 && !vmha_op_result_failed(&r))
        rc = after_success(cib, &r, uname, method, ret_error);
    return rc;
}

/* The leader's fencing outcome, timed by the leader. */
static int apply_fence(xmlNode *cib, const VmhaMsg *m, char **ret_error)
{
    g_autofree char *uname = NULL, *message = NULL;
    uint64_t rc = 0;

    if (vmha_msg_get_str(m, VMHA_F_NODE, &uname) < 0)
        return fail(ret_error, VMHA_RESULT_USAGE, "no node given");
    const char *node_id = node_id_of(cib, uname);
    if (!node_id)
        return fail(ret_error, VMHA_RESULT_NOT_FOUND, "unknown node '%s'", uname);
    int64_t now;
    if (msg_time(m, &now) < 0)
        return fail(ret_error, VMHA_RESULT_USAGE, "a fencing record without a time");
    if (vmha_msg_get_u64(m, VMHA_F_RC, &rc) < 0)
        return fail(ret_error, VMHA_RESULT_USAGE, "malformed fencing outcome");
    if (vmha_msg_get_str(m, VMHA_F_MESSAGE, &message) < 0)
        message = NULL;
    xmlNode *copy = status_copy(cib);
    if (rc == 0)
        vmha_lrm_node_fenced(copy, node_id, uname, now);
    else
        vmha_lrm_fence_failed(copy, node_id, uname, now, message);
    return status_replace(copy, true, ret_error, "cannot record the fencing");
}

/* The value of "key=VALUE" among the message's F_KV pairs, or NULL. */
static const char *kv_value(GStrv kvs, const char *key)
{
    size_t n = strlen(key);
    for (size_t i = 0; kvs && kvs[i]; i++)
        if (strncmp(kvs[i], key, n) == 0 && kvs[i][n] == '=')
            return kvs[i] + n + 1;
    return NULL;
}

/* Edits the drain marks of F_NODE: set for a drain (method and force from F_KV), all removed
 * for a resume. One replace of <nodes>, so a drain is recorded whole or not at all. */
static int apply_node_drain(xmlNode *cib, const VmhaMsg *m, bool drain, char **ret_error)
{
    g_autofree char *uname = NULL;
    g_auto(GStrv) kvs = NULL;

    if (vmha_msg_get_str(m, VMHA_F_NODE, &uname) < 0 || !vmha_node_name_valid(uname))
        return fail(ret_error, VMHA_RESULT_USAGE, "bad node name");
    if (vmha_msg_get_strv(m, VMHA_F_KV, &kvs) < 0)
        kvs = NULL;
    const char *method_arg = kv_value(kvs, "method");
    const char *method = vmha_migration_method_canonical(method_arg);
    if (method_arg && !method)
        return fail(ret_error, VMHA_RESULT_USAGE, "bad method '%s': quick, live or cold",
                    method_arg);
    const char *force = kv_value(kvs, "force"), *shutdown = kv_value(kvs, "shutdown");
    if ((force && strcmp(force, "on") != 0) || (shutdown && strcmp(shutdown, "on") != 0))
        return fail(ret_error, VMHA_RESULT_USAGE, "bad drain options");
    if (!node_id_of(cib, uname))
        return fail(ret_error, VMHA_RESULT_NOT_FOUND, "unknown node '%s'", uname);
    /* A clusterd shutting down on a node the administrator drained leaves that drain as it
     * is: it must outlive the restart, where a shutdown's own drain ends. */
    if (drain && shutdown && node_draining(cib, uname))
        return 0;
    xmlNode *nodes = copy_xml(pcmk_find_cib_element(cib, XML_CIB_TAG_NODES));
    int changed = vmha_cib_node_attr_set(nodes, uname, "vmha-drain", drain ? "on" : NULL);
    changed |= vmha_cib_node_attr_set(nodes, uname, "vmha-drain-method", drain ? method : NULL);
    changed |= vmha_cib_node_attr_set(nodes, uname, "vmha-drain-force", drain ? force : NULL);
    changed |= vmha_cib_node_attr_set(nodes, uname, "vmha-drain-shutdown", drain ? shutdown : NULL);
    int rc = 0;
    if (changed > 0) {
        rc = db.cib->cmds->replace(db.cib, XML_CIB_TAG_NODES, nodes, cib_sync_call);
        rc = cib_call_result(rc, ret_error, "cannot change the node") ? VMHA_RESULT_FAILURE : 0;
    }
    free_xml(nodes);
    if (rc == 0 && drain) {
        xmlNode *copy = status_copy(cib);
        rc = status_replace(copy, vmha_lrm_mark_down_if_idle(copy, node_id_of(cib, uname)),
                            ret_error, "cannot record the node's state");
    }
    return rc;
}

/* A move request: F_NAME away from F_KV from=NODE (where the asker saw it run), to F_NODE when
 * given, by F_KV method=... when given. */
static int apply_vm_move(xmlNode *cib, const VmhaMsg *m, char **ret_error)
{
    g_autofree char *name = NULL, *to = NULL;
    g_auto(GStrv) kvs = NULL;

    if (vmha_msg_get_str(m, VMHA_F_NAME, &name) < 0 || !vmha_vm_name_valid(name))
        return fail(ret_error, VMHA_RESULT_USAGE, "bad VM name");
    if (vmha_msg_get_str(m, VMHA_F_NODE, &to) < 0)
        to = NULL;
    if (vmha_msg_get_strv(m, VMHA_F_KV, &kvs) < 0)
        kvs = NULL;
    const char *from = kv_value(kvs, "from");
    const char *method_arg = kv_value(kvs, "method");
    const char *method = vmha_migration_method_canonical(method_arg);
    if (method_arg && !method)
        return fail(ret_error, VMHA_RESULT_USAGE, "bad method '%s': quick, live or cold",
                    method_arg);
    if (!find_vm(cib, name))
        return fail(ret_error, VMHA_RESULT_NOT_FOUND, "unknown VM '%s'", name);
    if (!from || !node_id_of(cib, from))
        return fail(ret_error, VMHA_RESULT_NOT_FOUND, "unknown node '%s'", from ? from : "");
    if (to && !node_id_of(cib, to))
        return fail(ret_error, VMHA_RESULT_NOT_FOUND, "unknown node '%s'", to);
    if (to && strcmp(to, from) == 0)
        return fail(ret_error, VMHA_RESULT_USAGE, "%s already runs on %s", name, to);
    xmlNode *config = copy_xml(pcmk_find_cib_element(cib, XML_CIB_TAG_CONFIGURATION));
    int rc = vmha_cib_move_set(config, name, from, to, method) < 0
                     ? fail(ret_error, VMHA_RESULT_NOT_FOUND, "unknown VM '%s'", name)
                     : replace_configuration(config, ret_error);
    free_xml(config);
    return rc;
}

/* Cluster properties vmha reads (docs/CIB.md); `config set` writes no others. */
static bool settable_property(const char *name)
{
    static const char *const names[] = {
            "stonith-enabled",
            "symmetric-cluster",
            "no-quorum-policy",
            "placement-strategy",
            "migration-limit",
            "vmha-self-fence-timeout",
            "vmha-fence-watchdog-timeout",
            "vmha-shutdown-policy",
            "maintenance-mode",
            "stop-all-resources",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++)
        if (strcmp(name, names[i]) == 0)
            return true;
    return false;
}

/* A node's standby or maintenance mark (Pacemaker's node attributes, on/off): "off" or empty
 * removes it. */
static int set_node_flag(xmlNode *nodes, const char *uname, const char *key, const char *value,
                         char **ret_error)
{
    bool on = false;
    if (value && vmha_pcmk_boolean(value, &on) < 0)
        return fail(ret_error, VMHA_RESULT_USAGE, "%s: '%s' is not on or off", key, value);
    vmha_cib_node_attr_set(nodes, uname, key, on ? "on" : NULL);
    return 0;
}

/* Ending maintenance mode: a node out of this CPG view did not see it end. Its copy still says
 * maintenance-mode, so if it is lost it does not fence itself (clusterd/noquorum.c): it is
 * marked vmha-self-fence-disarmed, and its VMs wait for a real fence or its return rather than
 * for a self-fence deadline that means nothing for it (the mark goes with its next probe, or
 * its fence). Every member applies this write in the same view, so every copy gets the same
 * marks. Returns whether the status changed. */
static bool mark_disarmed_nodes(xmlNode *cib, xmlNode *status)
{
    size_t n_members = 0;
    const CdCpgMember *members = cd_cpg_members(&n_members);
    xmlNode *nodes = pcmk_find_cib_element(cib, XML_CIB_TAG_NODES);
    bool changed = false;

    for (xmlNode *n = nodes ? first_named_child(nodes, XML_CIB_TAG_NODE) : NULL; n;
         n = crm_next_same_xml(n)) {
        const char *id = crm_element_value(n, XML_ATTR_ID);
        const char *uname = crm_element_value(n, XML_ATTR_UNAME);
        gint64 nodeid = 0;
        bool member = false;
        if (!id || !uname || !g_ascii_string_to_signed(id, 10, 1, G_MAXUINT32, &nodeid, NULL))
            continue;
        for (size_t k = 0; k < n_members; k++)
            member |= members[k].nodeid == (uint32_t)nodeid;
        if (!member)
            changed |= vmha_lrm_node_disarmed(status, id, uname, true);
    }
    return changed;
}

/* `vmctl config set` / `vmctl node set`: every pair is applied to a copy, and the copy must load
 * (lib/model checks every value and the rules between them, such as the watchdog margin) before
 * the configuration is replaced in one step. */
static int apply_config_set(xmlNode *cib, const VmhaMsg *m, char **ret_error)
{
    g_autofree char *uname = NULL;
    g_auto(GStrv) kvs = NULL;

    if (vmha_msg_get_str(m, VMHA_F_NODE, &uname) < 0)
        uname = NULL;
    if (uname && !vmha_node_name_valid(uname))
        return fail(ret_error, VMHA_RESULT_USAGE, "bad node name");
    if (vmha_msg_get_strv(m, VMHA_F_KV, &kvs) < 0 || !kvs[0])
        return fail(ret_error, VMHA_RESULT_USAGE, "nothing to set");
    if (uname && !node_id_of(cib, uname))
        return fail(ret_error, VMHA_RESULT_NOT_FOUND, "unknown node '%s'", uname);
    xmlNode *copy = copy_xml(cib);
    xmlNode *config = pcmk_find_cib_element(copy, XML_CIB_TAG_CONFIGURATION);
    int rc = 0;
    for (size_t i = 0; kvs[i] && rc == 0; i++) {
        const char *eq = strchr(kvs[i], '=');
        g_autofree char *key = eq ? g_strndup(kvs[i], eq - kvs[i]) : NULL;
        const char *value = eq && eq[1] ? eq + 1 : NULL;
        if (!key)
            rc = fail(ret_error, VMHA_RESULT_USAGE, "'%s' is not KEY=VALUE", kvs[i]);
        else if (uname && (strcmp(key, "standby") == 0 || strcmp(key, "maintenance") == 0))
            rc = set_node_flag(first_named_child(config, XML_CIB_TAG_NODES), uname, key, value,
                               ret_error);
        else if (uname && strcmp(key, "memory") != 0 && strcmp(key, "cpu") != 0)
            rc = fail(ret_error, VMHA_RESULT_USAGE,
                      "unknown node setting '%s' (memory, cpu, standby, maintenance)", key);
        else if (uname)
            vmha_cib_node_utilization_set(first_named_child(config, XML_CIB_TAG_NODES), uname, key,
                                          value);
        else if (!settable_property(key))
            rc = fail(ret_error, VMHA_RESULT_USAGE, "unknown cluster property '%s'", key);
        else
            vmha_cib_property_set(first_named_child(config, XML_CIB_TAG_CRMCONFIG), key, value);
    }
    g_autoptr(VmhaModel) model = NULL;
    g_autoptr(GError) error = NULL;
    if (rc == 0 && vmha_model_from_xml(copy, &model, &error) < 0)
        rc = fail(ret_error, VMHA_RESULT_USAGE, "%s", error->message);
    /* maintenance-mode going from on to off */
    g_autoptr(VmhaModel) before = NULL;
    g_autoptr(GError) before_error = NULL;
    bool ending = rc == 0 && !uname && !model->maintenance_mode &&
                  vmha_model_from_xml(cib, &before, &before_error) == 0 && before->maintenance_mode;
    if (rc == 0)
        rc = replace_configuration(config, ret_error);
    if (rc == 0 && ending) {
        xmlNode *status = status_copy(cib);
        rc = status_replace(status, mark_disarmed_nodes(cib, status), ret_error,
                            "cannot record the nodes out of the view");
    }
    free_xml(copy);
    return rc;
}

/* ---- the node list (clusterd/nodelist.c) ---- */

int cd_cibdb_nodes_parse(const VmhaMsg *m, GArray **ret_refs, GStrv *ret_names)
{
    g_auto(GStrv) items = NULL;
    g_autoptr(GArray) refs = g_array_new(FALSE, TRUE, sizeof(VmhaNodeRef));
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);

    if (vmha_msg_get_strv(m, VMHA_F_NODE, &items) < 0 || !items[0])
        return -EINVAL;
    for (size_t i = 0; items[i]; i++) {
        const char *sp = strchr(items[i], ' ');
        g_autofree char *num = sp ? g_strndup(items[i], (gsize)(sp - items[i])) : NULL;
        guint64 id = 0;
        if (!sp || !g_ascii_string_to_unsigned(num, 10, 1, G_MAXUINT32, &id, NULL) ||
            !vmha_node_name_valid(sp + 1))
            return -EINVAL;
        g_ptr_array_add(names, g_strdup(sp + 1));
        VmhaNodeRef r = {.id = (uint32_t)id};
        g_array_append_val(refs, r);
    }
    g_ptr_array_add(names, NULL);
    GStrv v = (GStrv)g_ptr_array_steal(names, NULL);
    for (guint i = 0; i < refs->len; i++)
        g_array_index(refs, VmhaNodeRef, i).name = v[i];
    *ret_refs = g_steal_pointer(&refs);
    *ret_names = v;
    return 0;
}

bool cd_cibdb_nodes_differ(const VmhaNodeRef *want, size_t n)
{
    xmlNode *cib = cd_cibdb_query();
    bool differ = cib && vmha_cib_nodes_follow(cib, want, n, NULL) > 0;
    if (cib)
        free_xml(cib);
    return differ;
}

/* <nodes> become corosync's nodelist as the leader read it from cmap: new nodes added, nodes
 * gone removed with what names them, except a node whose history holds VMs (it stays until they
 * were moved or its fencing erased them). */
static int apply_nodes(xmlNode *cib, const VmhaMsg *m, char **ret_error)
{
    g_autoptr(GArray) refs = NULL;
    g_auto(GStrv) names = NULL;
    g_autoptr(GPtrArray) kept = g_ptr_array_new_with_free_func(g_free);

    if (cd_cibdb_nodes_parse(m, &refs, &names) < 0)
        return fail(ret_error, VMHA_RESULT_USAGE, "malformed node list");
    if (!vmha_cib_nodes_follow(cib, (const VmhaNodeRef *)refs->data, refs->len, kept))
        return 0;
    for (guint i = 0; i < kept->len; i++)
        g_warning("node %s left corosync's nodelist but VMs are recorded there: it stays in the "
                  "database until they were moved or recovered",
                  (const char *)g_ptr_array_index(kept, i));
    static const char *const sections[] = {XML_CIB_TAG_NODES, XML_CIB_TAG_RESOURCES,
                                           XML_CIB_TAG_CONSTRAINTS, XML_CIB_TAG_STATUS};
    for (size_t i = 0; i < G_N_ELEMENTS(sections); i++) {
        xmlNode *section = pcmk_find_cib_element(cib, sections[i]);
        if (!section)
            continue;
        int rc = db.cib->cmds->replace(db.cib, sections[i], section, cib_sync_call);
        if (cib_call_result(rc, ret_error, "cannot update the node list"))
            return VMHA_RESULT_FAILURE;
    }
    g_autoptr(GString) list = g_string_new(NULL);
    for (size_t i = 0; names[i]; i++)
        g_string_append_printf(list, "%s%s", i ? " " : "", names[i]);
    g_message("the database's nodes are now corosync's: %s", list->str);
    return 0;
}

int cd_cibdb_apply(const VmhaMsg *write, char **ret_error)
{
    xmlNode *cib = cd_cibdb_query();
    int rc;

    if (!cib)
        return fail(ret_error, VMHA_RESULT_FAILURE, "the local database is not available");
    switch (write->type) {
    case VMHA_MSG_VM_ADD:
        rc = apply_add(cib, write, ret_error);
        break;
    case VMHA_MSG_VM_REMOVE:
        rc = apply_remove(cib, write, ret_error);
        break;
    case VMHA_MSG_VM_SET:
        rc = apply_set(cib, write, ret_error);
        break;
    case VMHA_MSG_PROBE:
        rc = apply_probe(cib, write, ret_error);
        break;
    case VMHA_MSG_FENCE_ADD:
        rc = apply_fence_add(cib, write, ret_error);
        break;
    case VMHA_MSG_FENCE_REMOVE:
        rc = apply_fence_remove(cib, write, ret_error);
        break;
    case VMHA_MSG_VM_CLEANUP:
        rc = apply_vm_cleanup(cib, write, ret_error);
        break;
    case VMHA_MSG_NODE_FENCE:
        rc = apply_node_fence(cib, write, ret_error);
        break;
    case VMHA_MSG_ACTIONS:
        rc = apply_actions(cib, write, ret_error);
        break;
    case VMHA_MSG_RESULT:
        rc = apply_result(cib, write, ret_error);
        break;
    case VMHA_MSG_FENCED:
        rc = apply_fence(cib, write, ret_error);
        break;
    case VMHA_MSG_NODE_DRAIN:
    case VMHA_MSG_NODE_RESUME:
        rc = apply_node_drain(cib, write, write->type == VMHA_MSG_NODE_DRAIN, ret_error);
        break;
    case VMHA_MSG_VM_MOVE:
        rc = apply_vm_move(cib, write, ret_error);
        break;
    case VMHA_MSG_CONFIG_SET:
        rc = apply_config_set(cib, write, ret_error);
        break;
    case VMHA_MSG_NODES:
        rc = apply_nodes(cib, write, ret_error);
        break;
    default:
        rc = fail(ret_error, VMHA_RESULT_FAILURE, "unknown write");
    }
    free_xml(cib);
    /* A change from vmctl that takes the database over its limit is undone and refused, on every
     * member alike (the same write on the same copy: the same size), rather than accepted and
     * left for sync and readers to choke on. clusterd's own records are never refused here:
     * they must be written for the cluster to work, and grow only with the configuration. */
    if (rc == 0 && !vmha_msg_type_is_internal(write->type)) {
        cib = cd_cibdb_query();
        size_t size = cib ? document_size(cib) : 0;
        if (cib)
            free_xml(cib);
        if (size > cd_cibdb_size_limit) {
            rc = fail(ret_error, VMHA_RESULT_REFUSED,
                      "the database would grow to %.1f MiB, over its limit of %u MiB; nothing "
                      "was changed",
                      (double)size / (1024 * 1024),
                      (unsigned)(cd_cibdb_size_limit / (1024 * 1024)));
            /* cib.xml still holds the copy before this write. */
            if (connect_cib() < 0)
                g_critical("cannot reload %s after refusing a write", db.path);
            return rc;
        }
    }
    /* Save whatever libcib holds now, also after a partial failure, so that the durable copy
     * never lags behind the version we report to peers. */
    if (save() < 0 && rc == 0)
        rc = fail(ret_error, VMHA_RESULT_FAILURE, "cannot save the database");
    return rc;
}
