/* Resolving and opening paths beneath a root (see beneath.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifdef SYS_openat2
#include <linux/openat2.h>
#endif

#include "beneath.h"
#include "evidence.h"
#include "fileio.h"
#include "path_cache.h"

rg_beneath rg_resolve_beneath(const char *root, const char *base, const char *rel, rg_path_cache *cache,
                              char *real, size_t size, char *link, size_t link_size, int *errnum)
{
    char joined[PATH_MAX], buf[PATH_MAX];
    const char *resolved;
    *errnum = 0;
    if (link && link_size)
        link[0] = '\0';
    real[0] = '\0';
    if (rg_path_join_normalized(base, rel, joined, sizeof joined) != 0 || !rg_path_within(joined, root))
        return RG_BENEATH_LEAVES;
    if (!(resolved = rg_path_cache_realpath(cache, joined, buf, errnum))) {
        if (*errnum == ENOENT || *errnum == ENOTDIR) {
            /* A dangling link may still point outside: the caller says so rather than "missing". */
            ssize_t n = link && link_size ? readlink(joined, link, link_size - 1) : -1;
            if (n >= 0)
                link[n] = '\0';
            return RG_BENEATH_MISSING;
        }
        return RG_BENEATH_UNUSABLE;
    }
    if (strlen(resolved) >= size) {
        *errnum = ENAMETOOLONG;
        return RG_BENEATH_UNUSABLE;
    }
    memcpy(real, resolved, strlen(resolved) + 1);
    return rg_path_within(resolved, root) ? RG_BENEATH_OK : RG_BENEATH_OUTSIDE;
}

/* REAL below ROOT, as a path relative to it ("." for ROOT itself), or NULL. */
static const char *below(const char *root, const char *real)
{
    size_t n = strlen(root);
    if (strcmp(root, "/") == 0)
        return real[1] ? real + 1 : ".";
    if (strncmp(real, root, n) != 0 || (real[n] != '/' && real[n] != '\0'))
        return NULL;
    return real[n] ? real + n + 1 : ".";
}

#ifdef SYS_openat2
/* 1: the kernel has openat2; 0: it has not (ENOSYS, or a seccomp filter saying EPERM). */
/* Shared by every thread (relgate.h: separate objects from separate threads): an
 * atomic, so that one thread learning openat2 works or not is a plain store. */
static _Atomic int openat2_works = -1;

static int open_with_openat2(int dirfd, const char *rel, int flags)
{
    struct open_how how;
    long fd;
    memset(&how, 0, sizeof how);
    how.flags = (unsigned long long)(flags | O_CLOEXEC);
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    do
        fd = syscall(SYS_openat2, dirfd, rel, &how, sizeof how);
    while (fd < 0 && (errno == EINTR || errno == EAGAIN));
    return (int)fd;
}
#endif

int rg_open_beneath_components(int dirfd, const char *rel, int flags)
{
    char part[NAME_MAX + 1];
    int fd = dup(dirfd);
    const char *p = rel;
    if (fd < 0)
        return -1;
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    if (strcmp(rel, ".") == 0) {   /* the root itself */
        close(fd);
        return openat(dirfd, ".", flags | O_CLOEXEC | O_NOFOLLOW);
    }
    while (*p) {
        size_t n = strcspn(p, "/");
        int last = p[n] == '\0', next;
        if (n == 0 || n > NAME_MAX || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.')) {
            close(fd);
            errno = EXDEV;   /* not a canonical path: refuse rather than interpret it */
            return -1;
        }
        memcpy(part, p, n);
        part[n] = '\0';
        next = openat(fd, part, last ? flags | O_CLOEXEC | O_NOFOLLOW
                                     : O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        close(fd);
        if (next < 0)
            return -1;
        fd = next;
        p += n + !last;
    }
    return fd;
}

int rg_open_beneath(const char *root, const char *real, int flags)
{
    const char *rel = below(root, real);
    int dirfd, fd, errnum;
    if (!rel) {
        errno = EXDEV;
        return -1;
    }
    /* ROOT is a real path (no link on it): one that is a link now was swapped for one
     * since it was resolved -- a batch's evidence root replaced between two lines --
     * and is not followed. */
    if ((dirfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)) < 0)
        return -1;
#ifdef SYS_openat2
    if (openat2_works != 0) {
        fd = open_with_openat2(dirfd, rel, flags);
        if (fd >= 0) {
            openat2_works = 1;
        } else if (errno == ENOSYS || (errno == EPERM && openat2_works < 0)) {
            /* no openat2 in this kernel, or a seccomp filter refuses it: once for all */
            if (errno == ENOSYS)
                openat2_works = 0;
            fd = rg_open_beneath_components(dirfd, rel, flags);
        }
    } else {
        fd = rg_open_beneath_components(dirfd, rel, flags);
    }
#else
    fd = rg_open_beneath_components(dirfd, rel, flags);
#endif
    errnum = errno;
    close(dirfd);
    errno = errnum;
    return fd;
}

int rg_open_regular_beneath(const char *root, const char *real, int flags, struct stat *st)
{
    /* O_NONBLOCK so that opening a FIFO does not wait for a writer: fstat refuses it. */
    return rg_keep_regular(rg_open_beneath(root, real, flags | O_NOCTTY | O_NONBLOCK), st);
}

const char *rg_open_failure(int errnum)
{
    return errnum == ELOOP || errnum == EXDEV ? "a symbolic link appeared on its path since it was checked"
                                              : strerror(errnum);
}

int rg_read_file_beneath_as(const char *root, const char *real, const char *what, size_t max, char **data,
                            size_t *len, struct stat *st, rg_error *err)
{
    int fd = rg_open_regular_beneath(root, real, O_RDONLY, st);
    return rg_read_opened(fd, st, real, what, max, data, len, fd == RG_OPEN_FAILED ? rg_open_failure(errno) : NULL,
                          err);
}

int rg_read_file_beneath(const char *root, const char *real, const char *what, size_t max, char **data,
                         size_t *len, rg_error *err)
{
    struct stat st;
    return rg_read_file_beneath_as(root, real, what, max, data, len, &st, err);
}
