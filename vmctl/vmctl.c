#include "config.h"

#include <getopt.h>
#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "commands.h"
#include "report.h"
#include "vmctl.h"

static int print_version(const VmctlOptions *opts)
{
    if (!opts->json) {
        printf("vmctl %s\n", VMHA_VERSION);
        return VMHA_RESULT_OK;
    }
    json_object *o = json_object_new_object();
    json_object_object_add(o, "version", json_object_new_string(VMHA_VERSION));
    vmctl_print_json(o);
    json_object_put(o);
    return VMHA_RESULT_OK;
}

static int cmd_version(const VmctlOptions *gopts, int argc, char **argv)
{
    VmctlOptions opts = *gopts;

    if (vmctl_parse_common(&opts, argc, argv, 0) < 0)
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "usage: vmctl version");
    return print_version(&opts);
}

/* Options several commands share, and the end of a list. */
#define OPT_JSON                                                                                   \
    {                                                                                              \
        "json", no_argument, NULL, VMCTL_WORD_END, NULL, "print one JSON document"                 \
    }
#define OPT_WAIT                                                                                   \
    {                                                                                              \
        "wait", no_argument, NULL, VMCTL_WORD_END, NULL, "follow it until it is done"              \
    }
#define OPT_TIMEOUT(what)                                                                          \
    {                                                                                              \
        "timeout", required_argument, "SECONDS", VMCTL_WORD_TEXT, NULL, what                       \
    }
#define OPT_METHOD                                                                                 \
    {                                                                                              \
        "method", required_argument, "METHOD", VMCTL_WORD_CHOICE, "quick live cold",               \
                "quick (save and restore, the default), live or cold migration"                    \
    }
#define OPT_END                                                                                    \
    {                                                                                              \
        NULL, 0, NULL, VMCTL_WORD_END, NULL, NULL                                                  \
    }

static const VmctlOption only_json[] = {OPT_JSON, OPT_END};
static const VmctlOption no_options[] = {OPT_END};

static const VmctlOption status_options[] = {
        OPT_JSON,
        {"watch", optional_argument, "SECONDS", VMCTL_WORD_TEXT, NULL,
         "show it again every SECONDS (default 2) until interrupted"},
        OPT_END,
};
static const VmctlOption vm_add_options[] = {
        {"config", required_argument, "PATH", VMCTL_WORD_FILE, NULL,
         "the VM's libvirt domain XML, on storage every node sees (required)"},
        {"priority", required_argument, "N", VMCTL_WORD_TEXT, NULL,
         "higher starts first and displaces lower when memory is short (default 0)"},
        {"prefer", required_argument, "NODE[,NODE...]", VMCTL_WORD_NODES, NULL,
         "the nodes it should run on, most preferred first"},
        {"stopped", no_argument, NULL, VMCTL_WORD_END, NULL,
         "add it with target-role=Stopped (start it with vm start)"},
        OPT_JSON,
        OPT_END,
};
static const VmctlOption vm_start_stop_options[] = {
        OPT_WAIT,
        OPT_TIMEOUT("how long --wait waits (default 120)"),
        OPT_JSON,
        OPT_END,
};
static const VmctlOption vm_move_options[] = {
        {"to", required_argument, "NODE", VMCTL_WORD_NODE, NULL,
         "where it goes (default: where the policy engine puts it)"},
        OPT_METHOD,
        OPT_WAIT,
        OPT_TIMEOUT("how long --wait waits (default 600)"),
        OPT_JSON,
        OPT_END,
};
static const VmctlOption node_drain_options[] = {
        OPT_METHOD,
        {"force", no_argument, NULL, VMCTL_WORD_END, NULL,
         "drain even when the other nodes cannot take every VM (those are stopped)"},
        {"dry-run", no_argument, NULL, VMCTL_WORD_END, NULL,
         "print each VM's target, method and predicted pause; change nothing"},
        OPT_WAIT,
        OPT_TIMEOUT("how long --wait waits (default 600)"),
        OPT_JSON,
        OPT_END,
};
static const VmctlOption node_resume_options[] = {
        {"failback", no_argument, NULL, VMCTL_WORD_END, NULL,
         "move back the VMs that prefer this node most"},
        OPT_WAIT,
        OPT_TIMEOUT("how long --wait waits (default 600)"),
        OPT_JSON,
        OPT_END,
};
static const VmctlOption node_fence_options[] = {
        {"yes", no_argument, NULL, VMCTL_WORD_END, NULL, "do not ask for confirmation"},
        OPT_TIMEOUT("how long to wait for the fencing (default 120)"),
        {"no-wait", no_argument, NULL, VMCTL_WORD_END, NULL, "return once the request is recorded"},
        OPT_JSON,
        OPT_END,
};
static const VmctlOption node_exec_options[] = {
        OPT_TIMEOUT("kill COMMAND after this long (1..600, default 600)"),
        OPT_JSON,
        OPT_END,
};
static const VmctlOption cluster_update_options[] = {
        {"exec", required_argument, "COMMAND", VMCTL_WORD_TEXT, NULL,
         "the shell command run on each node in turn (required)"},
        {"reboot", no_argument, NULL, VMCTL_WORD_END, NULL, "reboot each node after COMMAND"},
        {"reboot-command", required_argument, "CMD", VMCTL_WORD_TEXT, NULL,
         "how --reboot reboots (default: shutdown -r now)"},
        OPT_TIMEOUT("bounds each step on each node (default 600)"),
        OPT_JSON,
        OPT_END,
};
static const VmctlOption cluster_setup_options[] = {
        {"name", required_argument, "NAME", VMCTL_WORD_TEXT, NULL,
         "the cluster's name (corosync's cluster_name; required)"},
        {"token", required_argument, "MS", VMCTL_WORD_TEXT, NULL,
         "corosync's token timeout (default 1500; token_coefficient is 0)"},
        {"fence", required_argument, "AGENT", VMCTL_WORD_TEXT, NULL,
         "a fence device covering every node (required for two nodes)"},
        {"fence-option", required_argument, "NAME=VALUE", VMCTL_WORD_TEXT, NULL,
         "an option of that device (repeat)"},
        {"qdevice", required_argument, "HOST[=ADDR]", VMCTL_WORD_TEXT, NULL,
         "a quorum device: corosync-qnetd on HOST instead of two_node"},
        {"storage", required_argument, "PATH", VMCTL_WORD_FILE, NULL,
         "check that PATH is the same shared storage on every host"},
        {"wait", required_argument, "SECONDS", VMCTL_WORD_TEXT, NULL,
         "how long to wait for every node in sync (default 120)"},
        {"force", no_argument, NULL, VMCTL_WORD_END, NULL,
         "replace a cluster the hosts are in, undo an interrupted run"},
        {"dry-run", no_argument, NULL, VMCTL_WORD_END, NULL,
         "check the hosts and print the corosync.conf; change nothing"},
        OPT_JSON,
        OPT_END,
};
static const VmctlOption cluster_join_options[] = {
        {"storage", required_argument, "PATH", VMCTL_WORD_FILE, NULL,
         "check that PATH is the same shared storage on the new host"},
        {"wait", required_argument, "SECONDS", VMCTL_WORD_TEXT, NULL,
         "how long to wait for the new node in sync (default 120)"},
        {"force", no_argument, NULL, VMCTL_WORD_END, NULL,
         "replace a cluster the new host is in, undo an interrupted run"},
        {"dry-run", no_argument, NULL, VMCTL_WORD_END, NULL,
         "check the hosts and print the new corosync.conf; change nothing"},
        OPT_JSON,
        OPT_END,
};
static const VmctlOption cluster_leave_options[] = {
        {"force", no_argument, NULL, VMCTL_WORD_END, NULL,
         "no drain first (refused while VMs run there)"},
        {"wait", required_argument, "SECONDS", VMCTL_WORD_TEXT, NULL,
         "bounds the drain and the wait for the database (default 120)"},
        OPT_JSON,
        OPT_END,
};
static const VmctlOption fence_add_options[] = {
        {"hosts", required_argument, "NODE[,NODE...]", VMCTL_WORD_NODES, NULL,
         "the nodes this device powers off (required)"},
        {"force", no_argument, NULL, VMCTL_WORD_END, NULL, "replace a device with this ID (root)"},
        OPT_JSON,
        OPT_END,
};
static const VmctlOption fence_remove_options[] = {
        {"force", no_argument, NULL, VMCTL_WORD_END, NULL,
         "remove even the only device of a node (root)"},
        OPT_JSON,
        OPT_END,
};
static const VmctlOption fence_set_options[] = {
        {"hosts", required_argument, "NODE[,NODE...]", VMCTL_WORD_NODES, NULL,
         "the nodes this device powers off from now on (required)"},
        {"force", no_argument, NULL, VMCTL_WORD_END, NULL,
         "take out even a node no other device fences (root)"},
        OPT_JSON,
        OPT_END,
};
static const VmctlOption alert_add_options[] = {
        {"recipient", required_argument, "VALUE", VMCTL_WORD_TEXT, NULL,
         "whom the agent tells (a file, an address...), repeated: one run each"},
        {"timeout", required_argument, "DURATION", VMCTL_WORD_TEXT, NULL,
         "the agent is killed after this long (default 30s)"},
        {"timestamp-format", required_argument, "FORMAT", VMCTL_WORD_TEXT, NULL,
         "CRM_alert_timestamp as strftime, %N fractions (default %H:%M:%S.%06N)"},
        {"select", required_argument, "KIND[,KIND...]", VMCTL_WORD_TEXT, NULL,
         "only these kinds: node, fencing, resource (default all)"},
        {"option", required_argument, "NAME=VALUE", VMCTL_WORD_TEXT, NULL,
         "an instance attribute, passed to the agent as a variable, repeated"},
        OPT_JSON,
        OPT_END,
};
static const VmctlOption metrics_options[] = {
        {"textfile", required_argument, "FILE.prom", VMCTL_WORD_FILE, NULL,
         "write them to PATH (*.prom, replaced whole) for node_exporter's textfile collector"},
        OPT_JSON,
        OPT_END,
};
static const VmctlOption simulate_options[] = {
        {"cib", required_argument, "FILE", VMCTL_WORD_FILE, NULL,
         "plan on this CIB file instead of the live database"},
        {"fail", required_argument, "NODE", VMCTL_WORD_NODE, NULL,
         "as if NODE failed (repeatable)"},
        {"drain", required_argument, "NODE", VMCTL_WORD_NODE, NULL,
         "as if NODE were drained (repeatable)"},
        {"now", required_argument, "SECONDS", VMCTL_WORD_TEXT, NULL,
         "the time to plan at, in seconds since the epoch"},
        OPT_JSON,
        OPT_END,
};
static const VmctlOption events_options[] = {
        {"follow", no_argument, NULL, VMCTL_WORD_END, NULL,
         "keep printing new events until interrupted (--json: one line each)"},
        {"since", required_argument, "TIME|SEQ", VMCTL_WORD_TEXT, NULL,
         "from this sequence number, UTC time (YYYY-MM-DDTHH:MM[:SS], @SECONDS) or age (10m)"},
        {"vm", required_argument, "NAME", VMCTL_WORD_VM, NULL, "only events about this VM"},
        {"node", required_argument, "NODE", VMCTL_WORD_NODE, NULL, "only events about this node"},
        OPT_JSON,
        OPT_END,
};
static const VmctlOption help_options[] = {
        {"json", no_argument, NULL, VMCTL_WORD_END, NULL, "the command table as one JSON document"},
        OPT_END,
};

/* Every command: dispatch, help, vmctl(8)'s test and bash completion read this table. To add a
 * command, add its row here (name, handler, usage, summary, options, operands, flags) and its
 * entry in vmctl.8; tests/scenario/test-help checks both. */
static const VmctlCommand commands[] = {
        {.name = "help",
         .run = vmctl_cmd_help,
         .usage = "[COMMAND]",
         .summary = "a command's usage and options",
         .options = help_options,
         .operands = {VMCTL_WORD_COMMAND},
         .flags = VMCTL_CMD_REPEAT_LAST},
        {.name = "version",
         .run = cmd_version,
         .usage = "",
         .summary = "print vmctl's version",
         .options = only_json},
        {.name = "status",
         .run = vmctl_cmd_status,
         .usage = "[--json] [--watch [SECONDS]]",
         .summary = "nodes and VMs: state, where, why; quorum, leader, database",
         .options = status_options},
        {.name = "events",
         .run = vmctl_cmd_events,
         .usage = "[--follow] [--since TIME|SEQ] [--vm NAME] [--node NODE] [--json]",
         .summary = "the cluster's event history: membership, fencing, VM actions, changes",
         .options = events_options},
        {.name = "incident list",
         .run = vmctl_cmd_incident_list,
         .usage = "[--json]",
         .summary = "incidents: a node loss or a drain with everything it caused",
         .options = only_json},
        {.name = "incident show",
         .run = vmctl_cmd_incident_show,
         .usage = "INCIDENT [--json]",
         .summary = "one incident's timeline: its phases and their durations, its events",
         .options = only_json,
         .operands = {VMCTL_WORD_TEXT}},
        {.name = "node list",
         .run = vmctl_cmd_node_list,
         .usage = "[--json]",
         .summary = "configured nodes and who is up",
         .options = only_json},
        {.name = "vm add",
         .run = vmctl_cmd_vm_add,
         .usage = "NAME --config PATH [--priority N] [--prefer NODE[,NODE...]] [--stopped]",
         .summary = "add a VM (reads memory and vCPUs from its domain XML)",
         .options = vm_add_options,
         .operands = {VMCTL_WORD_TEXT}},
        {.name = "vm add-many",
         .run = vmctl_cmd_vm_add_many,
         .usage = "FILE [--json]",
         .summary = "add many VMs in one write, all or none (FILE: one 'vm add' line per VM)",
         .options = only_json,
         .operands = {VMCTL_WORD_FILE}},
        {.name = "vm remove",
         .run = vmctl_cmd_vm_remove,
         .usage = "NAME",
         .summary = "remove a VM and its preferences",
         .options = only_json,
         .operands = {VMCTL_WORD_VM}},
        {.name = "vm set",
         .run = vmctl_cmd_vm_set,
         .usage = "NAME KEY=VALUE...",
         .summary = "change a VM's settings (together-with=VM,... apart-from=VM,...)",
         .options = only_json,
         .operands = {VMCTL_WORD_VM, VMCTL_WORD_TEXT},
         .flags = VMCTL_CMD_REPEAT_LAST},
        {.name = "vm ban",
         .run = vmctl_cmd_vm_ban,
         .usage = "NAME NODE",
         .summary = "never run a VM on a node",
         .options = only_json,
         .operands = {VMCTL_WORD_VM, VMCTL_WORD_NODE}},
        {.name = "vm unban",
         .run = vmctl_cmd_vm_unban,
         .usage = "NAME [NODE]",
         .summary = "lift a VM's ban (from every node)",
         .options = only_json,
         .operands = {VMCTL_WORD_VM, VMCTL_WORD_NODE}},
        {.name = "vm start",
         .run = vmctl_cmd_vm_start,
         .usage = "NAME [--wait [--timeout SECONDS]]",
         .summary = "let the cluster run a VM (target-role=Started)",
         .options = vm_start_stop_options,
         .operands = {VMCTL_WORD_VM}},
        {.name = "vm stop",
         .run = vmctl_cmd_vm_stop,
         .usage = "NAME [--wait [--timeout SECONDS]]",
         .summary = "have the cluster stop a VM (target-role=Stopped)",
         .options = vm_start_stop_options,
         .operands = {VMCTL_WORD_VM}},
        {.name = "vm cleanup",
         .run = vmctl_cmd_vm_cleanup,
         .usage = "NAME",
         .summary = "forget a VM's failures and history, re-probe",
         .options = only_json,
         .operands = {VMCTL_WORD_VM}},
        {.name = "vm why",
         .run = vmctl_cmd_vm_why,
         .usage = "NAME [--json]",
         .summary = "where a VM runs, since when, and the events and rules that put it there",
         .options = only_json,
         .operands = {VMCTL_WORD_VM}},
        {.name = "vm list",
         .run = vmctl_cmd_vm_list,
         .usage = "[--json]",
         .summary = "list the VMs in the cluster database",
         .options = only_json},
        {.name = "vm move",
         .run = vmctl_cmd_vm_move,
         .usage = "NAME [--to NODE] [--method quick|live|cold] [--wait [--timeout SECONDS]]",
         .summary = "move a running VM (quick migration by default)",
         .options = vm_move_options,
         .operands = {VMCTL_WORD_VM}},
        {.name = "node drain",
         .run = vmctl_cmd_node_drain,
         .usage = "NODE [--method quick|live|cold] [--force] [--dry-run] [--wait [--timeout "
                  "SECONDS]]",
         .summary = "move every VM off a node and keep it empty",
         .options = node_drain_options,
         .operands = {VMCTL_WORD_NODE}},
        {.name = "node resume",
         .run = vmctl_cmd_node_resume,
         .usage = "NODE [--failback] [--wait [--timeout SECONDS]]",
         .summary = "let a drained node take VMs again",
         .options = node_resume_options,
         .operands = {VMCTL_WORD_NODE}},
        {.name = "node standby",
         .run = vmctl_cmd_node_standby,
         .usage = "NODE",
         .summary = "take no VMs; move them off (Pacemaker's standby)",
         .options = only_json,
         .operands = {VMCTL_WORD_NODE}},
        {.name = "node unstandby",
         .run = vmctl_cmd_node_unstandby,
         .usage = "NODE",
         .summary = "let a standby node take VMs again",
         .options = only_json,
         .operands = {VMCTL_WORD_NODE}},
        {.name = "node maintenance",
         .run = vmctl_cmd_node_maintenance,
         .usage = "NODE",
         .summary = "leave a node's VMs alone, place nothing there",
         .options = only_json,
         .operands = {VMCTL_WORD_NODE}},
        {.name = "node unmaintenance",
         .run = vmctl_cmd_node_unmaintenance,
         .usage = "NODE",
         .summary = "end a node's maintenance",
         .options = only_json,
         .operands = {VMCTL_WORD_NODE}},
        {.name = "node fence",
         .run = vmctl_cmd_node_fence,
         .usage = "NODE [--yes] [--timeout SECONDS] [--no-wait]",
         .summary = "power a node off through its fence device (root)",
         .options = node_fence_options,
         .operands = {VMCTL_WORD_NODE}},
        {.name = "cluster setup",
         .run = vmctl_cmd_cluster_setup,
         .usage = "--name NAME [--token MS] [--fence AGENT [--fence-option NAME=VALUE]...] "
                  "[--qdevice HOST[=ADDR]] [--storage PATH] [--wait SECONDS] [--force] "
                  "[--dry-run] NODE[=ADDR]...",
         .summary = "make a cluster of bare hosts over SSH (root, on one of them)",
         .options = cluster_setup_options,
         .operands = {VMCTL_WORD_TEXT},
         .flags = VMCTL_CMD_REPEAT_LAST},
        {.name = "cluster join",
         .run = vmctl_cmd_cluster_join,
         .usage = "NODE[=ADDR] [--storage PATH] [--wait SECONDS] [--force] [--dry-run]",
         .summary = "add a host to the running cluster (root)",
         .options = cluster_join_options,
         .operands = {VMCTL_WORD_TEXT}},
        {.name = "cluster leave",
         .run = vmctl_cmd_cluster_leave,
         .usage = "NODE [--force] [--wait SECONDS]",
         .summary = "drain a node and take it out of the cluster (root)",
         .options = cluster_leave_options,
         .operands = {VMCTL_WORD_NODE}},
        {.name = "cluster maintenance",
         .run = vmctl_cmd_cluster_maintenance,
         .usage = "on|off",
         .summary = "stop managing: start, stop, move and fence nothing",
         .options = only_json,
         .operands = {VMCTL_WORD_TEXT}},
        {.name = "cluster update",
         .run = vmctl_cmd_cluster_update,
         .usage = "--exec COMMAND [--reboot [--reboot-command CMD]] [--timeout SECONDS]",
         .summary = "rolling update: drain, run COMMAND, resume each node in turn (root)",
         .options = cluster_update_options},
        {.name = "node exec",
         .run = vmctl_cmd_node_exec,
         .usage = "NODE [--timeout SECONDS] -- COMMAND...",
         .summary = "run a shell command on a node through its clusterd (root)",
         .options = node_exec_options,
         .operands = {VMCTL_WORD_NODE, VMCTL_WORD_TEXT},
         .flags = VMCTL_CMD_OPTIONS_FIRST | VMCTL_CMD_REPEAT_LAST},
        {.name = "fence add",
         .run = vmctl_cmd_fence_add,
         .usage = "ID AGENT --hosts NODE[,NODE...] [--force] [NAME=VALUE...]",
         .summary = "add (root --force: replace) a fence device for these nodes",
         .options = fence_add_options,
         .operands = {VMCTL_WORD_TEXT, VMCTL_WORD_TEXT, VMCTL_WORD_TEXT},
         .flags = VMCTL_CMD_REPEAT_LAST},
        {.name = "fence remove",
         .run = vmctl_cmd_fence_remove,
         .usage = "ID [--force]",
         .summary = "remove a fence device (root --force: the only one of a node)",
         .options = fence_remove_options,
         .operands = {VMCTL_WORD_FENCE}},
        {.name = "fence set",
         .run = vmctl_cmd_fence_set,
         .usage = "ID --hosts NODE[,NODE...] [--force]",
         .summary = "change the nodes a fence device powers off, keeping its options",
         .options = fence_set_options,
         .operands = {VMCTL_WORD_FENCE}},
        {.name = "fence list",
         .run = vmctl_cmd_fence_list,
         .usage = "[--json]",
         .summary = "list the fence devices",
         .options = only_json},
        {.name = "alert add",
         .run = vmctl_cmd_alert_add,
         .usage = "ID PATH [--recipient VALUE]... [--timeout DURATION] [--timestamp-format FORMAT] "
                  "[--select KIND[,KIND...]] [--option NAME=VALUE]...",
         .summary = "run an alert agent (Pacemaker's) for cluster events (root)",
         .options = alert_add_options,
         .operands = {VMCTL_WORD_TEXT, VMCTL_WORD_FILE}},
        {.name = "alert remove",
         .run = vmctl_cmd_alert_remove,
         .usage = "ID",
         .summary = "remove an alert (root)",
         .options = only_json,
         .operands = {VMCTL_WORD_TEXT}},
        {.name = "alert list",
         .run = vmctl_cmd_alert_list,
         .usage = "[--json]",
         .summary = "list the alerts and their recipients",
         .options = only_json},
        {.name = "metrics",
         .run = vmctl_cmd_metrics,
         .usage = "[--textfile FILE.prom]",
         .summary = "the cluster in Prometheus' text format (quorum, nodes, VMs, recoveries)",
         .options = metrics_options},
        {.name = "config show",
         .run = vmctl_cmd_config_show,
         .usage = "[--json]",
         .summary = "cluster properties",
         .options = only_json},
        {.name = "config set",
         .run = vmctl_cmd_config_set,
         .usage = "KEY=VALUE...",
         .summary = "set cluster properties (empty value: default)",
         .options = only_json,
         .operands = {VMCTL_WORD_PROPERTY},
         .flags = VMCTL_CMD_REPEAT_LAST},
        {.name = "node set",
         .run = vmctl_cmd_node_set,
         .usage = "NODE memory=MIB cpu=CORES standby=on|off maintenance=on|off...",
         .summary = "set a node's capacity and standby/maintenance marks",
         .options = only_json,
         .operands = {VMCTL_WORD_NODE, VMCTL_WORD_TEXT},
         .flags = VMCTL_CMD_REPEAT_LAST},
        {.name = "simulate",
         .run = vmctl_cmd_simulate,
         .usage = "[--cib FILE] [--fail NODE]... [--drain NODE]... [--now SECONDS]",
         .summary = "plan without touching anything",
         .options = simulate_options},
        {.name = "__complete",
         .run = vmctl_cmd_complete,
         .usage = "WORD...",
         .summary = "bash completion's helper",
         .options = no_options,
         .operands = {VMCTL_WORD_TEXT},
         .flags = VMCTL_CMD_HIDDEN | VMCTL_CMD_REPEAT_LAST | VMCTL_CMD_OPTIONS_FIRST},
};

const VmctlCommand *vmctl_commands(size_t *ret_n)
{
    *ret_n = G_N_ELEMENTS(commands);
    return commands;
}

/* `vmctl --json vm add`, `vmctl vm --json add`: a --json between a group and its command is
 * taken out (it names no command), and counts. */
static void take_json_after_group(VmctlOptions *opts, int *argc, char **argv)
{
    while (*argc >= 2 && vmctl_is_group(argv[0]) && strcmp(argv[1], "--json") == 0) {
        opts->json = true;
        memmove(&argv[1], &argv[2], sizeof(char *) * (size_t)(*argc - 1));
        (*argc)--;
    }
}

static int run(VmctlOptions *opts, int argc, char **argv)
{
    static const struct option long_options[] = {
            {"json", no_argument, NULL, 'j'},
            {"socket", required_argument, NULL, 's'},
            {"help", no_argument, NULL, 'h'},
            {"version", no_argument, NULL, 'V'},
            {NULL, 0, NULL, 0},
    };
    g_autofree char *bad = NULL; /* the first option refused */
    bool help = false, version = false, missing = false;
    int c;

    /* '+': stop at the command name; each command parses its own options. ':' first: a missing
     * value is told apart from an unknown option. */
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+:h", long_options, NULL)) != -1) {
        switch (c) {
        case 'j':
            opts->json = true;
            break;
        case 's':
            opts->socket = optarg;
            break;
        case 'h':
            help = true;
            break;
        case 'V':
            version = true;
            break;
        default:
            if (!bad) {
                bad = optopt && optopt < 256 ? g_strdup_printf("-%c", optopt)
                                             : g_strdup(argv[optind - 1]);
                *strchrnul(bad, '=') = '\0';
                missing = c == ':';
            }
        }
    }
    opterr = 1;
    argc -= optind;
    argv += optind;
    optind = 0;
    take_json_after_group(opts, &argc, argv);

    int words = 0;
    const VmctlCommand *cmd = argc > 0 ? vmctl_command_find(argc, argv, &words) : NULL;
    vmctl_report_command(cmd ? cmd->name : NULL);
    if (bad) {
        /* The line's --json counts even after the refused option. */
        if (argc > 0)
            opts->json |= cmd ? vmctl_json_requested(cmd, argc - words + 1, argv + words - 1)
                              : vmctl_json_requested(NULL, argc + 1, argv - 1);
        if (missing)
            return vmctl_error(opts, VMHA_RESULT_USAGE,
                               "option '%s' needs a value; see 'vmctl "
                               "--help'",
                               bad);
        return vmctl_error(opts, VMHA_RESULT_USAGE, "unknown option '%s'; see 'vmctl --help'", bad);
    }
    if (help)
        return vmctl_help(opts, stdout, 0, NULL);
    if (version)
        return print_version(opts);
    if (argc == 0) {
        if (opts->json)
            return vmctl_error(opts, VMHA_RESULT_USAGE, "no command given; see 'vmctl --help'");
        vmctl_help(opts, stderr, 0, NULL);
        return VMHA_RESULT_USAGE;
    }
    if (!cmd) { /* a group ("vm --help") or no such command */
        /* Its words without --json (literally: no row says which words are options). */
        g_autoptr(GPtrArray) rest = g_ptr_array_new();
        opts->json |= vmctl_json_requested(NULL, argc + 1, argv - 1);
        for (int i = 0; i < argc; i++)
            if (strcmp(argv[i], "--json") != 0)
                g_ptr_array_add(rest, argv[i]);
        if (rest->len == 0)
            return vmctl_error(opts, VMHA_RESULT_USAGE, "no command given; see 'vmctl --help'");
        g_ptr_array_add(rest, NULL);
        return vmctl_not_a_command(opts, (int)rest->len - 1, (char **)rest->pdata);
    }
    int rc = vmctl_check_options(opts, cmd, argc - words + 1, argv + words - 1);
    if (rc >= 0)
        return rc;
    /* The handler sees its name as argv[0], so getopt_long works unchanged inside it. */
    return cmd->run(opts, argc - words + 1, argv + words - 1);
}

int main(int argc, char **argv)
{
    VmctlOptions opts = {.socket = VMHA_RUN_DIR "/clusterd.sock"};

    vmctl_set_command_line(argc, argv);

    return vmctl_report_finish(&opts, run(&opts, argc, argv));
}
