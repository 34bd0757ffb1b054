/* Archive and dump formats a backup file comes in, told by their first bytes. */
#include <stdint.h>
#include <string.h>

#include "bk.h"

typedef struct magic {
    size_t offset;
    const char *bytes;
    size_t len;
    const char *name;
} magic;

#define M(off, lit, name) { off, lit, sizeof lit - 1, name }

static const magic MAGICS[] = {
    M(0, "\x1f\x8b\x08", "gzip"),
    M(0, "\xfd" "7zXZ\x00", "xz"),
    M(0, "\x28\xb5\x2f\xfd", "zstd"),
    M(0, "\x04\x22\x4d\x18", "lz4"),
    M(0, "\x02\x21\x4c\x18", "lz4"),   /* the legacy frame: lz4 -l, the Linux kernel's */
    M(0, "\x89LZO\x00\r\n\x1a\n", "lzop"),
    M(0, "PK\x03\x04", "zip"),
    M(0, "PK\x05\x06", "zip"),
    M(0, "7z\xbc\xaf\x27\x1c", "7z"),
    M(257, "ustar", "tar"),
    M(0, "PGDMP", "pg_dump custom"),
    M(0, "SQLite format 3\x00", "sqlite"),
    M(0, "age-encryption.org/v1\n", "age"),
    M(0, "-----BEGIN AGE ENCRYPTED FILE-----", "age"),   /* age --armor */
    M(0, "-----BEGIN PGP MESSAGE-----", "openpgp"),
    M(0, "Salted__", "openssl enc"),
    M(0, "QFI\xfb", "qcow2"),
    M(0, "\x30\x37\x30\x37\x30\x31", "cpio"), /* "070701": newc */
    M(0, "\x30\x37\x30\x37\x30\x32", "cpio"), /* "070702": crc */
    M(0, "\x30\x37\x30\x37\x30\x37", "cpio"), /* "070707": odc */
};

/* GNU cpio's default format (-H bin, the old binary one): a 26-byte header of 16-bit
 * words in the writer's byte order, its magic 070707 octal (0x71c7).  Two bytes are a
 * weak sign, so the header must hold together too: a file type its mode names, and the
 * first member's name (namesize bytes after the header, at most PATH_MAX) ending in its
 * NUL (real-tool round 35, F01). */
static int cpio_binary_holds(const unsigned char *head, size_t len)
{
    int little;
    unsigned mode, namesize, type;
    if (len < 28)
        return 0;
    if (head[0] == 0xc7 && head[1] == 0x71)
        little = 1;
    else if (head[0] == 0x71 && head[1] == 0xc7)
        little = 0;
    else
        return 0;
    mode = little ? head[6] | head[7] << 8 : head[6] << 8 | head[7];
    namesize = little ? head[20] | head[21] << 8 : head[20] << 8 | head[21];
    type = mode & 0170000;
    if (type != 0100000 && type != 0040000 && type != 0120000 && type != 0020000 && type != 0060000 &&
        type != 0010000 && type != 0140000 && !(mode == 0 && namesize == 11))   /* 0: "TRAILER!!!" */
        return 0;
    if (namesize < 2 || namesize > 4096 || 26 + (size_t)namesize > len || head[26 + namesize - 1] != '\0')
        return 0;
    for (unsigned i = 0; i + 1 < namesize; i++)
        if (head[26 + i] == '\0')
            return 0;
    return 1;
}

/* SQL dumps are text: their tool names itself in a comment near the top. */
/* A plain SQL dump by its banner, and the line its tool ends a dump it finished with: a
 * dump that failed part way (an unknown database, a table it may not read, a connection
 * lost) leaves its banner and what it wrote before, under a shell's redirect, and exits
 * non-zero (real round 37, F01, F02).  pg_dump and pg_dumpall write theirs with
 * --no-comments too; mysqldump's --skip-comments drops the banner with it. */
static const char *const DUMP_BANNERS[][3] = {
    {"-- PostgreSQL database dump", "pg_dump sql", "-- PostgreSQL database dump complete"},
    {"-- PostgreSQL database cluster dump", "pg_dumpall sql", "-- PostgreSQL database cluster dump complete"},
    {"-- MySQL dump ", "mysqldump sql", "-- Dump completed"},
    {"-- MariaDB dump ", "mariadb-dump sql", "-- Dump completed"},
};

const char *bk_dump_trailer(const char *format)
{
    for (size_t i = 0; format && i < sizeof DUMP_BANNERS / sizeof DUMP_BANNERS[0]; i++)
        if (strcmp(format, DUMP_BANNERS[i][1]) == 0)
            return DUMP_BANNERS[i][2];
    return NULL;
}

#define BANNER_WINDOW 512

/* A tar header's own checksum (bytes 148-155, octal, the sum of the header's 512 bytes
 * with those eight as spaces) holds: "ustar" at byte 257 of a JSON manifest, inside a
 * failed snapshot's error text, made it a tar that passed on its mtime (hostile round 28,
 * F03). */
int bk_tar_checksum_holds(const unsigned char *head, size_t len)
{
    unsigned long sum = 0, said = 0;
    size_t i = 148;
    if (len < 512)
        return 0;
    for (size_t k = 0; k < 512; k++)
        sum += k >= 148 && k < 156 ? ' ' : head[k];
    while (i < 156 && head[i] == ' ')
        i++;
    if (i == 156 || head[i] < '0' || head[i] > '7')
        return 0;
    for (; i < 156 && head[i] >= '0' && head[i] <= '7'; i++)
        said = said * 8 + (unsigned long)(head[i] - '0');
    for (; i < 156; i++)
        if (head[i] != ' ' && head[i] != '\0')
            return 0;
    return said == sum;
}

/* zstd and lz4 frames may be preceded by skippable frames (magic 0x184D2A50 to 0x184D2A5F,
 * little-endian, then a 32-bit size): pzstd writes one first (real round 37, F03).  The
 * frame after them says which: its name, or NULL (not within LEN, or neither). */
static const char *after_skippable_frames(const unsigned char *head, size_t len)
{
    size_t at = 0;
    while (at + 8 <= len && (head[at] & 0xf0) == 0x50 && memcmp(head + at + 1, "\x2a\x4d\x18", 3) == 0) {
        uint32_t size = (uint32_t)head[at + 4] | (uint32_t)head[at + 5] << 8 | (uint32_t)head[at + 6] << 16 |
                        (uint32_t)head[at + 7] << 24;
        if (size > len - at - 8)
            return NULL;
        at += 8 + size;
    }
    if (at == 0 || at + 4 > len)
        return NULL;
    if (memcmp(head + at, "\x28\xb5\x2f\xfd", 4) == 0)
        return "zstd";
    if (memcmp(head + at, "\x04\x22\x4d\x18", 4) == 0)
        return "lz4";
    return NULL;
}

const char *bk_magic_detect(const unsigned char *head, size_t len)
{
    const char *framed;
    size_t window = len < BANNER_WINDOW ? len : BANNER_WINDOW;
    for (size_t i = 0; i < sizeof MAGICS / sizeof MAGICS[0]; i++)
        if (len >= MAGICS[i].offset + MAGICS[i].len &&
            memcmp(head + MAGICS[i].offset, MAGICS[i].bytes, MAGICS[i].len) == 0 &&
            (MAGICS[i].offset != 257 || bk_tar_checksum_holds(head, len)))
            return MAGICS[i].name;
    if (len >= 4 && memcmp(head, "BZh", 3) == 0 && head[3] >= '1' && head[3] <= '9')
        return "bzip2";
    if (cpio_binary_holds(head, len))
        return "cpio";
    if ((framed = after_skippable_frames(head, len)) != NULL)
        return framed;
    /* The earliest banner line: pg_dumpall's output holds a pg_dump banner (and closing
     * line) for each database, within the window when it dumps no roles (real round 41,
     * F01: a pg_dumpall -a that failed on its second database passed as the first's dump). */
    for (size_t at = 0; at < window; at++) {
        if (at > 0 && head[at - 1] != '\n')
            continue;
        for (size_t i = 0; i < sizeof DUMP_BANNERS / sizeof DUMP_BANNERS[0]; i++) {
            size_t n = strlen(DUMP_BANNERS[i][0]);
            if (at + n <= window && memcmp(head + at, DUMP_BANNERS[i][0], n) == 0)
                return DUMP_BANNERS[i][1];
        }
    }
    return NULL;
}
