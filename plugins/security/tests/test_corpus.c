/* Every file of the shared corpus ($RG_CORPUS_DIR) that could reach security.scan:
 * sarif/, trivy/, grype/, gitlab/ and other/.  Each file is either read, with sane
 * counts, or rejected with a message that names the problem; the files rejected are
 * exactly those listed here.  Some files' counts are asserted exactly: they were
 * checked by hand with jq and an independent Python reading of the same rules. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report.h"
#include "sec_test.h"

typedef struct expect {
    const char *file;
    long crit, high, med, low, unk, none, suppressed, passed, absent;
} expect;

static const expect EXACT[] = {
    /* Levels from the rules' defaultConfiguration (CodeQL: 57 note, 11 error, 4 warning rules). */
    {"sarif/dd-codeql-output.sarif", 0, 11, 4, 57, 0, 0, 0, 0, 0},
    /* 77 error, 209 note, 166 without level or rule default (warning). */
    {"sarif/sarif-sdk-fortify-452-results-2.8MB.sarif", 0, 77, 166, 209, 0, 0, 0, 0, 0},
    /* 927 results, 42 suppressed in source. */
    {"sarif/sarif-sdk-fxcop-suppressed-1.6MB.sarif", 0, 237, 648, 0, 0, 0, 42, 0, 0},
    {"sarif/trivy-sarif-demo-anchore-all-suppressed.sarif", 0, 0, 0, 0, 0, 0, 429, 0, 0},
    /* security-severity written as words (CRITICAL, HIGH, MEDIUM) on the rules. */
    {"sarif/dd-semgrep-oss-security-severity.sarif", 34, 1, 42, 0, 0, 0, 0, 0, 0},
    /* security-severity scores on every rule, no result levels. */
    {"sarif/dd-grype-cxf.sarif", 1, 11, 4, 6, 0, 0, 0, 0, 0},
    /* level, kind open, invocation override to note, warning, error. */
    {"sarif/sarif-sdk-level-from-rule-default-and-invocation-override.sarif", 0, 1, 1, 1, 0, 2, 0, 0, 0},
    {"sarif/sarif-sdk-baseline-new-absent-unchanged-updated.sarif", 0, 4, 0, 0, 0, 0, 0, 0, 1},
    {"sarif/dd-flawfinder-kind-pass-fail.sarif", 0, 2, 1, 50, 0, 0, 0, 1, 0},
    {"sarif/trivy-sarif-demo-debug-trivy.sarif", 0, 64, 46, 14, 0, 0, 0, 0, 0},
    {"sarif/sarif-sdk-suppressions-utf8-bom.sarif", 0, 0, 1, 0, 0, 0, 3, 0, 0},
    {"sarif/sarif-sdk-kind-notapplicable.sarif", 0, 1, 1, 0, 0, 0, 0, 1, 0},
    {"trivy/alpine-39.json", 2, 0, 4, 0, 0, 0, 0, 0, 0},
    {"trivy/dd-legacy-list-format-many-vulns.json", 0, 18, 9, 65, 1, 0, 0, 0, 0},
    {"trivy/helm.json", 0, 3, 4, 11, 0, 0, 0, 0, 0},
    {"trivy/dd-k8s-resources-report.json", 0, 1, 5, 31, 0, 0, 0, 0, 0},
    {"trivy/dd-k8s-cluster-report.json", 0, 0, 6, 14, 0, 0, 0, 0, 0},
    /* One HIGH, and one finding VEX moved to ExperimentalModifiedFindings. */
    {"trivy/convert-npm-with-suppressed.json", 0, 1, 0, 0, 0, 0, 1, 0, 0},
    /* Status not_affected is suppressed; the other seven statuses count. */
    {"trivy/dd-all-vulnerability-statuses.json", 0, 0, 0, 7, 0, 0, 1, 0, 0},
    {"trivy/gomod.json", 0, 0, 1, 0, 4, 0, 0, 0, 0},
    {"trivy/dd-misconfigurations-and-secrets.json", 2, 2, 1, 0, 0, 0, 0, 0, 0},
    {"grype/heimdall-grype-0.79-image-89-matches.json", 13, 44, 28, 2, 2, 0, 0, 0, 0},
    /* Negligible counts as none. */
    {"grype/dd-legacy-0.7-many-vulns.json", 5, 24, 155, 27, 10, 106, 0, 0, 0},
    {"grype/dd-missing-severity.json", 1, 18, 13, 2, 1, 0, 0, 0, 0},
    {"gitlab/dd-gl-container-scanning-v15.json", 0, 4, 1, 0, 0, 0, 0, 0, 0},
    {"gitlab/dd-gl-dependency-scanning-missing-component.json", 0, 1, 0, 0, 1, 0, 0, 0, 0},
    {"gitlab/trivy-alpine-310.gl-container-scanning-report.json", 0, 0, 4, 0, 0, 0, 0, 0, 0},
};

/* The files each folder is expected to reject (NULL-terminated), and what their
 * message must say. */
typedef struct rejection {
    const char *file;
    const char *why;
} rejection;

static const rejection SARIF_REJECTED[] = {
    {"LARGE-sarif-sdk-cwe-taxonomy-3.8MB.sarif", "has no results"}, /* a taxonomy, not a scan */
    {"codeql-action-five-runs-no-results-null-tool-name.sarif", "has no results"},
    {"codeql-action-invalid-results-is-number.sarif", "results is not an array"},
    {"dd-no-runs.sarif", "has no runs"},
    {"sarif-sdk-malformed-json-syntax-error.sarif", "malformed JSON"},
    {"sarif-sdk-run-without-results-property.sarif", "has no results"},
    {"sarif-sdk-version-1.0.0.sarif", "SARIF version 1.0.0 is not supported"},
    {"sarif-spec-2.2-comprehensive.sarif", "SARIF version 2.2 is not supported"},
    {"sarif-spec-2.2-minimal-valid.sarif", "SARIF version 2.2 is not supported"},
    {NULL, NULL},
};

static const rejection TRIVY_REJECTED[] = {
    {"dd-legacy-no-vuln-null.json", "the document is JSON null"}, /* accepted with format = "trivy" */
    {"k8s-summary-ids.json", "unrecognised report format"},       /* a test golden of bare ids */
    {NULL, NULL},
};

static const rejection NONE_REJECTED[] = {{NULL, NULL}};

/* gitlab/ holds CI data besides security reports: all of it is unrecognised. */
static const char *const GITLAB_REPORTS[] = {
    "dd-gl-container-scanning-0-vuln.json", "dd-gl-container-scanning-v15.json",
    "dd-gl-dependency-scanning-missing-component.json", "dd-gl-sast-0-vuln.json", "dd-gl-sast-v15.json",
    "trivy-alpine-310.gl-container-scanning-report.json", "trivy-npm.gl-container-scanning-report.json", NULL,
};

/* other/ is not ours, but one file of it is a SARIF 2.1.0 log (Snyk Code). */
static const char *const OTHER_READ[] = {"dd-snyk-code.sarif.json", NULL};

static int listed(const char *const *list, const char *name)
{
    for (; *list; list++)
        if (strcmp(*list, name) == 0)
            return 1;
    return 0;
}

static const char *corpus(void)
{
    const char *dir = getenv("RG_CORPUS_DIR");
    return dir && *dir ? dir : NULL;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static void check_sane(const char *path, const sec_tally *t, const sec_info *info)
{
    long findings = sec_tally_findings(t), done = findings + t->passed + t->absent;
    for (int i = 0; i < SEC_SEV_COUNT; i++)
        if (t->sev[i] < 0)
            fail_msg("%s: negative count", path);
    /* Every entry read is a finding, not a finding, fixed or suppressed; suppressed
     * may also count findings a report keeps apart (VEX, Grype's ignoredMatches). */
    if (done > info->entries || info->entries > done + t->suppressed)
        fail_msg("%s: %ld entries, but %ld findings, %ld passed, %ld fixed, %ld suppressed", path, info->entries,
                 findings, t->passed, t->absent, t->suppressed);
    if (!info->variant[0] || !info->tool[0] || info->format == SEC_FMT_AUTO)
        fail_msg("%s: no format, variant or tool named", path);
}

/* Read every file of FOLDER.  A file is rejected when it is in REJECTED, or, with
 * ACCEPT given, when it is not in ACCEPT (then its message must contain ANY_WHY).
 * Returns the number of files read. */
static int walk(const char *folder, const rejection *rejected, const char *const *accept, const char *any_why,
                int *rejected_count)
{
    char dir[4096], path[8192];
    struct dirent **names;
    int n, read_ok = 0;
    snprintf(dir, sizeof dir, "%s/%s", corpus(), folder);
    n = scandir(dir, &names, NULL, by_name);
    if (n < 0)
        skip();
    *rejected_count = 0;
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name, *want = NULL;
        char why[512];
        size_t len;
        char *text;
        sec_tally t;
        sec_info info;
        sec_scan s;
        int rc;
        if (name[0] == '.') {
            free(names[i]);
            continue;
        }
        for (const rejection *r = rejected; r->file; r++)
            if (strcmp(r->file, name) == 0)
                want = r->why;
        if (accept && !listed(accept, name))
            want = any_why;
        snprintf(path, sizeof path, "%s/%s", dir, name);
        text = sec_slurp(path, &len);
        if (!text)
            fail_msg("cannot read %s", path);
        memset(&t, 0, sizeof t);
        sec_scan_init(&s, NULL, 0);
        sec_scan_begin(&s, 0, &t);
        rc = sec_report_read(text, len, SEC_FMT_AUTO, &s, &info, why, sizeof why);
        if (rc == 0 && want)
            fail_msg("%s/%s: read, but it should be rejected (%s)", folder, name, want);
        if (rc != 0 && !want)
            fail_msg("%s/%s: rejected: %s", folder, name, why);
        if (rc != 0) {
            if (!strstr(why, want) && !(want == any_why && strstr(why, "malformed JSON")))
                fail_msg("%s/%s: rejected with \"%s\", expected \"%s\"", folder, name, why, want);
            ++*rejected_count;
        } else {
            check_sane(path, &t, &info);
            /* The kept findings are the most severe, in order, with names. */
            for (size_t k = 0; k < s.worst_count; k++) {
                assert_non_null(s.worst[k].id);
                if (k && s.worst[k].severity > s.worst[k - 1].severity)
                    fail_msg("%s: worst findings out of order", path);
            }
            read_ok++;
        }
        for (size_t e = 0; e < sizeof EXACT / sizeof EXACT[0]; e++) {
            char rel[600];
            const expect *x = &EXACT[e];
            snprintf(rel, sizeof rel, "%s/%s", folder, name);
            if (strcmp(rel, x->file) != 0)
                continue;
            assert_int_equal(rc, 0);
            if (t.sev[SEC_SEV_CRITICAL] != x->crit || t.sev[SEC_SEV_HIGH] != x->high || t.sev[SEC_SEV_MEDIUM] != x->med ||
                t.sev[SEC_SEV_LOW] != x->low || t.sev[SEC_SEV_UNKNOWN] != x->unk || t.sev[SEC_SEV_NONE] != x->none ||
                t.suppressed != x->suppressed || t.passed != x->passed || t.absent != x->absent)
                fail_msg("%s: got %ld/%ld/%ld/%ld/%ld/%ld suppressed %ld passed %ld absent %ld", rel,
                         t.sev[SEC_SEV_CRITICAL], t.sev[SEC_SEV_HIGH], t.sev[SEC_SEV_MEDIUM], t.sev[SEC_SEV_LOW],
                         t.sev[SEC_SEV_UNKNOWN], t.sev[SEC_SEV_NONE], t.suppressed, t.passed, t.absent);
        }
        sec_scan_free(&s);
        free(text);
        free(names[i]);
    }
    free(names);
    return read_ok;
}

static void test_sarif_folder(void **state)
{
    int rej, n;
    (void)state;
    if (!corpus())
        skip();
    n = walk("sarif", SARIF_REJECTED, NULL, NULL, &rej);
    print_message("# sarif/: %d read, %d rejected\n", n, rej);
    assert_int_equal(rej, 9);
    assert_int_equal(n, 37);
}

static void test_trivy_folder(void **state)
{
    int rej, n;
    (void)state;
    if (!corpus())
        skip();
    n = walk("trivy", TRIVY_REJECTED, NULL, NULL, &rej);
    print_message("# trivy/: %d read, %d rejected\n", n, rej);
    assert_int_equal(rej, 2);
    assert_int_equal(n, 45);
}

static void test_grype_folder(void **state)
{
    int rej, n;
    (void)state;
    if (!corpus())
        skip();
    n = walk("grype", NONE_REJECTED, NULL, NULL, &rej);
    print_message("# grype/: %d read, %d rejected\n", n, rej);
    assert_int_equal(rej, 0);
    assert_int_equal(n, 16);
}

static void test_gitlab_folder(void **state)
{
    int rej, n;
    (void)state;
    if (!corpus())
        skip();
    n = walk("gitlab", NONE_REJECTED, GITLAB_REPORTS, "unrecognised report format", &rej);
    print_message("# gitlab/: %d read, %d rejected\n", n, rej);
    assert_int_equal(n, 7);
    assert_int_equal(rej, 27);
}

static void test_other_folder(void **state)
{
    int rej, n;
    (void)state;
    if (!corpus())
        skip();
    n = walk("other", NONE_REJECTED, OTHER_READ, "unrecognised report format", &rej);
    print_message("# other/: %d read, %d rejected\n", n, rej);
    assert_int_equal(n, 1);
    assert_true(rej >= 40);
}

/* The whole check over corpus files copied into a release's directory. */
static void test_check_on_corpus(void **state)
{
    char src[4096], *dir;
    rg_context *ctx;
    rg_check_result r;
    (void)state;
    if (!corpus())
        skip();
    snprintf(src, sizeof src, "%s/trivy/alpine-39.json", corpus());
    if (access(src, R_OK) != 0)
        skip();
    dir = sec_tmpdir();
    sec_copy(dir, "trivy.json", src);
    snprintf(src, sizeof src, "%s/grype/heimdall-grype-0.79-image-89-matches.json", corpus());
    sec_copy(dir, "grype.json", src);
    snprintf(src, sizeof src, "%s/sarif/LARGE-sarif-sdk-cwe-taxonomy-3.8MB.sarif", corpus());
    sec_copy(dir, "taxonomy.sarif", src);
    snprintf(src, sizeof src, "%s/gitlab/narkoz-pipeline-success-minified.json", corpus());
    sec_copy(dir, "pipeline.json", src);
    ctx = sec_context(dir, NULL, "\"trivy\": \"trivy.json\", \"grype\": \"grype.json\", \"taxonomy\": \"taxonomy.sarif\","
                                 " \"pipeline\": \"pipeline.json\"");
    memset(&r, 0, sizeof r);
    assert_int_equal(sec_run("{\"reports\": [\"trivy\", \"grype\"]}", ctx, SEC_NOW, 0, &r), 0);
    assert_int_equal(r.status, RG_CHECK_FAIL);
    assert_string_equal(r.message, "findings over the limits: 15 critical (allowed 0), 44 high (allowed 0); worst: CVE-2022-2068 (critical, libcrypto1.1@1.1.1d-r3)");
    assert_int_equal(sec_size(&r, "worst"), 20);
    assert_string_equal(sec_str(&r, "worst.0.severity"), "critical");
    rg_check_result_clear(&r);
    assert_int_equal(sec_run("{\"reports\": [\"trivy\"], \"max_age\": \"30d\", \"fail_on\": \"none\"}", ctx, SEC_NOW, 0, &r), 0);
    assert_int_equal(r.status, RG_CHECK_FAIL);
    assert_contains(r.message, "trivy is 1384d 23h old (max_age 30d)");
    rg_check_result_clear(&r);
    assert_int_equal(sec_run("{\"reports\": [\"taxonomy\"]}", ctx, SEC_NOW, 0, &r), 0);
    assert_int_equal(r.status, RG_CHECK_ERROR);
    assert_contains(r.message, "taxonomy: run 1 (Microsoft.CodeAnalysis.Sarif.Taxonomies.CweGenerator) has no results");
    rg_check_result_clear(&r);
    assert_int_equal(sec_run("{\"reports\": [\"pipeline\"]}", ctx, SEC_NOW, 0, &r), 0);
    assert_int_equal(r.status, RG_CHECK_ERROR);
    assert_contains(r.message, "pipeline: unrecognised report format: a JSON object with the members id, status");
    rg_check_result_clear(&r);
    rg_context_free(ctx);
    sec_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sarif_folder),
        cmocka_unit_test(test_trivy_folder),
        cmocka_unit_test(test_grype_folder),
        cmocka_unit_test(test_gitlab_folder),
        cmocka_unit_test(test_other_folder),
        cmocka_unit_test(test_check_on_corpus),
    };
    /* Every test reads ../shared/corpus (RG_CORPUS_DIR): none runs without it. */
    const char *root = rgt_env_path("RG_CORPUS_DIR", ""), *needs[sizeof tests / sizeof tests[0]];
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++)
        needs[i] = root ? root : "$RG_CORPUS_DIR (unset)";
    return rgt_run_with_data("security corpus", tests, needs, sizeof tests / sizeof tests[0]);
}
