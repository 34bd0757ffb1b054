/* The ustar subset a policy bundle (.tar) is: regular files, and directories that are
 * only names, read from memory and written reproducibly.
 *
 * Why not libarchive: a bundle needs exactly one format (POSIX ustar, uncompressed)
 * and one kind of member (a regular file), read from a buffer already read under a
 * size cap.  libarchive reads some thirty formats and filters, and linking it costs
 * every relgate start 14 more shared libraries and ~3,400 relocations (measured with
 * LD_DEBUG=statistics on Debian 12's libarchive13: 84 -> 3,466 relocations for an empty
 * program); we would still refuse every other member kind ourselves.  So this reader
 * takes the ustar header as POSIX.1-1988 defines it, refuses whatever it does not
 * need, and is fuzzed (fuzz/fuzz_tar.c). */
#ifndef RG_TAR_H
#define RG_TAR_H

#include <stddef.h>

#define RG_TAR_BLOCK 512
#define RG_TAR_NAME_MAX 256     /* prefix "/" name, NUL included */

typedef struct rg_tar_member {
    char name[RG_TAR_NAME_MAX];  /* normalised: no leading "./", no trailing "/" */
    const unsigned char *data;   /* into the archive's buffer */
    size_t size;
} rg_tar_member;

/* Is PATH a file name a bundle may hold: relative, parts of letters, digits, '.', '_',
 * '-' and '+' joined by single '/', no part "." or "..", at most 255 bytes?  The one
 * rule for a bundle's manifest and for its tar members. */
int rg_bundle_path_ok(const char *path);

/* Read the LEN bytes of ARCHIVE as a ustar archive: every regular file into *MEMBERS
 * (malloc'd, *COUNT of them, in archive order; their data points into ARCHIVE).
 * Directory entries are checked and skipped.  Refused, with WHY saying which member
 * and why: a bad checksum or magic, a name against rg_bundle_path_ok, a link, device,
 * FIFO, pax or GNU extension header, a size that is not plain octal, over MAX_MEMBER
 * bytes or past the end, more than MAX_MEMBERS entries, a name twice, a missing or
 * non-zero end.  Returns 0, or -1 (nothing to free). */
int rg_tar_read(const unsigned char *archive, size_t len, size_t max_members, size_t max_member,
                rg_tar_member **members, size_t *count, char *why, size_t why_size);

/* Append to *OUT (malloc'd, *LEN bytes; both start NULL, 0) one ustar regular file NAME
 * (rg_bundle_path_ok) of SIZE bytes: mode 0644, owner 0:0 with no user or group name,
 * mtime 0, so that the same files give the same bytes.  0, or -1 (NAME too long, or
 * out of memory). */
int rg_tar_append(unsigned char **out, size_t *len, const char *name, const void *data, size_t size);

/* End the archive: two zero blocks, padded to a 10240-byte record as GNU tar and
 * Python's tarfile do.  0, or -1 when out of memory. */
int rg_tar_finish(unsigned char **out, size_t *len);

#endif
