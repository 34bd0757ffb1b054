/* The live sources the ci plugin reads: each builds the document a saved API response
 * would be, from every page (fetch.h). */
#ifndef CI_FETCH_SOURCE_H
#define CI_FETCH_SOURCE_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "fetch.h"

cJSON *ci_fetch_github(ci_fetch *f, const cJSON *source, char *why, size_t why_size);
cJSON *ci_fetch_gitlab(ci_fetch *f, const cJSON *source, char *why, size_t why_size);

/* Read live evidence NAME (SOURCE_TEXT: the host's evidence_source) into *TEXT (heap
 * JSON, the merged pages), noting in ENTRY (the report's details) the source, the first
 * URL and the pages; *OWN_RUN and *OWN_SYSTEM: the source's own_run (0: none) and 'h'
 * (GitHub) or 'l' (GitLab).  Returns 0, or -1 with WHY. */
int ci_live_read(const rg_host *h, rg_check_call *call, const char *name, const char *source_text,
                 size_t max_pages, rg_json *entry, char **text, size_t *len, double *own_run, char *own_system,
                 char *why, size_t why_size);

/* A source's "own_run": the run or pipeline the gate itself runs in, or 0. */
double ci_source_own_run(const cJSON *source);

#endif
