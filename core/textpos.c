/* Line/column of an offset, and a strict UTF-8 check (Unicode table 3-7). */
#include "textpos.h"

#include <limits.h>

static int clampint(size_t n) { return n > INT_MAX ? INT_MAX : (int)n; }

void rg_text_position(const char *text, size_t len, size_t offset, int *line, int *column)
{
    size_t i, l = 1, bol = 0; /* line number, and offset where it begins */
    if (!text || offset > len)
        offset = text ? len : 0;
    for (i = 0; i < offset; i++) {
        if (text[i] == '\n') {
            l++;
            bol = i + 1;
        }
    }
    if (line)
        *line = clampint(l);
    if (column)
        *column = clampint(offset - bol + 1);
}

static size_t bad(const char **why, const char *msg, size_t at)
{
    if (why)
        *why = msg;
    return at;
}

/* Ill-formed sequences are reported at their first byte, so the position
 * points at the character that cannot be decoded. */
size_t rg_utf8_check(const char *text, size_t len, const char **why)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i], lo = 0x80, hi = 0xBF; /* range of the 2nd byte */
        size_t n, k;
        if (c == 0)
            return bad(why, "NUL byte", i);
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            n = 1; /* C0, C1 would be overlong */
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            if (c == 0xE0)
                lo = 0xA0; /* overlong below U+0800 */
            if (c == 0xED)
                hi = 0x9F; /* surrogates U+D800-DFFF */
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            if (c == 0xF0)
                lo = 0x90; /* overlong below U+10000 */
            if (c == 0xF4)
                hi = 0x8F; /* above U+10FFFF */
        } else {
            return bad(why, "invalid UTF-8", i); /* stray continuation, F5-FF */
        }
        for (k = 1; k <= n; k++) {
            unsigned b;
            if (i + k >= len)
                return bad(why, "invalid UTF-8", i); /* truncated */
            b = s[i + k];
            if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF))
                return bad(why, "invalid UTF-8", i);
        }
        i += n + 1;
    }
    return len;
}
