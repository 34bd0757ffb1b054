/* Link: <https://...?page=2>; rel="next", <...>; rel=last — RFC 8288 section 3:
 *
 *   Link       = #link-value
 *   link-value = "<" URI-Reference ">" *( OWS ";" OWS link-param )
 *   link-param = token BWS [ "=" BWS ( token / quoted-string ) ]
 *
 * rel holds one or more relation types separated by spaces; only its first occurrence in a
 * link-value counts; registered types compare case-insensitively. */
#include <string.h>
#include <strings.h>

#include "link.h"

typedef struct cursor {
    const char *p, *end;
} cursor;

static void skip_ows(cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\r' || *c->p == '\n'))
        c->p++;
}

static int tchar(char ch)   /* RFC 9110 token characters */
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

/* A token or quoted-string (unescaped) into VALUE (SIZE bytes).  0, or -1 when malformed
 * or too long. */
static int param_value(cursor *c, char *value, size_t size)
{
    size_t n = 0;
    if (c->p < c->end && *c->p == '"') {
        for (c->p++; c->p < c->end && *c->p != '"'; c->p++) {
            if (*c->p == '\\' && ++c->p == c->end)
                return -1;
            if (n + 1 >= size)
                return -1;
            value[n++] = *c->p;
        }
        if (c->p == c->end)
            return -1;   /* no closing quote */
        c->p++;
    } else {
        for (; c->p < c->end && tchar(*c->p); c->p++) {
            if (n + 1 >= size)
                return -1;
            value[n++] = *c->p;
        }
        if (n == 0)
            return -1;
    }
    value[n] = '\0';
    return 0;
}

/* Does the space-separated list of relation types RELS hold "next"? */
static int has_next(const char *rels)
{
    while (*rels) {
        size_t n;
        while (*rels == ' ' || *rels == '\t')
            rels++;
        n = strcspn(rels, " \t");
        if (n == 4 && strncasecmp(rels, "next", 4) == 0)
            return 1;
        rels += n;
    }
    return 0;
}

int ci_link_next(const char *v, size_t len, char *out, size_t size)
{
    cursor c = {v, v + len};
    for (;;) {
        const char *uri, *uri_end;
        int rel_seen = 0, next = 0;
        while (c.p < c.end && (*c.p == ',' || *c.p == ' ' || *c.p == '\t' || *c.p == '\r' || *c.p == '\n'))
            c.p++;   /* #rule: empty elements and whitespace between link-values */
        if (c.p == c.end)
            return 0;
        if (*c.p != '<' || !(uri_end = memchr(c.p, '>', (size_t)(c.end - c.p))))
            return -1;
        uri = c.p + 1;
        c.p = uri_end + 1;
        for (;;) {
            char name[32], value[512];
            size_t n = 0;
            skip_ows(&c);
            if (c.p == c.end || *c.p == ',')
                break;
            if (*c.p != ';')
                return -1;
            c.p++;
            skip_ows(&c);
            for (; c.p < c.end && tchar(*c.p); c.p++)
                if (n + 1 < sizeof name)
                    name[n++] = *c.p;
            if (n == 0)
                return -1;
            name[n] = '\0';
            value[0] = '\0';
            skip_ows(&c);
            if (c.p < c.end && *c.p == '=') {
                c.p++;
                skip_ows(&c);
                if (param_value(&c, value, sizeof value) != 0)
                    return -1;
            }
            if (!rel_seen && strcasecmp(name, "rel") == 0) {   /* later rel parameters are ignored */
                rel_seen = 1;
                next = has_next(value);
            }
        }
        if (next) {
            size_t n = (size_t)(uri_end - uri);
            if (n == 0 || n >= size)
                return -1;
            memcpy(out, uri, n);
            out[n] = '\0';
            return 1;
        }
    }
}
