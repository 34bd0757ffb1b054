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
#include "textpos.h"

/* ---- A strict RFC 8259 validator ------------------------------------------------
 * cJSON is lenient where a gate must not be: it takes any byte up to 0x20 as
 * whitespace, raw control characters inside strings, and cuts strings at \u0000 — so
 * another reader could see a different release than we do.  This pass runs first,
 * refuses all of that, and knows exactly where and why a document is malformed. */

typedef struct scan {
    const char *s;
    size_t len, pos;
    int max_depth;
    const char *why;
    size_t values, strings, string_bytes;   /* what cJSON will allocate (json_heap_cost) */
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
        unsigned char c = (unsigned char)sc->s[sc->pos];
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

static int scan_value(scan *sc, int depth);

static int scan_container(scan *sc, int depth, char close)
{
    int first = 1;
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
            if (sc->pos >= sc->len || sc->s[sc->pos] != '"')
                return fail_at(sc, first ? "expected a string key or '}'" : "expected a string key");
            if (scan_string(sc) != 0)
                return -1;
            skip_ws(sc);
            if (sc->pos >= sc->len || sc->s[sc->pos] != ':')
                return fail_at(sc, "expected ':' after the key");
            sc->pos++;
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
            return 0;
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

static int scan_value(scan *sc, int depth)
{
    sc->values++;
    skip_ws(sc);
    if (sc->pos >= sc->len)
        return fail_at(sc, depth == 0 ? "empty document, expected a JSON value" : "a value is missing");
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
 * with *WHY saying what it is.  *HEAP: what parsing it with cJSON will take at most. */
static size_t json_validate(const char *text, size_t len, int max_depth, const char **why, size_t *heap)
{
    scan sc = {text, len, 0, max_depth, NULL, 0, 0, 0};
    if (scan_value(&sc, 0) == 0) {
        skip_ws(&sc);
        *heap = json_heap_cost(&sc);
        if (sc.pos == len)
            return len;
        sc.why = "unexpected text after the JSON value";
    }
    *why = sc.why;
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

int rg_json_check(const char *text, size_t len, const char *display, const rg_limits *limits, rg_error *err)
{
    cJSON *doc = rg_json_parse(text, len, display, limits->max_json_depth, RG_ERROR_USAGE, err);
    if (!doc)
        return -1;
    cJSON_Delete(doc);
    return 0;
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
    bad = json_validate(text, len, max_depth, &why, &cost);
    if (bad < len || why) {
        char near[20];
        rg_text_position(text, len, bad, &line, &column);
        if (why && strcmp(why, "nested too deeply") == 0) {
            rg_fail(err, kind, file, line, column, "%s:%d:%d: JSON nested deeper than %d levels", file,
                    line, column, max_depth);
        } else if (bad >= len && len > 0) {
            rg_fail(err, kind, file, line, column, "%s:%d:%d: unexpected end of JSON text (%s)", file, line,
                    column, why);
        } else if (bad >= len) {
            rg_fail(err, kind, file, line, column, "%s:%d:%d: %s", file, line, column, why);
        } else {
            excerpt(text, len, bad, near, sizeof near);
            rg_fail(err, kind, file, line, column, "%s:%d:%d: JSON syntax error: %s, near '%s'", file,
                    line, column, why, near);
        }
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
        rg_fail(err, kind, file, 0, 0, "%s: duplicate key \"%s\" in a JSON object%s%s%s", file,
                dup->string, parent && parent->string ? " \"" : "",
                parent && parent->string ? parent->string : "", parent && parent->string ? "\"" : "");
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
