/* ci.status over JUnit XML written by the real tools, in a temporary directory: mocha's
 * xunit reporter (an RFC 1123 date), ctest --output-junit and pytest --junitxml (the
 * runner's local time, without a zone), jest with jest-junit (UTC, without a zone), and
 * ctest's tests it could not run and node's failing todo tests (node --test, junit reporter).
 * The tools run at +09:00 (TZ=JST-9, no tzdata needed), so a zone-less local time read
 * as UTC lies nine hours ahead.  A test whose tool is missing is not run:
 * scripts/ensure-deps.sh installs the Debian ones, scripts/npm-tools.sh jest and
 * jest-junit (from npm, outside the repository: `npm-tools.sh --print-dir`). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ci_test_util.h"

/* jest and jest-junit, installed by scripts/npm-tools.sh (find_npm_tools) */
static char npm_tools[PATH_MAX], npm_jest[PATH_MAX + 32], reporter_js[PATH_MAX + 48];

typedef struct fixture {
    char *dir;
    rg_context *ctx;
    rg_check_result res;
    char env_path[PATH_MAX * 2], env_home[PATH_MAX + 8];
    char *envp[10];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    int k = 0;
    f->dir = ci_tmpdir();
    snprintf(f->env_path, sizeof f->env_path, "PATH=%s", getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
    snprintf(f->env_home, sizeof f->env_home, "HOME=%s", f->dir);
    f->envp[k++] = f->env_path;
    f->envp[k++] = f->env_home;
    f->envp[k++] = (char *)"TZ=JST-9";
    f->envp[k++] = (char *)"LC_ALL=C";
    /* Debian's mocha lives in /usr/share/nodejs, which only Debian's node searches */
    f->envp[k++] = (char *)"NODE_PATH=/usr/share/nodejs:/usr/lib/nodejs";
    f->envp[k++] = (char *)"PYTHONDONTWRITEBYTECODE=1";
    f->envp[k++] = (char *)"JEST_JUNIT_OUTPUT_NAME=jest.xml";
    f->envp[k] = NULL;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    rg_check_result_clear(&f->res);
    if (f->ctx)
        rg_context_free(f->ctx);
    ci_rmtree(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

/* Run the tool; a failing test makes it exit non-zero, which is expected here. */
static void tool(fixture *f, char *const argv[])
{
    int st = rgt_run_tool(f->dir, argv, f->envp, rgt_path(f->dir, "tool.log"));
    if (st < 0 || st == 127) {
        char *log = ci_slurp(rgt_path(f->dir, "tool.log"), NULL);
        fail_msg("%s did not run: %s", argv[0], log ? log : "");
    }
}

/* ci.status over the report REL with PARAMS, a minute after the tool ran. */
static void judge(fixture *f, const char *rel, const char *params, rg_check_status want)
{
    char evidence[PATH_MAX + 16];
    if (f->ctx)
        rg_context_free(f->ctx);
    rg_check_result_clear(&f->res);
    snprintf(evidence, sizeof evidence, "\"tests\": \"%s\"", rel);
    f->ctx = ci_context(f->dir, NULL, evidence);
    if (ci_run(params, f->ctx, (int64_t)time(NULL) + 60, &f->res) != 0)
        fail_msg("parameters refused: %s", params);
    if (f->res.status != want)
        fail_msg("status %s, expected %s: %s", rg_check_status_name(f->res.status), rg_check_status_name(want),
                 rg_check_result_to_json(&f->res));
}

/* The report's one failing test was counted and its completion is minutes old. */
static void fresh_with_one_failure(fixture *f)
{
    double age = ci_detail_number(&f->res, "freshness.age_seconds");
    assert_non_null(strstr(f->res.message, "1 failing"));
    assert_null(strstr(f->res.message, "max_age"));
    if (age < 0 || age > 600)
        fail_msg("age %.0f s: the completion time was misread", age);
}

static void test_mocha_xunit(void **state)
{
    fixture *f = *state;
    const char *newest;
    char *xml;
    ci_write(f->dir, "t.js",
             "const assert = require('assert');\n"
             "describe('math', function () {\n"
             "  it('adds', function () { assert.equal(1 + 1, 2); });\n"
             "  it('fails', function () { assert.equal(1 + 1, 3); });\n"
             "});\n", RGT_TEXT);
    tool(f, (char *[]){"mocha", "--reporter", "xunit", "--reporter-option", "output=mocha.xml", "t.js", NULL});
    judge(f, "mocha.xml", "{\"reports\": \"tests\", \"max_age\": \"1h\"}", RG_CHECK_FAIL);
    fresh_with_one_failure(f);
    /* an RFC 1123 date names its zone (GMT): nothing was assumed */
    assert_null(ci_detail(&f->res, "freshness.zone_assumed"));
    newest = ci_detail_string(&f->res, "freshness.newest");
    assert_non_null(newest);
    xml = ci_slurp(rgt_path(f->dir, "mocha.xml"), NULL);
    assert_non_null(xml);
    assert_non_null(strstr(xml, " GMT\""));   /* the file is what the issue describes */
    free(xml);
}

/* ctest and pytest: local time without a zone.  Read as UTC (the default) it lies nine
 * hours ahead and is refused; with timezone = "+09:00" it is minutes old. */
static void local_time_report(fixture *f, const char *rel)
{
    judge(f, rel, "{\"reports\": \"tests\", \"max_age\": \"1h\"}", RG_CHECK_FAIL);
    assert_non_null(strstr(f->res.message, "in the future (clock or time zone wrong?)"));
    assert_string_equal(ci_detail_string(&f->res, "freshness.zone_assumed"), "UTC");
    judge(f, rel, "{\"reports\": \"tests\", \"max_age\": \"1h\", \"timezone\": \"+09:00\"}", RG_CHECK_FAIL);
    fresh_with_one_failure(f);
    assert_string_equal(ci_detail_string(&f->res, "freshness.zone_assumed"), "+09:00");
    assert_string_equal(ci_detail_string(&f->res, "reports.0.zone_assumed"), "+09:00");
}

/* A CMake project in src/ holding TESTS (add_test lines), configured into build/. */
static void cmake_project(fixture *f, const char *tests)
{
    char text[1024];
    snprintf(text, sizeof text,
             "cmake_minimum_required(VERSION 3.21)\n"
             "project(relgate_ci_test NONE)\n"
             "enable_testing()\n"
             "%s", tests);
    ci_write(f->dir, "src/CMakeLists.txt", text, RGT_TEXT);
    tool(f, (char *[]){"cmake", "-S", "src", "-B", "build", NULL});
}

static void test_ctest_junit(void **state)
{
    fixture *f = *state;
    cmake_project(f, "add_test(NAME passes COMMAND true)\n"
                     "add_test(NAME fails COMMAND false)\n");
    tool(f, (char *[]){"ctest", "--test-dir", "build", "--output-junit", "ctest.xml", NULL});
    local_time_report(f, "build/ctest.xml");
}

/* ctest counts a test it cannot run (here: no such executable) as failed and exits 1, and
 * writes it as status="notrun" with a <skipped> like its real skips (SKIP_RETURN_CODE):
 * ci.status fails the one run and passes the other, as ctest's exit status says. */
static void test_ctest_not_run(void **state)
{
    fixture *f = *state;
    cmake_project(f, "add_test(NAME passes COMMAND true)\n"
                     "add_test(NAME skips COMMAND sh -c \"exit 77\")\n"
                     "set_tests_properties(skips PROPERTIES SKIP_RETURN_CODE 77)\n"
                     "add_test(NAME missing COMMAND /nonexistent/relgate-ci-test)\n");
    tool(f, (char *[]){"ctest", "--test-dir", "build", "--output-junit", "all.xml", NULL});
    judge(f, "build/all.xml", "{\"reports\": \"tests\"}", RG_CHECK_FAIL);
    assert_int_equal(ci_detail_number(&f->res, "tests.failures"), 1);
    assert_int_equal(ci_detail_number(&f->res, "tests.skipped"), 1);
    assert_string_equal(ci_detail_string(&f->res, "failing_tests.0.name"), "missing.missing");
    assert_string_equal(ci_detail_string(&f->res, "failing_tests.0.message"), "not run: Unable to find executable");
    tool(f, (char *[]){"ctest", "--test-dir", "build", "-E", "missing", "--output-junit", "ran.xml", NULL});
    judge(f, "build/ran.xml", "{\"reports\": \"tests\"}", RG_CHECK_PASS);
    assert_non_null(strstr(f->res.message, "all passed: 2 tests (0 failed, 1 skipped)"));
}

static void test_pytest_junit(void **state)
{
    fixture *f = *state;
    ci_write(f->dir, "test_sample.py",
             "def test_passes():\n    assert True\n\n"
             "def test_fails():\n    assert 1 + 1 == 3\n", RGT_TEXT);
    tool(f, (char *[]){"pytest-3", "-q", "-p", "no:cacheprovider", "--junitxml=pytest.xml", "test_sample.py", NULL});
    local_time_report(f, "pytest.xml");
}

/* jest-junit writes `new Date(start).toISOString()` without its Z: UTC, whatever the
 * runner's zone.  Read in the default zone (UTC) it is minutes old; given the runner's
 * offset, as a local-time writer needs, it would look nine hours old and fail max_age,
 * which is why the README says to leave `timezone` at UTC for jest-junit reports. */
static void test_jest_junit(void **state)
{
    fixture *f = *state;
    char reporter[PATH_MAX + 64];
    ci_write(f->dir, "package.json", "{\"name\": \"relgate-ci-test\", \"private\": true}\n", RGT_TEXT);
    ci_write(f->dir, "sum.test.js",
             "test('adds', () => { expect(1 + 1).toBe(2); });\n"
             "test('fails', () => { expect(1 + 1).toBe(3); });\n", RGT_TEXT);
    snprintf(reporter, sizeof reporter, "--reporters=%s/node_modules/jest-junit", npm_tools);
    tool(f, (char *[]){npm_jest, "--ci", "--watchman=false", "--reporters=default", reporter, NULL});
    judge(f, "jest.xml", "{\"reports\": \"tests\", \"max_age\": \"1h\"}", RG_CHECK_FAIL);
    fresh_with_one_failure(f);
    assert_string_equal(ci_detail_string(&f->res, "freshness.zone_assumed"), "UTC");
    judge(f, "jest.xml", "{\"reports\": \"tests\", \"max_age\": \"1h\", \"timezone\": \"+09:00\"}", RG_CHECK_FAIL);
    assert_non_null(strstr(f->res.message, "max_age"));
}

/* node's junit reporter (node 20.13+) writes a failing todo test with <skipped type="todo"/>
 * and its <failure>; node counts it as todo and exits 0, and so ci.status passes. */
static void test_node_todo(void **state)
{
    fixture *f = *state;
    ci_write(f->dir, "t.test.mjs",
             "import { test } from 'node:test';\n"
             "import assert from 'node:assert';\n"
             "test('works', () => {});\n"
             "test('not implemented yet', { todo: 'JIRA-12' }, () => { assert.fail('not yet'); });\n", RGT_TEXT);
    tool(f, (char *[]){"node", "--test", "--test-reporter=junit", "--test-reporter-destination=node.xml", "t.test.mjs",
                       NULL});
    if (access(rgt_path(f->dir, "node.xml"), R_OK) != 0)
        skip();   /* a node without the junit reporter */
    judge(f, "node.xml", "{\"reports\": \"tests\"}", RG_CHECK_PASS);
    assert_string_equal(f->res.message, "all passed: 2 tests (0 failed, 1 skipped) in tests (junit)");
}

/* Where scripts/npm-tools.sh installs (its --print-dir): $RELGATE_NPM_TOOLS, else the
 * user's cache directory. */
static int find_npm_tools(void)
{
    const char *env = getenv("RELGATE_NPM_TOOLS"), *cache = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (env && *env)
        snprintf(npm_tools, sizeof npm_tools, "%s", env);
    else if (cache && *cache)
        snprintf(npm_tools, sizeof npm_tools, "%s/relgate/npm-tools", cache);
    else if (home && *home)
        snprintf(npm_tools, sizeof npm_tools, "%s/.cache/relgate/npm-tools", home);
    else
        return 0;
    snprintf(npm_jest, sizeof npm_jest, "%s/node_modules/.bin/jest", npm_tools);
    snprintf(reporter_js, sizeof reporter_js, "%s/node_modules/jest-junit/index.js", npm_tools);
    return access(npm_jest, X_OK) == 0 && access(reporter_js, R_OK) == 0 && rgt_have("node");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_mocha_xunit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ctest_junit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ctest_not_run, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pytest_junit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_jest_junit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_node_todo, setup, teardown),
    };
    /* "needs" a path that exists: a tool missing from $PATH names one that does not */
    const char *const needs[] = {
        rgt_have("mocha") ? NULL : "mocha (not on $PATH)",
        rgt_have("ctest") && rgt_have("cmake") ? NULL : "cmake and ctest (not on $PATH)",
        rgt_have("ctest") && rgt_have("cmake") ? NULL : "cmake and ctest (not on $PATH)",
        rgt_have("pytest-3") ? NULL : "pytest-3 (not on $PATH)",
        find_npm_tools() ? NULL : "jest and jest-junit (run scripts/npm-tools.sh)",
        rgt_have("node") ? NULL : "node (not on $PATH)",
    };
    return rgt_run_with_data("ci tools", tests, needs, sizeof tests / sizeof tests[0]);
}
