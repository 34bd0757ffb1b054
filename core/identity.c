/* Normalising identities: see identity.h. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "identity.h"
#include "textpos.h"

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
        cp = rg_utf8_decode(s + i, k);
        i += k;
        if (rg_unicode_is_space(cp)) {
            pending_space = n > 0;
        } else if (!rg_unicode_is_invisible(cp)) {
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
