/* relgate serve: bearer tokens (serve_internal.h).  The file holds no token, only the
 * SHA-256 of each (64 hex digits a line; blank lines and '#' comments skipped), so that
 * reading it gives nobody a token.  A presented token is hashed and compared with every
 * hash, each comparison taking the same time whatever the bytes, and all of them made
 * whatever matched: the time an answer takes tells nothing of how close a guess was. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <nettle/sha2.h>

#include "error.h"
#include "fileio.h"
#include "serve_internal.h"

#define MAX_TOKENS 1024

struct rg_serve_tokens {
    size_t count;
    unsigned char hash[MAX_TOKENS][SHA256_DIGEST_SIZE];
};

static int hex_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

rg_serve_tokens *rg_serve_tokens_load(const char *path, rg_error *err)
{
    rg_serve_tokens *t;
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
        size_t n;
        lineno++;
        while (isspace((unsigned char)*line))
            line++;
        n = strlen(line);
        while (n && isspace((unsigned char)line[n - 1]))
            line[--n] = '\0';
        if (n == 0 || line[0] == '#')
            continue;
        if (n != 2 * SHA256_DIGEST_SIZE || t->count == MAX_TOKENS)
            goto bad;
        for (size_t i = 0; i < SHA256_DIGEST_SIZE; i++) {
            int hi = hex_value(line[2 * i]), lo = hex_value(line[2 * i + 1]);
            if (hi < 0 || lo < 0)
                goto bad;
            t->hash[t->count][i] = (unsigned char)(hi << 4 | lo);
        }
        t->count++;
    }
    free(data);
    if (t->count == 0) {
        free(t);
        rg_fail(err, RG_ERROR_USAGE, path, 0, 0, "--token-file %s holds no token hash: nobody could be let in", path);
        return NULL;
    }
    return t;
bad:
    free(data);
    rg_fail(err, RG_ERROR_USAGE, path, lineno, 0,
            "--token-file %s:%d: not the SHA-256 of a token (64 hex digits; `printf %%s TOKEN | sha256sum`)%s",
            path, lineno, t->count == MAX_TOKENS ? " or more than 1024 tokens" : "");
    free(t);
    return NULL;
}

void rg_serve_tokens_free(rg_serve_tokens *t)
{
    free(t);
}

int rg_serve_tokens_accept(const rg_serve_tokens *t, const char *authorization)
{
    struct sha256_ctx ctx;
    unsigned char got[SHA256_DIGEST_SIZE];
    const char *token;
    unsigned accepted = 0;
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
    for (size_t i = 0; i < t->count; i++) {
        unsigned diff = 0;
        for (size_t j = 0; j < SHA256_DIGEST_SIZE; j++)
            diff |= (unsigned)(got[j] ^ t->hash[i][j]);
        accepted |= (unsigned)(diff == 0);
    }
    return accepted != 0;
}
