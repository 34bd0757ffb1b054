/* Finding sections in a Markdown document (ATX and setext headings, CommonMark-style). */
#ifndef RG_MARKDOWN_H
#define RG_MARKDOWN_H

#include <stddef.h>

#include "markdown_text.h"   /* rg_md_escape, rg_md_code */
#include "strbuf.h"

typedef struct rg_md_section {
    int level;            /* 1..6: number of '#' */
    const char *title;    /* heading text, trimmed, closing #s removed; points into the document */
    size_t title_len;
    const char *body;     /* text after the heading (its underline, for setext) */
    size_t body_len;      /* up to the next heading of any level: the section's own text */
    size_t tree_len;      /* up to the next heading of the same or a higher level: the
                           * section with its subsections */
    int line;             /* 1-based line of the heading */
} rg_md_section;

/* Scan TEXT (LEN bytes) and call FN once per heading, in document order: ATX (`#`..`######`
 * followed by a space or end of line, at most 3 spaces of indentation) and setext (one
 * paragraph of plain text underlined with `===` for level 1 or `---` for level 2).  Lines inside
 * fenced or indented code and inside HTML blocks are not headings (CommonMark's kinds 1-5:
 * <pre>/<script>/<style>/<textarea>, <!-- -->, <? ?>, <!X >, <![CDATA[ ]]> to their end marker;
 * 6-7: a block tag, or any tag alone on its line, to a blank line), nor a lazy continuation
 * line of a list item or quote.  Stops early and returns FN's value
 * when FN returns non-zero; returns 0 otherwise. */
int rg_md_each_section(const char *text, size_t len,
                       int (*fn)(const rg_md_section *section, void *data), void *data);

/* True when TEXT (LEN bytes) shows nothing when rendered: an empty template section.  It
 * holds only Unicode white space and invisible characters (rg_unicode_is_space,
 * rg_unicode_is_invisible), character references to them (&nbsp; &#160; &#xA0; ...) and
 * HTML that renders nothing: comments (`<!-- ... -->`, `<!-->`), `<? ?>`, `<!X >`,
 * `<![CDATA[ ]]>`, <script> and <style> elements; HTML tags themselves (their text counts);
 * and link reference definitions, Markdown's comment `[//]: # (...)` among them.
 * Unterminated ones are text. */
int rg_md_is_blank(const char *text, size_t len);

/* A walk through TEXT for what renders nothing, as rg_md_is_blank makes it: the line it
 * is on decides whether a link reference definition may start there (not inside a
 * paragraph nor a fenced code block).  rg_md_walk_hidden gives the length of what renders
 * nothing at P (up to E): HTML that renders nothing (a comment, `<? ?>`, `<!X >`, CDATA, a
 * <script> or <style> element, to its end; unterminated: text), an HTML open or closing
 * tag, or at a line's start a link reference definition (over its lines); 0 when P shows.
 * Call it for every position in order (skipping what it passes over). */
typedef struct rg_md_walk {
    const char *text, *line;   /* the text; the start of the line P is on */
    int in_paragraph, definition;
    char fence;                /* '`' or '~' inside a fenced code block, or 0 */
    size_t fence_len;
} rg_md_walk;
void rg_md_walk_init(rg_md_walk *w, const char *text);
size_t rg_md_walk_hidden(rg_md_walk *w, const char *p, const char *e);

/* Compare two heading titles the way a reader would: case-insensitively (ASCII), with
 * runs of whitespace counted as one space, ignoring a trailing parenthetical such as
 * "(if any)" and trailing punctuation ':'.  "Migration steps (if any)" matches
 * "migration steps".  Returns non-zero when they match. */
int rg_md_title_matches(const char *title, size_t title_len, const char *wanted);

#endif
