/* relgate serve: bearer tokens (serve_internal.h).  The file holds no token, only the
 * SHA-256 of each (64 hex digits a line; blank lines and '#' comments skipped), so that
 * reading it gives nobody a token.  A presented token is hashed and compared with every
 * hash, each comparison taking the same time whatever the bytes, and all of them made
 * whatever matched: the time an answer takes tells nothing of how close a guess was.
 *
 * SIGHUP reads the file again (rg_serve_tokens_reload, on the main thread) while the
 * connections' threads check tokens against it.  A file read whole and good replaces the
 * set at once, under the lock; one that is not (unreadable, untrusted, a line not a hash,
 * no hash at all) leaves the old set in place: the set is never empty, never part of a
 * file.  A thread checking a token holds a reference to the set it took, so the set it
 * compares against is not freed under it, and the lock is held only to take and drop
 * that reference, not for the comparisons. */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <nettle/sha2.h>

#include "error.h"
#include "fileio.h"
#include "serve_internal.h"

#define MAX_TOKENS 1024

/* One reading of the file: never changed once read; freed with its last reference. */
typedef struct token_set {
    unsigned refs;      /* the holder's (while current) and each check's now running */
    size_t count;
    unsigned char hash[MAX_TOKENS][SHA256_DIGEST_SIZE];
} token_set;

struct rg_serve_tokens {
    char *path;
    pthread_mutex_t lock;   /* CURRENT, and every set's REFS */
    token_set *current;
};

static int hex_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* LINE (trimmed in place) into one more hash of T: 1 when it held one, 0 when it is
 * blank or a comment, -1 when it is neither. */
static int parse_line(char *line, token_set *t)
{
    size_t n;
    while (isspace((unsigned char)*line))
        line++;
    n = strlen(line);
    while (n && isspace((unsigned char)line[n - 1]))
        line[--n] = '\0';
    if (n == 0 || line[0] == '#')
        return 0;
    if (n != 2 * SHA256_DIGEST_SIZE || t->count == MAX_TOKENS)
        return -1;
    for (size_t i = 0; i < SHA256_DIGEST_SIZE; i++) {
        int hi = hex_value(line[2 * i]), lo = hex_value(line[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        t->hash[t->count][i] = (unsigned char)(hi << 4 | lo);
    }
    t->count++;
    return 1;
}

/* The file at PATH read whole into a new set (one reference), or NULL with ERR: all of
 * it or nothing. */
static token_set *read_set(const char *path, rg_error *err)
{
    token_set *t;
    char *data = NULL, *line, *save = NULL;
    size_t len;
    int lineno = 0;
    if (rg_read_trusted_file(path, "token file", 0, 1u << 20, &data, &len, err) != 0)
        return NULL;
    if (!(t = calloc(1, sizeof *t))) {
        free(data);
        rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory");
        return NULL;
    }
    for (line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        if (parse_line(line, t) < 0) {
            rg_fail(err, RG_ERROR_USAGE, path, lineno, 0,
                    "--token-file %s:%d: not the SHA-256 of a token (64 hex digits; `printf %%s TOKEN | sha256sum`)%s",
                    path, lineno, t->count == MAX_TOKENS ? " or more than 1024 tokens" : "");
            free(data);
            free(t);
            return NULL;
        }
    }
    free(data);
    if (t->count == 0) {
        free(t);
        rg_fail(err, RG_ERROR_USAGE, path, 0, 0, "--token-file %s holds no token hash: nobody could be let in", path);
        return NULL;
    }
    t->refs = 1;
    return t;
}

rg_serve_tokens *rg_serve_tokens_load(const char *path, rg_error *err)
{
    rg_serve_tokens *h;
    token_set *t = read_set(path, err);
    if (!t)
        return NULL;
    if (!(h = calloc(1, sizeof *h)) || !(h->path = strdup(path))) {
        free(h);
        free(t);
        rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&h->lock, NULL);
    h->current = t;
    return h;
}

/* Drop one reference to T, taken under H's lock; the last frees it. */
static void release_set(rg_serve_tokens *h, token_set *t)
{
    unsigned left;
    pthread_mutex_lock(&h->lock);
    left = --t->refs;
    pthread_mutex_unlock(&h->lock);
    if (left == 0)
        free(t);
}

int rg_serve_tokens_reload(rg_serve_tokens *h, size_t *count, rg_error *err)
{
    token_set *fresh = read_set(h->path, err), *old;
    if (!fresh) {
        *count = rg_serve_tokens_count(h);
        return -1;
    }
    *count = fresh->count;
    pthread_mutex_lock(&h->lock);
    old = h->current;
    h->current = fresh;
    pthread_mutex_unlock(&h->lock);
    release_set(h, old);   /* freed now, or by the last check still comparing against it */
    return 0;
}

size_t rg_serve_tokens_count(rg_serve_tokens *h)
{
    size_t n;
    pthread_mutex_lock(&h->lock);
    n = h->current->count;
    pthread_mutex_unlock(&h->lock);
    return n;
}

void rg_serve_tokens_free(rg_serve_tokens *h)
{
    if (!h)
        return;
    free(h->current);   /* no check runs any more: the HTTP side has stopped */
    pthread_mutex_destroy(&h->lock);
    free(h->path);
    free(h);
}

/* Whether GOT is one of T's hashes: every hash compared, each in the same time. */
static int set_holds(const token_set *t, const unsigned char got[SHA256_DIGEST_SIZE])
{
    unsigned accepted = 0;
    for (size_t i = 0; i < t->count; i++) {
        unsigned diff = 0;
        for (size_t j = 0; j < SHA256_DIGEST_SIZE; j++)
            diff |= (unsigned)(got[j] ^ t->hash[i][j]);
        accepted |= (unsigned)(diff == 0);
    }
    return accepted != 0;
}

int rg_serve_tokens_accept(rg_serve_tokens *h, const char *authorization)
{
    struct sha256_ctx ctx;
    unsigned char got[SHA256_DIGEST_SIZE];
    const char *token;
    token_set *t;
    int accepted;
    if (!authorization || strncasecmp(authorization, "Bearer ", 7) != 0)
        return 0;
    token = authorization + 7;
    while (*token == ' ')
        token++;
    if (!*token)
        return 0;
    sha256_init(&ctx);
    sha256_update(&ctx, strlen(token), (const uint8_t *)token);
    sha256_digest(&ctx, sizeof got, got);
    pthread_mutex_lock(&h->lock);
    t = h->current;
    t->refs++;
    pthread_mutex_unlock(&h->lock);
    accepted = set_holds(t, got);
    release_set(h, t);
    return accepted;
}
