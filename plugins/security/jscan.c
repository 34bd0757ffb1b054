/* A JSON structure scanner: strict RFC 8259 syntax, iterative (no recursion, so no
 * nesting can exhaust the stack), values handed to cJSON one at a time.
 *
 * The reader of the reports held whole under the cap (Trivy, Grype, GitLab); SARIF
 * streams through yajl instead (sarif.c).  Two strategies on purpose: these readers
 * need random access (format-deciding members may follow the arrays they govern),
 * which a buffer gives for free and yajl's callbacks would not (README.md, "Why two
 * readers"). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "jscan.h"
#include "json_member.h"

void js_init(jdoc *d, const char *s, size_t len, char *why, size_t why_size)
{
    d->s = s;
    d->len = len;
    d->why = why;
    d->why_size = why_size;
    if (why_size)
        why[0] = '\0';
}

int js_fail(jdoc *d, size_t at, const char *fmt, ...)
{
    va_list ap;
    size_t line = 1, col = 1, n;
    if (!d->why_size)
        return -1;
    for (size_t i = 0; i < at && i < d->len; i++) {
        if (d->s[i] == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    va_start(ap, fmt);
    vsnprintf(d->why, d->why_size, fmt, ap);
    va_end(ap);
    n = strlen(d->why);
    if (n < d->why_size)
        snprintf(d->why + n, d->why_size - n, " at line %zu, column %zu", line, col);
    return -1;
}

static size_t blank(const unsigned char *s, size_t n, size_t i)
{
    while (i < n && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t'))
        i++;
    return i;
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* The string starting at *POS (its quote): valid escapes, no raw control characters. */
static int skip_string(jdoc *d, size_t *pos)
{
    const unsigned char *s = (const unsigned char *)d->s;
    size_t n = d->len, i = *pos + 1;
    for (;;) {
        unsigned char c;
        if (i >= n)
            return js_fail(d, *pos, "unterminated string");
        c = s[i];
        if (c == '"') {
            *pos = i + 1;
            return 0;
        }
        if (c == '\\') {
            if (i + 1 >= n)
                return js_fail(d, *pos, "unterminated string");
            c = s[i + 1];
            if (c == 'u') {
                for (int k = 2; k < 6; k++)
                    if (i + k >= n || hexval(s[i + k]) < 0)
                        return js_fail(d, i, "bad \\u escape in a string");
                i += 6;
            } else if (c == '"' || c == '\\' || c == '/' || c == 'b' || c == 'f' || c == 'n' ||
                       c == 'r' || c == 't') {
                i += 2;
            } else {
                return js_fail(d, i, "bad escape in a string");
            }
            continue;
        }
        if (c < 0x20)
            return js_fail(d, i, "control character in a string");
        i++;
    }
}

static int skip_number(jdoc *d, size_t *pos)
{
    const unsigned char *s = (const unsigned char *)d->s;
    size_t n = d->len, i = *pos, digits;
    if (i < n && s[i] == '-')
        i++;
    if (i < n && s[i] == '0') {
        i++;
    } else if (i < n && s[i] >= '1' && s[i] <= '9') {
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    } else {
        return js_fail(d, *pos, "bad number");
    }
    if (i < n && s[i] == '.') {
        for (i++, digits = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++)
            digits++;
        if (!digits)
            return js_fail(d, *pos, "bad number");
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        for (digits = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++)
            digits++;
        if (!digits)
            return js_fail(d, *pos, "bad number");
    }
    *pos = i;
    return 0;
}

static int skip_literal(jdoc *d, size_t *pos, const char *word)
{
    size_t k = strlen(word);
    if (d->len - *pos < k || memcmp(d->s + *pos, word, k) != 0)
        return js_fail(d, *pos, "unexpected character '%c'", d->s[*pos]);
    *pos += k;
    return 0;
}

static char type_of(unsigned char c)
{
    switch (c) {
    case '{': case '[': case '"': case 't': case 'f': case 'n': return (char)c;
    default: return '0';
    }
}

int js_value(jdoc *d, size_t *pos, jval *v)
{
    const unsigned char *s = (const unsigned char *)d->s;
    size_t n = d->len, i = blank(s, n, *pos);
    char close[JS_MAX_DEPTH];
    int depth = 0;

    if (i >= n)
        return js_fail(d, i, "expected a value, found the end of the document");
    v->at = i;
    v->type = type_of(s[i]);
value:
    i = blank(s, n, i);
    if (i >= n)
        return js_fail(d, i, "unexpected end of the document");
    switch (s[i]) {
    case '{':
    case '[':
        if (depth == JS_MAX_DEPTH)
            return js_fail(d, i, "nested deeper than %d levels", JS_MAX_DEPTH);
        close[depth++] = s[i] == '{' ? '}' : ']';
        i = blank(s, n, i + 1);
        if (i < n && (unsigned char)close[depth - 1] == s[i]) {
            i++;
            depth--;
            goto after;
        }
        if (close[depth - 1] == ']')
            goto value;
        goto key;
    case '"':
        if (skip_string(d, &i) != 0)
            return -1;
        goto after;
    case 't':
        if (skip_literal(d, &i, "true") != 0)
            return -1;
        goto after;
    case 'f':
        if (skip_literal(d, &i, "false") != 0)
            return -1;
        goto after;
    case 'n':
        if (skip_literal(d, &i, "null") != 0)
            return -1;
        goto after;
    default:
        if (s[i] != '-' && (s[i] < '0' || s[i] > '9')) {
            if (s[i] >= 0x20 && s[i] < 0x7f)
                return js_fail(d, i, "unexpected character '%c'", s[i]);
            return js_fail(d, i, "unexpected byte 0x%02x", s[i]);
        }
        if (skip_number(d, &i) != 0)
            return -1;
        goto after;
    }
key:
    i = blank(s, n, i);
    if (i >= n || s[i] != '"')
        return js_fail(d, i, "expected a member name in double quotes");
    if (skip_string(d, &i) != 0)
        return -1;
    i = blank(s, n, i);
    if (i >= n || s[i] != ':')
        return js_fail(d, i, "expected ':' after a member name");
    i++;
    goto value;
after:
    if (depth == 0) {
        v->end = i;
        *pos = i;
        return 0;
    }
    i = blank(s, n, i);
    if (i >= n)
        return js_fail(d, i, "unexpected end of the document (an unclosed '%c')",
                       close[depth - 1] == '}' ? '{' : '[');
    if (s[i] == ',') {
        i++;
        if (close[depth - 1] == '}')
            goto key;
        goto value;
    }
    if (s[i] == (unsigned char)close[depth - 1]) {
        i++;
        depth--;
        goto after;
    }
    return js_fail(d, i, "expected ',' or '%c'", close[depth - 1]);
}

int js_root(jdoc *d, jval *v)
{
    size_t pos = 0;
    if (d->len >= 3 && memcmp(d->s, "\xEF\xBB\xBF", 3) == 0)
        pos = 3;
    if (js_value(d, &pos, v) != 0)
        return -1;
    pos = blank((const unsigned char *)d->s, d->len, pos);
    if (pos < d->len)
        return js_fail(d, pos, "more data after the JSON document");
    return 0;
}

void js_open(jdoc *d, const jval *v, jiter *it)
{
    it->d = d;
    it->pos = v->at + 1;
    it->end = v->end - 1; /* the closing bracket */
    it->type = v->type;
    it->count = 0;
}

/* Append code point CP as UTF-8 to BUF at *K, when it fits (SIZE counts the NUL). */
static int put_utf8(char *buf, size_t size, size_t *k, unsigned long cp)
{
    unsigned char b[4];
    size_t m;
    if (cp < 0x80) { b[0] = (unsigned char)cp; m = 1; }
    else if (cp < 0x800) { b[0] = (unsigned char)(0xC0 | (cp >> 6)); b[1] = (unsigned char)(0x80 | (cp & 0x3F)); m = 2; }
    else if (cp < 0x10000) { b[0] = (unsigned char)(0xE0 | (cp >> 12)); b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
                             b[2] = (unsigned char)(0x80 | (cp & 0x3F)); m = 3; }
    else { b[0] = (unsigned char)(0xF0 | (cp >> 18)); b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
           b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F)); b[3] = (unsigned char)(0x80 | (cp & 0x3F)); m = 4; }
    if (*k + m >= size)
        return -1;
    memcpy(buf + *k, b, m);
    *k += m;
    return 0;
}

/* Decode the (already validated) string at AT into BUF.  Returns 0, or -1 when it was
 * cut short. */
static int decode(const char *text, size_t at, char *buf, size_t size)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = at + 1, k = 0;
    int cut = 0;
    while (s[i] != '"') {
        unsigned long cp;
        if (s[i] != '\\') {
            if (k + 1 < size)
                buf[k++] = (char)s[i];
            else
                cut = 1;
            i++;
            continue;
        }
        switch (s[i + 1]) {
        case 'b': cp = '\b'; break;
        case 'f': cp = '\f'; break;
        case 'n': cp = '\n'; break;
        case 'r': cp = '\r'; break;
        case 't': cp = '\t'; break;
        case 'u':
            cp = (unsigned long)(hexval(s[i + 2]) << 12 | hexval(s[i + 3]) << 8 |
                                 hexval(s[i + 4]) << 4 | hexval(s[i + 5]));
            if (cp >= 0xD800 && cp < 0xDC00 && s[i + 6] == '\\' && s[i + 7] == 'u') {
                int h[4];
                for (int j = 0; j < 4; j++)
                    h[j] = hexval(s[i + 8 + j]);
                if (h[0] >= 0 && h[1] >= 0 && h[2] >= 0 && h[3] >= 0) {
                    unsigned long lo = (unsigned long)(h[0] << 12 | h[1] << 8 | h[2] << 4 | h[3]);
                    if (lo >= 0xDC00 && lo < 0xE000) {
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                        i += 6;
                    }
                }
            }
            if (cp >= 0xD800 && cp < 0xE000)
                cp = 0xFFFD; /* a lone surrogate */
            i += 4;
            break;
        default: cp = s[i + 1]; break; /* " \ / */
        }
        i += 2;
        if (cp == 0)
            cp = 0xFFFD; /* keep the result a C string */
        if (put_utf8(buf, size, &k, cp) != 0)
            cut = 1;
    }
    if (size)
        buf[k] = '\0';
    return cut ? -1 : 0;
}

int js_next(jiter *it, char *key, jval *v)
{
    jdoc *d = it->d;
    const unsigned char *s = (const unsigned char *)d->s;
    size_t i = blank(s, d->len, it->pos);

    if (i >= it->end)
        return 0;
    if (it->count > 0) {
        if (s[i] != ',')
            return js_fail(d, i, "expected ','");
        i = blank(s, d->len, i + 1);
    }
    if (it->type == '{') {
        size_t at = i;
        if (s[i] != '"' || skip_string(d, &i) != 0)
            return js_fail(d, at, "expected a member name");
        if (key && decode(d->s, at, key, JS_KEY_MAX) != 0)
            key[0] = '\0';
        i = blank(s, d->len, i);
        if (i >= d->len || s[i] != ':')
            return js_fail(d, i, "expected ':'");
        i++;
    } else if (key) {
        key[0] = '\0';
    }
    if (js_value(d, &i, v) != 0)
        return -1;
    it->pos = i;
    it->count++;
    return 1;
}

cJSON *js_parse(jdoc *d, const jval *v)
{
    cJSON *j = cJSON_ParseWithLength(d->s + v->at, v->end - v->at);
    const cJSON *dup;
    if (!j) {
        js_fail(d, v->at, "cannot load the value (out of memory, or nested too deeply)");
        return NULL;
    }
    if ((dup = rg_json_duplicate(j, NULL))) {   /* the one rule: a key given twice is refused */
        js_fail(d, v->at, "the member \"%.60s\" appears twice", dup->string);
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}

int js_string(jdoc *d, const jval *v, char *buf, size_t size)
{
    if (v->type != '"') {
        if (size)
            buf[0] = '\0';
        return -1;
    }
    decode(d->s, v->at, buf, size);
    return 0;
}
