/* Neutralising untrusted text for logs, terminals, CI runners and XML: see untrusted.h. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "textpos.h"
#include "untrusted.h"

/* The code point of the well-formed sequence of N bytes at S. */
static uint32_t decode(const unsigned char *s, size_t n)
{
    switch (n) {
    case 2: return (uint32_t)(s[0] & 0x1F) << 6 | (s[1] & 0x3F);
    case 3: return (uint32_t)(s[0] & 0x0F) << 12 | (uint32_t)(s[1] & 0x3F) << 6 | (s[2] & 0x3F);
    default: return (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3F) << 12 | (uint32_t)(s[2] & 0x3F) << 6 | (s[3] & 0x3F);
    }
}

/* Characters a terminal or a log viewer acts on instead of showing them: C1 controls,
 * bidirectional controls (they reorder the text around them), the Unicode line and
 * paragraph separators, and the two BMP non-characters XML 1.0 forbids. */
static int is_control_character(uint32_t cp)
{
    return (cp >= 0x80 && cp <= 0x9F) || cp == 0x061C || cp == 0x200E || cp == 0x200F ||
           (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 ||
           cp == 0x2029 || cp == 0xFFFE || cp == 0xFFFF;
}

/* Default-ignorable code points: a culture-aware string search (.NET's IndexOf, which
 * CI runners use) skips them, so "#<U+200B>#[" can match "##[". */
static int is_ignorable(uint32_t cp)
{
    return cp == 0x00AD || cp == 0x034F || cp == 0x061C || cp == 0x115F || cp == 0x1160 ||
           cp == 0x17B4 || cp == 0x17B5 || (cp >= 0x180B && cp <= 0x180F) ||
           (cp >= 0x200B && cp <= 0x200F) || (cp >= 0x202A && cp <= 0x202E) ||
           (cp >= 0x2060 && cp <= 0x206F) || cp == 0x3164 || (cp >= 0xFE00 && cp <= 0xFE0F) ||
           cp == 0xFEFF || cp == 0xFFA0 || (cp >= 0xFFF0 && cp <= 0xFFF8) ||
           (cp >= 0x1BCA0 && cp <= 0x1BCA3) || (cp >= 0x1D173 && cp <= 0x1D17A) ||
           (cp >= 0xE0000 && cp <= 0xE0FFF);
}

/* The first offset at or after I that is not an ignorable character. */
static size_t skip_ignorable(const char *text, size_t len, size_t i)
{
    while (i < len && (unsigned char)text[i] >= 0x80) {
        size_t n = rg_utf8_sequence((const unsigned char *)text + i, len - i);
        if (!n || !is_ignorable(decode((const unsigned char *)text + i, n)))
            break;
        i += n;
    }
    return i;
}

int rg_untrusted_marker_at(const char *text, size_t len)
{
    static const char vso[] = "vso";
    size_t i;
    if (len == 0 || text[0] != '#')
        return 0;
    i = skip_ignorable(text, len, 1);
    if (i >= len || text[i] != '#')
        return 0;
    i = skip_ignorable(text, len, i + 1);
    if (i < len && text[i] == '[')
        return 1; /* "##[": GitHub's legacy commands, Azure's formatting */
    for (const char *v = vso; *v; v++) {
        if (i >= len || (text[i] | 0x20) != *v)
            return 0;
        i = skip_ignorable(text, len, i + 1);
    }
    return i < len && text[i] == '['; /* "##vso[": Azure's logging commands */
}

static void escape_byte(rg_strbuf *b, unsigned char c)
{
    rg_strbuf_printf(b, "\\x%02x", c);
}

/* How characters that are not text are treated: shown as escapes, or (XML) dropped when
 * XML 1.0 cannot hold them. */
typedef enum { SHOW, DROP_XML_FORBIDDEN } forbidden_mode;

static void neutralise(rg_strbuf *b, const char *text, size_t len, rg_breaks breaks, forbidden_mode mode)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        size_t n;
        if ((c == '\r' || c == '\n') && breaks == RG_BREAKS_RAW) {
            rg_strbuf_add(b, text + i, 1);
            i++;
        } else if (c == '\r' || c == '\n') {
            if (c == '\r' && i + 1 < len && s[i + 1] == '\n')
                i++; /* CRLF is one break */
            rg_strbuf_puts(b, breaks == RG_BREAKS_KEEP ? "\n" : " ");
            i++;
        } else if (c == '\t') {
            rg_strbuf_puts(b, breaks == RG_BREAKS_SPACE ? " " : "\t");
            i++;
        } else if (c < 0x20 || c == 0x7F) {
            if (mode == SHOW)
                escape_byte(b, c);
            i++;
        } else if (c == '#' && rg_untrusted_marker_at(text + i, len - i)) {
            rg_strbuf_puts(b, "# ");
            i++;
        } else if (c < 0x80) {
            rg_strbuf_add(b, text + i, 1);
            i++;
        } else if ((n = rg_utf8_sequence(s + i, len - i)) == 0) {
            if (mode == SHOW)
                escape_byte(b, c);
            i++;
        } else {
            uint32_t cp = decode(s + i, n);
            if ((cp == 0xFFFE || cp == 0xFFFF) && mode == DROP_XML_FORBIDDEN)
                ; /* not an XML character */
            else if (is_control_character(cp))
                rg_strbuf_printf(b, "\\u%04x", (unsigned)cp);
            else
                rg_strbuf_add(b, text + i, n);
            i += n;
        }
    }
}

void rg_untrusted_append(rg_strbuf *b, const char *text, size_t len, rg_breaks breaks)
{
    neutralise(b, text, len, breaks, SHOW);
}

void rg_untrusted_puts(rg_strbuf *b, const char *s, rg_breaks breaks)
{
    if (s)
        rg_untrusted_append(b, s, strlen(s), breaks);
}

/* The length of the line at TEXT (LEN bytes) and, in *NEXT, where the one after starts. */
static size_t line_length(const char *text, size_t len, size_t *next)
{
    size_t n = 0;
    while (n < len && text[n] != '\n' && text[n] != '\r')
        n++;
    *next = n;
    if (n < len)
        *next += text[n] == '\r' && n + 1 < len && text[n + 1] == '\n' ? 2 : 1;
    return n;
}

void rg_write_untrusted_lines(FILE *out, const char *prefix, const char *text, size_t len)
{
    while (len > 0) {
        rg_strbuf line = {0};
        size_t next, n = line_length(text, len, &next);
        rg_strbuf_puts(&line, prefix);
        /* The line holds no break (split above): KEEP only keeps its tabs, which are
         * harmless on a line that starts with our prefix. */
        rg_untrusted_append(&line, text, n, RG_BREAKS_KEEP);
        rg_strbuf_puts(&line, "\n");
        if (!line.failed)
            fputs(line.data, out);
        else
            fprintf(out, "%s(out of memory writing this line)\n", prefix);
        free(line.data);
        text += next;
        len -= next;
    }
}

void rg_untrusted_xml(rg_strbuf *b, const char *s, int attribute)
{
    rg_strbuf safe = {0};
    if (s)
        neutralise(&safe, s, strlen(s), RG_BREAKS_RAW, DROP_XML_FORBIDDEN);
    if (safe.failed) {
        b->failed = 1;
        return;
    }
    for (size_t i = 0; i < safe.len; i++) {
        switch (safe.data[i]) {
        case '&': rg_strbuf_puts(b, "&amp;"); break;
        case '<': rg_strbuf_puts(b, "&lt;"); break;
        case '>': rg_strbuf_puts(b, "&gt;"); break; /* "]]>" may not appear in text either */
        case '"': rg_strbuf_puts(b, "&quot;"); break;
        case '\'': rg_strbuf_puts(b, "&apos;"); break;
        case '\n': rg_strbuf_puts(b, "&#10;"); break; /* the next line stays ours */
        case '\r': rg_strbuf_puts(b, "&#13;"); break; /* a raw CR would read back as LF */
        case '\t': rg_strbuf_puts(b, attribute ? "&#9;" : "\t"); break;
        default: rg_strbuf_add(b, safe.data + i, 1);
        }
    }
    free(safe.data);
}
