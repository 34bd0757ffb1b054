/* Unit tests for cli/digest_memo.c: a digest is given back remembered only for the very
 * bytes it was computed from, and the memo keeps within its limits. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "digest_memo.h"

#define SHA256_ABC "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define SHA256_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static void test_known_digests(void **state)
{
    rg_digest_memo *m = rg_digest_memo_new(4, 1 << 20);
    char hex[RG_DIGEST_HEX_SIZE];
    (void)state;
    assert_non_null(m);
    rg_digest_memo_sha256(m, "abc", 3, hex);
    assert_string_equal(hex, SHA256_ABC);
    rg_digest_memo_sha256(m, "abc", 3, hex);   /* remembered */
    assert_string_equal(hex, SHA256_ABC);
    assert_int_equal(rg_digest_memo_hits(m), 1);
    rg_digest_memo_sha256(m, "", 0, hex);
    assert_string_equal(hex, SHA256_EMPTY);
    rg_digest_memo_sha256(NULL, "abc", 3, hex);   /* no memo: hashed */
    assert_string_equal(hex, SHA256_ABC);
    rg_digest_memo_free(m);
}

/* Bytes of the same length that differ anywhere, even in their last byte, are not the
 * remembered content: their own digest is computed. */
static void test_same_length_other_bytes(void **state)
{
    rg_digest_memo *m = rg_digest_memo_new(4, 1 << 20);
    char a[RG_DIGEST_HEX_SIZE], b[RG_DIGEST_HEX_SIZE], again[RG_DIGEST_HEX_SIZE];
    char text[4096];
    (void)state;
    memset(text, 'x', sizeof text);
    rg_digest_memo_sha256(m, text, sizeof text, a);
    text[sizeof text - 1] = 'y';
    rg_digest_memo_sha256(m, text, sizeof text, b);
    assert_string_not_equal(a, b);
    assert_int_equal(rg_digest_memo_hits(m), 0);
    rg_digest_memo_sha256(NULL, text, sizeof text, again);
    assert_string_equal(b, again);
    text[0] = 'z';   /* neither remembered content */
    rg_digest_memo_sha256(m, text, sizeof text, again);
    assert_int_equal(rg_digest_memo_hits(m), 0);
    rg_digest_memo_free(m);
}

/* Past its slots the oldest content is forgotten (hashed again, rightly); a content
 * larger than the memo's bytes is never kept, and the bytes kept make room for a new
 * one oldest first. */
static void test_limits(void **state)
{
    rg_digest_memo *m = rg_digest_memo_new(2, 100);
    char hex[RG_DIGEST_HEX_SIZE], want[RG_DIGEST_HEX_SIZE];
    char big[101], half[60];
    (void)state;
    rg_digest_memo_sha256(m, "one", 3, hex);
    rg_digest_memo_sha256(m, "two", 3, hex);
    rg_digest_memo_sha256(m, "six", 3, hex);   /* "one" is forgotten */
    rg_digest_memo_sha256(m, "two", 3, hex);
    assert_int_equal(rg_digest_memo_hits(m), 1);
    rg_digest_memo_sha256(m, "one", 3, hex);
    assert_int_equal(rg_digest_memo_hits(m), 1);
    rg_digest_memo_sha256(NULL, "one", 3, want);
    assert_string_equal(hex, want);

    memset(big, 'b', sizeof big);
    rg_digest_memo_sha256(m, big, sizeof big, hex);
    rg_digest_memo_sha256(m, big, sizeof big, hex);
    assert_int_equal(rg_digest_memo_hits(m), 1);   /* too large: hashed both times */

    memset(half, 'h', sizeof half);
    rg_digest_memo_sha256(m, half, sizeof half, hex);
    half[0] = 'H';
    rg_digest_memo_sha256(m, half, sizeof half, hex);   /* 120 bytes: the first goes */
    rg_digest_memo_sha256(m, half, sizeof half, want);
    assert_int_equal(rg_digest_memo_hits(m), 2);
    assert_string_equal(hex, want);
    half[0] = 'h';
    rg_digest_memo_sha256(m, half, sizeof half, hex);
    assert_int_equal(rg_digest_memo_hits(m), 2);
    rg_digest_memo_free(m);
}

/* Values a strict check took are found again at the start of other text, byte for byte;
 * only objects and arrays are kept as checked, and what was hashed alone is not checked. */
static void test_checked_values(void **state)
{
    rg_digest_memo *m = rg_digest_memo_new(2, 1 << 20);
    char hex[RG_DIGEST_HEX_SIZE], want[RG_DIGEST_HEX_SIZE];
    const char *obj = "{\"a\": [1, 2]}";
    (void)state;
    rg_digest_memo_note_checked(m, obj, strlen(obj));
    assert_int_equal(rg_digest_memo_find_checked(m, "{\"a\": [1, 2]}, \"b\": 1}", 22), strlen(obj));
    assert_int_equal(rg_digest_memo_find_checked(m, obj, strlen(obj) - 1), 0);   /* cut short */
    assert_int_equal(rg_digest_memo_find_checked(m, "{\"a\": [1, 3]}", 14), 0);
    /* Its digest computed when first asked for, then given back remembered. */
    rg_digest_memo_sha256(m, obj, strlen(obj), hex);
    assert_int_equal(rg_digest_memo_hits(m), 0);
    rg_digest_memo_sha256(NULL, obj, strlen(obj), want);
    assert_string_equal(hex, want);
    rg_digest_memo_sha256(m, obj, strlen(obj), hex);
    assert_int_equal(rg_digest_memo_hits(m), 1);
    assert_string_equal(hex, want);
    rg_digest_memo_note_checked(m, "123", 3);          /* not self-delimiting: never kept */
    assert_int_equal(rg_digest_memo_find_checked(m, "123", 3), 0);
    rg_digest_memo_sha256(m, "[1]", 3, hex);           /* hashed, not checked */
    assert_int_equal(rg_digest_memo_find_checked(m, "[1]", 3), 0);
    /* Forgotten with its slot: "[1]" took the other, "[2]" takes the oldest (OBJ). */
    rg_digest_memo_note_checked(m, "[2]", 3);
    assert_int_equal(rg_digest_memo_find_checked(m, "[2]", 3), 3);
    assert_int_equal(rg_digest_memo_find_checked(m, obj, strlen(obj)), 0);
    assert_int_equal(rg_digest_memo_find_checked(NULL, obj, strlen(obj)), 0);
    rg_digest_memo_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_digests),
        cmocka_unit_test(test_same_length_other_bytes),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_checked_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
