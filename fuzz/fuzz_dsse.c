/* DSSE envelopes and base64 over arbitrary bytes: what `relgate verify` reads from a file
 * anyone may have written.  Parsing must never crash; base64 that decodes must re-encode
 * to the same bytes (one spelling per content); and with no trusted key, no envelope is
 * ever accepted, whatever it holds. */
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "dsse.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const types[] = {RG_INTOTO_PAYLOAD_TYPE};
    char *text = fuzz_text(data, size), why[512];
    rg_dsse_payload out;
    size_t n;
    unsigned char *bytes = rg_base64_decode(text, size, &n);
    if (bytes) {
        rg_strbuf again = {0};
        size_t k = 0;
        rg_base64_put(&again, bytes, n);
        /* The input, with '-' '_' read as '+' '/' and padding ignored, is the re-encoding. */
        for (size_t i = 0; i < size && text[i] != '='; i++, k++) {
            char c = text[i] == '-' ? '+' : text[i] == '_' ? '/' : text[i];
            if (k >= again.len || again.data[k] != c)
                fuzz_fail("base64 decoded to bytes that encode otherwise");
        }
        if (again.data && strspn(again.data + k, "=") != again.len - k)
            fuzz_fail("base64 decoded only part of its input");
        free(rg_strbuf_finish(&again));
        free(bytes);
    }
    if (rg_dsse_verify(text, size, NULL, 0, 1, types, 1, &out, why, sizeof why) == 0)
        fuzz_fail("an envelope was accepted with no trusted key");
    free(text);
    return 0;
}
