/* SHA-256 digests (Nettle's sha256, core/digest.c). */
#ifndef RG_DIGEST_H
#define RG_DIGEST_H

#include <stddef.h>

#define RG_SHA256_LEN 32
#define RG_SHA256_HEX_LEN 64

/* Incremental SHA-256 of several buffers. */
typedef struct rg_sha256 rg_sha256;

/* Returns a new digest state (free with rg_sha256_final), or NULL when out of memory. */
rg_sha256 *rg_sha256_new(void);
void rg_sha256_update(rg_sha256 *state, const void *data, size_t len);
/* Write the digest into OUT and free STATE. */
void rg_sha256_final(rg_sha256 *state, unsigned char out[RG_SHA256_LEN]);

/* One-shot digest of DATA. */
void rg_sha256_of(const void *data, size_t len, unsigned char out[RG_SHA256_LEN]);

/* Digest of the whole file open as FD, read with pread from its start (FD's offset is
 * left alone: a descriptor children share).  0, or -1 when it could not be read. */
int rg_sha256_fd(int fd, unsigned char out[RG_SHA256_LEN]);

/* "sha256:" followed by the lower-case hex digest, into BUF (at least 72 bytes). */
void rg_sha256_label(const unsigned char digest[RG_SHA256_LEN], char *buf, size_t size);

#define RG_SHA256_LABEL_SIZE 72

#endif
