/* Running one plugin check: the host services a check sees, and its result. */
#ifndef RG_PLUGIN_HOST_H
#define RG_PLUGIN_HOST_H

#include <cjson/cJSON.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "relgate/plugin.h"
#include "relgate/relgate.h"

typedef struct rg_check_result {
    rg_check_status status;
    char *message;        /* heap */
    cJSON *details;       /* an object */
    int violation;        /* the check broke the evidence path rules */
    cJSON *evidence;      /* what it read: an array of evidence notes */
    cJSON *context_reads; /* the context fields it read: [path, value] pairs */
    cJSON *inputs;        /* the evidence files it read: rg_check_input_* records */
    int reusable;         /* everything it depended on is in context_reads and inputs */
} rg_check_result;

/* What a check read, so a batch reuses its result only for a context in which all of it
 * is the same (check_cache.c).  Each input is an object: the evidence name, the path the
 * context declares ("rel"), and either (state "read") the resolved path, the file's
 * identity (rg_file_identity) and the sha256 label of the bytes the check read, or (state
 * "missing", "undeclared") the message the check got instead.  A result is not reusable
 * when the check reached something the record cannot describe: a path handed out
 * (evidence_path, evidence_relative), evidence refused (not a file, unreadable, outside
 * the root) or over a limit, a read that failed. */
#define RG_FILE_IDENTITY_SIZE 128

/* "dev:ino:size:mtime:ctime" (times in ns) of ST into BUF (RG_FILE_IDENTITY_SIZE). */
void rg_file_identity(const struct stat *st, char *buf, size_t size);

/* Whether what was read of a file whose identity was ST, the reading started at
 * READ_STARTED, stands for the file for as long as its identity stays the same: only when
 * the file had not changed for RG_FILE_SETTLE_SECONDS.  The kernel stamps times from a
 * coarse clock, so two writes of the same size close together can leave one identity; a
 * file changed just before it was read is read again next time.  The one rule for every
 * cache of file contents (the check cache's digests, the policy's evidence texts). */
#define RG_FILE_SETTLE_SECONDS 3
int rg_file_settled(const struct stat *st, time_t read_started);

/* A string field of CTX by dotted path ("release.commit"), or NULL. */
const char *rg_context_string(const rg_context *ctx, const char *path);

/* A deep copy of R into OUT. */
void rg_check_result_copy(const rg_check_result *r, rg_check_result *out);

void rg_check_result_clear(rg_check_result *r);

/* Run CHECK in this process with PARAMS (an object, validated and defaulted), the
 * context CTX and clock NOW; evidence reads are capped at MAX_EVIDENCE bytes.  Fills
 * OUT (clear it with rg_check_result_clear).  A check that returns without a status
 * gets an error result. */
void rg_check_run_inline(const rg_check *check, const cJSON *params, const rg_context *ctx,
                         int64_t now, size_t max_evidence, rg_check_result *out);

/* In this process, checks now run one after the other in a shared child (on) or not
 * (off): stream_identity answers only in a shared child, and digests of files read
 * through streams are kept for the next check.  Either way the digest cache is emptied. */
void rg_host_set_shared(int on);

/* The result as JSON text {"status","message","details",...,"reusable","inputs"} (heap),
 * and back.  The parse returns 0, or -1 with WHY set when the text is not such a result;
 * a result that does not say it is reusable (with its inputs) is not. */
char *rg_check_result_to_json(const rg_check_result *r);
int rg_check_result_from_json(const char *text, size_t len, rg_check_result *out, char *why,
                              size_t why_size);

const char *rg_check_status_name(rg_check_status status);

#endif
