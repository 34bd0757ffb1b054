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
    {"--run", NULL, "a pattern", OPT_RUN},
    {"--policy-path", NULL, "a directory", OPT_POLICY_PATH},
    {"--verbose", NULL, NULL, OPT_VERBOSE},
    {"--fail-under", NULL, "a percentage", OPT_FAIL_UNDER},
    {"--plugin-path", NULL, "a directory", OPT_PLUGIN_PATH},
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

int rg_cmd_test(int argc, char **argv)
{
    const char *paths[MAX_DIRS], *dirs[MAX_DIRS] = {0};
    size_t npaths = 0, ndirs = 0, total = 0, failed = 0, errors = 0;
    size_t unlisted = 0;   /* paths or test files that could not be listed: the run is an error */
    out_format format = OUT_TEXT;
    int want_coverage = 0, verbose = 0, rc, id;
    const char *run_pattern = NULL;
    regex_t run_re;
    double fail_under = -1;
    size_t selected = 0;   /* tests --run chose (all of them without it) */
    size_t found = 0;      /* tests and test files that did not load, --run or not */
    rg_opt_state opts;
    const char *v;
    char msg[512];
    rg_limits limits = rg_limits_default();
    rg_error err = {0};
    rg_plugins *plugins;
    file_list *files = calloc(1, sizeof *files);
    rg_test_coverage *coverage = rg_test_coverage_new();
    rg_strbuf out = {0};
    double junit_seconds = 0;
    int64_t started = (int64_t)time(NULL);

    if (!files || !coverage) {
        fprintf(stderr, "relgate: error: out of memory\n");
        free(files);
        rg_test_coverage_free(coverage);
        return RG_EXIT_ERROR;
    }
    rg_opt_start(&opts, argc, argv);
    while ((id = rg_opt_next(&opts, TEST_OPTIONS, &v, msg, sizeof msg)) != RG_OPT_END) {
        char why[160];
        if (id == RG_OPT_HELP) {
            fputs(TEST_USAGE, stdout);
            free(files);
            rg_test_coverage_free(coverage);
            return 0;
        }
        if (id == OPT_FORMAT) {
            if (strcmp(v, "text") == 0) format = OUT_TEXT;
            else if (strcmp(v, "tap") == 0) format = OUT_TAP;
            else if (strcmp(v, "junit") == 0) format = OUT_JUNIT;
            else {
                snprintf(msg, sizeof msg, "--format '%.200s' is not text, tap or junit", v);
                id = RG_OPT_ERROR;
            }
        } else if (id == OPT_LIMIT && rg_cli_limit_option(opts.name, v, &limits, why, sizeof why) != 0) {
            snprintf(msg, sizeof msg, "%s '%.100s' is not %s", opts.name, v, why);
            id = RG_OPT_ERROR;
        } else if (id == OPT_POLICY_PATH && rg_cli_policy_path(v, msg, sizeof msg) != 0) {
            id = RG_OPT_ERROR;
        } else if (id == OPT_RUN && run_pattern) {
            snprintf(msg, sizeof msg, "--run given twice: join the patterns with |");
            id = RG_OPT_ERROR;
        } else if (id == OPT_RUN && regcomp(&run_re, v, REG_EXTENDED | REG_NOSUB) != 0) {
            snprintf(msg, sizeof msg, "--run '%.200s' is not a POSIX extended regular expression", v);
            id = RG_OPT_ERROR;
        } else if (id == OPT_FAIL_UNDER) {
            char *end = NULL;
            fail_under = strtod(v, &end);
            if (!end || end == v || *end || !(fail_under >= 0 && fail_under <= 100)) {
                snprintf(msg, sizeof msg, "--fail-under '%.100s' is not a percentage from 0 to 100", v);
                id = RG_OPT_ERROR;
            }
        } else if (id == OPT_PLUGIN_PATH && ndirs == MAX_DIRS) {
            snprintf(msg, sizeof msg, "at most %d --plugin-path options", MAX_DIRS);
            id = RG_OPT_ERROR;
        }
        if (id == RG_OPT_ERROR) {
            free(files);
            rg_test_coverage_free(coverage);
            if (run_pattern)
                regfree(&run_re);
            return rg_cli_usage("test", msg);
        }
        if (id == OPT_RUN) {
            run_pattern = v;
        } else if (id == OPT_VERBOSE) {
            verbose = 1;
        } else if (id == OPT_FAIL_UNDER || id == OPT_COVERAGE) {
            want_coverage = 1;
        } else if (id == OPT_PLUGIN_PATH) {
            dirs[ndirs++] = v;
        } else if (id == RG_OPT_POSITIONAL && npaths < MAX_DIRS) {
            paths[npaths++] = v;
        } else if (id == RG_OPT_POSITIONAL) {
            fprintf(stderr, "relgate: error: more than %d paths: '%s' and later ones not run\n", MAX_DIRS, v);
            unlisted++;
        }
    }
    if (npaths == 0)
        paths[npaths++] = "policies";
    for (size_t i = 0; i < npaths; i++) {
        struct stat st;
        size_t first = files->count;
        if (stat(paths[i], &st) != 0) {
            fprintf(stderr, "relgate: error: cannot open %s\n", paths[i]);
            unlisted++;
            continue;
        }
        if (S_ISDIR(st.st_mode))
            unlisted += (size_t)walk(paths[i], files, 0);
        else
            unlisted += (size_t)add_file(files, paths[i]);
        qsort(files->names + first, files->count - first, sizeof *files->names, compare_names);
    }
    plugins = rg_plugins_load(dirs, ndirs, 1, &err);
    if (!plugins) {
        rg_cli_report(&err);
        rg_error_clear(&err);
        for (size_t i = 0; i < files->count; i++) free(files->names[i]);
        free(files);
        rg_test_coverage_free(coverage);
        return RG_EXIT_ERROR;
    }
    if (format == OUT_TAP)
        rg_strbuf_puts(&out, "TAP version 13\n");
    /* A runaway in a test's policy ends the run as in eval: the report so far (text and
     * TAP; a partial JUnit document is no use), then the error naming the test file. */
    rg_cli_watchdog_install(files->count ? files->names[0] : "policies", limits.timeout);
    if (format != OUT_JUNIT)
        rg_cli_watchdog_pending(&out);
    for (size_t f = 0; f < files->count; f++) {
        rg_tests *cases;
        size_t n;
        rg_cli_watchdog_name(files->names[f]);
        if (!(cases = rg_tests_load_file(files->names[f], &limits, &err))) {
            total++;
            found++;
            errors++;
            if (format == OUT_TAP)
            {
                rg_strbuf_printf(&out, "not ok %zu - ", total);
                rg_untrusted_puts(&out, files->names[f], RG_BREAKS_SPACE);
                rg_strbuf_puts(&out, "\n  ---\n  message: ");
                put_json_text(&out, "could not load: ", err.message);
                rg_strbuf_puts(&out, "\n  ...\n");
            }
            else if (format == OUT_TEXT)
            {
                rg_strbuf_puts(&out, "ERROR ");
                rg_untrusted_puts(&out, files->names[f], RG_BREAKS_SPACE);
                rg_strbuf_puts(&out, ": could not load: ");
                rg_untrusted_puts(&out, err.message, RG_BREAKS_SPACE);
                rg_strbuf_puts(&out, "\n");
            }
            else {
                rg_junit_case c = {files->names[f], "relgate.test", 0, RG_JUNIT_ERROR, err.message,
                                   "load", err.message, NULL};
                rg_junit_case_write(&out, &c);
            }
            rg_error_clear(&err);
            continue;
        }
        n = rg_tests_count(cases);
        found += n;
        for (size_t i = 0; i < n; i++) {
            rg_test_outcome o;
            struct timespec t0, t1;
            int line = 0;
            const char *name = rg_tests_name(cases, i), *file = rg_tests_file(cases, i, &line);
            if (run_pattern && regexec(&run_re, name, 0, NULL, 0) != 0)
                continue;
            selected++;
            clock_gettime(CLOCK_MONOTONIC, &t0);
            rg_tests_run(cases, i, plugins, &limits, want_coverage ? coverage : NULL, &o);
            clock_gettime(CLOCK_MONOTONIC, &t1);
            total++;
            failed += o.status == RG_TEST_FAIL;
            errors += o.status == RG_TEST_ERROR;
            if (format == OUT_TEXT) {
                rg_strbuf_printf(&out, "%-5s ", o.status == RG_TEST_PASS ? "ok" :
                                 o.status == RG_TEST_FAIL ? "FAIL" : "ERROR");
                rg_untrusted_puts(&out, name, RG_BREAKS_SPACE);
                rg_strbuf_puts(&out, " (");
                rg_untrusted_puts(&out, file, RG_BREAKS_SPACE);
                rg_strbuf_printf(&out, ":%d)\n", line);
                for (size_t p = 0; p < o.problem_count; p++) {
                    rg_strbuf_puts(&out, "      ");
                    rg_untrusted_puts(&out, o.problems[p], RG_BREAKS_SPACE);
                    rg_strbuf_puts(&out, "\n");
                }
                for (size_t p = 0; verbose && p < o.trace_count; p++) {
                    rg_strbuf_puts(&out, "      | ");
                    rg_untrusted_puts(&out, o.trace[p], RG_BREAKS_SPACE);
                    rg_strbuf_puts(&out, "\n");
                }
            } else if (format == OUT_TAP) {
                rg_strbuf_printf(&out, "%s %zu - ", o.status == RG_TEST_PASS ? "ok" : "not ok", total);
                rg_untrusted_puts(&out, name, RG_BREAKS_SPACE);
                rg_strbuf_puts(&out, "\n");
                if (o.status != RG_TEST_PASS) {
                    char at[32];
                    snprintf(at, sizeof at, ":%d", line);
                    rg_strbuf_puts(&out, "  ---\n  at: ");
                    put_json_text(&out, file, at);
                    rg_strbuf_puts(&out, "\n  problems:\n");
                    for (size_t p = 0; p < o.problem_count; p++) {
                        rg_strbuf_puts(&out, "    - ");
                        put_json_text(&out, "", o.problems[p]);
                        rg_strbuf_puts(&out, "\n");
                    }
                    rg_strbuf_puts(&out, "  ...\n");
                }
            } else {
                rg_strbuf body = {0};
                rg_junit_case c = {name, file, 0, RG_JUNIT_PASS, NULL, NULL, NULL, NULL};
                c.seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
                junit_seconds += c.seconds;
                if (o.status != RG_TEST_PASS) {
                    c.outcome = o.status == RG_TEST_FAIL ? RG_JUNIT_FAILURE : RG_JUNIT_ERROR;
                    c.message = o.problem_count ? o.problems[0] : "";
                    c.type = o.status == RG_TEST_FAIL ? "failure" : "error";
                    rg_strbuf_printf(&body, "%s:%d", file, line);
                    for (size_t p = 0; p < o.problem_count; p++)
                        rg_strbuf_printf(&body, "\n%s", o.problems[p]);
                    c.text = body.data ? body.data : "";
                }
                rg_junit_case_write(&out, &c);
                free(body.data);
            }
            rg_test_outcome_clear(&o);
        }
        rg_tests_free(cases);
    }
    rg_cli_watchdog_remove();
    if (found == 0) {
        fprintf(stderr, "relgate: error: no test files (*_test.lua) found\n");
        unlisted++;
    } else if (run_pattern && selected == 0) {
        /* a pattern that matches nothing would pass CI on no test at all */
        fprintf(stderr, "relgate: error: no test name matches --run '%s'\n", run_pattern);
        unlisted++;
    }
    if (format == OUT_TAP) {
        rg_strbuf_printf(&out, "1..%zu\n", total);
    } else if (format == OUT_JUNIT) {
        /* The one JUnit writer (common/junit.h), as relgate eval --format junit. */
        rg_strbuf b = {0};
        rg_junit_totals t = {total, failed, errors, 0, junit_seconds};
        char *body = rg_strbuf_finish(&out);
        rg_junit_begin(&b, "relgate test", &t);
        rg_junit_suite_begin(&b, 0, "relgate policy tests", "relgate.test", &t, started, NULL, 0);
        rg_strbuf_puts(&b, body ? body : "");
        rg_junit_suite_end(&b);
        rg_junit_end(&b);
        free(body);
        out = b;
    } else {
        rg_strbuf_printf(&out, "\n%zu passed, %zu failed", total - failed - errors, failed + errors);
        rg_strbuf_printf(&out, "%s\n", errors || unlisted ? " (some could not run)" : "");
    }
    {
        char *text = rg_strbuf_finish(&out);
        if (text)
            fputs(text, stdout);
        free(text);
    }
    if (want_coverage) {
        char *report = rg_test_coverage_report(coverage, NULL);
        fputs(report ? report : "relgate: error: out of memory writing the coverage report\n",
              format == OUT_TEXT ? stdout : stderr);
        free(report);
    }
    rc = errors || unlisted ? RG_EXIT_ERROR : failed ? 1 : 0;
    if (rc == 0 && fail_under >= 0 && rg_test_coverage_percent(coverage) < fail_under) {
        fprintf(stderr, "relgate: coverage %.1f%% is under --fail-under %g%%\n", rg_test_coverage_percent(coverage),
                fail_under);
        rc = 1;
    }
    if (run_pattern)
        regfree(&run_re);
    for (size_t i = 0; i < files->count; i++)
        free(files->names[i]);
    free(files);
    rg_test_coverage_free(coverage);
    rg_plugins_free(plugins);
    return rc;
}
