/* Neutralising untrusted text for standard error: see untrusted.h. */
#include <string.h>

#include "untrusted.h"

/* One line (without its newline): control bytes become '?', so no escape sequence reaches a
 * terminal; the prefix keeps "::command" and "##[command]" off the start of the line. */
static void write_line(FILE *out, const char *prefix, const char *line, size_t len)
{
    fputs(prefix, out);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)line[i];
        fputc(c < 0x20 && c != '\t' ? '?' : c == 0x7f ? '?' : c, out);
    }
    fputc('\n', out);
}

void rg_write_untrusted_lines(FILE *out, const char *prefix, const char *text, size_t len)
{
    while (len > 0) {
        const char *nl = memchr(text, '\n', len);
        size_t n = nl ? (size_t)(nl - text) : len;
        write_line(out, prefix, text, n);
        if (!nl)
            break;
        text += n + 1;
        len -= n + 1;
    }
}
