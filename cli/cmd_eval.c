/* relgate eval: one decision for one release at one stage. */
#define _GNU_SOURCE 1 /* strcasestr */
#include <dlfcn.h>
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

#include <cjson/cJSON.h>

#include "eval.h"
#include "error.h"
#include "fileio.h"
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
    "  --format FMT[=PATH]    json (default), text, markdown, junit or github; repeatable:\n"
    "                         FMT=PATH writes that rendering of the same decision to PATH\n"
    "                         (an error's too), FMT alone is standard output's (json when\n"
    "                         none is given)\n"
    "  --color WHEN           colours in text: auto (default), always or never; auto follows\n"
    "                         NO_COLOR, then FORCE_COLOR / CLICOLOR_FORCE, then the terminal\n"
    "  --no-color             --color never\n"
    "  --details WHICH        all (default), failed (only results that need action) or\n"
    "                         none: which results carry their details\n"
    "  --output PATH          write the decision to PATH atomically instead of stdout\n"
    "  --now RFC3339          evaluate at this time instead of the clock\n"
    "  --fail-on-warn         exit 1 when the decision is warn\n"
    "  --log URL              record the decision in the decision log URL: a path (JSON\n"
    "                         lines), sqlite:PATH or postgresql://... (also: RELGATE_LOG);\n"
    "                         at post-deploy a rollback then targets the log's last good release\n"
    "  --attest PATH          also sign the decision: append a DSSE envelope (an in-toto\n"
    "                         statement with a SLSA verification summary) to PATH;\n"
    "                         needs --signing-key and release.artifacts in the context\n"
    "  --signing-key KEY      the private key that signs: a PKCS#8 PEM file, ECDSA P-256\n"
    "                         or Ed25519, readable by its owner only\n"
    "  --verifier-id URI      the verifier the attestation names\n"
    "                         (default " RG_ATTEST_DEFAULT_VERIFIER ")\n"
    "  --resource-uri URI     the resource it is about (default: release.resource_uri,\n"
    "                         else pkg:generic/NAME@VERSION)\n"
    "  --waivers PATH         more waivers (JSON) besides the context's \"waivers\"\n"
    "  --evidence-root DIR    evidence paths must stay inside DIR\n"
    "                         (default: the context file's directory)\n"
    "  --save-evidence DIR    write what the checks read (live sources' pages too) and\n"
    "                         DIR/context.json naming it: eval --context DIR/context.json\n"
    "                         replays the decision offline\n"
    "  --plugin-path DIR      look for check plugins in DIR first (repeatable)\n"
    "  --policy-path DIR      where extends and require look after the policy's own\n"
    "                         directory (repeatable, before RELGATE_POLICY_PATH)\n"
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
    "With --format json an error still prints a decision {\"decision\": \"error\", ...}.\n"
    "More: man relgate; " RG_DOC_DIR "/ci.md (CI templates, formats, exit codes).\n";


/* ERR in the chosen format for stdout (heap), or NULL: text says it all on stderr. */
char *rg_eval_error_line(const rg_error *err, int64_t now)
{
    return rg_error_render(err, RG_FORMAT_LINE, now);
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

/* An error before or outside the lines: in the format asked for, or with --batch one
 * compact line, so that everything a batch writes on standard output is JSON lines. */
static char *render_error(const eval_options *o, const rg_error *err)
{
    if (o->batch)
        return line_with_newline(rg_eval_error_line(err, o->now));
    return rg_error_render(err, o->format, o->now);
}

/* ---- A batch's allocator -------------------------------------------------------
 *
 * Lua allocates and frees small objects by the thousand for every line of a batch, and
 * runs ~8 % faster on mimalloc than on the C library's malloc (10k batch at -j 2, CPU).
 * Linked in as the process's malloc, though, mimalloc cost every single decision ~1 ms
 * of start-up and a fresh page for each size class it touched (cold decision: 438
 * page faults in the engine's process against 326 without it).  So the command keeps
 * the C library's malloc and a batch opens mimalloc for its Lua states alone
 * (RTLD_LOCAL: nothing else binds to it; Lua frees only through its own allocator). */
static void lua_allocator_for_batch(void)
{
#ifdef RG_LUA_MIMALLOC
    void *lib = dlopen("libmimalloc.so.2", RTLD_NOW | RTLD_LOCAL);
    void *re = lib ? dlsym(lib, "mi_realloc") : NULL, *fr = lib ? dlsym(lib, "mi_free") : NULL;
    rg_realloc_fn realloc_fn;
    rg_free_fn free_fn;
    if (!re || !fr)
        return;   /* the C library's, as for a single decision */
    memcpy(&realloc_fn, &re, sizeof realloc_fn);
    memcpy(&free_fn, &fr, sizeof free_fn);
    rg_set_lua_allocator(realloc_fn, free_fn);   /* the library stays open for the process */
#endif
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
        rg_cli_watchdog_log(o->log, o->signing_key, line_with_newline(rg_eval_error_line(&err, o->now)));
    /* A batch's output is one JSON object per line: the error too. */
    char *text = o->batch ? line_with_newline(rg_eval_error_line(&err, o->now)) : render_error(o, &err);
    /* The reports a CI job publishes, and --output, say the gate errored: never missing,
     * never stale.  (Before the stdout text is handed over: the watchdog owns it then.) */
    rg_cli_watchdog_reports(&o->outs, o->output, text, &err, o->now);
    rg_cli_watchdog_stdout(text);
    rg_error_clear(&err);
}

/* ---- Progress ------------------------------------------------------------------
 * On a terminal's stderr, one updating line while slow checks run.  Elsewhere (a CI
 * job's log) a plain line, so a long check shows life: the first after
 * PROGRESS_LOG_FIRST seconds, then at most every PROGRESS_LOG_EVERY seconds. */

#define PROGRESS_LOG_FIRST 2.0
#define PROGRESS_LOG_EVERY 5.0

static double progress_started, progress_logged;
static int progress_shown;

/* Seconds on the monotonic clock; the first call of a run of checks starts it. */
static double progress_clock(void)
{
    struct timespec ts;
    double now;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
    if (progress_started == 0)
        progress_started = now;
    return now;
}

/* ", waiting for ID (N s)" after the progress text, the id neutralised (a policy's). */
static void progress_waiting(const char *slowest, double seconds)
{
    rg_strbuf id = {0};
    if (!slowest)
        return;
    rg_untrusted_puts(&id, slowest, RG_BREAKS_SPACE);
    fprintf(stderr, ", waiting for %s (%.0f s)", id.data ? id.data : "?", seconds);
    free(id.data);
}

static void progress_log(size_t done, size_t total, const char *slowest, double seconds)
{
    double now = progress_clock();
    if (done == total) {
        progress_started = progress_logged = 0;
        return;
    }
    if (now - progress_started < PROGRESS_LOG_FIRST || (progress_logged && now - progress_logged < PROGRESS_LOG_EVERY))
        return;
    progress_logged = now;
    fprintf(stderr, "relgate: checks %zu of %zu done", done, total);
    progress_waiting(slowest, seconds);
    fputs("\n", stderr);
    fflush(stderr);
}

static void progress_line(size_t done, size_t total, const char *slowest, double seconds)
{
    double now = progress_clock();
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
    progress_waiting(slowest, seconds);
    fflush(stderr);
    progress_shown = 1;
}

/* ---- Output ------------------------------------------------------------------ */

/* The audit trail records failures too (not those of the log itself): the answer is
 * an error either way, so a log that fails here is only reported. */
void rg_eval_log_error(const eval_options *o, const rg_error *err, const char *line)
{
    rg_error log_err = {0};
    if (!o->store || !line || strcmp(err->file, rg_log_name(o->store)) == 0)
        return;
    if (rg_log_append(o->store, line, strlen(line), &log_err) != 0)
        rg_cli_report(&log_err);
    rg_error_clear(&log_err);
}

/* With --output, TEXT (this run's error, LEN bytes) takes the file's place, so that the
 * file never holds an earlier run's decision (an allow, say) beside this run's error.
 * When it cannot be written there, the earlier file is removed, else emptied; stderr
 * says what became of it. */
void rg_eval_output_error(const eval_options *o, const char *text, size_t len)
{
    rg_error err = {0};
    if (!o->output)
        return;
    if (text && rg_write_file_atomic(o->output, text, len, &err) == 0)
        return;
    rg_error_clear(&err);
    rg_cli_retract(o->output);
}

/* Print an error: the message on stderr, and on stdout the error in the chosen format
 * (text says it all on stderr); with --output, into that file too (rg_eval_output_error). */
int rg_eval_fail(const eval_options *o, const rg_error *err)
{
    char *out = NULL;
    rg_error file_err = {0};
    rg_cli_report(err);
    /* The reports a CI job publishes (--format FMT=PATH) say what went wrong too. */
    if (rg_cli_outputs_prepare((rg_cli_outputs *)&o->outs, NULL, err, o->now, NULL, &file_err) != 0 ||
        rg_cli_outputs_commit((rg_cli_outputs *)&o->outs, &file_err) != 0)
        rg_cli_report(&file_err);
    rg_error_clear(&file_err);
    if (err->kind != RG_ERROR_USAGE) {
        char *line = rg_eval_error_line(err, o->now);
        rg_eval_log_error(o, err, line);
        free(line);
    }
    out = render_error(o, err);
    rg_eval_output_error(o, out, out ? strlen(out) : 0);
    if (out) {
        rg_cli_write_stdout(out, strlen(out));
        free(out);
    }
    return RG_EXIT_ERROR;
}


/* Colours only for a terminal that wants them (outputs.h); marks only where UTF-8 shows. */
static unsigned text_flags(const eval_options *o)
{
    return rg_cli_text_flags(o->no_color ? RG_COLOR_NEVER : o->outs.color, o->output != NULL);
}

static int write_clashes(const eval_options *o, const char *write);

/* While the command line is read, a usage error waits for the whole of it: its outputs
 * are known only then (an error before --output left an earlier run's allow there,
 * hostile round 37b, F02), and so is whether they may be written at all. */
static int parsing_args;
static char first_usage_error[RG_ERROR_MESSAGE_MAX];

/* The usage error MSG: on stderr, standard output and the outputs -- but none of them
 * when one is a file the run reads or writes otherwise (the error was written over the
 * policy, or the decision log, named by --output before a mistyped option).  Returns 2. */
static int report_usage(eval_options *o, const char *msg)
{
    rg_error err = {0};
    int drop[RG_CLI_MAX_OUTPUTS + 1] = {0};
    size_t kept = 0;
    /* Each output that is a file the options read, the log's, or another output's: left
     * alone; the others take the error (round 37d, F06: one such output kept an earlier
     * run's allow in every other). */
    for (size_t i = 0; i <= o->outs.count; i++) {
        const char *path = i == 0 ? o->output : o->outs.files[i - 1].path;
        drop[i] = write_clashes(o, path);
        for (size_t j = 0; j <= o->outs.count && !drop[i]; j++) {
            const char *other = j == 0 ? o->output : o->outs.files[j - 1].path;
            drop[i] = j != i && path && other && rg_same_place(path, other);
        }
    }
    if (drop[0])
        o->output = NULL;
    for (size_t i = 0; i < o->outs.count; i++)
        if (!drop[i + 1])
            o->outs.files[kept++] = o->outs.files[i];
    o->outs.count = kept;
    rg_fail(&err, RG_ERROR_USAGE, NULL, 0, 0, "%s (see relgate eval --help)", msg);
    return rg_eval_fail(o, &err);
}

static int usage_error(eval_options *o, const char *fmt, ...) RG_PRINTF(2, 3);

/* Returns 2 (reported), or -1 while the command line is being read (kept, the first). */
static int usage_error(eval_options *o, const char *fmt, ...)
{
    char msg[RG_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (parsing_args) {
        if (!first_usage_error[0])
            snprintf(first_usage_error, sizeof first_usage_error, "%s", msg);
        return -1;
    }
    return report_usage(o, msg);
}

/* ---- Arguments ---------------------------------------------------------------- */

enum {
    OPT_POLICY, OPT_CONTEXT, OPT_BATCH, OPT_STAGE, OPT_TYPE, OPT_FORMAT, OPT_COLOR, OPT_NO_COLOR, OPT_DETAILS,
    OPT_OUTPUT, OPT_NOW, OPT_FAIL_ON_WARN, OPT_LOG, OPT_WAIVERS, OPT_EVIDENCE_ROOT, OPT_SAVE_EVIDENCE, OPT_PLUGIN_PATH,
    OPT_POLICY_PATH, OPT_ATTEST, OPT_SIGNING_KEY, OPT_VERIFIER_ID, OPT_RESOURCE_URI,
    OPT_LIMIT
};

static const rg_option EVAL_OPTIONS[] = {
    {"--policy", NULL, "a path", OPT_POLICY},
    {"--context", NULL, "a path (or - for standard input)", OPT_CONTEXT},
    {"--batch", NULL, "a path (or - for standard input)", OPT_BATCH},
    {"--stage", NULL, "a stage: pre-release, deploy or post-deploy", OPT_STAGE},
    {"--type", NULL, "a type: patch, minor or major", OPT_TYPE},
    {"--format", NULL, "a value: json, text, markdown, junit or github, or FMT=PATH", OPT_FORMAT | RG_OPT_REPEATS},
    {"--color", "--colour", "a value: auto, always or never", OPT_COLOR},
    {"--no-color", "--no-colour", NULL, OPT_NO_COLOR},
    {"--details", NULL, "a value: all, failed or none", OPT_DETAILS},
    {"--output", NULL, "a path", OPT_OUTPUT},
    {"--now", NULL, "an RFC 3339 time such as 2025-06-10T09:00:00Z", OPT_NOW},
    {"--fail-on-warn", NULL, NULL, OPT_FAIL_ON_WARN},
    {"--log", NULL, "a path or URL", OPT_LOG},
    {"--waivers", NULL, "a path", OPT_WAIVERS},
    {"--evidence-root", NULL, "a directory", OPT_EVIDENCE_ROOT},
    {"--save-evidence", NULL, "a directory", OPT_SAVE_EVIDENCE},
    {"--plugin-path", NULL, "a directory", OPT_PLUGIN_PATH | RG_OPT_REPEATS},
    {"--policy-path", NULL, "a directory", OPT_POLICY_PATH | RG_OPT_REPEATS},
    RG_CLI_EVALUATION_LIMIT_OPTIONS(OPT_LIMIT),
    {"--attest", NULL, "a path", OPT_ATTEST},
    {"--signing-key", NULL, "a PEM private key file", OPT_SIGNING_KEY},
    {"--verifier-id", NULL, "a URI", OPT_VERIFIER_ID},
    {"--resource-uri", NULL, "a URI", OPT_RESOURCE_URI},
    RG_CLI_LIMIT_OPTIONS(OPT_LIMIT),
    {NULL, NULL, NULL, 0},
};

/* One limit option's VALUE into O->limits (the isolation of plugin checks, the sizes
 * and counts the engine allows, the sandbox's own).  Returns -1 when taken, or an exit
 * code. */
static int limit_option(eval_options *o, const char *name, const char *v)
{
    char why_bad[160];
    if (rg_cli_limit_option(name, v, &o->limits, why_bad, sizeof why_bad) != 0)
        return usage_error(o, "%s '%s' is not %s", name, v, why_bad);
    return -1;
}

/* One option's VALUE into O.  Returns -1 when taken, or an exit code. */
static int eval_option(eval_options *o, int id, const char *name, const char *v)
{
    switch (id) {
    case OPT_FAIL_ON_WARN: o->fail_on_warn = 1; break;
    case OPT_NO_COLOR: o->no_color = 1; break;
    case OPT_DETAILS:
        if (strcmp(v, "all") == 0) o->details = RG_DETAILS_ALL;
        else if (strcmp(v, "failed") == 0) o->details = RG_DETAILS_FAILED;
        else if (strcmp(v, "none") == 0) o->details = RG_DETAILS_NONE;
        else return usage_error(o, "--details '%s' is not all, failed or none", v);
        break;
    case OPT_FORMAT: {
        char why[512];
        if (rg_cli_outputs_add(&o->outs, v, why, sizeof why) != 0)
            return usage_error(o, "%s", why);
        o->format = o->outs.stdout_format;
        break;
    }
    case OPT_COLOR:
        if (rg_cli_parse_color(v, &o->outs.color) != 0)
            return usage_error(o, "--color '%s' is not auto, always or never", v);
        break;
    case OPT_POLICY: o->policy = v; break;
    case OPT_CONTEXT: o->context = v; break;
    case OPT_BATCH: o->batch = v; break;
    case OPT_OUTPUT: o->output = v; break;
    case OPT_EVIDENCE_ROOT: o->evidence_root = v; break;
    case OPT_SAVE_EVIDENCE: o->save_evidence = v; break;
    case OPT_WAIVERS: o->waivers = v; break;
    case OPT_LOG: o->log = v; break;
    case OPT_ATTEST: o->attest = v; break;
    case OPT_SIGNING_KEY: o->signing_key = v; break;
    case OPT_VERIFIER_ID: o->verifier_id = v; break;
    case OPT_RESOURCE_URI: o->resource_uri = v; break;
    case OPT_STAGE:
        if ((o->stage = rg_stage_parse(v)) == RG_STAGE_UNSET)
            return usage_error(o, "--stage '%s' is not pre-release, deploy or post-deploy", v);
        break;
    case OPT_TYPE:
        if ((o->type = rg_release_type_parse(v)) == RG_TYPE_UNSET)
            return usage_error(o, "--type '%s' is not patch, minor or major", v);
        break;
    case OPT_NOW:
        switch (rg_time_parse(v, &o->now)) {
        case 0: o->now_given = 1; break;
        case -2: return usage_error(o, "--now '%s' is outside the years 0000 to 9999 in UTC", v);
        default: return usage_error(o, "--now '%s' is not an RFC 3339 time such as 2025-06-10T09:00:00Z", v);
        }
        break;
    case OPT_PLUGIN_PATH: {
        const char *full = rg_cli_plugin_dir_add(o->plugin_dirs, &o->plugin_dir_count, v);
        if (full)
            return usage_error(o, "%s", full);
        break;
    }
    case OPT_POLICY_PATH: {
        char why[300];
        if (rg_cli_policy_path(v, why, sizeof why) != 0)
            return usage_error(o, "%s", why);
        break;
    }
    default:
        return limit_option(o, name, v);
    }
    return -1;
}

/* The files the options say this run writes, into WRITES (room for RG_CLI_MAX_OUTPUTS +
 * 2; NULL where an option is not given): --output, --attest, each --format report.  How
 * many. */
static size_t files_written(const eval_options *o, const char **writes)
{
    size_t n = 0;
    writes[n++] = o->output;
    writes[n++] = o->attest;
    for (size_t i = 0; i < o->outs.count; i++)
        writes[n++] = o->outs.files[i].path;
    return n;
}

/* Whether O reads a context, a batch or the waivers from standard input. */
static int reads_stdin(const eval_options *o)
{
    const char *reads[] = {o->context, o->batch, o->waivers};
    for (size_t i = 0; i < sizeof reads / sizeof *reads; i++)
        if (reads[i] && strcmp(reads[i], "-") == 0)
            return 1;
    return 0;
}

/* Whether WRITE, one of the files O writes, is the log's or one of the files the options
 * name to read (or to write otherwise), or the file standard input reads (hostile round
 * 41a, F07: --context - < ctx.json --output ctx.json replaced the context). */
static int write_clashes(const eval_options *o, const char *write)
{
    const char *others[] = {o->policy, o->context, o->batch, o->waivers, o->signing_key, o->attest};
    if (!write || strcmp(write, "-") == 0)
        return 0;
    if (reads_stdin(o) && rg_cli_is_stdin_file(write))
        return 1;
    /* The log by its URL, and the files its store keeps beside it (its head, SQLite's
     * journal): compared as paths, "sqlite:d.db" never matched d.db (round 33b, F04). */
    if (o->log && rg_log_keeps_file(o->log, write))
        return 1;
    for (size_t i = 0; i < sizeof others / sizeof *others; i++)
        if (others[i] != write && rg_same_place(write, others[i]))
            return 1;
    return 0;
}

/* A file relgate writes (--output, a --format report, --attest, the log) that is also one
 * it reads or writes otherwise would be destroyed by the answer (a decision log replaced
 * by a decision, a policy by a report): the option naming it, or NULL. */
static const char *written_over(const eval_options *o)
{
    const char *writes[RG_CLI_MAX_OUTPUTS + 2];
    const char *others[] = {o->policy, o->context, o->batch, o->waivers, o->signing_key, o->attest};
    char log[PATH_MAX];
    size_t n = files_written(o, writes);
    for (size_t w = 0; w < n; w++)
        if (write_clashes(o, writes[w]))
            return writes[w];
    /* The log is written too: appended to, never over the policy, a context, the waivers
     * or the key (hostile round 36, F01: --log over the release notes); nor are the files
     * its store writes beside it (the head, SQLite's journal). */
    for (size_t f = 0; rg_log_kept_file(o->log, f, log, sizeof log) == 0; f++) {
        for (size_t i = 0; i < sizeof others / sizeof *others; i++)
            if (rg_same_place(log, others[i]))
                return others[i];
        if (reads_stdin(o) && rg_cli_is_stdin_file(log))
            return o->log;
    }
    for (size_t w = 0; w < n; w++)
        for (size_t v = w + 1; v < n; v++)
            if (rg_same_place(writes[w], writes[v]))
                return writes[w];
    return NULL;
}

/* --save-evidence DIR replaces DIR/context.json as the context loads (hostile round 41a,
 * F03: --log DIR/context.json lost every record): DIR/context.json when it is the policy,
 * the waivers, a key, the decision log's file or an output, or NULL.  (The context, or an
 * evidence file, the library refuses, saying which; the evidence copies, known once the
 * context is, are held to every file in rg_eval_writes_read_file.) */
static const char *saved_context_over(const eval_options *o)
{
    static char saved[PATH_MAX + 16];   /* the name returned (one thread) */
    const char *writes[RG_CLI_MAX_OUTPUTS + 2];
    const char *reads[] = {o->policy, o->waivers, o->signing_key};
    size_t n = files_written(o, writes);
    if (!o->save_evidence || (size_t)snprintf(saved, sizeof saved, "%s/context.json", o->save_evidence) >= sizeof saved)
        return NULL;
    if (o->log && rg_log_keeps_file(o->log, saved))
        return saved;
    for (size_t i = 0; i < sizeof reads / sizeof *reads; i++)
        if (rg_same_place(saved, reads[i]))
            return saved;
    for (size_t w = 0; w < n; w++)
        if (rg_same_place(saved, writes[w]))
            return saved;
    return NULL;
}

/* The same for the files the decision reads that no option names: a directory policy's
 * members, the modules it requires, the policies it extends, the bundles and lock file it
 * pins, the context's evidence (a report written over the evidence is what the next gate
 * reads: a deny's report over its release notes made the next gate allow, hostile round
 * 35, F02), against every file the run writes: the outputs, --attest and the decision
 * log's file (round 36, F01, F05).  Known once the policy and the context are loaded. */
static int read_by(const rg_policy *pol, const rg_context *ctx, const rg_plugins *plugins, const char *path)
{
    if ((pol && rg_policy_reads_file(pol, path)) || (ctx && rg_context_reads_file(ctx, path)))
        return 1;
    /* The plugins loaded: an output over one destroyed the gate's own code (hostile
     * round 41a, F01). */
    for (size_t i = 0; plugins && i < rg_plugins_count(plugins); i++)
        if (rg_same_place(path, rg_plugin_attr_get(plugins, i, RG_PLUGIN_PATH)))
            return 1;
    return 0;
}

const char *rg_eval_writes_read_file(const eval_options *o, const rg_policy *pol, const rg_context *ctx,
                                     const rg_plugins *plugins)
{
    static char log[PATH_MAX], saved[PATH_MAX];   /* the names returned for them (one thread) */
    const char *writes[RG_CLI_MAX_OUTPUTS + 2];
    size_t n = files_written(o, writes);
    for (size_t w = 0; w < n; w++)
        if (writes[w] && strcmp(writes[w], "-") != 0 && read_by(pol, ctx, plugins, writes[w]))
            return writes[w];
    /* The log and the files its store keeps beside it (its head, SQLite's journal). */
    for (size_t f = 0; rg_log_kept_file(o->log, f, log, sizeof log) == 0; f++)
        if (read_by(pol, ctx, plugins, log))
            return log;
    /* --save-evidence's copies, over the policy, a plugin, or any file the options name
     * (hostile round 41a, F03: evidence named like the policy replaced it, and the next
     * gate ran the evidence as its policy).  The context's own files are the library's
     * to refuse (set_save_dir). */
    for (size_t f = 0; rg_context_saved_file(ctx, f, saved, sizeof saved) == 0; f++) {
        if (read_by(pol, NULL, plugins, saved) || write_clashes(o, saved))
            return saved;
        for (size_t w = 0; w < n; w++)
            if (rg_same_place(saved, writes[w]))
                return saved;
        for (size_t k = 0; rg_log_kept_file(o->log, k, log, sizeof log) == 0; k++)
            if (rg_same_place(saved, log))
                return saved;
    }
    return NULL;
}

int rg_eval_refuse_output(const eval_options *o, const char *clash, rg_error *err)
{
    eval_options quiet = *o;   /* the error goes to none of the outputs either */
    quiet.output = NULL;
    quiet.outs.count = 0;
    rg_fail(err, RG_ERROR_USAGE, clash, 0, 0,
            "'%.900s' would be written over: an output or a log must be a file of its own, not a file the "
            "policy was loaded from, a *.lua of a policy directory, or an evidence file the context names", clash);
    return rg_eval_fail(&quiet, err);
}

/* What the options given say together: the required ones, one context source, standard
 * input read once, the signing options as a set, --batch's one output.  Returns -1 when
 * they go together, or the exit code of a usage error. */
static int check_combination(eval_options *o)
{
    if (!o->policy)
        return usage_error(o, "%s is required", "--policy");
    if (o->context && o->batch)
        return usage_error(o, "%s", "give --context or --batch, not both");
    if (o->batch && o->save_evidence)
        return usage_error(o, "%s", "--save-evidence records one decision: give --context, not --batch");
    if (!o->context && !o->batch)
        return usage_error(o, "%s is required (or --batch)", "--context");
    if (o->waivers && strcmp(o->waivers, "-") == 0 &&
        ((o->context && strcmp(o->context, "-") == 0) || (o->batch && strcmp(o->batch, "-") == 0)))
        return usage_error(o, "%s", "--waivers - and the context cannot both read standard input");
    {
        const char *reads[] = {o->context, o->batch, o->waivers};
        for (size_t i = 0; i < sizeof reads / sizeof *reads; i++)
            if (reads[i] && strcmp(reads[i], "-") == 0 && rg_cli_stream_closed(STDIN_FILENO))
                return usage_error(o, "%s", "'-' reads standard input, which is closed: nothing to read");
    }
    /* Signing options go together; the message names the value given alone. */
    if (o->attest && !o->signing_key)
        return usage_error(o, "--attest '%s' needs --signing-key", o->attest);
    if (!o->attest && o->signing_key)
        return usage_error(o, "--signing-key '%s' needs --attest", o->signing_key);
    if (!o->attest && (o->verifier_id || o->resource_uri))
        return usage_error(o, "%s '%s' needs --attest", o->verifier_id ? "--verifier-id" : "--resource-uri",
                           o->verifier_id ? o->verifier_id : o->resource_uri);
    if (o->batch && (o->format != RG_FORMAT_JSON || o->outs.count))
        return usage_error(o, "%s", "--batch writes JSON lines: --format must be json, to standard output");
    {
        const char *clash = written_over(o);
        if (clash) {
            return usage_error(o, "'%s' would be written over: an output must be a file of its own, not the "
                                  "policy, a context, the waivers, the decision log, a key or another output",
                               clash);
        }
        if ((clash = saved_context_over(o)))
            return usage_error(o, "--save-evidence %s: '%s' would be written over: it is the policy, the waivers, "
                                  "a key, the decision log or an output; give another directory",
                               o->save_evidence, clash);
    }
    return -1;
}

/* Parse ARGV into O, each option on its own, then together.  Returns -1 to continue,
 * or an exit code. */
static int parse_args(int argc, char **argv, eval_options *o)
{
    rg_opt_state st;
    const char *v;
    char msg[256];
    int id, rc;

    rg_opt_start(&st, argc, argv);
    parsing_args = 1;
    while ((id = rg_opt_next(&st, EVAL_OPTIONS, &v, msg, sizeof msg)) != RG_OPT_END) {
        if (id == RG_OPT_HELP && !first_usage_error[0]) {
            parsing_args = 0;
            fputs(EVAL_USAGE, stdout);
            return 0;
        }
        if (id == RG_OPT_ERROR)
            usage_error(o, "%s", msg);
        else if (id == RG_OPT_POSITIONAL)
            usage_error(o, "unknown option '%s'", v);
        else if (id != RG_OPT_HELP && (rc = eval_option(o, id, st.name, v)) >= 0) {
            parsing_args = 0;
            return rc;
        }
    }
    parsing_args = 0;
    /* Before the options are judged together: an output over the log RELGATE_LOG names
     * is refused as over one --log names (hostile round 33b, F04). */
    if (!o->log && getenv("RELGATE_LOG") && *getenv("RELGATE_LOG"))
        o->log = getenv("RELGATE_LOG");
    if (first_usage_error[0])
        return report_usage(o, first_usage_error);
    if ((rc = check_combination(o)) >= 0)
        return rc;
    rg_cli_signals_retract_on_end(o->output);
    for (size_t i = 0; i < o->outs.count; i++)
        rg_cli_signals_retract_on_end(o->outs.files[i].path);
    return -1;
}

/* ---- The decision log ------------------------------------------------------------- */

/* Append the decision (with its ENVELOPE when signed); the gate does not answer without
 * its audit record. */
static int log_decision(const eval_options *o, const rg_decision *d, const char *envelope, rg_error *err)
{
    char *line = rg_decision_render(d, RG_FORMAT_LINE, 0);
    int rc;
    if (line && envelope) {
        char *record = rg_eval_log_record(line, strlen(line), envelope);
        free(line);
        line = record;
    }
    if (!line)
        return rg_fail(err, RG_ERROR_INTERNAL, rg_log_name(o->store), 0, 0, "out of memory writing the decision log");
    rc = rg_log_append(o->store, line, strlen(line), err);
    free(line);
    if (rc != 0) {
        char msg[RG_ERROR_MESSAGE_MAX];
        snprintf(msg, sizeof msg, "%.900s; no decision without its audit record", err->message);
        rg_strlcpy(err->message, msg, sizeof err->message);
    }
    return rc;
}

typedef struct last_record {
    int64_t at;
    char text[40];   /* its evaluated_at */
} last_record;

static int newest_time(const char *entry, size_t len, void *data)
{
    last_record *last = data;
    cJSON *doc = cJSON_ParseWithLength(entry, len);
    const char *at = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "evaluated_at"));
    if (at && rg_time_parse(at, &last->at) == 0)
        snprintf(last->text, sizeof last->text, "%s", at);
    cJSON_Delete(doc);
    return 1;
}

/* Open the decision log O names, its positions signed with O's key.  A decision at a
 * given clock (--now) before the log's last record is a reproduction of one already
 * made, not a new one: logged, it became the newest record, and a later rollback's
 * target (hostile round 37a, F07).  0, or -1 with ERR. */
static int open_log(eval_options *o, rg_error *err)
{
    rg_log_query newest = {0};
    last_record last = {INT64_MIN, ""};
    if (!(o->store = rg_log_open(o->log, 1, err)))
        return -1;
    rg_log_sign_positions(o->store, o->signer);
    if (!o->now_given)
        return 0;
    newest.newest_first = 1;
    newest.limit = 1;
    /* A log that cannot be read so (damaged) is the lookup's and the append's to refuse,
     * each as it does: this guard against a mistake does not decide it. */
    if (rg_log_each(o->store, &newest, newest_time, &last, NULL, err) != 0) {
        rg_error_clear(err);
        return 0;
    }
    if (last.at <= o->now)
        return 0;
    return rg_fail(err, RG_ERROR_USAGE, rg_log_name(o->store), 0, 0,
                   "--now is before the last record of the decision log %s (evaluated at %s): a decision "
                   "reproduced at an earlier time is not a new one, and logged it would be taken for the newest; "
                   "reproduce it without the log (--log, RELGATE_LOG)", rg_log_name(o->store), last.text);
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
    char *out = NULL, *envelope = NULL, tmp[PATH_MAX], workspace[PATH_MAX];
    rg_render_options render = {0, NULL};
    const char *clash;
    int rc;

    memset(&o, 0, sizeof o);
    o.limits = rg_limits_default();
    o.now = (int64_t)time(NULL);
    rc = parse_args(argc, argv, &o);
    if (rc >= 0)
        return rc;
    /* A decision dated ahead of the clock, recorded, would be taken for the newest by every
     * lookup and by verify, over the real ones that follow it (hostile round 41a, F04). */
    if (o.now_given && (o.log || o.attest) && rg_time_ahead_of_clock(o.now)) {
        rg_fail(&err, RG_ERROR_USAGE, NULL, 0, 0, "--now is more than %d minutes ahead of this machine's clock: a "
                "decision dated in the future, logged or attested, would be taken for the newest; decide it without "
                "--log and --attest", RG_CLOCK_SLACK / 60);
        rc = rg_eval_fail(&o, &err);
        rg_error_clear(&err);
        return rc;
    }
    /* The key first: nothing is evaluated that could not be signed, and no record goes
     * into a log whose records are signed without its position signed too; and the bundle
     * the envelope goes to, so that a refusal comes before any decision is logged (one
     * refused at the append left the log with an allow and no error, round 37c, F01). */
    if ((o.attest && rg_cli_attest_check(o.attest, &err) != 0) ||
        (o.signing_key && !(o.signer = rg_signer_load(o.signing_key, &err)))) {
        rc = rg_eval_fail(&o, &err);
        rg_error_clear(&err);
        return rc;
    }
    watchdog_install(&o);
    if (isatty(STDERR_FILENO) && !(getenv("TERM") && strcmp(getenv("TERM"), "dumb") == 0))
        rg_set_progress(progress_line);
    else
        rg_set_progress(progress_log);
    memset(&copt, 0, sizeof copt);
    copt.stage = o.stage;
    copt.type = o.type;
    copt.evidence_root = o.evidence_root;
    copt.save_evidence = o.save_evidence;
    copt.waivers = o.waivers;
    copt.limits = &o.limits;
    if (o.batch) {
        /* The store before the first line: nothing is evaluated that could not be
         * recorded.  Each line's evidence is held to the log's files as it comes. */
        if (o.log && open_log(&o, &err) != 0) {
            rc = rg_eval_fail(&o, &err);
            goto done;
        }
        copt.decision_log = o.store;   /* a post-deploy rollback targets its last good release */
        lua_allocator_for_batch();
        rc = rg_eval_batch(&o, &copt);
        rg_cli_watchdog_remove();
        rg_set_progress(NULL);
        goto done;
    }
    ctx = rg_context_load(o.context, &copt, &err);
    if (ctx)
        plugins = rg_plugins_load(o.plugin_dirs, o.plugin_dir_count, 1, &err);
    if (plugins)
        pol = rg_policy_load_with_plugins(o.policy, &o.limits, o.now, plugins, &err);
    if (pol && (clash = rg_eval_writes_read_file(&o, pol, ctx, plugins))) {
        rc = rg_eval_refuse_output(&o, clash, &err);
        goto done;
    }
    /* Then the store, before anything is evaluated: nothing is decided that could not be
     * recorded.  Opened only now, once the files it keeps are known not to be files the
     * decision reads (opening creates them, and SQLite takes a journal it finds for its
     * own); a policy or context that did not load is recorded in it as an error. */
    if (o.log) {
        rg_error log_err = {0};
        if (open_log(&o, &log_err) != 0) {
            rg_policy_free(pol);
            pol = NULL;
            rg_error_clear(&err);
            err = log_err;
        }
        rg_context_set_decision_log(ctx, o.store);   /* a post-deploy rollback targets its last good release */
    }
    if (pol) {
        rg_plugin_processes_last_evaluation();   /* one decision, then exit */
        d = rg_evaluate(pol, ctx, &err);
    }
    if (d)
        rg_decision_set_details(d, o.details);
    /* Saved before the answer: a decision asked to be replayable that cannot be is none. */
    if (d && o.save_evidence && rg_evidence_save(ctx, d, &err) != 0) {
        rg_decision_free(d);
        d = NULL;
    }
    rg_cli_watchdog_remove();
    rg_set_progress(NULL);
    if (!d) {
        rc = rg_eval_fail(&o, &err);
        goto done;
    }
    render.flags = o.format == RG_FORMAT_TEXT ? text_flags(&o) : 0;
    render.workspace = rg_cli_workspace(workspace);
    out = rg_decision_render_with(d, o.format, &render);
    if (!out) {
        rg_fail(&err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory writing the decision");
        rc = rg_eval_fail(&o, &err);
        goto done;
    }
    /* Signed before anything is written: a decision that cannot be signed is an error. */
    if (o.signer && !(envelope = rg_eval_attest(&o, d, ctx, &err))) {
        rc = rg_eval_fail(&o, &err);
        goto done;
    }
    /* Order: the output file is written but not yet in place; then the audit record and
     * the attestation; only then is the output published.  Whatever fails, the log and
     * the answer agree. */
    if (o.output && rg_atomic_prepare(o.output, out, strlen(out), tmp, &err) != 0) {
        rc = rg_eval_fail(&o, &err);
        goto done;
    }
    if (rg_cli_outputs_prepare(&o.outs, d, NULL, o.now, render.workspace, &err) != 0) {
        if (o.output)
            rg_atomic_abort(tmp);
        rc = rg_eval_fail(&o, &err);
        goto done;
    }
    if (o.log && log_decision(&o, d, envelope, &err) != 0) {
        if (o.output)
            rg_atomic_abort(tmp);
        rg_cli_outputs_abort(&o.outs);
        rc = rg_eval_fail(&o, &err);
        goto done;
    }
    if (envelope && rg_cli_attest_append(o.attest, envelope, strlen(envelope), &err) != 0) {
        if (o.output)
            rg_atomic_abort(tmp);
        rg_cli_outputs_abort(&o.outs);
        rc = rg_eval_fail(&o, &err);   /* the log then holds the decision and this error after it */
        goto done;
    }
    if (rg_cli_outputs_commit(&o.outs, &err) != 0) {
        if (o.output)
            rg_atomic_abort(tmp);
        rg_cli_report(&err); /* logged as decided; a report could not be put in place */
        rg_eval_output_error(&o, NULL, 0);
        rc = RG_EXIT_ERROR;
        goto done;
    }
    if (o.output) {
        if (rg_atomic_commit(tmp, o.output, &err) != 0) {
            rg_cli_report(&err); /* logged as decided; the file could not be put in place */
            rg_eval_output_error(&o, NULL, 0);
            rc = RG_EXIT_ERROR;
            goto done;
        }
    } else if (rg_cli_write_stdout(out, strlen(out)) != 0) {
        /* The answer did not reach the caller: an error, as a file that cannot be put in
         * place is -- the reports take the error's rendering and the log records it after
         * the decision (the reports said allow and the log held only the allow while CI
         * saw exit 2, hostile round 37b, F03).  An attestation already appended stands:
         * the gate did decide so. */
        rg_fail(&err, RG_ERROR_IO, NULL, 0, 0, "cannot write the decision to standard output: %s",
                rg_cli_stream_closed(STDOUT_FILENO) ? "it is closed" : strerror(errno));
        rc = rg_eval_fail(&o, &err);
        goto done;
    }
    rc = rg_verdict_exit_code(rg_decision_verdict(d), o.fail_on_warn);
done:
    free(out);
    free(envelope);
    rg_signer_free(o.signer);
    rg_decision_free(d);
    rg_policy_free(pol);
    rg_plugins_free(plugins);
    rg_context_free(ctx);
    rg_log_close(o.store);
    rg_error_clear(&err);
    return rc;
}
