/* Corpus replay for every fuzz target (tests/fuzz/meson.build): the unit suite runs each target's
 * LLVMFuzzerTestOneInput over the files and directories given as arguments, each file whole and
 * cut at a few dozen lengths (truncated input is the commonest corruption). Built with the normal
 * compiler, so the sanitizer build of scripts/check replays every corpus under ASan and UBSan;
 * a crash input saved by libFuzzer, once fixed, goes into the corpus and stays replayed. */
#include <glib.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Runs the target on a copy of exactly len bytes, so that ASan sees a read past the end
 * (g_file_get_contents adds a NUL). */
static void run_one(const char *data, size_t len)
{
    g_autofree uint8_t *exact = g_malloc(len ? len : 1);
    memcpy(exact, data, len);
    LLVMFuzzerTestOneInput(exact, len);
}

static int replay(const char *path, unsigned *count)
{
    if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
        g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
        if (!dir)
            return -1;
        g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
        const char *name;
        while ((name = g_dir_read_name(dir)))
            g_ptr_array_add(names, g_build_filename(path, name, NULL));
        g_ptr_array_sort(names, (GCompareFunc)g_strcmp0);
        for (guint i = 0; i < names->len; i++)
            if (replay(names->pdata[i], count) < 0)
                return -1;
        return 0;
    }
    g_autofree char *data = NULL;
    gsize len = 0;
    if (!g_file_get_contents(path, &data, &len, NULL)) {
        fprintf(stderr, "cannot read %s\n", path);
        return -1;
    }
    for (gsize cut = 0; cut < len; cut += 1 + len / 64)
        run_one(data, cut);
    run_one(data, len);
    (*count)++;
    return 0;
}

int main(int argc, char **argv)
{
    unsigned count = 0;
    for (int i = 1; i < argc; i++)
        if (replay(argv[i], &count) < 0)
            return 1;
    g_autofree char *name = g_path_get_basename(argv[0]);
    printf("%s: replayed %u inputs\n", name, count);
    return count > 0 ? 0 : 1;
}
