/* Decisions: what evaluation produced, and their JSON form. */
#ifndef RG_DECISION_H
#define RG_DECISION_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "digest.h"
#include "json.h"
#include "policy.h"
#include "relgate/relgate.h"
#include "strbuf.h"

typedef enum rg_status {
    RG_STATUS_PASS, RG_STATUS_FAIL, RG_STATUS_WARN, RG_STATUS_WAIVED, RG_STATUS_ERROR,
    RG_STATUS_SKIP, RG_STATUS_COUNT
} rg_status;

const char *rg_status_name(rg_status status);

typedef struct rg_result {
    const char *id, *title, *hint, *check, *source; /* in the decision's TEXT block; source:
                                                     * "file:line" of the declaration */
    const char *defined_at; /* (TEXT) "file:line" of the last override or disable, or NULL */
    const char *plugin, *plugin_version, *plugin_digest; /* a plugin check's plugin (TEXT too):
                                                          * NULL for an inline check; the digest
                                                          * NULL for a plugin linked in */
    rg_level level;
    rg_status status;
    char *message;
    cJSON *details;       /* an object, never NULL in a finished decision */
    rg_shared_json *shared; /* when set, DETAILS is a view of this cached tree: call
                             * rg_result_own_details() before changing it */
    double duration_ms;
} rg_result;

struct rg_decision {
    rg_verdict verdict;
    char *release_name, *release_version, *context_file;
    char *release_environment;  /* release.environment, or NULL */
    rg_release_type type;
    rg_stage stage;
    char *policy_name, *policy_version;
    char policy_digest[RG_SHA256_LABEL_SIZE];
    cJSON *policy_bases;  /* the policies it extends: [{name, version, file}] */
    char context_digest[RG_SHA256_LABEL_SIZE];
    rg_result *results;
    char *text;           /* the block the results' fixed strings live in */
    size_t count;
    size_t summary[RG_STATUS_COUNT];
    cJSON *actions;       /* an array */
    cJSON *evidence;      /* an array of evidence notes: what the checks read */
    cJSON *waivers;       /* every waiver given and what became of it */
    int64_t evaluated_at;
    rg_details_mode details_mode; /* which results carry their details in the JSON */
};

/* The result of requirement ID in D, or NULL (it did not apply). */
rg_result *rg_decision_find(const rg_decision *d, const char *id);

/* Give R details of its own (a copy of a shared tree's) so they can be changed. */
void rg_result_own_details(rg_result *r);

/* Work out the verdict and summary from the results. */
void rg_decision_conclude(rg_decision *d);

/* ERR as an error decision on one line (compact JSON, no newline): for the decision log
 * and batch output.  Heap string the caller frees, or NULL when out of memory. */
char *rg_error_to_line(const rg_error *err, int64_t now);

/* Append the decision's JSON to OUT: one compact line (no newline), or indented by two
 * spaces when PRETTY.  OUT->failed says when memory ran out. */
void rg_decision_write(const rg_decision *d, rg_strbuf *out, int pretty);

/* The members a decision opens with, as the decision document and a signed statement's
 * summary both write them: "decision", "release" {name, version, type}, "stage", and
 * "policy" opened with its name, version and digest (the caller adds to it and closes
 * it). */
struct rg_jw;
void rg_decision_write_identity(struct rg_jw *w, const rg_decision *d);

/* "summary": {"total", then a count per status in the contract's order}. */
void rg_decision_write_summary(struct rg_jw *w, const rg_decision *d);

#endif
