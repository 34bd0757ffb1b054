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
    char hex[RG_DIGEST_HEX_SIZE];   /* "" until asked for: a value only checked is not hashed */
    int checked;             /* a strict JSON check took these bytes as one value */
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
    s->checked = 0;
}

/* The slot holding DATA (LEN bytes), or NULL. */
static memo_slot *slot_of(const rg_digest_memo *m, const void *data, size_t len)
{
    for (size_t i = 0; i < m->count; i++) {
        memo_slot *s = &m->slots[i];
        if (s->bytes && s->len == len && memcmp(s->bytes, data, len) == 0)
            return s;
    }
    return NULL;
}

/* DATA's slot, remembered now if it was not (NULL: not remembered, too large or out of
 * memory); its digest not taken. */
static memo_slot *remember(rg_digest_memo *m, const void *data, size_t len)
{
    memo_slot *s;
    if ((s = slot_of(m, data, len)) != NULL)
        return s;
    if (len == 0 || len > m->max_bytes)
        return NULL;
    /* Room: the oldest first, as many as it takes. */
    for (size_t i = 0; m->bytes + len > m->max_bytes && i < m->count; i++)
        if (m->slots[(m->next + i) % m->count].bytes)
            drop(m, &m->slots[(m->next + i) % m->count]);
    s = &m->slots[m->next];
    if (s->bytes)
        drop(m, s);
    if (!(s->bytes = malloc(len)))
        return NULL;   /* not remembered: hashed again next time */
    memcpy(s->bytes, data, len);
    s->len = len;
    s->hex[0] = '\0';
    m->bytes += len;
    m->next = (m->next + 1) % m->count;
    return s;
}

void rg_digest_memo_sha256(rg_digest_memo *m, const void *data, size_t len, char hex[RG_DIGEST_HEX_SIZE])
{
    memo_slot *s = m ? remember(m, data, len) : NULL;
    if (s && s->hex[0]) {
        memcpy(hex, s->hex, RG_DIGEST_HEX_SIZE);
        m->hits++;
        return;
    }
    sha256_hex(data, len, hex);
    if (s)
        memcpy(s->hex, hex, RG_DIGEST_HEX_SIZE);
}

void rg_digest_memo_note_checked(rg_digest_memo *m, const void *data, size_t len)
{
    const char *c = data;
    memo_slot *s;
    if (!m || len == 0 || (c[0] != '{' && c[0] != '['))
        return;   /* only what ends itself: a prefix match is then the whole value */
    if ((s = remember(m, data, len)) != NULL)
        s->checked = 1;
}

size_t rg_digest_memo_find_checked(const rg_digest_memo *m, const char *at, size_t left)
{
    if (!m)
        return 0;
    for (size_t i = 0; i < m->count; i++) {
        const memo_slot *s = &m->slots[i];
        if (s->checked && s->len <= left && memcmp(s->bytes, at, s->len) == 0)
            return s->len;
    }
    return 0;
}

size_t rg_digest_memo_hits(const rg_digest_memo *m)
{
    return m ? m->hits : 0;
}
