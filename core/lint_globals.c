/* Undefined globals, from Lua 5.4's own compiled form (lua_dump with debug information).
 *
 * Lua compiles a global read `x` to GETTABUP R, U, K: upvalue U (named _ENV) indexed by
 * the constant string K; `lib.f` follows it with GETFIELD R', R, K'.  lua_dump writes
 * every function prototype with its code, constants, upvalue names and line information
 * (ldump.c); this file reads that back, which is the documented way to see compiled code
 * without Lua's private headers.  A Lua whose dump this reader does not understand (the
 * probe in rg_lint_globals_selftest fails) makes lint skip the check, never guess. */
#include "lint_globals.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "sandbox.h"
#include "strbuf.h"
#include "suggest.h"

enum { OP_GETTABUP = 11, OP_GETFIELD = 14 };

#define OPCODE(i) ((int)((i) & 0x7f))
#define ARG_A(i) ((int)(((i) >> 7) & 0xff))
#define ARG_B(i) ((int)(((i) >> 16) & 0xff))
#define ARG_C(i) ((int)(((i) >> 24) & 0xff))
#define ABSLINEINFO (-0x80)

typedef struct reader {
    const unsigned char *p, *end;
    int bad;
} reader;

typedef struct str { const char *s; size_t n; } str;

typedef struct finding {
    lua_State *L;
    cJSON *problems;
    cJSON *seen;       /* "file:line: problem" already noted */
    int added;
    int probe;         /* self-test: count reads of "rg_lint_probe_" */
} finding;

static unsigned char byte(reader *r)
{
    if (r->p >= r->end) {
        r->bad = 1;
        return 0;
    }
    return *r->p++;
}

static size_t varint(reader *r)
{
    size_t x = 0;
    unsigned char b;
    int n = 0;
    do {
        b = byte(r);
        if (++n > 9)
            r->bad = 1;
        x = (x << 7) | (b & 0x7f);
    } while (!(b & 0x80) && !r->bad);
    return x;
}

static void skip(reader *r, size_t n)
{
    if ((size_t)(r->end - r->p) < n) {
        r->bad = 1;
        r->p = r->end;
    } else {
        r->p += n;
    }
}

static str string(reader *r)
{
    str s = {NULL, 0};
    size_t n = varint(r);
    if (n == 0 || r->bad)
        return s;
    s.s = (const char *)r->p;
    s.n = n - 1;
    skip(r, n - 1);
    return s;
}

typedef struct proto {
    const unsigned char *code;
    size_t ncode;
    str *k;               /* string constants (s NULL for other kinds) */
    size_t nk;
    str *upnames;
    size_t nup;
    const signed char *lineinfo;
    size_t nlineinfo;
    size_t *abspc, *absline;
    size_t nabs;
    int linedefined;
} proto;

static uint32_t instruction(const proto *f, size_t pc)
{
    uint32_t i;
    memcpy(&i, f->code + pc * 4, 4);
    return i;
}

/* luaG_getfuncline, from the dumped line information: the last absolute line at or
 * before PC (else the line the function starts on), plus the deltas after it. */
static int line_of(const proto *f, size_t pc)
{
    size_t start = 0;
    long line = f->linedefined;
    if (!f->lineinfo)
        return 0;
    for (size_t i = 0; i < f->nabs; i++) {
        if (f->abspc[i] <= pc) {
            start = f->abspc[i] + 1;
            line = (long)f->absline[i];
        }
    }
    for (size_t q = start; q <= pc && q < f->nlineinfo; q++)
        line += f->lineinfo[q];
    return (int)line;
}

/* Offer the string keys of the table at IDX (a read-only view: the table behind it). */
static void offer_keys(lua_State *L, rg_suggest *s, int idx)
{
    idx = lua_absindex(L, idx);
    if (rg_readonly_target(L, idx))
        lua_replace(L, idx);
    if (!lua_istable(L, idx))
        return;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (lua_type(L, -2) == LUA_TSTRING)
            rg_suggest_offer(s, lua_tostring(L, -2));
        lua_pop(L, 1);
    }
    /* a library whose functions sit in its metatable's __index (evidence, callable) */
    if (lua_getmetatable(L, idx)) {
        if (lua_getfield(L, -1, "__index") == LUA_TTABLE) {
            int fields = lua_gettop(L);
            lua_pushnil(L);
            while (lua_next(L, fields)) {
                if (lua_type(L, -2) == LUA_TSTRING)
                    rg_suggest_offer(s, lua_tostring(L, -2));
                lua_pop(L, 1);
            }
        }
    }
}

/* " (did you mean 'x'?)" for WORD among the builtins and the policy's globals, or among
 * the fields of builtin library LIB. */
static const char *closest(lua_State *L, const char *lib, const char *word, char *buf, size_t size)
{
    rg_suggest s;
    int top = lua_gettop(L);
    rg_suggest_start(&s, word);
    if (lib) {
        lua_getfield(L, LUA_REGISTRYINDEX, "rg.builtins");
        if (rg_readonly_target(L, -1))
            lua_replace(L, -2);
        lua_getfield(L, -1, lib);
        offer_keys(L, &s, -1);
    } else {
        lua_getfield(L, LUA_REGISTRYINDEX, "rg.builtins");
        offer_keys(L, &s, -1);
        lua_getfield(L, LUA_REGISTRYINDEX, "rg.globals");
        offer_keys(L, &s, -1);
    }
    rg_suggest_text(&s, buf, size);   /* before the keys it points at may go */
    lua_settop(L, top);
    return buf;
}

/* "undefined global 'NAME'", or with FIELD "'NAME' has no field 'FIELD'". */
static void note(finding *fd, const str *source, int line, const char *name, const char *field)
{
    char text[1024], what[600];
    const char *file = source && source->s ? source->s : "?";
    int flen = source && source->s ? (int)source->n : 1;
    if (flen > 0 && file[0] == '@') {
        file++;
        flen--;
    }
    char mean[300];
    if (field)
        snprintf(what, sizeof what, "'%s' has no field '%s'%s", name, field, closest(fd->L, name, field, mean, sizeof mean));
    else
        snprintf(what, sizeof what, "undefined global '%s'%s", name, closest(fd->L, NULL, name, mean, sizeof mean));
    snprintf(text, sizeof text, "%.*s:%d: %s", flen, file, line, what);
    if (cJSON_GetObjectItemCaseSensitive(fd->seen, text))
        return;
    cJSON_AddTrueToObject(fd->seen, text);
    cJSON_AddItemToArray(fd->problems, cJSON_CreateString(text));
    fd->added++;
}

/* Protected: push field KEY (argument 1) of upvalue 1. */
static int read_field(lua_State *L)
{
    lua_getfield(L, lua_upvalueindex(1), lua_tostring(L, 1));
    return 1;
}

/* 1 when the table at T has KEY, not nil, leaving it pushed; else 0 with nothing pushed.
 * Protected: the policy's environment ends in a function raising "undefined global", and
 * a library's view may raise too. */
static int has_field(lua_State *L, int t, const char *key)
{
    lua_pushvalue(L, t);
    lua_pushcclosure(L, read_field, 1);
    lua_pushstring(L, key);
    if (lua_pcall(L, 1, 1, 0) != LUA_OK || lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return 0;
    }
    return 1;
}

/* The builtin NAME, raw (the builtins end in "undefined global" too); nil when none. */
static void push_builtin(lua_State *L, int builtins, const char *name)
{
    if (!has_field(L, builtins, name))
        lua_pushnil(L);
}

static void check_proto(finding *fd, const proto *f, const str *source, int env, int builtins)
{
    lua_State *L = fd->L;
    for (size_t pc = 0; pc < f->ncode; pc++) {
        uint32_t i = instruction(f, pc);
        int b = ARG_B(i), c = ARG_C(i);
        char name[256], field[256];
        if (OPCODE(i) != OP_GETTABUP || (size_t)b >= f->nup || !f->upnames[b].s || f->upnames[b].n != 4 ||
            memcmp(f->upnames[b].s, "_ENV", 4) != 0 || (size_t)c >= f->nk || !f->k[c].s || f->k[c].n >= sizeof name)
            continue;
        memcpy(name, f->k[c].s, f->k[c].n);
        name[f->k[c].n] = '\0';
        if (strcmp(name, "rg_lint_probe_") == 0) {
            fd->probe++;
            continue;
        }
        if (!has_field(L, env, name)) {
            note(fd, source, line_of(f, pc), name, NULL);
            continue;
        }
        /* lib.field of a builtin library: the library is fixed, so a missing field is a misspelling */
        if (pc + 1 < f->ncode) {
            uint32_t n = instruction(f, pc + 1);
            int nc = ARG_C(n);
            int value = lua_gettop(L);
            push_builtin(L, builtins, name);
            if (lua_type(L, value) == LUA_TTABLE && lua_rawequal(L, -1, value) && OPCODE(n) == OP_GETFIELD && ARG_B(n) == ARG_A(i) && (size_t)nc < f->nk &&
                f->k[nc].s && f->k[nc].n < sizeof field) {
                memcpy(field, f->k[nc].s, f->k[nc].n);
                field[f->k[nc].n] = '\0';
                if (has_field(L, value, field))
                    lua_pop(L, 1);
                else if (lua_type(L, value) == LUA_TTABLE)
                    note(fd, source, line_of(f, pc + 1), name, field);
            }
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
}

static void free_proto(proto *f)
{
    free(f->k);
    free(f->upnames);
    free(f->abspc);
    free(f->absline);
}

/* One function (and, recursively, those nested in it), checked as it is read. */
static void read_function(reader *r, finding *fd, str source, int env, int builtins, int depth)
{
    proto f;
    str own;
    size_t nprotos;
    memset(&f, 0, sizeof f);
    if (depth > 200) {
        r->bad = 1;
        return;
    }
    own = string(r);
    if (own.s)
        source = own;
    f.linedefined = (int)varint(r);
    varint(r);               /* lastlinedefined */
    skip(r, 3);              /* numparams, is_vararg, maxstacksize */
    f.ncode = varint(r);
    if (r->bad || f.ncode > (size_t)(r->end - r->p) / 4) {
        r->bad = 1;
        return;
    }
    f.code = r->p;
    skip(r, f.ncode * 4);
    f.nk = varint(r);
    if (r->bad || f.nk > (size_t)(r->end - r->p) || !(f.k = calloc(f.nk + 1, sizeof *f.k))) {
        r->bad = 1;
        return;
    }
    for (size_t i = 0; i < f.nk && !r->bad; i++) {
        switch (byte(r)) {
        case 0x13: case 0x03: skip(r, 8); break;          /* float, integer */
        case 0x04: case 0x14: f.k[i] = string(r); break;  /* short, long string */
        case 0x00: case 0x01: case 0x11: break;           /* nil, false, true */
        default: r->bad = 1;
        }
    }
    f.nup = varint(r);
    skip(r, f.nup * 3);
    nprotos = varint(r);
    /* Nested functions come before this one's debug information: read them first, and
     * check this one when its line information has been read. */
    {
        const unsigned char *nested = r->p;
        for (size_t i = 0; i < nprotos && !r->bad; i++)
            read_function(r, NULL, source, env, builtins, depth + 1);
        f.nlineinfo = varint(r);
        if (r->bad || f.nlineinfo > (size_t)(r->end - r->p)) {
            r->bad = 1;
            free_proto(&f);
            return;
        }
        f.lineinfo = f.nlineinfo ? (const signed char *)r->p : NULL;
        skip(r, f.nlineinfo);
        f.nabs = varint(r);
        if (r->bad || f.nabs > (size_t)(r->end - r->p) || !(f.abspc = calloc(f.nabs + 1, sizeof *f.abspc)) ||
            !(f.absline = calloc(f.nabs + 1, sizeof *f.absline))) {
            r->bad = 1;
            free_proto(&f);
            return;
        }
        for (size_t i = 0; i < f.nabs && !r->bad; i++) {
            f.abspc[i] = varint(r);
            f.absline[i] = varint(r);
        }
        {
            size_t nloc = varint(r);
            for (size_t i = 0; i < nloc && !r->bad; i++) {
                string(r);
                varint(r);
                varint(r);
            }
        }
        {
            size_t nnames = varint(r);
            if (r->bad || nnames > f.nup || !(f.upnames = calloc(f.nup + 1, sizeof *f.upnames))) {
                r->bad = 1;
                free_proto(&f);
                return;
            }
            for (size_t i = 0; i < nnames && !r->bad; i++)
                f.upnames[i] = string(r);
        }
        if (fd && !r->bad) {
            /* the nested functions again, now with a finding to report to */
            reader again = {nested, r->end, 0};
            for (size_t i = 0; i < nprotos && !again.bad; i++)
                read_function(&again, fd, source, env, builtins, depth + 1);
            check_proto(fd, &f, &source, env, builtins);
        }
    }
    free_proto(&f);
}

static int writer(lua_State *L, const void *p, size_t n, void *ud)
{
    (void)L;
    rg_strbuf_add(ud, p, n);
    return 0;
}

/* The function on top, dumped and read.  0, or -1 when the dump is not one this reads. */
static int read_chunk(lua_State *L, finding *fd, int env, int builtins)
{
    rg_strbuf b = {0};
    reader r;
    static const unsigned char header[] = {0x1b, 'L', 'u', 'a', 0x54, 0, 0x19, 0x93, '\r', '\n', 0x1a, '\n', 4, 8, 8};
    int rc = -1;
    lua_dump(L, writer, &b, 0);
    if (!b.failed && b.len > sizeof header + 16 + 1 && memcmp(b.data, header, sizeof header) == 0) {
        str none = {NULL, 0};
        r.p = (const unsigned char *)b.data + sizeof header + 16 + 1; /* LUAC_INT, LUAC_NUM, sizeupvalues */
        r.end = (const unsigned char *)b.data + b.len;
        r.bad = 0;
        read_function(&r, fd, none, env, builtins, 0);
        rc = r.bad ? -1 : 0;
    }
    free(b.data);
    return rc;
}

static int run(lua_State *L, int chunks, cJSON *problems, int *probe)
{
    finding fd = {L, problems, cJSON_CreateObject(), 0, 0};
    int top = lua_gettop(L), env, builtins;
    chunks = lua_absindex(L, chunks);
    lua_getfield(L, LUA_REGISTRYINDEX, "rg.env");
    env = lua_gettop(L);
    lua_getfield(L, LUA_REGISTRYINDEX, "rg.builtins");
    builtins = lua_gettop(L);
    for (lua_Integer i = 1; fd.seen && lua_rawgeti(L, chunks, i) == LUA_TFUNCTION; i++) {
        read_chunk(L, &fd, env, builtins);
        lua_pop(L, 1);
    }
    lua_settop(L, top);
    cJSON_Delete(fd.seen);
    if (probe)
        *probe = fd.probe;
    return fd.added;
}

int rg_lint_globals_selftest(lua_State *L)
{
    static const char probe[] = "local function f() return rg_lint_probe_ end\nreturn f";
    int found = 0, top = lua_gettop(L);
    cJSON *none = cJSON_CreateArray();
    lua_newtable(L);
    if (none && luaL_loadbufferx(L, probe, sizeof probe - 1, "=probe", "t") == LUA_OK) {
        lua_rawseti(L, -2, 1);
        run(L, -1, none, &found);
    }
    lua_settop(L, top);
    cJSON_Delete(none);
    return found == 1;
}

int rg_lint_globals(lua_State *L, int chunks, cJSON *problems)
{
    chunks = lua_absindex(L, chunks);
    if (!rg_lint_globals_selftest(L))
        return 0;
    return run(L, chunks, problems, NULL);
}
