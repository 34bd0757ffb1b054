/* DSSE, the Dead Simple Signing Envelope (github.com/secure-systems-lab/dsse): what a
 * signature covers (the PAE), the JSON envelope, and its verification against trusted
 * keys with a threshold. */
#ifndef RG_DSSE_H
#define RG_DSSE_H

#include <stddef.h>

#include "keys.h"
#include "strbuf.h"

#define RG_INTOTO_PAYLOAD_TYPE "application/vnd.in-toto+json"

/* Append PAE(TYPE, BODY) to OUT: "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, the
 * lengths being byte counts in ASCII decimal. */
void rg_dsse_pae(rg_strbuf *out, const char *type, size_t type_len, const void *body, size_t body_len);

/* BODY (LEN bytes) of payload TYPE signed by KEY, as a one-line JSON envelope (heap, no
 * newline): {"payloadType", "payload" (base64), "signatures": [{"keyid", "sig"}]}.
 * NULL with ERR. */
char *rg_dsse_sign(const rg_key *key, const char *type, const void *body, size_t len, rg_error *err);

/* What a verified envelope carried. */
typedef struct rg_dsse_payload {
    unsigned char *body;   /* heap, NUL-terminated */
    size_t len;
    size_t accepted;       /* distinct trusted keys whose signature verified */
} rg_dsse_payload;

/* Verify the envelope TEXT (LEN bytes of JSON): at least THRESHOLD (>= 1) distinct keys
 * of KEYS (keys with one id are one key) must have signed PAE(payloadType, payload), and
 * payloadType must be one of TYPES.  A keyid is a hint and is not trusted: every
 * signature is tried with every key.  0 with OUT filled (free OUT->body), or -1 with the
 * reason in WHY (WHY_SIZE bytes). */
int rg_dsse_verify(const char *text, size_t len, const rg_key *keys, size_t key_count, size_t threshold,
                   const char *const *types, size_t type_count, rg_dsse_payload *out, char *why,
                   size_t why_size);

#endif
