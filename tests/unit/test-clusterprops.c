/* The cluster properties' one list (lib/clusterprops.c) against the model that checks their
 * values and the pages that describe them: a property added in one place only fails here. */
#include <glib.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "clusterprops.h"
#include "model.h"

static char *source_text(const char *relative)
{
    const char *srcdir = g_getenv("VMHA_SRCDIR");
    g_autofree char *path = g_build_filename(srcdir ? srcdir : ".", relative, NULL);
    char *text = NULL;
    g_autoptr(GError) error = NULL;

    if (!g_file_get_contents(path, &text, NULL, &error))
        fail_msg("%s", error->message);
    return text;
}

static char *cib_with_property(const char *name, const char *value)
{
    return g_strdup_printf("<cib><configuration><crm_config>"
                           "<cluster_property_set id=\"cib-bootstrap-options\">"
                           "<nvpair id=\"p\" name=\"%s\" value=\"%s\"/>"
                           "</cluster_property_set></crm_config><nodes/><resources/>"
                           "<constraints/></configuration><status/></cib>",
                           name, value);
}

/* Each default is a value the model accepts, and the list has no duplicates. */
static void test_defaults_load(void **state)
{
    (void)state;
    for (size_t i = 0; i < vmha_cluster_property_count(); i++) {
        const VmhaClusterProperty *p = vmha_cluster_property_at(i);
        g_autofree char *xml = cib_with_property(p->name, p->default_value);
        g_autoptr(VmhaModel) m = NULL;
        g_autoptr(GError) error = NULL;
        if (vmha_model_parse(xml, strlen(xml), &m, &error) < 0)
            fail_msg("%s=%s: %s", p->name, p->default_value, error->message);
        assert_ptr_equal(vmha_cluster_property(p->name), p);
    }
    assert_null(vmha_cluster_property("cluster-name"));
    assert_null(vmha_cluster_property_at(vmha_cluster_property_count()));
}

/* A value no property takes is refused by the model, so `config set` never writes it. */
static void test_bad_values_refused(void **state)
{
    unsigned accepted = 0;

    (void)state;
    for (size_t i = 0; i < vmha_cluster_property_count(); i++) {
        const VmhaClusterProperty *p = vmha_cluster_property_at(i);
        g_autofree char *xml = cib_with_property(p->name, "no-such-value");
        g_autoptr(VmhaModel) m = NULL;
        g_autoptr(GError) error = NULL;
        if (vmha_model_parse(xml, strlen(xml), &m, &error) == 0) {
            print_error("%s=no-such-value was accepted\n", p->name);
            accepted++;
        }
    }
    assert_int_equal(accepted, 0);
}

static void test_documented(void **state)
{
    (void)state;
    g_autofree char *cib_md = source_text("docs/CIB.md");
    g_autofree char *vmctl_md = source_text("docs/vmctl.md");
    g_autofree char *man = source_text("vmctl/vmctl.8");

    for (size_t i = 0; i < vmha_cluster_property_count(); i++) {
        const char *name = vmha_cluster_property_at(i)->name;
        g_autofree char *row = g_strdup_printf("| `%s` |", name);
        g_autofree char *code = g_strdup_printf("`%s`", name);
        if (!strstr(cib_md, row))
            fail_msg("docs/CIB.md has no row for %s", name);
        if (!strstr(vmctl_md, code))
            fail_msg("docs/vmctl.md does not name %s", name);
        if (!strstr(man, name))
            fail_msg("vmctl/vmctl.8 does not name %s", name);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_defaults_load),
            cmocka_unit_test(test_bad_values_refused),
            cmocka_unit_test(test_documented),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
