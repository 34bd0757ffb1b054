/* Finding ATX sections in Markdown: just enough CommonMark to tell a heading
 * from a '#hashtag', a code comment inside a fence or an indented line.  (Writing
 * untrusted text into Markdown is in common/markdown_text.c.) */
#include "markdown.h"

#include <stdlib.h>
#include <string.h>

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

/* A setext underline on line [S, E): '=' (level 1) or '-' (level 2) only, up to 3
 * spaces of indentation and trailing blanks.  Returns the level, or 0. */
static int setext_underline(const char *s, const char *e)
{
    const char *p = indent(s, e), *q;
    if (!p || p == e || (*p != '=' && *p != '-'))
        return 0;
    for (q = p; q < e && *q == *p; q++) {}
    while (q < e && isblank_(*q))
        q++;
    return q == e ? (*p == '=' ? 1 : 2) : 0;
}

/* Can line [S, E) be the text of a setext heading?  A plain paragraph line: not blank,
 * not indented code, not a list item, quote, table row or HTML block, which an
 * underline does not turn into a heading (CommonMark reads "- item\n---" as a list and a
 * thematic break).  Narrower than CommonMark (one line of text only): a heading it does
 * not see makes a section missing, which a check reports, never a section found wrongly. */
static int setext_text(const char *s, const char *e)
{
    const char *p = indent(s, e), *q;
    if (!p || p == e || rg_md_is_blank(p, (size_t)(e - p)))
        return 0;
    if (*p == '>' || *p == '<' || *p == '|' || *p == '#')
        return 0;
    if ((*p == '-' || *p == '*' || *p == '+') && (p + 1 == e || isblank_(p[1])))
        return 0;
    for (q = p; q < e && *q >= '0' && *q <= '9'; q++) {}
    if (q > p && q < e && (*q == '.' || *q == ')') && (q + 1 == e || isblank_(q[1])))
        return 0;
    return 1;
}

/* A scan of a document's headings, one after another: what rg_md_each_section walks
 * with, and what it looks ahead with to find where a section's subsections end. */
typedef struct md_scan {
    const char *p, *end;
    int line;
    char fch;                 /* fence char of the open code block, 0 when none */
    size_t flen;
    const char *prev, *prev_e; /* the line before, when it could be a setext heading's text */
} md_scan;

typedef struct md_heading {
    rg_md_section sec;
    const char *start;        /* where the heading's first line starts: the end of what precedes it */
} md_heading;

static void scan_start(md_scan *sc, const char *text, size_t len)
{
    memset(sc, 0, sizeof *sc);
    sc->p = text;
    sc->end = text + len;
}

/* The next heading into H; 0 at the end of the text. */
static int scan_next(md_scan *sc, md_heading *h)
{
    while (sc->p < sc->end) {
        const char *p = sc->p, *nl = memchr(p, '\n', (size_t)(sc->end - p));
        const char *after = nl ? nl + 1 : sc->end;
        const char *e = nl ? nl : sc->end;
        const char *prev = sc->prev, *prev_e = sc->prev_e;
        int level;
        sc->line++;
        sc->p = after;
        sc->prev = NULL;
        if (e > p && e[-1] == '\r') /* CRLF */
            e--;
        if (sc->fch) {
            if (fence_close(p, e, sc->fch, sc->flen))
                sc->fch = 0;
        } else if (fence_open(p, e, &sc->fch, &sc->flen)) {
            /* inside a fence until its closer, or to the end of the text */
        } else if (heading(p, e, &h->sec)) {
            h->sec.line = sc->line;
            h->sec.body = after;
            h->start = p;
            return 1;
        } else if (prev && (level = setext_underline(p, e)) != 0) {
            const char *t = indent(prev, prev_e), *te = prev_e;
            while (te > t && isblank_(te[-1]))
                te--;
            h->sec.level = level;
            h->sec.title = t;
            h->sec.title_len = (size_t)(te - t);
            h->sec.line = sc->line - 1;
            h->sec.body = after;
            h->start = prev;
            return 1;
        } else if (setext_text(p, e)) {
            sc->prev = p;
            sc->prev_e = e;
        }
    }
    return 0;
}

int rg_md_each_section(const char *text, size_t len,
                       int (*fn)(const rg_md_section *section, void *data), void *data)
{
    /* One scan emits the headings; one more per level looks ahead for the next heading
     * of that level or higher, where a section with its subsections ends.  Each scan
     * only moves forward: seven passes at most, whatever the document, and no memory. */
    md_scan walk, ahead[7];
    md_heading cur, next[7];
    int more[7] = {0}, rc;
    if (!text || !fn)
        return 0;
    scan_start(&walk, text, len);
    for (int l = 1; l <= 6; l++) {
        scan_start(&ahead[l], text, len);
        more[l] = -1; /* not started */
    }
    more[0] = scan_next(&walk, &cur);
    while (more[0]) {
        md_heading following;
        md_scan peek = walk;
        int has_following = scan_next(&peek, &following);
        int l = cur.sec.level;
        const char *own_end = has_following ? following.start : text + len;
        /* the next heading after CUR of level L or higher */
        while (more[l] != 0 && (more[l] < 0 || next[l].start <= cur.start || next[l].sec.level > l))
            more[l] = scan_next(&ahead[l], &next[l]);
        cur.sec.body_len = (size_t)(own_end - cur.sec.body);
        cur.sec.tree_len = (size_t)((more[l] ? next[l].start : text + len) - cur.sec.body);
        if ((rc = fn(&cur.sec, data)) != 0)
            return rc;
        walk = peek;
        cur = following;
        more[0] = has_following;
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
