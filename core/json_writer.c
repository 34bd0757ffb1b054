/* Writing JSON text straight into a buffer (see json_writer.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_writer.h"
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

/* Copy a run of bytes that need no escaping. */
static void put_run(rg_strbuf *out, const char *s, size_t n)
{
    if (n)
        rg_strbuf_add(out, s, n);
}

/* S (well-formed UTF-8, LEN bytes) escaped like cJSON: quote, backslash and control
 * characters; everything else as it is. */
static void put_escaped(rg_strbuf *out, const char *s, size_t len)
{
    size_t run = 0;
    rg_strbuf_add(out, "\"", 1);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[8];
        size_t n = 2;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        put_run(out, s + run, i - run);
        run = i + 1;
        esc[0] = '\\';
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default: n = (size_t)snprintf(esc, sizeof esc, "\\u%04x", c); break;
        }
        rg_strbuf_add(out, esc, n);
    }
    put_run(out, s + run, len - run);
    rg_strbuf_add(out, "\"", 1);
}

void rg_json_put_string(rg_strbuf *out, const char *s)
{
    size_t len = strlen(s);
    char *clean;
    if (rg_utf8_check(s, len, NULL) == len) {
        put_escaped(out, s, len);
        return;
    }
    clean = rg_utf8_sanitize(s, len);
    if (!clean) {
        out->failed = 1;
        return;
    }
    put_escaped(out, clean, strlen(clean));
    free(clean);
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
