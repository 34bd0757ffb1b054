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

uint32_t rg_utf8_decode(const unsigned char *s, size_t k)
{
    switch (k) {
    case 1: return s[0];
    case 2: return (uint32_t)(s[0] & 0x1F) << 6 | (s[1] & 0x3F);
    case 3: return (uint32_t)(s[0] & 0x0F) << 12 | (uint32_t)(s[1] & 0x3F) << 6 | (s[2] & 0x3F);
    default: return (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3F) << 12 | (uint32_t)(s[2] & 0x3F) << 6 | (s[3] & 0x3F);
    }
}

int rg_unicode_is_space(uint32_t cp)
{
    return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F ||
           cp == 0x3000;
}

/* The table, generated from the Unicode Character Database rather than listed by hand
 * (hostile round 41a, F08: a list missed U+1D173 and U+1BCA0, and an author's own sign-off
 * spelt with one counted). */
#include "invisible_table.h"

int rg_unicode_is_invisible(uint32_t cp)
{
    size_t lo = 0, hi = sizeof RG_INVISIBLE / sizeof RG_INVISIBLE[0];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp < RG_INVISIBLE[mid].lo)
            hi = mid;
        else if (cp > RG_INVISIBLE[mid].hi)
            lo = mid + 1;
        else
            return 1;
    }
    return 0;
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
