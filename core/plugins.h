/* Finding, loading and validating check plugins. */
#ifndef RG_PLUGINS_H
#define RG_PLUGINS_H

#include <cjson/cJSON.h>
#include <sys/stat.h>

#include "digest.h"
#include "plugin_data.h"
#include "relgate/plugin.h"
#include "relgate/relgate.h"

/* A plugin file as the engine holds it: open since its owner and mode were checked, so
 * every child that loads it loads this very file (through /proc/self/fd), never one
 * put in its place; and what a loader child found in it, as data. */
typedef struct rg_plugin_file {
    char *path;
    int fd;
    struct stat identity;   /* when it was opened: a child refuses a file changed since */
    char *record;           /* the description that was validated (payload bytes) */
    size_t record_len;
    char digest[RG_SHA256_LABEL_SIZE]; /* "sha256:..." of the file's content when loaded */
    rg_plugin_data data;
} rg_plugin_file;

typedef struct rg_loaded_plugin {
    const rg_plugin *desc;   /* &file->data.desc, or a descriptor registered in-process */
    char *path;
    rg_plugin_file *file;    /* NULL for a descriptor registered in-process */
    char abi[24];            /* "MAJOR.MINOR", for listings */
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

/* Validate DATA, a plugin's description found at PATH: the one validator of
 * descriptors.  Returns 0, or -1 with ERR naming PATH and the problem. */
int rg_plugin_validate_data(const rg_plugin_data *data, const char *path, rg_error *err);

/* Validate DESC, a descriptor in this process (a test's, linked in), as data: encoded
 * and decoded as a loader child's would be, then rg_plugin_validate_data. */
int rg_plugin_validate(const rg_plugin *desc, const char *path, rg_error *err);

/* The seconds a plugin file may take to load (its constructors and entry point). */
#define RG_PLUGIN_LOAD_TIMEOUT 2

/* DESC's flags (RG_PLUGIN_FLAG_*): 0 for a descriptor older than ABI 1.2. */
uint32_t rg_plugin_flags(const rg_plugin *desc);

/* Add DESC (already in memory, e.g. linked into a test) to SET after validating it.
 * Returns 0, or -1 with ERR. */
int rg_plugins_add(rg_plugins *set, const rg_plugin *desc, const char *path, rg_error *err);

#endif
