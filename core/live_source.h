/* Live evidence sources: an evidence entry that names a GitHub or GitLab API source
 * instead of a file ({"github": "check-runs", "repo", "ref"}), and, in a context that
 * --save-evidence wrote, the pages fetched then ("recorded") for an offline replay. */
#ifndef RG_LIVE_SOURCE_H
#define RG_LIVE_SOURCE_H

#include <cjson/cJSON.h>

#include "relgate/relgate.h"

/* True when ENTRY (a value of the context's "evidence") is a live source: an object. */
int rg_live_source_is(const cJSON *entry);

/* Check live source ENTRY, evidence NAME of CTX: its shape, and that each recorded file
 * is a relative path that stays inside the evidence root.  Adds one problem to ERR per
 * fault (naming the context, the entry and the field).  Returns 0 when it is good. */
int rg_live_source_validate(const rg_context *ctx, const char *name, const cJSON *entry, rg_error *err);

/* "github check-runs", "gitlab pipeline-jobs": what ENTRY is, for messages. */
void rg_live_source_describe(const cJSON *entry, char *buf, size_t size);

#endif
