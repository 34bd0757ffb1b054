/* relgate serve: the directory of the requests' inline evidence (serve_internal.h).
 *
 * $TMPDIR/relgate-serve-XXXXXX, made at start, held locked shared for the server's life
 * (a cleaner such as systemd-tmpfiles skips a locked directory) and removed at a clean
 * exit.  A server killed (SIGKILL, the OOM killer, a power cut of its cgroup) leaves it,
 * and the evidence bytes in it, behind: the next server to start in the same parent
 * sweeps such leftovers -- its user's directories of exactly that name that no process
 * holds a lock on.
 *
 * The parent is shared (/tmp) with everyone, so nothing here follows a symbolic link:
 * every entry is reached relative to a descriptor of the directory checked before
 * (openat, unlinkat), never by a path walked again; a directory is opened O_NOFOLLOW and
 * what is checked (owner, kind) is the descriptor's, not the name's.
 *
 * Liveness is the lock: a live server holds its directory locked shared, so a sweeper's
 * flock(LOCK_EX | LOCK_NB) fails on it.  A new directory is therefore locked before it
 * can be seen under that name: it is made under another name (.relgate-serve-XXXXXX,
 * which no sweeper touches), opened and locked, and only then renamed to its own.  A
 * server starting at the same moment thus never sees it unlocked, with no clock to
 * trust.  (Killed in the instant between the two, a server leaves an empty directory
 * of the other name.) */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "serve_internal.h"
#include "serve_worker.h"

#define PREFIX "relgate-serve-"
#define SUFFIX_LEN 6
#define MAX_DEPTH 32    /* a worker's tree is three deep; deeper is not ours to walk */

/* mkdtemp's alphabet: the names a server gives are made of it. */
static const char ALPHABET[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

static const char *workdir_parent(void)
{
    const char *tmp = getenv("TMPDIR");
    return tmp && *tmp ? tmp : "/tmp";
}

/* Whether NAME is exactly relgate-serve- and six characters of ALPHABET. */
static int is_workdir_name(const char *name)
{
    size_t n = strlen(PREFIX);
    if (strncmp(name, PREFIX, n) != 0 || strlen(name + n) != SUFFIX_LEN)
        return 0;
    for (size_t i = n; name[i]; i++)
        if (!memchr(ALPHABET, name[i], sizeof ALPHABET - 1))
            return 0;
    return 1;
}

static void remove_entry_at(int dir, const char *name, dev_t dev, int depth);

/* Remove every entry of the directory open as DIR, depth first, through descriptors.
 * DEV: the device of the directory swept, which the walk does not leave (a mount
 * point's contents are not ours). */
static void empty_dir(int dir, dev_t dev, int depth)
{
    /* A descriptor of its own to read from, so DIR's offset (and lock) stay as they are. */
    int fd = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d;
    struct dirent *e;
    if (fd < 0)
        return;
    if (!(d = fdopendir(fd))) {
        close(fd);
        return;
    }
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            remove_entry_at(dir, e->d_name, dev, depth);
    closedir(d);
}

/* Remove NAME in DIR: a symbolic link is removed as itself (unlinkat never follows one),
 * a directory emptied through a descriptor opened O_NOFOLLOW, then removed.  Whatever
 * NAME becomes between the look and the removal, unlinkat acts on the name alone: a
 * link put in place of a directory fails O_NOFOLLOW and AT_REMOVEDIR, a directory in
 * place of a file fails unlinkat without AT_REMOVEDIR. */
static void remove_entry_at(int dir, const char *name, dev_t dev, int depth)
{
    struct stat st;
    if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return;
    if (!S_ISDIR(st.st_mode)) {
        (void)unlinkat(dir, name, 0);
        return;
    }
    if (st.st_dev == dev && depth < MAX_DEPTH) {
        int sub = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub >= 0) {
            empty_dir(sub, dev, depth + 1);
            close(sub);
        }
    }
    (void)unlinkat(dir, name, AT_REMOVEDIR);
}

/* Remove the directory open as FD, named NAME in PARENT: its entries through FD, then
 * NAME -- only while NAME still names FD's directory (not one put in its place).
 * 0, or -1. */
static int remove_dir(int parent, const char *name, int fd)
{
    struct stat held, named;
    if (fstat(fd, &held) != 0)
        return -1;
    empty_dir(fd, held.st_dev, 0);
    if (fstatat(parent, name, &named, AT_SYMLINK_NOFOLLOW) != 0 || named.st_dev != held.st_dev ||
        named.st_ino != held.st_ino)
        return -1;
    return unlinkat(parent, name, AT_REMOVEDIR);
}

/* NAME in PARENT, when it is a leftover: a real directory (not a link), this user's, that
 * no process holds a lock on.  Removed under an exclusive lock, so that no server can
 * take it up meanwhile.  0 when removed, else -1 (kept). */
static int sweep_one(int parent, const char *name)
{
    struct stat st;
    int fd, rc = -1;
    /* The first look spares opening what is plainly not ours (another user's directory). */
    if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid())
        return -1;
    fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return -1;
    /* The descriptor's owner decides: the name may have changed since the look.  A lock
     * refused (EWOULDBLOCK: a live server; or a file system without flock) keeps it. */
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid() && flock(fd, LOCK_EX | LOCK_NB) == 0)
        rc = remove_dir(parent, name, fd);
    close(fd);
    return rc;
}

unsigned rg_serve_workdir_sweep(const char *parent_path)
{
    unsigned swept = 0;
    int parent = open(parent_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), fd;
    DIR *d;
    struct dirent *e;
    if (parent < 0)
        return 0;
    if ((fd = openat(parent, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || !(d = fdopendir(fd))) {
        if (fd >= 0)
            close(fd);
        close(parent);
        return 0;
    }
    while ((e = readdir(d)))
        if (is_workdir_name(e->d_name) && sweep_one(parent, e->d_name) == 0)
            swept++;
    closedir(d);
    close(parent);
    return swept;
}

/* Rename the directory STAGING to PARENT/relgate-serve-XXXXXX, a name no other entry has,
 * into OUT.  0, or -1 (errno). */
static int publish(const char *staging, const char *parent, char *out, size_t size)
{
    for (int attempt = 0; attempt < 100; attempt++) {
        unsigned char rnd[SUFFIX_LEN];
        char suffix[SUFFIX_LEN + 1];
        if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
            return -1;
        for (int i = 0; i < SUFFIX_LEN; i++)
            suffix[i] = ALPHABET[rnd[i] % (sizeof ALPHABET - 1)];
        suffix[SUFFIX_LEN] = '\0';
        if ((size_t)snprintf(out, size, "%s/" PREFIX "%s", parent, suffix) >= size) {
            errno = ENAMETOOLONG;
            return -1;
        }
        if (renameat2(AT_FDCWD, staging, AT_FDCWD, out, RENAME_NOREPLACE) == 0)
            return 0;
        /* A file system without RENAME_NOREPLACE: rename(2) replaces an existing
         * directory only when it is empty (else EEXIST or ENOTEMPTY, and another name is
         * tried); a live server's directory of the same six characters (one chance in
         * 62^6) before its workers made theirs in it is all it could replace. */
        if ((errno == EINVAL || errno == ENOSYS) && rename(staging, out) == 0)
            return 0;
        if (errno != EEXIST && errno != ENOTEMPTY)
            return -1;
    }
    errno = EEXIST;
    return -1;
}

int rg_serve_workdir_make(rg_serve *srv, rg_error *err)
{
    const char *parent = workdir_parent();
    char staging[sizeof srv->workdir];
    unsigned swept = rg_serve_workdir_sweep(parent);
    int fd;
    if (swept)
        fprintf(stderr, "relgate: serve: removed %u inline-evidence director%s left in %s by servers no longer running\n",
                swept, swept == 1 ? "y" : "ies", parent);
    if ((size_t)snprintf(staging, sizeof staging, "%s/." PREFIX "XXXXXX", parent) >= sizeof staging || !mkdtemp(staging))
        return rg_fail(err, RG_ERROR_IO, NULL, 0, 0, "cannot make a private directory in %s: %s", parent,
                       strerror(errno));
    if ((fd = open(staging, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
        int e = errno;
        (void)rmdir(staging);
        return rg_fail(err, RG_ERROR_IO, NULL, 0, 0, "cannot open %s: %s", staging, strerror(e));
    }
    /* Locked before it has the name a sweeper looks for (above).  Without flock (a file
     * system without it) a worker still writes again, at the next request, a file it
     * finds gone (serve_worker.c); a sweeper, refused the lock too, keeps the directory. */
    (void)flock(fd, LOCK_SH);
    if (publish(staging, parent, srv->workdir, sizeof srv->workdir) != 0) {
        int e = errno;
        srv->workdir[0] = '\0';
        (void)rmdir(staging);
        close(fd);
        return rg_fail(err, RG_ERROR_IO, NULL, 0, 0, "cannot name a private directory in %s: %s", parent,
                       strerror(e));
    }
    srv->workdir_lock = fd;
    setenv(RG_SERVE_WORKDIR_ENV, srv->workdir, 1);
    return 0;
}

void rg_serve_workdir_remove(rg_serve *srv)
{
    char parent[sizeof srv->workdir];
    char *slash;
    int dir;
    if (!srv->workdir[0] || srv->workdir_lock < 0)
        return;
    memcpy(parent, srv->workdir, sizeof parent);
    if (!(slash = strrchr(parent, '/')))
        return;
    *slash = '\0';
    /* Through the descriptor held since it was made: the directory the server made, not
     * whatever its path names by now. */
    if ((dir = open(parent[0] ? parent : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
        (void)remove_dir(dir, slash + 1, srv->workdir_lock);
        close(dir);
    }
    close(srv->workdir_lock);
    srv->workdir_lock = -1;
}
