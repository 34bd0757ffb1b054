/* DSSE envelopes (dsse.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "dsse.h"
#include "error.h"
#include "json.h"
#include "json_writer.h"

#define ENVELOPE_DEPTH 8

void rg_dsse_pae(rg_strbuf *out, const char *type, size_t type_len, const void *body, size_t body_len)
{
    rg_strbuf_printf(out, "DSSEv1 %zu ", type_len);
    rg_strbuf_add(out, type, type_len);
    rg_strbuf_printf(out, " %zu ", body_len);
    rg_strbuf_add(out, body, body_len);
}

char *rg_dsse_sign(const rg_key *key, const char *type, const void *body, size_t len, rg_error *err)
{
    rg_strbuf pae = {0}, out = {0}, b64 = {0};
    unsigned char *sig = NULL;
    size_t sig_len = 0;
    char msg[RG_SIGN_ERRMAX] = "";
    rg_jw w;

    rg_dsse_pae(&pae, type, strlen(type), body, len);
    if (pae.failed) {
        rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory signing");
        return NULL;
    }
    if (key->backend->sign(key->key, pae.data, pae.len, &sig, &sig_len, msg) != 0) {
        free(rg_strbuf_finish(&pae));
        rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "%s", msg);
        return NULL;
    }
    free(rg_strbuf_finish(&pae));
    rg_jw_init(&w, &out, 0);
    rg_jw_object(&w);
    rg_jw_key_string(&w, "payloadType", type);
    rg_base64_put(&b64, body, len);
    rg_jw_key_string(&w, "payload", b64.data ? b64.data : "");
    b64.len = 0;
    rg_jw_key(&w, "signatures");
    rg_jw_array(&w);
    rg_jw_object(&w);
    rg_jw_key_string(&w, "keyid", key->id);
    rg_base64_put(&b64, sig, sig_len);
    rg_jw_key_string(&w, "sig", b64.data ? b64.data : "");
    rg_jw_end(&w, 1);
    rg_jw_end(&w, 0);
    rg_jw_end(&w, 1);
    free(sig);
    if (b64.failed)
        out.failed = 1;
    free(rg_strbuf_finish(&b64));
    if (out.failed) {
        free(rg_strbuf_finish(&out));
        rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory signing");
        return NULL;
    }
    return rg_strbuf_finish(&out);
}

/* Which of KEYS verified one signature of SIGS over PAE: their count, keys with one id
 * counted once. */
static size_t count_signers(const cJSON *sigs, const rg_strbuf *pae, const rg_key *keys, size_t key_count,
                            char *why, size_t why_size, int *bad)
{
    unsigned char *seen = calloc(key_count ? key_count : 1, 1);
    const cJSON *s;
    size_t accepted = 0;
    if (!seen) {
        snprintf(why, why_size, "out of memory");
        *bad = 1;
        return 0;
    }
    cJSON_ArrayForEach(s, sigs) {
        const char *text = rg_json_string(s, "sig");
        unsigned char *sig;
        size_t sig_len;
        if (!cJSON_IsObject(s) || !text) {
            snprintf(why, why_size, "a signature without a \"sig\" string");
            *bad = 1;
            break;
        }
        if (!(sig = rg_base64_decode(text, strlen(text), &sig_len))) {
            snprintf(why, why_size, "a signature that is not base64");
            *bad = 1;
            break;
        }
        for (size_t k = 0; k < key_count; k++) {
            int dup = 0;
            if (seen[k])
                continue;
            for (size_t j = 0; j < key_count && !dup; j++)
                dup = seen[j] && strcmp(keys[j].id, keys[k].id) == 0;
            if (dup)
                continue;
            if (keys[k].backend->verify(keys[k].key, pae->data, pae->len, sig, sig_len)) {
                seen[k] = 1;
                accepted++;
                break;
            }
        }
        free(sig);
    }
    free(seen);
    return accepted;
}

int rg_dsse_verify(const char *text, size_t len, const rg_key *keys, size_t key_count, size_t threshold,
                   const char *const *types, size_t type_count, rg_dsse_payload *out, char *why,
                   size_t why_size)
{
    rg_error err;
    cJSON *env;
    const cJSON *sigs;
    const char *type, *payload;
    rg_strbuf pae = {0};
    size_t accepted;
    int supported = 0, bad = 0;
    char *copy;

    memset(out, 0, sizeof *out);
    rg_error_init(&err);
    /* Duplicate members are refused: two "payload"s would let two readers see two
     * payloads under one signature. */
    /* The parser reads up to a NUL: TEXT may be one line of a bundle. */
    if (!(copy = malloc(len + 1))) {
        snprintf(why, why_size, "out of memory");
        return -1;
    }
    memcpy(copy, text, len);
    copy[len] = '\0';
    env = rg_json_parse(copy, len, "envelope", ENVELOPE_DEPTH, RG_ERROR_CONTEXT, &err);
    free(copy);
    if (!env) {
        snprintf(why, why_size, "not a JSON envelope: %.400s", err.message);
        rg_error_clear(&err);
        return -1;
    }
    type = rg_json_string(env, "payloadType");
    payload = rg_json_string(env, "payload");
    sigs = cJSON_GetObjectItemCaseSensitive(env, "signatures");
    if (!cJSON_IsObject(env) || !type || !payload || !cJSON_IsArray(sigs) || cJSON_GetArraySize(sigs) == 0) {
        snprintf(why, why_size, "not a DSSE envelope (payloadType, payload and signatures)");
        cJSON_Delete(env);
        return -1;
    }
    if (!(out->body = rg_base64_decode(payload, strlen(payload), &out->len))) {
        snprintf(why, why_size, "the payload is not base64");
        cJSON_Delete(env);
        return -1;
    }
    rg_dsse_pae(&pae, type, strlen(type), out->body, out->len);
    accepted = pae.failed ? 0 : count_signers(sigs, &pae, keys, key_count, why, why_size, &bad);
    if (pae.failed)
        snprintf(why, why_size, "out of memory"), bad = 1;
    free(rg_strbuf_finish(&pae));
    if (!bad && accepted < (threshold ? threshold : 1)) {
        if (accepted == 0)
            snprintf(why, why_size, "no signature verifies with the %s given", key_count == 1 ? "public key" : "public keys");
        else
            snprintf(why, why_size, "signed by %zu of the trusted keys, fewer than the threshold of %zu",
                     accepted, threshold);
        bad = 1;
    }
    for (size_t i = 0; !bad && i < type_count; i++)
        supported |= strcmp(types[i], type) == 0;
    if (!bad && !supported) {
        snprintf(why, why_size, "payload type \"%.200s\" is not %s", type,
                 type_count == 1 ? types[0] : "a supported type");
        bad = 1;
    }
    cJSON_Delete(env);
    if (bad) {
        free(out->body);
        memset(out, 0, sizeof *out);
        return -1;
    }
    out->accepted = accepted;
    return 0;
}
