/* A pg_basebackup directory: whether pg_basebackup finished it.
 *
 * pg_basebackup (PostgreSQL 13 and later, unless --no-manifest) writes backup_manifest
 * last, a JSON document that ends with its own "Manifest-Checksum".  A pg_basebackup
 * stopped by a signal (SIGTERM from `timeout`, a cancelled job) skips its clean-up and
 * leaves what it had: in plain format (-Fp) PG_VERSION, backup_label and part of the
 * cluster's files; in tar format (-Ft) a cut base.tar (real round 41, F08: both passed as
 * directory backups on their presence).  So a directory that holds PG_VERSION and
 * backup_label, or a base.tar that starts with backup_label, is a base backup, and
 * finished only with a whole backup_manifest. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bk.h"

#define MANIFEST_TAIL 256   /* "Manifest-Checksum": "<64 hex>"} and its line ends */

static int has_file(int dir_fd, const char *name)
{
    struct stat st;
    return fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
}

/* Whether DIR_FD is a pg_basebackup's directory: plain (PG_VERSION and backup_label) or
 * tar (a base.tar whose first member is backup_label, as the server sends it; a compressed
 * one cannot be told from any base.tar.gz and is not judged). */
static int is_base_backup(int dir_fd)
{
    unsigned char head[512];
    int fd, found = 0;
    if (has_file(dir_fd, "PG_VERSION") && has_file(dir_fd, "backup_label"))
        return 1;
    if (!has_file(dir_fd, "base.tar") ||
        (fd = openat(dir_fd, "base.tar", O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)) < 0)
        return 0;
    found = pread(fd, head, sizeof head, 0) == (ssize_t)sizeof head && bk_tar_checksum_holds(head, sizeof head) &&
            strncmp((const char *)head, "backup_label", 100) == 0;
    close(fd);
    return found;
}

int bk_pg_basebackup_finished(int dir_fd, char *unfinished, size_t n, char *why, size_t why_n)
{
    char tail[MANIFEST_TAIL + 1];
    struct stat st;
    ssize_t got;
    off_t from;
    int fd;
    unfinished[0] = '\0';
    if (!is_base_backup(dir_fd))
        return 0;
    fd = openat(dir_fd, "backup_manifest", O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0 && errno == ENOENT) {
        snprintf(unfinished, n, "a pg_basebackup directory without its backup_manifest, which pg_basebackup "
                 "writes last: it did not finish (or ran with --no-manifest)");
        return 0;
    }
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(why, why_n, "cannot read its backup_manifest: %s", strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(why, why_n, "its backup_manifest is not a regular file");
        close(fd);
        return -1;
    }
    from = st.st_size > MANIFEST_TAIL ? st.st_size - MANIFEST_TAIL : 0;
    do
        got = pread(fd, tail, (size_t)(st.st_size - from), from);
    while (got < 0 && errno == EINTR);
    close(fd);
    if (got < 0) {
        snprintf(why, why_n, "cannot read its backup_manifest: %s", strerror(errno));
        return -1;
    }
    tail[got] = '\0';
    /* The checksum is the manifest's last member: then only "}" and white space. */
    const char *sum = strstr(tail, "\"Manifest-Checksum\"");
    const char *end = sum ? strchr(sum, '}') : NULL;
    if (!end || end[1 + strspn(end + 1, " \t\r\n")] != '\0' || strlen(tail) != (size_t)got)
        snprintf(unfinished, n, "its backup_manifest does not end with its Manifest-Checksum: pg_basebackup did not "
                 "finish writing it");
    return 0;
}
