/* SHA-256 of a backup file, streamed through OpenSSL's EVP (no size cap: backups are
 * large, and nothing of them is kept).
 *
 * libcrypto is opened when a hash is first asked for, not linked: every gate loads every
 * plugin, and linking libcrypto cost each one ~1 ms of relocations (docs/performance.md)
 * for a feature few requirements use. */
#include <dlfcn.h>
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
#define LIBCRYPTO "libcrypto.so.3"

/* The few EVP functions used, looked up once. */
static struct evp {
    int tried, ok;
    EVP_MD_CTX *(*ctx_new)(void);
    void (*ctx_free)(EVP_MD_CTX *);
    const EVP_MD *(*sha256)(void);
    int (*init)(EVP_MD_CTX *, const EVP_MD *, ENGINE *);
    int (*update)(EVP_MD_CTX *, const void *, size_t);
    int (*final)(EVP_MD_CTX *, unsigned char *, unsigned int *);
} evp;

static int load_evp(void)
{
    void *h;
    if (evp.tried)
        return evp.ok;
    evp.tried = 1;
    h = dlopen(LIBCRYPTO, RTLD_NOW | RTLD_LOCAL);
    if (!h)
        return 0;
    *(void **)&evp.ctx_new = dlsym(h, "EVP_MD_CTX_new");
    *(void **)&evp.ctx_free = dlsym(h, "EVP_MD_CTX_free");
    *(void **)&evp.sha256 = dlsym(h, "EVP_sha256");
    *(void **)&evp.init = dlsym(h, "EVP_DigestInit_ex");
    *(void **)&evp.update = dlsym(h, "EVP_DigestUpdate");
    *(void **)&evp.final = dlsym(h, "EVP_DigestFinal_ex");
    evp.ok = evp.ctx_new && evp.ctx_free && evp.sha256 && evp.init && evp.update && evp.final;
    return evp.ok; /* the handle stays open: the check runs in a child that soon exits */
}

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

    if (!load_evp()) {
        snprintf(why, n, "cannot load OpenSSL's %s to hash the backup", LIBCRYPTO);
        return -1;
    }
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
    ctx = evp.ctx_new();
    ok = buf && ctx && evp.init(ctx, evp.sha256(), NULL) == 1;
    while (ok) {
        got = read(fd, buf, CHUNK);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            snprintf(why, n, "cannot read: %s", strerror(errno));
            break;
        }
        if (got == 0) {
            ok = evp.final(ctx, md, &mdlen) == 1 && mdlen == 32;
            if (!ok)
                break;
            for (unsigned i = 0; i < mdlen; i++)
                snprintf(hex + 2 * i, 3, "%02x", md[i]);
            *size = total;
            free(buf);
            evp.ctx_free(ctx);
            close(fd);
            return 0;
        }
        total += got;
        ok = evp.update(ctx, buf, (size_t)got) == 1;
    }
    if (!ok)
        snprintf(why, n, "OpenSSL could not compute SHA-256");
    free(buf);
    if (ctx)
        evp.ctx_free(ctx);
    close(fd);
    return -1;
}
