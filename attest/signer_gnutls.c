/* The signer module: keys and signatures through GnuTLS (core/sign_backend.h says why
 * this is a module).  GnuTLS reads the PEM and ASN.1 and makes and checks the
 * signatures; nothing here parses key material by hand. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>

#include "sign_backend.h"

#define EXPORT __attribute__((visibility("default")))

struct rg_sign_key {
    gnutls_privkey_t priv;        /* NULL for a public key */
    gnutls_pubkey_t pub;
    gnutls_sign_algorithm_t sign; /* GNUTLS_SIGN_ECDSA_SHA256 or GNUTLS_SIGN_EDDSA_ED25519 */
};

static void free_key(rg_sign_key *key)
{
    if (!key)
        return;
    if (key->priv)
        gnutls_privkey_deinit(key->priv);
    if (key->pub)
        gnutls_pubkey_deinit(key->pub);
    free(key);
}

/* The signature algorithm of PUB, or -1 with ERR when relgate does not sign with it:
 * ECDSA only on P-256 (what cosign and slsa-verifier use), and Ed25519. */
static int algorithm_of(gnutls_pubkey_t pub, gnutls_sign_algorithm_t *sign, const char *what, char *err)
{
    int pk = gnutls_pubkey_get_pk_algorithm(pub, NULL);
    if (pk == GNUTLS_PK_EDDSA_ED25519) {
        *sign = GNUTLS_SIGN_EDDSA_ED25519;
        return 0;
    }
    if (pk == GNUTLS_PK_ECDSA) {
        gnutls_ecc_curve_t curve = GNUTLS_ECC_CURVE_INVALID;
        gnutls_datum_t x = {NULL, 0}, y = {NULL, 0};
        int rc = gnutls_pubkey_export_ecc_raw(pub, &curve, &x, &y);
        gnutls_free(x.data);
        gnutls_free(y.data);
        if (rc == 0 && curve == GNUTLS_ECC_CURVE_SECP256R1) {
            *sign = GNUTLS_SIGN_ECDSA_SHA256;
            return 0;
        }
        snprintf(err, RG_SIGN_ERRMAX, "the %s is an ECDSA key on %s: relgate signs with P-256 (prime256v1) or Ed25519",
                 what, rc == 0 ? gnutls_ecc_curve_get_name(curve) : "an unknown curve");
        return -1;
    }
    snprintf(err, RG_SIGN_ERRMAX, "the %s is a %s key: relgate signs with ECDSA P-256 or Ed25519", what,
             pk >= 0 ? gnutls_pk_get_name((gnutls_pk_algorithm_t)pk) : "unknown");
    return -1;
}

static int load_private(const char *pem, size_t len, rg_sign_key **out, char *err)
{
    rg_sign_key *key = calloc(1, sizeof *key);
    gnutls_datum_t data = {(unsigned char *)pem, (unsigned)len};
    int rc;
    *out = NULL;
    if (!key || gnutls_privkey_init(&key->priv) < 0 || gnutls_pubkey_init(&key->pub) < 0) {
        free_key(key);
        snprintf(err, RG_SIGN_ERRMAX, "out of memory");
        return -1;
    }
    /* No password: a key encrypted with one is refused rather than asked for. */
    rc = gnutls_privkey_import_x509_raw(key->priv, &data, GNUTLS_X509_FMT_PEM, NULL, 0);
    if (rc < 0) {
        snprintf(err, RG_SIGN_ERRMAX, "not an unencrypted PEM private key (PKCS#8, as openssl genpkey writes): %s",
                 gnutls_strerror(rc));
        free_key(key);
        return -1;
    }
    if ((rc = gnutls_pubkey_import_privkey(key->pub, key->priv, 0, 0)) < 0) {
        snprintf(err, RG_SIGN_ERRMAX, "cannot derive the public key: %s", gnutls_strerror(rc));
        free_key(key);
        return -1;
    }
    if (algorithm_of(key->pub, &key->sign, "signing key", err) != 0) {
        free_key(key);
        return -1;
    }
    *out = key;
    return 0;
}

static int load_public(const char *pem, size_t len, rg_sign_key **out, char *err)
{
    rg_sign_key *key = calloc(1, sizeof *key);
    gnutls_datum_t data = {(unsigned char *)pem, (unsigned)len};
    int rc;
    *out = NULL;
    if (!key || gnutls_pubkey_init(&key->pub) < 0) {
        free_key(key);
        snprintf(err, RG_SIGN_ERRMAX, "out of memory");
        return -1;
    }
    rc = gnutls_pubkey_import(key->pub, &data, GNUTLS_X509_FMT_PEM);
    if (rc < 0) {
        snprintf(err, RG_SIGN_ERRMAX, "not a PEM public key (SubjectPublicKeyInfo, \"BEGIN PUBLIC KEY\"): %s",
                 gnutls_strerror(rc));
        free_key(key);
        return -1;
    }
    if (algorithm_of(key->pub, &key->sign, "public key", err) != 0) {
        free_key(key);
        return -1;
    }
    *out = key;
    return 0;
}

static const char *algorithm(const rg_sign_key *key)
{
    return key->sign == GNUTLS_SIGN_EDDSA_ED25519 ? "ed25519" : "ecdsa-p256-sha256";
}

/* A gnutls_malloc'ed datum as a malloc'ed buffer (the engine frees with free()). */
static int take(gnutls_datum_t *d, unsigned char **out, size_t *len, char *err)
{
    *out = malloc(d->size ? d->size : 1);
    if (*out) {
        memcpy(*out, d->data, d->size);
        *len = d->size;
    }
    gnutls_free(d->data);
    if (!*out) {
        snprintf(err, RG_SIGN_ERRMAX, "out of memory");
        return -1;
    }
    return 0;
}

static int public_der(const rg_sign_key *key, unsigned char **der, size_t *len, char *err)
{
    gnutls_datum_t out = {NULL, 0};
    int rc = gnutls_pubkey_export2(key->pub, GNUTLS_X509_FMT_DER, &out);
    if (rc < 0) {
        snprintf(err, RG_SIGN_ERRMAX, "cannot export the public key: %s", gnutls_strerror(rc));
        return -1;
    }
    return take(&out, der, len, err);
}

static int sign(const rg_sign_key *key, const void *data, size_t len, unsigned char **sig, size_t *sig_len,
                char *err)
{
    gnutls_datum_t in = {(unsigned char *)data, (unsigned)len}, out = {NULL, 0};
    int rc;
    if (!key->priv) {
        snprintf(err, RG_SIGN_ERRMAX, "a public key cannot sign");
        return -1;
    }
    /* ECDSA: SHA-256 of the data, signed, DER-encoded (r, s) as cosign writes it. */
    rc = gnutls_privkey_sign_data2(key->priv, key->sign, 0, &in, &out);
    if (rc < 0) {
        snprintf(err, RG_SIGN_ERRMAX, "signing failed: %s", gnutls_strerror(rc));
        return -1;
    }
    return take(&out, sig, sig_len, err);
}

static int verify(const rg_sign_key *key, const void *data, size_t len, const unsigned char *sig, size_t sig_len)
{
    gnutls_datum_t in = {(unsigned char *)data, (unsigned)len};
    gnutls_datum_t s = {(unsigned char *)sig, (unsigned)sig_len};
    if (len > 0xffffffffu || sig_len > 0xffffffffu)
        return 0;
    return gnutls_pubkey_verify_data2(key->pub, key->sign, 0, &in, &s) >= 0;
}

static const rg_sign_backend BACKEND = {
    RG_SIGN_ABI, sizeof(rg_sign_backend), "gnutls",
    load_private, load_public, free_key, algorithm, public_der, sign, verify,
};

EXPORT const rg_sign_backend *relgate_sign_backend(void);

EXPORT const rg_sign_backend *relgate_sign_backend(void)
{
    return &BACKEND;
}
