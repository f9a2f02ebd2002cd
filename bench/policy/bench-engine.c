/* Times the two halves of `vmctl simulate` in-process: loading the CIB and planning.
 * Usage: bench-engine CIB [RUNS]  -> one line: load and plan min/median/max in ms.
 *        bench-engine CIB RUNS --show  -> also what `vmctl status` adds to them in clusterd:
 *        every VM's state and why (lib/statusview), with the plan's actions indexed by VM and,
 *        alternating in the same runs, with a plain scan of every action for each VM. */
#include <glib.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "engine.h"
#include "model.h"
#include "statusview.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Every VM's state and why, as clusterd's STATUS builds them; returns the ms taken. */
static double show_all(const VmhaModel *m, const VmhaPlan *p)
{
    double t0 = now_ms();

    for (size_t v = 0; v < m->n_vms; v++) {
        VmhaShowVm show;
        vmha_show_vm(m, p, v, NULL, &show);
        vmha_show_vm_clear(&show);
    }
    return now_ms() - t0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench-engine CIB [RUNS]\n");
        return 2;
    }
    int runs = argc > 2 ? atoi(argv[2]) : 7;
    bool show = argc > 3 && g_str_equal(argv[3], "--show");
    if (runs < 1)
        runs = 1;
    g_autofree char *xml = NULL;
    gsize len = 0;
    if (!g_file_get_contents(argv[1], &xml, &len, NULL)) {
        fprintf(stderr, "bench-engine: cannot read %s\n", argv[1]);
        return 1;
    }
    g_autofree double *load = g_new(double, runs), *plan = g_new(double, runs);
    g_autofree double *shown = g_new(double, runs), *scanned = g_new(double, runs);
    size_t n_vms = 0, n_actions = 0;
    for (int i = 0; i < runs; i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(VmhaModel) m = NULL;
        g_autoptr(VmhaPlan) p = NULL;
        double t0 = now_ms();
        if (vmha_model_parse(xml, len, &m, &error) < 0) {
            fprintf(stderr, "bench-engine: %s\n", error->message);
            return 1;
        }
        double t1 = now_ms();
        if (vmha_engine_plan(m, 1700000000, &p) < 0)
            return 1;
        double t2 = now_ms();
        load[i] = t1 - t0;
        plan[i] = t2 - t1;
        if (show) {
            VmhaPlan bare = *p; /* no index: each VM's actions found by a scan of them all */
            bare.vm_action_start = NULL;
            bare.vm_actions = NULL;
            if (i % 2) {
                scanned[i] = show_all(m, &bare);
                shown[i] = show_all(m, p);
            } else {
                shown[i] = show_all(m, p);
                scanned[i] = show_all(m, &bare);
            }
        }
        n_vms = m->n_vms;
        n_actions = p->n_actions;
    }
    qsort(load, runs, sizeof(double), cmp_double);
    qsort(plan, runs, sizeof(double), cmp_double);
    printf("vms %zu actions %zu load_ms %.1f %.1f %.1f plan_ms %.1f %.1f %.1f\n", n_vms, n_actions,
           load[0], load[runs / 2], load[runs - 1], plan[0], plan[runs / 2], plan[runs - 1]);
    if (show) {
        qsort(shown, runs, sizeof(double), cmp_double);
        qsort(scanned, runs, sizeof(double), cmp_double);
        printf("show_ms %.1f %.1f %.1f show_scan_ms %.1f %.1f %.1f\n", shown[0], shown[runs / 2],
               shown[runs - 1], scanned[0], scanned[runs / 2], scanned[runs - 1]);
    }
    return 0;
}
