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
#include "policy.h"
#include "policylib.h"
#include "policytest.h"
#include "rfc3339.h"
#include "sandbox.h"

static const char KEY_CASES[] = "rg.test.cases";

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
    luaL_checktype(L, 1, LUA_TTABLE);
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
    cJSON_AddItemToArray(cases, entry);
    return 0;
}

static int test_decl(lua_State *L)
{
    lua_Debug ar;
    const char *file = "?";
    int line = 0;
    luaL_checkstring(L, 1);
    if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "Sl", &ar)) {
        file = ar.source[0] == '@' ? ar.source + 1 : ar.short_src;
        line = ar.currentline;
    }
    lua_settop(L, 1);
    lua_pushstring(L, file);
    lua_pushinteger(L, line);
    lua_getfield(L, LUA_REGISTRYINDEX, KEY_CASES);
    lua_pushcclosure(L, test_body, 4);
    return 1;
}

int rg_tests_load(const char *path, const rg_limits *limits, rg_test_case **out, size_t *count,
                  rg_error *err)
{
    char dir[PATH_MAX], chunk[PATH_MAX + 2];
    rg_sandbox *sb;
    cJSON *cases = cJSON_CreateArray(), *c;
    size_t n = 0;

    *out = NULL;
    *count = 0;
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
    lua_pushcfunction(sb->L, test_decl);
    rg_sandbox_set_builtin(sb, "test");
    snprintf(chunk, sizeof chunk, "@%s", path);
    if (rg_sandbox_load(sb, path, chunk, err) != 0 || rg_sandbox_call(sb, 0, 0, err) != 0) {
        if (!err->file[0])
            rg_strlcpy(err->file, path, sizeof err->file);
        rg_sandbox_free(sb);
        cJSON_Delete(cases);
        return -1;
    }
    rg_sandbox_free(sb);
    *out = calloc((size_t)cJSON_GetArraySize(cases) + 1, sizeof **out);
    if (!*out) {
        cJSON_Delete(cases);
        return rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory");
    }
    cJSON_ArrayForEach(c, cases) {
        rg_test_case *tc = &(*out)[n++];
        tc->name = strdup(rg_json_string(c, "name"));
        tc->file = strdup(rg_json_string(c, "file"));
        tc->line = (int)cJSON_GetObjectItemCaseSensitive(c, "line")->valuedouble;
        tc->spec = cJSON_DetachItemFromObjectCaseSensitive(c, "spec");
    }
    *count = n;
    cJSON_Delete(cases);
    return 0;
}

/* ---- Running one test ------------------------------------------------------------- */

static void problem(rg_test_result *o, const char *fmt, ...) RG_PRINTF(2, 3);

static void problem(rg_test_result *o, const char *fmt, ...)
{
    char text[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    cJSON_AddItemToArray(o->problems, cJSON_CreateString(text));
}

static void could_not_run(rg_test_result *o, const rg_error *err)
{
    o->status = RG_TEST_ERROR;
    problem(o, "could not run: %s", err->message);
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
    rg_beneath where = RG_BENEATH_OK;
    rg_path_dir(tc->file, dir, sizeof dir);
    if (!realpath(dir, root)) {
        problem(o, "could not run: cannot resolve the test file's directory %s", dir);
    } else if (rel[0] == '/') {
        problem(o, "could not run: %s '%s' is an absolute path: name it relative to the test file", what, rel);
    } else if ((where = rg_resolve_beneath(root, root, rel, NULL, real, sizeof real, NULL, 0, &errnum)) ==
               RG_BENEATH_LEAVES) {
        problem(o, "could not run: %s '%s' leaves the test file's directory", what, rel);
    } else if (where == RG_BENEATH_OUTSIDE) {
        problem(o, "could not run: %s '%s' is a symbolic link leading outside the test file's directory",
                what, rel);
    } else {
        /* a missing file is said by whatever opens it */
        beside(tc->file, rel, out, size);
        return 0;
    }
    o->status = RG_TEST_ERROR;
    return -1;
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

static void compare(const rg_test_case *tc, const rg_policy *pol, const rg_decision *d, rg_test_result *o)
{
    const cJSON *expect = cJSON_GetObjectItemCaseSensitive(tc->spec, "expect"), *item;
    const char *want = rg_json_string(expect, "decision");
    size_t checks = 0;   /* what the expectations check: none is a test that cannot fail */
    if (!cJSON_IsObject(expect)) {
        problem(o, "the test has no expect = { ... }: it cannot fail, so it is not a test");
        return;
    }
    checks += want != NULL;
    if (want && strcmp(want, rg_verdict_name(d->verdict)) != 0)
        problem(o, "decision: expected %s, got %s", want, rg_verdict_name(d->verdict));
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
    if (checks == 0)
        problem(o, "expect = { ... } checks nothing (empty lists): the test cannot fail, so it is not a test");
}

/* Mark requirement x type pairs the decision exercised. */
static void cover(cJSON *coverage, const rg_policy *pol, const rg_decision *d)
{
    cJSON *per_policy = cJSON_GetObjectItemCaseSensitive(coverage, pol->file);
    if (!per_policy) {
        per_policy = cJSON_AddObjectToObject(coverage, pol->file);
        for (size_t i = 0; i < pol->count; i++) {
            cJSON *types = cJSON_AddObjectToObject(per_policy, pol->reqs[i].id);
            for (int t = 0; t < 3; t++)
                if (pol->reqs[i].types & (1u << t))
                    cJSON_AddFalseToObject(types, rg_release_type_name((rg_release_type)(1u << t)));
        }
    }
    for (size_t i = 0; i < d->count; i++) {
        cJSON *types = cJSON_GetObjectItemCaseSensitive(per_policy, d->results[i].id);
        const char *type = rg_release_type_name(d->type);
        if (types && cJSON_GetObjectItemCaseSensitive(types, type))
            cJSON_ReplaceItemInObjectCaseSensitive(types, type, cJSON_CreateTrue());
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
 * interface the child processes answer through) that gives each job the test's result. */

static void mock_result(const cJSON *mocks, rg_job *job)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(mocks, job->check->name);
    const char *status = rg_json_string(m, "status"), *message = rg_json_string(m, "message");
    const cJSON *details = cJSON_GetObjectItemCaseSensitive(m, "details");
    char text[256];
    memset(&job->result, 0, sizeof job->result);
    job->result.status = RG_CHECK_ERROR;
    for (rg_check_status st = RG_CHECK_PASS; status && st <= RG_CHECK_ERROR; st++)
        if (strcmp(status, rg_check_status_name(st)) == 0)
            job->result.status = st;
    if (!m) {
        snprintf(text, sizeof text, "no mock for check %s in this test", job->check->name);
        message = text;
    } else if (!status || !message) {
        snprintf(text, sizeof text, "the mock for check %s is not a result: use pass(\"...\"), fail(\"...\")...",
                 job->check->name);
        message = text;
    }
    job->result.message = strdup(message);
    job->result.details = cJSON_IsObject(details) ? cJSON_Duplicate(details, 1) : cJSON_CreateObject();
    job->result.evidence = cJSON_CreateArray();
    job->result.context_reads = cJSON_CreateArray();
    cJSON_AddBoolToObject(job->result.details, "mocked", 1);
}

static void run_mocks(void *self, struct rg_job *jobs, size_t count, const rg_context *ctx, int64_t now,
                      const rg_limits *limits)
{
    (void)ctx;
    (void)now;
    (void)limits;
    for (size_t j = 0; j < count; j++)
        mock_result(self, &jobs[j]);
}

void rg_test_run(const rg_test_case *tc, const rg_plugins *plugins, const rg_limits *limits,
                 cJSON *coverage, rg_test_result *o)
{
    static const char *const spec_fields[] = {"policy", "context", "stage", "type", "now", "mocks", "expect", NULL};
    static const char *const expect_fields[] = {"decision", "requirements", "messages", "actions", "rollback", NULL};
    rg_error err = {0};
    rg_context_options copt;
    rg_context *ctx = NULL;
    rg_policy *pol = NULL;
    rg_decision *d = NULL;
    const cJSON *context = cJSON_GetObjectItemCaseSensitive(tc->spec, "context");
    const char *now_text = rg_json_string(tc->spec, "now");
    /* cJSON's getter takes a non-const object; the mocks are only read. */
    rg_check_provider mocks = {run_mocks, cJSON_GetObjectItemCaseSensitive(tc->spec, "mocks")};
    char path[PATH_MAX], display[PATH_MAX + 32], why_buf[64];
    const char *why = why_buf;
    int64_t now = (int64_t)time(NULL);

    memset(o, 0, sizeof *o);
    o->problems = cJSON_CreateArray();
    {
        const char *bad = unknown_field(tc->spec, spec_fields);
        const cJSON *expect = cJSON_GetObjectItemCaseSensitive(tc->spec, "expect");
        if (!bad && cJSON_IsObject(expect))
            bad = unknown_field(expect, expect_fields);
        if (bad) {
            o->status = RG_TEST_ERROR;
            problem(o, "could not run: unknown field '%s' (test: policy, context, stage, type, now, mocks, expect; "
                       "expect: decision, requirements, messages, actions, rollback)", bad);
            return;
        }
    }
    memset(&copt, 0, sizeof copt);
    copt.limits = limits;
    copt.stage = rg_stage_parse(rg_json_string(tc->spec, "stage"));
    copt.type = rg_release_type_parse(rg_json_string(tc->spec, "type"));
    if (rg_json_string(tc->spec, "stage") && !copt.stage) {
        o->status = RG_TEST_ERROR;
        problem(o, "could not run: stage '%s' is not pre-release, deploy or post-deploy", rg_json_string(tc->spec, "stage"));
        return;
    }
    if (rg_json_string(tc->spec, "type") && !copt.type) {
        o->status = RG_TEST_ERROR;
        problem(o, "could not run: type '%s' is not patch, minor or major", rg_json_string(tc->spec, "type"));
        return;
    }
    if (now_text && rg_rfc3339_parse(now_text, &now, &why) != 0) {
        o->status = RG_TEST_ERROR;
        problem(o, "could not run: now '%s' is not an RFC 3339 time", now_text);
        return;
    }
    snprintf(display, sizeof display, "%s:%d", tc->file, tc->line);
    if (cJSON_IsString(context)) {
        if (test_file_path(tc, "context", context->valuestring, path, sizeof path, o) != 0)
            return;
        ctx = rg_context_load(path, &copt, &err);
        if (!ctx && err.kind != RG_ERROR_IO && err.kind != RG_ERROR_INTERNAL) {
            /* Say where, not what: the message may quote the file's bytes. */
            rg_error_kind kind = err.kind;
            int line = err.line, column = err.column;
            rg_error_clear(&err);
            rg_fail(&err, kind, path, line, column, "context %s is not a usable release context (%s error at "
                    "line %d, column %d; relgate eval --context %s says why)", path, rg_error_kind_name(kind),
                    line, column, path);
        }
    } else if (cJSON_IsObject(context)) {
        char *text = cJSON_PrintUnformatted(context);
        ctx = text ? rg_context_parse(text, strlen(text), display, tc->file, &copt, &err) : NULL;
        free(text);
    } else {
        rg_fail(&err, RG_ERROR_USAGE, tc->file, tc->line, 0, "the test gives no context (a table, or a file name)");
    }
    if (!ctx) {
        /* An invalid context may be exactly what the test is about. */
        const cJSON *expect = cJSON_GetObjectItemCaseSensitive(tc->spec, "expect");
        const char *want = rg_json_string(expect, "decision");
        if (want && strcmp(want, "error") == 0 && err.kind == RG_ERROR_CONTEXT) {
            o->status = RG_TEST_PASS;
        } else {
            could_not_run(o, &err);
        }
        rg_error_clear(&err);
        return;
    }
    if (policy_path(tc, path, sizeof path, o) != 0) {
        rg_context_free(ctx);
        return;
    }
    pol = rg_policy_load_with_plugins(path, limits, now, plugins, &err);
    if (pol) {
        if (mocks.self)
            pol->checks = &mocks;   /* the test answers the plugin checks */
        d = rg_evaluate(pol, ctx, &err);
    }
    if (!d) {
        const char *want = rg_json_string(cJSON_GetObjectItemCaseSensitive(tc->spec, "expect"), "decision");
        if (pol && want && strcmp(want, "error") == 0)
            o->status = RG_TEST_PASS;
        else
            could_not_run(o, &err);
    } else {
        compare(tc, pol, d, o);
        o->status = cJSON_GetArraySize(o->problems) ? RG_TEST_FAIL : RG_TEST_PASS;
        if (coverage)
            cover(coverage, pol, d);
    }
    rg_decision_free(d);
    rg_policy_free(pol);
    rg_context_free(ctx);
    rg_error_clear(&err);
}
