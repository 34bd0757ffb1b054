/* A growing string buffer for renderers. */
#ifndef RG_STRBUF_H
#define RG_STRBUF_H

#include <stddef.h>

#include "error.h"

typedef struct rg_strbuf {
    char *data;      /* NUL-terminated while not failed */
    size_t len, cap;
    int failed;      /* out of memory: every later call is a no-op */
} rg_strbuf;

/* Room for EXTRA more bytes and the NUL; -1 (and B failed) when out of memory. */
int rg_strbuf_reserve(rg_strbuf *b, size_t extra);

void rg_strbuf_add(rg_strbuf *b, const char *s, size_t n);
void rg_strbuf_puts(rg_strbuf *b, const char *s);
void rg_strbuf_printf(rg_strbuf *b, const char *fmt, ...) RG_PRINTF(2, 3);

/* Append S as XML 1.0 text (ATTRIBUTE 0) or attribute content (1): rg_untrusted_xml
 * (untrusted.h), so characters XML cannot hold and control sequences never get in. */
void rg_strbuf_xml(rg_strbuf *b, const char *s, int attribute);

/* Hand over the text (caller frees), or NULL when out of memory; B is emptied. */
char *rg_strbuf_finish(rg_strbuf *b);

#endif
