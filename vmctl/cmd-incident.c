/* vmctl incident list, vmctl incident show ID, vmctl vm why NAME: the event history grouped
 * into incidents with their timelines (lib/incident.h), and the chain of events that put a VM
 * where it runs (docs/vmctl.md, "incident", "vm why"). Read from the local clusterd's history
 * (the EVENTS request) and status; the grouping is done here, so every node holding the same
 * history shows the same incidents. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "client.h"
#include "clientdoc.h"
#include "commands.h"
#include "incident.h"
#include "vmattr.h"

typedef struct {
    VmhaEvent *events;
    size_t n;
} History;

static void history_clear(History *h)
{
    vmha_doc_history_free(h->events, h->n);
    h->events = NULL;
    h->n = 0;
}

/* The local clusterd's whole history. */
static int fetch_history(const VmctlOptions *opts, History *ret)
{
    g_autoptr(VmhaMsg) req = vmha_msg_new(VMHA_MSG_EVENTS);
    json_object *answer = NULL;
    int rc = vmctl_call(opts, req, &answer);

    if (rc != VMHA_RESULT_OK)
        return rc;
    int r = vmha_doc_history(answer, &ret->events, &ret->n);
    json_object_put(answer);
    if (r < 0)
        return vmctl_error(opts, VMHA_RESULT_FAILURE, "malformed answer from clusterd");
    return VMHA_RESULT_OK;
}

static void format_time(json_object *t, char *buf, size_t len)
{
    time_t when = (time_t)json_object_get_int64(t);
    struct tm tm;

    if (!t || !gmtime_r(&when, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
        g_strlcpy(buf, "-", len);
}

static void format_seconds(json_object *s, char *buf, size_t len)
{
    if (s)
        snprintf(buf, len, "%" PRId64 " s", json_object_get_int64(s));
    else
        g_strlcpy(buf, "-", len);
}

static const char *or_dash(const char *s)
{
    return s && *s ? s : "-";
}

static json_object *incidents_json(const History *h, bool with_events)
{
    return vmha_doc_incidents(h->events, h->n, with_events);
}

int vmctl_cmd_incident_list(const VmctlOptions *gopts, int argc, char **argv)
{
    VmctlOptions opts = *gopts;
    History h = {0};

    if (vmctl_parse_common(&opts, argc, argv, 0) < 0)
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "usage: vmctl incident list [--json]");
    int rc = fetch_history(&opts, &h);
    if (rc != VMHA_RESULT_OK)
        return rc;
    json_object *arr = incidents_json(&h, false);
    history_clear(&h);
    if (opts.json) {
        json_object *doc = json_object_new_object();
        json_object_object_add(doc, "incidents", arr);
        vmctl_print_json(doc);
        json_object_put(doc);
        return VMHA_RESULT_OK;
    }
    printf("%-15s %-9s %-6s %-6s %-20s %8s  %s\n", "ID", "TYPE", "NODE", "STATE", "STARTED (UTC)",
           "DURATION", "SUMMARY");
    for (size_t i = 0; i < json_object_array_length(arr); i++) {
        json_object *inc = json_object_array_get_idx(arr, i);
        char started[32], duration[32];
        format_time(vmctl_json_get(inc, "started"), started, sizeof(started));
        format_seconds(vmctl_json_get(inc, "duration_s"), duration, sizeof(duration));
        printf("%-15" PRId64 " %-9s %-6s %-6s %-20s %8s  %s\n", vmctl_json_int(inc, "id"),
               vmctl_json_str(inc, "type"), or_dash(vmctl_json_str(inc, "node")),
               vmctl_json_str(inc, "state"), started, duration, vmctl_json_str(inc, "summary"));
    }
    json_object_put(arr);
    return VMHA_RESULT_OK;
}

static void print_event_rows(json_object *events)
{
    printf("%-15s %-20s %-15s %-6s %-8s %s\n", "SEQ", "TIME (UTC)", "TYPE", "NODE", "VM", "RESULT");
    for (size_t i = 0; i < json_object_array_length(events); i++) {
        json_object *ev = json_object_array_get_idx(events, i);
        char when[32];
        format_time(vmctl_json_get(ev, "time"), when, sizeof(when));
        printf("%-15" PRId64 " %-20s %-15s %-6s %-8s %s\n", vmctl_json_int(ev, "seq"), when,
               or_dash(vmctl_json_str(ev, "type")), or_dash(vmctl_json_str(ev, "node")),
               or_dash(vmctl_json_str(ev, "vm")), or_dash(vmctl_json_str(ev, "result")));
    }
}

static void print_incident(json_object *inc)
{
    char started[32], ended[32];
    json_object *phases = vmctl_json_get(inc, "phases"), *vms = vmctl_json_get(inc, "vms");

    format_time(vmctl_json_get(inc, "started"), started, sizeof(started));
    format_time(vmctl_json_get(inc, "ended"), ended, sizeof(ended));
    printf("incident %" PRId64 ": %s (%s)\n", vmctl_json_int(inc, "id"),
           vmctl_json_str(inc, "summary"), vmctl_json_str(inc, "state"));
    printf("started %s, ended %s\n\n", started, ended);
    printf("%-28s %-20s %-20s %8s\n", "PHASE", "FROM (UTC)", "TO (UTC)", "DURATION");
    for (size_t i = 0; i < json_object_array_length(phases); i++) {
        json_object *p = json_object_array_get_idx(phases, i);
        char from[32], to[32], secs[32];
        format_time(vmctl_json_get(p, "from"), from, sizeof(from));
        format_time(vmctl_json_get(p, "to"), to, sizeof(to));
        format_seconds(vmctl_json_get(p, "seconds"), secs, sizeof(secs));
        printf("%-28s %-20s %-20s %8s\n", vmctl_json_str(p, "name"), from, to, secs);
    }
    if (json_object_array_length(vms)) {
        printf("\n%-10s %-6s %-6s %-20s %s\n", "VM", "FROM", "TO", "UP (UTC)", "FAILED ATTEMPTS");
        for (size_t i = 0; i < json_object_array_length(vms); i++) {
            json_object *v = json_object_array_get_idx(vms, i);
            char up[32];
            format_time(vmctl_json_get(v, "up"), up, sizeof(up));
            printf("%-10s %-6s %-6s %-20s %" PRId64 "\n", vmctl_json_str(v, "vm"),
                   vmctl_json_str(v, "from"), or_dash(vmctl_json_str(v, "to")), up,
                   vmctl_json_int(v, "failures"));
        }
    }
    printf("\n");
    print_event_rows(vmctl_json_get(inc, "events"));
}

int vmctl_cmd_incident_show(const VmctlOptions *gopts, int argc, char **argv)
{
    VmctlOptions opts = *gopts;
    History h = {0};
    int first = vmctl_parse_common(&opts, argc, argv, 1);
    guint64 id = 0;

    if (first < 0 || argc - first != 1)
        return vmctl_error(&opts, VMHA_RESULT_USAGE,
                           "usage: vmctl incident show INCIDENT [--json]");
    if (!g_ascii_string_to_unsigned(argv[first], 10, 1, G_MAXUINT64, &id, NULL))
        return vmctl_error(&opts, VMHA_RESULT_USAGE,
                           "bad incident id '%s': the number `vmctl incident list` shows",
                           argv[first]);
    int rc = fetch_history(&opts, &h);
    if (rc != VMHA_RESULT_OK)
        return rc;
    json_object *arr = incidents_json(&h, true);
    history_clear(&h);
    json_object *found = NULL;
    for (size_t i = 0; i < json_object_array_length(arr) && !found; i++) {
        json_object *inc = json_object_array_get_idx(arr, i);
        if ((guint64)vmctl_json_int(inc, "id") == id)
            found = inc;
    }
    if (!found) {
        json_object_put(arr);
        return vmctl_error(&opts, VMHA_RESULT_NOT_FOUND,
                           "no incident %" G_GUINT64_FORMAT " in this node's history", id);
    }
    if (opts.json)
        vmctl_print_json(found);
    else
        print_incident(found);
    json_object_put(arr);
    return VMHA_RESULT_OK;
}

static json_object *ask_json(const VmctlOptions *opts, uint16_t type, int *ret_rc)
{
    g_autoptr(VmhaMsg) req = vmha_msg_new(type);
    json_object *o = NULL;

    *ret_rc = vmctl_call(opts, req, &o);
    return *ret_rc == VMHA_RESULT_OK ? o : NULL;
}

static void print_rules(json_object *rules)
{
    static const char *const lists[] = {"prefer", "together_with", "apart_from", "banned_from"};
    json_object *prio = vmctl_json_get(rules, "priority");

    printf("rules:    priority %s", prio ? json_object_to_json_string(prio) : "0");
    for (size_t i = 0; i < G_N_ELEMENTS(lists); i++) {
        json_object *l = vmctl_json_get(rules, lists[i]);
        if (!l || !json_object_array_length(l))
            continue;
        printf(", %s", lists[i]);
        for (size_t j = 0; j < json_object_array_length(l); j++)
            printf("%s%s", j ? "," : " ", json_object_get_string(json_object_array_get_idx(l, j)));
    }
    printf("\n");
}

int vmctl_cmd_vm_why(const VmctlOptions *gopts, int argc, char **argv)
{
    VmctlOptions opts = *gopts;
    History h = {0};
    int first = vmctl_parse_common(&opts, argc, argv, 1), rc;

    if (first < 0 || argc - first != 1)
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "usage: vmctl vm why NAME [--json]");
    const char *name = argv[first];
    if (!vmha_vm_name_valid(name))
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "bad VM name '%s'", name);
    json_object *status = ask_json(&opts, VMHA_MSG_STATUS, &rc);
    if (!status)
        return rc;
    json_object *list = ask_json(&opts, VMHA_MSG_VM_LIST, &rc);
    if (!list) {
        json_object_put(status);
        return rc;
    }
    rc = fetch_history(&opts, &h);
    if (rc != VMHA_RESULT_OK) {
        json_object_put(status);
        json_object_put(list);
        return rc;
    }
    json_object *why = vmha_doc_vm_why(status, list, h.events, h.n, name);
    history_clear(&h);
    json_object_put(status);
    json_object_put(list);
    if (!why)
        return vmctl_error(&opts, VMHA_RESULT_NOT_FOUND, "no VM '%s'", name);
    json_object *nodes = vmctl_json_get(why, "nodes");
    json_object *rules = vmctl_json_get(why, "rules");

    if (opts.json) {
        vmctl_print_json(why);
        json_object_put(why);
        return VMHA_RESULT_OK;
    }
    char since[32];
    format_time(vmctl_json_get(why, "since"), since, sizeof(since));
    printf("%s: %s", name, or_dash(vmctl_json_str(why, "state")));
    for (size_t i = 0; i < json_object_array_length(nodes); i++)
        printf("%s%s", i ? "," : " on ",
               json_object_get_string(json_object_array_get_idx(nodes, i)));
    if (vmctl_json_get(why, "since"))
        printf(" since %s", since);
    printf("\n");
    if (vmctl_json_str(why, "reason"))
        printf("reason:   %s\n", vmctl_json_str(why, "reason"));
    if (vmctl_json_str(why, "planned_node"))
        printf("planned:  %s\n", vmctl_json_str(why, "planned_node"));
    print_rules(rules);
    json_object *placed = vmctl_json_get(why, "placed_by");
    if (placed)
        printf("put there by: %s on %s (seq %" PRId64 ")\n", vmctl_json_str(placed, "type"),
               or_dash(vmctl_json_str(placed, "node")), vmctl_json_int(placed, "seq"));
    if (vmctl_json_get(why, "incident"))
        printf("incident: %" PRId64 " (vmctl incident show %" PRId64 ")\n",
               vmctl_json_int(why, "incident"), vmctl_json_int(why, "incident"));
    printf("\n");
    print_event_rows(vmctl_json_get(why, "chain"));
    json_object_put(why);
    return VMHA_RESULT_OK;
}
