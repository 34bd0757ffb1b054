/* A memo of SHA-256 digests, looked up by the bytes themselves (digest_memo.h).
 *
 * A handful of slots, searched in order: the contents a service sees again are few (a
 * project's CI status, its scan, its notes), and a content is compared only with those
 * of its very length, by memcmp, which is some twenty times cheaper than hashing it
 * even with the CPU's SHA instructions.  Replaced oldest first. */
#include <stdlib.h>
#include <string.h>

#include <nettle/sha2.h>

#include "digest_memo.h"

typedef struct memo_slot {
    unsigned char *bytes;    /* NULL: empty */
    size_t len;
    char hex[RG_DIGEST_HEX_SIZE];
} memo_slot;

struct rg_digest_memo {
    memo_slot *slots;
    size_t count, next;      /* NEXT: the slot replaced next (the oldest) */
    size_t bytes, max_bytes;
    size_t hits;
};

rg_digest_memo *rg_digest_memo_new(size_t slots, size_t max_bytes)
{
    rg_digest_memo *m = calloc(1, sizeof *m);
    if (!m || !slots || !(m->slots = calloc(slots, sizeof *m->slots))) {
        free(m);
        return NULL;
    }
    m->count = slots;
    m->max_bytes = max_bytes;
    return m;
}

void rg_digest_memo_free(rg_digest_memo *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->count; i++)
        free(m->slots[i].bytes);
    free(m->slots);
    free(m);
}

static void sha256_hex(const void *data, size_t len, char hex[RG_DIGEST_HEX_SIZE])
{
    static const char digits[] = "0123456789abcdef";
    unsigned char digest[SHA256_DIGEST_SIZE];
    struct sha256_ctx sha;
    sha256_init(&sha);
    sha256_update(&sha, len, data);
    sha256_digest(&sha, sizeof digest, digest);
    for (size_t i = 0; i < sizeof digest; i++) {
        hex[2 * i] = digits[digest[i] >> 4];
        hex[2 * i + 1] = digits[digest[i] & 15];
    }
    hex[2 * sizeof digest] = '\0';
}

/* Empty slot S. */
static void drop(rg_digest_memo *m, memo_slot *s)
{
    m->bytes -= s->len;
    free(s->bytes);
    s->bytes = NULL;
    s->len = 0;
}

void rg_digest_memo_sha256(rg_digest_memo *m, const void *data, size_t len, char hex[RG_DIGEST_HEX_SIZE])
{
    memo_slot *s;
    if (!m) {
        sha256_hex(data, len, hex);
        return;
    }
    for (size_t i = 0; i < m->count; i++) {
        s = &m->slots[i];
        if (s->bytes && s->len == len && memcmp(s->bytes, data, len) == 0) {
            memcpy(hex, s->hex, RG_DIGEST_HEX_SIZE);
            m->hits++;
            return;
        }
    }
    sha256_hex(data, len, hex);
    if (len == 0 || len > m->max_bytes)
        return;
    /* Room: the oldest first, as many as it takes. */
    for (size_t i = 0; m->bytes + len > m->max_bytes && i < m->count; i++)
        if (m->slots[(m->next + i) % m->count].bytes)
            drop(m, &m->slots[(m->next + i) % m->count]);
    s = &m->slots[m->next];
    if (s->bytes)
        drop(m, s);
    if (!(s->bytes = malloc(len)))
        return;   /* not remembered: hashed again next time */
    memcpy(s->bytes, data, len);
    s->len = len;
    memcpy(s->hex, hex, RG_DIGEST_HEX_SIZE);
    m->bytes += len;
    m->next = (m->next + 1) % m->count;
}

size_t rg_digest_memo_hits(const rg_digest_memo *m)
{
    return m ? m->hits : 0;
}
