/* vmctl node fence: ask the cluster to fence a node (root only), then follow it. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "commands.h"
#include "vmattr.h"
#include "wait.h"

typedef struct {
    const char *node;
    /* The node's record before the request: only a newer outcome answers it. Compared for
     * change rather than against our clock, since the leader's clock writes them. */
    int64_t fenced_before, attempt_before;
} FenceWait;

static int64_t int_of(json_object *o, const char *key)
{
    json_object *v = vmctl_json_get(o, key);
    return v ? json_object_get_int64(v) : 0;
}

static int check_fence(json_object *status, void *ctx, char **ret_line)
{
    FenceWait *w = ctx;
    json_object *n = vmctl_find_named(vmctl_json_get(status, "nodes"), w->node);
    json_object *f = vmctl_json_get(n, "fence");
    const char *state = json_object_get_string(vmctl_json_get(n, "state"));
    int64_t failures = int_of(f, "failures");
    json_object *err = vmctl_json_get(f, "last_error");

    if (int_of(f, "fenced") > 0 && int_of(f, "fenced") != w->fenced_before) {
        *ret_line = g_strdup_printf("%s: fenced", w->node);
        return 1;
    }
    if (failures > 0 && int_of(f, "last_attempt") != w->attempt_before) {
        *ret_line =
                g_strdup_printf("%s: fencing failed (attempt %" G_GINT64_FORMAT "): %s", w->node,
                                failures, err ? json_object_get_string(err) : "no reason given");
        return -1;
    }
    *ret_line = g_strdup_printf("%s: %s", w->node, state ? state : "unknown");
    return 0;
}

/* Asks "Fence node NODE? ..." on the terminal; true for y or yes. */
static bool confirm(const char *node)
{
    char answer[16] = "";

    printf("Fence node %s? This powers it off. [y/N] ", node);
    fflush(stdout);
    if (!fgets(answer, sizeof(answer), stdin))
        return false;
    g_strstrip(answer);
    return g_ascii_strcasecmp(answer, "y") == 0 || g_ascii_strcasecmp(answer, "yes") == 0;
}

int vmctl_cmd_node_fence(const VmctlOptions *gopts, int argc, char **argv)
{
    static const struct option long_options[] = {
            {"yes", no_argument, NULL, 'y'},
            {"timeout", required_argument, NULL, 't'},
            {"no-wait", no_argument, NULL, 'n'},
            {"json", no_argument, NULL, 'j'},
            {NULL, 0, NULL, 0},
    };
    const char *usage = "usage: vmctl node fence NODE [--yes] [--timeout SECONDS] [--no-wait]";
    VmctlOptions opts = *gopts;
    bool yes = false, wait = true;
    unsigned timeout = 120;
    int c;

    optind = 0; /* 0, not 1: glibc then re-reads the optstring (main used "+") */
    while ((c = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
        switch (c) {
        case 'y':
            yes = true;
            break;
        case 't':
            if (vmctl_parse_timeout(optarg, &timeout) < 0)
                return vmctl_error(&opts, VMHA_RESULT_USAGE, "bad timeout '%s': 1..86400 seconds",
                                   optarg);
            break;
        case 'n':
            wait = false;
            break;
        case 'j':
            opts.json = true;
            break;
        default:
            return vmctl_error(&opts, VMHA_RESULT_USAGE, "%s", usage);
        }
    }
    if (argc - optind != 1)
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "%s", usage);
    const char *node = argv[optind];
    if (!vmha_node_name_valid(node))
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "bad node name '%s'", node);
    if (!yes) {
        /* Powering off a host is not something a script should do by accident. */
        if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
            return vmctl_error(&opts, VMHA_RESULT_USAGE,
                               "not fencing %s: no terminal to confirm on; add --yes", node);
        if (!confirm(node))
            return vmctl_error(&opts, VMHA_RESULT_USAGE, "not fencing %s", node);
    }

    FenceWait w = {.node = node};
    json_object *before = NULL;
    g_autoptr(VmhaMsg) sreq = vmha_msg_new(VMHA_MSG_STATUS);
    int rc = vmctl_call(&opts, sreq, &before);
    if (rc != VMHA_RESULT_OK)
        return rc;
    json_object *bf =
            vmctl_json_get(vmctl_find_named(vmctl_json_get(before, "nodes"), node), "fence");
    w.fenced_before = int_of(bf, "fenced");
    w.attempt_before = int_of(bf, "last_attempt");
    json_object_put(before);

    g_autoptr(VmhaMsg) req = vmha_msg_new(VMHA_MSG_NODE_FENCE);
    if (vmha_msg_add_str(req, VMHA_F_NODE, node) < 0)
        return vmctl_error(&opts, VMHA_RESULT_USAGE, "request too large");
    rc = vmctl_call(&opts, req, NULL);
    if (rc != VMHA_RESULT_OK)
        return rc;
    if (wait) {
        rc = vmctl_wait(&opts, timeout, check_fence, &w);
        if (rc == -ETIMEDOUT)
            return vmctl_error(&opts, VMHA_RESULT_FAILURE,
                               "%s is not fenced after %u s (the request stays: the leader keeps "
                               "trying)",
                               node, timeout);
        if (rc == VMHA_RESULT_FAILURE)
            return vmctl_error(&opts, rc, "fencing %s failed; the leader retries", node);
        if (rc != VMHA_RESULT_OK)
            return rc;
    }
    vmctl_print_ok(&opts, wait ? "fenced" : "requested");
    return VMHA_RESULT_OK;
}
