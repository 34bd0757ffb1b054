/* SHA-256 of a backup file, streamed through Nettle's sha256 (no size cap: backups are
 * large, and nothing of them is kept).
 *
 * Nettle is the engine's own digest library (core/digest.c), linked normally: the
 * process that loads this plugin has it mapped already, so linking it costs the plugin
 * nothing at load, where OpenSSL's libcrypto cost each process ~1 ms of relocations and
 * was therefore opened by soname at the first hash (docs/performance.md).  The plugin
 * links nothing of the engine, so it calls Nettle itself rather than core/digest.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nettle/sha2.h>

#include "bk.h"

#define CHUNK (256 * 1024)

int bk_sha256_file(const char *path, char *hex, int64_t *size, char *why, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    unsigned char *buf, md[SHA256_DIGEST_SIZE];
    struct sha256_ctx ctx;
    struct stat st;
    int64_t total = 0;
    ssize_t got;
    int fd;

    fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        snprintf(why, n, "cannot open: %s", strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(why, n, "not a regular file");
        close(fd);
        return -1;
    }
    if (!(buf = malloc(CHUNK))) {
        snprintf(why, n, "out of memory");
        close(fd);
        return -1;
    }
    sha256_init(&ctx);
    for (;;) {
        got = read(fd, buf, CHUNK);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            snprintf(why, n, "cannot read: %s", strerror(errno));
            free(buf);
            close(fd);
            return -1;
        }
        if (got == 0)
            break;
        total += got;
        sha256_update(&ctx, (size_t)got, buf);
    }
    free(buf);
    close(fd);
    sha256_digest(&ctx, sizeof md, md);
    for (size_t i = 0; i < sizeof md; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 15];
    }
    hex[2 * sizeof md] = '\0';
    *size = total;
    return 0;
}
