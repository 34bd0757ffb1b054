/* Finding, loading and validating check plugins. */
#ifndef RG_PLUGINS_H
#define RG_PLUGINS_H

#include <cjson/cJSON.h>

#include "relgate/plugin.h"
#include "relgate/relgate.h"

typedef struct rg_loaded_plugin {
    void *handle;            /* from dlopen; NULL for plugins registered in-process */
    const rg_plugin *desc;
    char *path;
} rg_loaded_plugin;

struct rg_plugins {
    rg_loaded_plugin *items;
    size_t count;
    char **searched;         /* the directories looked in, in order */
    size_t searched_count;
};

/* The plugin that provides check NAME and the check itself, or NULL. */
const rg_check *rg_plugins_find_check(const rg_plugins *set, const char *name,
                                      const rg_loaded_plugin **owner);

/* The declaration of parameter NAME of CHECK, or NULL. */
const rg_param *rg_check_param(const rg_check *check, const char *name);

/* "string", "integer", "number", "boolean", "string list", "evidence", "evidence list",
 * "duration". */
const char *rg_param_type_name(rg_param_type type);

/* Check VALUE (a JSON value from a policy or a default) against DECL and return a new,
 * normalised value (caller frees): a single string becomes a list of one for list
 * types, a duration string "24h" becomes seconds.  Returns NULL with WHY filled when
 * the value does not fit. */
cJSON *rg_param_normalize(const rg_param *decl, const cJSON *value, char *why, size_t why_size);

/* CHECK's parameters from GIVEN (an object, as a policy's `with` wrote them): every
 * name declared, every value of its type and normalised, required ones present,
 * defaults filled in.  Returns a new object (caller frees), or NULL with WHY filled. */
cJSON *rg_check_params(const rg_check *check, const cJSON *given, char *why, size_t why_size);

/* Validate DESC as a plugin found at PATH (exposed for tests).  Returns 0, or -1 with
 * ERR naming PATH and the problem. */
int rg_plugin_validate(const rg_plugin *desc, const char *path, rg_error *err);

/* DESC's flags (RG_PLUGIN_FLAG_*): 0 for a descriptor older than ABI 1.2. */
uint32_t rg_plugin_flags(const rg_plugin *desc);

/* The flags of the loaded plugin that provides CHECK (0 when it asked for none), and in
 * *PLUGIN (may be NULL) something that tells that plugin from others. */
uint32_t rg_check_plugin_flags(const rg_check *check, const void **plugin);

/* Add DESC (already in memory, e.g. linked into a test) to SET after validating it.
 * Returns 0, or -1 with ERR. */
int rg_plugins_add(rg_plugins *set, const rg_plugin *desc, const char *path, rg_error *err);

#endif
