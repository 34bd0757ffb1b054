/* The policy library: result constructors and helpers for policy authors
 * (list search, SemVer, RFC 3339 time, evidence files, Markdown, approvals). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <lauxlib.h>

#include "beneath.h"
#include "context.h"
#include "digest.h"
#include "error.h"
#include "json.h"
#include "luaconv.h"
#include "evidence.h"
#include "fileio.h"
#include "identity.h"
#include "policylib.h"
#include "markdown.h"
#include "plugin_host.h"
#include "rfc3339.h"
#include "sandbox.h"
#include "semver.h"
#include "suggest.h"
#include "timezone.h"
#include "textpos.h"

/* ---- Results ------------------------------------------------------------- */

static int make_result(lua_State *L, const char *status)
{
    const char *msg = luaL_checkstring(L, 1);
    if (!lua_isnoneornil(L, 2))
        luaL_checktype(L, 2, LUA_TTABLE);
    lua_settop(L, 2); /* the result goes at 3, whatever was passed */
    lua_createtable(L, 0, 3);
    lua_pushstring(L, status);
    lua_setfield(L, -2, "status");
    lua_pushstring(L, msg);
    lua_setfield(L, -2, "message");
    if (!lua_isnoneornil(L, 2)) {
        lua_pushvalue(L, 2);
        lua_setfield(L, -2, "details");
    }
    luaL_setmetatable(L, RG_RESULT_META);
    return 1;
}

static int result_pass(lua_State *L) { return make_result(L, "pass"); }
static int result_fail(lua_State *L) { return make_result(L, "fail"); }
static int result_warn(lua_State *L) { return make_result(L, "warn"); }
static int result_skip(lua_State *L) { return make_result(L, "skip"); }

/* ---- by_type ------------------------------------------------------------- */

#define BY_TYPE_META "rg.by_type"

/* by_type { patch = a, minor = b, major = c }: a plugin parameter that differs by
 * release type, resolved when the requirement is declared. */
static int lib_by_type(lua_State *L)
{
    int n = 0;
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_createtable(L, 0, 3);
    lua_pushnil(L);
    while (lua_next(L, 1)) {
        const char *key = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "";
        if (strcmp(key, "patch") != 0 && strcmp(key, "minor") != 0 && strcmp(key, "major") != 0)
            return luaL_error(L, "by_type: unknown release type '%s' (patch, minor, major)",
                              lua_type(L, -2) == LUA_TSTRING ? key : luaL_typename(L, -2));
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, 2);
        n++;
    }
    if (n == 0)
        return luaL_error(L, "by_type: give a value for at least one release type");
    luaL_setmetatable(L, BY_TYPE_META);
    return 1;
}

int rg_is_by_type(lua_State *L, int idx)
{
    int same;
    if (lua_type(L, idx) != LUA_TTABLE || !lua_getmetatable(L, idx))
        return 0;
    luaL_getmetatable(L, BY_TYPE_META);
    same = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
    return same;
}

/* ---- Lists --------------------------------------------------------------- */

/* Call PRED (at index 2) on every element of the list at index 1; for each match
 * call ON_MATCH, which returns non-zero to stop.  Elements are read with lua_geti so
 * read-only views work. */
static int list_search(lua_State *L, int find_first)
{
    lua_Integer n = 0;
    lua_settop(L, 2); /* the result goes at 3, whatever else was passed */
    if (lua_isnoneornil(L, 1)) {
        if (find_first) lua_pushnil(L);
        else lua_newtable(L);
        return 1;
    }
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    if (!find_first)
        lua_newtable(L); /* at index 3 */
    for (lua_Integer i = 1;; i++) {
        if (lua_geti(L, 1, i) == LUA_TNIL) {
            lua_pop(L, 1);
            break;
        }
        lua_pushvalue(L, 2);
        lua_pushvalue(L, -2);
        lua_call(L, 1, 1);
        if (lua_toboolean(L, -1)) {
            lua_pop(L, 1);
            if (find_first) return 1;
            lua_rawseti(L, 3, ++n);
        } else {
            lua_pop(L, 2);
        }
    }
    if (find_first)
        lua_pushnil(L);
    return 1;
}

static int lib_find(lua_State *L) { return list_search(L, 1); }
static int lib_filter(lua_State *L) { return list_search(L, 0); }

/* ---- semver -------------------------------------------------------------- */

static int semver_check(lua_State *L, int idx, rg_semver *v)
{
    const char *why = NULL;
    const char *s = rg_lua_checkname(L, idx);
    if (rg_semver_parse(s, v, &why) != 0) {
        lua_pushnil(L);
        lua_pushfstring(L, "'%s' is not a SemVer version: %s", s, why);
        return 0;
    }
    return 1;
}

static int semver_parse(lua_State *L)
{
    rg_semver v;
    if (!semver_check(L, 1, &v))
        return 2;
    lua_createtable(L, 0, 5);
    lua_pushinteger(L, (lua_Integer)v.major);
    lua_setfield(L, -2, "major");
    lua_pushinteger(L, (lua_Integer)v.minor);
    lua_setfield(L, -2, "minor");
    lua_pushinteger(L, (lua_Integer)v.patch);
    lua_setfield(L, -2, "patch");
    if (v.prerelease_len) {
        lua_pushlstring(L, v.prerelease, v.prerelease_len);
        lua_setfield(L, -2, "prerelease");
    }
    if (v.build_len) {
        lua_pushlstring(L, v.build, v.build_len);
        lua_setfield(L, -2, "build");
    }
    return 1;
}

static int semver_valid(lua_State *L)
{
    rg_semver v;
    lua_pushboolean(L, lua_type(L, 1) == LUA_TSTRING &&
                           rg_semver_parse(lua_tostring(L, 1), &v, NULL) == 0);
    return 1;
}

static int semver_compare(lua_State *L)
{
    rg_semver a, b;
    int c;
    if (!semver_check(L, 1, &a) || !semver_check(L, 2, &b))
        return lua_error(L); /* the reason is on top */
    c = rg_semver_compare(&a, &b);
    lua_pushinteger(L, c < 0 ? -1 : c > 0);
    return 1;
}

static int semver_bump(lua_State *L)
{
    rg_semver a, b;
    if (!semver_check(L, 1, &a) || !semver_check(L, 2, &b))
        return 2;
    lua_pushstring(L, rg_bump_name(rg_semver_bump(&a, &b)));
    return 1;
}

/* semver.satisfies(v, range): true or false, or nil and why (not a version, not a range). */
static int semver_satisfies(lua_State *L)
{
    rg_semver v;
    const char *why = NULL;
    int r;
    if (!semver_check(L, 1, &v))
        return 2;
    r = rg_semver_satisfies(&v, rg_lua_checkname(L, 2), &why);
    if (r < 0) {
        lua_pushnil(L);
        lua_pushfstring(L, "'%s' is not a version range: %s", lua_tostring(L, 2), why);
        return 2;
    }
    lua_pushboolean(L, r);
    return 1;
}

/* ---- time ---------------------------------------------------------------- */

static int time_now(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)rg_sandbox_of(L)->now);
    return 1;
}

static int time_parse(lua_State *L)
{
    const char *why = NULL;
    int64_t t;
    if (lua_type(L, 1) != LUA_TSTRING) {
        lua_pushnil(L);
        lua_pushfstring(L, "expected an RFC 3339 time string, got %s", luaL_typename(L, 1));
        return 2;
    }
    if (rg_rfc3339_parse(lua_tostring(L, 1), &t, &why) != 0) {
        lua_pushnil(L);
        lua_pushfstring(L, "'%s' is not an RFC 3339 time: %s", lua_tostring(L, 1), why);
        return 2;
    }
    lua_pushinteger(L, (lua_Integer)t);
    return 1;
}

static int time_format(lua_State *L)
{
    char buf[RG_RFC3339_BUFSIZE];
    lua_Integer t = luaL_checkinteger(L, 1);
    if (rg_rfc3339_format((int64_t)t, buf, sizeof buf) != 0)
        return luaL_error(L, "time %I is outside years 0000-9999", t);
    lua_pushstring(L, buf);
    return 1;
}

static const char *const DAY_NAMES[7] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

/* time.localtime(t, zone): the fields of T in ZONE, from the system's zone database, or
 * nil and why.  wday is ISO (1 Monday .. 7 Sunday), day its name ("mon"). */
static int time_localtime(lua_State *L)
{
    lua_Integer t = luaL_checkinteger(L, 1);
    const char *zone = rg_lua_checkname(L, 2), *why = NULL;
    rg_local_time lt;
    if (rg_local_time_in((int64_t)t, zone, &lt, &why) != 0) {
        lua_pushnil(L);
        lua_pushfstring(L, "time zone '%s': %s", zone, why);
        return 2;
    }
    lua_createtable(L, 0, 12);
    lua_pushinteger(L, lt.tm.tm_year + 1900); lua_setfield(L, -2, "year");
    lua_pushinteger(L, lt.tm.tm_mon + 1); lua_setfield(L, -2, "month");
    lua_pushinteger(L, lt.tm.tm_mday); lua_setfield(L, -2, "day");
    lua_pushinteger(L, lt.tm.tm_hour); lua_setfield(L, -2, "hour");
    lua_pushinteger(L, lt.tm.tm_min); lua_setfield(L, -2, "min");
    lua_pushinteger(L, lt.tm.tm_sec); lua_setfield(L, -2, "sec");
    lua_pushinteger(L, lt.tm.tm_wday == 0 ? 7 : lt.tm.tm_wday); lua_setfield(L, -2, "wday");
    lua_pushstring(L, DAY_NAMES[lt.tm.tm_wday]); lua_setfield(L, -2, "weekday");
    lua_pushinteger(L, lt.tm.tm_yday + 1); lua_setfield(L, -2, "yday");
    lua_pushboolean(L, lt.tm.tm_isdst > 0); lua_setfield(L, -2, "isdst");
    lua_pushinteger(L, lt.offset); lua_setfield(L, -2, "offset");
    lua_pushstring(L, lt.abbr); lua_setfield(L, -2, "zone");
    return 1;
}

/* "HH:MM" as minutes of the day (24:00 allowed as the end of one), or -1. */
static int minutes_of(const char *s, int allow_24)
{
    int h, m;
    char extra;
    if (!s || sscanf(s, "%2d:%2d%c", &h, &m, &extra) != 2 || strlen(s) != 5 || m < 0 || m > 59 || h < 0 ||
        h > 24 || (h == 24 && (m != 0 || !allow_24)))
        return -1;
    return h * 60 + m;
}

/* time.in_window(t, zone, { days = { "mon", ... }, from = "09:00", to = "17:00" }):
 * whether T falls, in ZONE's local time, on one of DAYS between FROM (included) and TO
 * (excluded); or nil and why.  The days default to every day. */
static int time_in_window(lua_State *L)
{
    lua_Integer t = luaL_checkinteger(L, 1);
    const char *zone = rg_lua_checkname(L, 2), *why = NULL;
    rg_local_time lt;
    int from, to, now, day_ok = 1;
    luaL_checktype(L, 3, LUA_TTABLE);
    lua_getfield(L, 3, "from");
    lua_getfield(L, 3, "to");
    from = minutes_of(rg_lua_name(L, -2), 0);   /* "09:00\0x" is no time (round 41b, F04) */
    to = minutes_of(rg_lua_name(L, -1), 1);
    lua_pop(L, 2);
    if (from < 0 || to < 0 || to <= from) {
        lua_pushnil(L);
        lua_pushstring(L, "window: from and to are \"HH:MM\" local times, to after from (a window over "
                          "midnight is two windows)");
        return 2;
    }
    if (rg_local_time_in((int64_t)t, zone, &lt, &why) != 0) {
        lua_pushnil(L);
        lua_pushfstring(L, "time zone '%s': %s", zone, why);
        return 2;
    }
    if (lua_getfield(L, 3, "days") != LUA_TNIL) {
        lua_Integer n = lua_istable(L, -1) ? (lua_Integer)luaL_len(L, -1) : 0;
        day_ok = 0;
        if (n == 0) {
            lua_pushnil(L);
            lua_pushstring(L, "window: days must be a non-empty list like { \"mon\", \"tue\" }");
            return 2;
        }
        for (lua_Integer i = 1; i <= n; i++) {
            int known = 0;
            lua_geti(L, -1, i);
            for (int d = 0; d < 7; d++)
                if (lua_type(L, -1) == LUA_TSTRING && strcmp(lua_tostring(L, -1), DAY_NAMES[d]) == 0) {
                    known = 1;
                    day_ok |= d == lt.tm.tm_wday;
                }
            lua_pop(L, 1);
            if (!known) {
                lua_pushnil(L);
                lua_pushstring(L, "window: days are \"mon\", \"tue\", \"wed\", \"thu\", \"fri\", \"sat\", \"sun\"");
                return 2;
            }
        }
    }
    now = lt.tm.tm_hour * 60 + lt.tm.tm_min;
    lua_pushboolean(L, day_ok && now >= from && now < to);
    return 1;
}

/* ---- evidence -------------------------------------------------------------- */

#define HEAP_BOX_META "rg.heapbox"
#define JSON_BOX_META "rg.jsonbox"

static int heap_box_gc(lua_State *L)
{
    char **box = luaL_checkudata(L, 1, HEAP_BOX_META);
    free(*box);
    *box = NULL;
    return 0;
}

static const rg_context *evidence_context(lua_State *L)
{
    rg_sandbox *sb = rg_sandbox_of(L);
    if (!sb->ctx)
        luaL_error(L, "evidence can only be read inside a check, not while the policy loads");
    return sb->ctx;
}

/* A path-rule violation is never the policy's to judge: stop the gate. */
static int evidence_violation(lua_State *L, const char *why)
{
    rg_sandbox *sb = rg_sandbox_of(L);
    sb->error_kind = RG_ERROR_EVIDENCE;
    rg_strlcpy(sb->violation, why, sizeof sb->violation);
    return luaL_error(L, "%s", why);
}

/* NAME resolved into PATH as the context alone would resolve it, and whether it is a
 * regular file there now (*REGULAR), opened beneath the root following no link.  A run
 * that remembers paths (a batch, a server) resolves it afresh when that open fails: a
 * link may have appeared on a path remembered as having none.  Raises on a path-rule
 * violation; otherwise the status, WHY saying why it is not OK. */
static rg_evidence_status evidence_where(lua_State *L, const rg_context *ctx, const char *name, char *path,
                                         size_t size, char *why, size_t why_size, int *regular)
{
    struct stat fst;
    rg_evidence_status st = rg_evidence_resolve(ctx, name, path, size, why, why_size);
    int fd = -1;
    *regular = 0;
    if (st == RG_EVIDENCE_OK)
        fd = rg_evidence_open(ctx, name, path, size, &fst, &st, why, why_size);
    if (st == RG_EVIDENCE_ESCAPES)
        evidence_violation(L, why);
    if (fd >= 0) {
        *regular = 1;
        close(fd);
    }
    return st;
}

/* Evidence that did not resolve (ST, not OK), as a builtin answers it: a path-rule
 * violation stops the gate, anything else is nil, WHY. */
static int evidence_refused(lua_State *L, rg_evidence_status st, const char *why)
{
    if (st == RG_EVIDENCE_ESCAPES)
        return evidence_violation(L, why);
    lua_pushnil(L);
    lua_pushstring(L, why);
    return 2;
}

static int evidence_path(lua_State *L)
{
    const rg_context *ctx = evidence_context(L);
    const char *name = rg_lua_checkname(L, 1);
    char path[PATH_MAX], why[PATH_MAX + 256];
    int regular;
    if (evidence_where(L, ctx, name, path, sizeof path, why, sizeof why, &regular) != RG_EVIDENCE_OK) {
        lua_pushnil(L);
        lua_pushstring(L, why);
        return 2;
    }
    lua_pushstring(L, path);
    return 1;
}

static int evidence_exists(lua_State *L)
{
    const rg_context *ctx = evidence_context(L);
    const char *name = rg_lua_checkname(L, 1);
    char path[PATH_MAX], why[PATH_MAX + 256];
    int regular;
    lua_pushboolean(L, evidence_where(L, ctx, name, path, sizeof path, why, sizeof why, &regular) == RG_EVIDENCE_OK &&
                           regular);
    return 1;
}

/* Evidence texts read in this run, by resolved path, with what identifies the file's
 * content: checks in one decision, and decisions of one batch, read a file once. */
static const char KEY_EVIDENCE_CACHE[] = "rg.evidence.cache";
#define EVIDENCE_CACHE_MAX 32   /* files kept read; past that the cache starts afresh */

/* The text of PATH from the run's cache.  With ST, when the file still has the identity
 * it had when read (device, inode, size, modification and change times: a write in
 * place that keeps the size and sets the modification time back still moves the change
 * time) and had settled then (rg_file_settled, the check cache's rule); with ADDRESSED,
 * when the text kept is of that digest (the one a content-addressed PATH names:
 * rg_evidence_addressed_label); with neither, only when this evaluation already found
 * it so (a file is read once per decision at most, however many checks read it). */
static int cached_evidence(lua_State *L, const char *path, const struct stat *st, const char *addressed,
                           lua_Integer max, const rg_context *ctx, const char *name)
{
    rg_sandbox *sb = rg_sandbox_of(L);
    int hit;
    if (lua_getfield(L, LUA_REGISTRYINDEX, KEY_EVIDENCE_CACHE) != LUA_TTABLE) {
        lua_pop(L, 1);
        return 0;
    }
    if (lua_getfield(L, -1, path) != LUA_TTABLE) {
        lua_pop(L, 2);
        return 0;
    }
    lua_getfield(L, -1, "eval");
    lua_getfield(L, -2, "max");
    hit = lua_tointeger(L, -1) == max && (lua_Unsigned)lua_tointeger(L, -2) == (lua_Unsigned)sb->evaluation;
    lua_pop(L, 2);
    if (!hit && st) {
        char identity[RG_FILE_IDENTITY_SIZE];
        rg_file_identity(st, identity, sizeof identity);
        lua_getfield(L, -1, "identity");
        lua_getfield(L, -2, "settled");
        lua_getfield(L, -3, "max");
        hit = lua_toboolean(L, -2) && lua_isstring(L, -3) && strcmp(lua_tostring(L, -3), identity) == 0 &&
              lua_tointeger(L, -1) == max;
        lua_pop(L, 3);
    } else if (!hit && addressed) {
        lua_getfield(L, -1, "label");
        lua_getfield(L, -2, "max");
        hit = lua_isstring(L, -2) && strcmp(lua_tostring(L, -2), addressed) == 0 && lua_tointeger(L, -1) == max;
        lua_pop(L, 2);
    }
    if (hit) {
        lua_pushinteger(L, (lua_Integer)sb->evaluation);
        lua_setfield(L, -2, "eval");
    }
    if (!hit) {
        lua_pop(L, 2);
        return 0;
    }
    lua_getfield(L, -1, "label");
    rg_evidence_note_digest(sb->evidence_log, ctx, name, lua_tostring(L, -1));
    lua_pop(L, 1);
    lua_getfield(L, -1, "text");
    lua_replace(L, -3);
    lua_pop(L, 1);
    return 1;
}

static void cache_evidence(lua_State *L, const char *path, const struct stat *st, time_t read_started,
                           lua_Integer max, const char *label)
{
    char identity[RG_FILE_IDENTITY_SIZE];
    /* The text is on top of the stack and stays there.  The cache lives on the policy's
     * Lua heap, under its memory limit: like json.decode's, it counts its entries at [0]
     * and starts afresh past EVIDENCE_CACHE_MAX, so a batch reading many distinct files
     * does not run the policy out of memory. */
    lua_Integer count = 0;
    if (lua_getfield(L, LUA_REGISTRYINDEX, KEY_EVIDENCE_CACHE) == LUA_TTABLE) {
        lua_rawgeti(L, -1, 0);
        count = lua_tointeger(L, -1);
        lua_pop(L, 1);
    }
    if (lua_isnil(L, -1) || count >= EVIDENCE_CACHE_MAX) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setfield(L, LUA_REGISTRYINDEX, KEY_EVIDENCE_CACHE);
        count = 0;
    }
    lua_pushinteger(L, count + 1);
    lua_rawseti(L, -2, 0);
    lua_createtable(L, 0, 6);
    lua_pushvalue(L, -3);
    lua_setfield(L, -2, "text");
    rg_file_identity(st, identity, sizeof identity);
    lua_pushstring(L, identity);
    lua_setfield(L, -2, "identity");
    lua_pushboolean(L, rg_file_settled(st, read_started));
    lua_setfield(L, -2, "settled");
    lua_pushinteger(L, max);
    lua_setfield(L, -2, "max");
    lua_pushstring(L, label);
    lua_setfield(L, -2, "label");
    lua_pushinteger(L, (lua_Integer)rg_sandbox_of(L)->evaluation);
    lua_setfield(L, -2, "eval");
    lua_setfield(L, -2, path);
    lua_pop(L, 1);
}

static int evidence_read(lua_State *L)
{
    const rg_context *ctx = evidence_context(L);
    rg_sandbox *sb = rg_sandbox_of(L);
    const char *name = rg_lua_checkname(L, 1);
    lua_Integer max = luaL_optinteger(L, 2, (lua_Integer)sb->limits.max_evidence_bytes);
    char why[PATH_MAX + 512], path[PATH_MAX], label[RG_SHA256_LABEL_SIZE];
    unsigned char digest[RG_SHA256_LEN];
    char **box;
    size_t len = 0;
    rg_evidence_status st;
    struct stat fst;
    time_t read_started;
    rg_error err;
    int known, addressed, fd;

    rg_error_init(&err);
    if (max <= 0 || (size_t)max > sb->limits.max_evidence_bytes)
        max = (lua_Integer)sb->limits.max_evidence_bytes;
    st = rg_evidence_resolve(ctx, name, path, sizeof path, why, sizeof why);
    if (st != RG_EVIDENCE_OK)
        return evidence_refused(L, st, why);
    addressed = rg_evidence_addressed_label(ctx, path, label);
    if (cached_evidence(L, path, NULL, addressed ? label : NULL, max, ctx, name))
        return 1;
    /* A content-addressed file's text is reused only when it has the digest its
     * directory names, never on the file's identity: a change in place that keeps the
     * modification time would not show in it. */
    read_started = time(NULL);
    known = stat(path, &fst) == 0 && S_ISREG(fst.st_mode);
    if (known && !addressed && cached_evidence(L, path, &fst, NULL, max, ctx, name))
        return 1;
    /* The text travels through a boxed pointer whose finalizer frees it, so a memory
     * error while copying it into Lua cannot leak it.  The path is resolved already:
     * read it, do not resolve it again. */
    box = lua_newuserdatauv(L, sizeof *box, 0);
    *box = NULL;
    luaL_setmetatable(L, HEAP_BOX_META);
    fd = rg_evidence_open(ctx, name, path, sizeof path, &fst, &st, why, sizeof why);
    if (st != RG_EVIDENCE_OK)
        return evidence_refused(L, st, why);
    if (rg_read_opened(fd, &fst, path, "evidence", (size_t)max, box, &len,
                       fd == RG_OPEN_FAILED ? rg_open_failure(errno) : NULL, &err) != 0) {
        lua_pushnil(L);
        lua_pushfstring(L, "evidence '%s': %s", name, err.message);
        rg_error_clear(&err);
        return 2;
    }
    {
        const char *bad = NULL;
        size_t at = rg_utf8_check(*box, len, &bad);
        if (at < len) {
            free(*box);
            *box = NULL;
            lua_pushnil(L);
            lua_pushfstring(L, "evidence '%s' is not UTF-8 text (%s at byte %d)", name, bad, (int)at);
            return 2;
        }
    }
    rg_sha256_of(*box, len, digest);
    rg_sha256_label(digest, label, sizeof label);
    rg_evidence_note_digest(sb->evidence_log, ctx, name, label);
    lua_pushlstring(L, *box, len);
    free(*box);
    *box = NULL;
    if (known)
        cache_evidence(L, path, &fst, read_started, max, label);
    return 1;
}

/* evidence "ci": names evidence for a plugin check's parameters (a plain string,
 * checked to be a well-formed name). */
static int evidence_call(lua_State *L)
{
    const char *name = rg_lua_checkname(L, 2);
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '-' || *p == '.'))
            return luaL_error(L, "evidence name '%s' may hold only letters, digits, '_', '-' and '.'", name);
    if (!*name)
        return luaL_error(L, "evidence name is empty");
    lua_pushvalue(L, 2);
    return 1;
}

static int evidence_newindex(lua_State *L)
{
    return luaL_error(L, "attempt to modify read-only table 'evidence'");
}

/* ---- json ----------------------------------------------------------------- */

/* json.decode(text [, name]): the value as tables (null reads as nil), or nil, reason.
 * As strict as the context's own parser: one well-formed UTF-8 document. */
static const char KEY_JSON_CACHE[] = "rg.json.cache";
#define JSON_CACHE_MAX 64  /* documents kept decoded; past that the cache starts afresh */

/* json.type(v): what V is as JSON: "object" and "array" for the context's and
 * json.decode's tables (so {} and [] differ), "string", "number", "boolean", "null" for
 * nil, and "table" for a table of the policy's own. */
static int json_type(lua_State *L)
{
    switch (lua_type(L, 1)) {
    case LUA_TNONE:
    case LUA_TNIL: lua_pushliteral(L, "null"); break;
    case LUA_TTABLE:
        switch (rg_readonly_kind(L, 1)) {
        case RG_VIEW_OBJECT: lua_pushliteral(L, "object"); break;
        case RG_VIEW_ARRAY: lua_pushliteral(L, "array"); break;
        default: lua_pushliteral(L, "table"); break;
        }
        break;
    default: lua_pushstring(L, luaL_typename(L, 1)); break;
    }
    return 1;
}

/* json.key_distance(a, b): how far apart A and B are as member names, the engine's own
 * rule for a misspelt field (rg_name_distance: edits, ASCII case and '-' against '_' not
 * counted), so lib/fields.lua judges "data-migrations" as the engine judges "stgae".  nil
 * when either is not a string, holds a NUL, or is longer than the rule compares. */
static int json_key_distance(lua_State *L)
{
    size_t n = 0, m = 0, d;
    const char *a = lua_type(L, 1) == LUA_TSTRING ? lua_tolstring(L, 1, &n) : NULL;
    const char *b = lua_type(L, 2) == LUA_TSTRING ? lua_tolstring(L, 2, &m) : NULL;
    if (!a || !b || strlen(a) != n || strlen(b) != m || (d = rg_name_distance(a, b)) == SIZE_MAX)
        lua_pushnil(L);
    else
        lua_pushinteger(L, (lua_Integer)d);
    return 1;
}

/* The decoded tree while its tables are built: charged to the policy's memory limit, and
 * freed (the charge refunded) by the box's finalizer if building them raises. */
typedef struct json_box {
    cJSON *doc;
    size_t charge;
} json_box;

static void json_box_release(lua_State *L, json_box *box)
{
    cJSON_Delete(box->doc);
    box->doc = NULL;
    rg_sandbox_refund(rg_sandbox_of(L), box->charge);
    box->charge = 0;
}

static int json_decode(lua_State *L)
{
    rg_sandbox *sb = rg_sandbox_of(L);
    size_t len, heap = 0;
    const char *text = luaL_checklstring(L, 1, &len);
    const char *name = luaL_optstring(L, 2, "json text");
    rg_error err;
    cJSON *doc;
    json_box *box;
    rg_error_init(&err);
    /* The same text decodes to the same read-only tables: every check of every
     * decision in a batch that decodes one report shares one decoding. */
    lua_settop(L, 1);
    if (lua_getfield(L, LUA_REGISTRYINDEX, KEY_JSON_CACHE) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setfield(L, LUA_REGISTRYINDEX, KEY_JSON_CACHE);
    }
    lua_pushvalue(L, 1);
    if (lua_rawget(L, 2) != LUA_TNIL)
        return 1;
    lua_pop(L, 1);
    /* The box first, so that no memory error can leak the tree.  cJSON's tree lives on
     * the C heap: it may take only what the policy has left under --max-memory (24 MB
     * of text could otherwise build 800 MB outside the limit), and is charged to it. */
    box = lua_newuserdatauv(L, sizeof *box, 0);
    box->doc = NULL;
    box->charge = 0;
    luaL_setmetatable(L, JSON_BOX_META);
    doc = rg_json_parse_within(text, len, name, sb->limits.max_json_depth, rg_sandbox_memory_left(sb), &heap,
                               RG_ERROR_POLICY, &err);
    if (!doc) {
        if (err.kind == RG_ERROR_LIMIT) {
            rg_error_clear(&err);
            sb->limit_hit = RG_LIMIT_MEMORY;
            return luaL_error(L, "json.decode: the decoded document does not fit in the policy's memory limit");
        }
        lua_pushnil(L);
        lua_pushstring(L, err.message);
        rg_error_clear(&err);
        return 2;
    }
    box->doc = doc;
    if (rg_sandbox_charge(sb, heap) != 0)
        return luaL_error(L, "json.decode: the decoded document does not fit in the policy's memory limit");
    box->charge = heap;
    rg_push_json_sealed(L, doc, 0);
    json_box_release(L, box);
    lua_remove(L, -2);   /* the box */
    {
        /* The cache counts its entries at [0]. */
        lua_Integer count;
        lua_rawgeti(L, 2, 0);
        count = lua_tointeger(L, -1) + 1;
        lua_pop(L, 1);
        if (count > JSON_CACHE_MAX) {
            lua_newtable(L);
            lua_setfield(L, LUA_REGISTRYINDEX, KEY_JSON_CACHE);
        } else {
            lua_pushinteger(L, count);
            lua_rawseti(L, 2, 0);
            lua_pushvalue(L, 1);
            lua_pushvalue(L, -2);
            lua_rawset(L, 2);
        }
    }
    return 1;
}

static int json_box_gc(lua_State *L)
{
    json_box_release(L, luaL_checkudata(L, 1, JSON_BOX_META));
    return 0;
}

/* ---- markdown ------------------------------------------------------------- */

static void push_section(lua_State *L, const rg_md_section *s)
{
    lua_createtable(L, 0, 5);
    lua_pushlstring(L, s->title, s->title_len);
    lua_setfield(L, -2, "title");
    lua_pushinteger(L, s->level);
    lua_setfield(L, -2, "level");
    lua_pushinteger(L, s->line);
    lua_setfield(L, -2, "line");
    /* body: the section with its subsections (a Keep-a-Changelog "## [1.2.0]" holds
     * its "### Added"); own: up to the next heading of any level. */
    lua_pushlstring(L, s->body, s->tree_len);
    lua_setfield(L, -2, "body");
    lua_pushlstring(L, s->body, s->body_len);
    lua_setfield(L, -2, "own");
}

typedef struct section_walk {
    lua_State *L;
    const char *wanted; /* NULL: collect all */
    lua_Integer n;
} section_walk;

static int on_section(const rg_md_section *s, void *data)
{
    section_walk *w = data;
    if (!w->wanted) {
        push_section(w->L, s);
        lua_rawseti(w->L, -2, ++w->n);
        return 0;
    }
    if (rg_md_title_matches(s->title, s->title_len, w->wanted)) {
        push_section(w->L, s);
        return 1;
    }
    return 0;
}

static int markdown_sections(lua_State *L)
{
    size_t len;
    const char *text = luaL_checklstring(L, 1, &len);
    section_walk w = {L, NULL, 0};
    lua_newtable(L);
    rg_md_each_section(text, len, on_section, &w);
    return 1;
}

static int markdown_section(lua_State *L)
{
    size_t len;
    const char *text = luaL_checklstring(L, 1, &len);
    section_walk w = {L, rg_lua_checkname(L, 2), 0};
    if (!rg_md_each_section(text, len, on_section, &w))
        lua_pushnil(L);
    return 1;
}

/* markdown.visible(text): TEXT without what renders nothing (HTML comments, <? ?>, <!X >,
 * CDATA, <script>, <style>; link reference definitions, "[//]: # (...)"), by the rule
 * markdown.is_blank uses, so that
 * lib/documents.lua reads a version or a rollback target only where a reader sees it. */
static int markdown_visible(lua_State *L)
{
    size_t len, k;
    const char *text = luaL_checklstring(L, 1, &len), *p = text, *e = text + len, *run = text;
    luaL_Buffer b;
    rg_md_walk w;
    rg_md_walk_init(&w, text);
    luaL_buffinit(L, &b);
    while (p < e) {
        if ((k = rg_md_walk_hidden(&w, p, e)) != 0) {
            luaL_addlstring(&b, run, (size_t)(p - run));
            run = p += k;
        } else {
            p++;
        }
    }
    luaL_addlstring(&b, run, (size_t)(e - run));
    luaL_pushresult(&b);
    return 1;
}

static int markdown_is_blank(lua_State *L)
{
    size_t len;
    const char *text;
    if (lua_isnoneornil(L, 1)) {
        lua_pushboolean(L, 1);
        return 1;
    }
    text = luaL_checklstring(L, 1, &len);
    lua_pushboolean(L, rg_md_is_blank(text, len));
    return 1;
}

/* ---- approvals ------------------------------------------------------------- */

/* Push field KEY of the table-like value at IDX if it is a string, else nil. */
static const char *string_field(lua_State *L, int idx, const char *key)
{
    if (lua_type(L, idx) != LUA_TTABLE) {
        lua_pushnil(L);
        return NULL;
    }
    if (lua_getfield(L, idx, key) != LUA_TSTRING)
        return NULL;
    return lua_tostring(L, -1);
}

/* Is USER someone other than AUTHOR (normalised, identity.h)?  Never when either names
 * nobody: an approval counts only when it is known not to be the author's. */
static int someone_else(const char *author_id, const char *user)
{
    char *id = rg_identity_normalize(user);
    int other = author_id && id && strcmp(author_id, id) != 0;
    free(id);
    return other;
}

/* Collect approvals that count (approved, by a named user other than the author),
 * optionally of one ROLE; FIRST_ONLY returns the first match instead of a list.  Without
 * an author (missing, not a string, blank) none counts. */
static int approvals_collect(lua_State *L, const char *role, int first_only)
{
    const char *author_id;
    lua_Integer n = 0;
    int ctx = 1, list, out;
    luaL_checktype(L, ctx, LUA_TTABLE);
    lua_getfield(L, ctx, "release");
    {
        /* Held as a Lua string: a limit error below cannot leak it. */
        char *id = rg_identity_normalize(string_field(L, -1, "author"));
        author_id = id ? lua_pushstring(L, id) : NULL;
        if (!id)
            lua_pushnil(L);
        free(id);
    }
    lua_getfield(L, ctx, "approvals");
    list = lua_gettop(L);
    lua_newtable(L);
    out = lua_gettop(L);
    if (lua_type(L, list) == LUA_TTABLE && author_id) {
        for (lua_Integer i = 1;; i++) {
            const char *user, *state, *r;
            int ok;
            int item_type = lua_geti(L, list, i);
            if (item_type == LUA_TNIL) {
                lua_pop(L, 1);
                break;
            }
            user = string_field(L, -1, "user");
            state = string_field(L, -2, "state");
            r = string_field(L, -3, "role");
            ok = item_type == LUA_TTABLE && user && user[0] && state && strcmp(state, "approved") == 0 &&
                 (!role || (r && strcmp(r, role) == 0)) && someone_else(author_id, user);
            lua_pop(L, 3);
            if (ok) {
                if (first_only)
                    return 1;
                lua_rawseti(L, out, ++n);
            } else {
                lua_pop(L, 1);
            }
        }
    }
    if (first_only)
        lua_pushnil(L);
    else
        lua_pushvalue(L, out);
    return 1;
}

static int approvals_list(lua_State *L) { return approvals_collect(L, NULL, 0); }

static int approvals_by_role(lua_State *L)
{
    return approvals_collect(L, rg_lua_checkname(L, 2), 0);
}

static int approvals_find(lua_State *L)
{
    return approvals_collect(L, rg_lua_checkname(L, 2), 1);
}

/* approvals.identity(name): NAME normalised (identity.h), or nil when it names nobody
 * (not a string, blank, not text). */
static int approvals_identity(lua_State *L)
{
    const char *name = rg_lua_optname(L, 1);
    char *id = name ? rg_identity_normalize(name) : NULL;
    if (id)
        lua_pushstring(L, id);
    else
        lua_pushnil(L);
    free(id);
    return 1;
}

/* approvals.same_person(a, b): true or false; nil when either names nobody, so a policy
 * that needs "someone else" fails closed on nil. */
static int approvals_same_person(lua_State *L)
{
    const char *a = rg_lua_optname(L, 1), *b = rg_lua_optname(L, 2);
    int same = rg_identity_same(a, b);
    if (same < 0)
        lua_pushnil(L);
    else
        lua_pushboolean(L, same);
    return 1;
}

/* ---- Registration ----------------------------------------------------------- */

static void publish_library(rg_sandbox *sb, const char *name, const luaL_Reg *funcs)
{
    lua_State *L = sb->L;
    lua_newtable(L);
    luaL_setfuncs(L, funcs, 0);
    rg_push_readonly(L, -1);
    rg_sandbox_set_builtin(sb, name);
    lua_pop(L, 1);
}

void rg_policylib_open(rg_sandbox *sb)
{
    static const luaL_Reg globals[] = {
        {"pass", result_pass}, {"fail", result_fail}, {"warn", result_warn},
        {"skip", result_skip}, {"find", lib_find}, {"filter", lib_filter},
        {"by_type", lib_by_type}, {NULL, NULL}};
    static const luaL_Reg semver[] = {
        {"parse", semver_parse}, {"valid", semver_valid}, {"compare", semver_compare},
        {"bump", semver_bump}, {"satisfies", semver_satisfies}, {NULL, NULL}};
    static const luaL_Reg time[] = {
        {"now", time_now}, {"parse", time_parse}, {"format", time_format}, {"localtime", time_localtime},
        {"in_window", time_in_window}, {NULL, NULL}};
    static const luaL_Reg evidence[] = {
        {"path", evidence_path}, {"exists", evidence_exists}, {"read", evidence_read},
        {NULL, NULL}};
    static const luaL_Reg markdown[] = {
        {"sections", markdown_sections}, {"section", markdown_section},
        {"is_blank", markdown_is_blank}, {"visible", markdown_visible}, {NULL, NULL}};
    static const luaL_Reg json[] = {
        {"decode", json_decode}, {"type", json_type}, {"key_distance", json_key_distance}, {NULL, NULL}};
    static const luaL_Reg approvals[] = {
        {"list", approvals_list}, {"by_role", approvals_by_role}, {"find", approvals_find},
        {"identity", approvals_identity}, {"same_person", approvals_same_person}, {NULL, NULL}};
    lua_State *L = sb->L;

    luaL_newmetatable(L, JSON_BOX_META);
    lua_pushcfunction(L, json_box_gc);
    lua_setfield(L, -2, "__gc");
    lua_pushliteral(L, "json box");
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 1);
    luaL_newmetatable(L, HEAP_BOX_META);
    lua_pushcfunction(L, heap_box_gc);
    lua_setfield(L, -2, "__gc");
    lua_pushliteral(L, "heap box");
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 1);
    luaL_newmetatable(L, BY_TYPE_META);
    lua_pushliteral(L, "by_type");
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 1);
    luaL_newmetatable(L, RG_RESULT_META);
    lua_pushliteral(L, "result");
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 1);
    for (const luaL_Reg *f = globals; f->name; f++) {
        lua_pushcfunction(L, f->func);
        rg_sandbox_set_builtin(sb, f->name);
    }
    publish_library(sb, "semver", semver);
    publish_library(sb, "time", time);
    /* evidence is both a library and callable: its own locked metatable. */
    lua_newtable(L);
    lua_newtable(L);
    lua_newtable(L);
    luaL_setfuncs(L, evidence, 0);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, evidence_call);
    lua_setfield(L, -2, "__call");
    lua_pushcfunction(L, evidence_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushliteral(L, "read-only");
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
    rg_sandbox_set_builtin(sb, "evidence");
    publish_library(sb, "markdown", markdown);
    publish_library(sb, "approvals", approvals);
    publish_library(sb, "json", json);
}
