/* The signer module's interface: keys, signatures and their verification, done by a
 * crypto library the engine itself never links.
 *
 * GnuTLS (on Nettle, the engine's own crypto) reads the keys and makes and checks the
 * signatures; linked into librelgate it would cost every start ~14,000 relocations (a
 * cold decision's CPU time five times over: docs/performance.md), so it lives in a module
 * (attest/) the engine dlopens only when a decision is signed or an attestation verified.
 * The module includes this header and nothing else of the engine.  The engine owns the
 * rules (DSSE, the in-toto statement, thresholds); the module only handles keys. */
#ifndef RG_SIGN_BACKEND_H
#define RG_SIGN_BACKEND_H

#include <stddef.h>

/* Bumped whenever a struct or function here changes; a module built for another
 * version is refused. */
#define RG_SIGN_ABI 1
#define RG_SIGN_ERRMAX 512

/* A key of the module's own making: private (it can sign) or public. */
typedef struct rg_sign_key rg_sign_key;

/* Every function returning int returns 0, or -1 with a message in ERR (RG_SIGN_ERRMAX
 * bytes) that never holds key material. */
typedef struct rg_sign_backend {
    unsigned abi;          /* RG_SIGN_ABI */
    size_t size;           /* sizeof (rg_sign_backend) */
    const char *name;      /* "gnutls" */
    /* A PEM private key (PKCS#8, unencrypted, as `openssl genpkey` and cosign write it),
     * or a PEM public key (SubjectPublicKeyInfo).  Only ECDSA on P-256 and Ed25519 are
     * accepted. */
    int (*load_private)(const char *pem, size_t len, rg_sign_key **key, char *err);
    int (*load_public)(const char *pem, size_t len, rg_sign_key **key, char *err);
    void (*free_key)(rg_sign_key *key);
    /* "ecdsa-p256-sha256" or "ed25519". */
    const char *(*algorithm)(const rg_sign_key *key);
    /* The key's public half as DER SubjectPublicKeyInfo (heap, free with free()): what
     * the engine hashes into a key id, so a private key and its public key match. */
    int (*public_der)(const rg_sign_key *key, unsigned char **der, size_t *len, char *err);
    /* Sign DATA with a private key: ECDSA over SHA-256 as a DER signature, or Ed25519's
     * 64 bytes.  *SIG is a heap buffer (free()). */
    int (*sign)(const rg_sign_key *key, const void *data, size_t len, unsigned char **sig,
                size_t *sig_len, char *err);
    /* 1 when SIG is a valid signature of DATA by KEY, else 0. */
    int (*verify)(const rg_sign_key *key, const void *data, size_t len, const unsigned char *sig,
                  size_t sig_len);
} rg_sign_backend;

/* The symbol the module exports. */
typedef const rg_sign_backend *(*rg_sign_backend_fn)(void);
#define RG_SIGN_BACKEND_SYMBOL "relgate_sign_backend"

#endif
