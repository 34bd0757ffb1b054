/* The SHA-256 of byte strings a process hashed before, found again by comparing the
 * bytes themselves (relgate serve's workers: the same evidence comes inline with request
 * after request, and its digest names its file).  A digest is given back only for bytes
 * equal to those it was computed from, byte for byte: never on a hash of them, so no
 * collision can make two contents one.  Contents a strict JSON check took are marked so,
 * for the next check to take them as they are (rg_json_check_known). */
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

/* The bytes of a JSON value a strict check took (rg_json_check_known's CHECKED): DATA
 * (LEN bytes, an object or an array) remembered as checked; its digest is computed when
 * first asked for (a value that never becomes an evidence file is not hashed). */
void rg_digest_memo_note_checked(rg_digest_memo *m, const void *data, size_t len);

/* rg_json_check_known's FIND: the length of a value remembered as checked that the bytes
 * at AT (LEFT of them) begin with, byte for byte, or 0. */
size_t rg_digest_memo_find_checked(const rg_digest_memo *m, const char *at, size_t left);

/* How many digests were given back remembered (not computed) so far (what the tests look at). */
size_t rg_digest_memo_hits(const rg_digest_memo *m);

#endif
