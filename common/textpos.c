/* Line/column of an offset, and a strict UTF-8 check (Unicode table 3-7). */
#include <stdlib.h>
#include <string.h>

#include "swar.h"
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
        size_t n;
        /* Most text is ASCII: eight bytes at a time while none is NUL or above 0x7F. */
        while (len - i >= 8) {
            uint64_t w = rg_swar_load(s + i);
            uint64_t stop = (w & RG_SWAR_HIGHS) | rg_swar_below(w, 1);
            if (stop) {
                i += rg_swar_first(stop);
                break;
            }
            i += 8;
        }
        if (i == len)
            break;
        if (s[i] == 0)
            return bad(why, "NUL byte", i);
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        if (!(n = rg_utf8_sequence(s + i, len - i)))
            return bad(why, "invalid UTF-8", i);
        i += n;
    }
    return len;
}

size_t rg_utf8_sequence(const unsigned char *s, size_t n)
{
    unsigned c = s[0], lo = 0x80, hi = 0xBF; /* the range of the second byte */
    size_t len;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2; /* C0, C1 would be overlong */
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0; /* overlong below U+0800 */
        if (c == 0xED)
            hi = 0x9F; /* surrogates U+D800-DFFF */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90; /* overlong below U+10000 */
        if (c == 0xF4)
            hi = 0x8F; /* above U+10FFFF */
    } else {
        return 0; /* a stray continuation byte, F5-FF */
    }
    if (n < len || s[1] < lo || s[1] > hi)
        return 0; /* cut short, or out of range */
    for (size_t k = 2; k < len; k++)
        if ((s[k] & 0xC0) != 0x80)
            return 0;
    return len;
}

char *rg_utf8_sanitize(const char *text, size_t len)
{
    static const char replacement[] = "\xEF\xBF\xBD";
    size_t cap = len + 1, n = 0;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    while (len > 0) {
        const char *why;
        size_t good = rg_utf8_check(text, len, &why), skip;
        if (n + good + 4 > cap) {
            char *grown = realloc(out, cap = (n + good + 4) * 2);
            if (!grown) {
                free(out);
                return NULL;
            }
            out = grown;
        }
        memcpy(out + n, text, good);
        n += good;
        if (good == len)
            break;
        /* Replace the offending lead byte and any continuation bytes after it. */
        skip = 1;
        while (good + skip < len && ((unsigned char)text[good + skip] & 0xC0) == 0x80 && skip < 4)
            skip++;
        memcpy(out + n, replacement, 3);
        n += 3;
        text += good + skip;
        len -= good + skip;
    }
    out[n] = '\0';
    return out;
}

char *rg_strdup_utf8(const char *text)
{
    return text ? rg_utf8_sanitize(text, strlen(text)) : NULL;
}

size_t rg_text_hash(const char *s)
{
    size_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}
