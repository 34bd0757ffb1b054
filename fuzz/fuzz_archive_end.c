/* The backup plugin's readers of an archive's end over arbitrary bytes, held in a memory
 * file with bytes after the size they are given (which must never count): the pg_dump
 * custom archive reader (pgdump.c) and the end marks of tar, xz, zstd, lz4, bzip2, zip, 7z and
 * cpio (endmark.c).  Each always answers; and a prefix of a pg_dump archive called
 * finished is never finished (a killed pg_dump leaves a prefix). */
#define _GNU_SOURCE   /* memfd_create */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bk.h"
#include "fuzz.h"

static int memory_fd = -1;

static int judge(off_t size, char *unfinished, size_t n)
{
    char why[256] = "";
    if (bk_pgdump_finished(memory_fd, size, unfinished, n, why, sizeof why) != 0) {
        if (!why[0])
            fuzz_fail("bk_pgdump_finished failed without saying why");
        return -1;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char unfinished[200];
    if (memory_fd < 0 && (memory_fd = memfd_create("archive", 0)) < 0)
        return 0;
    /* the archive, then bytes past SIZE that must never count */
    if (ftruncate(memory_fd, 0) != 0 || pwrite(memory_fd, data, size, 0) != (ssize_t)size ||
        pwrite(memory_fd, "\x01\x00\x00\x00\x00", 5, (off_t)size) != 5)
        return 0;
    static const char *const formats[] = {"tar", "xz", "zstd", "lz4", "bzip2", "zip", "7z", "cpio", "gzip", NULL};
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        char why[256] = "";
        if (bk_archive_ended(memory_fd, (off_t)size, formats[i], unfinished, sizeof unfinished, why, sizeof why) != 0 &&
            !why[0])
            fuzz_fail("bk_archive_ended failed without saying why");
    }
    if (judge((off_t)size, unfinished, sizeof unfinished) != 0 || unfinished[0] || size < 6)
        return 0;
    /* finished: the archive less its last byte is not, unless its layout is not read here
     * (then nothing is judged, at any length) */
    if (judge((off_t)size - 1, unfinished, sizeof unfinished) == 0 && !unfinished[0] &&
        size > 8 && data[5] == 1 && data[6] >= 11 && data[6] <= 16 && data[8] >= 1 && data[8] <= 8 &&
        data[9] >= 1 && data[9] <= 8 && data[10] == 1)
        fuzz_fail("an archive called finished is finished without its last byte too");
    return 0;
}
