/* Normalising identities: see identity.h. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "identity.h"
#include "textpos.h"

static uint32_t decode(const unsigned char *s, size_t n)
{
    switch (n) {
    case 1: return s[0];
    case 2: return (uint32_t)(s[0] & 0x1F) << 6 | (s[1] & 0x3F);
    case 3: return (uint32_t)(s[0] & 0x0F) << 12 | (uint32_t)(s[1] & 0x3F) << 6 | (s[2] & 0x3F);
    default: return (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3F) << 12 | (uint32_t)(s[2] & 0x3F) << 6 | (s[3] & 0x3F);
    }
}

static size_t encode(uint32_t cp, char *out)
{
    if (cp < 0x80) { out[0] = (char)cp; return 1; }
    if (cp < 0x800) { out[0] = (char)(0xC0 | cp >> 6); out[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | cp >> 12); out[1] = (char)(0x80 | (cp >> 6 & 0x3F)); out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | cp >> 18); out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    out[2] = (char)(0x80 | (cp >> 6 & 0x3F)); out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Unicode White_Space. */
static int is_space(uint32_t cp)
{
    return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F ||
           cp == 0x3000;
}

/* Characters that show nothing (default-ignorable), controls, and combining marks. */
static int is_invisible(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x00AD || cp == 0x034F || cp == 0x061C ||
           cp == 0x115F || cp == 0x1160 || cp == 0x17B4 || cp == 0x17B5 || (cp >= 0x180B && cp <= 0x180F) ||
           (cp >= 0x200B && cp <= 0x200F) || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2060 && cp <= 0x206F) ||
           cp == 0x3164 || (cp >= 0xFE00 && cp <= 0xFE0F) || cp == 0xFEFF || cp == 0xFFA0 ||
           (cp >= 0xE0000 && cp <= 0xE0FFF) || (cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x1AB0 && cp <= 0x1AFF) ||
           (cp >= 0x1DC0 && cp <= 0x1DFF) || (cp >= 0x20D0 && cp <= 0x20FF) || (cp >= 0xFE20 && cp <= 0xFE2F);
}

/* U+00C0..U+017F without accents, lower case; \1..\5 the two-letter ones of MULTI below
 * (ae, th, ss, ij, oe); '\0' not a letter (x, /), kept as it is. */
static const char LATIN[] =
    "aaaaaa\1ceeeeiiiidnooooo\0ouuuuy\2\3"
    "aaaaaa\1ceeeeiiiidnooooo\0ouuuuy\2y"
    "aaaaaaccccccccddddeeeeeeeeeegggg"
    "gggghhhhiiiiiiiiii\4\4jjkkklllllll"
    "lllnnnnnnnnnoooooo\5\5rrrrrrssssss"
    "ssttttttuuuuuuuuuuuuwwyyyzzzzzzs";

static size_t fold_latin(uint32_t cp, char *out)
{
    static const char *const multi[] = {"", "ae", "th", "ss", "ij", "oe"};
    char c = LATIN[cp - 0xC0];
    if (c == '\0')
        return encode(cp, out);
    if ((unsigned char)c < 6) {
        memcpy(out, multi[(unsigned char)c], 2);
        return 2;
    }
    out[0] = c;
    return 1;
}

/* The folded form of CP into OUT (at most 4 bytes); its length. */
static size_t fold(uint32_t cp, char *out)
{
    if (cp >= 'A' && cp <= 'Z')
        cp += 0x20;
    else if (cp >= 0xFF01 && cp <= 0xFF5E) /* full-width ASCII */
        return fold(cp - 0xFF01 + 0x21, out);
    else if (cp >= 0xC0 && cp <= 0x17F && cp != 0xD7 && cp != 0xF7)
        return fold_latin(cp, out);
    else if ((cp >= 0x391 && cp <= 0x3A9) || (cp >= 0x410 && cp <= 0x42F)) /* Greek, Cyrillic capitals */
        cp += 0x20;
    else if (cp >= 0x400 && cp <= 0x40F)
        cp += 0x50;
    return encode(cp, out);
}

char *rg_identity_normalize(const char *name)
{
    const unsigned char *s = (const unsigned char *)name;
    size_t len, i = 0, n = 0;
    int pending_space = 0;
    char *out, *start;
    if (!name)
        return NULL;
    len = strlen(name);
    if ((out = malloc(len + 1)) == NULL)
        return NULL;
    while (i < len) {
        size_t k = s[i] < 0x80 ? 1 : rg_utf8_sequence(s + i, len - i);
        uint32_t cp;
        if (!k) {
            free(out);
            return NULL; /* not text: nobody can tell who it names */
        }
        cp = decode(s + i, k);
        i += k;
        if (is_space(cp)) {
            pending_space = n > 0;
        } else if (!is_invisible(cp)) {
            char folded[4];
            size_t m = fold(cp, folded);
            if (pending_space)
                out[n++] = ' ';
            pending_space = 0;
            memcpy(out + n, folded, m); /* never longer than what it replaces */
            n += m;
        }
    }
    out[n] = '\0';
    start = out;
    if (*start == '@') /* "@bob" */
        start++;
    while (*start == ' ')
        start++;
    if (!*start) {
        free(out);
        return NULL;
    }
    memmove(out, start, strlen(start) + 1);
    return out;
}

int rg_identity_same(const char *a, const char *b)
{
    char *x = rg_identity_normalize(a), *y = rg_identity_normalize(b);
    int same = x && y ? strcmp(x, y) == 0 : -1;
    free(x);
    free(y);
    return same;
}
