/* Parsing JSON documents strictly, with positions in error messages. */
#ifndef RG_JSON_H
#define RG_JSON_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "relgate/relgate.h"

/* Parse TEXT (LEN bytes, NUL-terminated at TEXT[LEN]) as one JSON document.  Refuses
 * invalid UTF-8, NUL bytes, syntax errors (with line and column), nesting deeper than
 * MAX_DEPTH and duplicate object keys.  FILE names the document in messages.  Returns a
 * tree the caller frees with cJSON_Delete, or NULL with ERR (kind KIND). */
cJSON *rg_json_parse(const char *text, size_t len, const char *file, int max_depth,
                     rg_error_kind kind, rg_error *err);

/* The string member KEY of OBJ, or NULL when absent or not a string. */
const char *rg_json_string(const cJSON *obj, const char *key);


/* Print ITEM as JSON indented by two spaces per level (cJSON's own printer indents
 * with tabs), ending with a newline; strings made well-formed UTF-8 (json_writer.h).  Returns a heap string, or NULL when out of memory. */
char *rg_json_print_pretty(const cJSON *item);
#endif
