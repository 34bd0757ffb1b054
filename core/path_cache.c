/* Remembering resolved paths for one batch run (see path_cache.h).
 *
 * Within a run the directory tree is taken as fixed, as a batch already takes its
 * evidence for fixed unless a file's inode, size or time change: a path is resolved, and
 * checked against the evidence root by the caller, once.  A run that may see its
 * evidence tree change under it should not share a cache between its contexts. */
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
            *errnum = 0;
            return s->real;
        }
    }
    real = realpath(path, buf);
    *errnum = real ? 0 : errno;
    /* A path that did not resolve is not remembered: looked at again next time, so that a
     * file that appears later (relgate serve's worker writes again an evidence file a
     * cleaner took) is found, not taken as missing for the cache's life.  Keep a quarter
     * of the table free so probes stay short. */
    if (real && cache->used < SLOTS * 3 / 4 && (s->path = strdup(path)) != NULL) {
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
