/* The decision log: one JSON line per decision, appended safely by concurrent gates. */
#ifndef RG_DECISION_LOG_H
#define RG_DECISION_LOG_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "relgate/relgate.h"

/* rg_log_append, rg_log_append_lines, rg_log_each and rg_log_last_good are public
 * (relgate.h); the engine's own readers take the entries as cJSON trees. */

/* rg_log_each with each entry parsed (ENTRY) beside its text (LINE, LEN bytes). */
typedef int (*rg_log_json_fn)(const cJSON *entry, const char *line, size_t len, void *data);
int rg_log_each_json(const char *path, rg_log_json_fn fn, void *data, size_t *skipped, rg_error *err);

/* rg_log_last_good as a tree: a copy the caller frees with cJSON_Delete, or NULL. */
cJSON *rg_log_last_good_json(const char *path, const char *name, const char *except, rg_error *err);

#endif
