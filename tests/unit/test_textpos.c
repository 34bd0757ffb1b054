/* Unit tests for core/textpos.c. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "textpos.h"

static void pos(const char *text, size_t offset, int want_line, int want_col)
{
    int line = -1, col = -1;
    rg_text_position(text, strlen(text), offset, &line, &col);
    if (line != want_line || col != want_col)
        fail_msg("offset %zu: %d:%d, expected %d:%d", offset, line, col, want_line, want_col);
}

/* TEXT (LEN bytes) is valid UTF-8. */
static void valid(const char *text, size_t len)
{
    const char *why = NULL;
    size_t at = rg_utf8_check(text, len, &why);
    if (at != len)
        fail_msg("rejected at %zu: %s", at, why ? why : "(no reason)");
    assert_null(why); /* untouched on success */
}

/* TEXT (LEN bytes) fails at offset AT with reason WANT. */
static void invalid(const char *text, size_t len, size_t at, const char *want)
{
    const char *why = NULL;
    size_t got = rg_utf8_check(text, len, &why);
    if (got != at)
        fail_msg("failed at %zu, expected %zu", got, at);
    assert_non_null(why);
    assert_string_equal(why, want);
}

#define VALID(s) valid((s), sizeof(s) - 1)
#define INVALID(s, at) invalid((s), sizeof(s) - 1, (at), "invalid UTF-8")

static void test_position_start(void **state)
{
    (void)state;
    pos("hello", 0, 1, 1);
    pos("", 0, 1, 1);
}

static void test_position_same_line(void **state)
{
    (void)state;
    pos("hello", 3, 1, 4);
    pos("hello", 5, 1, 6); /* end of text */
}

static void test_position_after_newline(void **state)
{
    (void)state;
    pos("ab\ncd", 2, 1, 3); /* the newline belongs to the line it ends */
    pos("ab\ncd", 3, 2, 1);
    pos("ab\ncd", 4, 2, 2);
}

static void test_position_blank_lines(void **state)
{
    (void)state;
    pos("a\n\n\nb", 4, 4, 1);
    pos("a\n\n\nb", 3, 3, 1);
    pos("\n", 1, 2, 1);
}

static void test_position_clamped(void **state)
{
    (void)state;
    pos("ab\nc", 100, 2, 2);
    pos("ab\nc", 4, 2, 2);
    pos("ab\n", (size_t)-1, 2, 1);
}

static void test_position_respects_len(void **state)
{
    (void)state;
    int line = 0, col = 0;
    rg_text_position("abc\ndef\n", 3, 6, &line, &col); /* '\n' beyond LEN */
    assert_int_equal(line, 1);
    assert_int_equal(col, 4);
}

static void test_position_crlf(void **state)
{
    (void)state;
    pos("a\r\nb", 1, 1, 2); /* '\r' is a byte of line 1 */
    pos("a\r\nb", 3, 2, 1);
}

static void test_position_columns_are_bytes(void **state)
{
    (void)state;
    pos("\xc3\xa9=1", 2, 1, 3);
    pos("x\n\xe2\x82\xac\xe2\x82\xac", 5, 2, 4);
}

static void test_position_null_outputs(void **state)
{
    (void)state;
    int line = 0;
    rg_text_position("a\nb", 3, 2, &line, NULL);
    assert_int_equal(line, 2);
    rg_text_position("a\nb", 3, 2, NULL, NULL);
    rg_text_position(NULL, 0, 5, &line, NULL);
    assert_int_equal(line, 1);
}

/* What shows nothing: the table from the Unicode Character Database (hostile round 41a,
 * F08: U+1D173 and U+1BCA0, format controls, were missing from a list kept by hand). */
static void test_invisible(void **state)
{
    static const uint32_t nothing[] = {0x00, 0x1F, 0x7F, 0x9F, 0xAD, 0x034F, 0x0301, 0x061C, 0x115F, 0x180E,
                                       0x200B, 0x200D, 0x2062, 0x206F, 0xFE0F, 0xFEFF, 0xFFF9, 0x13430,
                                       0x1BCA0, 0x1BCA3, 0x1D173, 0x1D17A, 0xE0001, 0xE0100, 0xE0FFF, 0x2800,
                                       0x1D159, 0x16FE4};
    static const uint32_t shows[] = {' ', 'a', 0xE9, 0x0600, 0x06DD, 0x110BD, 0x1D172, 0x1D17B, 0x1BCA4, 0xFFFC,
                                     0xE1000, 0x10FFFF, 0x3000, 0x2801, 0x27FF};
    (void)state;
    for (size_t i = 0; i < sizeof nothing / sizeof nothing[0]; i++)
        if (!rg_unicode_is_invisible(nothing[i]))
            fail_msg("U+%04X shows nothing", (unsigned)nothing[i]);
    for (size_t i = 0; i < sizeof shows / sizeof shows[0]; i++)
        if (rg_unicode_is_invisible(shows[i]))
            fail_msg("U+%04X shows", (unsigned)shows[i]);
}

static void test_utf8_ascii(void **state)
{
    (void)state;
    VALID("");
    VALID("plain ASCII text\n\twith\r\ncontrol\x01\x7f bytes");
}

static void test_utf8_multibyte(void **state)
{
    (void)state;
    VALID("\xc3\xa9");         /* U+00E9 */
    VALID("\xe2\x82\xac");     /* U+20AC */
    VALID("\xf0\x9d\x84\x9e"); /* U+1D11E */
    VALID("caf\xc3\xa9 \xe2\x82\xac 5 \xf0\x9f\x98\x80!");
}

static void test_utf8_boundaries(void **state)
{
    (void)state;
    VALID("\xc2\x80");         /* U+0080, smallest 2-byte */
    VALID("\xdf\xbf");         /* U+07FF */
    VALID("\xe0\xa0\x80");     /* U+0800, smallest 3-byte */
    VALID("\xed\x9f\xbf");     /* U+D7FF, just below the surrogates */
    VALID("\xee\x80\x80");     /* U+E000, just above them */
    VALID("\xef\xbf\xbf");     /* U+FFFF */
    VALID("\xf0\x90\x80\x80"); /* U+10000, smallest 4-byte */
    VALID("\xf4\x8f\xbf\xbf"); /* U+10FFFF, the largest */
}

static void test_utf8_nul(void **state)
{
    (void)state;
    invalid("ab\0cd", 5, 2, "NUL byte");
    invalid("\0", 1, 0, "NUL byte");
    invalid("\xc3\xa9\0", 3, 2, "NUL byte");
}

static void test_utf8_overlong(void **state)
{
    (void)state;
    INVALID("\xc0\x80", 0);         /* NUL as 2 bytes */
    INVALID("\xc1\xbf", 0);
    INVALID("a\xc0\xaf", 1);        /* '/' as 2 bytes */
    INVALID("\xe0\x80\x80", 0);
    INVALID("\xe0\x9f\xbf", 0);     /* U+07FF as 3 bytes */
    INVALID("\xf0\x80\x80\x80", 0);
    INVALID("\xf0\x8f\xbf\xbf", 0); /* U+FFFF as 4 bytes */
}

static void test_utf8_surrogates(void **state)
{
    (void)state;
    INVALID("\xed\xa0\x80", 0); /* U+D800 */
    INVALID("\xed\xbf\xbf", 0); /* U+DFFF */
    INVALID("ok\xed\xb2\x80", 2);
}

static void test_utf8_above_max(void **state)
{
    (void)state;
    INVALID("\xf4\x90\x80\x80", 0); /* U+110000 */
    INVALID("\xf5\x80\x80\x80", 0);
    INVALID("\xf7\xbf\xbf\xbf", 0);
    INVALID("\xf8\x88\x80\x80\x80", 0); /* old 5-byte form */
    INVALID("\xfe", 0);
    INVALID("\xff", 0);
}

static void test_utf8_truncated(void **state)
{
    (void)state;
    INVALID("\xc3", 0);
    INVALID("ab\xe2\x82", 2);
    INVALID("\xf0\x9f\x98", 0);
    INVALID("\xe2\x82" "A", 0);   /* cut short by an ASCII byte */
    INVALID("\xc3\xc3\xa9", 0);   /* cut short by another lead byte */
    invalid("\xc3\0", 2, 0, "invalid UTF-8");
}

static void test_utf8_stray_continuation(void **state)
{
    (void)state;
    INVALID("\x80", 0);
    INVALID("\xbf", 0);
    INVALID("a\x80" "b", 1);
    INVALID("\xc3\xa9\xa9", 2); /* one continuation too many */
}

static void test_utf8_first_offence_reported(void **state)
{
    (void)state;
    INVALID("ok\n\xc3\x28 then \x80", 3);
    invalid("a\xff\0", 3, 1, "invalid UTF-8");
    invalid("a\0\xff", 3, 1, "NUL byte");
}

static void test_utf8_respects_len(void **state)
{
    (void)state;
    assert_int_equal(rg_utf8_check("abc\0", 3, NULL), 3);
    assert_int_equal(rg_utf8_check("ab\xff", 2, NULL), 2);
    /* A sequence cut by LEN is truncated even if the bytes follow in memory. */
    assert_int_equal(rg_utf8_check("a\xc3\xa9", 2, NULL), 1);
}

static void test_utf8_null_why(void **state)
{
    (void)state;
    assert_int_equal(rg_utf8_check("\xff", 1, NULL), 0);
    assert_int_equal(rg_utf8_check("ok", 2, NULL), 2);
}

/* The check passes ASCII eight bytes at a time: every kind of byte that stops it, at
 * every offset within and across those words and at the end of the text, is found where
 * a byte-by-byte reading finds it. */
static void test_utf8_stops_at_every_offset(void **state)
{
    static const unsigned char stops[] = {0x00, 0x80, 0xbf, 0xc0, 0xff, 0xc3, 0xe2, 0xf0};
    char text[40];
    (void)state;
    for (size_t len = 1; len <= sizeof text; len++)
        for (size_t at = 0; at < len; at++)
            for (size_t k = 0; k < sizeof stops; k++) {
                const char *why = NULL;
                size_t want, got;
                memset(text, 'a', sizeof text);
                text[at] = (char)stops[k];
                /* A lead byte alone: invalid where it stands (text after it is 'a'). */
                want = at;
                got = rg_utf8_check(text, len, &why);
                if (got != want)
                    fail_msg("byte 0x%02x at %zu of %zu: stopped at %zu", stops[k], at, len, got);
                assert_string_equal(why, stops[k] ? "invalid UTF-8" : "NUL byte");
            }
    /* And a valid two-byte character at every offset is passed over. */
    for (size_t len = 2; len <= sizeof text; len++)
        for (size_t at = 0; at + 1 < len; at++) {
            memset(text, 'a', sizeof text);
            text[at] = (char)0xc3;
            text[at + 1] = (char)0xa9;
            assert_int_equal(rg_utf8_check(text, len, NULL), len);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_position_start),
        cmocka_unit_test(test_position_same_line),
        cmocka_unit_test(test_position_after_newline),
        cmocka_unit_test(test_position_blank_lines),
        cmocka_unit_test(test_position_clamped),
        cmocka_unit_test(test_position_respects_len),
        cmocka_unit_test(test_position_crlf),
        cmocka_unit_test(test_position_columns_are_bytes),
        cmocka_unit_test(test_position_null_outputs),
        cmocka_unit_test(test_invisible),
        cmocka_unit_test(test_utf8_ascii),
        cmocka_unit_test(test_utf8_multibyte),
        cmocka_unit_test(test_utf8_boundaries),
        cmocka_unit_test(test_utf8_nul),
        cmocka_unit_test(test_utf8_overlong),
        cmocka_unit_test(test_utf8_surrogates),
        cmocka_unit_test(test_utf8_above_max),
        cmocka_unit_test(test_utf8_truncated),
        cmocka_unit_test(test_utf8_stray_continuation),
        cmocka_unit_test(test_utf8_first_offence_reported),
        cmocka_unit_test(test_utf8_respects_len),
        cmocka_unit_test(test_utf8_null_why),
        cmocka_unit_test(test_utf8_stops_at_every_offset),
    };
    return cmocka_run_group_tests(tests, 0, NULL);
}
