/* Growing string buffers. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "untrusted.h"

int rg_strbuf_reserve(rg_strbuf *b, size_t extra)
{
    size_t cap;
    char *grown;
    if (b->failed)
        return -1;
    if (b->len + extra + 1 <= b->cap)
        return 0;
    cap = b->cap ? b->cap : 1024;
    while (cap < b->len + extra + 1) cap *= 2;
    grown = realloc(b->data, cap);
    if (!grown) {
        b->failed = 1;
        return -1;
    }
    b->data = grown;
    b->cap = cap;
    return 0;
}

void rg_strbuf_add(rg_strbuf *b, const char *s, size_t n)
{
    if (rg_strbuf_reserve(b, n) != 0)
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void rg_strbuf_puts(rg_strbuf *b, const char *s)
{
    rg_strbuf_add(b, s, strlen(s));
}

void rg_strbuf_printf(rg_strbuf *b, const char *fmt, ...)
{
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || rg_strbuf_reserve(b, (size_t)n) != 0) {
        b->failed = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

char *rg_strbuf_finish(rg_strbuf *b)
{
    char *out = b->failed ? NULL : b->data;
    if (b->failed)
        free(b->data);
    if (out == NULL && !b->failed)
        out = calloc(1, 1);
    memset(b, 0, sizeof *b);
    return out;
}

/* One XML escaper for both JUnit writers (eval's and relgate test's): untrusted.c's,
 * which also keeps control sequences and CI markers out of the report. */
void rg_strbuf_xml(rg_strbuf *b, const char *s, int attribute)
{
    rg_untrusted_xml(b, s, attribute);
}

