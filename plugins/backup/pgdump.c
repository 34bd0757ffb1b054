/* pg_dump's custom and directory archives: whether pg_dump finished writing them.
 *
 * A custom archive is a header, a table of contents (TOC) and then one data block per
 * entry that has data (a table's rows, the large objects).  pg_dump writes the header
 * and the TOC first, with no entry's data position known, then the data blocks; when
 * its output can seek (pg_dump -f FILE, or a shell redirect to a file) it goes back at
 * the very end and writes the TOC again, now with each block's position.  A pg_dump
 * that failed or was killed part way leaves the first TOC and the blocks written so far
 * (real-tool round 37, F02: such a file passed on its presence).  So:
 *
 *   - every data entry's position set: finished, when each position holds that entry's
 *     block and the file ends where the last block does (one read an entry, and the
 *     last block read whole);
 *   - no position set (a pipe, or not finished): the blocks are walked from the TOC's
 *     end (the whole file is read, in large pieces); finished when every data entry's
 *     block is there, whole, and the file ends where the last one does.
 *
 * A directory archive (pg_dump -Fd, and -j) is a toc.dat holding the same header and TOC,
 * its entries naming data files instead of offsets, and those files.  pg_dump writes
 * toc.dat first: an archive whose toc.dat is whole, whose every data file is there, and
 * whose lz4 and zstd data files end where their last frame does may be finished; a
 * gzip or plain data file cut short cannot be told from a whole one without reading it
 * through (a restore test tells).
 *
 * The layout, from PostgreSQL's pg_backup_archiver.c and pg_backup_custom.c (facts only):
 * integers are a sign byte and then INTSIZE bytes, least significant first; strings an
 * integer length (-1: none) and that many bytes; an offset a flag byte (1 not set, 2
 * set, 3 no data) and OFFSIZE bytes; a block a type byte (1 data, 3 large objects), the
 * entry's id, and chunks (a length, that many bytes) up to a length of 0 -- for large
 * objects, each object's oid before its chunks, and an oid of 0 after the last. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bk.h"

#define VERSION(maj, min) ((maj) << 8 | (min))
#define OLDEST VERSION(1, 11)   /* PostgreSQL 8.4's pg_dump: sections */
#define NEWEST VERSION(1, 16)   /* PostgreSQL 17's; a newer layout is not read */

#define OFFSET_NOT_SET 1
#define OFFSET_SET 2
#define OFFSET_NO_DATA 3
#define BLOCK_DATA 1
#define BLOCK_LARGE_OBJECTS 3

#define FORMAT_CUSTOM 1
#define FORMAT_DIRECTORY 3   /* a directory archive's toc.dat says "tar", as a tar archive's does */

typedef struct archive {
    bk_reader *r;
    int format;               /* FORMAT_CUSTOM, or FORMAT_DIRECTORY (its toc.dat) */
    int dir_fd;               /* FORMAT_DIRECTORY: the archive's directory */
    int version;
    int int_size, off_size;
    const char *bad;          /* why the archive does not hold together, or NULL */
    char missing[80];         /* FORMAT_DIRECTORY: a data file toc.dat lists and the directory lacks */
    char cut_file[80];        /* FORMAT_DIRECTORY: a data file cut short (or that cannot be read) */
} archive;

/* An integer: a sign byte and INT_SIZE bytes.  Magnitudes beyond 2^62 do not occur. */
static int take_int(archive *a, int64_t *out)
{
    int sign;
    uint64_t v;
    if (bk_take_byte(a->r, &sign) != 0 || bk_take_le(a->r, a->int_size, &v) != 0)
        return -1;
    if (v > (uint64_t)1 << 62) {
        a->bad = "an integer out of range";
        return -1;
    }
    *out = sign ? -(int64_t)v : (int64_t)v;
    return 0;
}

/* A string, skipped: its length into *LEN (-1: none). */
static int str_length(archive *a, int64_t *len)
{
    if (take_int(a, len) != 0)
        return -1;
    if (*len < -1) {
        a->bad = "a string of negative length";
        return -1;
    }
    return *len < 0 ? 0 : bk_take(a->r, NULL, *len);
}

static int skip_str(archive *a)
{
    int64_t len;
    return str_length(a, &len);
}

/* The header, up to the TOC.  1 when its layout is one read here, 0 when not (a newer
 * archive version, another format than A->format, sizes beyond 8 bytes): then nothing is
 * judged. */
static int read_header(archive *a)
{
    unsigned char magic[5];
    int maj, min, rev = 0, format, skip;
    int64_t ignored;
    if (bk_take(a->r, magic, 5) != 0 || memcmp(magic, "PGDMP", 5) != 0 || bk_take_byte(a->r, &maj) != 0 ||
        bk_take_byte(a->r, &min) != 0 || bk_take_byte(a->r, &rev) != 0)
        return -1;
    a->version = VERSION(maj, min);
    if (a->version < OLDEST || a->version > NEWEST)
        return 0;
    if (bk_take_byte(a->r, &a->int_size) != 0 || bk_take_byte(a->r, &a->off_size) != 0 || bk_take_byte(a->r, &format) != 0)
        return -1;
    if (a->int_size < 1 || a->int_size > 8 || a->off_size < 1 || a->off_size > 8 || format != a->format)
        return 0;
    if (a->version >= VERSION(1, 15) ? bk_take_byte(a->r, &skip) != 0 : take_int(a, &ignored) != 0)
        return -1;  /* compression: the algorithm's byte, or before 1.15 the level */
    for (int i = 0; i < 7; i++)   /* the time it was made: sec, min, hour, mday, mon, year, isdst */
        if (take_int(a, &ignored) != 0)
            return -1;
    for (int i = 0; i < 3; i++)   /* the database, the server's version, pg_dump's version */
        if (skip_str(a) != 0)
            return -1;
    return 1;
}

/* What the TOC says of the entries with data. */
typedef struct data_entry {
    int64_t id;
    int flag;                 /* OFFSET_NOT_SET or OFFSET_SET */
    uint64_t offset;
    int seen;                 /* its block was found */
} data_entry;

typedef struct toc {
    data_entry *items;
    size_t count, cap;
} toc;

static int toc_add(toc *t, int64_t id, int flag, uint64_t offset)
{
    if (t->count == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        data_entry *grown = realloc(t->items, cap * sizeof *grown);
        if (!grown)
            return -1;
        t->items = grown;
        t->cap = cap;
    }
    t->items[t->count++] = (data_entry){id, flag, offset, 0};
    return 0;
}

/* The data file PATH (SIZE bytes) of a directory archive written to its end, where its
 * compression marks the end (lz4, zstd; gzip's and plain data's cannot be told). */
static int data_file_ended(archive *a, const char *path, off_t size)
{
    const char *dot = strrchr(path, '.');
    const char *format = !dot ? NULL : strcmp(dot, ".lz4") == 0 ? "lz4" : strcmp(dot, ".zst") == 0 ? "zstd" : NULL;
    char unfinished[200], why[160];
    int fd, rc;
    if (!format)
        return 0;
    fd = openat(a->dir_fd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    rc = fd < 0 ? -1 : bk_archive_ended(fd, size, format, unfinished, sizeof unfinished, why, sizeof why);
    if (fd >= 0)
        close(fd);
    if (rc == 0 && !unfinished[0])
        return 0;
    snprintf(a->cut_file, sizeof a->cut_file, "%s", path);
    return -1;
}

/* A directory archive's entry names its data file ("1234.dat", "blobs.toc"), which pg_dump
 * wrote with its compression's suffix: one of them must be in the directory. */
static int check_data_file(archive *a)
{
    static const char *const suffixes[] = {"", ".gz", ".lz4", ".zst"};
    char name[64], path[80];
    int64_t len;
    struct stat st;
    if (take_int(a, &len) != 0)
        return -1;
    if (len <= 0)
        return 0;   /* no data: pg_dump writes "" */
    if (len >= (int64_t)sizeof name) {
        a->bad = "a data file name of unusual length";
        return -1;
    }
    if (bk_take(a->r, (unsigned char *)name, len) != 0)
        return -1;
    name[len] = '\0';
    if (strlen(name) != (size_t)len || strchr(name, '/') || name[0] == '.') {
        a->bad = "a data file name outside its directory";
        return -1;
    }
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        snprintf(path, sizeof path, "%s%s", name, suffixes[i]);
        if (fstatat(a->dir_fd, path, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
            return data_file_ended(a, path, st.st_size);
    }
    snprintf(a->missing, sizeof a->missing, "%s", name);
    return -1;
}

/* One TOC entry; its data offset into T when it has data (a custom archive), or its data
 * file checked (a directory archive).  -2: out of memory. */
static int read_entry(archive *a, toc *t)
{
    int64_t id, had_dumper, len, ignored;
    int flag;
    uint64_t offset;
    if (take_int(a, &id) != 0 || take_int(a, &had_dumper) != 0)
        return -1;
    if (id <= 0) {
        a->bad = "an entry id out of range";
        return -1;
    }
    for (int i = 0; i < 4; i++)   /* table oid, oid, tag, description */
        if (skip_str(a) != 0)
            return -1;
    if (take_int(a, &ignored) != 0)   /* section */
        return -1;
    int strings = 5 + (a->version >= VERSION(1, 14));   /* defn, drop, copy, namespace, tablespace, (tableam) */
    for (int i = 0; i < strings; i++)
        if (skip_str(a) != 0)
            return -1;
    if (a->version >= VERSION(1, 16) && take_int(a, &ignored) != 0)   /* relkind */
        return -1;
    if (skip_str(a) != 0 || skip_str(a) != 0)   /* owner, "with oids" */
        return -1;
    do                                           /* dependencies, up to a missing string */
        if (str_length(a, &len) != 0)
            return -1;
    while (len >= 0);
    if (a->format == FORMAT_DIRECTORY)
        return check_data_file(a);
    if (bk_take_byte(a->r, &flag) != 0 || bk_take_le(a->r, a->off_size, &offset) != 0)
        return -1;
    if (flag < OFFSET_NOT_SET || flag > OFFSET_NO_DATA) {
        a->bad = "a data offset of unknown kind";
        return -1;
    }
    if (flag != OFFSET_NO_DATA && toc_add(t, id, flag, offset) != 0)
        return -2;
    return 0;
}

static int by_id(const void *x, const void *y)
{
    const data_entry *a = x, *b = y;
    return a->id < b->id ? -1 : a->id > b->id;
}

/* T's entry ID (T sorted by by_id): a search, as a crafted archive may list many. */
static data_entry *find_entry(toc *t, int64_t id)
{
    data_entry key = {0};
    key.id = id;
    return t->count ? bsearch(&key, t->items, t->count, sizeof key, by_id) : NULL;
}

/* The chunks of one data stream, up to its zero length. */
static int skip_chunks(archive *a)
{
    int64_t len;
    for (;;) {
        if (take_int(a, &len) != 0)
            return -1;
        if (len == 0)
            return 0;
        if (len < 0) {
            a->bad = "a data chunk of negative length";
            return -1;
        }
        if (bk_take(a->r, NULL, len) != 0)
            return -1;
    }
}

/* The block at the reader's position, whole: its entry's id into *ID. */
static int skip_block(archive *a, int64_t *id)
{
    int type;
    int64_t oid;
    if (bk_take_byte(a->r, &type) != 0 || take_int(a, id) != 0)
        return -1;
    if (type == BLOCK_DATA)
        return skip_chunks(a);
    if (type != BLOCK_LARGE_OBJECTS) {
        a->bad = "a data block of unknown type";
        return -1;
    }
    for (;;) {
        if (take_int(a, &oid) != 0)
            return -1;
        if (oid == 0)
            return 0;
        if (skip_chunks(a) != 0)
            return -1;
    }
}

/* Every data entry's block, walked from the TOC's end to the file's. */
static int walk_blocks(archive *a, toc *t)
{
    qsort(t->items, t->count, sizeof *t->items, by_id);
    while (bk_reader_at(a->r) < bk_reader_size(a->r)) {
        int64_t id;
        data_entry *e;
        if (skip_block(a, &id) != 0)
            return -1;
        e = find_entry(t, id);
        if (!e) {
            a->bad = "a data block of an entry the table of contents does not list";
            return -1;
        }
        e->seen = 1;
    }
    for (size_t i = 0; i < t->count; i++)
        if (!t->items[i].seen)
            return -1;   /* the file ended before this entry's block */
    return 0;
}

/* Each set offset points at its own entry's block, after the TOC, and the file ends
 * where the last block does (a copy cut short keeps every offset). */
static int check_offsets(archive *a, toc *t, off_t toc_end)
{
    uint64_t last = 0;
    int64_t id;
    for (size_t i = 0; i < t->count; i++) {
        int type;
        if (t->items[i].offset < (uint64_t)toc_end || t->items[i].offset >= (uint64_t)bk_reader_size(a->r)) {
            a->bad = "a data offset outside the file";
            return -1;
        }
        bk_reader_seek(a->r, (off_t)t->items[i].offset);
        if (bk_take_byte(a->r, &type) != 0 || take_int(a, &id) != 0)
            return -1;
        if ((type != BLOCK_DATA && type != BLOCK_LARGE_OBJECTS) || id != t->items[i].id) {
            a->bad = "a data offset that does not point at its entry's block";
            return -1;
        }
        if (t->items[i].offset > last)
            last = t->items[i].offset;
    }
    bk_reader_seek(a->r, (off_t)last);
    if (skip_block(a, &id) != 0)
        return -1;
    if (bk_reader_at(a->r) != bk_reader_size(a->r)) {
        a->bad = "bytes after its last data block";
        return -1;
    }
    return 0;
}

/* A's archive (its reader at the start) judged: 0 with UNFINISHED "" or saying why not
 * (WHAT names the archive in it), or -1 with WHY. */
static int judge(archive *a, const char *what, char *unfinished, size_t n, char *why, size_t why_n)
{
    bk_reader *r = a->r;
    toc t = {0};
    int64_t count;
    size_t set = 0;
    int rc = 0, step;
    const char *part = "header";   /* where the archive is being read, for the message */
    unfinished[0] = '\0';
    step = read_header(a);
    if (step == 0)
        goto done;   /* a layout not read here: judged by presence, as any other file */
    if (step < 0)
        goto cut;
    part = "table of contents";
    if (take_int(a, &count) != 0)
        goto cut;
    if (count < 0 || count > bk_reader_size(r)) {
        a->bad = "an entry count out of range";
        goto cut;
    }
    for (int64_t i = 0; i < count; i++) {
        step = read_entry(a, &t);
        if (step == -2) {
            snprintf(why, why_n, "out of memory");
            rc = -1;
            goto done;
        }
        if (step != 0)
            goto cut;
    }
    if (a->format == FORMAT_DIRECTORY || t.count == 0) {   /* toc.dat, or no data: the TOC alone */
        if (bk_reader_at(r) != bk_reader_size(r)) {
            a->bad = "bytes after its table of contents";
            goto cut;
        }
        goto done;
    }
    for (size_t i = 0; i < t.count; i++)
        set += t.items[i].flag == OFFSET_SET;
    part = "data";
    if (set == t.count ? check_offsets(a, &t, bk_reader_at(r)) != 0 : walk_blocks(a, &t) != 0)
        goto cut;
    goto done;
cut:
    if (bk_reader_failed(r)) {
        snprintf(why, why_n, "cannot read: %s", strerror(bk_reader_failed(r)));
        rc = -1;
    } else if (a->missing[0]) {
        snprintf(unfinished, n, "%s lacks the data file %s its toc.dat lists: pg_dump did not finish it", what,
                 a->missing);
    } else if (a->cut_file[0]) {
        snprintf(unfinished, n, "%s's data file %s is cut short: pg_dump did not finish it", what, a->cut_file);
    } else if (a->bad) {
        snprintf(unfinished, n, "%s does not hold together (%s): pg_dump did not finish it", what, a->bad);
    } else {
        snprintf(unfinished, n, "%s ends inside its %s: pg_dump did not finish it", what, part);
    }
done:
    free(t.items);
    return rc;
}

int bk_pgdump_finished(int fd, off_t size, char *unfinished, size_t n, char *why, size_t why_n)
{
    archive a = {0};
    int rc;
    if (!(a.r = bk_reader_open(fd, size))) {
        snprintf(why, why_n, "out of memory");
        return -1;
    }
    a.format = FORMAT_CUSTOM;
    rc = judge(&a, "the pg_dump archive", unfinished, n, why, why_n);
    bk_reader_free(a.r);
    return rc;
}

/* Whether DIR_FD holds a file named as pg_dump names a directory archive's data:
 * "1234.dat", with its compression's suffix, or a large object's "blob_1234.dat". */
static int holds_pgdump_data(int dir_fd)
{
    int fd = dup(dir_fd), found = 0;
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    struct dirent *e;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    rewinddir(d);   /* the duplicate shares its position with DIR_FD */
    while (!found && (e = readdir(d)) != NULL) {
        const char *p = e->d_name;
        if (strncmp(p, "blob_", 5) == 0)
            p += 5;
        size_t digits = strspn(p, "0123456789");
        found = digits > 0 && (strcmp(p + digits, ".dat") == 0 || strcmp(p + digits, ".dat.gz") == 0 ||
                               strcmp(p + digits, ".dat.lz4") == 0 || strcmp(p + digits, ".dat.zst") == 0);
    }
    rewinddir(d);
    closedir(d);
    return found;
}

int bk_pgdump_directory_finished(int dir_fd, char *unfinished, size_t n, char *why, size_t why_n)
{
    archive a = {0};
    struct stat st = {0};
    int fd, rc;
    unfinished[0] = '\0';
    fd = openat(dir_fd, "toc.dat", O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT && holds_pgdump_data(dir_fd))
            snprintf(unfinished, n, "the directory holds pg_dump data files but no toc.dat, without which they "
                     "cannot be restored");
        return 0;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(why, why_n, "its toc.dat: %s", S_ISREG(st.st_mode) ? strerror(errno) : "not a regular file");
        close(fd);
        return -1;
    }
    if (!(a.r = bk_reader_open(fd, st.st_size))) {
        snprintf(why, why_n, "out of memory");
        close(fd);
        return -1;
    }
    a.format = FORMAT_DIRECTORY;
    a.dir_fd = dir_fd;
    rc = judge(&a, "the pg_dump directory archive", unfinished, n, why, why_n);
    bk_reader_free(a.r);
    close(fd);
    return rc;
}
