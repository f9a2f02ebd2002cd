/* Reading a command handler's own command line (args.h): one getopt_long loop for every command
 * instead of one per handler, so that --json, --timeout and the usage error read alike. */
#include "config.h"

#include <getopt.h>
#include <glib.h>

#include "args.h"
#include "fencedev.h"
#include "vmattr.h"
#include "report.h"
#include "wait.h"

/* "bad timeout '%s': 1..%u seconds" when value is not a number of seconds up to max. */
static int parse_timeout(const VmctlOptions *opts, const char *value, unsigned max, unsigned *ret)
{
    unsigned t = 0;

    if (max == 0)
        max = 86400;
    if (vmctl_parse_timeout(value, &t) < 0 || t > max)
        return vmctl_error(opts, VMHA_RESULT_USAGE, "bad timeout '%s': 1..%u seconds", value, max),
               -1;
    *ret = t;
    return 0;
}

static int take(const VmctlOptions *opts, const VmctlArg *a, const char *value)
{
    switch (a->kind) {
    case VMCTL_ARG_FLAG:
        *(bool *)a->ret = true;
        return 0;
    case VMCTL_ARG_UNFLAG:
        *(bool *)a->ret = false;
        return 0;
    case VMCTL_ARG_STRING:
        *(const char **)a->ret = value;
        return 0;
    case VMCTL_ARG_LIST:
        g_ptr_array_add(a->ret, (char *)value);
        return 0;
    case VMCTL_ARG_TIMEOUT:
        return parse_timeout(opts, value, a->max, a->ret);
    case VMCTL_ARG_PARSE:
        return a->parse(opts, value, a->ret);
    }
    g_assert_not_reached();
}

int vmctl_parse_args(VmctlOptions *opts, const VmctlArgSpec *spec, int argc, char **argv)
{
    g_autoptr(GArray) longopts = g_array_new(true, true, sizeof(struct option));
    const struct option json = {"json", no_argument, NULL, 'j'};
    int c, rc = 0;

    g_array_append_val(longopts, json);
    for (const VmctlArg *a = spec->args; a && a->name; a++) {
        /* 256 and up: never a short option's character. */
        bool flag = a->kind == VMCTL_ARG_FLAG || a->kind == VMCTL_ARG_UNFLAG;
        struct option lo = {a->name, flag ? no_argument : required_argument, NULL,
                            256 + (int)(a - spec->args)};
        g_array_append_val(longopts, lo);
    }
    optind = 0; /* 0, not 1: glibc then re-reads the optstring (main used "+") */
    opterr = 0; /* one line of our own instead of getopt's */
    while (rc == 0 && (c = getopt_long(argc, argv, spec->options_first ? "+" : "",
                                       (const struct option *)longopts->data, NULL)) != -1) {
        if (c == 'j')
            opts->json = true;
        else if (c < 256) {
            vmctl_error(opts, VMHA_RESULT_USAGE, "%s", spec->usage);
            rc = -1;
        } else
            rc = take(opts, &spec->args[c - 256], optarg);
    }
    opterr = 1;
    if (rc < 0)
        return -1;
    int n = argc - optind;
    if (n < spec->min_operands || (spec->max_operands >= 0 && n > spec->max_operands))
        return vmctl_error(opts, VMHA_RESULT_USAGE, "%s", spec->usage), -1;
    return optind;
}

const char *vmctl_parse_operand(VmctlOptions *opts, const VmctlArg *args, const char *usage,
                                VmctlWord what, int argc, char **argv)
{
    const VmctlArgSpec cmdline = {
            .usage = usage, .min_operands = 1, .max_operands = 1, .args = args};
    int first = vmctl_parse_args(opts, &cmdline, argc, argv);
    if (first < 0)
        return NULL;

    const char *name = argv[first];
    bool bad = (what == VMCTL_WORD_VM && !vmha_vm_name_valid(name)) ||
               (what == VMCTL_WORD_NODE && !vmha_node_name_valid(name)) ||
               (what == VMCTL_WORD_FENCE && !vmha_fence_id_valid(name));
    if (bad)
        return vmctl_error(opts, VMHA_RESULT_USAGE, "bad %s '%s'",
                           what == VMCTL_WORD_VM     ? "VM name"
                           : what == VMCTL_WORD_NODE ? "node name"
                                                     : "device id",
                           name),
               NULL;
    return name;
}
