/* Unit tests for core/policy.c: policy{} and requirement declarations, their
 * validation messages, directory policies, default names and digests. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lauxlib.h>

#include "policy.h"
#include "rgtest.h"

#define NOW 1750000000

/* ---- Fixture: the shared one (tests/support/rgtest.h) under this file's names ------- */

typedef rgt_fixture fixture;
#define fmt rgt_fmt
#define at rgt_at
#define put_file rgt_put_file

RGT_FIXTURE(setup, teardown, "rg-policy", NULL)

static rg_policy *load_path(fixture *f, const char *path, const rg_limits *limits)
{
    rg_policy_free(f->pol);
    rg_error_clear(&f->err);
    f->pol = rg_policy_load(path, limits, NOW, &f->err);
    return f->pol;
}

static rg_policy *load_text(fixture *f, const char *rel, const char *text)
{
    put_file(f, rel, text);
    return load_path(f, at(f, rel), NULL);
}

static rg_policy *load_ok(fixture *f, const char *text)
{
    if (!load_text(f, "release.lua", text))
        fail_msg("refused: %s", f->err.message);
    return f->pol;
}

/* Loading TEXT (as release.lua) fails with a policy error at LINE whose message is
 * "<path>:LINE: WANT". */
static void declaration_refused(fixture *f, const char *text, int line, const char *want)
{
    char full[PATH_MAX + RG_ERROR_MESSAGE_MAX];
    if (load_text(f, "release.lua", text))
        fail_msg("accepted, expected: %s", want);
    fmt(full, sizeof full, "%s:%d: %s", at(f, "release.lua"), line, want);
    if (f->err.kind != RG_ERROR_POLICY)
        fail_msg("kind %s: %s", rg_error_kind_name(f->err.kind), f->err.message);
    assert_string_equal(f->err.file, at(f, "release.lua"));
    assert_int_equal(f->err.line, line);
    assert_string_equal(f->err.message, full);
}

#define CHECK "check = function(ctx) return pass('ok') end"
#define REQ_A "requirement \"a\" { title = \"A\", " CHECK " }\n"

/* ---- policy { ... } --------------------------------------------------------------- */

static void test_policy_metadata(void **state)
{
    fixture *f = *state;
    rg_policy *pol = load_ok(f, "\n\npolicy {\n  name = \"octoacme\",\n  version = \"1.2.0\",\n"
                                "  description = \"OctoAcme release guide\",\n}\n" REQ_A);
    assert_string_equal(pol->name, "octoacme");
    assert_string_equal(pol->version, "1.2.0");
    assert_string_equal(pol->description, "OctoAcme release guide");
    assert_int_equal(pol->meta_line, 3);
    assert_string_equal(pol->file, at(f, "release.lua"));
}

static void test_policy_metadata_partial(void **state)
{
    fixture *f = *state;
    rg_policy *pol = load_ok(f, "policy { name = \"only-name\" }\n" REQ_A);
    assert_string_equal(pol->name, "only-name");
    assert_null(pol->version);
    assert_null(pol->description);
    pol = load_ok(f, "policy {}\n" REQ_A);
    assert_string_equal(pol->name, "release"); /* the file's base name */
    assert_int_equal(pol->meta_line, 1);
}

static void test_default_name_from_file_name(void **state)
{
    fixture *f = *state;
    rg_policy *pol = load_ok(f, REQ_A);
    assert_string_equal(pol->name, "release");
    assert_null(pol->version);
    assert_null(pol->description);
    assert_int_equal(pol->meta_line, 0);
    assert_non_null(load_text(f, "gate.policy", REQ_A)); /* no .lua to strip */
    assert_string_equal(f->pol->name, "gate.policy");
}

static void test_default_name_relative_path(void **state)
{
    fixture *f = *state;
    char cwd[PATH_MAX];
    put_file(f, "octo.lua", REQ_A);
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(f->path), 0);
    load_path(f, "octo.lua", NULL);
    assert_int_equal(chdir(cwd), 0);
    assert_non_null(f->pol);
    assert_string_equal(f->pol->name, "octo");
}

/* A name with a NUL byte is refused wherever the policy API takes one: C reads "a\0x" as
 * "a" (hostile round 41a, F05: override "ok\0anything" weakened requirement ok). */
static void test_names_with_nul_refused(void **state)
{
    fixture *f = *state;
    static const char *const cases[][2] = {
        {REQ_A "override \"a\\0x\" { level = \"advisory\", reason = \"r\" }\n", "NUL byte"},
        {REQ_A "disable \"a\\0x\" { reason = \"r\" }\n", "NUL byte"},
        {"extends \"base\\0x\"\n", "NUL byte"},
        {"local t = time.localtime(0, \"UTC\\0x\")\n" REQ_A, "NUL byte"},
        {"local m = require(\"lib\\0x\")\n" REQ_A, "NUL byte"},
        /* round 41b, F04: a check's name, a level, a stage, a person, a window's ends */
        {"requirement \"r\" { title = \"R\", check = \"no.such\\0x\" }\n", "NUL byte"},
        {"requirement \"r\" { title = \"R\", level = \"advisory\\0x\", " CHECK " }\n", "level must be"},
        {"requirement \"r\" { title = \"R\", stages = { \"deploy\\0x\" }, " CHECK " }\n", "unknown value"},
        {"local s = approvals.same_person(\"alice\\0mallory\", \"alice\")\n" REQ_A, "NUL byte"},
        {"local s = approvals.identity(\"alice\\0mallory\")\n" REQ_A, "NUL byte"},
        {"if time.in_window(0, \"UTC\", { from = \"00:00\\0x\", to = \"23:59\" }) == nil then\n"
         "  error(\"refused: a NUL byte\") end\n" REQ_A, "NUL byte"},
    };
    put_file(f, "base.lua", REQ_A);
    put_file(f, "lib.lua", "return {}\n");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (load_text(f, "release.lua", cases[i][0]))
            fail_msg("accepted: %s", cases[i][0]);
        if (!strstr(f->err.message, cases[i][1]))
            fail_msg("%s: refused for another reason: %s", cases[i][0], f->err.message);
    }
}

static void test_policy_unknown_field(void **state)
{
    fixture *f = *state;
    declaration_refused(f, "policy { name = \"x\", owner = \"me\" }\n" REQ_A, 1,
                        "policy{}: unknown field 'owner' (expected name, version, description, max_waiver_days)");
}

static void test_policy_field_not_a_string(void **state)
{
    fixture *f = *state;
    declaration_refused(f, "\npolicy { version = 1 }\n" REQ_A, 2, "policy{}: version must be a non-empty string");
    declaration_refused(f, "policy { name = \"\" }\n" REQ_A, 1, "policy{}: name must be a non-empty string");
}

static void test_policy_not_a_table(void **state)
{
    fixture *f = *state;
    declaration_refused(f, "policy \"octoacme\"\n" REQ_A, 1,
                        "policy expects a table: policy { name = \"...\", version = \"...\" }");
}

static void test_policy_declared_twice(void **state)
{
    fixture *f = *state;
    declaration_refused(f, "policy { name = \"a\" }\n" REQ_A "policy { name = \"b\" }\n", 3,
                        "policy{} declared twice (first at line 1)");
}

static void test_policy_inside_check_refused(void **state)
{
    fixture *f = *state;
    /* Declarations belong to loading; a check that tries is a policy error. */
    rg_policy *pol = load_ok(f, "requirement \"a\" { title = \"A\", check = function(ctx)\n"
                                "  policy { name = \"late\" } return pass('ok') end }\n");
    lua_State *L = pol->sb->L;
    rg_error err = {0};
    lua_rawgeti(L, LUA_REGISTRYINDEX, pol->reqs[0].check_ref);
    lua_pushnil(L);
    assert_int_equal(rg_sandbox_call(pol->sb, 1, 1, &err), -1);
    assert_contains(err.message, "policy{} can only be declared while the policy loads");
    assert_int_equal(err.line, 2);
    rg_error_clear(&err);
}

/* ---- requirement "id" { ... } ------------------------------------------------------ */

static void test_requirement_fields(void **state)
{
    fixture *f = *state;
    rg_policy *pol = load_ok(f, "-- header\n"
                                "requirement \"ci-passing\" {\n"
                                "  title = \"CI is passing\",\n"
                                "  hint = \"Fix the build.\",\n"
                                "  description = \"Longer text.\",\n"
                                "  types = { \"patch\", \"major\" },\n"
                                "  stages = { \"deploy\", \"post-deploy\" },\n"
                                "  level = \"advisory\",\n"
                                "  " CHECK ",\n"
                                "}\n");
    const rg_requirement *r;
    assert_int_equal(pol->count, 1);
    r = &pol->reqs[0];
    assert_string_equal(r->id, "ci-passing");
    assert_string_equal(r->title, "CI is passing");
    assert_string_equal(r->hint, "Fix the build.");
    assert_string_equal(r->description, "Longer text.");
    assert_int_equal(r->types, RG_TYPE_PATCH | RG_TYPE_MAJOR);
    assert_int_equal(r->stages, RG_STAGE_DEPLOY | RG_STAGE_POST_DEPLOY);
    assert_int_equal(r->level, RG_LEVEL_ADVISORY);
    assert_string_equal(r->file, at(f, "release.lua"));
    assert_int_equal(r->line, 2);
    assert_true(r->check_ref != LUA_NOREF && r->check_ref != LUA_REFNIL);
    assert_null(r->plugin_check);
}

static void test_requirement_defaults(void **state)
{
    fixture *f = *state;
    const rg_requirement *r = &load_ok(f, REQ_A)->reqs[0];
    assert_int_equal(r->types, RG_TYPE_PATCH | RG_TYPE_MINOR | RG_TYPE_MAJOR);
    assert_int_equal(r->stages, RG_STAGE_PRE_RELEASE);
    assert_int_equal(r->level, RG_LEVEL_MANDATORY);
    assert_null(r->hint);
    assert_null(r->description);
}

static void test_requirement_levels(void **state)
{
    fixture *f = *state;
    rg_policy *pol = load_ok(f, "requirement \"m\" { title = \"M\", level = \"mandatory\", " CHECK " }\n"
                                "requirement \"w\" { title = \"W\", level = \"waivable\", " CHECK " }\n"
                                "requirement \"v\" { title = \"V\", level = \"advisory\", " CHECK " }\n");
    assert_int_equal(pol->count, 3);
    assert_int_equal(pol->reqs[0].level, RG_LEVEL_MANDATORY);
    assert_int_equal(pol->reqs[1].level, RG_LEVEL_WAIVABLE);
    assert_int_equal(pol->reqs[2].level, RG_LEVEL_ADVISORY);
    assert_string_equal(rg_level_name(RG_LEVEL_WAIVABLE), "waivable");
    assert_string_equal(rg_level_name(RG_LEVEL_ADVISORY), "advisory");
    assert_string_equal(rg_level_name(RG_LEVEL_MANDATORY), "mandatory");
}

static void test_requirements_keep_declaration_order(void **state)
{
    fixture *f = *state;
    rg_policy *pol = load_ok(f, "requirement \"zeta\" { title = \"Z\", " CHECK " }\n"
                                "requirement \"alpha\" { title = \"A\", " CHECK " }\n"
                                "for i = 1, 3 do requirement(\"gen-\" .. i) { title = \"G\" .. i, " CHECK " } end\n");
    assert_int_equal(pol->count, 5);
    assert_string_equal(pol->reqs[0].id, "zeta");
    assert_string_equal(pol->reqs[1].id, "alpha");
    assert_string_equal(pol->reqs[4].id, "gen-3");
    assert_string_equal(pol->reqs[4].title, "G3");
    assert_int_equal(pol->reqs[4].line, 3);
}

static void test_requirement_line_is_the_declaration(void **state)
{
    fixture *f = *state;
    rg_policy *pol = load_ok(f, "\n\n\nrequirement \"late\" {\n  title = \"L\",\n\n  " CHECK ",\n}\n");
    assert_int_equal(pol->reqs[0].line, 4);
}

static void test_requirement_title_missing(void **state)
{
    fixture *f = *state;
    declaration_refused(f, "\nrequirement \"a\" {\n  " CHECK ",\n}\n", 2, "requirement 'a': title is missing");
}

static void test_requirement_check_missing(void **state)
{
    fixture *f = *state;
    declaration_refused(f, "requirement \"a\" { title = \"A\" }\n", 1, "requirement 'a': check is missing");
}

static void test_requirement_unknown_field(void **state)
{
    fixture *f = *state;
    char want[PATH_MAX + 100];
    assert_null(load_text(f, "release.lua", "\nrequirement \"a\" { titel = \"A\", " CHECK " }\n"));
    assert_int_equal(f->err.kind, RG_ERROR_POLICY);
    assert_int_equal(f->err.line, 2);
    fmt(want, sizeof want, "%s:2: requirement 'a': unknown field 'titel' (did you mean 'title'?) (expected title, "
        "hint, description, types, stages, level, check", at(f, "release.lua"));
    assert_contains(f->err.message, want);
}

static void test_requirement_positional_field(void **state)
{
    fixture *f = *state;
    declaration_refused(f, "requirement \"a\" { \"A\", " CHECK " }\n", 1,
                        "requirement 'a': fields must be named (found a number key)");
}

static void test_requirement_string_fields_typed(void **state)
{
    fixture *f = *state;
    declaration_refused(f, "requirement \"a\" { title = 5, " CHECK " }\n", 1,
                        "requirement 'a': title must be a non-empty string");
    declaration_refused(f, "requirement \"a\" { title = \"\", " CHECK " }\n", 1,
                        "requirement 'a': title must be a non-empty string");
    declaration_refused(f, "requirement \"a\" { title = \"A\", hint = {}, " CHECK " }\n", 1,
                        "requirement 'a': hint must be a non-empty string");
    declaration_refused(f, "requirement \"a\" { title = \"A\", description = true, " CHECK " }\n", 1,
                        "requirement 'a': description must be a non-empty string");
}

static void test_requirement_types_validated(void **state)
{
    fixture *f = *state;
    declaration_refused(f, "requirement \"a\" { title = \"A\", types = \"patch\", " CHECK " }\n", 1,
                        "requirement 'a': types must be a list like { \"patch\", \"minor\", \"major\" }");
    declaration_refused(f, "requirement \"a\" { title = \"A\", types = { \"hotfix\" }, " CHECK " }\n", 1,
                        "requirement 'a': types: unknown value 'hotfix' (expected \"patch\", \"minor\", \"major\")");
    declaration_refused(f, "requirement \"a\" { title = \"A\", types = { 3 }, " CHECK " }\n", 1,
                        "requirement 'a': types: unknown value 'number' (expected \"patch\", \"minor\", \"major\")");
    declaration_refused(f, "requirement \"a\" { title = \"A\", types = {}, " CHECK " }\n", 1,
                        "requirement 'a': types must be a non-empty list like { \"patch\", \"minor\", \"major\" }");
}

static void test_requirement_stages_validated(void **state)
{
    fixture *f = *state;
    declaration_refused(f, "requirement \"a\" { title = \"A\", stages = { \"pre-release\", \"prod\" }, " CHECK " }\n", 1,
                        "requirement 'a': stages: unknown value 'prod' (expected \"pre-release\", \"deploy\", \"post-deploy\")");
    declaration_refused(f, "requirement \"a\" { title = \"A\", stages = {}, " CHECK " }\n", 1,
                        "requirement 'a': stages must be a non-empty list like { \"pre-release\", \"deploy\", \"post-deploy\" }");
    declaration_refused(f, "requirement \"a\" { title = \"A\", stages = { [2] = \"deploy\" }, " CHECK " }\n", 1,
                        "requirement 'a': stages must be a non-empty list like { \"pre-release\", \"deploy\", \"post-deploy\" }");
}

static void test_requirement_level_validated(void **state)
{
    fixture *f = *state;
    declaration_refused(f, "requirement \"a\" { title = \"A\", level = \"hard-mandatory\", " CHECK " }\n", 1,
                        "requirement 'a': level must be \"mandatory\", \"waivable\" or \"advisory\"");
    declaration_refused(f, "requirement \"a\" { title = \"A\", level = 1, " CHECK " }\n", 1,
                        "requirement 'a': level must be \"mandatory\", \"waivable\" or \"advisory\"");
}

static void test_requirement_check_validated(void **state)
{
    fixture *f = *state;
    char want[PATH_MAX + 200];
    assert_null(load_text(f, "release.lua", "requirement \"a\" { title = \"A\", check = \"ci.status\" }\n"));
    assert_int_equal(f->err.kind, RG_ERROR_POLICY);
    assert_int_equal(f->err.line, 1);
    fmt(want, sizeof want, "%s:1: requirement 'a': unknown check 'ci.status': no loaded plugin provides it",
        at(f, "release.lua"));
    assert_contains(f->err.message, want);
    assert_null(load_text(f, "release.lua", "requirement \"a\" { title = \"A\", check = 5 }\n"));
    assert_contains(f->err.message, "requirement 'a': check must be a function (ctx)");
}

static void test_requirement_plugin_fields_need_plugin_check(void **state)
{
    fixture *f = *state;
    declaration_refused(f, "requirement \"a\" { title = \"A\", with = { x = 1 }, " CHECK " }\n", 1,
                        "requirement 'a': with applies to plugin checks only; an inline check reads what it needs itself");
    declaration_refused(f, "requirement \"a\" { title = \"A\", timeout = 5, " CHECK " }\n", 1,
                        "requirement 'a': timeout applies to plugin checks only; an inline check reads what it needs itself");
}

static void test_requirement_body_not_a_table(void **state)
{
    fixture *f = *state;
    declaration_refused(f, "requirement \"a\" \"A\"\n", 1,
                        "requirement 'a' expects a table: requirement \"a\" { title = ..., check = ... }");
}

static void test_requirement_id_validated(void **state)
{
    fixture *f = *state;
    static const char *const bad[] = {"Upper", "with space", "-leading", "_leading", ".leading", "",
                                      "sl/ash", "caf\xc3\xa9"};
    char text[256], want[256], long_id[102];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fmt(text, sizeof text, "requirement \"%s\" { title = \"A\", " CHECK " }\n", bad[i]);
        fmt(want, sizeof want, "requirement id '%s' is not allowed: use lower-case letters, digits, '-', '_' and '.'",
            bad[i]);
        declaration_refused(f, text, 1, want);
    }
    declaration_refused(f, "requirement(42) { title = \"A\", " CHECK " }\n", 1,
                        "requirement expects an id: requirement \"my-id\" { ... }");
    memset(long_id, 'x', 101);
    long_id[101] = '\0';
    fmt(text, sizeof text, "requirement \"%s\" { title = \"A\", " CHECK " }\n", long_id);
    assert_null(load_text(f, "release.lua", text));
    long_id[100] = '\0'; /* 100 characters are fine */
    fmt(text, sizeof text, "requirement \"%s\" { title = \"A\", " CHECK " }\n", long_id);
    assert_non_null(load_text(f, "release.lua", text));
}

static void test_requirement_good_ids(void **state)
{
    fixture *f = *state;
    rg_policy *pol = load_ok(f, "requirement \"0day\" { title = \"A\", " CHECK " }\n"
                                "requirement \"ci.status_v2-x\" { title = \"B\", " CHECK " }\n");
    assert_string_equal(pol->reqs[0].id, "0day");
    assert_string_equal(pol->reqs[1].id, "ci.status_v2-x");
}

static void test_duplicate_ids(void **state)
{
    fixture *f = *state;
    char want[PATH_MAX + 100];
    fmt(want, sizeof want, "duplicate requirement id 'a' (first declared at %s:1)", at(f, "release.lua"));
    declaration_refused(f, REQ_A "\n" REQ_A, 3, want);
}

static void test_duplicate_ids_across_files(void **state)
{
    fixture *f = *state;
    char want[PATH_MAX + 100];
    put_file(f, "pol/a.lua", REQ_A);
    put_file(f, "pol/b.lua", "\n" REQ_A);
    assert_null(load_path(f, at(f, "pol"), NULL));
    assert_int_equal(f->err.kind, RG_ERROR_POLICY);
    assert_string_equal(f->err.file, at(f, "pol/b.lua"));
    assert_int_equal(f->err.line, 2);
    fmt(want, sizeof want, "duplicate requirement id 'a' (first declared at %s:1)", at(f, "pol/a.lua"));
    assert_contains(f->err.message, want);
}

/* The declaration function returned by requirement "id" may be kept and called
 * again; the id must still be unique. */
static void test_duplicate_ids_through_kept_declarator(void **state)
{
    fixture *f = *state;
    if (load_text(f, "release.lua", "local declare = requirement \"dup\"\n"
                                    "declare { title = \"one\", " CHECK " }\n"
                                    "declare { title = \"two\", " CHECK " }\n")) {
        size_t n = f->pol->count;
        fail_msg("accepted: %zu requirements, ids '%s' and '%s'", n, f->pol->reqs[0].id,
                 n > 1 ? f->pol->reqs[1].id : "-");
    }
    assert_int_equal(f->err.kind, RG_ERROR_POLICY);
    assert_contains(f->err.message, "duplicate requirement id 'dup'");
}

static void test_requirement_inside_check_refused(void **state)
{
    fixture *f = *state;
    rg_policy *pol = load_ok(f, "requirement \"a\" { title = \"A\", check = function(ctx)\n"
                                "  requirement \"b\" { title = \"B\", " CHECK " } return pass('ok') end }\n");
    lua_State *L = pol->sb->L;
    rg_error err = {0};
    lua_rawgeti(L, LUA_REGISTRYINDEX, pol->reqs[0].check_ref);
    lua_pushnil(L);
    assert_int_equal(rg_sandbox_call(pol->sb, 1, 1, &err), -1);
    assert_contains(err.message, "requirements can only be declared while the policy loads");
    rg_error_clear(&err);
    assert_int_equal(pol->count, 1);
}

static void test_too_many_requirements(void **state)
{
    fixture *f = *state;
    rg_limits limits = rg_limits_default();
    limits.max_requirements = 2;
    put_file(f, "release.lua", "requirement \"a\" { title = \"A\", " CHECK " }\n"
                               "requirement \"b\" { title = \"B\", " CHECK " }\n"
                               "requirement \"c\" { title = \"C\", " CHECK " }\n");
    assert_null(load_path(f, at(f, "release.lua"), &limits));
    assert_int_equal(f->err.line, 3);
    assert_contains(f->err.message, "policy declares more than 2 requirements");
}

static void test_no_requirements(void **state)
{
    fixture *f = *state;
    char want[PATH_MAX + 100];
    assert_null(load_text(f, "release.lua", "policy { name = \"empty\" }\nlocal x = 1\n"));
    assert_int_equal(f->err.kind, RG_ERROR_POLICY);
    fmt(want, sizeof want, "%s declares no requirements: a gate with nothing to check would allow everything",
        at(f, "release.lua"));
    assert_string_equal(f->err.message, want);
}

/* ---- Files and directories ------------------------------------------------------------- */

static void test_missing_policy_file(void **state)
{
    fixture *f = *state;
    char want[PATH_MAX + 100];
    assert_null(load_path(f, at(f, "none.lua"), NULL));
    assert_int_equal(f->err.kind, RG_ERROR_IO);
    fmt(want, sizeof want, "cannot open policy %s: %s", at(f, "none.lua"), strerror(ENOENT));
    assert_string_equal(f->err.message, want);
    assert_string_equal(f->err.file, at(f, "none.lua"));
}

static void test_policy_file_too_large(void **state)
{
    fixture *f = *state;
    rg_limits limits = rg_limits_default();
    limits.max_policy_bytes = 40;
    put_file(f, "release.lua", REQ_A);
    assert_null(load_path(f, at(f, "release.lua"), &limits));
    assert_int_equal(f->err.kind, RG_ERROR_IO);
    assert_string_equal(f->err.file, at(f, "release.lua"));
    assert_contains(f->err.message, "is larger than the limit of 40 bytes");
}

static void test_directory_policy_in_name_order(void **state)
{
    fixture *f = *state;
    put_file(f, "pols/20-deploy.lua", "requirement \"second\" { title = \"2\", " CHECK " }\n");
    put_file(f, "pols/10-pre.lua", "policy { name = \"octo\" }\nrequirement \"first\" { title = \"1\", " CHECK " }\n");
    put_file(f, "pols/10-pre_test.lua", "error('tests are not policy files')\n");
    put_file(f, "pols/.hidden.lua", "error('hidden files are skipped')\n");
    put_file(f, "pols/notes.txt", "not lua");
    put_file(f, "pols/lib/helper.lua", "error('subdirectories are modules, not policy files')\n");
    assert_non_null(load_path(f, at(f, "pols"), NULL));
    assert_int_equal(f->pol->count, 2);
    assert_string_equal(f->pol->reqs[0].id, "first");
    assert_string_equal(f->pol->reqs[0].file, at(f, "pols/10-pre.lua"));
    assert_string_equal(f->pol->reqs[1].id, "second");
    assert_string_equal(f->pol->name, "octo");
}

static void test_directory_policy_default_name(void **state)
{
    fixture *f = *state;
    put_file(f, "octoacme/a.lua", REQ_A);
    assert_non_null(load_path(f, at(f, "octoacme"), NULL));
    assert_string_equal(f->pol->name, "octoacme");
}

static void test_directory_policy_default_name_trailing_slash(void **state)
{
    fixture *f = *state;
    put_file(f, "octoacme/a.lua", REQ_A);
    assert_non_null(load_path(f, at(f, "octoacme/"), NULL));
    assert_string_equal(f->pol->name, "octoacme");
}

static void test_empty_directory_policy(void **state)
{
    fixture *f = *state;
    char want[PATH_MAX + 100];
    put_file(f, "empty/readme.txt", "nothing");
    assert_null(load_path(f, at(f, "empty"), NULL));
    assert_int_equal(f->err.kind, RG_ERROR_POLICY);
    fmt(want, sizeof want, "policy directory %s holds no *.lua policy files", at(f, "empty"));
    assert_string_equal(f->err.message, want);
}

static void test_directory_policy_require_from_its_own_lib(void **state)
{
    fixture *f = *state;
    put_file(f, "pols/lib/names.lua", "return { id = 'from-lib' }\n");
    put_file(f, "pols/main.lua", "local names = require 'lib.names'\n"
                                 "requirement(names.id) { title = \"L\", " CHECK " }\n");
    assert_non_null(load_path(f, at(f, "pols"), NULL));
    assert_string_equal(f->pol->reqs[0].id, "from-lib");
}

/* ---- Digest ----------------------------------------------------------------------------- */

static void assert_digest_form(const char *digest)
{
    assert_int_equal(strlen(digest), 7 + 64);
    assert_memory_equal(digest, "sha256:", 7);
    for (int i = 7; i < 71; i++)
        if (!((digest[i] >= '0' && digest[i] <= '9') || (digest[i] >= 'a' && digest[i] <= 'f')))
            fail_msg("digest %s: character %d is not lower-case hex", digest, i);
}

static void test_digest_form(void **state)
{
    fixture *f = *state;
    assert_digest_form(load_ok(f, REQ_A)->digest);
}

static void test_digest_stable_for_same_files(void **state)
{
    fixture *f = *state;
    char first[RG_SHA256_LABEL_SIZE];
    fmt(first, sizeof first, "%s", load_ok(f, REQ_A)->digest);
    assert_string_equal(load_ok(f, REQ_A)->digest, first);
}

static void test_digest_changes_with_file(void **state)
{
    fixture *f = *state;
    char first[RG_SHA256_LABEL_SIZE];
    fmt(first, sizeof first, "%s", load_ok(f, REQ_A)->digest);
    assert_string_not_equal(load_ok(f, REQ_A " ")->digest, first);
    assert_string_not_equal(load_ok(f, "requirement \"a\" { title = \"B\", " CHECK " }\n")->digest, first);
}

static void test_digest_covers_required_modules(void **state)
{
    fixture *f = *state;
    char first[RG_SHA256_LABEL_SIZE];
    put_file(f, "lib/m.lua", "return { v = 1 }\n");
    fmt(first, sizeof first, "%s", load_ok(f, "local m = require 'lib.m'\n" REQ_A)->digest);
    put_file(f, "lib/m.lua", "return { v = 2 }\n");
    assert_digest_form(load_ok(f, "local m = require 'lib.m'\n" REQ_A)->digest);
    assert_string_not_equal(f->pol->digest, first);
}

static void test_digest_covers_every_directory_file(void **state)
{
    fixture *f = *state;
    char first[RG_SHA256_LABEL_SIZE];
    put_file(f, "pols/a.lua", REQ_A);
    put_file(f, "pols/b.lua", "-- b\n");
    assert_non_null(load_path(f, at(f, "pols"), NULL));
    fmt(first, sizeof first, "%s", f->pol->digest);
    put_file(f, "pols/b.lua", "-- B\n");
    assert_non_null(load_path(f, at(f, "pols"), NULL));
    assert_string_not_equal(f->pol->digest, first);
}

/* The same files make the same policy: the digest must not depend on how the path
 * was spelled on the command line (relative, "./", absolute). */
static void test_digest_independent_of_path_spelling(void **state)
{
    fixture *f = *state;
    char cwd[PATH_MAX], a[RG_SHA256_LABEL_SIZE], b[RG_SHA256_LABEL_SIZE], c[RG_SHA256_LABEL_SIZE];
    put_file(f, "release.lua", REQ_A);
    assert_non_null(load_path(f, at(f, "release.lua"), NULL));
    fmt(a, sizeof a, "%s", f->pol->digest);
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(f->path), 0);
    load_path(f, "release.lua", NULL);
    if (f->pol)
        fmt(b, sizeof b, "%s", f->pol->digest);
    load_path(f, "./release.lua", NULL);
    if (f->pol)
        fmt(c, sizeof c, "%s", f->pol->digest);
    assert_int_equal(chdir(cwd), 0);
    assert_non_null(f->pol);
    assert_string_equal(b, a);
    assert_string_equal(c, a);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_policy_metadata),
        T(test_policy_metadata_partial),
        T(test_default_name_from_file_name),
        T(test_default_name_relative_path),
        T(test_policy_unknown_field),
        T(test_names_with_nul_refused),
        T(test_policy_field_not_a_string),
        T(test_policy_not_a_table),
        T(test_policy_declared_twice),
        T(test_policy_inside_check_refused),
        T(test_requirement_fields),
        T(test_requirement_defaults),
        T(test_requirement_levels),
        T(test_requirements_keep_declaration_order),
        T(test_requirement_line_is_the_declaration),
        T(test_requirement_title_missing),
        T(test_requirement_check_missing),
        T(test_requirement_unknown_field),
        T(test_requirement_positional_field),
        T(test_requirement_string_fields_typed),
        T(test_requirement_types_validated),
        T(test_requirement_stages_validated),
        T(test_requirement_level_validated),
        T(test_requirement_check_validated),
        T(test_requirement_plugin_fields_need_plugin_check),
        T(test_requirement_body_not_a_table),
        T(test_requirement_id_validated),
        T(test_requirement_good_ids),
        T(test_duplicate_ids),
        T(test_duplicate_ids_across_files),
        T(test_duplicate_ids_through_kept_declarator),
        T(test_requirement_inside_check_refused),
        T(test_too_many_requirements),
        T(test_no_requirements),
        T(test_missing_policy_file),
        T(test_policy_file_too_large),
        T(test_directory_policy_in_name_order),
        T(test_directory_policy_default_name),
        T(test_directory_policy_default_name_trailing_slash),
        T(test_empty_directory_policy),
        T(test_directory_policy_require_from_its_own_lib),
        T(test_digest_form),
        T(test_digest_stable_for_same_files),
        T(test_digest_changes_with_file),
        T(test_digest_covers_required_modules),
        T(test_digest_covers_every_directory_file),
        T(test_digest_independent_of_path_spelling),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
