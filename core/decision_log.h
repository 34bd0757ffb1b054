/* The decision log: one JSON line per decision, appended safely by concurrent gates. */
#ifndef RG_DECISION_LOG_H
#define RG_DECISION_LOG_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "relgate/relgate.h"

/* Append ENTRY (compact JSON, no newline) and a newline to the log at PATH as one
 * write on an O_APPEND descriptor under an exclusive lock, then fsync.  A short write
 * (a full disk) is rolled back, so no half line remains.  Returns 0, or -1 with ERR
 * (kind io) naming PATH. */
int rg_log_append(const char *path, const char *entry, size_t len, rg_error *err);

/* Append LINES (LEN bytes of whole lines, each a compact JSON entry) in one write, the
 * same way: all of them, or (after a short write) none. */
int rg_log_append_lines(const char *path, const char *lines, size_t len, rg_error *err);

/* Call FN for every line of the log at PATH that is a JSON object, in order; lines that
 * are not are counted in *SKIPPED (may be NULL).  FN returns non-zero to stop.  Returns
 * 0, or -1 with ERR when the log cannot be read. */
int rg_log_each(const char *path, int (*fn)(const cJSON *entry, void *data), void *data,
                size_t *skipped, rg_error *err);

/* The newest entry in the log at PATH where release NAME passed its post-deploy gate
 * (allow or warn), skipping version EXCEPT (may be NULL).  Returns a copy the caller
 * frees with cJSON_Delete, or NULL (none found, or ERR set when unreadable). */
cJSON *rg_log_last_good(const char *path, const char *name, const char *except, rg_error *err);

#endif
