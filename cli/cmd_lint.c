/* relgate lint: a policy's problems, without running any check. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "error.h"
#include "fileio.h"
#include "json_writer.h"
#include "strbuf.h"
#include "textpos.h"

static const char LINT_USAGE[] =
    "usage: relgate lint --policy PATH [--context PATH]... [--format text|json]\n"
    "                    [--plugin-path DIR]... [--policy-path DIR]... [limits]\n"
    "\n"
    "Check a policy without running any check: syntax, duplicate ids, unknown check\n"
    "names and parameters (from the plugins found), parameter types and values, unknown\n"
    "release types or stages, requirements that apply to nothing, missing titles or hints,\n"
    "undefined globals and misspelt library functions inside checks.\n"
    "One line per problem: file:line: problem.\n"
    "\n"
    "  --context PATH         also check a release context as eval would load it, without\n"
    "                         fetching or reading any evidence: the engine's fields, evidence\n"
    "                         paths, and live evidence sources (an unknown github or gitlab\n"
    "                         endpoint, a missing repo, project, ref or pipeline, a ref that\n"
    "                         is not a full commit SHA, a bad recording); repeatable, and\n"
    "                         --policy may then be left out\n"
    "  --format FORMAT        text (default) or json: {\"policy\", \"count\", \"problems\":\n"
    "                         [{\"file\", \"line\", \"message\"}]}\n"
    "  --policy-path DIR      where extends and require look after the policy's own\n"
    "                         directory (repeatable, before RELGATE_POLICY_PATH)\n"
    "  --timeout SECONDS      wall-time limit for loading the policy (default 10)\n"
    "  --max-memory SIZE      policy memory limit (default 64M)\n"
    "  --max-instructions N   policy instruction limit (default 200000000)\n"
    "\n"
    "exit codes: 0 clean, 1 problems found, 2 the policy or a plugin cannot be read.\n";

#define MAX_DIRS 32

enum { OPT_POLICY, OPT_CONTEXT, OPT_FORMAT, OPT_PLUGIN_PATH, OPT_POLICY_PATH, OPT_LIMIT };

static const rg_option LINT_OPTIONS[] = {
    {"--policy", NULL, "a path", OPT_POLICY},
    {"--context", NULL, "a path", OPT_CONTEXT | RG_OPT_REPEATS},
    {"--format", NULL, "a value: text or json", OPT_FORMAT},
    {"--plugin-path", NULL, "a directory", OPT_PLUGIN_PATH | RG_OPT_REPEATS},
    {"--policy-path", NULL, "a directory", OPT_POLICY_PATH | RG_OPT_REPEATS},
    RG_CLI_LIMIT_OPTIONS(OPT_LIMIT),
    {NULL, NULL, NULL, 0},
};

/* The problems (one "file:line: message" a line) as a JSON document: a problem without
 * a place (a policy with no requirements) has file and line null. */
static char *as_json(const char *policy, const char *problems, int n)
{
    rg_strbuf out = {0};
    rg_jw w;
    rg_jw_init(&w, &out, 1);
    rg_jw_object(&w);
    rg_jw_key(&w, "policy");
    rg_jw_string(&w, policy);
    rg_jw_key(&w, "count");
    rg_jw_int(&w, n);
    rg_jw_key(&w, "problems");
    rg_jw_array(&w);
    for (const char *p = problems; *p;) {
        const char *nl = strchr(p, '\n'), *end = nl ? nl : p + strlen(p), *c;
        char file[4096] = "", message[4096];
        long line = 0;
        /* "file:line: message": the first ":DIGITS: " */
        for (c = p; c < end; c++) {
            const char *d = c + 1;
            if (*c != ':' || d >= end || *d < '0' || *d > '9')
                continue;
            while (d < end && *d >= '0' && *d <= '9')
                d++;
            if (d + 1 < end && d[0] == ':' && d[1] == ' ' && (size_t)(c - p) < sizeof file) {
                memcpy(file, p, (size_t)(c - p));
                file[c - p] = '\0';
                line = strtol(c + 1, NULL, 10);
                p = d + 2;
                break;
            }
        }
        snprintf(message, sizeof message, "%.*s", (int)(end - p), p);
        rg_jw_object(&w);
        rg_jw_key(&w, "file");
        rg_jw_string(&w, file[0] ? file : NULL);
        rg_jw_key(&w, "line");
        if (file[0]) rg_jw_int(&w, line); else rg_jw_null(&w);
        rg_jw_key(&w, "message");
        rg_jw_string(&w, message);
        rg_jw_end(&w, 1);
        p = nl ? nl + 1 : end;
    }
    rg_jw_end(&w, 0);
    rg_jw_end(&w, 1);
    rg_strbuf_add(&out, "\n", 1);
    return rg_strbuf_finish(&out);
}

/* The line in TEXT of the member KEY ("ci" of "evidence.ci", "version" of
 * "release.version"): the first "KEY" followed by a colon, else 1. */
static int key_line(const char *text, size_t len, const char *key, size_t key_len)
{
    for (const char *p = text; (p = strchr(p, '"')) != NULL; p++) {
        const char *q = p + 1 + key_len;
        int line, column;
        if ((size_t)(q - text) >= len || strncmp(p + 1, key, key_len) != 0 || *q != '"')
            continue;
        for (q++; *q == ' ' || *q == '\t' || *q == '\r' || *q == '\n'; q++)
            ;
        if (*q != ':')
            continue;
        rg_text_position(text, len, (size_t)(p - text), &line, &column);
        return line;
    }
    return 1;
}

/* The problems of the context at PATH as eval loads it (nothing fetched, no evidence
 * read), appended to OUT as "PATH:LINE: problem" lines.  Returns their number, or -1 with
 * ERR when the file cannot be read at all. */
static int lint_context(const char *path, const rg_limits *limits, rg_strbuf *out, rg_error *err)
{
    rg_context_options copt;
    rg_context *ctx;
    rg_error found;
    char *text;
    size_t len;
    int n = 0;

    if (rg_read_file(path, "context", limits->max_context_bytes, &text, &len, err) != 0)
        return -1;
    memset(&copt, 0, sizeof copt);
    copt.limits = limits;
    rg_error_init(&found);
    ctx = rg_context_parse(text, len, path, path, &copt, &found);
    rg_context_free(ctx);
    if (!ctx && found.problem_count == 0 && found.kind != RG_ERROR_NONE) {
        /* one problem with a place (a syntax error's line), its message without it */
        const char *msg = found.message, *rest;
        if (strncmp(msg, path, strlen(path)) == 0 && msg[strlen(path)] == ':' &&
            (rest = strstr(msg + strlen(path), ": ")) != NULL)
            msg = rest + 2;
        rg_strbuf_printf(out, "%s:%d: %s\n", path, found.line > 0 ? found.line : 1, msg);
        n = 1;
    }
    for (int i = 0; !ctx && i < found.problem_count; i++) {
        /* "PATH: FIELD: what" — placed at the line of FIELD's last member */
        const char *msg = found.problems[i], *field, *colon;
        size_t plen = strlen(path);
        if (strncmp(msg, path, plen) == 0 && strncmp(msg + plen, ": ", 2) == 0)
            msg += plen + 2;
        colon = strstr(msg, ": ");
        field = colon ? colon : msg;
        while (field > msg && field[-1] != '.' && field[-1] != ' ')
            field--;
        rg_strbuf_printf(out, "%s:%d: %s\n", path,
                         colon && field < colon ? key_line(text, len, field, (size_t)(colon - field)) : 1, msg);
        n++;
    }
    rg_error_clear(&found);
    free(text);
    return n;
}

int rg_cmd_lint(int argc, char **argv)
{
    int json = 0;
    const char *policy = NULL, *dirs[RG_CLI_MAX_PLUGIN_DIRS] = {0}, *contexts[MAX_DIRS] = {0};
    size_t ndirs = 0, ncontexts = 0;
    rg_error err = {0};
    rg_limits limits = rg_limits_default();
    rg_plugins *plugins = NULL;
    char *problems = NULL;
    const char *what;
    int n = 0, id, rc;
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
        case OPT_CONTEXT:
            if (ncontexts == MAX_DIRS) {
                snprintf(msg, sizeof msg, "at most %d --context options", MAX_DIRS);
                return rg_cli_usage("lint", msg);
            }
            contexts[ncontexts++] = v;
            break;
        case OPT_FORMAT:
            if (strcmp(v, "text") != 0 && strcmp(v, "json") != 0) {
                snprintf(msg, sizeof msg, "--format '%.200s' is not text or json", v);
                return rg_cli_usage("lint", msg);
            }
            json = strcmp(v, "json") == 0;
            break;
        case OPT_POLICY_PATH:
            if (rg_cli_policy_path(v, msg, sizeof msg) != 0)
                return rg_cli_usage("lint", msg);
            break;
        case OPT_PLUGIN_PATH:
            if ((rc = rg_cli_plugin_dir("lint", dirs, &ndirs, v)) >= 0)
                return rc;
            break;
        default:
            if (rg_cli_limit_option(st.name, v, &limits, why, sizeof why) != 0) {
                snprintf(msg, sizeof msg, "%s '%.100s' is not %s", st.name, v, why);
                return rg_cli_usage("lint", msg);
            }
        }
    }
    if (!policy && !ncontexts)
        return rg_cli_usage("lint", "--policy is required (or --context)");
    if (policy) {
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
    }
    if (ncontexts) {
        rg_strbuf all = {0};
        if (problems)
            rg_strbuf_puts(&all, problems);
        for (size_t i = 0; i < ncontexts; i++) {
            int c = lint_context(contexts[i], &limits, &all, &err);
            if (c < 0) {
                rg_cli_report(&err);
                rg_error_clear(&err);
                free(rg_strbuf_finish(&all));
                free(problems);
                rg_plugins_free(plugins);
                return RG_EXIT_ERROR;
            }
            n += c;
        }
        free(problems);
        if (!(problems = rg_strbuf_finish(&all)) && !(problems = calloc(1, 1))) {
            fprintf(stderr, "relgate: error: out of memory\n");
            rg_plugins_free(plugins);
            return RG_EXIT_ERROR;
        }
    }
    what = policy ? policy : contexts[0];
    if (json) {
        char *doc = as_json(policy, problems, n);
        if (!doc) {
            fprintf(stderr, "relgate: error: out of memory\n");
            free(problems);
            rg_plugins_free(plugins);
            return RG_EXIT_ERROR;
        }
        fputs(doc, stdout);
        free(doc);
    } else {
        fputs(problems, stdout);
    }
    /* Standard error says how it went either way: silence is not an answer. */
    if (n > 0)
        fprintf(stderr, "relgate: %d problem%s in %s%s\n", n, n == 1 ? "" : "s", what,
                policy && ncontexts ? " and its contexts" : "");
    else
        fprintf(stderr, "relgate: %s%s: no problems found\n", what, policy && ncontexts ? " and its contexts" : "");
    free(problems);
    rg_plugins_free(plugins);
    return n > 0 ? 1 : 0;
}
