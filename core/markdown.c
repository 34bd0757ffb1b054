/* Finding ATX sections in Markdown: just enough CommonMark to tell a heading
 * from a '#hashtag', a code comment inside a fence or an indented line.  (Writing
 * untrusted text into Markdown is in common/markdown_text.c.) */
#include "markdown.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "textpos.h"

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
 * thematic break).  Narrower than CommonMark: a paragraph holding any other line is no
 * heading's text.  A heading it does not see makes a section missing, which a check
 * reports, never a section found wrongly. */
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

/* A thematic break on line [S, E): three or more '-', '*' or '_', blanks between. */
static int thematic_break(const char *s, const char *e)
{
    const char *p = indent(s, e);
    int n = 0;
    char c;
    if (!p || p == e || (*p != '-' && *p != '*' && *p != '_'))
        return 0;
    for (c = *p; p < e; p++) {
        if (*p == c)
            n++;
        else if (!isblank_(*p))
            return 0;
    }
    return n >= 3;
}

static int only_blanks(const char *p, const char *e)
{
    while (p < e && isblank_(*p))
        p++;
    return p == e;
}

/* Where the content of line [S, E) starts behind block-quote markers ('>') and list-item
 * markers ("- ", "* ", "+ ", "1. ", "1) "); NULL when that content is indented code.
 * *CONTAINER tells the outermost container: 0 none, -1 a quote, else a list item and the
 * column (in bytes, never more than in columns) where its content starts.  Used to find
 * code fences and HTML blocks opened inside a quote or list item, which end with it (see
 * still_inside). */
static const char *inner(const char *s, const char *e, int *container)
{
    const char *p = indent(s, e), *q;
    *container = 0;
    while (p && p < e) {
        int quote = *p == '>';
        if (quote) {
            q = p + 1;
        } else if ((*p == '-' || *p == '*' || *p == '+') && p + 1 < e && isblank_(p[1])) {
            q = p + 1;
        } else {
            for (q = p; q < e && q - p < 9 && *q >= '0' && *q <= '9'; q++) {}
            if (q == p || q + 1 >= e || (*q != '.' && *q != ')') || !isblank_(q[1]))
                break;
            q++;
        }
        if (q < e && isblank_(*q))
            q++;
        p = indent(q, e);
        if (!*container)
            *container = quote ? -1 : (int)((p ? p : q) - s);
    }
    return p;
}

/* Does line [S, E) still belong to the container an open block began in (CONTAINER as
 * inner gives it)?  A quote goes on while its lines start with '>' (a blank line ends it),
 * a list item while its lines are blank or indented to its content (a tab as 4 columns).
 * Only the outermost container is followed: a block may run on past an inner one's end,
 * which can hide a heading, never show one that is not there. */
static int still_inside(const char *s, const char *e, int container)
{
    const char *p;
    int col = 0;
    if (container < 0)
        return (p = indent(s, e)) == NULL || (p < e && *p == '>');
    for (p = s; p < e && isblank_(*p); p++)
        col += *p == '\t' ? 4 : 1;
    return p == e || col >= container;
}

/* Can the container line [S, E) interrupt a paragraph: a quote, or a list item that is not
 * empty and, when ordered, starts at 1?  ("2. x" and "-" go on with the paragraph.) */
static int interrupts(const char *s, const char *e)
{
    const char *p = indent(s, e), *q;
    if (!p || p == e)
        return 0;
    if (*p == '>')
        return 1;
    if (*p == '-' || *p == '*' || *p == '+')
        q = p + 1;
    else if (*p == '1' && p + 1 < e && (p[1] == '.' || p[1] == ')'))
        q = p + 2;
    else
        return 0;
    return !only_blanks(q, e);
}

/* ASCII case-insensitive: does [P, E) start with the lower-case WORD? */
static int starts_with(const char *p, const char *e, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(e - p) < n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)p[i]) != word[i])
            return 0;
    return 1;
}

static int is_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static int is_digit(int c) { return c >= '0' && c <= '9'; }

/* End of a tag name at P: after the letter, letters, digits and '-'. */
static const char *tag_name(const char *p, const char *e)
{
    if (p == e || !is_alpha((unsigned char)*p))
        return NULL;
    while (p < e && (is_alpha((unsigned char)*p) || is_digit((unsigned char)*p) || *p == '-'))
        p++;
    return p;
}

/* Is [P, Q) one of the NULL-terminated lower-case NAMES? */
static int name_in(const char *p, const char *q, const char *const *names)
{
    for (; *names; names++)
        if (strlen(*names) == (size_t)(q - p) && starts_with(p, q, *names))
            return 1;
    return 0;
}

/* CommonMark's HTML block start conditions 1 (pre, script, style, textarea), 6 (the block
 * tags: CommonMark 0.30's list with 0.31's "search") and 7 (any other complete tag). */
static const char *const raw_tags[] = {"pre", "script", "style", "textarea", NULL};
static const char *const block_tags[] = {
    "address", "article", "aside", "base", "basefont", "blockquote", "body", "caption", "center", "col",
    "colgroup", "dd", "details", "dialog", "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure",
    "footer", "form", "frame", "frameset", "h1", "h2", "h3", "h4", "h5", "h6", "head", "header", "hr",
    "html", "iframe", "legend", "li", "link", "main", "menu", "menuitem", "nav", "noframes", "ol",
    "optgroup", "option", "p", "param", "search", "section", "source", "summary", "table", "tbody", "td",
    "tfoot", "th", "thead", "title", "tr", "track", "ul", NULL};

/* After the attributes of an open tag at P: NULL when they are not well formed. */
static const char *attributes(const char *p, const char *e)
{
    for (;;) {
        const char *q = p;
        while (q < e && isblank_(*q))
            q++;
        if (q == p || q == e || !(is_alpha((unsigned char)*q) || *q == '_' || *q == ':'))
            return q; /* no attribute follows (an attribute needs white space before it) */
        while (q < e && (is_alpha((unsigned char)*q) || is_digit((unsigned char)*q) ||
                         *q == '_' || *q == '.' || *q == ':' || *q == '-'))
            q++;
        p = q;
        while (q < e && isblank_(*q))
            q++;
        if (q == e || *q != '=')
            continue; /* no value */
        for (q++; q < e && isblank_(*q); q++) {}
        if (q < e && (*q == '"' || *q == '\'')) {
            const char *c = memchr(q + 1, *q, (size_t)(e - q - 1));
            if (!c)
                return NULL;
            p = c + 1;
        } else {
            const char *v = q;
            while (q < e && !isblank_(*q) && !strchr("\"'=<>`", *q))
                q++;
            if (q == v)
                return NULL;
            p = q;
        }
    }
}

/* Is [P, E) a complete open or closing tag followed only by blanks (start condition 7)?
 * Any tag name: the spec leaves out pre, script, style and textarea, but cmark (and so
 * GitHub) does not, and "</pre>" alone on a line then hides what follows it. */
static int complete_tag(const char *p, const char *e)
{
    int closing = p + 1 < e && p[1] == '/';
    const char *q = tag_name(p + 1 + closing, e);
    if (!q)
        return 0;
    if (!closing && (q = attributes(q, e)) == NULL)
        return 0;
    while (q < e && isblank_(*q))
        q++;
    if (!closing && q < e && *q == '/')
        q++;
    if (q == e || *q != '>')
        return 0;
    return only_blanks(q + 1, e);
}

/* The kind (1..7, CommonMark's numbering) of HTML block that content P starts, up to E,
 * or 0.  Kind 7 cannot interrupt a paragraph: only when IN_PARAGRAPH is 0.  E may be the
 * end of the text rather than of the line (rg_md_is_blank): a line break then ends a tag
 * name as a blank does. */
static int html_start(const char *p, const char *e, int in_paragraph)
{
    const char *n, *q;
    if (p == e || *p != '<')
        return 0;
    if (starts_with(p, e, "<!--"))
        return 2;
    if (starts_with(p, e, "<?"))
        return 3;
    if (e - p >= 9 && memcmp(p, "<![CDATA[", 9) == 0)
        return 5;
    if (e - p >= 3 && p[1] == '!' && is_alpha((unsigned char)p[2]))
        return 4;
    n = p + 1 + (e - p > 1 && p[1] == '/');
    q = tag_name(n, e);
    if (q && (q == e || isspace_(*q) || *q == '>' || (*q == '/' && q + 1 < e && q[1] == '>'))) {
        if (n == p + 1 && *q != '/' && name_in(n, q, raw_tags))
            return 1;
        if (name_in(n, q, block_tags))
            return 6;
    }
    return !in_paragraph && complete_tag(p, e) ? 7 : 0;
}

/* Just after the end marker of HTML block KIND (1..5) in [P, E), or NULL. */
static const char *html_end(int kind, const char *p, const char *e)
{
    static const char *const marker[] = {NULL, NULL, "-->", "?>", ">", "]]>"};
    for (; p < e; p++) {
        if (kind == 1) {
            if (*p == '<' && p + 1 < e && p[1] == '/') {
                const char *q = tag_name(p + 2, e);
                if (q && q < e && *q == '>' && name_in(p + 2, q, raw_tags))
                    return q + 1;
            }
        } else {
            size_t n = strlen(marker[kind]);
            if ((size_t)(e - p) >= n && memcmp(p, marker[kind], n) == 0)
                return p + n;
        }
    }
    return NULL;
}

/* A scan of a document's headings, one after another: what rg_md_each_section walks
 * with, and what it looks ahead with to find where a section's subsections end.
 *
 * One rule for what is not a heading, from CommonMark's block structure: lines inside a
 * fenced code block, an indented code block or an HTML block (kinds 1-5 run to their end
 * marker -- </script>, -->, ?>, >, ]]> -- and 6-7 to a blank line), and a paragraph
 * line that a quote or list item holds lazily ("- item\nA\n---" is a list and a break). */
typedef struct md_scan {
    const char *p, *end;
    int line;
    char fch;                 /* fence char of the open code block, 0 when none */
    size_t flen;
    int html;                 /* kind of the open HTML block, 0 when none */
    int nested;               /* the open fence or HTML block began in a quote or list item:
                               * its outermost container, as inner gives it */
    int para;                 /* in a paragraph: 0 no, 1 one that can be setext text, 2 another,
                               * 3 one in a quote or list item (a line may go on with it lazily) */
    const char *para_start;   /* its first line, when 1 */
    const char *prev_e;       /* the end of the line before */
    int item;                 /* the content column of the open list item, 0 when none */
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

/* Line [P, E) inside the open fence or HTML block of SC: close it when the line ends it. */
static void scan_inside(md_scan *sc, const char *p, const char *e)
{
    int container;
    const char *c = sc->nested ? inner(p, e, &container) : p;
    if (sc->fch) {
        if (c && fence_close(c, e, sc->fch, sc->flen))
            sc->fch = 0;
    } else if (sc->html <= 5) {
        if (html_end(sc->html, sc->nested && c ? c : p, e))
            sc->html = 0;
    } else if (c ? only_blanks(c, e) : only_blanks(p, e)) {
        sc->html = 0; /* kinds 6 and 7 end at a blank line */
    }
}

/* The next heading into H; 0 at the end of the text. */
static int scan_next(md_scan *sc, md_heading *h)
{
    while (sc->p < sc->end) {
        const char *p = sc->p, *nl = memchr(p, '\n', (size_t)(sc->end - p));
        const char *after = nl ? nl + 1 : sc->end;
        const char *e = nl ? nl : sc->end, *c;
        int para = sc->para, item = sc->item, in_item = 0, level, container;
        sc->line++;
        sc->p = after;
        sc->para = 0;
        if (e > p && e[-1] == '\r') /* CRLF */
            e--;
        if ((sc->fch || sc->html) && sc->nested && !still_inside(p, e, sc->nested))
            sc->fch = 0, sc->html = 0; /* its container ended, and the block with it */
        if (sc->fch || sc->html) {
            scan_inside(sc, p, e);
            continue;
        }
        if (only_blanks(p, e))
            continue;
        /* A line indented to the open list item's content belongs to it: its blocks
         * start there.  A line less indented ends it, unless it goes on lazily with the
         * item's paragraph (the text branch below keeps the item open then). */
        if (item) {
            const char *q = p;
            int col = 0;
            while (q < e && isblank_(*q) && col < item)
                col += *q++ == '\t' ? 4 - col % 4 : 1;
            in_item = col >= item;
            c = inner(in_item ? q : p, e, &container);
        } else {
            c = inner(p, e, &container);
        }
        sc->item = in_item ? item : container > 0 ? container : 0;
        if (in_item)
            container = item; /* the outermost container, which ends the blocks opened in it */
        if (c && fence_open(c, e, &sc->fch, &sc->flen)) {
            sc->nested = container; /* inside a fence until its closer, or to the end of the text */
        } else if (c && (sc->html = html_start(c, e, para != 0)) != 0) {
            sc->nested = container;
            if (sc->html <= 5 && html_end(sc->html, c, e))
                sc->html = 0; /* ends on the line it starts */
        } else if (heading(p, e, &h->sec)) {
            h->sec.line = sc->line;
            h->sec.body = after;
            h->start = p;
            return 1;
        } else if (para == 1 && (level = setext_underline(p, e)) != 0) {
            const char *t = indent(sc->para_start, sc->prev_e), *te = sc->prev_e;
            int lines = 1;
            for (const char *q = sc->para_start; q < sc->prev_e; q++)
                lines += *q == '\n';
            while (te > t && isspace_(te[-1]))
                te--;
            h->sec.level = level;
            h->sec.title = t;
            h->sec.title_len = (size_t)(te - t);
            h->sec.line = sc->line - lines;
            h->sec.body = after;
            h->start = sc->para_start;
            return 1;
        } else if (para == 2 && setext_underline(p, e)) {
            /* a heading of text it does not read as a title (see setext_text) */
        } else if (thematic_break(p, e)) {
            /* ends a paragraph */
        } else if (container && (para == 0 || para == 3 || in_item || interrupts(p, e))) {
            /* a quote or list item: a paragraph in it, unless it holds a heading, a break or
             * nothing (then the next line cannot continue it lazily) */
            rg_md_section inside;
            if (!c)
                sc->para = para == 3 ? 3 : 0; /* indented code, or a paragraph's next line */
            else
                sc->para = c == e || heading(c, e, &inside) || thematic_break(c, e) ? 0 : 3;
        } else if (para || indent(p, e)) {
            /* paragraph text (indented code when 4 columns in and not continuing one) */
            if (!para) {
                sc->para = setext_text(p, e) ? 1 : 2;
                sc->para_start = p;
            } else {
                sc->para = para == 1 ? (setext_text(p, e) ? 1 : 2) : para;
            }
            if (para == 3)
                sc->item = item; /* a lazy line of the item's paragraph */
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

/* Named character references that stand for white space or an invisible character
 * (HTML's names are case-sensitive): generated from HTML's list and the Unicode
 * Character Database (hostile round 41a, F09: &InvisibleTimes; was missing). */
#include "markdown_blank_entities.h"

/* The character reference at P ('&', up to E): its length, and the code point into *CP;
 * 0 when there is none.  Numeric ones as CommonMark reads them: 1-7 decimal or 1-6 hex
 * digits, and U+0000, surrogates and anything above U+10FFFF are U+FFFD. */
static size_t entity(const char *p, const char *e, uint32_t *cp)
{
    const char *q = p + 1;
    if (q < e && *q == '#') {
        int hex = ++q < e && (*q == 'x' || *q == 'X');
        const char *d = q += hex;
        uint32_t v = 0;
        for (; q < e && q - d < (hex ? 6 : 7); q++) {
            int c = lower((unsigned char)*q);
            if (is_digit(c))
                v = v * (hex ? 16 : 10) + (uint32_t)(c - '0');
            else if (hex && c >= 'a' && c <= 'f')
                v = v * 16 + (uint32_t)(c - 'a' + 10);
            else
                break;
        }
        if (q == d || q == e || *q != ';')
            return 0;
        *cp = (v == 0 || (v >= 0xD800 && v <= 0xDFFF) || v > 0x10FFFF) ? 0xFFFD : v;
        return (size_t)(q + 1 - p);
    }
    for (size_t i = 0; i < sizeof RG_BLANK_ENTITIES / sizeof RG_BLANK_ENTITIES[0]; i++) {
        size_t n = strlen(RG_BLANK_ENTITIES[i].name);
        if ((size_t)(e - q) > n && memcmp(q, RG_BLANK_ENTITIES[i].name, n) == 0 && q[n] == ';') {
            *cp = RG_BLANK_ENTITIES[i].cp;
            return n + 2;
        }
    }
    return 0;
}

/* A character that shows nothing: Unicode white space and invisible characters, the
 * same rule identity.c trims names with (common/textpos.c). */
static int shows_nothing(uint32_t cp) { return rg_unicode_is_space(cp) || rg_unicode_is_invisible(cp); }

/* Spaces and tabs from P; then, when ONE_EOL, one line ending and the spaces and tabs
 * after it, but not a blank line's.  Where that leaves, or NULL for a blank line. */
static const char *skip_blanks(const char *p, const char *e, int one_eol)
{
    while (p < e && isblank_(*p))
        p++;
    if (one_eol && p < e && (*p == '\n' || *p == '\r')) {
        p += (*p == '\r' && p + 1 < e && p[1] == '\n') ? 2 : 1;
        while (p < e && isblank_(*p))
            p++;
        if (p < e && (*p == '\n' || *p == '\r'))
            return NULL;
    }
    return p;
}

/* At P, only spaces and tabs to the line's end: past its line ending (or at E), or NULL. */
static const char *line_ends(const char *p, const char *e)
{
    while (p < e && isblank_(*p))
        p++;
    if (p < e && *p == '\r')
        p++;
    if (p == e)
        return p;
    return *p == '\n' ? p + 1 : (p[-1] == '\r' ? p : NULL);
}

/* A link title at P ("...", '...' or (...)), over lines but not across a blank line: past
 * it, or NULL. */
static const char *link_title(const char *p, const char *e)
{
    char close;
    if (p >= e || (*p != '"' && *p != '\'' && *p != '('))
        return NULL;
    close = *p == '(' ? ')' : *p;
    for (p++; p < e && *p != close; p++) {
        if (*p == '\\' && p + 1 < e)
            p++;
        else if (*p == '(' && close == ')')
            return NULL;
        else if (*p == '\n' && !skip_blanks(p, e, 1))
            return NULL;
    }
    return p < e ? p + 1 : NULL;
}

/* A link reference definition at P, a line's start where no paragraph goes on (CommonMark:
 * "[label]:", its destination on that line or the next, then a title on the destination's
 * line, the next, or over lines, and nothing else).  It renders nothing: "[//]: # (a
 * comment)" is Markdown's comment (hostile round 41a, F09; round 41b, F05: over lines too).
 * Its length with its last line ending, or 0. */
static size_t link_definition(const char *p, const char *e)
{
    const char *q = p, *label, *dest_end, *after, *end;
    int indent = 0, seen = 0;
    while (q < e && *q == ' ' && indent < 3) {
        q++;
        indent++;
    }
    if (q >= e || *q != '[')
        return 0;
    label = ++q;
    for (; q < e && *q != ']'; q++) {
        if (*q == '\n' || *q == '[')
            return 0;
        if (*q == '\\' && q + 1 < e && q[1] != '\n')
            q++;
        seen |= !isspace_(*q);
    }
    if (q >= e || q == label || !seen || q + 1 >= e || q[1] != ':')
        return 0;   /* a label holds a character that is not white space (round 41b, F06) */
    if (!(q = skip_blanks(q + 2, e, 1)) || q == e || *q == '\n' || *q == '\r')
        return 0;
    if (*q == '<') {   /* <destination>, maybe empty */
        while (++q < e && *q != '>' && *q != '\n' && *q != '<')
            ;
        if (q >= e || *q != '>')
            return 0;
        q++;
    } else {
        const char *d = q;
        while (q < e && (unsigned char)*q > ' ')
            q++;
        if (q == d)
            return 0;
    }
    dest_end = line_ends(q, e);   /* the definition may end with its destination's line */
    after = skip_blanks(q, e, 1);
    if (after && after > q && (end = link_title(after, e)) != NULL && (end = line_ends(end, e)) != NULL)
        return (size_t)(end - p);
    return dest_end ? (size_t)(dest_end - p) : 0;   /* what follows is no title: not taken */
}

/* An HTML open or closing tag at P, whole ("<p>", "</a>", "<a name=x>", "<br/>"): its
 * length, or 0.  Markup, not text: what shows is the text between tags (hostile round
 * 41a, F09: a suite of "<p></p>" was ready). */
static size_t tag_length(const char *p, const char *e)
{
    int closing = p + 1 < e && p[1] == '/';
    const char *q = tag_name(p + 1 + closing, e);
    if (!q || (!closing && (q = attributes(q, e)) == NULL))
        return 0;
    while (q < e && isspace_(*q))
        q++;
    if (!closing && q < e && *q == '/')
        q++;
    return q < e && *q == '>' ? (size_t)(q + 1 - p) : 0;
}

/* The length of the HTML that renders nothing starting at P (up to E): a comment, `<? ?>`,
 * `<!X >`, CDATA, a <script> or <style> element, to its end; 0 when none starts there (or
 * it is unterminated: text). */
static size_t hidden_html(const char *p, const char *e)
{
    int kind;
    const char *end;
    /* What renders nothing: a comment, a processing instruction, a declaration, CDATA, a
     * <script> or <style> element (<pre> and <textarea> show theirs).  Ends as its HTML
     * block ends; "<!-->" is a whole (empty) comment; unterminated, it is text. */
    if (p >= e || *p != '<' || (kind = html_start(p, e, 1)) < 1 || kind > 5 ||
        (kind == 1 && lower((unsigned char)p[1]) != 's'))
        return 0;
    end = html_end(kind, kind == 2 ? p + 2 : p, e);
    return end ? (size_t)(end - p) : 0;
}

/* ---- What renders nothing, line by line -------------------------------------------- */

void rg_md_walk_init(rg_md_walk *w, const char *text)
{
    memset(w, 0, sizeof *w);
    w->text = text;
}

/* The state after the line [LINE, END) (W->definition: it began a definition). */
static void after_line(rg_md_walk *w, const char *line, const char *end)
{
    const char *q = line;
    int indent = 0;
    size_t run = 0;
    char c;
    while (q < end && *q == ' ' && indent < 4) {
        q++;
        indent++;
    }
    c = q < end ? *q : '\0';
    while ((c == '`' || c == '~') && q + run < end && q[run] == c)
        run++;
    if (w->fence) {   /* a closing fence: at least as long as the opening one, then nothing */
        if (indent < 4 && c == w->fence && run >= w->fence_len && line_ends(q + run, end))
            w->fence = 0;
        return;
    }
    if (w->definition || rg_md_is_blank(line, (size_t)(end - line))) {
        w->in_paragraph = 0;
    } else if (indent < 4 && run >= 3) {
        w->fence = c;
        w->fence_len = run;
        w->in_paragraph = 0;
    } else if (indent < 4 && c == '#') {
        w->in_paragraph = 0;   /* a heading (or text taken for one) */
    } else if (indent < 4 || w->in_paragraph) {
        w->in_paragraph = 1;   /* text: a definition cannot interrupt it (round 41b, F06) */
    }
}

size_t rg_md_walk_hidden(rg_md_walk *w, const char *p, const char *e)
{
    size_t k;
    if (p == w->text || p[-1] == '\n') {   /* a line starts: the one before it decides */
        if (w->line && w->line < p)
            after_line(w, w->line, p);
        w->line = p;
        w->definition = 0;
    }
    if ((k = hidden_html(p, e)) != 0)
        return k;
    if (p < e && *p == '<' && (k = tag_length(p, e)) != 0)
        return k;
    if (p == w->line && !w->fence && !w->in_paragraph && (k = link_definition(p, e)) != 0)
        w->definition = 1;
    return k;
}

int rg_md_is_blank(const char *text, size_t len)
{
    const char *p = text, *e = text + len;
    rg_md_walk w;
    rg_md_walk_init(&w, text);
    while (p < e) {
        const unsigned char c = (unsigned char)*p;
        size_t k;
        uint32_t cp;
        if ((k = rg_md_walk_hidden(&w, p, e)) != 0) {
            p += k;
        } else if (c == '&' && (k = entity(p, e, &cp)) != 0 && shows_nothing(cp)) {
            p += k;
        } else if (c < 0x80) {
            if (!shows_nothing(c))
                return 0;
            p++;
        } else if ((k = rg_utf8_sequence((const unsigned char *)p, (size_t)(e - p))) != 0 &&
                   shows_nothing(rg_utf8_decode((const unsigned char *)p, k))) {
            p += k;
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
