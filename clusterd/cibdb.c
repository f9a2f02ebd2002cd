/* The local copy of the cluster database (cibdb.h). libcib's file backend edits a working copy
 * (cib.work.xml) in memory and only writes it on signoff, so after every applied write we save
 * the whole document ourselves to cib.xml (lib/atomicwrite.h: temporary file, fsync, rename,
 * fsync of the directory). cib.xml is therefore always a complete document, whenever clusterd is
 * killed.
 *
 * Beside it, cib.xml.sig (lib/cibsig.h) holds the digest of what clusterd saved, written before
 * the file itself. At start a copy that does not match it was changed behind clusterd's back: it
 * is moved aside and this node starts with an empty database, which any other node's copy
 * replaces at the next sync, so a damaged copy never spreads (issue 11, defect 5).
 *
 * What the database says and how a write changes it is cibwrite.c's; this file only keeps it. */
#include "config.h"

#include <crm/cib.h>
#include <crm/cib/util.h>
#include <crm/common/xml.h>
#include <crm/crm.h>
#include <crm/msg_xml.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <libxml/parser.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicwrite.h"
#include "cibdb.h"
#include "cibsig.h"
#include "corosync.h" /* CdNode */

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
    /* A copy of libcib's document that readers share until the next change: a copy of a
     * 5,000-VM database costs milliseconds, and every write and every job reads it. */
    xmlNode *snapshot;
    uint64_t generation; /* counts the changes: readers' caches compare it */
} db;

/* After every change of libcib's document, and before any it may make. */
static void changed(void)
{
    g_clear_pointer(&db.snapshot, free_xml);
    db.generation++;
}

uint64_t cd_cibdb_generation(void)
{
    return db.generation;
}

/* vmha_atomic_write, mode 0600, durable: the database holds fence device secrets. */
static int write_file_atomic(const char *path, const char *content, GError **error)
{
    return vmha_atomic_write(path, content, strlen(content), 0600, VMHA_ATOMIC_WRITE_SYNC, error);
}

/* Saves a whole document: the signature naming it (and the copy it replaces, in case we stop
 * between the two writes) first, then the file. Logs what failed. */
static int store(const char *content)
{
    g_autofree char *digest = vmha_cibsig_digest(content, strlen(content));
    g_autofree char *sig = vmha_cibsig_format(digest, db.saved);
    g_autoptr(GError) error = NULL;
    int r = write_file_atomic(db.sig_path, sig, &error);

    if (r == 0)
        r = write_file_atomic(db.path, content, &error);
    if (r < 0) {
        g_warning("cannot save the database: %s", error->message);
        return r;
    }
    g_free(db.saved);
    db.saved = g_steal_pointer(&digest);
    return 0;
}

static void disconnect(void)
{
    changed();
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
    if ((rc = write_file_atomic(db.work_path, content, &error)) < 0) {
        g_warning("cannot prepare libcib's working copy: %s", error->message);
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

xmlNode *cd_cibdb_current(void)
{
    if (!db.snapshot)
        db.snapshot = cd_cibdb_query();
    return db.snapshot;
}

xmlNode *cd_cibdb_claim(void)
{
    xmlNode *xml = g_steal_pointer(&db.snapshot);
    return xml ? xml : cd_cibdb_query();
}

int cd_cibdb_save(void)
{
    xmlNode *xml = cd_cibdb_current();
    if (!xml)
        return -EIO;
    g_autofree char *s = dump_xml_formatted(xml);
    return store(s);
}

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
    xmlNode *meta = create_xml_node(defaults, XML_TAG_META_SETS);
    crm_xml_add(meta, XML_ATTR_ID, "rsc-options");
    xmlNode *nv = create_xml_node(meta, XML_CIB_TAG_NVPAIR);
    crm_xml_add(nv, XML_ATTR_ID, "rsc-options-resource-stickiness");
    crm_xml_add(nv, XML_NVPAIR_ATTR_NAME, "resource-stickiness");
    crm_xml_add(nv, XML_NVPAIR_ATTR_VALUE, "INFINITY");
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
        g_clear_error(&error);
        int r = write_file_atomic(db.sig_path, text, &error);
        if (r < 0) {
            g_warning("cannot sign %s: %s", db.path, error->message);
            return r;
        }
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

size_t cd_cibdb_size(void)
{
    xmlNode *cib = cd_cibdb_current();
    return cib ? document_size(cib) : 0;
}

/* <cib> with its attributes only: the version without a copy of the whole document (the event
 * history reads it after every write). */
static xmlNode *query_root(void)
{
    xmlNode *out = NULL;

    if (!db.cib)
        return NULL;
    if (db.cib->cmds->query(db.cib, NULL, &out, cib_sync_call | cib_no_children) != pcmk_ok)
        return NULL;
    return out;
}

void cd_cibdb_version(VmhaCibVersion *ret_version, char ret_digest[VMHA_DIGEST_LEN + 1])
{
    xmlNode *cib = ret_digest ? cd_cibdb_query() : query_root();

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
    xmlNode *cib = cd_cibdb_current();

    if (!cib)
        return -EIO;
    *ret_xml = dump_xml_unformatted(cib);
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
    if ((r = store(formatted)) < 0)
        return r;
    return connect_cib();
}

int cd_cibdb_bump(void)
{
    int rc;

    if (!db.cib)
        return -EIO;
    changed();
    rc = db.cib->cmds->bump_epoch(db.cib, cib_sync_call);
    if (rc != pcmk_ok) {
        g_warning("cannot bump the database epoch: %s", pcmk_strerror(rc));
        return -EIO;
    }
    return cd_cibdb_save();
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
    changed();
    rc = db.cib->cmds->replace(db.cib, XML_CIB_TAG_NODES, xml, cib_sync_call);
    free_xml(xml);
    if (rc != pcmk_ok) {
        g_warning("cannot add the nodes to the database: %s", pcmk_strerror(rc));
        return -EIO;
    }
    return cd_cibdb_save();
}

/* ---- for the writes ---- */

G_DEFINE_QUARK(cd - cibdb - error - quark, cd_cibdb_error)

/* libcib's legacy result: pcmk_ok, or a negative errno or Pacemaker code (pcmk_strerror says). */
static int cib_result(int rc, GError **error)
{
    if (rc == pcmk_ok)
        return 0;
    g_set_error_literal(error, CD_CIBDB_ERROR, -rc, pcmk_strerror(rc));
    return rc < 0 ? rc : -EIO;
}

static int not_open(GError **error)
{
    g_set_error_literal(error, CD_CIBDB_ERROR, EIO, "the local database is not open");
    return -EIO;
}

int cd_cibdb_create(const char *section, xmlNode *xml, GError **error)
{
    if (!db.cib)
        return not_open(error);
    changed();
    return cib_result(db.cib->cmds->create(db.cib, section, xml, cib_sync_call), error);
}

int cd_cibdb_replace_section(const char *section, xmlNode *xml, GError **error)
{
    if (!db.cib)
        return not_open(error);
    changed();
    return cib_result(db.cib->cmds->replace(db.cib, section, xml, cib_sync_call), error);
}

int cd_cibdb_modify_section(const char *section, xmlNode *xml, GError **error)
{
    if (!db.cib)
        return not_open(error);
    changed();
    return cib_result(db.cib->cmds->modify(db.cib, section, xml, cib_sync_call), error);
}

int cd_cibdb_delete(const char *section, xmlNode *xml, GError **error)
{
    if (!db.cib)
        return not_open(error);
    changed();
    return cib_result(db.cib->cmds->remove(db.cib, section, xml, cib_sync_call), error);
}

int cd_cibdb_revert(void)
{
    int r = connect_cib();
    if (r < 0)
        g_critical("cannot reload %s: %s", db.path, g_strerror(-r));
    return r;
}
