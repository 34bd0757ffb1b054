/* Unit tests for core/sandbox.c, through policies loaded with rg_policy_load: the
 * globals a policy sees, read-only data, limits, errors and require(). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "context.h"
#include "decision.h"
#include "policy.h"
#include "rgtest.h"

#define NOW 1750000000 /* 2025-06-15T15:06:40Z */

/* ---- Fixture: the shared one (tests/support/rgtest.h) under this file's names ------- */

typedef rgt_fixture fixture;
#define fmt rgt_fmt
#define at rgt_at
#define put_file rgt_put_file
#define child_defaults rgt_child_defaults

RGT_FIXTURE(setup, teardown, "rg-sandbox", NULL)

/* A requirement whose check runs BODY (Lua statements; ctx is in scope). */
#define REQ(body) "requirement \"r\" { title = \"R\", check = function(ctx) " body " end }\n"
/* A requirement that always passes: a policy must declare one. */
#define OK_REQ REQ("return pass('ok')")

static const char context_json[] =
    "{\"release\": {\"name\": \"payments\", \"version\": \"2.4.0\", \"previous_version\": \"2.3.8\",\n"
    "  \"type\": \"minor\", \"author\": \"dlee\"},\n"
    " \"approvals\": [{\"user\": \"mkhan\", \"role\": \"release-manager\", \"state\": \"approved\"},\n"
    "                {\"user\": \"ajones\", \"role\": \"qa\", \"state\": \"approved\"}],\n"
    " \"changes\": [{\"id\": \"#1\", \"merged\": true}],\n"
    " \"nothing\": null}\n";

/* Write TEXT to p.lua (in the fixture) and load it with LIMITS (NULL: defaults). */
static rg_policy *load_limited(fixture *f, const char *text, const rg_limits *limits)
{
    rg_policy_free(f->pol);
    rg_error_clear(&f->err);
    f->pol = rgt_load_policy(f->path, "p.lua", text, limits, NOW, &f->err);
    return f->pol;
}

static rg_policy *load_ok(fixture *f, const char *text)
{
    if (!load_limited(f, text, NULL))
        fail_msg("policy refused: %s", f->err.message);
    return f->pol;
}

/* Loading TEXT fails with KIND at LINE of p.lua, the message containing WHAT. */
static void load_fails(fixture *f, const char *text, rg_error_kind kind, int line, const char *what)
{
    if (load_limited(f, text, NULL))
        fail_msg("policy accepted, expected: %s", what);
    if (f->err.kind != kind)
        fail_msg("kind %s, expected %s: %s", rg_error_kind_name(f->err.kind), rg_error_kind_name(kind),
                 f->err.message);
    if (line) { /* 0: the error is placed elsewhere (a module) */
        assert_string_equal(f->err.file, at(f, "p.lua"));
        assert_int_equal(f->err.line, line);
    }
    assert_contains(f->err.message, what);
}

/* Load TEXT and evaluate it against the standard context; NULL with f->err on error. */
static rg_decision *eval_limited(fixture *f, const char *text, const rg_limits *limits)
{
    if (!load_limited(f, text, limits))
        fail_msg("policy refused: %s", f->err.message);
    rg_context_free(f->ctx);
    f->ctx = rgt_load_context(f->path, "ctx.json", context_json, NULL, &f->err);
    if (!f->ctx)
        fail_msg("context refused: %s", f->err.message);
    rg_decision_free(f->d);
    f->d = rg_evaluate(f->pol, f->ctx, &f->err);
    return f->d;
}

static rg_decision *eval_ok(fixture *f, const char *text)
{
    if (!eval_limited(f, text, NULL))
        fail_msg("evaluation failed: %s", f->err.message);
    return f->d;
}

/* The single result's details as compact JSON (static buffer). */
static const char *details_of(fixture *f, const char *text)
{
    static char buf[4096];
    char *printed;
    eval_ok(f, text);
    assert_int_equal(f->d->count, 1);
    printed = cJSON_PrintUnformatted(f->d->results[0].details);
    fmt(buf, sizeof buf, "%s", printed);
    free(printed);
    return buf;
}

/* Evaluating TEXT fails with KIND, the message containing WHAT. */
static void eval_fails(fixture *f, const char *text, const rg_limits *limits, rg_error_kind kind,
                       const char *what)
{
    if (eval_limited(f, text, limits))
        fail_msg("evaluation succeeded, expected: %s", what);
    if (f->err.kind != kind)
        fail_msg("kind %s, expected %s: %s", rg_error_kind_name(f->err.kind), rg_error_kind_name(kind),
                 f->err.message);
    assert_contains(f->err.message, what);
}

/* ---- Globals --------------------------------------------------------------------- */

static void test_builtins_present(void **state)
{
    fixture *f = *state;
    load_ok(f,
            "local names = { assert = assert, error = error, getmetatable = getmetatable,\n"
            "  ipairs = ipairs, next = next, pairs = pairs, rawequal = rawequal, rawget = rawget,\n"
            "  rawlen = rawlen, select = select, tonumber = tonumber, tostring = tostring,\n"
            "  type = type, pcall = pcall, xpcall = xpcall, setmetatable = setmetatable,\n"
            "  print = print, require = require, pass = pass, fail = fail, warn = warn,\n"
            "  skip = skip, find = find, filter = filter, policy = policy, requirement = requirement }\n"
            "for name, fn in pairs(names) do assert(type(fn) == 'function', name) end\n"
            "assert(_VERSION == 'Lua 5.4')\n"
            "for _, lib in ipairs { string, table, math, utf8, os, semver, time, evidence,\n"
            "                       markdown, approvals } do assert(type(lib) == 'table') end\n"
            "assert(string.format('%d-%s', 4, 'x') == '4-x')\n"
            "assert(table.concat({ 'a', 'b' }, ',') == 'a,b')\n"
            "assert(math.floor(2.7) == 2 and math.maxinteger > 0)\n"
            "assert(utf8.char(233) == '\\u{e9}')\n"
            "assert(type(os.time) == 'function' and type(os.date) == 'function' and type(os.clock) == 'function')\n"
            OK_REQ);
}

static void test_absent_builtins_are_undefined(void **state)
{
    fixture *f = *state;
    static const char *const names[] = {"io", "load", "loadfile", "dofile", "debug", "package",
                                        "collectgarbage", "coroutine", "rawset", "loadstring",
                                        "module", "arg", "_G"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char text[256], want[128];
        fmt(text, sizeof text, "-- line 1\nlocal x = %s\n" OK_REQ, names[i]);
        fmt(want, sizeof want, "%s:2: undefined global '%s'", at(f, "p.lua"), names[i]);
        load_fails(f, text, RG_ERROR_POLICY, 2, want);
    }
}

static void test_undefined_global_message(void **state)
{
    fixture *f = *state;
    char want[PATH_MAX + 64];
    load_fails(f, "local a = 1\n\nlocal b = aproval\n" OK_REQ, RG_ERROR_POLICY, 3, "undefined global 'aproval'");
    fmt(want, sizeof want, "%s:3: undefined global 'aproval'", at(f, "p.lua"));
    assert_string_equal(f->err.message, want);
    assert_non_null(f->err.traceback);
}

static void test_undefined_global_in_check(void **state)
{
    fixture *f = *state;
    eval_fails(f, "requirement \"r\" { title = \"R\", check = function(ctx)\n"
                  "  return pas('typo')\n"
                  "end }\n", NULL, RG_ERROR_POLICY, "undefined global 'pas'");
    assert_string_equal(f->err.file, at(f, "p.lua"));
    assert_int_equal(f->err.line, 2);
}

static void test_os_is_restricted(void **state)
{
    fixture *f = *state;
    assert_string_equal(details_of(f, REQ("return pass('ok', { execute = os.execute == nil, getenv = os.getenv == nil,"
                                          " exit = os.exit == nil, remove = os.remove == nil, rename = os.rename == nil,"
                                          " tmpname = os.tmpname == nil, setlocale = os.setlocale == nil })")),
                        "{\"execute\":true,\"exit\":true,\"getenv\":true,\"remove\":true,\"rename\":true,"
                        "\"setlocale\":true,\"tmpname\":true}");
}

static void test_os_time_and_date_use_evaluation_clock(void **state)
{
    fixture *f = *state;
    assert_string_equal(details_of(f, REQ("return pass('ok', { now = os.time(), date = os.date('%Y-%m-%d %H:%M:%S'),"
                                          " utc = os.date('!%H'), at = os.date('%Y', 0),"
                                          " table = os.time { year = 2025, month = 6, day = 10, hour = 13 },"
                                          " noon = os.time { year = 2025, month = 6, day = 10 } })")),
                        "{\"at\":\"1970\",\"date\":\"2025-06-15 15:06:40\",\"noon\":1749556800,"
                        "\"now\":1750000000,\"table\":1749560400,\"utc\":\"15\"}");
}

static void test_string_metatable_hidden(void **state)
{
    fixture *f = *state;
    assert_string_equal(details_of(f, REQ("return pass('ok', { meta = getmetatable(''),"
                                          " upper = ('abc'):upper(), rep = ('ab'):rep(2),"
                                          " dump = string.dump == nil })")),
                        "{\"dump\":true,\"meta\":false,\"rep\":\"abab\",\"upper\":\"ABC\"}");
}

/* string.dump is left out of the string library; method syntax on a string must not
 * reach it through the string metatable's full library table either. */
static void test_string_dump_unreachable_through_methods(void **state)
{
    fixture *f = *state;
    assert_string_equal(details_of(f, REQ("return pass('ok', { dump = type(('').dump) })")),
                        "{\"dump\":\"nil\"}");
}

static void test_libraries_are_read_only(void **state)
{
    fixture *f = *state;
    load_fails(f, "string.upper = nil\n" OK_REQ, RG_ERROR_POLICY, 1,
               "attempt to modify read-only table (field 'upper')");
    load_fails(f, "math.pi = 3\n" OK_REQ, RG_ERROR_POLICY, 1, "read-only");
    load_fails(f, "table.insert(os, 1)\n" OK_REQ, RG_ERROR_POLICY, 1, "read-only");
    load_fails(f, "semver.extra = 1\n" OK_REQ, RG_ERROR_POLICY, 1, "read-only");
    load_fails(f, "evidence.read = print\n" OK_REQ, RG_ERROR_POLICY, 1, "read-only");
    load_fails(f, "setmetatable(string, {})\n" OK_REQ, RG_ERROR_POLICY, 1, "cannot change a protected metatable");
}

static void test_builtins_cannot_be_redefined(void **state)
{
    fixture *f = *state;
    load_fails(f, "print = function() end\n" OK_REQ, RG_ERROR_POLICY, 1, "cannot redefine builtin 'print'");
    load_fails(f, "pass = fail\n" OK_REQ, RG_ERROR_POLICY, 1, "cannot redefine builtin 'pass'");
    load_fails(f, "require = nil\n" OK_REQ, RG_ERROR_POLICY, 1, "cannot redefine builtin 'require'");
}

static void test_globals_assignable_while_loading(void **state)
{
    fixture *f = *state;
    assert_string_equal(details_of(f, "LIMIT = 3\nfunction double(x) return 2 * x end\n"
                                      REQ("return pass('ok', { v = double(LIMIT) })")),
                        "{\"v\":6}");
}

static void test_global_assignment_refused_in_check(void **state)
{
    fixture *f = *state;
    eval_fails(f, "counter = 0\n" REQ("counter = counter + 1 return pass('ok')"), NULL, RG_ERROR_POLICY,
               "cannot assign global 'counter' while checks run: use a local");
    eval_fails(f, REQ("fresh = 1 return pass('ok')"), NULL, RG_ERROR_POLICY,
               "cannot assign global 'fresh' while checks run");
}

static void test_environment_metatable_protected(void **state)
{
    fixture *f = *state;
    assert_string_equal(details_of(f, REQ("return pass('ok', { env = getmetatable(_ENV),"
                                          " raw = rawget(_ENV, 'pass') == nil })")),
                        "{\"env\":\"protected\",\"raw\":true}");
}

/* ---- The read-only context ------------------------------------------------------------ */

static void test_context_readable(void **state)
{
    fixture *f = *state;
    assert_string_equal(details_of(f, REQ("local users = {}\n"
                                          "for i, a in ipairs(ctx.approvals) do users[i] = a.user end\n"
                                          "local keys = 0 for _ in pairs(ctx.release) do keys = keys + 1 end\n"
                                          "return pass('ok', { name = ctx.release.name, n = #ctx.approvals,"
                                          " users = users, keys = keys, merged = ctx.changes[1].merged,"
                                          " nothing = ctx.nothing == nil, stage = ctx.stage, now = ctx.now,"
                                          " type = ctx.release.type })")),
                        "{\"keys\":5,\"merged\":true,\"n\":2,\"name\":\"payments\",\"nothing\":true,"
                        "\"now\":1750000000,\"stage\":\"pre-release\",\"type\":\"minor\","
                        "\"users\":[\"mkhan\",\"ajones\"]}");
}

static void test_context_read_only(void **state)
{
    fixture *f = *state;
    eval_fails(f, REQ("ctx.release.name = 'other' return pass('ok')"), NULL, RG_ERROR_POLICY,
               "attempt to modify read-only table (field 'name')");
    eval_fails(f, REQ("ctx.extra = 1 return pass('ok')"), NULL, RG_ERROR_POLICY,
               "attempt to modify read-only table (field 'extra')");
    eval_fails(f, REQ("table.insert(ctx.approvals, { user = 'me' }) return pass('ok')"), NULL,
               RG_ERROR_POLICY, "read-only");
    eval_fails(f, REQ("ctx.approvals[1].state = 'approved' return pass('ok')"), NULL,
               RG_ERROR_POLICY, "read-only");
    eval_fails(f, REQ("table.sort(ctx.approvals, function(a, b) return a.user < b.user end) return pass('ok')"),
               NULL, RG_ERROR_POLICY, "read-only");
    eval_fails(f, REQ("setmetatable(ctx, nil) return pass('ok')"), NULL, RG_ERROR_POLICY,
               "cannot change a protected metatable");
}

/* Raw access reads what a view shows (rawset does not exist): rawget/rawlen/next that
 * saw an empty table would read a read-only table as empty. */
static void test_context_raw_access_reads_the_view(void **state)
{
    fixture *f = *state;
    assert_string_equal(details_of(f, REQ("return pass('ok', { raw = json.type(rawget(ctx, 'release')),"
                                          " len = rawlen(ctx.approvals), first = next(ctx.approvals),"
                                          " meta = getmetatable(ctx) })")),
                        "{\"first\":1,\"len\":2,\"meta\":\"read-only\",\"raw\":\"object\"}");
}

/* ipairs and pairs over a JSON array visit every item up to its length, a null one as
 * nil: Lua's ipairs stopped at the first nil, and a failed item listed after a null went
 * unseen (differential round 10, F3).  A table the policy made keeps Lua's ipairs. */
static void test_json_array_iteration_sees_past_nulls(void **state)
{
    fixture *f = *state;
    assert_string_equal(details_of(f, REQ("local a, s, p, own = json.decode('[1, null, 3, null]'), {}, {}, 0\n"
                                          "for i, v in ipairs(a) do s[#s + 1] = i .. '=' .. tostring(v) end\n"
                                          "for k, v in pairs(a) do p[#p + 1] = k .. '=' .. tostring(v) end\n"
                                          "for _ in ipairs({ 1, nil, 3 }) do own = own + 1 end\n"
                                          "for _ in ipairs(json.decode('[]')) do own = own + 100 end\n"
                                          "return pass('ok', { ipairs = table.concat(s, ' '), pairs = table.concat(p, ' '),"
                                          " own = own, len = #a })")),
                        "{\"ipairs\":\"1=1 2=nil 3=3 4=nil\",\"len\":4,\"own\":1,"
                        "\"pairs\":\"1=1 2=nil 3=3 4=nil\"}");
}

static void test_context_unchanged_between_checks(void **state)
{
    fixture *f = *state;
    eval_ok(f, "requirement \"a\" { title = \"A\", check = function(ctx)\n"
               "  pcall(function() ctx.release.name = 'x' end)\n"
               "  return pass(ctx.release.name) end }\n"
               "requirement \"b\" { title = \"B\", check = function(ctx) return pass(ctx.release.name) end }\n");
    assert_string_equal(f->d->results[0].message, "payments");
    assert_string_equal(f->d->results[1].message, "payments");
}

/* ---- Frozen state: nothing a check can reach carries state to the next check ------------- */

/* Requirement ID whose check runs BODY. */
#define REQ_ID(id, body) "requirement \"" id "\" { title = \"T\", check = function(ctx) " body " end }\n"

static void test_module_table_frozen_in_check(void **state)
{
    fixture *f = *state;
    put_file(f, "lib/state.lua", "return { count = 0 }\n");
    eval_fails(f, "local M = require 'lib.state'\n" REQ("M.count = M.count + 1 return pass('ok')"), NULL,
               RG_ERROR_POLICY, "cannot modify module/global table (field 'count') while checks run");
    assert_string_equal(f->err.file, at(f, "p.lua"));
    assert_int_equal(f->err.line, 2);
}

/* The order of requirements cannot change a result: b reads what a tried to leave, first
 * after a and then alone. */
static void test_requirement_order_cannot_leak(void **state)
{
    fixture *f = *state;
    const char *reader = REQ_ID("b", "return pass(tostring(T.mark) .. ' ' .. tostring(n))");
    const char *writer = REQ_ID("a", "pcall(function() T.mark = 'left' end) return pass('a')");
    char text[2048];
    put_file(f, "lib/t.lua", "return {}\n");
    fmt(text, sizeof text, "local T = require 'lib.t'\nlocal n = 0\n%s%s", writer, reader);
    eval_ok(f, text);
    assert_string_equal(f->d->results[1].message, "nil 0");
    fmt(text, sizeof text, "local T = require 'lib.t'\nlocal n = 0\n%s", reader);
    eval_ok(f, text);
    assert_string_equal(f->d->results[0].message, "nil 0");
}

static void test_upvalue_counter_is_an_error_and_restored(void **state)
{
    fixture *f = *state;
    eval_fails(f, "local n = 0\n" REQ("n = n + 1 return pass(tostring(n))"), NULL, RG_ERROR_POLICY,
               "a check changed 'n', a variable the policy set while loading");
    assert_int_equal(f->err.line, 2); /* the check's function */
    /* Put back: the same policy, evaluated again, sees n == 0 (and fails the same way). */
    rg_decision_free(f->d);
    rg_error_clear(&f->err);
    f->d = rg_evaluate(f->pol, f->ctx, &f->err);
    assert_null(f->d);
    assert_contains(f->err.message, "a check changed 'n'");
    /* A check that changes a variable and sets it back leaves nothing: no error. */
    eval_ok(f, "local n = 0\n" REQ("n = n + 1 n = n - 1 return pass(tostring(n))"));
    assert_string_equal(f->d->results[0].message, "0");
}

/* Each check is compared for what it can reach (not the whole policy): the ways a check
 * reaches a variable -- a metatable's __index function, a function a global holds, a
 * function in a module's table, a memoized function -- all count. */
static void test_reachable_variables_are_watched(void **state)
{
    fixture *f = *state;
    put_file(f, "lib/counter.lua", "local n = 0\nlocal M = {}\nfunction M.bump() n = n + 1 return n end\nreturn M\n");
    eval_fails(f, "local n = 0\nlocal T = setmetatable({}, { __index = function() n = n + 1 return n end })\n"
                  REQ_ID("plain", "return pass('ok')") REQ_ID("meta", "return pass(tostring(T.x))"),
               NULL, RG_ERROR_POLICY, "a check changed 'n'");
    eval_fails(f, "local n = 0\nfunction bump() n = n + 1 return n end\n"
                  REQ_ID("global", "return pass(tostring(bump()))"),
               NULL, RG_ERROR_POLICY, "a check changed 'n'");
    eval_fails(f, REQ_ID("module", "return pass(tostring(require('lib.counter').bump()))")
                  "local unused = require 'lib.counter'\n",
               NULL, RG_ERROR_POLICY, "a check changed 'n'");
    eval_fails(f, "local n = 0\nlocal m = memo(function(x) n = n + 1 return x end)\n"
                  REQ_ID("memo", "return pass(tostring(m(ctx.release.name)))"),
               NULL, RG_ERROR_POLICY, "a check changed 'n'");
}

/* Per-call state stays possible: locals and closures made inside the check. */
static void test_locals_and_closures_in_check_work(void **state)
{
    fixture *f = *state;
    eval_ok(f, REQ("local n = 0 local function inc() n = n + 1 end inc() inc()"
                   " local t = {} t.x = n return pass(tostring(t.x))"));
    assert_string_equal(f->d->results[0].message, "2");
}

/* Reading frozen tables works as before: fields, #, pairs, ipairs, next, rawget, rawlen,
 * table.concat/unpack, string methods on their strings, json.type, JSON details. */
static void test_frozen_tables_read_as_before(void **state)
{
    fixture *f = *state;
    put_file(f, "lib/m.lua", "return { list = { 'a', 'b', 'c' }, name = 'm', nested = { deep = { v = 1 } } }\n");
    assert_string_equal(details_of(f, "local M = require 'lib.m'\nlocal EMPTY = {}\n"
        REQ("local keys = 0 for _ in pairs(M) do keys = keys + 1 end\n"
            "local items = 0 for _, v in ipairs(M.list) do items = items + 1 end\n"
            "return pass('ok', { len = #M.list, keys = keys, items = items, next = next(M) ~= nil,"
            " empty = next(EMPTY) == nil, raw = rawget(M, 'name'), rawlen = rawlen(M.list),"
            " cat = table.concat(M.list, ','), n = select('#', table.unpack(M.list)),"
            " upper = M.name:upper(), jt = json.type(M), deep = M.nested.deep.v, list = M.list })")),
        "{\"cat\":\"a,b,c\",\"deep\":1,\"empty\":true,\"items\":3,\"jt\":\"table\",\"keys\":3,"
        "\"len\":3,\"list\":[\"a\",\"b\",\"c\"],\"n\":3,\"next\":true,\"raw\":\"m\",\"rawlen\":3,"
        "\"upper\":\"M\"}");
}

/* A class table works as a metatable once frozen; getmetatable answers as before; its
 * metatable cannot be replaced; its "__" fields cannot be changed for the next check. */
static void test_frozen_metatables(void **state)
{
    fixture *f = *state;
    const char *cls = "local Class = {}\nClass.__index = Class\n"
                      "function Class.new(v) return setmetatable({ v = v }, Class) end\n"
                      "function Class:get() return self.v end\n"
                      "local made = Class.new(7)\n"
                      "local Tagged = setmetatable({}, { __tostring = function() return 'tagged' end,"
                      " __index = function(_, k) return k .. '!' end })\n";
    char text[2048];
    fmt(text, sizeof text, "%s%s", cls,
        REQ("local o = Class.new(5) return pass('ok', { get = o:get(), made = made:get(),"
            " same = getmetatable(o) == Class and getmetatable(made) == Class,"
            " tag = tostring(Tagged), miss = Tagged.hi })"));
    assert_string_equal(details_of(f, text),
                        "{\"get\":5,\"made\":7,\"miss\":\"hi!\",\"same\":true,\"tag\":\"tagged\"}");
    fmt(text, sizeof text, "%s%s", cls, REQ("setmetatable(Class, nil) return pass('ok')"));
    eval_fails(f, text, NULL, RG_ERROR_POLICY, "cannot change a protected metatable");
    fmt(text, sizeof text, "%s%s", cls, REQ("Class.__index = { leaked = true } return pass('ok')"));
    eval_fails(f, text, NULL, RG_ERROR_POLICY, "a check changed field '__index' of a frozen table");
    fmt(text, sizeof text, "%s%s", cls, REQ("getmetatable(made).extra = 1 return pass('ok')"));
    eval_fails(f, text, NULL, RG_ERROR_POLICY, "cannot modify module/global table (field 'extra')");
}

/* A result made while loading and kept works as one (it is frozen like everything else). */
static void test_result_kept_from_load(void **state)
{
    fixture *f = *state;
    eval_ok(f, "local OK = pass('kept', { n = 1 })\n" REQ("return OK"));
    assert_string_equal(f->d->results[0].message, "kept");
    eval_fails(f, "local OK = pass('kept')\n" REQ("OK.message = 'changed' return OK"), NULL, RG_ERROR_POLICY,
               "cannot modify module/global table (field 'message')");
}

/* memo: one computation per arguments, shared by checks; results read-only; only at load. */
static void test_memo(void **state)
{
    fixture *f = *state;
    eval_ok(f, "local twice = memo(function(s, k) return { v = s .. s, k = k } end)\n"
               "local either = memo(function(a, b) return a or b end)\n"
               REQ_ID("a", "local r1, r2 = twice('ab', 1), twice('ab', 1)"
                           " return pass(r1.v .. ' ' .. tostring(r1 == r2) .. ' ' .. tostring(twice('ab', 2) == r1)"
                           " .. ' ' .. tostring(either(nil, 'b')) .. tostring(either(nil, nil)))")
               REQ_ID("b", "return pass(tostring(twice('ab', 1) == twice('ab', 1)))"));
    assert_string_equal(f->d->results[0].message, "abab true false bnil");
    assert_string_equal(f->d->results[1].message, "true");
    eval_fails(f, "local f = memo(function() return { 1 } end)\n" REQ("f()[1] = 2 return pass('ok')"), NULL,
               RG_ERROR_POLICY, "cannot modify module/global table");
    /* A "__" field of a result stays raw (for use as a metatable): changing it is found too. */
    eval_fails(f, "local f = memo(function() return { __tag = 1 } end)\n" REQ("f().__tag = 2 return pass('ok')"),
               NULL, RG_ERROR_POLICY, "a check changed field '__tag' of a frozen table");
    eval_fails(f, "local f = memo(function() return function() end end)\n" REQ("f() return pass('ok')"), NULL,
               RG_ERROR_POLICY, "may return only data");
    eval_fails(f, REQ("memo(print) return pass('ok')"), NULL, RG_ERROR_POLICY,
               "memo() can only be used while the policy loads");
    /* ctx as an argument: a per-decision entry, and evidence is readable then. */
    eval_ok(f, "local name = memo(function(ctx) return ctx.release.name end)\n"
               REQ("return pass(name(ctx))"));
    assert_string_equal(f->d->results[0].message, "payments");
}

/* ---- Metatables and errors ------------------------------------------------------------ */

static void test_gc_metamethod_refused(void **state)
{
    fixture *f = *state;
    load_fails(f, "local t = setmetatable({}, { __gc = function() end })\n" OK_REQ, RG_ERROR_POLICY, 1,
               "__gc metamethods are not allowed in policies");
    load_fails(f, "local t = setmetatable({}, { __gc = true })\n" OK_REQ, RG_ERROR_POLICY, 1, "__gc");
}

static void test_setmetatable_works_otherwise(void **state)
{
    fixture *f = *state;
    assert_string_equal(details_of(f, REQ("local t = setmetatable({}, { __index = function(_, k) return k .. '!' end })\n"
                                          "return pass('ok', { v = t.hi })")),
                        "{\"v\":\"hi!\"}");
}

static void test_pcall_catches_ordinary_errors(void **state)
{
    fixture *f = *state;
    assert_string_equal(details_of(f, REQ("local ok, e = pcall(error, 'plain', 0)\n"
                                          "local ok2, v = pcall(function(a, b) return a + b end, 2, 3)\n"
                                          "local ok3, e3 = xpcall(function() error({}) end, function(m) return 'handled' end)\n"
                                          "local ok4, e4 = pcall(function() return nil + 1 end)\n"
                                          "return pass('ok', { ok = ok, e = e, ok2 = ok2, v = v, ok3 = ok3, e3 = e3,"
                                          " ok4 = ok4, e4 = e4 ~= nil })")),
                        "{\"e\":\"plain\",\"e3\":\"handled\",\"e4\":true,\"ok\":false,\"ok2\":true,"
                        "\"ok3\":false,\"ok4\":false,\"v\":5}");
}

static void test_syntax_error_file_and_line(void **state)
{
    fixture *f = *state;
    load_fails(f, "local ok = 1\nlocal x = = 2\n" OK_REQ, RG_ERROR_POLICY, 2, "unexpected symbol near '='");
    assert_contains(f->err.message, at(f, "p.lua"));
}

static void test_runtime_error_at_load(void **state)
{
    fixture *f = *state;
    char want[PATH_MAX + 64];
    load_fails(f, "local a = 1\nlocal b = 2\n\nerror('stop here')\n" OK_REQ, RG_ERROR_POLICY, 4, "stop here");
    fmt(want, sizeof want, "%s:4: stop here", at(f, "p.lua"));
    assert_string_equal(f->err.message, want);
    assert_non_null(f->err.traceback);
    assert_contains(f->err.traceback, "stack traceback");
}

static void test_error_with_non_string_value(void **state)
{
    fixture *f = *state;
    load_fails(f, "error({ code = 1 })\n" OK_REQ, RG_ERROR_POLICY, 1, "error object is a table value");
    load_fails(f, "error(setmetatable({}, { __tostring = function() return 'hostile' end }))\n" OK_REQ,
               RG_ERROR_POLICY, 1, "error object is a table value");
}

static void test_error_with_level_zero_still_placed(void **state)
{
    fixture *f = *state;
    char want[PATH_MAX + 64];
    load_fails(f, "\nerror('bare', 0)\n" OK_REQ, RG_ERROR_POLICY, 2, "bare");
    fmt(want, sizeof want, "%s:2: bare", at(f, "p.lua"));
    assert_string_equal(f->err.message, want);
}

static void test_long_error_message_truncated(void **state)
{
    fixture *f = *state;
    load_fails(f, "error(string.rep('x', 5000))\n" OK_REQ, RG_ERROR_POLICY, 1, "(error message truncated)");
    assert_true(strlen(f->err.message) < RG_ERROR_MESSAGE_MAX);
}

/* Lua shortens chunk names to 60 characters ("...long/path"); the error must still
 * name the policy file as given. */
static void test_error_names_long_path_in_full(void **state)
{
    fixture *f = *state;
    char rel[256], want[PATH_MAX + 64];
    const char *path;
    fmt(rel, sizeof rel, "%s/%s/policy.lua", "a-directory-name-long-enough-to-matter",
        "and-a-second-level-that-pushes-past-sixty-characters");
    put_file(f, rel, "local x = 1\nerror('boom')\n" OK_REQ);
    path = at(f, rel);
    f->pol = rg_policy_load(path, NULL, NOW, &f->err);
    assert_null(f->pol);
    assert_int_equal(f->err.kind, RG_ERROR_POLICY);
    assert_int_equal(f->err.line, 2);
    assert_string_equal(f->err.file, path);
    fmt(want, sizeof want, "%s:2: boom", path);
    assert_string_equal(f->err.message, want);
}

static void test_bytecode_refused(void **state)
{
    fixture *f = *state;
    load_fails(f, "\x1bLua\x54\x00 not really bytecode", RG_ERROR_POLICY, 1,
               "precompiled Lua bytecode is not accepted; policies load as text");
}

static void test_print_goes_to_stderr_with_place(void **state)
{
    fixture *f = *state;
    char captured[512] = "", want[PATH_MAX + 64];
    int saved = dup(STDERR_FILENO), fd;
    ssize_t n;
    put_file(f, "stderr.txt", "");
    fd = open(at(f, "stderr.txt"), O_WRONLY | O_TRUNC);
    assert_true(fd >= 0 && saved >= 0);
    fflush(stderr);
    dup2(fd, STDERR_FILENO);
    close(fd);
    put_file(f, "p.lua", "\nprint('hello', 42, true)\n" OK_REQ);
    f->pol = rg_policy_load(at(f, "p.lua"), NULL, NOW, &f->err);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    assert_non_null(f->pol);
    fd = open(at(f, "stderr.txt"), O_RDONLY);
    n = read(fd, captured, sizeof captured - 1);
    close(fd);
    assert_true(n > 0);
    captured[n] = '\0';
    fmt(want, sizeof want, "policy: %s:2: hello\t42\ttrue\n", at(f, "p.lua"));
    assert_string_equal(captured, want);
}

/* ---- Limits ---------------------------------------------------------------------------- */

static rg_limits small_instructions(void)
{
    rg_limits l = rg_limits_default();
    l.max_instructions = 100000;
    return l;
}

static void test_instruction_limit_at_load(void **state)
{
    fixture *f = *state;
    rg_limits l = small_instructions();
    char want[PATH_MAX + 128];
    assert_null(load_limited(f, "local i = 0\nwhile true do i = i + 1 end\n" OK_REQ, &l));
    assert_int_equal(f->err.kind, RG_ERROR_LIMIT);
    assert_string_equal(f->err.file, at(f, "p.lua"));
    assert_int_equal(f->err.line, 2);
    fmt(want, sizeof want, "%s:2: policy exceeded its limit of 100000 instructions (--max-instructions)",
        at(f, "p.lua"));
    assert_string_equal(f->err.message, want);
}

static void test_instruction_limit_not_swallowed_by_pcall(void **state)
{
    fixture *f = *state;
    rg_limits l = small_instructions();
    assert_null(load_limited(f, "local ok = pcall(function() while true do end end)\n"
                                "local ok2 = pcall(pcall, function() while true do end end)\n" OK_REQ, &l));
    assert_int_equal(f->err.kind, RG_ERROR_LIMIT);
    assert_contains(f->err.message, "--max-instructions");
}

static void test_instruction_limit_not_swallowed_by_xpcall_handler(void **state)
{
    fixture *f = *state;
    rg_limits l = small_instructions();
    assert_null(load_limited(f, "local ok = xpcall(function() while true do end end,\n"
                                "  function(m) return 'swallowed' end)\n" OK_REQ, &l));
    assert_int_equal(f->err.kind, RG_ERROR_LIMIT);
}

static void test_instruction_limit_in_check(void **state)
{
    fixture *f = *state;
    rg_limits l = small_instructions();
    eval_fails(f, "requirement \"r\" { title = \"R\", check = function(ctx)\n"
                  "  local ok = pcall(function() while true do end end)\n"
                  "  return pass('survived')\n"
                  "end }\n", &l, RG_ERROR_LIMIT, "policy exceeded its limit of 100000 instructions");
    assert_string_equal(f->err.file, at(f, "p.lua"));
    assert_int_equal(f->err.line, 2);
}

/* Loading and each evaluation have a budget of their own: an evaluation starts afresh,
 * so a long load does not starve the checks, and a batch does not run out. */
static void test_instruction_budget_spans_checks(void **state)
{
    fixture *f = *state;
    rg_limits l = rg_limits_default();
    uint64_t after_load;
    l.max_instructions = 2000000;
    assert_non_null(load_limited(f, "local n = 0 for i = 1, 100000 do n = n + i end\n"
                                    REQ("local n = 0 for i = 1, 100000 do n = n + i end return pass('ok')"), &l));
    after_load = f->pol->sb->instructions;
    assert_true(after_load >= 100000);
    put_file(f, "ctx.json", context_json);
    f->ctx = rg_context_load(at(f, "ctx.json"), NULL, &f->err);
    assert_non_null(f->ctx);
    f->d = rg_evaluate(f->pol, f->ctx, &f->err);
    assert_non_null(f->d);
    assert_true(f->pol->sb->instructions >= 100000);
    assert_true(f->pol->sb->instructions < after_load + 100000);
}

static rg_limits small_memory(void)
{
    rg_limits l = rg_limits_default();
    l.max_memory = 4u << 20;
    return l;
}

static void test_memory_limit_at_load(void **state)
{
    fixture *f = *state;
    rg_limits l = small_memory();
    assert_null(load_limited(f, "local t = {}\nfor i = 1, 1e8 do t[i] = { i } end\n" OK_REQ, &l));
    assert_int_equal(f->err.kind, RG_ERROR_LIMIT);
    assert_contains(f->err.message, "policy exceeded its memory limit of 4194304 bytes (--max-memory)");
    assert_string_equal(f->err.file, at(f, "p.lua"));
}

static void test_memory_limit_not_swallowed_by_pcall(void **state)
{
    fixture *f = *state;
    rg_limits l = small_memory();
    assert_null(load_limited(f, "local ok, e = pcall(string.rep, 'x', 100000000)\n"
                                "local ok2 = pcall(function() local t = {} for i = 1, 1e8 do t[i] = i end end)\n"
                                OK_REQ, &l));
    assert_int_equal(f->err.kind, RG_ERROR_LIMIT);
    assert_contains(f->err.message, "memory limit");
}

static void test_memory_limit_in_check(void **state)
{
    fixture *f = *state;
    rg_limits l = small_memory();
    eval_fails(f, REQ("local ok = pcall(function() local s = 'x' for i = 1, 40 do s = s .. s end end)"
                      " return pass('survived')"), &l, RG_ERROR_LIMIT, "memory limit");
}

static void test_timeout_at_load(void **state)
{
    fixture *f = *state;
    rg_limits l = rg_limits_default();
    struct timespec t0, t1;
    double elapsed;
    l.timeout = 0.3;
    l.max_instructions = UINT64_MAX / 2;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_null(load_limited(f, "local ok = xpcall(function() while true do end end, function(m) return m end)\n"
                                OK_REQ, &l));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    elapsed = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    assert_int_equal(f->err.kind, RG_ERROR_LIMIT);
    assert_contains(f->err.message, "policy exceeded its time limit of 0.3 s (--timeout)");
    assert_true(elapsed >= 0.25 && elapsed < 5.0);
}

static void test_timeout_in_check(void **state)
{
    fixture *f = *state;
    rg_limits l = rg_limits_default();
    l.timeout = 0.3;
    l.max_instructions = UINT64_MAX / 2;
    eval_fails(f, REQ("pcall(function() while true do end end) return pass('survived')"), &l,
               RG_ERROR_LIMIT, "time limit");
}

static void test_limit_is_sticky(void **state)
{
    fixture *f = *state;
    rg_limits l = small_instructions();
    eval_fails(f, REQ("while true do end"), &l, RG_ERROR_LIMIT, "--max-instructions");
    rg_error_clear(&f->err);
    assert_null(rg_evaluate(f->pol, f->ctx, &f->err));
    assert_int_equal(f->err.kind, RG_ERROR_LIMIT);
}

/* A pattern match runs inside one C call, out of the count hook's reach; the
 * watchdog the embedder installs must fire shortly after the time limit. */
static volatile sig_atomic_t watchdog_armed_for_ms;

static void watchdog_alarm(int sig)
{
    (void)sig;
    _exit(42);
}

static void watchdog_set(double seconds)
{
    struct itimerval it;
    memset(&it, 0, sizeof it);
    it.it_value.tv_sec = (time_t)seconds;
    it.it_value.tv_usec = (suseconds_t)((seconds - (double)(time_t)seconds) * 1e6);
    if (seconds > 0)
        watchdog_armed_for_ms = (sig_atomic_t)(seconds * 1000);
    setitimer(ITIMER_REAL, &it, NULL);
}

static void test_watchdog_stops_pattern_matching(void **state)
{
    fixture *f = *state;
    pid_t pid;
    int status = 0;
    put_file(f, "p.lua", "local s = string.rep('a', 20000)\nlocal x = s:find('.-.-.-b')\n" OK_REQ);
    fflush(NULL);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        child_defaults();
        rg_limits l = rg_limits_default();
        rg_error err = {0};
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = watchdog_alarm;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGALRM, &sa, NULL);
        l.timeout = 0.5;
        rg_set_watchdog(watchdog_set);
        (void)rg_policy_load(at(f, "p.lua"), &l, NOW, &err);
        _exit(watchdog_armed_for_ms > 0 ? 3 : 4); /* finished: the pattern did not hang? */
    }
    if (rgt_wait_child(pid, &status, 10.0) != 0)
        fail_msg("the watchdog did not stop a pattern match past the time limit");
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 42);
}

static void test_watchdog_disarmed_after_policy_code(void **state)
{
    fixture *f = *state;
    struct itimerval it;
    rg_set_watchdog(watchdog_set);
    watchdog_armed_for_ms = 0;
    load_ok(f, OK_REQ);
    rg_set_watchdog(NULL);
    assert_true(watchdog_armed_for_ms > 10000); /* default 10 s limit plus grace */
    getitimer(ITIMER_REAL, &it);
    assert_int_equal(it.it_value.tv_sec, 0);
    assert_int_equal(it.it_value.tv_usec, 0);
}

/* ---- require ---------------------------------------------------------------------------- */

static void test_require_module_in_directory(void **state)
{
    fixture *f = *state;
    put_file(f, "lib/notes.lua", "local M = {}\nfunction M.title() return 'Release notes' end\nreturn M\n");
    assert_string_equal(details_of(f, "local notes = require 'lib.notes'\n"
                                      REQ("return pass('ok', { t = notes.title() })")),
                        "{\"t\":\"Release notes\"}");
}

static void test_require_is_cached(void **state)
{
    fixture *f = *state;
    /* The module declares a requirement: running it twice would be a duplicate id. */
    put_file(f, "lib/once.lua", "requirement 'from-module' { title = 'M', check = function() return pass('m') end }\n"
                                "return {}\n");
    load_ok(f, "local a = require 'lib.once'\nlocal b = require 'lib.once'\nassert(a == b)\n" OK_REQ);
    assert_int_equal(f->pol->count, 2);
    assert_string_equal(f->pol->reqs[0].id, "from-module");
}

static void test_require_returns_true_for_nothing(void **state)
{
    fixture *f = *state;
    put_file(f, "helpers.lua", "HELPER = 7\n");
    assert_string_equal(details_of(f, "local v = require 'helpers'\n"
                                      REQ("return pass('ok', { v = v, h = HELPER })")),
                        "{\"h\":7,\"v\":true}");
}

static void test_require_nested_modules(void **state)
{
    fixture *f = *state;
    put_file(f, "lib/a.lua", "local b = require 'lib.sub.b'\nreturn { v = b.v + 1 }\n");
    put_file(f, "lib/sub/b.lua", "return { v = 41 }\n");
    assert_string_equal(details_of(f, "local a = require 'lib.a'\n" REQ("return pass('ok', { v = a.v })")),
                        "{\"v\":42}");
}

static void test_require_not_found(void **state)
{
    fixture *f = *state;
    char want[PATH_MAX + 128];
    load_fails(f, "local m = require 'lib.nope'\n" OK_REQ, RG_ERROR_POLICY, 1, "module 'lib.nope' not found");
    fmt(want, sizeof want, "no file %s/lib/nope.lua", f->path);
    assert_contains(f->err.message, want);
}

static void test_require_bad_names(void **state)
{
    fixture *f = *state;
    static const char *const names[] = {"../secret", "/etc/passwd", "lib/notes", "lib..notes", ".lib",
                                        "lib.", "", "lib.notes.lua/", "a b", "l\\\\ib"};
    put_file(f, "lib/notes.lua", "return {}\n");
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char text[256], want[128];
        fmt(text, sizeof text, "local m = require '%s'\n" OK_REQ, names[i]);
        fmt(want, sizeof want, "is not allowed");
        load_fails(f, text, RG_ERROR_POLICY, 1, want);
    }
}

static void test_require_outside_via_symlink(void **state)
{
    fixture *f = *state;
    put_file(f, "outside/evil.lua", "return { evil = true }\n");
    put_file(f, "policy/main.lua", "local m = require 'evil'\n" OK_REQ);
    assert_int_equal(symlink("../outside/evil.lua", at(f, "policy/evil.lua")), 0);
    f->pol = rg_policy_load(at(f, "policy/main.lua"), NULL, NOW, &f->err);
    assert_null(f->pol);
    assert_int_equal(f->err.kind, RG_ERROR_POLICY);
    assert_contains(f->err.message, "module 'evil':");
    assert_contains(f->err.message, "leads outside the policy's directory");
}

static void test_require_outside_via_directory_symlink(void **state)
{
    fixture *f = *state;
    put_file(f, "outside/lib/x.lua", "return {}\n");
    put_file(f, "policy/main.lua", "local m = require 'lib.x'\n" OK_REQ);
    assert_int_equal(symlink("../outside/lib", at(f, "policy/lib")), 0);
    f->pol = rg_policy_load(at(f, "policy/main.lua"), NULL, NOW, &f->err);
    assert_null(f->pol);
    assert_contains(f->err.message, "leads outside the policy's directory");
}

static void test_require_cycle(void **state)
{
    fixture *f = *state;
    put_file(f, "a.lua", "return require 'b'\n");
    put_file(f, "b.lua", "return require 'a'\n");
    load_fails(f, "local a = require 'a'\n" OK_REQ, RG_ERROR_POLICY, 0, "module 'a' requires itself (a require loop)");
}

static void test_require_inside_check_refused(void **state)
{
    fixture *f = *state;
    put_file(f, "lib/m.lua", "return {}\n");
    eval_fails(f, REQ("local m = require 'lib.m' return pass('ok')"), NULL, RG_ERROR_POLICY,
               "module 'lib.m' must be required while the policy loads, not inside a check");
}

static void test_require_inside_check_of_loaded_module(void **state)
{
    fixture *f = *state;
    put_file(f, "lib/m.lua", "return { v = 1 }\n");
    assert_string_equal(details_of(f, "local m = require 'lib.m'\n"
                                      REQ("return pass('ok', { v = require('lib.m').v })")),
                        "{\"v\":1}");
}

static void test_require_module_error_names_module(void **state)
{
    fixture *f = *state;
    char want[PATH_MAX + 64];
    put_file(f, "lib/broken.lua", "local x = 1\nlocal y = = 2\n");
    load_fails(f, "local m = require 'lib.broken'\n" OK_REQ, RG_ERROR_POLICY, 0, "unexpected symbol");
    fmt(want, sizeof want, "%s/lib/broken.lua:2:", f->path);
    assert_contains(f->err.message, want);
}

static void test_require_module_runtime_error_place(void **state)
{
    fixture *f = *state;
    char want[PATH_MAX + 64];
    put_file(f, "lib/fails.lua", "\n\nerror('module broken')\n");
    load_fails(f, "local m = require 'lib.fails'\n" OK_REQ, RG_ERROR_POLICY, 0, "module broken");
    fmt(want, sizeof want, "%s/lib/fails.lua", f->path);
    assert_string_equal(f->err.file, want);
    assert_int_equal(f->err.line, 3);
}

/* A module that failed once must report its own error again, not a require loop. */
static void test_require_after_failed_require(void **state)
{
    fixture *f = *state;
    put_file(f, "lib/bad.lua", "error('module broken')\n");
    assert_string_equal(details_of(f, "local ok1, e1 = pcall(require, 'lib.bad')\n"
                                      "local ok2, e2 = pcall(require, 'lib.bad')\n"
                                      REQ("return pass('ok', { again = e2:find('module broken', 1, true) ~= nil,"
                                          " loop = e2:find('requires itself', 1, true) ~= nil })")),
                        "{\"again\":true,\"loop\":false}");
}

static void test_require_bytecode_module_refused(void **state)
{
    fixture *f = *state;
    put_file(f, "lib/bin.lua", "\x1bLua\x54 junk");
    load_fails(f, "local m = require 'lib.bin'\n" OK_REQ, RG_ERROR_POLICY, 0, "precompiled Lua bytecode is not accepted");
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_builtins_present),
        T(test_absent_builtins_are_undefined),
        T(test_undefined_global_message),
        T(test_undefined_global_in_check),
        T(test_os_is_restricted),
        T(test_os_time_and_date_use_evaluation_clock),
        T(test_string_metatable_hidden),
        T(test_string_dump_unreachable_through_methods),
        T(test_libraries_are_read_only),
        T(test_builtins_cannot_be_redefined),
        T(test_globals_assignable_while_loading),
        T(test_global_assignment_refused_in_check),
        T(test_environment_metatable_protected),
        T(test_context_readable),
        T(test_context_read_only),
        T(test_context_raw_access_reads_the_view),
        T(test_json_array_iteration_sees_past_nulls),
        T(test_context_unchanged_between_checks),
        T(test_module_table_frozen_in_check),
        T(test_requirement_order_cannot_leak),
        T(test_upvalue_counter_is_an_error_and_restored),
        T(test_reachable_variables_are_watched),
        T(test_locals_and_closures_in_check_work),
        T(test_frozen_tables_read_as_before),
        T(test_frozen_metatables),
        T(test_result_kept_from_load),
        T(test_memo),
        T(test_gc_metamethod_refused),
        T(test_setmetatable_works_otherwise),
        T(test_pcall_catches_ordinary_errors),
        T(test_syntax_error_file_and_line),
        T(test_runtime_error_at_load),
        T(test_error_with_non_string_value),
        T(test_error_with_level_zero_still_placed),
        T(test_long_error_message_truncated),
        T(test_error_names_long_path_in_full),
        T(test_bytecode_refused),
        T(test_print_goes_to_stderr_with_place),
        T(test_instruction_limit_at_load),
        T(test_instruction_limit_not_swallowed_by_pcall),
        T(test_instruction_limit_not_swallowed_by_xpcall_handler),
        T(test_instruction_limit_in_check),
        T(test_instruction_budget_spans_checks),
        T(test_memory_limit_at_load),
        T(test_memory_limit_not_swallowed_by_pcall),
        T(test_memory_limit_in_check),
        T(test_timeout_at_load),
        T(test_timeout_in_check),
        T(test_limit_is_sticky),
        T(test_watchdog_stops_pattern_matching),
        T(test_watchdog_disarmed_after_policy_code),
        T(test_require_module_in_directory),
        T(test_require_is_cached),
        T(test_require_returns_true_for_nothing),
        T(test_require_nested_modules),
        T(test_require_not_found),
        T(test_require_bad_names),
        T(test_require_outside_via_symlink),
        T(test_require_outside_via_directory_symlink),
        T(test_require_cycle),
        T(test_require_inside_check_refused),
        T(test_require_inside_check_of_loaded_module),
        T(test_require_module_error_names_module),
        T(test_require_module_runtime_error_place),
        T(test_require_after_failed_require),
        T(test_require_bytecode_module_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
