/* ci.status through its descriptor, as the engine runs it: parameters checked and
 * defaulted, a release context in a temporary directory, evidence read by the host. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ci_test_util.h"
#include "plugins.h"

#define SHA "8c4e2d19a07b3f5e6c1d8a9b2e4f70c3d5a6b8e1"
#define NOW 1749546000   /* 2025-06-10T09:00:00Z */

const rg_plugin *relgate_plugin_entry(void);

typedef struct fixture {
    char *dir;
    rg_context *ctx;
    rg_check_result res;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->dir = ci_tmpdir();
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

/* Copy tests/data/NAME into the fixture's directory as AS. */
static void copy_data(fixture *f, const char *name, const char *as)
{
    rgt_copy(f->dir, as, rgt_path(CI_TEST_DATA, name));
}

/* (Re)load the context with COMMIT and EVIDENCE, run with PARAMS, expect STATUS. */
static void run(fixture *f, const char *commit, const char *evidence, const char *params, rg_check_status status)
{
    if (f->ctx)
        rg_context_free(f->ctx);
    rg_check_result_clear(&f->res);
    f->ctx = ci_context(f->dir, commit, evidence);
    if (ci_run(params, f->ctx, NOW, &f->res) != 0)
        fail_msg("parameters refused: %s", params);
    if (f->res.status != status) {
        char *json = rg_check_result_to_json(&f->res);
        fail_msg("status %s, expected %s: %s", rg_check_status_name(f->res.status), rg_check_status_name(status), json);
    }
}

#define CI_EVIDENCE "\"ci\": \"ci.json\""

/* ---- The descriptor -------------------------------------------------------------------- */

static void test_descriptor(void **state)
{
    const rg_plugin *p = relgate_plugin_entry();
    rg_error err = {0};
    (void)state;
    assert_non_null(p);
    assert_int_equal(p->abi_major, RG_PLUGIN_ABI_MAJOR);
    assert_int_equal(p->size, sizeof(rg_plugin));
    assert_string_equal(p->name, "ci");
    assert_int_equal(p->check_count, 1);
    assert_string_equal(p->checks[0].name, "ci.status");
    assert_int_equal(rg_plugin_validate(p, "relgate-ci.so", &err), 0);   /* defaults parse, names unique */
    assert_true(p->checks[0].params[0].required);
    assert_int_equal(p->checks[0].params[0].type, RG_PARAM_EVIDENCE_LIST);
    for (size_t i = 0; i < p->checks[0].param_count; i++)
        assert_true(strlen(p->checks[0].params[i].description) > 10);
}

static void test_parameters_refused_before_running(void **state)
{
    fixture *f = *state;
    rg_check_result res = {0};
    ci_write(f->dir, "ci.json", "{}", (size_t)-1);
    f->ctx = ci_context(f->dir, NULL, CI_EVIDENCE);
    assert_int_equal(ci_run("{}", f->ctx, NOW, &res), -1);                                  /* reports is required */
    assert_int_equal(ci_run("{\"reports\": \"ci\", \"colour\": 1}", f->ctx, NOW, &res), -1);  /* no such parameter */
    assert_int_equal(ci_run("{\"reports\": \"ci\", \"max_age\": \"soon\"}", f->ctx, NOW, &res), -1);
    assert_int_equal(ci_run("{\"reports\": \"../ci\"}", f->ctx, NOW, &res), -1);
}

/* ---- GitHub ----------------------------------------------------------------------------- */

static void test_all_passing(void **state)
{
    fixture *f = *state;
    ci_write(f->dir, "ci.json",
             "{\"total_count\": 2, \"check_runs\": ["
             "{\"id\": 1, \"name\": \"build\", \"head_sha\": \"" SHA "\", \"status\": \"completed\", \"conclusion\": \"success\"},"
             "{\"id\": 2, \"name\": \"test\", \"head_sha\": \"" SHA "\", \"status\": \"completed\", \"conclusion\": \"success\"}]}",
             (size_t)-1);
    run(f, SHA, CI_EVIDENCE, "{\"reports\": \"ci\", \"required\": [\"build\", \"test\"]}", RG_CHECK_PASS);
    assert_string_equal(f->res.message, "all passed: 2 checks in ci (github-check-runs)");
    assert_string_equal(ci_detail_string(&f->res, "reports.0.evidence"), "ci");
    assert_string_equal(ci_detail_string(&f->res, "reports.0.format"), "github-check-runs");
    assert_int_equal(ci_detail_number(&f->res, "totals.passed"), 2);
    assert_int_equal(ci_detail_number(&f->res, "totals.failing"), 0);
    assert_string_equal(ci_detail_string(&f->res, "commit"), SHA);
}

static void test_failing_rerun_and_other_commit(void **state)
{
    fixture *f = *state;
    copy_data(f, "github-check-runs.json", "ci.json");
    /* "test" failed, then passed on a re-run; "lint" is neutral; "deploy-preview" ran on another commit */
    run(f, SHA, CI_EVIDENCE, "{\"reports\": \"ci\"}", RG_CHECK_FAIL);
    assert_string_equal(f->res.message, "1 failing: lint (neutral) (3 checks in ci (github-check-runs))");
    assert_string_equal(ci_detail_string(&f->res, "failing.0.name"), "lint");
    assert_string_equal(ci_detail_string(&f->res, "failing.0.state"), "neutral");
    assert_string_equal(ci_detail_string(&f->res, "failing.0.report"), "ci");
    assert_int_equal(ci_detail_number(&f->res, "failing.0.id"), 103);
    assert_int_equal(ci_detail_number(&f->res, "reports.0.results"), 5);
    assert_int_equal(ci_detail_number(&f->res, "reports.0.ignored_other_commit"), 1);
    assert_int_equal(ci_detail_number(&f->res, "reports.0.superseded_reruns"), 1);

    run(f, SHA, CI_EVIDENCE, "{\"reports\": \"ci\", \"success\": [\"success\", \"neutral\"]}", RG_CHECK_PASS);

    /* without commit matching, the other commit's failure counts */
    run(f, SHA, CI_EVIDENCE, "{\"reports\": \"ci\", \"success\": [\"success\", \"neutral\"], \"match_commit\": false}",
        RG_CHECK_FAIL);
    assert_contains(f->res.message, "1 failing: deploy-preview (failure)");
    assert_null(ci_detail(&f->res, "commit"));
    /* nor when the context names no commit */
    run(f, NULL, CI_EVIDENCE, "{\"reports\": \"ci\", \"success\": [\"success\", \"neutral\"]}", RG_CHECK_FAIL);
    assert_string_equal(ci_detail_string(&f->res, "failing.0.sha"), "0000aaaa1111bbbb2222cccc3333dddd4444eeee");
    /* an abbreviated commit in the context matches */
    run(f, "8c4e2d19", CI_EVIDENCE, "{\"reports\": \"ci\", \"success\": [\"success\", \"neutral\"]}", RG_CHECK_PASS);
}

static void test_no_result_for_the_commit(void **state)
{
    fixture *f = *state;
    copy_data(f, "github-check-runs.json", "ci.json");
    run(f, "1234567890abcdef1234567890abcdef12345678", CI_EVIDENCE, "{\"reports\": \"ci\"}", RG_CHECK_FAIL);
    assert_contains(f->res.message, "none of the 5 results in ci is for commit 1234567890ab (they are for 8c4e2d19a07b...)");
    assert_int_equal(ci_detail_number(&f->res, "totals.checks"), 0);
}

static void test_pending(void **state)
{
    fixture *f = *state;
    copy_data(f, "github-rollup.json", "ci.json");
    run(f, SHA, CI_EVIDENCE, "{\"reports\": \"ci\"}", RG_CHECK_FAIL);
    assert_string_equal(f->res.message, "1 pending: e2e (in_progress) (3 checks in ci (github-graphql-rollup))");
    assert_string_equal(ci_detail_string(&f->res, "pending.0.name"), "e2e");
    run(f, SHA, CI_EVIDENCE, "{\"reports\": \"ci\", \"pending_fails\": false}", RG_CHECK_WARN);
    assert_string_equal(f->res.message, "1 warning: e2e (in_progress) (3 checks in ci (github-graphql-rollup))");
    assert_int_equal(ci_detail_number(&f->res, "totals.warnings"), 1);
}

static void test_required(void **state)
{
    fixture *f = *state;
    copy_data(f, "github-rollup.json", "ci.json");
    run(f, SHA, CI_EVIDENCE, "{\"reports\": \"ci\", \"required\": [\"build\", \"ci/jenkins\", \"deploy\", \"deploy\"],"
        " \"pending_fails\": false}", RG_CHECK_FAIL);
    assert_contains(f->res.message, "missing required: deploy (");
    assert_int_equal(ci_detail_size(&f->res, "missing"), 1);   /* listed twice, missing once */
    assert_string_equal(ci_detail_string(&f->res, "missing.0"), "deploy");
    /* only the required ones judged: the pending e2e is a warning */
    run(f, SHA, CI_EVIDENCE, "{\"reports\": \"ci\", \"required\": [\"build\"], \"only_required\": true}", RG_CHECK_WARN);
    run(f, SHA, CI_EVIDENCE, "{\"reports\": \"ci\", \"required\": [\"e2e\"], \"only_required\": true}", RG_CHECK_FAIL);
    assert_true(cJSON_IsTrue(ci_detail(&f->res, "pending.0.required")));
    run(f, SHA, CI_EVIDENCE, "{\"reports\": \"ci\", \"only_required\": true}", RG_CHECK_ERROR);
    assert_contains(f->res.message, "only_required needs the required list");
}

/* ---- GitLab ------------------------------------------------------------------------------ */

static void test_gitlab_allow_failure(void **state)
{
    fixture *f = *state;
    copy_data(f, "gitlab-jobs.json", "ci.json");
    run(f, SHA, CI_EVIDENCE, "{\"reports\": \"ci\"}", RG_CHECK_WARN);
    assert_string_equal(f->res.message, "2 warnings: docs-linkcheck (failed), deploy-prod (manual) (4 checks in ci (gitlab-jobs))");
    assert_true(cJSON_IsTrue(ci_detail(&f->res, "warnings.0.allow_failure")));
    assert_string_equal(ci_detail_string(&f->res, "warnings.0.note"), "failure_reason: script_failure");
    run(f, SHA, CI_EVIDENCE, "{\"reports\": \"ci\", \"allow_failures\": false}", RG_CHECK_FAIL);
    assert_string_equal(f->res.message,
                        "1 failing: docs-linkcheck (failed); 1 pending: deploy-prod (manual) (4 checks in ci (gitlab-jobs))");
    /* a manual job can be counted as done */
    run(f, SHA, CI_EVIDENCE, "{\"reports\": \"ci\", \"allow_failures\": false, \"success\": [\"success\", \"manual\"]}",
        RG_CHECK_FAIL);
    assert_int_equal(ci_detail_number(&f->res, "totals.pending"), 0);
}

static void test_gitlab_test_report(void **state)
{
    fixture *f = *state;
    copy_data(f, "gitlab-test-report.json", "ci.json");
    run(f, NULL, CI_EVIDENCE, "{\"reports\": \"ci\"}", RG_CHECK_FAIL);
    assert_string_equal(f->res.message, "1 failing: rspec (1 failed, 0 errors) (4 tests (1 failed, 1 skipped) in ci (gitlab-test-report))");
    assert_string_equal(ci_detail_string(&f->res, "failing_tests.0.name"), "spec.refund_spec.rejects a negative amount");
    assert_int_equal(ci_detail_number(&f->res, "tests.skipped"), 1);
}

/* ---- JUnit ------------------------------------------------------------------------------- */

static void test_junit(void **state)
{
    fixture *f = *state;
    copy_data(f, "junit-mixed.xml", "junit.xml");
    run(f, NULL, "\"tests\": \"junit.xml\"", "{\"reports\": \"tests\", \"required\": [\"api\", \"ui.checkout\"]}",
        RG_CHECK_FAIL);
    assert_string_equal(f->res.message, "1 failing: api (1 failed, 1 error) (7 tests (2 failed, 2 skipped) in tests (junit))");
    assert_int_equal(ci_detail_number(&f->res, "tests.total"), 7);
    assert_int_equal(ci_detail_number(&f->res, "tests.passed"), 3);
    assert_int_equal(ci_detail_number(&f->res, "tests.flaky"), 1);
    assert_int_equal(ci_detail_number(&f->res, "failing_tests_total"), 2);
    assert_string_equal(ci_detail_string(&f->res, "failing_tests.0.name"), "api.Refunds.full refund");
    assert_string_equal(ci_detail_string(&f->res, "failing_tests.0.message"), "expected 200, got 500");
    assert_string_equal(ci_detail_string(&f->res, "failing_tests.1.kind"), "error");
    assert_int_equal(ci_detail_number(&f->res, "failing.0.failures"), 1);
    assert_true(cJSON_IsTrue(ci_detail(&f->res, "failing.0.required")));

    ci_write(f->dir, "junit.xml", "<testsuite name=\"s\"><testcase name=\"a\"/><testcase name=\"b\"><skipped/></testcase>"
             "</testsuite>", (size_t)-1);
    run(f, NULL, "\"tests\": \"junit.xml\"", "{\"reports\": \"tests\"}", RG_CHECK_PASS);
    assert_string_equal(f->res.message, "all passed: 2 tests (0 failed, 1 skipped) in tests (junit)");
    run(f, NULL, "\"tests\": \"junit.xml\"", "{\"reports\": \"tests\", \"format\": \"github\"}", RG_CHECK_ERROR);
    assert_contains(f->res.message, "XML, not a GitHub report");
}

/* ctest counts a test it could not run (no executable, required files missing, a failed
 * fixture) as failed, and writes it as a skip with the reason (found/ctest-3.25.1-not-run-only.xml) */
static void test_junit_ctest_not_run(void **state)
{
    fixture *f = *state;
    ci_write(f->dir, "junit.xml",
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"(empty)\" tests=\"3\" failures=\"0\""
             " disabled=\"0\" skipped=\"2\" hostname=\"\" time=\"0\" timestamp=\"2025-06-10T08:50:00\">"
             "<testcase name=\"pass\" classname=\"pass\" time=\"0.005\" status=\"run\"><system-out></system-out></testcase>"
             "<testcase name=\"skipme\" classname=\"skipme\" time=\"0.005\" status=\"notrun\">"
             "<skipped message=\"SKIP_RETURN_CODE=77\"/><system-out></system-out></testcase>"
             "<testcase name=\"unit_tests\" classname=\"unit_tests\" time=\"0\" status=\"notrun\">"
             "<skipped message=\"Unable to find executable\"/>"
             "<system-out>Unable to find executable: /b/unit_tests</system-out></testcase></testsuite>\n", (size_t)-1);
    run(f, NULL, "\"tests\": \"junit.xml\"", "{\"reports\": \"tests\"}", RG_CHECK_FAIL);
    assert_string_equal(f->res.message,
                        "1 failing: (empty) (1 failed, 0 errors) (3 tests (1 failed, 1 skipped) in tests (junit))");
    assert_string_equal(ci_detail_string(&f->res, "failing_tests.0.name"), "unit_tests.unit_tests");
    assert_string_equal(ci_detail_string(&f->res, "failing_tests.0.message"), "not run: Unable to find executable");
}

/* node's junit reporter: a failing todo test is a todo, as node counts it (exit 0;
 * found/node-20.20.2-test-junit-failing-todo-only.xml) */
static void test_junit_node_todo(void **state)
{
    fixture *f = *state;
    ci_write(f->dir, "junit.xml",
             "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<testsuites>\n"
             "\t<testcase name=\"works\" time=\"0.002088\" classname=\"test\"/>\n"
             "\t<testcase name=\"not implemented yet\" time=\"0.001250\" classname=\"test\" failure=\"not yet\">\n"
             "\t\t<skipped type=\"todo\" message=\"JIRA-12\"/>\n"
             "\t\t<failure type=\"testCodeFailure\" message=\"not yet\">\n[Error [ERR_TEST_FAILURE]: not yet]\n\t\t</failure>\n"
             "\t</testcase>\n\t<!-- tests 2 -->\n\t<!-- fail 0 -->\n\t<!-- todo 1 -->\n</testsuites>\n", (size_t)-1);
    run(f, NULL, "\"tests\": \"junit.xml\"", "{\"reports\": \"tests\"}", RG_CHECK_PASS);
    assert_string_equal(f->res.message, "all passed: 2 tests (0 failed, 1 skipped) in tests (junit)");
}

/* a JUnit report as Windows PowerShell writes it: UTF-16 LE after a byte order mark */
static void test_junit_utf16(void **state)
{
    static const char xml[] = "<?xml version=\"1.0\" encoding=\"utf-16\"?>\r\n<testsuite name=\"win\" tests=\"2\">"
                              "<testcase name=\"a\"/><testcase name=\"b\"><skipped/></testcase></testsuite>\r\n";
    fixture *f = *state;
    char buf[2 + 2 * sizeof xml];
    size_t n = 0;
    buf[n++] = '\xFF';
    buf[n++] = '\xFE';
    for (const char *c = xml; *c; c++) {
        buf[n++] = *c;
        buf[n++] = '\0';
    }
    ci_write(f->dir, "junit.xml", buf, n);
    run(f, NULL, "\"tests\": \"junit.xml\"", "{\"reports\": \"tests\", \"required\": [\"win\"]}", RG_CHECK_PASS);
    assert_string_equal(f->res.message, "all passed: 2 tests (0 failed, 1 skipped) in tests (junit)");
}

/* ---- Freshness ---------------------------------------------------------------------------- */

static void test_max_age(void **state)
{
    fixture *f = *state;
    copy_data(f, "github-check-runs.json", "ci.json");
    /* the newest completion for the commit is 08:31, NOW is 09:00 */
    run(f, SHA, CI_EVIDENCE, "{\"reports\": \"ci\", \"success\": [\"success\", \"neutral\"], \"max_age\": \"1h\"}",
        RG_CHECK_PASS);
    assert_string_equal(ci_detail_string(&f->res, "freshness.newest"), "2025-06-10T08:31:00Z");
    assert_int_equal(ci_detail_number(&f->res, "freshness.age_seconds"), 29 * 60);
    run(f, SHA, CI_EVIDENCE, "{\"reports\": \"ci\", \"success\": [\"success\", \"neutral\"], \"max_age\": \"10m\"}",
        RG_CHECK_FAIL);
    assert_contains(f->res.message, "the newest result (2025-06-10T08:31:00Z) is 29m0s old, more than max_age 10m0s");
    assert_string_equal(ci_detail_string(&f->res, "problems.0"),
                        "the newest result (2025-06-10T08:31:00Z) is 29m0s old, more than max_age 10m0s");
    copy_data(f, "gitlab-test-report.json", "ci.json");   /* no timestamps at all */
    run(f, NULL, CI_EVIDENCE, "{\"reports\": \"ci\", \"max_age\": 86400}", RG_CHECK_FAIL);
    assert_contains(f->res.message, "max_age is set but the reports carry no completion time");
}

/* A completion more than five minutes ahead of the clock is refused, not passed: a negative
 * age is a wrong clock or zone (the rule of every check, common/rfc3339.h). */
static void test_future_completion(void **state)
{
    fixture *f = *state;
    ci_write(f->dir, "junit.xml",
             "<testsuite name=\"u\" tests=\"1\" timestamp=\"2025-06-10T09:04:59Z\" time=\"1\">"
             "<testcase name=\"a\"/></testsuite>", (size_t)-1);
    /* exactly five minutes ahead: within the slack */
    run(f, NULL, "\"tests\": \"junit.xml\"", "{\"reports\": \"tests\", \"max_age\": \"1h\"}", RG_CHECK_PASS);
    assert_int_equal(ci_detail_number(&f->res, "freshness.age_seconds"), -300);
    ci_write(f->dir, "junit.xml",
             "<testsuite name=\"u\" tests=\"1\" timestamp=\"2025-06-10T09:05:00Z\" time=\"2\">"
             "<testcase name=\"a\"/></testsuite>", (size_t)-1);
    run(f, NULL, "\"tests\": \"junit.xml\"", "{\"reports\": \"tests\", \"max_age\": \"1h\"}", RG_CHECK_FAIL);
    assert_contains(f->res.message, "the newest result (2025-06-10T09:05:02Z) is dated 5m2s in the future");
}

/* ctest and pytest write the runner's local time without a zone: read in the timezone
 * parameter's zone (UTC unless given), and the details say which was assumed. */
static void test_zone_less_times(void **state)
{
    fixture *f = *state;
    ci_write(f->dir, "junit.xml",
             "<testsuites><testsuite name=\"pytest\" tests=\"1\" time=\"0.5\" timestamp=\"2025-06-10T10:30:00.123456\">"
             "<testcase name=\"a\"/></testsuite></testsuites>", (size_t)-1);
    /* read as UTC, 10:30 is 1h30 ahead of NOW (09:00): refused as in the future */
    run(f, NULL, "\"tests\": \"junit.xml\"", "{\"reports\": \"tests\", \"max_age\": \"1h\"}", RG_CHECK_FAIL);
    assert_contains(f->res.message, "in the future (clock or time zone wrong?)");
    assert_string_equal(ci_detail_string(&f->res, "reports.0.zone_assumed"), "UTC");
    assert_string_equal(ci_detail_string(&f->res, "freshness.zone_assumed"), "UTC");
    /* the runner was at +02:00: 10:30 local is 08:30 UTC, half an hour old */
    run(f, NULL, "\"tests\": \"junit.xml\"",
        "{\"reports\": \"tests\", \"max_age\": \"1h\", \"timezone\": \"+02:00\"}", RG_CHECK_PASS);
    assert_string_equal(ci_detail_string(&f->res, "freshness.newest"), "2025-06-10T08:30:00Z");
    assert_string_equal(ci_detail_string(&f->res, "reports.0.zone_assumed"), "+02:00");
    /* a report whose times name their zone says nothing of an assumed one */
    copy_data(f, "junit-nextest-shape.xml", "junit.xml");
    run(f, NULL, "\"tests\": \"junit.xml\"",
        "{\"reports\": \"tests\", \"max_age\": \"2h\", \"timezone\": \"+02:00\"}", RG_CHECK_FAIL);
    assert_null(ci_detail(&f->res, "reports.0.zone_assumed"));
    assert_null(ci_detail(&f->res, "freshness.zone_assumed"));
    /* a region name would need tzdata and its summer time: refused, not guessed */
    run(f, NULL, "\"tests\": \"junit.xml\"", "{\"reports\": \"tests\", \"timezone\": \"Europe/Berlin\"}",
        RG_CHECK_ERROR);
    assert_contains(f->res.message, "parameter 'timezone' must be UTC or an offset like +02:00");
}

/* nextest puts its times on <testsuites> and each <testcase>, never on <testsuite>; mocha's
 * xunit writes an RFC 1123 date.  Both carry a completion time. */
static void test_completion_time_dialects(void **state)
{
    fixture *f = *state;
    copy_data(f, "junit-nextest-shape.xml", "junit.xml");
    run(f, NULL, "\"tests\": \"junit.xml\"", "{\"reports\": \"tests\", \"max_age\": \"1h\"}", RG_CHECK_FAIL);
    assert_contains(f->res.message, "1 failing: relgate-demo::integration (1 failed, 0 errors)");
    /* the latest case ends at 08:00:30.5 + 30.31 s */
    assert_string_equal(ci_detail_string(&f->res, "freshness.newest"), "2025-06-10T08:01:00Z");
    ci_write(f->dir, "junit.xml",
             "<testsuite name=\"Mocha Tests\" tests=\"1\" failures=\"0\" errors=\"0\" skipped=\"0\" "
             "timestamp=\"Tue, 10 Jun 2025 08:40:00 GMT\" time=\"0.013\">"
             "<testcase classname=\"math\" name=\"adds\" time=\"0\"/></testsuite>", (size_t)-1);
    run(f, NULL, "\"tests\": \"junit.xml\"", "{\"reports\": \"tests\", \"max_age\": \"1h\"}", RG_CHECK_PASS);
    assert_string_equal(ci_detail_string(&f->res, "freshness.newest"), "2025-06-10T08:40:00Z");
    assert_null(ci_detail(&f->res, "freshness.zone_assumed"));
    /* a run-level time alone dates the suites in it */
    ci_write(f->dir, "junit.xml",
             "<testsuites timestamp=\"2025-06-10T08:50:00+00:00\" time=\"60\"><testsuite name=\"s\">"
             "<testcase name=\"a\"/></testsuite></testsuites>", (size_t)-1);
    run(f, NULL, "\"tests\": \"junit.xml\"", "{\"reports\": \"tests\", \"max_age\": \"1h\"}", RG_CHECK_PASS);
    assert_string_equal(ci_detail_string(&f->res, "freshness.newest"), "2025-06-10T08:51:00Z");
}

/* A single workflow run without head_sha is recognised (its reader needs no sha) and its
 * failure is reported; what it lacks is said, and with a commit to match it fails. */
static void test_single_object_without_sha(void **state)
{
    fixture *f = *state;
    ci_write(f->dir, "ci.json",
             "{\"id\": 7, \"name\": \"CI\", \"run_number\": 42, \"event\": \"push\", \"status\": \"completed\","
             " \"conclusion\": \"failure\", \"updated_at\": \"2025-06-10T08:30:00Z\"}", (size_t)-1);
    run(f, NULL, CI_EVIDENCE, "{\"reports\": \"ci\"}", RG_CHECK_FAIL);
    assert_contains(f->res.message, "1 failing: CI (failure)");
    assert_string_equal(ci_detail_string(&f->res, "reports.0.format"), "github-workflow-run");
    assert_string_equal(ci_detail_string(&f->res, "reports.0.missing"), "head_sha");
    ci_write(f->dir, "ci.json",
             "{\"id\": 7, \"name\": \"CI\", \"run_number\": 42, \"status\": \"completed\", \"conclusion\": \"success\"}",
             (size_t)-1);
    run(f, NULL, CI_EVIDENCE, "{\"reports\": \"ci\"}", RG_CHECK_PASS);
    /* the release names its commit: a run that cannot be matched to it does not pass */
    run(f, SHA, CI_EVIDENCE, "{\"reports\": \"ci\"}", RG_CHECK_FAIL);
    assert_contains(f->res.message, "ci is a github-workflow-run without head_sha: it cannot be matched to commit 8c4e2d19a07b");
    run(f, SHA, CI_EVIDENCE, "{\"reports\": \"ci\", \"match_commit\": false}", RG_CHECK_PASS);
}

/* ---- What cannot be judged ------------------------------------------------------------------ */

static void test_unreadable_and_unrecognised(void **state)
{
    fixture *f = *state;
    run(f, NULL, CI_EVIDENCE, "{\"reports\": \"ci\"}", RG_CHECK_ERROR);   /* declared, no file */
    assert_contains(f->res.message, "evidence 'ci': cannot read the report:");
    run(f, NULL, CI_EVIDENCE, "{\"reports\": \"nope\"}", RG_CHECK_ERROR);   /* not declared */
    assert_contains(f->res.message, "evidence 'nope': cannot read the report:");
    ci_write(f->dir, "ci.json", "{\"url\": \"x\", \"mergeable_state\": \"clean\", \"head\": {}}", (size_t)-1);
    run(f, NULL, CI_EVIDENCE, "{\"reports\": \"ci\"}", RG_CHECK_ERROR);
    assert_string_equal(f->res.message, "evidence 'ci': unrecognised report format: a pull or merge request, not CI status");
    assert_string_equal(ci_detail_string(&f->res, "reports.0.error"),
                        "unrecognised report format: a pull or merge request, not CI status");
    ci_write(f->dir, "bad.xml", "<testsuite>", (size_t)-1);
    run(f, NULL, CI_EVIDENCE ", \"junit\": \"bad.xml\"", "{\"reports\": [\"junit\", \"ci\"]}", RG_CHECK_ERROR);
    assert_contains(f->res.message, "evidence 'junit': not well-formed XML");
    assert_contains(f->res.message, "(and more: see details)");
    assert_int_equal(ci_detail_size(&f->res, "reports"), 2);
}

static void test_bad_parameter_values(void **state)
{
    fixture *f = *state;
    copy_data(f, "github-check-runs.json", "ci.json");
    /* The values the descriptor allows: the engine refuses others before the check runs. */
    rgt_refused(rgt_find_check(relgate_plugin_entry(), "ci.status"), "{\"reports\": \"ci\", \"format\": \"jenkins\"}",
                "format is \"jenkins\", not one of the values it allows: auto, github, gitlab, junit");
    run(f, NULL, CI_EVIDENCE, "{\"reports\": \"ci\", \"success\": [\"success\", \"cancelled\"]}", RG_CHECK_ERROR);
    assert_contains(f->res.message, "success lists 'cancelled', a failing conclusion");
    run(f, NULL, CI_EVIDENCE, "{\"reports\": \"ci\", \"success\": []}", RG_CHECK_ERROR);
    run(f, NULL, CI_EVIDENCE, "{\"reports\": []}", RG_CHECK_ERROR);
    run(f, SHA, CI_EVIDENCE, "{\"reports\": \"ci\", \"format\": \"github\", \"success\": [\"success\", \"neutral\"]}",
        RG_CHECK_PASS);
    run(f, SHA, CI_EVIDENCE, "{\"reports\": \"ci\", \"format\": \"gitlab\"}", RG_CHECK_ERROR);
}

static void test_empty_and_incomplete(void **state)
{
    fixture *f = *state;
    ci_write(f->dir, "ci.json", "{\"total_count\": 0, \"check_runs\": []}", (size_t)-1);
    run(f, NULL, CI_EVIDENCE, "{\"reports\": \"ci\"}", RG_CHECK_FAIL);
    assert_string_equal(f->res.message, "ci has no checks (no checks in ci (github-check-runs))");
    run(f, NULL, CI_EVIDENCE, "{\"reports\": \"ci\", \"allow_empty\": true}", RG_CHECK_PASS);
    ci_write(f->dir, "ci.json", "<testsuites/>", (size_t)-1);
    run(f, NULL, CI_EVIDENCE, "{\"reports\": \"ci\"}", RG_CHECK_FAIL);
    assert_contains(f->res.message, "ci has no test cases");
    /* every case skipped: nothing ran either (googletest 1.12 writes a failed SetUpTestSuite
     * so, found/gtest-1.12.1-suite-setup-failure-only.xml) */
    ci_write(f->dir, "ci.json",
             "<testsuites tests=\"2\" failures=\"0\" errors=\"0\" name=\"AllTests\">"
             "<testsuite name=\"Fx\" tests=\"2\" failures=\"0\" skipped=\"2\" errors=\"0\">"
             "<testcase name=\"A\" status=\"run\" result=\"skipped\" classname=\"Fx\"><skipped message=\"g3.cc:5&#x0A;\"/>"
             "</testcase><testcase name=\"B\" status=\"run\" result=\"skipped\" classname=\"Fx\">"
             "<skipped message=\"g3.cc:6&#x0A;\"/></testcase></testsuite></testsuites>", (size_t)-1);
    run(f, NULL, CI_EVIDENCE, "{\"reports\": \"ci\"}", RG_CHECK_FAIL);
    assert_string_equal(f->res.message, "ci: no test case ran (all 2 skipped) (2 tests (0 failed, 2 skipped) in ci (junit))");
    run(f, NULL, CI_EVIDENCE, "{\"reports\": \"ci\", \"allow_empty\": true}", RG_CHECK_PASS);
    ci_write(f->dir, "ci.json", "{\"total_count\": 30, \"check_runs\": [{\"name\": \"a\", \"status\": \"completed\","
             " \"conclusion\": \"success\"}]}", (size_t)-1);
    run(f, NULL, CI_EVIDENCE, "{\"reports\": \"ci\"}", RG_CHECK_FAIL);
    assert_contains(f->res.message, "ci holds 1 of 30 results (one page of a paginated list): fetch every page");
    assert_int_equal(ci_detail_number(&f->res, "reports.0.declared_total"), 30);
}

static void test_several_reports(void **state)
{
    fixture *f = *state;
    copy_data(f, "github-rollup.json", "ci.json");
    copy_data(f, "junit-mixed.xml", "junit.xml");
    run(f, SHA, CI_EVIDENCE ", \"tests\": \"junit.xml\"",
        "{\"reports\": [\"ci\", \"tests\"], \"required\": [\"build\", \"ui\"], \"pending_fails\": false}", RG_CHECK_FAIL);
    assert_string_equal(f->res.message,
                        "1 failing: api (1 failed, 1 error) (3 checks, 7 tests (2 failed, 2 skipped) in 2 reports)");
    assert_string_equal(ci_detail_string(&f->res, "reports.1.format"), "junit");
    assert_string_equal(ci_detail_string(&f->res, "failing_tests.0.report"), "tests");
    assert_int_equal(ci_detail_number(&f->res, "totals.checks"), 6);
}

static void test_lists_are_capped(void **state)
{
    fixture *f = *state;
    size_t cap = 200 * 100 + 100, len = 0;
    char *doc = malloc(cap);
    assert_non_null(doc);
    len += (size_t)snprintf(doc + len, cap - len, "{\"total_count\": 150, \"check_runs\": [");
    for (int i = 0; i < 150; i++)
        len += (size_t)snprintf(doc + len, cap - len, "%s{\"id\": %d, \"name\": \"c%03d\", \"status\": \"completed\","
                                " \"conclusion\": \"timed_out\"}", i ? "," : "", i, i);
    snprintf(doc + len, cap - len, "]}");
    ci_write(f->dir, "ci.json", doc, (size_t)-1);
    free(doc);
    run(f, NULL, CI_EVIDENCE, "{\"reports\": \"ci\"}", RG_CHECK_FAIL);
    assert_string_equal(f->res.message,
                        "150 failing: c000 (timed_out), c001 (timed_out), c002 (timed_out), ... (150 checks in ci (github-check-runs))");
    assert_int_equal(ci_detail_size(&f->res, "failing"), 100);
    assert_int_equal(ci_detail_number(&f->res, "totals.failing"), 150);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_descriptor),
        cmocka_unit_test_setup_teardown(test_parameters_refused_before_running, setup, teardown),
        cmocka_unit_test_setup_teardown(test_all_passing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failing_rerun_and_other_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_result_for_the_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pending, setup, teardown),
        cmocka_unit_test_setup_teardown(test_required, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gitlab_allow_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gitlab_test_report, setup, teardown),
        cmocka_unit_test_setup_teardown(test_junit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_junit_ctest_not_run, setup, teardown),
        cmocka_unit_test_setup_teardown(test_junit_node_todo, setup, teardown),
        cmocka_unit_test_setup_teardown(test_junit_utf16, setup, teardown),
        cmocka_unit_test_setup_teardown(test_max_age, setup, teardown),
        cmocka_unit_test_setup_teardown(test_future_completion, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zone_less_times, setup, teardown),
        cmocka_unit_test_setup_teardown(test_completion_time_dialects, setup, teardown),
        cmocka_unit_test_setup_teardown(test_single_object_without_sha, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unreadable_and_unrecognised, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_parameter_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_and_incomplete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_several_reports, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lists_are_capped, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
