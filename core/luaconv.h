/* Moving values between cJSON trees and Lua. */
#ifndef RG_LUACONV_H
#define RG_LUACONV_H

#include <cjson/cJSON.h>
#include <lua.h>

/* Push ITEM as a Lua value: objects and arrays become tables (arrays 1-based),
 * null becomes nil. */
void rg_push_json(lua_State *L, const cJSON *item);
/* The same, with every table at depth SEAL_FROM or deeper (the root is depth 0) made a
 * read-only view as it is built. */
void rg_push_json_sealed(lua_State *L, const cJSON *item, int seal_from);

/* Convert the Lua value at IDX to a new cJSON tree the caller frees with cJSON_Delete.
 * Tables with keys 1..n only become arrays (an empty table becomes EMPTY_AS_OBJECT ?
 * {} : []), tables with string keys objects; read-only views are seen through.
 * Returns NULL and pushes nothing on failure, writing a reason into WHY: functions,
 * userdata, mixed or non-string keys, NaN or infinite numbers, nesting deeper than
 * MAX_DEPTH (which also catches cycles). */
cJSON *rg_lua_to_json(lua_State *L, int idx, int max_depth, int empty_as_object, char *why,
                      size_t why_size);

/* Argument IDX as a name (an id, a zone, an evidence name, a role, a module): a string, as
 * luaL_checkstring, and one without a NUL byte -- C would read "ok\0x" as "ok" (hostile
 * round 41a, F05: override "ok\0x" weakened requirement ok).  Raises a Lua error. */
const char *rg_lua_checkname(lua_State *L, int idx);

/* The value at IDX as a name: the string when it is one without a NUL byte, else NULL (a
 * value the caller then refuses as it refuses any wrong one: a level, a check, a stage). */
const char *rg_lua_name(lua_State *L, int idx);

/* Argument IDX as an optional name: NULL when it is not a string; a Lua error when it is
 * one with a NUL byte. */
const char *rg_lua_optname(lua_State *L, int idx);

#endif
