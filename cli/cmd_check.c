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

#define MAX_ITEMS 64

enum { OPT_PARAM, OPT_EVIDENCE, OPT_CONTEXT, OPT_STAGE, OPT_TYPE, OPT_NOW, OPT_PLUGIN_PATH };

static const rg_option CHECK_OPTIONS[] = {
    {"--param", NULL, "KEY=VALUE", OPT_PARAM},
    {"--evidence", NULL, "NAME=PATH", OPT_EVIDENCE},
    {"--context", NULL, "a path", OPT_CONTEXT},
    {"--stage", NULL, "a stage: pre-release, deploy or post-deploy", OPT_STAGE},
    {"--type", NULL, "a type: patch, minor or major", OPT_TYPE},
    {"--now", NULL, "an RFC 3339 time", OPT_NOW},
    {"--plugin-path", NULL, "a directory", OPT_PLUGIN_PATH},
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
    cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
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

int rg_cmd_check(int argc, char **argv)
{
    const char *name = NULL, *context = NULL, *stage = NULL, *type = NULL, *now_text = NULL, *v;
    const char *dirs[MAX_ITEMS];
    size_t ndirs = 0;
    cJSON *params = cJSON_CreateObject(), *evidence = cJSON_CreateObject(), *doc = NULL, *req;
    char msg[512], dir[] = "/tmp/relgate-check-XXXXXX", policy[PATH_MAX] = "", *params_text = NULL;
    int id, rc = RG_EXIT_ERROR, level;
    int64_t now = (int64_t)time(NULL);
    rg_opt_state st;
    rg_error err = {0};
    rg_limits limits = rg_limits_default();
    rg_plugins *plugins = NULL;
    rg_policy *pol = NULL;
    rg_context *ctx = NULL;
    rg_decision *d = NULL;
    rg_context_options copt;
    rg_strbuf text = {0};

    if (!params || !evidence) {
        fprintf(stderr, "relgate: error: out of memory\n");
        goto out;
    }
    rg_opt_start(&st, argc, argv);
    while ((id = rg_opt_next(&st, CHECK_OPTIONS, &v, msg, sizeof msg)) != RG_OPT_END) {
        switch (id) {
        case RG_OPT_HELP: fputs(CHECK_USAGE, stdout); rc = 0; goto out;
        case RG_OPT_ERROR: rc = rg_cli_usage("check", msg); goto out;
        case RG_OPT_POSITIONAL:
            if (name) {
                snprintf(msg, sizeof msg, "one check at a time: '%.100s' and '%.100s'", name, v);
                rc = rg_cli_usage("check", msg);
                goto out;
            }
            name = v;
            break;
        case OPT_PARAM:
        case OPT_EVIDENCE:
            if (add_pair(id == OPT_PARAM ? params : evidence, v, id == OPT_PARAM) != 0) {
                snprintf(msg, sizeof msg, "%s '%.200s' is not %s", st.name, v, id == OPT_PARAM ? "KEY=VALUE" : "NAME=PATH");
                rc = rg_cli_usage("check", msg);
                goto out;
            }
            break;
        case OPT_CONTEXT: context = v; break;
        case OPT_STAGE: stage = v; break;
        case OPT_TYPE: type = v; break;
        case OPT_NOW: now_text = v; break;
        case OPT_PLUGIN_PATH:
            if (ndirs < MAX_ITEMS)
                dirs[ndirs++] = v;
            break;
        }
    }
    if (!name || !valid_check_name(name)) {
        rc = rg_cli_usage("check", name ? "the check name may hold letters, digits, '.', '_' and '-'"
                                        : "name the check to run: relgate check NAME (relgate plugins lists them)");
        goto out;
    }
    if (now_text && rg_time_parse(now_text, &now) != 0) {
        snprintf(msg, sizeof msg, "--now '%.200s' is not an RFC 3339 time", now_text);
        rc = rg_cli_usage("check", msg);
        goto out;
    }
    memset(&copt, 0, sizeof copt);
    copt.stage = rg_stage_parse(stage);
    copt.type = rg_release_type_parse(type);
    if ((stage && !copt.stage) || (type && !copt.type)) {
        rc = rg_cli_usage("check", stage && !copt.stage ? "--stage is pre-release, deploy or post-deploy"
                                                        : "--type is patch, minor or major");
        goto out;
    }
    /* The context: the one given with the evidence added, or a release of its own. */
    {
        char *data = NULL;
        size_t len = 0;
        cJSON *item, *ev;
        if (context) {
            if (rg_read_file(context, "context", limits.max_context_bytes, &data, &len, &err) != 0)
                goto report;
            doc = cJSON_ParseWithLength(data, len);
            free(data);
            if (!cJSON_IsObject(doc)) {
                rg_fail(&err, RG_ERROR_CONTEXT, context, 0, 0, "%s is not a JSON object (relgate eval --context %s "
                        "says why)", context, context);
                goto report;
            }
        } else {
            doc = cJSON_Parse("{\"release\": {\"name\": \"check\", \"version\": \"0.0.0\", \"type\": \"patch\"}}");
        }
        if (!(ev = cJSON_GetObjectItemCaseSensitive(doc, "evidence")))
            ev = cJSON_AddObjectToObject(doc, "evidence");
        cJSON_ArrayForEach(item, evidence) {
            cJSON_DeleteItemFromObjectCaseSensitive(ev, item->string);
            cJSON_AddItemToObject(ev, item->string, cJSON_Duplicate(item, 1));
        }
        data = cJSON_PrintUnformatted(doc);
        if (!data) {
            rg_fail(&err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory");
            goto report;
        }
        ctx = rg_context_parse(data, strlen(data), context ? context : "<relgate check>", context ? context : "-",
                               &copt, &err);
        cJSON_free(data);
        if (!ctx)
            goto report;
    }
    plugins = rg_plugins_load(dirs, ndirs, 1, &err);
    if (!plugins)
        goto report;
    /* The policy a release manager would write, in a directory of its own. */
    params_text = cJSON_PrintUnformatted(params);
    if (!params_text || (level = bracket_level(params_text)) < 0 || !mkdtemp(dir)) {
        rg_fail(&err, RG_ERROR_INTERNAL, NULL, 0, 0, "cannot write the policy for the check");
        goto report;
    }
    rg_strbuf_printf(&text, "requirement \"check\" {\n  title = \"relgate check %s\", hint = \"-\",\n  check = \"%s\",\n"
                            "  with = json.decode([%.*s[%s]%.*s]),\n}\n", name, name, level, "================",
                     params_text, level, "================");
    snprintf(policy, sizeof policy, "%s/check.lua", dir);
    if (text.failed || rg_write_file_atomic(policy, text.data, text.len, &err) != 0) {
        if (!err.message[0])
            rg_fail(&err, RG_ERROR_INTERNAL, NULL, 0, 0, "cannot write the policy for the check");
        goto report;
    }
    pol = rg_policy_load_with_plugins(policy, &limits, now, plugins, &err);
    if (pol)
        d = rg_evaluate(pol, ctx, &err);
    if (!d) {
        /* "FILE:1: requirement 'check': fail_on is ..." names the parameter that is wrong:
         * the file and line are this command's own, not the user's */
        const char *why = strstr(err.message, "requirement 'check': ");
        if (why) {
            rg_error plain = {0};
            rg_fail(&plain, err.kind, NULL, 0, 0, "check %s: %s", name, why + strlen("requirement 'check': "));
            rg_error_clear(&err);
            err = plain;
        }
        goto report;
    }
    {
        char *json = rg_decision_to_json(d);
        cJSON *dec = json ? cJSON_Parse(json) : NULL, *out = cJSON_CreateObject(), *r;
        const char *status;
        free(json);
        req = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(dec, "requirements"), 0);
        static const char *const keep[] = {"check", "plugin", "status", "message", "details", "duration_ms", NULL};
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
    }
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
    cJSON_free(params_text);
    cJSON_Delete(params);
    cJSON_Delete(evidence);
    cJSON_Delete(doc);
    free(text.data);
    return rc;
}
