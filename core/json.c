/* Strict JSON input on top of cJSON: cJSON parses, this file adds what it lacks
 * (positions, UTF-8 and NUL checks, a depth limit, duplicate keys). */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "json.h"
#include "strbuf.h"
#include "textpos.h"

const char *rg_json_string(const cJSON *obj, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(item) ? item->valuestring : NULL;
}

/* Depth of brackets outside strings, checked on the text before cJSON recurses. */
static size_t depth_overflow(const char *text, size_t len, int max_depth)
{
    int depth = 0, in_string = 0;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (in_string) {
            if (c == '\\') i++;
            else if (c == '"') in_string = 0;
        } else if (c == '"') {
            in_string = 1;
        } else if (c == '[' || c == '{') {
            if (++depth > max_depth) return i;
        } else if (c == ']' || c == '}') {
            depth--;
        }
    }
    return len;
}

static int compare_names(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
    return strcmp(x->string, y->string);
}

/* Find a duplicate key anywhere in ITEM; returns the duplicated member or NULL.
 * PARENT_OUT receives the object holding it. */
static const cJSON *find_duplicate(const cJSON *item, const cJSON **parent_out)
{
    const cJSON *child;
    if (cJSON_IsObject(item)) {
        size_t n = 0, i = 0;
        const cJSON *dup = NULL;
        for (child = item->child; child; child = child->next) n++;
        if (n > 1) {
            const cJSON **names = malloc(n * sizeof *names);
            if (!names) return NULL;
            for (child = item->child; child; child = child->next) names[i++] = child;
            qsort(names, n, sizeof *names, compare_names);
            for (i = 1; i < n && !dup; i++)
                if (strcmp(names[i - 1]->string, names[i]->string) == 0) dup = names[i];
            free(names);
            if (dup) {
                *parent_out = item;
                return dup;
            }
        }
    }
    if (cJSON_IsObject(item) || cJSON_IsArray(item)) {
        for (child = item->child; child; child = child->next) {
            const cJSON *dup = find_duplicate(child, parent_out);
            if (dup) return dup;
        }
    }
    return NULL;
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
    const char *why = NULL, *end = NULL;
    const cJSON *dup, *parent = NULL;
    size_t bad;
    int line, column;
    cJSON *root;

    bad = rg_utf8_check(text, len, &why);
    if (bad < len) {
        rg_text_position(text, len, bad, &line, &column);
        rg_fail(err, kind, file, line, column, "%s:%d:%d: %s in JSON text", file, line, column, why);
        return NULL;
    }
    bad = depth_overflow(text, len, max_depth);
    if (bad < len) {
        rg_text_position(text, len, bad, &line, &column);
        rg_fail(err, kind, file, line, column, "%s:%d:%d: JSON nested deeper than %d levels", file,
                line, column, max_depth);
        return NULL;
    }
    /* Pass the terminating NUL too: cJSON then refuses anything after the value. */
    root = cJSON_ParseWithLengthOpts(text, len + 1, &end, 1);
    if (!root) {
        char near[20];
        size_t off = end && end >= text ? (size_t)(end - text) : len;
        if (off > len) off = len;
        rg_text_position(text, len, off, &line, &column);
        if (off >= len) {
            rg_fail(err, kind, file, line, column, "%s:%d:%d: %s", file, line, column,
                    len == 0 ? "empty document, expected a JSON value" : "unexpected end of JSON text");
        } else {
            excerpt(text, len, off, near, sizeof near);
            rg_fail(err, kind, file, line, column, "%s:%d:%d: JSON syntax error near '%s'", file, line,
                    column, near);
        }
        return NULL;
    }
    dup = find_duplicate(root, &parent);
    if (dup) {
        rg_fail(err, kind, file, 0, 0, "%s: duplicate key \"%s\" in a JSON object%s%s%s", file,
                dup->string, parent && parent->string ? " \"" : "",
                parent && parent->string ? parent->string : "", parent && parent->string ? "\"" : "");
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

/* Two-space indentation through rg_strbuf. */
typedef rg_strbuf pretty_buf;

static void put(pretty_buf *b, const char *s, size_t n)
{
    rg_strbuf_add(b, s, n);
}

static void put_str(pretty_buf *b, const char *s)
{
    rg_strbuf_puts(b, s);
}

static void put_indent(pretty_buf *b, int depth)
{
    static const char spaces[] = "                                ";
    for (int n = depth * 2; n > 0; n -= 32)
        put(b, spaces, n > 32 ? 32 : (size_t)n);
}

/* A scalar through cJSON's printer, which knows JSON's escaping and number rules. */
static void put_scalar(pretty_buf *b, const cJSON *item)
{
    cJSON copy = *item;
    char *text;
    copy.next = copy.prev = NULL;
    copy.string = NULL;
    text = cJSON_PrintUnformatted(&copy);
    if (!text) {
        b->failed = 1;
        return;
    }
    put_str(b, text);
    free(text);
}

static void put_key(pretty_buf *b, const char *key)
{
    cJSON k;
    memset(&k, 0, sizeof k);
    k.type = cJSON_String;
    k.valuestring = (char *)key;
    put_scalar(b, &k);
    put_str(b, ": ");
}

static void put_value(pretty_buf *b, const cJSON *item, int depth)
{
    const cJSON *child;
    int object = cJSON_IsObject(item);
    if (!object && !cJSON_IsArray(item)) {
        put_scalar(b, item);
        return;
    }
    if (!item->child) {
        put_str(b, object ? "{}" : "[]");
        return;
    }
    put_str(b, object ? "{\n" : "[\n");
    for (child = item->child; child; child = child->next) {
        put_indent(b, depth + 1);
        if (object)
            put_key(b, child->string);
        put_value(b, child, depth + 1);
        put_str(b, child->next ? ",\n" : "\n");
    }
    put_indent(b, depth);
    put_str(b, object ? "}" : "]");
}

char *rg_json_print_pretty(const cJSON *item)
{
    pretty_buf b = {0};
    put_value(&b, item, 0);
    put_str(&b, "\n");
    return rg_strbuf_finish(&b);
}
