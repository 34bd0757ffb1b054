/* Webhook authentication: HMAC-SHA256 and token comparison through Nettle only (no
 * digest or comparison code of our own). */
#include "hooks_verify.h"

#include <nettle/base16.h>
#include <nettle/hmac.h>
#include <nettle/memops.h>
#include <nettle/sha2.h>
#include <stdint.h>
#include <string.h>

#define PREFIX "sha256="

int hooks_github_signature_ok(const char *secret, size_t secret_len, const char *header,
                              const void *body, size_t len)
{
    struct hmac_sha256_ctx ctx;
    struct base16_decode_ctx hex;
    uint8_t want[SHA256_DIGEST_SIZE], given[SHA256_DIGEST_SIZE];
    size_t given_len = sizeof given;
    const char *digits;

    if (!secret || !secret_len || !header || strncmp(header, PREFIX, sizeof PREFIX - 1) != 0)
        return 0;
    digits = header + sizeof PREFIX - 1;
    if (strlen(digits) != 2 * SHA256_DIGEST_SIZE)
        return 0;
    /* Nettle's base16 decoder takes either case and skips white space: refuse white space
     * ourselves, so that exactly 64 hex digits decode to exactly 32 bytes. */
    if (strspn(digits, "0123456789abcdefABCDEF") != 2 * SHA256_DIGEST_SIZE)
        return 0;
    base16_decode_init(&hex);
    if (!base16_decode_update(&hex, &given_len, given, 2 * SHA256_DIGEST_SIZE, digits) ||
        !base16_decode_final(&hex) || given_len != SHA256_DIGEST_SIZE)
        return 0;

    hmac_sha256_set_key(&ctx, secret_len, (const uint8_t *)secret);
    hmac_sha256_update(&ctx, len, body);
    hmac_sha256_digest(&ctx, SHA256_DIGEST_SIZE, want);
    return memeql_sec(want, given, SHA256_DIGEST_SIZE);
}

static void sha256_of(const void *data, size_t len, uint8_t out[SHA256_DIGEST_SIZE])
{
    struct sha256_ctx ctx;
    sha256_init(&ctx);
    sha256_update(&ctx, len, data);
    sha256_digest(&ctx, SHA256_DIGEST_SIZE, out);
}

int hooks_token_ok(const char *expected, size_t expected_len, const char *given)
{
    uint8_t a[SHA256_DIGEST_SIZE], b[SHA256_DIGEST_SIZE];
    int same;
    if (!expected || !expected_len || !given)
        return 0;
    sha256_of(expected, expected_len, a);
    sha256_of(given, strlen(given), b);
    same = memeql_sec(a, b, SHA256_DIGEST_SIZE);
    /* Equal digests of different lengths cannot happen short of a SHA-256 collision;
     * the length check costs nothing and needs no secret-dependent branch before it. */
    return same && strlen(given) == expected_len;
}
