/* `vmctl metrics`: the cluster in Prometheus' text exposition format (version 0.0.4), from what
 * clusterd answers: the state now (STATUS: quorum, nodes, VMs) and the event history (EVENTS:
 * recoveries, migrations, fencing). Pure: the caller asks clusterd and writes the text
 * (vmctl/cmd-metrics.c). docs/vmctl.md, "metrics", lists every metric.
 *
 * The counters are counted over the history the local clusterd keeps (10,000 events, 30 days):
 * the same on every node that saw the same events, and they fall when old events leave the
 * history, which Prometheus' rate() and increase() read as a counter reset. */
#pragma once

#include <glib.h>
#include <json-c/json.h>
#include <stddef.h>

#include "eventlog.h"

/* What the history says, counted (vmha_metrics_count). */
typedef struct {
    size_t node_losses;
    size_t fence_ok, fence_failed, self_fences;
    /* A recovery: a VM that last ran (started, arrived, or was probed running) on a node when
     * that node was recorded lost, started again anywhere after. Its duration: from the loss to
     * that start's completion (event times: whole seconds, the writer's clock). */
    size_t recoveries;
    double recovery_seconds_sum;
    size_t recovery_buckets[8]; /* cumulative, VMHA_METRICS_RECOVERY_BUCKETS */
    size_t recoveries_waiting;  /* of lost nodes, not started again since */
    /* A migration: a migrate-from that completed after a migrate-to of the same VM. Its pause:
     * the two agents' durations added (a quick migration's save and restore, during which the
     * guest does not run; the write between them is not counted). */
    size_t migrations_ok, migrations_failed;
    size_t pauses; /* migrations whose both halves are in the history */
    double pause_seconds_sum;
    size_t pause_buckets[8]; /* cumulative, VMHA_METRICS_PAUSE_BUCKETS */
    size_t monitor_failures;
    size_t events;
    uint64_t last_seq;
    int64_t oldest_time; /* 0: no events */
} VmhaMetricsCounts;

#define VMHA_METRICS_RECOVERY_BUCKETS                                                              \
    {                                                                                              \
        5, 10, 15, 30, 60, 120, 300, 600                                                           \
    }
#define VMHA_METRICS_PAUSE_BUCKETS                                                                 \
    {                                                                                              \
        0.5, 1, 2, 5, 10, 30, 60, 120                                                              \
    }

/* Counts a history, oldest first. */
void vmha_metrics_count(const VmhaEvent *events, size_t n, VmhaMetricsCounts *ret);

/* The text: status is the STATUS answer (docs/vmctl.md, "status --json"), counts from the
 * EVENTS answer. Node and VM states with no member are written 0, so every series exists. */
char *vmha_metrics_text(json_object *status, const VmhaMetricsCounts *counts);
/* What a textfile collector should see when clusterd does not answer: vmha_up 0 only. */
char *vmha_metrics_down_text(void);
