/* relgate: the command-line front door. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char USAGE[] =
    "usage: relgate <command> [options]\n"
    "\n"
    "relgate decides whether a release may go to a stage, from a Lua policy and a\n"
    "release context, and answers with a JSON decision and an exit code.\n"
    "\n"
    "commands:\n"
    "  eval       evaluate a policy for one release and stage\n"
    "  plugins    list the check plugins found and their parameters\n"
    "  history    list decisions from a decision log; last-good: the rollback target\n"
    "\n"
    "options:\n"
    "  -h, --help     show this help (relgate <command> --help for a command)\n"
    "  -V, --version  show the version\n"
    "\n"
    "exit codes: 0 allow (or warn), 1 deny, 2 error (the gate could not be evaluated)\n"
    "docs: README.md, docs/policies.md, docs/context.md\n";

int main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : NULL;
    if (!cmd) {
        fputs(USAGE, stderr);
        return RG_EXIT_ERROR;
    }
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        if (strcmp(cmd, "help") == 0 && argc > 2) {
            char *args[] = {argv[2], "--help", NULL};
            if (strcmp(argv[2], "eval") == 0) return rg_cmd_eval(2, args);
            if (strcmp(argv[2], "plugins") == 0) return rg_cmd_plugins(2, args);
            if (strcmp(argv[2], "history") == 0) return rg_cmd_history(2, args);
        }
        fputs(USAGE, stdout);
        return 0;
    }
    if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("relgate %s\n", rg_version());
        return 0;
    }
    if (strcmp(cmd, "eval") == 0)
        return rg_cmd_eval(argc - 1, argv + 1);
    if (strcmp(cmd, "plugins") == 0)
        return rg_cmd_plugins(argc - 1, argv + 1);
    if (strcmp(cmd, "history") == 0)
        return rg_cmd_history(argc - 1, argv + 1);
    fprintf(stderr, "relgate: error: unknown command '%s' (see relgate --help)\n", cmd);
    return RG_EXIT_ERROR;
}
