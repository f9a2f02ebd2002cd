/* Fuzz target for the CIB loader and the engine behind it: any byte string must either load and
 * plan, or be rejected with an error; never crash, leak or read out of bounds.
 *
 * libFuzzer: clang -fsanitize=fuzzer,address -DVMHA_LIBFUZZER ... (tests/fuzz/meson.build builds
 * it as fuzz-model-libfuzzer when clang supports it). Without -DVMHA_LIBFUZZER this file has a
 * main() that replays files or directories given as arguments: the unit suite replays the corpus
 * in tests/fuzz/corpus/model under ASan in scripts/check. */
#include <glib.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "engine.h"
#include "model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(VmhaModel) model = NULL;
    g_autoptr(GError) error = NULL;

    if (vmha_model_parse((const char *)data, size, &model, &error) < 0) {
        /* Every rejection must say why. */
        if (!error || !error->message || !*error->message)
            __builtin_trap();
        return 0;
    }
    /* Exercise the events and the engine on whatever loaded. */
    if (model->n_nodes > 0) {
        vmha_model_fail_node(model, size % model->n_nodes, 1700000000);
        vmha_model_set_drain(model, (size / 2) % model->n_nodes, true);
    }
    g_autoptr(VmhaPlan) plan = NULL;
    if (vmha_engine_plan(model, 1700000000, &plan) < 0)
        __builtin_trap();
    return 0;
}

#ifndef VMHA_LIBFUZZER
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
        fprintf(stderr, "fuzz-model: cannot read %s\n", path);
        return -1;
    }
    LLVMFuzzerTestOneInput((const uint8_t *)data, len);
    /* Every prefix too: truncated documents are the commonest corruption. */
    for (gsize cut = 0; cut < len; cut += 1 + len / 64)
        LLVMFuzzerTestOneInput((const uint8_t *)data, cut);
    (*count)++;
    return 0;
}

int main(int argc, char **argv)
{
    unsigned count = 0;
    for (int i = 1; i < argc; i++)
        if (replay(argv[i], &count) < 0)
            return 1;
    printf("fuzz-model: replayed %u inputs\n", count);
    return count > 0 ? 0 : 1;
}
#endif
