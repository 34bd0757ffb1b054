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

/* ---- Lua -> JSON ---------------------------------------------------------------
 * A policy's tables are a graph: a table may be shared (a DAG copies it once per path
 * to it: 60 levels of {a = t, b = t} are 2^60 nodes) or hold itself.  The conversion
 * charges every node and string to a budget (the policy's memory limit: the copy is the
 * policy's memory too), refuses a table that holds itself, and stops at the depth. */

/* What a node and a string cost on the C heap, allocator overhead included. */
#define NODE_COST (sizeof(cJSON) + 16)
#define STRING_COST(len) ((len) + 1 + 16)

typedef struct conv {
    lua_State *L;
    int max_depth;
    size_t budget, limit;   /* bytes left, and the whole budget (for messages) */
    const void **path;      /* the tables being converted, outermost first */
    char *why;
    size_t why_size;
} conv;

static cJSON *convert(conv *c, int idx, int depth, int empty_as_object);

/* Take COST from the budget; 0, or -1 with the reason when it is spent. */
static int charge(conv *c, size_t cost)
{
    if (cost > c->budget) {
        snprintf(c->why, c->why_size,
                 "more than %zu bytes once written as JSON, the policy's memory limit (--max-memory); "
                 "a table shared many times is copied each time",
                 c->limit);
        return -1;
    }
    c->budget -= cost;
    return 0;
}

typedef struct keyed {
    char *key;      /* heap: the Lua key made valid UTF-8 */
    cJSON *value;
} keyed;

static int compare_keyed(const void *a, const void *b)
{
    return strcmp(((const keyed *)a)->key, ((const keyed *)b)->key);
}

/* The key on top of the stack as an object member name (heap), or NULL with the reason.
 * Output must be UTF-8 JSON, so its NUL bytes and invalid bytes become U+FFFD, as in
 * strings; two keys that then read the same are refused by object_sorted. */
static char *member_name(conv *c)
{
    size_t len;
    const char *key = lua_tolstring(c->L, -1, &len); /* a string key: anchored by the table */
    char *name;
    if (charge(c, STRING_COST(len)) != 0)
        return NULL;
    if (!(name = rg_utf8_sanitize(key, len)))
        snprintf(c->why, c->why_size, "out of memory");
    return name;
}

/* The first of the sorted ITEMS' keys that comes twice, or NULL: a reader must never see
 * a key twice (keys that differed only in a NUL or an invalid byte, or such a key and
 * one spelling U+FFFD). */
static const char *duplicate_key(const keyed *items, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (strcmp(items[i - 1].key, items[i].key) == 0)
            return items[i].key;
    return NULL;
}

/* An object with its keys sorted: Lua's table order changes from run to run, and a
 * decision must not.  Uses only Lua calls that never allocate, so it cannot raise. */
static cJSON *object_sorted(conv *c, int idx, int depth)
{
    lua_State *L = c->L;
    size_t n = 0, cap = 8;
    keyed *items = malloc(cap * sizeof *items);
    cJSON *out = cJSON_CreateObject();
    int ok = items && out;
    if (!ok)
        snprintf(c->why, c->why_size, "out of memory");
    lua_pushnil(L);
    while (ok && lua_next(L, idx)) {
        char *key;
        cJSON *v;
        lua_pop(L, 1);
        if (!(key = member_name(c))) {
            ok = 0;
            lua_pop(L, 1);
            break;
        }
        lua_pushvalue(L, -1);
        lua_rawget(L, idx);
        v = convert(c, -1, depth + 1, 0);
        lua_pop(L, 1);
        if (!v) {
            free(key);
            ok = 0;
            lua_pop(L, 1);
            break;
        }
        if (n == cap) {
            keyed *grown = realloc(items, (cap *= 2) * sizeof *items);
            if (!grown) {
                free(key);
                cJSON_Delete(v);
                ok = 0;
                lua_pop(L, 1);
                snprintf(c->why, c->why_size, "out of memory");
                break;
            }
            items = grown;
        }
        items[n].key = key;
        items[n++].value = v;
    }
    if (ok) {
        const char *dup;
        qsort(items, n, sizeof *items, compare_keyed);
        if ((dup = duplicate_key(items, n)) != NULL) {
            snprintf(c->why, c->why_size, "two keys that read the same (\"%.40s\") once NUL and invalid "
                                          "UTF-8 bytes are written as U+FFFD", dup);
            ok = 0;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (ok)
            cJSON_AddItemToObject(out, items[i].key, items[i].value);   /* copies the key */
        else
            cJSON_Delete(items[i].value);
        free(items[i].key);
    }
    free(items);
    if (!ok) {
        cJSON_Delete(out);
        return NULL;
    }
    return out;
}

static cJSON *array_of(conv *c, int idx, lua_Integer n, int depth)
{
    cJSON *out = cJSON_CreateArray();
    if (!out)
        snprintf(c->why, c->why_size, "out of memory");
    for (lua_Integer i = 1; out && i <= n; i++) {
        cJSON *v;
        lua_rawgeti(c->L, idx, i);
        v = convert(c, -1, depth + 1, 0);
        lua_pop(c->L, 1);
        if (!v) {
            cJSON_Delete(out);
            return NULL;
        }
        cJSON_AddItemToArray(out, v);
    }
    return out;
}

/* Is the table at IDX one of those being converted (it holds itself)? */
static int on_path(const conv *c, const void *table, int depth)
{
    for (int i = 0; i < depth; i++)
        if (c->path[i] == table)
            return 1;
    return 0;
}

static cJSON *convert_table(conv *c, int idx, int depth, int empty_as_object)
{
    lua_State *L = c->L;
    cJSON *out;
    lua_Integer n = 0;
    int shape, pushed = 0, kind = rg_readonly_kind(L, idx);
    if (depth >= c->max_depth) {
        snprintf(c->why, c->why_size, "tables nested deeper than %d levels", c->max_depth);
        return NULL;
    }
    if (kind == RG_VIEW_ARRAY)
        n = rg_readonly_length(L, idx);
    if (rg_readonly_target(L, idx)) {
        idx = lua_gettop(L);
        pushed = 1;
    }
    if (on_path(c, lua_topointer(L, idx), depth)) {
        snprintf(c->why, c->why_size, "a table that contains itself (a cycle)");
        if (pushed) lua_pop(L, 1);
        return NULL;
    }
    c->path[depth] = lua_topointer(L, idx);
    /* A JSON value read from the context or json.decode goes back as what it was: {}
     * stays an object, and an array keeps its nulls (holes in the table). */
    if (kind == RG_VIEW_OBJECT)
        shape = 0;
    else if (kind == RG_VIEW_ARRAY)
        shape = 1;
    else
        shape = table_shape(L, idx, &n);
    if (shape < 0) {
        snprintf(c->why, c->why_size, "a table mixing list items and named fields, or with keys "
                                      "that are not strings");
        out = NULL;
    } else if (shape == 1 && (n > 0 || !empty_as_object || kind == RG_VIEW_ARRAY)) {
        out = array_of(c, idx, n, depth);
    } else {
        out = object_sorted(c, idx, depth);
    }
    if (pushed) lua_pop(L, 1);
    return out;
}

static cJSON *convert(conv *c, int idx, int depth, int empty_as_object)
{
    lua_State *L = c->L;
    idx = lua_absindex(L, idx);
    if (charge(c, NODE_COST) != 0)
        return NULL;
    switch (lua_type(L, idx)) {
    case LUA_TNIL: return cJSON_CreateNull();
    case LUA_TBOOLEAN: return cJSON_CreateBool(lua_toboolean(L, idx));
    case LUA_TSTRING: {
        size_t len;
        const char *str = lua_tolstring(L, idx, &len);
        char *clean;
        cJSON *item;
        if (charge(c, STRING_COST(len)) != 0)
            return NULL;
        clean = rg_utf8_sanitize(str, len); /* output must stay valid UTF-8 JSON */
        item = clean ? cJSON_CreateString(clean) : NULL;
        free(clean);
        if (!item)
            snprintf(c->why, c->why_size, "out of memory");
        return item;
    }
    case LUA_TNUMBER: {
        double d = lua_tonumber(L, idx);
        if (isnan(d) || isinf(d)) {
            snprintf(c->why, c->why_size, "a number that is NaN or infinite");
            return NULL;
        }
        return cJSON_CreateNumber(d);
    }
    case LUA_TTABLE:
        return convert_table(c, idx, depth, empty_as_object);
    default:
        snprintf(c->why, c->why_size, "a %s value", luaL_typename(L, idx));
        return NULL;
    }
}

cJSON *rg_lua_to_json(lua_State *L, int idx, int max_depth, int empty_as_object, char *why,
                      size_t why_size)
{
    conv c;
    cJSON *out;
    if (max_depth < 1 || !lua_checkstack(L, 3 * max_depth + 8)) {
        snprintf(why, why_size, "out of stack space");
        return NULL;
    }
    c.L = L;
    c.max_depth = max_depth;
    c.limit = c.budget = rg_sandbox_of(L)->limits.max_memory;
    c.why = why;
    c.why_size = why_size;
    if (!(c.path = malloc((size_t)max_depth * sizeof *c.path))) {
        snprintf(why, why_size, "out of memory");
        return NULL;
    }
    out = convert(&c, idx, 0, empty_as_object);
    free(c.path);
    return out;
}

const char *rg_lua_checkname(lua_State *L, int idx)
{
    size_t len;
    const char *s = luaL_checklstring(L, idx, &len);
    if (strlen(s) != len)
        luaL_argerror(L, idx, "a name may not contain a NUL byte");
    return s;
}

const char *rg_lua_name(lua_State *L, int idx)
{
    size_t len;
    const char *s = lua_type(L, idx) == LUA_TSTRING ? lua_tolstring(L, idx, &len) : NULL;
    return s && strlen(s) == len ? s : NULL;
}

const char *rg_lua_optname(lua_State *L, int idx)
{
    return lua_type(L, idx) == LUA_TSTRING ? rg_lua_checkname(L, idx) : NULL;
}
