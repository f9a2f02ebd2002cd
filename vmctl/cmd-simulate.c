/* vmctl simulate: run the policy engine on a CIB (a file, or the live one from clusterd) plus
 * events, print the plan, touch nothing. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <glib.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <limits.h>
#include <malloc.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"
#include "commands.h"
#include "engine.h"
#include "model.h"
#include "vmctl.h"
#include "vmha/migration.h"

static json_object *action_to_json(const VmhaModel *m, const VmhaAction *a)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "action",
                           json_object_new_string(vmha_action_type_to_string(a->type)));
    if (a->vm >= 0)
        json_object_object_add(o, "vm", json_object_new_string(m->vms[a->vm].name));
    if (a->type == VMHA_ACTION_MIGRATE) {
        json_object_object_add(o, "from", json_object_new_string(m->nodes[a->node].name));
        json_object_object_add(o, "to", json_object_new_string(m->nodes[a->to].name));
        json_object_object_add(o, "method",
                               json_object_new_string(vmha_migration_method_to_string(a->method)));
    } else {
        json_object_object_add(o, "node", json_object_new_string(m->nodes[a->node].name));
    }
    return o;
}

static void print_json(const VmhaModel *m, const VmhaPlan *plan)
{
    json_object *root = json_object_new_object();
    json_object *actions = json_object_new_array();
    json_object *placement = json_object_new_object();
    json_object *reasons = json_object_new_object();

    for (size_t i = 0; i < plan->n_actions; i++)
        json_object_array_add(actions, action_to_json(m, &plan->actions[i]));
    for (size_t v = 0; v < plan->n_vms; v++) {
        ssize_t node = plan->placement[v];
        json_object_object_add(placement, m->vms[v].name,
                               node >= 0 ? json_object_new_string(m->nodes[node].name) : NULL);
        if (plan->reasons[v])
            json_object_object_add(reasons, m->vms[v].name,
                                   json_object_new_string(plan->reasons[v]));
    }
    json_object *held = json_object_new_object();
    for (size_t v = 0; v < plan->n_vms; v++)
        if (plan->held[v] >= 0)
            json_object_object_add(held, m->vms[v].name,
                                   json_object_new_string(m->nodes[plan->held[v]].name));
    json_object_object_add(root, "actions", actions);
    json_object_object_add(root, "placement", placement);
    json_object_object_add(root, "reasons", reasons);
    json_object_object_add(root, "held", held);
    puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                      JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(root);
}

static void print_human(const VmhaModel *m, const VmhaPlan *plan)
{
    printf("Actions:\n");
    if (plan->n_actions == 0)
        printf("  (none)\n");
    for (size_t i = 0; i < plan->n_actions; i++) {
        const VmhaAction *a = &plan->actions[i];
        switch (a->type) {
        case VMHA_ACTION_FENCE:
            printf("  fence    %s\n", m->nodes[a->node].name);
            break;
        case VMHA_ACTION_MIGRATE:
            printf("  migrate  %s %s -> %s (%s)\n", m->vms[a->vm].name, m->nodes[a->node].name,
                   m->nodes[a->to].name, vmha_migration_method_to_string(a->method));
            break;
        default:
            printf("  %-8s %s on %s\n", vmha_action_type_to_string(a->type), m->vms[a->vm].name,
                   m->nodes[a->node].name);
        }
    }

    int width = 2;
    for (size_t v = 0; v < plan->n_vms; v++)
        width = MAX(width, (int)strlen(m->vms[v].name));
    printf("\n%-*s  NODE\n", width, "VM");
    for (size_t v = 0; v < plan->n_vms; v++) {
        ssize_t node = plan->placement[v];
        if (node >= 0 && plan->reasons[v])
            printf("%-*s  %s (%s)\n", width, m->vms[v].name, m->nodes[node].name, plan->reasons[v]);
        else if (node >= 0)
            printf("%-*s  %s\n", width, m->vms[v].name, m->nodes[node].name);
        else if (plan->held[v] >= 0)
            printf("%-*s  stopped: %s (room held on %s)\n", width, m->vms[v].name,
                   plan->reasons[v] ? plan->reasons[v] : "waiting", m->nodes[plan->held[v]].name);
        else
            printf("%-*s  stopped: %s\n", width, m->vms[v].name,
                   plan->reasons[v] ? plan->reasons[v] : "not placed");
    }
}

static int load_file(const VmctlOptions *opts, const char *path, VmhaModel **ret_model)
{
    g_autoptr(GError) error = NULL;
    /* Mapped, not read: a 5,000-VM CIB is megabytes, and the loader parses it in place. */
    g_autoptr(GMappedFile) file = g_mapped_file_new(path, false, &error);
    if (!file)
        return vmctl_error(opts, VMHA_RESULT_FAILURE, "simulate: %s", error->message);
    if (vmha_model_parse(g_mapped_file_get_contents(file) ?: "", g_mapped_file_get_length(file),
                         ret_model, &error) < 0)
        return vmctl_error(opts, VMHA_RESULT_FAILURE, "simulate: %s: %s", path, error->message);
    return VMHA_RESULT_OK;
}

/* One short-lived process that loads, plans and exits, and every page the kernel hands out
 * fresh costs more than the work done in it (some 25 us each on the paravirtualized reference
 * machine; a 5,000-VM plan touches about 15 MB: 90 ms of page faults). So the heap keeps what
 * is freed (the loader's tree, freed once the model is built, then holds the engine's arrays),
 * and it is reserved in one piece that may use transparent huge pages: one fault per 2 MB. */
static void warm_heap(void)
{
    enum { RESERVE = 128 * 1024 * 1024, HUGE_PAGE = 2 * 1024 * 1024 };
    mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, INT_MAX);
    mallopt(M_TOP_PAD, RESERVE);
    /* Grows the heap by RESERVE (address space only until touched) and keeps it. */
    void *brk = sbrk(0);
    if (brk == (void *)-1)
        return;
    uintptr_t brk0 = (uintptr_t)brk;
    void *volatile grow = malloc(1024 * 1024); /* volatile: not optimized away */
    free(grow);
    uintptr_t start = (brk0 + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
    uintptr_t end = (uintptr_t)sbrk(0);
    if (end > start)
        (void)madvise((void *)start, end - start, MADV_HUGEPAGE); /* a hint: failure is fine */
}

int vmctl_cmd_simulate(const VmctlOptions *opts, int argc, char **argv)
{
    static const struct option long_options[] = {
            {"cib", required_argument, NULL, 'c'},   {"fail", required_argument, NULL, 'f'},
            {"drain", required_argument, NULL, 'd'}, {"json", no_argument, NULL, 'j'},
            {"now", required_argument, NULL, 'n'},   {NULL, 0, NULL, 0},
    };
    const char *cib_path = NULL;
    g_autoptr(GPtrArray) fails = g_ptr_array_new();
    g_autoptr(GPtrArray) drains = g_ptr_array_new();
    bool json = opts->json;
    int64_t now = (int64_t)time(NULL);
    int c;

    warm_heap();

    optind = 1;
    opterr = 0; /* one line of our own instead of getopt's */
    while ((c = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
        switch (c) {
        case 'c':
            cib_path = optarg;
            break;
        case 'f':
            g_ptr_array_add(fails, optarg);
            break;
        case 'd':
            g_ptr_array_add(drains, optarg);
            break;
        case 'j':
            json = true;
            break;
        case 'n': {
            char *end = NULL;
            errno = 0;
            long long v = strtoll(optarg, &end, 10);
            if (end == optarg || *end || errno || v < 0)
                return vmctl_error(opts, VMHA_RESULT_USAGE,
                                   "--now: '%s' is not seconds since the epoch", optarg);
            now = v;
            break;
        }
        default:
            return vmctl_error(opts, VMHA_RESULT_USAGE,
                               "simulate: bad option '%s'; usage: vmctl simulate [--cib FILE] "
                               "[--fail NODE]... [--drain NODE]... [--json] [--now SECONDS]",
                               argv[optind - 1]);
        }
    }
    if (optind < argc)
        return vmctl_error(opts, VMHA_RESULT_USAGE, "simulate: unexpected argument '%s'",
                           argv[optind]);
    g_autoptr(VmhaModel) model = NULL;
    int r = cib_path ? load_file(opts, cib_path, &model)
                     : vmctl_load_live_model(opts, "simulate", &model);
    if (r != VMHA_RESULT_OK)
        return r;

    for (guint i = 0; i < fails->len; i++) {
        ssize_t n = vmha_model_find_node(model, fails->pdata[i]);
        if (n < 0)
            return vmctl_error(opts, VMHA_RESULT_NOT_FOUND, "simulate: --fail: unknown node '%s'",
                               (char *)fails->pdata[i]);
        vmha_model_fail_node(model, (size_t)n, now);
    }
    for (guint i = 0; i < drains->len; i++) {
        ssize_t n = vmha_model_find_node(model, drains->pdata[i]);
        if (n < 0)
            return vmctl_error(opts, VMHA_RESULT_NOT_FOUND, "simulate: --drain: unknown node '%s'",
                               (char *)drains->pdata[i]);
        vmha_model_set_drain(model, (size_t)n, true);
    }

    /* Values read as Pacemaker reads them, not as written ("priority '2.0' read as 2"). */
    for (guint i = 0; i < model->warnings->len; i++)
        vmctl_warning(opts, "%s", (const char *)model->warnings->pdata[i]);
    g_autoptr(VmhaPlan) plan = NULL;
    if (vmha_engine_plan(model, now, &plan) < 0)
        return vmctl_error(opts, VMHA_RESULT_FAILURE, "simulate: planning failed");
    if (json)
        print_json(model, plan);
    else
        print_human(model, plan);
    return VMHA_RESULT_OK;
}
