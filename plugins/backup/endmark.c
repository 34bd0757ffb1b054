/* Whether an archive or a compressed file was written to its end.
 *
 * A backup tool killed part way, or one that ran out of disk, leaves a file that starts
 * as its format does and stops anywhere (the most common way a backup fails while its
 * file is there).  Where a format marks its end, or lets its structure be walked without
 * decompressing, that is read here:
 *
 *   tar    its headers walked (each one's size leads to the next) to the two zero blocks
 *          that end the archive, then only zeros;
 *   xz     each stream ends with a footer whose last bytes are "YZ" (then zero padding);
 *   zstd   frames of blocks, each block's header giving its size and whether it is the
 *          frame's last; a frame with a checksum flag has four bytes after it;
 *   lz4    frames of size-prefixed blocks ending with a zero size (the legacy format's
 *          blocks end where the file does);
 *   bzip2  each stream ends with a 48-bit marker (not byte-aligned), a 32-bit checksum
 *          and padding to a byte;
 *   zip    the end-of-central-directory record, in the last 64 KiB + 22 bytes;
 *   7z     the signature header's next-header offset and size, which 7-Zip writes last,
 *          put the end of the archive at 32 + offset + size;
 *   cpio   the "TRAILER!!!" entry, then only the zeros of the block padding.
 *
 * Formats not in this list (gzip above all: its end is a checksum of what it holds) are
 * judged by their presence, age and size only.  Facts from the formats' specifications
 * (POSIX ustar, the .xz file format, RFC 8878, the LZ4 frame format, PKWARE's APPNOTE,
 * 7-Zip's 7zFormat.txt). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bk.h"

/* The last N (at most sizeof the caller's buffer) bytes of the file into TAIL: how many,
 * or -1. */
static ssize_t read_tail(bk_reader *r, unsigned char *tail, off_t n)
{
    off_t size = bk_reader_size(r);
    off_t from = size > n ? size - n : 0;
    bk_reader_seek(r, from);
    if (bk_take(r, tail, size - from) != 0)
        return -1;
    return (ssize_t)(size - from);
}

static int all_zero(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

/* Each returns 1 (its end is there), 0 (it is not: *MISSING says how, after "the FORMAT
 * file"), or -1 (a read failed). */

/* A tar header's numeric field (octal, or GNU's base-256 with its high bit set). */
static uint64_t tar_number(const unsigned char *field, size_t len)
{
    uint64_t v = 0;
    if (field[0] & 0x80) {
        for (size_t i = 1; i < len; i++)
            v = v << 8 | field[i];
        return v;
    }
    size_t i = 0;
    while (i < len && field[i] == ' ')
        i++;
    for (; i < len && field[i] >= '0' && field[i] <= '7'; i++)
        v = v * 8 + (uint64_t)(field[i] - '0');
    return v;
}

/* A pax extended header's "size=" record, from its DATA (LEN bytes): the size, or -1. */
static int64_t pax_size(const char *data, size_t len)
{
    for (size_t at = 0; at < len;) {
        char *end;
        unsigned long long n = strtoull(data + at, &end, 10);
        const char *kv = end + 1;
        if (end == data + at || *end != ' ' || n == 0 || n > len - at)
            return -1;
        if ((size_t)(data + at + n - kv) > 5 && memcmp(kv, "size=", 5) == 0)
            return (int64_t)strtoll(kv + 5, NULL, 10);
        at += n;
    }
    return -1;
}

/* tar: the headers walked, each one's data passed over by its size, to the two zero
 * blocks that end the archive, then only zeros (the record's padding).  The last bytes
 * being zero prove nothing: a tar cut in a run of zero data ends so (hostile round 41b,
 * F01). */
static int tar_ended(bk_reader *r, const char **missing)
{
    unsigned char block[512];
    int64_t pax = -1;   /* a pax header's size for the next entry */
    *missing = "ends inside its members, before the two zero blocks that end a tar archive";
    bk_reader_seek(r, 0);
    for (;;) {
        uint64_t size;
        int type;
        if (bk_take(r, block, sizeof block) != 0)
            return bk_reader_failed(r) ? -1 : 0;
        if (all_zero(block, sizeof block))
            break;
        if (!bk_tar_checksum_holds(block, sizeof block)) {
            *missing = "holds a damaged header among its members";
            return 0;
        }
        type = block[156];
        size = pax >= 0 ? (uint64_t)pax : tar_number(block + 124, 12);
        pax = -1;
        if (type >= '1' && type <= '6')
            size = 0;   /* links, devices, directories, FIFOs: no data */
        if (type == 'S' && block[482]) {   /* GNU sparse: extension headers follow */
            unsigned char ext[512];
            do
                if (bk_take(r, ext, sizeof ext) != 0)
                    return bk_reader_failed(r) ? -1 : 0;
            while (ext[504]);
        }
        if (size > (uint64_t)bk_reader_size(r))
            return 0;
        if (type == 'x' && size <= 65536) {   /* its records may set the next entry's size */
            char data[65536];
            if (bk_take(r, (unsigned char *)data, (off_t)size) != 0)
                return bk_reader_failed(r) ? -1 : 0;
            pax = pax_size(data, (size_t)size);
            if (bk_take(r, NULL, (off_t)((512 - size % 512) % 512)) != 0)
                return bk_reader_failed(r) ? -1 : 0;
            continue;
        }
        if (bk_take(r, NULL, (off_t)((size + 511) / 512 * 512)) != 0)
            return bk_reader_failed(r) ? -1 : 0;
    }
    /* the second zero block, then the record's padding: zeros to the end */
    if (bk_reader_size(r) - bk_reader_at(r) < 512) {
        *missing = "ends before the second of the two zero blocks that end a tar archive";
        return 0;
    }
    while (bk_reader_at(r) < bk_reader_size(r)) {
        off_t n = bk_reader_size(r) - bk_reader_at(r);
        if (n > (off_t)sizeof block)
            n = sizeof block;
        if (bk_take(r, block, n) != 0)
            return bk_reader_failed(r) ? -1 : 0;
        if (!all_zero(block, (size_t)n)) {
            *missing = "holds more after the zero blocks that end a tar archive";
            return 0;
        }
    }
    *missing = "is no whole number of 512-byte blocks";
    return bk_reader_size(r) % 512 == 0;
}

static int xz_ended(bk_reader *r, const char **missing)
{
    unsigned char tail[4096];
    ssize_t n = read_tail(r, tail, sizeof tail);
    if (n < 0)
        return -1;
    while (n >= 4 && all_zero(tail + n - 4, 4))   /* stream padding, in fours */
        n -= 4;
    *missing = "does not end with an xz stream footer (\"YZ\")";
    return n >= 12 && tail[n - 2] == 'Y' && tail[n - 1] == 'Z';
}

/* At a frame whose MAGIC was just read: a skippable frame (zstd's and lz4's, magic
 * 0x184D2A5?, then its size) passed over: 0; -1 when the file ends in it; 1 when the
 * frame is no skippable one. */
static int skippable_frame(bk_reader *r, uint64_t magic)
{
    uint64_t size;
    if ((magic & 0xfffffff0u) != 0x184d2a50u)
        return 1;
    return bk_take_le(r, 4, &size) != 0 || bk_take(r, NULL, (off_t)size) != 0 ? -1 : 0;
}

/* zstd: frames (and skippable frames) to the file's end. */
static int zstd_ended(bk_reader *r, const char **missing)
{
    *missing = "ends inside a zstd frame";
    bk_reader_seek(r, 0);
    while (bk_reader_at(r) < bk_reader_size(r)) {
        uint64_t magic;
        int descriptor, last = 0, rc;
        if (bk_take_le(r, 4, &magic) != 0)
            return bk_reader_failed(r) ? -1 : 0;
        if ((rc = skippable_frame(r, magic)) != 1) {
            if (rc < 0)
                return bk_reader_failed(r) ? -1 : 0;
            continue;
        }
        if (magic != 0xfd2fb528u) {
            *missing = "has no zstd frame where one should start";
            return 0;
        }
        if (bk_take_byte(r, &descriptor) != 0)
            return bk_reader_failed(r) ? -1 : 0;
        int single = descriptor >> 5 & 1, fcs = descriptor >> 6, dict = descriptor & 3;
        off_t header = (single ? 0 : 1) + (dict == 3 ? 4 : dict) + (fcs == 0 ? single : 1 << fcs);
        if (bk_take(r, NULL, header) != 0)
            return bk_reader_failed(r) ? -1 : 0;
        while (!last) {
            uint64_t block;
            if (bk_take_le(r, 3, &block) != 0)
                return bk_reader_failed(r) ? -1 : 0;
            last = block & 1;
            int type = block >> 1 & 3;
            if (type == 3) {
                *missing = "holds a zstd block of the reserved type";
                return 0;
            }
            if (bk_take(r, NULL, type == 1 ? 1 : (off_t)(block >> 3)) != 0)
                return bk_reader_failed(r) ? -1 : 0;
        }
        if ((descriptor >> 2 & 1) && bk_take(r, NULL, 4) != 0)   /* the content checksum */
            return bk_reader_failed(r) ? -1 : 0;
    }
    return 1;
}

/* lz4: frames (and skippable frames, and legacy frames) to the file's end. */
static int lz4_ended(bk_reader *r, const char **missing)
{
    *missing = "ends inside an lz4 frame";
    bk_reader_seek(r, 0);
    while (bk_reader_at(r) < bk_reader_size(r)) {
        uint64_t magic, size;
        int flags, ignored, rc;
        if (bk_take_le(r, 4, &magic) != 0)
            return bk_reader_failed(r) ? -1 : 0;
        if ((rc = skippable_frame(r, magic)) != 1) {
            if (rc < 0)
                return bk_reader_failed(r) ? -1 : 0;
            continue;
        }
        if (magic == 0x184c2102u) {   /* legacy: blocks of a 4-byte size, to the file's end */
            while (bk_reader_at(r) < bk_reader_size(r)) {
                if (bk_take_le(r, 4, &size) != 0)
                    return bk_reader_failed(r) ? -1 : 0;
                if (size == 0x184c2102u)   /* lz4 -l concatenated: another legacy frame */
                    continue;
                if (bk_take(r, NULL, (off_t)size) != 0)
                    return bk_reader_failed(r) ? -1 : 0;
            }
            return 1;
        }
        if (magic != 0x184d2204u) {
            *missing = "has no lz4 frame where one should start";
            return 0;
        }
        if (bk_take_byte(r, &flags) != 0 || bk_take_byte(r, &ignored) != 0 ||
            bk_take(r, NULL, ((flags & 0x08) ? 8 : 0) + (flags & 0x01 ? 4 : 0) + 1) != 0)
            return bk_reader_failed(r) ? -1 : 0;
        for (;;) {
            if (bk_take_le(r, 4, &size) != 0)
                return bk_reader_failed(r) ? -1 : 0;
            if (size == 0)
                break;
            if (bk_take(r, NULL, (off_t)(size & 0x7fffffffu) + (flags & 0x10 ? 4 : 0)) != 0)
                return bk_reader_failed(r) ? -1 : 0;
        }
        if ((flags & 0x04) && bk_take(r, NULL, 4) != 0)
            return bk_reader_failed(r) ? -1 : 0;
    }
    return 1;
}

/* bzip2: the end-of-stream marker 0x177245385090, then 32 bits of checksum and 0-7 bits
 * of padding to the file's end. */
static int bzip2_ended(bk_reader *r, const char **missing)
{
    unsigned char tail[11];
    ssize_t n = read_tail(r, tail, sizeof tail);
    if (n < 0)
        return -1;
    *missing = "does not end with a bzip2 end-of-stream marker";
    for (int pad = 0; pad < 8; pad++) {
        long end = (long)n * 8 - pad - 32;   /* the bit after the marker */
        uint64_t marker = 0;
        if (end < 48)
            break;
        for (long bit = end - 48; bit < end; bit++)
            marker = marker << 1 | (uint64_t)(tail[bit / 8] >> (7 - bit % 8) & 1);
        if (marker == 0x177245385090u)
            return 1;
    }
    return 0;
}

#define ZIP_TAIL (65535 + 22)   /* the record, and a comment of at most 65535 bytes */

static int zip_ended(bk_reader *r, const char **missing)
{
    unsigned char *tail = malloc(ZIP_TAIL);
    ssize_t n = tail ? read_tail(r, tail, ZIP_TAIL) : -1;
    int found = 0;
    if (n < 0) {
        free(tail);
        return -1;
    }
    *missing = "has no end-of-central-directory record at its end";
    for (ssize_t at = n - 22; at >= 0 && !found; at--)
        found = memcmp(tail + at, "PK\x05\x06", 4) == 0 &&
                at + 22 + (tail[at + 20] | tail[at + 21] << 8) == n;   /* its comment runs to the end */
    free(tail);
    return found;
}

/* 7z: the signature header's next-header offset and size (written last, at the start)
 * put the archive's end at 32 + offset + size. */
static int sevenzip_ended(bk_reader *r, const char **missing)
{
    uint64_t offset, size;
    bk_reader_seek(r, 12);
    if (bk_take_le(r, 8, &offset) != 0 || bk_take_le(r, 8, &size) != 0)
        return bk_reader_failed(r) ? -1 : 0;
    *missing = "does not end where its signature header puts the end";
    return size > 0 && offset <= UINT64_MAX - 32 - size &&
           32 + offset + size == (uint64_t)bk_reader_size(r);
}

/* cpio: the TRAILER!!! entry's name, then only the zeros that pad the archive to its block
 * size (512 bytes, 5120 with -B, any with -C: hostile round 41b, F02). */
static int cpio_ended(bk_reader *r, const char **missing)
{
    unsigned char chunk[4096];
    off_t end = bk_reader_size(r);
    *missing = "has no TRAILER!!! entry at its end";
    while (end > 0) {   /* back past the padding to the last byte that is not zero */
        off_t from = end > (off_t)sizeof chunk ? end - (off_t)sizeof chunk : 0;
        size_t k;
        bk_reader_seek(r, from);
        if (bk_take(r, chunk, end - from) != 0)
            return bk_reader_failed(r) ? -1 : 0;
        for (k = (size_t)(end - from); k > 0 && chunk[k - 1] == 0; k--)
            ;
        if (k > 0) {
            unsigned char name[10];
            end = from + (off_t)k;   /* just after the last byte that is not zero */
            if (end < 10)
                return 0;
            bk_reader_seek(r, end - 10);
            if (bk_take(r, name, 10) != 0)
                return bk_reader_failed(r) ? -1 : 0;
            return memcmp(name, "TRAILER!!!", 10) == 0;
        }
        end = from;
    }
    return 0;
}

typedef struct end_check {
    const char *format;   /* bk_magic_detect's name */
    int (*ended)(bk_reader *r, const char **missing);
} end_check;

static const end_check END_CHECKS[] = {
    {"tar", tar_ended},     {"xz", xz_ended},   {"zstd", zstd_ended}, {"lz4", lz4_ended},
    {"bzip2", bzip2_ended}, {"zip", zip_ended}, {"7z", sevenzip_ended}, {"cpio", cpio_ended},
};

int bk_archive_ended(int fd, off_t size, const char *format, char *unfinished, size_t n, char *why, size_t why_n)
{
    const end_check *c = NULL;
    bk_reader *r;
    const char *missing = "";
    int ended;
    for (size_t i = 0; format && i < sizeof END_CHECKS / sizeof END_CHECKS[0]; i++)
        if (strcmp(format, END_CHECKS[i].format) == 0)
            c = &END_CHECKS[i];
    if (!c)
        return 0;
    unfinished[0] = '\0';
    if (!(r = bk_reader_open(fd, size))) {
        snprintf(why, why_n, "out of memory");
        return -1;
    }
    ended = c->ended(r, &missing);
    if (ended < 0)
        snprintf(why, why_n, "cannot read: %s", strerror(bk_reader_failed(r)));
    else if (!ended)
        snprintf(unfinished, n, "the %s file %s: its tool did not finish it", format, missing);
    bk_reader_free(r);
    return ended < 0 ? -1 : 0;
}
