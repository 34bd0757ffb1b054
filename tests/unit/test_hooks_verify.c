/* Unit tests for cli/hooks_verify.c: the webhooks' HMAC and token checks. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "hooks_verify.h"

/* GitHub's documented example ("Validating webhook deliveries"): this secret, this
 * payload, this signature. */
#define GH_SECRET "It's a Secret to Everybody"
#define GH_BODY "Hello, World!"
#define GH_SIG "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"

static int sig_ok(const char *secret, const char *header, const char *body)
{
    return hooks_github_signature_ok(secret, strlen(secret), header, body, strlen(body));
}

static void github_example_verifies(void **state)
{
    (void)state;
    assert_true(sig_ok(GH_SECRET, GH_SIG, GH_BODY));
}

/* RFC 4231 test case 2: HMAC-SHA256 itself, in either case of hex. */
static void rfc4231_case_2(void **state)
{
    (void)state;
    assert_true(sig_ok("Jefe", "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
                       "what do ya want for nothing?"));
    assert_true(sig_ok("Jefe", "sha256=5BDCC146BF60754E6A042426089575C75A003F089D2739839DEC58B964EC3843",
                       "what do ya want for nothing?"));
}

static void wrong_signatures_refused(void **state)
{
    char flipped[] = GH_SIG;
    (void)state;
    flipped[strlen(flipped) - 1] = '6';
    assert_false(sig_ok(GH_SECRET, flipped, GH_BODY));                /* one digit off */
    assert_false(sig_ok(GH_SECRET, GH_SIG, "Hello, World?"));         /* another body */
    assert_false(sig_ok("It's a secret to everybody", GH_SIG, GH_BODY)); /* another secret */
    assert_false(sig_ok(GH_SECRET, NULL, GH_BODY));                   /* missing */
    assert_false(sig_ok(GH_SECRET, "", GH_BODY));
    assert_false(sig_ok(GH_SECRET, GH_SIG + 7, GH_BODY));             /* no "sha256=" */
    assert_false(sig_ok(GH_SECRET, "sha1=757107ea0eb2509fc211221cce984b8a37570b6d", GH_BODY));
    assert_false(sig_ok(GH_SECRET, "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e1", GH_BODY));
    assert_false(sig_ok(GH_SECRET, GH_SIG "00", GH_BODY));            /* too long */
    assert_false(sig_ok(GH_SECRET, "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e1 ", GH_BODY));
    assert_false(sig_ok(GH_SECRET, "sha256=g57107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", GH_BODY));
    assert_false(hooks_github_signature_ok("", 0, GH_SIG, GH_BODY, strlen(GH_BODY)));   /* no secret */
}

/* The body is bytes: a NUL inside it is signed like any byte. */
static void body_with_nul(void **state)
{
    static const char body[] = {'a', '\0', 'b'};
    (void)state;
    /* HMAC-SHA256("k", "a\0b"), computed with Python's hmac module; the same without the
     * bytes after the NUL does not match it. */
    static const char sig[] = "sha256=982872ff8422d2d84de2d26d7900850ff9f3b3275079b02813b572f9ff0ef0b2";
    assert_true(hooks_github_signature_ok("k", 1, sig, body, sizeof body));
    assert_false(hooks_github_signature_ok("k", 1, sig, body, 1));
}

static void tokens(void **state)
{
    (void)state;
    assert_true(hooks_token_ok("s3cret-token", 12, "s3cret-token"));
    assert_false(hooks_token_ok("s3cret-token", 12, "s3cret-tokeN"));
    assert_false(hooks_token_ok("s3cret-token", 12, "s3cret-token "));
    assert_false(hooks_token_ok("s3cret-token", 12, "s3cret"));
    assert_false(hooks_token_ok("s3cret-token", 12, ""));
    assert_false(hooks_token_ok("s3cret-token", 12, NULL));
    assert_false(hooks_token_ok("", 0, ""));   /* an empty expected token never matches */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(github_example_verifies),
        cmocka_unit_test(rfc4231_case_2),
        cmocka_unit_test(wrong_signatures_refused),
        cmocka_unit_test(body_with_nul),
        cmocka_unit_test(tokens),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
