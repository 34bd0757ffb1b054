/* Finding ATX sections in Markdown: just enough CommonMark to tell a heading
 * from a '#hashtag', a code comment inside a fence or an indented line; and writing
 * untrusted text into Markdown so that it renders as what it says. */
#include "markdown.h"

#include <stdlib.h>
#include <string.h>

#include "untrusted.h"

static int isblank_(int c) { return c == ' ' || c == '\t'; }

static int isspace_(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int lower(int c) { return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c; }

/* Skip up to 3 spaces of indentation; NULL when the line is indented 4 columns
 * or more (a tab counts as 4), which makes it indented code, not a block start. */
static const char *indent(const char *p, const char *e)
{
    int n;
    for (n = 0; n < 3 && p < e && *p == ' '; n++)
        p++;
    return (p < e && isblank_(*p)) ? NULL : p;
}

/* Opening code fence on line [S, E): 3+ backticks or tildes.  A backtick fence's
 * info string may not hold a backtick (that is inline code, not a fence). */
static int fence_open(const char *s, const char *e, char *ch, size_t *n)
{
    const char *p = indent(s, e), *q;
    if (!p || p == e || (*p != '`' && *p != '~'))
        return 0;
    for (q = p; q < e && *q == *p; q++) {}
    if (q - p < 3)
        return 0;
    if (*p == '`' && memchr(q, '`', (size_t)(e - q)))
        return 0;
    *ch = *p;
    *n = (size_t)(q - p);
    return 1;
}

/* Closing fence: same char, at least as long as the opener, nothing after it. */
static int fence_close(const char *s, const char *e, char ch, size_t n)
{
    const char *p = indent(s, e), *q;
    if (!p)
        return 0;
    for (q = p; q < e && *q == ch; q++) {}
    if ((size_t)(q - p) < n)
        return 0;
    while (q < e && isblank_(*q))
        q++;
    return q == e;
}

/* ATX heading on line [S, E): fills level and title of SEC. */
static int heading(const char *s, const char *e, rg_md_section *sec)
{
    const char *p = indent(s, e), *q;
    int level = 0;
    if (!p)
        return 0;
    for (; p < e && *p == '#'; p++)
        level++;
    if (level < 1 || level > 6 || (p < e && !isblank_(*p)))
        return 0; /* "#hashtag", "#######" */
    while (p < e && isblank_(*p))
        p++;
    while (e > p && isblank_(e[-1]))
        e--;
    /* Optional closing #s: only when preceded by a blank ("C#" keeps its #),
     * or when they are all there is ("### ###" is an empty heading). */
    for (q = e; q > p && q[-1] == '#'; q--) {}
    if (q == p) {
        e = p;
    } else if (isblank_(q[-1])) {
        for (e = q; e > p && isblank_(e[-1]); e--) {}
    }
    sec->level = level;
    sec->title = p;
    sec->title_len = (size_t)(e - p);
    return 1;
}

int rg_md_each_section(const char *text, size_t len,
                       int (*fn)(const rg_md_section *section, void *data), void *data)
{
    const char *p = text, *end;
    rg_md_section cur, next;
    int have = 0, line = 0, rc;
    char fch = 0; /* fence char of the open code block, 0 when none */
    size_t flen = 0;
    if (!text || !fn)
        return 0;
    end = text + len;
    memset(&cur, 0, sizeof cur);
    memset(&next, 0, sizeof next);
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *after = nl ? nl + 1 : end; /* start of the next line */
        const char *e = nl ? nl : end;
        line++;
        if (e > p && e[-1] == '\r') /* CRLF */
            e--;
        if (fch) {
            if (fence_close(p, e, fch, flen))
                fch = 0;
        } else if (fence_open(p, e, &fch, &flen)) {
            /* inside a fence until its closer, or to the end of the text */
        } else if (heading(p, e, &next)) {
            next.line = line;
            next.body = after;
            if (have) { /* the previous body ends where this heading starts */
                cur.body_len = (size_t)(p - cur.body);
                if ((rc = fn(&cur, data)) != 0)
                    return rc;
            }
            cur = next;
            have = 1;
        }
        p = after;
    }
    if (have) {
        cur.body_len = (size_t)(end - cur.body);
        return fn(&cur, data);
    }
    return 0;
}

/* First "-->" in [P, P+N), or NULL. */
static const char *comment_end(const char *p, size_t n)
{
    size_t i;
    for (i = 0; i + 3 <= n; i++)
        if (p[i] == '-' && p[i + 1] == '-' && p[i + 2] == '>')
            return p + i;
    return NULL;
}

int rg_md_is_blank(const char *text, size_t len)
{
    size_t i = 0;
    while (i < len) {
        if (isspace_(text[i])) {
            i++;
        } else if (len - i >= 4 && memcmp(text + i, "<!--", 4) == 0) {
            const char *c = comment_end(text + i + 4, len - i - 4);
            if (!c)
                return 0; /* unterminated: whatever follows is real text */
            i = (size_t)(c - text) + 3;
        } else {
            return 0;
        }
    }
    return 1;
}

/* Drop surrounding whitespace and trailing ':'s from [*S, *E). */
static void trim(const char **s, const char **e)
{
    while (*s < *e && isspace_(**s))
        (*s)++;
    while (*e > *s && (isspace_((*e)[-1]) || (*e)[-1] == ':'))
        (*e)--;
}

/* What a reader compares: trimmed, without one trailing "(...)".  A title that
 * is nothing but a parenthetical keeps it, so "(none)" does not match "". */
static void normalize(const char **s, const char **e)
{
    trim(s, e);
    if (*e > *s && (*e)[-1] == ')') {
        const char *p = *e;
        int depth = 0;
        while (p > *s) {
            p--;
            if (*p == ')')
                depth++;
            else if (*p == '(' && --depth == 0)
                break;
        }
        if (depth == 0 && p > *s) {
            *e = p;
            trim(s, e);
        }
    }
}

int rg_md_title_matches(const char *title, size_t title_len, const char *wanted)
{
    const char *a = title ? title : "", *ae, *b = wanted, *be;
    if (!wanted || (!title && title_len))
        return 0;
    ae = a + (title ? title_len : 0);
    be = b + strlen(b);
    normalize(&a, &ae);
    normalize(&b, &be);
    while (a < ae && b < be) {
        if (isspace_(*a) && isspace_(*b)) { /* any run is one space */
            while (a < ae && isspace_(*a))
                a++;
            while (b < be && isspace_(*b))
                b++;
            continue;
        }
        if (lower((unsigned char)*a) != lower((unsigned char)*b))
            return 0;
        a++;
        b++;
    }
    return a == ae && b == be;
}

/* ---- Writing untrusted text into Markdown ---------------------------------------- */

static int is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_alnum(int c)
{
    return (c >= '0' && c <= '9') || is_alpha(c);
}

/* ASCII punctuation that means something inline (emphasis, code, links, images, math,
 * strikethrough, escapes, tables); block-level marks (- + . = at a line start) need no
 * escape: our text always starts the line. */
static int is_markdown_punct(int c)
{
    return c && strchr("\\`*_{}[]()#!|~$^", c) != NULL;
}

#define ZWSP "&#8203;"

void rg_md_escape(rg_strbuf *b, const char *s)
{
    rg_strbuf safe = {0};
    const char *p;
    rg_untrusted_puts(&safe, s, RG_BREAKS_SPACE);
    if (safe.failed) {
        b->failed = 1;
        return;
    }
    for (p = safe.data; p && *p; p++) {
        int c = (unsigned char)*p, next = (unsigned char)p[1];
        if (c == '<') {
            rg_strbuf_puts(b, "&lt;");
        } else if (c == '>') {
            rg_strbuf_puts(b, "&gt;");
        } else if (c == '&') {
            rg_strbuf_puts(b, "&amp;");
        } else if (c == '|') {
            rg_strbuf_puts(b, "\\|"); /* a table cell's end; "\\|" is "|" elsewhere too */
        } else if (is_markdown_punct(c)) {
            char esc[3] = {'\\', (char)c, 0};
            rg_strbuf_puts(b, esc);
        } else if ((c == '@' && (is_alnum(next) || next == '_' || next == '-')) ||
                   (c == ':' && (is_alpha(next) || next == '/' || next == '_' || next == '+' || next == '-'))) {
            rg_strbuf_add(b, p, 1); /* @mention, :emoji:, https://, mailto: (not 14:00) */
            rg_strbuf_puts(b, ZWSP);
        } else if ((c | 0x20) == 'w' && (p == safe.data || !is_alnum((unsigned char)p[-1])) &&
                   (next | 0x20) == 'w' && (p[2] | 0x20) == 'w' && p[3] == '.') {
            rg_strbuf_add(b, p, 3); /* www.example.com: a bare link */
            rg_strbuf_puts(b, ZWSP);
            p += 2;
        } else {
            rg_strbuf_add(b, p, 1);
        }
    }
    free(safe.data);
}

void rg_md_code(rg_strbuf *b, const char *s, int in_table)
{
    rg_strbuf safe = {0};
    size_t run = 0, longest = 0;
    int pad;
    rg_untrusted_puts(&safe, s, RG_BREAKS_SPACE);
    if (safe.failed) {
        b->failed = 1;
        return;
    }
    for (size_t i = 0; i < safe.len; i++) {
        run = safe.data[i] == '`' ? run + 1 : 0;
        if (run > longest)
            longest = run;
    }
    /* A space inside the fence when the text starts or ends with a backtick or a space
     * (CommonMark strips one on each side). */
    pad = safe.len && (safe.data[0] == '`' || safe.data[0] == ' ' || safe.data[safe.len - 1] == '`' ||
                       safe.data[safe.len - 1] == ' ');
    for (size_t i = 0; i <= longest; i++)
        rg_strbuf_puts(b, "`");
    if (pad)
        rg_strbuf_puts(b, " ");
    for (size_t i = 0; i < safe.len; i++) {
        if (safe.data[i] == '|' && in_table)
            rg_strbuf_puts(b, "\\|");
        else
            rg_strbuf_add(b, safe.data + i, 1);
    }
    if (pad)
        rg_strbuf_puts(b, " ");
    for (size_t i = 0; i <= longest; i++)
        rg_strbuf_puts(b, "`");
    free(safe.data);
}
