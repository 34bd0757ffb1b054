/* The SHA-256 of byte strings a process hashed before, found again by comparing the
 * bytes themselves (relgate serve's workers: the same evidence comes inline with request
 * after request, and its digest names its file).  A digest is given back only for bytes
 * equal to those it was computed from, byte for byte: never on a hash of them, so no
 * collision can make two contents one. */
#ifndef RG_DIGEST_MEMO_H
#define RG_DIGEST_MEMO_H

#include <stddef.h>

#define RG_DIGEST_HEX_SIZE 65   /* 64 hex digits and the NUL */

typedef struct rg_digest_memo rg_digest_memo;

/* A memo keeping at most SLOTS contents and MAX_BYTES of them in all; NULL when out of
 * memory (then pass NULL: rg_digest_memo_sha256 hashes every time). */
rg_digest_memo *rg_digest_memo_new(size_t slots, size_t max_bytes);
void rg_digest_memo_free(rg_digest_memo *m);

/* The SHA-256 of DATA (LEN bytes) as lowercase hex into HEX: remembered when these bytes
 * were hashed before (the memo may be NULL), else computed and, within the limits,
 * remembered (the oldest content making room). */
void rg_digest_memo_sha256(rg_digest_memo *m, const void *data, size_t len, char hex[RG_DIGEST_HEX_SIZE]);

/* How many digests were given back remembered so far (what the tests look at). */
size_t rg_digest_memo_hits(const rg_digest_memo *m);

#endif
