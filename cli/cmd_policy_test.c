/* relgate test: run policy tests (*_test.lua) with mocked plugin checks. */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <regex.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "json_writer.h"
#include "junit.h"
#include "strbuf.h"
#include "untrusted.h"


/* A YAML (TAP) scalar: A and B, policy text among them, joined and written as a JSON
 * string (YAML reads it), which escapes line breaks and CI markers. */
static void put_json_text(rg_strbuf *out, const char *a, const char *b)
{
    rg_strbuf joined = {0};
    rg_strbuf_puts(&joined, a);
    rg_strbuf_puts(&joined, b ? b : "?");
    rg_json_put_string(out, joined.failed ? "?" : joined.data);
    free(joined.data);
}

static const char TEST_USAGE[] =
    "usage: relgate test [PATH]... [--run PATTERN] [--verbose] [--format text|tap|junit]\n"
    "                    [--coverage] [--fail-under PERCENT] [--plugin-path DIR]...\n"
    "\n"
    "Run the policy tests in PATH (files, or folders searched for *_test.lua; default:\n"
    "policies). A test names a policy, a release context, mocked results for the plugin\n"
    "checks (a mocked check does not run and needs no evidence; a test without mocks runs\n"
    "the real plugins) and the expected decision, requirement statuses and actions.\n"
    "See docs/policies.md.\n"
    "\n"
    "  --run PATTERN      run only the tests whose name matches PATTERN (POSIX extended regex)\n"
    "  --verbose          below each test, the decision it got: one line per requirement\n"
    "                     and per plugin check call with its parameters (text format)\n"
    "  --format FORMAT    text (default), tap or junit\n"
    "  --coverage         list requirements, release types and stages no test exercised\n"
    "  --fail-under PERCENT  exit 1 when less than PERCENT of the requirement x type x\n"
    "                     stage cells were exercised (implies --coverage)\n"
    "  --plugin-path DIR  where to find the plugins whose parameters the policy uses\n"
    "  --policy-path DIR  where extends and require look after the policy's own directory\n"
    "  --timeout SECONDS  wall-time limit for each test's policy code (default 10)\n"
    "  --max-memory SIZE  memory limit of each test's policy (default 64M)\n"
    "  --max-instructions N  instruction limit of each test's policy (default 200000000)\n"
    "  -h, --help         show this help\n"
    "\n"
    "exit codes: 0 all passed, 1 a test failed, 2 a test could not run.\n";

#define MAX_DIRS 32
#define MAX_FILES 4096

enum { OPT_FORMAT, OPT_COVERAGE, OPT_PLUGIN_PATH, OPT_POLICY_PATH, OPT_RUN, OPT_VERBOSE, OPT_FAIL_UNDER, OPT_LIMIT };

static const rg_option TEST_OPTIONS[] = {
    {"--format", NULL, "a value: text, tap or junit", OPT_FORMAT},
    {"--coverage", NULL, NULL, OPT_COVERAGE},
    {"--run", NULL, "a pattern", OPT_RUN | RG_OPT_REPEATS},   /* twice: refused below, with a hint */
    {"--policy-path", NULL, "a directory", OPT_POLICY_PATH | RG_OPT_REPEATS},
    {"--verbose", NULL, NULL, OPT_VERBOSE},
    {"--fail-under", NULL, "a percentage", OPT_FAIL_UNDER},
    {"--plugin-path", NULL, "a directory", OPT_PLUGIN_PATH | RG_OPT_REPEATS},
    RG_CLI_LIMIT_OPTIONS(OPT_LIMIT),
    {NULL, NULL, NULL, 0},
};

typedef struct file_list {
    char *names[MAX_FILES];
    size_t count;
} file_list;

static int is_test_file(const char *name)
{
    size_t n = strlen(name);
    return name[0] != '.' && n > 9 && strcmp(name + n - 9, "_test.lua") == 0;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Add PATH to FILES; a test that could not be listed is an error, never a silent skip
 * (CI would pass on fewer tests).  Returns the problems (0 or 1). */
static int add_file(file_list *files, const char *path)
{
    if (files->count >= MAX_FILES) {
        fprintf(stderr, "relgate: error: more than %d test files: %s and later ones not run\n", MAX_FILES, path);
        return 1;
    }
    if (!(files->names[files->count] = strdup(path))) {
        fprintf(stderr, "relgate: error: out of memory listing %s\n", path);
        return 1;
    }
    files->count++;
    return 0;
}

/* Test files below DIR, depth first, never following links out.  Returns the problems
 * met (each reported on stderr): they make the run an error. */
static int walk(const char *dir, file_list *files, int depth)
{
    DIR *d;
    struct dirent *e;
    int problems = 0;
    if (depth > 16) {
        fprintf(stderr, "relgate: error: %s: test folders nested deeper than 16: not searched\n", dir);
        return 1;
    }
    if (!(d = opendir(dir))) {
        fprintf(stderr, "relgate: error: cannot read %s: %s\n", dir, strerror(errno));
        return 1;
    }
    while ((e = readdir(d)) != NULL && !problems) {
        char path[PATH_MAX];
        struct stat st;
        if (e->d_name[0] == '.')
            continue;
        if ((size_t)snprintf(path, sizeof path, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/",
                             e->d_name) >= sizeof path || lstat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            problems += walk(path, files, depth + 1);
        else if (S_ISREG(st.st_mode) && is_test_file(e->d_name))
            problems += add_file(files, path);
    }
    closedir(d);
    return problems;
}

typedef enum { OUT_TEXT, OUT_TAP, OUT_JUNIT } out_format;

/* One `relgate test` run: what the options asked for, then what the tests did.  Each
 * step below reads and fills it, so the command itself reads as the list of steps. */
typedef struct test_run {
    const char *paths[MAX_DIRS], *dirs[RG_CLI_MAX_PLUGIN_DIRS];
    size_t npaths, ndirs;
    out_format format;
    int want_coverage, verbose;
    const char *run_pattern;   /* --run, compiled in run_re (freed when set) */
    regex_t run_re;
    double fail_under;         /* --fail-under; -1 when not given */
    rg_limits limits;

    file_list *files;
    rg_plugins *plugins;
    rg_test_coverage *coverage;
    rg_strbuf out;             /* the report so far: the watchdog prints it on a runaway */
    size_t total, failed, errors;
    size_t unlisted;   /* paths or test files that could not be listed: the run is an error */
    size_t selected;   /* tests --run chose (all of them without it) */
    size_t found;      /* tests and test files that did not load, --run or not */
    double junit_seconds;
    int64_t started;
} test_run;

static void test_run_free(test_run *t)
{
    if (t->run_pattern)
        regfree(&t->run_re);
    for (size_t i = 0; t->files && i < t->files->count; i++)
        free(t->files->names[i]);
    free(t->files);
    rg_test_coverage_free(t->coverage);
    rg_plugins_free(t->plugins);
    free(t->out.data);
}

/* Check one option's value V and take it into T.  Returns 0, or -1 with MSG filled:
 * a usage error.  Everything is checked before anything is taken, so that --run is
 * compiled (and later freed) only when it is valid. */
static int test_option(test_run *t, const rg_opt_state *opts, int id, const char *v, char *msg, size_t msg_size)
{
    char why[160];
    if (id == OPT_FORMAT) {
        if (strcmp(v, "text") == 0) t->format = OUT_TEXT;
        else if (strcmp(v, "tap") == 0) t->format = OUT_TAP;
        else if (strcmp(v, "junit") == 0) t->format = OUT_JUNIT;
        else {
            snprintf(msg, msg_size, "--format '%.200s' is not text, tap or junit", v);
            return -1;
        }
    } else if (id == OPT_LIMIT && rg_cli_limit_option(opts->name, v, &t->limits, why, sizeof why) != 0) {
        snprintf(msg, msg_size, "%s '%.100s' is not %s", opts->name, v, why);
        return -1;
    } else if (id == OPT_POLICY_PATH && rg_cli_policy_path(v, msg, msg_size) != 0) {
        return -1;
    } else if (id == OPT_RUN && t->run_pattern) {
        snprintf(msg, msg_size, "--run given twice: join the patterns with |");
        return -1;
    } else if (id == OPT_RUN && regcomp(&t->run_re, v, REG_EXTENDED | REG_NOSUB) != 0) {
        snprintf(msg, msg_size, "--run '%.200s' is not a POSIX extended regular expression", v);
        return -1;
    } else if (id == OPT_FAIL_UNDER) {
        char *end = NULL;
        t->fail_under = strtod(v, &end);
        if (!end || end == v || *end || !(t->fail_under >= 0 && t->fail_under <= 100)) {
            snprintf(msg, msg_size, "--fail-under '%.100s' is not a percentage from 0 to 100", v);
            return -1;
        }
    } else if (id == OPT_PLUGIN_PATH) {
        const char *full = rg_cli_plugin_dir_add(t->dirs, &t->ndirs, v);
        if (full) {
            snprintf(msg, msg_size, "%s", full);
            return -1;
        }
    }
    if (id == OPT_RUN) {
        t->run_pattern = v;
    } else if (id == OPT_VERBOSE) {
        t->verbose = 1;
    } else if (id == OPT_FAIL_UNDER || id == OPT_COVERAGE) {
        t->want_coverage = 1;
    } else if (id == RG_OPT_POSITIONAL && t->npaths < MAX_DIRS) {
        t->paths[t->npaths++] = v;
    } else if (id == RG_OPT_POSITIONAL) {
        /* not a usage error: the paths before it still run, but the run is an error */
        fprintf(stderr, "relgate: error: more than %d paths: '%s' and later ones not run\n", MAX_DIRS, v);
        t->unlisted++;
    }
    return 0;
}

/* Parse ARGV into T.  Returns -1 to go on, or the exit code (--help, a usage error). */
static int parse_test_options(test_run *t, int argc, char **argv)
{
    rg_opt_state opts;
    const char *v;
    char msg[512];
    int id;
    rg_opt_start(&opts, argc, argv);
    while ((id = rg_opt_next(&opts, TEST_OPTIONS, &v, msg, sizeof msg)) != RG_OPT_END) {
        if (id == RG_OPT_HELP) {
            fputs(TEST_USAGE, stdout);
            return 0;
        }
        if (id == RG_OPT_ERROR || test_option(t, &opts, id, v, msg, sizeof msg) != 0)
            return rg_cli_usage("test", msg);
    }
    if (t->npaths == 0)
        t->paths[t->npaths++] = "policies";
    return -1;
}

/* The test files of every path, each path's in name order (folders searched). */
static void list_test_files(test_run *t)
{
    for (size_t i = 0; i < t->npaths; i++) {
        struct stat st;
        size_t first = t->files->count;
        if (stat(t->paths[i], &st) != 0) {
            fprintf(stderr, "relgate: error: cannot open %s\n", t->paths[i]);
            t->unlisted++;
            continue;
        }
        if (S_ISDIR(st.st_mode))
            t->unlisted += (size_t)walk(t->paths[i], t->files, 0);
        else
            t->unlisted += (size_t)add_file(t->files, t->paths[i]);
        qsort(t->files->names + first, t->files->count - first, sizeof *t->files->names, compare_names);
    }
}

/* A TAP line's description: TEXT neutralised as every untrusted text is, with '#' and
 * '\\' escaped, as TAP 13 asks, so that a name holding "# TODO" or "# SKIP" is not read
 * as a directive that excuses its failure (hostile round 32, F02). */
static void put_tap_description(rg_strbuf *out, const char *text)
{
    rg_strbuf plain = {0};
    rg_untrusted_puts(&plain, text, RG_BREAKS_SPACE);
    for (size_t i = 0; plain.data && i < plain.len; i++) {
        if (plain.data[i] == '#' || plain.data[i] == '\\')
            rg_strbuf_puts(out, "\\");
        rg_strbuf_add(out, &plain.data[i], 1);
    }
    free(plain.data);
}

/* A test file that did not load counts as one test in error, in each format. */
static void report_load_error(test_run *t, const char *path, const char *message)
{
    if (t->format == OUT_TAP) {
        rg_strbuf_printf(&t->out, "not ok %zu - ", t->total);
        put_tap_description(&t->out, path);
        rg_strbuf_puts(&t->out, "\n  ---\n  message: ");
        put_json_text(&t->out, "could not load: ", message);
        rg_strbuf_puts(&t->out, "\n  ...\n");
    } else if (t->format == OUT_TEXT) {
        rg_strbuf_puts(&t->out, "ERROR ");
        rg_untrusted_puts(&t->out, path, RG_BREAKS_SPACE);
        rg_strbuf_puts(&t->out, ": could not load: ");
        rg_untrusted_puts(&t->out, message, RG_BREAKS_SPACE);
        rg_strbuf_puts(&t->out, "\n");
    } else {
        rg_junit_case c = {path, "relgate.test", 0, RG_JUNIT_ERROR, message, "load", message, NULL};
        rg_junit_case_write(&t->out, &c);
    }
}

/* One test's outcome as text: its status, name and place, its problems and (with
 * --verbose) the decision it got. */
static void report_text(test_run *t, const char *name, const char *file, int line, const rg_test_outcome *o)
{
    rg_strbuf *out = &t->out;
    rg_strbuf_printf(out, "%-5s ", o->status == RG_TEST_PASS ? "ok" : o->status == RG_TEST_FAIL ? "FAIL" : "ERROR");
    rg_untrusted_puts(out, name, RG_BREAKS_SPACE);
    rg_strbuf_puts(out, " (");
    rg_untrusted_puts(out, file, RG_BREAKS_SPACE);
    rg_strbuf_printf(out, ":%d)\n", line);
    for (size_t p = 0; p < o->problem_count; p++) {
        rg_strbuf_puts(out, "      ");
        rg_untrusted_puts(out, o->problems[p], RG_BREAKS_SPACE);
        rg_strbuf_puts(out, "\n");
    }
    for (size_t p = 0; t->verbose && p < o->trace_count; p++) {
        rg_strbuf_puts(out, "      | ");
        rg_untrusted_puts(out, o->trace[p], RG_BREAKS_SPACE);
        rg_strbuf_puts(out, "\n");
    }
}

/* One test's outcome as a TAP line; a test that did not pass has a YAML block with its
 * place and problems. */
static void report_tap(test_run *t, const char *name, const char *file, int line, const rg_test_outcome *o)
{
    rg_strbuf *out = &t->out;
    char at[32];
    rg_strbuf_printf(out, "%s %zu - ", o->status == RG_TEST_PASS ? "ok" : "not ok", t->total);
    put_tap_description(out, name);
    rg_strbuf_puts(out, "\n");
    if (o->status == RG_TEST_PASS)
        return;
    snprintf(at, sizeof at, ":%d", line);
    rg_strbuf_puts(out, "  ---\n  at: ");
    put_json_text(out, file, at);
    rg_strbuf_puts(out, "\n  problems:\n");
    for (size_t p = 0; p < o->problem_count; p++) {
        rg_strbuf_puts(out, "    - ");
        put_json_text(out, "", o->problems[p]);
        rg_strbuf_puts(out, "\n");
    }
    rg_strbuf_puts(out, "  ...\n");
}

/* One test's outcome as a JUnit testcase taking SECONDS; its time also adds to the
 * suite's. */
static void report_junit(test_run *t, const char *name, const char *file, int line, const rg_test_outcome *o,
                         double seconds)
{
    rg_strbuf body = {0};
    rg_junit_case c = {name, file, 0, RG_JUNIT_PASS, NULL, NULL, NULL, NULL};
    c.seconds = seconds;
    t->junit_seconds += c.seconds;
    if (o->status != RG_TEST_PASS) {
        c.outcome = o->status == RG_TEST_FAIL ? RG_JUNIT_FAILURE : RG_JUNIT_ERROR;
        c.message = o->problem_count ? o->problems[0] : "";
        c.type = o->status == RG_TEST_FAIL ? "failure" : "error";
        rg_strbuf_printf(&body, "%s:%d", file, line);
        for (size_t p = 0; p < o->problem_count; p++)
            rg_strbuf_printf(&body, "\n%s", o->problems[p]);
        c.text = body.data ? body.data : "";
    }
    rg_junit_case_write(&t->out, &c);
    free(body.data);
}

static double seconds_between(const struct timespec *t0, const struct timespec *t1)
{
    return (double)(t1->tv_sec - t0->tv_sec) + (double)(t1->tv_nsec - t0->tv_nsec) / 1e9;
}

/* Run the tests of one file that --run selects, reporting each as it ends. */
static void run_test_file(test_run *t, const char *path)
{
    rg_error err = {0};
    rg_tests *cases = rg_tests_load_file(path, &t->limits, &err);
    size_t n;
    if (!cases) {
        t->total++;
        t->found++;
        t->errors++;
        report_load_error(t, path, err.message);
        rg_error_clear(&err);
        return;
    }
    n = rg_tests_count(cases);
    if (n == 0) {
        /* a test file that declares nothing (it returned early, or its tests are in a
         * loop over nothing) is an error of its own, never a silent pass beside others */
        t->total++;
        t->found++;
        t->errors++;
        report_load_error(t, path, "declares no test: a test file declares each with test \"name\" { ... }");
        rg_tests_free(cases);
        return;
    }
    t->found += n;
    for (size_t i = 0; i < n; i++) {
        rg_test_outcome o;
        struct timespec t0, t1;
        int line = 0;
        const char *name = rg_tests_name(cases, i), *file = rg_tests_file(cases, i, &line);
        if (t->run_pattern && regexec(&t->run_re, name, 0, NULL, 0) != 0)
            continue;
        t->selected++;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        rg_tests_run(cases, i, t->plugins, &t->limits, t->want_coverage ? t->coverage : NULL, &o);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        t->total++;
        t->failed += o.status == RG_TEST_FAIL;
        t->errors += o.status == RG_TEST_ERROR;
        if (t->format == OUT_TEXT)
            report_text(t, name, file, line, &o);
        else if (t->format == OUT_TAP)
            report_tap(t, name, file, line, &o);
        else
            report_junit(t, name, file, line, &o, seconds_between(&t0, &t1));
        rg_test_outcome_clear(&o);
    }
    rg_tests_free(cases);
}

/* Run every file's tests under the watchdog.  A runaway in a test's policy ends the run
 * as in eval: the report so far (text and TAP; a partial JUnit document is no use),
 * then the error naming the test file. */
static void run_tests(test_run *t)
{
    if (t->format == OUT_TAP)
        rg_strbuf_puts(&t->out, "TAP version 13\n");
    rg_cli_watchdog_install(t->files->count ? t->files->names[0] : "policies", t->limits.timeout);
    if (t->format != OUT_JUNIT)
        rg_cli_watchdog_pending(&t->out);
    for (size_t f = 0; f < t->files->count; f++) {
        rg_cli_watchdog_name(t->files->names[f]);
        run_test_file(t, t->files->names[f]);
    }
    rg_cli_watchdog_remove();
    if (t->found == 0) {
        fprintf(stderr, "relgate: error: no test files (*_test.lua) found\n");
        t->unlisted++;
    } else if (t->run_pattern && t->selected == 0) {
        /* a pattern that matches nothing would pass CI on no test at all */
        fprintf(stderr, "relgate: error: no test name matches --run '%s'\n", t->run_pattern);
        t->unlisted++;
    }
}

/* Close the report (the TAP plan, the JUnit document around the cases, the text
 * summary) and print it, then the coverage report when asked for. */
static void print_report(test_run *t)
{
    char *text;
    if (t->format == OUT_TAP) {
        rg_strbuf_printf(&t->out, "1..%zu\n", t->total);
    } else if (t->format == OUT_JUNIT) {
        /* The one JUnit writer (common/junit.h), as relgate eval --format junit. */
        rg_strbuf b = {0};
        rg_junit_totals totals = {t->total, t->failed, t->errors, 0, t->junit_seconds};
        char *body = rg_strbuf_finish(&t->out);
        rg_junit_begin(&b, "relgate test", &totals);
        rg_junit_suite_begin(&b, 0, "relgate policy tests", "relgate.test", &totals, t->started, NULL, 0);
        rg_strbuf_puts(&b, body ? body : "");
        rg_junit_suite_end(&b);
        rg_junit_end(&b);
        free(body);
        t->out = b;
    } else {
        rg_strbuf_printf(&t->out, "\n%zu passed, %zu failed", t->total - t->failed - t->errors, t->failed + t->errors);
        rg_strbuf_printf(&t->out, "%s\n", t->errors || t->unlisted ? " (some could not run)" : "");
    }
    text = rg_strbuf_finish(&t->out);
    if (text)
        fputs(text, stdout);
    free(text);
    if (t->want_coverage) {
        char *report = rg_test_coverage_report(t->coverage, NULL);
        fputs(report ? report : "relgate: error: out of memory writing the coverage report\n",
              t->format == OUT_TEXT ? stdout : stderr);
        free(report);
    }
}

/* 2 when a test or a file could not run, else 1 when one failed or the coverage is
 * under --fail-under, else 0. */
static int exit_code(const test_run *t)
{
    int rc = t->errors || t->unlisted ? RG_EXIT_ERROR : t->failed ? 1 : 0;
    if (rc == 0 && t->fail_under >= 0 && rg_test_coverage_percent(t->coverage) < t->fail_under) {
        fprintf(stderr, "relgate: coverage %.1f%% is under --fail-under %g%%\n",
                rg_test_coverage_percent(t->coverage), t->fail_under);
        rc = 1;
    }
    return rc;
}

int rg_cmd_test(int argc, char **argv)
{
    test_run t = {.fail_under = -1, .limits = rg_limits_default(), .started = (int64_t)time(NULL)};
    rg_error err = {0};
    int rc;

    t.files = calloc(1, sizeof *t.files);
    t.coverage = rg_test_coverage_new();
    if (!t.files || !t.coverage) {
        fprintf(stderr, "relgate: error: out of memory\n");
        test_run_free(&t);
        return RG_EXIT_ERROR;
    }
    if ((rc = parse_test_options(&t, argc, argv)) >= 0) {
        test_run_free(&t);
        return rc;
    }
    list_test_files(&t);
    if (!(t.plugins = rg_plugins_load(t.dirs, t.ndirs, 1, &err))) {
        rg_cli_report(&err);
        rg_error_clear(&err);
        test_run_free(&t);
        return RG_EXIT_ERROR;
    }
    run_tests(&t);
    print_report(&t);
    rc = exit_code(&t);
    test_run_free(&t);
    return rc;
}
