/* SHA-256 through OpenSSL's EVP interface: a well-kept implementation rather than our own. */
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "digest.h"

/* rg_sha256 is never defined: a pointer to it is an EVP_MD_CTX in disguise. */

rg_sha256 *rg_sha256_new(void)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md)
        return NULL;
    if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(md);
        return NULL;
    }
    /* The state is the EVP context itself; the struct only names it. */
    return (rg_sha256 *)md;
}

void rg_sha256_update(rg_sha256 *state, const void *data, size_t len)
{
    if (state && len)
        EVP_DigestUpdate((EVP_MD_CTX *)state, data, len);
}

void rg_sha256_final(rg_sha256 *state, unsigned char out[RG_SHA256_LEN])
{
    unsigned int n = 0;
    if (!state)
        return;
    EVP_DigestFinal_ex((EVP_MD_CTX *)state, out, &n);
    EVP_MD_CTX_free((EVP_MD_CTX *)state);
}

void rg_sha256_of(const void *data, size_t len, unsigned char out[RG_SHA256_LEN])
{
    rg_sha256 *s = rg_sha256_new();
    memset(out, 0, RG_SHA256_LEN);
    rg_sha256_update(s, data, len);
    rg_sha256_final(s, out);
}

void rg_sha256_label(const unsigned char digest[RG_SHA256_LEN], char *buf, size_t size)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
    const char *prefix = "sha256:";
    while (*prefix && n + 1 < size) buf[n++] = *prefix++;
    for (int i = 0; i < RG_SHA256_LEN && n + 2 < size; i++) {
        buf[n++] = hex[digest[i] >> 4];
        buf[n++] = hex[digest[i] & 15];
    }
    buf[n] = '\0';
}
