/* Remembering resolved paths for one batch run (see path_cache.h).
 *
 * Only a path that is its own real path -- no link on it -- is remembered: one reached
 * through a link is resolved each time, so a link pointed elsewhere between two contexts
 * is followed where it now leads, as a context alone would.  A link that appears on a
 * remembered path is found when the file is opened (the open follows no link): the
 * reader then forgets the path and resolves it afresh (rg_path_cache_forget). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "path_cache.h"
#include "textpos.h"

#define SLOTS 1024   /* past that, paths are resolved each time */

typedef struct slot {
    char *path;      /* NULL: empty */
    char *real;      /* what it resolved to (failures are not kept) */
} slot;

struct rg_path_cache {
    slot slots[SLOTS];
    size_t used;
    char *directory;   /* the last path rg_path_cache_is_directory found to be one */
};

rg_path_cache *rg_path_cache_new(void)
{
    return calloc(1, sizeof(rg_path_cache));
}

void rg_path_cache_free(rg_path_cache *cache)
{
    if (!cache)
        return;
    for (size_t i = 0; i < SLOTS; i++) {
        free(cache->slots[i].path);
        free(cache->slots[i].real);
    }
    free(cache->directory);
    free(cache);
}

const char *rg_path_cache_realpath(rg_path_cache *cache, const char *path, char *buf, int *errnum)
{
    size_t i;
    slot *s;
    const char *real;
    int forgotten = 0;
    if (!cache) {
        real = realpath(path, buf);
        *errnum = real ? 0 : errno;
        return real;
    }
    for (i = rg_text_hash(path) % SLOTS;; i = (i + 1) % SLOTS) {
        s = &cache->slots[i];
        if (!s->path)
            break;
        if (strcmp(s->path, path) == 0) {
            if (!s->real) {   /* forgotten: resolved each time from now on */
                forgotten = 1;
                break;
            }
            *errnum = 0;
            return s->real;
        }
    }
    real = realpath(path, buf);
    *errnum = real ? 0 : errno;
    /* A path that did not resolve is not remembered: looked at again next time, so that a
     * file that appears later (relgate serve's worker writes again an evidence file a
     * cleaner took) is found, not taken as missing for the cache's life.  Nor is one
     * reached through a link (above).  Keep a quarter of the table free so probes stay
     * short. */
    if (real && !forgotten && strcmp(real, path) == 0 && cache->used < SLOTS * 3 / 4 &&
        (s->path = strdup(path)) != NULL) {
        s->real = strdup(real);
        if (!s->real) {       /* out of memory: forget it, answer anyway */
            free(s->path);
            s->path = NULL;
            return real;
        }
        cache->used++;
        return s->real;
    }
    return real;
}

int rg_path_cache_is_directory(rg_path_cache *cache, const char *path)
{
    struct stat st;
    if (cache && cache->directory && strcmp(cache->directory, path) == 0)
        return 1;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return 0;
    if (cache) {
        free(cache->directory);
        cache->directory = strdup(path);   /* out of memory: asked again next time */
    }
    return 1;
}

void rg_path_cache_forget(rg_path_cache *cache, const char *path)
{
    size_t i;
    if (!cache)
        return;
    for (i = rg_text_hash(path) % SLOTS; cache->slots[i].path; i = (i + 1) % SLOTS) {
        if (strcmp(cache->slots[i].path, path) == 0) {
            /* Left as a path that resolves to nothing it matches: a tombstone keeps the
             * probe chains of the paths after it whole. */
            free(cache->slots[i].real);
            cache->slots[i].real = NULL;
            return;
        }
    }
}
