/* Base64 through Nettle, for DSSE envelopes: written in the standard alphabet with
 * padding; read in either alphabet, padded or not, as the DSSE protocol requires of a
 * verifier. */
#ifndef RG_BASE64_H
#define RG_BASE64_H

#include <stddef.h>

#include "strbuf.h"

/* Append the standard, padded base64 of DATA (LEN bytes) to OUT. */
void rg_base64_put(rg_strbuf *out, const void *data, size_t len);

/* Decode TEXT (LEN characters), standard or URL-safe alphabet (not both mixed), with or
 * without "=" padding.  Returns a heap buffer (free()) of *OUT_LEN bytes, NUL-terminated
 * for convenience, or NULL when TEXT is not base64 (or memory ran out). */
unsigned char *rg_base64_decode(const char *text, size_t len, size_t *out_len);

#endif
