/* Unit tests for DSSE (core/dsse.c), base64 (core/base64.c) and the signer module
 * (attest/signer_gnutls.c, linked in here): the DSSE project's published test vectors
 * (tests/data/dsse/vectors.json, RFC 8032 Ed25519 keys), which relgate did not write. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "dsse.h"
#include "json.h"
#include "json_writer.h"
#include "keys.h"
#include "rgtest.h"

const rg_sign_backend *relgate_sign_backend(void);   /* attest/signer_gnutls.c */

static cJSON *vectors;

static size_t unhex(const char *hex, unsigned char *out, size_t size)
{
    size_t n = strlen(hex) / 2;
    assert_true(n <= size);
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (unsigned char)v;
    }
    return n;
}

/* A PEM of DER PREFIX + the raw key bytes HEX: Ed25519's SubjectPublicKeyInfo and PKCS#8
 * are a fixed header before the 32 key bytes. */
static char *pem_of(const char *label, const char *prefix_hex, const char *key_hex)
{
    unsigned char der[128];
    size_t n = unhex(prefix_hex, der, sizeof der);
    rg_strbuf out = {0};
    n += unhex(key_hex, der + n, sizeof der - n);
    rg_strbuf_printf(&out, "-----BEGIN %s-----\n", label);
    rg_base64_put(&out, der, n);
    rg_strbuf_printf(&out, "\n-----END %s-----\n", label);
    return rg_strbuf_finish(&out);
}

static void vector_key(const char *name, int private_key, rg_key *key)
{
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(vectors, "keys"), name);
    rg_error err = {0};
    char *pem = private_key ? pem_of("PRIVATE KEY", "302e020100300506032b657004220420", rg_json_string(k, "seed"))
                            : pem_of("PUBLIC KEY", "302a300506032b6570032100", rg_json_string(k, "public"));
    int rc = rg_key_from_pem(relgate_sign_backend(), pem, strlen(pem), private_key, name, key, &err);
    if (rc != 0)
        fail_msg("key %s: %s", name, err.message);
    free(pem);
}

static int load_vectors(void **state)
{
    size_t len;
    char *text = rgt_slurp(RG_TEST_DATA "/dsse/vectors.json", &len);
    rg_error err = {0};
    (void)state;
    vectors = rg_json_parse(text, len, "vectors.json", 64, RG_ERROR_CONTEXT, &err);
    free(text);
    return vectors ? 0 : -1;
}

static int free_vectors(void **state)
{
    (void)state;
    cJSON_Delete(vectors);
    return 0;
}

/* ---- base64 ---- */

static void expect_decoded(const char *text, const char *want, size_t want_len)
{
    size_t n = 0;
    unsigned char *out = rg_base64_decode(text, strlen(text), &n);
    if (!out)
        fail_msg("'%s' was refused", text);
    assert_int_equal(n, want_len);
    assert_memory_equal(out, want, want_len);
    free(out);
}

static void test_base64_both_alphabets(void **state)
{
    size_t n;
    (void)state;
    expect_decoded("aGVsbG8gd29ybGQ=", "hello world", 11);
    expect_decoded("aGVsbG8gd29ybGQ", "hello world", 11);      /* padding left out */
    expect_decoded("+/+/Pj8=", "\xfb\xff\xbf\x3e\x3f", 5);      /* standard */
    expect_decoded("-_-_Pj8=", "\xfb\xff\xbf\x3e\x3f", 5);      /* URL-safe */
    expect_decoded("-_-_Pj8", "\xfb\xff\xbf\x3e\x3f", 5);
    expect_decoded("", "", 0);
    assert_null(rg_base64_decode("+_==", 4, &n));              /* the two alphabets mixed */
    assert_null(rg_base64_decode("aGVs bG8=", 9, &n));         /* a blank */
    assert_null(rg_base64_decode("aGVsbG8=x", 9, &n));         /* data after padding */
    assert_null(rg_base64_decode("aGVsb", 5, &n));             /* one character too many */
    assert_null(rg_base64_decode("aGVsbG8===", 10, &n));
    expect_decoded("QQ==", "A", 1);
    assert_null(rg_base64_decode("QR==", 4, &n));              /* leftover bits set: not canonical */
    expect_decoded("QUI=", "AB", 2);
    assert_null(rg_base64_decode("QUJ=", 4, &n));
}

static void test_base64_round_trip(void **state)
{
    unsigned char data[256];
    (void)state;
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (unsigned char)(255 - i);
    for (size_t len = 0; len <= sizeof data; len += 37) {
        rg_strbuf b = {0};
        unsigned char *back;
        size_t n;
        rg_base64_put(&b, data, len);
        back = rg_base64_decode(b.data ? b.data : "", b.len, &n);
        assert_non_null(back);
        assert_int_equal(n, len);
        assert_memory_equal(back, data, len);
        free(back);
        free(rg_strbuf_finish(&b));
    }
}

/* ---- The published vectors ---- */

static void test_vectors_pae(void **state)
{
    const cJSON *c;
    (void)state;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(vectors, "cases")) {
        const cJSON *env = cJSON_GetObjectItemCaseSensitive(c, "envelope");
        const char *type = rg_json_string(env, "payloadType"), *payload = rg_json_string(env, "payload");
        unsigned char want[512], *body;
        size_t want_len = unhex(rg_json_string(c, "pae"), want, sizeof want), n;
        rg_strbuf pae = {0};
        body = rg_base64_decode(payload, strlen(payload), &n);
        assert_non_null(body);
        rg_dsse_pae(&pae, type, strlen(type), body, n);
        /* The PAE the signatures cover: the envelope's own, unless it was tampered with
         * (a swapped payload type), and then the vector must be refused. */
        if ((pae.len != want_len || memcmp(pae.data, want, want_len) != 0) &&
            cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "accept")))
            fail_msg("%s: the PAE differs from the published one", rg_json_string(c, "id"));
        free(body);
        free(rg_strbuf_finish(&pae));
    }
}

static void test_vectors_verify(void **state)
{
    const cJSON *c, *name;
    (void)state;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(vectors, "cases")) {
        const char *id = rg_json_string(c, "id");
        const cJSON *trusted = cJSON_GetObjectItemCaseSensitive(c, "trusted");
        const cJSON *types = cJSON_GetObjectItemCaseSensitive(c, "types");
        char *env = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(c, "envelope"));
        rg_key keys[4];
        const char *type_list[4];
        size_t nkeys = 0, ntypes = 0;
        rg_dsse_payload out;
        char why[512] = "";
        int rc, accept = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "accept"));
        cJSON_ArrayForEach(name, trusted)
            vector_key(name->valuestring, 0, &keys[nkeys++]);
        cJSON_ArrayForEach(name, types)
            type_list[ntypes++] = name->valuestring;
        rc = rg_dsse_verify(env, strlen(env), keys, nkeys,
                            (size_t)cJSON_GetObjectItemCaseSensitive(c, "threshold")->valueint, type_list, ntypes,
                            &out, why, sizeof why);
        if ((rc == 0) != accept)
            fail_msg("%s: %s, expected %s (%s)", id, rc == 0 ? "accepted" : "refused", accept ? "accept" : "reject", why);
        if (rc == 0)
            free(out.body);
        for (size_t i = 0; i < nkeys; i++)
            rg_key_clear(&keys[i]);
        free(env);
    }
}

/* Ed25519 is deterministic: relgate's signature over a vector's PAE is the published one. */
static void test_sign_matches_vector(void **state)
{
    static const char body[] = "{\"_type\":\"https://in-toto.io/Statement/v1\"}";
    rg_key a, pub;
    rg_error err = {0};
    char *env, why[256] = "";
    cJSON *doc;
    rg_dsse_payload out;
    (void)state;
    vector_key("A", 1, &a);
    vector_key("A", 0, &pub);
    assert_string_equal(a.id, pub.id);   /* a private key and its public key: one id */
    env = rg_dsse_sign(&a, RG_INTOTO_PAYLOAD_TYPE, body, strlen(body), &err);
    assert_non_null(env);
    doc = cJSON_Parse(env);
    assert_string_equal(rg_json_string(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "signatures"), 0), "sig"),
                        "2WAfaHm5jluo0w+0rk8uVkluELJYWjSmU9x7EUzx+AyteDGJ4/nqyJXfmAUVFIAoQafWm7AxBZNw5M9ixNHiCA==");
    assert_string_equal(rg_json_string(doc, "payload"), "eyJfdHlwZSI6Imh0dHBzOi8vaW4tdG90by5pby9TdGF0ZW1lbnQvdjEifQ==");
    {
        const char *types[] = {RG_INTOTO_PAYLOAD_TYPE};
        assert_int_equal(rg_dsse_verify(env, strlen(env), &pub, 1, 1, types, 1, &out, why, sizeof why), 0);
        assert_int_equal(out.len, strlen(body));
        assert_memory_equal(out.body, body, out.len);
        free(out.body);
    }
    cJSON_Delete(doc);
    free(env);
    rg_key_clear(&a);
    rg_key_clear(&pub);
}

/* Any byte of the signed envelope changed: refused. */
static void test_tampered_envelope_refused(void **state)
{
    static const char body[] = "{\"_type\":\"https://in-toto.io/Statement/v1\",\"x\":\"release 1.0.0\"}";
    const char *types[] = {RG_INTOTO_PAYLOAD_TYPE};
    rg_key a, pub;
    rg_error err = {0};
    rg_dsse_payload out;
    char why[256];
    char *env, *keyid;
    size_t len;
    (void)state;
    vector_key("A", 1, &a);
    vector_key("A", 0, &pub);
    env = rg_dsse_sign(&a, RG_INTOTO_PAYLOAD_TYPE, body, strlen(body), &err);
    assert_non_null(env);
    len = strlen(env);
    assert_int_equal(rg_dsse_verify(env, len, &pub, 1, 1, types, 1, &out, why, sizeof why), 0);
    free(out.body);
    keyid = strstr(env, "\"keyid\":\"");   /* the member and its value: an unsigned hint */
    for (size_t i = 0; i < len; i++) {
        char saved = env[i];
        int rc, hint = env + i >= keyid && env + i < keyid + 9 + 64;
        /* A letter or digit for another: the envelope still parses, and only the signed
         * content, a member name, or the keyid (an unsigned hint) differs. */
        if (!((saved >= 'A' && saved <= 'Z') || (saved >= 'a' && saved <= 'z') || (saved >= '0' && saved <= '9')))
            continue;
        env[i] = saved == 'A' ? 'B' : saved == 'a' ? 'b' : saved == '0' ? '1' : (char)(saved - 1);
        rc = rg_dsse_verify(env, len, &pub, 1, 1, types, 1, &out, why, sizeof why);
        if (rc == 0)
            free(out.body);
        if ((rc == 0) != hint)
            fail_msg("byte %zu changed to '%c': %s", i, env[i], rc == 0 ? "still verified" : why);
        env[i] = saved;
    }
    free(env);
    rg_key_clear(&a);
    rg_key_clear(&pub);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base64_both_alphabets),
        cmocka_unit_test(test_base64_round_trip),
        cmocka_unit_test(test_vectors_pae),
        cmocka_unit_test(test_vectors_verify),
        cmocka_unit_test(test_sign_matches_vector),
        cmocka_unit_test(test_tampered_envelope_refused),
    };
    return cmocka_run_group_tests_name("dsse", tests, load_vectors, free_vectors);
}
