/* Strict JSON input on top of cJSON: cJSON parses, this file adds what it lacks
 * (positions, UTF-8 and NUL checks, a depth limit, duplicate keys). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "json.h"
#include "json_member.h"
#include "json_writer.h"
#include "strbuf.h"
#include "swar.h"
#include "textpos.h"

/* ---- A strict RFC 8259 validator ------------------------------------------------
 * cJSON is lenient where a gate must not be: it takes any byte up to 0x20 as
 * whitespace, raw control characters inside strings, and cuts strings at \u0000 — so
 * another reader could see a different release than we do.  This pass runs first,
 * refuses all of that, and knows exactly where and why a document is malformed. */

/* An object's key as written (between its quotes), for finding one given twice without
 * building a tree (rg_json_check). */
typedef struct key_span {
    const char *p;
    size_t len;
    uint64_t hash;       /* of the key decoded, as cJSON would read it */
} key_span;

/* The keys of the objects open at the moment, innermost last. */
typedef struct key_stack {
    key_span *v;
    size_t count, cap;
} key_stack;

typedef struct scan {
    const char *s;
    size_t len, pos;
    int max_depth;
    const char *why;
    size_t values, strings, string_bytes;   /* what cJSON will allocate (json_heap_cost) */
    key_stack *keys;     /* NULL: duplicate keys are not looked for (a tree is, after) */
    key_span member;     /* the key of the value being scanned (p NULL: none, an array's) */
    key_span dup, dup_in;  /* the key given twice, and the key of its object (p NULL: none) */
    const rg_json_known *known;   /* values checked before (NULL: none) */
} scan;

static void skip_ws(scan *sc)
{
    while (sc->pos < sc->len) {
        char c = sc->s[sc->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        sc->pos++;
    }
}

static int fail_at(scan *sc, const char *why)
{
    sc->why = why;
    return -1;
}

static int hex4(scan *sc, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = sc->pos < sc->len ? sc->s[sc->pos] : '\0';
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else return fail_at(sc, "invalid \\u escape");
        sc->pos++;
    }
    *out = v;
    return 0;
}

static int scan_string(scan *sc)
{
    sc->strings++;
    sc->string_bytes += sc->len - sc->pos;   /* corrected at the closing quote */
    sc->pos++; /* the opening quote */
    while (sc->pos < sc->len) {
        unsigned char c;
        {
            /* The plain characters, most of a string, counted in a register: through SC
             * every byte stored the position and read it back. */
            const unsigned char *text = (const unsigned char *)sc->s;
            size_t at = sc->pos, len = sc->len;
            while (len - at >= 8) {   /* eight at a time, to the first byte that is not plain */
                uint64_t w = rg_swar_load(text + at);
                uint64_t stop = rg_swar_below(w, 0x20) | rg_swar_has(w, '"') | rg_swar_has(w, '\\');
                if (stop) {
                    at += rg_swar_first(stop);
                    break;
                }
                at += 8;
            }
            while (at < len && text[at] >= 0x20 && text[at] != '"' && text[at] != '\\')
                at++;
            sc->pos = at;
            if (at == len)
                break;
        }
        c = (unsigned char)sc->s[sc->pos];
        if (c == '"') {
            sc->pos++;
            sc->string_bytes -= sc->len - sc->pos;
            return 0;
        }
        if (c < 0x20)
            return fail_at(sc, "control character in a string (escape it)");
        if (c != '\\') {
            sc->pos++;
            continue;
        }
        sc->pos++;
        c = sc->pos < sc->len ? (unsigned char)sc->s[sc->pos] : 0;
        if (strchr("\"\\/bfnrt", c) && c) {
            sc->pos++;
        } else if (c == 'u') {
            size_t at = sc->pos - 1;
            unsigned u, low;
            sc->pos++;
            if (hex4(sc, &u) != 0)
                return -1;
            if (u == 0) {
                sc->pos = at;
                return fail_at(sc, "escaped NUL (\\u0000) in a string");
            }
            if (u >= 0xDC00 && u <= 0xDFFF) {
                sc->pos = at;
                return fail_at(sc, "lone low surrogate in a \\u escape");
            }
            if (u >= 0xD800 && u <= 0xDBFF) {
                if (sc->pos + 1 >= sc->len || sc->s[sc->pos] != '\\' || sc->s[sc->pos + 1] != 'u') {
                    sc->pos = at;
                    return fail_at(sc, "lone high surrogate in a \\u escape");
                }
                sc->pos += 2;
                if (hex4(sc, &low) != 0)
                    return -1;
                if (low < 0xDC00 || low > 0xDFFF) {
                    sc->pos = at;
                    return fail_at(sc, "lone high surrogate in a \\u escape");
                }
            }
        } else {
            sc->pos--;
            return fail_at(sc, "invalid escape in a string");
        }
    }
    return fail_at(sc, "unterminated string");
}

static int digits(scan *sc)
{
    size_t start = sc->pos;
    while (sc->pos < sc->len && sc->s[sc->pos] >= '0' && sc->s[sc->pos] <= '9')
        sc->pos++;
    return sc->pos > start;
}

static int scan_number(scan *sc)
{
    size_t start = sc->pos;
    if (sc->s[sc->pos] == '-')
        sc->pos++;
    if (sc->pos < sc->len && sc->s[sc->pos] == '0') {
        sc->pos++;
    } else if (!digits(sc)) {
        sc->pos = start;
        return fail_at(sc, "invalid number");
    }
    if (sc->pos < sc->len && sc->s[sc->pos] == '.') {
        sc->pos++;
        if (!digits(sc))
            return fail_at(sc, "invalid number: digits expected after '.'");
    }
    if (sc->pos < sc->len && (sc->s[sc->pos] == 'e' || sc->s[sc->pos] == 'E')) {
        sc->pos++;
        if (sc->pos < sc->len && (sc->s[sc->pos] == '+' || sc->s[sc->pos] == '-'))
            sc->pos++;
        if (!digits(sc))
            return fail_at(sc, "invalid number: digits expected in the exponent");
    }
    return 0;
}

/* ---- Duplicate keys, without a tree --------------------------------------------
 * A key is compared as cJSON reads it: "\u0074ype" is "type".  Each object's keys are
 * kept (as written) while it is open; at its end they are compared pair by pair, or
 * sorted when there are many, so a hostile object of a million keys costs n log n. */

/* The next character of a key (validated: scan_string took it) at *AT, decoded into OUT
 * as UTF-8; its byte count. */
static size_t key_char(const char *p, size_t *at, unsigned char out[4])
{
    unsigned u, low;
    unsigned char c = (unsigned char)p[*at];
    if (c != '\\') {
        out[0] = c;
        ++*at;
        return 1;
    }
    c = (unsigned char)p[*at + 1];
    *at += 2;
    switch (c) {
    case 'b': out[0] = '\b'; return 1;
    case 'f': out[0] = '\f'; return 1;
    case 'n': out[0] = '\n'; return 1;
    case 'r': out[0] = '\r'; return 1;
    case 't': out[0] = '\t'; return 1;
    case 'u': break;
    default: out[0] = c; return 1;   /* " \ / */
    }
    u = (unsigned)strtoul((char[5]){p[*at], p[*at + 1], p[*at + 2], p[*at + 3], 0}, NULL, 16);
    *at += 4;
    if (u >= 0xD800 && u <= 0xDBFF) {   /* a pair: scan_string checked the low half follows */
        low = (unsigned)strtoul((char[5]){p[*at + 2], p[*at + 3], p[*at + 4], p[*at + 5], 0}, NULL, 16);
        *at += 6;
        u = 0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00);
    }
    if (u < 0x80) {
        out[0] = (unsigned char)u;
        return 1;
    }
    if (u < 0x800) {
        out[0] = (unsigned char)(0xC0 | (u >> 6));
        out[1] = (unsigned char)(0x80 | (u & 0x3F));
        return 2;
    }
    if (u < 0x10000) {
        out[0] = (unsigned char)(0xE0 | (u >> 12));
        out[1] = (unsigned char)(0x80 | ((u >> 6) & 0x3F));
        out[2] = (unsigned char)(0x80 | (u & 0x3F));
        return 3;
    }
    out[0] = (unsigned char)(0xF0 | (u >> 18));
    out[1] = (unsigned char)(0x80 | ((u >> 12) & 0x3F));
    out[2] = (unsigned char)(0x80 | ((u >> 6) & 0x3F));
    out[3] = (unsigned char)(0x80 | (u & 0x3F));
    return 4;
}

static uint64_t key_hash(const char *p, size_t len)
{
    uint64_t h = 0xcbf29ce484222325u;
    unsigned char c[4];
    if (!memchr(p, '\\', len)) {           /* most keys: as written is as read */
        for (size_t i = 0; i < len; i++)
            h = (h ^ (unsigned char)p[i]) * 0x100000001b3u;
        return h;
    }
    for (size_t at = 0; at < len;)
        for (size_t i = 0, n = key_char(p, &at, c); i < n; i++)
            h = (h ^ c[i]) * 0x100000001b3u;
    return h;
}

/* The bytes of K's character at *AT (decoded) into C, *AT past it: how many; 0 at K's end. */
static size_t key_next(const key_span *k, size_t *at, unsigned char c[4])
{
    return *at == k->len ? 0 : key_char(k->p, at, c);
}

/* The keys A and B decoded, compared as strcmp compares them. */
static int key_compare(const key_span *a, const key_span *b)
{
    size_t i = 0, j = 0, m = 0, n = 0, x = 0, y = 0;
    unsigned char ca[4], cb[4];
    for (;;) {
        if (x == m) {
            m = key_next(a, &i, ca);
            x = 0;
        }
        if (y == n) {
            n = key_next(b, &j, cb);
            y = 0;
        }
        if (m == 0 || n == 0)
            return (m != 0) - (n != 0);
        if (ca[x] != cb[y])
            return ca[x] < cb[y] ? -1 : 1;
        x++, y++;
    }
}

static int key_order(const void *a, const void *b)
{
    const key_span *x = a, *y = b;
    if (x->hash != y->hash)
        return x->hash < y->hash ? -1 : 1;
    return key_compare(x, y);
}

/* Keep the key just scanned (the string before SC->pos, from AT) in the open object. */
static int key_push(scan *sc, size_t at)
{
    key_stack *k = sc->keys;
    key_span *span;
    if (k->count == k->cap) {
        size_t cap = k->cap ? 2 * k->cap : 64;
        key_span *v = realloc(k->v, cap * sizeof *v);
        if (!v)
            return fail_at(sc, "out of memory");
        k->v = v;
        k->cap = cap;
    }
    span = &k->v[k->count++];
    span->p = sc->s + at + 1;
    span->len = sc->pos - at - 2;
    span->hash = key_hash(span->p, span->len);
    sc->member = *span;
    return 0;
}

/* The object whose keys begin at BASE has ended: one given twice is an error (SC->dup). */
static int keys_close(scan *sc, size_t base, const key_span *parent)
{
    key_span *v = sc->keys->v + base;
    size_t n = sc->keys->count - base;
    const key_span *dup = NULL;
    if (n > 8) {
        qsort(v, n, sizeof *v, key_order);
        for (size_t i = 1; i < n && !dup; i++)
            if (key_order(&v[i - 1], &v[i]) == 0)
                dup = &v[i];
    } else {
        for (size_t i = 0; i < n && !dup; i++)
            for (size_t j = i + 1; j < n && !dup; j++)
                if (v[i].hash == v[j].hash && key_compare(&v[i], &v[j]) == 0)
                    dup = &v[j];
    }
    sc->keys->count = base;
    if (!dup)
        return 0;
    sc->dup = *dup;
    sc->dup_in = *parent;
    return fail_at(sc, "duplicate key");
}

static int scan_value(scan *sc, int depth);

static int scan_container(scan *sc, int depth, char close)
{
    int first = 1;
    key_span parent = sc->member;   /* this object's own key */
    size_t base = sc->keys ? sc->keys->count : 0;
    if (depth >= sc->max_depth)
        return fail_at(sc, "nested too deeply");
    sc->pos++;
    for (;;) {
        skip_ws(sc);
        if (sc->pos < sc->len && sc->s[sc->pos] == close && first) {
            sc->pos++;
            return 0;
        }
        if (close == '}') {
            size_t at = sc->pos;
            if (sc->pos >= sc->len || sc->s[sc->pos] != '"')
                return fail_at(sc, first ? "expected a string key or '}'" : "expected a string key");
            if (scan_string(sc) != 0 || (sc->keys && key_push(sc, at) != 0))
                return -1;
            skip_ws(sc);
            if (sc->pos >= sc->len || sc->s[sc->pos] != ':')
                return fail_at(sc, "expected ':' after the key");
            sc->pos++;
        } else {
            sc->member.p = NULL;   /* an array's element has no key */
        }
        if (scan_value(sc, depth + 1) != 0)
            return -1;
        skip_ws(sc);
        if (sc->pos < sc->len && sc->s[sc->pos] == ',') {
            sc->pos++;
            first = 0;
            continue;
        }
        if (sc->pos < sc->len && sc->s[sc->pos] == close) {
            sc->pos++;
            return close == '}' && sc->keys ? keys_close(sc, base, &parent) : 0;
        }
        return fail_at(sc, close == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static int literal(scan *sc, const char *word)
{
    size_t n = strlen(word);
    if (sc->len - sc->pos < n || memcmp(sc->s + sc->pos, word, n) != 0)
        return fail_at(sc, "expected a value");
    sc->pos += n;
    return 0;
}

/* Whether the value at SC->pos is one SC->known looks up: an object or an array at its
 * depth, under its key. */
static int known_place(const scan *sc, int depth)
{
    const rg_json_known *k = sc->known;
    char c = sc->s[sc->pos];
    return k && depth == k->depth && (c == '{' || c == '[') && sc->member.p &&
           (!k->key || (sc->member.len == strlen(k->key) && memcmp(sc->member.p, k->key, sc->member.len) == 0));
}

/* The object or array at SC->pos, in a place SC->known looks up: taken as checked when it
 * is a value checked before (byte for byte the same, and self-delimiting: what follows
 * it is read as it would be), else checked and, when taken, told to SC->known. */
static int scan_known(scan *sc, int depth)
{
    const rg_json_known *k = sc->known;
    size_t start = sc->pos, n = k->find(k->ctx, sc->s + start, sc->len - start);
    int rc;
    if (n > 0 && n <= sc->len - start) {
        sc->pos += n;
        return 0;
    }
    rc = scan_container(sc, depth, sc->s[start] == '{' ? '}' : ']');
    if (rc == 0)
        k->checked(k->ctx, sc->s + start, sc->pos - start);
    return rc;
}

static int scan_value(scan *sc, int depth)
{
    sc->values++;
    skip_ws(sc);
    if (sc->pos >= sc->len)
        return fail_at(sc, depth == 0 ? "empty document, expected a JSON value" : "a value is missing");
    if (known_place(sc, depth))
        return scan_known(sc, depth);
    switch (sc->s[sc->pos]) {
    case '{': return scan_container(sc, depth, '}');
    case '[': return scan_container(sc, depth, ']');
    case '"': return scan_string(sc);
    case 't': return literal(sc, "true");
    case 'f': return literal(sc, "false");
    case 'n': return literal(sc, "null");
    default:
        if (sc->s[sc->pos] == '-' || (sc->s[sc->pos] >= '0' && sc->s[sc->pos] <= '9'))
            return scan_number(sc);
        return fail_at(sc, "expected a value");
    }
}

/* An upper bound of the C heap cJSON takes for a document SC scanned: a node per value,
 * a copy of every string and key (escapes only shrink them), allocator overhead. */
static size_t json_heap_cost(const scan *sc)
{
    return sc->values * (sizeof(cJSON) + 16) + sc->strings * 24 + sc->string_bytes;
}

/* Returns LEN when TEXT is one well-formed JSON value, else the offset of the problem
 * with *WHY saying what it is.  *HEAP (HEAP may be NULL): what parsing it with cJSON will
 * take at most.
 * With KEYS, an object's key given twice is a problem too (*DUP, *DUP_IN: that key and
 * the key of its object). */
static size_t json_validate(const char *text, size_t len, int max_depth, const char **why, size_t *heap,
                            key_stack *keys, key_span *dup, key_span *dup_in, const rg_json_known *known)
{
    scan sc;
    memset(&sc, 0, sizeof sc);
    sc.s = text;
    sc.len = len;
    sc.max_depth = max_depth;
    sc.keys = keys;
    sc.known = keys ? known : NULL;   /* the member's key is followed only with KEYS */
    if (scan_value(&sc, 0) == 0) {
        skip_ws(&sc);
        if (heap)
            *heap = json_heap_cost(&sc);
        if (sc.pos == len)
            return len;
        sc.why = "unexpected text after the JSON value";
    }
    *why = sc.why;
    if (dup) {
        *dup = sc.dup;
        *dup_in = sc.dup_in;
    }
    return sc.pos < len ? sc.pos : len;
}

/* A short, printable excerpt of TEXT at OFFSET for syntax error messages. */
static void excerpt(const char *text, size_t len, size_t offset, char *out, size_t size)
{
    size_t n = 0;
    for (size_t i = offset; i < len && n + 1 < size && n < 16; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '\n' || c == '\r') break;
        out[n++] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
    }
    out[n] = '\0';
}

cJSON *rg_json_parse(const char *text, size_t len, const char *file, int max_depth,
                     rg_error_kind kind, rg_error *err)
{
    return rg_json_parse_within(text, len, file, max_depth, SIZE_MAX, NULL, kind, err);
}

/* TEXT, not valid UTF-8 or not one JSON document (json_validate said BAD and WHY), as an
 * error of KIND in FILE.  Returns -1. */
static int refuse(const char *text, size_t len, size_t bad, const char *why, const char *file, int max_depth,
                  rg_error_kind kind, rg_error *err)
{
    char near[20];
    int line, column;
    rg_text_position(text, len, bad, &line, &column);
    if (why && strcmp(why, "nested too deeply") == 0)
        return rg_fail(err, kind, file, line, column, "%s:%d:%d: JSON nested deeper than %d levels", file, line,
                       column, max_depth);
    if (why && strcmp(why, "out of memory") == 0)
        return rg_fail(err, RG_ERROR_INTERNAL, file, 0, 0, "%s: out of memory checking JSON", file);
    if (bad >= len && len > 0)
        return rg_fail(err, kind, file, line, column, "%s:%d:%d: unexpected end of JSON text (%s)", file, line,
                       column, why);
    if (bad >= len)
        return rg_fail(err, kind, file, line, column, "%s:%d:%d: %s", file, line, column, why);
    excerpt(text, len, bad, near, sizeof near);
    return rg_fail(err, kind, file, line, column, "%s:%d:%d: JSON syntax error: %s, near '%s'", file, line,
                   column, why, near);
}

/* KEY given twice in an object (whose own key is IN, or none), as an error of KIND in
 * FILE: the message rg_json_parse gives.  Returns -1. */
static int refuse_duplicate(const char *key, const char *in, const char *file, rg_error_kind kind, rg_error *err)
{
    return rg_fail(err, kind, file, 0, 0, "%s: duplicate key \"%s\" in a JSON object%s%s%s", file, key,
                   in ? " \"" : "", in ? in : "", in ? "\"" : "");
}

/* A key as cJSON reads it (heap), or NULL. */
static char *key_text(const key_span *k)
{
    char *out = malloc(4 * k->len + 1);
    size_t n = 0;
    if (!out)
        return NULL;
    for (size_t at = 0; at < k->len;)
        n += key_char(k->p, &at, (unsigned char *)out + n);
    out[n] = '\0';
    return out;
}

/* Checked as rg_json_parse checks a document, without the tree: the validator finds a
 * key given twice itself, so a face that reads the document with its own parser (relgate
 * serve's worker) pays for one scan and no allocation but the keys' (a 24 KB request
 * body took 0.2 ms of cJSON tree built and thrown away in the server). */
int rg_json_check(const char *text, size_t len, const char *display, const rg_limits *limits, rg_error *err)
{
    return rg_json_check_known(text, len, display, limits, NULL, err);
}

int rg_json_check_known(const char *text, size_t len, const char *display, const rg_limits *limits,
                        const rg_json_known *known, rg_error *err)
{
    key_stack keys = {NULL, 0, 0};
    key_span dup, dup_in;
    const char *why = NULL;
    size_t bad;
    int rc = 0;
    if ((bad = rg_utf8_check(text, len, &why)) < len) {
        int line, column;
        rg_text_position(text, len, bad, &line, &column);
        return rg_fail(err, RG_ERROR_USAGE, display, line, column, "%s:%d:%d: %s in JSON text", display, line,
                       column, why);
    }
    bad = json_validate(text, len, limits->max_json_depth, &why, NULL, &keys, &dup, &dup_in, known);
    if (why && strcmp(why, "duplicate key") == 0) {
        char *key = key_text(&dup), *in = dup_in.p ? key_text(&dup_in) : NULL;
        if (!key || (dup_in.p && !in))
            rc = rg_fail(err, RG_ERROR_INTERNAL, display, 0, 0, "%s: out of memory checking JSON", display);
        else
            rc = refuse_duplicate(key, in, display, RG_ERROR_USAGE, err);
        free(key);
        free(in);
    } else if (bad < len || why) {
        rc = refuse(text, len, bad, why, display, limits->max_json_depth, RG_ERROR_USAGE, err);
    }
    free(keys.v);
    return rc;
}

cJSON *rg_json_parse_within(const char *text, size_t len, const char *file, int max_depth, size_t max_heap,
                            size_t *heap, rg_error_kind kind, rg_error *err)
{
    const char *why = NULL, *end = NULL;
    const cJSON *dup, *parent = NULL;
    size_t bad, cost = 0;
    int line, column;
    cJSON *root;

    bad = rg_utf8_check(text, len, &why);
    if (bad < len) {
        rg_text_position(text, len, bad, &line, &column);
        rg_fail(err, kind, file, line, column, "%s:%d:%d: %s in JSON text", file, line, column, why);
        return NULL;
    }
    bad = json_validate(text, len, max_depth, &why, &cost, NULL, NULL, NULL, NULL);
    if (bad < len || why) {
        refuse(text, len, bad, why, file, max_depth, kind, err);
        return NULL;
    }
    if (cost > max_heap) {
        rg_fail(err, RG_ERROR_LIMIT, file, 0, 0, "%s: JSON text of %zu bytes would take %zu bytes decoded, more than the %zu left",
                file, len, cost, max_heap);
        return NULL;
    }
    if (heap)
        *heap = cost;
    /* Valid by now; pass the terminating NUL too, so cJSON sees the whole text. */
    root = cJSON_ParseWithLengthOpts(text, len + 1, &end, 1);
    if (!root) {
        rg_fail(err, RG_ERROR_INTERNAL, file, 0, 0, "%s: out of memory parsing JSON", file);
        return NULL;
    }
    dup = rg_json_duplicate(root, &parent);
    if (dup) {
        refuse_duplicate(dup->string, parent ? parent->string : NULL, file, kind, err);
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

rg_shared_json *rg_shared_json_new(cJSON *tree)
{
    rg_shared_json *s = tree ? malloc(sizeof *s) : NULL;
    if (!s) {
        cJSON_Delete(tree);
        return NULL;
    }
    s->refs = 1;
    s->tree = tree;
    s->text = NULL;
    s->text_len = 0;
    return s;
}

rg_shared_json *rg_shared_json_ref(rg_shared_json *shared)
{
    if (shared)
        shared->refs++;
    return shared;
}

void rg_shared_json_unref(rg_shared_json *shared)
{
    if (shared && --shared->refs == 0) {
        cJSON_Delete(shared->tree);
        free(shared->text);
        free(shared);
    }
}

cJSON *rg_shared_json_view(const rg_shared_json *shared)
{
    return cJSON_IsArray(shared->tree) ? cJSON_CreateArrayReference(shared->tree->child)
                                       : cJSON_CreateObjectReference(shared->tree->child);
}

const char *rg_shared_json_text(rg_shared_json *shared, size_t *len)
{
    if (!shared->text) {
        rg_strbuf out = {0};
        rg_jw w;
        rg_jw_init(&w, &out, 0);
        rg_jw_item(&w, shared->tree);
        shared->text_len = out.len;
        shared->text = rg_strbuf_finish(&out);
    }
    *len = shared->text_len;
    return shared->text;
}
