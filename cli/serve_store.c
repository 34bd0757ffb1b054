/* relgate serve: the decision store (serve_internal.h): the decision log of the CLI
 * (rg_log_*), used by one thread at a time as relgate.h asks, behind a lock.
 *
 * Every record the server writes begins {"id":"<32 hex>", and, when the request had
 * one, "idempotency_key":"<key>","request_digest":"sha256:<64 hex>", (serve_decide.c):
 * a lookup compares those leading bytes exactly, so a member of the same name deeper in
 * a decision (a check's details) is never taken for them. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "serve_internal.h"

struct rg_serve_store {
    pthread_mutex_t lock;
    rg_log *log;
    rg_signer *signer;       /* signs each record's position (--signing-key), or NULL */
    int ok;                  /* the last use succeeded */
};

rg_serve_store *rg_serve_store_open(const char *url, const char *signing_key, rg_error *err)
{
    rg_serve_store *s = calloc(1, sizeof *s);
    if (!s) {
        rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory");
        return NULL;
    }
    if (!(s->log = rg_log_open(url, 1, err))) {
        free(s);
        return NULL;
    }
    /* A signer of the store's own: appends are one at a time, under its lock. */
    if (signing_key && !(s->signer = rg_signer_load(signing_key, err))) {
        rg_log_close(s->log);
        free(s);
        return NULL;
    }
    rg_log_sign_positions(s->log, s->signer);
    /* A file log comes into being at its first append; the server reads it before that
     * (an id, a key, last-good), and its workers open it for rollback targets: so it is
     * there, empty, from the start. */
    if (strncmp(url, "sqlite:", 7) != 0 && strncmp(url, "postgres", 8) != 0) {
        int fd = open(url, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd >= 0)
            close(fd);
    }
    pthread_mutex_init(&s->lock, NULL);
    s->ok = 1;
    return s;
}

void rg_serve_store_close(rg_serve_store *s)
{
    if (!s)
        return;
    rg_log_close(s->log);
    rg_signer_free(s->signer);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

int rg_serve_store_append(rg_serve_store *s, const char *record, rg_error *err)
{
    int rc;
    pthread_mutex_lock(&s->lock);
    rc = rg_log_append(s->log, record, strlen(record), err);
    s->ok = rc == 0;
    pthread_mutex_unlock(&s->lock);
    return rc;
}

typedef struct lookup {
    char prefix[300];      /* the leading bytes a matching record has */
    size_t n;
    int by_key;            /* the key follows the id: skip {"id":"<32 hex>", */
    char *found;
} lookup;

static int match(const char *entry, size_t len, void *data)
{
    lookup *l = data;
    const char *p = entry;
    static const char id_head[] = "{\"id\":\"";
    if (l->by_key) {
        size_t skip = sizeof id_head - 1 + 32 + 2;   /* {"id":"<32>", */
        if (len < skip || strncmp(entry, id_head, sizeof id_head - 1) != 0 || entry[skip - 2] != '"' ||
            entry[skip - 1] != ',')
            return 0;
        p = entry + skip;
        len -= skip;
    }
    if (len < l->n || memcmp(p, l->prefix, l->n) != 0)
        return 0;
    l->found = strdup(entry);
    return 1;
}

char *rg_serve_store_lookup(rg_serve_store *s, const char *name, const char *value, int *failed)
{
    lookup l;
    rg_log_query q;
    rg_error err;
    int rc;
    memset(&l, 0, sizeof l);
    memset(&q, 0, sizeof q);
    q.newest_first = 1;
    *failed = 0;
    l.by_key = strcmp(name, "id") != 0;
    snprintf(l.prefix, sizeof l.prefix, "%s\"%s\":\"%s\"", l.by_key ? "" : "{", name, value);
    l.n = strlen(l.prefix);
    rg_error_init(&err);
    pthread_mutex_lock(&s->lock);
    rc = rg_log_each(s->log, &q, match, &l, NULL, &err);
    /* A server that signs its store answers (and replays) only a record its signatures
     * show: one written into the store by someone else would otherwise be served, or
     * replayed for a request as its decision. */
    if (rc == 0 && l.found)
        rc = rg_log_entry_signed(s->log, l.found, strlen(l.found), &err);
    s->ok = rc == 0;
    pthread_mutex_unlock(&s->lock);
    if (rc != 0) {
        fprintf(stderr, "relgate: error: %s\n", err.message);
        *failed = 1;
        free(l.found);
        l.found = NULL;
    }
    rg_error_clear(&err);
    return l.found;
}

char *rg_serve_store_last_good(rg_serve_store *s, const char *release, const char *environment, int *failed)
{
    rg_error err;
    char *rec;
    rg_error_init(&err);
    pthread_mutex_lock(&s->lock);
    rec = rg_log_last_good_in(s->log, release, environment, NULL, &err);
    *failed = err.kind != RG_ERROR_NONE;
    s->ok = !*failed;
    pthread_mutex_unlock(&s->lock);
    if (*failed)
        fprintf(stderr, "relgate: error: %s\n", err.message);
    rg_error_clear(&err);
    return rec;
}

int rg_serve_store_ok(rg_serve_store *s)
{
    int ok;
    pthread_mutex_lock(&s->lock);
    ok = s->ok;
    pthread_mutex_unlock(&s->lock);
    return ok;
}
