/* Plugin check results reused within one run. */
#ifndef RG_CHECK_CACHE_H
#define RG_CHECK_CACHE_H

#include <cjson/cJSON.h>

#include "plugin_host.h"
#include "relgate/plugin.h"

typedef struct rg_check_cache rg_check_cache;

/* A new, empty cache; evidence files are hashed up to MAX_BYTES.  NULL when out of memory. */
rg_check_cache *rg_check_cache_new(size_t max_bytes);
void rg_check_cache_free(rg_check_cache *cache);

/* The identity of running CHECK with PARAMS for CTX at NOW: the check, its parameters,
 * the clock and the digest of every evidence file its parameters name.  A heap string,
 * or NULL when the result must not be reused (an evidence path that breaks the rules). */
char *rg_check_cache_key(rg_check_cache *cache, const rg_check *check, const cJSON *params,
                         const rg_context *ctx, int64_t now);

/* A result stored under KEY whose context reads match CTX, or NULL. */
const rg_check_result *rg_check_cache_get(rg_check_cache *cache, const char *key, const rg_context *ctx);

/* Keep a copy of R under KEY (not when KEY is NULL or R broke a path rule). */
void rg_check_cache_put(rg_check_cache *cache, const char *key, const rg_check_result *r);

#endif
