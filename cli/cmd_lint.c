/* relgate lint: a policy's problems, without running any check. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char LINT_USAGE[] =
    "usage: relgate lint --policy PATH [--plugin-path DIR]... [limits]\n"
    "\n"
    "Check a policy without running any check: syntax, duplicate ids, unknown check\n"
    "names and parameters (from the plugins found), parameter types, unknown release\n"
    "types or stages, requirements that apply to nothing, missing titles or hints.\n"
    "One line per problem: file:line: problem.\n"
    "\n"
    "  --timeout SECONDS      wall-time limit for loading the policy (default 10)\n"
    "  --max-memory SIZE      policy memory limit (default 64M)\n"
    "  --max-instructions N   policy instruction limit (default 200000000)\n"
    "\n"
    "exit codes: 0 clean, 1 problems found, 2 the policy or a plugin cannot be read.\n";

#define MAX_DIRS 32

enum { OPT_POLICY, OPT_PLUGIN_PATH, OPT_LIMIT };

static const rg_option LINT_OPTIONS[] = {
    {"--policy", NULL, "a path", OPT_POLICY},
    {"--plugin-path", NULL, "a directory", OPT_PLUGIN_PATH},
    RG_CLI_LIMIT_OPTIONS(OPT_LIMIT),
    {NULL, NULL, NULL, 0},
};

int rg_cmd_lint(int argc, char **argv)
{
    const char *policy = NULL, *dirs[MAX_DIRS] = {0};
    size_t ndirs = 0;
    rg_error err = {0};
    rg_limits limits = rg_limits_default();
    rg_plugins *plugins;
    char *problems = NULL;
    int n, id;
    rg_opt_state st;
    const char *v;
    char msg[512];

    rg_opt_start(&st, argc, argv);
    while ((id = rg_opt_next(&st, LINT_OPTIONS, &v, msg, sizeof msg)) != RG_OPT_END) {
        char why[160];
        switch (id) {
        case RG_OPT_HELP: fputs(LINT_USAGE, stdout); return 0;
        case RG_OPT_ERROR: return rg_cli_usage("lint", msg);
        case RG_OPT_POSITIONAL:
            snprintf(msg, sizeof msg, "unknown option '%.200s'", v);
            return rg_cli_usage("lint", msg);
        case OPT_POLICY: policy = v; break;
        case OPT_PLUGIN_PATH:
            if (ndirs == MAX_DIRS) {
                snprintf(msg, sizeof msg, "at most %d --plugin-path options", MAX_DIRS);
                return rg_cli_usage("lint", msg);
            }
            dirs[ndirs++] = v;
            break;
        default:
            if (rg_cli_limit_option(st.name, v, &limits, why, sizeof why) != 0) {
                snprintf(msg, sizeof msg, "%s '%.100s' is not %s", st.name, v, why);
                return rg_cli_usage("lint", msg);
            }
        }
    }
    if (!policy)
        return rg_cli_usage("lint", "--policy is required");
    rg_cli_watchdog_install(policy, limits.timeout);
    plugins = rg_plugins_load(dirs, ndirs, 1, &err);
    if (!plugins) {
        rg_cli_watchdog_remove();
        rg_cli_report(&err);
        rg_error_clear(&err);
        return RG_EXIT_ERROR;
    }
    n = rg_policy_lint(policy, &limits, plugins, &problems, &err);
    rg_cli_watchdog_remove();
    if (n < 0) {
        rg_cli_report(&err);
        rg_error_clear(&err);
        rg_plugins_free(plugins);
        return RG_EXIT_ERROR;
    }
    fputs(problems, stdout);
    if (n > 0)
        fprintf(stderr, "relgate: %d problem%s in %s\n", n, n == 1 ? "" : "s", policy);
    free(problems);
    rg_plugins_free(plugins);
    return n > 0 ? 1 : 0;
}
