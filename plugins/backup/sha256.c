/* SHA-256 of a backup file, streamed through OpenSSL's EVP (no size cap: backups are
 * large, and nothing of them is kept). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "bk.h"

#define CHUNK (256 * 1024)

int bk_sha256_file(const char *path, char *hex, int64_t *size, char *why, size_t n)
{
    unsigned char *buf;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_MD_CTX *ctx;
    struct stat st;
    int64_t total = 0;
    ssize_t got;
    int fd, ok;

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
    buf = malloc(CHUNK);
    ctx = EVP_MD_CTX_new();
    ok = buf && ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1;
    while (ok) {
        got = read(fd, buf, CHUNK);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            snprintf(why, n, "cannot read: %s", strerror(errno));
            break;
        }
        if (got == 0) {
            ok = EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen == 32;
            if (!ok)
                break;
            for (unsigned i = 0; i < mdlen; i++)
                snprintf(hex + 2 * i, 3, "%02x", md[i]);
            *size = total;
            free(buf);
            EVP_MD_CTX_free(ctx);
            close(fd);
            return 0;
        }
        total += got;
        ok = EVP_DigestUpdate(ctx, buf, (size_t)got) == 1;
    }
    if (!ok)
        snprintf(why, n, "OpenSSL could not compute SHA-256");
    free(buf);
    EVP_MD_CTX_free(ctx);
    close(fd);
    return -1;
}
