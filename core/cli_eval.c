/* relgate eval: one decision for one release at one stage. */
#define _GNU_SOURCE 1 /* strcasestr */
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "context.h"
#include "decision.h"
#include "batch_workers.h"
#include "decision_log.h"
#include "json.h"
#include "error.h"
#include "fileio.h"
#include "render.h"
#include "rfc3339.h"
#include "strbuf.h"
#include "untrusted.h"

static const char EVAL_USAGE[] =
    "usage: relgate eval --policy PATH --context PATH [options]\n"
    "\n"
    "Evaluate the policy's requirements for the release described by the context, at\n"
    "one stage, and print the decision.\n"
    "\n"
    "  --policy PATH          policy file (.lua), or a directory of them\n"
    "  --context PATH         release context (JSON); '-' reads standard input\n"
    "  --batch PATH           many contexts, one JSON object per line ('-': standard input):\n"
    "                         the policy loads once, one compact decision per line, in order;\n"
    "                         exit code: the worst line's\n"
    "  --stage STAGE          pre-release, deploy or post-deploy\n"
    "                         (default: the context's \"stage\", else pre-release)\n"
    "  --type TYPE            patch, minor or major (overrides release.type)\n"
    "  --format FORMAT        json (default), text, markdown, junit or github\n"
    "  --no-color             no colours in text output (also: NO_COLOR set)\n"
    "  --details WHICH        all (default), failed (only results that need action) or\n"
    "                         none: which results carry their details\n"
    "  --output PATH          write the decision to PATH atomically instead of stdout\n"
    "  --now RFC3339          evaluate at this time instead of the clock\n"
    "  --fail-on-warn         exit 1 when the decision is warn\n"
    "  --log PATH             append the decision to the decision log PATH (JSON lines);\n"
    "                         at post-deploy a rollback then targets the log's last good release\n"
    "  --waivers PATH         more waivers (JSON) besides the context's \"waivers\"\n"
    "  --evidence-root DIR    evidence paths must stay inside DIR\n"
    "                         (default: the context file's directory)\n"
    "  --plugin-path DIR      look for check plugins in DIR first (repeatable)\n"
    "  -j, --jobs N           plugin checks run at once, and --batch worker processes\n"
    "                         (default: one per CPU; a batch with --log runs in one)\n"
    "  --check-timeout SECONDS  time a plugin check may take (default 30)\n"
    "  --check-memory SIZE    memory a plugin check may use (default 1G)\n"
    "  --max-memory SIZE      policy memory limit (default 64M)\n"
    "  --max-context-size SIZE  largest context document (default 16M)\n"
    "  --max-evidence-size SIZE largest evidence file a policy reads (default 1M;\n"
    "                         plugin checks: 256M)\n"
    "  --max-check-evidence-size SIZE  largest evidence file a plugin check reads\n"
    "                         (default 256M)\n"
    "  --max-json-depth N     deepest JSON nesting accepted (default 64)\n"
    "  --max-requirements N   most requirements a policy may declare (default 1000)\n"
    "  --max-instructions N   policy instruction limit (default 200000000)\n"
    "  --timeout SECONDS      policy wall-time limit (default 10)\n"
    "  -h, --help             show this help\n"
    "\n"
    "exit codes: 0 allow (warn too, unless --fail-on-warn), 1 deny, 2 error.\n"
    "With --format json an error still prints a decision {\"decision\": \"error\", ...}.\n";

#define MAX_PLUGIN_DIRS 32

typedef enum rg_format { FORMAT_JSON, FORMAT_TEXT, FORMAT_MARKDOWN, FORMAT_JUNIT, FORMAT_GITHUB } rg_format;

static int parse_format(const char *s, rg_format *out)
{
    static const char *const names[] = {"json", "text", "markdown", "junit", "github"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = (rg_format)i;
            return 0;
        }
    return -1;
}

typedef struct eval_options {
    const char *policy, *context, *output, *evidence_root, *log, *waivers, *batch;
    const char *plugin_dirs[MAX_PLUGIN_DIRS];
    size_t plugin_dir_count;
    rg_stage stage;
    rg_release_type type;
    rg_format format;
    rg_details_mode details;
    int no_color, fail_on_warn;
    int64_t now;
    rg_limits limits;
    rg_log *store;   /* --log, opened before anything is evaluated */
} eval_options;

/* ERR in the chosen format for stdout (heap), or NULL: text says it all on stderr. */
static char *render_error(const eval_options *o, const rg_error *err)
{
    switch (o->format) {
    case FORMAT_JSON: return rg_error_to_json(err, o->now);
    case FORMAT_MARKDOWN: return rg_error_to_markdown(err);
    case FORMAT_JUNIT: return rg_error_to_junit(err, o->now);
    case FORMAT_GITHUB: return rg_error_to_github(err);
    case FORMAT_TEXT: break;
    }
    return NULL;
}

/* LINE (heap) with a newline appended, or NULL (LINE freed) when out of memory. */
static char *line_with_newline(char *line)
{
    size_t n = line ? strlen(line) : 0;
    char *out = line ? realloc(line, n + 2) : NULL;
    if (!out) {
        free(line);
        return NULL;
    }
    memcpy(out + n, "\n", 2);
    return out;
}

/* ---- The watchdog ------------------------------------------------------------
 * (cli_limits.c) Prepared here in the command's output format: with --log, the
 * error's audit record too. */

static void watchdog_install(const eval_options *o)
{
    rg_error err = {0};
    rg_cli_watchdog_install(o->policy, o->limits.timeout);
    rg_cli_watchdog_limit_error(o->policy, o->limits.timeout, &err);
    if (o->log)
        rg_cli_watchdog_log(o->log, line_with_newline(rg_error_to_line(&err, o->now)));
    /* A batch's output is one JSON object per line: the error too. */
    rg_cli_watchdog_stdout(o->batch ? line_with_newline(rg_error_to_line(&err, o->now)) : render_error(o, &err));
    rg_error_clear(&err);
}

/* ---- Progress ------------------------------------------------------------------
 * One updating line on a terminal's stderr while slow checks run; nothing elsewhere. */

static double progress_started;
static int progress_shown;

static void progress_line(size_t done, size_t total, const char *slowest, double seconds)
{
    struct timespec ts;
    double now;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
    if (progress_started == 0)
        progress_started = now;
    if (done == total) {
        if (progress_shown)
            fputs("\r\033[K", stderr);
        progress_shown = 0;
        progress_started = 0;
        return;
    }
    if (now - progress_started < 1.0) /* quick gates print nothing */
        return;
    fprintf(stderr, "\r\033[Krelgate: checks %zu of %zu done", done, total);
    if (slowest) {
        rg_strbuf id = {0};
        rg_untrusted_puts(&id, slowest, RG_BREAKS_SPACE); /* a policy's requirement id */
        fprintf(stderr, ", waiting for %s (%.0f s)", id.data ? id.data : "?", seconds);
        free(id.data);
    }
    fflush(stderr);
    progress_shown = 1;
}

/* ---- Output ------------------------------------------------------------------ */

/* The audit trail records failures too (not those of the log itself): the answer is
 * an error either way, so a log that fails here is only reported. */
static void log_error(const eval_options *o, const rg_error *err, const char *line)
{
    rg_error log_err = {0};
    if (!o->store || !line || strcmp(err->file, rg_log_name(o->store)) == 0)
        return;
    if (rg_log_append(o->store, line, strlen(line), &log_err) != 0)
        rg_cli_report(&log_err);
    rg_error_clear(&log_err);
}

/* Print an error: the message on stderr, and on stdout the error in the chosen format
 * (text says it all on stderr).  Never into --output: a file there is left as it was. */
static int fail_with(const eval_options *o, const rg_error *err)
{
    char *out = NULL;
    rg_cli_report(err);
    if (err->kind != RG_ERROR_USAGE) {
        char *line = rg_error_to_line(err, o->now);
        log_error(o, err, line);
        free(line);
    }
    out = render_error(o, err);
    if (out) {
        rg_cli_write_stdout(out, strlen(out));
        free(out);
    }
    return RG_EXIT_ERROR;
}

/* Colours only for a terminal that wants them; marks only where UTF-8 shows. */
static rg_text_style text_style(const eval_options *o)
{
    rg_text_style st;
    const char *locale = getenv("LC_ALL");
    if (!locale || !*locale) locale = getenv("LC_CTYPE");
    if (!locale || !*locale) locale = getenv("LANG");
    st.color = !o->no_color && !o->output && isatty(STDOUT_FILENO) &&
               !(getenv("NO_COLOR") && *getenv("NO_COLOR")) &&
               !(getenv("TERM") && strcmp(getenv("TERM"), "dumb") == 0);
    st.utf8 = locale && (strcasestr(locale, "utf-8") || strcasestr(locale, "utf8"));
    return st;
}

static int usage_error(const eval_options *o, const char *fmt, ...) RG_PRINTF(2, 3);

static int usage_error(const eval_options *o, const char *fmt, ...)
{
    rg_error err = {0};
    char msg[RG_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    rg_fail(&err, RG_ERROR_USAGE, NULL, 0, 0, "%s (see relgate eval --help)", msg);
    return fail_with(o, &err);
}

/* ---- Arguments ---------------------------------------------------------------- */

/* Match "--name VALUE" or "--name=VALUE" at argv[*i]; sets *VALUE (NULL when the value
 * is missing).  Returns 1 on a match. */
static int option_value(int argc, char **argv, int *i, const char *name, const char **value)
{
    size_t n = strlen(name);
    const char *arg = argv[*i];
    if (strncmp(arg, name, n) != 0)
        return 0;
    if (arg[n] == '=') {
        *value = arg + n + 1;
        return 1;
    }
    if (arg[n] != '\0')
        return 0;
    *value = *i + 1 < argc ? argv[++*i] : NULL;
    return 1;
}

/* Parse ARGV into O.  Returns -1 to continue, or an exit code. */
static int parse_args(int argc, char **argv, eval_options *o)
{
    const char *v, *why;
    int64_t t;

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            fputs(EVAL_USAGE, stdout);
            return 0;
        } else if (strcmp(arg, "--fail-on-warn") == 0) {
            o->fail_on_warn = 1;
        } else if (option_value(argc, argv, &i, "--details", &v)) {
            if (v && strcmp(v, "all") == 0) o->details = RG_DETAILS_ALL;
            else if (v && strcmp(v, "failed") == 0) o->details = RG_DETAILS_FAILED;
            else if (v && strcmp(v, "none") == 0) o->details = RG_DETAILS_NONE;
            else return usage_error(o, "--details '%s' is not all, failed or none", v ? v : "");
        } else if (strcmp(arg, "--no-color") == 0 || strcmp(arg, "--no-colour") == 0) {
            o->no_color = 1;
        } else if (option_value(argc, argv, &i, "--format", &v)) {
            if (!v) return usage_error(o, "%s needs a value: json, text, markdown, junit or github", arg);
            if (parse_format(v, &o->format) != 0)
                return usage_error(o, "--format '%s' is not json, text, markdown, junit or github", v);
        } else if (option_value(argc, argv, &i, "--policy", &v)) {
            if (!v || !*v) return usage_error(o, "%s needs a path", "--policy");
            o->policy = v;
        } else if (option_value(argc, argv, &i, "--context", &v)) {
            if (!v || !*v) return usage_error(o, "%s needs a path (or - for standard input)", "--context");
            o->context = v;
        } else if (option_value(argc, argv, &i, "--batch", &v)) {
            if (!v || !*v) return usage_error(o, "%s needs a path (or - for standard input)", "--batch");
            o->batch = v;
        } else if (option_value(argc, argv, &i, "--output", &v)) {
            if (!v || !*v) return usage_error(o, "%s needs a path", "--output");
            o->output = v;
        } else if (option_value(argc, argv, &i, "--evidence-root", &v)) {
            if (!v || !*v) return usage_error(o, "%s needs a directory", "--evidence-root");
            o->evidence_root = v;
        } else if (option_value(argc, argv, &i, "--stage", &v)) {
            if (!v || (o->stage = rg_stage_parse(v)) == RG_STAGE_UNSET)
                return usage_error(o, "--stage '%s' is not pre-release, deploy or post-deploy", v ? v : "");
        } else if (option_value(argc, argv, &i, "--type", &v)) {
            if (!v || (o->type = rg_release_type_parse(v)) == RG_TYPE_UNSET)
                return usage_error(o, "--type '%s' is not patch, minor or major", v ? v : "");
        } else if (option_value(argc, argv, &i, "--now", &v)) {
            if (!v) return usage_error(o, "%s needs an RFC 3339 time such as 2025-06-10T09:00:00Z", "--now");
            if (rg_rfc3339_parse(v, &t, &why) != 0)
                return usage_error(o, "--now '%s' is not an RFC 3339 time such as 2025-06-10T09:00:00Z", v);
            {
                char utc[RG_RFC3339_BUFSIZE];
                if (rg_rfc3339_format(t, utc, sizeof utc) != 0)
                    return usage_error(o, "--now '%s' is outside the years 0000 to 9999 in UTC", v);
            }
            o->now = t;
        } else if (option_value(argc, argv, &i, "--max-memory", &v)) {
            if (rg_cli_parse_size(v, &o->limits.max_memory) != 0 || o->limits.max_memory < (1u << 20))
                return usage_error(o, "--max-memory '%s' is not a size of at least 1M, such as 64M", v ? v : "");
        } else if (option_value(argc, argv, &i, "--max-context-size", &v)) {
            if (rg_cli_parse_size(v, &o->limits.max_context_bytes) != 0)
                return usage_error(o, "--max-context-size '%s' is not a size such as 16M", v ? v : "");
        } else if (option_value(argc, argv, &i, "--max-evidence-size", &v)) {
            if (rg_cli_parse_size(v, &o->limits.max_evidence_bytes) != 0)
                return usage_error(o, "--max-evidence-size '%s' is not a size such as 1M", v ? v : "");
        } else if (option_value(argc, argv, &i, "--max-check-evidence-size", &v)) {
            if (rg_cli_parse_size(v, &o->limits.max_check_evidence_bytes) != 0)
                return usage_error(o, "--max-check-evidence-size '%s' is not a size such as 256M", v ? v : "");
        } else if (option_value(argc, argv, &i, "--max-json-depth", &v)) {
            uint64_t n;
            if (rg_cli_parse_count(v, &n) != 0 || n > 1000) /* cJSON itself stops at 1000 */
                return usage_error(o, "--max-json-depth '%s' is not a number from 1 to 1000", v ? v : "");
            o->limits.max_json_depth = (int)n;
        } else if (option_value(argc, argv, &i, "--max-requirements", &v)) {
            uint64_t n;
            if (rg_cli_parse_count(v, &n) != 0 || n > 1000000)
                return usage_error(o, "--max-requirements '%s' is not a number from 1 to 1000000", v ? v : "");
            o->limits.max_requirements = (int)n;
        } else if (option_value(argc, argv, &i, "--max-instructions", &v)) {
            if (rg_cli_parse_count(v, &o->limits.max_instructions) != 0)
                return usage_error(o, "--max-instructions '%s' is not a positive whole number", v ? v : "");
        } else if (option_value(argc, argv, &i, "--timeout", &v)) {
            if (rg_cli_parse_seconds(v, &o->limits.timeout) != 0)
                return usage_error(o, "--timeout '%s' is not a number of seconds between 0 and 86400", v ? v : "");
        } else if (option_value(argc, argv, &i, "--plugin-path", &v)) {
            if (!v || !*v) return usage_error(o, "%s needs a directory", "--plugin-path");
            if (o->plugin_dir_count == MAX_PLUGIN_DIRS)
                return usage_error(o, "at most %d --plugin-path options", MAX_PLUGIN_DIRS);
            o->plugin_dirs[o->plugin_dir_count++] = v;
        } else if (option_value(argc, argv, &i, "--jobs", &v) || option_value(argc, argv, &i, "-j", &v)) {
            uint64_t n;
            if (rg_cli_parse_count(v, &n) != 0 || n > 256)
                return usage_error(o, "--jobs '%s' is not a number from 1 to 256", v ? v : "");
            o->limits.jobs = (int)n;
        } else if (option_value(argc, argv, &i, "--check-timeout", &v)) {
            if (rg_cli_parse_seconds(v, &o->limits.check_timeout) != 0)
                return usage_error(o, "--check-timeout '%s' is not a number of seconds between 0 and 86400", v ? v : "");
        } else if (option_value(argc, argv, &i, "--check-memory", &v)) {
            if (rg_cli_parse_size(v, &o->limits.check_memory) != 0 || o->limits.check_memory < (16u << 20))
                return usage_error(o, "--check-memory '%s' is not a size of at least 16M", v ? v : "");
        } else if (option_value(argc, argv, &i, "--waivers", &v)) {
            if (!v || !*v) return usage_error(o, "%s needs a path", "--waivers");
            o->waivers = v;
        } else if (option_value(argc, argv, &i, "--log", &v)) {
            if (!v || !*v) return usage_error(o, "%s needs a path or URL", "--log");
            o->log = v;
        } else {
            return usage_error(o, "unknown option '%s'", arg);
        }
    }
    if (!o->log && getenv("RELGATE_LOG") && *getenv("RELGATE_LOG"))
        o->log = getenv("RELGATE_LOG");
    if (!o->policy)
        return usage_error(o, "%s is required", "--policy");
    if (o->context && o->batch)
        return usage_error(o, "%s", "give --context or --batch, not both");
    if (!o->context && !o->batch)
        return usage_error(o, "%s is required (or --batch)", "--context");
    if (o->waivers && strcmp(o->waivers, "-") == 0 &&
        ((o->context && strcmp(o->context, "-") == 0) || (o->batch && strcmp(o->batch, "-") == 0)))
        return usage_error(o, "%s", "--waivers - and the context cannot both read standard input");
    if (o->batch && o->format != FORMAT_JSON)
        return usage_error(o, "%s", "--batch writes JSON lines: --format must be json");
    return -1;
}

/* ---- The decision log ------------------------------------------------------------- */

/* Append the decision; the gate does not answer without its audit record. */
static int log_decision(const eval_options *o, const rg_decision *d, rg_error *err)
{
    rg_strbuf line = {0};
    int rc;
    rg_decision_write(d, &line, 0);
    if (line.failed)
        return rg_fail(err, RG_ERROR_INTERNAL, rg_log_name(o->store), 0, 0, "out of memory writing the decision log");
    rc = rg_log_append(o->store, line.data, line.len, err);
    free(rg_strbuf_finish(&line));
    if (rc != 0) {
        char msg[RG_ERROR_MESSAGE_MAX];
        snprintf(msg, sizeof msg, "%.900s; no decision without its audit record", err->message);
        rg_strlcpy(err->message, msg, sizeof err->message);
    }
    return rc;
}

/* At post-deploy, roll back to what the log last saw pass post-deploy. */
static void rollback_from_log(const eval_options *o, rg_decision *d, const rg_context *ctx)
{
    rg_error err = {0};
    cJSON *good = rg_log_last_good(o->store, ctx->name, ctx->version, &err);
    char source[3 * RG_ERROR_MESSAGE_MAX];
    if (good) {
        const char *version = rg_json_string(cJSON_GetObjectItemCaseSensitive(good, "release"), "version");
        const char *when = rg_json_string(good, "evaluated_at");
        snprintf(source, sizeof source, "decision log %s: last post-deploy %s of %s, at %s", rg_log_name(o->store),
                 rg_json_string(good, "decision"), ctx->name, when ? when : "?");
        rg_decision_set_rollback(d, version, source);
        cJSON_Delete(good);
    } else {
        snprintf(source, sizeof source, "context: release.previous_version (decision log %s has no passed post-deploy gate of %s%s%s)",
                 rg_log_name(o->store), ctx->name, err.kind ? ": " : "", err.kind ? err.message : "");
        rg_decision_set_rollback(d, ctx->previous_version, source);
    }
    rg_error_clear(&err);
}

/* ---- Batch ------------------------------------------------------------------------- */

/* One JSON line for a context that could not be evaluated. */
static void batch_error(rg_strbuf *out, const eval_options *o, const rg_error *err, const char *batch,
                        long lineno, rg_strbuf *pending_log)
{
    rg_error e = *err;
    char *json, prefix[RG_ERROR_FILE_MAX + 8];
    e.traceback = NULL;
    /* The document is one line: its line 1 is the batch file's line LINENO. */
    snprintf(prefix, sizeof prefix, "%s:1:", batch);
    if (strncmp(e.message, prefix, strlen(prefix)) == 0) {
        char msg[RG_ERROR_MESSAGE_MAX];
        snprintf(msg, sizeof msg, "%s:%ld:%s", batch, lineno, e.message + strlen(prefix));
        rg_strlcpy(e.message, msg, sizeof e.message);
    }
    if (strcmp(e.file, batch) == 0 && e.line <= 1)
        e.line = (int)lineno;
    {
        char at[RG_ERROR_FILE_MAX + 32], msg[2 * RG_ERROR_MESSAGE_MAX];
        size_t n = strlen(batch);
        snprintf(at, sizeof at, "%.900s:%ld:", batch, lineno);
        if (!strstr(e.message, at)) {
            const char *rest = strncmp(e.message, batch, n) == 0 && e.message[n] == ':' ? e.message + n + 1 : e.message;
            while (*rest == ' ') rest++;
            if ((size_t)snprintf(msg, sizeof msg, "%s %s", at, rest) < sizeof msg)
                rg_strlcpy(e.message, msg, sizeof e.message);
        }
    }
    rg_cli_report(&e);
    json = rg_error_to_line(&e, o->now);
    if (json) {
        rg_strbuf_puts(out, json);
        rg_strbuf_puts(out, "\n");
        if (pending_log) {
            rg_strbuf_puts(pending_log, json);
            rg_strbuf_puts(pending_log, "\n");
        } else {
            log_error(o, &e, json);
        }
    }
    free(json);
}

/* Flush OUT to stdout once it is large: a batch of 10,000 decisions is megabytes. */
static int batch_flush(rg_strbuf *out, const eval_options *o, int force)
{
    if (o->output || out->failed || (!force && out->len < (1u << 16)))
        return out->failed ? -1 : 0;
    if (rg_cli_write_stdout(out->data ? out->data : "", out->len) != 0)
        return -1;
    out->len = 0;
    if (out->data)
        out->data[0] = '\0';
    return 0;
}

/* The batch input: standard input, or a regular file (a FIFO or a directory would hang
 * or read as empty). */
static FILE *open_batch(const char *path, rg_error *err)
{
    struct stat st;
    int fd;
    FILE *f;
    if (strcmp(path, "-") == 0)
        return stdin;
    fd = rg_open_regular(path, O_RDONLY, &st);
    if (fd == RG_OPEN_FAILED) {
        rg_fail(err, RG_ERROR_IO, path, 0, 0, "cannot read batch %s: %s", path, strerror(errno));
        return NULL;
    }
    if (fd == RG_OPEN_NOT_FILE) {
        rg_fail(err, RG_ERROR_IO, path, 0, 0, "batch %s is %s, not a file", path, rg_file_kind(st.st_mode));
        return NULL;
    }
    if (!(f = fdopen(fd, "r"))) {
        close(fd);
        rg_fail(err, RG_ERROR_IO, path, 0, 0, "cannot read batch %s: %s", path, strerror(errno));
    }
    return f;
}

/* End a batch on an error that stops it (the log, the input or the output failed): the
 * error on stderr and as the last JSON line on stdout (with --output, the only one: the
 * file is not written). */
static int batch_stop(rg_strbuf *out, const eval_options *o, const rg_error *err)
{
    rg_cli_report(err);
    if (o->output) {
        out->len = 0;
        if (out->data) out->data[0] = '\0';
    }
    {
        char *line = rg_error_to_line(err, o->now);
        if (line) {
            rg_strbuf_puts(out, line);
            rg_strbuf_puts(out, "\n");
            log_error(o, err, line);
        }
        free(line);
        if (out->len)
            rg_cli_write_stdout(out->data, out->len);
        out->len = 0;
    }
    return RG_EXIT_ERROR;
}

/* One batch run: the policy and what every line shares. */
typedef struct batch_run {
    const eval_options *o;
    rg_policy *pol;
    rg_context_options bopt;
    const char *display;
    rg_strbuf out, pending_log;
    rg_error stop;           /* why the batch must stop (kind set) */
    int worst;
    int write_failed;        /* standard output could not be written: the batch stopped */
} batch_run;

/* Evaluate the context on line LINENO; its decision (or error decision) goes to OUT,
 * and to the decision log.  Returns the line's exit code.  When the batch cannot go on
 * (the log or memory failed), B->stop says why and nothing was added to OUT. */
static int batch_line(batch_run *b, long lineno, char *line, size_t n, rg_strbuf *out)
{
    const eval_options *o = b->o;
    rg_error err;
    rg_context *ctx;
    rg_decision *d = NULL;
    int code;

    rg_error_init(&err);
    ctx = rg_context_parse(line, n, b->display, o->batch, &b->bopt, &err);
    if (ctx)
        d = rg_evaluate(b->pol, ctx, &err);
    if (d)
        rg_decision_set_details(d, o->details);
    if (d && o->log && rg_decision_verdict(d) == RG_VERDICT_DENY && ctx->stage == RG_STAGE_POST_DEPLOY)
        rollback_from_log(o, d, ctx);
    if (d) {
        /* Written straight into the output; the log takes the same bytes. */
        size_t at = out->len;
        rg_decision_write(d, out, 0);
        if (out->failed) {
            out->failed = 0;     /* the buffer holds the lines before this one */
            out->len = at;
            if (out->data) out->data[at] = '\0';
            rg_fail(&b->stop, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory writing a decision");
        } else if (o->log && o->output) {
            /* Logged all at once, just before the output file is put in place. */
            rg_strbuf_add(&b->pending_log, out->data + at, out->len - at);
            rg_strbuf_add(&b->pending_log, "\n", 1);
        } else if (o->log && rg_log_append(o->store, out->data + at, out->len - at, &b->stop) != 0) {
            /* No decision without its audit record: the batch stops here. */
            out->len = at;
        }
        if (b->stop.kind == RG_ERROR_NONE)
            rg_strbuf_add(out, "\n", 1);
    }
    code = d ? rg_verdict_exit_code(rg_decision_verdict(d), o->fail_on_warn) : RG_EXIT_ERROR;
    if (!d && b->stop.kind == RG_ERROR_NONE)
        batch_error(out, o, &err, b->display, lineno, o->output ? &b->pending_log : NULL);
    rg_decision_free(d);
    rg_context_free(ctx);
    rg_error_clear(&err);
    return code;
}

/* ---- The batch in worker processes -------------------------------------------------- */

static int worker_eval_line(void *arg, long lineno, char *line, size_t len, rg_strbuf *out)
{
    batch_run *b = arg;
    int code = batch_line(b, lineno, line, len, out);
    if (b->stop.kind != RG_ERROR_NONE)
        out->failed = 1;     /* the worker ends; the parent reports its lines as lost */
    return code;
}

/* A worker's watchdog writes nothing to the shared output: it ends the worker with a
 * status the parent turns into error lines, in order, for the lines it had. */
static void worker_start(void *arg)
{
    (void)arg;
    rg_cli_watchdog_stdout(NULL);
    rg_cli_watchdog_exit_code(RG_BATCH_EXIT_TIMEOUT);
}

static int worker_take(void *arg, long lineno, int code, const char *text, size_t len)
{
    batch_run *b = arg;
    (void)lineno;
    rg_strbuf_add(&b->out, text, len);
    if (code > b->worst)
        b->worst = code;
    if (batch_flush(&b->out, b->o, 0) != 0)
        b->write_failed = 1;
    return b->write_failed;
}

static int worker_lost(void *arg, long lineno, const char *why, rg_strbuf *out)
{
    batch_run *b = arg;
    rg_error err;
    rg_error_init(&err);
    rg_fail(&err, RG_ERROR_INTERNAL, b->o->batch, (int)lineno, 0, "%s:%ld: not evaluated: %s", b->display,
            lineno, why);
    batch_error(out, b->o, &err, b->display, lineno, NULL);
    return RG_EXIT_ERROR;
}

/* How many worker processes: --jobs (one per CPU unless given); one, so no workers,
 * when the decision log is written, since its records and the post-deploy rollback
 * lookups follow the input order. */
static int batch_workers(const eval_options *o)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (o->log)
        return 1;
    return o->limits.jobs > 0 ? o->limits.jobs : (int)(cpus > 0 ? cpus : 1);
}

static int run_batch(const eval_options *o, const rg_context_options *copt)
{
    rg_error err = {0};
    rg_plugins *plugins = NULL;
    cJSON *waivers = NULL;
    FILE *in = NULL;
    char *line = NULL, tmp[PATH_MAX];
    size_t cap = 0;
    ssize_t n;
    long lineno = 0, contexts = 0;
    int stopped = 0, done = 0, read_failed = 0, workers;
    batch_run b = {0};

    b.o = o;
    b.bopt = *copt;
    b.display = strcmp(o->batch, "-") == 0 ? "<stdin>" : o->batch;
    rg_error_init(&b.stop);
    /* The waivers file is read once for the whole batch. */
    if (o->waivers && rg_waivers_read(o->waivers, &o->limits, &waivers, &err) != 0)
        return fail_with(o, &err);
    b.bopt.waivers = NULL;
    b.bopt.waiver_list = waivers;
    b.bopt.waiver_list_name = o->waivers;
    plugins = rg_plugins_load(o->plugin_dirs, o->plugin_dir_count, 1, &err);
    b.pol = plugins ? rg_policy_load_with_plugins(o->policy, &o->limits, o->now, plugins, &err) : NULL;
    if (b.pol)
        in = open_batch(o->batch, &err);
    if (!in) {
        int code = fail_with(o, &err);
        rg_error_clear(&err);   /* its traceback */
        rg_policy_free(b.pol);
        rg_plugins_free(plugins);
        cJSON_Delete(waivers);
        return code;
    }
    rg_policy_reuse_check_results(b.pol, 1);
    setvbuf(in, NULL, _IOFBF, 1 << 20);   /* a batch is megabytes: read it in large blocks */
    b.bopt.paths = rg_path_cache_new();   /* NULL (out of memory): resolved each time */
    workers = batch_workers(o);
    if (workers > 1) {
        rg_batch_work work = {worker_eval_line, worker_take, worker_lost, worker_start, &b};
        void (*was)(int) = signal(SIGPIPE, SIG_IGN);   /* a dead worker's pipe is an error, not a signal */
        long got = rg_batch_run_workers(in, workers, &work);
        signal(SIGPIPE, was);
        if (got == RG_BATCH_STOPPED) {
            stopped = 1;
        } else if (got == RG_BATCH_READ_FAILED) {
            read_failed = 1;
        } else if (got >= 0) {
            contexts = got;
            done = 1;
        }   /* RG_BATCH_NO_WORKERS: the loop below, in this process */
    }
    if (!o->output)
        rg_cli_watchdog_pending(&b.out);   /* written before the watchdog's error line */
    while (!done && !read_failed && !stopped && (n = getline(&line, &cap, in)) >= 0) {
        int code;
        lineno++;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (n == 0)
            continue;
        contexts++;
        code = batch_line(&b, lineno, line, (size_t)n, &b.out);
        if (b.stop.kind != RG_ERROR_NONE) {
            b.worst = batch_stop(&b.out, o, &b.stop);
            stopped = 1;
            break;
        }
        if (code > b.worst)
            b.worst = code;
        /* With --log, each line out as soon as it is logged: a watchdog exit then loses
         * nothing the log already holds. */
        if (batch_flush(&b.out, o, o->log != NULL) != 0) {
            b.write_failed = 1;
            stopped = 1;
        }
    }
    if (!stopped && (read_failed || ferror(in))) {
        rg_fail(&err, RG_ERROR_IO, o->batch, 0, 0, "cannot read batch %s: %s", b.display, strerror(errno));
        b.worst = batch_stop(&b.out, o, &err);
        stopped = 1;
    }
    if (!stopped && contexts == 0) {
        rg_fail(&err, RG_ERROR_CONTEXT, o->batch, 0, 0, "batch %s holds no contexts: nothing was evaluated",
                b.display);
        b.worst = batch_stop(&b.out, o, &err);
        stopped = 1;
    }
    free(line);
    if (in != stdin)
        fclose(in);
    if (!stopped && o->output) {
        /* The file is written, then the audit record, then the file is put in place. */
        if (b.out.failed || rg_atomic_prepare(o->output, b.out.data ? b.out.data : "", b.out.len, tmp, &err) != 0) {
            if (b.out.failed)
                rg_fail(&err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory collecting the decisions");
            b.worst = batch_stop(&b.out, o, &err);
        } else if (b.pending_log.failed) {
            rg_fail(&err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory collecting the decision log's records");
            rg_atomic_abort(tmp);
            b.worst = batch_stop(&b.out, o, &err);
        } else if (o->log && b.pending_log.len &&
                   rg_log_append_lines(o->store, b.pending_log.data, b.pending_log.len, &err) != 0) {
            rg_atomic_abort(tmp);
            b.worst = batch_stop(&b.out, o, &err);
        } else if (rg_atomic_commit(tmp, o->output, &err) != 0) {
            b.worst = batch_stop(&b.out, o, &err);
        }
    } else if (!stopped && batch_flush(&b.out, o, 1) != 0) {
        b.write_failed = 1;
    }
    if (b.write_failed) {
        /* Never an answer that was not written: the batch is an error. */
        fprintf(stderr, "relgate: error: cannot write the decisions to standard output: %s\n", strerror(errno));
        b.worst = RG_EXIT_ERROR;
    }
    rg_cli_watchdog_pending(NULL);
    free(rg_strbuf_finish(&b.out));
    free(rg_strbuf_finish(&b.pending_log));
    rg_error_clear(&err);
    rg_error_clear(&b.stop);
    rg_policy_free(b.pol);
    rg_plugins_free(plugins);
    rg_path_cache_free(b.bopt.paths);
    cJSON_Delete(waivers);
    return b.worst;
}

/* ---- The command ---------------------------------------------------------------- */

int rg_cmd_eval(int argc, char **argv)
{
    eval_options o;
    rg_context_options copt;
    rg_error err = {0};
    rg_context *ctx = NULL;
    rg_policy *pol = NULL;
    rg_plugins *plugins = NULL;
    rg_decision *d = NULL;
    char *out = NULL, tmp[PATH_MAX];
    int rc;

    memset(&o, 0, sizeof o);
    o.limits = rg_limits_default();
    o.now = (int64_t)time(NULL);
    rc = parse_args(argc, argv, &o);
    if (rc >= 0)
        return rc;
    /* The store first: nothing is evaluated that could not be recorded. */
    if (o.log && !(o.store = rg_log_open(o.log, 1, &err))) {
        rc = fail_with(&o, &err);
        rg_error_clear(&err);
        return rc;
    }

    watchdog_install(&o);
    if (isatty(STDERR_FILENO) && !(getenv("TERM") && strcmp(getenv("TERM"), "dumb") == 0))
        rg_set_progress(progress_line);
    memset(&copt, 0, sizeof copt);
    copt.stage = o.stage;
    copt.type = o.type;
    copt.evidence_root = o.evidence_root;
    copt.waivers = o.waivers;
    copt.limits = &o.limits;
    if (o.batch) {
        rc = run_batch(&o, &copt);
        rg_cli_watchdog_remove();
        rg_set_progress(NULL);
        rg_log_close(o.store);
        return rc;
    }
    ctx = rg_context_load(o.context, &copt, &err);
    if (ctx)
        plugins = rg_plugins_load(o.plugin_dirs, o.plugin_dir_count, 1, &err);
    if (plugins)
        pol = rg_policy_load_with_plugins(o.policy, &o.limits, o.now, plugins, &err);
    if (pol)
        d = rg_evaluate(pol, ctx, &err);
    if (d)
        rg_decision_set_details(d, o.details);
    rg_cli_watchdog_remove();
    rg_set_progress(NULL);
    if (!d) {
        rc = fail_with(&o, &err);
        goto done;
    }
    if (o.log && rg_decision_verdict(d) == RG_VERDICT_DENY && ctx->stage == RG_STAGE_POST_DEPLOY)
        rollback_from_log(&o, d, ctx);
    switch (o.format) {
    case FORMAT_JSON: out = rg_decision_to_json(d); break;
    case FORMAT_TEXT: {
        rg_text_style st = text_style(&o);
        out = rg_decision_to_text(d, &st);
        break;
    }
    case FORMAT_MARKDOWN: out = rg_decision_to_markdown(d); break;
    case FORMAT_JUNIT: out = rg_decision_to_junit(d); break;
    case FORMAT_GITHUB: out = rg_decision_to_github(d); break;
    }
    if (!out) {
        rg_fail(&err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory writing the decision");
        rc = fail_with(&o, &err);
        goto done;
    }
    /* Order: the output file is written but not yet in place; then the audit record;
     * only then is the output published.  Whatever fails, the log and the answer agree. */
    if (o.output && rg_atomic_prepare(o.output, out, strlen(out), tmp, &err) != 0) {
        rc = fail_with(&o, &err);
        goto done;
    }
    if (o.log && log_decision(&o, d, &err) != 0) {
        if (o.output)
            rg_atomic_abort(tmp);
        rc = fail_with(&o, &err);
        goto done;
    }
    if (o.output) {
        if (rg_atomic_commit(tmp, o.output, &err) != 0) {
            rg_cli_report(&err); /* logged as decided; the file could not be put in place */
            rc = RG_EXIT_ERROR;
            goto done;
        }
    } else if (rg_cli_write_stdout(out, strlen(out)) != 0) {
        perror("relgate: error: cannot write the decision to standard output");
        rc = RG_EXIT_ERROR;
        goto done;
    }
    rc = rg_verdict_exit_code(rg_decision_verdict(d), o.fail_on_warn);
done:
    free(out);
    rg_decision_free(d);
    rg_policy_free(pol);
    rg_plugins_free(plugins);
    rg_context_free(ctx);
    rg_log_close(o.store);
    rg_error_clear(&err);
    return rc;
}
