/* Policy tests: a test file (Lua, *_test.lua) declares test cases; each names a policy,
 * a release context, mocked plugin check results and what the decision must be. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lauxlib.h>

#include "beneath.h"
#include "context.h"
#include "decision.h"
#include "error.h"
#include "evidence.h"
#include "fileio.h"
#include "isolate.h"
#include "json.h"
#include "luaconv.h"
#include "plugins.h"
#include "policy.h"
#include "policylib.h"
#include "policytest.h"
#include "rfc3339.h"
#include "sandbox.h"
#include "suggest.h"

static const char KEY_CASES[] = "rg.test.cases";
/* Declarations whose body has not been given yet: id -> "file:line: test 'name'".  A
 * test "name" without its { ... } (or one whose body a loop or an early return never
 * reached) declared nothing, and the run said "passed" over the tests left. */
static const char KEY_PENDING[] = "rg.test.pending";

void rg_test_cases_free(rg_test_case *cases, size_t n)
{
    for (size_t i = 0; cases && i < n; i++) {
        free(cases[i].name);
        free(cases[i].file);
        cJSON_Delete(cases[i].spec);
    }
    free(cases);
}

/* test "name" { ... }: record the spec as JSON with its place. */
static int test_body(lua_State *L)
{
    cJSON *cases = lua_touserdata(L, lua_upvalueindex(4));
    const char *name = lua_tostring(L, lua_upvalueindex(1));
    const char *file = lua_tostring(L, lua_upvalueindex(2));
    int line = (int)lua_tointeger(L, lua_upvalueindex(3));
    char why[256] = "";
    cJSON *spec, *entry;
    int fns = LUA_NOREF;
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    /* Mocks that are functions of (params, ctx) stay Lua, in the test file's sandbox (kept
     * while its cases run); the rest of the spec is data, read as JSON. */
    if (lua_getfield(L, 1, "mocks") == LUA_TTABLE) {
        int mocks = lua_gettop(L), any = 0;
        lua_newtable(L);                 /* the functions */
        lua_newtable(L);                 /* the data mocks */
        lua_pushnil(L);
        while (lua_next(L, mocks)) {
            int is_fn = lua_type(L, -1) == LUA_TFUNCTION;
            lua_pushvalue(L, -2);
            lua_insert(L, -2);
            lua_rawset(L, is_fn ? mocks + 1 : mocks + 2);
            any |= is_fn;
        }
        /* a copy of the spec with the data mocks only */
        lua_newtable(L);
        lua_pushnil(L);
        while (lua_next(L, 1)) {
            lua_pushvalue(L, -2);
            lua_insert(L, -2);
            lua_rawset(L, mocks + 3);
        }
        lua_pushvalue(L, mocks + 2);
        lua_setfield(L, -2, "mocks");
        lua_replace(L, 1);
        if (any) {
            lua_pushvalue(L, mocks + 1);
            fns = luaL_ref(L, LUA_REGISTRYINDEX);
        }
        lua_settop(L, 1);
    }
    spec = rg_lua_to_json(L, 1, 32, 1, why, sizeof why);
    if (!spec || !cJSON_IsObject(spec)) {
        cJSON_Delete(spec);
        return luaL_error(L, "test '%s': the test table cannot be read: %s", name, why[0] ? why : "not a table of fields");
    }
    entry = cJSON_CreateObject();
    cJSON_AddStringToObject(entry, "name", name);
    cJSON_AddStringToObject(entry, "file", file);
    cJSON_AddNumberToObject(entry, "line", line);
    cJSON_AddItemToObject(entry, "spec", spec);
    cJSON_AddNumberToObject(entry, "fns", fns);
    cJSON_AddItemToArray(cases, entry);
    /* declared, now that it is recorded: a body that raised (caught by a pcall) left it
     * pending (hostile round 32, F03) */
    lua_getfield(L, LUA_REGISTRYINDEX, KEY_PENDING);
    lua_pushnil(L);
    lua_rawseti(L, -2, lua_tointeger(L, lua_upvalueindex(5)));
    return 0;
}

static int test_decl(lua_State *L)
{
    lua_Debug ar;
    const char *file = "?";
    int line = 0;
    lua_Integer id;
    luaL_checkstring(L, 1);
    if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "Sl", &ar)) {
        file = ar.source[0] == '@' ? ar.source + 1 : ar.short_src;
        line = ar.currentline;
    }
    /* test("name", { ... }) is test "name" { ... } written as one call: its body is
     * taken, not dropped */
    if (lua_gettop(L) > 1 && lua_type(L, 2) != LUA_TTABLE)
        return luaL_error(L, "test '%s': its body is a table: test \"name\" { ... }", lua_tostring(L, 1));
    lua_settop(L, 2);
    lua_getfield(L, LUA_REGISTRYINDEX, KEY_PENDING);
    lua_getfield(L, -1, "n");
    id = lua_tointeger(L, -1) + 1;
    lua_pop(L, 1);
    lua_pushinteger(L, id);
    lua_setfield(L, -2, "n");
    lua_pushfstring(L, "%s:%d: test '%s'", file, line, lua_tostring(L, 1));
    lua_rawseti(L, -2, id);
    lua_pop(L, 1);
    lua_pushvalue(L, 1);
    lua_pushstring(L, file);
    lua_pushinteger(L, line);
    lua_getfield(L, LUA_REGISTRYINDEX, KEY_CASES);
    lua_pushinteger(L, id);
    lua_pushcclosure(L, test_body, 5);
    if (lua_type(L, 2) == LUA_TTABLE) {
        lua_pushvalue(L, 2);
        lua_call(L, 1, 0);
        return 0;
    }
    return 1;
}

/* The first declaration left without its body, as an error; 0 when there is none. */
static int check_bodies(rg_sandbox *sb, const char *path, rg_error *err)
{
    lua_State *L = sb->L;
    lua_Integer n;
    int rc = 0;
    lua_getfield(L, LUA_REGISTRYINDEX, KEY_PENDING);
    lua_getfield(L, -1, "n");
    n = lua_tointeger(L, -1);
    lua_pop(L, 1);
    for (lua_Integer i = 1; i <= n && rc == 0; i++)
        if (lua_rawgeti(L, -1, i) == LUA_TSTRING)
            rc = rg_fail(err, RG_ERROR_POLICY, path, 0, 0, "%s declares nothing: its { ... } was never given, "
                         "or it raised (test \"name\" { ... } declares a test)", lua_tostring(L, -1));
        else
            lua_pop(L, 1);
    lua_settop(L, 0);
    return rc;
}

int rg_tests_load(const char *path, const rg_limits *limits, rg_test_case **out, size_t *count,
                  rg_sandbox **sb_out, rg_error *err)
{
    char dir[PATH_MAX], chunk[PATH_MAX + 2];
    rg_sandbox *sb;
    cJSON *cases = cJSON_CreateArray(), *c;
    size_t n = 0;

    *out = NULL;
    *count = 0;
    *sb_out = NULL;
    rg_path_dir(path, dir, sizeof dir);
    sb = rg_sandbox_new(limits, (int64_t)time(NULL), dir, dir, err);
    if (!sb || !cases) {
        cJSON_Delete(cases);
        rg_sandbox_free(sb);
        return -1;
    }
    rg_policylib_open(sb);
    lua_pushlightuserdata(sb->L, cases);
    lua_setfield(sb->L, LUA_REGISTRYINDEX, KEY_CASES);
    lua_newtable(sb->L);
    lua_setfield(sb->L, LUA_REGISTRYINDEX, KEY_PENDING);
    lua_pushcfunction(sb->L, test_decl);
    rg_sandbox_set_builtin(sb, "test");
    snprintf(chunk, sizeof chunk, "@%s", path);
    if (rg_sandbox_load(sb, path, chunk, err) != 0 || rg_sandbox_call(sb, 0, 0, err) != 0 ||
        check_bodies(sb, path, err) != 0) {
        if (!err->file[0])
            rg_strlcpy(err->file, path, sizeof err->file);
        rg_sandbox_free(sb);
        cJSON_Delete(cases);
        return -1;
    }
    *out = calloc((size_t)cJSON_GetArraySize(cases) + 1, sizeof **out);
    if (!*out) {
        rg_sandbox_free(sb);
        cJSON_Delete(cases);
        return rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory");
    }
    *sb_out = sb;   /* its function mocks run while the cases do */
    cJSON_ArrayForEach(c, cases) {
        rg_test_case *tc = &(*out)[n++];
        tc->name = strdup(rg_json_string(c, "name"));
        tc->file = strdup(rg_json_string(c, "file"));
        tc->line = (int)cJSON_GetObjectItemCaseSensitive(c, "line")->valuedouble;
        tc->spec = cJSON_DetachItemFromObjectCaseSensitive(c, "spec");
        tc->mock_fns = (int)cJSON_GetObjectItemCaseSensitive(c, "fns")->valuedouble;
    }
    *count = n;
    cJSON_Delete(cases);
    return 0;
}

/* ---- Running one test ------------------------------------------------------------- */

/* One problem, PREFIX then FMT, in O's list. */
static void add_problem(rg_test_result *o, const char *prefix, const char *fmt, va_list ap) RG_PRINTF(3, 0);

static void add_problem(rg_test_result *o, const char *prefix, const char *fmt, va_list ap)
{
    char text[2048];
    int n = snprintf(text, sizeof text, "%s", prefix);
    vsnprintf(text + n, sizeof text - (size_t)n, fmt, ap);
    cJSON_AddItemToArray(o->problems, cJSON_CreateString(text));
}

static void problem(rg_test_result *o, const char *fmt, ...) RG_PRINTF(2, 3);

static void problem(rg_test_result *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_problem(o, "", fmt, ap);
    va_end(ap);
}

/* The test could not run, for the reason FMT gives: an error, never a pass.  Returns -1. */
static int cannot_run(rg_test_result *o, const char *fmt, ...) RG_PRINTF(2, 3);

static int cannot_run(rg_test_result *o, const char *fmt, ...)
{
    va_list ap;
    o->status = RG_TEST_ERROR;
    va_start(ap, fmt);
    add_problem(o, "could not run: ", fmt, ap);
    va_end(ap);
    return -1;
}

static void could_not_run(rg_test_result *o, const rg_error *err)
{
    cannot_run(o, "%s", err->message);
}

/* "dir/" + REL, unless REL is absolute. */
static void beside(const char *file, const char *rel, char *out, size_t size)
{
    const char *slash = strrchr(file, '/');
    if (rel[0] == '/' || !slash)
        snprintf(out, size, "%s", rel);
    else
        snprintf(out, size, "%.*s/%s", (int)(slash - file), file, rel);
}

/* A file a test names (its context, its policy) follows the path rules of evidence, with
 * the test file's directory as the root: a relative path, inside that directory once
 * normalised and once symbolic links are followed.  Fills OUT with the path to open and
 * returns 0, or notes why not in O (naming the path as the test gives it, never the
 * file's content) and returns -1. */
static int test_file_path(const rg_test_case *tc, const char *what, const char *rel, char *out, size_t size,
                          rg_test_result *o)
{
    char dir[PATH_MAX], root[PATH_MAX], real[PATH_MAX];
    int errnum;
    rg_beneath where;
    rg_path_dir(tc->file, dir, sizeof dir);
    if (!realpath(dir, root))
        return cannot_run(o, "cannot resolve the test file's directory %s", dir);
    if (rel[0] == '/')
        return cannot_run(o, "%s '%s' is an absolute path: name it relative to the test file", what, rel);
    where = rg_resolve_beneath(root, root, rel, NULL, real, sizeof real, NULL, 0, &errnum);
    if (where == RG_BENEATH_LEAVES)
        return cannot_run(o, "%s '%s' leaves the test file's directory", what, rel);
    if (where == RG_BENEATH_OUTSIDE)
        return cannot_run(o, "%s '%s' is a symbolic link leading outside the test file's directory", what, rel);
    /* a missing file is said by whatever opens it */
    beside(tc->file, rel, out, size);
    return 0;
}

/* The policy a test names, or the one its file is named after (x_test.lua -> x.lua).
 * Returns -1 (noted in O) when the named one breaks the path rules. */
static int policy_path(const rg_test_case *tc, char *out, size_t size, rg_test_result *o)
{
    const char *policy = rg_json_string(tc->spec, "policy");
    char guess[PATH_MAX];
    size_t n;
    if (policy)
        return test_file_path(tc, "policy", policy, out, size, o);
    rg_strlcpy(guess, tc->file, sizeof guess);
    n = strlen(guess);
    if (n > 9 && strcmp(guess + n - 9, "_test.lua") == 0)
        strcpy(guess + n - 9, ".lua");
    rg_strlcpy(out, guess, size);
    return 0;
}

static size_t compare_calls(const cJSON *want, const cJSON *calls, rg_test_result *o);

static void compare(const rg_test_case *tc, const rg_policy *pol, const rg_decision *d, const cJSON *calls,
                    rg_test_result *o)
{
    const cJSON *expect = cJSON_GetObjectItemCaseSensitive(tc->spec, "expect"), *item;
    const char *want = rg_json_string(expect, "decision");
    size_t checks = 0;   /* what the expectations check: none is a test that cannot fail */
    if (!cJSON_IsObject(expect)) {
        problem(o, "the test has no expect = { ... }: it cannot fail, so it is not a test");
        return;
    }
    checks += want != NULL;
    if (want && strcmp(want, rg_verdict_name(d->verdict)) != 0) {
        problem(o, "decision: expected %s, got %s", want, rg_verdict_name(d->verdict));
        /* what made it so: every requirement that did not pass or skip, with its message */
        for (size_t i = 0; i < d->count; i++) {
            const rg_result *r = &d->results[i];
            if (r->status == RG_STATUS_PASS || r->status == RG_STATUS_SKIP)
                continue;
            problem(o, "  %s (%s): %s: %s", r->id, rg_level_name(r->level), rg_status_name(r->status),
                    r->message ? r->message : "");
        }
    }
    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(expect, "requirements")) {
        const rg_result *r = rg_decision_find(d, item->string);
        int declared = rg_policy_find(pol, item->string) != NULL;
        checks++;
        if (!cJSON_IsString(item)) {
            problem(o, "requirement %s: expect a status string (pass, fail, warn, waived, error, skip, absent, "
                       "undeclared)", item->string);
        } else if (strcmp(item->valuestring, "undeclared") == 0) {
            if (declared)
                problem(o, "requirement %s: expected undeclared, but the policy declares it", item->string);
        } else if (!declared) {
            /* "absent" (or any status) of a misspelt id must not hold by itself. */
            char mean[256];
            problem(o, "requirement %s: the policy declares no such requirement%s (\"undeclared\" if that is "
                       "what the test means)", item->string, rg_policy_suggest_id(pol, item->string, mean, sizeof mean));
        } else if (!r && strcmp(item->valuestring, "absent") != 0) {
            problem(o, "requirement %s: expected %s, but it is not in the decision (does not apply?)", item->string,
                    item->valuestring);
        } else if (r && strcmp(item->valuestring, rg_status_name(r->status)) != 0) {
            problem(o, "requirement %s: expected %s, got %s (%s)", item->string, item->valuestring,
                    rg_status_name(r->status), r->message ? r->message : "");
        }
    }
    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(expect, "messages")) {
        const rg_result *r = rg_decision_find(d, item->string);
        checks++;
        if (!cJSON_IsString(item) || !r || !r->message || !strstr(r->message, item->valuestring))
            problem(o, "requirement %s: message should contain \"%s\", got \"%s\"", item->string,
                    cJSON_IsString(item) ? item->valuestring : "?", r && r->message ? r->message : "(not in the decision)");
    }
    /* expect.waivers: requirement id -> what became of its waiver (applied, unused...) */
    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(expect, "waivers")) {
        const cJSON *w;
        const char *got = NULL;
        checks++;
        cJSON_ArrayForEach(w, d->waivers) {
            const char *req = rg_json_string(w, "requirement");
            if (req && strcmp(req, item->string) == 0 && !got)
                got = rg_json_string(w, "status");
        }
        if (!cJSON_IsString(item) || !got || strcmp(got, item->valuestring) != 0)
            problem(o, "waiver for %s: expected %s, got %s", item->string,
                    cJSON_IsString(item) ? item->valuestring : "a status string", got ? got : "no waiver");
    }
    /* expect.details: requirement id -> the details it must carry (those named) */
    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(expect, "details")) {
        const rg_result *r = rg_decision_find(d, item->string);
        const cJSON *field;
        checks++;
        if (!cJSON_IsObject(item) || !r) {
            problem(o, "details %s: %s", item->string, !r ? "the requirement is not in the decision"
                                                            : "expect a table of the details it must carry");
            continue;
        }
        cJSON_ArrayForEach(field, item) {
            const cJSON *was = cJSON_GetObjectItemCaseSensitive(r->details, field->string);
            if (!was || !cJSON_Compare(was, field, 1)) {
                char *a = cJSON_PrintUnformatted(field), *b = was ? cJSON_PrintUnformatted(was) : NULL;
                problem(o, "details %s: %s is %s, expected %s", item->string, field->string, b ? b : "(absent)",
                        a ? a : "?");
                cJSON_free(a);
                cJSON_free(b);
            }
        }
    }
    item = cJSON_GetObjectItemCaseSensitive(expect, "actions");
    checks += item != NULL;
    if (item) {
        char want_list[512] = "", got_list[512] = "";
        const cJSON *a;
        size_t n = 0;
        cJSON_ArrayForEach(a, item)
            n += (size_t)snprintf(want_list + n, n < sizeof want_list ? sizeof want_list - n : 0, "%s%s", n ? ", " : "",
                                  cJSON_IsString(a) ? a->valuestring : "?");
        n = 0;
        cJSON_ArrayForEach(a, d->actions)
            n += (size_t)snprintf(got_list + n, n < sizeof got_list ? sizeof got_list - n : 0, "%s%s", n ? ", " : "",
                                  rg_json_string(a, "type") ? rg_json_string(a, "type") : "?");
        if (strcmp(want_list, got_list) != 0)
            problem(o, "actions: expected [%s], got [%s]", want_list, got_list);
    }
    want = rg_json_string(expect, "rollback");
    checks += want != NULL;
    if (want) {
        const char *got = NULL;
        cJSON_ArrayForEach(item, d->actions)
            if (rg_json_string(item, "type") && strcmp(rg_json_string(item, "type"), "rollback") == 0)
                got = rg_json_string(item, "target");
        if (!got || strcmp(got, want) != 0)
            problem(o, "rollback target: expected %s, got %s", want, got ? got : "none");
    }
    if (cJSON_GetObjectItemCaseSensitive(expect, "calls"))
        checks += compare_calls(cJSON_GetObjectItemCaseSensitive(expect, "calls"), calls, o);
    if (checks == 0)
        problem(o, "expect = { ... } checks nothing (empty lists): the test cannot fail, so it is not a test");
}

/* "minor/deploy": one cell of coverage. */
static void cell_name(rg_release_type type, rg_stage stage, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%s", rg_release_type_name(type), rg_stage_name(stage));
}

/* Mark the requirement x release type x stage cells the decision exercised (a requirement
 * in the decision counts, as skip too), starting each policy file with every cell its
 * requirements declare. */
static void cover(cJSON *coverage, const rg_policy *pol, const rg_decision *d)
{
    cJSON *per_policy = cJSON_GetObjectItemCaseSensitive(coverage, pol->file);
    char cell[64];
    if (!per_policy) {
        per_policy = cJSON_AddObjectToObject(coverage, pol->file);
        for (size_t i = 0; per_policy && i < pol->count; i++) {
            cJSON *cells = cJSON_AddObjectToObject(per_policy, pol->reqs[i].id);
            for (int t = 0; cells && t < 3; t++)
                for (int g = 0; g < 3; g++)
                    if ((pol->reqs[i].types & (1u << t)) && (pol->reqs[i].stages & (1u << g))) {
                        cell_name((rg_release_type)(1u << t), (rg_stage)(1u << g), cell, sizeof cell);
                        cJSON_AddFalseToObject(cells, cell);
                    }
        }
    }
    cell_name(d->type, d->stage, cell, sizeof cell);
    for (size_t i = 0; i < d->count; i++) {
        cJSON *cells = cJSON_GetObjectItemCaseSensitive(per_policy, d->results[i].id);
        if (cells && cJSON_GetObjectItemCaseSensitive(cells, cell))
            cJSON_ReplaceItemInObjectCaseSensitive(cells, cell, cJSON_CreateTrue());
    }
}

/* The decision as --verbose shows it: the verdict, then a line per requirement and per
 * plugin check call. */
static void trace_decision(rg_test_result *o, const rg_decision *d, const cJSON *calls)
{
    char line[2048];
    const cJSON *call;
    if (!(o->trace = cJSON_CreateArray()))
        return;
    snprintf(line, sizeof line, "decision %s (%s, %s)", rg_verdict_name(d->verdict), rg_release_type_name(d->type),
             rg_stage_name(d->stage));
    cJSON_AddItemToArray(o->trace, cJSON_CreateString(line));
    for (size_t i = 0; i < d->count; i++) {
        snprintf(line, sizeof line, "  %s: %s: %s", d->results[i].id, rg_status_name(d->results[i].status),
                 d->results[i].message ? d->results[i].message : "");
        cJSON_AddItemToArray(o->trace, cJSON_CreateString(line));
    }
    cJSON_ArrayForEach(call, calls) {
        char *params = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(call, "params"));
        snprintf(line, sizeof line, "  call %s %s %s%s", rg_json_string(call, "check"),
                 rg_json_string(call, "requirement"), params ? params : "?",
                 cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(call, "mocked")) ? " (mocked)" : "");
        cJSON_free(params);
        cJSON_AddItemToArray(o->trace, cJSON_CreateString(line));
    }
}

/* A misspelt field would make a test that checks nothing: refuse what is not known. */
static const char *unknown_field(const cJSON *obj, const char *const *known)
{
    const cJSON *item;
    cJSON_ArrayForEach(item, obj) {
        int ok = 0;
        for (const char *const *k = known; *k && !ok; k++)
            ok = strcmp(item->string, *k) == 0;
        if (!ok)
            return item->string;
    }
    return NULL;
}

/* ---- Mocked plugin checks ---------------------------------------------------------
 * A test with "mocks" answers its policy's plugin checks itself: a check provider (the
 * interface the child processes answer through) that gives each job the test's result
 * -- a fixed one, or what a function of (params, ctx) returns -- or, for the checks the
 * test names in "real", runs the plugin in a child process as eval would.  Every call is
 * recorded with its parameters, for expect.calls. */

typedef struct mock_provider {
    const cJSON *mocks;     /* check name -> result (data) */
    const cJSON *real;      /* check names that run for real, or NULL */
    rg_sandbox *sb;         /* the test file's sandbox, where function mocks run */
    int fns;                /* registry reference to check name -> function, or LUA_NOREF */
    cJSON *calls;           /* [{requirement, check, params, mocked}] */
} mock_provider;

static int is_real(const mock_provider *mp, const char *check)
{
    const cJSON *name;
    cJSON_ArrayForEach(name, mp->real)
        if (cJSON_IsString(name) && strcmp(name->valuestring, check) == 0)
            return 1;
    return 0;
}

/* JOB's result from M ({status, message, details}, as pass() and friends make it; NULL
 * when the test has no mock for the check), or the error WHY when not NULL. */
static void mock_result(const cJSON *m, const char *why, rg_job *job)
{
    const char *status = rg_json_string(m, "status"), *message = rg_json_string(m, "message");
    const cJSON *details = cJSON_GetObjectItemCaseSensitive(m, "details");
    char text[1024];
    memset(&job->result, 0, sizeof job->result);
    job->result.status = RG_CHECK_ERROR;
    for (rg_check_status st = RG_CHECK_PASS; !why && status && st <= RG_CHECK_ERROR; st++)
        if (strcmp(status, rg_check_status_name(st)) == 0)
            job->result.status = st;
    if (why) {
        message = why;
    } else if (!m) {
        snprintf(text, sizeof text, "no mock for check %s in this test (mock it, or name it in real = { ... })",
                 job->check->name);
        message = text;
    } else if (!status || !message) {
        snprintf(text, sizeof text, "the mock for check %s is not a result: use pass(\"...\"), fail(\"...\")...",
                 job->check->name);
        message = text;
    }
    job->result.message = strdup(message);
    job->result.details = cJSON_IsObject(details) && !why ? cJSON_Duplicate(details, 1) : cJSON_CreateObject();
    job->result.evidence = cJSON_CreateArray();
    job->result.context_reads = cJSON_CreateArray();
    cJSON_AddBoolToObject(job->result.details, "mocked", 1);
}

/* Call the function mock on top of the test sandbox's stack (popped) with the job's
 * parameters and the release context, both read-only; fill JOB from what it returns. */
static void call_function_mock(mock_provider *mp, rg_job *job, const rg_context *ctx)
{
    lua_State *L = mp->sb->L;
    rg_error err = {0};
    char why[512];
    cJSON *result;
    rg_push_json(L, job->params);
    rg_push_readonly(L, -1);
    lua_remove(L, -2);
    rg_push_json(L, ctx->root);
    rg_push_readonly(L, -1);
    lua_remove(L, -2);
    rg_sandbox_new_budget(mp->sb);
    if (rg_sandbox_call(mp->sb, 2, 1, &err) != 0) {
        snprintf(why, sizeof why, "the mock for check %.100s raised: %.380s", job->check->name, err.message);
        rg_error_clear(&err);
        mock_result(NULL, why, job);
        return;
    }
    result = lua_istable(L, -1) ? rg_lua_to_json(L, -1, 32, 1, why, sizeof why) : NULL;
    lua_pop(L, 1);
    if (!result)
        snprintf(why, sizeof why, "the mock for check %s returned no result: return pass(\"...\"), fail(\"...\")...",
                 job->check->name);
    mock_result(result, result ? NULL : why, job);
    cJSON_Delete(result);
}

static void record_call(mock_provider *mp, const rg_job *job, int mocked)
{
    cJSON *call = cJSON_CreateObject();
    cJSON_AddStringToObject(call, "requirement", job->label ? job->label : "?");
    cJSON_AddStringToObject(call, "check", job->check->name);
    cJSON_AddItemToObject(call, "params", job->params ? cJSON_Duplicate(job->params, 1) : cJSON_CreateObject());
    cJSON_AddBoolToObject(call, "mocked", mocked);
    if (!cJSON_AddItemToArray(mp->calls, call))
        cJSON_Delete(call);
}

static void run_mocks(void *self, struct rg_job *jobs, size_t count, const rg_context *ctx, int64_t now,
                      const rg_limits *limits)
{
    mock_provider *mp = self;
    rg_job *real = calloc(count + 1, sizeof *real);
    size_t *where = calloc(count + 1, sizeof *where), nreal = 0;
    for (size_t j = 0; j < count; j++) {
        const char *name = jobs[j].check->name;
        int fn = 0;
        if (real && where && is_real(mp, name)) {
            record_call(mp, &jobs[j], 0);
            where[nreal] = j;
            real[nreal++] = jobs[j];
            continue;
        }
        record_call(mp, &jobs[j], 1);
        if (mp->fns != LUA_NOREF) {
            lua_rawgeti(mp->sb->L, LUA_REGISTRYINDEX, mp->fns);
            fn = lua_getfield(mp->sb->L, -1, name) == LUA_TFUNCTION;
            lua_remove(mp->sb->L, -2);
            if (!fn)
                lua_pop(mp->sb->L, 1);
        }
        if (fn)
            call_function_mock(mp, &jobs[j], ctx);
        else if (!real || !where)
            mock_result(NULL, "out of memory", &jobs[j]);
        else
            mock_result(cJSON_GetObjectItemCaseSensitive(mp->mocks, name), NULL, &jobs[j]);
    }
    if (nreal) {
        /* the real plugins, in child processes, on the context's evidence */
        rg_run_isolated(real, nreal, ctx, now, limits);
        for (size_t k = 0; k < nreal; k++)
            jobs[where[k]] = real[k];
    }
    free(real);
    free(where);
}

/* expect.calls: requirement id -> the parameters its check must have been called with
 * (those named; others may be anything). */
static size_t compare_calls(const cJSON *want, const cJSON *calls, rg_test_result *o)
{
    const cJSON *item, *param, *call;
    size_t checks = 0;
    cJSON_ArrayForEach(item, want) {
        const cJSON *got = NULL;
        checks++;
        cJSON_ArrayForEach(call, calls)
            if (strcmp(rg_json_string(call, "requirement"), item->string) == 0)
                got = call;
        if (!cJSON_IsObject(item)) {
            problem(o, "calls %s: expect a table of the parameters its check is called with", item->string);
            continue;
        }
        if (!got) {
            problem(o, "calls %s: its plugin check was not called (no plugin check, or it did not apply)", item->string);
            continue;
        }
        cJSON_ArrayForEach(param, item) {
            const cJSON *was = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(got, "params"), param->string);
            if (!was || !cJSON_Compare(was, param, 1)) {
                char *a = cJSON_PrintUnformatted(param), *b = was ? cJSON_PrintUnformatted(was) : NULL;
                problem(o, "calls %s: %s called with %s = %s, expected %s", item->string, rg_json_string(got, "check"),
                        param->string, b ? b : "(not given)", a ? a : "?");
                cJSON_free(a);
                cJSON_free(b);
            }
        }
    }
    return checks;
}

static const char *const SPEC_FIELDS[] = {"policy", "context", "stage", "type", "now", "mocks", "real", "expect", NULL};
static const char *const EXPECT_FIELDS[] = {"decision", "requirements", "messages", "actions", "rollback",
                                            "calls", "waivers", "details", NULL};

/* The steps of a test below note why it could not run in O (an error) and return -1,
 * or return 0 to go on. */

/* The test's fields and its expect's are ones relgate knows: a misspelt one would
 * silently test nothing. */
static int known_fields(const rg_test_case *tc, rg_test_result *o)
{
    const char *bad = unknown_field(tc->spec, SPEC_FIELDS);
    const cJSON *expect = cJSON_GetObjectItemCaseSensitive(tc->spec, "expect");
    char mean[160];
    rg_suggest s;
    if (!bad && cJSON_IsObject(expect))
        bad = unknown_field(expect, EXPECT_FIELDS);
    if (!bad)
        return 0;
    rg_suggest_start(&s, bad);
    for (const char *const *f = SPEC_FIELDS; *f; f++)
        rg_suggest_offer(&s, *f);
    for (const char *const *f = EXPECT_FIELDS; *f; f++)
        rg_suggest_offer(&s, *f);
    return cannot_run(o, "unknown field '%s'%s (test: policy, context, stage, type, now, mocks, real, expect; "
                         "expect: decision, requirements, messages, actions, rollback, calls, waivers, details)",
                      bad, rg_suggest_text(&s, mean, sizeof mean));
}

/* real = { "check.name", ... }: checks that run beside the mocks, so a check is one or
 * the other, never both (a data mock or a function mock), and each one a plugin provides:
 * a misspelt name ran nothing for real while the test passed on the mocks (round 24). */
static int real_or_mocked(const mock_provider *mp, const rg_plugins *plugins, rg_test_result *o)
{
    const cJSON *name;
    const char *clash = NULL;
    int ok = !mp->real || cJSON_IsArray(mp->real);
    cJSON_ArrayForEach(name, mp->real) {
        if (cJSON_IsString(name) && !rg_plugins_find_check(plugins, name->valuestring, NULL)) {
            rg_suggest s;
            char mean[96];
            rg_suggest_start(&s, name->valuestring);
            for (size_t i = 0; plugins && i < plugins->count; i++)
                for (size_t k = 0; k < plugins->items[i].desc->check_count; k++)
                    rg_suggest_offer(&s, plugins->items[i].desc->checks[k].name);
            return cannot_run(o, "real names %s, which no plugin provides%s", name->valuestring,
                              rg_suggest_text(&s, mean, sizeof mean));
        }
    }
    cJSON_ArrayForEach(name, mp->real) {
        ok &= cJSON_IsString(name);
        if (cJSON_IsString(name) && cJSON_GetObjectItemCaseSensitive(mp->mocks, name->valuestring))
            clash = name->valuestring;
    }
    if (ok && !clash && mp->real && mp->fns != LUA_NOREF) {
        cJSON_ArrayForEach(name, mp->real) {
            lua_rawgeti(mp->sb->L, LUA_REGISTRYINDEX, mp->fns);
            if (lua_getfield(mp->sb->L, -1, name->valuestring) != LUA_TNIL)
                clash = name->valuestring;
            lua_pop(mp->sb->L, 2);
        }
    }
    if (clash)
        return cannot_run(o, "check %s is both mocked and real: it is one or the other", clash);
    if (!ok)
        return cannot_run(o, "real must be a list of plugin check names: real = { \"ci.status\" }");
    return 0;
}

/* The test's stage and type into COPT, its now into *NOW. */
static int test_settings(const rg_test_case *tc, rg_context_options *copt, int64_t *now, rg_test_result *o)
{
    const char *stage = rg_json_string(tc->spec, "stage"), *type = rg_json_string(tc->spec, "type");
    const char *now_text = rg_json_string(tc->spec, "now"), *why = NULL;
    copt->stage = rg_stage_parse(stage);
    copt->type = rg_release_type_parse(type);
    if (stage && !copt->stage)
        return cannot_run(o, "stage '%s' is not pre-release, deploy or post-deploy", stage);
    if (type && !copt->type)
        return cannot_run(o, "type '%s' is not patch, minor or major", type);
    if (now_text && rg_rfc3339_parse(now_text, now, &why) != 0)
        return cannot_run(o, "now '%s' is not an RFC 3339 time", now_text);
    return 0;
}

/* The test's release context into *CTX: a file beside the test, or a table.  *CTX NULL
 * with ERR when it is not a usable context. */
static int test_context(const rg_test_case *tc, const rg_context_options *copt, rg_context **ctx,
                        rg_test_result *o, rg_error *err)
{
    const cJSON *context = cJSON_GetObjectItemCaseSensitive(tc->spec, "context");
    char path[PATH_MAX], display[PATH_MAX + 32];
    *ctx = NULL;
    if (cJSON_IsString(context)) {
        if (test_file_path(tc, "context", context->valuestring, path, sizeof path, o) != 0)
            return -1;
        *ctx = rg_context_load(path, copt, err);
        if (!*ctx && err->kind != RG_ERROR_IO && err->kind != RG_ERROR_INTERNAL) {
            /* Say where, not what: the message may quote the file's bytes. */
            rg_error_kind kind = err->kind;
            int line = err->line, column = err->column;
            rg_error_clear(err);
            rg_fail(err, kind, path, line, column, "context %s is not a usable release context (%s error at "
                    "line %d, column %d; relgate eval --context %s says why)", path, rg_error_kind_name(kind),
                    line, column, path);
        }
    } else if (cJSON_IsObject(context)) {
        char *text = cJSON_PrintUnformatted(context);
        snprintf(display, sizeof display, "%s:%d", tc->file, tc->line);
        *ctx = text ? rg_context_parse(text, strlen(text), display, tc->file, copt, err) : NULL;
        free(text);
    } else {
        rg_fail(err, RG_ERROR_USAGE, tc->file, tc->line, 0, "the test gives no context (a table, or a file name)");
    }
    return 0;
}

/* What the test expects the decision to be ("error", ...), or NULL. */
static const char *expected_decision(const rg_test_case *tc)
{
    return rg_json_string(cJSON_GetObjectItemCaseSensitive(tc->spec, "expect"), "decision");
}

/* Load the test's policy, its plugin checks answered by MP (those not real), evaluate
 * it in CTX and compare the decision with what the test expects. */
static void evaluate_test(const rg_test_case *tc, mock_provider *mp, const rg_plugins *plugins,
                          const rg_limits *limits, const rg_context *ctx, int64_t now, cJSON *coverage,
                          rg_test_result *o)
{
    rg_check_provider mocks = {run_mocks, mp, NULL, NULL};
    rg_error err = {0};
    rg_policy *pol;
    rg_decision *d = NULL;
    char path[PATH_MAX];
    const char *want = expected_decision(tc);
    if (policy_path(tc, path, sizeof path, o) != 0)
        return;
    mp->calls = cJSON_CreateArray();
    pol = rg_policy_load_with_plugins(path, limits, now, plugins, &err);
    if (pol) {
        if (mp->mocks || mp->fns != LUA_NOREF || mp->real)
            pol->checks = &mocks;
        d = rg_evaluate(pol, ctx, &err);
    }
    if (!d) {
        if (pol && want && strcmp(want, "error") == 0)
            o->status = RG_TEST_PASS;
        else
            could_not_run(o, &err);
    } else {
        compare(tc, pol, d, mp->calls, o);
        o->status = cJSON_GetArraySize(o->problems) ? RG_TEST_FAIL : RG_TEST_PASS;
        trace_decision(o, d, mp->calls);
        if (coverage)
            cover(coverage, pol, d);
    }
    rg_decision_free(d);
    rg_policy_free(pol);
    rg_error_clear(&err);
}

void rg_test_run(const rg_test_case *tc, rg_sandbox *sb, const rg_plugins *plugins, const rg_limits *limits,
                 cJSON *coverage, rg_test_result *o)
{
    rg_error err = {0};
    rg_context_options copt;
    rg_context *ctx = NULL;
    mock_provider mp = {cJSON_GetObjectItemCaseSensitive(tc->spec, "mocks"),
                        cJSON_GetObjectItemCaseSensitive(tc->spec, "real"), sb, tc->mock_fns, NULL};
    int64_t now = (int64_t)time(NULL);

    memset(o, 0, sizeof *o);
    o->problems = cJSON_CreateArray();
    memset(&copt, 0, sizeof copt);
    copt.limits = limits;
    if (known_fields(tc, o) != 0 || real_or_mocked(&mp, plugins, o) != 0 || test_settings(tc, &copt, &now, o) != 0 ||
        test_context(tc, &copt, &ctx, o, &err) != 0)
        return;
    if (!ctx) {
        /* An invalid context may be exactly what the test is about. */
        const char *want = expected_decision(tc);
        if (want && strcmp(want, "error") == 0 && err.kind == RG_ERROR_CONTEXT)
            o->status = RG_TEST_PASS;
        else
            could_not_run(o, &err);
        rg_error_clear(&err);
        return;
    }
    evaluate_test(tc, &mp, plugins, limits, ctx, now, coverage, o);
    cJSON_Delete(mp.calls);
    rg_context_free(ctx);
}
