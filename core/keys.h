/* Signing and verification keys: read from PEM files, handled by the signer module
 * (sign_backend.h), named by a key id the engine computes. */
#ifndef RG_KEYS_H
#define RG_KEYS_H

#include <stddef.h>

#include "digest.h"
#include "relgate/relgate.h"
#include "sign_backend.h"

typedef struct rg_key {
    const rg_sign_backend *backend;
    rg_sign_key *key;
    /* Lower-case hex SHA-256 of the public key's DER SubjectPublicKeyInfo: the DSSE
     * keyid relgate writes (a hint only), and how two files holding one key are
     * recognised as one key for a threshold. */
    char id[RG_SHA256_HEX_LEN + 1];
} rg_key;

/* The signer module, loaded on first use and kept: NULL with ERR (kind usage when
 * relgate was built without it). */
const rg_sign_backend *rg_sign_backend_get(rg_error *err);

/* A key from PEM text (LEN bytes), private when PRIVATE_KEY, through BACKEND.  DISPLAY
 * names the file in messages.  0, or -1 with ERR. */
int rg_key_from_pem(const rg_sign_backend *backend, const char *pem, size_t len, int private_key,
                    const char *display, rg_key *out, rg_error *err);

/* A key from the PEM file at PATH.  A private key file that its group or others may
 * read is refused: a signing key others can copy signs for them too.  0, or -1 with ERR. */
int rg_key_load(const char *path, int private_key, rg_key *out, rg_error *err);

void rg_key_clear(rg_key *key);

/* The key SIGNER holds (attest.c). */
const rg_key *rg_signer_key(const rg_signer *signer);

#endif
