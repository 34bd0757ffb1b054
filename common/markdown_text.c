/* Writing untrusted text into Markdown so that it renders as what it says: shared by the
 * engine's markdown rendering and the service's deployment comments (cli/hooks_comment.c),
 * which sees common/ but not the engine's internals. */
#include "markdown_text.h"

#include <stdlib.h>
#include <string.h>

#include "untrusted.h"

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
