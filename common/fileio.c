/* Whole-file input and atomic output. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "fileio.h"

const char *rg_file_kind(mode_t mode)
{
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
    if (S_ISSOCK(mode)) return "a socket";
    return "not a regular file";
}

int rg_read_fd(int fd, const char *display, const char *what, size_t max, char **data,
               size_t *len, rg_error *err)
{
    size_t cap = 64 * 1024, used = 0;
    char *buf = malloc(cap + 1);
    if (!buf)
        return rg_fail(err, RG_ERROR_INTERNAL, display, 0, 0, "out of memory reading %s", what);
    for (;;) {
        ssize_t n;
        if (used == cap) {
            char *grown;
            if (cap > max) break;
            cap *= 2;
            grown = realloc(buf, cap + 1);
            if (!grown) {
                free(buf);
                return rg_fail(err, RG_ERROR_INTERNAL, display, 0, 0, "out of memory reading %s", what);
            }
            buf = grown;
        }
        n = read(fd, buf + used, cap - used);
        if (n < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            free(buf);
            return rg_fail(err, RG_ERROR_IO, display, 0, 0, "cannot read %s %s: %s", what, display,
                           strerror(e));
        }
        if (n == 0) break;
        used += (size_t)n;
        if (used > max) break;
    }
    if (used > max) {
        free(buf);
        return rg_fail(err, RG_ERROR_IO, display, 0, 0, "%s %s is larger than the limit of %zu bytes",
                       what, display, max);
    }
    buf[used] = '\0';
    *data = buf;
    *len = used;
    return 0;
}

int rg_keep_regular(int fd, struct stat *st)
{
    if (fd < 0)
        return RG_OPEN_FAILED;
    if (fstat(fd, st) != 0) {
        int errnum = errno;
        close(fd);
        errno = errnum;
        return RG_OPEN_FAILED;
    }
    if (!S_ISREG(st->st_mode)) {
        close(fd);
        return RG_OPEN_NOT_FILE;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    return fd;
}

int rg_open_regular(const char *path, int flags, struct stat *st)
{
    /* O_NONBLOCK so that opening a FIFO does not wait for a writer: fstat refuses it. */
    return rg_keep_regular(open(path, flags | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0644), st);
}

int rg_read_opened(int fd, const struct stat *st, const char *path, const char *what, size_t max,
                   char **data, size_t *len, const char *open_why, rg_error *err)
{
    int rc;
    if (fd == RG_OPEN_FAILED)
        return rg_fail(err, RG_ERROR_IO, path, 0, 0, "cannot open %s %s: %s", what, path, open_why);
    if (fd == RG_OPEN_NOT_FILE)
        return rg_fail(err, RG_ERROR_IO, path, 0, 0, "%s %s is %s, not a file", what, path,
                       rg_file_kind(st->st_mode));
    if ((size_t)st->st_size > max) {
        close(fd);
        return rg_fail(err, RG_ERROR_IO, path, 0, 0, "%s %s is larger than the limit of %zu bytes",
                       what, path, max);
    }
    rc = rg_read_fd(fd, path, what, max, data, len, err);
    close(fd);
    return rc;
}

int rg_read_file(const char *path, const char *what, size_t max, char **data, size_t *len,
                 rg_error *err)
{
    struct stat st;
    int fd;
    if (strcmp(path, "-") == 0)
        return rg_read_fd(STDIN_FILENO, "<stdin>", what, max, data, len, err);
    fd = rg_open_regular(path, O_RDONLY, &st);
    return rg_read_opened(fd, &st, path, what, max, data, len, fd == RG_OPEN_FAILED ? strerror(errno) : NULL, err);
}

int rg_read_trusted_file(const char *path, const char *what, unsigned flags, size_t max, char **data,
                         size_t *len, rg_error *err)
{
    struct stat st;
    int fd = rg_open_regular(path, O_RDONLY, &st);
    mode_t others = (flags & RG_TRUSTED_SECRET) ? (S_IRWXG | S_IRWXO) : (S_IWGRP | S_IWOTH);
    if (fd >= 0 && ((st.st_uid != 0 && st.st_uid != geteuid()) || (st.st_mode & others))) {
        close(fd);
        if (st.st_uid != 0 && st.st_uid != geteuid())
            return rg_fail(err, RG_ERROR_USAGE, path, 0, 0, "the %s %s belongs to another user (uid %u): it must be "
                           "root's or this user's", what, path, (unsigned)st.st_uid);
        return rg_fail(err, RG_ERROR_USAGE, path, 0, 0, "the %s %s may be %s by others than its owner (mode %03o): "
                       "chmod %s it", what, path, (st.st_mode & (S_IWGRP | S_IWOTH)) ? "written" : "read",
                       (unsigned)(st.st_mode & 0777), (flags & RG_TRUSTED_SECRET) ? "600" : "go-w");
    }
    return rg_read_opened(fd, &st, path, what, max, data, len, fd == RG_OPEN_FAILED ? strerror(errno) : NULL, err);
}

int rg_write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int rg_read_some(int fd, char **p, size_t *len)
{
    ssize_t n = read(fd, *p, *len);
    if (n < 0 && errno == EINTR)
        return 0;
    if (n <= 0)
        return -1;
    *p += n;
    *len -= (size_t)n;
    return 0;
}

int rg_reader_take(rg_reader *r, char **p, size_t *len)
{
    size_t n;
    if (r->pos == r->end) {
        ssize_t got = read(r->fd, r->buf, sizeof r->buf);
        if (got < 0 && errno == EINTR)
            return 0;
        if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 1;
        if (got <= 0)
            return -1;
        r->pos = 0;
        r->end = (size_t)got;
    }
    n = r->end - r->pos < *len ? r->end - r->pos : *len;
    memcpy(*p, r->buf + r->pos, n);
    r->pos += n;
    *p += n;
    *len -= n;
    return 0;
}

int rg_read_all(int fd, void *data, size_t len)
{
    char *p = data;
    while (len > 0)
        if (rg_read_some(fd, &p, &len) != 0)
            return -1;
    return 0;
}

void rg_path_dir(const char *path, char *dir, size_t size)
{
    const char *slash = strrchr(path, '/');
    if (!slash) {
        rg_strlcpy(dir, ".", size);
    } else if (slash == path) {
        rg_strlcpy(dir, "/", size);
    } else {
        size_t n = (size_t)(slash - path);
        if (n >= size) n = size - 1;
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
}

int rg_lock_within(int fd, int op, int seconds)
{
    struct timespec start, now, pause = {0, 1000000};
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        if (flock(fd, op | LOCK_NB) == 0)
            return 0;
        if (errno != EWOULDBLOCK && errno != EINTR)
            return -1;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - start.tv_sec >= seconds) {
            errno = EWOULDBLOCK;
            return -1;
        }
        nanosleep(&pause, NULL);
        if (pause.tv_nsec < 8000000)   /* 1 ms, doubling to 8 ms: dozens of waiting gates each
                                        * see the lock soon after it is let go */
            pause.tv_nsec *= 2;
    }
}

off_t rg_last_line_end(int fd, off_t size)
{
    char buf[4096];
    for (off_t at = size; at > 0;) {
        size_t n = at > (off_t)sizeof buf ? sizeof buf : (size_t)at;
        if (pread(fd, buf, n, at - (off_t)n) != (ssize_t)n)
            return -1;
        for (size_t i = n; i > 0; i--)
            if (buf[i - 1] == '\n')
                return at - (off_t)(n - i);
        at -= (off_t)n;
    }
    return 0;
}

/* The temporary files of atomic writes under way (their names, in the callers' TMP
 * buffers), for rg_atomic_abort_pending.  A command has at most --output and its
 * reports under way at once; past this many a write still works, unlisted. */
#define PENDING_MAX 32
static const char *_Atomic pending[PENDING_MAX];

static void pending_add(const char *tmp)
{
    for (int i = 0; i < PENDING_MAX; i++) {
        const char *none = NULL;
        if (atomic_compare_exchange_strong(&pending[i], &none, tmp))
            return;
    }
}

static void pending_remove(const char *tmp)
{
    for (int i = 0; i < PENDING_MAX; i++) {
        const char *was = tmp;
        if (atomic_compare_exchange_strong(&pending[i], &was, NULL))
            return;
    }
}

void rg_atomic_abort_pending(void)
{
    for (int i = 0; i < PENDING_MAX; i++) {
        const char *tmp = atomic_exchange(&pending[i], NULL);
        if (tmp)
            unlink(tmp);
    }
}

int rg_atomic_open(const char *path, char *tmp, rg_error *err)
{
    char dir[PATH_MAX];
    const char *base = strrchr(path, '/');
    struct stat st;
    mode_t mask;
    int fd, e;

    base = base ? base + 1 : path;
    if (*base == '\0')
        return rg_fail(err, RG_ERROR_IO, path, 0, 0, "cannot write %s: not a file name", path);
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
        return rg_fail(err, RG_ERROR_IO, path, 0, 0, "cannot write %s: it is %s", path,
                       rg_file_kind(st.st_mode));
    rg_path_dir(path, dir, sizeof dir);
    if ((size_t)snprintf(tmp, PATH_MAX, "%s/.%s.XXXXXX", dir, base) >= PATH_MAX)
        return rg_fail(err, RG_ERROR_IO, path, 0, 0, "cannot write %s: path too long", path);
    fd = mkstemp(tmp);
    if (fd < 0)
        return rg_fail(err, RG_ERROR_IO, path, 0, 0, "cannot write %s: %s", path, strerror(errno));
    pending_add(tmp);
    /* mkstemp makes 0600; give the file the mode a plain create would. */
    mask = umask(0);
    umask(mask);
    if (fchmod(fd, 0666 & ~mask) != 0) {
        e = errno;
        close(fd);
        rg_atomic_abort(tmp);
        return rg_fail(err, RG_ERROR_IO, path, 0, 0, "cannot write %s: %s", path, strerror(e));
    }
    return fd;
}

int rg_atomic_write(int fd, const char *path, const char *tmp, const char *data, size_t len, rg_error *err)
{
    int e;
    if (rg_write_all(fd, data, len) == 0)
        return 0;
    e = errno;
    close(fd);
    rg_atomic_abort(tmp);
    return rg_fail(err, RG_ERROR_IO, path, 0, 0, "cannot write %s: %s", path, strerror(e));
}

int rg_atomic_close(int fd, const char *path, const char *tmp, rg_error *err)
{
    int e;
    if (fsync(fd) != 0) {
        e = errno;
        close(fd);
        rg_atomic_abort(tmp);
        return rg_fail(err, RG_ERROR_IO, path, 0, 0, "cannot write %s: %s", path, strerror(e));
    }
    if (close(fd) != 0) {
        e = errno;
        rg_atomic_abort(tmp);
        return rg_fail(err, RG_ERROR_IO, path, 0, 0, "cannot write %s: %s", path, strerror(e));
    }
    return 0;
}

int rg_atomic_prepare(const char *path, const char *data, size_t len, char *tmp, rg_error *err)
{
    int fd = rg_atomic_open(path, tmp, err);
    if (fd < 0 || rg_atomic_write(fd, path, tmp, data, len, err) != 0)
        return -1;
    return rg_atomic_close(fd, path, tmp, err);
}

int rg_atomic_commit(const char *tmp, const char *path, rg_error *err)
{
    char dir[PATH_MAX];
    int dfd, e;
    if (rename(tmp, path) != 0) {
        e = errno;
        rg_atomic_abort(tmp);
        return rg_fail(err, RG_ERROR_IO, path, 0, 0, "cannot write %s: %s", path, strerror(e));
    }
    pending_remove(tmp);
    /* Make the rename itself durable. */
    rg_path_dir(path, dir, sizeof dir);
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

void rg_atomic_abort(const char *tmp)
{
    unlink(tmp);
    pending_remove(tmp);
}

int rg_file_retract(const char *path)
{
    struct stat st;
    int fd;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : -1;
    if (S_ISLNK(st.st_mode))
        return 1;
    if (!S_ISREG(st.st_mode) || unlink(path) == 0)
        return 0;   /* a directory, FIFO or device holds no earlier answer (and was refused) */
    fd = open(path, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

int rg_write_file_atomic(const char *path, const char *data, size_t len, rg_error *err)
{
    char tmp[PATH_MAX];
    if (rg_atomic_prepare(path, data, len, tmp, err) != 0)
        return -1;
    return rg_atomic_commit(tmp, path, err);
}

int rg_build_tree_dir(const char *sub, char *out, size_t size)
{
    char exe[PATH_MAX], probe[PATH_MAX + 32];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    char *slash;
    if (n <= 0)
        return 0;
    exe[n] = '\0';
    if (!(slash = strrchr(exe, '/')))
        return 0;
    *slash = '\0';
    snprintf(probe, sizeof probe, "%s/build.ninja", exe);
    if (access(probe, F_OK) != 0)
        return 0;
    return (size_t)snprintf(out, size, "%s/%s", exe, sub) < size;
}

int rg_same_place(const char *a, const char *b)
{
    struct stat sa, sb;
    const char *base_a, *base_b;
    char dir_a[PATH_MAX], dir_b[PATH_MAX];
    if (!a || !b)
        return 0;
    if (stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino)
        return 1;
    base_a = strrchr(a, '/');
    base_b = strrchr(b, '/');
    base_a = base_a ? base_a + 1 : a;
    base_b = base_b ? base_b + 1 : b;
    if (strcmp(base_a, base_b) != 0)
        return 0;
    snprintf(dir_a, sizeof dir_a, "%.*s", base_a == a ? 1 : (int)(base_a - a), base_a == a ? "." : a);
    snprintf(dir_b, sizeof dir_b, "%.*s", base_b == b ? 1 : (int)(base_b - b), base_b == b ? "." : b);
    if (stat(dir_a, &sa) == 0 && stat(dir_b, &sb) == 0)
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    return strcmp(a, b) == 0;
}
