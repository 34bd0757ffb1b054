/* relgate check: run one plugin check with given parameters and evidence, for plugin
 * authors -- without writing a policy, a context and a test.  It writes the one-line
 * policy a release manager would (requirement "check" { check = NAME, with = ... }) and
 * evaluates it as eval does: the same parameter validation, isolation and result. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "fileio.h"
#include "strbuf.h"

static const char CHECK_USAGE[] =
    "usage: relgate check NAME [--param KEY=VALUE]... [--evidence NAME=PATH]...\n"
    "                     [--context PATH] [--stage STAGE] [--type TYPE] [--now RFC3339]\n"
    "                     [--plugin-path DIR]...\n"
    "\n"
    "Run the plugin check NAME (relgate plugins lists them) once and print its result as\n"
    "JSON: status, message, details, the evidence it read, its plugin.  Parameters are\n"
    "validated, and defaults applied, exactly as a policy's `with` is.\n"
    "\n"
    "  --param KEY=VALUE      a parameter: VALUE is read as JSON when it is JSON (10, true,\n"
    "                         [\"a\",\"b\"], \"text\"), else as a string (fail_on=high)\n"
    "  --evidence NAME=PATH   evidence NAME is the file PATH (relative to the context's\n"
    "                         directory, else the working directory)\n"
    "  --context PATH         the release context to run in (default: a patch release\n"
    "                         \"check\" 0.0.0 with only the evidence given)\n"
    "  --stage, --type, --now as for eval\n"
    "  --plugin-path DIR      look for check plugins in DIR first (repeatable)\n"
    "\n"
    "exit codes: 0 pass or skip, 1 fail or warn, 2 error (the check errored, or could not run).\n";


enum { OPT_PARAM, OPT_EVIDENCE, OPT_CONTEXT, OPT_STAGE, OPT_TYPE, OPT_NOW, OPT_PLUGIN_PATH };

static const rg_option CHECK_OPTIONS[] = {
    {"--param", NULL, "KEY=VALUE", OPT_PARAM | RG_OPT_REPEATS},
    {"--evidence", NULL, "NAME=PATH", OPT_EVIDENCE | RG_OPT_REPEATS},
    {"--context", NULL, "a path", OPT_CONTEXT},
    {"--stage", NULL, "a stage: pre-release, deploy or post-deploy", OPT_STAGE},
    {"--type", NULL, "a type: patch, minor or major", OPT_TYPE},
    {"--now", NULL, "an RFC 3339 time", OPT_NOW},
    {"--plugin-path", NULL, "a directory", OPT_PLUGIN_PATH | RG_OPT_REPEATS},
    {NULL, NULL, NULL, 0},
};

static int valid_check_name(const char *name)
{
    if (!*name || strlen(name) > 128)
        return 0;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
              *p == '_' || *p == '-'))
            return 0;
    return 1;
}

/* "KEY=VALUE" into OBJ: VALUE as JSON when it parses, else as a string.  0, or -1. */
static int add_pair(cJSON *obj, const char *pair, int json_values)
{
    const char *eq = strchr(pair, '=');
    char key[256];
    cJSON *value = NULL;
    if (!eq || eq == pair || (size_t)(eq - pair) >= sizeof key)
        return -1;
    memcpy(key, pair, (size_t)(eq - pair));
    key[eq - pair] = '\0';
    if (json_values)
        value = cJSON_ParseWithOpts(eq + 1, NULL, 1);
    if (!value)
        value = cJSON_CreateString(eq + 1);
    if (cJSON_GetObjectItemCaseSensitive(obj, key)) {   /* the later would win silently */
        cJSON_Delete(value);
        return -2;
    }
    return cJSON_AddItemToObject(obj, key, value) ? 0 : -1;
}

/* The long-bracket level that TEXT does not close: "]==]" must not occur in it. */
static int bracket_level(const char *text)
{
    for (int level = 1; level < 16; level++) {
        char close[20] = "]";
        memset(close + 1, '=', (size_t)level);
        close[level + 1] = ']';
        close[level + 2] = '\0';
        if (!strstr(text, close))
            return level;
    }
    return -1;
}

/* What relgate check was asked to run, and where. */
typedef struct check_args {
    const char *name, *context;
    const char *dirs[RG_CLI_MAX_PLUGIN_DIRS];
    size_t ndirs;
    cJSON *params, *evidence;     /* --param KEY=VALUE, --evidence NAME=PATH */
    int64_t now;
    rg_context_options copt;      /* --stage, --type */
} check_args;

/* One option's value V into A; --stage, --type and --now into LATER[0..2], checked once
 * the name is (the last one given counts).  Returns -1 when taken, or the exit code of
 * a usage error. */
static int check_option(check_args *a, const rg_opt_state *st, int id, const char *v, const char **later)
{
    char msg[512];
    switch (id) {
    case RG_OPT_POSITIONAL:
        if (a->name) {
            snprintf(msg, sizeof msg, "one check at a time: '%.100s' and '%.100s'", a->name, v);
            return rg_cli_usage("check", msg);
        }
        a->name = v;
        break;
    case OPT_PARAM:
    case OPT_EVIDENCE:
        switch (add_pair(id == OPT_PARAM ? a->params : a->evidence, v, id == OPT_PARAM)) {
        case 0: break;
        case -2:
            snprintf(msg, sizeof msg, "%s '%.200s' names %s given before: give it once", st->name, v,
                     id == OPT_PARAM ? "a parameter" : "evidence");
            return rg_cli_usage("check", msg);
        default:
            snprintf(msg, sizeof msg, "%s '%.200s' is not %s", st->name, v, id == OPT_PARAM ? "KEY=VALUE" : "NAME=PATH");
            return rg_cli_usage("check", msg);
        }
        break;
    case OPT_CONTEXT: a->context = v; break;
    case OPT_STAGE: later[0] = v; break;
    case OPT_TYPE: later[1] = v; break;
    case OPT_NOW: later[2] = v; break;
    case OPT_PLUGIN_PATH:
        return rg_cli_plugin_dir("check", a->dirs, &a->ndirs, v);
    }
    return -1;
}

/* Parse ARGV into A.  Returns -1 to go on, or the exit code (--help, a usage error). */
static int parse_check_args(check_args *a, int argc, char **argv)
{
    rg_opt_state st;
    const char *v, *later[3] = {NULL, NULL, NULL};   /* --stage, --type, --now */
    char msg[512];
    int id, rc;
    rg_opt_start(&st, argc, argv);
    while ((id = rg_opt_next(&st, CHECK_OPTIONS, &v, msg, sizeof msg)) != RG_OPT_END) {
        if (id == RG_OPT_HELP) {
            fputs(CHECK_USAGE, stdout);
            return 0;
        }
        if (id == RG_OPT_ERROR)
            return rg_cli_usage("check", msg);
        if ((rc = check_option(a, &st, id, v, later)) >= 0)
            return rc;
    }
    if (!a->name || !valid_check_name(a->name))
        return rg_cli_usage("check", a->name ? "the check name may hold letters, digits, '.', '_' and '-'"
                                             : "name the check to run: relgate check NAME (relgate plugins lists them)");
    if (later[2] && rg_time_parse(later[2], &a->now) != 0) {
        snprintf(msg, sizeof msg, "--now '%.200s' is not an RFC 3339 time", later[2]);
        return rg_cli_usage("check", msg);
    }
    a->copt.stage = rg_stage_parse(later[0]);
    a->copt.type = rg_release_type_parse(later[1]);
    if ((later[0] && !a->copt.stage) || (later[1] && !a->copt.type))
        return rg_cli_usage("check", later[0] && !a->copt.stage ? "--stage is pre-release, deploy or post-deploy"
                                                                : "--type is patch, minor or major");
    return -1;
}

/* The context the check runs in: --context's with the --evidence added, or a release of
 * its own.  NULL with ERR. */
static rg_context *check_context(const check_args *a, size_t max_context, rg_error *err)
{
    char *data = NULL;
    size_t len = 0;
    cJSON *doc, *item, *ev;
    rg_context *ctx;
    if (a->context) {
        rg_limits limits = rg_limits_default();
        if (rg_read_file(a->context, "context", max_context, &data, &len, err) != 0)
            return NULL;
        /* As eval reads it first: a second document after the first, a NUL cutting a
         * path, a key twice are refused, not left to cJSON's reading (round 26, F01).  The
         * numbers it prints again read the same to the checks, which read strings. */
        if (rg_json_check(data, len, a->context, &limits, err) != 0) {
            free(data);
            return NULL;
        }
        doc = cJSON_ParseWithLength(data, len);
        free(data);
        if (!cJSON_IsObject(doc)) {
            cJSON_Delete(doc);
            rg_fail(err, RG_ERROR_CONTEXT, a->context, 0, 0, "%s is not a JSON object (relgate eval --context %s "
                    "says why)", a->context, a->context);
            return NULL;
        }
    } else {
        doc = cJSON_Parse("{\"release\": {\"name\": \"check\", \"version\": \"0.0.0\", \"type\": \"patch\"}}");
    }
    if (!(ev = cJSON_GetObjectItemCaseSensitive(doc, "evidence")))
        ev = cJSON_AddObjectToObject(doc, "evidence");
    cJSON_ArrayForEach(item, a->evidence) {
        /* Added, never put in the place of the context's own: which one the check read
         * would otherwise depend on the order of the two (round 25). */
        if (cJSON_GetObjectItemCaseSensitive(ev, item->string)) {
            rg_fail(err, RG_ERROR_USAGE, a->context, 0, 0, "--evidence %s: %s declares evidence %s already: give "
                    "it in one place", item->string, a->context, item->string);
            cJSON_Delete(doc);
            return NULL;
        }
        cJSON_AddItemToObject(ev, item->string, cJSON_Duplicate(item, 1));
    }
    data = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    if (!data) {
        rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory");
        return NULL;
    }
    ctx = rg_context_parse(data, strlen(data), a->context ? a->context : "<relgate check>",
                           a->context ? a->context : "-", &a->copt, err);
    cJSON_free(data);
    return ctx;
}

/* The policy a release manager would write for the check, in a directory of its own:
 * DIR (a mkdtemp template, made) and POLICY, the file in it.  The parameters go in as
 * JSON inside a long bracket they cannot close.  Returns 0, or -1 with ERR. */
static int write_check_policy(const check_args *a, char *dir, char *policy, size_t policy_size, rg_error *err)
{
    char *params_text = cJSON_PrintUnformatted(a->params);
    rg_strbuf text = {0};
    int level, rc = -1;
    if (!params_text || (level = bracket_level(params_text)) < 0 || !mkdtemp(dir)) {
        rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "cannot write the policy for the check");
        cJSON_free(params_text);
        return -1;
    }
    /* Every stage: --stage (or the context's "stage") is the check's to see, as in eval;
     * a requirement of pre-release only left nothing to run at the others (exit 2, said
     * nothing). */
    rg_strbuf_printf(&text, "requirement \"check\" {\n  title = \"relgate check %s\", hint = \"-\",\n"
                            "  stages = { \"pre-release\", \"deploy\", \"post-deploy\" },\n  check = \"%s\",\n"
                            "  with = json.decode([%.*s[%s]%.*s]),\n}\n", a->name, a->name, level, "================",
                     params_text, level, "================");
    snprintf(policy, policy_size, "%s/check.lua", dir);
    if (!text.failed && rg_write_file_atomic(policy, text.data, text.len, err) == 0)
        rc = 0;
    else if (!err->message[0])
        rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "cannot write the policy for the check");
    cJSON_free(params_text);
    free(text.data);
    return rc;
}

/* "FILE:1: requirement 'check': fail_on is ..." names the parameter that is wrong: the
 * file and line are this command's own, not the user's, so ERR says "check NAME: ...". */
static void unplace_error(rg_error *err, const char *name)
{
    const char *why = strstr(err->message, "requirement 'check': ");
    rg_error plain = {0};
    if (!why)
        return;
    rg_fail(&plain, err->kind, NULL, 0, 0, "check %s: %s", name, why + strlen("requirement 'check': "));
    rg_error_clear(err);
    *err = plain;
}

/* Print the decision's one result as relgate check shows it (the check's fields, the
 * parameters it ran with, the evidence it read).  Returns the exit code: 0 pass or skip,
 * 1 fail or warn, 2 error. */
static int print_check_result(const rg_decision *d, const cJSON *params)
{
    static const char *const keep[] = {"check", "plugin", "status", "message", "details", "duration_ms", NULL};
    char *json = rg_decision_to_json(d);
    cJSON *dec = json ? cJSON_Parse(json) : NULL, *out = cJSON_CreateObject(), *r;
    cJSON *req = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(dec, "requirements"), 0);
    const char *status;
    int rc;
    free(json);
    for (const char *const *k = keep; *k; k++)
        if ((r = cJSON_GetObjectItemCaseSensitive(req, *k)) != NULL)
            cJSON_AddItemToObject(out, *k, cJSON_Duplicate(r, 1));
    cJSON_AddItemToObject(out, "params", cJSON_Duplicate(params, 1));
    if ((r = cJSON_GetObjectItemCaseSensitive(dec, "evidence")) != NULL)
        cJSON_AddItemToObject(out, "evidence", cJSON_Duplicate(r, 1));
    status = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(out, "status"));
    json = cJSON_Print(out);
    if (json) {
        fputs(json, stdout);
        fputs("\n", stdout);
    }
    rc = !status || !json ? RG_EXIT_ERROR : strcmp(status, "pass") == 0 || strcmp(status, "skip") == 0 ? 0
         : strcmp(status, "error") == 0 ? RG_EXIT_ERROR : 1;
    cJSON_free(json);
    cJSON_Delete(out);
    cJSON_Delete(dec);
    return rc;
}

int rg_cmd_check(int argc, char **argv)
{
    check_args a = {.now = (int64_t)time(NULL)};
    char dir[] = "/tmp/relgate-check-XXXXXX", policy[PATH_MAX] = "";
    int rc = RG_EXIT_ERROR;
    rg_error err = {0};
    rg_limits limits = rg_limits_default();
    rg_plugins *plugins = NULL;
    rg_policy *pol = NULL;
    rg_context *ctx = NULL;
    rg_decision *d = NULL;

    a.params = cJSON_CreateObject();
    a.evidence = cJSON_CreateObject();
    if (!a.params || !a.evidence) {
        fprintf(stderr, "relgate: error: out of memory\n");
        goto out;
    }
    if ((rc = parse_check_args(&a, argc, argv)) >= 0)
        goto out;
    rc = RG_EXIT_ERROR;
    if (!(ctx = check_context(&a, limits.max_context_bytes, &err)) ||
        !(plugins = rg_plugins_load(a.dirs, a.ndirs, 1, &err)) ||
        write_check_policy(&a, dir, policy, sizeof policy, &err) != 0)
        goto report;
    if ((pol = rg_policy_load_with_plugins(policy, &limits, a.now, plugins, &err)) != NULL) {
        rg_plugin_processes_last_evaluation();   /* one check, then exit */
        d = rg_evaluate(pol, ctx, &err);
    }
    if (!d) {
        unplace_error(&err, a.name);
        goto report;
    }
    rc = print_check_result(d, a.params);
    goto out;
report:
    rg_cli_report(&err);
out:
    if (policy[0] && strncmp(policy, dir, strlen(dir)) == 0)
        unlink(policy);
    if (strcmp(dir, "/tmp/relgate-check-XXXXXX") != 0)
        rmdir(dir);
    rg_error_clear(&err);
    rg_decision_free(d);
    rg_policy_free(pol);
    rg_context_free(ctx);
    rg_plugins_free(plugins);
    cJSON_Delete(a.params);
    cJSON_Delete(a.evidence);
    return rc;
}
