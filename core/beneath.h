/* The one rule for every path the engine and the plugin host open beneath a root (the
 * evidence root, a test file's directory): resolve it once, by that rule, then open what
 * was resolved without following anything that may have changed since. */
#ifndef RG_BENEATH_H
#define RG_BENEATH_H

#include <stddef.h>
#include <sys/stat.h>

#include "error.h"
#include "relgate/relgate.h"

typedef enum rg_beneath {
    RG_BENEATH_OK = 0,
    RG_BENEATH_LEAVES,     /* joined and normalised, the path leaves ROOT (or is too long) */
    RG_BENEATH_MISSING,    /* nothing there; a dangling link: LINK holds where it points */
    RG_BENEATH_UNUSABLE,   /* cannot be resolved: *ERRNUM says why */
    RG_BENEATH_OUTSIDE,    /* it exists, and symbolic links lead it outside ROOT: REAL says where */
} rg_beneath;

/* REL (relative to the directory BASE) must lie within the canonical directory ROOT once
 * normalised, and once symbolic links are followed (links that stay inside are allowed).
 * REAL (SIZE >= PATH_MAX bytes) receives the canonical path on RG_BENEATH_OK, and the
 * path it resolves to on RG_BENEATH_OUTSIDE; LINK (LINK_SIZE bytes, may be NULL) a
 * dangling link's target on RG_BENEATH_MISSING, else "".  CACHE (may be NULL) memoises
 * the resolution for a batch run. */
rg_beneath rg_resolve_beneath(const char *root, const char *base, const char *rel, rg_path_cache *cache,
                              char *real, size_t size, char *link, size_t link_size, int *errnum);

/* Open REAL, a canonical path beneath the canonical directory ROOT (as rg_resolve_beneath
 * gave it), following no symbolic link at all: whatever became one since it was resolved
 * is refused (ELOOP or EXDEV), which closes the gap between the check and the open.
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS) from ROOT where
 * the kernel has it (Linux 5.6+, asked at run time), else one openat(O_NOFOLLOW) per
 * component.  FLAGS are open(2)'s (O_CLOEXEC is added).  A descriptor, or -1 with errno. */
int rg_open_beneath(const char *root, const char *real, int flags);

/* The fallback rg_open_beneath uses without openat2, and the tests run everywhere: REL
 * (canonical, relative, "." for the directory itself) opened from DIRFD one component at
 * a time with O_NOFOLLOW; "." or ".." inside it is refused (EXDEV). */
int rg_open_beneath_components(int dirfd, const char *rel, int flags);

/* rg_open_regular (fileio.h) for a path rg_resolve_beneath gave beneath ROOT: the
 * descriptor, RG_OPEN_FAILED (errno set) or RG_OPEN_NOT_FILE (*ST says what it is). */
int rg_open_regular_beneath(const char *root, const char *real, int flags, struct stat *st);

/* Why an open beneath a root failed (ERRNUM), for messages: a link that appeared on the
 * path says so. */
const char *rg_open_failure(int errnum);

/* rg_read_file for a path rg_resolve_beneath gave beneath ROOT, opened by rg_open_beneath;
 * the same checks (a regular file, at most MAX bytes) and messages. */
int rg_read_file_beneath(const char *root, const char *real, const char *what, size_t max, char **data,
                         size_t *len, rg_error *err);

/* The same, and *ST the identity of the file that was opened and read (its fstat), for a
 * cache that keeps the text under it: a path swapped between a stat and the read cannot
 * put one file's text under another's identity. */
int rg_read_file_beneath_as(const char *root, const char *real, const char *what, size_t max, char **data,
                            size_t *len, struct stat *st, rg_error *err);

#endif
