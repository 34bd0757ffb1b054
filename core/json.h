/* Parsing JSON documents strictly, with positions in error messages. */
#ifndef RG_JSON_H
#define RG_JSON_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "json_writer.h"   /* rg_json_string, rg_json_print_pretty */
#include "relgate/relgate.h"

/* Parse TEXT (LEN bytes, NUL-terminated at TEXT[LEN]) as one JSON document.  Refuses
 * invalid UTF-8, NUL bytes, syntax errors (with line and column), nesting deeper than
 * MAX_DEPTH and duplicate object keys.  FILE names the document in messages.  Returns a
 * tree the caller frees with cJSON_Delete, or NULL with ERR (kind KIND). */
cJSON *rg_json_parse(const char *text, size_t len, const char *file, int max_depth,
                     rg_error_kind kind, rg_error *err);

/* rg_json_parse within a budget: a document whose tree would take more than MAX_HEAP
 * bytes of C heap (an upper bound known before cJSON allocates anything) is refused with
 * an RG_ERROR_LIMIT error; otherwise *HEAP (when not NULL) receives that bound. */
cJSON *rg_json_parse_within(const char *text, size_t len, const char *file, int max_depth, size_t max_heap,
                            size_t *heap, rg_error_kind kind, rg_error *err);



/* A JSON tree shared by reference counting: a cached plugin result's details, which
 * the decisions of a batch show unchanged, without a copy per decision. */
typedef struct rg_shared_json {
    unsigned refs;
    cJSON *tree;
    char *text;           /* TREE as compact JSON, written on first use */
    size_t text_len;
} rg_shared_json;

/* Share TREE (taken over; freed when out of memory, which gives NULL). */
rg_shared_json *rg_shared_json_new(cJSON *tree);
rg_shared_json *rg_shared_json_ref(rg_shared_json *shared);
void rg_shared_json_unref(rg_shared_json *shared);
/* A new object or array node whose members are the shared tree's (a cJSON reference:
 * deleting it leaves them); NULL when out of memory. */
cJSON *rg_shared_json_view(const rg_shared_json *shared);
/* The shared tree as compact JSON (written once, kept with it), or NULL when out of
 * memory; *LEN its length. */
const char *rg_shared_json_text(rg_shared_json *shared, size_t *len);

#endif
