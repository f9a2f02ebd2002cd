/* lib/corosyncconf: the corosync.conf vmctl cluster setup writes, and join/leave's edits of it. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "corosyncconf.h"

static void test_hostname(void **state)
{
    static const char *const good[] = {"n1",    "host-2", "a",          "node1.example.org",
                                       "HOST3", "1host",  "x-y-z.a-b1", "a23456789012345678"};
    static const char *const bad[] = {"",    "-n1", "n1-",  "n_1",    "n 1",
                                      "n1.", ".n1", "a..b", "n1!",    "n1/x",
                                      "ü",   "a=b", "a\nb", "a.-b.c", "a.b-.c"};

    for (size_t i = 0; i < G_N_ELEMENTS(good); i++)
        assert_true(vmha_hostname_valid(good[i]));
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
        assert_false(vmha_hostname_valid(bad[i]));
    char label[70];
    memset(label, 'a', 63);
    label[63] = '\0';
    assert_true(vmha_hostname_valid(label));
    label[63] = 'a';
    label[64] = '\0';
    assert_false(vmha_hostname_valid(label));

    assert_true(vmha_cluster_name_valid("prod_1-a"));
    assert_false(vmha_cluster_name_valid(""));
    assert_false(vmha_cluster_name_valid("a b"));
    assert_false(vmha_cluster_name_valid("a.b"));
    assert_false(vmha_cluster_name_valid("abcdefghijabcdefghijabcdefghijabc")); /* 33 */

    assert_true(vmha_ip_addr_valid("169.254.77.11"));
    assert_true(vmha_ip_addr_valid("fe80::1"));
    assert_false(vmha_ip_addr_valid("n1"));
    assert_false(vmha_ip_addr_valid("10.0.0.256"));
    assert_false(vmha_ip_addr_valid("10.0.0.1:22"));
}

static void test_node_arg(void **state)
{
    g_autofree char *name = NULL, *addr = NULL, *err = NULL;

    assert_int_equal(vmha_node_arg_parse("n1", &name, &addr, &err), 0);
    assert_string_equal(name, "n1");
    assert_null(addr);
    g_clear_pointer(&name, g_free);
    assert_int_equal(vmha_node_arg_parse("n2=10.0.0.2", &name, &addr, &err), 0);
    assert_string_equal(name, "n2");
    assert_string_equal(addr, "10.0.0.2");

    assert_int_equal(vmha_node_arg_parse("n_2", &name, &addr, &err), -EINVAL);
    assert_non_null(strstr(err, "'n_2' is not a valid host name"));
    g_clear_pointer(&err, g_free);
    assert_int_equal(vmha_node_arg_parse("n2=host", &name, &addr, &err), -EINVAL);
    assert_non_null(strstr(err, "not an IPv4 or IPv6 address"));
    g_clear_pointer(&err, g_free);
    assert_int_equal(vmha_node_arg_parse("=10.0.0.1", &name, &addr, &err), -EINVAL);
}

static VmhaCsSpec spec_of(VmhaCsNode **nodes, size_t n)
{
    return (VmhaCsSpec){.cluster_name = "prod",
                        .token_ms = VMHA_CS_TOKEN_DEFAULT_MS,
                        .nodes = (const VmhaCsNode *const *)nodes,
                        .n_nodes = n};
}

static void check_spec_error(VmhaCsSpec spec, const char *in_error)
{
    g_autofree char *err = NULL;
    assert_int_equal(vmha_cs_spec_check(&spec, &err), -EINVAL);
    assert_non_null(err);
    if (!strstr(err, in_error))
        fail_msg("error '%s' does not mention '%s'", err, in_error);
    assert_null(vmha_cs_render_spec(&spec));
}

static void test_spec_check(void **state)
{
    VmhaCsNode a = {"n1", "10.0.0.1", 1}, b = {"n2", "10.0.0.2", 2}, c = {"n3", "10.0.0.3", 3};
    VmhaCsNode dup_name = {"N1", "10.0.0.9", 9}, dup_addr = {"n9", "10.0.0.2", 9},
               dup_id = {"n9", "10.0.0.9", 2}, v6a = {"n4", "fe80::1", 4},
               v6b = {"n5", "fe80:0::1", 5}, bad = {"n_1", "10.0.0.9", 9};
    g_autofree char *err = NULL;

    VmhaCsSpec ok = spec_of((VmhaCsNode *[]){&a, &b, &c}, 3);
    assert_int_equal(vmha_cs_spec_check(&ok, &err), 0);
    check_spec_error(spec_of((VmhaCsNode *[]){&a}, 1), "2 to 64 nodes");
    check_spec_error(spec_of((VmhaCsNode *[]){&a, &b, &dup_name}, 3), "'N1' is given twice");
    check_spec_error(spec_of((VmhaCsNode *[]){&a, &b, &dup_addr}, 3),
                     "'n2' and 'n9' have the same address 10.0.0.2");
    check_spec_error(spec_of((VmhaCsNode *[]){&a, &b, &dup_id}, 3), "same node id 2");
    check_spec_error(spec_of((VmhaCsNode *[]){&v6a, &v6b}, 2), "same address");
    check_spec_error(spec_of((VmhaCsNode *[]){&a, &bad}, 2), "'n_1' is not a valid host name");
    VmhaCsSpec s = ok;
    s.cluster_name = "a b";
    check_spec_error(s, "bad cluster name 'a b'");
    s = ok;
    s.token_ms = 50;
    check_spec_error(s, "token 50 ms is out of range");
}

/* What setup writes for three nodes: encrypted knet, votequorum without two_node, the nodes. */
static const char expected_three[] =
        "# corosync.conf of the vmha cluster 'prod', written by vmctl cluster setup.\n"
        "# vmctl cluster join/leave edit the nodelist (and two_node) on every node and reload\n"
        "# it; see docs/GUIDE.md for why each setting is what it is.\n"
        "totem {\n"
        "    version: 2\n"
        "    cluster_name: prod\n"
        "    # knet: every packet encrypted and authenticated with the cluster's key\n"
        "    # (/etc/corosync/authkey, made by corosync-keygen, mode 0400).\n"
        "    transport: knet\n"
        "    crypto_cipher: aes256\n"
        "    crypto_hash: sha256\n"
        "    # A lost host is noticed within token + consensus (1.2 x token) = 3.3 s, whatever "
        "the\n"
        "    # number of nodes (token_coefficient: 0). vmha's self-fence arithmetic allows 4 s "
        "for\n"
        "    # that with its default timeouts (vmha-fence-watchdog-timeout 20 s > self-fence 10 s "
        "+\n"
        "    # watchdog 5 s + this + margin; docs/ARCHITECTURE.md). Shorter reacts faster, but a\n"
        "    # host that stalls that long (load, a saturated link) is taken for dead and fenced.\n"
        "    token: 1500\n"
        "    token_coefficient: 0\n"
        "}\n"
        "\n"
        "logging {\n"
        "    to_logfile: yes\n"
        "    logfile: /var/log/corosync/corosync.log\n"
        "    to_syslog: yes\n"
        "    timestamp: hires\n"
        "}\n"
        "\n"
        "quorum {\n"
        "    provider: corosync_votequorum\n"
        "}\n"
        "\n"
        "nodelist {\n"
        "    node {\n"
        "        name: n1\n"
        "        nodeid: 1\n"
        "        ring0_addr: 10.0.0.1\n"
        "    }\n"
        "    node {\n"
        "        name: n2\n"
        "        nodeid: 2\n"
        "        ring0_addr: 10.0.0.2\n"
        "    }\n"
        "    node {\n"
        "        name: n3\n"
        "        nodeid: 3\n"
        "        ring0_addr: 10.0.0.3\n"
        "    }\n"
        "}\n";

static void test_render_three(void **state)
{
    VmhaCsNode a = {"n1", "10.0.0.1", 1}, b = {"n2", "10.0.0.2", 2}, c = {"n3", "10.0.0.3", 3};
    VmhaCsSpec spec = spec_of((VmhaCsNode *[]){&a, &b, &c}, 3);
    g_autofree char *text = vmha_cs_render_spec(&spec);

    assert_non_null(text);
    assert_string_equal(text, expected_three);

    /* It parses back to the same settings and renders to the same text. */
    g_autoptr(VmhaCsConf) conf = NULL;
    g_autofree char *err = NULL, *again = NULL;
    assert_int_equal(vmha_cs_conf_parse(text, &conf, &err), 0);
    assert_string_equal(vmha_cs_conf_get(conf, "totem.crypto_cipher"), "aes256");
    assert_string_equal(vmha_cs_conf_get(conf, "totem.crypto_hash"), "sha256");
    assert_string_equal(vmha_cs_conf_get(conf, "totem.cluster_name"), "prod");
    assert_string_equal(vmha_cs_conf_get(conf, "quorum.provider"), "corosync_votequorum");
    assert_null(vmha_cs_conf_get(conf, "quorum.two_node"));
    again = vmha_cs_conf_render(conf);
    assert_string_equal(again, text);
    assert_int_equal(vmha_cs_conf_next_nodeid(conf), 4);
}

static void test_render_two_and_qdevice(void **state)
{
    VmhaCsNode a = {"n1", "10.0.0.1", 1}, b = {"n2", "10.0.0.2", 2};
    VmhaCsSpec spec = spec_of((VmhaCsNode *[]){&a, &b}, 2);
    g_autofree char *text = vmha_cs_render_spec(&spec), *err = NULL;
    g_autoptr(VmhaCsConf) conf = NULL;

    assert_int_equal(vmha_cs_conf_parse(text, &conf, &err), 0);
    assert_string_equal(vmha_cs_conf_get(conf, "quorum.two_node"), "1");
    assert_non_null(strstr(text, "# two_node: two hosts"));

    /* A quorum device instead of two_node. */
    spec.qdevice_host = "qnetd.example.org";
    g_autofree char *q = vmha_cs_render_spec(&spec);
    g_autoptr(VmhaCsConf) qc = NULL;
    assert_int_equal(vmha_cs_conf_parse(q, &qc, &err), 0);
    assert_null(vmha_cs_conf_get(qc, "quorum.two_node"));
    assert_string_equal(vmha_cs_conf_get(qc, "quorum.device.model"), "net");
    assert_string_equal(vmha_cs_conf_get(qc, "quorum.device.votes"), "1");
    assert_string_equal(vmha_cs_conf_get(qc, "quorum.device.net.host"), "qnetd.example.org");
    assert_string_equal(vmha_cs_conf_get(qc, "quorum.device.net.algorithm"), "ffsplit");
    assert_string_equal(vmha_cs_conf_get(qc, "quorum.device.net.tls"), "on");
    /* Adding a third node keeps the device and still no two_node. */
    g_autoptr(VmhaCsNode) c = vmha_cs_node_new("n3", "10.0.0.3", 3);
    assert_int_equal(vmha_cs_conf_add_node(qc, c, &err), 0);
    assert_null(vmha_cs_conf_get(qc, "quorum.two_node"));
    assert_string_equal(vmha_cs_conf_get(qc, "quorum.device.net.host"), "qnetd.example.org");

    /* A long token: the comment says to raise the watchdog timeout. */
    spec.qdevice_host = NULL;
    spec.token_ms = 3000;
    g_autofree char *slow = vmha_cs_render_spec(&spec);
    assert_non_null(strstr(slow, "= 6.6 s"));
    assert_non_null(strstr(slow, "RAISE vmha-fence-watchdog-timeout"));
}

static void test_join_leave(void **state)
{
    VmhaCsNode a = {"n1", "10.0.0.1", 1}, b = {"n2", "10.0.0.2", 2};
    VmhaCsSpec spec = spec_of((VmhaCsNode *[]){&a, &b}, 2);
    g_autofree char *text = vmha_cs_render_spec(&spec), *err = NULL;
    g_autoptr(VmhaCsConf) conf = NULL;
    g_autoptr(GPtrArray) nodes = NULL;

    assert_int_equal(vmha_cs_conf_parse(text, &conf, &err), 0);
    /* Join n3: two_node and its comment go. */
    g_autoptr(VmhaCsNode) c = vmha_cs_node_new("n3", "10.0.0.3", vmha_cs_conf_next_nodeid(conf));
    assert_int_equal(c->nodeid, 3);
    assert_int_equal(vmha_cs_conf_add_node(conf, c, &err), 0);
    g_autofree char *three = vmha_cs_conf_render(conf);
    assert_null(vmha_cs_conf_get(conf, "quorum.two_node"));
    assert_null(strstr(three, "two_node: 1"));
    assert_null(strstr(three, "# two_node:"));
    assert_int_equal(vmha_cs_conf_nodes(conf, &nodes, &err), 0);
    assert_int_equal(nodes->len, 3);
    VmhaCsNode *n3 = g_ptr_array_index(nodes, 2);
    assert_string_equal(n3->name, "n3");
    assert_string_equal(n3->addr, "10.0.0.3");
    assert_int_equal(n3->nodeid, 3);

    /* Clashes: a name, an address, an id already there. */
    g_autoptr(VmhaCsNode) again = vmha_cs_node_new("n3", "10.0.0.9", 9);
    g_clear_pointer(&err, g_free);
    assert_int_equal(vmha_cs_conf_add_node(conf, again, &err), -EEXIST);
    assert_non_null(strstr(err, "already in the cluster as node 'n3'"));
    g_autoptr(VmhaCsNode) same_addr = vmha_cs_node_new("n9", "10.0.0.2", 9);
    g_clear_pointer(&err, g_free);
    assert_int_equal(vmha_cs_conf_add_node(conf, same_addr, &err), -EEXIST);
    assert_non_null(strstr(err, "as node 'n2'"));

    /* Leave n1: back to two nodes, two_node again; the ids of the others stay. */
    g_clear_pointer(&err, g_free);
    assert_int_equal(vmha_cs_conf_remove_node(conf, "n1", &err), 0);
    assert_string_equal(vmha_cs_conf_get(conf, "quorum.two_node"), "1");
    assert_int_equal(vmha_cs_conf_next_nodeid(conf), 4);
    g_autofree char *two = vmha_cs_conf_render(conf);
    assert_null(strstr(two, "ring0_addr: 10.0.0.1\n"));
    assert_non_null(strstr(two, "nodeid: 3\n"));
    /* Not a node; the last two stay. */
    g_clear_pointer(&err, g_free);
    assert_int_equal(vmha_cs_conf_remove_node(conf, "n7", &err), -ENOENT);
    g_clear_pointer(&err, g_free);
    assert_int_equal(vmha_cs_conf_remove_node(conf, "n2", &err), -EINVAL);
    assert_non_null(strstr(err, "last two"));
}

static void test_parse_foreign(void **state)
{
    /* A hand-written file in corosync's style: kept as it is, comments included. */
    static const char text[] = "# mine\n"
                               "totem {\n"
                               "\tversion: 2\n"
                               "\tcluster_name:   lab\n"
                               "\tinterface{\n"
                               "\t\tlinknumber: 0\n"
                               "\t}\n"
                               "}\n"
                               "nodelist {\n"
                               "  node {\n"
                               "    ring0_addr: 10.0.0.1\n"
                               "    nodeid: 1\n"
                               "  }\n"
                               "}\n";
    g_autoptr(VmhaCsConf) conf = NULL;
    g_autoptr(GPtrArray) nodes = NULL;
    g_autofree char *err = NULL;

    assert_int_equal(vmha_cs_conf_parse(text, &conf, &err), 0);
    assert_string_equal(vmha_cs_conf_get(conf, "totem.cluster_name"), "lab");
    assert_string_equal(vmha_cs_conf_get(conf, "totem.interface.linknumber"), "0");
    assert_int_equal(vmha_cs_conf_nodes(conf, &nodes, &err), 0);
    /* Without a name, a node is known by its address. */
    assert_string_equal(((VmhaCsNode *)g_ptr_array_index(nodes, 0))->name, "10.0.0.1");
    g_autofree char *out = vmha_cs_conf_render(conf);
    assert_non_null(strstr(out, "# mine\ntotem {\n    version: 2\n    cluster_name: lab\n"));

    static const struct {
        const char *text, *error;
    } bad[] = {
            {"totem {\n", "section 'totem' is not closed"},
            {"}\n", "line 1: '}' without a section"},
            {"totem {\n  version 2\n}\n", "line 2: expected 'key: value'"},
            {"a b {\n}\n", "line 1: bad section name"},
            {"nodelist {\nnode {\nname: x\n}\n}\n", NULL}, /* parses; the node is bad */
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(VmhaCsConf) c = NULL;
        g_autofree char *e = NULL;
        if (!bad[i].error) {
            g_autoptr(GPtrArray) ns = NULL;
            assert_int_equal(vmha_cs_conf_parse(bad[i].text, &c, &e), 0);
            assert_int_equal(vmha_cs_conf_nodes(c, &ns, &e), -EINVAL);
            assert_non_null(strstr(e, "no valid nodeid: x"));
            continue;
        }
        assert_int_equal(vmha_cs_conf_parse(bad[i].text, &c, &e), -EINVAL);
        if (!strstr(e, bad[i].error))
            fail_msg("'%s' does not contain '%s'", e, bad[i].error);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_hostname),
            cmocka_unit_test(test_node_arg),
            cmocka_unit_test(test_spec_check),
            cmocka_unit_test(test_render_three),
            cmocka_unit_test(test_render_two_and_qdevice),
            cmocka_unit_test(test_join_leave),
            cmocka_unit_test(test_parse_foreign),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
