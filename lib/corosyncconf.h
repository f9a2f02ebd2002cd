/* corosync.conf for `vmctl cluster setup/join/leave`: the file setup writes, and the edits join and
 * leave make to the one a cluster runs with. Pure: text in, text out, no I/O (docs/GUIDE.md
 * explains each setting; corosync.conf(5), votequorum(5)). */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* The corosync token timeout setup writes unless told otherwise (ms), and the range it accepts. */
#define VMHA_CS_TOKEN_DEFAULT_MS 1500
#define VMHA_CS_TOKEN_MIN_MS     200
#define VMHA_CS_TOKEN_MAX_MS     10000
/* What docs/ARCHITECTURE.md's self-fence arithmetic allows for corosync to end a membership
 * (token + consensus, consensus = 1.2 × token), with vmha's default timeouts. */
#define VMHA_CS_DETECT_BUDGET_MS 4000

typedef struct {
    char *name;
    char *addr; /* ring0_addr: an IPv4 or IPv6 address */
    uint32_t nodeid;
} VmhaCsNode;

void vmha_cs_node_free(VmhaCsNode *n);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmhaCsNode, vmha_cs_node_free)
VmhaCsNode *vmha_cs_node_new(const char *name, const char *addr, uint32_t nodeid);

/* What setup writes. */
typedef struct {
    const char *cluster_name;
    unsigned token_ms;
    const VmhaCsNode *const *nodes; /* n_nodes, in node id order */
    size_t n_nodes;
    const char *qdevice_host; /* NULL: none; else the corosync-qnetd host (quorum device) */
} VmhaCsSpec;

/* A host name as RFC 1123 allows it (labels of letters, digits and '-', not starting or ending with
 * '-', 63 characters each, 253 in all), which is also a valid vmha node name. */
bool vmha_hostname_valid(const char *name);
/* corosync's cluster_name as vmha writes it: [A-Za-z0-9_-], 1 to 32 characters. */
bool vmha_cluster_name_valid(const char *name);
/* A numeric IPv4 or IPv6 address (no names, no ports). */
bool vmha_ip_addr_valid(const char *addr);

/* Splits "NODE" or "NODE=ADDR": *ret_addr is NULL without "=ADDR". -EINVAL and a one-line reason
 * in *ret_error (free it) for a bad name or address. */
int vmha_node_arg_parse(const char *arg, char **ret_name, char **ret_addr,
                        char **ret_error) G_GNUC_WARN_UNUSED_RESULT;

/* Checks a cluster before it is written: a valid name and token, 2 to 64 nodes, no name, address or
 * node id twice. -EINVAL and a one-line reason in *ret_error otherwise. */
int vmha_cs_spec_check(const VmhaCsSpec *spec, char **ret_error) G_GNUC_WARN_UNUSED_RESULT;

/* The whole corosync.conf for spec (checked first), with comments that say why. */
char *vmha_cs_render_spec(const VmhaCsSpec *spec);

/* A parsed corosync.conf that keeps everything it read (comments included) for editing. */
typedef struct VmhaCsConf VmhaCsConf;
void vmha_cs_conf_free(VmhaCsConf *conf);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmhaCsConf, vmha_cs_conf_free)

/* -EINVAL and "line N: reason" in *ret_error for unbalanced braces or a line that is neither a
 * section, a key: value nor a comment. */
int vmha_cs_conf_parse(const char *text, VmhaCsConf **ret_conf,
                       char **ret_error) G_GNUC_WARN_UNUSED_RESULT;
char *vmha_cs_conf_render(const VmhaCsConf *conf);

/* The value of "section.sub.key" (first match), or NULL. */
const char *vmha_cs_conf_get(const VmhaCsConf *conf, const char *path);

/* The nodelist's nodes (VmhaCsNode*, in file order); a node without a nodeid or ring0_addr makes it
 * -EINVAL with a reason. */
int vmha_cs_conf_nodes(const VmhaCsConf *conf, GPtrArray **ret_nodes,
                       char **ret_error) G_GNUC_WARN_UNUSED_RESULT;

/* Adds a node (its name, address and id not already there) and keeps the quorum section right for
 * the new count: two_node only for exactly two nodes without a quorum device. -EEXIST and a reason
 * when it clashes. */
int vmha_cs_conf_add_node(VmhaCsConf *conf, const VmhaCsNode *node,
                          char **ret_error) G_GNUC_WARN_UNUSED_RESULT;
/* Removes the node by name (then fixes two_node as above); -ENOENT when it is not there, -EINVAL
 * when it is the last but one. */
int vmha_cs_conf_remove_node(VmhaCsConf *conf, const char *name,
                             char **ret_error) G_GNUC_WARN_UNUSED_RESULT;
/* The lowest node id above every one in use. */
uint32_t vmha_cs_conf_next_nodeid(const VmhaCsConf *conf);
