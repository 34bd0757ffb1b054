/* What the loader child said of each plugin file, kept between runs, so that a start
 * whose plugin files have not changed forks no loader child and loads no plugin code.
 *
 * An entry is the description the loader child sent (the framed record's payload) and
 * the SHA-256 of the file's content (the decision names it) under the file's path and
 * identity: device, inode, size, modification and change times (a
 * change time no user can set back, and any write, chmod or rename moves).  The cache
 * can only spare the loader: a description taken from it is validated as one fresh from
 * the loader is, and a check's child still loads the plugin itself and compares what it
 * describes with the description, byte for byte, before it runs — so a stale or forged
 * entry makes that check an error, never a pass.  The file is the user's own (owned by
 * them, writable by no one else, else ignored); anything wrong with it (damaged, cut
 * short, foreign) and it is ignored and rewritten. */
#ifndef RG_PLUGIN_CACHE_H
#define RG_PLUGIN_CACHE_H

#include <stddef.h>
#include <sys/stat.h>

#include "digest.h"

typedef struct rg_plugin_cache rg_plugin_cache;

/* Where the cache of the plugins found in FOLDERS (COUNT of them, in search order; NULL
 * entries skipped) lives: $RELGATE_PLUGIN_CACHE (empty: no cache), else
 * $XDG_CACHE_HOME/relgate/plugins-HEX.cache, else $HOME/.cache/relgate/plugins-HEX.cache,
 * HEX the first 8 bytes of the SHA-256 of the folders' names; NULL when none of them is
 * set (heap string). */
char *rg_plugin_cache_path(const char *const *folders, size_t count);

/* The entries of the cache at PATH (an empty cache when it is missing, unusable or not
 * the user's own); NULL only when out of memory. */
rg_plugin_cache *rg_plugin_cache_open(const char *path);
void rg_plugin_cache_free(rg_plugin_cache *c);

/* The description kept for the file at PATH with identity ST, or NULL (*LEN and DIGEST,
 * the file's SHA-256, set). */
const char *rg_plugin_cache_find(const rg_plugin_cache *c, const char *path, const struct stat *st,
                                 size_t *len, unsigned char digest[RG_SHA256_LEN]);

/* Keep RECORD (LEN bytes) and DIGEST for the file at PATH with identity ST, replacing an
 * entry of that path.  0, or -1 when out of memory (the cache is then left as it was). */
int rg_plugin_cache_put(rg_plugin_cache *c, const char *path, const struct stat *st,
                        const unsigned char digest[RG_SHA256_LEN], const char *record, size_t len);

/* Write the cache to PATH atomically (its folder made, 0700, when missing); failures are
 * ignored: the cache only saves time.  When PATH is of relgate's choosing (no
 * $RELGATE_PLUGIN_CACHE), the other sets' cache files beside it are kept to the 31
 * written last, the older ones removed. */
void rg_plugin_cache_save(const rg_plugin_cache *c, const char *path);

#endif
