/* Unit tests for core/luaconv.c: JSON into Lua values and Lua values back into JSON. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "luaconv.h"
#include "rgtest.h"
#include "sandbox.h"

/* ---- Fixture: a sandbox (its registry holds what read-only views need) ------------- */

static int setup_sandbox(void **state)
{
    rg_limits limits = rg_limits_default();
    rg_error err = {0};
    rg_sandbox *sb = rg_sandbox_new(&limits, 1750000000, "/", "/", &err);
    if (!sb)
        return -1;
    *state = sb;
    return 0;
}

static int teardown_sandbox(void **state)
{
    rg_sandbox_free(*state);
    return 0;
}

/* Run the Lua chunk "return CODE" with the unrestricted globals (test code, not
 * policy code) and leave its one result on the stack. */
static void push_lua(lua_State *L, const char *code)
{
    char chunk[4096];
    snprintf(chunk, sizeof chunk, "return %s", code);
    if (luaL_loadstring(L, chunk) != LUA_OK || lua_pcall(L, 0, 1, 0) != LUA_OK)
        fail_msg("Lua error: %s", lua_tostring(L, -1));
}

/* Convert the value of CODE; the stack must be as it was, on success and failure. */
static cJSON *convert(lua_State *L, const char *code, int max_depth, int empty_as_object, char *why,
                      size_t why_size)
{
    int top;
    cJSON *out;
    push_lua(L, code);
    top = lua_gettop(L);
    why[0] = '\0';
    out = rg_lua_to_json(L, -1, max_depth, empty_as_object, why, why_size);
    assert_int_equal(lua_gettop(L), top);
    lua_pop(L, 1);
    return out;
}

/* CODE converts to exactly the compact JSON WANT. */
static void converts_to(lua_State *L, const char *code, int empty_as_object, const char *want)
{
    char why[256], *text;
    cJSON *out = convert(L, code, 32, empty_as_object, why, sizeof why);
    if (!out)
        fail_msg("%s refused: %s", code, why);
    text = cJSON_PrintUnformatted(out);
    if (strcmp(text, want) != 0)
        fail_msg("%s converted to %s, expected %s", code, text, want);
    free(text);
    cJSON_Delete(out);
}

/* CODE is refused with a reason containing REASON. */
static void refused(lua_State *L, const char *code, int max_depth, const char *reason)
{
    char why[256];
    cJSON *out = convert(L, code, max_depth, 1, why, sizeof why);
    if (out) {
        char *text = cJSON_PrintUnformatted(out);
        char copy[256];
        snprintf(copy, sizeof copy, "%s", text);
        free(text);
        cJSON_Delete(out);
        fail_msg("%s accepted as %s", code, copy);
    }
    assert_contains(why, reason);
}

static cJSON *json(const char *text)
{
    cJSON *root = cJSON_Parse(text);
    if (!root)
        fail_msg("bad test JSON: %s", text);
    return root;
}

/* ---- rg_push_json --------------------------------------------------------------- */

static void test_push_object(void **state)
{
    lua_State *L = ((rg_sandbox *)*state)->L;
    cJSON *doc = json("{\"name\": \"payments\", \"n\": 3, \"f\": 2.5, \"ok\": true, \"no\": false}");
    int top = lua_gettop(L);
    rg_push_json(L, doc);
    assert_int_equal(lua_gettop(L), top + 1);
    assert_int_equal(lua_type(L, -1), LUA_TTABLE);
    assert_int_equal(lua_getfield(L, -1, "name"), LUA_TSTRING);
    assert_string_equal(lua_tostring(L, -1), "payments");
    lua_pop(L, 1);
    lua_getfield(L, -1, "n");
    assert_true(lua_isinteger(L, -1));
    assert_int_equal(lua_tointeger(L, -1), 3);
    lua_pop(L, 1);
    lua_getfield(L, -1, "f");
    assert_false(lua_isinteger(L, -1));
    assert_true(lua_tonumber(L, -1) == 2.5);
    lua_pop(L, 1);
    assert_int_equal(lua_getfield(L, -1, "ok"), LUA_TBOOLEAN);
    assert_true(lua_toboolean(L, -1));
    lua_pop(L, 1);
    assert_int_equal(lua_getfield(L, -1, "no"), LUA_TBOOLEAN);
    assert_false(lua_toboolean(L, -1));
    lua_pop(L, 2);
    cJSON_Delete(doc);
}

static void test_push_array_is_one_based(void **state)
{
    lua_State *L = ((rg_sandbox *)*state)->L;
    cJSON *doc = json("[\"a\", \"b\", [10, 20]]");
    rg_push_json(L, doc);
    assert_int_equal(lua_rawlen(L, -1), 3);
    assert_int_equal(lua_rawgeti(L, -1, 0), LUA_TNIL);
    lua_pop(L, 1);
    lua_rawgeti(L, -1, 1);
    assert_string_equal(lua_tostring(L, -1), "a");
    lua_pop(L, 1);
    lua_rawgeti(L, -1, 3);
    lua_rawgeti(L, -1, 2);
    assert_int_equal(lua_tointeger(L, -1), 20);
    lua_pop(L, 3);
    cJSON_Delete(doc);
}

static void test_push_null_reads_as_nil(void **state)
{
    lua_State *L = ((rg_sandbox *)*state)->L;
    cJSON *doc = json("{\"gone\": null, \"list\": [1, null, 3]}");
    rg_push_json(L, doc);
    assert_int_equal(lua_getfield(L, -1, "gone"), LUA_TNIL);
    lua_pop(L, 1);
    lua_pushnil(L);
    {
        int keys = 0;
        while (lua_next(L, -2)) {
            keys++;
            lua_pop(L, 1);
        }
        assert_int_equal(keys, 1); /* only "list" */
    }
    lua_getfield(L, -1, "list");
    assert_int_equal(lua_rawgeti(L, -1, 2), LUA_TNIL);
    lua_pop(L, 1);
    lua_rawgeti(L, -1, 3);
    assert_int_equal(lua_tointeger(L, -1), 3);
    lua_pop(L, 3);
    cJSON_Delete(doc);
    rg_push_json(L, NULL);
    assert_true(lua_isnil(L, -1));
    lua_pop(L, 1);
}

static void test_push_numbers(void **state)
{
    lua_State *L = ((rg_sandbox *)*state)->L;
    cJSON *doc = json("[0, -7, 1e3, 9007199254740991, 9007199254740992, 0.1, -2.5]");
    rg_push_json(L, doc);
    lua_rawgeti(L, -1, 1);
    assert_true(lua_isinteger(L, -1) && lua_tointeger(L, -1) == 0);
    lua_rawgeti(L, -2, 2);
    assert_true(lua_isinteger(L, -1) && lua_tointeger(L, -1) == -7);
    lua_rawgeti(L, -3, 3);
    assert_true(lua_isinteger(L, -1) && lua_tointeger(L, -1) == 1000);
    lua_rawgeti(L, -4, 4);
    assert_true(lua_isinteger(L, -1) && lua_tointeger(L, -1) == 9007199254740991LL);
    lua_rawgeti(L, -5, 5);
    assert_false(lua_isinteger(L, -1)); /* 2^53: no longer exact, stays a float */
    lua_rawgeti(L, -6, 6);
    assert_false(lua_isinteger(L, -1));
    assert_true(lua_tonumber(L, -1) == 0.1);
    lua_rawgeti(L, -7, 7);
    assert_true(lua_tonumber(L, -1) == -2.5);
    lua_pop(L, 8);
    cJSON_Delete(doc);
}

/* ---- rg_lua_to_json ----------------------------------------------------------------- */

static void test_scalars(void **state)
{
    lua_State *L = ((rg_sandbox *)*state)->L;
    converts_to(L, "nil", 1, "null");
    converts_to(L, "true", 1, "true");
    converts_to(L, "false", 1, "false");
    converts_to(L, "42", 1, "42");
    converts_to(L, "-1.5", 1, "-1.5");
    converts_to(L, "'caf\\u{e9} \"q\"'", 1, "\"caf\xc3\xa9 \\\"q\\\"\"");
}

static void test_arrays(void **state)
{
    lua_State *L = ((rg_sandbox *)*state)->L;
    converts_to(L, "{1, 2, 3}", 1, "[1,2,3]");
    converts_to(L, "{[1] = 'a', [2] = 'b'}", 1, "[\"a\",\"b\"]");
    converts_to(L, "{[2] = 'b', [1] = 'a'}", 1, "[\"a\",\"b\"]");
    converts_to(L, "{{}, {1}, {x = 1}}", 1, "[[],[1],{\"x\":1}]");
}

static void test_objects(void **state)
{
    lua_State *L = ((rg_sandbox *)*state)->L;
    converts_to(L, "{a = 1, b = 'two', c = true}", 1, "{\"a\":1,\"b\":\"two\",\"c\":true}");
    converts_to(L, "{['1'] = 'string key'}", 1, "{\"1\":\"string key\"}");
    converts_to(L, "{list = {1, 2}, obj = {k = 'v'}}", 1, "{\"list\":[1,2],\"obj\":{\"k\":\"v\"}}");
}

static void test_keys_sorted(void **state)
{
    lua_State *L = ((rg_sandbox *)*state)->L;
    converts_to(L, "{zeta = 1, alpha = 2, mid = 3, Beta = 4, ['a b'] = 5}", 1,
                "{\"Beta\":4,\"a b\":5,\"alpha\":2,\"mid\":3,\"zeta\":1}");
    converts_to(L, "{outer = {z = 1, y = 2, x = 3}}", 1, "{\"outer\":{\"x\":3,\"y\":2,\"z\":1}}");
}

static void test_keys_sorted_for_large_tables(void **state)
{
    lua_State *L = ((rg_sandbox *)*state)->L;
    char why[256];
    cJSON *out = convert(L, "(function() local t = {} for i = 100, 1, -1 do t[('k%03d'):format(i)] = i end return t end)()",
                         32, 1, why, sizeof why);
    const cJSON *item;
    int expect = 1;
    assert_non_null(out);
    cJSON_ArrayForEach(item, out) {
        char key[16];
        snprintf(key, sizeof key, "k%03d", expect);
        assert_string_equal(item->string, key);
        assert_int_equal(item->valueint, expect);
        expect++;
    }
    assert_int_equal(expect, 101);
    cJSON_Delete(out);
}

static void test_empty_table_per_flag(void **state)
{
    lua_State *L = ((rg_sandbox *)*state)->L;
    converts_to(L, "{}", 1, "{}");
    converts_to(L, "{}", 0, "[]");
}

static void test_nested_empty_table_is_a_list(void **state)
{
    lua_State *L = ((rg_sandbox *)*state)->L;
    converts_to(L, "{files = {}}", 1, "{\"files\":[]}");
    converts_to(L, "{files = {}}", 0, "{\"files\":[]}");
}

static void test_nil_values_drop_out(void **state)
{
    lua_State *L = ((rg_sandbox *)*state)->L;
    converts_to(L, "{a = nil, b = 1}", 1, "{\"b\":1}");
    converts_to(L, "{1, 2, nil}", 1, "[1,2]");
}

static void test_nan_refused(void **state)
{
    lua_State *L = ((rg_sandbox *)*state)->L;
    refused(L, "0/0", 32, "NaN or infinite");
    refused(L, "1/0", 32, "NaN or infinite");
    refused(L, "-1/0", 32, "NaN or infinite");
    refused(L, "{ratio = 0/0}", 32, "NaN or infinite");
    refused(L, "{1, 2, {3, 1/0}}", 32, "NaN or infinite");
}

static void test_functions_refused(void **state)
{
    lua_State *L = ((rg_sandbox *)*state)->L;
    refused(L, "print", 32, "a function value");
    refused(L, "{f = function() end}", 32, "a function value");
    refused(L, "{1, print}", 32, "a function value");
}

static void test_userdata_refused(void **state)
{
    lua_State *L = ((rg_sandbox *)*state)->L;
    char why[256] = "";
    lua_newuserdatauv(L, 8, 0);
    assert_null(rg_lua_to_json(L, -1, 32, 1, why, sizeof why));
    assert_contains(why, "a userdata value");
    lua_pop(L, 1);
}

static void test_mixed_keys_refused(void **state)
{
    lua_State *L = ((rg_sandbox *)*state)->L;
    refused(L, "{1, 2, name = 'x'}", 32, "mixing list items and named fields");
    refused(L, "{[1] = 'a', [3] = 'c'}", 32, "mixing");        /* a hole */
    refused(L, "{[0] = 'zero'}", 32, "mixing");                /* not 1-based */
    refused(L, "{[-1] = 'neg'}", 32, "mixing");
    refused(L, "{[1.5] = 'x'}", 32, "keys that are not strings");
    refused(L, "{[true] = 'x'}", 32, "keys that are not strings");
    refused(L, "{[{}] = 'x'}", 32, "keys that are not strings");
    refused(L, "{ok = {1, x = 2}}", 32, "mixing");
}

static void test_depth_limit(void **state)
{
    lua_State *L = ((rg_sandbox *)*state)->L;
    char why[256];
    cJSON *out = convert(L, "{{{}}}", 3, 1, why, sizeof why);
    assert_non_null(out);
    cJSON_Delete(out);
    refused(L, "{{{{}}}}", 3, "tables nested deeper than 3 levels");
    refused(L, "{a = {b = {c = {d = 1}}}}", 3, "nested deeper than 3 levels");
}

static void test_cycle_refused(void **state)
{
    lua_State *L = ((rg_sandbox *)*state)->L;
    refused(L, "(function() local t = {} t.self = t return t end)()", 32, "contains itself (a cycle)");
    refused(L, "(function() local a, b = {}, {} a[1] = b b[1] = a return a end)()", 32, "a cycle");
}

/* A DAG shared at every level is 2^60 nodes once copied: refused quickly, by the memory
 * budget (the policy's --max-memory), with a message that says why. */
static void test_shared_dag_is_bounded(void **state)
{
    rg_sandbox *sb = *state;
    sb->limits.max_memory = 4u << 20;
    refused(sb->L, "(function() local t = {} for i = 1, 60 do t = {a = t, b = t} end return {x = t} end)()", 64,
            "memory limit (--max-memory)");
    /* Strings count too: 64 references to one 1 MB string are 64 MB of JSON. */
    refused(sb->L, "(function() local s, t = ('x'):rep(1 << 20), {} for i = 1, 64 do t[i] = s end return t end)()",
            8, "--max-memory");
    /* Within the budget, sharing is fine. */
    converts_to(sb->L, "(function() local t = {} for i = 1, 4 do t = {a = t, b = t} end return {x = 1} end)()", 1,
                "{\"x\":1}");
}

/* Keys come out unique and valid: NUL and invalid bytes become U+FFFD, as in strings, and
 * keys that then read the same are refused rather than written as a duplicate key. */
static void test_bad_keys_unique(void **state)
{
    lua_State *L = ((rg_sandbox *)*state)->L;
    converts_to(L, "{['a\\0b'] = 1, ['a\\0c'] = 2}", 1, "{\"a\xef\xbf\xbd" "b\":1,\"a\xef\xbf\xbd" "c\":2}");
    converts_to(L, "{['k\\255'] = 1}", 1, "{\"k\xef\xbf\xbd\":1}");
    refused(L, "{['\\255'] = 1, ['\\254'] = 2}", 32, "two keys that read the same");
    refused(L, "{['a\\0'] = 1, ['a\\255'] = 2}", 32, "two keys that read the same");
    refused(L, "{ok = {['x\\239\\191\\189'] = 1, ['x\\192'] = 2}}", 32, "read the same");   /* U+FFFD itself */
    converts_to(L, "{['caf\\195\\169'] = 1}", 1, "{\"caf\xc3\xa9\":1}");
}

static void test_shared_subtable_is_not_a_cycle(void **state)
{
    lua_State *L = ((rg_sandbox *)*state)->L;
    converts_to(L, "(function() local s = {1} return {a = s, b = s} end)()", 1, "{\"a\":[1],\"b\":[1]}");
}

static void test_round_trip(void **state)
{
    lua_State *L = ((rg_sandbox *)*state)->L;
    const char *text = "{\"approvals\":[{\"at\":\"2025-06-10T08:12:40Z\",\"role\":\"release-manager\","
                       "\"user\":\"mkhan\"}],\"counts\":[0,1,2.5,-3],\"flags\":{\"a\":true,\"b\":false},"
                       "\"name\":\"caf\xc3\xa9\",\"nested\":[[[\"deep\"]]]}";
    cJSON *doc = json(text), *back;
    char why[256] = "", *printed;
    rg_push_json(L, doc);
    back = rg_lua_to_json(L, -1, 32, 1, why, sizeof why);
    lua_pop(L, 1);
    if (!back)
        fail_msg("refused: %s", why);
    printed = cJSON_PrintUnformatted(back);
    assert_string_equal(printed, text); /* keys were already sorted */
    assert_true(cJSON_Compare(doc, back, 1));
    free(printed);
    cJSON_Delete(back);
    cJSON_Delete(doc);
}

static void test_round_trip_empty_containers(void **state)
{
    lua_State *L = ((rg_sandbox *)*state)->L;
    cJSON *doc = json("{\"list\": [], \"obj\": {}}"), *back;
    char why[256] = "", *printed;
    rg_push_json(L, doc);
    back = rg_lua_to_json(L, -1, 32, 1, why, sizeof why);
    lua_pop(L, 1);
    assert_non_null(back);
    printed = cJSON_PrintUnformatted(back);
    /* Lua cannot tell an empty list from an empty object: both come back as lists. */
    assert_string_equal(printed, "{\"list\":[],\"obj\":[]}");
    free(printed);
    cJSON_Delete(back);
    cJSON_Delete(doc);
}

static void test_readonly_view_seen_through(void **state)
{
    lua_State *L = ((rg_sandbox *)*state)->L;
    char why[256] = "", *printed;
    cJSON *out;
    push_lua(L, "{b = {1, 2}, a = 'x'}");
    rg_push_readonly(L, -1);
    assert_int_equal(lua_rawlen(L, -1), 0); /* the view itself is empty */
    out = rg_lua_to_json(L, -1, 32, 1, why, sizeof why);
    assert_non_null(out);
    printed = cJSON_PrintUnformatted(out);
    assert_string_equal(printed, "{\"a\":\"x\",\"b\":[1,2]}");
    free(printed);
    cJSON_Delete(out);
    lua_pop(L, 2);
}

static void test_readonly_view_nested_in_plain_table(void **state)
{
    lua_State *L = ((rg_sandbox *)*state)->L;
    char why[256] = "", *printed;
    cJSON *out;
    int top = lua_gettop(L);
    lua_newtable(L);                      /* holder */
    push_lua(L, "{list = {'p', 'q'}}");
    rg_push_readonly(L, -1);              /* view of it */
    lua_setfield(L, -3, "ctx");           /* holder.ctx = view */
    lua_pop(L, 1);
    push_lua(L, "{}");
    rg_push_readonly(L, -1);
    lua_setfield(L, -3, "empty");         /* holder.empty = view of {} */
    lua_pop(L, 1);
    out = rg_lua_to_json(L, -1, 32, 1, why, sizeof why);
    if (!out)
        fail_msg("refused: %s", why);
    printed = cJSON_PrintUnformatted(out);
    assert_string_equal(printed, "{\"ctx\":{\"list\":[\"p\",\"q\"]},\"empty\":[]}");
    free(printed);
    cJSON_Delete(out);
    lua_pop(L, 1);
    assert_int_equal(lua_gettop(L), top);
}

static void test_readonly_view_of_empty_table_per_flag(void **state)
{
    lua_State *L = ((rg_sandbox *)*state)->L;
    char why[256] = "", *printed;
    cJSON *out;
    lua_newtable(L);
    rg_push_readonly(L, -1);
    out = rg_lua_to_json(L, -1, 32, 1, why, sizeof why);
    printed = cJSON_PrintUnformatted(out);
    assert_string_equal(printed, "{}");
    free(printed);
    cJSON_Delete(out);
    out = rg_lua_to_json(L, -1, 32, 0, why, sizeof why);
    printed = cJSON_PrintUnformatted(out);
    assert_string_equal(printed, "[]");
    free(printed);
    cJSON_Delete(out);
    lua_pop(L, 2);
}

static void test_failure_inside_view_keeps_stack(void **state)
{
    lua_State *L = ((rg_sandbox *)*state)->L;
    char why[256] = "";
    int top;
    push_lua(L, "{a = {1, x = 2}}");
    rg_push_readonly(L, -1);
    top = lua_gettop(L);
    assert_null(rg_lua_to_json(L, -1, 32, 1, why, sizeof why));
    assert_int_equal(lua_gettop(L), top);
    assert_contains(why, "mixing");
    lua_pop(L, 2);
}

static void test_negative_index(void **state)
{
    lua_State *L = ((rg_sandbox *)*state)->L;
    char why[256] = "", *printed;
    cJSON *out;
    push_lua(L, "{k = 'v'}");
    lua_pushinteger(L, 5);
    out = rg_lua_to_json(L, -2, 32, 1, why, sizeof why);
    printed = cJSON_PrintUnformatted(out);
    assert_string_equal(printed, "{\"k\":\"v\"}");
    free(printed);
    cJSON_Delete(out);
    lua_pop(L, 2);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup_sandbox, teardown_sandbox)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_push_object),
        T(test_push_array_is_one_based),
        T(test_push_null_reads_as_nil),
        T(test_push_numbers),
        T(test_scalars),
        T(test_arrays),
        T(test_objects),
        T(test_keys_sorted),
        T(test_keys_sorted_for_large_tables),
        T(test_empty_table_per_flag),
        T(test_nested_empty_table_is_a_list),
        T(test_nil_values_drop_out),
        T(test_nan_refused),
        T(test_functions_refused),
        T(test_userdata_refused),
        T(test_mixed_keys_refused),
        T(test_depth_limit),
        T(test_cycle_refused),
        T(test_shared_subtable_is_not_a_cycle),
        T(test_shared_dag_is_bounded),
        T(test_bad_keys_unique),
        T(test_round_trip),
        T(test_round_trip_empty_containers),
        T(test_readonly_view_seen_through),
        T(test_readonly_view_nested_in_plain_table),
        T(test_readonly_view_of_empty_table_per_flag),
        T(test_failure_inside_view_keeps_stack),
        T(test_negative_index),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
