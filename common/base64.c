/* Base64 for DSSE (base64.h), by Nettle's coder. */
#include <stdlib.h>
#include <string.h>

#include <nettle/base64.h>

#include "base64.h"

void rg_base64_put(rg_strbuf *out, const void *data, size_t len)
{
    size_t n = BASE64_ENCODE_RAW_LENGTH(len);
    if (rg_strbuf_reserve(out, n) != 0)
        return;
    base64_encode_raw(out->data + out->len, len, data);
    out->len += n;
    out->data[out->len] = '\0';
}

unsigned char *rg_base64_decode(const char *text, size_t len, size_t *out_len)
{
    struct base64_decode_ctx ctx;
    int standard = 0, url = 0;
    size_t data = len, n, pad;
    char *padded;
    unsigned char *out;

    /* The alphabet is chosen by what TEXT holds; Nettle's decoder would skip blanks,
     * which no envelope has, so anything outside the alphabet is refused here. */
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (c == '+' || c == '/')
            standard = 1;
        else if (c == '-' || c == '_')
            url = 1;
        else if (c == '=') {
            if (data == len)
                data = i;
        } else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
            return NULL;
        if (c != '=' && data != len)
            return NULL;            /* data after padding */
    }
    if ((standard && url) || len - data > 2 || data % 4 == 1 || (len != data && len % 4 != 0))
        return NULL;
    /* Padding put back where a signer left it out, since Nettle's decoder wants it. */
    pad = (4 - data % 4) % 4;
    if (!(padded = malloc(data + pad + 1)))
        return NULL;
    memcpy(padded, text, data);
    memset(padded + data, '=', pad);
    out = malloc(BASE64_DECODE_LENGTH(data + pad) + 1);
    if (!out) {
        free(padded);
        return NULL;
    }
    if (url)
        base64url_decode_init(&ctx);
    else
        base64_decode_init(&ctx);
    n = BASE64_DECODE_LENGTH(data + pad);
    if (!base64_decode_update(&ctx, &n, out, data + pad, padded) || !base64_decode_final(&ctx)) {
        free(padded);
        free(out);
        return NULL;
    }
    free(padded);
    /* Only the one spelling of these bytes: bits left over in the last character must be
     * zero, so that no two envelopes differ in their text and not in what is signed. */
    if (data % 4) {
        static const char std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        char last = text[data - 1] == '-' ? '+' : text[data - 1] == '_' ? '/' : text[data - 1];
        int v = (int)(strchr(std, last) - std);
        if ((data % 4 == 2 && (v & 0xf)) || (data % 4 == 3 && (v & 0x3))) {
            free(out);
            return NULL;
        }
    }
    out[n] = '\0';
    *out_len = n;
    return out;
}
