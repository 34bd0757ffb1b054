/* Remembering resolved paths for one batch run (realpath() walks every component of a
 * path with a readlink() each: several per evidence read, for every context). */
#ifndef RG_PATH_CACHE_H
#define RG_PATH_CACHE_H

#include "relgate/relgate.h"

/* realpath(PATH) as the cache first found it: a string the cache owns, or NULL with
 * *ERRNUM set to realpath's errno.  Without a cache (C NULL), a plain realpath() into
 * BUF (PATH_MAX bytes). */
const char *rg_path_cache_realpath(rg_path_cache *cache, const char *path, char *buf, int *errnum);

/* Forget PATH: resolved each time from now on (a link appeared on it). */
void rg_path_cache_forget(rg_path_cache *cache, const char *path);

/* 1 when PATH is a directory, else 0 (errno set).  With a cache, the last directory
 * found is remembered: a batch's every context names the same --evidence-root, which
 * was a stat() a line. */
int rg_path_cache_is_directory(rg_path_cache *cache, const char *path);

#endif
