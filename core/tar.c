/* A bundle's tar: the ustar subset tar.h describes, read from memory as hostile input
 * and written reproducibly. */
#include "tar.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The POSIX.1-1988 ustar header, by offset. */
enum {
    H_NAME = 0, H_NAME_LEN = 100,
    H_MODE = 100, H_UID = 108, H_GID = 116,
    H_SIZE = 124, H_SIZE_LEN = 12,
    H_MTIME = 136,
    H_CHKSUM = 148, H_CHKSUM_LEN = 8,
    H_TYPE = 156,
    H_MAGIC = 257, H_VERSION = 263,
    H_DEVMAJOR = 329, H_DEVMINOR = 337,
    H_PREFIX = 345, H_PREFIX_LEN = 155,
};

#define RECORD 10240

int rg_bundle_path_ok(const char *path)
{
    size_t part = 0, n = 0;
    const char *start = path;
    if (!path || !*path)
        return 0;
    for (const char *p = path;; p++, n++) {
        if (n >= RG_TAR_NAME_MAX)
            return 0;
        if (*p == '/' || *p == '\0') {
            /* an empty part ("/x", "x//y", "x/") or "." or "..", or one ending in '.': Windows
             * drops it, so "octo.lua." is "octo.lua" there (hostile round 27, F03) */
            if (part == 0 || (part == 1 && start[0] == '.') || (part == 2 && start[0] == '.' && start[1] == '.') ||
                p[-1] == '.')
                return 0;
            if (*p == '\0')
                return 1;
            part = 0;
            start = p + 1;
            continue;
        }
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
              *p == '_' || *p == '-' || *p == '+'))
            return 0;
        part++;
    }
}

static void say(char *why, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *why, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, size, fmt, ap);
    va_end(ap);
}

/* A numeric field of LEN bytes: optional leading spaces, octal digits, then only NULs or
 * spaces.  Base-256 (GNU's high bit) and anything else is refused: -1. */
static int octal_field(const unsigned char *f, size_t len, uint64_t *out)
{
    size_t i = 0;
    int digits = 0;
    uint64_t v = 0;
    while (i < len && f[i] == ' ')
        i++;
    for (; i < len && f[i] >= '0' && f[i] <= '7'; i++, digits++) {
        if (v > (UINT64_MAX >> 3))
            return -1;
        v = (v << 3) | (uint64_t)(f[i] - '0');
    }
    for (; i < len; i++)
        if (f[i] != '\0' && f[i] != ' ')
            return -1;
    if (!digits)
        return -1;
    *out = v;
    return 0;
}

/* A text field: its bytes up to the first NUL or its end, appended to OUT (SIZE). */
static void text_field(const unsigned char *f, size_t len, char *out, size_t size)
{
    size_t n = strnlen((const char *)f, len), have = strlen(out);
    if (have + n + 1 > size)
        n = size - have - 1;
    memcpy(out + have, f, n);
    out[have + n] = '\0';
}

static int zero_block(const unsigned char *b, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (b[i])
            return 0;
    return 1;
}

static const char *kind_of(unsigned char type)
{
    switch (type) {
    case '1': return "a hard link";
    case '2': return "a symbolic link";
    case '3': return "a character device";
    case '4': return "a block device";
    case '6': return "a FIFO";
    case '7': return "a contiguous file";
    case 'x': case 'g': return "a pax extended header";
    case 'L': case 'K': return "a GNU long-name header";
    case 'S': return "a GNU sparse file";
    default: return "an unknown kind of member";
    }
}

static int by_name(const void *a, const void *b)
{
    return strcasecmp((*(const rg_tar_member *const *)a)->name, (*(const rg_tar_member *const *)b)->name);
}

/* Two members of one name: the second could shadow what a reviewer read in the first —
 * also in another case, as one file on a case-insensitive file system (macOS, Windows)
 * where the archive is unpacked for review (hostile round 26, F04). */
static int find_duplicate(const rg_tar_member *m, size_t n, char *why, size_t why_size)
{
    const rg_tar_member **sorted;
    int rc = 0;
    if (n < 2)
        return 0;
    if (!(sorted = malloc(n * sizeof *sorted))) {
        say(why, why_size, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        sorted[i] = &m[i];
    qsort(sorted, n, sizeof *sorted, by_name);
    for (size_t i = 1; i < n && rc == 0; i++)
        if (strcasecmp(sorted[i - 1]->name, sorted[i]->name) == 0) {
            say(why, why_size, "member %s is in the archive twice%s", sorted[i]->name,
                strcmp(sorted[i - 1]->name, sorted[i]->name) ? " (in another case)" : "");
            rc = -1;
        }
    free(sorted);
    return rc;
}

/* The header at H: the member's normalised name into NAME, its type and size checked.
 * 1 for a regular file, 0 for a directory, -1 refused. */
static int read_header(const unsigned char *h, size_t at, size_t left, size_t max_member, char *name,
                       uint64_t *size, char *why, size_t why_size)
{
    char raw[RG_TAR_NAME_MAX + H_PREFIX_LEN + 2] = "", *n = raw;
    uint64_t sum = 0, want;
    int posix = memcmp(h + H_MAGIC, "ustar\0" "00", 8) == 0;
    unsigned char type = h[H_TYPE];
    size_t len;
    for (size_t i = 0; i < RG_TAR_BLOCK; i++)
        sum += (i >= H_CHKSUM && i < H_CHKSUM + H_CHKSUM_LEN) ? ' ' : h[i];
    if (octal_field(h + H_CHKSUM, H_CHKSUM_LEN, &want) != 0 || want != sum) {
        say(why, why_size, "the header at byte %zu is not a tar header (its checksum does not match)", at);
        return -1;
    }
    if (!posix && memcmp(h + H_MAGIC, "ustar  \0", 8) != 0) {
        say(why, why_size, "the header at byte %zu is not a ustar header (an old v7 tar?): make the bundle "
                           "with relgate bundle build, or tar --format=ustar", at);
        return -1;
    }
    /* GNU's own format keeps other fields where POSIX keeps the prefix */
    if (posix && h[H_PREFIX]) {
        text_field(h + H_PREFIX, H_PREFIX_LEN, raw, sizeof raw);
        strcat(raw, "/");
    }
    text_field(h + H_NAME, H_NAME_LEN, raw, sizeof raw);
    if (type != '0' && type != '\0' && type != '5') {
        say(why, why_size, "member %.*s is %s: a bundle holds only regular files", 300, raw, kind_of(type));
        return -1;
    }
    if (octal_field(h + H_SIZE, H_SIZE_LEN, size) != 0) {
        say(why, why_size, "member %.*s has a size that is not plain octal", 300, raw);
        return -1;
    }
    if (strncmp(n, "./", 2) == 0)
        n += 2;
    len = strlen(n);
    if (type == '5') {
        if (len > 0 && n[len - 1] == '/')
            n[--len] = '\0';
        if (*size != 0) {
            say(why, why_size, "directory %.*s has a size", 300, raw);
            return -1;
        }
        if (len == 0 || strcmp(n, ".") == 0) /* "./": the archive's own top */
            return 0;
    }
    if (!rg_bundle_path_ok(n)) {
        say(why, why_size, "member name %.*s is not allowed: a bundle's paths are relative, without \".\" or "
                           "\"..\" parts, of letters, digits, '.', '_', '-' and '+'", 300, raw);
        return -1;
    }
    if (*size > max_member) {
        say(why, why_size, "member %s is %llu bytes, over the limit of %zu", n, (unsigned long long)*size, max_member);
        return -1;
    }
    if (*size > left) {
        say(why, why_size, "member %s is cut short: it claims %llu bytes, the archive has %zu left", n,
            (unsigned long long)*size, left);
        return -1;
    }
    memcpy(name, n, strlen(n) + 1);
    return type == '5' ? 0 : 1;
}

int rg_tar_read(const unsigned char *archive, size_t len, size_t max_members, size_t max_member,
                rg_tar_member **members, size_t *count, char *why, size_t why_size)
{
    rg_tar_member *m = NULL;
    size_t n = 0, cap = 0, entries = 0, at = 0;
    *members = NULL;
    *count = 0;
    for (;;) {
        const unsigned char *h = archive + at;
        char name[RG_TAR_NAME_MAX];
        uint64_t size;
        int kind;
        if (len - at < RG_TAR_BLOCK) {
            say(why, why_size, "the archive ends without its end-of-archive blocks (cut short?)");
            goto fail;
        }
        if (zero_block(h, RG_TAR_BLOCK)) {
            /* the end: what follows (the second zero block, a record's padding) is zeros */
            if (!zero_block(h, len - at)) {
                say(why, why_size, "there is data after the end of the archive (byte %zu)", at);
                goto fail;
            }
            break;
        }
        if (++entries > max_members) {
            say(why, why_size, "the archive has more than %zu members", max_members);
            goto fail;
        }
        kind = read_header(h, at, len - at - RG_TAR_BLOCK, max_member, name, &size, why, why_size);
        if (kind < 0)
            goto fail;
        at += RG_TAR_BLOCK;
        if (kind == 1) {
            if (n == cap) {
                rg_tar_member *grown = realloc(m, (cap = cap ? cap * 2 : 16) * sizeof *m);
                if (!grown) {
                    say(why, why_size, "out of memory");
                    goto fail;
                }
                m = grown;
            }
            memcpy(m[n].name, name, sizeof name);
            m[n].data = archive + at;
            m[n].size = (size_t)size;
            n++;
        }
        /* the data, padded to whole blocks (size <= what is left, checked) */
        at += (size_t)size;
        if (at % RG_TAR_BLOCK) {
            size_t pad = RG_TAR_BLOCK - at % RG_TAR_BLOCK;
            if (len - at < pad) {
                say(why, why_size, "the archive is cut short inside member %s", name);
                goto fail;
            }
            at += pad;
        }
    }
    if (find_duplicate(m, n, why, why_size) != 0)
        goto fail;
    *members = m;
    *count = n;
    return 0;
fail:
    free(m);
    return -1;
}

/* FIELD (LEN bytes) as zero-padded octal of LEN - 1 digits and a NUL. */
static void put_octal(unsigned char *field, size_t len, uint64_t v)
{
    field[len - 1] = '\0';
    for (size_t i = len - 1; i-- > 0; v >>= 3)
        field[i] = (unsigned char)('0' + (v & 7));
}

static int grow(unsigned char **out, size_t *len, size_t more)
{
    unsigned char *g = realloc(*out, *len + more);
    if (!g)
        return -1;
    memset(g + *len, 0, more);
    *out = g;
    *len += more;
    return 0;
}

int rg_tar_append(unsigned char **out, size_t *len, const char *name, const void *data, size_t size)
{
    size_t n = strlen(name), split = 0, padded = (size + RG_TAR_BLOCK - 1) / RG_TAR_BLOCK * RG_TAR_BLOCK;
    unsigned char *h;
    uint64_t sum = 0;
    if (!rg_bundle_path_ok(name) || size > 077777777777ull)
        return -1;
    if (n > H_NAME_LEN) {
        /* ustar: the name's head goes in the prefix, split at a '/' */
        for (size_t i = 0; i < n && i <= H_PREFIX_LEN; i++)
            if (name[i] == '/' && n - i - 1 <= H_NAME_LEN)
                split = i;
        if (!split)
            return -1;
    }
    if (grow(out, len, RG_TAR_BLOCK + padded) != 0)
        return -1;
    h = *out + *len - RG_TAR_BLOCK - padded;
    if (split) {
        memcpy(h + H_PREFIX, name, split);
        memcpy(h + H_NAME, name + split + 1, n - split - 1);
    } else {
        memcpy(h + H_NAME, name, n);
    }
    put_octal(h + H_MODE, 8, 0644);
    put_octal(h + H_UID, 8, 0);
    put_octal(h + H_GID, 8, 0);
    put_octal(h + H_SIZE, H_SIZE_LEN, size);
    put_octal(h + H_MTIME, 12, 0);
    h[H_TYPE] = '0';
    memcpy(h + H_MAGIC, "ustar\0" "00", 8);
    put_octal(h + H_DEVMAJOR, 8, 0);
    put_octal(h + H_DEVMINOR, 8, 0);
    memset(h + H_CHKSUM, ' ', H_CHKSUM_LEN);
    for (size_t i = 0; i < RG_TAR_BLOCK; i++)
        sum += h[i];
    put_octal(h + H_CHKSUM, 7, sum);   /* six digits, a NUL, then the space left there */
    if (size)
        memcpy(h + RG_TAR_BLOCK, data, size);
    return 0;
}

int rg_tar_finish(unsigned char **out, size_t *len)
{
    size_t end = *len + 2 * RG_TAR_BLOCK;
    end = (end + RECORD - 1) / RECORD * RECORD;
    return grow(out, len, end - *len);
}
