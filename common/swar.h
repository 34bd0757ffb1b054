/* Eight bytes at a time: the word tests the text scanners use to pass over plain bytes
 * (rg_utf8_check's ASCII, the characters of a JSON string that need no look).  Each
 * test flags the bytes of a kind in the word: some byte is flagged exactly when some byte
 * is of that kind, and the first flagged byte is the first of that kind (a byte after it
 * may be flagged wrongly, by the borrow; never one before).  So rg_swar_first of a test,
 * or of several or-ed, is where the scanner must stop and look; what it then finds there
 * is decided by the byte loop it always had. */
#ifndef RG_SWAR_H
#define RG_SWAR_H

#include <stdint.h>
#include <string.h>

#define RG_SWAR_ONES UINT64_C(0x0101010101010101)
#define RG_SWAR_HIGHS UINT64_C(0x8080808080808080)

/* The eight bytes at P (any alignment). */
static inline uint64_t rg_swar_load(const unsigned char *p)
{
    uint64_t w;
    memcpy(&w, p, sizeof w);
    return w;
}

/* Nonzero when some byte of W is below N (N at most 128). */
static inline uint64_t rg_swar_below(uint64_t w, unsigned n)
{
    return (w - RG_SWAR_ONES * n) & ~w & RG_SWAR_HIGHS;
}

/* Nonzero when some byte of W is C. */
static inline uint64_t rg_swar_has(uint64_t w, unsigned char c)
{
    return rg_swar_below(w ^ (RG_SWAR_ONES * c), 1);
}

/* The index (0-7) of the first byte of the text flagged in MASK (not 0). */
static inline unsigned rg_swar_first(uint64_t mask)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return (unsigned)__builtin_clzll(mask) / 8;
#else
    return (unsigned)__builtin_ctzll(mask) / 8;
#endif
}

#endif
