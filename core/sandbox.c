/* The policy sandbox.
 *
 * Policies are code the engine's authors did not write, so (after Redis's scripting
 * sandbox) they get an allow-list of globals, reading an undefined global is an error,
 * shared tables are read-only views, chunks load as text only, require() reads only
 * the policy's own directory, and a counting allocator plus a count hook enforce
 * memory, instruction and wall-time budgets that pcall cannot swallow. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <lauxlib.h>
#include <lualib.h>

#include "error.h"
#include "luaconv.h"
#include "fileio.h"
#include "evidence.h"
#include "sandbox.h"
#include "rg_config.h"
#include "untrusted.h"

#define HOOK_EVERY 1000          /* instructions between limit checks */
#define MESSAGE_CAP 800          /* longest error message kept from a policy */

static const char KEY_BUILTINS[] = "rg.builtins";
static const char KEY_GLOBALS[] = "rg.globals";
static const char KEY_ENV[] = "rg.env";
static const char KEY_LOADED[] = "rg.loaded";
static const char KEY_TRACEBACK[] = "rg.traceback";
static const char KEY_RANDOMSEED[] = "rg.randomseed"; /* Lua's math.randomseed, for each evaluation */
static const char KEY_BASE_GLOBALS[] = "rg.base.globals"; /* name -> base policy defining it */
static const char KEY_MODULE_GLOBALS[] = "rg.module.globals"; /* name -> module (its loaded key) defining it */
static const char KEY_LOADING_MODULE[] = "rg.module.loading"; /* the loaded key of the module loading now */

rg_limits rg_limits_default(void)
{
    rg_limits l;
    l.max_memory = 64u << 20;
    l.max_instructions = 200000000u;
    l.timeout = 10.0;
    l.max_context_bytes = 16u << 20;
    l.max_policy_bytes = 1u << 20;
    l.max_evidence_bytes = 1u << 20;
    l.max_json_depth = 64;
    l.max_requirements = 1000;
    l.check_timeout = 30.0;
    l.check_memory = (size_t)1 << 30;
    l.max_check_evidence_bytes = (size_t)256 << 20;
    l.jobs = 0; /* 0: one per CPU */
    return l;
}

static double monotonic_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

rg_sandbox *rg_sandbox_of(lua_State *L)
{
    return *(rg_sandbox **)lua_getextraspace(L);
}

int rg_sandbox_out_of_memory(lua_State *L, const char *file, int line, const char *what)
{
    rg_sandbox *sb = rg_sandbox_of(L);
    sb->error_kind = RG_ERROR_INTERNAL;
    snprintf(sb->violation, sizeof sb->violation, "%s:%d: out of memory copying %s", file, line, what);
    return luaL_error(L, "%s", sb->violation);
}

/* ---- Limits -------------------------------------------------------------- */

static rg_realloc_fn lua_realloc_fn;
static rg_free_fn lua_free_fn;

void rg_set_lua_allocator(rg_realloc_fn realloc_fn, rg_free_fn free_fn)
{
    lua_realloc_fn = realloc_fn && free_fn ? realloc_fn : NULL;
    lua_free_fn = realloc_fn && free_fn ? free_fn : NULL;
}

static void *limited_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    rg_sandbox *sb = ud;
    size_t old = ptr ? osize : 0;
    void *p;
    if (nsize == 0) {
        sb->free_fn(ptr);
        sb->mem_used -= old;
        return NULL;
    }
    /* Refusing makes Lua collect and retry once, then raise a memory error. */
    if (nsize > old && sb->mem_used - old + nsize > sb->limits.max_memory)
        return NULL;
    p = sb->realloc_fn(ptr, nsize);
    if (p)
        sb->mem_used = sb->mem_used - old + nsize;
    return p;
}

size_t rg_sandbox_memory_left(const rg_sandbox *sb)
{
    return sb->mem_used < sb->limits.max_memory ? sb->limits.max_memory - sb->mem_used : 0;
}

int rg_sandbox_charge(rg_sandbox *sb, size_t bytes)
{
    if (bytes > rg_sandbox_memory_left(sb)) {
        sb->limit_hit = RG_LIMIT_MEMORY;
        return -1;
    }
    sb->mem_used += bytes;
    return 0;
}

void rg_sandbox_refund(rg_sandbox *sb, size_t bytes)
{
    sb->mem_used -= bytes;
}

static const char *limit_message(rg_sandbox *sb, char *buf, size_t size)
{
    switch (sb->limit_hit) {
    case RG_LIMIT_MEMORY:
        snprintf(buf, size, "policy exceeded its memory limit of %zu bytes (--max-memory)",
                 sb->limits.max_memory);
        break;
    case RG_LIMIT_INSTRUCTIONS:
        snprintf(buf, size, "policy exceeded its limit of %llu instructions (--max-instructions)",
                 (unsigned long long)sb->limits.max_instructions);
        break;
    case RG_LIMIT_TIME:
        snprintf(buf, size, "policy exceeded its time limit of %g s (--timeout)", sb->limits.timeout);
        break;
    default:
        snprintf(buf, size, "policy stopped");
    }
    return buf;
}

static void limit_hook(lua_State *L, lua_Debug *ar)
{
    rg_sandbox *sb = rg_sandbox_of(L);
    char msg[160];
    (void)ar;
    if (sb->limit_hit == RG_LIMIT_NONE) {
        sb->instructions += sb->hook_every;
        if (sb->instructions > sb->limits.max_instructions)
            sb->limit_hit = RG_LIMIT_INSTRUCTIONS;
        else if (monotonic_now() > sb->deadline)
            sb->limit_hit = RG_LIMIT_TIME;
    }
    if (sb->limit_hit != RG_LIMIT_NONE)
        luaL_error(L, "%s", limit_message(sb, msg, sizeof msg));
}

/* ---- Read-only views -----------------------------------------------------
 *
 * A view is an empty table with a metatable of its own whose __index is the target, so
 * reads run in the VM without a call into C; writes are refused and __metatable hides
 * the target.  The target's nested tables are replaced by their views first (targets are
 * fresh tables the engine built: the context, a decoded document, a library), so no
 * read ever returns a writable table.  A marker in the metatable tells views apart. */

static const char ro_mark = 0;   /* its address is the marker's key */

#define VIEW_MAX_DEPTH 1100      /* deeper than any JSON document the engine accepts */

int rg_readonly_target(lua_State *L, int idx)
{
    if (lua_type(L, idx) != LUA_TTABLE || !lua_getmetatable(L, idx))
        return 0;
    if (lua_rawgetp(L, -1, &ro_mark) != LUA_TNUMBER) {
        lua_pop(L, 2);
        return 0;
    }
    lua_pop(L, 1);
    lua_pushliteral(L, "__index");
    lua_rawget(L, -2);
    lua_remove(L, -2);
    return 1;
}

lua_Integer rg_readonly_length(lua_State *L, int idx)
{
    lua_Integer n = -1;
    if (lua_type(L, idx) != LUA_TTABLE || !lua_getmetatable(L, idx))
        return -1;
    if (lua_rawgeti(L, -1, 1) == LUA_TNUMBER)
        n = lua_tointeger(L, -1);
    lua_pop(L, 2);
    return n;
}

int rg_readonly_kind(lua_State *L, int idx)
{
    int kind = RG_VIEW_NONE;
    if (lua_type(L, idx) != LUA_TTABLE || !lua_getmetatable(L, idx))
        return RG_VIEW_NONE;
    if (lua_rawgetp(L, -1, &ro_mark) == LUA_TNUMBER)
        kind = (int)lua_tointeger(L, -1);
    lua_pop(L, 2);
    return kind;
}

static int ro_newindex(lua_State *L)
{
    const char *key = lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : "?";
    return luaL_error(L, "attempt to modify read-only table (field '%s')", key);
}

/* A JSON array's length counts its nulls (holes in the target); other views: the
 * target's border. */
static int ro_len(lua_State *L)
{
    lua_Integer n = rg_readonly_length(L, 1);
    if (n < 0 && rg_readonly_target(L, 1))
        n = (lua_Integer)lua_rawlen(L, -1);
    lua_pushinteger(L, n);
    return 1;
}

/* The iterator pairs() returns for a view: next() over the target, which it holds as
 * an upvalue (never handed to Lua); values are scalars or views already. */
static int ro_next(lua_State *L)
{
    lua_settop(L, 2);
    if (!lua_next(L, lua_upvalueindex(1)))
        return 0;
    return 2;
}

/* The iterator over a JSON array's view: every index up to its length, a null item as
 * nil.  Lua's ipairs stops at the first nil, so a null in a context list hid every item
 * after it (a failed check listed after a null read as none: allow). */
static int array_step(lua_State *L)
{
    lua_Integer i = luaL_checkinteger(L, 2);
    if (i < 0 || i >= rg_readonly_length(L, 1))
        return 0;
    lua_pushinteger(L, i + 1);
    lua_geti(L, 1, i + 1);
    return 2;
}

static int ro_pairs(lua_State *L)
{
    if (rg_readonly_kind(L, 1) == RG_VIEW_ARRAY) {
        lua_pushcfunction(L, array_step);
        lua_pushvalue(L, 1);
        lua_pushinteger(L, 0);
        return 3;
    }
    if (!rg_readonly_target(L, 1))
        return luaL_error(L, "pairs: not a read-only view");
    lua_pushcclosure(L, ro_next, 1);
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

/* Lua's ipairs step: the next index while its value is not nil. */
static int ipairs_step(lua_State *L)
{
    lua_Integer i = luaL_intop(+, luaL_checkinteger(L, 2), 1);
    lua_pushinteger(L, i);
    return lua_geti(L, 1, i) == LUA_TNIL ? 1 : 2;
}

/* ipairs: over a JSON array (the context's, a decoded document's), every item up to its
 * length as pairs gives them, nulls as nil; over any other value, Lua's own. */
static int sandbox_ipairs(lua_State *L)
{
    luaL_checkany(L, 1);
    lua_pushcfunction(L, rg_readonly_kind(L, 1) == RG_VIEW_ARRAY ? array_step : ipairs_step);
    lua_pushvalue(L, 1);
    lua_pushinteger(L, 0);
    return 3;
}

/* The fields every view's metatable has, as an array {key, value, ...}, then "__index":
 * kept in the registry and copied with rawgeti/rawset, since a context makes a dozen
 * views per decision and naming the fields each time cost more than the rest of it. */
static const char seal_template = 0;   /* its address is the registry key */
#define SEAL_FIELDS 4

static void push_seal_template(lua_State *L)
{
    static const luaL_Reg meta[] = {
        {"__newindex", ro_newindex}, {"__len", ro_len}, {"__pairs", ro_pairs}, {NULL, NULL}};
    int n = 0;
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &seal_template) == LUA_TTABLE)
        return;
    lua_pop(L, 1);
    lua_createtable(L, 2 * SEAL_FIELDS + 1, 0);
    for (const luaL_Reg *m = meta; m->name; m++) {
        lua_pushstring(L, m->name);
        lua_rawseti(L, -2, ++n);
        lua_pushcfunction(L, m->func);
        lua_rawseti(L, -2, ++n);
    }
    lua_pushliteral(L, "__metatable");
    lua_rawseti(L, -2, ++n);
    lua_pushliteral(L, "read-only");
    lua_rawseti(L, -2, ++n);
    lua_pushliteral(L, "__index");
    lua_rawseti(L, -2, ++n);
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &seal_template);
}

/* Push a view of the table at IDX, whose nested tables are views already; KIND is an
 * RG_VIEW_ kind, LENGTH a JSON array's (nulls included). */
static void push_seal(lua_State *L, int idx, int kind, lua_Integer length)
{
    luaL_checkstack(L, 6, "read-only view");
    idx = lua_absindex(L, idx);
    lua_createtable(L, 0, 0);                  /* the view */
    lua_createtable(L, 0, SEAL_FIELDS + 2);    /* its metatable */
    push_seal_template(L);
    for (int i = 1; i <= 2 * SEAL_FIELDS; i += 2) {
        lua_rawgeti(L, -1, i);
        lua_rawgeti(L, -2, i + 1);
        lua_rawset(L, -4);
    }
    lua_rawgeti(L, -1, 2 * SEAL_FIELDS + 1);   /* "__index": the target */
    lua_pushvalue(L, idx);
    lua_rawset(L, -4);
    lua_pop(L, 1);
    lua_pushinteger(L, kind);
    lua_rawsetp(L, -2, &ro_mark);
    if (kind == RG_VIEW_ARRAY) {
        lua_pushinteger(L, length);
        lua_rawseti(L, -2, 1);
    }
    lua_setmetatable(L, -2);
}

void rg_readonly_seal(lua_State *L, int kind, lua_Integer length)
{
    push_seal(L, lua_gettop(L), kind, length);
    lua_replace(L, -2);
}

static void push_view(lua_State *L, int idx, int depth)
{
    luaL_checkstack(L, 8, "read-only view");
    if (rg_readonly_target(L, idx)) { /* already a view */
        lua_pop(L, 1);
        lua_pushvalue(L, idx);
        return;
    }
    if (depth > VIEW_MAX_DEPTH)
        luaL_error(L, "a read-only table nested deeper than %d levels", VIEW_MAX_DEPTH);
    /* Nested tables first: the target then only ever holds scalars and views. */
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (lua_type(L, -1) == LUA_TTABLE) {
            push_view(L, lua_gettop(L), depth + 1);
            lua_pushvalue(L, -3);
            lua_insert(L, -2);
            lua_rawset(L, idx);   /* changing an existing field while traversing is allowed */
        }
        lua_pop(L, 1);
    }
    push_seal(L, idx, RG_VIEW_TABLE, 0);
}

void rg_push_readonly(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    if (lua_type(L, idx) != LUA_TTABLE) {
        lua_pushvalue(L, idx);
        return;
    }
    push_view(L, idx, 0);
}

/* ---- Globals ------------------------------------------------------------- */

/* Reading a global looks in the policy's globals, then in the builtins, then fails:
 * a chain of __index tables the VM follows by itself (no call into C for a name that
 * exists), ending in this function for one that does not. */
static int undefined_global(lua_State *L)
{
    return luaL_error(L, "undefined global '%s'",
                      lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : "?");
}

/* A global a module sets while it loads is the module's, like what it returns: sealed
 * once it has loaded (module_globals_seal), and no one else may assign it -- else a
 * policy that required the module first could change a setting the module keeps there
 * before a base that shares the module runs (hostile round 32, F01).  Records NAME for
 * the module loading now; 0, or -1 with the error message pushed. */
static int module_global(lua_State *L, const char *name)
{
    int top = lua_gettop(L), rc = 0;
    const char *loading = lua_getfield(L, LUA_REGISTRYINDEX, KEY_LOADING_MODULE) == LUA_TSTRING
                              ? lua_tostring(L, -1) : NULL;
    if (lua_getfield(L, LUA_REGISTRYINDEX, KEY_MODULE_GLOBALS) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setfield(L, LUA_REGISTRYINDEX, KEY_MODULE_GLOBALS);
    }
    lua_pushstring(L, name);
    if (lua_rawget(L, -2) == LUA_TSTRING) {
        const char *owner = lua_tostring(L, -1), *colon = strchr(owner, ':');
        if (!loading || strcmp(owner, loading) != 0) {
            lua_pushfstring(L, "cannot redefine global '%s' of module '%s': a module's globals are "
                               "read-only once it has loaded", name, colon ? colon + 1 : owner);
            lua_replace(L, top + 1);
            rc = -1;
        }
    } else if (loading) {
        lua_pushstring(L, name);
        lua_pushstring(L, loading);
        lua_rawset(L, -4);
    }
    lua_settop(L, top + (rc != 0));
    return rc;
}

/* Seal what the module loaded under KEY (its loaded key) set as globals. */
static void module_globals_seal(lua_State *L, const char *key)
{
    int top = lua_gettop(L);
    if (lua_getfield(L, LUA_REGISTRYINDEX, KEY_MODULE_GLOBALS) == LUA_TTABLE) {
        lua_getfield(L, LUA_REGISTRYINDEX, KEY_GLOBALS);
        lua_pushnil(L);
        while (lua_next(L, top + 1)) {
            if (lua_type(L, -1) == LUA_TSTRING && strcmp(lua_tostring(L, -1), key) == 0) {
                lua_pushvalue(L, -2);
                lua_rawget(L, top + 2);
                rg_sandbox_seal_reachable(L, -1);
                lua_pop(L, 1);
            }
            lua_pop(L, 1);
        }
    }
    lua_settop(L, top);
}

static int env_newindex(lua_State *L)
{
    rg_sandbox *sb = rg_sandbox_of(L);
    const char *name = lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : "?";
    if (sb->frozen)
        return luaL_error(L, "cannot assign global '%s' while checks run: use a local", name);
    lua_getfield(L, LUA_REGISTRYINDEX, KEY_BUILTINS);
    lua_pushvalue(L, 2);
    if (lua_rawget(L, -2) != LUA_TNIL)
        return luaL_error(L, "cannot redefine builtin '%s'", name);
    if (lua_getfield(L, LUA_REGISTRYINDEX, KEY_BASE_GLOBALS) == LUA_TTABLE) {
        lua_pushvalue(L, 2);
        if (lua_rawget(L, -2) == LUA_TSTRING)
            return luaL_error(L, "cannot redefine global '%s' of the base policy '%s': change its "
                                 "requirements with override or disable", name, lua_tostring(L, -1));
    }
    if (module_global(L, name) != 0)
        return lua_error(L);
    lua_getfield(L, LUA_REGISTRYINDEX, KEY_GLOBALS);
    lua_pushvalue(L, 2);
    lua_pushvalue(L, 3);
    lua_rawset(L, -3);
    return 0;
}

void rg_sandbox_set_builtin(rg_sandbox *sb, const char *name)
{
    lua_State *L = sb->L;
    lua_getfield(L, LUA_REGISTRYINDEX, KEY_BUILTINS);
    lua_insert(L, -2);
    lua_setfield(L, -2, name);
    lua_pop(L, 1);
}

/* Copy the named fields of the table on top into a fresh table, publish a read-only
 * view of it as builtin NAME, and pop the source. */
static void publish_subset(rg_sandbox *sb, const char *name, const char *const *fields)
{
    lua_State *L = sb->L;
    lua_newtable(L);
    for (; *fields; fields++) {
        lua_getfield(L, -2, *fields);
        lua_setfield(L, -2, *fields);
    }
    rg_push_readonly(L, -1);
    rg_sandbox_set_builtin(sb, name);
    lua_pop(L, 2);
}

/* pcall and xpcall that never swallow a limit or a path-rule violation: rethrow. */
static int rethrow_if_limited(lua_State *L, rg_sandbox *sb, int status)
{
    char msg[160];
    if (status == LUA_ERRMEM && sb->limit_hit == RG_LIMIT_NONE)
        sb->limit_hit = RG_LIMIT_MEMORY;
    if (sb->limit_hit != RG_LIMIT_NONE)
        return luaL_error(L, "%s", limit_message(sb, msg, sizeof msg));
    if (sb->error_kind != RG_ERROR_NONE)
        return luaL_error(L, "%s", sb->violation);
    return 0;
}

static int sandbox_pcall(lua_State *L)
{
    rg_sandbox *sb = rg_sandbox_of(L);
    int status;
    luaL_checkany(L, 1);
    status = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
    rethrow_if_limited(L, sb, status);
    if (status != LUA_OK) {
        sb->error_file[0] = '\0'; /* caught: no longer where an error is */
        lua_pushboolean(L, 0);
        lua_insert(L, -2);
        return 2;
    }
    lua_pushboolean(L, 1);
    lua_insert(L, 1);
    return lua_gettop(L);
}

static int sandbox_xpcall(lua_State *L)
{
    rg_sandbox *sb = rg_sandbox_of(L);
    int n = lua_gettop(L), status;
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_pushvalue(L, 1);
    lua_copy(L, 2, 1); /* handler at 1, function at 2 */
    lua_replace(L, 2);
    status = lua_pcall(L, n - 2, LUA_MULTRET, 1);
    rethrow_if_limited(L, sb, status);
    if (status != LUA_OK) {
        sb->error_file[0] = '\0';
        lua_pushboolean(L, 0);
        lua_insert(L, -2);
        return 2;
    }
    lua_pushboolean(L, 1);
    lua_replace(L, 1);
    return lua_gettop(L);
}

/* next, rawget and rawlen see through read-only views (the context, decoded JSON and
 * the policy's own tables once frozen): raw access reads what a view shows. */
static void unwrap_view(lua_State *L, int idx)
{
    if (rg_readonly_target(L, idx))
        lua_replace(L, idx);
}

static int sandbox_next(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 2);
    unwrap_view(L, 1);
    if (lua_next(L, 1))
        return 2;
    lua_pushnil(L);
    return 1;
}

static int sandbox_rawget(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checkany(L, 2);
    lua_settop(L, 2);
    unwrap_view(L, 1);
    lua_rawget(L, 1);
    return 1;
}

static int sandbox_rawlen(lua_State *L)
{
    int t = lua_type(L, 1);
    luaL_argexpected(L, t == LUA_TTABLE || t == LUA_TSTRING, 1, "table or string");
    lua_settop(L, 1);
    if (t == LUA_TTABLE)
        unwrap_view(L, 1);
    lua_pushinteger(L, (lua_Integer)lua_rawlen(L, 1));
    return 1;
}

/* setmetatable refusing __gc: finalizers run with hooks off, out of the limits' reach. */
static int sandbox_setmetatable(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    if (!lua_isnoneornil(L, 2)) {
        luaL_checktype(L, 2, LUA_TTABLE);
        lua_pushliteral(L, "__gc");
        if (lua_rawget(L, 2) != LUA_TNIL)
            return luaL_error(L, "__gc metamethods are not allowed in policies");
        lua_pop(L, 1);
    }
    if (luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL)
        return luaL_error(L, "cannot change a protected metatable");
    lua_settop(L, 2);
    lua_setmetatable(L, 1);
    return 1;
}

/* print goes to stderr (stdout belongs to the decision), as neutralised lines, and at
 * most PRINT_CAP bytes of it per evaluation (a test run is one; loading the policy is
 * another), prefixes included: a policy cannot flood a CI log.  Past the cap, one line
 * says the rest was dropped. */
#define PRINT_CAP (64u << 10)

/* Write TEXT's lines, each after PREFIX, while they fit under the cap; cut the line that
 * does not (SB->printed then passes the cap). */
static void print_within_cap(rg_sandbox *sb, const char *prefix, const char *text, size_t len)
{
    size_t plen = strlen(prefix);
    while (len > 0 && sb->printed <= PRINT_CAP) {
        const char *nl = memchr(text, '\n', len);
        size_t n = nl ? (size_t)(nl - text) + 1 : len;
        size_t cost = plen + n + (nl ? 0 : 1), room = PRINT_CAP - sb->printed;
        if (cost > room) {
            if (room > plen + 1)
                rg_write_untrusted_lines(stderr, prefix, text, room - plen - 1);
            sb->printed = PRINT_CAP + 1;
            return;
        }
        rg_write_untrusted_lines(stderr, prefix, text, n);
        sb->printed += cost;
        text += n;
        len -= n;
    }
}

static int sandbox_print(lua_State *L)
{
    rg_sandbox *sb = rg_sandbox_of(L);
    int n = lua_gettop(L);
    size_t len;
    const char *text, *prefix;
    luaL_Buffer b;
    if (sb->printed_in != sb->evaluation) {
        sb->printed_in = sb->evaluation;
        sb->printed = 0;
    }
    if (sb->printed > PRINT_CAP)
        return 0;   /* dropped, and said so already */
    luaL_where(L, 1);
    prefix = lua_pushfstring(L, "policy: %s", lua_tostring(L, -1));
    luaL_buffinit(L, &b);
    for (int i = 1; i <= n; i++) {
        if (i > 1) luaL_addchar(&b, '\t');
        luaL_tolstring(L, i, NULL);
        luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
    text = lua_tolstring(L, -1, &len);
    if (len == 0)
        text = "\n", len = 1;   /* print() alone: an empty line */
    print_within_cap(sb, prefix, text, len);
    if (sb->printed > PRINT_CAP)
        fprintf(stderr, "relgate: policy output past %u KiB in one evaluation: the rest is dropped\n",
                PRINT_CAP >> 10);
    return 0;
}

/* os.time() and os.date() read the evaluation clock, in UTC, so decisions reproduce.
 * Their arguments are bounded before any arithmetic: years 0000 to 9999 as everywhere
 * in the engine, other fields within a few thousand years' worth of their unit (timegm
 * normalises them), so no value converts or adds out of range. */
#define TIME_MIN INT64_C(-62167219200)    /* 0000-01-01T00:00:00Z */
#define TIME_MAX INT64_C(253402300799)    /* 9999-12-31T23:59:59Z */
#define FIELD_MAX 400000000               /* 400 million: an int with room to spare */

/* Field KEY of the table at 1: an integer from LO to HI, or DEFAULT_ when absent
 * (REQUIRED: absent is an error). */
static int time_field(lua_State *L, const char *key, int default_, int required, lua_Integer lo, lua_Integer hi)
{
    lua_Integer v;
    int isnum;
    if (lua_getfield(L, 1, key) == LUA_TNIL && !required) {
        lua_pop(L, 1);
        return default_;
    }
    v = lua_tointegerx(L, -1, &isnum);
    if (!isnum || v < lo || v > hi)
        return luaL_error(L, "os.time: field '%s' must be a whole number from %I to %I", key, lo, hi);
    lua_pop(L, 1);
    return (int)v;
}

/* os.clock(): the CPU time this evaluation has used, not the process's: a batch line or a
 * service request must not learn how much an earlier one spent (state between decisions). */
static int sandbox_os_clock(lua_State *L)
{
    lua_pushnumber(L, (lua_Number)(clock() - rg_sandbox_of(L)->cpu_at_start) / (lua_Number)CLOCKS_PER_SEC);
    return 1;
}

static int sandbox_os_time(lua_State *L)
{
    struct tm tm;
    time_t t;
    if (lua_isnoneornil(L, 1)) {
        lua_pushinteger(L, (lua_Integer)rg_sandbox_of(L)->now);
        return 1;
    }
    luaL_checktype(L, 1, LUA_TTABLE);
    memset(&tm, 0, sizeof tm);
    tm.tm_year = time_field(L, "year", 0, 1, 0, 9999) - 1900;
    tm.tm_mon = time_field(L, "month", 0, 1, -FIELD_MAX, FIELD_MAX) - 1;
    tm.tm_mday = time_field(L, "day", 0, 1, -FIELD_MAX, FIELD_MAX);
    tm.tm_hour = time_field(L, "hour", 12, 0, -FIELD_MAX, FIELD_MAX);
    tm.tm_min = time_field(L, "min", 0, 0, -FIELD_MAX, FIELD_MAX);
    tm.tm_sec = time_field(L, "sec", 0, 0, -FIELD_MAX, FIELD_MAX);
    t = timegm(&tm);
    if ((int64_t)t < TIME_MIN || (int64_t)t > TIME_MAX)
        return luaL_error(L, "os.time: the date is outside the years 0000 to 9999");
    lua_pushinteger(L, (lua_Integer)t);
    return 1;
}

static int sandbox_os_date(lua_State *L)
{
    const char *fmt = luaL_optstring(L, 1, "%c");
    lua_Integer t = luaL_optinteger(L, 2, (lua_Integer)rg_sandbox_of(L)->now);
    if (t < TIME_MIN || t > TIME_MAX)
        return luaL_error(L, "os.date: time %I is outside the years 0000 to 9999", t);
    lua_pushvalue(L, lua_upvalueindex(1)); /* the real os.date */
    if (fmt[0] == '!')
        lua_pushstring(L, fmt);
    else
        lua_pushfstring(L, "!%s", fmt);
    lua_pushinteger(L, t);
    lua_call(L, 2, 1);
    return 1;
}

static void open_globals(rg_sandbox *sb)
{
    static const char *const base_names[] = {
        "assert", "error", "getmetatable", "pairs", "rawequal", "select", "tonumber",
        "tostring", "type", "_VERSION", NULL};
    static const char *const string_names[] = {
        "byte", "char", "find", "format", "gmatch", "gsub", "len", "lower", "match", "rep",
        "reverse", "sub", "upper", "pack", "packsize", "unpack", NULL};
    static const char *const table_names[] = {
        "concat", "insert", "move", "pack", "remove", "sort", "unpack", NULL};
    static const char *const math_names[] = {
        "abs", "acos", "asin", "atan", "ceil", "cos", "deg", "exp", "floor", "fmod", "huge", "log", "max", "maxinteger",
        "min", "mininteger", "modf", "pi", "rad", "random", "randomseed", "sin", "sqrt", "tan",
        "tointeger", "type", "ult", NULL};
    static const char *const utf8_names[] = {
        "char", "charpattern", "codes", "codepoint", "len", "offset", NULL};
    lua_State *L = sb->L;

    lua_newtable(L);                           /* builtins -> undefined_global */
    lua_newtable(L);
    lua_pushcfunction(L, undefined_global);
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, -2);
    lua_setfield(L, LUA_REGISTRYINDEX, KEY_BUILTINS);
    lua_newtable(L);                           /* globals -> builtins */
    lua_newtable(L);
    lua_getfield(L, LUA_REGISTRYINDEX, KEY_BUILTINS);
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, -2);
    lua_setfield(L, LUA_REGISTRYINDEX, KEY_GLOBALS);

    luaL_requiref(L, "_G", luaopen_base, 0);
    for (const char *const *n = base_names; *n; n++) {
        lua_getfield(L, -1, *n);
        rg_sandbox_set_builtin(sb, *n);
    }
    lua_pop(L, 1);
    lua_pushcfunction(L, sandbox_pcall);
    rg_sandbox_set_builtin(sb, "pcall");
    lua_pushcfunction(L, sandbox_xpcall);
    rg_sandbox_set_builtin(sb, "xpcall");
    lua_pushcfunction(L, sandbox_setmetatable);
    rg_sandbox_set_builtin(sb, "setmetatable");
    lua_pushcfunction(L, sandbox_ipairs);
    rg_sandbox_set_builtin(sb, "ipairs");
    lua_pushcfunction(L, sandbox_next);
    rg_sandbox_set_builtin(sb, "next");
    lua_pushcfunction(L, sandbox_rawget);
    rg_sandbox_set_builtin(sb, "rawget");
    lua_pushcfunction(L, sandbox_rawlen);
    rg_sandbox_set_builtin(sb, "rawlen");
    lua_pushcfunction(L, sandbox_print);
    rg_sandbox_set_builtin(sb, "print");

    luaL_requiref(L, "string", luaopen_string, 0);
    /* Methods on strings reach the real string table: take dump (bytecode) out of it. */
    lua_pushnil(L);
    lua_setfield(L, -2, "dump");
    /* Strings share one metatable: hide it so no policy can reach the real string table. */
    lua_pushliteral(L, "");
    lua_getmetatable(L, -1);
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 2);
    publish_subset(sb, "string", string_names);
    luaL_requiref(L, "table", luaopen_table, 0);
    publish_subset(sb, "table", table_names);
    luaL_requiref(L, "math", luaopen_math, 0);
    lua_getfield(L, -1, "randomseed");
    lua_setfield(L, LUA_REGISTRYINDEX, KEY_RANDOMSEED);
    publish_subset(sb, "math", math_names);
    luaL_requiref(L, "utf8", luaopen_utf8, 0);
    publish_subset(sb, "utf8", utf8_names);

    luaL_requiref(L, "os", luaopen_os, 0);
    lua_newtable(L);
    lua_pushcfunction(L, sandbox_os_clock);
    lua_setfield(L, -2, "clock");
    lua_pushcfunction(L, sandbox_os_time);
    lua_setfield(L, -2, "time");
    lua_getfield(L, -2, "date");
    lua_pushcclosure(L, sandbox_os_date, 1);
    lua_setfield(L, -2, "date");
    rg_push_readonly(L, -1);
    rg_sandbox_set_builtin(sb, "os");
    lua_pop(L, 2);

    /* The libraries registered themselves in package.loaded-like _LOADED; drop it so
     * nothing reaches the full tables through the registry. */
    lua_pushnil(L);
    lua_setfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, KEY_LOADED);

    /* The environment every chunk gets: empty, all access through the metamethods
     * (the tables behind them are reachable only from the registry). */
    lua_newtable(L);
    lua_newtable(L);
    lua_getfield(L, LUA_REGISTRYINDEX, KEY_GLOBALS);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, env_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushliteral(L, "protected");
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
    lua_setfield(L, LUA_REGISTRYINDEX, KEY_ENV);
}

/* ---- Loading and calling --------------------------------------------------- */

/* REAL relative to DIR (both resolved) when it lies strictly below DIR, else NULL. */
static const char *below(const char *real, const char *dir)
{
    size_t n = strlen(dir);
    if (!rg_path_within(real, dir) || strcmp(real, dir) == 0)
        return NULL;
    return real + n + (real[n] == '/');   /* DIR "/" ends in the slash already */
}

int rg_sandbox_resolve_inside(const rg_sandbox *sb, const char *path, char *real)
{
    if (!realpath(path, real))
        return -1;
    return below(real, sb->dir) ? 0 : -2;
}

/* Load TEXT (LEN bytes) as the chunk CHUNKNAME; NAME: the file as the policy's digest
 * names it. */
static int load_text(rg_sandbox *sb, const char *text, size_t len, const char *name, const char *chunkname,
                     rg_error *err)
{
    lua_State *L = sb->L;
    int status;
    const char *display = chunkname[0] == '@' ? chunkname + 1 : chunkname;
    if (len > 0 && text[0] == LUA_SIGNATURE[0])
        return rg_fail(err, RG_ERROR_POLICY, display, 1, 0,
                       "%s:1: precompiled Lua bytecode is not accepted; policies load as text",
                       display);
    rg_sha256_update(sb->digest, name, strlen(name) + 1);
    rg_sha256_update(sb->digest, text, len);
    status = luaL_loadbufferx(L, text, len, chunkname, "t");
    if (status != LUA_OK) {
        const char *msg = lua_tostring(L, -1);
        const char *colon;
        int line = 0;
        /* Syntax errors read "file:line: message". */
        size_t dl = strlen(display);
        if (msg && strncmp(msg, display, dl) == 0 && msg[dl] == ':') {
            line = atoi(msg + dl + 1);
        } else if (msg && (colon = strchr(msg, ':')) != NULL) {
            line = atoi(colon + 1);
        }
        rg_fail(err, status == LUA_ERRMEM ? RG_ERROR_LIMIT : RG_ERROR_POLICY, display, line, 0,
                "%s", msg ? msg : "cannot load policy");
        lua_pop(L, 1);
        return -1;
    }
    /* Give the chunk the sandbox's environment as its _ENV upvalue. */
    lua_getfield(L, LUA_REGISTRYINDEX, KEY_ENV);
    lua_setupvalue(L, -2, 1);
    if (sb->keep_chunks && lua_checkstack(L, 3)) {
        if (lua_getfield(L, LUA_REGISTRYINDEX, "rg.lint.chunks") != LUA_TTABLE) {
            lua_pop(L, 1);
            lua_newtable(L);
            lua_pushvalue(L, -1);
            lua_setfield(L, LUA_REGISTRYINDEX, "rg.lint.chunks");
        }
        lua_pushvalue(L, -2);
        lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
        lua_pop(L, 1);
    }
    return 0;
}

/* REAL (a resolved path) among the files SB was loaded from: 0, or -1 out of memory. */
static int note_loaded(rg_sandbox *sb, const char *real)
{
    char **more = realloc(sb->loaded, (sb->loaded_count + 1) * sizeof *more);
    if (!more)
        return -1;
    sb->loaded = more;
    if (!(sb->loaded[sb->loaded_count] = strdup(real)))
        return -1;
    sb->loaded_count++;
    return 0;
}

/* A directory bundle at DIR (B opened from it): its bundle.json and every file it pins,
 * among the files SB was loaded from.  0, or -1 out of memory. */
static int note_bundle_files(rg_sandbox *sb, const char *dir, const rg_bundle *b)
{
    struct stat st;
    char path[2 * PATH_MAX];
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return 0;
    snprintf(path, sizeof path, "%s/bundle.json", dir);
    if (note_loaded(sb, path) != 0)
        return -1;
    for (size_t i = 0; i < b->count; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, b->files[i].path);
        if (note_loaded(sb, path) != 0)
            return -1;
    }
    return 0;
}

int rg_sandbox_loaded_from(const rg_sandbox *sb, const char *path)
{
    for (size_t i = 0; i < sb->loaded_count; i++)
        if (rg_same_place(path, sb->loaded[i]))
            return 1;
    return 0;
}

int rg_sandbox_load(rg_sandbox *sb, const char *path, const char *chunkname, rg_error *err)
{
    char *text = NULL, real[PATH_MAX];
    size_t len = 0;
    int rc, resolved;
    const char *display = chunkname[0] == '@' ? chunkname + 1 : chunkname, *rel, *base = strrchr(display, '/');
    if (rg_read_file(path, "policy", sb->limits.max_policy_bytes, &text, &len, err) != 0) {
        rg_strlcpy(err->file, display, sizeof err->file);
        return -1;
    }
    /* Name the file relative to the policy's directory: the digest must not depend on
     * how the path was spelled on the command line. */
    resolved = realpath(path, real) != NULL;
    /* Kept, so that nothing relgate writes lands on it (an output over a module). */
    if (note_loaded(sb, resolved ? real : path) != 0) {
        free(text);
        return rg_fail(err, RG_ERROR_INTERNAL, display, 0, 0, "out of memory");
    }
    rel = sb->dir && resolved ? below(real, sb->dir) : NULL;
    /* a base on the policy path: relative to its directory there */
    for (int i = 0; !rel && resolved && i < sb->search_count; i++)
        rel = below(real, sb->search[i]);
    if (!rel)
        rel = base ? base + 1 : display;
    rc = load_text(sb, text, len, rel, chunkname, err);
    free(text);
    return rc;
}

/* Message handler: keep the message (truncated; non-strings described, never
 * converted, as __tostring could be hostile), note the innermost Lua frame and a
 * traceback. */
static int message_handler(lua_State *L)
{
    const char *msg;
    size_t len = 0;
    lua_Debug ar;
    if (lua_type(L, 1) == LUA_TSTRING) {
        msg = lua_tolstring(L, 1, &len);
        if (len > MESSAGE_CAP)
            lua_pushfstring(L, "%s... (error message truncated)", lua_pushlstring(L, msg, MESSAGE_CAP));
        else
            lua_pushvalue(L, 1);
    } else {
        lua_pushfstring(L, "error object is a %s value", luaL_typename(L, 1));
    }
    msg = lua_tostring(L, -1);
    luaL_traceback(L, L, NULL, 1);
    lua_setfield(L, LUA_REGISTRYINDEX, KEY_TRACEBACK);
    /* Innermost frame with a line: where a message without "file:line:" came from. */
    for (int level = 1; lua_getstack(L, level, &ar); level++) {
        if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0) {
            /* The full file name: short_src cuts long paths to "...", in the message too. */
            const char *full = ar.source[0] == '@' ? ar.source + 1 : ar.short_src;
            size_t n = strlen(ar.short_src);
            if (strcmp(full, ar.short_src) != 0 && strncmp(msg, ar.short_src, n) == 0 && msg[n] == ':')
                msg = lua_pushfstring(L, "%s%s", full, msg + n);
            lua_pushfstring(L, "%s\n%s\n%d", msg, full, ar.currentline);
            return 1;
        }
    }
    lua_pushfstring(L, "%s\n\n0", msg);
    return 1;
}

/* Turn the handler's "message\nfile\nline" into ERR. */
static void fill_error(rg_sandbox *sb, int status, rg_error *err)
{
    lua_State *L = sb->L;
    const char *packed = lua_tostring(L, -1);
    char msg[RG_ERROR_MESSAGE_MAX], file[RG_ERROR_FILE_MAX], limit[160];
    const char *nl1, *nl2;
    int line = 0;
    rg_error_kind kind = RG_ERROR_POLICY;

    msg[0] = file[0] = '\0';
    if (status == LUA_ERRMEM && sb->limit_hit == RG_LIMIT_NONE)
        sb->limit_hit = RG_LIMIT_MEMORY;
    if (packed && (nl2 = strrchr(packed, '\n')) && nl2 > packed) {
        nl1 = nl2 - 1;
        while (nl1 > packed && *nl1 != '\n') nl1--;
        if (*nl1 == '\n') {
            size_t n = (size_t)(nl1 - packed);
            if (n >= sizeof msg) n = sizeof msg - 1;
            memcpy(msg, packed, n);
            msg[n] = '\0';
            n = (size_t)(nl2 - nl1 - 1);
            if (n >= sizeof file) n = sizeof file - 1;
            memcpy(file, nl1 + 1, n);
            file[n] = '\0';
            line = atoi(nl2 + 1);
        }
    } else if (packed) {
        rg_strlcpy(msg, packed, sizeof msg);
    }
    if (sb->error_file[0]) {
        rg_strlcpy(file, sb->error_file, sizeof file);
        line = sb->error_line;
        sb->error_file[0] = '\0';
    }
    if (sb->limit_hit != RG_LIMIT_NONE) {
        kind = RG_ERROR_LIMIT;
        limit_message(sb, limit, sizeof limit);
        if (file[0] && (size_t)snprintf(msg, sizeof msg, "%s:%d: %s", file, line, limit) < sizeof msg)
            ;
        else
            rg_strlcpy(msg, limit, sizeof msg);
    } else if (status == LUA_ERRERR) {
        rg_strlcpy(msg, "error while handling an error in the policy", sizeof msg);
    } else if (sb->error_kind != RG_ERROR_NONE) {
        kind = sb->error_kind;
    }
    /* Every message names its place, even when the policy raised a bare one. */
    if (file[0] && line > 0 && strncmp(msg, file, strlen(file)) != 0) {
        char placed[RG_ERROR_MESSAGE_MAX + RG_ERROR_FILE_MAX + 16];
        if ((size_t)snprintf(placed, sizeof placed, "%s:%d: %s", file, line, msg) < sizeof placed)
            rg_strlcpy(msg, placed, sizeof msg);
    }
    sb->error_kind = RG_ERROR_NONE;
    sb->violation[0] = '\0';
    rg_fail(err, kind, file[0] ? file : NULL, line, 0, "%s", msg[0] ? msg : "policy error");
    lua_getfield(L, LUA_REGISTRYINDEX, KEY_TRACEBACK);
    if (lua_isstring(L, -1))
        rg_error_set_traceback(err, strdup(lua_tostring(L, -1)));
    lua_pop(L, 2);
    lua_pushnil(L);
    lua_setfield(L, LUA_REGISTRYINDEX, KEY_TRACEBACK);
}

static rg_watchdog_fn watchdog;
static int undo_changes(rg_sandbox *sb, int status, int base);

void rg_set_watchdog(rg_watchdog_fn fn)
{
    watchdog = fn;
}

void rg_sandbox_new_budget(rg_sandbox *sb)
{
    lua_State *L = sb->L;
    sb->instructions = 0;
    sb->evaluation++;
    /* Each evaluation starts from a state no earlier one chose: the random generator
     * seeded afresh (not as math.randomseed in an earlier batch line left it), os.clock
     * counted from zero. */
    sb->cpu_at_start = clock();
    if (lua_getfield(L, LUA_REGISTRYINDEX, KEY_RANDOMSEED) != LUA_TFUNCTION || lua_pcall(L, 0, 0, 0) != LUA_OK)
        lua_pop(L, 1);   /* its error (out of memory): the evaluation then fails on its own */
    sb->deadline = monotonic_now() + sb->limits.timeout;
    sb->limit_hit = RG_LIMIT_NONE; /* Lua's state stays consistent after a limit error */
}

void rg_sandbox_pause_clock(rg_sandbox *sb, double seconds)
{
    sb->deadline += seconds;
}

int rg_sandbox_call(rg_sandbox *sb, int nargs, int nresults, rg_error *err)
{
    lua_State *L = sb->L;
    int base = lua_gettop(L) - nargs, status;
    if (sb->limit_hit != RG_LIMIT_NONE) {
        lua_settop(L, base - 1);
        lua_pushliteral(L, "\n\n0");
        fill_error(sb, LUA_ERRRUN, err);
        return -1;
    }
    lua_pushcfunction(L, message_handler);
    lua_insert(L, base);
    /* Armed for an earlier deadline it may stay while that is no more than half a second
     * early (it has a second's grace): a paused clock moves the deadline a little. */
    if (watchdog && (sb->watchdog_deadline == 0 || sb->deadline > sb->watchdog_deadline + 0.5 ||
                     sb->deadline < sb->watchdog_deadline)) {
        double left = sb->deadline - monotonic_now();
        watchdog((left > 0 ? left : 0) + 1.0);
        sb->watchdog_deadline = sb->deadline;
    }
    status = lua_pcall(L, nargs, nresults, base);
    if (sb->frozen)
        status = undo_changes(sb, status, base + 1);
    if (!sb->watchdog_hold)
        rg_sandbox_hold_watchdog(sb, 0);
    lua_remove(L, base);
    if (status != LUA_OK) {
        fill_error(sb, status, err);
        return -1;
    }
    return 0;
}

void rg_sandbox_hold_watchdog(rg_sandbox *sb, int on)
{
    sb->watchdog_hold = on;
    if (!on && sb->watchdog_deadline != 0) {
        if (watchdog)
            watchdog(0);
        sb->watchdog_deadline = 0;
    }
}

/* ---- Freezing --------------------------------------------------------------------
 *
 * Once the policy has loaded, no check may leave state for another check, or for the
 * next decision of a batch.  Tables the policy can reach are sealed in place: their
 * contents move to a hidden store behind a read-only view (the view machinery above:
 * reads, #, pairs, next and the JSON conversion all see through it) and writing raises.
 * Variables (upvalues) cannot be sealed, so they are snapshotted: after every call into
 * policy code a changed one is put back and the call is an error.  Fields named "__..."
 * also stay in the table itself, since Lua reads a metatable's metamethods raw (a sealed
 * class table still works as a metatable): they are snapshotted too. */

static const char KEY_WALK_SEEN[] = "rg.freeze.seen";     /* what a walk has done, or skips */
static const char KEY_WALK_IDS[] = "rg.freeze.upvalues";  /* upvalue ids already snapshotted */
static const char KEY_SNAPSHOT[] = "rg.freeze.snapshot";  /* the snapshot thread */

static int frozen_newindex(lua_State *L)
{
    rg_sandbox *sb = rg_sandbox_of(L);
    const char *key = lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : luaL_typename(L, 2);
    if (sb->frozen)
        return luaL_error(L, "cannot modify module/global table (field '%s') while checks run: what "
                             "the policy set up while loading is frozen, so that no check leaves state "
                             "for another; build new tables in locals", key);
    return luaL_error(L, "cannot modify a table of a module or of the base policy (field '%s'): what a "
                         "module returned is read-only once it has loaded; change a base's requirements "
                         "with override or disable", key);
}

/* Snapshot slot KEY (an upvalue index, or a field name) of OWNER (a function or a table,
 * at OWNER_IDX) holding the value on top of L's stack, which stays. */
static void snapshot_add(lua_State *L, int owner_idx, int upvalue, const char *field)
{
    rg_sandbox *sb = rg_sandbox_of(L);
    owner_idx = lua_absindex(L, owner_idx);
    if (sb->snapshot_len == sb->snapshot_cap) {
        int cap = sb->snapshot_cap ? 2 * sb->snapshot_cap : 64;
        int *grown = realloc(sb->snapshot_upvalue, (size_t)cap * sizeof *grown);
        if (!grown)
            luaL_error(L, "not enough memory to freeze the policy's state");
        sb->snapshot_upvalue = grown;
        sb->snapshot_cap = cap;
    }
    if (!lua_checkstack(sb->snapshot, 8))
        luaL_error(L, "not enough memory to freeze the policy's state");
    sb->snapshot_upvalue[sb->snapshot_len] = field ? 0 : upvalue;
    lua_pushvalue(L, owner_idx);
    if (field)
        lua_pushstring(L, field);
    else
        lua_pushinteger(L, upvalue);
    lua_pushvalue(L, -3);
    lua_xmove(L, sb->snapshot, 3);
    sb->snapshot_len++;
}

typedef struct walk {
    int seen, ids, work;   /* stack indexes of the bookkeeping tables */
    lua_Integer n;         /* entries on the work list */
    int data_only;         /* memo results: a function is an error */
} walk;

static void walk_push(lua_State *L, walk *w, int idx)
{
    int type = lua_type(L, idx);
    if (type != LUA_TTABLE && type != LUA_TFUNCTION)
        return;
    lua_pushvalue(L, idx);
    lua_pushvalue(L, -1);
    if (lua_rawget(L, w->seen) != LUA_TNIL) {
        lua_pop(L, 2);
        return;
    }
    lua_pop(L, 1);
    lua_rawseti(L, w->work, ++w->n);
}

static int memo_call(lua_State *L);

/* Snapshot the upvalues of the Lua function at IDX and walk what they hold. */
static void walk_function(lua_State *L, walk *w, int idx)
{
    if (w->data_only)
        luaL_error(L, "memo: a memoized function may return only data (tables, strings, numbers, "
                      "booleans), not a function");
    if (lua_tocfunction(L, idx) == memo_call) { /* the engine's closure: what it memoizes */
        lua_getupvalue(L, idx, 1);
        walk_push(L, w, -1);
        lua_pop(L, 1);
        return;
    }
    if (lua_iscfunction(L, idx))
        return; /* the engine's own, holding nothing of the policy's */
    for (int n = 1; lua_getupvalue(L, idx, n) != NULL; n++) {
        lua_pushlightuserdata(L, lua_upvalueid(L, idx, n));
        if (lua_rawget(L, w->ids) == LUA_TNIL) {
            lua_pushlightuserdata(L, lua_upvalueid(L, idx, n));
            lua_pushinteger(L, rg_sandbox_of(L)->snapshot_len); /* its triple */
            lua_rawset(L, w->ids);
            lua_pop(L, 1);
            snapshot_add(L, idx, n, NULL);
        } else {
            lua_pop(L, 1);
        }
        walk_push(L, w, -1);
        lua_pop(L, 1);
    }
}

static int is_meta_name(lua_State *L, int idx)
{
    const char *s = lua_type(L, idx) == LUA_TSTRING ? lua_tostring(L, idx) : NULL;
    return s && s[0] == '_' && s[1] == '_';
}

/* The metatable of a sealed table: the view's fields, and the metamethods of the
 * policy's metatable MT (0: none) but those the seal itself defines. */
static void push_sealed_metatable(lua_State *L, int store, int mt)
{
    static const char *const own[] = {"__index", "__newindex", "__metatable", "__mode", "__gc", NULL};
    lua_createtable(L, 0, 8);
    if (mt) {
        lua_pushnil(L);
        while (lua_next(L, mt)) {
            int skip = !is_meta_name(L, -2);
            for (const char *const *o = own; !skip && *o; o++)
                skip = strcmp(lua_tostring(L, -2), *o) == 0;
            if (skip) {
                lua_pop(L, 1);
                continue;
            }
            lua_pushvalue(L, -2);
            lua_insert(L, -2);
            lua_rawset(L, -4);
        }
    }
    lua_pushvalue(L, store);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, frozen_newindex);
    lua_setfield(L, -2, "__newindex");
    if (lua_getfield(L, -1, "__len") == LUA_TNIL) {
        lua_pushcfunction(L, ro_len);
        lua_setfield(L, -3, "__len");
    }
    if (lua_getfield(L, -2, "__pairs") == LUA_TNIL) {
        lua_pushcfunction(L, ro_pairs);
        lua_setfield(L, -4, "__pairs");
    }
    lua_pop(L, 2);
    /* getmetatable() answers what it answered before: the policy's __metatable, or its
     * metatable (sealed too), or "read-only" for a table that had none. */
    if (mt) {
        lua_pushliteral(L, "__metatable");
        if (lua_rawget(L, mt) == LUA_TNIL) {
            lua_pop(L, 1);
            lua_pushvalue(L, mt);
        }
    } else {
        lua_pushliteral(L, "read-only");
    }
    lua_setfield(L, -2, "__metatable");
    lua_pushinteger(L, RG_VIEW_TABLE);
    lua_rawsetp(L, -2, &ro_mark);
}

/* A policy's __index function called for a sealed table: with the table, never its store
 * (a writable table no check may hold). */
static int sealed_index(lua_State *L)
{
    lua_pushvalue(L, lua_upvalueindex(2));
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushvalue(L, 2);
    lua_call(L, 2, 1);
    return 1;
}

/* Reads the STORE misses go on to the policy's __index (of MT), for the sealed table at
 * IDX.  MT itself serves when that is a table (results and by_type keep their metatable
 * behind the seal, for the engine); a function gets the table, not the store; __gc and
 * __mode do not come along (a finalizer would run outside the limits). */
static void chain_store(lua_State *L, int idx, int store, int mt)
{
    int top = lua_gettop(L), index_type, gc, mode;
    /* Raw reads: a sealed metatable keeps its "__" fields raw, and no policy code may run here. */
    lua_pushliteral(L, "__index");
    index_type = lua_rawget(L, mt);
    lua_pushliteral(L, "__gc");
    gc = lua_rawget(L, mt);
    lua_pushliteral(L, "__mode");
    mode = lua_rawget(L, mt);
    lua_settop(L, top + 1);   /* the __index value */
    if (index_type != LUA_TFUNCTION && gc == LUA_TNIL && mode == LUA_TNIL) {
        lua_settop(L, top);
        lua_pushvalue(L, mt);
    } else {
        lua_createtable(L, 0, 1);
        if (index_type == LUA_TFUNCTION) {
            lua_pushvalue(L, idx);
            lua_pushvalue(L, top + 1);
            lua_pushcclosure(L, sealed_index, 2);
        } else {
            lua_pushvalue(L, top + 1);
        }
        lua_setfield(L, -2, "__index");
        lua_remove(L, top + 1);
    }
    lua_setmetatable(L, store);
}

/* Seal the policy's table at IDX in place, queueing what it holds. */
static void seal_table(lua_State *L, walk *w, int idx)
{
    int mt = 0, store, count = 0, array = (int)lua_rawlen(L, idx);
    luaL_checkstack(L, 12, "freezing the policy's state");
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        walk_push(L, w, -2);
        walk_push(L, w, -1);
        lua_pop(L, 1);
        count++;
    }
    if (lua_getmetatable(L, idx)) {
        walk_push(L, w, -1);
        mt = lua_gettop(L);
    }
    /* Sized for what it will hold: memo seals results while checks run. */
    lua_createtable(L, array, count > array ? count - array : 0);
    store = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, store);
    }
    /* Empty the table but for its "__" fields (assigning nil to an existing field while
     * traversing is allowed). */
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (is_meta_name(L, -2)) {
            snapshot_add(L, idx, 0, lua_tostring(L, -2));
        } else {
            lua_pushvalue(L, -2);
            lua_pushnil(L);
            lua_rawset(L, idx);
        }
        lua_pop(L, 1);
    }
    if (mt)
        chain_store(L, idx, store, mt);
    push_sealed_metatable(L, store, mt);
    lua_setmetatable(L, idx);
    lua_settop(L, mt ? mt - 1 : store - 1);
}

/* Seal and snapshot everything the work list reaches. */
static void walk_all(lua_State *L, walk *w)
{
    while (w->n > 0) {
        int top;
        lua_rawgeti(L, w->work, w->n);
        lua_pushnil(L);
        lua_rawseti(L, w->work, w->n--);
        top = lua_gettop(L);
        lua_pushvalue(L, top);
        if (lua_rawget(L, w->seen) == LUA_TNIL) {
            lua_pushvalue(L, top);
            lua_pushboolean(L, 1);
            lua_rawset(L, w->seen);
            if (lua_type(L, top) == LUA_TFUNCTION)
                walk_function(L, w, top);
            else if (rg_readonly_kind(L, top) == RG_VIEW_NONE) /* a view holds views only */
                seal_table(L, w, top);
        }
        lua_settop(L, top - 1);
    }
}

/* Mark what the engine owns as seen: the registry's named tables (the environment,
 * builtins, globals and loaded-modules tables, metatables of results) and the builtins. */
static void premark_engine(lua_State *L, int seen)
{
    lua_pushnil(L);
    while (lua_next(L, LUA_REGISTRYINDEX)) {
        if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TTABLE) {
            lua_pushboolean(L, 1);
            lua_rawset(L, seen);
        } else {
            lua_pop(L, 1);
        }
    }
    lua_getfield(L, LUA_REGISTRYINDEX, KEY_BUILTINS);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        lua_pushboolean(L, 1);
        lua_rawset(L, seen);
    }
    lua_pop(L, 1);
}

/* Push the walk's bookkeeping (kept in the registry between walks of one load). */
static void walk_begin(lua_State *L, walk *w)
{
    luaL_checkstack(L, 8, "freezing the policy's state");
    memset(w, 0, sizeof *w);
    if (lua_getfield(L, LUA_REGISTRYINDEX, KEY_WALK_SEEN) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setfield(L, LUA_REGISTRYINDEX, KEY_WALK_SEEN);
        premark_engine(L, lua_gettop(L));
        lua_newtable(L);
        lua_setfield(L, LUA_REGISTRYINDEX, KEY_WALK_IDS);
    }
    w->seen = lua_gettop(L);
    lua_getfield(L, LUA_REGISTRYINDEX, KEY_WALK_IDS);
    w->ids = lua_gettop(L);
    lua_newtable(L);
    w->work = lua_gettop(L);
}

static void snapshot_thread(lua_State *L)
{
    rg_sandbox *sb = rg_sandbox_of(L);
    if (!sb->snapshot) {
        sb->snapshot = lua_newthread(L);
        lua_setfield(L, LUA_REGISTRYINDEX, KEY_SNAPSHOT);
    }
}

void rg_sandbox_seal_reachable(lua_State *L, int idx)
{
    walk w;
    idx = lua_absindex(L, idx);
    snapshot_thread(L);
    walk_begin(L, &w);
    walk_push(L, &w, idx);
    walk_all(L, &w);
    lua_pop(L, 3);
}

/* Queue the keys and values of the registry table NAME. */
static void walk_push_contents(lua_State *L, walk *w, const char *name)
{
    lua_getfield(L, LUA_REGISTRYINDEX, name);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        walk_push(L, w, -1);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

void rg_sandbox_seal_state(lua_State *L, const char *base)
{
    walk w;
    snapshot_thread(L);
    walk_begin(L, &w);
    walk_push_contents(L, &w, KEY_GLOBALS);
    walk_push_contents(L, &w, KEY_LOADED);
    walk_all(L, &w);
    lua_pop(L, 3);
    if (!base)
        return;
    if (lua_getfield(L, LUA_REGISTRYINDEX, KEY_BASE_GLOBALS) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setfield(L, LUA_REGISTRYINDEX, KEY_BASE_GLOBALS);
    }
    lua_getfield(L, LUA_REGISTRYINDEX, KEY_GLOBALS);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        lua_pop(L, 1);
        lua_pushvalue(L, -1);
        if (lua_rawget(L, -4) == LUA_TNIL) {
            lua_pop(L, 1);
            lua_pushvalue(L, -1);
            lua_pushstring(L, base);
            lua_rawset(L, -5);
        } else {
            lua_pop(L, 1);
        }
    }
    lua_pop(L, 2);
}

/* The first snapshot triple (its stack slot) whose slot no longer holds its value, or 0.
 * It runs after every call: the values read are left on the snapshot thread's stack and
 * dropped once at the end (popping each was 14 M of its 47 M instructions over 2,000 batch
 * decisions; 43 M now), when the stack has room for them without growing; else each is popped. */
static int snapshot_changed(rg_sandbox *sb)
{
    lua_State *T = sb->snapshot;
    const int *upvalue = sb->snapshot_upvalue;
    int watched = sb->watch_count < 0 ? sb->snapshot_len : sb->watch_count;
    int n = watched + (sb->watch_count < 0 ? 0 : sb->snapshot_len - sb->frozen_len);
    int top = lua_gettop(T), keep = lua_checkstack(T, n), changed = 0;
    for (int k = 0; k < n && !changed; k++) {
        int i = sb->watch_count < 0 ? k : k < watched ? sb->watch[k] : sb->frozen_len + (k - watched);
        int s = 3 * i + 1;
        if (upvalue[i]) {
            lua_getupvalue(T, s, upvalue[i]);
        } else {
            lua_pushvalue(T, s + 1);
            lua_rawget(T, s);
        }
        if (!lua_rawequal(T, -1, s + 2))
            changed = s;
        if (!keep)
            lua_settop(T, top);
    }
    lua_settop(T, top);
    return changed;
}

/* Describe triple S as "message\nfile\nline" (what fill_error reads) on L. */
static void push_change(lua_State *L, rg_sandbox *sb, int s, const char *why)
{
    lua_State *T = sb->snapshot;
    if (lua_type(T, s) == LUA_TFUNCTION) {
        lua_Debug ar;
        const char *name = lua_getupvalue(T, s, (int)lua_tointeger(T, s + 1));
        const char *file;
        char shown[160];
        rg_strlcpy(shown, name && *name ? name : "?", sizeof shown);
        lua_pop(T, 1);
        lua_pushvalue(T, s);
        lua_getinfo(T, ">S", &ar);
        file = ar.source[0] == '@' ? ar.source + 1 : ar.short_src;
        lua_pushfstring(L, "%s:%d: %s '%s', a variable the policy set while loading (used by the "
                           "function defined here): %s\n%s\n%d",
                        file, ar.linedefined, sb->frozen ? "a check changed" : "the extending policy changed",
                        shown, why, file, ar.linedefined);
    } else {
        lua_pushfstring(L, "%s field '%s' of a frozen table: %s\n\n0",
                        sb->frozen ? "a check changed" : "the extending policy changed",
                        lua_tostring(T, s + 1), why);
    }
}

static int restore_snapshot(lua_State *L)
{
    rg_sandbox *sb = rg_sandbox_of(L);
    lua_State *T = sb->snapshot;
    int top = 3 * sb->snapshot_len;
    luaL_checkstack(L, 4, "restoring the policy's state");
    for (int s = 1; s <= top; s += 3) {
        lua_pushvalue(T, s);
        lua_pushvalue(T, s + 1);
        lua_pushvalue(T, s + 2);
        lua_xmove(T, L, 3);
        if (lua_type(L, -3) == LUA_TFUNCTION) {
            lua_setupvalue(L, -3, (int)lua_tointeger(L, -2));
            lua_pop(L, 2);
        } else {
            lua_rawset(L, -3);
            lua_pop(L, 1);
        }
    }
    return 0;
}

static const char CHECK_WHY[] = "what the policy sets up while loading is frozen, so that no check "
                                "leaves state for another; use locals inside the check (or memo)";

/* After a call into policy code once frozen: put back what it changed, and make the call
 * an error (STATUS becomes one) with "message\nfile\nline" on top.  BASE is where the
 * call's results start. */
static int undo_changes(rg_sandbox *sb, int status, int base)
{
    lua_State *L = sb->L;
    int s = sb->snapshot_len ? snapshot_changed(sb) : 0;
    sb->watch_count = -1; /* a watch list holds for one call */
    if (!s)
        return status;
    if (status == LUA_OK) {
        lua_settop(L, base - 1);
        push_change(L, sb, s, CHECK_WHY);
        status = LUA_ERRRUN;
    }
    lua_pushcfunction(L, restore_snapshot);
    if (lua_pcall(L, 0, 0, 0) != LUA_OK) {
        /* Half restored: nothing may run on this state any more. */
        lua_pop(L, 1);
        sb->limit_hit = RG_LIMIT_MEMORY;
    }
    return status;
}

void rg_sandbox_check_snapshot(lua_State *L)
{
    rg_sandbox *sb = rg_sandbox_of(L);
    int s;
    sb->watch_count = -1;
    s = sb->snapshot_len ? snapshot_changed(sb) : 0;
    const char *packed, *nl;
    if (!s)
        return;
    push_change(L, sb, s, "a base policy's state is frozen once extends has loaded it; change "
                          "its requirements with override or disable");
    packed = lua_tostring(L, -1);
    nl = strchr(packed, '\n');
    /* Place the error where the variable's function is, not at the extends call. */
    if (nl && nl[1] != '\n') {
        const char *nl2 = strchr(nl + 1, '\n');
        size_t n = (size_t)(nl2 - nl - 1);
        if (n >= sizeof sb->error_file) n = sizeof sb->error_file - 1;
        memcpy(sb->error_file, nl + 1, n);
        sb->error_file[n] = '\0';
        sb->error_line = atoi(nl2 + 1);
    }
    lua_pushlstring(L, packed, (size_t)(nl - packed));
    lua_error(L);
}

void rg_sandbox_watch(rg_sandbox *sb, const int *watch, int count)
{
    sb->watch = watch;
    sb->watch_count = count;
}

typedef struct reach {
    int seen, work, ids, env;  /* stack indexes */
    lua_Integer n;
    char *hit;                 /* per triple */
    int reaches_env;
} reach;

static void reach_push(lua_State *L, reach *r, int idx)
{
    int type = lua_type(L, idx);
    if (type != LUA_TTABLE && type != LUA_TFUNCTION)
        return;
    if (lua_rawequal(L, idx, r->env)) { /* globals, builtins, require: everything loaded */
        r->reaches_env = 1;
        return;
    }
    lua_pushvalue(L, idx);
    lua_pushvalue(L, -1);
    if (lua_rawget(L, r->seen) != LUA_TNIL) {
        lua_pop(L, 2);
        return;
    }
    lua_pop(L, 1);
    lua_pushvalue(L, -1);
    lua_pushboolean(L, 1);
    lua_rawset(L, r->seen);
    lua_rawseti(L, r->work, ++r->n);
}

/* Mark the triples reachable from what the work list holds.  Tables are read raw: a
 * sealed table's metatable leads to its store and to the policy's metamethods. */
static void reach_all(lua_State *L, reach *r)
{
    while (r->n > 0) {
        int top;
        lua_rawgeti(L, r->work, r->n);
        lua_pushnil(L);
        lua_rawseti(L, r->work, r->n--);
        top = lua_gettop(L);
        if (lua_type(L, top) == LUA_TTABLE) {
            lua_pushnil(L);
            while (lua_next(L, top)) {
                reach_push(L, r, -2);
                reach_push(L, r, -1);
                lua_pop(L, 1);
            }
            if (lua_getmetatable(L, top))
                reach_push(L, r, -1);
        } else if (lua_tocfunction(L, top) == memo_call) {
            lua_getupvalue(L, top, 1);
            reach_push(L, r, -1);
        } else if (lua_tocfunction(L, top) == sealed_index) {
            lua_getupvalue(L, top, 1);
            reach_push(L, r, -1);
            lua_getupvalue(L, top, 2);
            reach_push(L, r, -1);
        } else if (!lua_iscfunction(L, top)) {
            for (int n = 1; lua_getupvalue(L, top, n) != NULL; n++) {
                lua_pushlightuserdata(L, lua_upvalueid(L, top, n));
                if (lua_rawget(L, r->ids) == LUA_TNUMBER)
                    r->hit[lua_tointeger(L, -1)] = 1;
                lua_pop(L, 1);
                reach_push(L, r, -1);
                lua_pop(L, 1);
            }
        }
        lua_settop(L, top - 1);
    }
}

int *rg_sandbox_reachable_triples(lua_State *L, int idx, int *count)
{
    rg_sandbox *sb = rg_sandbox_of(L);
    reach r;
    int *list = NULL, n = 0;
    idx = lua_absindex(L, idx);
    *count = 0;
    if (sb->snapshot_len == 0)
        return NULL;
    memset(&r, 0, sizeof r);
    luaL_checkstack(L, 12, "freezing the policy's state");
    r.hit = lua_newuserdatauv(L, (size_t)sb->snapshot_len, 0);
    memset(r.hit, 0, (size_t)sb->snapshot_len);
    lua_newtable(L);
    r.seen = lua_gettop(L);
    lua_newtable(L);
    r.work = lua_gettop(L);
    lua_getfield(L, LUA_REGISTRYINDEX, KEY_WALK_IDS);
    r.ids = lua_gettop(L);
    lua_getfield(L, LUA_REGISTRYINDEX, KEY_ENV);
    r.env = lua_gettop(L);
    reach_push(L, &r, idx);
    reach_all(L, &r);
    if (r.reaches_env) {
        const char *roots[] = {KEY_GLOBALS, KEY_LOADED};
        for (int k = 0; k < 2; k++) {
            lua_getfield(L, LUA_REGISTRYINDEX, roots[k]);
            lua_pushnil(L);
            while (lua_next(L, -2)) {
                reach_push(L, &r, -1);
                lua_pop(L, 1);
            }
            lua_pop(L, 1);
        }
        reach_all(L, &r);
    }
    for (int i = 0; i < sb->snapshot_len; i++)
        n += r.hit[i] || !sb->snapshot_upvalue[i]; /* every table field: they are few */
    if (n > 0 && (list = malloc((size_t)n * sizeof *list)) == NULL)
        luaL_error(L, "not enough memory to freeze the policy's state");
    n = 0;
    for (int i = 0; i < sb->snapshot_len; i++)
        if (r.hit[i] || !sb->snapshot_upvalue[i])
            list[n++] = i;
    lua_pop(L, 5);
    *count = n;
    return list;
}

void rg_sandbox_freeze(rg_sandbox *sb)
{
    sb->frozen = 1;
    sb->frozen_len = sb->snapshot_len;
    /* The walks' bookkeeping is no longer needed (memo results get their own). */
    lua_pushnil(sb->L);
    lua_setfield(sb->L, LUA_REGISTRYINDEX, KEY_WALK_SEEN);
    lua_pushnil(sb->L);
    lua_setfield(sb->L, LUA_REGISTRYINDEX, KEY_WALK_IDS);
}

/* ---- memo ------------------------------------------------------------------------
 *
 * memo(fn): fn with its results kept per arguments (compared as table keys: strings and
 * numbers by value, tables by identity, so json.decode's tables of one text are one key).
 * The cache is the engine's, explicit and safe to share between checks and the lines of
 * a batch: fn can depend only on its arguments (everything else it reaches is frozen;
 * evidence is readable only when the decision's ctx is one of them, which makes the
 * entry that decision's own), and its results are sealed read-only. */

#define MEMO_MAX 512 /* entries kept; past that the cache starts afresh */
static const char KEY_MEMO_WORK[] = "rg.memo.work"; /* the work list sealing results uses */
static const char memo_nil = 0; /* its address stands for a nil argument */

/* Push argument I as a table key, or return 0 when it cannot be one (NaN). */
static int push_memo_key(lua_State *L, int i)
{
    if (lua_isnil(L, i)) {
        lua_pushlightuserdata(L, (void *)&memo_nil);
        return 1;
    }
    if (lua_type(L, i) == LUA_TNUMBER && !lua_isinteger(L, i) && lua_tonumber(L, i) != lua_tonumber(L, i))
        return 0;
    lua_pushvalue(L, i);
    return 1;
}

/* Push the table of CACHE below which the results of arguments 1..N are kept (creating
 * the path when CREATE), the last key above it; return 0 (nothing pushed) when there is
 * none. */
static int memo_path(lua_State *L, int n, int create, int cache)
{
    lua_pushvalue(L, cache);
    for (int i = 1; i < n; i++) {
        if (!push_memo_key(L, i)) {
            lua_pop(L, 1);
            return 0;
        }
        lua_pushvalue(L, -1);
        if (lua_rawget(L, -3) != LUA_TTABLE) {
            lua_pop(L, 1);
            if (!create) {
                lua_pop(L, 2);
                return 0;
            }
            lua_newtable(L);
            lua_pushvalue(L, -2);
            lua_pushvalue(L, -2);
            lua_rawset(L, -5);
        }
        lua_replace(L, -3);
        lua_pop(L, 1);
    }
    if (!(n > 0 ? push_memo_key(L, n) : (lua_pushlightuserdata(L, (void *)&memo_nil), 1))) {
        lua_pop(L, 1);
        return 0;
    }
    return 1;
}

static int has_context(lua_State *L, int n)
{
    int found = 0;
    lua_getfield(L, LUA_REGISTRYINDEX, "rg.context"); /* evaluate.c's view of the context */
    for (int i = 1; i <= n && !found; i++)
        found = lua_rawequal(L, i, -1);
    lua_pop(L, 1);
    return found;
}

/* A memoized result found: charge the instructions computing it counted (on a thread of
 * its own, memo_call), so that a decision's budget does not depend on which decisions
 * came before it in a batch or a server. */
static void charge_found(lua_State *L, rg_sandbox *sb, lua_Integer cost)
{
    char msg[160];
    if (sb->limit_hit == RG_LIMIT_NONE && cost > 0) {
        sb->instructions += (uint64_t)cost;
        if (sb->instructions > sb->limits.max_instructions)
            sb->limit_hit = RG_LIMIT_INSTRUCTIONS;
    }
    if (sb->limit_hit != RG_LIMIT_NONE)
        luaL_error(L, "%s", limit_message(sb, msg, sizeof msg));
}

static int memo_call(lua_State *L)
{
    rg_sandbox *sb = rg_sandbox_of(L);
    int n = lua_gettop(L), status, results, first;
    const rg_context *ctx = sb->ctx;
    lua_Integer count = 0;
    uint64_t before;
    lua_State *computing;
    int with_ctx, cache, computed = 0;
    luaL_checkstack(L, n + 8, "memo");
    snapshot_thread(L);
    /* Entries keyed by the decision's ctx live in a cache of that decision's own, dropped
     * when the next decision calls (no weak tables: the collector traverses those at
     * every cycle); the others in the memo's cache, which starts afresh past MEMO_MAX. */
    with_ctx = has_context(L, n);
    if (with_ctx) {
        lua_getfield(L, LUA_REGISTRYINDEX, "rg.context");
        if (!lua_rawequal(L, -1, lua_upvalueindex(4))) {
            lua_replace(L, lua_upvalueindex(4));
            lua_newtable(L);
            lua_replace(L, lua_upvalueindex(5));
        } else {
            lua_pop(L, 1);
        }
    }
    /* A result stands for its arguments at one clock: the function may read it
     * (time.now, os.time), and a batch without --now or the service decides each at its
     * own time.  Another clock starts the cache afresh (with --now, never). */
    if (!with_ctx) {
        lua_Integer filled_at;
        int known = lua_type(L, lua_upvalueindex(6)) == LUA_TNUMBER;
        filled_at = known ? lua_tointeger(L, lua_upvalueindex(6)) : 0;
        if (!known || filled_at != (lua_Integer)sb->now) {
            lua_newtable(L);
            lua_replace(L, lua_upvalueindex(2));
            lua_pushinteger(L, 0);
            lua_replace(L, lua_upvalueindex(3));
            lua_pushinteger(L, (lua_Integer)sb->now);
            lua_replace(L, lua_upvalueindex(6));
        }
    }
    cache = lua_upvalueindex(with_ctx ? 5 : 2);
    if (memo_path(L, n, 0, cache)) {
        if (lua_rawget(L, -2) == LUA_TTABLE) { /* the box, at n + 2 */
            lua_Integer k;
            lua_rawgeti(L, n + 2, -1);
            charge_found(L, sb, lua_tointeger(L, -1));
            lua_pop(L, 1);
            lua_rawgeti(L, n + 2, 0);
            k = lua_tointeger(L, -1);
            lua_pop(L, 1);
            luaL_checkstack(L, (int)k + 2, "memo");
            for (lua_Integer i = 1; i <= k; i++)
                lua_rawgeti(L, n + 2, i);
            return (int)k;
        }
        lua_settop(L, n);
    }
    first = n + 1;
    /* Computed on a thread of its own, whose count hook starts a round of its own: what
     * the computation counts then depends on the computation alone, not on where the
     * caller's round stood, so a decision is charged the same for it whether it computes
     * it or finds it (a batch's earlier line computed it) -- and the caller's round goes
     * on untouched. */
    computing = lua_newthread(L);                              /* at n + 1 while it runs */
    if (!lua_checkstack(computing, n + 1))
        return luaL_error(L, "memo: too many arguments");
    if (lua_gethook(L) == limit_hook)
        lua_sethook(computing, limit_hook, LUA_MASKCOUNT, sb->hook_every);
    lua_pushvalue(L, lua_upvalueindex(1));
    for (int i = 1; i <= n; i++)
        lua_pushvalue(L, i);
    lua_xmove(L, computing, n + 1);
    if (!with_ctx)
        sb->ctx = NULL; /* evidence is the decision's: only with ctx in the key */
    before = sb->instructions;
    status = lua_resume(computing, L, n, &computed);
    sb->ctx = ctx;
    if (status == LUA_YIELD) {
        lua_settop(computing, 0);
        lua_pushliteral(computing, "memo: a memoized function cannot yield");
        status = LUA_ERRRUN;
        computed = 1;
    }
    if (status != LUA_OK)
        computed = 1;   /* the error */
    lua_xmove(computing, L, computed);
    lua_remove(L, first);                                      /* the thread */
    rethrow_if_limited(L, sb, status);
    if (status != LUA_OK) {
        if (lua_type(L, -1) == LUA_TSTRING && strstr(lua_tostring(L, -1), "evidence can only be read"))
            return luaL_error(L, "%s (in a memoized function, evidence can be read only when ctx is "
                                 "one of its arguments)", lua_tostring(L, -1));
        return lua_error(L);
    }
    results = lua_gettop(L) - n;
    /* Keep {[-1] = instructions, [0] = count, results...}, sealed: every caller gets the
     * same tables, and is charged what computing them took. */
    lua_createtable(L, results, 2);
    for (int i = 0; i < results; i++) {
        lua_pushvalue(L, first + i);
        lua_rawseti(L, -2, i + 1);
    }
    lua_pushinteger(L, results);
    lua_rawseti(L, -2, 0);
    lua_pushinteger(L, (lua_Integer)(sb->instructions - before));
    lua_rawseti(L, -2, -1);
    for (int i = 0; i < results; i++)
        if ((lua_type(L, first + i) == LUA_TTABLE && rg_readonly_kind(L, first + i) == RG_VIEW_NONE) ||
            lua_type(L, first + i) == LUA_TFUNCTION)
            count = -1;
    if (count < 0) { /* a table of the function's own: seal it and what it holds */
        walk w;
        int box = lua_gettop(L);
        memset(&w, 0, sizeof w);
        /* The work list is kept between calls (it is empty after every walk). */
        lua_createtable(L, 0, 8);
        w.seen = lua_gettop(L);
        if (lua_getfield(L, LUA_REGISTRYINDEX, KEY_MEMO_WORK) != LUA_TTABLE) {
            lua_pop(L, 1);
            lua_newtable(L);
            lua_pushvalue(L, -1);
            lua_setfield(L, LUA_REGISTRYINDEX, KEY_MEMO_WORK);
        }
        w.work = lua_gettop(L);
        w.ids = w.work; /* never read: data only, functions are refused before */
        w.data_only = 1;
        /* The box itself stays a plain table (only the engine reads it); its contents are sealed. */
        for (int i = 1; i <= results; i++)
            walk_push(L, &w, first + i - 1);
        walk_all(L, &w);
        lua_settop(L, box);
    }
    if (!with_ctx) {
        count = lua_tointeger(L, lua_upvalueindex(3)) + 1;
        if (count > MEMO_MAX) {
            lua_newtable(L);
            lua_replace(L, lua_upvalueindex(2));
            count = 1;
        }
        lua_pushinteger(L, count);
        lua_replace(L, lua_upvalueindex(3));
    }
    if (memo_path(L, n, 1, cache)) {
        lua_pushvalue(L, first + results);
        lua_rawset(L, -3);
        lua_pop(L, 1);
    }
    lua_settop(L, first + results - 1);
    return results;
}

static int sandbox_memo(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TFUNCTION);
    if (rg_sandbox_of(L)->frozen)
        return luaL_error(L, "memo() can only be used while the policy loads, not inside a check");
    lua_settop(L, 1);
    lua_newtable(L);          /* 2: the cache */
    lua_pushinteger(L, 0);    /* 3: its entries */
    lua_pushnil(L);           /* 4: the decision's ctx the next cache is for */
    lua_newtable(L);          /* 5: that decision's cache */
    lua_pushnil(L);           /* 6: the evaluation clock the cache (2) holds results of */
    lua_pushcclosure(L, memo_call, 6);
    return 1;
}

/* ---- require ---------------------------------------------------------------- */

/* Handler for a module's own code: remember where in the module the error was raised
 * (the rethrow from require would otherwise point at the require call). */
static int module_error_place(lua_State *L)
{
    rg_sandbox *sb = rg_sandbox_of(L);
    lua_Debug ar;
    for (int level = 1; !sb->error_file[0] && lua_getstack(L, level, &ar); level++) {
        if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0) {
            rg_strlcpy(sb->error_file, ar.source[0] == '@' ? ar.source + 1 : ar.short_src,
                       sizeof sb->error_file);
            sb->error_line = ar.currentline;
        }
    }
    lua_settop(L, 1);
    return 1;
}

static int valid_module_name(const char *name)
{
    int segment = 0;
    if (!*name)
        return 0;
    for (const char *p = name; *p; p++) {
        if (*p == '.') {
            if (segment == 0) return 0;
            segment = 0;
        } else if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                   (*p >= '0' && *p <= '9') || *p == '_' || *p == '-') {
            segment++;
        } else {
            return 0;
        }
    }
    return segment > 0;
}

static const char KEY_CHUNK_PACKAGES[] = "rg.chunk.packages"; /* chunk name -> package index */

/* The package of the Lua function calling the builtin that runs (level 1), by the chunk
 * it was loaded from: 0, the policy's directory, unless a package was recorded for it. */
static int calling_package(lua_State *L)
{
    lua_Debug ar;
    int pkg = 0;
    if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "S", &ar) && ar.source) {
        lua_getfield(L, LUA_REGISTRYINDEX, KEY_CHUNK_PACKAGES);
        if (lua_istable(L, -1) && lua_getfield(L, -1, ar.source) == LUA_TNUMBER)
            pkg = (int)lua_tointeger(L, -1);
        lua_pop(L, lua_istable(L, -1) ? 2 : 1);
    }
    return pkg;
}

/* The package (ROOT, BASE), added when new; raises when out of memory. */
static int package_of(lua_State *L, rg_sandbox *sb, const char *root, const char *base, const char *display)
{
    rg_package *grown, *p;
    for (int i = 0; i < sb->package_count; i++)
        if (strcmp(sb->packages[i].root, root) == 0 && strcmp(sb->packages[i].base, base) == 0)
            return i;
    if (!(grown = realloc(sb->packages, (size_t)(sb->package_count + 1) * sizeof *grown)))
        luaL_error(L, "out of memory");
    sb->packages = grown;
    p = &sb->packages[sb->package_count];
    memset(p, 0, sizeof *p);
    p->root = strdup(root);
    p->base = strdup(base);
    p->display = strdup(display);
    if (!p->root || !p->base || !p->display) {
        free(p->root);
        free(p->base);
        free(p->display);
        luaL_error(L, "out of memory");
    }
    return sb->package_count++;
}

/* Look for the file REL of a module in package PKG: 0 with the chunk name CHUNK and
 * either REAL (a file on disk) or *FILE (a bundle's file, checked against its pin when
 * the bundle opened) filled, -1 when there is no such file; raises when it leads outside
 * the package's root (a symbolic link out, like a module of the policy's own directory). */
static int find_in_package(lua_State *L, rg_sandbox *sb, int pkg, const char *name, const char *rel, char *real,
                           char *chunk, const rg_bundle_file **file)
{
    const rg_package *p = &sb->packages[pkg];
    char path[PATH_MAX];
    *file = NULL;
    if (p->bundle) {
        /* a bundle loads what its manifest lists, as the manifest pins it */
        if (!(*file = rg_bundle_find(p->bundle, rel)))
            return -1;
        snprintf(chunk, PATH_MAX + 2, "@%s/%s", p->display, rel);
        return 0;
    }
    if ((size_t)snprintf(path, sizeof path, "%s/%s", p->base, rel) >= sizeof path)
        luaL_error(L, "module name '%s' is too long", name);
    if (!realpath(path, real))
        return -1;
    if (!below(real, p->root))
        luaL_error(L, "module '%s': %s/%s leads outside %s", name, p->display, rel,
                   pkg == 0 ? "the policy's directory" : "its folder on the policy path");
    if (strcmp(p->display, ".") == 0) /* name it as the policy file itself is named */
        snprintf(chunk, PATH_MAX + 2, "@%s", rel);
    else
        snprintf(chunk, PATH_MAX + 2, "@%s/%s", p->display, rel);
    return 0;
}

/* Load the chunk CHUNK of package PKG: FILE (a bundle's) or the file REAL; raises with
 * the chunk's own file and line, not the require call's.  The chunk's own requires and
 * extends then resolve in PKG. */
static void load_chunk(lua_State *L, rg_sandbox *sb, int pkg, const rg_bundle_file *file, const char *real,
                       const char *chunk)
{
    rg_error err;
    int rc;
    rg_error_init(&err);
    if (file) {
        /* the policy's digest names a bundle's file by the bundle, wherever it lies */
        const rg_bundle *b = sb->packages[pkg].bundle;
        char name[RG_SHA256_LABEL_SIZE + 512];
        snprintf(name, sizeof name, "%s@%s/%s", b->name, b->digest, file->path);
        rc = load_text(sb, file->data, file->len, name, chunk, &err);
    } else {
        rc = rg_sandbox_load(sb, real, chunk, &err);
    }
    if (rc != 0) {
        rg_strlcpy(sb->error_file, err.file, sizeof sb->error_file);
        sb->error_line = err.line;
        lua_pushstring(L, err.message);
        rg_error_clear(&err);
        lua_error(L);
    }
    if (pkg != 0) {
        lua_getfield(L, LUA_REGISTRYINDEX, KEY_CHUNK_PACKAGES);
        lua_pushinteger(L, pkg);
        lua_setfield(L, -2, chunk);
        lua_pop(L, 1);
    }
}

/* Push the chunk of module NAME (dotted) for package FROM: from that package's folder,
 * else (a base, or a module, that lives elsewhere) from the policy path, as the package
 * its folder makes.  *PKG receives the package the chunk belongs to.  Raises an error
 * naming what is wrong. */
static void push_module(lua_State *L, rg_sandbox *sb, const char *name, int from, int *pkg, const char *what)
{
    char rel[PATH_MAX], real[PATH_MAX], chunk[PATH_MAX + 2];
    const rg_bundle_file *file = NULL;
    size_t n;
    int found = -1;
    if (!valid_module_name(name))
        luaL_error(L, "%s name '%s' is not allowed: use dotted names of letters, "
                      "digits, '_' and '-', found in the policy's directory or on the policy path", what, name);
    n = strlen(name);
    if (n + 5 > sizeof rel)
        luaL_error(L, "%s name '%s' is too long", what, name);
    for (size_t i = 0; i <= n; i++) rel[i] = name[i] == '.' ? '/' : name[i];
    strcat(rel, ".lua");
    *pkg = from;
    found = find_in_package(L, sb, from, name, rel, real, chunk, &file);
    if (found != 0 && sb->packages[from].bundle)
        luaL_error(L, "%s '%s': %s/%s is not in the manifest of bundle %s: a bundle loads only its own files", what,
                   name, sb->packages[from].display, rel, sb->packages[from].display);
    for (int i = 0; found != 0 && i < sb->search_count; i++) {
        /* a file on the policy path: its package is its own folder there, so a base's
         * modules resolve beside it, and never collide with the extending policy's */
        int root = package_of(L, sb, sb->search[i], sb->search[i], sb->search_display[i]);
        if ((found = find_in_package(L, sb, root, name, rel, real, chunk, &file)) == 0)
            *pkg = root;
    }
    if (found != 0) {
        if (sb->search_count == 0)
            luaL_error(L, "%s '%s' not found: no file %s/%s (and no policy path: --policy-path, "
                          "RELGATE_POLICY_PATH)", what, name, sb->packages[from].display, rel);
        luaL_error(L, "%s '%s' not found: no file %s/%s, nor %s on the policy path (%s%s)", what, name,
                   sb->packages[from].display, rel, rel, sb->search_display[0], sb->search_count > 1 ? ", ..." : "");
    }
    load_chunk(L, sb, *pkg, file, real, chunk);
}

/* ---- Bundles (bundle.h) ------------------------------------------------------- */

/* The lock file beside the policy (relgate.lock), read once: its "bundles" object, or
 * NULL when there is none; raises when it is malformed. */
static const cJSON *lock_of(lua_State *L, rg_sandbox *sb)
{
    if (!sb->lock_read) {
        rg_error err;
        rg_error_init(&err);
        sb->lock_read = 1;
        char lock[PATH_MAX + 16];
        if (rg_bundle_read_lock(sb->dir, sb->dir_display, &sb->lock_doc, &sb->lock, &err) < 0) {
            lua_pushstring(L, err.message);
            rg_error_clear(&err);
            lua_error(L);
        }
        snprintf(lock, sizeof lock, "%s/%s", sb->dir, RG_BUNDLE_LOCK);
        if (sb->lock_doc && note_loaded(sb, lock) != 0)   /* what pins the bundles: read too */
            luaL_error(L, "out of memory");
    }
    return sb->lock;
}

/* The pin of bundle NAME: PIN (from extends "NAME@sha256:..."), checked against the lock
 * file when there is one, or the lock file's.  With a lock file every bundle must be in
 * it; without one and without PIN: NULL (--policy on a bundle takes it as it is). */
static const char *pin_of(lua_State *L, rg_sandbox *sb, const char *name, const char *pin, const char **by)
{
    const cJSON *lock = lock_of(L, sb);
    const char *locked = lock ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(lock, name)) : NULL;
    *by = "";
    if (lock && !locked)
        luaL_error(L, "bundle '%s' is not pinned in %s/%s: a lock file pins every bundle the policy uses "
                      "(relgate bundle lock adds it)", name, sb->dir_display, RG_BUNDLE_LOCK);
    if (pin && locked && strcmp(pin, locked) != 0)
        luaL_error(L, "bundle '%s' is pinned to %s by extends, but %s/%s pins %s: refused", name, pin,
                   sb->dir_display, RG_BUNDLE_LOCK, locked);
    if (!pin && locked)
        *by = " (in " RG_BUNDLE_LOCK ")";
    return pin ? pin : locked;
}

/* Find bundle NAME (dotted) for package FROM: the directory NAME (with a bundle.json)
 * or the file NAME.tar, in FROM's folder, else on the policy path.  1 with REAL (its
 * resolved path) and DISPLAY (how messages name it), or 0.  Raises when it leads
 * outside its root, or when both forms are there (which one a reviewer read?). */
static int find_bundle(lua_State *L, rg_sandbox *sb, const char *name, int from, char *real, char *display)
{
    char rel[PATH_MAX], path[PATH_MAX], manifest[PATH_MAX + 16], other[PATH_MAX];
    struct stat st;
    if (!valid_module_name(name) || strlen(name) + 16 > sizeof rel)
        luaL_error(L, "bundle name '%s' is not allowed: use dotted names of letters, digits, '_' and '-'", name);
    rg_strlcpy(rel, name, sizeof rel);
    for (char *c = rel; *c; c++)
        if (*c == '.') *c = '/';
    for (int i = -1; i < sb->search_count; i++) {
        int root = i < 0 ? from : package_of(L, sb, sb->search[i], sb->search[i], sb->search_display[i]);
        const rg_package *p = &sb->packages[root];
        int dir = 0, tar = 0;
        if ((size_t)snprintf(path, sizeof path, "%s/%s", p->base, rel) >= sizeof path - 4)
            continue;
        snprintf(manifest, sizeof manifest, "%s/%s", path, RG_BUNDLE_MANIFEST);
        dir = stat(manifest, &st) == 0;
        strcat(path, ".tar");
        tar = stat(path, &st) == 0;
        if (dir && tar)
            luaL_error(L, "bundle '%s': both %s/%s/ and %s/%s.tar are there: keep one", name, p->display, rel,
                       p->display, rel);
        if (!dir && !tar)
            continue;
        if (dir)
            path[strlen(path) - 4] = '\0';
        if (!realpath(path, other) || !below(other, p->root))
            luaL_error(L, "bundle '%s': %s/%s%s leads outside %s", name, p->display, rel, tar ? ".tar" : "",
                       root == 0 ? "the policy's directory" : "its folder on the policy path");
        rg_strlcpy(real, other, PATH_MAX);
        if ((size_t)snprintf(display, PATH_MAX, "%s%s%s%s", strcmp(p->display, ".") == 0 ? "" : p->display,
                             strcmp(p->display, ".") == 0 ? "" : "/", rel, tar ? ".tar" : "") >= PATH_MAX)
            luaL_error(L, "bundle '%s': its path is too long", name);
        return 1;
    }
    return 0;
}

/* Open the bundle at REAL (DISPLAY) as bundle NAME pinned to PIN (NULL: any) by BY, as
 * a package of its own, and push its entry policy.  Returns the package. */
static int push_bundle_at(lua_State *L, rg_sandbox *sb, const char *real, const char *display, const char *name,
                          const char *pin, const char *by)
{
    char chunk[PATH_MAX + 2];
    int pkg = package_of(L, sb, real, real, display);
    rg_package *p = &sb->packages[pkg];
    if (!p->bundle) {
        rg_error err;
        rg_error_init(&err);
        if (!(p->bundle = rg_bundle_open(real, display, sb->limits.max_policy_bytes, name, pin, by, &err))) {
            lua_pushstring(L, err.message);
            rg_error_clear(&err);
            lua_error(L);
        }
        /* a .tar, or a directory's manifest and every file it pins (hostile round 36, F04) */
        if (note_loaded(sb, real) != 0 || note_bundle_files(sb, real, p->bundle) != 0)
            luaL_error(L, "out of memory");
    } else if (pin && strcmp(pin, p->bundle->digest) != 0) {
        luaL_error(L, "bundle '%s' is pinned to %s%s, but %s/%s has %s: refused", name, pin, by, display,
                   RG_BUNDLE_MANIFEST, p->bundle->digest);
    }
    snprintf(chunk, sizeof chunk, "@%s/%s", display, p->bundle->entry);
    load_chunk(L, sb, pkg, rg_bundle_find(p->bundle, p->bundle->entry), NULL, chunk);
    return pkg;
}

/* extends NAME@PIN, or NAME the lock file pins: the bundle, its entry pushed. */
static int push_bundle(lua_State *L, rg_sandbox *sb, const char *name, const char *pin, int from)
{
    char real[PATH_MAX], display[PATH_MAX];
    const char *by;
    if (sb->packages[from].bundle)
        luaL_error(L, "bundle %s extends bundle '%s': a bundle holds everything it uses", sb->packages[from].display,
                   name);
    pin = pin_of(L, sb, name, pin, &by);
    if (!find_bundle(L, sb, name, from, real, display))
        luaL_error(L, "bundle '%s' not found: no directory %s/ with a %s, nor %s.tar, in the policy's directory "
                      "or on the policy path", name, name, RG_BUNDLE_MANIFEST, name);
    return push_bundle_at(L, sb, real, display, name, pin, by);
}

int rg_sandbox_run_bundle(lua_State *L, const char *path)
{
    rg_sandbox *sb = rg_sandbox_of(L);
    char real[PATH_MAX], shown[PATH_MAX], name[256];
    const char *by, *pin, *base;
    size_t n;
    int pkg;
    /* its name is its file's (without .tar) or directory's, as extends names it */
    rg_strlcpy(shown, path, sizeof shown);
    for (n = strlen(shown); n > 1 && shown[n - 1] == '/'; n--)
        shown[n - 1] = '\0';
    base = strrchr(shown, '/');
    rg_strlcpy(name, base && base[1] ? base + 1 : shown, sizeof name);
    n = strlen(name);
    if (n > 4 && strcmp(name + n - 4, ".tar") == 0)
        name[n - 4] = '\0';
    if (!realpath(shown, real))
        luaL_error(L, "cannot open bundle %s: %s", shown, strerror(errno));
    pin = pin_of(L, sb, name, NULL, &by);
    pkg = push_bundle_at(L, sb, real, shown, name, pin, by);
    lua_call(L, 0, 0);
    return pkg;
}

int rg_sandbox_run_base(lua_State *L, const char *name)
{
    rg_sandbox *sb = rg_sandbox_of(L);
    int from = calling_package(L), pkg;
    const char *at = strstr(name, "@sha256:");
    if (at) {
        char plain[256];
        if ((size_t)(at - name) >= sizeof plain)
            luaL_error(L, "base policy name '%s' is too long", name);
        memcpy(plain, name, (size_t)(at - name));
        plain[at - name] = '\0';
        pkg = push_bundle(L, sb, plain, at + 1, from);
        lua_call(L, 0, 0);
        return pkg;
    }
    if (!sb->packages[from].bundle) {
        /* a bundle by that name: only as the lock file pins it */
        const cJSON *lock = lock_of(L, sb);
        char real[PATH_MAX], display[PATH_MAX];
        if (lock && cJSON_GetObjectItemCaseSensitive(lock, name)) {
            pkg = push_bundle(L, sb, name, NULL, from);
            lua_call(L, 0, 0);
            return pkg;
        }
        if (valid_module_name(name) && find_bundle(L, sb, name, from, real, display))
            luaL_error(L, "bundle '%s' (%s) is not pinned: extends \"%s@sha256:...\" (relgate bundle digest %s "
                          "prints it), or pin it in %s", name, display, name, display, RG_BUNDLE_LOCK);
    }
    push_module(L, sb, name, from, &pkg, "base policy");
    if (!sb->packages[pkg].bundle) {
        /* A base in a folder of its own (not the extending policy's): its package is that
         * folder, for the modules it requires. */
        char chunk_dir[PATH_MAX];
        lua_Debug ar;
        lua_pushvalue(L, -1);
        if (lua_getinfo(L, ">S", &ar) && ar.source && ar.source[0] == '@') {
            char real[PATH_MAX], base[PATH_MAX], display[PATH_MAX];
            const rg_package *p = &sb->packages[pkg];
            const char *slash;
            size_t n = strlen(name);
            /* the base file is BASE/<name with dots as slashes>.lua: its folder is what
             * the dotted name leads into */
            rg_strlcpy(chunk_dir, name, sizeof chunk_dir);
            for (char *c = chunk_dir; *c; c++)
                if (*c == '.') *c = '/';
            slash = strrchr(chunk_dir, '/');
            if (slash && n < sizeof base) {
                snprintf(base, sizeof base, "%s/%.*s", p->base, (int)(slash - chunk_dir), chunk_dir);
                snprintf(display, sizeof display, "%s/%.*s", p->display, (int)(slash - chunk_dir), chunk_dir);
                if (realpath(base, real) && below(real, p->root)) {
                    int own = package_of(L, sb, p->root, real, display);
                    lua_getfield(L, LUA_REGISTRYINDEX, KEY_CHUNK_PACKAGES);
                    lua_pushinteger(L, own);
                    lua_setfield(L, -2, ar.source);
                    lua_pop(L, 1);
                }
            }
        }
    }
    lua_call(L, 0, 0);
    return 0;
}

/* The key a module is loaded under: its name for the policy's directory, and
 * "PACKAGE:name" for a base's folder, so that team and base modules never collide. */
static const char *loaded_key(lua_State *L, int pkg, const char *name)
{
    if (pkg == 0)
        return lua_pushstring(L, name);
    return lua_pushfstring(L, "%d:%s", pkg, name);
}

static int sandbox_require(lua_State *L)
{
    rg_sandbox *sb = rg_sandbox_of(L);
    const char *name = rg_lua_checkname(L, 1);
    int from = calling_package(L), pkg, status;

    lua_settop(L, 1);
    lua_getfield(L, LUA_REGISTRYINDEX, KEY_LOADED);          /* 2 */
    loaded_key(L, from, name);                                 /* 3: the key for the caller */
    if (lua_getfield(L, 2, lua_tostring(L, 3)) != LUA_TNIL) {
        if (lua_type(L, -1) == LUA_TLIGHTUSERDATA)
            return luaL_error(L, "module '%s' requires itself (a require loop)", name);
        return 1;
    }
    lua_pop(L, 1);
    if (sb->frozen)
        return luaL_error(L, "module '%s' must be required while the policy loads, not inside a check", name);
    push_module(L, sb, name, from, &pkg, "module");           /* 4: the chunk */
    if (pkg != from) {
        /* found on the policy path: one module per file, whoever requires it */
        loaded_key(L, pkg, name);                              /* 5 */
        if (lua_getfield(L, 2, lua_tostring(L, 5)) != LUA_TNIL) {
            if (lua_type(L, -1) == LUA_TLIGHTUSERDATA)
                return luaL_error(L, "module '%s' requires itself (a require loop)", name);
            lua_pushvalue(L, -1);
            lua_setfield(L, 2, lua_tostring(L, 3));
            return 1;
        }
        lua_settop(L, 5);
    } else {
        lua_pushvalue(L, 3);                                   /* 5 */
    }
    /* Mark as loading so a cycle is reported rather than recursing forever. */
    lua_pushlightuserdata(L, sb);
    lua_setfield(L, 2, lua_tostring(L, 3));
    lua_pushlightuserdata(L, sb);
    lua_setfield(L, 2, lua_tostring(L, 5));
    lua_getfield(L, LUA_REGISTRYINDEX, KEY_LOADING_MODULE);   /* 6: the module loading before it */
    lua_pushvalue(L, 5);
    lua_setfield(L, LUA_REGISTRYINDEX, KEY_LOADING_MODULE);
    lua_pushcfunction(L, module_error_place);                  /* 7 */
    lua_pushvalue(L, 4);
    lua_pushstring(L, name);
    status = lua_pcall(L, 1, 1, 7);
    lua_pushvalue(L, 6);
    lua_setfield(L, LUA_REGISTRYINDEX, KEY_LOADING_MODULE);
    if (status != LUA_OK) {
        /* Forget the marker: requiring it again reports its error, not a loop. */
        lua_pushnil(L);
        lua_setfield(L, 2, lua_tostring(L, 3));
        lua_pushnil(L);
        lua_setfield(L, 2, lua_tostring(L, 5));
        return lua_error(L);
    }
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_pushboolean(L, 1);
    }
    /* Whoever requires a module first, every later require -- a base's, the policy's that
     * wraps this one -- gets it as it loaded.  Sealed now, so that a policy requiring it
     * before extends cannot change what the base then runs, as it could not after
     * extends: a base on the policy path, and a base in the policy's own folder, which
     * shares its modules (hostile round 31, F02: the team's fields.expect = function()
     * return true end passed the base's staging check). */
    rg_sandbox_seal_reachable(L, -1);
    module_globals_seal(L, lua_tostring(L, 5));
    lua_pushvalue(L, -1);
    lua_setfield(L, 2, lua_tostring(L, 3));
    lua_pushvalue(L, -1);
    lua_setfield(L, 2, lua_tostring(L, 5));
    return 1;
}

/* ---- Lifetime ----------------------------------------------------------------- */

static int setup_state(lua_State *L)
{
    rg_sandbox *sb = rg_sandbox_of(L);
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, KEY_CHUNK_PACKAGES);
    open_globals(sb);
    lua_pushcfunction(L, sandbox_require);
    rg_sandbox_set_builtin(sb, "require");
    lua_pushcfunction(L, sandbox_memo);
    rg_sandbox_set_builtin(sb, "memo");
    return 0;
}

/* Add DIR to the policy path when it is a directory (a missing one is skipped: the
 * installed policies may not be there).  0, or -1 when out of memory. */
static int add_search(rg_sandbox *sb, const char *dir)
{
    char real[PATH_MAX], **grown, **grown_display;
    struct stat st;
    if (!*dir || !realpath(dir, real) || stat(real, &st) != 0 || !S_ISDIR(st.st_mode))
        return 0;
    if (strcmp(real, sb->dir) == 0)
        return 0;
    for (int i = 0; i < sb->search_count; i++)
        if (strcmp(sb->search[i], real) == 0)
            return 0;
    grown = realloc(sb->search, (size_t)(sb->search_count + 1) * sizeof *grown);
    if (!grown)
        return -1;
    sb->search = grown;
    grown_display = realloc(sb->search_display, (size_t)(sb->search_count + 1) * sizeof *grown_display);
    if (!grown_display)
        return -1;
    sb->search_display = grown_display;
    sb->search[sb->search_count] = strdup(real);
    sb->search_display[sb->search_count] = strdup(dir);
    if (!sb->search[sb->search_count] || !sb->search_display[sb->search_count]) {
        free(sb->search[sb->search_count]);
        free(sb->search_display[sb->search_count]);
        return -1;
    }
    sb->search_count++;
    return 0;
}

/* The policy path: RELGATE_POLICY_PATH (colon-separated; relgate's --policy-path puts
 * its directories in front), then the policies installed with relgate. */
static int policy_path(rg_sandbox *sb)
{
    const char *env = getenv("RELGATE_POLICY_PATH");
    if (env && *env) {
        char *copy = strdup(env), *save = NULL;
        if (!copy)
            return -1;
        for (char *tok = strtok_r(copy, ":", &save); tok; tok = strtok_r(NULL, ":", &save))
            if (add_search(sb, tok) != 0) {
                free(copy);
                return -1;
            }
        free(copy);
    }
    return add_search(sb, RG_POLICYDIR);
}

rg_sandbox *rg_sandbox_new(const rg_limits *limits, int64_t now, const char *dir,
                           const char *display, rg_error *err)
{
    rg_sandbox *sb = calloc(1, sizeof *sb);
    if (!sb) {
        rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory");
        return NULL;
    }
    sb->limits = *limits;
    sb->now = now;
    sb->watch_count = -1;
    sb->deadline = monotonic_now() + limits->timeout;
    sb->dir = realpath(dir, NULL);
    sb->dir_display = strdup(display);
    sb->digest = rg_sha256_new();
    if (!sb->dir) {
        rg_fail(err, RG_ERROR_IO, dir, 0, 0, "cannot resolve policy directory %s: %s", dir,
                strerror(errno));
        rg_sandbox_free(sb);
        return NULL;
    }
    if (!(sb->packages = calloc(1, sizeof *sb->packages)) || !(sb->packages[0].root = strdup(sb->dir)) ||
        !(sb->packages[0].base = strdup(sb->dir)) || !(sb->packages[0].display = strdup(display)) ||
        policy_path(sb) != 0) {
        rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory");
        rg_sandbox_free(sb);
        return NULL;
    }
    sb->package_count = 1;
    sb->realloc_fn = lua_realloc_fn ? lua_realloc_fn : realloc;
    sb->free_fn = lua_free_fn ? lua_free_fn : free;
    sb->L = lua_newstate(limited_alloc, sb);
    if (!sb->L || !sb->dir_display || !sb->digest) {
        rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "cannot create the policy's Lua state");
        rg_sandbox_free(sb);
        return NULL;
    }
    *(rg_sandbox **)lua_getextraspace(sb->L) = sb;
    lua_setwarnf(sb->L, NULL, NULL);
    /* Generational collection: an evaluation's tables (the context, results) die young. */
    lua_gc(sb->L, LUA_GCGEN, 0, 0);
    /* Setting up allocates: protected, so a tiny memory limit is an error, not a panic. */
    lua_pushcfunction(sb->L, setup_state);
    if (lua_pcall(sb->L, 0, 0, 0) != LUA_OK) {
        rg_fail(err, RG_ERROR_LIMIT, NULL, 0, 0,
                "the policy sandbox does not fit in its memory limit of %zu bytes (--max-memory)",
                limits->max_memory);
        rg_sandbox_free(sb);
        return NULL;
    }
    /* At least 1: a count of 0 would never call the hook, and so never stop anything. */
    sb->hook_every = limits->max_instructions < HOOK_EVERY ? (int)limits->max_instructions : HOOK_EVERY;
    if (sb->hook_every < 1)
        sb->hook_every = 1;
    lua_sethook(sb->L, limit_hook, LUA_MASKCOUNT, sb->hook_every);
    return sb;
}

void rg_sandbox_free(rg_sandbox *sb)
{
    if (!sb)
        return;
    if (sb->L) {
        lua_sethook(sb->L, NULL, 0, 0);
        lua_close(sb->L);
    }
    if (sb->digest) {
        unsigned char scratch[RG_SHA256_LEN];
        rg_sha256_final(sb->digest, scratch);
    }
    free(sb->snapshot_upvalue);
    for (size_t i = 0; i < sb->loaded_count; i++)
        free(sb->loaded[i]);
    free(sb->loaded);
    free(sb->dir);
    free(sb->dir_display);
    for (int i = 0; sb->packages && i < (sb->package_count ? sb->package_count : 1); i++) {
        free(sb->packages[i].root);
        free(sb->packages[i].base);
        free(sb->packages[i].display);
        rg_bundle_free(sb->packages[i].bundle);
    }
    cJSON_Delete(sb->lock_doc);
    free(sb->packages);
    for (int i = 0; i < sb->search_count; i++) {
        free(sb->search[i]);
        free(sb->search_display[i]);
    }
    free(sb->search);
    free(sb->search_display);
    free(sb);
}
