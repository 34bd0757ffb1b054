/* SHA-256 through Nettle: a well-kept implementation rather than our own.  Not OpenSSL:
 * its provider start-up and relocations cost about 1 ms of every relgate run (measured
 * with perf), a third of a cold decision; Nettle's cost none. */
#include <errno.h>
#include <nettle/sha2.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "digest.h"

struct rg_sha256 {
    struct sha256_ctx ctx;
};

rg_sha256 *rg_sha256_new(void)
{
    rg_sha256 *s = malloc(sizeof *s);
    if (s)
        sha256_init(&s->ctx);
    return s;
}

void rg_sha256_update(rg_sha256 *state, const void *data, size_t len)
{
    if (state && len)
        sha256_update(&state->ctx, len, data);
}

void rg_sha256_final(rg_sha256 *state, unsigned char out[RG_SHA256_LEN])
{
    if (!state)
        return;
    sha256_digest(&state->ctx, RG_SHA256_LEN, out);
    free(state);
}

void rg_sha256_of(const void *data, size_t len, unsigned char out[RG_SHA256_LEN])
{
    struct sha256_ctx ctx;
    sha256_init(&ctx);
    if (len)
        sha256_update(&ctx, len, data);
    sha256_digest(&ctx, RG_SHA256_LEN, out);
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

int rg_sha256_fd(int fd, unsigned char out[RG_SHA256_LEN])
{
    char buf[65536];
    off_t at = 0;
    ssize_t n;
    rg_sha256 *h = rg_sha256_new();
    if (!h)
        return -1;
    while ((n = pread(fd, buf, sizeof buf, at)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rg_sha256_final(h, out);
            return -1;
        }
        rg_sha256_update(h, buf, (size_t)n);
        at += n;
    }
    rg_sha256_final(h, out);
    return 0;
}
