/* relgate lint: a policy's problems, without running any check. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "error.h"
#include "policy.h"

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

int rg_cmd_lint(int argc, char **argv)
{
    const char *policy = NULL, *dirs[MAX_DIRS] = {0};
    size_t ndirs = 0;
    rg_error err = {0};
    rg_limits limits = rg_limits_default();
    rg_plugins *plugins;
    cJSON *problems, *p;
    int n;

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            fputs(LINT_USAGE, stdout);
            return 0;
        }
        if (i + 1 < argc) {
            int bad = rg_cli_limit_option(arg, argv[i + 1], &limits);
            if (bad > 0) {
                fprintf(stderr, "relgate: error: %s '%s' is out of range (see relgate lint --help)\n", arg, argv[i + 1]);
                return RG_EXIT_ERROR;
            }
            if (bad == 0) {
                i++;
                continue;
            }
        }
        if ((strcmp(arg, "--policy") == 0 || strcmp(arg, "--plugin-path") == 0) && i + 1 < argc && *argv[i + 1]) {
            if (arg[2] == 'p' && arg[3] == 'o') {
                policy = argv[++i];
            } else if (ndirs < MAX_DIRS) {
                dirs[ndirs++] = argv[++i];
            }
            continue;
        }
        fprintf(stderr, "relgate: error: %s '%s' (see relgate lint --help)\n",
                strncmp(arg, "--", 2) == 0 && (strcmp(arg, "--policy") == 0 || strcmp(arg, "--plugin-path") == 0)
                    ? "missing value for" : "unknown option", arg);
        return RG_EXIT_ERROR;
    }
    if (!policy) {
        fprintf(stderr, "relgate: error: --policy is required (see relgate lint --help)\n");
        return RG_EXIT_ERROR;
    }
    rg_cli_watchdog_install(policy, limits.timeout);
    plugins = rg_plugins_load(dirs, ndirs, 1, &err);
    if (!plugins) {
        rg_cli_watchdog_remove();
        rg_cli_report(&err);
        rg_error_clear(&err);
        return RG_EXIT_ERROR;
    }
    problems = cJSON_CreateArray();
    n = problems ? rg_policy_lint(policy, &limits, plugins, problems, &err) : -1;
    rg_cli_watchdog_remove();
    if (n < 0) {
        rg_cli_report(&err);
        rg_error_clear(&err);
        cJSON_Delete(problems);
        rg_plugins_free(plugins);
        return RG_EXIT_ERROR;
    }
    cJSON_ArrayForEach(p, problems)
        printf("%s\n", p->valuestring);
    if (n > 0)
        fprintf(stderr, "relgate: %d problem%s in %s\n", n, n == 1 ? "" : "s", policy);
    cJSON_Delete(problems);
    rg_plugins_free(plugins);
    return n > 0 ? 1 : 0;
}
