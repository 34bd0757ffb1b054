/* Loading a policy: the declarations `policy { ... }` and `requirement "id" { ... }`. */
#include <dirent.h>
#include <stdarg.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <lauxlib.h>

#include "error.h"
#include "strbuf.h"
#include "suggest.h"
#include "fileio.h"
#include "luaconv.h"
#include "check_cache.h"
#include "lint_globals.h"
#include "plugins.h"
#include "policylib.h"
#include "textpos.h"
#include "policy.h"

static const char KEY_POLICY[] = "rg.policy";

const char *rg_level_name(rg_level level)
{
    switch (level) {
    case RG_LEVEL_MANDATORY: return "mandatory";
    case RG_LEVEL_WAIVABLE: return "waivable";
    case RG_LEVEL_ADVISORY: return "advisory";
    }
    return "mandatory";
}

int rg_type_index(rg_release_type type)
{
    return type == RG_TYPE_PATCH ? 0 : type == RG_TYPE_MINOR ? 1 : 2;
}

static const char *const TYPE_NAMES[3] = {"patch", "minor", "major"};

static rg_policy *policy_of(lua_State *L)
{
    rg_policy *pol;
    lua_getfield(L, LUA_REGISTRYINDEX, KEY_POLICY);
    pol = lua_touserdata(L, -1);
    lua_pop(L, 1);
    return pol;
}

/* Raise "FILE:LINE: message" (the declaration's place, not the library's). */
static int declaration_error(lua_State *L, const char *file, int line, const char *fmt, ...) RG_PRINTF(4, 5);

static int declaration_error(lua_State *L, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    char msg[RG_ERROR_MESSAGE_MAX];
    rg_policy *pol;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    lua_getfield(L, LUA_REGISTRYINDEX, KEY_POLICY);
    pol = lua_touserdata(L, -1);
    lua_pop(L, 1);
    if (pol && pol->lint) {
        /* Linting: note it and carry on, so one run finds every problem. */
        char line_text[RG_ERROR_MESSAGE_MAX + RG_ERROR_FILE_MAX + 16];
        snprintf(line_text, sizeof line_text, "%s:%d: %s", file, line, msg);
        cJSON_AddItemToArray(pol->lint, cJSON_CreateString(line_text));
        return 0;
    }
    lua_pushfstring(L, "%s:%d: %s", file, line, msg);
    return lua_error(L);
}


static void free_requirement(rg_requirement *r);


static int noop(lua_State *L)
{
    (void)L;
    return 0;
}

/* A declarator's error: raised, or when linting, noted and answered with a function
 * that takes the declaration's table and does nothing. */
static int curried_error(lua_State *L, const char *file, int line, const char *msg)
{
    declaration_error(L, file, line, "%s", msg);
    lua_pushcfunction(L, noop);
    return 1;
}

/* The calling Lua chunk's file and line. */
static void caller_place(lua_State *L, const char **file, int *line)
{
    lua_Debug ar;
    *file = "?";
    *line = 0;
    if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "Sl", &ar)) {
        *file = ar.source[0] == '@' ? ar.source + 1 : ar.short_src;
        *line = ar.currentline;
    }
}

/* A table the engine reads raw (lua_next, lua_rawgeti): a read-only view -- a base
 * policy's table, frozen once extends has loaded it, or decoded JSON -- is replaced by
 * the table behind it, whose nested tables are views the conversions read through. */
static void plain_table(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    if (rg_readonly_target(L, idx))
        lua_replace(L, idx);
}

/* ---- policy { ... } -------------------------------------------------------- */

/* policy{ max_waiver_days = N } (the value on top): the limit only ever tightens, so a
 * team extending a baseline cannot lengthen the waivers the baseline allows. */
static int waiver_days(lua_State *L, rg_policy *pol, const char *file, int line)
{
    double days = lua_type(L, -1) == LUA_TNUMBER ? lua_tonumber(L, -1) : 0;
    if (!(days > 0 && days <= 3660))
        return declaration_error(L, file, line, "policy{}: max_waiver_days must be a number of days, more than 0 and at most 3660");
    if (pol->max_waiver_days == 0 || days < pol->max_waiver_days)
        pol->max_waiver_days = days;
    return 0;
}

static int decl_policy(lua_State *L)
{
    rg_policy *pol = policy_of(L);
    const char *file;
    int line;
    caller_place(L, &file, &line);
    if (rg_sandbox_of(L)->frozen)
        return declaration_error(L, file, line, "policy{} can only be declared while the policy loads");
    if (lua_type(L, 1) != LUA_TTABLE)
        return declaration_error(L, file, line, "policy expects a table: policy { name = \"...\", version = \"...\" }");
    if (pol->extending) {
        /* A base policy's own metadata: kept as what this policy extends. */
        cJSON *base = cJSON_CreateObject();
        int ok;
        lua_getfield(L, 1, "name");
        ok = cJSON_AddStringToObject(base, "name", lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "?") != NULL;
        lua_getfield(L, 1, "version");
        if (lua_type(L, -1) == LUA_TSTRING) ok &= cJSON_AddStringToObject(base, "version", lua_tostring(L, -1)) != NULL;
        else ok &= cJSON_AddNullToObject(base, "version") != NULL;
        ok &= cJSON_AddStringToObject(base, "file", file) != NULL;
        if (!ok || !cJSON_AddItemToArray(pol->bases, base)) {
            cJSON_Delete(base);
            return rg_sandbox_out_of_memory(L, file, line, "what the policy extends");
        }
        lua_settop(L, 1);
        plain_table(L, 1);
        if (lua_getfield(L, 1, "max_waiver_days") != LUA_TNIL)
            return waiver_days(L, pol, file, line);
        return 0;
    }
    if (pol->meta_line)
        return declaration_error(L, file, line, "policy{} declared twice (first at line %d)", pol->meta_line);
    lua_settop(L, 1);
    plain_table(L, 1);
    lua_pushnil(L);
    while (lua_next(L, 1)) {
        const char *key = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
        char **slot = NULL;
        if (key && strcmp(key, "max_waiver_days") == 0) {
            waiver_days(L, pol, file, line);
            lua_pop(L, 1);
            continue;
        }
        if (key && strcmp(key, "name") == 0) slot = &pol->name;
        else if (key && strcmp(key, "version") == 0) slot = &pol->version;
        else if (key && strcmp(key, "description") == 0) slot = &pol->description;
        if (!slot) {
            static const char *const fields[] = {"name", "version", "description", "max_waiver_days", NULL};
            char mean[160];
            return declaration_error(L, file, line, "policy{}: unknown field '%s'%s (expected name, version, description, max_waiver_days)",
                                     key ? key : luaL_typename(L, -2), key ? rg_suggest_among(key, fields, mean, sizeof mean) : "");
        }
        if (lua_type(L, -1) != LUA_TSTRING || lua_rawlen(L, -1) == 0)
            return declaration_error(L, file, line, "policy{}: %s must be a non-empty string", key);
        free(*slot);
        if (!(*slot = rg_strdup_utf8(lua_tostring(L, -1))))
            return rg_sandbox_out_of_memory(L, file, line, "policy{}");
        lua_pop(L, 1);
    }
    pol->meta_line = line;
    return 0;
}

/* ---- requirement "id" { ... } ------------------------------------------------- */

static int valid_id(const char *id)
{
    if (!((*id >= 'a' && *id <= 'z') || (*id >= '0' && *id <= '9')))
        return 0;
    for (const char *p = id; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
              *p == '.'))
            return 0;
    return strlen(id) <= 100;
}

/* Read field KEY (at the top) as a list of names parsed by PARSE into a mask. */
static unsigned name_list(lua_State *L, const char *file, int line, const char *id, const char *key,
                          unsigned (*parse)(const char *), const char *allowed)
{
    unsigned mask = 0;
    lua_Integer n = 0;
    if (lua_type(L, -1) != LUA_TTABLE) {
        declaration_error(L, file, line, "requirement '%s': %s must be a list like { %s }", id, key, allowed);
        return 0; /* only when linting */
    }
    plain_table(L, -1);
    for (lua_Integer i = 1;; i++) {
        unsigned bit = 0;
        if (lua_rawgeti(L, -1, i) == LUA_TNIL) {
            lua_pop(L, 1);
            break;
        }
        if (!rg_lua_name(L, -1) || !(bit = parse(rg_lua_name(L, -1))))
            declaration_error(L, file, line, "requirement '%s': %s: unknown value '%s' (expected %s)", id,
                              key, lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : luaL_typename(L, -1),
                              allowed);
        mask |= bit;
        n++;
        lua_pop(L, 1);
    }
    if (n == 0 || (lua_Integer)lua_rawlen(L, -1) != n)
        declaration_error(L, file, line, "requirement '%s': %s must be a non-empty list like { %s }", id, key, allowed);
    return mask;
}

static unsigned parse_type(const char *s) { return (unsigned)rg_release_type_parse(s); }
static unsigned parse_stage(const char *s) { return (unsigned)rg_stage_parse(s); }

static const char *string_field(lua_State *L, const char *file, int line, const char *id, const char *key)
{
    if (lua_type(L, -1) == LUA_TSTRING && strlen(lua_tostring(L, -1)) != lua_rawlen(L, -1)) {
        declaration_error(L, file, line, "requirement '%s': %s may not contain a NUL byte", id, key);
        return NULL; /* only when linting */
    }
    if (lua_type(L, -1) != LUA_TSTRING || lua_rawlen(L, -1) == 0) {
        declaration_error(L, file, line, "requirement '%s': %s must be a non-empty string", id, key);
        return NULL; /* only when linting */
    }
    return lua_tostring(L, -1);
}

/* The `with` table on top of the stack as JSON, by_type{} values resolved for release
 * type TYPE (0..2).  Returns a new object, or NULL with WHY filled. */
static cJSON *plugin_given(lua_State *L, int type, char *why, size_t why_size)
{
    int with = lua_gettop(L);
    cJSON *given;
    plain_table(L, with);
    lua_newtable(L);
    lua_pushnil(L);
    while (lua_next(L, with)) {
        plain_table(L, -1);
        if (rg_is_by_type(L, -1)) {
            lua_getfield(L, -1, TYPE_NAMES[type]);
            lua_replace(L, -2);
        }
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, with + 1);
    }
    given = rg_lua_to_json(L, with + 1, 8, 1, why, why_size);
    lua_pop(L, 1);
    return given;
}

static cJSON *plugin_params(lua_State *L, const rg_check *check, int type, char *why, size_t why_size)
{
    cJSON *given = plugin_given(L, type, why, why_size), *out;
    if (!given)
        return NULL;
    out = rg_check_params(check, given, why, why_size);
    cJSON_Delete(given);
    return out;
}

/* What a requirement's table said beyond what rg_requirement holds: which optional
 * fields it gave, for the checks on the declaration as a whole. */
typedef struct given_fields {
    int check, with, by_type, when;
} given_fields;

/* A requirement starts as mandatory, for every release type, at pre-release. */
static void requirement_defaults(rg_requirement *r)
{
    memset(r, 0, sizeof *r);
    r->types = RG_TYPE_PATCH | RG_TYPE_MINOR | RG_TYPE_MAJOR;
    r->stages = RG_STAGE_PRE_RELEASE;
    r->level = RG_LEVEL_MANDATORY;
    r->check_ref = LUA_NOREF;
    r->when_ref = LUA_NOREF;
}

/* The steps of a requirement's declaration below return 0 to go on, or -1 once a
 * declaration error was raised, or noted when linting: the declaration stops there. */
static int declaration_refused(lua_State *L, const char *file, int line, const char *fmt, ...) RG_PRINTF(4, 5);

static int declaration_refused(lua_State *L, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    char msg[RG_ERROR_MESSAGE_MAX];
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    declaration_error(L, file, line, "%s", msg);
    return -1;
}

/* `level`, on top of the stack. */
static int level_field(lua_State *L, const char *file, int line, const char *id, rg_requirement *r)
{
    const char *lv = rg_lua_name(L, -1) ? rg_lua_name(L, -1) : "";
    if (strcmp(lv, "mandatory") == 0) r->level = RG_LEVEL_MANDATORY;
    else if (strcmp(lv, "waivable") == 0) r->level = RG_LEVEL_WAIVABLE;
    else if (strcmp(lv, "advisory") == 0) r->level = RG_LEVEL_ADVISORY;
    else
        return declaration_refused(L, file, line, "requirement '%s': level must be \"mandatory\", \"waivable\" or \"advisory\"", id);
    return 0;
}

/* `check`, on top of the stack: an inline function, or the name of a loaded plugin's
 * check (found now, so that a typo fails the load, not the evaluation). */
static int check_field(lua_State *L, rg_policy *pol, const char *file, int line, const char *id, rg_requirement *r)
{
    if (lua_type(L, -1) == LUA_TSTRING) {
        if (!rg_lua_name(L, -1))
            return declaration_refused(L, file, line, "requirement '%s': a check name may not contain a NUL byte", id);
        r->plugin_check = rg_plugins_find_check(pol->plugins, lua_tostring(L, -1), &r->plugin);
        if (!r->plugin_check)
            return declaration_refused(L, file, line, "requirement '%s': unknown check '%s': no loaded plugin provides it (see relgate plugins)", id,
                                     lua_tostring(L, -1));
    } else if (lua_type(L, -1) != LUA_TFUNCTION) {
        return declaration_refused(L, file, line, "requirement '%s': check must be a function (ctx) returning pass(), fail(), warn() or skip(), or the name of a plugin check", id);
    }
    return 0;
}

/* `with`, on top of the stack: only looked at here (whether a value is by_type{}); the
 * parameters are taken once the check is known, in requirement_params. */
static int with_field(lua_State *L, const char *file, int line, const char *id, given_fields *given)
{
    if (lua_type(L, -1) != LUA_TTABLE)
        return declaration_refused(L, file, line, "requirement '%s': with must be a table of the check's parameters", id);
    plain_table(L, -1);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        plain_table(L, -1);
        given->by_type |= rg_is_by_type(L, -1);
        lua_pop(L, 1);
    }
    return 0;
}

/* One field KEY of requirement ID's table, its value on top of the stack (left there),
 * into R and GIVEN. */
static int requirement_field(lua_State *L, rg_policy *pol, const char *file, int line, const char *id,
                             const char *key, rg_requirement *r, given_fields *given)
{
    if (!key) {
        return declaration_refused(L, file, line, "requirement '%s': fields must be named (found a %s key)", id,
                                 luaL_typename(L, -2));
    } else if (strcmp(key, "title") == 0) {
        r->title = (char *)string_field(L, file, line, id, key);
    } else if (strcmp(key, "hint") == 0) {
        r->hint = (char *)string_field(L, file, line, id, key);
    } else if (strcmp(key, "description") == 0) {
        r->description = (char *)string_field(L, file, line, id, key);
    } else if (strcmp(key, "waiver_role") == 0) {
        r->waiver_role = (char *)string_field(L, file, line, id, key);
    } else if (strcmp(key, "types") == 0) {
        r->types = name_list(L, file, line, id, key, parse_type, "\"patch\", \"minor\", \"major\"");
    } else if (strcmp(key, "stages") == 0) {
        r->stages = name_list(L, file, line, id, key, parse_stage, "\"pre-release\", \"deploy\", \"post-deploy\"");
    } else if (strcmp(key, "level") == 0) {
        return level_field(L, file, line, id, r);
    } else if (strcmp(key, "check") == 0) {
        given->check = 1;
        return check_field(L, pol, file, line, id, r);
    } else if (strcmp(key, "with") == 0) {
        given->with = 1;
        return with_field(L, file, line, id, given);
    } else if (strcmp(key, "when") == 0) {
        if (lua_type(L, -1) != LUA_TFUNCTION)
            return declaration_refused(L, file, line, "requirement '%s': when must be a function (ctx) returning true when the requirement applies", id);
        given->when = 1;
    } else if (strcmp(key, "timeout") == 0) {
        if (lua_type(L, -1) != LUA_TNUMBER || lua_tonumber(L, -1) <= 0 || lua_tonumber(L, -1) > 86400)
            return declaration_refused(L, file, line, "requirement '%s': timeout must be a number of seconds, more than 0 and at most 86400", id);
        r->timeout = lua_tonumber(L, -1);
    } else {
        static const char *const fields[] = {"title", "hint", "description", "types", "stages", "level", "check",
                                             "with", "timeout", "when", "waiver_role", NULL};
        char mean[160];
        return declaration_refused(L, file, line, "requirement '%s': unknown field '%s'%s (expected title, hint, description, types, stages, level, check, with, timeout, when, waiver_role)",
                                 id, key, rg_suggest_among(key, fields, mean, sizeof mean));
    }
    return 0;
}

/* Every field of the declaration's table (argument 1). */
static int requirement_fields(lua_State *L, rg_policy *pol, const char *file, int line, const char *id,
                              rg_requirement *r, given_fields *given)
{
    plain_table(L, 1);
    lua_pushnil(L);
    while (lua_next(L, 1)) {
        const char *key = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
        if (requirement_field(L, pol, file, line, id, key, r, given) != 0)
            return -1;
        lua_pop(L, 1);
    }
    return 0;
}

/* The declaration as a whole: what must be there, what only plugin checks take, an id
 * not declared before, and room under the requirements limit. */
static int requirement_complete(lua_State *L, rg_policy *pol, const char *file, int line, const char *id,
                                const rg_requirement *r, const given_fields *given)
{
    const rg_requirement *first;
    if (!r->title)
        return declaration_refused(L, file, line, "requirement '%s': title is missing", id);
    if (!given->check)
        return declaration_refused(L, file, line, "requirement '%s': check is missing", id);
    if (!r->plugin_check && (given->with || r->timeout > 0))
        return declaration_refused(L, file, line, "requirement '%s': %s applies to plugin checks only; an inline check reads what it needs itself",
                                 id, given->with ? "with" : "timeout");
    if ((first = rg_policy_find(pol, id)) != NULL)
        return declaration_refused(L, file, line, "duplicate requirement id '%s' (first declared at %s:%d)", id,
                                 first->file, first->line);
    if ((int)pol->count >= rg_sandbox_of(L)->limits.max_requirements)
        return declaration_refused(L, file, line, "policy declares more than %d requirements",
                                 rg_sandbox_of(L)->limits.max_requirements);
    return 0;
}

/* Room for one more requirement in POL (raises when out of memory). */
static void reserve_requirement(lua_State *L, rg_policy *pol, const char *file, int line)
{
    size_t cap;
    rg_requirement *grown;
    if (pol->count < pol->cap)
        return;
    cap = pol->cap ? pol->cap * 2 : 16;
    if (!(grown = realloc(pol->reqs, cap * sizeof *grown))) {
        rg_sandbox_out_of_memory(L, file, line, "the requirements");
        return;
    }
    pol->reqs = grown;
    pol->cap = cap;
}

/* A plugin check's parameters from `with`, checked against what the check declares,
 * once for each release type the requirement applies to (by_type{} values differ). */
static int requirement_params(lua_State *L, const char *file, int line, const char *id, rg_requirement *r,
                              const given_fields *given)
{
    char why[512];
    if (given->with)
        lua_getfield(L, 1, "with");
    else
        lua_newtable(L);
    for (int t = 0; t < 3; t++) {
        if (!(r->types & (1u << t)))
            continue;
        r->params[t] = plugin_params(L, r->plugin_check, t, why, sizeof why);
        if (!r->params[t]) {
            for (int u = 0; u < t; u++)
                cJSON_Delete(r->params[u]);
            return declaration_refused(L, file, line, "requirement '%s'%s%s: %s", id,
                                     given->by_type ? " for a " : "", given->by_type ? TYPE_NAMES[t] : "", why);
        }
    }
    lua_pop(L, 1);
    return 0;
}

/* Copy R's strings out of Lua before anything else can raise (raises when out of
 * memory, R freed).  The optional ones (hint, description, waiver_role) are NULL when
 * absent, so a NULL copy of a string that was given is what tells running out of
 * memory apart. */
static void copy_requirement_strings(lua_State *L, const char *file, int line, const char *id, rg_requirement *r)
{
    const char *hint = r->hint, *description = r->description, *waiver_role = r->waiver_role;
    /* "file:line", written once here rather than in every decision. */
    size_t n = strlen(file) + 16;
    r->id = strdup(id);
    r->title = rg_strdup_utf8(r->title);
    r->hint = rg_strdup_utf8(hint);
    r->description = rg_strdup_utf8(description);
    r->waiver_role = rg_strdup_utf8(waiver_role);
    r->file = strdup(file);
    if ((r->source = malloc(n)) != NULL)
        snprintf(r->source, n, "%s:%d", file, line);
    if (!r->id || !r->title || !r->file || !r->source || (hint && !r->hint) ||
        (description && !r->description) || (waiver_role && !r->waiver_role)) {
        free_requirement(r);
        rg_sandbox_out_of_memory(L, file, line, "a requirement");
    }
}

/* requirement "ID" { ... }: the declaration's table, read field by field, checked as a
 * whole, its plugin parameters resolved, then kept (strings copied, functions
 * referenced).  When linting, an error is noted and the requirement dropped. */
static int decl_requirement_body(lua_State *L)
{
    rg_policy *pol = policy_of(L);
    const char *id = lua_tostring(L, lua_upvalueindex(1));
    const char *file = lua_tostring(L, lua_upvalueindex(2));
    int line = (int)lua_tointeger(L, lua_upvalueindex(3));
    rg_requirement r;
    given_fields given = {0, 0, 0, 0};

    if (lua_type(L, 1) != LUA_TTABLE)
        return declaration_error(L, file, line, "requirement '%s' expects a table: requirement \"%s\" { title = ..., check = ... }", id, id);
    requirement_defaults(&r);
    lua_settop(L, 1);
    if (requirement_fields(L, pol, file, line, id, &r, &given) != 0 ||
        requirement_complete(L, pol, file, line, id, &r, &given) != 0)
        return 0;
    reserve_requirement(L, pol, file, line);
    if (r.plugin_check && requirement_params(L, file, line, id, &r, &given) != 0)
        return 0;
    copy_requirement_strings(L, file, line, id, &r);
    r.line = line;
    if (!r.plugin_check) {
        lua_getfield(L, 1, "check");
        r.check_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    }
    if (given.when) {
        lua_getfield(L, 1, "when");
        r.when_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    }
    pol->reqs[pol->count++] = r;
    return 0;
}

static int decl_requirement(lua_State *L)
{
    const char *id, *file;
    int line;
    caller_place(L, &file, &line);
    char msg[RG_ERROR_MESSAGE_MAX];
    if (rg_sandbox_of(L)->frozen)
        return curried_error(L, file, line, "requirements can only be declared while the policy loads");
    if (lua_type(L, 1) != LUA_TSTRING)
        return curried_error(L, file, line, "requirement expects an id: requirement \"my-id\" { ... }");
    id = lua_tostring(L, 1);
    if (strlen(id) != lua_rawlen(L, 1))
        return curried_error(L, file, line, "a requirement id may not contain a NUL byte");
    if (!valid_id(id)) {
        snprintf(msg, sizeof msg, "requirement id '%.200s' is not allowed: use lower-case letters, digits, '-', '_' and '.'", id);
        return curried_error(L, file, line, msg);
    }
    /* A duplicate id is refused where the requirement is added (decl_requirement_body):
     * a declarator kept in a variable could be called twice. */
    lua_settop(L, 1);
    lua_pushstring(L, file);
    lua_pushinteger(L, line);
    lua_pushcclosure(L, decl_requirement_body, 3);
    return 1;
}

/* ---- extends, override, disable ---------------------------------------------------- */

rg_requirement *rg_policy_find(const rg_policy *pol, const char *id)
{
    for (size_t i = 0; id && i < pol->count; i++)
        if (strcmp(pol->reqs[i].id, id) == 0)
            return &pol->reqs[i];
    return NULL;
}

const char *rg_policy_suggest_id(const rg_policy *pol, const char *id, char *buf, size_t size)
{
    rg_suggest s;
    rg_suggest_start(&s, id);
    for (size_t i = 0; i < pol->count; i++)
        rg_suggest_offer(&s, pol->reqs[i].id);
    return rg_suggest_text(&s, buf, size);
}

/* Call FN with each requirement's check and when function (k 0 and 1) on the stack top. */
static void each_function(lua_State *L, rg_policy *pol, void (*fn)(lua_State *L, rg_requirement *r, int k))
{
    for (size_t i = 0; i < pol->count; i++) {
        const int refs[2] = {pol->reqs[i].check_ref, pol->reqs[i].when_ref};
        for (int k = 0; k < 2; k++) {
            if (refs[k] == LUA_NOREF)
                continue;
            lua_rawgeti(L, LUA_REGISTRYINDEX, refs[k]);
            fn(L, &pol->reqs[i], k);
            lua_pop(L, 1);
        }
    }
}

/* Seal what a check or when function reaches (rg_sandbox_seal_reachable). */
static void seal_function(lua_State *L, rg_requirement *r, int k)
{
    (void)r;
    (void)k;
    rg_sandbox_seal_reachable(L, -1);
}

/* What a check or when function can change: compared after it runs (all of it would cost
 * a read per variable of the whole policy after every check). */
static void watch_function(lua_State *L, rg_requirement *r, int k)
{
    r->watch[k] = rg_sandbox_reachable_triples(L, -1, &r->watch_count[k]);
}

/* Protected: freeze everything a check can reach, once the whole policy has loaded. */
static int freeze_policy(lua_State *L)
{
    rg_policy *pol = policy_of(L);
    each_function(L, pol, seal_function);
    rg_sandbox_seal_state(L, NULL);
    rg_sandbox_check_snapshot(L);
    each_function(L, pol, watch_function);
    return 0;
}

/* The decision names every bundle a policy used: the base entry the bundle's policy{}
 * made (from index BEFORE on), or one made from its manifest, gets
 * "bundle": { name, version, digest }. */
static void note_bundle(lua_State *L, rg_policy *pol, const rg_package *p, int before, const char *file, int line)
{
    cJSON *entry = cJSON_GetArrayItem(pol->bases, before), *b = cJSON_CreateObject();
    const rg_bundle *bundle = p->bundle;
    int ok = b && cJSON_AddStringToObject(b, "name", bundle->name) &&
             cJSON_AddStringToObject(b, "version", bundle->version) &&
             cJSON_AddStringToObject(b, "digest", bundle->digest);
    if (ok && !entry) {
        /* a bundle whose policy declares no policy{} */
        entry = cJSON_CreateObject();
        ok = entry && cJSON_AddStringToObject(entry, "name", bundle->name) &&
             cJSON_AddStringToObject(entry, "version", bundle->version) &&
             cJSON_AddStringToObject(entry, "file", p->display) && cJSON_AddItemToArray(pol->bases, entry);
    }
    if (!ok || !cJSON_AddItemToObject(entry, "bundle", b)) {
        cJSON_Delete(b);
        rg_sandbox_out_of_memory(L, file, line, "the bundles a policy uses");
    }
}

/* Run a base (RUN: rg_sandbox_run_base for NAME, or rg_sandbox_run_bundle for a path)
 * into this policy, its requirements first; then freeze what it set up. */
static int extend(lua_State *L, const char *name, int (*run)(lua_State *L, const char *name), const char *file,
                  int line)
{
    rg_policy *pol = policy_of(L);
    rg_sandbox *sb = rg_sandbox_of(L);
    int before = cJSON_GetArraySize(pol->bases), bundle;
    /* A base that raises leaves EXTENDING raised, but then the whole load fails. */
    pol->extending++;
    bundle = run(L, name);
    pol->extending--;
    if (bundle)
        note_bundle(L, pol, &sb->packages[bundle], before, file, line);
    /* The base is complete: what it set up is frozen now, so the extending policy can
     * change its requirements only through override and disable, which the decision
     * shows (a patched module table or a redefined global would not show). */
    each_function(L, pol, seal_function);
    rg_sandbox_seal_state(L, name);
    return bundle;
}

/* extends "baseline": load baseline.lua from the policy's directory, else from the
 * policy path, into this policy, its requirements first; this file then adds, overrides
 * or disables. */
static int decl_extends(lua_State *L)
{
    rg_sandbox *sb = rg_sandbox_of(L);
    const char *file, *name = rg_lua_checkname(L, 1);
    int line;
    caller_place(L, &file, &line);
    if (sb->frozen)
        return declaration_error(L, file, line, "extends can only be used while the policy loads");
    lua_getfield(L, LUA_REGISTRYINDEX, "rg.extended");
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setfield(L, LUA_REGISTRYINDEX, "rg.extended");
    }
    if (lua_getfield(L, -1, name) != LUA_TNIL)
        return declaration_error(L, file, line, "policy '%s' is extended twice", name);
    lua_pop(L, 1);
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, name);
    lua_pop(L, 1);
    extend(L, name, rg_sandbox_run_base, file, line);
    return 0;
}

/* --policy on a bundle (the path at 1): the policy is the bundle, named and versioned as
 * its manifest says, its entry policy run as a base, so that the decision's
 * policy.extends names the bundle and its digest as it does for extends "NAME@sha256:...". */
static int load_bundle_policy(lua_State *L)
{
    rg_policy *pol = policy_of(L);
    const char *path = lua_tostring(L, 1);
    int pkg = extend(L, path, rg_sandbox_run_bundle, path, 0); /* before reading packages: it grows them */
    const rg_bundle *b = rg_sandbox_of(L)->packages[pkg].bundle;
    free(pol->name);
    free(pol->version);
    pol->name = strdup(b->name);
    pol->version = strdup(b->version);
    if (!pol->name || !pol->version)
        return rg_sandbox_out_of_memory(L, path, 0, "the bundle's name");
    return 0;
}

static void note_change(lua_State *L, rg_requirement *r, const char *file, int line, const char *what,
                        const char *reason)
{
    char text[1024];
    cJSON *item;
    if (!r->changes)
        r->changes = cJSON_CreateArray();
    snprintf(text, sizeof text, "%s:%d: %s%s%s%s", file, line, what, reason ? " (" : "", reason ? reason : "",
             reason ? ")" : "");
    item = cJSON_CreateString(text);
    if (!r->changes || !cJSON_AddItemToArray(r->changes, item)) {
        cJSON_Delete(item);
        rg_sandbox_out_of_memory(L, file, line, "an override");
    }
}

/* Remember FILE:LINE as the place that last defined R (an override or a disable). */
static void note_defined_at(lua_State *L, rg_requirement *r, const char *file, int line)
{
    size_t n = strlen(file) + 16;
    char *at = malloc(n);
    if (!at)
        rg_sandbox_out_of_memory(L, file, line, "an override");
    snprintf(at, n, "%s:%d", file, line);
    free(r->defined_at);
    r->defined_at = at;
}

/* override "id" { check = ... }: the new check on top of the stack (popped), an inline
 * function or a plugin check whose parameters are the override's own `with` (the old
 * check's do not carry over: they were another check's).  0, or -1 when linting noted a
 * problem. */
static int override_check(lua_State *L, rg_policy *pol, rg_requirement *r, const char *file, int line,
                          const char *reason)
{
    char why[512], what[300];
    if (lua_type(L, -1) == LUA_TFUNCTION) {
        for (int t = 0; t < 3; t++) {
            cJSON_Delete(r->params[t]);
            r->params[t] = NULL;
        }
        r->plugin_check = NULL;
        r->plugin = NULL;
        r->timeout = 0;
        if (r->check_ref != LUA_NOREF)
            luaL_unref(L, LUA_REGISTRYINDEX, r->check_ref);
        r->check_ref = luaL_ref(L, LUA_REGISTRYINDEX);
        note_change(L, r, file, line, "check (a function)", reason);
        return 0;
    }
    if (lua_type(L, -1) == LUA_TSTRING) {
        const struct rg_loaded_plugin *plugin = NULL;
        const rg_check *check = rg_lua_name(L, -1) ? rg_plugins_find_check(pol->plugins, lua_tostring(L, -1), &plugin)
                                                   : NULL;
        cJSON *params[3] = {NULL, NULL, NULL};
        if (!check) {
            declaration_error(L, file, line, "override '%s': unknown check '%s': no loaded plugin provides it (see relgate plugins)",
                              r->id, lua_tostring(L, -1));
            return -1;
        }
        if (lua_getfield(L, 1, "with") == LUA_TNIL) {
            lua_pop(L, 1);
            lua_newtable(L);
        } else if (lua_type(L, -1) != LUA_TTABLE) {
            declaration_error(L, file, line, "override '%s': with changes a plugin check's parameters (a table)", r->id);
            return -1;
        }
        for (int t = 0; t < 3; t++) {
            if (!(r->types & (1u << t)))
                continue;
            if (!(params[t] = plugin_params(L, check, t, why, sizeof why))) {
                for (int u = 0; u < t; u++)
                    cJSON_Delete(params[u]);
                declaration_error(L, file, line, "override '%s' for a %s: %s", r->id, TYPE_NAMES[t], why);
                return -1;
            }
        }
        lua_pop(L, 1);
        for (int t = 0; t < 3; t++) {
            cJSON_Delete(r->params[t]);
            r->params[t] = params[t];
        }
        if (r->check_ref != LUA_NOREF)
            luaL_unref(L, LUA_REGISTRYINDEX, r->check_ref);
        r->check_ref = LUA_NOREF;
        r->plugin_check = check;
        r->plugin = plugin;
        snprintf(what, sizeof what, "check %s", check->name);
        note_change(L, r, file, line, what, reason);
        lua_pop(L, 1);
        return 0;
    }
    declaration_error(L, file, line, "override '%s': check must be a function (ctx) or the name of a plugin check", r->id);
    return -1;
}

/* override "id" { level = ..., with = {...}, ... , reason = "..." } */
static int decl_override_body(lua_State *L)
{
    rg_policy *pol = policy_of(L);
    const char *id = lua_tostring(L, lua_upvalueindex(1));
    const char *file = lua_tostring(L, lua_upvalueindex(2));
    int line = (int)lua_tointeger(L, lua_upvalueindex(3));
    rg_requirement *r = rg_policy_find(pol, id);
    const char *reason = NULL;
    char why[512];
    if (!r) {
        char mean[RG_ERROR_MESSAGE_MAX];
        return declaration_error(L, file, line, "override: no requirement '%s' to override%s", id,
                                 rg_policy_suggest_id(pol, id, mean, sizeof mean));
    }
    if (lua_type(L, 1) != LUA_TTABLE)
        return declaration_error(L, file, line, "override '%s' expects a table of the fields to change", id);
    note_defined_at(L, r, file, line);
    lua_settop(L, 1);
    plain_table(L, 1);
    lua_getfield(L, 1, "reason");
    if (lua_type(L, -1) == LUA_TSTRING)
        reason = lua_tostring(L, -1);
    lua_pop(L, 1);
    /* check first: a new plugin check takes this override's with as its parameters */
    if (lua_getfield(L, 1, "check") == LUA_TNIL)
        lua_pop(L, 1);
    else if (override_check(L, pol, r, file, line, reason) != 0)   /* pops it */
        return 0;   /* linting: noted */
    lua_pushnil(L);
    while (lua_next(L, 1)) {
        const char *key = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "?";
        char what[256];
        if (strcmp(key, "check") == 0) {
            /* done above */
        } else if (strcmp(key, "when") == 0) {
            if (lua_type(L, -1) != LUA_TFUNCTION)
                return declaration_error(L, file, line, "override '%s': when must be a function (ctx) returning true when the requirement applies", id);
            if (r->when_ref != LUA_NOREF)
                luaL_unref(L, LUA_REGISTRYINDEX, r->when_ref);
            lua_pushvalue(L, -1);
            r->when_ref = luaL_ref(L, LUA_REGISTRYINDEX);
            note_change(L, r, file, line, "when", reason);
        } else if (strcmp(key, "reason") == 0) {
            if (lua_type(L, -1) != LUA_TSTRING || lua_rawlen(L, -1) == 0)
                return declaration_error(L, file, line, "override '%s': reason must be a non-empty string", id);
        } else if (strcmp(key, "level") == 0) {
            const char *lv = rg_lua_name(L, -1) ? rg_lua_name(L, -1) : "";
            if (strcmp(lv, "mandatory") == 0) r->level = RG_LEVEL_MANDATORY;
            else if (strcmp(lv, "waivable") == 0) r->level = RG_LEVEL_WAIVABLE;
            else if (strcmp(lv, "advisory") == 0) r->level = RG_LEVEL_ADVISORY;
            else return declaration_error(L, file, line, "override '%s': level must be \"mandatory\", \"waivable\" or \"advisory\"", id);
            snprintf(what, sizeof what, "level %s", lv);
            note_change(L, r, file, line, what, reason);
        } else if (strcmp(key, "title") == 0 || strcmp(key, "hint") == 0) {
            char **slot = key[0] == 't' ? &r->title : &r->hint;
            if (lua_type(L, -1) != LUA_TSTRING || lua_rawlen(L, -1) == 0)
                return declaration_error(L, file, line, "override '%s': %s must be a non-empty string", id, key);
            free(*slot);
            if (!(*slot = rg_strdup_utf8(lua_tostring(L, -1))))
                return rg_sandbox_out_of_memory(L, file, line, "an override");
            note_change(L, r, file, line, key, reason);
        } else if (strcmp(key, "types") == 0 || strcmp(key, "stages") == 0) {
            if (!r->declared_types) {
                r->declared_types = r->types;
                r->declared_stages = r->stages;
            }
            if (key[0] == 't')
                r->types = name_list(L, file, line, id, key, parse_type, "\"patch\", \"minor\", \"major\"");
            else
                r->stages = name_list(L, file, line, id, key, parse_stage, "\"pre-release\", \"deploy\", \"post-deploy\"");
            note_change(L, r, file, line, key, reason);
        } else if (strcmp(key, "timeout") == 0) {
            if (!r->plugin_check || lua_type(L, -1) != LUA_TNUMBER || lua_tonumber(L, -1) <= 0 || lua_tonumber(L, -1) > 86400)
                return declaration_error(L, file, line, "override '%s': timeout is a number of seconds for a plugin check", id);
            r->timeout = lua_tonumber(L, -1);
            note_change(L, r, file, line, "timeout", reason);
        } else if (strcmp(key, "with") == 0) {
            if (!r->plugin_check || lua_type(L, -1) != LUA_TTABLE)
                return declaration_error(L, file, line, "override '%s': with changes a plugin check's parameters (a table)", id);
            for (int t = 0; t < 3; t++) {
                cJSON *changes, *merged, *item, *params;
                if (!r->params[t])
                    continue;
                changes = plugin_given(L, t, why, sizeof why);
                if (!changes)
                    return declaration_error(L, file, line, "override '%s': %s", id, why);
                merged = cJSON_Duplicate(r->params[t], 1);
                cJSON_ArrayForEach(item, changes) {
                    cJSON_DeleteItemFromObjectCaseSensitive(merged, item->string);
                    cJSON_AddItemToObject(merged, item->string, cJSON_Duplicate(item, 1));
                }
                cJSON_Delete(changes);
                params = rg_check_params(r->plugin_check, merged, why, sizeof why);
                cJSON_Delete(merged);
                if (!params)
                    return declaration_error(L, file, line, "override '%s' for a %s: %s", id, TYPE_NAMES[t], why);
                cJSON_Delete(r->params[t]);
                r->params[t] = params;
            }
            plain_table(L, -1);
            lua_pushnil(L);
            while (lua_next(L, -2)) {
                snprintf(what, sizeof what, "parameter %s", lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "?");
                note_change(L, r, file, line, what, reason);
                lua_pop(L, 1);
            }
        } else {
            static const char *const fields[] = {"level", "title", "hint", "types", "stages", "timeout", "with", "check",
                                                 "when", "reason", NULL};
            char mean[160];
            return declaration_error(L, file, line, "override '%s': cannot change '%s'%s (level, title, hint, types, stages, timeout, with, check, when, reason)",
                                     id, key, rg_suggest_among(key, fields, mean, sizeof mean));
        }
        lua_pop(L, 1);
    }
    return 0;
}

/* disable "id" { reason = "..." }: the requirement stays in the decision as skip,
 * saying who disabled it and why. */
static int decl_disable_body(lua_State *L)
{
    rg_policy *pol = policy_of(L);
    const char *id = lua_tostring(L, lua_upvalueindex(1));
    const char *file = lua_tostring(L, lua_upvalueindex(2));
    int line = (int)lua_tointeger(L, lua_upvalueindex(3));
    rg_requirement *r = rg_policy_find(pol, id);
    char text[1024];
    if (!r) {
        char mean[RG_ERROR_MESSAGE_MAX];
        return declaration_error(L, file, line, "disable: no requirement '%s' to disable%s", id,
                                 rg_policy_suggest_id(pol, id, mean, sizeof mean));
    }
    if (lua_type(L, 1) != LUA_TTABLE)
        return declaration_error(L, file, line, "disable '%s' expects { reason = \"...\" }", id);
    lua_getfield(L, 1, "reason");
    if (lua_type(L, -1) != LUA_TSTRING || lua_rawlen(L, -1) == 0)
        return declaration_error(L, file, line, "disable '%s' needs a reason: disable \"%s\" { reason = \"...\" }", id, id);
    snprintf(text, sizeof text, "%s:%d: %s", file, line, lua_tostring(L, -1));
    note_defined_at(L, r, file, line);
    free(r->disabled);
    if (!(r->disabled = rg_strdup_utf8(text)))
        return rg_sandbox_out_of_memory(L, file, line, "a disable");
    return 0;
}

/* override "id" / disable "id": check the id, then take the table. */
static int decl_curried(lua_State *L, lua_CFunction body, const char *what)
{
    const char *file;
    int line;
    caller_place(L, &file, &line);
    char msg[256];
    if (rg_sandbox_of(L)->frozen) {
        snprintf(msg, sizeof msg, "%s can only be used while the policy loads", what);
        return curried_error(L, file, line, msg);
    }
    if (lua_type(L, 1) != LUA_TSTRING) {
        snprintf(msg, sizeof msg, "%s expects a requirement id: %s \"id\" { ... }", what, what);
        return curried_error(L, file, line, msg);
    }
    if (strlen(lua_tostring(L, 1)) != lua_rawlen(L, 1)) {   /* "ok\0x" is no id; C would read "ok" */
        snprintf(msg, sizeof msg, "a requirement id may not contain a NUL byte (%s)", what);
        return curried_error(L, file, line, msg);
    }
    lua_settop(L, 1);
    lua_pushstring(L, file);
    lua_pushinteger(L, line);
    lua_pushcclosure(L, body, 3);
    return 1;
}

static int decl_override(lua_State *L) { return decl_curried(L, decl_override_body, "override"); }
static int decl_disable(lua_State *L) { return decl_curried(L, decl_disable_body, "disable"); }

/* ---- Loading ------------------------------------------------------------------ */

static void free_requirement(rg_requirement *r)
{
    free(r->watch[0]);
    free(r->watch[1]);
    free(r->disabled);
    free(r->defined_at);
    cJSON_Delete(r->changes);
    for (int t = 0; t < 3; t++)
        cJSON_Delete(r->params[t]);
    free(r->id);
    free(r->title);
    free(r->hint);
    free(r->description);
    free(r->waiver_role);
    free(r->file);
    free(r->source);
}

void rg_policy_free(rg_policy *pol)
{
    if (!pol)
        return;
    for (size_t i = 0; i < pol->count; i++)
        free_requirement(&pol->reqs[i]);
    free(pol->reqs);
    rg_sandbox_free(pol->sb);
    rg_check_cache_free(pol->cache);
    cJSON_Delete(pol->bases);
    free(pol->name);
    free(pol->version);
    free(pol->description);
    free(pol->file);
    free(pol);
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_policy_file(const char *name)
{
    size_t n = strlen(name);
    if (name[0] == '.' || n < 5 || strcmp(name + n - 4, ".lua") != 0)
        return 0;
    /* An annotation file for editors (relgate.d.lua, LuaLS's *.d.lua) declares the API
     * with empty functions: loading it would redefine every builtin. */
    if (n > 6 && strcmp(name + n - 6, ".d.lua") == 0)
        return 0;
    return !(n > 9 && strcmp(name + n - 9, "_test.lua") == 0);
}

/* The *.lua files of DIR (not tests, not hidden), sorted.  Returns the count, or -1. */
static int list_policy_files(const char *dir, char ***out, rg_error *err)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    int n = 0, cap = 0;
    if (!d)
        return rg_fail(err, RG_ERROR_IO, dir, 0, 0, "cannot read policy directory %s: %s", dir, strerror(errno));
    while ((e = readdir(d)) != NULL) {
        if (!is_policy_file(e->d_name))
            continue;
        if (n == cap) {
            char **grown = realloc(names, (size_t)(cap = cap ? cap * 2 : 8) * sizeof *names);
            if (!grown) break;
            names = grown;
        }
        names[n] = strdup(e->d_name);
        if (!names[n]) break;
        n++;
    }
    closedir(d);
    if (e) {
        /* Out of memory: a policy with some of its files missing would be a weaker gate. */
        for (int i = 0; i < n; i++)
            free(names[i]);
        free(names);
        return rg_fail(err, RG_ERROR_INTERNAL, dir, 0, 0, "out of memory listing policy directory %s", dir);
    }
    if (n > 0)
        qsort(names, (size_t)n, sizeof *names, compare_strings);
    *out = names;
    return n;
}

/* A file of a policy directory follows the rule for modules: no symbolic link out of it. */
static int check_member_inside(rg_policy *pol, const char *path, rg_error *err)
{
    char real[PATH_MAX];
    switch (rg_sandbox_resolve_inside(pol->sb, path, real)) {
    case -1:
        return rg_fail(err, RG_ERROR_IO, path, 0, 0, "cannot open policy file %s: %s", path, strerror(errno));
    case -2:
        return rg_fail(err, RG_ERROR_POLICY, path, 0, 0,
                       "%s leads outside the policy directory (to %s): a policy directory's files, like "
                       "its modules, must lie inside it", path, real);
    default:
        return 0;
    }
}

static int load_file(rg_policy *pol, const char *path, rg_error *err)
{
    char chunk[PATH_MAX + 2];
    snprintf(chunk, sizeof chunk, "@%s", path);
    if (rg_sandbox_load(pol->sb, path, chunk, err) != 0 ||
        rg_sandbox_call(pol->sb, 0, 0, err) != 0) {
        if (err->file[0] == '\0') /* a memory error carries no place: name the file at least */
            rg_strlcpy(err->file, path, sizeof err->file);
        return -1;
    }
    return 0;
}

/* Default name: the base name of PATH without ".lua". */
static char *default_name(const char *path)
{
    char trimmed[PATH_MAX];
    const char *base;
    char *name;
    size_t n;
    rg_strlcpy(trimmed, path, sizeof trimmed);
    for (n = strlen(trimmed); n > 1 && trimmed[n - 1] == '/'; n--)
        trimmed[n - 1] = '\0';
    base = strrchr(trimmed, '/');
    base = base && base[1] ? base + 1 : trimmed;
    name = strdup(base);
    if (name && (n = strlen(name)) > 4 && strcmp(name + n - 4, ".lua") == 0)
        name[n - 4] = '\0';
    if (name && (n = strlen(name)) > 1 && name[n - 1] == '/')
        name[n - 1] = '\0';
    return name;
}

rg_policy *rg_policy_load(const char *path, const rg_limits *limits, int64_t now, rg_error *err)
{
    return rg_policy_load_with_plugins(path, limits, now, NULL, err);
}

static rg_policy *load_policy(const char *path, const rg_limits *limits, int64_t now,
                              const rg_plugins *plugins, cJSON *lint, rg_error *err);

rg_policy *rg_policy_load_with_plugins(const char *path, const rg_limits *limits, int64_t now,
                                       const rg_plugins *plugins, rg_error *err)
{
    return load_policy(path, limits, now, plugins, NULL, err);
}

static int lint_functions(lua_State *L)
{
    cJSON *problems = lua_touserdata(L, 1);
    if (lua_getfield(L, LUA_REGISTRYINDEX, "rg.lint.chunks") == LUA_TTABLE)
        rg_lint_globals(L, -1, problems);
    return 0;
}

int rg_policy_lint_json(const char *path, const rg_limits *limits, const rg_plugins *plugins,
                        cJSON *problems, rg_error *err)
{
    rg_policy *pol = load_policy(path, limits, 0, plugins, problems, err);
    if (!pol) {
        /* A file that does not load at all: its error is the (last) problem.  A limit
         * (memory, instructions, time) is not a finding but lint failing to finish, as it
         * is eval failing: exit 2 in every command. */
        if (err->kind == RG_ERROR_IO || err->kind == RG_ERROR_INTERNAL || err->kind == RG_ERROR_LIMIT)
            return -1;
        if (err->file[0] && err->line > 0 && strncmp(err->message, err->file, strlen(err->file)) != 0) {
            char text[RG_ERROR_MESSAGE_MAX + RG_ERROR_FILE_MAX + 16];
            snprintf(text, sizeof text, "%s:%d: %s", err->file, err->line, err->message);
            cJSON_AddItemToArray(problems, cJSON_CreateString(text));
        } else {
            cJSON_AddItemToArray(problems, cJSON_CreateString(err->message));
        }
        rg_error_clear(err);
        return cJSON_GetArraySize(problems);
    }
    /* What the functions read that does not exist: protected, as reading the compiled
     * code allocates in the policy's state. */
    lua_pushcfunction(pol->sb->L, lint_functions);
    lua_pushlightuserdata(pol->sb->L, problems);
    lua_pcall(pol->sb->L, 1, 0, 0);
    for (int i = 0; i < pol->sb->package_count; i++) {
        /* a bundle directory with files its manifest does not pin: added and not rebuilt */
        const rg_package *p = &pol->sb->packages[i];
        struct stat st;
        if (p->bundle && stat(p->root, &st) == 0 && S_ISDIR(st.st_mode))
            rg_bundle_unlisted(p->bundle, p->root, p->display, problems);
    }
    for (size_t i = 0; i < pol->count; i++) {
        const rg_requirement *r = &pol->reqs[i];
        char text[RG_ERROR_FILE_MAX + 256];
        if (!r->hint) {
            snprintf(text, sizeof text, "%s:%d: requirement '%s' has no hint: say how to make it pass", r->file, r->line, r->id);
            cJSON_AddItemToArray(problems, cJSON_CreateString(text));
        }
        if (!r->types || !r->stages) {
            snprintf(text, sizeof text, "%s:%d: requirement '%s' applies to no release %s", r->file, r->line, r->id,
                     !r->types ? "type" : "stage");
            cJSON_AddItemToArray(problems, cJSON_CreateString(text));
        }
    }
    rg_policy_free(pol);
    return cJSON_GetArraySize(problems);
}

static rg_policy *load_policy(const char *path, const rg_limits *limits, int64_t now,
                              const rg_plugins *plugins, cJSON *lint, rg_error *err)
{
    rg_limits defaults = rg_limits_default();
    struct stat st;
    char dir[PATH_MAX];
    rg_policy *pol;
    int is_dir, bundle;

    if (stat(path, &st) != 0) {
        rg_fail(err, RG_ERROR_IO, path, 0, 0, "cannot open policy %s: %s", path, strerror(errno));
        return NULL;
    }
    /* a bundle (a directory with a bundle.json, or a .tar) lives in its parent, with the
     * lock file that may pin it */
    bundle = rg_bundle_at(path);
    is_dir = S_ISDIR(st.st_mode) && !bundle;
    if (is_dir) {
        rg_strlcpy(dir, path, sizeof dir);
    } else {
        char trimmed[PATH_MAX];
        size_t n;
        rg_strlcpy(trimmed, path, sizeof trimmed);
        for (n = strlen(trimmed); n > 1 && trimmed[n - 1] == '/'; n--)
            trimmed[n - 1] = '\0';
        rg_path_dir(trimmed, dir, sizeof dir);
    }
    pol = calloc(1, sizeof *pol);
    if (!pol || !(pol->file = strdup(path))) {
        free(pol);
        rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory");
        return NULL;
    }
    pol->plugins = plugins;
    pol->lint = lint;
    pol->sb = rg_sandbox_new(limits ? limits : &defaults, now, dir, dir, err);
    if (!pol->sb)
        goto fail;
    pol->sb->keep_chunks = lint != NULL;
    rg_policylib_open(pol->sb);
    lua_pushlightuserdata(pol->sb->L, pol);
    lua_setfield(pol->sb->L, LUA_REGISTRYINDEX, KEY_POLICY);
    lua_pushcfunction(pol->sb->L, decl_policy);
    rg_sandbox_set_builtin(pol->sb, "policy");
    lua_pushcfunction(pol->sb->L, decl_requirement);
    rg_sandbox_set_builtin(pol->sb, "requirement");
    lua_pushcfunction(pol->sb->L, decl_extends);
    rg_sandbox_set_builtin(pol->sb, "extends");
    lua_pushcfunction(pol->sb->L, decl_override);
    rg_sandbox_set_builtin(pol->sb, "override");
    lua_pushcfunction(pol->sb->L, decl_disable);
    rg_sandbox_set_builtin(pol->sb, "disable");
    if (!(pol->bases = cJSON_CreateArray())) {
        rg_fail(err, RG_ERROR_INTERNAL, path, 0, 0, "out of memory");
        goto fail;
    }

    if (is_dir) {
        char **names = NULL, full[PATH_MAX];
        int n = list_policy_files(path, &names, err), rc = 0;
        if (n == 0 && err->kind == RG_ERROR_NONE)
            rg_fail(err, RG_ERROR_POLICY, path, 0, 0, "policy directory %s holds no *.lua policy files", path);
        for (int i = 0; i < n; i++) {
            if (rc == 0) {
                snprintf(full, sizeof full, "%s%s%s", path, path[strlen(path) - 1] == '/' ? "" : "/", names[i]);
                rc = check_member_inside(pol, full, err);
                if (rc == 0)
                    rc = load_file(pol, full, err);
            }
            free(names[i]);
        }
        free(names);
        if (n <= 0 || rc != 0)
            goto fail;
    } else if (bundle) {
        lua_pushcfunction(pol->sb->L, load_bundle_policy);
        lua_pushstring(pol->sb->L, path);
        if (rg_sandbox_call(pol->sb, 1, 0, err) != 0) {
            if (err->file[0] == '\0')
                rg_strlcpy(err->file, path, sizeof err->file);
            goto fail;
        }
    } else if (load_file(pol, path, err) != 0) {
        goto fail;
    }
    lua_pushcfunction(pol->sb->L, freeze_policy);
    if (rg_sandbox_call(pol->sb, 0, 0, err) != 0)
        goto fail;
    rg_sandbox_freeze(pol->sb);
    if (pol->count == 0 && !(lint && cJSON_GetArraySize(lint) > 0)) {
        rg_fail(err, RG_ERROR_POLICY, path, 0, 0, "%s declares no requirements: a gate with nothing to check would allow everything", path);
        goto fail;
    }
    pol->lint = NULL; /* the caller owns the list; loading is over */
    if (!pol->name && !(pol->name = default_name(path))) {
        rg_fail(err, RG_ERROR_INTERNAL, path, 0, 0, "out of memory");
        goto fail;
    }
    {
        unsigned char digest[RG_SHA256_LEN];
        rg_sha256_final(pol->sb->digest, digest);
        pol->sb->digest = NULL;
        rg_sha256_label(digest, pol->digest, sizeof pol->digest);
    }
    return pol;
fail:
    rg_policy_free(pol);
    return NULL;
}

void rg_policy_reuse_check_results(rg_policy *pol, int on)
{
    if (on && !pol->cache)
        pol->cache = rg_check_cache_new(pol->sb->limits.max_check_evidence_bytes);
    if (!on) {
        rg_check_cache_free(pol->cache);
        pol->cache = NULL;
    }
}

void rg_policy_set_clock(rg_policy *pol, int64_t now)
{
    pol->sb->now = now;
}

int rg_policy_reads_file(const rg_policy *pol, const char *path)
{
    struct stat st, in;
    char dir[PATH_MAX];
    size_t n = path ? strlen(path) : 0;
    if (!pol || n == 0)
        return 0;
    if (rg_sandbox_loaded_from(pol->sb, path))
        return 1;
    if (n <= 4 || strcmp(path + n - 4, ".lua") != 0 || stat(pol->file, &st) != 0 || !S_ISDIR(st.st_mode) ||
        rg_bundle_at(pol->file))
        return 0;
    rg_path_dir(path, dir, sizeof dir);
    return stat(dir, &in) == 0 && in.st_dev == st.st_dev && in.st_ino == st.st_ino;
}

const char *rg_policy_digest(const rg_policy *pol)
{
    return pol->digest;
}

int rg_policy_lint(const char *path, const rg_limits *limits, const rg_plugins *plugins, char **problems,
                   rg_error *err)
{
    cJSON *list = cJSON_CreateArray(), *p;
    rg_strbuf out = {0};
    int n;
    *problems = NULL;
    if (!list)
        return rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory");
    n = rg_policy_lint_json(path, limits, plugins, list, err);
    rg_strbuf_add(&out, "", 0);   /* "" rather than NULL when clean */
    cJSON_ArrayForEach(p, list) {
        rg_strbuf_puts(&out, cJSON_GetStringValue(p));
        rg_strbuf_add(&out, "\n", 1);
    }
    cJSON_Delete(list);
    if (n >= 0 && !(*problems = rg_strbuf_finish(&out)))
        return rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory");
    free(rg_strbuf_finish(&out));
    return n;
}
