/* lib/vmbatch.c: the file of `vmctl vm add-many` (every line checked, the first bad one named)
 * and its request (checked again by clusterd with the sizes). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "vmbatch.h"

static VmhaVmDef *def_at(GPtrArray *defs, guint i)
{
    return defs->pdata[i];
}

static void test_parse_good(void **state)
{
    g_autoptr(GPtrArray) defs = NULL;
    g_autofree char *error = NULL;
    const char *text = "# the web tier\n"
                       "web1 --config /shared/web1.xml --priority 5 --prefer n1,n2\n"
                       "\n"
                       "   \t\n"
                       "  web2 --config=/shared/web\\ 2.xml --stopped\r\n"
                       "db1 --stopped --prefer=n3 --config '/shared/db 1.xml'";

    assert_int_equal(vmha_vmbatch_parse(text, &defs, &error), 0);
    assert_null(error);
    assert_int_equal(defs->len, 3);
    assert_int_equal(def_at(defs, 0)->line, 2);
    assert_string_equal(def_at(defs, 0)->name, "web1");
    assert_string_equal(def_at(defs, 0)->config, "/shared/web1.xml");
    assert_string_equal(def_at(defs, 0)->priority, "5");
    assert_string_equal(def_at(defs, 0)->prefer, "n1,n2");
    assert_false(def_at(defs, 0)->stopped);
    assert_int_equal(def_at(defs, 1)->line, 5);
    assert_string_equal(def_at(defs, 1)->config, "/shared/web 2.xml");
    assert_null(def_at(defs, 1)->priority);
    assert_null(def_at(defs, 1)->prefer);
    assert_true(def_at(defs, 1)->stopped);
    assert_int_equal(def_at(defs, 2)->line, 6);
    assert_string_equal(def_at(defs, 2)->config, "/shared/db 1.xml");
    assert_string_equal(def_at(defs, 2)->prefer, "n3");
}

/* Each bad file is refused whole, naming the first bad line and why. */
static void test_parse_refusals(void **state)
{
    static const struct {
        const char *text, *error;
    } cases[] = {
            {"", "no VMs"},
            {"# nothing\n\n", "no VMs"},
            {"web1 --config /a.xml\nweb1 --config /b.xml\n", "line 2: VM 'web1' is defined twice"},
            {"web1 --config /a.xml\n\nbad/name --config /b.xml\n",
             "line 3: bad VM name 'bad/name': letters, digits, '_', '.', '-' (64 at most)"},
            {"web1\n", "line 1: --config PATH is missing"},
            {"web1 --config\n", "line 1: --config needs a value"},
            {"web1 --config a.xml\n", "line 1: config must be an absolute path"},
            {"web1 --config /a.xml --priority high\n", "line 1: priority must be an integer"},
            {"web1 --config /a.xml --prefer n1,n1\n", "line 1: bad node list 'n1,n1'"},
            {"web1 --config /a.xml --prefer ''\n", "line 1: bad node list ''"},
            {"web1 --config /a.xml --config /b.xml\n", "line 1: --config given twice"},
            {"web1 --config /a.xml --memory 5\n", "line 1: unknown option '--memory'"},
            {"web1 --config /a.xml --configx /b\n", "line 1: unknown option '--configx'"},
            {"web1 web2 --config /a.xml\n", "line 1: unexpected 'web2' (one VM per line)"},
            {"--stopped\n", "line 1: no VM name"},
            {"web1 --config '/a.xml\n", NULL}, /* unbalanced quote: line 1, the shell's words */
            {"web1 --config /a\xff.xml\n", "line 1: not UTF-8 text"},
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GPtrArray) defs = NULL;
        g_autofree char *error = NULL;
        assert_int_equal(vmha_vmbatch_parse(cases[i].text, &defs, &error), -EINVAL);
        assert_null(defs);
        assert_non_null(error);
        if (cases[i].error)
            assert_string_equal(error, cases[i].error);
        else
            assert_true(g_str_has_prefix(error, "line 1: cannot split the line: "));
        assert_null(strchr(error, '\n'));
    }
}

static void test_parse_limit(void **state)
{
    g_autoptr(GString) text = g_string_new(NULL);
    g_autoptr(GPtrArray) defs = NULL;
    g_autofree char *error = NULL;

    for (unsigned i = 0; i < VMHA_VMBATCH_MAX; i++)
        g_string_append_printf(text, "vm%u --config /shared/vm%u.xml\n", i, i);
    assert_int_equal(vmha_vmbatch_parse(text->str, &defs, &error), 0);
    assert_int_equal(defs->len, VMHA_VMBATCH_MAX);
    g_clear_pointer(&defs, g_ptr_array_unref);
    g_string_append(text, "one-more --config /shared/x.xml\n");
    assert_int_equal(vmha_vmbatch_parse(text->str, &defs, &error), -EINVAL);
    assert_string_equal(error, "line 10001: more than 10000 VMs");
}

/* The request carries what the file said plus the sizes, and reads back the same. */
static void test_json_round_trip(void **state)
{
    g_autoptr(GPtrArray) defs = NULL, back = NULL;
    g_autofree char *error = NULL;

    assert_int_equal(vmha_vmbatch_parse("a --config /a.xml --priority -3 --prefer n2,n1\n"
                                        "b --config /b.xml --stopped\n",
                                        &defs, &error),
                     0);
    /* Without the sizes the request is refused: clusterd needs them. */
    g_autofree char *unsized = vmha_vmbatch_to_json(defs);
    assert_int_equal(vmha_vmbatch_from_json(unsized, &back, &error), -EINVAL);
    assert_string_equal(error, "line 1: bad memory size");
    g_clear_pointer(&error, g_free);
    for (guint i = 0; i < defs->len; i++) {
        def_at(defs, i)->memory = 64 * (i + 1);
        def_at(defs, i)->vcpus = i + 1;
    }
    g_autofree char *json = vmha_vmbatch_to_json(defs);
    assert_int_equal(vmha_vmbatch_from_json(json, &back, &error), 0);
    assert_int_equal(back->len, 2);
    for (guint i = 0; i < 2; i++) {
        VmhaVmDef *a = def_at(defs, i), *b = def_at(back, i);
        assert_int_equal(a->line, b->line);
        assert_string_equal(a->name, b->name);
        assert_string_equal(a->config, b->config);
        assert_true(g_strcmp0(a->priority, b->priority) == 0);
        assert_true(g_strcmp0(a->prefer, b->prefer) == 0);
        assert_int_equal(a->stopped, b->stopped);
        assert_int_equal(a->memory, b->memory);
        assert_int_equal(a->vcpus, b->vcpus);
    }
}

/* clusterd's side: whatever a client sends, each definition is checked as vm add's fields are. */
static void test_json_refusals(void **state)
{
    static const struct {
        const char *json, *error;
    } cases[] = {
            {"", NULL},
            {"{}", NULL},
            {"[]", NULL},
            {"[1]", "VM 1: not an object"},
            {"[{\"name\":\"a\",\"config\":\"/a\",\"memory\":1,\"vcpus\":1,\"x\":1}]",
             "VM 1: unknown member 'x'"},
            {"[{\"name\":\"a\",\"config\":\"/a\",\"memory\":-1,\"vcpus\":1}]",
             "VM 1: bad value of 'memory'"},
            {"[{\"name\":\"a\",\"config\":\"/a\",\"memory\":1,\"vcpus\":5000}]",
             "VM 1: bad vCPU count"},
            {"[{\"name\":\"a\",\"config\":\"/a\",\"memory\":1,\"vcpus\":1,\"stopped\":\"yes\"}]",
             "VM 1: bad value of 'stopped'"},
            {"[{\"name\":\"a\",\"config\":\"/a\",\"memory\":1,\"vcpus\":1},"
             "{\"line\":9,\"name\":\"a\",\"config\":\"/b\",\"memory\":1,\"vcpus\":1}]",
             "line 9: VM 'a' is defined twice"},
            {"[{\"name\":\"a b\",\"config\":\"/a\",\"memory\":1,\"vcpus\":1}]",
             "VM 1: bad VM name 'a b': letters, digits, '_', '.', '-' (64 at most)"},
            {"[{\"name\":\"a\",\"config\":7,\"memory\":1,\"vcpus\":1}]",
             "VM 1: bad value of 'config'"},
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GPtrArray) defs = NULL;
        g_autofree char *error = NULL;
        assert_int_equal(vmha_vmbatch_from_json(cases[i].json, &defs, &error), -EINVAL);
        assert_null(defs);
        if (cases[i].error)
            assert_string_equal(error, cases[i].error);
        else
            assert_string_equal(error, "the VMs must be a JSON array of 1 to 10000 objects");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_parse_good),    cmocka_unit_test(test_parse_refusals),
            cmocka_unit_test(test_parse_limit),   cmocka_unit_test(test_json_round_trip),
            cmocka_unit_test(test_json_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
