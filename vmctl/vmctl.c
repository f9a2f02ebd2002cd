#include "config.h"

#include <getopt.h>
#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "vmctl.h"

/* Command table: one line per command; a name is one or two words, matched exactly. */
static int cmd_version(const VmctlOptions *opts, int argc, char **argv)
{
    printf("vmctl %s\n", VMHA_VERSION);
    return VMCTL_EXIT_OK;
}

static const VmctlCommand commands[] = {
        {"version", cmd_version, "", "print vmctl's version"},
        {"status", vmctl_cmd_status, "[--json] [--watch [S]]",
         "nodes and VMs: state, where, why; quorum, leader, database"},
        {"node list", vmctl_cmd_node_list, "[--json]", "configured nodes and who is up"},
        {"vm add", vmctl_cmd_vm_add, "NAME --config PATH [--priority N] [--prefer N1,N2]",
         "add a VM (reads memory and vCPUs from its domain XML)"},
        {"vm remove", vmctl_cmd_vm_remove, "NAME", "remove a VM and its preferences"},
        {"vm set", vmctl_cmd_vm_set, "NAME KEY=VALUE...",
         "change a VM's settings (together-with=VM,... apart-from=VM,...)"},
        {"vm ban", vmctl_cmd_vm_ban, "NAME NODE", "never run a VM on a node"},
        {"vm unban", vmctl_cmd_vm_unban, "NAME [NODE]", "lift a VM's ban (from every node)"},
        {"vm start", vmctl_cmd_vm_start, "NAME [--wait [--timeout S]]",
         "let the cluster run a VM (target-role=Started)"},
        {"vm stop", vmctl_cmd_vm_stop, "NAME [--wait [--timeout S]]",
         "have the cluster stop a VM (target-role=Stopped)"},
        {"vm cleanup", vmctl_cmd_vm_cleanup, "NAME",
         "forget a VM's failures and history, re-probe"},
        {"vm list", vmctl_cmd_vm_list, "[--json]", "list the VMs in the cluster database"},
        {"vm move", vmctl_cmd_vm_move, "NAME [--to NODE] [--method M] [--wait]",
         "move a running VM (quick migration by default)"},
        {"node drain", vmctl_cmd_node_drain, "NODE [--method M] [--force] [--dry-run] [--wait]",
         "move every VM off a node and keep it empty"},
        {"node resume", vmctl_cmd_node_resume, "NODE [--failback] [--wait]",
         "let a drained node take VMs again"},
        {"node standby", vmctl_cmd_node_standby, "NODE",
         "take no VMs; move them off (Pacemaker's standby)"},
        {"node unstandby", vmctl_cmd_node_unstandby, "NODE", "let a standby node take VMs again"},
        {"node maintenance", vmctl_cmd_node_maintenance, "NODE",
         "leave a node's VMs alone, place nothing there"},
        {"node unmaintenance", vmctl_cmd_node_unmaintenance, "NODE", "end a node's maintenance"},
        {"node fence", vmctl_cmd_node_fence, "NODE [--yes] [--timeout S]",
         "power a node off through its fence device (root)"},
        {"cluster maintenance", vmctl_cmd_cluster_maintenance, "on|off",
         "stop managing: start, stop, move and fence nothing"},
        {"cluster update", vmctl_cmd_cluster_update, "--exec COMMAND [--reboot] [--timeout S]",
         "rolling update: drain, run COMMAND, resume each node in turn (root)"},
        {"node exec", vmctl_cmd_node_exec, "NODE [--timeout S] -- COMMAND...",
         "run a shell command on a node through its clusterd (root)"},
        {"fence add", vmctl_cmd_fence_add, "ID AGENT --hosts N1,N2 [NAME=VALUE...]",
         "add a fence device (stonith primitive) for these nodes"},
        {"fence remove", vmctl_cmd_fence_remove, "ID", "remove a fence device"},
        {"fence list", vmctl_cmd_fence_list, "[--json]", "list the fence devices"},
        {"config show", vmctl_cmd_config_show, "[--json]", "cluster properties"},
        {"config set", vmctl_cmd_config_set, "KEY=VALUE...",
         "set cluster properties (empty value: default)"},
        {"node set", vmctl_cmd_node_set, "NODE memory=MIB cpu=CORES standby=on|off...",
         "set a node's capacity and standby/maintenance marks"},
        {"simulate", vmctl_simulate, "[--cib FILE] [--fail NODE]... [--drain NODE]... [--json]",
         "plan without touching anything"},
};

int vmctl_fail(int code, const char *fmt, ...)
{
    va_list ap;

    fputs("vmctl: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return code;
}

static void print_usage(FILE *out)
{
    fprintf(out, "Usage: vmctl [--json] [--socket PATH] COMMAND [ARGS...]\n\nCommands:\n");
    for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
        fprintf(out, "  %-14s %-40s %s\n", commands[i].name, commands[i].usage,
                commands[i].summary);
}

static const VmctlCommand *find_command(int argc, char **argv, int *ret_words)
{
    for (int words = 2; words >= 1; words--) {
        if (argc < words)
            continue;
        char name[128] = "";
        for (int i = 0; i < words; i++) {
            if (i > 0)
                g_strlcat(name, " ", sizeof(name));
            g_strlcat(name, argv[i], sizeof(name));
        }
        for (size_t i = 0; i < G_N_ELEMENTS(commands); i++) {
            if (strcmp(commands[i].name, name) == 0) {
                *ret_words = words;
                return &commands[i];
            }
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    VmctlOptions opts = {.socket = VMHA_RUN_DIR "/clusterd.sock"};
    static const struct option long_options[] = {
            {"json", no_argument, NULL, 'j'},
            {"socket", required_argument, NULL, 's'},
            {"help", no_argument, NULL, 'h'},
            {"version", no_argument, NULL, 'V'},
            {NULL, 0, NULL, 0},
    };
    int c;

    /* '+': stop at the command name; each command parses its own options. */
    while ((c = getopt_long(argc, argv, "+h", long_options, NULL)) != -1) {
        switch (c) {
        case 'j':
            opts.json = true;
            break;
        case 's':
            opts.socket = optarg;
            break;
        case 'h':
            print_usage(stdout);
            return VMCTL_EXIT_OK;
        case 'V':
            printf("vmctl %s\n", VMHA_VERSION);
            return VMCTL_EXIT_OK;
        default:
            return vmctl_fail(VMCTL_EXIT_USAGE, "unknown option; see 'vmctl --help'");
        }
    }
    argc -= optind;
    argv += optind;
    if (argc == 0) {
        print_usage(stderr);
        return VMCTL_EXIT_USAGE;
    }

    int words = 0;
    const VmctlCommand *cmd = find_command(argc, argv, &words);
    if (!cmd)
        return vmctl_fail(VMCTL_EXIT_USAGE, "unknown command '%s'; see 'vmctl --help'", argv[0]);

    /* The handler sees its name as argv[0], so getopt_long works unchanged inside it. */
    return cmd->run(&opts, argc - words + 1, argv + words - 1);
}
