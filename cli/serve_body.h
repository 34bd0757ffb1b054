/* relgate serve: a POST /v1/decisions body read in the worker (serve_body.c). */
#ifndef RG_CLI_SERVE_BODY_H
#define RG_CLI_SERVE_BODY_H

#include <stddef.h>

#include <cjson/cJSON.h>

/* BODY (LEN bytes), which rg_json_check took, as cJSON reads it -- but for the value of
 * every inline evidence entry's "json" member, kept as the bytes the request holds (a
 * raw node, cJSON_IsRaw): that is what is written as the evidence file.  NULL when out
 * of memory. */
cJSON *rg_serve_body_parse(const char *body, size_t len);

#endif
