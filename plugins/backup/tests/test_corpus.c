/* backup.present over the real-world corpus ($RG_CORPUS_DIR), read in place.  The
 * corpus holds no backup listings: every file there (security reports, CI responses,
 * SBOMs, NDJSON, an empty file, XML) must be refused as an unrecognised format —
 * an error, never a pass and never a crash.  other/ is the folder the brief names; the
 * other folders are swept the same way. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bk.h"
#include "support.h"

/* Relative path from the fixture's directory to the absolute path ABS. */
static void relative_to(const fixture *fx, const char *abs, char *out, size_t size)
{
    size_t depth = 0, n = 0;
    for (const char *p = fx->dir; *p; p++)
        depth += *p == '/';
    out[0] = '\0';
    for (size_t i = 0; i < depth && n + 3 < size; i++)
        n += (size_t)snprintf(out + n, size - n, "../");
    snprintf(out + n, size - n, "%s", abs + 1);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

/* Run the check over every regular file of FOLDER; returns how many were looked at. */
static int sweep(fixture *fx, const char *folder)
{
    const char *root = getenv("RG_CORPUS_DIR");
    char dir[PATH_MAX], path[PATH_MAX * 2], rel[PATH_MAX * 3], real[PATH_MAX];
    struct dirent **names;
    struct stat st;
    int n, seen = 0;

    snprintf(dir, sizeof dir, "%s/%s", root ? root : "", folder);
    if (!root || !realpath(dir, real) || (n = scandir(real, &names, NULL, by_name)) < 0)
        return -1;
    fx->evidence_root = "/";
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/%s", real, names[i]->d_name);
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            relative_to(fx, path, rel, sizeof rel);
            fx_evidence(fx, "backup", rel);
            fx_run(fx, "{\"backup\": \"backup\"}", NOW_20250610_0900);
            if (fx->result.status != RG_CHECK_ERROR || !strstr(fx->result.message, "unrecognised backup format"))
                fail_msg("%s/%s: %s: %s", folder, names[i]->d_name, rg_check_status_name(fx->result.status),
                         fx->result.message);
            /* the message names what the file is */
            if (!strstr(fx->result.message, "JSON") && !strstr(fx->result.message, "empty"))
                fail_msg("%s/%s: vague message: %s", folder, names[i]->d_name, fx->result.message);
            seen++;
        }
        free(names[i]);
    }
    free(names);
    fprintf(stderr, "# %s: %d files, all refused as unrecognised\n", folder, seen);
    return seen;
}

static void test_other(void **state)
{
    /* 48 files on the snapshot described in SOURCES.md */
    int n = sweep(*state, "other");
    if (n < 0)
        skip();
    assert_true(n > 0);
}

static void test_all_folders(void **state)
{
    static const char *const folders[] = {"sarif", "trivy", "grype", "junit", "github", "gitlab"};
    int total = 0, any = 0;
    for (size_t i = 0; i < sizeof folders / sizeof folders[0]; i++) {
        int n = sweep(*state, folders[i]);
        if (n >= 0) {
            any = 1;
            total += n;
        }
    }
    if (!any)
        skip();
    assert_true(total > 0);
}

/* Some exact expectations, checked by hand (jq, head -c): what the refusal says. */
static void test_known_refusals(void **state)
{
    static const struct { const char *file; const char *says; } cases[] = {
        /* 0 bytes */
        {"other/dd-osv-scanner-empty-file.json", "the file is empty"},
        /* the literal `null` */
        {"other/dd-gitleaks-no-findings.json", "not a JSON object or list"},
        /* NDJSON: one object per line */
        {"other/dd-yarn-audit-ndjson.json", "data after the JSON document"},
        /* XML */
        {"other/dd-dependency-check-single-vuln.xml", "not a JSON object or list"},
        /* jq 'keys_unsorted[:3]': ["results", "experimental_config"] */
        {"other/osv-scanner-results-empty.json", "a JSON object with keys \"results\""},
        /* a JSON list of 4 objects without restic's fields (jq length = 4) */
        {"other/dd-gitleaks8.json", "a JSON list of 4 items"},
    };
    fixture *fx = *state;
    const char *root = getenv("RG_CORPUS_DIR");
    char path[PATH_MAX], real[PATH_MAX], rel[PATH_MAX * 2];
    int ran = 0;
    fx->evidence_root = "/";
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", root ? root : "", cases[i].file);
        if (!root || !realpath(path, real))
            continue;
        relative_to(fx, real, rel, sizeof rel);
        fx_evidence(fx, "backup", rel);
        fx_run(fx, "{\"backup\": \"backup\"}", NOW_20250610_0900);
        assert_result(fx, RG_CHECK_ERROR, cases[i].says);
        ran++;
    }
    if (!ran)
        skip();
    /* forced to a format, a corpus file is malformed, not passed */
    snprintf(path, sizeof path, "%s/other/osv-scanner-results-empty.json", root);
    assert_non_null(realpath(path, real));
    relative_to(fx, real, rel, sizeof rel);
    fx_evidence(fx, "backup", rel);
    fx_run(fx, "{\"backup\": \"backup\", \"format\": \"manifest\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_ERROR, "is not a valid manifest: \"snapshots\" must be a list");
    fx_run(fx, "{\"backup\": \"backup\", \"format\": \"restic\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_ERROR, "is not a valid restic");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_other, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_all_folders, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_known_refusals, fx_setup, fx_teardown),
    };
    /* Every test reads ../shared/corpus (RG_CORPUS_DIR): none runs without it. */
    const char *root = rgt_env_path("RG_CORPUS_DIR", ""), *needs[sizeof tests / sizeof tests[0]];
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++)
        needs[i] = root ? root : "$RG_CORPUS_DIR (unset)";
    return rgt_run_with_data("backup corpus", tests, needs, sizeof tests / sizeof tests[0]);
}
