/* Unit tests for the ci plugin's parsers and model: timestamps, states, latest-wins,
 * commit matching, and each reader (GitHub, GitLab, JUnit) on data written for them. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ci_parse.h"
#include "ci_test_util.h"
#include "link.h"

#define SHA "8c4e2d19a07b3f5e6c1d8a9b2e4f70c3d5a6b8e1"

/* Parse TEXT (strlen) as FAMILY; the test fails when it is refused. */
static void parse_ok(const char *text, ci_family family, ci_report *r)
{
    char why[512];
    if (ci_parse(text, strlen(text), family, 0, r, why, sizeof why) != 0)
        fail_msg("refused: %s\n%s", why, text);
}

#define LEN ((size_t)-1)   /* strlen(text) */

/* TEXT (LEN bytes) is refused, with a reason containing WHAT. */
static void parse_refused(const char *text, size_t len, ci_family family, const char *what)
{
    ci_report r;
    char why[512];
    if (len == LEN)
        len = strlen(text);
    if (ci_parse(text, len, family, 0, &r, why, sizeof why) == 0) {
        ci_report_free(&r);
        fail_msg("accepted: %s", text);
    }
    assert_contains(why, what);
    ci_report_free(&r);
}

static void parse_file(const char *name, ci_report *r)
{
    char path[4096], why[512];
    size_t len;
    char *text;
    snprintf(path, sizeof path, "%s/%s", CI_TEST_DATA, name);
    text = ci_slurp(path, &len);
    assert_non_null(text);
    if (ci_parse(text, len, CI_ANY, 0, r, why, sizeof why) != 0)
        fail_msg("%s refused: %s", name, why);
    free(text);
}

static const ci_item *find(const ci_report *r, const char *name)
{
    for (size_t i = 0; i < r->count; i++)
        if (strcmp(r->items[i].name, name) == 0)
            return &r->items[i];
    fail_msg("no item named %s", name);
    return NULL;
}

/* ---- Timestamps --------------------------------------------------------------------- */

static void test_time_formats(void **state)
{
    static const struct { const char *text; int64_t want; int zoned; } good[] = {
        {"2025-06-10T08:00:00Z", 1749542400, 1},
        {"2025-06-10T08:00:00.123456Z", 1749542400, 1},
        {"2025-06-10t08:00:00z", 1749542400, 1},
        {"2025-06-10T10:00:00+02:00", 1749542400, 1},
        {"2025-06-10T07:30:00-0030", 1749542400, 1},
        {"2025-06-10 08:00:00 UTC", 1749542400, 1},      /* GitLab webhooks */
        {"2025-06-10T08:00:00", 1749542400, 0},          /* ctest, pytest, jest: no zone */
        {"2025-06-10T08:00:00,5", 1749542400, 0},
        {"2025-06-10T 08:00:00", 1749542400, 0},
        {"2025-06-10", 1749513600, 0},
        {"Tue, 10 Jun 2025 08:00:00 GMT", 1749542400, 1}, /* mocha's xunit: RFC 1123 */
        {"10 Jun 2025 10:00 +0200", 1749542400, 1},       /* RFC 2822 */
        {"1970-01-01T00:00:00Z", 0, 1},
        {"2016-12-31T23:59:60Z", 1483228799, 1},         /* a leap second reads as 23:59:59 */
        {"2024-02-29T00:00:00Z", 1709164800, 1},
    };
    static const char *const bad[] = {
        "", "2025", "2025-13-01", "2025-02-29T00:00:00Z", "2025-06-10T24:00:00Z", "2025-06-10T08:61:00Z",
        "2025-06-10T08:00:00X", "2025-06-10T08:00:00+2", "10/06/2025", "2025-06-10T08:00:00.Z", "now",
        "Wed, 10 Jun 2025 08:00:00 GMT", "2025-06-10T08:59:60Z",
    };
    ci_report r;
    (void)state;
    ci_report_init(&r);
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        int64_t t = -1;
        r.zone_assumed = 0;
        if (ci_time_parse(&r, good[i].text, &t) != 0 || t != good[i].want)
            fail_msg("%s: got %lld, want %lld", good[i].text, (long long)t, (long long)good[i].want);
        if (r.zone_assumed == good[i].zoned)
            fail_msg("%s: zone_assumed %d", good[i].text, r.zone_assumed);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t t;
        if (ci_time_parse(&r, bad[i], &t) == 0)
            fail_msg("accepted %s", bad[i]);
    }
    assert_int_equal(ci_time_parse(&r, NULL, &(int64_t){0}), -1);
    /* zone-less times are local at the report's offset: 10:00 at +02:00 is 08:00 UTC */
    r.local_offset = 7200;
    {
        int64_t t = 0;
        assert_int_equal(ci_time_parse(&r, "2025-06-10T10:00:00", &t), 0);
        assert_int_equal(t, 1749542400);
        assert_int_equal(ci_time_parse(&r, "2025-06-10T10:00:00Z", &t), 0);
        assert_int_equal(t, 1749542400 + 7200);
    }
    ci_report_free(&r);
}

/* ---- States ----------------------------------------------------------------------------- */

static void test_classify(void **state)
{
    const char *plain[] = {"success"};
    const char *lenient[] = {"success", "neutral", "SKIPPED"};
    (void)state;
    assert_int_equal(ci_classify("success", plain, 1), CI_PASSED);
    assert_int_equal(ci_classify("SUCCESS", plain, 1), CI_PASSED);   /* GraphQL shouts */
    assert_int_equal(ci_classify("neutral", plain, 1), CI_FAILED);   /* not a success unless listed */
    assert_int_equal(ci_classify("neutral", lenient, 3), CI_PASSED);
    assert_int_equal(ci_classify("skipped", lenient, 3), CI_PASSED);
    static const char *const failing[] = {"failure", "timed_out", "cancelled", "action_required",
                                          "startup_failure", "stale", "error", "failed", "canceled"};
    for (size_t i = 0; i < sizeof failing / sizeof failing[0]; i++) {
        assert_true(ci_state_failing(failing[i]));
        assert_int_equal(ci_classify(failing[i], plain, 1), CI_FAILED);
    }
    static const char *const pending[] = {"queued", "in_progress", "waiting", "pending", "expected",
                                          "created", "running", "manual", "scheduled", "IN_PROGRESS"};
    for (size_t i = 0; i < sizeof pending / sizeof pending[0]; i++)
        assert_int_equal(ci_classify(pending[i], plain, 1), CI_PENDING);
    assert_int_equal(ci_classify(NULL, plain, 1), CI_FAILED);
    assert_int_equal(ci_classify("", plain, 1), CI_FAILED);
    assert_int_equal(ci_classify("completed", plain, 1), CI_FAILED);   /* completed, no conclusion */
    assert_int_equal(ci_classify("bogus", plain, 1), CI_FAILED);
    /* a failing state stays failing whatever the success list says */
    const char *odd[] = {"failure"};
    assert_int_equal(ci_classify("failure", odd, 1), CI_FAILED);
}

static void test_sha_matches(void **state)
{
    (void)state;
    assert_true(ci_sha_matches(SHA, SHA));
    assert_true(ci_sha_matches(SHA, "8C4E2D19A07B3F5E6C1D8A9B2E4F70C3D5A6B8E1"));
    assert_true(ci_sha_matches(SHA, "8c4e2d1"));
    assert_true(ci_sha_matches("8c4e2d19", SHA));
    assert_false(ci_sha_matches(SHA, "8c4e2d"));        /* too short to be an abbreviation */
    assert_false(ci_sha_matches(SHA, "9c4e2d19a07b"));
    assert_true(ci_sha_matches("abc", "abc"));
    assert_false(ci_sha_matches("abc", "abcd"));
}

/* ---- Model ---------------------------------------------------------------------------- */

static void test_latest_wins(void **state)
{
    ci_report r;
    ci_item *it;
    (void)state;
    ci_report_init(&r);
    /* "a": order decides; "b": id decides when times tie; "c": last one when nothing does */
    it = ci_item_add(&r, "check_run"); ci_item_name(it, "a"); ci_item_state(it, "failure", NULL);
    ci_item_times(&r, it, "2025-06-10T08:10:00Z", NULL);
    it = ci_item_add(&r, "check_run"); ci_item_name(it, "a"); ci_item_state(it, NULL, "in_progress");
    ci_item_times(&r, it, NULL, "2025-06-10T08:20:00Z");
    it = ci_item_add(&r, "check_run"); ci_item_name(it, "b"); ci_item_state(it, "success", NULL);
    it->id = 9, it->has_id = 1;
    it = ci_item_add(&r, "check_run"); ci_item_name(it, "b"); ci_item_state(it, "failure", NULL);
    it->id = 3, it->has_id = 1;
    it = ci_item_add(&r, "check_run"); ci_item_name(it, "c"); ci_item_state(it, "failure", NULL);
    it = ci_item_add(&r, "check_run"); ci_item_name(it, "c"); ci_item_state(it, "success", NULL);
    it = ci_item_add(&r, "test_suite"); ci_item_name(it, "c"); it->unique = 1;
    assert_int_equal(ci_report_latest(&r), 3);
    assert_int_equal(r.count, 4);
    assert_string_equal(r.items[0].state, "in_progress");
    assert_string_equal(r.items[1].state, "success");
    assert_string_equal(r.items[2].state, "success");
    assert_string_equal(r.items[3].kind, "test_suite");
    ci_report_free(&r);
}

static void test_only_commit(void **state)
{
    ci_report r;
    ci_item *it;
    (void)state;
    ci_report_init(&r);
    it = ci_item_add(&r, "check_run"); ci_item_name(it, "x"); ci_item_sha(it, SHA);
    it = ci_item_add(&r, "check_run"); ci_item_name(it, "x"); ci_item_sha(it, "ffffffffffffffffffffffffffffffffffffffff");
    it->has_order = 1, it->order = 100;   /* newer, but for another commit: must not win */
    it = ci_item_add(&r, "check_run"); ci_item_name(it, "y");   /* no sha: kept */
    assert_int_equal(ci_report_only_commit(&r, "8c4e2d19"), 1);
    assert_int_equal(ci_report_latest(&r), 0);
    assert_false(r.items[0].ignored);
    assert_true(r.items[1].ignored);
    assert_false(r.items[2].ignored);
    ci_report_free(&r);
}

static void test_names_are_whole_and_defaulted(void **state)
{
    ci_report r;
    char longname[1000];
    ci_item *it;
    (void)state;
    ci_report_init(&r);
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    /* an item keeps its whole name (only messages show it cut): two names alike in their
     * first CI_NAME_MAX bytes are two checks, never re-runs of one */
    it = ci_item_add(&r, "job");
    assert_int_equal(ci_item_name(it, longname), 0);
    assert_int_equal(strlen(it->name), sizeof longname - 1);
    longname[sizeof longname - 2] = 'm';
    it = ci_item_add(&r, "job");
    assert_int_equal(ci_item_name(it, longname), 0);
    assert_int_equal(strlen(it->name), sizeof longname - 1);
    it->has_order = 1, it->order = 100;
    assert_int_equal(ci_report_latest(&r), 0);
    assert_int_equal(r.count, 2);
    it = ci_item_add(&r, "job");
    assert_int_equal(ci_item_name(it, ""), 0);
    assert_string_equal(it->name, "(unnamed job)");
    it = ci_item_add(&r, "job");
    assert_int_equal(ci_item_state(it, NULL, "In_Progress"), 0);
    assert_string_equal(it->state, "in_progress");
    assert_int_equal(ci_item_state(it, "", "queued"), 0);   /* an empty conclusion is none */
    assert_string_equal(it->state, "queued");
    ci_report_free(&r);
}

/* ---- GitHub --------------------------------------------------------------------------- */

static void test_github_check_runs(void **state)
{
    ci_report r;
    const ci_item *it;
    (void)state;
    parse_file("github-check-runs.json", &r);
    assert_string_equal(r.format, "github-check-runs");
    assert_int_equal(r.count, 5);
    assert_int_equal(r.declared, -1);   /* total_count 5 = 5 present */
    it = &r.items[1];
    assert_string_equal(it->name, "test");
    assert_string_equal(it->state, "failure");
    assert_string_equal(it->sha, SHA);
    assert_string_equal(it->note, "3 tests failed");
    assert_true(it->has_id && it->id == 102);
    assert_true(it->has_done && it->done == 1749542400 + 9 * 60);   /* 08:09 */
    assert_int_equal(ci_report_latest(&r), 1);   /* the re-run of "test" wins */
    assert_string_equal(find(&r, "test")->state, "success");
    ci_report_free(&r);
}

static void test_github_single_objects(void **state)
{
    ci_report r;
    (void)state;
    parse_ok("{\"id\": 5, \"head_sha\": \"" SHA "\", \"status\": \"in_progress\", \"conclusion\": null,"
             " \"name\": \"outstanding\", \"check_suite\": {\"id\": 1}, \"started_at\": \"2025-06-10T08:00:00Z\"}",
             CI_ANY, &r);
    assert_string_equal(r.format, "github-check-run");
    assert_string_equal(r.items[0].state, "in_progress");
    assert_false(r.items[0].has_done);
    ci_report_free(&r);

    /* A conclusion beside a status that is not "completed" (a re-run's stale one, or an
     * inconsistent answer) does not finish the item: it is pending (hostile round 10, F03). */
    parse_ok("{\"id\": 6, \"head_sha\": \"" SHA "\", \"status\": \"in_progress\", \"conclusion\": \"success\","
             " \"name\": \"build\", \"check_suite\": {\"id\": 1}}", CI_ANY, &r);
    assert_string_equal(r.items[0].state, "in_progress");
    ci_report_free(&r);
    parse_ok("{\"id\": 11, \"name\": \"CI\", \"head_sha\": \"" SHA "\", \"run_number\": 7, \"status\": \"queued\","
             " \"conclusion\": \"success\", \"updated_at\": \"2025-06-10T08:00:00Z\"}", CI_ANY, &r);
    assert_string_equal(r.items[0].state, "queued");
    ci_report_free(&r);

    parse_ok("{\"id\": 9, \"name\": \"CI\", \"head_sha\": \"" SHA "\", \"run_number\": 4, \"status\": \"completed\","
             " \"conclusion\": \"startup_failure\", \"updated_at\": \"2025-06-10T08:00:00Z\"}", CI_ANY, &r);
    assert_string_equal(r.format, "github-workflow-run");
    assert_string_equal(r.items[0].state, "startup_failure");
    assert_true(r.items[0].has_done);   /* updated_at of a completed run */
    ci_report_free(&r);

    parse_ok("{\"id\": 3, \"run_id\": 9, \"name\": \"job1\", \"head_sha\": \"" SHA "\", \"status\": \"queued\","
             " \"conclusion\": null}", CI_ANY, &r);
    assert_string_equal(r.format, "github-workflow-job");
    assert_string_equal(r.items[0].kind, "workflow_job");
    ci_report_free(&r);

    parse_ok("{\"id\": 4, \"head_sha\": \"" SHA "\", \"status\": \"completed\", \"conclusion\": \"success\","
             " \"app\": {\"name\": \"GitHub Actions\"}}", CI_ANY, &r);
    assert_string_equal(r.format, "github-check-suite");
    assert_string_equal(r.items[0].name, "GitHub Actions");
    assert_true(r.items[0].unique);
    ci_report_free(&r);
}

static void test_github_statuses(void **state)
{
    ci_report r;
    (void)state;
    /* REST statuses: newest first, several per context; no sha in the items */
    parse_ok("[{\"id\": 3, \"state\": \"success\", \"context\": \"ci/build\", \"created_at\": \"2025-06-10T08:10:00Z\","
             "  \"updated_at\": \"2025-06-10T08:10:00Z\"},"
             " {\"id\": 2, \"state\": \"pending\", \"context\": \"ci/build\", \"created_at\": \"2025-06-10T08:00:00Z\","
             "  \"updated_at\": \"2025-06-10T08:00:00Z\"},"
             " {\"id\": 1, \"state\": \"error\", \"context\": \"ci/lint\", \"created_at\": \"2025-06-10T07:00:00Z\"}]",
             CI_ANY, &r);
    assert_string_equal(r.format, "github-statuses");
    assert_int_equal(ci_report_latest(&r), 1);
    assert_string_equal(find(&r, "ci/build")->state, "success");
    assert_string_equal(find(&r, "ci/lint")->state, "error");
    assert_null(find(&r, "ci/lint")->sha);
    ci_report_free(&r);

    /* the combined status carries the sha for all of them */
    parse_ok("{\"state\": \"failure\", \"sha\": \"" SHA "\", \"total_count\": 2, \"statuses\": ["
             " {\"state\": \"failure\", \"context\": \"a\"}, {\"state\": \"success\", \"context\": \"b\"}]}",
             CI_ANY, &r);
    assert_string_equal(r.format, "github-combined-status");
    assert_int_equal(r.count, 2);
    assert_string_equal(r.items[1].sha, SHA);
    ci_report_free(&r);

    parse_refused("[{\"state\": \"success\", \"context\": \"a\"}, {\"state\": \"queued\"}]", LEN, CI_ANY,
                  "not one");
}

static void test_github_lists_and_pages(void **state)
{
    ci_report r;
    (void)state;
    parse_ok("{\"total_count\": 8, \"check_runs\": [{\"name\": \"a\", \"status\": \"completed\", \"conclusion\": \"success\"}]}",
             CI_ANY, &r);
    assert_int_equal(r.declared, 8);
    ci_report_free(&r);
    parse_ok("{\"total_count\": 2, \"jobs\": [{\"id\": 1, \"run_id\": 5, \"name\": \"j1\", \"status\": \"completed\","
             " \"conclusion\": \"success\"}, {\"id\": 2, \"run_id\": 5, \"name\": \"j2\", \"status\": \"waiting\","
             " \"conclusion\": null}]}", CI_ANY, &r);
    assert_string_equal(r.format, "github-workflow-jobs");
    assert_string_equal(r.items[1].state, "waiting");
    ci_report_free(&r);
    parse_ok("{\"total_count\": 1, \"check_suites\": [{\"id\": 4, \"status\": \"queued\", \"conclusion\": null,"
             " \"app\": {\"slug\": \"circleci\"}}]}", CI_ANY, &r);
    assert_string_equal(r.items[0].name, "circleci");
    ci_report_free(&r);
    parse_refused("{\"total_count\": 1, \"check_runs\": [42]}", LEN, CI_ANY, "check_runs[0] is not an object");
}

static void test_github_graphql(void **state)
{
    ci_report r;
    (void)state;
    parse_file("github-rollup.json", &r);
    assert_string_equal(r.format, "github-graphql-rollup");
    assert_int_equal(r.count, 3);
    assert_string_equal(find(&r, "build")->state, "success");
    assert_string_equal(find(&r, "e2e")->state, "in_progress");
    assert_string_equal(find(&r, "ci/jenkins")->kind, "status");
    assert_string_equal(find(&r, "ci/jenkins")->sha, SHA);   /* the commit's oid */
    assert_true(find(&r, "build")->has_id);
    ci_report_free(&r);

    /* several rollups: a list of pull requests, not one commit */
    parse_refused("{\"data\": {\"a\": {\"statusCheckRollup\": {\"contexts\": {\"nodes\": []}}},"
                  " \"b\": {\"statusCheckRollup\": {\"contexts\": {\"nodes\": []}}}}}", LEN, CI_ANY, "2 statusCheckRollup");
    parse_refused("{\"data\": {\"c\": {\"statusCheckRollup\": {\"contexts\": {\"checkRunCount\": 3}}}}}", LEN, CI_ANY,
                  "only counts");
    parse_refused("{\"data\": null, \"errors\": [{\"message\": \"Could not resolve to a Repository\"}]}", LEN, CI_ANY,
                  "Could not resolve");
    parse_refused("{\"data\": {\"viewer\": {\"login\": \"x\"}}}", LEN, CI_ANY, "unrecognised report format");
    /* a next page means checks this report does not show */
    parse_ok("{\"data\": {\"o\": {\"oid\": \"abc\", \"statusCheckRollup\": {\"contexts\": {\"totalCount\": 120,"
             " \"pageInfo\": {\"hasNextPage\": true}, \"nodes\": [{\"name\": \"x\", \"status\": \"COMPLETED\","
             " \"conclusion\": \"SUCCESS\"}]}}}}}", CI_ANY, &r);
    assert_int_equal(r.declared, 120);
    ci_report_free(&r);
}

static void test_github_webhooks(void **state)
{
    ci_report r;
    (void)state;
    parse_ok("{\"action\": \"completed\", \"check_run\": {\"id\": 1, \"name\": \"Octocoders-linter\", \"head_sha\": \"" SHA "\","
             " \"status\": \"completed\", \"conclusion\": \"failure\"}, \"sender\": {}}", CI_ANY, &r);
    assert_string_equal(r.format, "github-webhook-check-run");
    assert_string_equal(r.items[0].state, "failure");
    ci_report_free(&r);
    parse_ok("{\"id\": 1, \"sha\": \"" SHA "\", \"name\": \"octo/repo\", \"context\": \"default\", \"state\": \"success\","
             " \"commit\": {}, \"created_at\": \"2025-06-10T08:00:00Z\"}", CI_ANY, &r);
    assert_string_equal(r.format, "github-webhook-status");
    assert_string_equal(r.items[0].name, "default");   /* the context, not the repository */
    ci_report_free(&r);
    parse_refused("{\"action\": \"created\", \"deployment_status\": {\"state\": \"success\"}, \"deployment\": {}}", LEN, CI_ANY,
                  "a deployment");
    parse_refused("{\"action\": \"opened\", \"pull_request\": {\"mergeable_state\": \"clean\"}}", LEN, CI_ANY,
                  "webhook payload");
}

/* ---- GitLab --------------------------------------------------------------------------- */

static void test_gitlab_jobs(void **state)
{
    ci_report r;
    const ci_item *it;
    (void)state;
    parse_file("gitlab-jobs.json", &r);
    assert_string_equal(r.format, "gitlab-jobs");
    assert_int_equal(r.count, 4);
    it = find(&r, "docs-linkcheck");
    assert_string_equal(it->state, "failed");
    assert_true(it->allow_failure);
    assert_string_equal(it->note, "failure_reason: script_failure");
    assert_string_equal(it->sha, SHA);   /* from the pipeline */
    assert_string_equal(find(&r, "deploy-prod")->state, "manual");
    ci_report_free(&r);
}

static void test_gitlab_pipelines_and_bridges(void **state)
{
    ci_report r;
    (void)state;
    parse_ok("{\"id\": 46, \"iid\": 11, \"status\": \"success\", \"ref\": \"main\", \"sha\": \"" SHA "\","
             " \"before_sha\": \"" SHA "\", \"yaml_errors\": null, \"finished_at\": \"2025-06-10T08:00:00.000Z\"}", CI_ANY, &r);
    assert_string_equal(r.format, "gitlab-pipeline");
    assert_string_equal(r.items[0].name, "pipeline main");
    assert_false(r.items[0].broken);
    ci_report_free(&r);
    parse_ok("{\"id\": 46, \"status\": \"success\", \"ref\": \"main\", \"sha\": \"" SHA "\","
             " \"yaml_errors\": \"jobs:build config contains unknown keys\"}", CI_ANY, &r);
    assert_true(r.items[0].broken);
    assert_contains(r.items[0].note, "unknown keys");
    ci_report_free(&r);
    parse_ok("[{\"id\": 47, \"status\": \"pending\", \"ref\": \"main\", \"sha\": \"aaa\", \"before_sha\": \"aaa\"},"
             " {\"id\": 48, \"status\": \"success\", \"ref\": \"main\", \"sha\": \"bbb\", \"before_sha\": \"aaa\"}]", CI_ANY, &r);
    assert_string_equal(r.format, "gitlab-pipelines");
    /* two pipelines of a ref are two runs (a retry stays inside its pipeline): both judged */
    assert_int_equal(ci_report_latest(&r), 0);
    assert_int_equal(r.count, 2);
    assert_string_equal(r.items[0].state, "pending");
    ci_report_free(&r);
    /* a bridge is as good as its downstream pipeline */
    parse_ok("{\"id\": 7, \"name\": \"trigger-docs\", \"stage\": \"deploy\", \"status\": \"success\","
             " \"pipeline\": {\"id\": 6, \"sha\": \"" SHA "\"},"
             " \"downstream_pipeline\": {\"id\": 5, \"sha\": \"f62a\", \"status\": \"failed\"}}", CI_ANY, &r);
    assert_string_equal(r.format, "gitlab-bridge");
    assert_string_equal(r.items[0].state, "failed");
    assert_string_equal(r.items[0].sha, SHA);   /* the triggering pipeline's commit */
    ci_report_free(&r);
}

static void test_gitlab_test_reports(void **state)
{
    ci_report r;
    (void)state;
    parse_file("gitlab-test-report.json", &r);
    assert_string_equal(r.format, "gitlab-test-report");
    assert_true(r.tests);
    assert_int_equal(r.t_total, 4);
    assert_int_equal(r.t_failures, 1);
    assert_int_equal(r.t_skipped, 1);
    assert_int_equal(r.case_count, 1);
    assert_string_equal(r.cases[0].name, "spec.refund_spec.rejects a negative amount");
    assert_string_equal(r.cases[0].message, "Failure/Error: expect(refund).not_to be_valid");
    ci_report_free(&r);

    parse_ok("{\"total\": {\"time\": 3, \"count\": 10, \"success\": 10, \"failed\": 0, \"skipped\": 0, \"error\": 0,"
             " \"suite_error\": null}, \"test_suites\": [{\"name\": \"unit\", \"total_count\": 10, \"success_count\": 10,"
             " \"failed_count\": 0, \"skipped_count\": 0, \"error_count\": 0, \"suite_error\": null}]}", CI_ANY, &r);
    assert_string_equal(r.format, "gitlab-test-report-summary");
    assert_int_equal(r.t_total, 10);
    assert_int_equal(r.count, 1);
    assert_false(r.items[0].broken);
    ci_report_free(&r);

    /* totals that claim failures the suites do not show: fail closed */
    parse_ok("{\"total\": {\"count\": 10, \"failed\": 2}, \"test_suites\": []}", CI_ANY, &r);
    assert_int_equal(r.count, 1);
    assert_true(r.items[0].broken);
    assert_int_equal(r.t_total, 10);
    ci_report_free(&r);
}

static void test_gitlab_webhooks_and_refusals(void **state)
{
    ci_report r;
    (void)state;
    parse_ok("{\"object_kind\": \"pipeline\", \"object_attributes\": {\"id\": 31, \"ref\": \"main\", \"sha\": \"" SHA "\","
             " \"status\": \"running\"}, \"builds\": [{\"id\": 380, \"name\": \"prod\", \"stage\": \"deploy\","
             " \"status\": \"skipped\", \"allow_failure\": true}]}", CI_ANY, &r);
    assert_string_equal(r.format, "gitlab-webhook-pipeline");
    assert_int_equal(r.count, 2);
    assert_string_equal(r.items[1].sha, SHA);
    assert_true(r.items[1].allow_failure);
    ci_report_free(&r);
    parse_ok("{\"object_kind\": \"build\", \"sha\": \"" SHA "\", \"build_id\": 3, \"build_name\": \"rspec\","
             " \"build_stage\": \"test\", \"build_status\": \"failed\", \"build_failure_reason\": \"script_failure\","
             " \"build_finished_at\": \"2023-01-10 13:50:54 UTC\"}", CI_ANY, &r);
    assert_string_equal(r.items[0].name, "rspec");
    assert_string_equal(r.items[0].note, "failure_reason: script_failure");
    assert_true(r.items[0].has_done);
    ci_report_free(&r);
    parse_refused("{\"object_kind\": \"merge_request\", \"object_attributes\": {}}", LEN, CI_ANY, "merge_request webhook");
    parse_refused("{\"version\": \"15.0.7\", \"vulnerabilities\": [], \"scan\": {}}", LEN, CI_ANY, "security report");
    parse_refused("{\"id\": 1, \"iid\": 2, \"state\": \"merged\", \"detailed_merge_status\": \"mergeable\","
                  " \"sha\": \"abc\", \"status\": \"x\"}", LEN, CI_ANY, "merge request");
    parse_refused("[{\"id\": 1, \"name\": \"a\", \"stage\": \"t\", \"status\": \"success\"}, {\"id\": 2}]", LEN, CI_ANY,
                  "element [1]");
}

/* ---- JUnit ----------------------------------------------------------------------------- */

static void test_junit_mixed(void **state)
{
    ci_report r;
    const ci_item *api;
    (void)state;
    parse_file("junit-mixed.xml", &r);
    assert_string_equal(r.format, "junit");
    assert_int_equal(r.t_total, 7);
    assert_int_equal(r.t_failures, 1);
    assert_int_equal(r.t_errors, 1);
    assert_int_equal(r.t_skipped, 2);   /* <skipped/> and status="disabled" */
    assert_int_equal(r.t_flaky, 1);
    assert_int_equal(r.count, 3);       /* api, ui, ui.checkout */
    api = find(&r, "api");
    assert_int_equal(api->total, 5);
    assert_false(api->broken);          /* header failures+errors = 2 = the elements */
    assert_true(api->has_done && api->done == 1749542400 + 30);
    assert_int_equal(find(&r, "ui")->total, 2);   /* nested cases count in every enclosing suite */
    assert_int_equal(r.case_count, 2);
    assert_string_equal(r.cases[0].suite, "api");
    assert_string_equal(r.cases[0].name, "api.Refunds.full refund");
    assert_string_equal(r.cases[0].kind, "failure");
    assert_string_equal(r.cases[0].message, "expected 200, got 500");   /* the first line */
    assert_string_equal(r.cases[1].kind, "error");
    assert_string_equal(r.cases[1].message, "java.lang.NullPointerException: refund is null");
    ci_report_free(&r);
}

static void test_junit_dialects(void **state)
{
    ci_report r;
    (void)state;
    /* a lone <testsuite> root */
    parse_ok("<testsuite name=\"s\" tests=\"1\"><testcase name=\"t\"/></testsuite>", CI_ANY, &r);
    assert_int_equal(r.t_total, 1);
    assert_int_equal(r.count, 1);
    ci_report_free(&r);
    /* cases right under <testsuites> get a suite of their own */
    parse_ok("<testsuites name=\"root\"><testcase name=\"t\"><failure/></testcase></testsuites>", CI_ANY, &r);
    assert_int_equal(r.count, 1);
    assert_string_equal(r.items[0].name, "root");
    assert_int_equal(r.items[0].failures, 1);
    ci_report_free(&r);
    /* a status attribute that says failed, without an element */
    parse_ok("<testsuite name=\"s\"><testcase name=\"t\" status=\"failed\"/></testsuite>", CI_ANY, &r);
    assert_int_equal(r.t_failures, 1);
    ci_report_free(&r);
    /* Statuses whatever their case, and any status that is not a known pass or skip, fail
     * (round 21, F03): "FAILED" says failed; "timeout" does not say passed. */
    {
        static const char *const failing[] = {"FAILED", "Failed", "ERROR", "timeout", "crashed", "aborted",
                                              "Inconclusive"};
        static const char *const passing[] = {"run", "PASSED", "Pass", "success", "completed", ""};
        static const char *const skipping[] = {"SKIPPED", "Skip", "notrun", "suppressed", "Ignored"};
        char xml[200];
        for (size_t i = 0; i < sizeof failing / sizeof *failing; i++) {
            snprintf(xml, sizeof xml, "<testsuite name=\"s\"><testcase name=\"t\" status=\"%s\"/></testsuite>",
                     failing[i]);
            parse_ok(xml, CI_ANY, &r);
            assert_int_equal(r.t_failures, 1);
            ci_report_free(&r);
        }
        for (size_t i = 0; i < sizeof passing / sizeof *passing; i++) {
            snprintf(xml, sizeof xml, "<testsuite name=\"s\"><testcase name=\"t\" result=\"%s\"/></testsuite>",
                     passing[i]);
            parse_ok(xml, CI_ANY, &r);
            assert_int_equal(r.t_failures + r.t_errors + r.t_skipped, 0);
            ci_report_free(&r);
        }
        /* both attributes are read: either saying anything but a pass or a skip fails
         * (round 23, F09) */
        parse_ok("<testsuite name=\"s\"><testcase name=\"a\" status=\"run\" result=\"failed\"/>"
                 "<testcase name=\"b\" status=\"passed\" result=\"error\"/>"
                 "<testcase name=\"c\" status=\"run\" result=\"skipped\" timestamp=\"2026-12-07T07:00:00\"/>"
                 "<testcase name=\"d\" status=\"run\" result=\"completed\"/></testsuite>", CI_ANY, &r);
        assert_int_equal(r.t_failures, 2);
        assert_int_equal(r.t_skipped, 1);
        ci_report_free(&r);
        for (size_t i = 0; i < sizeof skipping / sizeof *skipping; i++) {
            snprintf(xml, sizeof xml, "<testsuite name=\"s\"><testcase name=\"t\" status=\"%s\"/></testsuite>",
                     skipping[i]);
            parse_ok(xml, CI_ANY, &r);
            assert_int_equal(r.t_failures, 0);
            assert_int_equal(r.t_skipped, 1);
            ci_report_free(&r);
        }
    }
    /* several failures in one case count once as a test, each toward the header */
    parse_ok("<testsuite name=\"s\" tests=\"1\" failures=\"2\"><testcase name=\"t\"><failure message=\"a\"/>"
             "<failure message=\"b\"/></testcase></testsuite>", CI_ANY, &r);
    assert_int_equal(r.t_failures, 1);
    assert_false(r.items[0].broken);
    ci_report_free(&r);
    /* a header that claims failures the file does not show */
    parse_ok("<testsuite name=\"s\" tests=\"3\" failures=\"2\"><testcase name=\"t\"/></testsuite>", CI_ANY, &r);
    assert_true(r.items[0].broken);
    assert_contains(r.items[0].note, "header counts 2");
    ci_report_free(&r);
    parse_ok("<testsuites failures=\"1\"><testsuite name=\"s\"><testcase name=\"t\"/></testsuite></testsuites>", CI_ANY, &r);
    assert_int_equal(r.count, 2);
    assert_true(r.items[1].broken);
    ci_report_free(&r);
    /* an error outside any case fails the suite and those around it */
    parse_ok("<testsuites><testsuite name=\"outer\"><testsuite name=\"inner\"><error message=\"setup died\"/>"
             "</testsuite><testcase name=\"t\"/></testsuite></testsuites>", CI_ANY, &r);
    assert_true(find(&r, "outer")->broken);
    assert_true(find(&r, "inner")->broken);
    assert_int_equal(r.case_count, 1);
    assert_string_equal(r.cases[0].name, "(suite)");
    assert_string_equal(r.cases[0].message, "setup died");
    ci_report_free(&r);
    /* a UTF-8 byte order mark and an XML declaration in ISO-8859-1 */
    parse_ok("\xEF\xBB\xBF<testsuite name=\"s\"><testcase name=\"t\"/></testsuite>", CI_ANY, &r);
    ci_report_free(&r);
    parse_ok("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><testsuite name=\"caf\xE9\"><testcase name=\"t\"/></testsuite>",
             CI_ANY, &r);
    assert_string_equal(r.items[0].name, "caf\xC3\xA9");
    ci_report_free(&r);
}

/* ctest --output-junit writes every test it did not run as status="notrun" with
 * <skipped message="REASON"/> (CMake's cmCTestTestHandler::WriteJUnitXML, the reasons from
 * cmCTestRunTest): its skips (SKIP_RETURN_CODE=n, SKIP_REGULAR_EXPRESSION_MATCHED) and the
 * tests it counts as failed alike (ctest 3.25.1, found/ctest-3.25.1-*.xml). */
static void test_junit_ctest_not_run(void **state)
{
    ci_report r;
    (void)state;
    parse_ok("<testsuite name=\"(empty)\" tests=\"7\" failures=\"0\" disabled=\"1\" skipped=\"5\">"
             "<testcase name=\"pass\" classname=\"pass\" status=\"run\"/>"
             "<testcase name=\"skipcode\" status=\"notrun\"><skipped message=\"SKIP_RETURN_CODE=77\"/></testcase>"
             "<testcase name=\"skipregex\" status=\"notrun\"><skipped message=\"SKIP_REGULAR_EXPRESSION_MATCHED\"/>"
             "</testcase>"
             "<testcase name=\"off\" status=\"disabled\"><system-out>Disabled</system-out></testcase>"
             "<testcase name=\"noexe\" classname=\"noexe\" status=\"notrun\"><skipped message=\"Unable to find executable\"/>"
             "<system-out>Unable to find executable: /b/noexe</system-out></testcase>"
             "<testcase name=\"data\" status=\"notrun\"><skipped message=\"Required Files Missing\"/></testcase>"
             "<testcase name=\"uses_db\" status=\"notrun\"><skipped message=\"Fixture dependency failed\"/></testcase>"
             "</testsuite>", CI_ANY, &r);
    assert_int_equal(r.t_total, 7);
    assert_int_equal(r.t_failures, 3);
    assert_int_equal(r.t_skipped, 3);
    assert_false(r.items[0].broken);   /* the header counts none of them: no failure element is missing */
    assert_int_equal(r.case_count, 3);
    assert_string_equal(r.cases[0].name, "noexe.noexe");
    assert_string_equal(r.cases[0].kind, "failure");
    assert_string_equal(r.cases[0].message, "not run: Unable to find executable");
    assert_string_equal(r.cases[1].message, "not run: Required Files Missing");
    assert_string_equal(r.cases[2].message, "not run: Fixture dependency failed");
    ci_report_free(&r);
    /* only ctest's shape: googletest's DISABLED_ tests are status="notrun" without <skipped>,
     * and a <skipped> outside a notrun case is a skip whatever it says; a notrun <skipped>
     * that gives no skip reason, or a near miss of one, is not a skip */
    parse_ok("<testsuite name=\"s\">"
             "<testcase name=\"DISABLED_a\" status=\"notrun\" result=\"suppressed\"/>"
             "<testcase name=\"b\" status=\"run\"><skipped message=\"Unable to find executable\"/></testcase>"
             "<testcase name=\"c\"><skipped message=\"Required Files Missing\"/></testcase>"
             "<testcase name=\"d\" status=\"notrun\"><skipped/></testcase>"
             "<testcase name=\"e\" status=\"notrun\"><skipped message=\"SKIP_RETURN_CODE=\"/></testcase>"
             "<testcase name=\"f\" status=\"notrun\"><skipped message=\"SKIP_RETURN_CODE=7 or so\"/></testcase>"
             "</testsuite>", CI_ANY, &r);
    assert_int_equal(r.t_skipped, 3);
    assert_int_equal(r.t_failures, 3);
    assert_string_equal(r.cases[0].message, "not run: (no reason given)");
    assert_string_equal(r.cases[1].message, "not run: SKIP_RETURN_CODE=");
    ci_report_free(&r);
    /* a long reason is cut on a UTF-8 boundary, as every message is */
    {
        char xml[1200] = "<testsuite name=\"s\"><testcase name=\"t\" status=\"notrun\"><skipped message=\"x";
        for (int i = 0; i < 300; i++)
            strcat(xml, "\xC3\xA9");   /* é */
        strcat(xml, "\"/></testcase></testsuite>");
        parse_ok(xml, CI_ANY, &r);
        assert_int_equal(r.t_failures, 1);
        assert_int_equal(strncmp(r.cases[0].message, "not run: x\xC3\xA9", 12), 0);
        for (const char *c = r.cases[0].message + 10; *c; c += 2)
            assert_int_equal(strncmp(c, "\xC3\xA9", 2), 0);
        ci_report_free(&r);
    }
}

/* node --test --test-reporter=junit (node 20): a todo test that fails is written with
 * <skipped type="todo"/> and its <failure>, and node counts it as todo, not failed (exit 0;
 * found/node-20.20.2-test-junit-*.xml); its header counts that failure. */
static void test_junit_node_todo(void **state)
{
    ci_report r;
    (void)state;
    parse_ok("<testsuites><testsuite name=\"s\" tests=\"5\" failures=\"3\" skipped=\"2\">"
             "<testcase name=\"ok\" classname=\"test\"/>"
             "<testcase name=\"todo one\" classname=\"test\" failure=\"todo fails\"><skipped type=\"todo\" message=\"true\"/>"
             "<failure type=\"testCodeFailure\" message=\"todo fails\">[Error [ERR_TEST_FAILURE]: todo fails]</failure></testcase>"
             "<testcase name=\"skipped\" classname=\"test\"><skipped type=\"skipped\" message=\"true\"/></testcase>"
             "<testcase name=\"fails\" classname=\"test\" failure=\"x\"><failure type=\"testCodeFailure\" message=\"x\"/>"
             "</testcase>"
             "<testcase name=\"skip and fail\" classname=\"test\"><skipped type=\"skipped\"/><failure message=\"y\"/>"
             "</testcase></testsuite></testsuites>", CI_ANY, &r);
    assert_int_equal(r.t_total, 5);
    assert_int_equal(r.t_skipped, 2);   /* the todo and the skip */
    assert_int_equal(r.t_failures, 2);  /* any other <skipped> with a failure stays a failure */
    assert_false(r.items[0].broken);    /* the header's 3 failures are all in the file */
    assert_int_equal(r.case_count, 2);
    assert_string_equal(r.cases[0].name, "test.fails");
    assert_string_equal(r.cases[1].name, "test.skip and fail");
    ci_report_free(&r);
    /* only the explicit marker: a "todo" message, or a todo with an <error>, is no todo failure */
    parse_ok("<testsuite name=\"s\"><testcase name=\"a\"><skipped message=\"todo\"/><failure/></testcase>"
             "<testcase name=\"b\"><skipped type=\"todo\"/><error message=\"crashed\"/></testcase></testsuite>", CI_ANY, &r);
    assert_int_equal(r.t_failures, 1);
    assert_int_equal(r.t_errors, 1);
    assert_int_equal(r.t_skipped, 0);
    ci_report_free(&r);
}

/* Shapes real runners write that say more than their elements (the real-tool round,
 * 22): googletest's tests of a suite whose SetUpTestSuite failed, node's failures outside
 * any test in its summary comments, Catch2's [!mayfail] test that failed as allowed. */
static void test_junit_runner_shapes(void **state)
{
    ci_report r;
    (void)state;
    /* googletest 1.12: skipped, never started (the epoch), nothing else says so */
    parse_ok("<testsuites tests=\"3\" failures=\"0\" name=\"AllTests\"><testsuite name=\"A\" tests=\"1\">"
             "<testcase name=\"Pass\" status=\"run\" result=\"completed\" timestamp=\"2026-12-07T06:57:47.925\" classname=\"A\"/>"
             "</testsuite><testsuite name=\"S\" tests=\"2\" skipped=\"2\">"
             "<testcase name=\"One\" status=\"run\" result=\"skipped\" timestamp=\"1970-01-01T00:00:00.000\" classname=\"S\">"
             "<skipped message=\"s.cc:10&#x0A;\"/></testcase>"
             "<testcase name=\"Two\" status=\"run\" result=\"skipped\" timestamp=\"2026-12-07T06:57:47.925\" classname=\"S\">"
             "<skipped message=\"GTEST_SKIP\"/></testcase></testsuite></testsuites>", CI_ANY, &r);
    assert_int_equal(r.t_failures, 1);   /* One; Two started and was skipped */
    assert_int_equal(r.t_skipped, 1);
    assert_contains(r.cases[0].message, "SetUpTestSuite failed");
    ci_report_free(&r);
    /* the epoch in the writer's local time (round 23, F01) */
    parse_ok("<testsuite name=\"S\"><testcase name=\"One\" status=\"run\" result=\"skipped\""
             " timestamp=\"1969-12-31T19:00:00.000\"><skipped/></testcase><testcase name=\"Two\" status=\"run\""
             " result=\"skipped\" timestamp=\"1970-01-01T01:00:00.000\"><skipped/></testcase></testsuite>", CI_ANY, &r);
    assert_int_equal(r.t_failures, 2);
    ci_report_free(&r);
    /* node --test-reporter=junit: "fail 1" in its summary, no failure element */
    parse_ok("<testsuites><testsuite name=\"parent\" tests=\"1\" failures=\"0\"><testcase name=\"sub ok\"/>"
             "<!-- fail 7 --></testsuite><!-- tests 3 --><!-- pass 2 --><!-- fail 1 --><!-- cancelled 0 -->"
             "</testsuites>", CI_ANY, &r);
    assert_int_equal(r.count, 2);
    assert_true(r.items[1].broken);
    assert_contains(r.items[1].note, "node's summary counts 1 failed or cancelled tests, the file shows 0");
    ci_report_free(&r);
    parse_ok("<testsuites><testsuite name=\"s\"><testcase name=\"t\"/></testsuite><!-- cancelled 2 -->"
             "</testsuites>", CI_ANY, &r);
    assert_true(r.items[r.count - 1].broken);
    ci_report_free(&r);
    /* a summary the elements account for, or comments that are no summary: nothing more */
    parse_ok("<testsuites><testsuite name=\"s\"><testcase name=\"t\"><failure/></testcase></testsuite>"
             "<!-- fail 1 --><!-- failed 3 --><!-- fail 2 tests --></testsuites>", CI_ANY, &r);
    assert_int_equal(r.count, 1);
    ci_report_free(&r);
    /* Catch2 2.13: a [!mayfail] test that failed, which its run (and its header) does not
     * count as failed */
    parse_ok("<testsuites><testsuite name=\"c\" errors=\"0\" failures=\"0\" tests=\"2\">"
             "<testcase classname=\"c.global\" name=\"ok\" time=\"0\" status=\"run\"/>"
             "<testcase classname=\"c.global\" name=\"may\" time=\"0\" status=\"run\">"
             "<skipped message=\"TEST_CASE tagged with !mayfail\"/><failure message=\"1 == 2\" type=\"REQUIRE\"/>"
             "</testcase></testsuite></testsuites>", CI_ANY, &r);
    assert_int_equal(r.t_failures, 0);
    assert_int_equal(r.t_skipped, 1);
    assert_false(r.items[0].broken);
    ci_report_free(&r);
    /* ... and explains none of a header's failures: a [!shouldfail] test that passed is
     * in Catch2's header only (round 23, F03) */
    parse_ok("<testsuites><testsuite name=\"c\" errors=\"0\" failures=\"1\" tests=\"2\">"
             "<testcase classname=\"c.global\" name=\"should\" time=\"0\" status=\"run\"/>"
             "<testcase classname=\"c.global\" name=\"may\" time=\"0\" status=\"run\">"
             "<skipped message=\"TEST_CASE tagged with !mayfail\"/><failure message=\"1 == 2\" type=\"REQUIRE\"/>"
             "</testcase></testsuite></testsuites>", CI_ANY, &r);
    assert_true(r.items[0].broken);
    ci_report_free(&r);
    /* node: a todo test's failure explains none of the failures its summary counts (its
     * summary counts todo apart; round 23, F02) */
    parse_ok("<testsuites><testsuite name=\"s\" tests=\"2\" failures=\"1\"><testcase name=\"ok\"/>"
             "<testcase name=\"todo\"><skipped type=\"todo\"/><failure message=\"x\"/></testcase></testsuite>"
             "<!-- fail 1 --><!-- todo 1 --></testsuites>", CI_ANY, &r);
    assert_true(r.items[r.count - 1].broken);
    assert_contains(r.items[r.count - 1].note, "node's summary counts 1 failed or cancelled tests, the file shows 0");
    ci_report_free(&r);
    /* PHPUnit 9.6: a test that raised a warning, and "No tests found" as a made-up case
     * named Warning; its run fails under failOnWarning, which the file does not show, and
     * the made-up case is no test that ran (round 24c, F01) */
    parse_ok("<testsuites><testsuite name=\"WarnTest\" tests=\"2\" assertions=\"2\" errors=\"0\" warnings=\"1\" "
             "failures=\"0\" skipped=\"0\"><testcase name=\"testOk\" class=\"WarnTest\" assertions=\"1\"/>"
             "<testcase name=\"testWarningCall\" class=\"WarnTest\" assertions=\"1\">"
             "<warning type=\"PHPUnit\\Framework\\Warning\">WarnTest::testWarningCall\ndeprecated key</warning>"
             "</testcase></testsuite></testsuites>", CI_ANY, &r);
    assert_int_equal(r.t_failures, 1);
    assert_int_equal(r.case_count, 1);
    assert_string_equal(r.cases[0].kind, "warning");
    assert_contains(r.cases[0].message, "WarnTest::testWarningCall");   /* its first line */
    assert_false(r.items[0].broken);   /* the header counts it as a warning, not a failure */
    ci_report_free(&r);
    parse_ok("<testsuites><testsuite name=\"EmptyTest\" tests=\"1\" assertions=\"0\" errors=\"0\" warnings=\"1\" "
             "failures=\"0\" skipped=\"0\"><testcase name=\"Warning\" assertions=\"0\"><warning "
             "type=\"PHPUnit\\Framework\\Warning\">Warning\nNo tests found in class \"EmptyTest\".</warning>"
             "</testcase></testsuite></testsuites>", CI_ANY, &r);
    assert_int_equal(r.t_total, 1);
    assert_int_equal(r.t_failures, 1);
    ci_report_free(&r);
    /* a warning beside an error is the error */
    parse_ok("<testsuite name=\"s\"><testcase name=\"t\"><warning>w</warning><error message=\"e\"/></testcase>"
             "</testsuite>", CI_ANY, &r);
    assert_int_equal(r.t_errors, 1);
    assert_int_equal(r.t_failures, 0);
    ci_report_free(&r);
}

/* Qt 5's QTest counts a passing run's messages in errors= and writes a QEXPECT_FAIL that
 * held as result="xfail"; doctest writes a WARN that did not hold as <failure type="WARN">
 * and never fails on it (real-tool round 35, F03, F04: the tools' own files). */
static void test_junit_counted_messages(void **state)
{
    static const char qt5[] = "<testsuite errors=\"1\" failures=\"%s\" tests=\"3\" name=\"T\"><properties>"
                              "<property value=\"5.15.8\" name=\"QTestVersion\"/></properties>"
                              "<testcase result=\"pass\" name=\"passes\"/>%s</testsuite>";
    char xml[1024];
    ci_report r;
    (void)state;
    snprintf(xml, sizeof xml, qt5, "0", "<testcase result=\"pass\" name=\"warns\"><!-- message=\"w\" type=\"qwarn\" --></testcase>");
    parse_ok(xml, CI_ANY, &r);
    assert_int_equal(r.t_failures, 0);
    assert_false(r.items[0].broken);
    ci_report_free(&r);
    snprintf(xml, sizeof xml, qt5, "0", "<testcase result=\"xfail\" name=\"xfail\"><!-- message=\"known\" type=\"info\" --></testcase>");
    parse_ok(xml, CI_ANY, &r);
    assert_int_equal(r.t_failures, 0);
    assert_false(r.items[0].broken);
    ci_report_free(&r);
    snprintf(xml, sizeof xml, qt5, "1", "<testcase result=\"fail\" name=\"fails\"><failure result=\"fail\" "
             "message=\"Compared values are not the same\"/></testcase>");
    parse_ok(xml, CI_ANY, &r);
    assert_int_equal(r.t_failures, 1);
    ci_report_free(&r);
    snprintf(xml, sizeof xml, qt5, "0", "<testcase result=\"xpass\" name=\"xpass\"/>");
    parse_ok(xml, CI_ANY, &r);
    assert_int_equal(r.t_failures, 1);   /* an expected failure that passed fails QTest's run */
    ci_report_free(&r);
    /* Qt 6 (and any other writer): errors= is believed */
    parse_ok("<testsuite errors=\"1\" failures=\"0\" tests=\"1\" name=\"T\"><properties><property value=\"6.4.2\" "
             "name=\"QTestVersion\"/></properties><testcase result=\"pass\" name=\"passes\"/></testsuite>", CI_ANY, &r);
    assert_true(r.items[0].broken);
    ci_report_free(&r);
    parse_ok("<testsuites><testsuite name=\"src/warn-only\" errors=\"0\" failures=\"1\" tests=\"2\" "
             "doctest_version=\"2.4.9\"><testcase classname=\"w.cpp\" name=\"passes\" status=\"run\"/>"
             "<testcase classname=\"w.cpp\" name=\"warns\" status=\"run\"><failure message=\"1 == 2\" type=\"WARN\">"
             "WARN( 1 == 2 ) is NOT correct!</failure></testcase></testsuite></testsuites>", CI_ANY, &r);
    assert_int_equal(r.t_failures, 0);
    assert_false(r.items[r.count - 1].broken);
    ci_report_free(&r);
    parse_ok("<testsuites><testsuite name=\"s\" errors=\"0\" failures=\"1\" tests=\"1\" doctest_version=\"2.4.9\">"
             "<testcase name=\"fails\" status=\"run\"><failure message=\"1 == 2\" type=\"CHECK\"/></testcase>"
             "</testsuite></testsuites>", CI_ANY, &r);
    assert_int_equal(r.t_failures, 1);
    ci_report_free(&r);
    /* type WARN from another writer is a failure like any */
    parse_ok("<testsuite name=\"s\"><testcase name=\"t\"><failure type=\"WARN\" message=\"m\"/></testcase></testsuite>",
             CI_ANY, &r);
    assert_int_equal(r.t_failures, 1);
    ci_report_free(&r);
    /* CxxTest's TS_WARN (<warning line=N>, "OK!", exit 0) and PHP run-tests' flaky test that
     * passed on its retry pass (real round 37, F05); PHPUnit's warnings, and run-tests'
     * other warnings, still fail. */
    parse_ok("<testsuite name=\"cxxtest\" date=\"Mon Dec  7 21:50:01 2026\" tests=\"1\" errors=\"0\" failures=\"0\">"
             "<testcase classname=\"T\" name=\"test_w\" line=\"9\"><warning line=\"11\">just a warning</warning>"
             "</testcase></testsuite>", CI_ANY, &r);
    assert_int_equal(r.t_failures, 0);
    assert_false(r.items[0].broken);
    ci_report_free(&r);
    /* ... and explains no failure a header counts (round 37d, F07) */
    parse_ok("<testsuite name=\"cxxtest\" tests=\"1\" errors=\"0\" failures=\"1\"><testcase classname=\"T\" "
             "name=\"test_w\" line=\"9\"><warning line=\"11\">w</warning></testcase></testsuite>", CI_ANY, &r);
    assert_true(r.items[0].broken);
    ci_report_free(&r);
    parse_ok("<testsuites name=\"php\" tests=\"1\" failures=\"0\" errors=\"0\" skip=\"0\"><testcase "
             "classname=\"cases.flaky\" name=\"b.phpt (flaky)\"><warning> (warn: Test passed on retry attempt)"
             "</warning></testcase></testsuites>", CI_ANY, &r);
    assert_int_equal(r.t_failures, 0);
    assert_int_equal(r.t_flaky, 1);
    ci_report_free(&r);
    parse_ok("<testsuites name=\"php\" tests=\"1\" failures=\"0\" errors=\"0\" skip=\"0\"><testcase "
             "classname=\"cases.x\" name=\"x.phpt\"><warning> (warn: XFAIL section but test passes)"
             "</warning></testcase></testsuites>", CI_ANY, &r);
    assert_int_equal(r.t_failures, 1);
    ci_report_free(&r);
    parse_ok("<testsuite name=\"s\" tests=\"1\" warnings=\"1\"><testcase name=\"t\"><warning "
             "type=\"PHPUnit\\Framework\\Warning\">careful</warning></testcase></testsuite>", CI_ANY, &r);
    assert_int_equal(r.t_failures, 1);
    ci_report_free(&r);
}

/* Real round 41: TAP::Formatter::JUnit's TODO test that passed (prove: "TODO passed",
 * Result: PASS) passes, explaining its header's error count (F04); bats' passing test
 * whose output held colour codes, written as &#27; (not XML 1.0), is read (F06); pytest's
 * nameless case for the test it was running when interrupted fails (F07).  The files are
 * the tools' own (Debian 12): `prove --formatter TAP::Formatter::JUnit` over a TODO test
 * that passes; `bats --formatter junit` (1.8.2) over a test printing colours to fd 3;
 * `pytest --junitxml` (7.2.1) sent SIGINT while its third test slept. */
static void test_junit_real_round_41(void **state)
{
    ci_report r;
    (void)state;
    parse_file("tap-formatter-junit-todo-passed.xml", &r);
    assert_int_equal(r.t_total, 2);
    assert_int_equal(r.t_failures + r.t_errors, 0);
    assert_false(r.items[0].broken);
    ci_report_free(&r);
    /* the type alone is no TODO: xmlrunner writes an exception's class name there (round
     * 41b, F03), and a TAP line that is not "ok ... # TODO" is none */
    parse_ok("<testsuite name=\"t\" tests=\"2\" errors=\"2\"><testcase name=\"x\"><error type=\"TodoTestSucceeded\" "
             "message=\"refund endpoint crashed\">Traceback (most recent call last):\n  raise TodoTestSucceeded()"
             "</error></testcase><testcase name=\"y\"><error type=\"TodoTestSucceeded\"><![CDATA[not ok 2 - y # TODO "
             "later]]></error></testcase></testsuite>", CI_ANY, &r);
    assert_int_equal(r.t_errors, 2);
    assert_false(r.items[0].broken);
    ci_report_free(&r);
    /* the same error of another type is an error */
    parse_ok("<testsuite name=\"t\" tests=\"1\" errors=\"1\"><testcase name=\"x\"><error type=\"Died\" "
             "message=\"m\"/></testcase></testsuite>", CI_ANY, &r);
    assert_int_equal(r.t_errors, 1);
    ci_report_free(&r);

    parse_file("bats-1.8-fd3-color-pass.xml", &r);
    assert_int_equal(r.t_total, 1);
    assert_int_equal(r.t_failures + r.t_errors, 0);
    ci_report_free(&r);
    /* a failure's message keeps showing the character was there; other references stay */
    parse_ok("<testsuite name=\"t\" tests=\"2\" failures=\"1\"><testcase name=\"a&#x1b;[31m\"><failure "
             "message=\"&#27;[31mred&#1;\"/></testcase><testcase name=\"b&#233;&#9;\"/></testsuite>", CI_ANY, &r);
    assert_int_equal(r.t_failures, 1);
    assert_non_null(strstr(r.cases[0].message, "\xef\xbf\xbd[31mred\xef\xbf\xbd"));
    ci_report_free(&r);
    parse_refused("<testsuite name=\"t\"><testcase name=\"a\"/>&#0</testsuite>", LEN, CI_ANY, "not well-formed");

    parse_file("pytest-7.2-sigint.xml", &r);
    assert_int_equal(r.t_total, 3);
    assert_int_equal(r.t_failures, 1);
    assert_non_null(strstr(r.cases[0].message, "a test case without a name"));
    ci_report_free(&r);
}

/* A test cancelled is no test skipped (real-tool round 35, F06, F07): EUnit's surefire
 * report writes a test that timed out or whose linked process died as <skipped
 * type="timeout"/"unknown"> and fails the run; Common Test's hook writes a test
 * auto-skipped because its init_per_testcase crashed as a <skipped> whose text is
 * {tc_auto_skip, ...}, and ct_run fails; a user skip ({tc_user_skip, ...}) stays a skip. */
static void test_junit_cancelled_is_no_skip(void **state)
{
    ci_report r;
    (void)state;
    parse_ok("<testsuite tests=\"2\" failures=\"0\" errors=\"0\" skipped=\"1\" name=\"module 'to_tests'\">"
             "<testcase name=\"to_tests:0 pass_test\"/><testcase name=\"to_tests:0 -timeout_test_/0-fun-0-\">"
             "<skipped type=\"timeout\">\nin function timer:sleep/1 (timer.erl, line 219)\n</skipped></testcase>"
             "</testsuite>", CI_ANY, &r);
    assert_int_equal(r.t_failures, 1);
    assert_int_equal(r.t_skipped, 0);
    assert_contains(r.cases[0].message, "cancelled (a <skipped> of type \"timeout\")");
    ci_report_free(&r);
    parse_ok("<testsuite tests=\"1\" skipped=\"1\" name=\"module 'ex_tests'\"><testcase name=\"ex_tests:0 linked\">"
             "<skipped type=\"unknown\">\nundefined    </skipped></testcase></testsuite>", CI_ANY, &r);
    assert_int_equal(r.t_failures, 1);
    ci_report_free(&r);
    parse_ok("<testsuites><testsuite name=\"ipt_SUITE\" errors=\"0\" failures=\"0\" skipped=\"1\" tests=\"2\">"
             "<testcase name=\"t1\"/><testcase name=\"t2\"><skipped type=\"skip\" message=\"Test t2 in ipt_SUITE "
             "skipped!\">{tc_auto_skip,\n    {failed,\n        {ipt_SUITE,init_per_testcase,\n            {ipt_boom,[]}}}}"
             "</skipped></testcase></testsuite></testsuites>", CI_ANY, &r);
    assert_int_equal(r.t_failures, 1);
    assert_contains(r.cases[0].message, "tc_auto_skip");
    ci_report_free(&r);
    parse_ok("<testsuites><testsuite name=\"ok_SUITE\" errors=\"0\" failures=\"0\" skipped=\"1\" tests=\"2\">"
             "<testcase name=\"t1\"/><testcase name=\"t2\"><skipped type=\"skip\" message=\"Test t2 in ok_SUITE "
             "skipped!\">{tc_user_skip,&quot;user skip&quot;}</skipped></testcase></testsuite></testsuites>",
             CI_ANY, &r);
    assert_int_equal(r.t_failures, 0);
    assert_int_equal(r.t_skipped, 1);
    ci_report_free(&r);
    /* pytest's skip (a type of its own, a message): a skip */
    parse_ok("<testsuite name=\"pytest\" skipped=\"1\" tests=\"1\"><testcase name=\"t\"><skipped "
             "type=\"pytest.skip\" message=\"no db\">t.py:3: no db</skipped></testcase></testsuite>", CI_ANY, &r);
    assert_int_equal(r.t_failures, 0);
    assert_int_equal(r.t_skipped, 1);
    ci_report_free(&r);
}

/* ASCII TEXT as UTF-16 (big-endian when BE), after a byte order mark when BOM, into OUT
 * (room for 2 + 2 * strlen(TEXT) bytes).  Returns the length in bytes. */
static size_t utf16(const char *text, int be, int bom, char *out)
{
    size_t n = 0;
    if (bom) {
        out[n++] = be ? '\xFE' : '\xFF';
        out[n++] = be ? '\xFF' : '\xFE';
    }
    for (; *text; text++) {
        out[n++] = be ? '\0' : *text;
        out[n++] = be ? *text : '\0';
    }
    return n;
}

/* Windows PowerShell writes text files as UTF-16 LE with a byte order mark (Out-File,
 * Set-Content, >): expat reads UTF-16 with a BOM itself (found/edited/gtest-utf16le-bom.xml). */
static void test_junit_utf16(void **state)
{
    static const char xml[] = "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\r\n<testsuite name=\"s\" tests=\"2\" failures=\"1\">"
                              "<testcase name=\"a\"/><testcase name=\"b\"><failure message=\"boom\"/></testcase></testsuite>";
    char buf[2 * sizeof xml + 2], why[512];
    ci_report r;
    (void)state;
    for (int be = 0; be <= 1; be++) {
        size_t len = utf16(xml, be, 1, buf);
        if (ci_parse(buf, len, CI_ANY, 0, &r, why, sizeof why) != 0)
            fail_msg("UTF-16 %s refused: %s", be ? "BE" : "LE", why);
        assert_string_equal(r.format, "junit");
        assert_string_equal(r.items[0].name, "s");
        assert_int_equal(r.t_total, 2);
        assert_int_equal(r.t_failures, 1);
        assert_string_equal(r.cases[0].message, "boom");
        ci_report_free(&r);
    }
    /* without the declaration, and forced to JUnit */
    if (ci_parse(buf, utf16("<testsuite name=\"s\"><testcase name=\"t\"/></testsuite>", 0, 1, buf), CI_JUNIT, 0, &r,
                 why, sizeof why) != 0)
        fail_msg("refused: %s", why);
    ci_report_free(&r);
    /* still refused: a UTF-16 file that declares UTF-8 (expat's error), a BOM before
     * something other than '<' (JSON is read as UTF-8 only), and XML forced to another format */
    parse_refused(buf, utf16("<?xml version=\"1.0\" encoding=\"utf-8\"?><testsuite/>", 0, 1, buf), CI_ANY,
                  "not well-formed XML: encoding specified in XML declaration is incorrect");
    parse_refused(buf, utf16("{\"check_runs\": []}", 0, 1, buf), CI_ANY, "unrecognised report format");
    parse_refused(buf, utf16("<testsuite/>", 1, 1, buf), CI_GITHUB, "XML, not a GitHub report");
}

static void test_junit_failing_cases_are_capped(void **state)
{
    ci_report r;
    size_t cap = 100 * 64 + 100, len = 0;
    char *xml = malloc(cap);
    (void)state;
    assert_non_null(xml);
    len += (size_t)snprintf(xml + len, cap - len, "<testsuite name=\"s\">");
    for (int i = 0; i < 80; i++)
        len += (size_t)snprintf(xml + len, cap - len, "<testcase name=\"t%d\"><failure/></testcase>", i);
    snprintf(xml + len, cap - len, "</testsuite>");
    parse_ok(xml, CI_ANY, &r);
    assert_int_equal(r.t_failures, 80);
    assert_int_equal(r.case_count, CI_CASES_MAX);
    assert_int_equal(r.failing_cases, 80);
    ci_report_free(&r);
    free(xml);
}

static void test_junit_hostile(void **state)
{
    static const char laughs[] =
        "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
        "<!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">]>"
        "<testsuite name=\"&lol2;\"><testcase name=\"t\"/></testsuite>";
    static const char xxe[] =
        "<?xml version=\"1.0\"?><!DOCTYPE t [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
        "<testsuite name=\"&x;\"/>";
    char deep[64 * 11 + 100] = "";
    (void)state;
    parse_refused(laughs, sizeof laughs - 1, CI_ANY, "entity declarations are refused");
    parse_refused(xxe, sizeof xxe - 1, CI_ANY, "declares entity 'x'");
    for (int i = 0; i < 65; i++)
        strcat(deep, "<testsuite>");
    parse_refused(deep, strlen(deep), CI_ANY, "deeper than 64");
    parse_refused("<testsuite name=\"s\"><testcase name=\"t\">", LEN, CI_ANY, "not well-formed XML");
    parse_refused("<testsuite name=\"s\"/><junk/>", LEN, CI_ANY, "junk after document element");
    parse_refused("<testsuite name=\"&undefined;\"/>", LEN, CI_ANY, "undefined entity");
    parse_refused("<html><body/></html>", LEN, CI_ANY, "unrecognised report format: XML whose root element <html>");
    parse_refused("<testsuite>\0</testsuite>", 24, CI_ANY, "not well-formed XML");
}

/* ---- Detection ------------------------------------------------------------------------ */

static void test_detect(void **state)
{
    (void)state;
    parse_refused("", 0, CI_ANY, "unrecognised report format: the file is empty");
    parse_refused(" \n\t ", LEN, CI_ANY, "the file is empty");
    parse_refused("status: success", LEN, CI_ANY, "neither a JSON object or array nor XML");
    parse_refused("{\"a\": 1", LEN, CI_ANY, "malformed JSON");
    /* a key given twice: refused, as the engine and the other plugins refuse it (cJSON
     * alone would take the first "conclusion", GitHub's own reader the last) */
    parse_refused("{\"total_count\": 1, \"check_runs\": [{\"name\": \"build\", \"head_sha\": \"abc1234\","
                  " \"status\": \"completed\", \"conclusion\": \"success\", \"conclusion\": \"failure\"}]}",
                  LEN, CI_ANY, "malformed JSON: the key \"conclusion\" appears twice in an object");
    parse_refused("[{\"state\": \"success\", \"context\": \"a\", \"state\": \"failure\"}]", LEN, CI_GITHUB,
                  "the key \"state\" appears twice");
    parse_refused("{\"check_runs\": []}\n{\"check_runs\": []}", LEN, CI_ANY, "more data after the document");
    parse_refused("[]", LEN, CI_ANY, "an empty JSON array");
    parse_refused("null", LEN, CI_ANY, "neither a JSON object or array nor XML");
    parse_refused("{\"a\": 1, \"b\": 2}", LEN, CI_ANY, "a JSON object with keys: a, b");
    parse_refused("{}", LEN, CI_ANY, "keys: none");
    /* forcing a format */
    parse_refused("<testsuite/>", LEN, CI_GITHUB, "XML, not a GitHub report");
    parse_refused("{\"total_count\": 0, \"check_runs\": []}", LEN, CI_JUNIT, "JSON, not JUnit XML");
    parse_refused("{\"total_count\": 0, \"check_runs\": []}", LEN, CI_GITLAB, "looked for GitLab reports");
    /* deep JSON is refused by cJSON's own nesting limit, not by a crash */
    {
        size_t n = 5000;
        char *deep = malloc(2 * n + 1);
        assert_non_null(deep);
        memset(deep, '[', n);
        memset(deep + n, ']', n);
        deep[2 * n] = '\0';
        parse_refused(deep, 2 * n, CI_ANY, "malformed JSON");
        free(deep);
    }
    /* numbers of every size and types of every kind where strings are expected */
    {
        ci_report r;
        parse_ok("{\"total_count\": 1e999, \"check_runs\": [{\"id\": -1e308, \"name\": 5, \"status\": [],"
                 " \"conclusion\": {}, \"head_sha\": 7, \"completed_at\": 1}]}", CI_ANY, &r);
        assert_int_equal(r.count, 1);
        assert_string_equal(r.items[0].name, "(unnamed check run)");
        assert_null(r.items[0].state);
        assert_int_equal(r.declared, -1);   /* an infinite total is no total */
        ci_report_free(&r);
    }
}

/* ---- Re-runs, repeats, strict JSON, Link ---------------------------------------------- */

/* A GitHub check run NAME of APP in workflow run RUN (0: none), CONCLUSION, completed at
 * minute MIN past 12:00, id ID: JSON text in BUF. */
static const char *gh_run(char *buf, size_t size, int id, const char *name, const char *app, int run,
                          const char *conclusion, int min)
{
    char url[128] = "https://ci.example/build";
    if (run)
        snprintf(url, sizeof url, "https://github.com/o/r/actions/runs/%d/job/%d", run, 900 + id);
    snprintf(buf, size, "{\"id\": %d, \"name\": \"%s\", \"head_sha\": \"" SHA "\", \"status\": \"completed\","
             " \"conclusion\": \"%s\", \"completed_at\": \"2025-06-10T12:%02d:00Z\", \"details_url\": \"%s\","
             " \"app\": {\"slug\": \"%s\"}}", id, name, conclusion, min, url, app);
    return buf;
}

static void test_reruns_are_of_one_thing(void **state)
{
    ci_report r;
    char a[512], b[512], doc[2048];
    (void)state;
    /* two apps' "build": two checks, the failure judged */
    snprintf(doc, sizeof doc, "{\"total_count\": 2, \"check_runs\": [%s, %s]}",
             gh_run(a, sizeof a, 1, "build", "github-actions", 7, "failure", 5),
             gh_run(b, sizeof b, 2, "build", "some-other-app", 7, "success", 6));
    parse_ok(doc, CI_ANY, &r);
    assert_int_equal(ci_report_latest(&r), 0);
    assert_int_equal(r.count, 2);
    ci_report_free(&r);
    /* one app, one workflow run: a re-run, the latest wins (the documented rule) */
    snprintf(doc, sizeof doc, "{\"total_count\": 2, \"check_runs\": [%s, %s]}",
             gh_run(a, sizeof a, 1, "build", "github-actions", 7, "failure", 5),
             gh_run(b, sizeof b, 2, "build", "github-actions", 7, "success", 6));
    parse_ok(doc, CI_ANY, &r);
    assert_int_equal(ci_report_latest(&r), 1);
    assert_string_equal(r.items[0].state, "success");
    ci_report_free(&r);
    /* one app, two workflow runs (push and pull_request): two checks */
    snprintf(doc, sizeof doc, "{\"total_count\": 2, \"check_runs\": [%s, %s]}",
             gh_run(a, sizeof a, 1, "build", "github-actions", 7, "failure", 5),
             gh_run(b, sizeof b, 2, "build", "github-actions", 8, "success", 6));
    parse_ok(doc, CI_ANY, &r);
    assert_int_equal(ci_report_latest(&r), 0);
    ci_report_free(&r);
    /* workflow runs: two ids are two runs; one id at a higher run_attempt is its re-run */
    parse_ok("{\"total_count\": 3, \"workflow_runs\": ["
             "{\"id\": 100, \"name\": \"CI\", \"run_number\": 1, \"run_attempt\": 1, \"head_sha\": \"" SHA "\","
             " \"status\": \"completed\", \"conclusion\": \"failure\", \"updated_at\": \"2025-06-10T12:10:00Z\"},"
             "{\"id\": 101, \"name\": \"CI\", \"run_number\": 2, \"run_attempt\": 1, \"head_sha\": \"" SHA "\","
             " \"status\": \"completed\", \"conclusion\": \"success\", \"updated_at\": \"2025-06-10T12:20:00Z\"},"
             "{\"id\": 101, \"name\": \"CI\", \"run_number\": 2, \"run_attempt\": 2, \"head_sha\": \"" SHA "\","
             " \"status\": \"completed\", \"conclusion\": \"failure\", \"updated_at\": \"2025-06-10T12:15:00Z\"}]}",
             CI_ANY, &r);
    assert_int_equal(ci_report_latest(&r), 1);   /* attempt 2 of run 101 wins, though dated earlier */
    assert_int_equal(r.count, 2);
    assert_string_equal(r.items[0].state, "failure");
    assert_string_equal(r.items[1].state, "failure");
    ci_report_free(&r);
    /* GitLab: a job retried in its pipeline is a re-run; a job of another pipeline is not */
    parse_ok("[{\"id\": 1, \"name\": \"test\", \"stage\": \"test\", \"status\": \"failed\", \"pipeline\": {\"id\": 5},"
             "  \"finished_at\": \"2025-06-10T12:05:00Z\"},"
             " {\"id\": 2, \"name\": \"test\", \"stage\": \"test\", \"status\": \"success\", \"pipeline\": {\"id\": 5},"
             "  \"finished_at\": \"2025-06-10T12:06:00Z\"},"
             " {\"id\": 3, \"name\": \"test\", \"stage\": \"test\", \"status\": \"failed\", \"pipeline\": {\"id\": 6},"
             "  \"finished_at\": \"2025-06-10T12:01:00Z\"}]", CI_ANY, &r);
    assert_int_equal(ci_report_latest(&r), 1);
    assert_int_equal(r.count, 2);
    assert_string_equal(find(&r, "test")->state, "success");
    assert_string_equal(r.items[1].state, "failed");
    ci_report_free(&r);
    /* a commit status and a check run of one name are two things */
    parse_ok("{\"data\": {\"repository\": {\"object\": {\"oid\": \"" SHA "\", \"statusCheckRollup\": {\"contexts\": {"
             "\"nodes\": [{\"__typename\": \"CheckRun\", \"name\": \"build\", \"status\": \"COMPLETED\","
             " \"conclusion\": \"FAILURE\", \"completedAt\": \"2025-06-10T12:00:00Z\"},"
             " {\"__typename\": \"StatusContext\", \"context\": \"build\", \"state\": \"SUCCESS\","
             " \"createdAt\": \"2025-06-10T12:09:00Z\"}]}}}}}}", CI_ANY, &r);
    assert_int_equal(ci_report_latest(&r), 0);
    ci_report_free(&r);
}

static void test_an_item_listed_twice_is_refused(void **state)
{
    char a[512], b[512], doc[2048];
    (void)state;
    snprintf(doc, sizeof doc, "{\"total_count\": 3, \"check_runs\": [%s, %s, %s]}",
             gh_run(a, sizeof a, 1, "build", "github-actions", 7, "success", 5),
             gh_run(b, sizeof b, 2, "lint", "github-actions", 7, "success", 6),
             gh_run(b, sizeof b, 2, "lint", "github-actions", 7, "success", 6));
    parse_refused(doc, LEN, CI_ANY, "check_run id 2 twice");
    parse_refused("[{\"id\": 4, \"name\": \"a\", \"stage\": \"test\", \"status\": \"success\"},"
                  " {\"id\": 4, \"name\": \"b\", \"stage\": \"test\", \"status\": \"success\"}]", LEN, CI_ANY,
                  "job id 4 twice");
}

static void test_json_is_read_strictly(void **state)
{
    char why[256];
    cJSON *doc;
    (void)state;
    assert_null(ci_json_parse("{\"a\": 1}\n{\"a\": 2}", 17, why, sizeof why));
    assert_contains(why, "more data after the document");
    assert_null(ci_json_parse("{\"a\": 1, \"a\": 2}", 16, why, sizeof why));
    assert_contains(why, "appears twice");
    assert_null(ci_json_parse("[{\"b\": {\"c\": 1, \"c\": 1}}]", 25, why, sizeof why));
    assert_contains(why, "\"c\" appears twice");
    assert_null(ci_json_parse("{\"a\": ", 6, why, sizeof why));
    assert_contains(why, "malformed JSON");
    assert_non_null(doc = ci_json_parse("\xEF\xBB\xBF {\"a\": 1} \r\n", 15, why, sizeof why));
    cJSON_Delete(doc);
}

/* The next page of Link value V: its URL, "" when none, "(bad)" when V is malformed. */
static const char *next_of(const char *v)
{
    static char out[256];
    int rc = ci_link_next(v, strlen(v), out, sizeof out);
    if (rc < 0)
        return "(bad)";
    if (rc == 0)
        out[0] = '\0';
    return out;
}

static void test_link_next(void **state)
{
    (void)state;
    assert_string_equal(next_of("<https://a/?page=2>; rel=\"next\", <https://a/?page=9>; rel=\"last\""), "https://a/?page=2");
    /* RFC 8288: the token form directly before a comma, at the end, in any case */
    assert_string_equal(next_of("<https://a/?page=2>; rel=next, <https://a/?page=9>; rel=last"), "https://a/?page=2");
    assert_string_equal(next_of("<https://a/?page=9>; rel=last,<https://a/?page=2>;rel=next"), "https://a/?page=2");
    assert_string_equal(next_of("<https://a/?page=2>; REL=\"Next\""), "https://a/?page=2");
    /* several relation types; parameters in any order; a comma or "rel=next" inside a quoted value */
    assert_string_equal(next_of("<https://a/?page=2>; rel=\"prefetch next\""), "https://a/?page=2");
    assert_string_equal(next_of("<https://a/?page=2>; title=\"x\"; type=\"application/json\"; rel=next"),
                        "https://a/?page=2");
    assert_string_equal(next_of("<https://a/?page=1>; title=\"a, rel=next\"; rel=prev, <https://a/?page=3>; rel=next"),
                        "https://a/?page=3");
    assert_string_equal(next_of("<https://a/?p=x,y>; rel=next"), "https://a/?p=x,y");
    /* not next: "nextpage", a later rel (only the first counts), none at all */
    assert_string_equal(next_of("<https://a/?page=2>; rel=nextpage"), "");
    assert_string_equal(next_of("<https://a/?page=2>; rel=prev; rel=next"), "");
    assert_string_equal(next_of("<https://a/?page=1>; rel=\"first\", <https://a/?page=9>; rel=\"last\""), "");
    assert_string_equal(next_of(""), "");
    /* not a link list: the page cannot be taken as the last */
    assert_string_equal(next_of("https://a/?page=2; rel=next"), "(bad)");
    assert_string_equal(next_of("<https://a/?page=2>; rel=\"next"), "(bad)");
    assert_string_equal(next_of("<https://a/?page=2> rel=next"), "(bad)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_formats),
        cmocka_unit_test(test_classify),
        cmocka_unit_test(test_sha_matches),
        cmocka_unit_test(test_latest_wins),
        cmocka_unit_test(test_only_commit),
        cmocka_unit_test(test_names_are_whole_and_defaulted),
        cmocka_unit_test(test_reruns_are_of_one_thing),
        cmocka_unit_test(test_an_item_listed_twice_is_refused),
        cmocka_unit_test(test_json_is_read_strictly),
        cmocka_unit_test(test_link_next),
        cmocka_unit_test(test_github_check_runs),
        cmocka_unit_test(test_github_single_objects),
        cmocka_unit_test(test_github_statuses),
        cmocka_unit_test(test_github_lists_and_pages),
        cmocka_unit_test(test_github_graphql),
        cmocka_unit_test(test_github_webhooks),
        cmocka_unit_test(test_gitlab_jobs),
        cmocka_unit_test(test_gitlab_pipelines_and_bridges),
        cmocka_unit_test(test_gitlab_test_reports),
        cmocka_unit_test(test_gitlab_webhooks_and_refusals),
        cmocka_unit_test(test_junit_mixed),
        cmocka_unit_test(test_junit_dialects),
        cmocka_unit_test(test_junit_ctest_not_run),
        cmocka_unit_test(test_junit_node_todo),
        cmocka_unit_test(test_junit_cancelled_is_no_skip),
        cmocka_unit_test(test_junit_real_round_41),
        cmocka_unit_test(test_junit_counted_messages),
        cmocka_unit_test(test_junit_runner_shapes),
        cmocka_unit_test(test_junit_utf16),
        cmocka_unit_test(test_junit_failing_cases_are_capped),
        cmocka_unit_test(test_junit_hostile),
        cmocka_unit_test(test_detect),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
