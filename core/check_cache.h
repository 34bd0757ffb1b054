/* Plugin check results reused within one run. */
#ifndef RG_CHECK_CACHE_H
#define RG_CHECK_CACHE_H

#include <cjson/cJSON.h>

#include "json.h"
#include "plugin_host.h"
#include "relgate/plugin.h"

typedef struct rg_check_cache rg_check_cache;

/* A new, empty cache (MAX_BYTES: unused, files are hashed in chunks).  NULL when out of
 * memory. */
rg_check_cache *rg_check_cache_new(size_t max_bytes);
void rg_check_cache_free(rg_check_cache *cache);

/* What identifies running CHECK with PARAMS at NOW before it runs: the check, its
 * parameters (by identity: a policy's parameter objects do not change while it is
 * loaded) and the clock.  A heap string, or NULL when out of memory (nothing is reused). */
char *rg_check_cache_key(const rg_check *check, const cJSON *params, int64_t now);

typedef struct rg_check_cache_entry rg_check_cache_entry;

/* A new evaluation begins: files are looked at again (once each). */
void rg_check_cache_next(rg_check_cache *cache);

/* A result stored under KEY whose every input is the same in CTX: each context field it
 * read has the same value, each evidence file it read is declared with the same path,
 * resolves to the same file, with the same identity and the same bytes (or is absent with
 * the same message for the check).  Or NULL. */
const rg_check_cache_entry *rg_check_cache_get(rg_check_cache *cache, const char *key, const rg_context *ctx);

/* Fill OUT with HIT's result without copying its details: OUT->details is a view of the
 * cached tree (rg_shared_json_view), which *SHARED then holds a reference to. */
void rg_check_cache_reuse(const rg_check_cache_entry *hit, rg_check_result *out, rg_shared_json **shared);

/* Keep a copy of R under KEY, when R says it is reusable (its inputs are all recorded). */
void rg_check_cache_put(rg_check_cache *cache, const char *key, const rg_check_result *r);

#endif
