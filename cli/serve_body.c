/* relgate serve: a request body as the worker reads it (serve_body.h).
 *
 * Inline evidence is most of a request (24 KB on average in bench-serve, a SARIF log
 * sent as {"json": ...}): parsed into a cJSON tree, printed back to text to be written as
 * the evidence file, and freed, it cost half of the worker's instructions (callgrind).
 * The body has been checked whole by then (rg_json_check: UTF-8, syntax, no NUL, no key
 * twice, depth), so a "json" value's bytes are known to be one strict JSON document:
 * they are taken as they are, and only the rest of the body (the context, the stage...,
 * the evidence's names) goes through cJSON.  The walk below relies on that check: it
 * only skips over values, it does not validate them. */
#include <stdlib.h>
#include <string.h>

#include "serve_body.h"

typedef struct span {
    const char *p;
    size_t len;
} span;

static size_t skip_ws(const char *p, size_t i, size_t n)
{
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
        i++;
    return i;
}

/* Past the string that opens at I: its closing quote is the first '"' not escaped
 * (after an even run of backslashes).  memchr, not a loop over every byte: most of a
 * SARIF log's bytes are in strings. */
static size_t skip_string(const char *p, size_t i, size_t n)
{
    for (i++; i < n;) {
        const char *q = memchr(p + i, '"', n - i);
        size_t j, k;
        if (!q)
            return n;
        j = (size_t)(q - p);
        for (k = j; k > i && p[k - 1] == '\\'; k--)
            ;
        if ((j - k) % 2 == 0)
            return j + 1;
        i = j + 1;
    }
    return n;
}

/* Past the value that starts at I. */
static size_t skip_value(const char *p, size_t i, size_t n)
{
    int depth = 0;
    if (p[i] == '"')
        return skip_string(p, i, n);
    if (p[i] != '{' && p[i] != '[') {   /* a number, true, false, null */
        while (i < n && p[i] != ',' && p[i] != '}' && p[i] != ']' && p[i] != ' ' && p[i] != '\t' &&
               p[i] != '\n' && p[i] != '\r')
            i++;
        return i;
    }
    while (i < n) {
        char c = p[i];
        if (c == '"') {
            i = skip_string(p, i, n);
            continue;
        }
        if (c == '{' || c == '[') {
            depth++;
        } else if ((c == '}' || c == ']') && --depth == 0) {
            return i + 1;
        }
        i++;
    }
    return i;
}

/* The next member of the object OBJ (its '{' at OBJ.p[0]) from *AT (0 at first): its key
 * (the string with its quotes) and its value.  1, or 0 past the last. */
static int next_member(span obj, size_t *at, span *key, span *value)
{
    size_t i = *at ? *at : 1;
    i = skip_ws(obj.p, i, obj.len);
    if (i < obj.len && obj.p[i] == ',')
        i = skip_ws(obj.p, i + 1, obj.len);
    if (i >= obj.len || obj.p[i] != '"')
        return 0;
    key->p = obj.p + i;
    i = skip_string(obj.p, i, obj.len);
    key->len = (size_t)(obj.p + i - key->p);
    i = skip_ws(obj.p, i, obj.len) + 1;   /* the ':' */
    i = skip_ws(obj.p, i, obj.len);
    value->p = obj.p + i;
    i = skip_value(obj.p, i, obj.len);
    value->len = (size_t)(obj.p + i - value->p);
    *at = i;
    return 1;
}

static cJSON *parse(span s)
{
    return cJSON_ParseWithLength(s.p, s.len);
}

/* The object OBJ with each member parsed by READ (NULL: cJSON), or NULL. */
static cJSON *object_of(span obj, cJSON *(*read)(span key, span value))
{
    cJSON *out = cJSON_CreateObject();
    span key, value;
    size_t at = 0;
    if (!out)
        return NULL;
    while (next_member(obj, &at, &key, &value)) {
        cJSON *name = parse(key), *item = read ? read(key, value) : parse(value);
        int added = name && item && cJSON_IsString(name) && cJSON_AddItemToObject(out, name->valuestring, item);
        cJSON_Delete(name);
        if (!added) {
            cJSON_Delete(item);
            cJSON_Delete(out);
            return NULL;
        }
    }
    return out;
}

/* An inline evidence entry's member: "json" kept as written. */
static cJSON *entry_member(span key, span value)
{
    cJSON *raw;
    char *text;
    if (key.len != 6 || memcmp(key.p, "\"json\"", 6) != 0)
        return parse(value);
    if (!(text = malloc(value.len + 1)))
        return NULL;
    memcpy(text, value.p, value.len);
    text[value.len] = '\0';
    raw = cJSON_CreateRaw(text);
    free(text);
    return raw;
}

/* An inline evidence entry: {"json": ...} and the others, or whatever it is (the worker
 * says what is wrong with it). */
static cJSON *evidence_entry(span key, span value)
{
    (void)key;
    return value.p[0] == '{' ? object_of(value, entry_member) : parse(value);
}

/* A member of the body: "evidence" entry by entry. */
static cJSON *body_member(span key, span value)
{
    if (key.len == 10 && memcmp(key.p, "\"evidence\"", 10) == 0 && value.p[0] == '{')
        return object_of(value, evidence_entry);
    return parse(value);
}

cJSON *rg_serve_body_parse(const char *body, size_t len)
{
    span whole;
    size_t i = skip_ws(body, 0, len);
    whole.p = body + i;
    whole.len = len - i;
    if (whole.len == 0 || whole.p[0] != '{')
        return cJSON_ParseWithLength(body, len);   /* not an object: the worker says so */
    return object_of(whole, body_member);
}
