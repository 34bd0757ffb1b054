/* relgate serve: a request body as the worker reads it (serve_body.h).
 *
 * Inline evidence is most of a request (24 KB on average in bench-serve, a SARIF log
 * sent as {"json": ...}): parsed into a cJSON tree, printed back to text to be written as
 * the evidence file, and freed, it cost half of the worker's instructions (callgrind).
 * The body has been checked whole by then (rg_json_check_known: UTF-8, syntax, no NUL, no
 * key twice, depth), so a "json" value's bytes are known to be one strict JSON document:
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

static cJSON *parse(span s)
{
    return cJSON_ParseWithLength(s.p, s.len);
}

/* How a member's value is read: P[I] starts it; *OUT receives it (NULL: out of memory),
 * and the position past it is returned.  Values that are descended into are walked
 * once, by the descent: a SARIF log inside "evidence" is not skipped again at every
 * level above it. */
typedef size_t (*value_reader)(const char *key, const char *p, size_t i, size_t n, const rg_json_known *known,
                               cJSON **out);

static size_t any_value(const char *key, const char *p, size_t i, size_t n, const rg_json_known *known, cJSON **out)
{
    size_t end = skip_value(p, i, n);
    span value = {p + i, end - i};
    (void)key, (void)known;
    *out = parse(value);
    return end;
}

/* The object whose '{' is P[I], each member's value read by READ (given the member's key
 * decoded, and KNOWN), into *OUT (NULL: out of memory); the position past its '}'.  The
 * key is decoded before it is looked at: "\u006Ason" is "json" to every reader, and its
 * value must be read as one's (the evidence's bytes kept, not parsed and printed). */
static size_t object_at(const char *p, size_t i, size_t n, value_reader read, const rg_json_known *known,
                        cJSON **out)
{
    cJSON *obj = cJSON_CreateObject();
    *out = NULL;
    if (!obj)
        return n;
    for (i++;;) {
        span key;
        cJSON *name, *item = NULL;
        int added;
        i = skip_ws(p, i, n);
        if (i < n && p[i] == ',')
            i = skip_ws(p, i + 1, n);
        if (i >= n || p[i] != '"') {
            *out = obj;
            return i < n ? i + 1 : n;   /* past the '}' */
        }
        key.p = p + i;
        i = skip_string(p, i, n);
        key.len = (size_t)(p + i - key.p);
        i = skip_ws(p, skip_ws(p, i, n) + 1, n);   /* past the ':' */
        name = parse(key);
        if (name && cJSON_IsString(name))
            i = read(name->valuestring, p, i, n, known, &item);
        added = name && item && cJSON_IsString(name) && cJSON_AddItemToObject(obj, name->valuestring, item);
        cJSON_Delete(name);
        if (!added) {
            cJSON_Delete(item);
            cJSON_Delete(obj);
            return n;
        }
    }
}

/* An inline evidence entry's member: "json" kept as written. */
static size_t entry_member(const char *key, const char *p, size_t i, size_t n, const rg_json_known *known,
                           cJSON **out)
{
    size_t end;
    char *text;
    if (strcmp(key, RG_SERVE_BODY_KNOWN_KEY) != 0)
        return any_value(key, p, i, n, known, out);
    /* A value the check took as known is exactly the bytes it found (an object or an
     * array ends itself): not walked again. */
    end = known && (p[i] == '{' || p[i] == '[') ? i + known->find(known->ctx, p + i, n - i) : i;
    if (end == i)
        end = skip_value(p, i, n);
    *out = NULL;
    if ((text = malloc(end - i + 1)) != NULL) {
        memcpy(text, p + i, end - i);
        text[end - i] = '\0';
        *out = cJSON_CreateRaw(text);
        free(text);
    }
    return end;
}

/* An inline evidence entry: {"json": ...} and the others, or whatever it is (the worker
 * says what is wrong with it). */
static size_t evidence_entry(const char *key, const char *p, size_t i, size_t n, const rg_json_known *known,
                             cJSON **out)
{
    return p[i] == '{' ? object_at(p, i, n, entry_member, known, out) : any_value(key, p, i, n, known, out);
}

static size_t exact_value(const char *key, const char *p, size_t i, size_t n, const rg_json_known *known,
                          cJSON **out);

/* The array whose '[' is P[I], each item read by exact_value, into *OUT (NULL: out of
 * memory); the position past its ']'. */
static size_t exact_array(const char *p, size_t i, size_t n, const rg_json_known *known, cJSON **out)
{
    cJSON *arr = cJSON_CreateArray();
    *out = NULL;
    if (!arr)
        return n;
    for (i++;;) {
        cJSON *item = NULL;
        i = skip_ws(p, i, n);
        if (i < n && p[i] == ',')
            i = skip_ws(p, i + 1, n);
        if (i >= n || p[i] == ']') {
            *out = arr;
            return i < n ? i + 1 : n;
        }
        i = exact_value(NULL, p, i, n, known, &item);
        if (!item || !cJSON_AddItemToArray(arr, item)) {
            cJSON_Delete(item);
            cJSON_Delete(arr);
            return n;
        }
    }
}

/* A value of the context, every number in it kept as the bytes the request holds (a raw
 * node): the worker prints the context again for the engine, and cJSON would print a
 * number from its double -- 1e400 as null, 9007199254740993 as 9007199254740990,
 * 1.0000000000000002 as 1 -- so that the service decided on another context than relgate
 * eval reads from the same bytes (a number too large to be a count read as absent: a
 * requirement skipped, allow). */
static size_t exact_value(const char *key, const char *p, size_t i, size_t n, const rg_json_known *known,
                          cJSON **out)
{
    if (p[i] == '{')
        return object_at(p, i, n, exact_value, known, out);
    if (p[i] == '[')
        return exact_array(p, i, n, known, out);
    if (p[i] == '-' || (p[i] >= '0' && p[i] <= '9')) {
        size_t end = skip_value(p, i, n);
        char *text = malloc(end - i + 1);
        *out = NULL;
        if (text) {
            memcpy(text, p + i, end - i);
            text[end - i] = '\0';
            *out = cJSON_CreateRaw(text);
            free(text);
        }
        return end;
    }
    return any_value(key, p, i, n, known, out);
}

/* A member of the body: "evidence" entry by entry, "context" with its numbers exact. */
static size_t body_member(const char *key, const char *p, size_t i, size_t n, const rg_json_known *known,
                          cJSON **out)
{
    if (strcmp(key, "evidence") == 0 && p[i] == '{')
        return object_at(p, i, n, evidence_entry, known, out);
    if (strcmp(key, "context") == 0 && p[i] == '{')
        return exact_value(key, p, i, n, known, out);
    return any_value(key, p, i, n, known, out);
}

cJSON *rg_serve_body_parse(const char *body, size_t len, const rg_json_known *known)
{
    cJSON *doc;
    size_t i = skip_ws(body, 0, len);
    if (i == len || body[i] != '{')
        return cJSON_ParseWithLength(body, len);   /* not an object: the worker says so */
    object_at(body, i, len, body_member, known, &doc);
    return doc;
}
