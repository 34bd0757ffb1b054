/* Unit tests for core/context.c: loading and validating release contexts. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "context.h"
#include "digest.h"
#include "evidence.h"
#include "rgtest.h"

#ifndef RG_TEST_DATA
#define RG_TEST_DATA "tests/data"
#endif
#define UNIT_DATA RG_TEST_DATA "/../unit/data"

/* The shared fixture (tests/support/rgtest.h) under this file's names. */
typedef rgt_fixture tmpdir;
#define fmt rgt_fmt
#define at rgt_at
#define put_file rgt_put_file

RGT_FIXTURE(setup_tmp, teardown_tmp, "rg-context", NULL)

/* Write TEXT to ctx.json and load it with OPT. */
static rg_context *load_text(tmpdir *t, const char *text, const rg_context_options *opt)
{
    rg_context_free(t->ctx);
    rg_error_clear(&t->err);
    t->ctx = rgt_load_context(t->path, "ctx.json", text, opt, &t->err);
    return t->ctx;
}

static rg_context *load_ok(tmpdir *t, const char *text, const rg_context_options *opt)
{
    rg_context *ctx = load_text(t, text, opt);
    if (!ctx)
        fail_msg("context refused: %s", t->err.message);
    assert_int_equal(t->err.kind, RG_ERROR_NONE);
    return ctx;
}

/* Loading TEXT fails with exactly one problem, the message "<path>: WANT". */
static void refused_with(tmpdir *t, const char *text, const char *want)
{
    char full[PATH_MAX + RG_ERROR_MESSAGE_MAX];
    if (load_text(t, text, NULL))
        fail_msg("accepted: %s", text);
    fmt(full, sizeof full, "%s: %s", at(t, "ctx.json"), want);
    if (t->err.problem_count != 1)
        fail_msg("%d problems (first: %s), expected one: %s", t->err.problem_count, t->err.message, want);
    assert_int_equal(t->err.kind, RG_ERROR_CONTEXT);
    assert_string_equal(t->err.file, at(t, "ctx.json"));
    assert_string_equal(t->err.message, full);
    assert_string_equal(t->err.problems[0], full);
}

#define MINIMAL "{\"release\": {\"name\": \"payments\", \"version\": \"2.4.0\", \"type\": \"minor\"}}"

/* A context with release fields RELEASE (JSON members) and top-level REST. */
static const char *doc(const char *release, const char *rest)
{
    static char buf[4096];
    fmt(buf, sizeof buf, "{\"release\": {%s}%s%s}", release, rest[0] ? ", " : "", rest);
    return buf;
}

#define GOOD_RELEASE "\"name\": \"payments\", \"version\": \"2.4.0\", \"type\": \"minor\""

/* ---- Valid contexts ------------------------------------------------------------------ */

static void test_load_minimal(void **state)
{
    tmpdir *t = *state;
    rg_context *ctx = load_ok(t, MINIMAL, NULL);
    assert_string_equal(ctx->name, "payments");
    assert_string_equal(ctx->version, "2.4.0");
    assert_null(ctx->previous_version);
    assert_int_equal(ctx->type, RG_TYPE_MINOR);
    assert_int_equal(ctx->stage, RG_STAGE_PRE_RELEASE); /* the default */
    assert_string_equal(ctx->display, at(t, "ctx.json"));
    assert_string_equal(ctx->dir, t->path);
    assert_string_equal(ctx->evidence_root, t->path);
    assert_true(cJSON_IsObject(ctx->root));
}

static void test_load_digest_is_sha256_of_bytes(void **state)
{
    tmpdir *t = *state;
    unsigned char want[RG_SHA256_LEN];
    rg_context *ctx = load_ok(t, MINIMAL "\n", NULL);
    rg_sha256_of(MINIMAL "\n", strlen(MINIMAL "\n"), want);
    assert_memory_equal(ctx->digest, want, RG_SHA256_LEN);
    ctx = load_ok(t, MINIMAL "\n\n", NULL); /* one more byte: another digest */
    assert_memory_not_equal(ctx->digest, want, RG_SHA256_LEN);
}

static void test_load_full_example(void **state)
{
    tmpdir *t = *state;
    char dir[PATH_MAX];
    rg_context *ctx;
    t->ctx = ctx = rg_context_load(UNIT_DATA "/context-full.json", NULL, &t->err);
    if (!ctx)
        fail_msg("refused: %s", t->err.message);
    assert_string_equal(ctx->name, "payments-api");
    assert_string_equal(ctx->version, "2.4.0");
    assert_string_equal(ctx->previous_version, "2.3.8");
    assert_int_equal(ctx->type, RG_TYPE_MINOR);
    assert_int_equal(ctx->stage, RG_STAGE_DEPLOY);
    assert_non_null(realpath(UNIT_DATA, dir));
    assert_string_equal(ctx->dir, dir);
    assert_string_equal(ctx->display, UNIT_DATA "/context-full.json");
    {
        char path[PATH_MAX], why[PATH_MAX * 2], want[PATH_MAX + 32];
        assert_int_equal(rg_evidence_resolve(ctx, "rollback_plan", path, sizeof path, why, sizeof why),
                         RG_EVIDENCE_OK);
        fmt(want, sizeof want, "%s/docs/ROLLBACK.md", dir);
        assert_string_equal(path, want);
        assert_int_equal(rg_evidence_resolve(ctx, "smoke_tests", path, sizeof path, why, sizeof why),
                         RG_EVIDENCE_OK);
    }
}

static void test_load_every_type_and_stage(void **state)
{
    tmpdir *t = *state;
    static const struct {
        const char *type, *stage;
        rg_release_type want_type;
        rg_stage want_stage;
    } cases[] = {
        {"patch", "pre-release", RG_TYPE_PATCH, RG_STAGE_PRE_RELEASE},
        {"minor", "deploy", RG_TYPE_MINOR, RG_STAGE_DEPLOY},
        {"major", "post-deploy", RG_TYPE_MAJOR, RG_STAGE_POST_DEPLOY},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char release[256], rest[64];
        rg_context *ctx;
        fmt(release, sizeof release, "\"name\": \"n\", \"version\": \"1.0.0\", \"type\": \"%s\"", cases[i].type);
        fmt(rest, sizeof rest, "\"stage\": \"%s\"", cases[i].stage);
        ctx = load_ok(t, doc(release, rest), NULL);
        assert_int_equal(ctx->type, cases[i].want_type);
        assert_int_equal(ctx->stage, cases[i].want_stage);
    }
}

static void test_load_prerelease_versions(void **state)
{
    tmpdir *t = *state;
    rg_context *ctx = load_ok(t, doc("\"name\": \"n\", \"version\": \"3.0.0-rc.1+build.5\", "
                                     "\"previous_version\": \"2.9.9\", \"type\": \"major\"", ""), NULL);
    assert_string_equal(ctx->version, "3.0.0-rc.1+build.5");
    assert_string_equal(ctx->previous_version, "2.9.9");
}

static void test_null_fields_read_as_absent(void **state)
{
    tmpdir *t = *state;
    rg_context *ctx = load_ok(t, doc(GOOD_RELEASE ", \"previous_version\": null",
                                     "\"stage\": null, \"evidence\": null"), NULL);
    assert_null(ctx->previous_version);
    assert_int_equal(ctx->stage, RG_STAGE_PRE_RELEASE);
}

static void test_other_fields_are_not_judged(void **state)
{
    tmpdir *t = *state;
    /* approvals, changes, deployment: the policy's business, whatever their shape. */
    load_ok(t, doc(GOOD_RELEASE ", \"author\": 5, \"extra\": [1]",
                   "\"approvals\": \"none\", \"changes\": 7, \"deployment\": [], \"unknown\": {}"), NULL);
}

/* ---- Options -------------------------------------------------------------------------- */

static void test_stage_override(void **state)
{
    tmpdir *t = *state;
    rg_context_options opt = {0};
    rg_context *ctx;
    opt.stage = RG_STAGE_POST_DEPLOY;
    ctx = load_ok(t, doc(GOOD_RELEASE, "\"stage\": \"deploy\""), &opt);
    assert_int_equal(ctx->stage, RG_STAGE_POST_DEPLOY);
    ctx = load_ok(t, MINIMAL, &opt);
    assert_int_equal(ctx->stage, RG_STAGE_POST_DEPLOY);
}

static void test_stage_override_replaces_invalid_stage(void **state)
{
    tmpdir *t = *state;
    rg_context_options opt = {0};
    opt.stage = RG_STAGE_DEPLOY;
    assert_int_equal(load_ok(t, doc(GOOD_RELEASE, "\"stage\": \"production\""), &opt)->stage,
                     RG_STAGE_DEPLOY);
}

static void test_type_override(void **state)
{
    tmpdir *t = *state;
    rg_context_options opt = {0};
    opt.type = RG_TYPE_PATCH;
    assert_int_equal(load_ok(t, MINIMAL, &opt)->type, RG_TYPE_PATCH);
}

/* --type is what is checked: the context's own type may then be missing or wrong. */
static void test_type_override_replaces_missing_or_invalid_type(void **state)
{
    tmpdir *t = *state;
    rg_context_options opt = {0};
    opt.type = RG_TYPE_MAJOR;
    assert_int_equal(load_ok(t, doc("\"name\": \"n\", \"version\": \"1.0.0\"", ""), &opt)->type,
                     RG_TYPE_MAJOR);
    assert_int_equal(load_ok(t, doc("\"name\": \"n\", \"version\": \"1.0.0\", \"type\": \"hotfix\"", ""),
                             &opt)->type,
                     RG_TYPE_MAJOR);
}

static void test_evidence_root_option(void **state)
{
    tmpdir *t = *state;
    rg_context_options opt = {0};
    rg_context *ctx;
    mkdir(at(t, "ev"), 0755);
    opt.evidence_root = at(t, "ev/../ev/.");
    ctx = load_ok(t, doc(GOOD_RELEASE, "\"evidence\": {\"n\": \"ev/notes.md\"}"), &opt);
    assert_string_equal(ctx->evidence_root, at(t, "ev")); /* resolved */
    assert_string_equal(ctx->dir, t->path);
}

static void test_evidence_root_missing(void **state)
{
    tmpdir *t = *state;
    rg_context_options opt = {0};
    char want[PATH_MAX + 100];
    opt.evidence_root = at(t, "nowhere");
    assert_null(load_text(t, MINIMAL, &opt));
    assert_int_equal(t->err.kind, RG_ERROR_USAGE);
    fmt(want, sizeof want, "--evidence-root %s: %s", at(t, "nowhere"), strerror(ENOENT));
    assert_string_equal(t->err.message, want);
}

static void test_evidence_root_not_a_directory(void **state)
{
    tmpdir *t = *state;
    rg_context_options opt = {0};
    char want[PATH_MAX + 100];
    put_file(t, "file", "x");
    opt.evidence_root = at(t, "file");
    assert_null(load_text(t, MINIMAL, &opt));
    assert_int_equal(t->err.kind, RG_ERROR_USAGE);
    fmt(want, sizeof want, "--evidence-root %s: not a directory", at(t, "file"));
    assert_string_equal(t->err.message, want);
}

static void test_limits_option_caps_size(void **state)
{
    tmpdir *t = *state;
    rg_limits limits = rg_limits_default();
    rg_context_options opt = {0};
    limits.max_context_bytes = strlen(MINIMAL);
    opt.limits = &limits;
    load_ok(t, MINIMAL, &opt);
    assert_null(load_text(t, MINIMAL " ", &opt));
    assert_int_equal(t->err.kind, RG_ERROR_IO);
    assert_contains(t->err.message, "is larger than the limit of");
}

static void test_limits_option_caps_depth(void **state)
{
    tmpdir *t = *state;
    rg_limits limits = rg_limits_default();
    rg_context_options opt = {0};
    limits.max_json_depth = 3;
    opt.limits = &limits;
    load_ok(t, doc(GOOD_RELEASE, "\"x\": [[]]"), &opt);
    assert_null(load_text(t, doc(GOOD_RELEASE, "\"x\": [[[]]]"), &opt));
    assert_int_equal(t->err.kind, RG_ERROR_CONTEXT);
    assert_contains(t->err.message, "nested deeper than 3 levels");
}

/* ---- Paths and input ------------------------------------------------------------------ */

static void test_relative_path_resolves_directory(void **state)
{
    tmpdir *t = *state;
    char cwd[PATH_MAX];
    put_file(t, "ctx.json", MINIMAL);
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(t->path), 0);
    t->ctx = rg_context_load("ctx.json", NULL, &t->err);
    assert_int_equal(chdir(cwd), 0);
    if (!t->ctx)
        fail_msg("refused: %s", t->err.message);
    assert_string_equal(t->ctx->display, "ctx.json");
    assert_string_equal(t->ctx->dir, t->path);
}

static void test_symlinked_directory_is_resolved(void **state)
{
    tmpdir *t = *state;
    mkdir(at(t, "real"), 0755);
    put_file(t, "real/ctx.json", MINIMAL);
    assert_int_equal(symlink("real", at(t, "alias")), 0);
    t->ctx = rg_context_load(at(t, "alias/ctx.json"), NULL, &t->err);
    assert_non_null(t->ctx);
    assert_string_equal(t->ctx->dir, at(t, "real"));
}

static void test_stdin_context(void **state)
{
    tmpdir *t = *state;
    char cwd[PATH_MAX], real[PATH_MAX];
    int saved = dup(STDIN_FILENO), fd;
    put_file(t, "in.json", MINIMAL);
    fd = open(at(t, "in.json"), O_RDONLY);
    assert_true(fd >= 0 && saved >= 0);
    dup2(fd, STDIN_FILENO);
    close(fd);
    t->ctx = rg_context_load("-", NULL, &t->err);
    dup2(saved, STDIN_FILENO);
    close(saved);
    if (!t->ctx)
        fail_msg("refused: %s", t->err.message);
    assert_string_equal(t->ctx->display, "<stdin>");
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_non_null(realpath(cwd, real));
    assert_string_equal(t->ctx->dir, real);
    assert_string_equal(t->ctx->name, "payments");
}

static void test_missing_file(void **state)
{
    tmpdir *t = *state;
    char want[PATH_MAX + 100];
    t->ctx = rg_context_load(at(t, "none.json"), NULL, &t->err);
    assert_null(t->ctx);
    assert_int_equal(t->err.kind, RG_ERROR_IO);
    assert_string_equal(t->err.file, at(t, "none.json"));
    fmt(want, sizeof want, "cannot open context %s: %s", at(t, "none.json"), strerror(ENOENT));
    assert_string_equal(t->err.message, want);
}

static void test_syntax_error_has_position(void **state)
{
    tmpdir *t = *state;
    char want[PATH_MAX + 100];
    assert_null(load_text(t, "{\n  \"release\": {\n    \"name\" \"x\"\n  }\n}\n", NULL));
    assert_int_equal(t->err.kind, RG_ERROR_CONTEXT);
    assert_string_equal(t->err.file, at(t, "ctx.json"));
    assert_int_equal(t->err.line, 3);
    assert_int_equal(t->err.column, 12);
    fmt(want, sizeof want, "%s:3:12: JSON syntax error: expected ':' after the key, near '\"x\"'", at(t, "ctx.json"));
    assert_string_equal(t->err.message, want);
}

static void test_duplicate_key_refused(void **state)
{
    tmpdir *t = *state;
    assert_null(load_text(t, doc(GOOD_RELEASE ", \"version\": \"9.9.9\"", ""), NULL));
    assert_int_equal(t->err.kind, RG_ERROR_CONTEXT);
    assert_contains(t->err.message, "duplicate key \"version\"");
    assert_contains(t->err.message, "\"release\"");
}

static void test_invalid_utf8_refused(void **state)
{
    tmpdir *t = *state;
    const char *text = doc("\"name\": \"pay\xff\", \"version\": \"1.0.0\", \"type\": \"minor\"", "");
    int column = (int)(strchr(text, '\xff') - text) + 1;
    assert_null(load_text(t, text, NULL));
    assert_int_equal(t->err.kind, RG_ERROR_CONTEXT);
    assert_int_equal(t->err.line, 1);
    assert_int_equal(t->err.column, column);
    assert_contains(t->err.message, "invalid UTF-8");
}

/* ---- Validation problems, one at a time --------------------------------------------------- */

static void test_not_an_object(void **state)
{
    tmpdir *t = *state;
    refused_with(t, "[]", "a release context must be a JSON object");
    refused_with(t, "\"release\"", "a release context must be a JSON object");
}

static void test_release_missing(void **state)
{
    tmpdir *t = *state;
    refused_with(t, "{\"stage\": \"deploy\"}", "\"release\" is missing");
}

static void test_release_not_an_object(void **state)
{
    tmpdir *t = *state;
    refused_with(t, "{\"release\": \"payments 2.4.0\"}", "\"release\" must be an object");
    refused_with(t, "{\"release\": [\"payments\"]}", "\"release\" must be an object");
}

static void test_name_missing(void **state)
{
    tmpdir *t = *state;
    refused_with(t, doc("\"version\": \"2.4.0\", \"type\": \"minor\"", ""), "release.name is missing");
    refused_with(t, doc("\"name\": null, \"version\": \"2.4.0\", \"type\": \"minor\"", ""),
                 "release.name is missing");
}

static void test_name_empty_or_not_a_string(void **state)
{
    tmpdir *t = *state;
    refused_with(t, doc("\"name\": \"\", \"version\": \"2.4.0\", \"type\": \"minor\"", ""),
                 "release.name must be a non-empty string");
    refused_with(t, doc("\"name\": 42, \"version\": \"2.4.0\", \"type\": \"minor\"", ""),
                 "release.name must be a non-empty string");
}

static void test_version_missing(void **state)
{
    tmpdir *t = *state;
    refused_with(t, doc("\"name\": \"n\", \"type\": \"minor\"", ""), "release.version is missing");
}

static void test_version_not_a_string(void **state)
{
    tmpdir *t = *state;
    refused_with(t, doc("\"name\": \"n\", \"version\": 2.4, \"type\": \"minor\"", ""),
                 "release.version must be a string like \"1.4.2\"");
}

static void test_version_with_leading_v(void **state)
{
    tmpdir *t = *state;
    load_text(t, doc("\"name\": \"n\", \"version\": \"v2.4.0\", \"type\": \"minor\"", ""), NULL);
    assert_null(t->ctx);
    assert_int_equal(t->err.problem_count, 1);
    assert_contains(t->err.message, ": release.version \"v2.4.0\" is not a SemVer 2.0.0 version: ");
}

static void test_version_not_semver(void **state)
{
    tmpdir *t = *state;
    static const char *const bad[] = {"2.4", "2.4.0.1", "02.4.0", "2.4.0-", "latest"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char release[256], want[256];
        fmt(release, sizeof release, "\"name\": \"n\", \"version\": \"%s\", \"type\": \"minor\"", bad[i]);
        if (load_text(t, doc(release, ""), NULL))
            fail_msg("version %s accepted", bad[i]);
        fmt(want, sizeof want, "release.version \"%s\" is not a SemVer 2.0.0 version", bad[i]);
        assert_contains(t->err.message, want);
    }
}

static void test_previous_version_invalid(void **state)
{
    tmpdir *t = *state;
    load_text(t, doc(GOOD_RELEASE ", \"previous_version\": \"v2.3.8\"", ""), NULL);
    assert_null(t->ctx);
    assert_int_equal(t->err.problem_count, 1);
    assert_contains(t->err.message, "release.previous_version \"v2.3.8\" is not a SemVer 2.0.0 version");
    refused_with(t, doc(GOOD_RELEASE ", \"previous_version\": 238", ""),
                 "release.previous_version must be a string like \"1.4.2\"");
}

static void test_environment(void **state)
{
    tmpdir *t = *state;
    rg_context *ctx = load_ok(t, doc(GOOD_RELEASE ", \"environment\": \"production\"", ""), NULL);
    assert_string_equal(ctx->environment, "production");
    ctx = load_ok(t, doc(GOOD_RELEASE ", \"environment\": null", ""), NULL);
    assert_null(ctx->environment);
    refused_with(t, doc(GOOD_RELEASE ", \"environment\": \"\"", ""), "release.environment must be a non-empty string");
    refused_with(t, doc(GOOD_RELEASE ", \"environment\": [\"prod\"]", ""),
                 "release.environment must be a non-empty string");
}

static void test_type_missing(void **state)
{
    tmpdir *t = *state;
    refused_with(t, doc("\"name\": \"n\", \"version\": \"1.0.0\"", ""),
                 "release.type is missing (patch, minor or major)");
}

static void test_type_invalid(void **state)
{
    tmpdir *t = *state;
    refused_with(t, doc("\"name\": \"n\", \"version\": \"1.0.0\", \"type\": \"hotfix\"", ""),
                 "release.type \"hotfix\" is not patch, minor or major");
    refused_with(t, doc("\"name\": \"n\", \"version\": \"1.0.0\", \"type\": \"Minor\"", ""),
                 "release.type \"Minor\" is not patch, minor or major");
    refused_with(t, doc("\"name\": \"n\", \"version\": \"1.0.0\", \"type\": 2", ""),
                 "release.type (not a string) is not patch, minor or major");
}

static void test_stage_invalid(void **state)
{
    tmpdir *t = *state;
    refused_with(t, doc(GOOD_RELEASE, "\"stage\": \"production\""),
                 "stage \"production\" is not pre-release, deploy or post-deploy");
    refused_with(t, doc(GOOD_RELEASE, "\"stage\": [\"deploy\"]"),
                 "stage (not a string) is not pre-release, deploy or post-deploy");
}

static void test_evidence_not_an_object(void **state)
{
    tmpdir *t = *state;
    refused_with(t, doc(GOOD_RELEASE, "\"evidence\": [\"notes.md\"]"),
                 "\"evidence\" must be an object mapping names to file paths");
}

static void test_evidence_value_not_a_path(void **state)
{
    tmpdir *t = *state;
    refused_with(t, doc(GOOD_RELEASE, "\"evidence\": {\"notes\": 5}"),
                 "evidence.notes must be a non-empty path string");
    refused_with(t, doc(GOOD_RELEASE, "\"evidence\": {\"notes\": \"\"}"),
                 "evidence.notes must be a non-empty path string");
}

static void test_evidence_absolute(void **state)
{
    tmpdir *t = *state;
    load_text(t, doc(GOOD_RELEASE, "\"evidence\": {\"ci\": \"/etc/passwd\"}"), NULL);
    assert_null(t->ctx);
    assert_int_equal(t->err.problem_count, 1);
    assert_contains(t->err.message, "evidence.ci: absolute path '/etc/passwd' is not allowed");
}

static void test_evidence_escaping(void **state)
{
    tmpdir *t = *state;
    char want[PATH_MAX * 2];
    load_text(t, doc(GOOD_RELEASE, "\"evidence\": {\"ci\": \"reports/../../ci.json\"}"), NULL);
    assert_null(t->ctx);
    assert_int_equal(t->err.problem_count, 1);
    fmt(want, sizeof want, "%s: evidence.ci: path 'reports/../../ci.json' leaves %s (use --evidence-root "
        "to allow a wider directory)", at(t, "ctx.json"), t->path);
    assert_string_equal(t->err.message, want);
}

/* ---- Several problems at once ------------------------------------------------------------ */

static void test_all_problems_reported(void **state)
{
    tmpdir *t = *state;
    const char *path = at(t, "ctx.json");
    char want[PATH_MAX + 200];
    load_text(t, doc("\"name\": \"\", \"version\": \"v1\", \"previous_version\": \"1.0\", \"type\": \"big\"",
                     "\"stage\": \"prod\", \"evidence\": {\"a\": \"/abs\", \"b\": \"../up\"}"), NULL);
    assert_null(t->ctx);
    assert_int_equal(t->err.kind, RG_ERROR_CONTEXT);
    assert_int_equal(t->err.problem_count, 7);
    fmt(want, sizeof want, "%s: release.name must be a non-empty string", path);
    assert_string_equal(t->err.problems[0], want);
    assert_string_equal(t->err.message, want);
    assert_contains(t->err.problems[1], "release.version \"v1\" is not a SemVer");
    assert_contains(t->err.problems[2], "release.previous_version \"1.0\" is not a SemVer");
    assert_contains(t->err.problems[3], "release.type \"big\" is not patch, minor or major");
    assert_contains(t->err.problems[4], "stage \"prod\" is not pre-release");
    assert_contains(t->err.problems[5], "evidence.a: absolute path");
    assert_contains(t->err.problems[6], "evidence.b: path '../up' leaves");
    for (int i = 0; i < t->err.problem_count; i++) {
        fmt(want, sizeof want, "%s: ", path);
        if (strncmp(t->err.problems[i], want, strlen(want)) != 0)
            fail_msg("problem %d does not name the file: %s", i, t->err.problems[i]);
    }
}

static void test_missing_release_and_bad_stage_together(void **state)
{
    tmpdir *t = *state;
    load_text(t, "{\"stage\": \"later\", \"evidence\": 3}", NULL);
    assert_null(t->ctx);
    assert_int_equal(t->err.problem_count, 3);
    assert_contains(t->err.problems[0], "\"release\" is missing");
    assert_contains(t->err.problems[1], "stage \"later\"");
    assert_contains(t->err.problems[2], "\"evidence\" must be an object");
}

static void test_problem_list_is_capped(void **state)
{
    tmpdir *t = *state;
    char evidence[4096];
    size_t n = 0;
    n += (size_t)sprintf(evidence + n, "\"evidence\": {");
    for (int i = 0; i < 30; i++)
        n += (size_t)sprintf(evidence + n, "%s\"e%d\": %d", i ? ", " : "", i, i);
    sprintf(evidence + n, "}");
    load_text(t, doc(GOOD_RELEASE, evidence), NULL);
    assert_null(t->ctx);
    assert_int_equal(t->err.problem_count, RG_ERROR_PROBLEMS_MAX);
    assert_contains(t->err.problems[0], "evidence.e0 must be");
    assert_contains(t->err.problems[RG_ERROR_PROBLEMS_MAX - 1], "evidence.e15 must be");
}

/* ---- Names ---------------------------------------------------------------------------------- */

static void test_type_and_stage_names(void **state)
{
    (void)state;
    assert_string_equal(rg_release_type_name(RG_TYPE_PATCH), "patch");
    assert_string_equal(rg_release_type_name(RG_TYPE_MINOR), "minor");
    assert_string_equal(rg_release_type_name(RG_TYPE_MAJOR), "major");
    assert_null(rg_release_type_name(RG_TYPE_UNSET));
    assert_int_equal(rg_release_type_parse("major"), RG_TYPE_MAJOR);
    assert_int_equal(rg_release_type_parse("MAJOR"), RG_TYPE_UNSET);
    assert_int_equal(rg_release_type_parse(NULL), RG_TYPE_UNSET);
    assert_string_equal(rg_stage_name(RG_STAGE_PRE_RELEASE), "pre-release");
    assert_string_equal(rg_stage_name(RG_STAGE_DEPLOY), "deploy");
    assert_string_equal(rg_stage_name(RG_STAGE_POST_DEPLOY), "post-deploy");
    assert_null(rg_stage_name(RG_STAGE_UNSET));
    assert_int_equal(rg_stage_parse("post-deploy"), RG_STAGE_POST_DEPLOY);
    assert_int_equal(rg_stage_parse("prerelease"), RG_STAGE_UNSET);
    assert_int_equal(rg_stage_parse(NULL), RG_STAGE_UNSET);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup_tmp, teardown_tmp)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_load_minimal),
        T(test_load_digest_is_sha256_of_bytes),
        T(test_load_full_example),
        T(test_load_every_type_and_stage),
        T(test_load_prerelease_versions),
        T(test_null_fields_read_as_absent),
        T(test_other_fields_are_not_judged),
        T(test_stage_override),
        T(test_stage_override_replaces_invalid_stage),
        T(test_type_override),
        T(test_type_override_replaces_missing_or_invalid_type),
        T(test_evidence_root_option),
        T(test_evidence_root_missing),
        T(test_evidence_root_not_a_directory),
        T(test_limits_option_caps_size),
        T(test_limits_option_caps_depth),
        T(test_relative_path_resolves_directory),
        T(test_symlinked_directory_is_resolved),
        T(test_stdin_context),
        T(test_missing_file),
        T(test_syntax_error_has_position),
        T(test_duplicate_key_refused),
        T(test_invalid_utf8_refused),
        T(test_not_an_object),
        T(test_release_missing),
        T(test_release_not_an_object),
        T(test_name_missing),
        T(test_name_empty_or_not_a_string),
        T(test_version_missing),
        T(test_version_not_a_string),
        T(test_version_with_leading_v),
        T(test_version_not_semver),
        T(test_previous_version_invalid),
        T(test_environment),
        T(test_type_missing),
        T(test_type_invalid),
        T(test_stage_invalid),
        T(test_evidence_not_an_object),
        T(test_evidence_value_not_a_path),
        T(test_evidence_absolute),
        T(test_evidence_escaping),
        T(test_all_problems_reported),
        T(test_missing_release_and_bad_stage_together),
        T(test_problem_list_is_capped),
        cmocka_unit_test(test_type_and_stage_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
