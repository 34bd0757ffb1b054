/* relgate history: what the decision log says. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "decision_log.h"
#include "error.h"
#include "json.h"
#include "rfc3339.h"

static const char HISTORY_USAGE[] =
    "usage: relgate history --log URL [--release NAME] [--environment ENV] [--stage STAGE]\n"
    "                       [--decision D] [--since RFC3339] [--until RFC3339] [--format text|json]\n"
    "       relgate history last-good --log URL --release NAME [--environment ENV] [--format text|json]\n"
    "       relgate history verify --log URL\n"
    "       relgate history export --log URL\n"
    "       relgate history import --log URL FILE\n"
    "\n"
    "List the decisions in a decision log (written by relgate eval --log), oldest first;\n"
    "print the last version of a release whose post-deploy gate passed (allow or warn),\n"
    "whatever came after it: the rollback target; verify the log's chain of digests;\n"
    "export it as JSON lines; or import a JSON-lines log (FILE, - for stdin) into it.\n"
    "\n"
    "  --log URL         the decision log: a path (JSON lines), sqlite:PATH or\n"
    "                    postgresql://... (default: $RELGATE_LOG)\n"
    "  --release NAME    only this release\n"
    "  --environment ENV only this environment (release.environment)\n"
    "  --stage STAGE     only this stage (pre-release, deploy, post-deploy)\n"
    "  --decision D      only this outcome (allow, warn, deny, error); repeatable\n"
    "  --since, --until  only decisions evaluated in this time range (inclusive)\n"
    "  --format FORMAT   text (default) or json\n"
    "  -h, --help        show this help\n"
    "\n"
    "exit codes: 0 listed, found, whole or copied; 1 last-good found nothing, or verify\n"
    "found the chain broken (the first broken record is named); 2 error.\n";

typedef struct filter {
    const char *release, *environment, *stage, *since, *until;
    int json;
    cJSON *list;
    size_t shown;
} filter;

static int show(const cJSON *entry, void *data)
{
    filter *f = data;
    const cJSON *release = cJSON_GetObjectItemCaseSensitive(entry, "release");
    const cJSON *policy = cJSON_GetObjectItemCaseSensitive(entry, "policy");
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(entry, "error");
    const char *name = rg_json_string(release, "name"), *stage = rg_json_string(entry, "stage");
    const char *decision = rg_json_string(entry, "decision"), *when = rg_json_string(entry, "evaluated_at");
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

static int keep_first(const cJSON *entry, void *data)
{
    *(cJSON **)data = cJSON_Duplicate(entry, 1);
    return 1;
}

static int usage(const char *fmt, ...) RG_PRINTF(1, 2);

static int usage(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "relgate: error: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see relgate history --help)\n");
    return RG_EXIT_ERROR;
}

/* --since/--until: any RFC 3339 time, compared as the log writes times (UTC, "Z"). */
static int time_bound(const char *option, const char *value, char *out, size_t size)
{
    int64_t t;
    const char *why = NULL;
    if (rg_rfc3339_parse(value, &t, &why) != 0 || rg_rfc3339_format(t, out, size) != 0)
        return usage("%s '%s' is not an RFC 3339 time%s%s", option, value, why ? ": " : "", why ? why : "");
    return 0;
}

static unsigned decision_bit(const char *name)
{
    static const char *const names[] = {"allow", "warn", "deny", "error"};
    for (unsigned i = 0; i < 4; i++)
        if (strcmp(name, names[i]) == 0)
            return 1u << i;
    return 0;
}

static int open_log(const char *url, int create, rg_log **log)
{
    rg_error err = {0};
    if ((*log = rg_log_open(url, create, &err)))
        return 0;
    rg_cli_report(&err);
    rg_error_clear(&err);
    return RG_EXIT_ERROR;
}

static int report(rg_error *err)
{
    rg_cli_report(err);
    rg_error_clear(err);
    return RG_EXIT_ERROR;
}

static int cmd_verify(rg_log *log)
{
    rg_error err = {0};
    char problem[RG_ERROR_MESSAGE_MAX];
    size_t records = 0;
    int rc = rg_log_verify(log, &records, problem, &err);
    if (rc < 0)
        return report(&err);
    if (rc > 0) {
        printf("broken: %s\n", problem);
        return 1;
    }
    printf("whole: %zu record%s chained\n", records, records == 1 ? "" : "s");
    return 0;
}

static int cmd_import(rg_log *log, const char *file)
{
    rg_error err = {0};
    rg_log *from;
    long copied;
    if (strcmp(file, "-") == 0)
        file = "/dev/stdin";
    if (open_log(file, 0, &from) != 0)
        return RG_EXIT_ERROR;
    copied = rg_log_import(from, log, &err);
    rg_log_close(from);
    if (copied < 0)
        return report(&err);
    fprintf(stderr, "relgate: imported %ld record%s into %s\n", copied, copied == 1 ? "" : "s", rg_log_name(log));
    return 0;
}

static int cmd_last_good(rg_log *log, const filter *f)
{
    rg_error err = {0};
    rg_log_filter q = {0};
    cJSON *good = NULL;
    const char *version;
    q.release = f->release;
    q.environment = f->environment;
    q.stage = "post-deploy";
    q.decisions = 1u | 2u;   /* allow, warn */
    q.newest_first = 1;
    q.limit = 1;
    if (rg_log_each(log, &q, keep_first, &good, NULL, &err) != 0)
        return report(&err);
    if (!good) {
        fprintf(stderr, "relgate: no passed post-deploy gate of %s in %s\n", f->release, rg_log_name(log));
        return 1;
    }
    version = rg_json_string(cJSON_GetObjectItemCaseSensitive(good, "release"), "version");
    if (f->json) {
        cJSON *o = cJSON_CreateObject();
        char *text;
        cJSON_AddStringToObject(o, "release", f->release);
        cJSON_AddStringToObject(o, "version", version ? version : "");
        cJSON_AddItemToObject(o, "evaluated_at", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(good, "evaluated_at"), 1));
        cJSON_AddItemToObject(o, "decision", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(good, "decision"), 1));
        text = rg_json_print_pretty(o);
        if (text) fputs(text, stdout);
        free(text);
        cJSON_Delete(o);
    } else {
        printf("%s\n", version ? version : "");
    }
    cJSON_Delete(good);
    return 0;
}

static int cmd_list(rg_log *log, filter *f, const rg_log_filter *q)
{
    rg_error err = {0};
    size_t skipped = 0;
    f->list = f->json ? cJSON_CreateArray() : NULL;
    if (rg_log_each(log, q, show, f, &skipped, &err) != 0) {
        cJSON_Delete(f->list);
        return report(&err);
    }
    if (skipped)
        fprintf(stderr, "relgate: warning: %zu line%s of %s %s not a decision and %s skipped\n", skipped,
                skipped == 1 ? "" : "s", rg_log_name(log), skipped == 1 ? "is" : "are", skipped == 1 ? "was" : "were");
    if (f->json) {
        char *text = rg_json_print_pretty(f->list);
        if (text) fputs(text, stdout);
        free(text);
        cJSON_Delete(f->list);
    }
    return 0;
}

int rg_cmd_history(int argc, char **argv)
{
    const char *url = NULL, *action = "list", *file = NULL;
    filter f = {0};
    rg_log_filter q = {0};
    char since[40], until[40];
    rg_log *log;
    int rc;

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char **slot = NULL;
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            fputs(HISTORY_USAGE, stdout);
            return 0;
        }
        if (i == 1 && (strcmp(arg, "last-good") == 0 || strcmp(arg, "verify") == 0 || strcmp(arg, "export") == 0 ||
                       strcmp(arg, "import") == 0)) {
            action = arg;
            continue;
        }
        if (strcmp(action, "import") == 0 && arg[0] != '-' && !file) { file = arg; continue; }
        if (strcmp(action, "import") == 0 && strcmp(arg, "-") == 0 && !file) { file = arg; continue; }
        if (strcmp(arg, "--log") == 0) slot = &url;
        else if (strcmp(arg, "--release") == 0) slot = &f.release;
        else if (strcmp(arg, "--environment") == 0) slot = &f.environment;
        else if (strcmp(arg, "--stage") == 0) slot = &f.stage;
        else if (strcmp(arg, "--since") == 0) slot = &f.since;
        else if (strcmp(arg, "--until") == 0) slot = &f.until;
        else if (strcmp(arg, "--decision") == 0) {
            const char *v = i + 1 < argc ? argv[++i] : "";
            if (!decision_bit(v)) return usage("--decision '%s' is not allow, warn, deny or error", v);
            q.decisions |= decision_bit(v);
            continue;
        } else if (strcmp(arg, "--format") == 0) {
            const char *v = i + 1 < argc ? argv[++i] : "";
            if (strcmp(v, "json") == 0) f.json = 1;
            else if (strcmp(v, "text") != 0) return usage("--format '%s' is not text or json", v);
            continue;
        } else {
            return usage("unknown option '%s'", arg);
        }
        if (i + 1 >= argc || !*argv[i + 1])
            return usage("%s needs a value", arg);
        *slot = argv[++i];
    }
    if (!url && getenv("RELGATE_LOG") && *getenv("RELGATE_LOG"))
        url = getenv("RELGATE_LOG");
    if (!url)
        return usage("%s is required (or RELGATE_LOG)", "--log");
    if (f.stage && strcmp(f.stage, "pre-release") && strcmp(f.stage, "deploy") && strcmp(f.stage, "post-deploy"))
        return usage("--stage '%s' is not pre-release, deploy or post-deploy", f.stage);
    if (f.since && time_bound("--since", f.since, since, sizeof since) != 0)
        return RG_EXIT_ERROR;
    if (f.until && time_bound("--until", f.until, until, sizeof until) != 0)
        return RG_EXIT_ERROR;
    if (strcmp(action, "last-good") == 0 && !f.release)
        return usage("%s is required with last-good", "--release");
    if (strcmp(action, "import") == 0 && !file)
        return usage("%s", "import needs the FILE to import");
    if (open_log(url, strcmp(action, "import") == 0, &log) != 0)
        return RG_EXIT_ERROR;
    if (strcmp(action, "verify") == 0) {
        rc = cmd_verify(log);
    } else if (strcmp(action, "export") == 0) {
        rg_error err = {0};
        fflush(stdout);
        rc = rg_log_export(log, STDOUT_FILENO, &err) < 0 ? report(&err) : 0;
    } else if (strcmp(action, "import") == 0) {
        rc = cmd_import(log, file);
    } else if (strcmp(action, "last-good") == 0) {
        rc = cmd_last_good(log, &f);
    } else {
        q.release = f.release;
        q.environment = f.environment;
        q.stage = f.stage;
        q.since = f.since ? since : NULL;
        q.until = f.until ? until : NULL;
        rc = cmd_list(log, &f, &q);
    }
    rg_log_close(log);
    return rc;
}
