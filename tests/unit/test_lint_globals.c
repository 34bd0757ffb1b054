/* Unit tests for core/lint_globals.c: reading Lua 5.4's compiled code for global reads. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include <lauxlib.h>
#include <lualib.h>

#include "lint_globals.h"

/* The reader understands the Lua it is built with: if this fails, lint silently checks
 * nothing, so the build must say so. */
static void test_selftest_reads_this_lua(void **state)
{
    lua_State *L = luaL_newstate();
    (void)state;
    assert_int_equal(rg_lint_globals_selftest(L), 1);
    lua_close(L);
}

/* Against an environment: what it lacks is reported once per place, with the line; a
 * library's missing field too, and nothing for what exists. */
static void test_reports_undefined_reads(void **state)
{
    static const char chunk[] =
        "local x = 1\n"
        "local function f()\n"
        "  return known, nope\n"           /* 3 */
        "end\n"
        "local function g()\n"
        "  local function h() return lib.there(), lib.gone() end\n"  /* 6 */
        "  return nope\n"                   /* 7 */
        "end\n"
        "return f, g, x\n";
    lua_State *L = luaL_newstate();
    cJSON *problems = cJSON_CreateArray();
    (void)state;
    /* rg.env: known and lib; rg.builtins: lib (so its fields are checked) */
    lua_newtable(L);
    lua_newtable(L);
    lua_pushcfunction(L, luaopen_base); /* any function will do as a value */
    lua_setfield(L, -2, "there");
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, "lib");
    lua_pushboolean(L, 1);
    lua_setfield(L, -3, "known");
    lua_newtable(L);
    lua_insert(L, -2);
    lua_setfield(L, -2, "lib");
    lua_setfield(L, LUA_REGISTRYINDEX, "rg.builtins");
    lua_setfield(L, LUA_REGISTRYINDEX, "rg.env");
    lua_newtable(L);
    assert_int_equal(luaL_loadbufferx(L, chunk, sizeof chunk - 1, "@t.lua", "t"), LUA_OK);
    lua_rawseti(L, -2, 1);
    assert_int_equal(rg_lint_globals(L, -1, problems), 3);
    /* nested functions first, each once */
    assert_string_equal(cJSON_GetArrayItem(problems, 0)->valuestring, "t.lua:3: undefined global 'nope'");
    assert_string_equal(cJSON_GetArrayItem(problems, 1)->valuestring, "t.lua:6: 'lib' has no field 'gone'");
    assert_string_equal(cJSON_GetArrayItem(problems, 2)->valuestring, "t.lua:7: undefined global 'nope'");
    cJSON_Delete(problems);
    lua_close(L);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_selftest_reads_this_lua),
        cmocka_unit_test(test_reports_undefined_reads),
    };
    return cmocka_run_group_tests(tests, 0, NULL);
}
