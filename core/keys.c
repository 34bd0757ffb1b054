/* Keys (keys.h): the signer module loaded once, PEM files read and handed to it. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "fileio.h"
#include "keys.h"
#include "module_open.h"
#include "rg_config.h"

#define KEY_FILE_MAX (64u << 10)   /* a PEM key is a few hundred bytes */

static pthread_mutex_t backend_lock = PTHREAD_MUTEX_INITIALIZER;
static const rg_sign_backend *backend_loaded;

const rg_sign_backend *rg_sign_backend_get(rg_error *err)
{
    char msg[RG_SIGN_ERRMAX];
    const rg_sign_backend *b;
    void *handle;
    rg_sign_backend_fn entry;
    pthread_mutex_lock(&backend_lock);
    if ((b = backend_loaded) != NULL) {
        pthread_mutex_unlock(&backend_lock);
        return b;
    }
    handle = rg_module_open("attest", RG_SIGNERDIR, "relgate-signer-gnutls.so", "the signer module",
                            "signing (GnuTLS)", msg, sizeof msg);
    entry = handle ? (rg_sign_backend_fn)dlsym(handle, RG_SIGN_BACKEND_SYMBOL) : NULL;
    b = entry ? entry() : NULL;
    if (handle && (!b || b->abi != RG_SIGN_ABI || b->size != sizeof *b)) {
        snprintf(msg, sizeof msg, "cannot load the signer module: %s", !b ? "no back end in it" : "built for another relgate");
        b = NULL;
    }
    /* A module that failed is not unmapped either: RTLD_NODELETE keeps it. */
    if (handle && !b)
        dlclose(handle);
    backend_loaded = b;
    pthread_mutex_unlock(&backend_lock);
    if (!b)
        rg_fail(err, RG_ERROR_USAGE, NULL, 0, 0, "%s", msg);
    return b;
}

int rg_key_from_pem(const rg_sign_backend *backend, const char *pem, size_t len, int private_key,
                    const char *display, rg_key *out, rg_error *err)
{
    char msg[RG_SIGN_ERRMAX] = "";
    unsigned char *der = NULL, digest[RG_SHA256_LEN];
    size_t der_len = 0;
    memset(out, 0, sizeof *out);
    out->backend = backend;
    if ((private_key ? backend->load_private : backend->load_public)(pem, len, &out->key, msg) != 0)
        return rg_fail(err, RG_ERROR_USAGE, display, 0, 0, "%s: %s", display, msg);
    if (backend->public_der(out->key, &der, &der_len, msg) != 0) {
        rg_key_clear(out);
        return rg_fail(err, RG_ERROR_INTERNAL, display, 0, 0, "%s: %s", display, msg);
    }
    rg_sha256_of(der, der_len, digest);
    free(der);
    for (size_t i = 0; i < RG_SHA256_LEN; i++)
        snprintf(out->id + 2 * i, 3, "%02x", digest[i]);
    return 0;
}

int rg_key_load(const char *path, int private_key, rg_key *out, rg_error *err)
{
    const char *what = private_key ? "signing key" : "public key";
    const rg_sign_backend *b;
    struct stat st;
    char *pem = NULL;
    size_t len = 0;
    int fd, rc;
    memset(out, 0, sizeof *out);
    fd = rg_open_regular(path, O_RDONLY, &st);
    if (fd == RG_OPEN_FAILED)
        return rg_fail(err, RG_ERROR_IO, path, 0, 0, "cannot read the %s %s: %s", what, path, strerror(errno));
    if (fd == RG_OPEN_NOT_FILE)
        return rg_fail(err, RG_ERROR_IO, path, 0, 0, "the %s %s is %s, not a file", what, path, rg_file_kind(st.st_mode));
    if (private_key && (st.st_mode & (S_IRWXG | S_IRWXO))) {
        close(fd);
        return rg_fail(err, RG_ERROR_USAGE, path, 0, 0,
                       "the signing key %s may be read by others than its owner (mode %03o): chmod 600 it",
                       path, (unsigned)(st.st_mode & 0777));
    }
    rc = rg_read_fd(fd, path, what, KEY_FILE_MAX, &pem, &len, err);
    close(fd);
    if (rc != 0)
        return -1;
    rc = (b = rg_sign_backend_get(err)) ? rg_key_from_pem(b, pem, len, private_key, path, out, err) : -1;
    /* The key's text leaves no copy behind in freed memory. */
    explicit_bzero(pem, len);
    free(pem);
    return rc;
}

void rg_key_clear(rg_key *key)
{
    if (key->key && key->backend)
        key->backend->free_key(key->key);
    key->key = NULL;
}
