/* Writing JSON text straight into a buffer (see json_writer.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_writer.h"
#include "untrusted.h"
#include "textpos.h"

void rg_jw_init(rg_jw *w, rg_strbuf *out, int pretty)
{
    w->out = out;
    w->pretty = pretty;
    w->depth = 0;
    w->has_member[0] = 0;
}

static void indent(rg_jw *w)
{
    static const char spaces[] = "                                ";
    rg_strbuf_add(w->out, "\n", 1);
    for (int n = w->depth * 2; n > 0; n -= 32)
        rg_strbuf_add(w->out, spaces, n > 32 ? 32 : (size_t)n);
}

/* Before a value or a key: the separator from the previous member, and the indentation. */
static void before_value(rg_jw *w)
{
    if (w->depth == 0)
        return;
    if (w->has_member[w->depth] == 2) {     /* a key was just written: its value follows */
        w->has_member[w->depth] = 1;
        return;
    }
    if (w->has_member[w->depth])
        rg_strbuf_add(w->out, ",", 1);
    w->has_member[w->depth] = 1;
    if (w->pretty)
        indent(w);
}

static void open_container(rg_jw *w, char bracket)
{
    before_value(w);
    rg_strbuf_add(w->out, &bracket, 1);
    if (w->depth + 1 >= RG_JW_MAX_DEPTH) {
        w->out->failed = 1;
        return;
    }
    w->has_member[++w->depth] = 0;
}

void rg_jw_object(rg_jw *w)
{
    open_container(w, '{');
}

void rg_jw_array(rg_jw *w)
{
    open_container(w, '[');
}

void rg_jw_end(rg_jw *w, int object)
{
    int had = w->has_member[w->depth];
    if (w->depth > 0)
        w->depth--;
    if (had && w->pretty)
        indent(w);
    rg_strbuf_add(w->out, object ? "}" : "]", 1);
}

/* 1 for the bytes a JSON string holds as they are: printable ASCII but quote, backslash
 * and '#' (looked at: see rg_json_put_string). */
static const unsigned char plain[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

/* S as a JSON string literal, escaped like cJSON escapes (quote, backslash, control
 * characters; everything else as it is), in one pass that also replaces every byte
 * that is not well-formed UTF-8 by U+FFFD, as rg_utf8_sanitize() does.  The '#' that
 * starts a CI runner's marker ("##[", "##vso[": read anywhere in a line of a job's log,
 * which is where a decision printed to standard output lands) is written as \u0023:
 * the same string to a JSON reader, no marker in the log. */
void rg_json_put_string(rg_strbuf *out, const char *str)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)str;
    size_t len = strlen(str), i = 0;
    char *p;
    /* The worst case: every byte a six-byte escape. */
    if (rg_strbuf_reserve(out, len * 6 + 2) != 0)
        return;
    p = out->data + out->len;
    *p++ = '"';
    while (i < len) {
        unsigned char c;
        size_t run = i;
        /* The common case: a run of printable ASCII, copied at once. */
        while (run < len && plain[s[run]])
            run++;
        memcpy(p, s + i, run - i);
        p += run - i;
        i = run;
        if (i == len)
            break;
        c = s[i];
        if (c >= 0x80) {
            size_t n = rg_utf8_sequence(s + i, len - i);
            if (n) {
                memcpy(p, s + i, n);
                p += n;
                i += n;
                continue;
            }
            /* The offending lead byte and the continuation bytes after it: one U+FFFD. */
            n = 1;
            while (i + n < len && (s[i + n] & 0xC0) == 0x80 && n < 4)
                n++;
            memcpy(p, "\xEF\xBF\xBD", 3);
            p += 3;
            i += n;
        } else if (c == '#') {
            if (rg_untrusted_marker_at(str + i, len - i)) {
                memcpy(p, "\\u0023", 6);
                p += 6;
            } else {
                *p++ = '#';
            }
            i++;
        } else {
            *p++ = '\\';
            switch (c) {
            case '"': *p++ = '"'; break;
            case '\\': *p++ = '\\'; break;
            case '\b': *p++ = 'b'; break;
            case '\f': *p++ = 'f'; break;
            case '\n': *p++ = 'n'; break;
            case '\r': *p++ = 'r'; break;
            case '\t': *p++ = 't'; break;
            default:
                memcpy(p, "u00", 3);
                p[3] = hex[c >> 4];
                p[4] = hex[c & 15];
                p += 5;
                break;
            }
            i++;
        }
    }
    *p++ = '"';
    *p = '\0';
    out->len = (size_t)(p - out->data);
}

void rg_jw_key(rg_jw *w, const char *key)
{
    before_value(w);
    rg_json_put_string(w->out, key);
    rg_strbuf_add(w->out, w->pretty ? ": " : ":", w->pretty ? 2 : 1);
    w->has_member[w->depth] = 2;
}

void rg_jw_string(rg_jw *w, const char *s)
{
    if (!s) {
        rg_jw_null(w);
        return;
    }
    before_value(w);
    rg_json_put_string(w->out, s);
}

void rg_jw_null(rg_jw *w)
{
    before_value(w);
    rg_strbuf_add(w->out, "null", 4);
}

void rg_jw_bool(rg_jw *w, int value)
{
    before_value(w);
    rg_strbuf_add(w->out, value ? "true" : "false", value ? 4 : 5);
}

/* Decimal digits of V, without printf. */
static size_t format_int(int64_t v, char *buf)
{
    char tmp[24];
    size_t n = 0, len = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        buf[len++] = '-';
    while (n)
        buf[len++] = tmp[--n];
    return len;
}

void rg_jw_int(rg_jw *w, int64_t value)
{
    char buf[24];
    before_value(w);
    rg_strbuf_add(w->out, buf, format_int(value, buf));
}

void rg_jw_number(rg_jw *w, double value)
{
    char buf[32];
    double back;
    int n;
    if (isnan(value) || isinf(value)) {
        rg_jw_null(w);
        return;
    }
    /* Whole numbers below 10^15 print the same through %1.15g: skip printf for them. */
    if (value == floor(value) && fabs(value) < 1e15) {
        rg_jw_int(w, (int64_t)value);
        return;
    }
    before_value(w);
    /* cJSON's rule: 15 significant digits when they read back exactly, else 17. */
    n = snprintf(buf, sizeof buf, "%1.15g", value);
    back = strtod(buf, NULL);
    if (back != value)
        n = snprintf(buf, sizeof buf, "%1.17g", value);
    rg_strbuf_add(w->out, buf, (size_t)n);
}

void rg_jw_millis(rg_jw *w, double ms)
{
    char buf[48];
    size_t len;
    long long us;
    if (!(ms >= 0 && ms < 1e12)) {     /* NaN, negative or absurd: the general path */
        rg_jw_number(w, ms);
        return;
    }
    us = (long long)(ms * 1000.0 + 0.5);
    len = format_int(us / 1000, buf);
    if (us % 1000) {
        int frac = (int)(us % 1000), digits = 3;
        while (frac % 10 == 0) {
            frac /= 10;
            digits--;
        }
        buf[len++] = '.';
        for (int d = digits - 1, f = frac; d >= 0; d--, f /= 10)
            buf[len + (size_t)d] = (char)('0' + f % 10);
        len += (size_t)digits;
    }
    before_value(w);
    rg_strbuf_add(w->out, buf, len);
}

void rg_jw_item(rg_jw *w, const cJSON *item)
{
    const cJSON *child;
    if (!item) {
        rg_jw_null(w);
        return;
    }
    switch (item->type & 0xFF) {
    case cJSON_False: rg_jw_bool(w, 0); break;
    case cJSON_True: rg_jw_bool(w, 1); break;
    case cJSON_NULL: rg_jw_null(w); break;
    case cJSON_Number: rg_jw_number(w, item->valuedouble); break;
    case cJSON_String: rg_jw_string(w, item->valuestring ? item->valuestring : ""); break;
    case cJSON_Raw:
        before_value(w);
        rg_strbuf_puts(w->out, item->valuestring ? item->valuestring : "null");
        break;
    case cJSON_Array:
        rg_jw_array(w);
        for (child = item->child; child; child = child->next)
            rg_jw_item(w, child);
        rg_jw_end(w, 0);
        break;
    case cJSON_Object:
        rg_jw_object(w);
        for (child = item->child; child; child = child->next) {
            rg_jw_key(w, child->string ? child->string : "");
            rg_jw_item(w, child);
        }
        rg_jw_end(w, 1);
        break;
    default: rg_jw_null(w); break;  /* cJSON_Invalid */
    }
}

void rg_jw_raw(rg_jw *w, const char *json, size_t len)
{
    before_value(w);
    rg_strbuf_add(w->out, json, len);
}

void rg_jw_key_string(rg_jw *w, const char *key, const char *s)
{
    rg_jw_key(w, key);
    rg_jw_string(w, s);
}

void rg_jw_key_int(rg_jw *w, const char *key, int64_t value)
{
    rg_jw_key(w, key);
    rg_jw_int(w, value);
}

const char *rg_json_string(const cJSON *obj, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(item) ? item->valuestring : NULL;
}

char *rg_json_print_pretty(const cJSON *item)
{
    rg_strbuf out = {0};
    rg_jw w;
    rg_jw_init(&w, &out, 1);
    rg_jw_item(&w, item);
    rg_strbuf_add(&out, "\n", 1);
    return rg_strbuf_finish(&out);
}
