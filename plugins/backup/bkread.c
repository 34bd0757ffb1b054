/* A backup file read in order, in large pieces, by the checks that walk its structure
 * (pgdump.c, endmark.c): skips past large stretches cost no read at all. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bk.h"

struct bk_reader {
    int fd;
    off_t size;               /* where the file ends, for the reader */
    off_t at;                 /* the next byte to read */
    off_t buf_at;             /* the file offset of buf[0] */
    size_t buf_len;
    int failed;               /* errno of a failed read, or 0 */
    unsigned char buf[1 << 16];
};

bk_reader *bk_reader_open(int fd, off_t size)
{
    bk_reader *r = calloc(1, sizeof *r);
    if (r) {
        r->fd = fd;
        r->size = size;
    }
    return r;
}

void bk_reader_free(bk_reader *r)
{
    free(r);
}

off_t bk_reader_at(const bk_reader *r)
{
    return r->at;
}

off_t bk_reader_size(const bk_reader *r)
{
    return r->size;
}

void bk_reader_seek(bk_reader *r, off_t at)
{
    r->at = at;
}

int bk_reader_failed(const bk_reader *r)
{
    return r->failed;
}

int bk_take(bk_reader *r, unsigned char *out, off_t n)
{
    if (n < 0 || r->at < 0 || r->at > r->size || n > r->size - r->at)
        return -1;   /* past the end: the caller tells it from a failed read (bk_reader_failed) */
    while (n > 0) {
        if (r->at < r->buf_at || r->at >= r->buf_at + (off_t)r->buf_len) {
            ssize_t got;
            if (!out && n >= (off_t)sizeof r->buf) {   /* a large skip: nothing to read */
                r->at += n;
                return 0;
            }
            do
                got = pread(r->fd, r->buf, sizeof r->buf, r->at);
            while (got < 0 && errno == EINTR);
            if (got <= 0) {
                r->failed = got < 0 ? errno : EIO;   /* 0: the file shrank while read */
                return -1;
            }
            r->buf_at = r->at;
            r->buf_len = (size_t)got;
        }
        size_t from = (size_t)(r->at - r->buf_at);
        size_t k = r->buf_len - from < (size_t)n ? r->buf_len - from : (size_t)n;
        if (out) {
            memcpy(out, r->buf + from, k);
            out += k;
        }
        r->at += (off_t)k;
        n -= (off_t)k;
    }
    return 0;
}

int bk_take_byte(bk_reader *r, int *out)
{
    unsigned char b;
    if (bk_take(r, &b, 1) != 0)
        return -1;
    *out = b;
    return 0;
}

int bk_take_le(bk_reader *r, int size, uint64_t *out)
{
    unsigned char b[8];
    if (size < 1 || size > 8 || bk_take(r, b, size) != 0)
        return -1;
    *out = 0;
    for (int i = size - 1; i >= 0; i--)
        *out = *out << 8 | b[i];
    return 0;
}
