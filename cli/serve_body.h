/* relgate serve: a POST /v1/decisions body read in the worker (serve_body.c). */
#ifndef RG_CLI_SERVE_BODY_H
#define RG_CLI_SERVE_BODY_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "relgate/relgate.h"

/* Where rg_json_check_known looks up the values of inline evidence checked before: the
 * "json" member of an entry of "evidence" (body, evidence, entry, member: depth 3). */
#define RG_SERVE_BODY_KNOWN_DEPTH 3
#define RG_SERVE_BODY_KNOWN_KEY "json"

/* BODY (LEN bytes), which rg_json_check_known took with KNOWN (may be NULL), as cJSON
 * reads it -- but for the value of every inline evidence entry's "json" member, kept as
 * the bytes the request holds (a raw node, cJSON_IsRaw): that is what is written as the
 * evidence file; and every number in "context", kept as its bytes too (raw nodes), so
 * that the context printed again is the one the request holds.  Such a value KNOWN finds
 * is not walked again.  NULL when out of memory. */
cJSON *rg_serve_body_parse(const char *body, size_t len, const rg_json_known *known);

#endif
