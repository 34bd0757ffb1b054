/* Unit tests for core/evidence.c: lexical path rules, validation of a loaded
 * context's evidence, and resolving and reading evidence files on disk. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "context.h"
#include "evidence.h"
#include "rgtest.h"

/* ---- Fixture: the shared one (tests/support/rgtest.h) under this file's names ------- */

typedef rgt_fixture tmpdir;
#define fmt rgt_fmt
#define at rgt_at
#define put_file rgt_put_file
#define mkdirs rgt_mkdirs
#define child_defaults rgt_child_defaults

RGT_FIXTURE(setup_tmp, teardown_tmp, "rg-evidence", "rg-outside")

/* Write TEXT to PATH (parents created). */
static void put_path(const char *path, const char *text)
{
    rgt_write(NULL, path, text, RGT_TEXT);
}

static const char release_json[] =
    "\"release\": {\"name\": \"payments\", \"version\": \"2.4.0\", \"type\": \"minor\"}";

/* Write ctx.json (in REL_DIR, "" for the temporary directory itself) with the
 * evidence object EVIDENCE and load it.  Returns the context or NULL with ERR. */
static rg_context *load_with_evidence(tmpdir *t, const char *rel_dir, const char *evidence,
                                      const char *evidence_root, rg_error *err)
{
    char text[4096], rel[PATH_MAX];
    rg_context_options opt = {0};
    fmt(text, sizeof text, "{%s, \"evidence\": %s}", release_json, evidence);
    fmt(rel, sizeof rel, "%s%sctx.json", rel_dir, rel_dir[0] ? "/" : "");
    opt.evidence_root = evidence_root;
    rg_context_free(t->ctx);
    t->ctx = rgt_load_context(t->path, rel, text, &opt, err);
    return t->ctx;
}

/* Load a context whose evidence is EVIDENCE; the load must succeed. */
static rg_context *load_ok(tmpdir *t, const char *evidence)
{
    rg_error err = {0};
    rg_context *ctx = load_with_evidence(t, "", evidence, NULL, &err);
    if (!ctx)
        fail_msg("context refused: %s", err.message);
    return ctx;
}

/* Replace the loaded context's "evidence" object with the JSON in TEXT, as if it had
 * been loaded with it (for the lexical checks of rg_evidence_validate/resolve). */
static void set_evidence(rg_context *ctx, const char *text)
{
    cJSON *ev = cJSON_Parse(text);
    assert_non_null(ev);
    cJSON_ReplaceItemInObjectCaseSensitive(ctx->root, "evidence", ev);
}

/* ---- rg_path_join_normalized --------------------------------------------------------- */

static void test_join_table(void **state)
{
    static const struct {
        const char *dir, *rel, *want;
    } cases[] = {
        {"/a/b", "c", "/a/b/c"},
        {"/a/b", "c/d.md", "/a/b/c/d.md"},
        {"/a/b", "./c", "/a/b/c"},
        {"/a/b", "c/./d", "/a/b/c/d"},
        {"/a/b", "c//d", "/a/b/c/d"},
        {"/a/b", "c///", "/a/b/c"},
        {"/a/b", ".", "/a/b"},
        {"/a/b", "./", "/a/b"},
        {"/a/b", "", "/a/b"},
        {"/a/b", "..", "/a"},
        {"/a/b", "../x", "/a/x"},
        {"/a/b", "../..", "/"},
        {"/a/b", "../../..", "/"},
        {"/a/b", "../../../../etc/passwd", "/etc/passwd"},
        {"/a/b", "c/../d", "/a/b/d"},
        {"/a/b", "c/d/../../e", "/a/b/e"},
        {"/a/b", "c/../../x", "/a/x"},
        {"/a/b", "...", "/a/b/..."},
        {"/a/b", "..c", "/a/b/..c"},
        {"/a/b", ".hidden", "/a/b/.hidden"},
        {"/", "x", "/x"},
        {"/", "..", "/"},
        {"/", "x/../y", "/y"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[256];
        memset(out, 'Z', sizeof out);
        if (rg_path_join_normalized(cases[i].dir, cases[i].rel, out, sizeof out) != 0)
            fail_msg("join(%s, %s) failed", cases[i].dir, cases[i].rel);
        if (strcmp(out, cases[i].want) != 0)
            fail_msg("join(%s, %s) = %s, expected %s", cases[i].dir, cases[i].rel, out, cases[i].want);
    }
}

static void test_join_refuses_absolute(void **state)
{
    char out[64];
    (void)state;
    assert_int_equal(rg_path_join_normalized("/a/b", "/etc/passwd", out, sizeof out), -1);
    assert_int_equal(rg_path_join_normalized("/a/b", "//x", out, sizeof out), -1);
}

static void test_join_refuses_overflow(void **state)
{
    char out[10];
    (void)state;
    /* "/a/b/cdef" is 9 bytes + NUL: fits exactly. */
    assert_int_equal(rg_path_join_normalized("/a/b", "cdef", out, sizeof out), 0);
    assert_string_equal(out, "/a/b/cdef");
    assert_int_equal(rg_path_join_normalized("/a/b", "cdefg", out, sizeof out), -1);
    assert_int_equal(rg_path_join_normalized("/a/b/c/d/e/f", "x", out, sizeof out), -1);
    assert_int_equal(rg_path_join_normalized("/a", "x", out, 1), -1);
}

/* ---- rg_path_within ------------------------------------------------------------------- */

static void test_within_table(void **state)
{
    static const struct {
        const char *path, *root;
        int want;
    } cases[] = {
        {"/a/b", "/a/b", 1},   {"/a/b/c", "/a/b", 1}, {"/a/b/c/d", "/a/b", 1},
        {"/a/bc", "/a/b", 0},  {"/a", "/a/b", 0},     {"/x/b", "/a/b", 0},
        {"/", "/a", 0},        {"/x", "/", 1},        {"/", "/", 1},
        {"/a/b-c", "/a/b", 0}, {"/a/b.d", "/a/b", 0},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (rg_path_within(cases[i].path, cases[i].root) != cases[i].want)
            fail_msg("within(%s, %s) != %d", cases[i].path, cases[i].root, cases[i].want);
}

/* ---- rg_evidence_validate --------------------------------------------------------------- */

static void test_validate_good_entries(void **state)
{
    tmpdir *t = *state;
    rg_error err = {0};
    rg_context *ctx = load_ok(t, "{\"notes\": \"RELEASE_NOTES.md\", \"a\": \"docs/./x.md\", "
                                 "\"b\": \"docs/../y.md\", \"c\": \"not/created/yet.json\"}");
    assert_int_equal(rg_evidence_validate(ctx, &err), 0);
    assert_int_equal(err.kind, RG_ERROR_NONE);
    assert_int_equal(err.problem_count, 0);
}

static void test_validate_absent_or_null_evidence(void **state)
{
    tmpdir *t = *state;
    rg_error err = {0};
    rg_context *ctx = load_ok(t, "null");
    assert_int_equal(rg_evidence_validate(ctx, &err), 0);
    cJSON_DeleteItemFromObjectCaseSensitive(ctx->root, "evidence");
    assert_int_equal(rg_evidence_validate(ctx, &err), 0);
    assert_int_equal(err.problem_count, 0);
}

static void test_validate_not_an_object(void **state)
{
    tmpdir *t = *state;
    rg_error err = {0};
    char want[PATH_MAX + 100];
    rg_context *ctx = load_ok(t, "{}");
    set_evidence(ctx, "[\"notes.md\"]");
    assert_int_equal(rg_evidence_validate(ctx, &err), -1);
    assert_int_equal(err.kind, RG_ERROR_CONTEXT);
    fmt(want, sizeof want, "%s: \"evidence\" must be an object mapping names to file paths", ctx->display);
    assert_string_equal(err.message, want);
    assert_string_equal(err.file, ctx->display);
}

static void test_validate_non_string_and_empty(void **state)
{
    tmpdir *t = *state;
    rg_error err = {0};
    char want[PATH_MAX + 100];
    rg_context *ctx = load_ok(t, "{}");
    set_evidence(ctx, "{\"n\": 5, \"e\": \"\", \"z\": null, \"o\": {\"p\": \"x\"}}");
    assert_int_equal(rg_evidence_validate(ctx, &err), -1);
    assert_int_equal(err.problem_count, 4);
    fmt(want, sizeof want, "%s: evidence.n must be a non-empty path string", ctx->display);
    assert_string_equal(err.problems[0], want);
    assert_string_equal(err.message, want);
    assert_contains(err.problems[1], "evidence.e must be a non-empty path string");
    assert_contains(err.problems[2], "evidence.z must be a non-empty path string");
    /* An object is a live source (issue 15): this one names neither API. */
    assert_contains(err.problems[3], "evidence.o: a live source names exactly one of \"github\" or \"gitlab\"");
}

static void test_validate_absolute_path(void **state)
{
    tmpdir *t = *state;
    rg_error err = {0};
    char want[PATH_MAX + 200];
    rg_context *ctx = load_ok(t, "{}");
    set_evidence(ctx, "{\"ci\": \"/etc/passwd\"}");
    assert_int_equal(rg_evidence_validate(ctx, &err), -1);
    assert_int_equal(err.kind, RG_ERROR_EVIDENCE);
    assert_int_equal(err.problem_count, 1);
    fmt(want, sizeof want, "%s: evidence.ci: absolute path '/etc/passwd' is not allowed; give a path "
        "relative to the context file", ctx->display);
    assert_string_equal(err.message, want);
}

static void test_validate_escaping_paths(void **state)
{
    tmpdir *t = *state;
    rg_error err = {0};
    char want[PATH_MAX * 2];
    rg_context *ctx = load_ok(t, "{}");
    set_evidence(ctx, "{\"a\": \"../x.md\", \"b\": \"docs/../../x.md\", \"c\": \"./../x\", "
                      "\"ok\": \"docs/..\", \"d\": \"..\"}");
    assert_int_equal(rg_evidence_validate(ctx, &err), -1);
    assert_int_equal(err.problem_count, 4);
    fmt(want, sizeof want, "%s: evidence.a: path '../x.md' leaves %s (use --evidence-root to allow a "
        "wider directory)", ctx->display, t->path);
    assert_string_equal(err.problems[0], want);
    assert_contains(err.problems[1], "evidence.b: path 'docs/../../x.md' leaves");
    assert_contains(err.problems[2], "evidence.c: path './../x' leaves");
    assert_contains(err.problems[3], "evidence.d: path '..' leaves");
}

static void test_validate_reports_every_bad_entry(void **state)
{
    tmpdir *t = *state;
    rg_error err = {0};
    rg_context *ctx = load_ok(t, "{}");
    set_evidence(ctx, "{\"a\": \"/abs\", \"good\": \"x.md\", \"b\": 1, \"c\": \"../up\"}");
    assert_int_equal(rg_evidence_validate(ctx, &err), -1);
    assert_int_equal(err.problem_count, 3);
    assert_contains(err.problems[0], "evidence.a: absolute path");
    assert_contains(err.problems[1], "evidence.b must be");
    assert_contains(err.problems[2], "evidence.c: path '../up' leaves");
}

static void test_validate_wider_root_allows_sibling(void **state)
{
    tmpdir *t = *state;
    rg_error err = {0};
    rg_context *ctx;
    put_file(t, "shared/ci.json", "{}");
    ctx = load_with_evidence(t, "release", "{\"ci\": \"../shared/ci.json\"}", t->path, &err);
    if (!ctx)
        fail_msg("refused: %s", err.message);
    assert_int_equal(rg_evidence_validate(ctx, &err), 0);
    /* Without the wider root the same context is refused. */
    ctx = load_with_evidence(t, "release", "{\"ci\": \"../shared/ci.json\"}", NULL, &err);
    assert_null(ctx);
    assert_int_equal(err.kind, RG_ERROR_EVIDENCE);
    assert_contains(err.message, "evidence.ci: path '../shared/ci.json' leaves");
    rg_error_clear(&err);
}

static void test_validate_narrower_root(void **state)
{
    tmpdir *t = *state;
    rg_error err = {0};
    rg_context *ctx;
    mkdirs(at(t, "evidence"));
    ctx = load_with_evidence(t, "", "{\"in\": \"evidence/a.md\", \"out\": \"notes.md\"}",
                             at(t, "evidence"), &err);
    assert_null(ctx);
    assert_int_equal(err.problem_count, 1);
    assert_contains(err.message, "evidence.out: path 'notes.md' leaves");
    rg_error_clear(&err);
}

/* ---- rg_evidence_resolve / rg_evidence_read -------------------------------------------- */

typedef struct resolved {
    rg_evidence_status status;
    char path[PATH_MAX];
    char why[PATH_MAX * 2];
} resolved;

static resolved resolve(const rg_context *ctx, const char *name)
{
    resolved r;
    memset(&r, 0, sizeof r);
    r.status = rg_evidence_resolve(ctx, name, r.path, sizeof r.path, r.why, sizeof r.why);
    return r;
}

static void test_resolve_ok(void **state)
{
    tmpdir *t = *state;
    rg_context *ctx;
    resolved r;
    put_file(t, "docs/RELEASE_NOTES.md", "# Notes\n");
    ctx = load_ok(t, "{\"notes\": \"docs/./RELEASE_NOTES.md\"}");
    r = resolve(ctx, "notes");
    assert_int_equal(r.status, RG_EVIDENCE_OK);
    assert_string_equal(r.path, at(t, "docs/RELEASE_NOTES.md"));
}

static void test_resolve_undeclared(void **state)
{
    tmpdir *t = *state;
    rg_context *ctx = load_ok(t, "{\"notes\": \"n.md\"}");
    resolved r = resolve(ctx, "rollback");
    assert_int_equal(r.status, RG_EVIDENCE_UNDECLARED);
    assert_string_equal(r.why, "evidence 'rollback' is not declared in the context");
    cJSON_DeleteItemFromObjectCaseSensitive(ctx->root, "evidence");
    r = resolve(ctx, "notes");
    assert_int_equal(r.status, RG_EVIDENCE_UNDECLARED);
}

static void test_resolve_missing(void **state)
{
    tmpdir *t = *state;
    rg_context *ctx = load_ok(t, "{\"notes\": \"docs/n.md\"}");
    resolved r = resolve(ctx, "notes");
    assert_int_equal(r.status, RG_EVIDENCE_MISSING);
    assert_string_equal(r.why, "evidence 'notes': docs/n.md does not exist");
}

static void test_resolve_symlink_inside(void **state)
{
    tmpdir *t = *state;
    rg_context *ctx;
    resolved r;
    put_file(t, "real/notes.md", "x");
    assert_int_equal(symlink("real/notes.md", at(t, "notes-link.md")), 0);
    assert_int_equal(symlink("real", at(t, "dirlink")), 0);
    ctx = load_ok(t, "{\"a\": \"notes-link.md\", \"b\": \"dirlink/notes.md\"}");
    r = resolve(ctx, "a");
    assert_int_equal(r.status, RG_EVIDENCE_OK);
    assert_string_equal(r.path, at(t, "real/notes.md"));
    r = resolve(ctx, "b");
    assert_int_equal(r.status, RG_EVIDENCE_OK);
    assert_string_equal(r.path, at(t, "real/notes.md"));
}

static void test_resolve_symlink_outside_escapes(void **state)
{
    tmpdir *t = *state;
    char target[PATH_MAX], want[PATH_MAX * 3];
    rg_context *ctx;
    resolved r;
    fmt(target, sizeof target, "%s/secret.txt", t->outside);
    put_path(target, "secret");
    assert_int_equal(symlink(target, at(t, "ci.json")), 0);
    ctx = load_ok(t, "{\"ci\": \"ci.json\"}");
    r = resolve(ctx, "ci");
    assert_int_equal(r.status, RG_EVIDENCE_ESCAPES);
    fmt(want, sizeof want, "evidence 'ci': ci.json resolves to %s, outside %s", target, t->path);
    assert_string_equal(r.why, want);
}

static void test_resolve_directory_link_outside_escapes(void **state)
{
    tmpdir *t = *state;
    char target[PATH_MAX];
    rg_context *ctx;
    resolved r;
    fmt(target, sizeof target, "%s/reports/scan.json", t->outside);
    put_path(target, "{}");
    fmt(target, sizeof target, "%s/reports", t->outside);
    assert_int_equal(symlink(target, at(t, "reports")), 0);
    ctx = load_ok(t, "{\"scan\": \"reports/scan.json\"}");
    r = resolve(ctx, "scan");
    assert_int_equal(r.status, RG_EVIDENCE_ESCAPES);
    assert_contains(r.why, "outside");
}

static void test_resolve_relative_link_climbing_out_escapes(void **state)
{
    tmpdir *t = *state;
    char target[PATH_MAX], rel[PATH_MAX];
    rg_context *ctx;
    resolved r;
    fmt(target, sizeof target, "%s/x.md", t->outside);
    put_path(target, "x");
    fmt(rel, sizeof rel, "../%s/x.md", strrchr(t->outside, '/') + 1);
    assert_int_equal(symlink(rel, at(t, "x.md")), 0);
    ctx = load_ok(t, "{\"x\": \"x.md\"}");
    r = resolve(ctx, "x");
    assert_int_equal(r.status, RG_EVIDENCE_ESCAPES);
}

static void test_resolve_dangling_symlink(void **state)
{
    tmpdir *t = *state;
    rg_context *ctx;
    resolved r;
    assert_int_equal(symlink("gone.md", at(t, "notes.md")), 0);
    ctx = load_ok(t, "{\"notes\": \"notes.md\"}");
    r = resolve(ctx, "notes");
    assert_int_equal(r.status, RG_EVIDENCE_MISSING);
    assert_string_equal(r.why, "evidence 'notes': notes.md is a link to missing gone.md");
}

static void test_resolve_lexical_escape(void **state)
{
    tmpdir *t = *state;
    rg_context *ctx = load_ok(t, "{}");
    resolved r;
    set_evidence(ctx, "{\"up\": \"../x\"}");
    r = resolve(ctx, "up");
    assert_int_equal(r.status, RG_EVIDENCE_ESCAPES);
    assert_contains(r.why, "evidence 'up': path '../x' leaves");
}

static void test_resolve_path_buffer_too_small(void **state)
{
    tmpdir *t = *state;
    rg_context *ctx;
    char path[8], why[256];
    put_file(t, "notes.md", "x");
    ctx = load_ok(t, "{\"notes\": \"notes.md\"}");
    assert_int_equal(rg_evidence_resolve(ctx, "notes", path, sizeof path, why, sizeof why),
                     RG_EVIDENCE_UNUSABLE);
    assert_string_equal(why, "evidence 'notes': path too long");
}

typedef struct readout {
    rg_evidence_status status;
    char *data;
    size_t len;
    char why[PATH_MAX * 2];
} readout;

static readout read_ev(const rg_context *ctx, const char *name, size_t max)
{
    readout r;
    memset(&r, 0, sizeof r);
    r.data = (char *)&r; /* must be reset */
    r.len = 77;
    r.status = rg_evidence_read(ctx, name, max, &r.data, &r.len, r.why, sizeof r.why);
    return r;
}

static void test_read_ok(void **state)
{
    tmpdir *t = *state;
    rg_context *ctx;
    readout r;
    put_file(t, "notes.md", "# Release 2.4.0\n\nSummary.\n");
    ctx = load_ok(t, "{\"notes\": \"notes.md\"}");
    r = read_ev(ctx, "notes", 1000);
    assert_int_equal(r.status, RG_EVIDENCE_OK);
    assert_int_equal(r.len, 26);
    assert_string_equal(r.data, "# Release 2.4.0\n\nSummary.\n");
    free(r.data);
}

static void test_read_symlink_inside(void **state)
{
    tmpdir *t = *state;
    rg_context *ctx;
    readout r;
    put_file(t, "a/b.md", "linked");
    assert_int_equal(symlink("a/b.md", at(t, "l.md")), 0);
    ctx = load_ok(t, "{\"l\": \"l.md\"}");
    r = read_ev(ctx, "l", 100);
    assert_int_equal(r.status, RG_EVIDENCE_OK);
    assert_string_equal(r.data, "linked");
    free(r.data);
}

static void test_read_failures_reset_outputs(void **state)
{
    tmpdir *t = *state;
    rg_context *ctx = load_ok(t, "{\"missing\": \"m.md\"}");
    readout r = read_ev(ctx, "undeclared", 100);
    assert_int_equal(r.status, RG_EVIDENCE_UNDECLARED);
    assert_null(r.data);
    assert_int_equal(r.len, 0);
    r = read_ev(ctx, "missing", 100);
    assert_int_equal(r.status, RG_EVIDENCE_MISSING);
    assert_null(r.data);
    assert_string_equal(r.why, "evidence 'missing': m.md does not exist");
}

static void test_read_symlink_outside_escapes(void **state)
{
    tmpdir *t = *state;
    char target[PATH_MAX];
    rg_context *ctx;
    readout r;
    fmt(target, sizeof target, "%s/secret.txt", t->outside);
    put_path(target, "secret");
    assert_int_equal(symlink(target, at(t, "s.txt")), 0);
    ctx = load_ok(t, "{\"s\": \"s.txt\"}");
    r = read_ev(ctx, "s", 100);
    assert_int_equal(r.status, RG_EVIDENCE_ESCAPES);
    assert_null(r.data);
    assert_contains(r.why, "outside");
}

static void test_read_too_large(void **state)
{
    tmpdir *t = *state;
    rg_context *ctx;
    readout r;
    put_file(t, "big.txt", "0123456789A");
    ctx = load_ok(t, "{\"big\": \"big.txt\"}");
    r = read_ev(ctx, "big", 10);
    assert_int_equal(r.status, RG_EVIDENCE_UNUSABLE);
    assert_null(r.data);
    assert_contains(r.why, "evidence 'big': evidence ");
    assert_contains(r.why, "is larger than the limit of 10 bytes");
    r = read_ev(ctx, "big", 11);
    assert_int_equal(r.status, RG_EVIDENCE_OK);
    assert_int_equal(r.len, 11);
    free(r.data);
}

static void test_read_directory(void **state)
{
    tmpdir *t = *state;
    rg_context *ctx;
    readout r;
    mkdirs(at(t, "reports"));
    ctx = load_ok(t, "{\"reports\": \"reports\"}");
    r = read_ev(ctx, "reports", 100);
    assert_int_equal(r.status, RG_EVIDENCE_UNUSABLE);
    assert_null(r.data);
    assert_contains(r.why, "is a directory, not a file");
}

static void test_read_fifo_does_not_block(void **state)
{
    tmpdir *t = *state;
    rg_context *ctx;
    pid_t pid;
    int status = 0;
    assert_int_equal(mkfifo(at(t, "fifo"), 0600), 0);
    ctx = load_ok(t, "{\"f\": \"fifo\"}");
    fflush(NULL);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        child_defaults();
        readout r = read_ev(ctx, "f", 100);
        _exit(r.status == RG_EVIDENCE_UNUSABLE && strstr(r.why, "FIFO") ? 0 : 3);
    }
    if (rgt_wait_child(pid, &status, 5.0) != 0)
        fail_msg("reading FIFO evidence blocked");
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_join_table),
        cmocka_unit_test(test_join_refuses_absolute),
        cmocka_unit_test(test_join_refuses_overflow),
        cmocka_unit_test(test_within_table),
        cmocka_unit_test_setup_teardown(test_validate_good_entries, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_validate_absent_or_null_evidence, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_validate_not_an_object, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_validate_non_string_and_empty, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_validate_absolute_path, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_validate_escaping_paths, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_validate_reports_every_bad_entry, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_validate_wider_root_allows_sibling, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_validate_narrower_root, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_resolve_ok, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_resolve_undeclared, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_resolve_missing, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_resolve_symlink_inside, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_resolve_symlink_outside_escapes, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_resolve_directory_link_outside_escapes, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_resolve_relative_link_climbing_out_escapes, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_resolve_dangling_symlink, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_resolve_lexical_escape, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_resolve_path_buffer_too_small, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_read_ok, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_read_symlink_inside, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_read_failures_reset_outputs, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_read_symlink_outside_escapes, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_read_too_large, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_read_directory, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_read_fifo_does_not_block, setup_tmp, teardown_tmp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
