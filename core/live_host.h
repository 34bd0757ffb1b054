/* The host's side of live evidence (ABI 1.4): what plugin_host.c's services call, in a
 * check's child.  A plugin fetches (the engine never links an HTTP client); the host
 * digests what it fetched into the decision, saves it for a replay, and serves what a
 * saved context recorded. */
#ifndef RG_LIVE_HOST_H
#define RG_LIVE_HOST_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "relgate/relgate.h"

/* The live source entry evidence NAME of CTX names, or NULL (a file, or undeclared). */
const cJSON *rg_live_entry(const rg_context *ctx, const char *name);

/* Evidence NAME fetched a page: URL, DATA (LEN bytes), which named the NEXT page's
 * URL (NULL: the last).  Noted in LOG (the check's
 * evidence notes) with the time now, and written to CTX's --save-evidence directory
 * when there is one.  Returns 0, or -1 with WHY (not a live source, cannot be saved). */
int rg_live_record(const rg_context *ctx, cJSON *log, const char *name, const char *url, const char *next,
                   const char *data, size_t len, char *why, size_t why_size);

/* Page INDEX of what live evidence NAME recorded: 1 with *URL, *NEXT (CTX's; NULL for
 * the last page) and *DATA (heap,
 * NUL-terminated, at most MAX bytes) noted in LOG as when it was fetched; 0 past the
 * last page; -1 with WHY (not recorded, unreadable, outside the root, or its bytes no
 * longer have the recorded digest: a replay must read what the decision read). */
int rg_live_recorded_page(const rg_context *ctx, cJSON *log, const char *name, size_t index, size_t max,
                          const char **url, const char **next, char **data, size_t *len, char *why,
                          size_t why_size);

/* The deadline of the check about to run in this child: TIMEOUT seconds from now (<= 0:
 * none); and the seconds left before it (negative: no deadline). */
void rg_host_set_deadline(double timeout);
double rg_host_time_left(void);

#endif
