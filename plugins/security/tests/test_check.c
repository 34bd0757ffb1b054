/* security.scan through its descriptor, as the engine runs it: parameters, limits,
 * ignore entries, report age, commit, completeness, unreadable and unknown reports. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugins.h"
#include "sec_test.h"

const rg_plugin *relgate_plugin_entry(void);

#define COMMIT "8c4e2d19a07b3f5e6c1d8a9b2e4f70c3d5a6b8e1"

typedef struct fixture {
    char *dir;
    rg_context *ctx;
    rg_check_result r;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->dir = sec_tmpdir();
    sec_copy(f->dir, "trivy.json", sec_data("trivy-mixed.json"));
    sec_copy(f->dir, "app.sarif", sec_data("app.sarif"));
    sec_copy(f->dir, "grype.json", sec_data("grype.json"));
    sec_copy(f->dir, "gitlab.json", sec_data("gitlab-sast.json"));
    sec_write(f->dir, "notes.md", "# Release notes\n", (size_t)-1);
    sec_write(f->dir, "cyclonedx.json", "{\"bomFormat\": \"CycloneDX\", \"specVersion\": \"1.5\", \"version\": 1, "
              "\"vulnerabilities\": []}", (size_t)-1);
    sec_write(f->dir, "broken.json", "{\"SchemaVersion\": 2, \"Results\": [", (size_t)-1);
    f->ctx = sec_context(f->dir, COMMIT,
                         "\"trivy\": \"trivy.json\", \"sarif\": \"app.sarif\", \"grype\": \"grype.json\", "
                         "\"gitlab\": \"gitlab.json\", \"notes\": \"notes.md\", \"cdx\": \"cyclonedx.json\", "
                         "\"broken\": \"broken.json\", \"missing\": \"nowhere.json\"");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    rg_check_result_clear(&f->r);
    rg_context_free(f->ctx);
    sec_rmtree(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

/* Run with PARAMS at SEC_NOW; the previous result is cleared. */
static rg_check_result *run(fixture *f, const char *params)
{
    rg_check_result_clear(&f->r);
    if (sec_run(params, f->ctx, SEC_NOW, 0, &f->r) != 0)
        fail_msg("parameters refused: %s", params);
    return &f->r;
}

static void test_descriptor_valid(void **state)
{
    const rg_plugin *p = relgate_plugin_entry();
    rg_error err = {0};
    (void)state;
    assert_int_equal(rg_plugin_validate(p, "relgate-security.so", &err), 0);
    assert_string_equal(p->name, "security");
    assert_int_equal(p->check_count, 1);
    assert_string_equal(p->checks[0].name, "security.scan");
    rg_error_clear(&err);
}

/* Trivy fixture, checked by hand: critical 3 (2 vulnerabilities, 1 secret), high 2
 * (curl, DS002), medium 2, low 1, unknown 1; suppressed 2 (not_affected, EXCEPTION);
 * 1 PASS. */
static void test_trivy_default_fails_on_high(void **state)
{
    rg_check_result *r = run(*state, "{\"reports\": [\"trivy\"]}");
    assert_int_equal(r->status, RG_CHECK_FAIL);
    assert_contains(r->message, "findings over the limits: 3 critical (allowed 0), 2 high (allowed 0)");
    assert_string_equal(sec_str(r, "reports.0.evidence"), "trivy");
    assert_string_equal(sec_str(r, "reports.0.format"), "trivy");
    assert_string_equal(sec_str(r, "reports.0.variant"), "schema 2");
    assert_int_equal(sec_num(r, "reports.0.counts.critical"), 3);
    assert_int_equal(sec_num(r, "reports.0.counts.high"), 2);
    assert_int_equal(sec_num(r, "reports.0.counts.medium"), 2);
    assert_int_equal(sec_num(r, "reports.0.counts.low"), 1);
    assert_int_equal(sec_num(r, "reports.0.counts.unknown"), 1);
    assert_int_equal(sec_num(r, "reports.0.counts.none"), 0);
    assert_int_equal(sec_num(r, "reports.0.suppressed"), 2);
    assert_int_equal(sec_num(r, "reports.0.not_findings"), 1);
    assert_int_equal(sec_num(r, "reports.0.targets"), 3);
    assert_int_equal(sec_num(r, "findings"), 9);
    assert_int_equal(sec_num(r, "limits.critical"), 0);
    assert_int_equal(sec_num(r, "limits.high"), 0);
    assert_null(sec_str(r, "limits.medium"));
    assert_int_equal(sec_size(r, "failures"), 2);
    assert_string_equal(sec_str(r, "failures.0.check"), "limit");
    assert_string_equal(sec_str(r, "failures.0.severity"), "critical");
    assert_int_equal(sec_num(r, "failures.0.count"), 3);
    /* Worst first: the two critical vulnerabilities by score, then the secret. */
    assert_int_equal(sec_size(r, "worst"), 9);
    assert_string_equal(sec_str(r, "worst.0.id"), "CVE-2025-0001");
    assert_string_equal(sec_str(r, "worst.0.severity"), "critical");
    assert_string_equal(sec_str(r, "worst.0.package"), "openssl");
    assert_string_equal(sec_str(r, "worst.0.version"), "3.0.11-1");
    assert_string_equal(sec_str(r, "worst.0.title"), "openssl: remote code execution in the TLS handshake");
    assert_string_equal(sec_str(r, "worst.1.id"), "CVE-2025-0002");
    assert_string_equal(sec_str(r, "worst.2.id"), "aws-access-key-id");
    assert_string_equal(sec_str(r, "worst.2.kind"), "secret");
    assert_string_equal(sec_str(r, "worst.2.location"), "config/.env:3");
    assert_string_equal(sec_str(r, "worst.4.id"), "DS002");
    assert_string_equal(sec_str(r, "worst.4.location"), "Dockerfile:1");
}

static void test_limits_and_fail_on(void **state)
{
    rg_check_result *r = run(*state, "{\"reports\": [\"trivy\"], \"max_critical\": 3, \"max_high\": 2}");
    assert_int_equal(r->status, RG_CHECK_PASS);
    assert_contains(r->message, "1 report, 9 findings, none over the limits (fail_on high): 3 critical, 2 high, 2 medium, 1 low, 1 unknown");
    r = run(*state, "{\"reports\": [\"trivy\"], \"max_critical\": 2, \"max_high\": 5}");
    assert_int_equal(r->status, RG_CHECK_FAIL);
    assert_contains(r->message, "3 critical (allowed 2)");
    r = run(*state, "{\"reports\": [\"trivy\"], \"fail_on\": \"none\"}");
    assert_int_equal(r->status, RG_CHECK_PASS);
    r = run(*state, "{\"reports\": [\"trivy\"], \"fail_on\": \"none\", \"max_medium\": 1}");
    assert_int_equal(r->status, RG_CHECK_FAIL);
    assert_string_equal(r->message, "findings over the limits: 2 medium (allowed 1); worst: CVE-2025-0004 (medium, libxml2@2.9.14)");
    r = run(*state, "{\"reports\": [\"trivy\"], \"fail_on\": \"low\", \"max_critical\": 9, \"max_high\": 9, \"max_medium\": 9}");
    assert_int_equal(r->status, RG_CHECK_FAIL);
    assert_string_equal(r->message, "findings over the limits: 1 low (allowed 0); worst: CVE-2025-0006 (low, bash@5.2.15)");
    /* Unknown severities: on their own they meet only fail_on = any. */
    r = run(*state, "{\"reports\": [\"trivy\"], \"fail_on\": \"any\", \"max_critical\": 9, \"max_high\": 9, "
                    "\"max_medium\": 9, \"max_low\": 9}");
    assert_int_equal(r->status, RG_CHECK_FAIL);
    assert_string_equal(r->message, "findings over the limits: 1 unknown (allowed 0); worst: CVE-2025-0008 (unknown, perl@5.36.0)");
    r = run(*state, "{\"reports\": [\"trivy\"], \"fail_on\": \"critical\", \"max_critical\": 3, \"unknown_as\": \"critical\"}");
    assert_int_equal(r->status, RG_CHECK_FAIL);
    assert_contains(r->message, "4 critical (allowed 3)");
    r = run(*state, "{\"reports\": [\"trivy\"], \"fail_on\": \"none\", \"max_low\": 1, \"unknown_as\": \"low\"}");
    assert_int_equal(r->status, RG_CHECK_FAIL);
    assert_contains(r->message, "2 low (allowed 1)");
}

static void test_parameter_values(void **state)
{
    fixture *f = *state;
    const rg_check *check = rgt_find_check(relgate_plugin_entry(), "security.scan");
    rg_check_result *r;
    /* The values the descriptor allows: the engine refuses others before the check runs
     * (exactly: "LOW" is not "low"). */
    rgt_refused(check, "{\"reports\": [\"trivy\"], \"fail_on\": \"severe\"}",
                "fail_on is \"severe\", not one of the values it allows: critical, high, medium, low, any, none");
    rgt_refused(check, "{\"reports\": [\"trivy\"], \"fail_on\": \"unknown\"}", "fail_on is \"unknown\"");
    rgt_refused(check, "{\"reports\": [\"trivy\"], \"fail_on\": \"LOW\"}", "fail_on is \"LOW\"");
    rgt_refused(check, "{\"reports\": [\"trivy\"], \"format\": \"snyk\"}",
                "format is \"snyk\", not one of the values it allows: auto, sarif, trivy, grype, gitlab");
    rgt_refused(check, "{\"reports\": [\"trivy\"], \"unknown_as\": \"any\"}",
                "unknown_as is \"any\", not one of the values it allows: unknown, none, low, medium, high, critical");
    rgt_refused(check, "{\"reports\": [\"trivy\"], \"unrecognised\": \"maybe\"}",
                "unrecognised is \"maybe\", not one of the values it allows: error, fail");
    r = run(f, "{\"reports\": [\"trivy\"], \"max_high\": -1}");
    assert_int_equal(r->status, RG_CHECK_ERROR);
    assert_contains(r->message, "max_high must not be negative");
    r = run(f, "{\"reports\": [\"trivy\", \"trivy\"]}");
    assert_int_equal(r->status, RG_CHECK_ERROR);
    assert_contains(r->message, "reports names evidence \"trivy\" twice");
    r = run(f, "{\"reports\": []}");
    assert_int_equal(r->status, RG_CHECK_ERROR);
    /* What the engine itself refuses: no reports, a fraction, a bad duration. */
    assert_int_equal(sec_run("{}", f->ctx, SEC_NOW, 0, &f->r), -1);
    assert_int_equal(sec_run("{\"reports\": \"trivy\", \"max_high\": 1.5}", f->ctx, SEC_NOW, 0, &f->r), -1);
    assert_int_equal(sec_run("{\"reports\": \"trivy\", \"max_age\": \"soon\"}", f->ctx, SEC_NOW, 0, &f->r), -1);
    assert_int_equal(sec_run("{\"report\": \"trivy\"}", f->ctx, SEC_NOW, 0, &f->r), -1);
    /* A single evidence name is a list of one. */
    r = run(f, "{\"reports\": \"trivy\", \"fail_on\": \"none\"}");
    assert_int_equal(r->status, RG_CHECK_PASS);
}

/* The SARIF fixture: high 2 (sql-injection by security-severity 8.8, the debugger
 * statement whose suppression is under review, by its rule's default level error),
 * medium 1 (xss, 6.1 from an extension's rule), low 1 (note); 1 suppressed (accepted),
 * 1 kind pass, 1 baselineState absent. */
static void test_sarif(void **state)
{
    rg_check_result *r = run(*state, "{\"reports\": [\"sarif\"], \"fail_on\": \"critical\"}");
    assert_int_equal(r->status, RG_CHECK_PASS);
    assert_string_equal(r->message, "1 report, 4 findings, none over the limits (fail_on critical): 2 high, "
                                    "1 medium, 1 low; 0 ignored, 1 suppressed");
    assert_string_equal(sec_str(r, "reports.0.format"), "sarif");
    assert_string_equal(sec_str(r, "reports.0.variant"), "2.1.0");
    assert_string_equal(sec_str(r, "reports.0.tool"), "CodeQL 2.17.0");
    assert_string_equal(sec_str(r, "reports.0.timestamp"), "2025-06-10T09:30:00Z");
    assert_int_equal(sec_num(r, "reports.0.age_seconds"), 9000);
    assert_string_equal(sec_str(r, "reports.0.commits.0"), COMMIT);
    assert_int_equal(sec_num(r, "reports.0.runs"), 1);
    assert_int_equal(sec_num(r, "reports.0.entries"), 7);
    assert_int_equal(sec_num(r, "reports.0.counts.high"), 2);
    assert_int_equal(sec_num(r, "reports.0.counts.medium"), 1);
    assert_int_equal(sec_num(r, "reports.0.counts.low"), 1);
    assert_int_equal(sec_num(r, "reports.0.suppressed"), 1);
    assert_int_equal(sec_num(r, "reports.0.not_findings"), 1);
    assert_int_equal(sec_num(r, "reports.0.fixed"), 1);
    assert_string_equal(sec_str(r, "worst.0.id"), "js/sql-injection");
    assert_int_equal(sec_num(r, "worst.0.score"), 8.8);
    assert_string_equal(sec_str(r, "worst.0.location"), "src/db.js:42");
    assert_string_equal(sec_str(r, "worst.0.title"), "Database query built from user-controlled sources");
    assert_string_equal(sec_str(r, "worst.0.target"), "CodeQL");
    assert_string_equal(sec_str(r, "worst.1.id"), "js/debugger-statement");
    assert_string_equal(sec_str(r, "worst.2.id"), "js/reflected-xss");
    assert_string_equal(sec_str(r, "worst.2.severity"), "medium");
    r = run(*state, "{\"reports\": [\"sarif\"]}");
    assert_int_equal(r->status, RG_CHECK_FAIL);
    assert_string_equal(r->message, "findings over the limits: 2 high (allowed 0); worst: js/sql-injection (high, src/db.js)");
}

/* Several reports: counted together, each described. */
static void test_several_reports(void **state)
{
    rg_check_result *r = run(*state, "{\"reports\": [\"sarif\", \"grype\", \"gitlab\"], \"fail_on\": \"none\"}");
    assert_int_equal(r->status, RG_CHECK_PASS);
    assert_int_equal(sec_size(r, "reports"), 3);
    assert_string_equal(sec_str(r, "reports.1.format"), "grype");
    assert_string_equal(sec_str(r, "reports.1.tool"), "grype 0.79.0");
    assert_string_equal(sec_str(r, "reports.1.timestamp"), "2025-06-10T10:00:00.5+02:00");
    assert_int_equal(sec_num(r, "reports.1.age_seconds"), 4 * 3600);
    assert_int_equal(sec_num(r, "reports.1.counts.critical"), 1);
    assert_int_equal(sec_num(r, "reports.1.counts.medium"), 1);
    assert_int_equal(sec_num(r, "reports.1.counts.none"), 1);    /* Negligible */
    assert_int_equal(sec_num(r, "reports.1.counts.unknown"), 1); /* no severity */
    assert_int_equal(sec_num(r, "reports.1.suppressed"), 1);     /* ignoredMatches */
    assert_string_equal(sec_str(r, "reports.2.format"), "gitlab");
    assert_string_equal(sec_str(r, "reports.2.variant"), "15.0.7");
    assert_string_equal(sec_str(r, "reports.2.tool"), "Semgrep 1.50.0 (sast)");
    assert_int_equal(sec_num(r, "reports.2.counts.high"), 1);
    assert_int_equal(sec_num(r, "reports.2.counts.low"), 1);
    assert_int_equal(sec_num(r, "reports.2.counts.none"), 1); /* Info */
    assert_int_equal(sec_num(r, "reports.2.age_seconds"), 5 * 3600 - 300);
    assert_int_equal(sec_num(r, "counts.critical"), 1);
    assert_int_equal(sec_num(r, "counts.high"), 3);
    assert_int_equal(sec_num(r, "counts.medium"), 2);
    assert_int_equal(sec_num(r, "counts.low"), 2);
    assert_int_equal(sec_num(r, "findings"), 11);
    assert_int_equal(sec_num(r, "suppressed"), 2);
    /* The worst finding names its report, package and version. */
    assert_string_equal(sec_str(r, "worst.0.evidence"), "grype");
    assert_string_equal(sec_str(r, "worst.0.id"), "GHSA-35jh-r3h4-6jhm");
    assert_string_equal(sec_str(r, "worst.0.package"), "lodash");
    assert_string_equal(sec_str(r, "worst.0.version"), "4.17.20");
    assert_string_equal(sec_str(r, "worst.0.target"), "registry.example/payments-api:2.4.0");
    assert_string_equal(sec_str(r, "worst.3.evidence"), "gitlab");
    assert_string_equal(sec_str(r, "worst.3.id"), "python.lang.sql-injection");
    assert_string_equal(sec_str(r, "worst.3.location"), "app/db.py:10");
}

static void test_ignore_entries(void **state)
{
    rg_check_result *r = run(*state,
        "{\"reports\": [\"trivy\", \"grype\"], \"max_critical\": 1, \"ignore\": ["
        "\"CVE-2025-0001: 2025-06-10: openssl is not reachable, see SEC-12\","
        "\" cve-2025-0002 :2025-12-31:  zlib inflate unused \","
        "\"CVE-2021-23337: 2025-07-01: lodash template unused (alias of the GHSA)\","
        "\"DS002: 2025-06-09: expired yesterday\","
        "\"CVE-2025-0003 until 2025-12-31\","
        "\"CVE-2025-0003: 2025-02-30: no such day\","
        "\"CVE-2025-0003: 2025-12-31:   \","
        "\"CVE-2099-0001: 2026-01-01: nothing matches\"]}");
    /* Left: the secret (critical, allowed 1), curl and DS002 (high). */
    assert_int_equal(r->status, RG_CHECK_FAIL);
    assert_string_equal(r->message, "findings over the limits: 2 high (allowed 0); worst: CVE-2025-0003 (high, curl@7.88.1-10) "
                                    "(ignore entries not applied: 1 expired, 3 malformed)");
    assert_int_equal(sec_num(r, "reports.0.ignored"), 2);
    assert_int_equal(sec_num(r, "reports.0.counts.critical"), 1);
    assert_int_equal(sec_num(r, "reports.1.ignored"), 1);
    assert_int_equal(sec_num(r, "ignored"), 3);
    assert_int_equal(sec_size(r, "ignores"), 8);
    assert_string_equal(sec_str(r, "ignores.0.status"), "active");
    assert_string_equal(sec_str(r, "ignores.0.id"), "CVE-2025-0001");
    assert_string_equal(sec_str(r, "ignores.0.until"), "2025-06-10");
    assert_string_equal(sec_str(r, "ignores.0.reason"), "openssl is not reachable, see SEC-12");
    assert_int_equal(sec_num(r, "ignores.0.matched"), 1);
    assert_string_equal(sec_str(r, "ignores.1.id"), "cve-2025-0002");
    assert_string_equal(sec_str(r, "ignores.1.reason"), "zlib inflate unused");
    assert_int_equal(sec_num(r, "ignores.2.matched"), 1);
    assert_string_equal(sec_str(r, "ignores.3.status"), "expired");
    assert_contains(sec_str(r, "ignores.3.problem"), "expired at the end of 2025-06-09");
    assert_int_equal(sec_num(r, "ignores.3.matched"), 1); /* would have matched */
    assert_string_equal(sec_str(r, "ignores.4.status"), "malformed");
    assert_contains(sec_str(r, "ignores.4.problem"), "expected \"ID: YYYY-MM-DD: reason\"");
    assert_contains(sec_str(r, "ignores.5.problem"), "2025-02-30 is not a date");
    assert_contains(sec_str(r, "ignores.6.problem"), "no reason");
    assert_string_equal(sec_str(r, "ignores.7.status"), "active");
    assert_int_equal(sec_num(r, "ignores.7.matched"), 0);
    /* Ignored findings are not among the worst. */
    assert_string_equal(sec_str(r, "worst.0.id"), "aws-access-key-id");
}

static void test_max_age(void **state)
{
    fixture *f = *state;
    /* trivy: 2025-06-09T08:00:00.123Z, 28 h before SEC_NOW. */
    rg_check_result *r = run(f, "{\"reports\": [\"trivy\"], \"fail_on\": \"none\", \"max_age\": \"2d\"}");
    assert_int_equal(r->status, RG_CHECK_PASS);
    /* Findings over the limits name themselves for a findings waiver; with the report too
     * old besides, they do not: such a waiver must not cover the age too. */
    r = run(f, "{\"reports\": [\"trivy\"], \"fail_on\": \"critical\"}");
    assert_int_equal(r->status, RG_CHECK_FAIL);
    assert_non_null(sec_detail(r, "failed_findings"));
    r = run(f, "{\"reports\": [\"trivy\"], \"fail_on\": \"critical\", \"max_age\": \"24h\"}");
    assert_int_equal(r->status, RG_CHECK_FAIL);
    assert_null(sec_detail(r, "failed_findings"));
    r = run(f, "{\"reports\": [\"trivy\"], \"fail_on\": \"none\", \"max_age\": \"24h\"}");
    assert_int_equal(r->status, RG_CHECK_FAIL);
    assert_string_equal(r->message, "trivy is 1d 4h old (max_age 1d)");
    assert_string_equal(sec_str(r, "failures.0.check"), "max_age");
    assert_int_equal(sec_num(r, "failures.0.age_seconds"), 28 * 3600);
    assert_int_equal(sec_num(r, "failures.0.max_age_seconds"), 86400);
    /* A report without a time cannot show it is recent. */
    sec_write(f->dir, "notime.json", "{\"SchemaVersion\": 2, \"ArtifactName\": \"x\", \"Results\": []}", (size_t)-1);
    rg_context_free(f->ctx);
    f->ctx = sec_context(f->dir, COMMIT, "\"notime\": \"notime.json\", \"sarif\": \"app.sarif\"");
    r = run(f, "{\"reports\": [\"notime\", \"sarif\"], \"fail_on\": \"none\", \"max_age\": 86400}");
    assert_int_equal(r->status, RG_CHECK_FAIL);
    assert_string_equal(r->message, "notime has no timestamp to judge max_age by");
    /* A report from the future is not young: it is wrong. */
    rg_check_result_clear(&f->r);
    assert_int_equal(sec_run("{\"reports\": [\"sarif\"], \"fail_on\": \"none\", \"max_age\": \"7d\"}", f->ctx,
                             SEC_NOW - 86400, 0, &f->r), 0);
    assert_int_equal(f->r.status, RG_CHECK_FAIL);
    assert_string_equal(f->r.message, "sarif is dated in the future (2025-06-10T09:30:00Z)");
}

static void test_commit_match(void **state)
{
    fixture *f = *state;
    rg_check_result *r = run(f, "{\"reports\": [\"sarif\", \"trivy\"], \"fail_on\": \"none\", \"require_commit_match\": true}");
    assert_int_equal(r->status, RG_CHECK_PASS);
    r = run(f, "{\"reports\": [\"grype\"], \"fail_on\": \"none\", \"require_commit_match\": true}");
    assert_int_equal(r->status, RG_CHECK_FAIL);
    assert_string_equal(r->message, "grype: the report names no commit");
    rg_context_free(f->ctx);
    f->ctx = sec_context(f->dir, "8c4e2d1", "\"sarif\": \"app.sarif\"");
    r = run(f, "{\"reports\": [\"sarif\"], \"fail_on\": \"none\", \"require_commit_match\": true}");
    assert_int_equal(r->status, RG_CHECK_PASS); /* an abbreviation of 7 */
    rg_context_free(f->ctx);
    f->ctx = sec_context(f->dir, "8c4e2d", "\"sarif\": \"app.sarif\"");
    r = run(f, "{\"reports\": [\"sarif\"], \"fail_on\": \"none\", \"require_commit_match\": true}");
    assert_int_equal(r->status, RG_CHECK_FAIL); /* too short to mean anything */
    rg_context_free(f->ctx);
    f->ctx = sec_context(f->dir, "0000000000000000000000000000000000000000", "\"sarif\": \"app.sarif\"");
    r = run(f, "{\"reports\": [\"sarif\"], \"fail_on\": \"none\", \"require_commit_match\": true}");
    assert_int_equal(r->status, RG_CHECK_FAIL);
    assert_string_equal(r->message, "sarif: the report was made for another commit");
    assert_string_equal(sec_str(r, "failures.0.report_commit"), COMMIT);
    assert_string_equal(sec_str(r, "failures.0.release_commit"), "0000000000000000000000000000000000000000");
    rg_context_free(f->ctx);
    f->ctx = sec_context(f->dir, NULL, "\"sarif\": \"app.sarif\"");
    r = run(f, "{\"reports\": [\"sarif\"], \"fail_on\": \"none\", \"require_commit_match\": true}");
    assert_int_equal(r->status, RG_CHECK_FAIL);
    assert_string_equal(r->message, "sarif: the context has no release.commit to compare with");
    /* Not asked for: not judged. */
    r = run(f, "{\"reports\": [\"sarif\"], \"fail_on\": \"none\"}");
    assert_int_equal(r->status, RG_CHECK_PASS);
}

static void test_incomplete_scan(void **state)
{
    fixture *f = *state;
    rg_check_result *r;
    sec_write(f->dir, "failed.sarif",
              "{\"version\": \"2.1.0\", \"runs\": [{\"tool\": {\"driver\": {\"name\": \"SpotBugs\"}},"
              " \"invocations\": [{\"executionSuccessful\": false, \"exitCode\": 3}], \"results\": []}]}", (size_t)-1);
    sec_write(f->dir, "failed-gl.json",
              "{\"version\": \"15.0.0\", \"vulnerabilities\": [], \"scan\": {\"status\": \"failure\","
              " \"end_time\": \"2025-06-10T07:00:00\"}}", (size_t)-1);
    rg_context_free(f->ctx);
    f->ctx = sec_context(f->dir, COMMIT, "\"failed\": \"failed.sarif\", \"gl\": \"failed-gl.json\"");
    r = run(f, "{\"reports\": [\"failed\", \"gl\"]}");
    assert_int_equal(r->status, RG_CHECK_FAIL);
    assert_string_equal(r->message, "failed: the scan did not complete (run 1 (SpotBugs): executionSuccessful is "
                                    "false (exit code 3)); gl: the scan did not complete (scan.status is \"failure\")");
    assert_string_equal(sec_str(r, "failures.0.check"), "complete");
    assert_string_equal(sec_str(r, "reports.0.incomplete"), "run 1 (SpotBugs): executionSuccessful is false (exit code 3)");
    r = run(f, "{\"reports\": [\"failed\", \"gl\"], \"allow_incomplete\": true}");
    assert_int_equal(r->status, RG_CHECK_PASS);
    assert_string_equal(r->message, "2 reports, 0 findings, none over the limits (fail_on high); 0 ignored, 0 suppressed");
    /* An error-level notification is the same sign, though executionSuccessful says true
     * (ember-template-lint's file it could not parse, real round 37, F06); a warning or a
     * note is not. */
    sec_write(f->dir, "parse.sarif",
              "{\"version\": \"2.1.0\", \"runs\": [{\"tool\": {\"driver\": {\"name\": \"ember-template-lint\"}},"
              " \"invocations\": [{\"executionSuccessful\": true, \"toolExecutionNotifications\": [{\"level\": \"note\","
              " \"message\": {\"text\": \"took long\"}}], \"toolConfigurationNotifications\": [{\"level\": \"warning\","
              " \"message\": {\"text\": \"old rule\"}}, {\"level\": \"error\", \"message\": {\"text\": \"Parse error on "
              "line 2\"}}]}], \"results\": []}]}", (size_t)-1);
    sec_write(f->dir, "noted.sarif",
              "{\"version\": \"2.1.0\", \"runs\": [{\"tool\": {\"driver\": {\"name\": \"x\"}}, \"invocations\": "
              "[{\"executionSuccessful\": true, \"toolExecutionNotifications\": [{\"message\": {\"text\": \"a "
              "warning by default\"}}]}], \"results\": []}]}", (size_t)-1);
    rg_context_free(f->ctx);
    f->ctx = sec_context(f->dir, COMMIT, "\"parse\": \"parse.sarif\", \"noted\": \"noted.sarif\"");
    r = run(f, "{\"reports\": [\"parse\"], \"fail_on\": \"any\"}");
    assert_int_equal(r->status, RG_CHECK_FAIL);
    assert_string_equal(sec_str(r, "reports.0.incomplete"), "run 1 (ember-template-lint): the tool reported an error "
                                                            "(toolConfigurationNotifications): Parse error on line 2");
    r = run(f, "{\"reports\": [\"noted\"], \"fail_on\": \"any\"}");
    assert_int_equal(r->status, RG_CHECK_PASS);
}

static void test_unreadable_and_unknown(void **state)
{
    fixture *f = *state;
    rg_check_result *r = run(f, "{\"reports\": [\"missing\"]}");
    assert_int_equal(r->status, RG_CHECK_FAIL);
    assert_contains(r->message, "cannot read report missing: ");
    assert_contains(sec_str(r, "reports.0.error"), "nowhere.json");
    r = run(f, "{\"reports\": [\"undeclared\"]}");
    assert_int_equal(r->status, RG_CHECK_FAIL);
    r = run(f, "{\"reports\": [\"notes\"]}");
    assert_int_equal(r->status, RG_CHECK_ERROR);
    assert_string_equal(r->message, "notes: unrecognised report format: not a JSON object (expected SARIF 2.1.0, "
                                    "Trivy JSON, Grype JSON or a GitLab security report)");
    r = run(f, "{\"reports\": [\"cdx\"]}");
    assert_int_equal(r->status, RG_CHECK_ERROR);
    assert_contains(r->message, "cdx: unrecognised report format: a CycloneDX BOM");
    r = run(f, "{\"reports\": [\"broken\"]}");
    assert_int_equal(r->status, RG_CHECK_ERROR);
    assert_contains(r->message, "broken: malformed JSON: unexpected end of the document");
    /* unrecognised = "fail": the same report fails instead (a waiver or advisory level can apply). */
    r = run(f, "{\"reports\": [\"broken\"], \"unrecognised\": \"fail\"}");
    assert_int_equal(r->status, RG_CHECK_FAIL);
    assert_contains(r->message, "broken: malformed JSON: unexpected end of the document");
    r = run(f, "{\"reports\": [\"cdx\"], \"unrecognised\": \"fail\"}");
    assert_int_equal(r->status, RG_CHECK_FAIL);
    rgt_refused(rgt_find_check(relgate_plugin_entry(), "security.scan"),
                "{\"reports\": [\"trivy\"], \"unrecognised\": \"maybe\"}",
                "unrecognised is \"maybe\", not one of the values it allows: error, fail");
    /* An error in one report is an error of the check, and the others are still shown. */
    r = run(f, "{\"reports\": [\"trivy\", \"missing\", \"broken\"], \"fail_on\": \"none\"}");
    assert_int_equal(r->status, RG_CHECK_ERROR);
    assert_contains(r->message, "broken: malformed JSON");
    assert_contains(r->message, "(and other reports could not be read)");
    assert_int_equal(sec_num(r, "reports.0.counts.critical"), 3);
    assert_non_null(sec_str(r, "reports.1.error"));
    assert_non_null(sec_str(r, "reports.2.error"));
    assert_int_equal(sec_num(r, "findings"), 9); /* the readable report only */
    /* Over the evidence cap: the engine refuses to read it. */
    rg_check_result_clear(&f->r);
    assert_int_equal(sec_run("{\"reports\": [\"trivy\"]}", f->ctx, SEC_NOW, 100, &f->r), 0);
    assert_int_equal(f->r.status, RG_CHECK_FAIL);
    assert_contains(f->r.message, "cannot read report trivy");
}

static void test_forced_format(void **state)
{
    fixture *f = *state;
    rg_check_result *r = run(f, "{\"reports\": [\"trivy\"], \"format\": \"grype\"}");
    assert_int_equal(r->status, RG_CHECK_ERROR);
    assert_contains(r->message, "not a Grype report");
    r = run(f, "{\"reports\": [\"trivy\"], \"format\": \"sarif\"}");
    assert_int_equal(r->status, RG_CHECK_ERROR);
    assert_contains(r->message, "SARIF log without a \"version\"");
    r = run(f, "{\"reports\": [\"trivy\"], \"format\": \"trivy\", \"fail_on\": \"none\"}");
    assert_int_equal(r->status, RG_CHECK_PASS);
    /* A legacy Trivy clean scan is a bare null: accepted only when said to be Trivy. */
    sec_write(f->dir, "null.json", "null", 4);
    rg_context_free(f->ctx);
    f->ctx = sec_context(f->dir, COMMIT, "\"old\": \"null.json\"");
    r = run(f, "{\"reports\": [\"old\"]}");
    assert_int_equal(r->status, RG_CHECK_ERROR);
    assert_contains(r->message, "the document is JSON null");
    r = run(f, "{\"reports\": [\"old\"], \"format\": \"trivy\"}");
    assert_int_equal(r->status, RG_CHECK_PASS);
    assert_string_equal(sec_str(r, "reports.0.variant"), "legacy (null: no results)");
}

/* A SARIF log of many results, generated: counted right, in bounded memory. */
static void test_large_sarif(void **state)
{
    fixture *f = *state;
    char path[4096];
    FILE *fp;
    const int n = 60000;
    rg_check_result *r;
    snprintf(path, sizeof path, "%s/large.sarif", f->dir);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fprintf(fp, "{\"version\": \"2.1.0\", \"runs\": [{\"tool\": {\"driver\": {\"name\": \"Gen\", \"rules\": ["
                "{\"id\": \"R0\", \"properties\": {\"security-severity\": \"9.5\"}},"
                "{\"id\": \"R1\", \"defaultConfiguration\": {\"level\": \"warning\"}},"
                "{\"id\": \"R2\", \"defaultConfiguration\": {\"level\": \"note\"}}]}},"
                "\"results\": [");
    for (int i = 0; i < n; i++)
        fprintf(fp, "%s{\"ruleId\": \"R%d\", \"ruleIndex\": %d, \"message\": {\"text\": \"finding %d with some words "
                    "to make the log larger\"}, \"locations\": [{\"physicalLocation\": {\"artifactLocation\": "
                    "{\"uri\": \"src/file%d.c\"}, \"region\": {\"startLine\": %d}}}]}",
                i ? "," : "", i % 3, i % 3, i, i % 97, i % 1000 + 1);
    fprintf(fp, "]}]}\n");
    assert_int_equal(fclose(fp), 0);
    rg_context_free(f->ctx);
    f->ctx = sec_context(f->dir, COMMIT, "\"large\": \"large.sarif\"");
    r = run(f, "{\"reports\": [\"large\"], \"fail_on\": \"critical\", \"max_critical\": 20000}");
    assert_int_equal(r->status, RG_CHECK_PASS);
    assert_int_equal(sec_num(r, "counts.critical"), n / 3);
    assert_int_equal(sec_num(r, "counts.medium"), n / 3);
    assert_int_equal(sec_num(r, "counts.low"), n / 3);
    assert_int_equal(sec_size(r, "worst"), 20);
    assert_string_equal(sec_str(r, "worst.19.id"), "R0");
    /* A stream is not held to the whole-read cap (1 KiB here; the log is ~10 MB), and a
     * check of the same log with the tool written after the results counts the same. */
    r = &f->r;
    rg_check_result_clear(r);
    assert_int_equal(sec_run("{\"reports\": [\"large\"], \"fail_on\": \"none\"}", f->ctx, SEC_NOW, 1024, r), 0);
    assert_int_equal(r->status, RG_CHECK_PASS);
    assert_int_equal(sec_num(r, "counts.critical"), n / 3);
    assert_int_equal(sec_num(r, "reports.0.entries"), n);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fprintf(fp, "{\"runs\": [{\"results\": [");
    for (int i = 0; i < n; i++)
        fprintf(fp, "%s{\"ruleId\": \"R%d\", \"message\": {\"text\": \"finding %d\"}}", i ? "," : "", i % 3, i);
    fprintf(fp, "], \"tool\": {\"driver\": {\"name\": \"Gen\", \"rules\": ["
                "{\"id\": \"R0\", \"properties\": {\"security-severity\": \"9.5\"}},"
                "{\"id\": \"R1\", \"defaultConfiguration\": {\"level\": \"warning\"}},"
                "{\"id\": \"R2\", \"defaultConfiguration\": {\"level\": \"note\"}}]}}}], \"version\": \"2.1.0\"}\n");
    assert_int_equal(fclose(fp), 0);
    r = run(f, "{\"reports\": [\"large\"], \"fail_on\": \"critical\", \"max_critical\": 20000}");
    assert_int_equal(r->status, RG_CHECK_PASS);
    assert_int_equal(sec_num(r, "counts.critical"), n / 3);
    assert_int_equal(sec_num(r, "counts.medium"), n / 3);
    assert_int_equal(sec_num(r, "counts.low"), n / 3);
    assert_int_equal(sec_size(r, "worst"), 20);
    assert_string_equal(sec_str(r, "worst.0.title"), "finding 0");
    assert_string_equal(sec_str(r, "worst.19.title"), "finding 57");
}

/* In a shared child the second check over the same files reuses what the first read
 * (the memo), and says the same; a changed file, format or ignore list is read again. */
static void test_shared_child_memo(void **state)
{
    fixture *f = *state;
    rg_check_result first, again;
    const char *params = "{\"reports\": [\"sarif\", \"trivy\"], \"fail_on\": \"none\"}";
    char *a, *b;
    rg_host_set_shared(1);
    assert_int_equal(sec_run(params, f->ctx, SEC_NOW, 0, &first), 0);
    assert_int_equal(sec_run(params, f->ctx, SEC_NOW, 0, &again), 0);
    a = rg_check_result_to_json(&first);
    b = rg_check_result_to_json(&again);
    assert_string_equal(a, b); /* details, worst list and evidence digests alike */
    assert_int_equal(cJSON_GetArraySize(again.evidence), 2);
    free(a);
    free(b);
    rg_check_result_clear(&again);
    /* The SARIF log changes (another size): read again. */
    sec_write(f->dir, "app.sarif", "{\"version\": \"2.1.0\", \"runs\": [{\"tool\": {\"driver\": {\"name\": \"T\"}}, "
              "\"results\": [{\"level\": \"error\"}]}]}", (size_t)-1);
    assert_int_equal(sec_run(params, f->ctx, SEC_NOW, 0, &again), 0);
    assert_int_equal(sec_num(&again, "reports.0.counts.high"), 1);
    assert_true(sec_num(&again, "findings") != sec_num(&first, "findings"));
    rg_check_result_clear(&again);
    /* Another ignore list: read again, so its matches are counted. */
    assert_int_equal(sec_run("{\"reports\": [\"sarif\", \"trivy\"], \"fail_on\": \"none\", "
                             "\"ignore\": [\"CVE-2023-0001: 2099-01-01: test\"]}", f->ctx, SEC_NOW, 0, &again), 0);
    assert_int_equal(again.status, RG_CHECK_PASS);
    rg_check_result_clear(&again);
    rg_check_result_clear(&first);
    rg_host_set_shared(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_descriptor_valid),
        cmocka_unit_test_setup_teardown(test_trivy_default_fails_on_high, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limits_and_fail_on, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parameter_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sarif, setup, teardown),
        cmocka_unit_test_setup_teardown(test_several_reports, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ignore_entries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_max_age, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_match, setup, teardown),
        cmocka_unit_test_setup_teardown(test_incomplete_scan, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unreadable_and_unknown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_forced_format, setup, teardown),
        cmocka_unit_test_setup_teardown(test_large_sarif, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shared_child_memo, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
