/* Positions and encodings of text held in memory. */
#ifndef RG_TEXTPOS_H
#define RG_TEXTPOS_H

#include <stddef.h>
#include <stdint.h>

/* 1-based line and column (in bytes) of OFFSET within TEXT; an offset past LEN
 * is clamped to LEN. */
void rg_text_position(const char *text, size_t len, size_t offset, int *line, int *column);

/* Check that TEXT (LEN bytes) is well-formed UTF-8 (no overlongs, no surrogates,
 * nothing above U+10FFFF) and holds no NUL byte.  Returns the offset of the first
 * offending byte (for an ill-formed or truncated sequence, its lead byte), or LEN
 * when the whole text is valid.  When WHY is not NULL it receives a static reason
 * ("NUL byte", "invalid UTF-8") on failure. */
size_t rg_utf8_check(const char *text, size_t len, const char **why);

/* FNV-1a of the NUL-terminated S: for the engine's small hash tables. */
size_t rg_text_hash(const char *s);

/* The length of the well-formed UTF-8 sequence at S (N bytes left, S[0] >= 0x80), or 0
 * when it is ill-formed: an overlong form, a surrogate, above U+10FFFF, or cut short. */
size_t rg_utf8_sequence(const unsigned char *s, size_t n);

/* The code point of the K-byte sequence at S: K is 1 for ASCII, else what
 * rg_utf8_sequence returned for it. */
uint32_t rg_utf8_decode(const unsigned char *s, size_t k);

/* Characters that show nothing, one rule for who-is-who (core/identity.c) and for
 * what is blank (core/markdown.c).  rg_unicode_is_space: Unicode White_Space (ASCII
 * white space, NEL, no-break, ogham, en/em/thin/hair, line and paragraph separators,
 * narrow no-break, medium mathematical and ideographic spaces).  rg_unicode_is_invisible:
 * controls, Default_Ignorable_Code_Point (soft hyphen, zero-width space, joiners, word
 * joiner, bidirectional marks and controls, BOM, variation selectors, tags, Hangul
 * fillers, musical and shorthand format controls), the other format characters but the
 * prepended concatenation marks, and the combining marks' blocks: common/invisible_table.h,
 * generated from the Unicode Character Database by scripts/gen-invisible.py. */
int rg_unicode_is_space(uint32_t cp);
int rg_unicode_is_invisible(uint32_t cp);

/* A heap copy of TEXT (LEN bytes) in which every byte that is not part of well-formed
 * UTF-8, and every NUL, is replaced by U+FFFD: output that must stay valid JSON or XML
 * takes strings a policy or plugin made up.  Caller frees; NULL when out of memory. */
char *rg_utf8_sanitize(const char *text, size_t len);

/* rg_utf8_sanitize of a NUL-terminated string (NULL gives NULL). */
char *rg_strdup_utf8(const char *text);

#endif
