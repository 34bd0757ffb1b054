/* relgate render: a saved decision (relgate eval --format json=PATH, --output) in other
 * formats, so a pipeline evaluates once and publishes the summary, the JUnit report and
 * the annotations from that one decision. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "error.h"
#include "fileio.h"
#include "outputs.h"

static const char RENDER_USAGE[] =
    "usage: relgate render --format FMT[=PATH]... [options] DECISION.json\n"
    "\n"
    "Render a decision relgate eval wrote (JSON; '-' reads standard input) in other formats,\n"
    "without evaluating anything again.  The verdict must be the one its requirements give.\n"
    "\n"
    "  --format FMT[=PATH]    json, text, markdown, junit or github; repeatable: FMT=PATH\n"
    "                         writes to PATH, FMT alone to standard output (default: json)\n"
    "  --color WHEN           colours in text: auto (default), always or never\n"
    "  --no-color             --color never\n"
    "  --fail-on-warn         exit 1 when the decision is warn\n"
    "  -h, --help             show this help\n"
    "\n"
    "GitHub annotations name policy files relative to $GITHUB_WORKSPACE (else the git\n"
    "repository around the current directory); relative sources are taken from the current\n"
    "directory, as relgate eval saw them.\n"
    "\n"
    "exit codes: the decision's: 0 allow (warn too, unless --fail-on-warn), 1 deny, 2 error\n"
    "(an error decision, or a file that is not a decision).\n"
    "More: man relgate; " RG_DOC_DIR "/ci.md.\n";

enum { OPT_FORMAT, OPT_COLOR, OPT_NO_COLOR, OPT_FAIL_ON_WARN };

static const rg_option RENDER_OPTIONS[] = {
    {"--format", NULL, "a value: json, text, markdown, junit or github, or FMT=PATH", OPT_FORMAT | RG_OPT_REPEATS},
    {"--color", "--colour", "a value: auto, always or never", OPT_COLOR},
    {"--no-color", "--no-colour", NULL, OPT_NO_COLOR},
    {"--fail-on-warn", NULL, NULL, OPT_FAIL_ON_WARN},
    {NULL, NULL, NULL, 0},
};

/* The error on stderr and, in standard output's format and every file, as the answer. */
static int render_fail(rg_cli_outputs *o, const rg_error *err, int64_t when)
{
    rg_error file_err = {0};
    char *out;
    rg_cli_report(err);
    if (rg_cli_outputs_prepare(o, NULL, err, when, NULL, &file_err) != 0 || rg_cli_outputs_commit(o, &file_err) != 0)
        rg_cli_report(&file_err);
    rg_error_clear(&file_err);
    out = rg_error_render(err, o->stdout_format, when);
    if (out)
        rg_cli_write_stdout(out, strlen(out));
    free(out);
    return RG_EXIT_ERROR;
}

int rg_cmd_render(int argc, char **argv)
{
    rg_cli_outputs o;
    rg_opt_state st;
    rg_error err = {0};
    rg_decision *d = NULL;
    rg_render_options render = {0, NULL};
    const char *v, *path = NULL;
    char msg[512], workspace[PATH_MAX], *text = NULL, *out = NULL;
    size_t len;
    int id, rc, fail_on_warn = 0, no_color = 0;
    int64_t when = (int64_t)time(NULL);

    memset(&o, 0, sizeof o);
    rg_opt_start(&st, argc, argv);
    while ((id = rg_opt_next(&st, RENDER_OPTIONS, &v, msg, sizeof msg)) != RG_OPT_END) {
        if (id == RG_OPT_HELP) {
            fputs(RENDER_USAGE, stdout);
            return 0;
        }
        if (id == RG_OPT_POSITIONAL && !path) {
            path = v;
            continue;
        }
        if (id == RG_OPT_POSITIONAL)
            snprintf(msg, sizeof msg, "one decision at a time: '%.200s' is one too many", v);
        else if (id == OPT_FORMAT && rg_cli_outputs_add(&o, v, msg, sizeof msg) == 0)
            continue;
        else if (id == OPT_COLOR && rg_cli_parse_color(v, &o.color) == 0)
            continue;
        else if (id == OPT_COLOR)
            snprintf(msg, sizeof msg, "--color '%.200s' is not auto, always or never", v);
        else if (id == OPT_NO_COLOR || id == OPT_FAIL_ON_WARN) {
            *(id == OPT_NO_COLOR ? &no_color : &fail_on_warn) = 1;
            continue;
        }
        return rg_cli_usage("render", msg);
    }
    if (!path)
        return rg_cli_usage("render", "which decision? relgate render --format FMT DECISION.json");
    for (size_t i = 0; i < o.count; i++)
        if (strcmp(path, "-") != 0 && rg_same_place(o.files[i].path, path)) {
            /* the decision would be replaced by its own rendering (hostile round 36, F03) */
            snprintf(msg, sizeof msg, "'%.200s' would be written over: an output must be a file of its own, not "
                     "the decision it renders", o.files[i].path);
            return rg_cli_usage("render", msg);
        }
    if (no_color)
        o.color = RG_COLOR_NEVER;
    if (rg_read_file(path, "decision", 64u << 20, &text, &len, &err) == 0)
        d = rg_decision_parse(text, len, strcmp(path, "-") == 0 ? "<stdin>" : path, &when, &err);
    free(text);
    if (!d) {
        /* An error decision renders as the error it records; a broken file as its own. */
        if (!when)
            when = (int64_t)time(NULL);
        rc = render_fail(&o, &err, when);
        rg_error_clear(&err);
        return rc;
    }
    render.flags = o.stdout_format == RG_FORMAT_TEXT ? rg_cli_text_flags(o.color, 0) : 0;
    render.workspace = rg_cli_workspace(workspace);
    out = rg_decision_render_with(d, o.stdout_format, &render);
    if (!out) {
        rg_fail(&err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory rendering the decision");
        rc = render_fail(&o, &err, when);
    } else if (rg_cli_outputs_prepare(&o, d, NULL, when, render.workspace, &err) != 0 ||
               rg_cli_outputs_commit(&o, &err) != 0) {
        rg_cli_report(&err);
        rc = RG_EXIT_ERROR;
    } else if (rg_cli_write_stdout(out, strlen(out)) != 0) {
        perror("relgate: error: cannot write to standard output");
        rc = RG_EXIT_ERROR;
    } else {
        rc = rg_verdict_exit_code(rg_decision_verdict(d), fail_on_warn);
    }
    free(out);
    rg_error_clear(&err);
    rg_decision_free(d);
    return rc;
}
