/* Writing JSON text straight into a buffer, compact or indented by two spaces.
 *
 * Decisions are written member by member instead of being built as a cJSON tree and
 * printed: a batch writes tens of thousands of them, and the tree, its copies and its
 * printing were most of a decision's cost.  Strings are escaped as cJSON escapes them
 * and made well-formed UTF-8 on the way (bad bytes become U+FFFD), so output built from
 * policy or plugin strings is always valid JSON. */
#ifndef RG_JSON_WRITER_H
#define RG_JSON_WRITER_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "strbuf.h"

#define RG_JW_MAX_DEPTH 1100   /* deeper than any document the engine accepts */

typedef struct rg_jw {
    rg_strbuf *out;
    int pretty;                /* non-zero: two-space indentation, a space after ':' */
    int depth;
    unsigned char has_member[RG_JW_MAX_DEPTH]; /* per open container: something written */
} rg_jw;

void rg_jw_init(rg_jw *w, rg_strbuf *out, int pretty);

/* Containers; a member of an object is rg_jw_key() followed by one value. */
void rg_jw_object(rg_jw *w);
void rg_jw_array(rg_jw *w);
void rg_jw_end(rg_jw *w, int object);
void rg_jw_key(rg_jw *w, const char *key);

/* Values. */
void rg_jw_string(rg_jw *w, const char *s);       /* NULL writes null */
void rg_jw_null(rg_jw *w);
void rg_jw_bool(rg_jw *w, int value);
void rg_jw_int(rg_jw *w, int64_t value);
void rg_jw_number(rg_jw *w, double value);        /* as cJSON prints it; NaN and infinities: null */
void rg_jw_millis(rg_jw *w, double ms);           /* a duration rounded to microseconds */
void rg_jw_item(rg_jw *w, const cJSON *item);     /* a whole cJSON value (NULL writes null) */

/* JSON text written elsewhere (LEN bytes, well-formed and compact), as one value. */
void rg_jw_raw(rg_jw *w, const char *json, size_t len);

/* Shorthands for an object member. */
void rg_jw_key_string(rg_jw *w, const char *key, const char *s);
void rg_jw_key_int(rg_jw *w, const char *key, int64_t value);

/* S as a JSON string literal (quotes included), appended to OUT. */
void rg_json_put_string(rg_strbuf *out, const char *s);

/* The string member KEY of OBJ, or NULL when absent or not a string. */
const char *rg_json_string(const cJSON *obj, const char *key);

/* Print ITEM as JSON indented by two spaces per level (cJSON's own printer indents
 * with tabs), ending with a newline; strings made well-formed UTF-8.  Returns a heap
 * string, or NULL when out of memory. */
char *rg_json_print_pretty(const cJSON *item);

#endif
