/* The one atomic file writer (lib/atomicwrite.c) in a temporary directory: the content arrives
 * whole with the mode asked for, replaces the old content, and a failed write leaves neither a
 * changed file nor a temporary file behind. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "atomicwrite.h"

static char *tmp;

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    return remove(path);
}

/* Each test in a directory of its own, removed with all it holds. */
static int setup(void **state)
{
    tmp = g_dir_make_tmp("vmha-test-atomicwrite.XXXXXX", NULL);
    return tmp ? 0 : -1;
}

static int teardown(void **state)
{
    int r = nftw(tmp, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
    g_clear_pointer(&tmp, g_free);
    return r;
}

static char *read_all(const char *path)
{
    char *text = NULL;
    assert_true(g_file_get_contents(path, &text, NULL, NULL));
    return text;
}

static gint by_name(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The names in the directory, sorted, space-separated. */
static char *listing(void)
{
    g_autoptr(GDir) d = g_dir_open(tmp, 0, NULL);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *n;

    assert_non_null(d);
    while ((n = g_dir_read_name(d)))
        g_ptr_array_add(names, g_strdup(n));
    g_ptr_array_sort(names, by_name);
    g_autoptr(GString) s = g_string_new(NULL);
    for (guint i = 0; i < names->len; i++)
        g_string_append_printf(s, "%s%s", i ? " " : "", (const char *)g_ptr_array_index(names, i));
    return g_string_free(g_steal_pointer(&s), FALSE);
}

static void test_write_and_replace(void **state)
{
    g_autofree char *path = g_build_filename(tmp, "state", NULL);
    g_autoptr(GError) error = NULL;
    struct stat st;

    assert_int_equal(vmha_atomic_write(path, "one\n", 4, 0600, VMHA_ATOMIC_WRITE_SYNC, &error), 0);
    g_autofree char *first = read_all(path);
    assert_string_equal(first, "one\n");
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);

    /* Replaced whole, also by a shorter content, and without a flush. */
    assert_int_equal(vmha_atomic_write(path, "2", 1, 0600, VMHA_ATOMIC_WRITE_NO_SYNC, &error), 0);
    g_autofree char *second = read_all(path);
    assert_string_equal(second, "2");

    g_autofree char *other = g_build_filename(tmp, "public", NULL);
    assert_int_equal(vmha_atomic_write(other, "", 0, 0644, VMHA_ATOMIC_WRITE_SYNC, &error), 0);
    assert_int_equal(stat(other, &st), 0);
    assert_int_equal(st.st_mode & 0700, 0600);
    assert_int_equal(st.st_size, 0);
    assert_null(error);

    g_autofree char *names = listing();
    assert_string_equal(names, "public state");
}

static void test_failures_leave_nothing(void **state)
{
    g_autoptr(GError) error = NULL;

    /* No such directory: nothing can be created. */
    g_autofree char *missing = g_build_filename(tmp, "no", "such", NULL);
    assert_int_equal(vmha_atomic_write(missing, "x", 1, 0600, VMHA_ATOMIC_WRITE_SYNC, &error),
                     -ENOENT);
    assert_non_null(error);
    assert_non_null(strstr(error->message, "cannot create"));
    assert_non_null(strstr(error->message, missing));
    g_clear_error(&error);

    /* The rename fails (a directory is in the way): the temporary file goes, the directory
     * stays as it was. */
    g_autofree char *dir = g_build_filename(tmp, "busy", NULL);
    g_autofree char *inner = g_build_filename(dir, "keep", NULL);
    assert_int_equal(g_mkdir(dir, 0700), 0);
    assert_true(g_file_set_contents(inner, "kept", -1, NULL));
    int r = vmha_atomic_write(dir, "x", 1, 0600, VMHA_ATOMIC_WRITE_SYNC, &error);
    assert_true(r == -EISDIR || r == -ENOTEMPTY || r == -EEXIST);
    assert_non_null(error);
    assert_non_null(strstr(error->message, "cannot rename"));
    g_autofree char *names = listing();
    assert_string_equal(names, "busy");
    g_autofree char *kept = read_all(inner);
    assert_string_equal(kept, "kept");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_write_and_replace, setup, teardown),
            cmocka_unit_test_setup_teardown(test_failures_leave_nothing, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
