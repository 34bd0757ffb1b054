/* relgate: the command-line front door. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "error.h"

static const char USAGE[] =
    "usage: relgate <command> [options]\n"
    "\n"
    "relgate decides whether a release may go to a stage, from a Lua policy and a\n"
    "release context, and answers with a JSON decision and an exit code.\n"
    "\n"
    "commands:\n"
    "  eval       evaluate a policy for one release and stage\n"
    "  test       run policy tests (*_test.lua) with mocked plugin checks\n"
    "  lint       check a policy without running any check\n"
    "  plugins    list the check plugins found and their parameters\n"
    "  check      run one plugin check with given parameters and evidence\n"
    "  init       write a team policy to start from: baseline, test, context, evidence\n"
    "  history    list decisions from a decision log; last-good: the rollback target\n"
    "  verify     check a signed decision (eval --attest) before acting on it\n"
    "  render     render a saved decision in other formats (markdown, junit, github...)\n"
    "  bundle     make a policy bundle, print its digest, pin bundles in relgate.lock\n"
    "  serve      answer decisions over HTTP (POST /v1/decisions), for deployment tools\n"
    "\n"
    "options:\n"
    "  -h, --help     show this help (relgate <command> --help for a command)\n"
    "  -V, --version  show the version\n"
    "\n"
    "exit codes: 0 allow (or warn), 1 deny, 2 error (the gate could not be evaluated)\n"
    "docs: man relgate, and " RG_DOC_DIR "/:\n"
    "  README.md, policies.md (writing policies), context.md (the release context),\n"
    "  ci.md (CI templates, formats, the decision log), plugins.md, embedding.md,\n"
    "  service.md (relgate serve)\n";

/* A usage error before any command: the message on stderr and, as the default
 * format is JSON, an error decision on stdout. */
static int usage_error(const char *message)
{
    rg_error err = {0};
    char *json;
    rg_strlcpy(err.message, message, sizeof err.message);
    err.kind = RG_ERROR_USAGE;
    rg_cli_report(&err);
    json = rg_error_to_json(&err, (int64_t)time(NULL));
    if (json)
        fputs(json, stdout);
    free(json);
    return RG_EXIT_ERROR;
}

static const struct command {
    const char *name;
    int (*run)(int argc, char **argv);
} COMMANDS[] = {
    {"eval", rg_cmd_eval},
    {"plugins", rg_cmd_plugins},
    {"history", rg_cmd_history},
    {"lint", rg_cmd_lint},
    {"test", rg_cmd_test},
    {"verify", rg_cmd_verify},
    {"render", rg_cmd_render},
    {"check", rg_cmd_check},
    {"init", rg_cmd_init},
    {"bundle", rg_cmd_bundle},
    {"serve", rg_cmd_serve},
};

static const struct command *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
        if (strcmp(COMMANDS[i].name, name) == 0)
            return &COMMANDS[i];
    return NULL;
}

/* A command's exit code RC, once what it printed reached standard output: an answer that
 * did not (a full disk under a redirect, a closed pipe, a closed descriptor) is no answer,
 * exit 2 -- `history last-good > target` exited 0 with no rollback target written (hostile
 * round 37c, F03).  Commands that write their answer themselves (eval) say so already. */
static int answered(int rc)
{
    if (fflush(stdout) == 0 && !ferror(stdout))
        return rc;
    fprintf(stderr, "relgate: error: cannot write to standard output: %s\n",
            rg_cli_stream_closed(STDOUT_FILENO) ? "it is closed" : strerror(errno));
    return RG_EXIT_ERROR;
}

int main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : NULL;
    const struct command *c;
    char msg[256];
    if (rg_cli_standard_streams() != 0)
        return RG_EXIT_ERROR;
    rg_cli_undumpable();
    if (!cmd) {
        fputs(USAGE, stderr);
        return usage_error("no command given (see relgate --help)");
    }
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        if (strcmp(cmd, "help") == 0 && argc > 2 && (c = find_command(argv[2])) != NULL) {
            char *args[] = {argv[2], "--help", NULL};
            return c->run(2, args);
        }
        fputs(USAGE, stdout);
        return 0;
    }
    if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("relgate %s\n", rg_version());
        return 0;
    }
    /* The watchdog's audit record: the process it fired in execs into this (watchdog.c). */
    if (strcmp(cmd, "__watchdog-log") == 0)
        return rg_cli_watchdog_append(argc, argv);
    if ((c = find_command(cmd)) != NULL) {
        int rc;
        /* serve takes its signals itself (sigwait: SIGTERM drains, SIGHUP reloads). */
        if (c->run != rg_cmd_serve)
            rg_cli_signals_install();
        rc = c->run(argc - 1, argv + 1);
        return answered(rc);
    }
    snprintf(msg, sizeof msg, "unknown command '%.100s' (see relgate --help)", cmd);
    return usage_error(msg);
}
