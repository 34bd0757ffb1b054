/* JSON <-> Lua conversion for the context (in) and check details (out). */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <lauxlib.h>

#include "luaconv.h"
#include "sandbox.h"
#include "textpos.h"

static void push_json(lua_State *L, const cJSON *item, int depth, int seal_from)
{
    const cJSON *child;
    lua_Integer i = 1;
    luaL_checkstack(L, 4, "JSON too deeply nested");
    if (cJSON_IsObject(item)) {
        lua_createtable(L, 0, cJSON_GetArraySize(item));
        cJSON_ArrayForEach(child, item) {
            if (cJSON_IsNull(child)) continue;
            push_json(L, child, depth + 1, seal_from);
            lua_setfield(L, -2, child->string);
        }
        if (depth >= seal_from)
            rg_readonly_seal(L, RG_VIEW_OBJECT, 0);
    } else if (cJSON_IsArray(item)) {
        lua_createtable(L, cJSON_GetArraySize(item), 0);
        cJSON_ArrayForEach(child, item) {
            push_json(L, child, depth + 1, seal_from);
            lua_rawseti(L, -2, i++);
        }
        if (depth >= seal_from)
            rg_readonly_seal(L, RG_VIEW_ARRAY, i - 1);
    } else if (cJSON_IsString(item)) {
        lua_pushstring(L, item->valuestring);
    } else if (cJSON_IsBool(item)) {
        lua_pushboolean(L, cJSON_IsTrue(item));
    } else if (cJSON_IsNumber(item)) {
        double d = item->valuedouble;
        /* Whole numbers in range read as Lua integers, so 3 == 3 and "%d" works. */
        if (d == floor(d) && fabs(d) < 9007199254740992.0)
            lua_pushinteger(L, (lua_Integer)d);
        else
            lua_pushnumber(L, d);
    } else {
        lua_pushnil(L);
    }
}

void rg_push_json(lua_State *L, const cJSON *item)
{
    push_json(L, item, 0, INT_MAX);
}

void rg_push_json_sealed(lua_State *L, const cJSON *item, int seal_from)
{
    push_json(L, item, 0, seal_from);
}

/* Classify the table at IDX: 1 array of N items, 0 object, -1 mixed/bad keys. */
static int table_shape(lua_State *L, int idx, lua_Integer *n)
{
    lua_Integer count = 0, max = 0;
    int strings = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) == LUA_TSTRING) {
            strings = 1;
        } else if (lua_isinteger(L, -1) && lua_tointeger(L, -1) >= 1) {
            lua_Integer k = lua_tointeger(L, -1);
            count++;
            if (k > max) max = k;
        } else {
            lua_pop(L, 1);
            return -1;
        }
    }
    *n = count;
    if (strings)
        return count ? -1 : 0;
    return max == count ? 1 : -1;
}

static cJSON *convert(lua_State *L, int idx, int depth, int max_depth, int empty_as_object,
                      char *why, size_t why_size);

typedef struct keyed {
    const char *key;
    cJSON *value;
} keyed;

static int compare_keyed(const void *a, const void *b)
{
    return strcmp(((const keyed *)a)->key, ((const keyed *)b)->key);
}

/* An object with its keys sorted: Lua's table order changes from run to run, and a
 * decision must not.  Uses only Lua calls that never allocate, so it cannot raise. */
static cJSON *object_sorted(lua_State *L, int idx, int depth, int max_depth, char *why, size_t why_size)
{
    size_t n = 0, cap = 8;
    keyed *items = malloc(cap * sizeof *items);
    cJSON *out = cJSON_CreateObject();
    int ok = items && out;
    lua_pushnil(L);
    while (ok && lua_next(L, idx)) {
        cJSON *v = convert(L, -1, depth + 1, max_depth, 0, why, why_size);
        lua_pop(L, 1);
        if (!v) {
            ok = 0;
            lua_pop(L, 1);
            break;
        }
        if (n == cap) {
            keyed *grown = realloc(items, (cap *= 2) * sizeof *items);
            if (!grown) {
                cJSON_Delete(v);
                ok = 0;
                lua_pop(L, 1);
                snprintf(why, why_size, "out of memory");
                break;
            }
            items = grown;
        }
        items[n].key = lua_tostring(L, -1); /* a string key: anchored by the table */
        items[n++].value = v;
    }
    if (!ok) {
        for (size_t i = 0; i < n; i++) cJSON_Delete(items[i].value);
        free(items);
        cJSON_Delete(out);
        return NULL;
    }
    qsort(items, n, sizeof *items, compare_keyed);
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToObject(out, items[i].key, items[i].value);
    free(items);
    return out;
}

static cJSON *convert(lua_State *L, int idx, int depth, int max_depth, int empty_as_object,
                      char *why, size_t why_size)
{
    idx = lua_absindex(L, idx);
    switch (lua_type(L, idx)) {
    case LUA_TNIL: return cJSON_CreateNull();
    case LUA_TBOOLEAN: return cJSON_CreateBool(lua_toboolean(L, idx));
    case LUA_TSTRING: {
        size_t len;
        const char *str = lua_tolstring(L, idx, &len);
        char *clean = rg_utf8_sanitize(str, len); /* output must stay valid UTF-8 JSON */
        cJSON *item = clean ? cJSON_CreateString(clean) : NULL;
        free(clean);
        return item;
    }
    case LUA_TNUMBER: {
        double d = lua_tonumber(L, idx);
        if (isnan(d) || isinf(d)) {
            snprintf(why, why_size, "a number that is NaN or infinite");
            return NULL;
        }
        return cJSON_CreateNumber(d);
    }
    case LUA_TTABLE: {
        cJSON *out;
        lua_Integer n = 0;
        int shape, pushed = 0, kind = rg_readonly_kind(L, idx);
        if (depth >= max_depth) {
            snprintf(why, why_size, "tables nested deeper than %d levels (a cycle?)", max_depth);
            return NULL;
        }
        if (kind == RG_VIEW_ARRAY)
            n = rg_readonly_length(L, idx);
        if (rg_readonly_target(L, idx)) {
            idx = lua_gettop(L);
            pushed = 1;
        }
        /* A JSON value read from the context or json.decode goes back as what it was: {}
         * stays an object, and an array keeps its nulls (holes in the table). */
        if (kind == RG_VIEW_OBJECT)
            shape = 0;
        else if (kind == RG_VIEW_ARRAY)
            shape = 1;
        else
            shape = table_shape(L, idx, &n);
        if (shape < 0) {
            snprintf(why, why_size, "a table mixing list items and named fields, or with keys "
                                    "that are not strings");
            if (pushed) lua_pop(L, 1);
            return NULL;
        }
        if (shape == 1 && (n > 0 || !empty_as_object || kind == RG_VIEW_ARRAY)) {
            out = cJSON_CreateArray();
            for (lua_Integer i = 1; out && i <= n; i++) {
                cJSON *v;
                lua_rawgeti(L, idx, i);
                v = convert(L, -1, depth + 1, max_depth, 0, why, why_size);
                lua_pop(L, 1);
                if (!v) { cJSON_Delete(out); out = NULL; break; }
                cJSON_AddItemToArray(out, v);
            }
        } else {
            out = object_sorted(L, idx, depth, max_depth, why, why_size);
        }
        if (pushed) lua_pop(L, 1);
        return out;
    }
    default:
        snprintf(why, why_size, "a %s value", luaL_typename(L, idx));
        return NULL;
    }
}

cJSON *rg_lua_to_json(lua_State *L, int idx, int max_depth, int empty_as_object, char *why,
                      size_t why_size)
{
    if (!lua_checkstack(L, 3 * max_depth + 8)) {
        snprintf(why, why_size, "out of stack space");
        return NULL;
    }
    return convert(L, idx, 0, max_depth, empty_as_object, why, why_size);
}
