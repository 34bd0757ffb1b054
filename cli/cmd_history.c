/* relgate history: what the decision log says. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "error.h"
#include "json_writer.h"

static const char HISTORY_USAGE[] =
    "usage: relgate history --log PATH [--release NAME] [--stage STAGE] [--format text|json]\n"
    "       relgate history last-good --log PATH --release NAME [--format text|json]\n"
    "\n"
    "List the decisions in a decision log (written by relgate eval --log), oldest first,\n"
    "or print the last version of a release whose post-deploy gate passed (allow or\n"
    "warn) and was not denied at post-deploy afterwards: the rollback target.\n"
    "\n"
    "  --log PATH        the decision log\n"
    "  --release NAME    only this release\n"
    "  --stage STAGE     only this stage (pre-release, deploy, post-deploy)\n"
    "  --format FORMAT   text (default) or json\n"
    "  -h, --help        show this help\n"
    "\n"
    "exit codes: 0 listed or found, 1 last-good found nothing, 2 error.\n";

typedef struct filter {
    const char *release, *stage;
    int json;
    cJSON *list;
    size_t shown;
} filter;

static int show_entry(const cJSON *entry, filter *f)
{
    const cJSON *release = cJSON_GetObjectItemCaseSensitive(entry, "release");
    const cJSON *policy = cJSON_GetObjectItemCaseSensitive(entry, "policy");
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(entry, "error");
    const char *name = rg_json_string(release, "name"), *stage = rg_json_string(entry, "stage");
    const char *decision = rg_json_string(entry, "decision"), *when = rg_json_string(entry, "evaluated_at");
    if (f->release && (!name || strcmp(name, f->release) != 0))
        return 0;
    if (f->stage && (!stage || strcmp(stage, f->stage) != 0))
        return 0;
    f->shown++;
    if (f->json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "evaluated_at", when ? when : "");
        cJSON_AddStringToObject(o, "decision", decision ? decision : "");
        if (release) cJSON_AddItemToObject(o, "release", cJSON_Duplicate(release, 1));
        if (stage) cJSON_AddStringToObject(o, "stage", stage);
        if (policy) cJSON_AddItemToObject(o, "policy", cJSON_Duplicate(policy, 1));
        if (error) cJSON_AddItemToObject(o, "error", cJSON_Duplicate(error, 1));
        cJSON_AddItemToArray(f->list, o);
        return 0;
    }
    printf("%-20s  %-5s  ", when ? when : "?", decision ? decision : "?");
    if (error)
        printf("error: %s\n", rg_json_string(error, "message") ? rg_json_string(error, "message") : "?");
    else
        printf("%s %s (%s) at %s, policy %s %s\n", name ? name : "?",
               rg_json_string(release, "version") ? rg_json_string(release, "version") : "?",
               rg_json_string(release, "type") ? rg_json_string(release, "type") : "?", stage ? stage : "?",
               rg_json_string(policy, "name") ? rg_json_string(policy, "name") : "?",
               rg_json_string(policy, "version") ? rg_json_string(policy, "version") : "");
    return 0;
}

/* One log entry (its JSON text, as the engine hands it over). */
static int show(const char *text, size_t len, void *data)
{
    cJSON *entry = cJSON_ParseWithLength(text, len);
    int rc = entry ? show_entry(entry, data) : 0;
    cJSON_Delete(entry);
    return rc;
}

static int usage(const char *fmt, ...) RG_PRINTF(1, 2);

static int usage(const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return rg_cli_usage("history", msg);
}

enum { OPT_LOG, OPT_RELEASE, OPT_STAGE, OPT_FORMAT };

static const rg_option HISTORY_OPTIONS[] = {
    {"--log", NULL, "a path", OPT_LOG},
    {"--release", NULL, "a release name", OPT_RELEASE},
    {"--stage", NULL, "a stage", OPT_STAGE},
    {"--format", NULL, "a value: text or json", OPT_FORMAT},
    {NULL, NULL, NULL, 0},
};

int rg_cmd_history(int argc, char **argv)
{
    const char *log = NULL;
    filter f = {0};
    int last_good = 0;
    rg_error err = {0};
    size_t skipped = 0;
    rg_opt_state st;
    const char *v;
    char msg[256];
    int id;

    rg_opt_start(&st, argc, argv);
    while ((id = rg_opt_next(&st, HISTORY_OPTIONS, &v, msg, sizeof msg)) != RG_OPT_END) {
        switch (id) {
        case RG_OPT_HELP: fputs(HISTORY_USAGE, stdout); return 0;
        case RG_OPT_ERROR: return usage("%s", msg);
        case RG_OPT_POSITIONAL:
            if (st.next == 2 && strcmp(v, "last-good") == 0) { last_good = 1; break; }
            return usage("unknown option '%s'", v);
        case OPT_LOG: log = v; break;
        case OPT_RELEASE: f.release = v; break;
        case OPT_STAGE: f.stage = v; break;
        case OPT_FORMAT:
            if (strcmp(v, "json") == 0) f.json = 1;
            else if (strcmp(v, "text") == 0) f.json = 0;
            else return usage("--format '%s' is not text or json", v);
            break;
        }
    }
    if (!log)
        return usage("%s is required", "--log");
    if (f.stage && strcmp(f.stage, "pre-release") && strcmp(f.stage, "deploy") && strcmp(f.stage, "post-deploy"))
        return usage("--stage '%s' is not pre-release, deploy or post-deploy", f.stage);
    if (last_good) {
        cJSON *good;
        char *good_text;
        const char *version;
        if (!f.release)
            return usage("%s is required with last-good", "--release");
        good_text = rg_log_last_good(log, f.release, NULL, &err);
        good = good_text ? cJSON_Parse(good_text) : NULL;
        free(good_text);
        if (good_text && !good)
            rg_fail(&err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory reading %s", log);
        if (!good) {
            if (err.kind != RG_ERROR_NONE) {
                rg_cli_report(&err);
                rg_error_clear(&err);
                return RG_EXIT_ERROR;
            }
            fprintf(stderr, "relgate: no passed post-deploy gate of %s in %s\n", f.release, log);
            return 1;
        }
        version = rg_json_string(cJSON_GetObjectItemCaseSensitive(good, "release"), "version");
        if (f.json) {
            cJSON *o = cJSON_CreateObject();
            char *text;
            cJSON_AddStringToObject(o, "release", f.release);
            cJSON_AddStringToObject(o, "version", version ? version : "");
            cJSON_AddItemToObject(o, "evaluated_at", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(good, "evaluated_at"), 1));
            cJSON_AddItemToObject(o, "decision", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(good, "decision"), 1));
            text = rg_json_print_pretty(o);
            if (text) fputs(text, stdout);
            free(text);
            cJSON_Delete(o);
        } else
            printf("%s\n", version ? version : "");
        cJSON_Delete(good);
        return 0;
    }
    f.list = f.json ? cJSON_CreateArray() : NULL;
    if (rg_log_each(log, show, &f, &skipped, &err) != 0) {
        rg_cli_report(&err);
        rg_error_clear(&err);
        cJSON_Delete(f.list);
        return RG_EXIT_ERROR;
    }
    if (skipped)
        fprintf(stderr, "relgate: warning: %zu line%s of %s %s not a decision and %s skipped\n", skipped,
                skipped == 1 ? "" : "s", log, skipped == 1 ? "is" : "are", skipped == 1 ? "was" : "were");
    if (f.json) {
        char *text = rg_json_print_pretty(f.list);
        if (text) fputs(text, stdout);
        free(text);
        cJSON_Delete(f.list);
    }
    return 0;
}
