/* The ci plugin over the real files in $RG_CORPUS_DIR/{github,gitlab,junit}: every file is
 * either read into results that make sense or refused with a clear reason (and then
 * ci.status says error, never pass).  Known files have their outcome pinned, and a few
 * their exact counts, checked by hand with jq / python's ElementTree as noted. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ci_parse.h"
#include "ci_test_util.h"

#define NOW 1749546000

static const char *corpus(const char *folder, char *buf, size_t size)
{
    const char *root = getenv("RG_CORPUS_DIR");
    struct stat st;
    if (!root || !*root)
        return NULL;
    snprintf(buf, size, "%s/%s", root, folder);
    return stat(buf, &st) == 0 && S_ISDIR(st.st_mode) ? buf : NULL;
}

/* The reasons a refusal may give: each says what is wrong with the format. */
static int clear_refusal(const char *why)
{
    static const char *const starts[] = {
        "unrecognised report format: ", "malformed JSON", "not well-formed XML", "the DOCTYPE declares entity",
        "GitHub GraphQL", "elements nest deeper",
    };
    for (size_t i = 0; i < sizeof starts / sizeof starts[0]; i++)
        if (strncmp(why, starts[i], strlen(starts[i])) == 0)
            return 1;
    return 0;
}

static void sane(const char *file, const ci_report *r)
{
    if (!r->format || !*r->format)
        fail_msg("%s: no format", file);
    for (size_t i = 0; i < r->count; i++) {
        const ci_item *it = &r->items[i];
        if (!it->name || !*it->name || !it->kind)
            fail_msg("%s: item %zu has no name or kind", file, i);
        if (it->total < 0 || it->failures < 0 || it->errors < 0 || it->skipped < 0 || it->flaky < 0)
            fail_msg("%s: %s has negative counts", file, it->name);
        if (it->tests && it->failures + it->errors + it->skipped > it->total)
            fail_msg("%s: %s counts more outcomes than tests", file, it->name);
        if (!it->tests && it->state && !*it->state)
            fail_msg("%s: %s has an empty state", file, it->name);
    }
    if (r->tests) {
        if (r->t_total < 0 || r->t_failures < 0 || r->t_errors < 0 || r->t_skipped < 0)
            fail_msg("%s: negative test counts", file);
        if (r->t_failures + r->t_errors + r->t_skipped > r->t_total)
            fail_msg("%s: more outcomes than tests", file);
        if (r->failing_cases < (int64_t)r->case_count || r->case_count > CI_CASES_MAX)
            fail_msg("%s: failing cases miscounted", file);
    }
    for (size_t i = 0; i < r->case_count; i++)
        if (!r->cases[i].name || !*r->cases[i].name || !r->cases[i].suite || !r->cases[i].kind)
            fail_msg("%s: failing case %zu without a name", file, i);
}

/* Run ci.status on PATH (copied into a temporary release) and return its status. */
static rg_check_status check_file(const char *path, const char *params, char *message, size_t size)
{
    char *dir = ci_tmpdir(), *text;
    size_t len;
    rg_context *ctx;
    rg_check_result res = {0};
    rg_check_status st;
    text = ci_slurp(path, &len);
    assert_non_null(text);
    ci_write(dir, "report", text, len);
    free(text);
    ctx = ci_context(dir, NULL, "\"ci\": \"report\"");
    assert_int_equal(ci_run(params, ctx, NOW, &res), 0);
    st = res.status;
    snprintf(message, size, "%s", res.message ? res.message : "");
    rg_check_result_clear(&res);
    rg_context_free(ctx);
    ci_rmtree(dir);
    free(dir);
    return st;
}

static void walk(const char *folder, int *parsed, int *refused)
{
    char dirbuf[4096], path[4096], why[512], msg[1100];
    const char *dir = corpus(folder, dirbuf, sizeof dirbuf);
    struct dirent **names;
    int n;
    if (!dir)
        skip();
    n = scandir(dir, &names, NULL, alphasort);
    assert_true(n >= 0);
    for (int i = 0; i < n; i++) {
        ci_report r;
        char *text;
        size_t len;
        rg_check_status st;
        if (names[i]->d_name[0] == '.') {
            free(names[i]);
            continue;
        }
        snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
        text = ci_slurp(path, &len);
        assert_non_null(text);
        if (ci_parse(text, len, CI_ANY, 0, &r, why, sizeof why) == 0) {
            sane(path, &r);
            ++*parsed;
        } else {
            if (!clear_refusal(why))
                fail_msg("%s refused without a clear reason: %s", path, why);
            st = check_file(path, "{\"reports\": \"ci\"}", msg, sizeof msg);
            if (st != RG_CHECK_ERROR)
                fail_msg("%s is refused by the parser but ci.status says %s: %s", path, rg_check_status_name(st), msg);
            ++*refused;
        }
        ci_report_free(&r);
        free(text);
        free(names[i]);
    }
    free(names);
    print_message("# %s: %d parsed, %d refused\n", folder, *parsed, *refused);
}

static void test_corpus_github(void **state)
{
    int parsed = 0, refused = 0;
    (void)state;
    walk("github", &parsed, &refused);
    /* At least the files known when this was written (the corpus grows, and every file in it is
     * held to the rules above; known files' outcomes are pinned by name below): a parser that
     * starts refusing good files shows here. */
    assert_true(parsed >= 43);
    assert_true(refused >= 20);
}

static void test_corpus_gitlab(void **state)
{
    int parsed = 0, refused = 0;
    (void)state;
    walk("gitlab", &parsed, &refused);
    /* At least the files known when this was written: see test_corpus_github. */
    assert_true(parsed >= 18);
    assert_true(refused >= 16);
}

static void test_corpus_junit(void **state)
{
    int parsed = 0, refused = 0;
    (void)state;
    walk("junit", &parsed, &refused);
    /* At least the files known when this was written: see test_corpus_github. */
    assert_true(parsed >= 41);
    assert_true(refused >= 2);
}

/* ---- Pinned outcomes ------------------------------------------------------------------------ */

/* FORMAT: what the file reads as; NULL: refused, with WHY in the reason. */
static const struct { const char *file, *format, *why; } pinned[] = {
    {"github/gh-cli-graphql-pr-checks-allPassing.json", "github-graphql-rollup", NULL},
    {"github/gh-cli-graphql-pr-checks-withStatuses.json", "github-graphql-rollup", NULL},
    {"github/gh-cli-graphql-pr-view-no-checks.json", "github-graphql-rollup", NULL},
    /* four pull requests' rollups in one answer: not one commit's status */
    {"github/gh-cli-graphql-pr-status-checks-states-by-count.json", NULL, "4 statusCheckRollup blocks"},
    {"github/hub4j-check-run-in-progress.json", "github-check-run", NULL},
    {"github/hub4j-check-runs-for-ref-page1-of-8.json", "github-check-runs", NULL},
    {"github/hub4j-commit-statuses-error-pending.json", "github-statuses", NULL},
    {"github/hub4j-workflow-job.json", "github-workflow-job", NULL},
    {"github/hub4j-workflow-run-cancelled.json", "github-workflow-run", NULL},
    {"github/hub4j-workflow-run-jobs.json", "github-workflow-jobs", NULL},
    {"github/hub4j-workflow-runs-startup-failure.json", "github-workflow-runs", NULL},
    /* webhook payloads carrying a check run, suite, workflow run or job, or a status: read */
    {"github/webhook-check-run-queued.json", "github-webhook-check-run", NULL},
    {"github/hub4j-webhook-check-suite.json", "github-webhook-check-suite", NULL},
    {"github/webhook-workflow-run-action-required.json", "github-webhook-workflow-run", NULL},
    {"github/webhook-workflow-job-waiting.json", "github-webhook-workflow-job", NULL},
    {"github/webhook-status-author-committer-null.json", "github-webhook-status", NULL},
    /* not CI status */
    {"github/webhook-check-run-completed-failure.json", "github-webhook-check-run", NULL},
    {"github/webhook-workflow-job-completed-failure.json", "github-webhook-workflow-job", NULL},
    {"github/hub4j-workflow-runs-page-of-20-success-cancelled.json", "github-workflow-runs", NULL},
    {"github/hub4j-pull-open-blocked.json", NULL, "a pull or merge request"},
    {"github/jenkins-gbs-pull-deleted-fork.json", NULL, "a pull or merge request"},
    {"github/webhook-deployment-created-with-installation.json", NULL, "a deployment"},
    {"github/octokit-fixtures-errors-recording.json", NULL, "a recorded HTTP exchange"},
    {"github/schema-deployment-protection-rule-requested.schema.json", NULL, "unrecognised report format"},
    {"github/hub4j-commit-pulls-list-2.json", NULL, "a JSON array of 2, the first a pull or merge request"},
    {"github/hub4j-deployments-list.json", NULL, "the first a deployment"},
    {"github/hub4j-deployment-statuses-queued.json", NULL, "the first a deployment"},
    {"github/hub4j-deployment-object-payload.json", NULL, "a deployment"},
    {"github/webhook-deployment-status.json", NULL, "a deployment"},
    {"github/hub4j-workflow-run-artifacts.json", NULL, "an artifact list"},
    {"github/webhook-code-scanning-alert-fixed.json", NULL, "a code-scanning alert"},
    {"github/octokit-fixtures-create-status-recording.json", NULL, "a recorded HTTP exchange"},
    {"gitlab/narkoz-pipeline-success-minified.json", "gitlab-pipeline", NULL},
    {"gitlab/narkoz-pipelines-pending.json", "gitlab-pipelines", NULL},
    {"gitlab/narkoz-pipeline-jobs-failed.json", "gitlab-jobs", NULL},
    {"gitlab/narkoz-runner-jobs-running.json", "gitlab-jobs", NULL},
    {"gitlab/narkoz-commit-statuses.json", "gitlab-jobs", NULL},
    {"gitlab/gitlab4j-commit-status-failed.json", "gitlab-commit-status", NULL},
    {"gitlab/gitlab4j-job-failed-int64-artifact-size.json", "gitlab-job", NULL},
    {"gitlab/gitlab4j-bridge-downstream-pipeline.json", "gitlab-bridge", NULL},
    {"gitlab/narkoz-pipeline-bridges.json", "gitlab-bridges", NULL},
    {"gitlab/gitlab4j-pipeline-test-report-summary.json", "gitlab-test-report-summary", NULL},
    {"gitlab/narkoz-pipeline-test-report.json", "gitlab-test-report", NULL},
    {"gitlab/go-gitlab-webhook-pipeline.json", "gitlab-webhook-pipeline", NULL},
    {"gitlab/gitlab4j-webhook-job-event.json", "gitlab-webhook-job", NULL},
    /* GitLab security and code-quality reports are for the security checks */
    {"gitlab/dd-gl-sast-v15.json", NULL, "a security report"},
    {"gitlab/trivy-alpine-310.gl-container-scanning-report.json", NULL, "a security report"},
    {"gitlab/trivy-alpine-310.gl-code-quality-report.json", NULL, "a code-quality report"},
    {"gitlab/go-gitlab-merge-request-opened.json", NULL, "a pull or merge request"},
    {"gitlab/narkoz-merge-train-status.json", NULL, "a pull or merge request"},
    {"gitlab/go-gitlab-merge-trains.json", NULL, "the first a pull or merge request"},
    {"gitlab/gitlab4j-deployment.json", NULL, "a deployment"},
    {"gitlab/narkoz-deployments.json", NULL, "the first a deployment"},
    {"gitlab/gitlab4j-environment.json", NULL, "unrecognised report format: a JSON object with keys: id, name"},
    {"junit/ajr-corrupt.xml", NULL, "not well-formed XML: unclosed CDATA section"},
    {"junit/jenkins-xxe-doctype-external-entity.xml", NULL, "declares entity 'sp'"},
    {"junit/jenkins-TEST-null.xml", "junit", NULL},   /* NUL character references inside a comment */
    {"junit/dorny-empty-jest-junit.xml", "junit", NULL},
};

static void test_pinned_formats(void **state)
{
    char dirbuf[4096], path[4096], why[512];
    const char *root = corpus(".", dirbuf, sizeof dirbuf);
    (void)state;
    if (!root)
        skip();
    for (size_t i = 0; i < sizeof pinned / sizeof pinned[0]; i++) {
        ci_report r;
        size_t len;
        char *text;
        int rc;
        snprintf(path, sizeof path, "%s/%s", root, pinned[i].file);
        if (!(text = ci_slurp(path, &len)))
            fail_msg("%s is missing from the corpus", pinned[i].file);
        rc = ci_parse(text, len, CI_ANY, 0, &r, why, sizeof why);
        if (pinned[i].format && rc != 0)
            fail_msg("%s: refused (%s), expected %s", pinned[i].file, why, pinned[i].format);
        if (pinned[i].format && strcmp(r.format, pinned[i].format) != 0)
            fail_msg("%s: read as %s, expected %s", pinned[i].file, r.format, pinned[i].format);
        if (!pinned[i].format && rc == 0)
            fail_msg("%s: read as %s, expected a refusal", pinned[i].file, r.format);
        if (!pinned[i].format)
            assert_contains(why, pinned[i].why);
        ci_report_free(&r);
        free(text);
    }
}

/* Exact counts, verified by hand. */
static void parse_corpus(const char *file, ci_report *r)
{
    char dirbuf[4096], path[4096], why[512];
    const char *root = corpus(".", dirbuf, sizeof dirbuf);
    size_t len;
    char *text;
    if (!root)
        skip();
    snprintf(path, sizeof path, "%s/%s", root, file);
    text = ci_slurp(path, &len);
    assert_non_null(text);
    if (ci_parse(text, len, CI_ANY, 0, r, why, sizeof why) != 0)
        fail_msg("%s refused: %s", file, why);
    free(text);
}

static void test_exact_junit_counts(void **state)
{
    /* python3: ET.parse(f).getroot(); count iter('testcase'), children failure/error/skipped,
     * iter('testsuite') */
    static const struct { const char *file; int64_t tests, failures, errors, skipped; size_t suites; } want[] = {
        {"junit/dorny-java-pulsar-report.xml", 808, 1, 0, 14, 176},
        {"junit/dorny-jest-large-615KB.xml", 4239, 2, 0, 30, 400},
        {"junit/jenkins-huge-1.3MB.xml", 7580, 19, 0, 2430, 1},
        {"junit/ajr-surefire-email.xml", 9, 2, 5, 0, 1},
        {"junit/dorny-python-unittest.xml", 8, 1, 1, 2, 1},
        {"junit/ajr-disabled.xml", 22, 4, 2, 10, 1},   /* 10 status='disabled' count as skipped */
    };
    (void)state;
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        ci_report r;
        parse_corpus(want[i].file, &r);
        if (r.t_total != want[i].tests || r.t_failures != want[i].failures || r.t_errors != want[i].errors ||
            r.t_skipped != want[i].skipped || r.count != want[i].suites)
            fail_msg("%s: %lld tests %lld failures %lld errors %lld skipped %zu suites", want[i].file,
                     (long long)r.t_total, (long long)r.t_failures, (long long)r.t_errors, (long long)r.t_skipped,
                     r.count);
        ci_report_free(&r);
    }
}

static void test_exact_junit_details(void **state)
{
    ci_report r;
    (void)state;
    /* a <testsuite> three levels down with an <error> outside any testcase */
    parse_corpus("junit/jenkins-nested-testsuites.xml", &r);
    assert_int_equal(r.t_total, 2);
    assert_int_equal(r.case_count, 1);
    assert_string_equal(r.cases[0].suite, "test.3rdlevel");
    assert_string_equal(r.cases[0].message, "bla bla");
    ci_report_free(&r);
    /* Surefire: header failures=2 are the flakyFailure re-runs of a test that passed */
    parse_corpus("junit/jenkins-surefire-flaky.xml", &r);
    assert_int_equal(r.t_failures, 0);
    assert_int_equal(r.t_flaky, 1);
    assert_false(r.items[0].broken);
    ci_report_free(&r);
    /* a self-closing failure whose details are all in the message attribute */
    parse_corpus("junit/dorny-java-empty-failures.xml", &r);
    assert_int_equal(r.t_failures, 1);
    assert_string_equal(r.cases[0].message, "Traceback (most recent call last):");
    ci_report_free(&r);
}

static void test_exact_github_gitlab(void **state)
{
    ci_report r;
    (void)state;
    /* 6 workflow runs of 5 workflows, one failure: two runs of "Fast workflow" (push and
     * workflow_dispatch) are two runs, not re-runs (a re-run keeps its id), so none is merged */
    parse_corpus("github/hub4j-workflow-runs-push-with-failure.json", &r);
    assert_int_equal(r.count, 6);
    assert_int_equal(ci_report_latest(&r), 0);
    for (size_t i = 0; i < r.count; i++)
        assert_string_equal(r.items[i].state, strcmp(r.items[i].name, "Failing workflow") == 0 ? "failure" : "success");
    ci_report_free(&r);
    /* total_count 49, 20 runs on the page, each its own id: all judged, none merged (the
     * cancelled runs of "Slow workflow" are not hidden by a later one) */
    parse_corpus("github/hub4j-workflow-runs-page-of-20-success-cancelled.json", &r);
    assert_int_equal(r.count, 20);
    assert_int_equal(r.declared, 49);
    assert_int_equal(ci_report_latest(&r), 0);
    ci_report_free(&r);
    /* gh pr checks fixture: 2 SUCCESS, 1 IN_PROGRESS with conclusion "", 1 CANCELLED */
    parse_corpus("github/gh-cli-graphql-pr-checks-somePending.json", &r);
    assert_int_equal(r.count, 4);
    assert_string_equal(r.items[2].state, "in_progress");
    assert_string_equal(r.items[3].state, "cancelled");
    assert_string_equal(r.items[0].sha, "abc");
    ci_report_free(&r);
    /* jq '.test_suites[0].test_cases | map(.status)': 3 error + 1 success; error_count says 4 */
    parse_corpus("gitlab/go-gitlab-pipeline-test-report-errors.json", &r);
    assert_int_equal(r.t_total, 9);
    assert_int_equal(r.t_errors, 4);
    assert_int_equal(r.failing_cases, 3);
    ci_report_free(&r);
    /* status success next to yaml_errors: broken */
    parse_corpus("gitlab/gitlab4j-pipeline-with-yaml-errors.json", &r);
    assert_true(r.items[0].broken);
    ci_report_free(&r);
}

/* What ci.status says about a few real files. */
static void test_check_outcomes(void **state)
{
    static const struct { const char *file, *params; rg_check_status want; const char *says; } cases[] = {
        {"github/gh-cli-graphql-pr-checks-allPassing.json", "{\"reports\": \"ci\"}", RG_CHECK_PASS, "all passed: 3 checks"},
        {"github/gh-cli-graphql-pr-checks-someSkipping.json", "{\"reports\": \"ci\"}", RG_CHECK_FAIL, "2 failing"},
        {"github/gh-cli-graphql-pr-checks-someSkipping.json", "{\"reports\": \"ci\", \"success\": [\"success\", \"skipped\"]}",
         RG_CHECK_PASS, "all passed"},
        {"github/gh-cli-graphql-pr-checks-withStatuses.json", "{\"reports\": \"ci\"}", RG_CHECK_FAIL, "a status (failure)"},
        {"github/gh-cli-graphql-pr-view-no-checks.json", "{\"reports\": \"ci\"}", RG_CHECK_FAIL, "ci has no checks"},
        {"github/hub4j-check-run-neutral.json", "{\"reports\": \"ci\", \"success\": [\"success\", \"neutral\"]}",
         RG_CHECK_PASS, "all passed: 1 check"},
        {"github/webhook-check-run-queued.json", "{\"reports\": \"ci\"}", RG_CHECK_FAIL, "1 pending"},
        {"github/hub4j-check-runs-for-ref-page1-of-8.json", "{\"reports\": \"ci\"}", RG_CHECK_FAIL, "holds 2 of 8 results"},
        {"github/hub4j-commit-statuses-success-pending.json", "{\"reports\": \"ci\"}", RG_CHECK_PASS, "all passed: 1 check"},
        {"github/hub4j-workflow-runs-startup-failure.json", "{\"reports\": \"ci\"}", RG_CHECK_FAIL, "startup_failure"},
        {"gitlab/narkoz-pipeline-success-minified.json", "{\"reports\": \"ci\"}", RG_CHECK_PASS, "all passed"},
        {"gitlab/narkoz-pipeline-canceled.json", "{\"reports\": \"ci\"}", RG_CHECK_FAIL, "(canceled)"},
        {"gitlab/gitlab4j-pipeline-with-yaml-errors.json", "{\"reports\": \"ci\"}", RG_CHECK_FAIL, "yaml_errors"},
        {"gitlab/gitlab4j-pipeline-test-report-summary.json", "{\"reports\": \"ci\"}", RG_CHECK_FAIL, "suite_error: Another error"},
        {"gitlab/narkoz-pipeline-test-report.json", "{\"reports\": \"ci\"}", RG_CHECK_PASS, "all passed: 1 test"},
        {"junit/ajr-surefire-flaky.xml", "{\"reports\": \"ci\"}", RG_CHECK_PASS, "all passed: 1 test"},
        {"junit/ajr-cunit-empty.xml", "{\"reports\": \"ci\"}", RG_CHECK_FAIL, "ci has no test cases"},
        {"junit/jenkins-xxe-doctype-external-entity.xml", "{\"reports\": \"ci\"}", RG_CHECK_ERROR, "entity"},
        {"gitlab/dd-gl-sast-v15.json", "{\"reports\": \"ci\"}", RG_CHECK_ERROR, "unrecognised report format"},
    };
    char dirbuf[4096], path[4096], msg[1100];
    const char *root = corpus(".", dirbuf, sizeof dirbuf);
    (void)state;
    if (!root)
        skip();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rg_check_status st;
        snprintf(path, sizeof path, "%s/%s", root, cases[i].file);
        st = check_file(path, cases[i].params, msg, sizeof msg);
        if (st != cases[i].want || !strstr(msg, cases[i].says))
            fail_msg("%s %s: %s \"%s\", expected %s with \"%s\"", cases[i].file, cases[i].params,
                     rg_check_status_name(st), msg, rg_check_status_name(cases[i].want), cases[i].says);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus_github),
        cmocka_unit_test(test_corpus_gitlab),
        cmocka_unit_test(test_corpus_junit),
        cmocka_unit_test(test_pinned_formats),
        cmocka_unit_test(test_exact_junit_counts),
        cmocka_unit_test(test_exact_junit_details),
        cmocka_unit_test(test_exact_github_gitlab),
        cmocka_unit_test(test_check_outcomes),
    };
    /* Every test reads ../shared/corpus (RG_CORPUS_DIR): none runs without it. */
    const char *root = rgt_env_path("RG_CORPUS_DIR", ""), *needs[sizeof tests / sizeof tests[0]];
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++)
        needs[i] = root ? root : "$RG_CORPUS_DIR (unset)";
    return rgt_run_with_data("ci corpus", tests, needs, sizeof tests / sizeof tests[0]);
}
