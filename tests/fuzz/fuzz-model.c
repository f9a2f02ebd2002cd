/* Fuzz target for the CIB loader and the engine behind it: any byte string must either load and
 * plan, or be rejected with an error; never crash, leak or read out of bounds.
 *
 * tests/fuzz/meson.build builds it as fuzz-model-libfuzzer (clang) and, with replay.c, as
 * fuzz-model-replay, which the unit suite runs over tests/fuzz/corpus/model. */
#include <glib.h>
#include <stdint.h>

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
