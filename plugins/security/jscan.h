/* A JSON structure scanner over one buffer: it validates and skips values without
 * building them, walks the members of an object or the elements of an array one at a
 * time, and hands single values to cJSON.  A report of many megabytes is then never a
 * tree in memory as a whole: only the element being looked at is.  Private to the
 * security plugin. */
#ifndef SECURITY_JSCAN_H
#define SECURITY_JSCAN_H

#include <stddef.h>

#include <cjson/cJSON.h>

#define JS_MAX_DEPTH 512   /* nesting accepted by the scanner (cJSON allows 1000) */
#define JS_KEY_MAX 64      /* longer keys read as "": no key we look for is that long */

/* A document: the text, and where an error message goes. */
typedef struct jdoc {
    const char *s;
    size_t len;
    char *why;
    size_t why_size;
} jdoc;

/* A value in the document: its first byte, one past its last, and its kind:
 * '{', '[', '"', '0' (number), 't', 'f', 'n'. */
typedef struct jval {
    size_t at, end;
    char type;
} jval;

/* Members of an object or elements of an array, in document order. */
typedef struct jiter {
    jdoc *d;
    size_t pos, end;
    char type;
    int count;
} jiter;

/* Set D over S (LEN bytes) with WHY (WHY_SIZE bytes) for messages. */
void js_init(jdoc *d, const char *s, size_t len, char *why, size_t why_size);

/* Skip blanks from *POS and read one whole value into V; *POS ends past it.  Returns 0,
 * or -1 with a message naming line and column. */
int js_value(jdoc *d, size_t *pos, jval *v);

/* Read the document's one top-level value (after an optional UTF-8 byte order mark)
 * into V and refuse anything but blanks after it.  Returns 0 or -1. */
int js_root(jdoc *d, jval *v);

/* Start walking V, an object or an array. */
void js_open(jdoc *d, const jval *v, jiter *it);

/* The next member (KEY receives the decoded name, "" when longer than JS_KEY_MAX - 1
 * bytes or not plain) or element (KEY may be NULL).  Returns 1, 0 past the last, or
 * -1 with a message. */
int js_next(jiter *it, char *key, jval *v);

/* V as a cJSON tree (the caller frees it with cJSON_Delete), or NULL with a message
 * (out of memory, or nested deeper than cJSON allows). */
cJSON *js_parse(jdoc *d, const jval *v);

/* Decode string value V into BUF (SIZE bytes, NUL-terminated, cut short when it does
 * not fit).  Returns 0, or -1 when V is not a string. */
int js_string(jdoc *d, const jval *v, char *buf, size_t size);

/* Write "FMT at line L, column C" (AT, a byte offset) into the message; returns -1. */
int js_fail(jdoc *d, size_t at, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#endif
