/* policies/relgate.d.lua (the LuaLS annotations of the policy API) held against the
 * sandbox a policy really gets: a tiny policy is loaded with rg_policy_load, and the
 * registry's "rg.builtins" (every global the sandbox offers, library tables included)
 * is walked.
 *
 * - Every relgate global (pass, requirement, semver, ...) is declared in the file
 *   (`function NAME(` or `NAME =` at the start of a line); every Lua base global and
 *   standard library the sandbox passes through (assert, string, ...) is at least named.
 * - Every function of a library the file declares (semver.bump, evidence.read, os.date)
 *   is declared; every field of the standard libraries (string.format, math.pi) is named.
 * - Every declaration names something the sandbox has; names only test files have
 *   (`test`) must exist in the sandbox of `relgate test` files.
 * - What the file lists as NOT AVAILABLE is really absent. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lauxlib.h>

#include "error.h"
#include "fileio.h"
#include "policy.h"
#include "policytest.h"
#include "rgtest.h"
#include "sandbox.h"

#ifndef RG_TEST_DATA
#define RG_TEST_DATA "tests/data"
#endif
/* The annotation file: -DRG_ANNOTATIONS=... names it; by default it is found from the
 * test data folder (tests/data -> ../../policies). */
#ifndef RG_ANNOTATIONS
#define RG_ANNOTATIONS RG_TEST_DATA "/../../policies/relgate.d.lua"
#endif

#define NOW 1749564000 /* 2025-06-10T14:00:00Z */

/* Globals Lua itself defines, which LuaLS already knows: the file need only name them.
 * Everything else in rg.builtins is relgate's and must be declared. */
static const char *const LUA_GLOBALS[] = {
    "assert", "error", "getmetatable", "ipairs", "next", "pairs", "rawequal", "rawget",
    "rawlen", "select", "tonumber", "tostring", "type", "_VERSION", "pcall", "xpcall",
    "setmetatable", "string", "table", "math", "utf8", NULL};

/* ---- A set of names ---------------------------------------------------------------- */

typedef struct names {
    char **v;
    size_t n, cap;
} names;

static void names_add(names *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i], name) == 0)
            return;
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->v = realloc(s->v, s->cap * sizeof *s->v);
        assert_non_null(s->v);
    }
    s->v[s->n] = strdup(name);
    assert_non_null(s->v[s->n]);
    s->n++;
}

static int names_has(const names *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i], name) == 0)
            return 1;
    return 0;
}

static void names_free(names *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    memset(s, 0, sizeof *s);
}

static int is_lua_global(const char *name)
{
    for (const char *const *g = LUA_GLOBALS; *g; g++)
        if (strcmp(*g, name) == 0)
            return 1;
    return 0;
}

/* ---- What the sandbox offers ---------------------------------------------------------- */

typedef struct runtime {
    char dir[PATH_MAX];
    rg_policy *pol;
    names globals;   /* every name in rg.builtins */
    names fields;    /* "lib.field" for every field of every library table */
    names libraries; /* globals whose value is a table */
} runtime;

/* Push the table holding the fields of the library at IDX: the table behind a read-only
 * view, the __index table of a callable library (evidence), or the table itself. */
static void push_library_fields(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    if (rg_readonly_target(L, idx))
        return;
    if (lua_getmetatable(L, idx)) {
        if (lua_getfield(L, -1, "__index") == LUA_TTABLE) {
            lua_remove(L, -2);
            return;
        }
        lua_pop(L, 2);
    }
    lua_pushvalue(L, idx);
}

static void walk_builtins(runtime *rt)
{
    lua_State *L = rt->pol->sb->L;
    int top = lua_gettop(L);
    assert_int_equal(lua_getfield(L, LUA_REGISTRYINDEX, "rg.builtins"), LUA_TTABLE);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        const char *name;
        assert_int_equal(lua_type(L, -2), LUA_TSTRING);
        name = lua_tostring(L, -2);
        names_add(&rt->globals, name);
        if (lua_type(L, -1) == LUA_TTABLE) {
            names_add(&rt->libraries, name);
            push_library_fields(L, -1);
            lua_pushnil(L);
            while (lua_next(L, -2)) {
                if (lua_type(L, -2) == LUA_TSTRING) {
                    char full[256];
                    snprintf(full, sizeof full, "%s.%s", name, lua_tostring(L, -2));
                    names_add(&rt->fields, full);
                }
                lua_pop(L, 1);
            }
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    lua_settop(L, top);
}

static int setup(void **state)
{
    runtime *rt = calloc(1, sizeof *rt);
    rg_limits limits = rg_limits_default();
    rg_error err = {0};
    assert_non_null(rt);
    assert_int_equal(rgt_mktemp(rt->dir, sizeof rt->dir, "rg-annotations"), 0);
    rt->pol = rgt_load_policy(rt->dir, "policy.lua",
                              "requirement \"tiny\" { title = \"Tiny\", hint = \"h\",\n"
                              "  check = function(ctx) return pass(\"ok\") end }\n",
                              &limits, NOW, &err);
    if (!rt->pol)
        fail_msg("cannot load the tiny policy: %s", err.message);
    walk_builtins(rt);
    *state = rt;
    return 0;
}

static int teardown(void **state)
{
    runtime *rt = *state;
    rg_policy_free(rt->pol);
    names_free(&rt->globals);
    names_free(&rt->fields);
    names_free(&rt->libraries);
    rgt_rmtree(rt->dir);
    free(rt);
    return 0;
}

/* ---- What the annotation file says ----------------------------------------------------- */

typedef struct annotations {
    char *text;
    names declared;     /* `function NAME(` and `NAME =` at the start of a line */
    names unavailable;  /* listed on "-- NOT AVAILABLE:" lines */
} annotations;

static int name_char(int c)
{
    return isalnum(c) || c == '_';
}

/* The dotted name at P (letters, digits, '_', '.'), copied to OUT; returns its length. */
static size_t dotted_name(const char *p, char *out, size_t size)
{
    size_t n = 0;
    if (!(isalpha((unsigned char)p[0]) || p[0] == '_'))
        return 0;
    while ((name_char((unsigned char)p[n]) || p[n] == '.') && n + 1 < size) {
        out[n] = p[n];
        n++;
    }
    out[n] = '\0';
    return n;
}

static void parse_unavailable(annotations *a, const char *list)
{
    char name[128];
    const char *p = list;
    while (*p && *p != '\n') {
        size_t n;
        while (*p == ' ' || *p == ',')
            p++;
        n = dotted_name(p, name, sizeof name);
        if (n == 0)
            break;
        names_add(&a->unavailable, name);
        p += n;
    }
}

static void read_annotations(annotations *a)
{
    rg_error err = {0};
    size_t len = 0;
    const char *line;
    memset(a, 0, sizeof *a);
    if (rg_read_file(RG_ANNOTATIONS, "annotations", 4u << 20, &a->text, &len, &err) != 0)
        fail_msg("cannot read %s: %s", RG_ANNOTATIONS, err.message);
    for (line = a->text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        char name[128];
        size_t n;
        static const char NA[] = "-- NOT AVAILABLE:";
        if (strncmp(line, NA, sizeof NA - 1) == 0) {
            parse_unavailable(a, line + sizeof NA - 1);
        } else if (strncmp(line, "function ", 9) == 0) {
            n = dotted_name(line + 9, name, sizeof name);
            if (n && line[9 + n] == '(')
                names_add(&a->declared, name);
        } else if ((n = dotted_name(line, name, sizeof name)) > 0 && strncmp(line + n, " = ", 3) == 0 &&
                   strcmp(name, "local") != 0) {
            names_add(&a->declared, name);
        }
    }
}

static void free_annotations(annotations *a)
{
    free(a->text);
    names_free(&a->declared);
    names_free(&a->unavailable);
}

/* Does the file's text name NAME (a whole word, dots included)? */
static int mentions(const annotations *a, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = strstr(a->text, name); p; p = strstr(p + 1, name)) {
        int before = p > a->text ? (unsigned char)p[-1] : ' ';
        int after = (unsigned char)p[n];
        if (!name_char(before) && before != '.' && !name_char(after))
            return 1;
    }
    return 0;
}

/* Append NAME to the report BUF. */
static void report(char *buf, size_t size, const char *name)
{
    size_t used = strlen(buf);
    snprintf(buf + used, size - used, "%s%s", used ? ", " : "", name);
}

/* Does the sandbox of policy test files (relgate test) define NAME? */
static int test_runtime_has(const runtime *rt, const char *name)
{
    char path[PATH_MAX + 32], text[256];
    rg_limits limits = rg_limits_default();
    rg_error err = {0};
    rg_test_case *cases = NULL;
    rg_sandbox *sb = NULL;
    size_t count = 0;
    int ok;
    snprintf(path, sizeof path, "%s/probe_test.lua", rt->dir);
    snprintf(text, sizeof text, "local probe = %s\nassert(probe ~= nil)\n", name);
    rgt_write(NULL, path, text, RGT_TEXT);
    ok = rg_tests_load(path, &limits, &cases, &count, &sb, &err) == 0;
    rg_test_cases_free(cases, count);
    rg_sandbox_free(sb);
    rg_error_clear(&err);
    return ok;
}

/* ---- Tests ------------------------------------------------------------------------------ */

/* The walk itself finds what the sandbox is known to hold: a guard against a walk that
 * finds nothing, which would make every other test pass. */
static void test_walk_finds_the_policy_api(void **state)
{
    runtime *rt = *state;
    static const char *const globals[] = {"policy", "requirement", "extends", "override", "disable",
                                          "pass", "fail", "warn", "skip", "find", "filter", "by_type",
                                          "evidence", "semver", "time", "markdown", "approvals", "json",
                                          "print", "require", "os", "string", "pcall", NULL};
    static const char *const fields[] = {"semver.bump", "evidence.read", "evidence.path", "time.parse",
                                         "markdown.section", "approvals.find", "json.decode", "os.date",
                                         "string.format", "math.floor", NULL};
    for (const char *const *g = globals; *g; g++)
        if (!names_has(&rt->globals, *g))
            fail_msg("the sandbox walk did not find global '%s'", *g);
    for (const char *const *f = fields; *f; f++)
        if (!names_has(&rt->fields, *f))
            fail_msg("the sandbox walk did not find '%s'", *f);
}

static void test_every_global_is_annotated(void **state)
{
    runtime *rt = *state;
    annotations a;
    char missing[4096] = "", unnamed[4096] = "";
    read_annotations(&a);
    for (size_t i = 0; i < rt->globals.n; i++) {
        const char *g = rt->globals.v[i];
        if (is_lua_global(g)) {
            if (!mentions(&a, g))
                report(unnamed, sizeof unnamed, g);
        } else if (!names_has(&a.declared, g)) {
            report(missing, sizeof missing, g);
        }
    }
    free_annotations(&a);
    if (missing[0])
        fail_msg("%s declares no `function NAME(` or `NAME =` for these sandbox globals: %s", RG_ANNOTATIONS, missing);
    if (unnamed[0])
        fail_msg("%s never names these Lua globals the sandbox offers: %s", RG_ANNOTATIONS, unnamed);
}

static void test_every_library_function_is_annotated(void **state)
{
    runtime *rt = *state;
    annotations a;
    char missing[4096] = "", unnamed[4096] = "";
    read_annotations(&a);
    for (size_t i = 0; i < rt->fields.n; i++) {
        const char *f = rt->fields.v[i];
        char lib[128];
        size_t n = (size_t)(strchr(f, '.') - f);
        snprintf(lib, sizeof lib, "%.*s", (int)n, f);
        if (names_has(&a.declared, lib)) {
            /* A library the file declares (semver = {}): each function is declared. */
            if (!names_has(&a.declared, f))
                report(missing, sizeof missing, f);
        } else if (!mentions(&a, f)) {
            report(unnamed, sizeof unnamed, f);
        }
    }
    free_annotations(&a);
    if (missing[0])
        fail_msg("%s declares no `function NAME(` for these library functions: %s", RG_ANNOTATIONS, missing);
    if (unnamed[0])
        fail_msg("%s never names these standard library fields the sandbox offers: %s", RG_ANNOTATIONS, unnamed);
}

static void test_annotations_name_nothing_the_runtime_lacks(void **state)
{
    runtime *rt = *state;
    annotations a;
    char lacking[4096] = "";
    size_t declared;
    read_annotations(&a);
    declared = a.declared.n;
    for (size_t i = 0; i < a.declared.n; i++) {
        const char *d = a.declared.v[i];
        int known = strchr(d, '.') ? names_has(&rt->fields, d) : names_has(&rt->globals, d);
        /* Not in a policy's sandbox: then in the sandbox of test files (`test`). */
        if (!known && !test_runtime_has(rt, d))
            report(lacking, sizeof lacking, d);
    }
    free_annotations(&a);
    assert_true(declared >= 40); /* the parse found the declarations at all */
    if (lacking[0])
        fail_msg("%s declares what the sandbox does not have: %s", RG_ANNOTATIONS, lacking);
}

static void test_not_available_is_absent(void **state)
{
    runtime *rt = *state;
    annotations a;
    char present[4096] = "";
    size_t listed;
    read_annotations(&a);
    listed = a.unavailable.n;
    for (size_t i = 0; i < a.unavailable.n; i++) {
        const char *u = a.unavailable.v[i];
        if (strchr(u, '.') ? names_has(&rt->fields, u) : names_has(&rt->globals, u))
            report(present, sizeof present, u);
    }
    free_annotations(&a);
    assert_true(listed >= 10);
    if (present[0])
        fail_msg("%s lists as NOT AVAILABLE what the sandbox has: %s", RG_ANNOTATIONS, present);
}

/* `test` exists for test files only: the probe must tell the two sandboxes apart. */
static void test_test_files_have_test_and_policies_do_not(void **state)
{
    runtime *rt = *state;
    assert_false(names_has(&rt->globals, "test"));
    assert_true(test_runtime_has(rt, "test"));
    assert_false(test_runtime_has(rt, "no_such_global_anywhere"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_walk_finds_the_policy_api),
        cmocka_unit_test(test_every_global_is_annotated),
        cmocka_unit_test(test_every_library_function_is_annotated),
        cmocka_unit_test(test_annotations_name_nothing_the_runtime_lacks),
        cmocka_unit_test(test_not_available_is_absent),
        cmocka_unit_test(test_test_files_have_test_and_policies_do_not),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
