/* relgate history: what the decision log says. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "error.h"
#include "fileio.h"
#include "json_writer.h"

static const char HISTORY_USAGE[] =
    "usage: relgate history --log URL [--release NAME] [--environment ENV] [--stage STAGE]\n"
    "                       [--decision D]... [--since RFC3339] [--until RFC3339] [--format text|json]\n"
    "       relgate history last-good --log URL --release NAME [--environment ENV]\n"
    "                       [--public-key PUB.pem]... [--threshold N] [--format text|json]\n"
    "       relgate history verify --log URL [--public-key PUB.pem]... [--threshold N]\n"
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
    "  --public-key PUB.pem  verify: every decision must also carry its own attestation\n"
    "                    (eval --attest with --log), signed by this key; repeatable;\n"
    "                    last-good: the answer and every record after it must be signed\n"
    "                    where they stand, else no answer (exit 2)\n"
    "  --threshold N     distinct keys that must have signed each (default 1)\n"
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

static int show_entry(const cJSON *entry, filter *f)
{
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

/* --since/--until: any RFC 3339 time, compared as the log writes times (UTC, "Z"). */
static int time_bound(const char *option, const char *value, char *out, size_t size)
{
    int64_t t;
    time_t tt;
    struct tm tm;
    if (rg_time_parse(value, &t) != 0)
        return usage("%s '%s' is not an RFC 3339 time", option, value);
    tt = (time_t)t;
    if (!gmtime_r(&tt, &tm) || strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        return usage("%s '%s' is out of range", option, value);
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

static int report(rg_error *err)
{
    rg_cli_report(err);
    rg_error_clear(err);
    return RG_EXIT_ERROR;
}

#define MAX_KEYS 32

typedef struct verify_keys {
    const char *paths[MAX_KEYS];
    size_t count, threshold;
} verify_keys;

static int cmd_verify(rg_log *log, const verify_keys *keys)
{
    rg_error err = {0};
    char problem[RG_ERROR_MESSAGE_MAX];
    size_t records = 0;
    int rc = keys->count ? rg_log_verify_signed(log, keys->paths, keys->count, keys->threshold, &records, problem, &err)
                         : rg_log_verify(log, &records, problem, &err);
    if (rc < 0)
        return report(&err);
    if (rc > 0) {
        printf("broken: %s\n", problem);
        return 1;
    }
    printf("whole: %zu record%s chained%s\n", records, records == 1 ? "" : "s",
           keys->count ? ", every decision signed" : "");
    return 0;
}

/* Standard input (a pipe, which the file store refuses to read as a log) copied into
 * an unlinked-on-return temporary file, so that "-" imports like a file.  Returns 0
 * with the file's name in TMP, or -1 with a message printed. */
static int stdin_to_file(char *tmp, size_t size)
{
    const char *dir = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char buf[65536];
    ssize_t n;
    int fd;
    snprintf(tmp, size, "%s/relgate-import-XXXXXX", dir);
    if ((fd = mkstemp(tmp)) < 0) {
        fprintf(stderr, "relgate: error: cannot make a temporary file in %s: %s\n", dir, strerror(errno));
        return -1;
    }
    while ((n = read(STDIN_FILENO, buf, sizeof buf)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || rg_write_all(fd, buf, (size_t)n) != 0) {
            fprintf(stderr, "relgate: error: cannot copy standard input to %s: %s\n", tmp, strerror(errno));
            close(fd);
            unlink(tmp);
            return -1;
        }
    }
    close(fd);
    return 0;
}

static int cmd_import(rg_log *log, const char *file)
{
    rg_error err = {0};
    char tmp[4096] = "";
    rg_log *from;
    long copied;
    if (strcmp(file, "-") == 0) {
        if (rg_cli_stream_closed(STDIN_FILENO)) {
            fprintf(stderr, "relgate: error: history import -: standard input is closed: nothing to import\n");
            return RG_EXIT_ERROR;
        }
        if (stdin_to_file(tmp, sizeof tmp) != 0)
            return RG_EXIT_ERROR;
        file = tmp;
    }
    from = rg_log_open(file, 0, &err);
    if (!from) {
        if (tmp[0])
            unlink(tmp);
        return report(&err);
    }
    copied = rg_log_import(from, log, &err);
    rg_log_close(from);
    if (tmp[0])
        unlink(tmp);
    if (copied < 0)
        return report(&err);
    fprintf(stderr, "relgate: imported %ld record%s into %s\n", copied, copied == 1 ? "" : "s", rg_log_name(log));
    return 0;
}

static int cmd_last_good(rg_log *log, const filter *f)
{
    rg_error err = {0};
    char *text = rg_log_last_good_in(log, f->release, f->environment, NULL, &err);
    cJSON *good = text ? cJSON_Parse(text) : NULL;
    const char *version;
    free(text);
    if (text && !good)
        rg_fail(&err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory reading %s", rg_log_name(log));
    if (!good) {
        if (err.kind != RG_ERROR_NONE)
            return report(&err);
        fprintf(stderr, "relgate: no passed post-deploy gate of %s%s%s in %s\n", f->release,
                f->environment ? " in environment " : "", f->environment ? f->environment : "", rg_log_name(log));
        return 1;
    }
    version = rg_json_string(cJSON_GetObjectItemCaseSensitive(good, "release"), "version");
    if (f->json) {
        cJSON *o = cJSON_CreateObject();
        char *out;
        cJSON_AddStringToObject(o, "release", f->release);
        if (f->environment)
            cJSON_AddStringToObject(o, "environment", f->environment);
        cJSON_AddStringToObject(o, "version", version ? version : "");
        cJSON_AddItemToObject(o, "evaluated_at", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(good, "evaluated_at"), 1));
        cJSON_AddItemToObject(o, "decision", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(good, "decision"), 1));
        out = rg_json_print_pretty(o);
        if (out) fputs(out, stdout);
        free(out);
        cJSON_Delete(o);
    } else {
        printf("%s\n", version ? version : "");
    }
    cJSON_Delete(good);
    return 0;
}

static int cmd_list(rg_log *log, filter *f, const rg_log_query *q)
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

enum { OPT_LOG, OPT_RELEASE, OPT_ENVIRONMENT, OPT_STAGE, OPT_DECISION, OPT_SINCE, OPT_UNTIL, OPT_FORMAT,
       OPT_PUBLIC_KEY, OPT_THRESHOLD };

static const rg_option HISTORY_OPTIONS[] = {
    {"--log", NULL, "a path or URL", OPT_LOG},
    {"--release", NULL, "a release name", OPT_RELEASE},
    {"--environment", NULL, "an environment", OPT_ENVIRONMENT},
    {"--stage", NULL, "a stage", OPT_STAGE},
    {"--decision", NULL, "a value: allow, warn, deny or error", OPT_DECISION | RG_OPT_REPEATS},
    {"--since", NULL, "an RFC 3339 time", OPT_SINCE},
    {"--until", NULL, "an RFC 3339 time", OPT_UNTIL},
    {"--format", NULL, "a value: text or json", OPT_FORMAT},
    {"--public-key", NULL, "a PEM public key file", OPT_PUBLIC_KEY | RG_OPT_REPEATS},
    {"--threshold", NULL, "a number from 1 to 32", OPT_THRESHOLD},
    {NULL, NULL, NULL, 0},
};

int rg_cmd_history(int argc, char **argv)
{
    const char *url = NULL, *action = "list", *file = NULL, *v;
    filter f = {0};
    rg_log_query q = {0};
    verify_keys keys = {0};
    uint64_t n;
    char since[40], until[40], msg[256];
    rg_opt_state st;
    rg_log *log;
    rg_error err = {0};
    int id, rc;

    rg_opt_start(&st, argc, argv);
    while ((id = rg_opt_next(&st, HISTORY_OPTIONS, &v, msg, sizeof msg)) != RG_OPT_END) {
        switch (id) {
        case RG_OPT_HELP: fputs(HISTORY_USAGE, stdout); return 0;
        case RG_OPT_ERROR: return usage("%s", msg);
        case RG_OPT_POSITIONAL:
            if (st.next == 2 && (strcmp(v, "last-good") == 0 || strcmp(v, "verify") == 0 ||
                                 strcmp(v, "export") == 0 || strcmp(v, "import") == 0)) {
                action = v;
                break;
            }
            if (strcmp(action, "import") == 0 && !file) { file = v; break; }
            return usage("unknown option '%s'", v);
        case OPT_LOG: url = v; break;
        case OPT_RELEASE: f.release = v; break;
        case OPT_ENVIRONMENT: f.environment = v; break;
        case OPT_STAGE: f.stage = v; break;
        case OPT_SINCE: f.since = v; break;
        case OPT_UNTIL: f.until = v; break;
        case OPT_DECISION:
            if (!decision_bit(v)) return usage("--decision '%s' is not allow, warn, deny or error", v);
            q.decisions |= decision_bit(v);
            break;
        case OPT_PUBLIC_KEY:
            if (keys.count == MAX_KEYS)
                return usage("%s", "at most 32 --public-key options");
            keys.paths[keys.count++] = v;
            break;
        case OPT_THRESHOLD:
            if (rg_cli_parse_count(v, &n) != 0 || n > MAX_KEYS)
                return usage("--threshold '%.50s' is not a number from 1 to 32", v);
            keys.threshold = (size_t)n;
            break;
        case OPT_FORMAT:
            if (strcmp(v, "json") == 0) f.json = 1;
            else if (strcmp(v, "text") == 0) f.json = 0;
            else return usage("--format '%s' is not text or json", v);
            break;
        }
    }
    if (!url && getenv("RELGATE_LOG") && *getenv("RELGATE_LOG"))
        url = getenv("RELGATE_LOG");
    if (!url)
        return usage("%s is required (or RELGATE_LOG)", "--log");
    if (f.stage && strcmp(f.stage, "pre-release") && strcmp(f.stage, "deploy") && strcmp(f.stage, "post-deploy"))
        return usage("--stage '%s' is not pre-release, deploy or post-deploy", f.stage);
    if ((f.since && time_bound("--since", f.since, since, sizeof since) != 0) ||
        (f.until && time_bound("--until", f.until, until, sizeof until) != 0))
        return RG_EXIT_ERROR;
    if (strcmp(action, "last-good") == 0 && !f.release)
        return usage("%s is required with last-good", "--release");
    /* A filter an action does not apply is refused, never ignored: an answer for all
     * environments read as production's is a wrong rollback target. */
    if (strcmp(action, "list") != 0 && (f.stage || q.decisions || f.since || f.until))
        return usage("history %s takes no --stage, --decision, --since or --until (history lists by them)", action);
    if (strcmp(action, "list") != 0 && strcmp(action, "last-good") != 0 && (f.release || f.environment))
        return usage("history %s takes no --release or --environment (it reads the whole log)", action);
    if (strcmp(action, "import") == 0 && !file)
        return usage("%s", "import needs the FILE to import");
    if ((keys.count || keys.threshold) && strcmp(action, "verify") != 0 && strcmp(action, "last-good") != 0)
        return usage("%s", "--public-key and --threshold are for history verify and last-good");
    if (keys.threshold && !keys.count)
        return usage("%s", "--threshold needs --public-key");
    if (!(log = rg_log_open(url, strcmp(action, "import") == 0, &err)))
        return report(&err);
    if (strcmp(action, "last-good") == 0 &&
        rg_log_trust_keys(log, keys.paths, keys.count, keys.threshold, &err) != 0) {
        rg_log_close(log);
        return report(&err);
    }
    if (strcmp(action, "verify") == 0) {
        rc = cmd_verify(log, &keys);
    } else if (strcmp(action, "export") == 0) {
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
